//! A lesson step's "your guess first" box: the student commits to a guess, then the step's widget
//! appears and the guess is scored against the widget's first answer (see `prediction`).

use leptos::prelude::*;

use super::labs::Observed;
use super::prediction::{verdict, Guess, Observation, Predict};

/// Hides `children` (the step's widget) until the student has locked in a guess, then scores it.
#[component]
pub fn PredictThenReveal(
    /// The question and the kind of guess.
    predict: Predict,
    /// The widget that reveals the answer.
    children: ChildrenFn,
) -> impl IntoView {
    let observed = RwSignal::new(None::<Observation>);
    provide_context(Observed(observed));
    let draft = RwSignal::new(String::new());
    let committed = RwSignal::new(None::<String>);
    // Scored once, on the widget's first answer: later edits in the widget do not rescore.
    let judged = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| {
        if judged.with_untracked(Option::is_some) {
            return;
        }
        if let (Some(guess), Some(seen)) = (committed.get(), observed.get()) {
            judged.set(Some(verdict(&guess, &seen, predict.about)));
        }
    });
    let commit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let guess = draft.get_untracked().trim().to_string();
        if !guess.is_empty() {
            committed.set(Some(guess));
        }
    };
    let hint = match predict.guess {
        Guess::Word => "a word",
        Guess::Number => "a whole number",
    };
    view! {
        <section class="predict" aria-labelledby="predict-title">
            <h3 id="predict-title">"Your guess first"</h3>
            <p>{predict.question}</p>
            <form class="predict-form" on:submit=commit>
                <label>{format!("Your guess ({hint})")}
                    <input id="predict-guess" type="text" autocomplete="off"
                        inputmode=(predict.guess == Guess::Number).then_some("numeric")
                        disabled=move || committed.get().is_some()
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev)) />
                </label>
                <button id="predict-commit" type="submit"
                    disabled=move || committed.get().is_some() || draft.get().trim().is_empty()>
                    "Lock in my guess and show the answer"
                </button>
            </form>
            <p id="predict-result" class="predict-result" role="status"
                class:error=move || matches!(judged.get(), Some(Err(_)))>
                {move || match (committed.get(), judged.get()) {
                    (None, _) => "The widget appears once you have locked in a guess.".to_string(),
                    (Some(_), None) => "Waiting for the widget's answer (a lab with a run button answers once you run it)…".to_string(),
                    (Some(_), Some(Ok(sentence))) => sentence,
                    (Some(_), Some(Err(message))) => message,
                }}
            </p>
        </section>
        <Show when=move || committed.get().is_some()>{children()}</Show>
    }
}
