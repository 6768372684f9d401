//! Logit-lens lab: the masked-LM head applied to the hidden state at the [MASK] after the
//! embeddings and after every layer, so the student sees at which depth the answer appears.

use leptos::prelude::*;

use crate::lab_state::LogitLensState;
use crate::labs::{publish_answers, ModelPicker, NumberField, TextField};
use crate::prediction::Observation;
use crate::url_state::ControlPolicy;
use crate::worker_query::use_worker_answer;
use bertlab_protocol::messages::{Outcome, Request};
use bertlab_protocol::views::LogitLensView;

#[component]
pub fn LogitLensWidget(
    /// The widget's state (the URL's on a lab page, a lesson step's otherwise).
    state: RwSignal<LogitLensState>,
    /// Which controls are hidden or locked.
    policy: ControlPolicy,
) -> impl IntoView {
    let result = use_worker_answer(
        move || {
            let s = state.get();
            Some(Request::LogitLens {
                model: (!s.model.is_empty()).then_some(s.model),
                text: s.text,
                top_k: s.top_k.clamp(1, 10),
            })
        },
        |outcome| match outcome {
            Outcome::LogitLens(view) => Some(view),
            _ => None,
        },
    );
    // The last layer's ranking is the model's answer, as in the fill-mask lab.
    publish_answers(move || {
        let view = result.get()?.ok()?;
        let last = view.layers.last()?;
        Some(Observation::Ranked {
            words: last
                .candidates
                .iter()
                .map(|c| (c.piece.clone(), c.probability))
                .collect(),
            share: "probability",
        })
    });
    let hide_model = policy.hidden("model");
    let field = move |name: &'static str| (policy.hidden(name), policy.locked(name));
    let (hide_text, lock_text) = field("text");
    let (hide_k, lock_k) = field("top_k");
    view! {
        <div class="lab logit-lens-lab">
            <div class="controls">
                <TextField multiline=true id="ll-text" label="Text with a [MASK] (the first one is read)"
                    hidden=hide_text locked=lock_text
                    value=Signal::derive(move || state.with(|s| s.text.clone()))
                    on_input=move |v| state.update(|s| s.text = v) />
                <NumberField id="ll-k" label="Guesses per layer" min=1 max=10 hidden=hide_k locked=lock_k
                    value=Signal::derive(move || state.with(|s| s.top_k as u64))
                    on_set=Callback::new(move |k| state.update(|s| s.top_k = k as usize)) />
                <Show when=move || !hide_model>
                    <ModelPicker id="ll-model" mlm_only=true
                        value=Signal::derive(move || state.with(|s| s.model.clone()))
                        on_pick=Callback::new(move |name| state.update(|s| s.model = name)) />
                </Show>
            </div>
            <div aria-live="polite">
                {move || match result.get() {
                    None => view! { <p class="muted">"Reading every layer…"</p> }.into_any(),
                    Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                    Some(Ok(view)) => view! { <LensTable view=view /> }.into_any(),
                }}
            </div>
        </div>
    }
}

/// One row per layer: its best guesses, and how likely it finds the last layer's answer.
#[component]
fn LensTable(
    /// The lens at one [MASK].
    view: LogitLensView,
) -> impl IntoView {
    let answer = view
        .layers
        .last()
        .and_then(|l| l.candidates.first())
        .map(|c| c.piece.clone())
        .unwrap_or_default();
    let rows = view
        .layers
        .into_iter()
        .map(|layer| {
            let name = if layer.layer == 0 {
                "embeddings".to_string()
            } else {
                format!("layer {}", layer.layer)
            };
            let guesses = layer
                .candidates
                .iter()
                .map(|c| format!("{} {:.1}%", c.piece, c.probability * 100.0))
                .collect::<Vec<_>>()
                .join(" · ");
            let p = layer.final_guess_probability;
            view! {
                <tr>
                    <th scope="row">{name}</th>
                    <td><code>{guesses}</code></td>
                    <td class="bar-cell"><span class="bar" style=format!("width: {:.1}%", (p * 100.0).clamp(0.0, 100.0))></span></td>
                    <td class="num">{format!("{:.1}%", p * 100.0)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="lens">
            <caption>{format!("What the head reads at the [MASK], layer by layer; the last column is the chance each layer gives the final answer '{answer}'")}</caption>
            <thead><tr><th scope="col">"After"</th><th scope="col">"Best guesses"</th><th scope="col" colspan="2">{format!("'{answer}'")}</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
