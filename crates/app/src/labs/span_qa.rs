//! Span-QA lab: fine-tune a span head that answers questions over the support messages ("Which
//! order is this about?"; some messages do not say, and the answer is then `[CLS]`), compare each
//! run's exact match and F1 with the word-lookup baseline, then ask any of the questions of any
//! text: the start and end probabilities of every token drawn as two strips, the answer's span
//! outlined.

use leptos::prelude::*;

use super::job_status::JobStatus;
use super::token_strip::TokenStrip;
use super::transfer_table;
use crate::client;
use crate::lab_state::QaState;
use crate::labs::{publish_answers, NumberField, SelectField, TextField};
use crate::prediction::{shown_percent, Observation};
use crate::url_state::ControlPolicy;
use crate::worker_query::{start_job, use_worker_answer};
use bertlab_protocol::messages::{JobId, Outcome, Progress, Request};
use bertlab_protocol::span_qa::{AnsweredQuestion, QaReport, QaRequest, QUESTIONS};
use bertlab_protocol::training::{Regime, TransferCell};

/// Training sizes the lab offers (questions over the 780 training messages).
const SIZES: [usize; 3] = [300, 600, 1289];

#[component]
pub fn SpanQaWidget(
    /// The widget's state (the URL's on a lab page, a lesson step's otherwise).
    state: RwSignal<QaState>,
    /// Which controls are hidden or locked.
    policy: ControlPolicy,
) -> impl IntoView {
    let job = RwSignal::new(None::<JobId>);
    let message = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<Progress>);
    let runs = RwSignal::new(Vec::<QaReport>::new());
    let train = move |_| {
        let s = state.get_untracked();
        progress.set(None);
        message.set("Loading the model and the questions…".to_string());
        start_job(
            Request::TrainQa(QaRequest {
                model: None,
                regime: s.regime,
                train_questions: s.questions,
                epochs: s.epochs,
                seed: 42,
            }),
            job,
            message,
            move |p| progress.set(Some(p)),
            move |outcome| match outcome {
                Outcome::QaTrained(report) => {
                    transfer_table::record(&TransferCell::run_and_baseline(
                        "span QA (F1)",
                        report.regime,
                        report.f1,
                        report.baseline_f1,
                        report.train_questions,
                    ));
                    runs.update(|r| r.push(report));
                    Some(String::new())
                }
                _ => None,
            },
        );
    };
    let cancel = move |_| {
        if let Some(running) = job.get_untracked() {
            client::cancel(running);
        }
    };
    // Asks again whenever the question, the text or the trained head changes.
    let answered = use_worker_answer(
        move || {
            let trained = runs.with(|r| r.len());
            (trained > 0).then(|| {
                state.with(|s| Request::Answer {
                    question: QUESTIONS[s.question.min(QUESTIONS.len() - 1)].to_string(),
                    text: s.text.clone(),
                })
            })
        },
        |outcome| match outcome {
            Outcome::Answered(answer) => Some(answer),
            _ => None,
        },
    );
    let (lock_regime, lock_questions, lock_epochs, lock_question, lock_text) = (
        policy.locked("regime"),
        policy.locked("questions"),
        policy.locked("epochs"),
        policy.locked("question"),
        policy.locked("text"),
    );
    publish_answers(move || {
        let f1 = runs.with(|r| r.last().map(|r| r.f1))?;
        Some(Observation::Count {
            value: shown_percent(f64::from(f1)),
            what: "percent F1 on the held-out questions",
        })
    });
    view! {
        <div class="lab qa-lab">
            <div class="controls">
                <SelectField id="qa-regime" label="Approach" locked=lock_regime
                    options=Regime::ALL.into_iter().map(|r| (r, r.describe().to_string())).collect()
                    value=Signal::derive(move || state.with(|s| s.regime))
                    on_pick=Callback::new(move |r| state.update(|s| s.regime = r)) />
                <SelectField id="qa-questions" label="Training questions" locked=lock_questions
                    options=SIZES.into_iter().map(|n| (n, n.to_string())).collect()
                    value=Signal::derive(move || state.with(|s| s.questions))
                    on_pick=Callback::new(move |n| state.update(|s| s.questions = n)) />
                <NumberField id="qa-epochs" label="Epochs" min=1 max=50 locked=lock_epochs
                    value=Signal::derive(move || state.with(|s| s.epochs as u64))
                    on_set=Callback::new(move |n| state.update(|s| s.epochs = n as usize)) />
                <button id="qa-train" class="primary" disabled=move || job.get().is_some() on:click=train>"Train the span head"</button>
                <button id="qa-cancel" disabled=move || job.get().is_none() on:click=cancel>"Cancel"</button>
            </div>
            <p class="meta">"Data: four questions asked of the support messages (what product, which order, when, how much), answered by a span the project marked in the message, or by nothing when the message does not say. 1,289 questions to train on, 455 held out (228 of them unanswerable)."</p>
            <JobStatus job=job progress=progress message=message bar_id="qa-progress" />
            <Runs runs=runs />
            {move || (!runs.with(Vec::is_empty)).then(|| view! {
                <SelectField id="qa-question" label="Question" locked=lock_question
                    options=QUESTIONS.iter().enumerate().map(|(i, q)| (i, q.to_string())).collect()
                    value=Signal::derive(move || state.with(|s| s.question))
                    on_pick=Callback::new(move |i| state.update(|s| s.question = i)) />
                <TextField id="qa-text" label="Message" hidden=false locked=lock_text
                    value=Signal::derive(move || state.with(|s| s.text.clone()))
                    on_input=move |t| state.update(|s| s.text = t) />
                {move || match answered.get() {
                    None => view! { <p class="meta">"Reading…"</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                    Some(Ok(answer)) => view! { <AnswerStrips answer=answer /> }.into_any(),
                }}
            })}
        </div>
    }
}

