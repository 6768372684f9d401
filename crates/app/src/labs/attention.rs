//! Attention lab: a small heatmap for every layer and head; click one to enlarge it, with lines from
//! each token to the tokens it attends to; optionally leave out attention to [CLS]/[SEP].

use leptos::prelude::*;

use super::{publish_answers, CheckField, CutNote, TextField};
use crate::charts::Heatmap;
use crate::lab_state::AttentionState;
use crate::prediction::Observation;
use crate::url_state::ControlPolicy;
use crate::worker_query::use_worker_answer;
use bertlab_protocol::messages::{Outcome, Request};
use bertlab_protocol::views::AttentionView;

/// One head's matrix as rows, without the columns of special tokens when asked (rows renormalised so
/// each still sums to one over what is shown).
fn head_rows(view: &AttentionView, layer: usize, head: usize, hide_special: bool) -> Vec<Vec<f32>> {
    let n = view.pieces.len();
    let Some(flat) = view.weights.get(layer).and_then(|l| l.get(head)) else {
        return Vec::new();
    };
    flat.chunks(n.max(1))
        .map(|row| {
            if !hide_special {
                return row.to_vec();
            }
            let kept: Vec<f32> = row
                .iter()
                .zip(&view.special)
                .map(|(w, s)| if *s { 0.0 } else { *w })
                .collect();
            let total: f32 = kept.iter().sum();
            kept.iter()
                .map(|w| if total > 0.0 { w / total } else { 0.0 })
                .collect()
        })
        .collect()
}

