//! Tagging lab: fine-tune a token head for part of speech on Brown Corpus sentences or for entities
//! (BIO tags) in support messages (frozen, full or from random weights; a word's tag on its first
//! word piece or on every piece), compare each run with the lookup table that reads no encoder
//! (entity F1 as well for entities), then tag any text: every word coloured by its predicted tag,
//! with the word pieces it was cut into and the one whose prediction counts.

use leptos::prelude::*;

use super::job_status::JobStatus;
use super::transfer_table;
use crate::charts::{category_css, category_text_css};
use crate::client;
use crate::lab_state::TaggingState;
use crate::labs::{publish_answers, NumberField, SelectField, TextField};
use crate::prediction::{shown_percent, Observation};
use crate::url_state::ControlPolicy;
use crate::worker_query::{start_job, use_worker_answer};
use bertlab_protocol::messages::{JobId, Outcome, Progress, Request};
use bertlab_protocol::tagging::{
    EntityF1, TagTask, TaggedWord, TaggerReport, TaggerRequest, ENTITY_LABELS, UNIVERSAL_TAGS,
};
use bertlab_protocol::training::{PieceLabels, Regime, TransferCell};

/// What the data is, under the controls.
fn data_note(task: TagTask) -> &'static str {
    match task {
        TagTask::PartOfSpeech => "Data: 800 Brown Corpus sentences to train on and 200 held out, each word tagged with one of 12 universal parts of speech.",
        TagTask::Entities => "Data: 780 support messages to train on and 260 held out, with every product, order number, date and amount marked; each word is tagged B- (begins an entity), I- (inside one) or O (outside).",
    }
}

/// A tag's colour slot: its part of speech, or its entity type for B- and I- tags (O: none).
fn colour_slot(tag: &str) -> Option<usize> {
    UNIVERSAL_TAGS.iter().position(|t| *t == tag).or_else(|| {
        let label = tag.strip_prefix("B-").or_else(|| tag.strip_prefix("I-"))?;
        ENTITY_LABELS.iter().position(|l| *l == label)
    })
}

