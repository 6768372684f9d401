//! "Classify my message": the encoder the latest fine-tuning run trained, or any model saved in
//! the browser, tried on any text the student types (two texts for a sentence-pair model), with
//! every label's probability.

use leptos::prelude::*;

use super::why_label::WhyThisLabel;
use super::ProbabilityRows;
use crate::client::{self, WorkerStatus};
use bertlab_protocol::messages::{Outcome, Reply, Request, TrainedModel};

/// What a classify request asked: the model, the message and, for a pair model, the second one.
#[derive(Clone)]
struct Asked {
    model: TrainedModel,
    text: String,
    pair: Option<String>,
}

/// A text box (two for a pair model) and the trained classifier's answer; shown once there is a
/// model to try.
#[component]
pub fn ClassifyBox(
    /// The worker's status (to send the request).
    status: RwSignal<WorkerStatus>,
    /// The model to try: the latest run that trained an encoder, or a saved model picked.
    model: RwSignal<Option<TrainedModel>>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let second = RwSignal::new(String::new());
    // Whether the model compares two texts (asked of the worker whenever the model changes).
    let pairs = RwSignal::new(false);
    let answer = RwSignal::new(None::<Result<Vec<(String, f32)>, String>>);
    // The latest request answered, for "Why this label?".
    let asked = RwSignal::new(None::<Asked>);
    Effect::new(move |_| {
        let Some(model) = model.get() else {
            return;
        };
        answer.set(None);
        let on_reply = move |reply| match reply {
            Reply::Done(Outcome::ClassifierReads { text_pairs }) => pairs.set(text_pairs),
            Reply::Failed { message } => answer.set(Some(Err(message))),
            _ => {}
        };
        if let Err(message) = client::run(status, Request::DescribeClassifier { model }, on_reply) {
            answer.set(Some(Err(message)));
        }
    });
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(model) = model.get_untracked() else {
            return;
        };
        answer.set(None);
        let request = Asked {
            model: model.clone(),
            text: text.get_untracked(),
            pair: pairs.get_untracked().then(|| second.get_untracked()),
        };
        asked.set(Some(request.clone()));
        let on_reply = move |reply| match reply {
            Reply::Done(Outcome::Classified { labels }) => answer.set(Some(Ok(labels))),
            Reply::Failed { message } => answer.set(Some(Err(message))),
            _ => {}
        };
        let request = Request::Classify {
            model,
            text: request.text,
            pair: request.pair,
        };
        if let Err(message) = client::run(status, request, on_reply) {
            answer.set(Some(Err(message)));
        }
    };
    let incomplete = move || {
        text.with(|t| t.trim().is_empty()) || (pairs.get() && second.with(|t| t.trim().is_empty()))
    };
    view! {
        <Show when=move || model.with(Option::is_some)>
            <section class="classify-box" aria-labelledby="classify-title">
                <h3 id="classify-title">"Classify my message"</h3>
                <p class="meta" id="classify-model">{move || {
                    let whose = match model.get() {
                        Some(TrainedModel::Saved(name)) => format!("your saved model {name}"),
                        _ => "the model you just trained".to_string(),
                    };
                    if pairs.get() {
                        format!("Type two messages and see whether {whose} thinks they ask for the same thing (it reads them as [CLS] first [SEP] second [SEP]).")
                    } else {
                        format!("Type a message of your own and see which label {whose} gives it.")
                    }
                }}</p>
                <form class="classify-form" on:submit=ask>
                    <label>"Message"
                        <input id="classify-text" type="text" autocomplete="off"
                            prop:value=move || text.get()
                            on:input=move |ev| text.set(event_target_value(&ev)) />
                    </label>
                    <Show when=move || pairs.get()>
                        <label>"Second message"
                            <input id="classify-pair" type="text" autocomplete="off"
                                prop:value=move || second.get()
                                on:input=move |ev| second.set(event_target_value(&ev)) />
                        </label>
                    </Show>
                    <button id="classify-run" type="submit" disabled=incomplete>"Classify"</button>
                </form>
                {move || answer.get().map(|a| match a {
                    Ok(labels) => {
                        let why = asked.get_untracked().map(|a| {
                            view! { <WhyThisLabel status=status model=a.model text=a.text pair=a.pair /> }
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
