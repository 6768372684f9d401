//! The interactive widgets. Each takes its state as a signal — the URL's on a lab page, a lesson
//! step's inside a lesson — and a policy of hidden or locked controls.

mod attention;
mod classify_box;
mod embeddings;
mod feature_space;
mod fields;
mod fill_mask;
mod fine_tune;
mod gpu_loss_drill;
mod interrupted_run;
mod job_status;
mod logit_lens;
mod masking;
mod model_picker;
mod pretrain;
mod probes;
mod run_clock;
mod span_qa;
mod surprise;
mod tagging;
mod token_strip;
mod tokenizer;
mod training_views;
mod transfer_table;
mod why_label;

pub use attention::AttentionWidget;
pub use classify_box::ClassifyBox;
pub use embeddings::EmbeddingsWidget;
pub use feature_space::FeatureSpaceWidget;
pub use fields::{CheckField, NumberField, SavedModelField, SelectField, TextField};
pub use fill_mask::FillMaskWidget;
pub use fine_tune::FineTuneWidget;
pub use gpu_loss_drill::{GpuLossDrill, GpuLossDrillWhileTraining};
pub use interrupted_run::{look_for_interrupted_runs, InterruptedRunOffer};
pub use logit_lens::LogitLensWidget;
pub use masking::MaskingWidget;
pub use model_picker::{provide_models_changed, ModelPicker};
pub use pretrain::PretrainWidget;
pub use probes::ProbesWidget;
pub use span_qa::SpanQaWidget;
pub use surprise::SurpriseWidget;
pub use tagging::TaggingWidget;
pub use tokenizer::TokenizerWidget;

use leptos::prelude::*;

use super::charts::{line_chart_svg, scatter_svg, Series};
use super::lab_registry::{LabId, LabState};
use super::lab_state::{
    AttentionState, EmbeddingsState, FeatureSpaceState, FillMaskState, FineTuneState,
    LogitLensState, MaskingState, PretrainState, ProbesState, QaState, SurpriseState, TaggingState,
    TokenizerState,
};
use super::prediction::Observation;
use super::url_state::{
    query_pairs, state_from_pairs, use_control_policy, use_url_state, ControlPolicy,
};

/// A line chart (see [`line_chart_svg`]) in a labelled figure, or the reason it could not be drawn.
pub fn chart_figure(series: &[Series], caption: &str, x_label: &str, y_label: &str) -> AnyView {
    match line_chart_svg(series, caption, x_label, y_label, (420, 260)) {
        Ok(svg) => view! {
            <figure class="chart" role="img" aria-label=caption.to_string() inner_html=svg></figure>
        }
        .into_any(),
        Err(message) => view! { <p class="error">{message}</p> }.into_any(),
    }
}

/// Dots `[x, y]` coloured by class as a scatter plot (see [`scatter_svg`]), or the error.
pub fn scatter_figure(points: &[[f32; 2]], classes: &[usize], caption: &str) -> AnyView {
    match scatter_svg(points, classes, caption, (320, 300)) {
        Ok(svg) => view! {
            <figure class="chart cloud" role="img" aria-label=caption.to_string() inner_html=svg></figure>
        }
        .into_any(),
        Err(message) => view! { <p class="error">{message}</p> }.into_any(),
    }
}

/// Says that only the start of a long text was read: `kept` tokens shown, `removed` cut off the
/// end. Nothing when nothing was cut.
#[component]
pub fn CutNote(
    /// Tokens cut off the end.
    removed: usize,
    /// Tokens kept (special tokens included).
    kept: usize,
) -> impl IntoView {
    (removed > 0).then(|| {
        view! {
            <p class="note cut-note" role="status">{format!(
                "The text is too long for this view: the first {kept} tokens are shown, and {removed} more \
                 were cut off the end."
            )}</p>
        }
    })
}

