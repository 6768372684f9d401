//! Surprise lab: each word of a sentence masked in turn and the model asked for it back. A bar per
//! token shows its surprisal in bits, the pseudo-perplexity sums the sentence up, and a second
//! model can be shown beside the first (the default model against a tiny one trained on little
//! text, or a model before and after fine-tuning). A sentence with a [MASK] also compares the two
//! models' guesses there and where the [MASK] looks in their last layer.

use leptos::prelude::*;

use crate::lab_state::SurpriseState;
use crate::labs::{CheckField, CutNote, ModelPicker, ProbabilityRows, TextField};
use crate::url_state::ControlPolicy;
use crate::worker_query::use_worker_answer;
use bertlab_protocol::messages::{Outcome, Request};
use bertlab_protocol::model_key::ModelKey;
use bertlab_protocol::views::{AttentionView, ContextSide, SurprisalView};

/// Bars reach full height at this many bits (a 1-in-65,536 token).
const FULL_BAR_BITS: f32 = 16.0;

fn label(key: &str) -> String {
    if key.is_empty() {
        "Default model".into()
    } else {
        ModelKey::parse(key).label()
    }
}

#[component]
pub fn SurpriseWidget(
    /// The widget's state (the URL's on a lab page, a lesson step's otherwise).
    state: RwSignal<SurpriseState>,
    /// Which controls are hidden or locked.
    policy: ControlPolicy,
) -> impl IntoView {
    let (hide_model, hide_other) = (policy.hidden("model"), policy.hidden("other"));
    let field = move |name: &'static str| (policy.hidden(name), policy.locked(name));
    let (hide_text, lock_text) = field("text");
    let (hide_compare, lock_compare) = field("compare");
    let model = Signal::derive(move || state.with(|s| s.model.clone()));
    let other = Signal::derive(move || state.with(|s| s.other.clone()));
    let text = Signal::derive(move || state.with(|s| s.text.clone()));
    let compare = Signal::derive(move || state.with(|s| s.compare));
    view! {
        <div class="lab surprise-lab">
            <div class="controls">
                <TextField multiline=true id="sp-text" label="A sentence" hidden=hide_text locked=lock_text
                    value=text on_input=move |v| state.update(|s| s.text = v) />
                <Show when=move || !hide_model>
                    <ModelPicker id="sp-model" mlm_only=true value=model
                        on_pick=Callback::new(move |name| state.update(|s| s.model = name)) />
                </Show>
                <CheckField id="sp-compare" label="Compare with a second model"
                    hidden=hide_compare locked=lock_compare value=compare
                    on_set=move |on| state.update(|s| s.compare = on) />
                <Show when=move || !hide_other && state.with(|s| s.compare)>
                    <ModelPicker id="sp-other" mlm_only=true pick_only=true value=other
                        on_pick=Callback::new(move |name| state.update(|s| s.other = name)) />
                </Show>
            </div>
            <div class="surprise-models">
                <ModelColumn model=model text=text shown=Signal::derive(|| true) />
                <Show when=move || compare.get()>
                    <ModelColumn model=other text=text shown=compare />
                </Show>
            </div>
        </div>
    }
}

