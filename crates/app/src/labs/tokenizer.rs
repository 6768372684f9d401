//! Tokenizer lab: a sentence or a pair as the model sees it — WordPiece pieces, [CLS]/[SEP], ids,
//! segment and position ids, truncation — with each piece's source characters highlighted on hover
//! the greedy longest-match trace of one word, and the same text
//! through BPE and Unigram tokenizers.

use leptos::prelude::*;

use super::{publish_answers, NumberField, TextField};
use crate::lab_state::TokenizerState;
use crate::prediction::Observation;
use crate::url_state::ControlPolicy;
use crate::worker_query::use_worker_answer;
use bertlab_protocol::messages::{Outcome, Request};
use bertlab_protocol::tokens::WordPieceTrace;
use bertlab_protocol::tokens::{TokenCell, TokenView};

#[component]
pub fn TokenizerWidget(
    /// The widget's state (the URL's on a lab page, a lesson step's otherwise).
    state: RwSignal<TokenizerState>,
    /// Which controls are hidden or locked.
    policy: ControlPolicy,
) -> impl IntoView {
    let hovered = RwSignal::new(None::<usize>);
    let result = use_worker_answer(
        move || {
            let s = state.get();
            Some(Request::Tokenize {
                model: None,
                text: s.text,
                pair: Some(s.pair),
                max_len: (s.max_len > 0).then_some(s.max_len),
                trace: Some(s.word),
            })
        },
        |outcome| match outcome {
            Outcome::Tokenized(view) => Some(view),
            _ => None,
        },
    );
    publish_answers(move || {
        let positions = result.with(|r| Some(r.as_ref()?.as_ref().ok()?.tokens.len()))?;
        Some(Observation::Count {
            value: positions as u64,
            what: "positions (pieces and markers)",
        })
    });
    let compared = use_worker_answer(
        move || {
            Some(Request::CompareTokenizers {
                text: state.with(|s| s.text.clone()),
            })
        },
        |outcome| match outcome {
            Outcome::TokenizersCompared(views) => Some(views),
            _ => None,
        },
    );

    let hide_compare = policy.hidden("compare");
    let field = move |name: &'static str| (policy.hidden(name), policy.locked(name));
    let (hide_text, lock_text) = field("text");
    let (hide_pair, lock_pair) = field("pair");
    let (hide_len, lock_len) = field("max_len");
    let (hide_word, lock_word) = field("word");

    view! {
        <div class="lab tokenizer-lab">
            <div class="controls">
                <TextField multiline=true id="tok-text" label="Sentence A" hidden=hide_text locked=lock_text
                    value=Signal::derive(move || state.with(|s| s.text.clone()))
                    on_input=move |v| state.update(|s| s.text = v) />
                <TextField id="tok-pair" label="Sentence B (optional)" hidden=hide_pair locked=lock_pair
                    value=Signal::derive(move || state.with(|s| s.pair.clone()))
                    on_input=move |v| state.update(|s| s.pair = v) />
                <NumberField id="tok-max" label="Maximum tokens (0 = the model's limit)" min=0 max=512
                    hidden=hide_len locked=lock_len
                    value=Signal::derive(move || state.with(|s| s.max_len as u64))
                    on_set=Callback::new(move |n| state.update(|s| s.max_len = n as usize)) />
            </div>
            {move || match result.get() {
                None => view! { <p class="muted">"Tokenizing…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(view)) => view! { <TokenTable view=view state=state hovered=hovered /> }.into_any(),
            }}
            <Show when=move || !hide_word>
                <section class="trace-section" aria-label="WordPiece trace">
                    <h3>"How WordPiece splits one word"</h3>
                    <TextField id="tok-word" label="Word" hidden=false locked=lock_word
                        value=Signal::derive(move || state.with(|s| s.word.clone()))
                        on_input=move |v| state.update(|s| s.word = v) />
                    {move || result.get().and_then(|r| r.ok()).and_then(|v| v.trace).map(|t| view! { <TraceTable trace=t /> })}
                </section>
            </Show>
            <Show when=move || !hide_compare>
                <section class="compare-section" aria-label="Three tokenizers">
                    <h3>"Sentence A through three tokenizer algorithms"</h3>
                    {move || match compared.get() {
                        None => view! { <p class="muted">"Comparing…"</p> }.into_any(),
                        Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                        Some(Ok(views)) => view! { <TokenizerComparison views=views /> }.into_any(),
                    }}
                </section>
            </Show>
        </div>
    }
}

/// One row of pieces per tokenizer algorithm.
#[component]
fn TokenizerComparison(
    /// WordPiece, BPE and Unigram views of the same text.
    views: Vec<TokenView>,
) -> impl IntoView {
    view! {
        <div class="comparison">
            {views.into_iter().map(|v| {
                let count = v.tokens.len();
                view! {
                    <div class="comparison-row">
                        <p class="meta"><strong>{v.kind.clone()}</strong>{format!(" · {count} tokens")}</p>
                        <ol class="tokens compact" aria-label=format!("{} pieces", v.kind)>
                            {v.tokens.into_iter().map(|t| view! {
                                <li class="tok" class:special=t.special><span class="piece">{t.piece}</span></li>
                            }).collect_view()}
                        </ol>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}

/// The source sentences with the hovered piece's characters highlighted, then one cell per token.
#[component]
fn TokenTable(
    /// The tokenized input.
    view: TokenView,
    /// The lab state (for the source text).
    state: RwSignal<TokenizerState>,
    /// Index of the token under the pointer or focus.
    hovered: RwSignal<Option<usize>>,
) -> impl IntoView {
    let tokens = view.tokens.clone();
    let source = move |sequence: usize| {
        let tokens = tokens.clone();
        move || {
            let text = state.with(|s| {
                if sequence == 0 {
                    s.text.clone()
                } else {
                    s.pair.clone()
                }
            });
            let lit = hovered
                .get()
                .and_then(|i| tokens.get(i))
                .filter(|t| t.sequence == Some(sequence))
                .map(|t| t.chars);
            text.chars()
                .enumerate()
                .map(|(i, c)| {
                    let on = lit.is_some_and(|(a, b)| i >= a && i < b);
                    view! { <span class:lit=on>{c.to_string()}</span> }
                })
                .collect_view()
        }
    };
    let has_pair = view.tokens.iter().any(|t| t.sequence == Some(1));
    let removed = view.removed;
    view! {
        <div class="source" aria-label="Source text">
            <p class="source-line"><span class="seg-tag seg-0">"A"</span>{source(0)}</p>
            <Show when=move || has_pair>
                <p class="source-line"><span class="seg-tag seg-1">"B"</span>{source(1)}</p>
            </Show>
        </div>
        <p class="meta">
            {format!("{} tokens ({} tokenizer), limit {}.", view.tokens.len(), view.kind, view.max_len)}
        </p>
        {(removed != [0, 0]).then(|| view! {
            <p class="warning" role="status">
                {format!("Truncated to {} tokens: {} cut from sentence A and {} from sentence B.", view.max_len, removed[0], removed[1])}
            </p>
        })}
        <ol class="tokens" id="tok-tokens" aria-label="Tokens">
            {view.tokens.into_iter().enumerate().map(|(i, t)| view! { <TokenChip index=i token=t hovered=hovered /> }).collect_view()}
        </ol>
    }
}

/// One token: its piece, id, segment and position.
#[component]
fn TokenChip(
    /// Position in the sequence.
    index: usize,
    /// The token.
    token: TokenCell,
    /// Shared hover/focus state.
    hovered: RwSignal<Option<usize>>,
) -> impl IntoView {
    let class = format!(
        "tok seg-{}{}{}",
        token.segment,
        if token.special { " special" } else { "" },
        if token.piece.starts_with("##") {
            " continuation"
        } else {
            ""
        }
    );
    view! {
        <li class=class tabindex="0"
            on:mouseenter=move |_| hovered.set(Some(index))
            on:mouseleave=move |_| hovered.set(None)
            on:focus=move |_| hovered.set(Some(index))
            on:blur=move |_| hovered.set(None)>
            <span class="piece">{token.piece.clone()}</span>
            <span class="id">{format!("id {}", token.id)}</span>
            <span class="ids">{format!("seg {} · pos {}", token.segment, token.position)}</span>
        </li>
    }
}

/// The greedy longest-match-first lookups for one word, in order.
#[component]
fn TraceTable(
    /// The trace computed by the worker.
    trace: WordPieceTrace,
) -> impl IntoView {
    let pieces = trace
        .pieces
        .iter()
        .map(|p| p.text.clone())
        .collect::<Vec<_>>()
        .join(" ");
    view! {
        <table class="trace">
            <caption>{format!("\u{201c}{}\u{201d} becomes: {pieces}", trace.word)}</caption>
            <thead><tr><th scope="col">"Step"</th><th scope="col">"Tried"</th><th scope="col">"In vocabulary?"</th></tr></thead>
            <tbody>
                {trace.steps.iter().enumerate().map(|(i, step)| view! {
                    <tr class:hit=step.id.is_some()>
                        <td>{i + 1}</td>
                        <td><code>{step.candidate.clone()}</code></td>
                        <td>{step.id.map_or("no".to_string(), |id| format!("yes (id {id})"))}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
