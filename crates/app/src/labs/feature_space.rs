//! Feature-space lab: a labelled set's sentence vectors at one layer, projected onto their first
//! two principal axes and coloured by label, for the pretrained encoder, the same architecture with
//! random weights and (when picked) a fine-tuned model saved in the browser, side by side. The
//! worker projects every layer at once, so moving the layer redraws without asking again.

use leptos::prelude::*;

use crate::charts::category_css;
use crate::lab_state::FeatureSpaceState;
use crate::labs::{scatter_figure, CheckField, NumberField, SavedModelField, SelectField};
use crate::saved_models::{self, SavedModel};
use crate::url_state::ControlPolicy;
use crate::worker_query::use_worker_answer;
use bertlab_protocol::features::{FeatureCloud, Pooling};
use bertlab_protocol::messages::{FeatureSpaceRequest, Outcome, Request, ShippedSet, TrainedModel};

#[component]
pub fn FeatureSpaceWidget(
    /// The widget's state (the URL's on a lab page, a lesson step's otherwise).
    state: RwSignal<FeatureSpaceState>,
    /// Which controls are hidden or locked.
    policy: ControlPolicy,
) -> impl IntoView {
    let saved = RwSignal::new(Vec::<SavedModel>::new());
    // Without model storage there is simply no fine-tuned model to offer.
    saved_models::refresh(saved, |_| {});
    // Everything but the layer shapes the question; the layer only picks what is drawn.
    let asked =
        Memo::new(move |_| state.with(|s| (s.dataset, s.pooling, s.all_texts, s.tuned.clone())));
    let answer = use_worker_answer(
        move || {
            let (dataset, pooling, all_texts, tuned) = asked.get();
            Some(Request::FeatureSpace(FeatureSpaceRequest {
                model: None,
                dataset,
                all_texts,
                pooling,
                tuned: (!tuned.is_empty()).then_some(TrainedModel::Saved(tuned)),
            }))
        },
        |outcome| match outcome {
            Outcome::FeatureSpace(clouds) => Some(clouds),
            _ => None,
        },
    );
    let layers = move || {
        answer.with(|a| match a {
            Some(Ok(clouds)) => clouds.first().map_or(6, |c| c.layers),
            _ => 6,
        })
    };
    view! {
        <div class="lab feature-space-lab">
            <Controls state=state policy=policy saved=saved layers=Signal::derive(layers) />
            {move || match answer.get() {
                None => view! { <p class="meta">"Reading every text through each encoder…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(clouds)) => {
                    let layer = state.with(|s| s.layer).min(layers());
                    view! { <Clouds clouds=clouds layer=layer /> }.into_any()
                }
            }}
        </div>
    }
}

/// Data, pooling, layer, how many texts, and the fine-tuned model to compare.
#[component]
fn Controls(
    state: RwSignal<FeatureSpaceState>,
    policy: ControlPolicy,
    /// Models saved in the browser by the fine-tuning lab.
    saved: RwSignal<Vec<SavedModel>>,
    /// The encoder's layer count (the last layer's number).
    layers: Signal<usize>,
) -> impl IntoView {
    let (lock_dataset, lock_pooling, lock_layer, lock_all, lock_tuned) = (
        policy.locked("dataset"),
        policy.locked("pooling"),
        policy.locked("layer"),
        policy.locked("all_texts"),
        policy.locked("tuned"),
    );
    view! {
        <div class="controls">
            <SelectField id="fs-dataset" label="Data" locked=lock_dataset
                options=ShippedSet::ALL.into_iter().filter(|d| !d.probes_a_sentence_objective())
                    .map(|d| (d, d.slug().to_string())).collect()
                value=Signal::derive(move || state.with(|s| s.dataset))
                on_pick=Callback::new(move |d| state.update(|s| s.dataset = d)) />
            <SelectField id="fs-pooling" label="Sentence vector" locked=lock_pooling
                options=Pooling::ALL.into_iter().map(|p| (p, p.describe().to_string())).collect()
                value=Signal::derive(move || state.with(|s| s.pooling))
                on_pick=Callback::new(move |p| state.update(|s| s.pooling = p)) />
            {move || view! {
                <NumberField id="fs-layer" label="Layer (0 = embeddings)" min=0 max=layers.get() as u64
                    locked=lock_layer
                    value=Signal::derive(move || state.with(|s| s.layer as u64))
                    on_set=Callback::new(move |n| state.update(|s| s.layer = n as usize)) />
            }}
            <CheckField id="fs-all" label="Every text of the set (not only the test split)"
                value=Signal::derive(move || state.with(|s| s.all_texts))
                on_set=move |on| state.update(|s| s.all_texts = on)
                hidden=false locked=lock_all />
            <SavedModelField id="fs-tuned" locked=lock_tuned saved=saved
                value=Signal::derive(move || state.with(|s| s.tuned.clone()))
                on_pick=Callback::new(move |name| state.update(|s| s.tuned = name)) />
        </div>
    }
}

/// One scatter plot per encoder at `layer`, and the colour legend.
#[component]
fn Clouds(
    /// Every encoder's projection of every layer.
    clouds: Vec<FeatureCloud>,
    /// The layer to draw.
    layer: usize,
) -> impl IntoView {
    let labels = clouds.first().map(|c| c.labels.clone()).unwrap_or_default();
    let shown: Vec<FeatureCloud> = clouds.into_iter().filter(|c| c.layer == layer).collect();
    let count = shown.first().map_or(0, |c| c.points.len());
    view! {
        <p class="meta">{format!(
            "{count} texts at layer {layer}: each dot is one text, placed by the two directions along which \
             that encoder's vectors vary most, and coloured by its label."
        )}</p>
        <div class="feature-clouds">
            {shown.into_iter().map(|c| {
                let caption = if c.explained == [0.0, 0.0] {
                    format!("{}: no spread, every text gets the same vector here", c.encoder)
                } else {
                    format!(
                        "{}: {:.0}% + {:.0}% of the variance",
                        c.encoder,
                        c.explained[0] * 100.0,
                        c.explained[1] * 100.0
                    )
                };
                scatter_figure(&c.points, &c.label_ids, &caption)
            }).collect_view()}
        </div>
        <CloudLegend labels=labels />
    }
}

/// Each label's colour in the scatter plots.
#[component]
pub fn CloudLegend(
    /// Class names, in id order.
    labels: Vec<String>,
) -> impl IntoView {
    view! {
        <ul class="cloud-legend" aria-label="Labels">
            {labels.into_iter().enumerate().map(|(i, label)| view! {
                <li><span class="swatch" style=format!("background: {}", category_css(i))></span>{label}</li>
            }).collect_view()}
        </ul>
    }
}