/// One row per finished run: how it trained and how it did against the baseline.
#[component]
fn Runs(
    /// This visit's runs, oldest first.
    runs: RwSignal<Vec<QaReport>>,
) -> impl IntoView {
    let percent = |v: f32| format!("{:.1}%", v * 100.0);
    move || {
        (!runs.with(Vec::is_empty)).then(|| view! {
            <table class="qa-runs">
                <caption>"Held-out questions: exact match and word-overlap F1, SQuAD 2.0 style (the latest span head answers below)"</caption>
                <thead><tr>
                    <th scope="col">"approach"</th><th scope="col">"questions"</th><th scope="col">"updates"</th>
                    <th scope="col">"exact match"</th><th scope="col">"F1"</th>
                    <th scope="col">"baseline EM"</th><th scope="col">"baseline F1"</th><th scope="col">"time"</th>
                </tr></thead>
                <tbody>
                    {runs.get().into_iter().map(|r| view! {
                        <tr>
                            <td>{r.regime.describe()}</td><td>{r.train_questions}</td><td>{r.updates}</td>
                            <td class="qa-em">{percent(r.exact_match)}</td><td>{percent(r.f1)}</td>
                            <td>{percent(r.baseline_exact_match)}</td><td>{percent(r.baseline_f1)}</td>
                            <td>{format!("{:.0} s", r.seconds)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted">"The baseline reads no encoder: for each question it answers with the longest run of words that were inside that question's answers more often than not in training, or with nothing."</p>
        })
    }
}

/// The answer, then where the head would start and end it: each token's probability under a
/// softmax over the message's tokens and `[CLS]` (the only places an answer may start or end).
#[component]
fn AnswerStrips(
    /// The worker's answer with every token's logits.
    answer: AnsweredQuestion,
) -> impl IntoView {
    let allowed: Vec<bool> = answer
        .in_message
        .iter()
        .enumerate()
        .map(|(i, inside)| *inside || i == 0)
        .collect();
    let marked: Vec<bool> = (0..answer.pieces.len())
        .map(|i| match answer.span {
            Some((s, e)) => (s..=e).contains(&i),
            None => i == 0,
        })
        .collect();
    let said = if answer.text.is_empty() {
        "No answer: [CLS]'s start and end outscore every span of the message.".to_string()
    } else {
        format!("Answer: “{}”", answer.text)
    };
    view! {
        <p id="qa-answer" class="qa-answer">{said}</p>
        <TokenStrip caption="Where the answer starts".to_string() pieces=answer.pieces.clone()
            values=softmax_over(&answer.start_logits, &allowed) show=percent marked=marked.clone() />
        <TokenStrip caption="Where the answer ends".to_string() pieces=answer.pieces
            values=softmax_over(&answer.end_logits, &allowed) show=percent marked=marked />
        <p class="muted">"The head gives every token a start score and an end score; the answer is the span with the best start + end (at most 16 tokens, start before end), unless [CLS]'s pair is better. The outlined tokens are what it chose."</p>
    }
}

/// Softmax of `logits` over the `allowed` positions; 0 elsewhere.
fn softmax_over(logits: &[f32], allowed: &[bool]) -> Vec<f32> {
    let top = logits
        .iter()
        .zip(allowed)
        .filter(|(_, a)| **a)
        .map(|(l, _)| *l)
        .fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits
        .iter()
        .zip(allowed)
        .map(|(l, a)| if *a { (l - top).exp() } else { 0.0 })
        .collect();
    let total: f32 = exp.iter().sum::<f32>().max(f32::MIN_POSITIVE);
    exp.into_iter().map(|e| e / total).collect()
}

fn percent(p: f32) -> String {
    format!("{:.0}%", p * 100.0)
}
