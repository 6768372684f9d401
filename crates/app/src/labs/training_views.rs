//! What a fine-tuning run draws as it goes: its loss curve, the label-efficiency chart of the
//! sheet, and (when the run watches its features) the held-out texts' [CLS] vectors projected
//! after the latest measured update, so the classes are seen pulling apart while the encoder
//! trains.

use leptos::prelude::*;

use crate::charts::Series;
use crate::labs::feature_space::CloudLegend;
use crate::labs::{chart_figure, scatter_figure};
use bertlab_protocol::features::FeatureCloud;
use bertlab_protocol::messages::TrainingPoint;
use bertlab_protocol::training::{describe_with_segments, Approach, SegmentIds, SheetRow};

/// Training loss of the current run, per update.
pub fn loss_chart(points: &[TrainingPoint]) -> AnyView {
    let series = [Series {
        label: "training loss".into(),
        points: points.iter().map(|p| (p.step as f64, p.loss)).collect(),
        dashed: false,
        colour: None,
    }];
    chart_figure(&series, "Training loss", "update", "loss")
}

/// Test accuracy against the number of labelled training examples on `dataset`, one line per
/// approach and segment-id choice (the latest run of each size counts).
pub fn efficiency_chart(rows: &[SheetRow], dataset: &str) -> AnyView {
    let lines = SegmentIds::ALL
        .into_iter()
        .flat_map(|segments| Approach::ALL.map(|approach| (approach, segments)));
    let series: Vec<Series> = lines
        .filter_map(|(approach, segments)| {
            let mut points: Vec<(f64, f64)> = Vec::new();
            for row in rows.iter().filter(|r| {
                r.approach == approach
                    && r.segments == segments
                    && !r.stopped_early
                    && r.dataset == dataset
            }) {
                let x = row.train_examples as f64;
                points.retain(|p| p.0 != x);
                points.push((x, row.accuracy * 100.0));
            }
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (!points.is_empty()).then(|| Series {
                label: describe_with_segments(approach, segments),
                points,
                dashed: approach == Approach::BagOfWords,
                colour: None,
            })
        })
        .collect();
    chart_figure(
        &series,
        "Label efficiency",
        "labelled training examples",
        "test accuracy (%)",
    )
}

/// The latest feature cloud of a run that watches its features; nothing before the first.
#[component]
pub fn TrainingCloud(
    /// Set by each training point that carries a cloud.
    cloud: RwSignal<Option<FeatureCloud>>,
) -> impl IntoView {
    move || {
        cloud.get().map(|c| {
            let caption = format!(
                "{} · {:.0}% + {:.0}% of the variance",
                c.encoder,
                c.explained[0] * 100.0,
                c.explained[1] * 100.0
            );
            view! {
                <section class="training-cloud" aria-label="Feature space while training">
                    <p class="meta">"The held-out messages' [CLS] vectors at the last layer (what the head reads), placed by their two main directions of variation and coloured by intent."</p>
                    {scatter_figure(&c.points, &c.label_ids, &caption)}
                    <CloudLegend labels=c.labels.clone() />
                </section>
            }
        })
    }
}
