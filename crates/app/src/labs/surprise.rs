//! Surprise lab: each word of a sentence masked in turn and the model asked for it back. A bar per
//! token shows its surprisal in bits, the pseudo-perplexity sums the sentence up, and a second
//! model can be shown beside the first (the default model against a tiny one trained on little
//! text, or a model before and after fine-tuning).

use leptos::prelude::*;

use crate::lab_state::SurpriseState;
use crate::labs::ModelPicker;
use crate::url_state::ControlPolicy;
use crate::worker_query::use_worker_answer;
use bertlab_protocol::messages::{Outcome, Request};
use bertlab_protocol::model_key::ModelKey;
use bertlab_protocol::views::SurprisalView;

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
    let ask = move |model: String| {
        let text = state.with(|s| s.text.clone());
        Some(Request::Surprisal {
            model: (!model.is_empty()).then_some(model),
            text,
        })
    };
    let pick = |outcome| match outcome {
        Outcome::Surprisal(view) => Some(view),
        _ => None,
    };
    let first = use_worker_answer(move || ask(state.with(|s| s.model.clone())), pick);
    let second = use_worker_answer(
        move || {
            let (compare, other) = state.with(|s| (s.compare, s.other.clone()));
            compare.then(|| ask(other)).flatten()
        },
        pick,
    );
    let (hide_model, hide_other) = (policy.hidden("model"), policy.hidden("other"));
    let field = move |name: &'static str| (policy.hidden(name), policy.locked(name));
    let (hide_text, lock_text) = field("text");
    let (hide_compare, lock_compare) = field("compare");
    let column = move |which: Signal<String>,
                       answer: crate::worker_query::Answer<SurprisalView>| {
        view! {
            <section class="surprise-model" aria-live="polite">
                <h3>{move || label(&which.get())}</h3>
                {move || match answer.get() {
                    None => view! { <p class="muted">"Masking each word in turn…"</p> }.into_any(),
                    Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                    Some(Ok(view)) => view! { <SurprisalStrip view=view /> }.into_any(),
                }}
            </section>
        }
    };
    let model = Signal::derive(move || state.with(|s| s.model.clone()));
    let other = Signal::derive(move || state.with(|s| s.other.clone()));
    view! {
        <div class="lab surprise-lab">
            <div class="controls">
                <Show when=move || !hide_text>
                    <label>"A sentence"
                        <textarea id="sp-text" rows="2" disabled=lock_text
                            prop:value=move || state.with(|s| s.text.clone())
                            on:input=move |ev| state.update(|s| s.text = event_target_value(&ev))></textarea>
                    </label>
                </Show>
                <Show when=move || !hide_model>
                    <ModelPicker id="sp-model" mlm_only=true value=model
                        on_pick=Callback::new(move |name| state.update(|s| s.model = name)) />
                </Show>
                <Show when=move || !hide_compare>
                    <label class="choice">
                        <input type="checkbox" id="sp-compare" disabled=lock_compare
                            prop:checked=move || state.with(|s| s.compare)
                            on:change=move |ev| state.update(|s| s.compare = event_target_checked(&ev)) />
                        "Compare with a second model"
                    </label>
                </Show>
                <Show when=move || !hide_other && state.with(|s| s.compare)>
                    <ModelPicker id="sp-other" mlm_only=true pick_only=true value=other
                        on_pick=Callback::new(move |name| state.update(|s| s.other = name)) />
                </Show>
            </div>
            <div class="surprise-models">
                {column(model, first)}
                <Show when=move || state.with(|s| s.compare)>{column(other, second)}</Show>
            </div>
        </div>
    }
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
        {(view.removed > 0).then(|| view! {
            <p class="muted">{format!("{} tokens past the limit were left out.", view.removed)}</p>
        })}
    }
}
