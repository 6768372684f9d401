//! "Why this label?": the classifier's choice attributed to the message's tokens, as two strips
//! (integrated gradients, then gradient × input) with the completeness check spelled out.

use leptos::prelude::*;

use crate::client::{self, WorkerStatus};
use bertlab_protocol::messages::{Outcome, Reply, Request, TrainedModel};
use bertlab_protocol::views::{AttributedPiece, AttributionView};

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
    let check = format!(
        "Integrated gradients, {} steps from a baseline where every word is padding: the shares add up to {total:+.3}, and the logit of {} moved {:+.3} from the baseline to your message ({:.1}% apart).",
        view.steps,
        view.label,
        view.logit_change,
        view.completeness_gap * 100.0
    );
    view! {
        <p id="why-label-check" class="meta">{check}</p>
        <Strip caption="Integrated gradients" pieces=view.pieces.clone() value=|p| p.integrated />
        <Strip caption="Gradient × input" pieces=view.pieces value=|p| p.gradient_x_input />
        <p class="muted">{format!(
            "Warm tints pushed the logit of {} up, cool tints pushed it down; the stronger the tint, the larger the share.",
            view.label
        )}</p>
    }
}

/// One value per token as a tinted strip, scaled to the largest magnitude.
#[component]
fn Strip(
    /// What the values are.
    caption: &'static str,
    /// The tokens, markers included.
    pieces: Vec<AttributedPiece>,
    /// The value of a token to show.
    value: fn(&AttributedPiece) -> f32,
) -> impl IntoView {
    let largest = pieces
        .iter()
        .map(|p| value(p).abs())
        .fold(f32::MIN_POSITIVE, f32::max);
    let tokens = pieces
        .iter()
        .map(|p| {
            let v = value(p);
            let side = if v >= 0.0 { "push" } else { "pull" };
            let tint = format!(
                "background: color-mix(in srgb, var(--{side}) {:.0}%, transparent)",
                (v.abs() / largest * 60.0).clamp(0.0, 60.0)
            );
            let title = format!("'{}': {v:+.3}", p.piece);
            view! {
                <li class="attribution-token" style=tint title=title.clone() aria-label=title>
                    <code>{p.piece.clone()}</code>
                    <span class="num">{format!("{v:+.2}")}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <figure class="attribution">
            <figcaption>{caption}</figcaption>
            <ol class="attribution-strip">{tokens}</ol>
        </figure>
    }
}