/// Table rows of a name, a bar and a percentage, for each `(name, probability)`: the bar is
/// `probability / full_bar` of the cell (1 for absolute bars), the number always absolute.
#[component]
pub fn ProbabilityRows(
    /// (name, probability), in the order shown.
    rows: Vec<(String, f32)>,
    /// The probability that fills the whole bar.
    full_bar: f32,
    /// Show names as code (model pieces) rather than as words (labels).
    #[prop(optional)]
    code: bool,
) -> impl IntoView {
    let full_bar = full_bar.max(f32::MIN_POSITIVE);
    rows.into_iter()
        .map(|(name, p)| {
            let name = if code {
                view! { <code>{name}</code> }.into_any()
            } else {
                name.into_any()
            };
            view! {
                <tr>
                    <th scope="row">{name}</th>
                    <td class="bar-cell">
                        <span class="bar" style=format!("width: {:.1}%", (p / full_bar * 100.0).clamp(0.0, 100.0))></span>
                    </td>
                    <td class="num">{format!("{:.1}%", p * 100.0)}</td>
                </tr>
            }
        })
        .collect_view()
}

/// Where a widget reports what it computed, when a lesson step scores a student's guess against it
/// (provided by the step's predict-then-reveal box; absent elsewhere).
#[derive(Debug, Clone, Copy)]
pub struct Observed(pub RwSignal<Option<Observation>>);

/// Reports each new answer of a widget to the step that asked for a guess, if any: `observe` reads
/// the widget's answer (reactively) and gives `None` until there is one.
pub fn publish_answers(observe: impl Fn() -> Option<Observation> + 'static) {
    let Some(Observed(observed)) = use_context::<Observed>() else {
        return;
    };
    Effect::new(move |_| {
        if let Some(seen) = observe() {
            observed.set(Some(seen));
        }
    });
}

/// Where a widget's state comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateSource {
    /// The page URL, kept in sync (a lab page).
    Url,
    /// A fixed starting point (a lesson step's query string); edits stay local.
    Preset(&'static str),
}

fn state<S: LabState>(source: StateSource) -> RwSignal<S> {
    match source {
        StateSource::Url => use_url_state::<S>(),
        StateSource::Preset(query) => RwSignal::new(state_from_pairs(&query_pairs(query))),
    }
}

/// The widget of `lab`.
#[component]
pub fn LabWidget(
    lab: LabId,
    /// Where the state starts from.
    source: StateSource,
    /// Controls to hide, on top of the URL's `hide=`/`lock=`.
    #[prop(optional)]
    hide: &'static [&'static str],
) -> impl IntoView {
    let policy = use_control_policy().merged(&ControlPolicy::hiding(hide));
    match lab {
        LabId::Tokenizer => {
            view! { <TokenizerWidget state={state::<TokenizerState>(source)} policy=policy /> }
                .into_any()
        }
        LabId::Embeddings => {
            view! { <EmbeddingsWidget state={state::<EmbeddingsState>(source)} policy=policy /> }
                .into_any()
        }
        LabId::Masking => {
            view! { <MaskingWidget state={state::<MaskingState>(source)} policy=policy /> }
                .into_any()
        }
        LabId::FillMask => {
            view! { <FillMaskWidget state={state::<FillMaskState>(source)} policy=policy /> }
                .into_any()
        }
        LabId::Attention => {
            view! { <AttentionWidget state={state::<AttentionState>(source)} policy=policy /> }
                .into_any()
        }
        LabId::LogitLens => {
            view! { <LogitLensWidget state={state::<LogitLensState>(source)} policy=policy /> }
                .into_any()
        }
        LabId::Surprise => {
            view! { <SurpriseWidget state={state::<SurpriseState>(source)} policy=policy /> }
                .into_any()
        }
        LabId::Pretrain => {
            view! { <PretrainWidget state={state::<PretrainState>(source)} policy=policy /> }
                .into_any()
        }
        LabId::FineTune => {
            view! { <FineTuneWidget state={state::<FineTuneState>(source)} policy=policy /> }
                .into_any()
        }
        LabId::FeatureSpace => view! {
            <FeatureSpaceWidget state={state::<FeatureSpaceState>(source)} policy=policy />
        }
        .into_any(),
        LabId::Probes => view! {
            <ProbesWidget state={state::<ProbesState>(source)} policy=policy />
        }
        .into_any(),
        LabId::Tagging => view! {
            <TaggingWidget state={state::<TaggingState>(source)} policy=policy />
        }
        .into_any(),
        LabId::SpanQa => view! {
            <SpanQaWidget state={state::<QaState>(source)} policy=policy />
        }
        .into_any(),
    }
}