/// One model's reading of the sentence: the surprisal of every token and, when the sentence has a
/// [MASK], the model's guesses there and where the [MASK] looks in the last layer.
#[component]
fn ModelColumn(
    /// The model's key; empty for the default model.
    model: Signal<String>,
    /// The sentence.
    text: Signal<String>,
    /// Whether the column is on the page (a hidden second column asks nothing).
    shown: Signal<bool>,
) -> impl IntoView {
    let key = move || {
        let m = model.get();
        (!m.is_empty()).then_some(m)
    };
    let has_mask = move || text.with(|t| t.contains("[MASK]") || t.contains("<mask>"));
    let surprisal = use_worker_answer(
        move || {
            shown.get().then(|| Request::Surprisal {
                model: key(),
                text: text.get(),
            })
        },
        |outcome| match outcome {
            Outcome::Surprisal(view) => Some(view),
            _ => None,
        },
    );
    let guesses = use_worker_answer(
        move || {
            (shown.get() && has_mask()).then(|| Request::FillMask {
                model: key(),
                text: text.get(),
                top_k: 5,
                side: ContextSide::Both,
            })
        },
        |outcome| match outcome {
            Outcome::FilledMask(view) => Some(view),
            _ => None,
        },
    );
    let attention = use_worker_answer(
        move || {
            (shown.get() && has_mask()).then(|| Request::Attention {
                model: key(),
                text: text.get(),
                pair: None,
            })
        },
        |outcome| match outcome {
            Outcome::Attended(view) => Some(view),
            _ => None,
        },
    );
    view! {
        <section class="surprise-model" aria-live="polite">
            <h3>{move || label(&model.get())}</h3>
            {move || match surprisal.get() {
                None => view! { <p class="muted">"Masking each word in turn…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(view)) => view! { <SurprisalStrip view=view /> }.into_any(),
            }}
            <Show when=has_mask>
                {move || guesses.get().and_then(Result::ok).and_then(|v| v.masks.into_iter().next()).map(|m| {
                    let rows: Vec<(String, f32)> = m.candidates.into_iter().map(|c| (c.piece, c.probability)).collect();
                    view! {
                        <table class="guesses compare-guesses">
                            <caption>"Its guesses at the [MASK]"</caption>
                            <tbody><ProbabilityRows rows=rows full_bar=1.0 code=true /></tbody>
                        </table>
                    }
                })}
                {move || attention.get().and_then(Result::ok).and_then(|v| mask_attention(&v)).map(|rows| view! {
                    <table class="guesses compare-attention">
                        <caption>"Where the [MASK] looks in the last layer (mean of the heads)"</caption>
                        <tbody><ProbabilityRows rows=rows full_bar=1.0 code=true /></tbody>
                    </table>
                })}
            </Show>
        </section>
    }
}

/// The last layer's attention from the first mask token to every token, averaged over heads.
fn mask_attention(view: &AttentionView) -> Option<Vec<(String, f32)>> {
    let n = view.pieces.len();
    let row = view
        .pieces
        .iter()
        .position(|p| p == "[MASK]" || p == "<mask>")?;
    let last = view.weights.last()?;
    let heads = last.len().max(1) as f32;
    Some(
        view.pieces
            .iter()
            .enumerate()
            .map(|(col, piece)| {
                let mean = last
                    .iter()
                    .map(|w| w.get(row * n + col).copied().unwrap_or(0.0))
                    .sum::<f32>()
                    / heads;
                (piece.clone(), mean)
            })
            .collect(),
    )
}

/// Each token with a bar as tall as its surprisal, and the sentence's pseudo-perplexity.
#[component]
fn SurprisalStrip(
    /// One model's surprisal of every token.
    view: SurprisalView,
) -> impl IntoView {
    let most = view
        .tokens
        .iter()
        .max_by(|a, b| a.surprisal_bits.total_cmp(&b.surprisal_bits))
        .map(|t| {
            format!(
                "Most surprising: '{}' ({:.1} bits; it expected '{}').",
                t.piece, t.surprisal_bits, t.best_guess
            )
        })
        .unwrap_or_default();
    let kept = view.tokens.len();
    let tokens = view
        .tokens
        .into_iter()
        .map(|t| {
            let height = (t.surprisal_bits / FULL_BAR_BITS).clamp(0.02, 1.0) * 100.0;
            let title = format!(
                "'{}': probability {:.2}% ({:.1} bits); the model's own guess there: '{}'",
                t.piece,
                t.probability * 100.0,
                t.surprisal_bits,
                t.best_guess
            );
            view! {
                <li class="surprise-token" title=title.clone() aria-label=title>
                    <span class="surprise-bar-box"><span class="surprise-bar" style=format!("height: {height:.0}%")></span></span>
                    <code>{t.piece}</code>
                    <span class="num">{format!("{:.1}", t.surprisal_bits)}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <p class="pppl">{format!("Pseudo-perplexity {:.1}", view.pseudo_perplexity)}</p>
        <ol class="surprise-strip" aria-label="Surprisal of each token in bits">{tokens}</ol>
        <p class="muted">{most}</p>
        <CutNote removed=view.removed kept=kept />
    }
}
