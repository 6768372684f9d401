//! "Why this label?": the classifier's choice attributed to the message's tokens, as two strips
//! (integrated gradients, then gradient × input) with the completeness check spelled out.

use leptos::prelude::*;

use super::token_strip::TokenStrip;
use crate::client::{self, WorkerStatus};
use bertlab_protocol::messages::{Outcome, Reply, Request, TrainedModel};
use bertlab_protocol::views::AttributionView;

/// A button that asks the worker why `model` labels `text` as it does, and the answer.
#[component]
pub fn WhyThisLabel(
    /// The worker's status (to send the request).
    status: RwSignal<WorkerStatus>,
    /// The classifier that labelled the message.
    model: TrainedModel,
    /// The message it labelled.
    text: String,
    /// The second message, for a pair classifier.
    pair: Option<String>,
) -> impl IntoView {
    let answer = RwSignal::new(None::<Result<AttributionView, String>>);
    let busy = RwSignal::new(false);
    let ask = move |_| {
        busy.set(true);
        answer.set(None);
        let on_reply = move |reply| match reply {
            Reply::Done(Outcome::Explained(view)) => {
                busy.set(false);
                answer.set(Some(Ok(view)));
            }
            Reply::Failed { message } => {
                busy.set(false);
                answer.set(Some(Err(message)));
            }
            _ => {}
        };
        let request = Request::Explain {
            model: model.clone(),
            text: text.clone(),
            pair: pair.clone(),
        };
        if let Err(message) = client::run(status, request, on_reply) {
            busy.set(false);
            answer.set(Some(Err(message)));
        }
    };
    view! {
        <div class="why-label">
            <button id="why-label-run" type="button" on:click=ask disabled=move || busy.get()>
                {move || if busy.get() { "Working out why…" } else { "Why this label?" }}
            </button>
            {move || answer.get().map(|a| match a {
                Ok(view) => view! { <Attribution view=view /> }.into_any(),
                Err(message) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
            })}
        </div>
    }
}

/// The two strips and what they mean.
#[component]
fn Attribution(
    /// The worker's attribution of one label to the message's tokens.
    view: AttributionView,
) -> impl IntoView {
    let total: f32 = view.pieces.iter().map(|p| p.integrated).sum();
    let pieces: Vec<String> = view.pieces.iter().map(|p| p.piece.clone()).collect();
    let check = format!(
        "Integrated gradients, {} steps from a baseline where every word is padding: the shares add up to {total:+.3}, and the logit of {} moved {:+.3} from the baseline to your message ({:.1}% apart).",
        view.steps,
        view.label,
        view.logit_change,
        view.completeness_gap * 100.0
    );
    view! {
        <p id="why-label-check" class="meta">{check}</p>
        <TokenStrip caption="Integrated gradients".to_string() pieces=pieces.clone()
            values=view.pieces.iter().map(|p| p.integrated).collect() show=signed />
        <TokenStrip caption="Gradient × input".to_string() pieces=pieces
            values=view.pieces.iter().map(|p| p.gradient_x_input).collect() show=signed />
        <p class="muted">{format!(
            "Warm tints pushed the logit of {} up, cool tints pushed it down; the stronger the tint, the larger the share.",
            view.label
        )}</p>
    }
}

fn signed(v: f32) -> String {
    format!("{v:+.2}")
}
