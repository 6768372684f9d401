//! "Classify my message": the encoder the latest fine-tuning run trained, or any model saved in
//! the browser, tried on any text the student types, with every label's probability.

use leptos::prelude::*;

use super::why_label::WhyThisLabel;
use super::ProbabilityRows;
use crate::client::{self, WorkerStatus};
use bertlab_protocol::messages::{Outcome, Reply, Request, TrainedModel};

/// A text box and the trained classifier's answer for it; shown once there is a model to try.
#[component]
pub fn ClassifyBox(
    /// The worker's status (to send the request).
    status: RwSignal<WorkerStatus>,
    /// The model to try: the latest run that trained an encoder, or a saved model picked.
    model: RwSignal<Option<TrainedModel>>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let answer = RwSignal::new(None::<Result<Vec<(String, f32)>, String>>);
    // The model and text of the latest answer, for "Why this label?".
    let asked = RwSignal::new(None::<(TrainedModel, String)>);
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(model) = model.get_untracked() else {
            return;
        };
        answer.set(None);
        asked.set(Some((model.clone(), text.get_untracked())));
        let on_reply = move |reply| match reply {
            Reply::Done(Outcome::Classified { labels }) => answer.set(Some(Ok(labels))),
            Reply::Failed { message } => answer.set(Some(Err(message))),
            _ => {}
        };
        let request = Request::Classify {
            model,
            text: text.get_untracked(),
        };
        if let Err(message) = client::run(status, request, on_reply) {
            answer.set(Some(Err(message)));
        }
    };
    view! {
        <Show when=move || model.with(Option::is_some)>
            <section class="classify-box" aria-labelledby="classify-title">
                <h3 id="classify-title">"Classify my message"</h3>
                <p class="meta" id="classify-model">{move || match model.get() {
                    Some(TrainedModel::Saved(name)) => format!("Type a message of your own and see which label your saved model {name} gives it."),
                    _ => "Type a message of your own and see which label the model you just trained gives it.".to_string(),
                }}</p>
                <form class="classify-form" on:submit=ask>
                    <label>"Message"
                        <input id="classify-text" type="text" autocomplete="off"
                            prop:value=move || text.get()
                            on:input=move |ev| text.set(event_target_value(&ev)) />
                    </label>
                    <button id="classify-run" type="submit" disabled=move || text.with(|t| t.trim().is_empty())>"Classify"</button>
                </form>
                {move || answer.get().map(|a| match a {
                    Ok(labels) => {
                        let why = asked.get_untracked().map(|(model, text)| {
                            view! { <WhyThisLabel status=status model=model text=text /> }
                        });
                        view! { <LabelTable labels=labels />{why} }.into_any()
                    }
                    Err(message) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                })}
            </section>
        </Show>
    }
}

/// Every label with a probability bar, most likely first.
#[component]
fn LabelTable(
    /// (label, probability), most likely first.
    labels: Vec<(String, f32)>,
) -> impl IntoView {
    view! {
        <table class="guesses" id="classify-labels">
            <caption>"The model's answer"</caption>
            <tbody><ProbabilityRows rows=labels full_bar=1.0 /></tbody>
        </table>
    }
}