#[component]
pub fn TaggingWidget(
    /// The widget's state (the URL's on a lab page, a lesson step's otherwise).
    state: RwSignal<TaggingState>,
    /// Which controls are hidden or locked.
    policy: ControlPolicy,
) -> impl IntoView {
    // A link that names only the task gets that task's example text, not another task's.
    if state.with_untracked(|s| {
        s.text != TaggingState::example_text(s.task)
            && TagTask::ALL
                .iter()
                .any(|t| s.text == TaggingState::example_text(*t))
    }) {
        state.update(|s| s.text = TaggingState::example_text(s.task).to_string());
    }
    let job = RwSignal::new(None::<JobId>);
    let message = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<Progress>);
    let runs = RwSignal::new(Vec::<TaggerReport>::new());
    let train = move |_| {
        let s = state.get_untracked();
        progress.set(None);
        message.set("Loading the model and the sentences…".to_string());
        start_job(
            Request::TrainTagger(TaggerRequest {
                model: None,
                task: s.task,
                regime: s.regime,
                pieces: s.pieces,
                train_sentences: s.sentences,
                epochs: s.epochs,
                seed: 42,
            }),
            job,
            message,
            move |p| progress.set(Some(p)),
            move |outcome| match outcome {
                Outcome::TaggerTrained(report) => {
                    transfer_table::record(&transfer_cells(&report));
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
    // Re-tags whenever the text changes or a new run finishes.
    let tagged = use_worker_answer(
        move || {
            let trained = runs.with(|r| r.len());
            (trained > 0).then(|| Request::Tag {
                text: state.with(|s| s.text.clone()),
            })
        },
        |outcome| match outcome {
            Outcome::Tagged(words) => Some(words),
            _ => None,
        },
    );
    let (lock_task, lock_regime, lock_pieces, lock_sentences, lock_epochs, lock_text) = (
        policy.locked("task"),
        policy.locked("regime"),
        policy.locked("pieces"),
        policy.locked("sentences"),
        policy.locked("epochs"),
        policy.locked("text"),
    );
    publish_answers(move || {
        let accuracy = runs.with(|r| r.last().map(|r| r.accuracy))?;
        Some(Observation::Count {
            value: shown_percent(f64::from(accuracy)),
            what: "percent of the held-out words tagged right",
        })
    });
    view! {
        <div class="lab tagging-lab">
            <div class="controls">
                <SelectField id="tag-task" label="Task" locked=lock_task
                    options=TagTask::ALL.into_iter().map(|t| (t, t.describe().to_string())).collect()
                    value=Signal::derive(move || state.with(|s| s.task))
                    on_pick=Callback::new(move |t| state.update(|s| s.pick_task(t))) />
                <SelectField id="tag-regime" label="Approach" locked=lock_regime
                    options=Regime::ALL.into_iter().map(|r| (r, r.describe().to_string())).collect()
                    value=Signal::derive(move || state.with(|s| s.regime))
                    on_pick=Callback::new(move |r| state.update(|s| s.regime = r)) />
                <SelectField id="tag-pieces" label="Tag on" locked=lock_pieces
                    options=PieceLabels::ALL.into_iter().map(|p| (p, p.describe().to_string())).collect()
                    value=Signal::derive(move || state.with(|s| s.pieces))
                    on_pick=Callback::new(move |p| state.update(|s| s.pieces = p)) />
                // Rebuilt when the task changes: each task offers its own largest size.
                {move || view! {
                    <SelectField id="tag-sentences" label="Training examples" locked=lock_sentences
                        options=TaggingState::sizes(state.with(|s| s.task)).into_iter().map(|n| (n, n.to_string())).collect()
                        value=Signal::derive(move || state.with(|s| s.sentences))
                        on_pick=Callback::new(move |n| state.update(|s| s.sentences = n)) />
                }}
                <NumberField id="tag-epochs" label="Epochs" min=1 max=50 locked=lock_epochs
                    value=Signal::derive(move || state.with(|s| s.epochs as u64))
                    on_set=Callback::new(move |n| state.update(|s| s.epochs = n as usize)) />
                <button id="tag-train" class="primary" disabled=move || job.get().is_some() on:click=train>"Train the tagger"</button>
                <button id="tag-cancel" disabled=move || job.get().is_none() on:click=cancel>"Cancel"</button>
            </div>
            <p class="meta">{move || data_note(state.with(|s| s.task))}</p>
            <JobStatus job=job progress=progress message=message bar_id="tag-progress" />
            <Runs runs=runs />
            {move || (!runs.with(Vec::is_empty)).then(|| view! {
                <TextField id="tag-text" label="Text to tag" hidden=false locked=lock_text
                    value=Signal::derive(move || state.with(|s| s.text.clone()))
                    on_input=move |t| state.update(|s| s.text = t) />
                {move || match tagged.get() {
                    None => view! { <p class="meta">"Tagging…"</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                    Some(Ok(words)) => view! { <TaggedWords words=words /> }.into_any(),
                }}
            })}
        </div>
    }
}

/// A run's score and the lookup table's, as cells of the "what transfers" table: entity F1 for
/// entities, word accuracy for parts of speech.
fn transfer_cells(report: &TaggerReport) -> [TransferCell; 2] {
    let (task, tagger, lookup) = match report.entity_f1 {
        Some(f1) => ("entities (entity F1)", f1.tagger, f1.lookup),
        None => (
            "parts of speech (word accuracy)",
            report.accuracy,
            report.lookup,
        ),
    };
    TransferCell::run_and_baseline(task, report.regime, tagger, lookup, report.train_sentences)
}

/// One row per finished run: how it trained and how it did against the lookup table.
#[component]
fn Runs(
    /// This visit's runs, oldest first.
    runs: RwSignal<Vec<TaggerReport>>,
) -> impl IntoView {
    move || {
        (!runs.with(Vec::is_empty)).then(|| view! {
            <table class="tagger-runs">
                <caption>"Held-out words tagged right, and entities found with exactly the right span (the latest tagger tags your text below)"</caption>
                <thead><tr>
                    <th scope="col">"task"</th><th scope="col">"approach"</th><th scope="col">"tag on"</th>
                    <th scope="col">"examples"</th><th scope="col">"updates"</th>
                    <th scope="col">"word accuracy"</th><th scope="col">"lookup table"</th>
                    <th scope="col">"entity F1"</th><th scope="col">"lookup F1"</th><th scope="col">"time"</th>
                </tr></thead>
                <tbody>
                    {runs.get().into_iter().map(|r| {
                        let f1 = |pick: fn(&EntityF1) -> f32| r.entity_f1.as_ref().map_or("–".to_string(), |f| format!("{:.1}%", pick(f) * 100.0));
                        view! {
                            <tr>
                                <td>{r.task.describe()}</td><td>{r.regime.describe()}</td><td>{r.pieces.describe()}</td>
                                <td>{r.train_sentences}</td><td>{r.updates}</td>
                                <td>{format!("{:.1}%", r.accuracy * 100.0)}</td>
                                <td>{format!("{:.1}%", r.lookup * 100.0)}</td>
                                <td class="entity-f1">{f1(|f| f.tagger)}</td><td>{f1(|f| f.lookup)}</td>
                                <td>{format!("{:.0} s", r.seconds)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        })
    }
}

/// Each word coloured by its tag, with its word pieces; the first piece (whose prediction is the
/// word's tag) is in bold.
#[component]
fn TaggedWords(
    /// The tagged text.
    words: Vec<TaggedWord>,
) -> impl IntoView {
    view! {
        <ol class="tagged-words" aria-label="Words and their predicted tags">
            {words.into_iter().map(|w| {
                let tag = w.tag.clone().unwrap_or_else(|| "?".to_string());
                let class = colour_slot(&tag);
                let colour = class.map_or("inherit".to_string(), category_css);
                let ink = class.map_or("inherit", category_text_css);
                let (first, rest) = w.pieces.split_first().map_or((String::new(), Vec::new()), |(f, r)| (f.clone(), r.to_vec()));
                view! {
                    <li style=format!("border-color: {colour}")>
                        <span class="word">{w.word}</span>
                        <span class="tag" style=format!("background: {colour}; color: {ink}")>{tag}</span>
                        <span class="pieces"><strong>{first}</strong>{rest.into_iter().map(|p| format!(" {p}")).collect::<String>()}</span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}