#[component]
pub fn AttentionWidget(
    /// The widget's state (the URL's on a lab page, a lesson step's otherwise).
    state: RwSignal<AttentionState>,
    /// Which controls are hidden or locked.
    policy: ControlPolicy,
) -> impl IntoView {
    let result = use_worker_answer(
        move || {
            let (text, pair) = state.with(|s| (s.text.clone(), s.pair.clone()));
            Some(Request::Attention {
                model: None,
                text,
                pair: (!pair.trim().is_empty()).then_some(pair),
            })
        },
        |outcome| match outcome {
            Outcome::Attended(view) => Some(view),
            _ => None,
        },
    );
    // The enlarged head's weights, for a step that asks where a word looks.
    publish_answers(move || {
        let view = result.get()?.ok()?;
        let (layer, head) = state.with(|s| (s.layer, s.head));
        Some(Observation::Attention {
            weights: view
                .weights
                .get(layer)
                .and_then(|l| l.get(head))
                .cloned()
                .unwrap_or_default(),
            pieces: view.pieces,
        })
    });
    let field = move |name: &'static str| (policy.hidden(name), policy.locked(name));
    let (hide_text, lock_text) = field("text");
    let (hide_pair, lock_pair) = field("pair");
    let (hide_special, lock_special) = field("hide_special");

    view! {
        <div class="lab attention-lab">
            <div class="controls">
                <TextField id="att-text" label="Sentence A" hidden=hide_text locked=lock_text
                    value=Signal::derive(move || state.with(|s| s.text.clone()))
                    on_input=move |v| state.update(|s| s.text = v) />
                <TextField id="att-pair" label="Sentence B (optional)" hidden=hide_pair locked=lock_pair
                    value=Signal::derive(move || state.with(|s| s.pair.clone()))
                    on_input=move |v| state.update(|s| s.pair = v) />
                <CheckField id="att-hide-special" label="Hide attention to [CLS] and [SEP]"
                    hidden=hide_special locked=lock_special
                    value=Signal::derive(move || state.with(|s| s.hide_special))
                    on_set=move |on| state.update(|s| s.hide_special = on) />
            </div>
            {move || match result.get() {
                None => view! { <p class="muted">"Computing attention…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(view)) => view! { <AttentionGrid view=view state=state /> }.into_any(),
            }}
        </div>
    }
}

/// The layer × head grid and the enlarged head.
#[component]
fn AttentionGrid(
    /// The worker's answer.
    view: AttentionView,
    /// The lab state (selected head, special-token toggle).
    state: RwSignal<AttentionState>,
) -> impl IntoView {
    let (removed, kept) = (view.removed, view.pieces.len());
    let view = StoredValue::new(view);
    let (layers, heads) = view.with_value(|v| (v.layers, v.heads));
    let cell = view.with_value(|v| (48 / v.pieces.len().max(1)).clamp(1, 4) as u32);
    view! {
        <CutNote removed=removed kept=kept />
        <div class="head-grid" style=format!("grid-template-columns: auto repeat({heads}, auto)")
            role="group" aria-label="Attention of every layer and head; choose one to enlarge">
            <span></span>
            {(0..heads).map(|h| view! { <span class="axis">{format!("head {}", h + 1)}</span> }).collect_view()}
            {(0..layers).map(|l| view! {
                <span class="axis">{format!("layer {}", l + 1)}</span>
                {(0..heads).map(|h| {
                    let selected = move || state.with(|s| s.layer == l && s.head == h);
                    view! {
                        <button class="head-thumb" class:selected=selected aria-pressed=move || selected().to_string()
                            aria-label=format!("layer {} head {}", l + 1, h + 1)
                            on:click=move |_| state.update(|s| { s.layer = l; s.head = h; })>
                            {move || {
                                let hide = state.with(|s| s.hide_special);
                                let rows = view.with_value(|v| head_rows(v, l, h, hide));
                                view! { <Heatmap rows=rows cell=(cell, cell) label=format!("layer {} head {}", l + 1, h + 1) /> }
                            }}
                        </button>
                    }
                }).collect_view()}
            }).collect_view()}
        </div>
        {move || {
            let (l, h, hide) = state.with(|s| (s.layer.min(layers.saturating_sub(1)), s.head.min(heads.saturating_sub(1)), s.hide_special));
            let rows = view.with_value(|v| head_rows(v, l, h, hide));
            let pieces = view.with_value(|v| v.pieces.clone());
            view! { <HeadDetail rows=rows pieces=pieces layer=l head=h /> }
        }}
    }
}

/// One head enlarged: its matrix with token labels, and lines from each token to what it attends to.
#[component]
fn HeadDetail(
    /// Attention rows (attending token → attended tokens).
    rows: Vec<Vec<f32>>,
    /// Token labels.
    pieces: Vec<String>,
    /// 0-based layer and head, for the caption.
    layer: usize,
    head: usize,
) -> impl IntoView {
    let n = pieces.len();
    let row_h = 20.0;
    let height = n as f64 * row_h + 10.0;
    let lines = rows
        .iter()
        .enumerate()
        .flat_map(|(i, row)| {
            row.iter().enumerate().filter(|(_, w)| **w > 0.02).map(move |(j, w)| {
                let (y1, y2) = (i as f64 * row_h + 15.0, j as f64 * row_h + 15.0);
                view! {
                    <line x1="110" y1=y1 x2="230" y2=y2 stroke="currentColor"
                        stroke-opacity=format!("{:.3}", w.min(1.0)) stroke-width=format!("{:.2}", 1.0 + 3.0 * w) />
                }
            })
        })
        .collect_view();
    let cell = (320 / n.max(1)).clamp(4, 24) as u32;
    view! {
        <section class="head-detail" aria-label="Selected head">
            <h3>{format!("Layer {}, head {}", layer + 1, head + 1)}</h3>
            <div class="head-detail-body">
                <svg class="attention-lines" width="340" height=height viewBox=format!("0 0 340 {height}")
                    role="img" aria-label="Lines from each token on the left to the tokens it attends to on the right">
                    {pieces.iter().enumerate().map(|(i, p)| {
                        let y = i as f64 * row_h + 19.0;
                        view! {
                            <text x="104" y=y text-anchor="end">{p.clone()}</text>
                            <text x="236" y=y>{p.clone()}</text>
                        }
                    }).collect_view()}
                    {lines}
                </svg>
                <figure>
                    <Heatmap rows=rows cell=(cell, cell) label=format!("layer {} head {} attention matrix: rows attend to columns", layer + 1, head + 1) />
                    <figcaption>"Row: the token attending. Column: the token attended to."</figcaption>
                </figure>
            </div>
        </section>
    }
}
