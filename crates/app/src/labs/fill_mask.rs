//! Fill-mask lab: the model's guesses for every [MASK], with probability bars; click a word to mask
//! it; hide the left or the right context to see how much each side contributes.

use leptos::prelude::*;

use crate::lab_state::{mask_word, FillMaskState};
use crate::labs::{publish_answers, CutNote, ModelPicker, NumberField, ProbabilityRows, TextField};
use crate::prediction::Observation;
use crate::url_state::ControlPolicy;
use crate::worker_query::use_worker_answer;
use bertlab_protocol::messages::{Outcome, Request};
use bertlab_protocol::views::{ContextSide, FillMaskView, MaskPrediction};

const MASK: &str = "[MASK]";

#[component]
pub fn FillMaskWidget(
    /// The widget's state (the URL's on a lab page, a lesson step's otherwise).
    state: RwSignal<FillMaskState>,
    /// Which controls are hidden or locked.
    policy: ControlPolicy,
) -> impl IntoView {
    let result = use_worker_answer(
        move || {
            let s = state.get();
            Some(Request::FillMask {
                model: (!s.model.is_empty()).then_some(s.model),
                text: s.text,
                top_k: s.top_k.clamp(1, 20),
                side: s.side,
            })
        },
        |outcome| match outcome {
            Outcome::FilledMask(view) => Some(view),
            _ => None,
        },
    );
    publish_answers(move || {
        let view = result.get()?.ok()?;
        Some(Observation::Ranked {
            words: view
                .masks
                .into_iter()
                .next()
                .map(|m| {
                    m.candidates
                        .into_iter()
                        .map(|c| (c.piece, c.probability))
                        .collect()
                })
                .unwrap_or_default(),
            share: "probability",
        })
    });
    let hide_model = policy.hidden("model");
    let field = move |name: &'static str| (policy.hidden(name), policy.locked(name));
    let (hide_text, lock_text) = field("text");
    let (hide_side, lock_side) = field("side");
    let (hide_k, lock_k) = field("top_k");

    let side_button = move |side: ContextSide, id: &'static str, label: &'static str| {
        view! {
            <label class="choice">
                <input type="radio" name="fm-side" id=format!("fm-side-{id}") disabled=lock_side
                    prop:checked=move || state.with(|s| s.side == side)
                    on:change=move |_| state.update(|s| s.side = side) />
                {label}
            </label>
        }
    };

    view! {
        <div class="lab fill-mask-lab">
            <div class="controls">
                <TextField multiline=true id="fm-text" label="Text with [MASK] where the model should guess"
                    hidden=hide_text locked=lock_text
                    value=Signal::derive(move || state.with(|s| s.text.clone()))
                    on_input=move |v| state.update(|s| s.text = v) />
                <Show when=move || !hide_text>
                    <WordPicker state=state locked=lock_text />
                </Show>
                <Show when=move || !hide_side>
                    <fieldset class="segmented">
                        <legend>"Context the model may use"</legend>
                        {side_button(ContextSide::Both, "both", "Both sides")}
                        {side_button(ContextSide::LeftOnly, "left_only", "Left only")}
                        {side_button(ContextSide::RightOnly, "right_only", "Right only")}
                    </fieldset>
                </Show>
                <NumberField id="fm-k" label="Guesses shown" min=1 max=20 hidden=hide_k locked=lock_k
                    value=Signal::derive(move || state.with(|s| s.top_k as u64))
                    on_set=Callback::new(move |k| state.update(|s| s.top_k = k as usize)) />
                <Show when=move || !hide_model>
                    <ModelPicker id="fm-model" mlm_only=true
                        value=Signal::derive(move || state.with(|s| s.model.clone()))
                        on_pick=Callback::new(move |name| state.update(|s| s.model = name)) />
                </Show>
            </div>
            <div class="fm-result" aria-live="polite">
                {move || match result.get() {
                    None => view! { <p class="muted">"Asking the model…"</p> }.into_any(),
                    Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                    Some(Ok(view)) => view! { <Predictions view=view /> }.into_any(),
                }}
            </div>
        </div>
    }
}

/// Words offered as buttons: a pasted page would otherwise become thousands of buttons, redrawn
/// at every keystroke.
const WORD_BUTTONS: usize = 100;

/// The sentence's first words as buttons: clicking one replaces it with [MASK].
#[component]
fn WordPicker(state: RwSignal<FillMaskState>, locked: bool) -> impl IntoView {
    let more = move || {
        state.with(|s| {
            s.text
                .split_whitespace()
                .count()
                .saturating_sub(WORD_BUTTONS)
        })
    };
    view! {
        <div class="word-picker" aria-label="Click a word to mask it">
            <span class="meta">"Mask a word: "</span>
            {move || state.with(|s| s.text.split_whitespace().take(WORD_BUTTONS).map(str::to_string).collect::<Vec<_>>())
                .into_iter()
                .enumerate()
                .map(|(i, word)| {
                    let masked = word.contains(MASK);
                    view! {
                        <button class="word" class:masked=masked disabled=locked || masked
                            on:click=move |_| state.update(|s| s.text = mask_word(&s.text, i))>{word}</button>
                    }
                })
                .collect_view()}
            {move || (more() > 0).then(|| view! { <span class="meta">{format!("… and {} more words", more())}</span> })}
        </div>
    }
}

/// The tokens the model saw (hidden ones struck through) and the guesses at each mask.
#[component]
fn Predictions(
    /// The worker's answer.
    view: FillMaskView,
) -> impl IntoView {
    let masks = view.masks.len();
    view! {
        <CutNote removed=view.removed kept=view.pieces.len() />
        <ol class="tokens compact" aria-label="What the model sees">
            {view.pieces.iter().zip(&view.hidden).map(|(piece, hidden)| view! {
                <li class="tok" class:hidden-token=*hidden class:mask=piece == MASK>
                    <span class="piece">{piece.clone()}</span>
                </li>
            }).collect_view()}
        </ol>
        <div class="mask-columns">
            {view.masks.into_iter().enumerate().map(|(i, m)| view! {
                <MaskGuesses prediction=m number=(masks > 1).then_some(i + 1) />
            }).collect_view()}
        </div>
    }
}

/// Candidates for one [MASK] with probability bars.
#[component]
fn MaskGuesses(
    /// The predictions at one mask.
    prediction: MaskPrediction,
    /// Which mask this is, when there are several.
    number: Option<usize>,
) -> impl IntoView {
    let title = number.map_or("Guesses".to_string(), |n| format!("Guesses for mask {n}"));
    // Bars are scaled to the best guess so small probabilities stay visible; the numbers are absolute.
    let top = prediction.candidates.first().map_or(1.0, |c| c.probability);
    let rows = prediction
        .candidates
        .into_iter()
        .map(|c| (c.piece, c.probability))
        .collect();
    view! {
        <table class="guesses">
            <caption>{title}<span class="meta block">"bar length relative to the top guess"</span></caption>
            <tbody><ProbabilityRows rows=rows full_bar=top code=true /></tbody>
        </table>
    }
}
