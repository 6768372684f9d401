//! Embeddings lab: what the first layer receives — the token, segment and position vectors of every
//! token as heatmaps, their LayerNormed sum, each part's norm, editable segment ids, and how similar
//! the position vectors are to one another.

use leptos::prelude::*;

use super::{CutNote, TextField};
use crate::charts::Heatmap;
use crate::lab_state::EmbeddingsState;
use crate::url_state::ControlPolicy;
use crate::worker_query::use_worker_answer;
use bertlab_protocol::messages::{Outcome, Request};
use bertlab_protocol::views::EmbeddingView;

#[component]
pub fn EmbeddingsWidget(
    /// The widget's state (the URL's on a lab page, a lesson step's otherwise).
    state: RwSignal<EmbeddingsState>,
    /// Which controls are hidden or locked.
    policy: ControlPolicy,
) -> impl IntoView {
    let result = use_worker_answer(
        move || {
            let s = state.get();
            Some(Request::Embeddings {
                model: None,
                segments: s.segment_ids(),
                text: s.text,
                pair: (!s.pair.trim().is_empty()).then_some(s.pair),
            })
        },
        |outcome| match outcome {
            Outcome::Embedded(view) => Some(view),
            _ => None,
        },
    );
    let lock_segments = policy.locked("segments") || policy.hidden("segments");
    let field = move |name: &'static str| (policy.hidden(name), policy.locked(name));
    let (hide_text, lock_text) = field("text");
    let (hide_pair, lock_pair) = field("pair");

    view! {
        <div class="lab embeddings-lab">
            <div class="controls">
                <TextField id="emb-text" label="Sentence A" hidden=hide_text locked=lock_text
                    value=Signal::derive(move || state.with(|s| s.text.clone()))
                    on_input=move |v| state.update(|s| {
                        s.text = v;
                        s.segments.clear();
                    }) />
                <TextField id="emb-pair" label="Sentence B (optional)" hidden=hide_pair locked=lock_pair
                    value=Signal::derive(move || state.with(|s| s.pair.clone()))
                    on_input=move |v| state.update(|s| {
                        s.pair = v;
                        s.segments.clear();
                    }) />
            </div>
            {move || match result.get() {
                None => view! { <p class="muted">"Computing embeddings…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(view)) => view! { <EmbeddingParts view=view state=state lock_segments=lock_segments /> }.into_any(),
            }}
        </div>
    }
}

/// Heatmaps of the parts and the sum, the segment toggles and the norms.
#[component]
fn EmbeddingParts(
    /// The worker's answer.
    view: EmbeddingView,
    /// The lab state (segment overrides are written here).
    state: RwSignal<EmbeddingsState>,
    /// Whether segment ids may be edited.
    lock_segments: bool,
) -> impl IntoView {
    let dims = view.sum.first().map_or(0, Vec::len);
    let choices = view.segment_choices;
    let segments = StoredValue::new(view.segments.clone());
    let toggle = move |i: usize| {
        let mut ids = segments.get_value();
        if let Some(id) = ids.get_mut(i) {
            *id = (*id + 1) % choices.max(1);
        }
        state.update(|s| {
            s.segments = ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        });
    };
    let rows = |label: &str, values: Vec<Vec<f32>>| -> AnyView {
        if values.is_empty() {
            return view! { <p class="meta">{format!("{label}: this model has no such table.")}</p> }.into_any();
        }
        view! {
            <figure class="embedding-map">
                <figcaption>{label.to_string()}</figcaption>
                <Heatmap rows=values diverging=true cell=(1, 24) label=format!("{label}: one row per token, {dims} dimensions") />
            </figure>
        }
        .into_any()
    };
    view! {
        <CutNote removed=view.removed kept=view.pieces.len() />
        <div class="embedding-layout">
            <ol class="token-column" aria-label="Tokens and their segment ids">
                {view.pieces.iter().zip(&view.segments).enumerate().map(|(i, (piece, seg))| view! {
                    <li>
                        <span class="piece">{piece.clone()}</span>
                        <button class=format!("seg-toggle seg-{seg}") disabled=lock_segments || choices < 2
                            title="Click to change this token's segment id"
                            aria-label=format!("segment {seg} for {piece}; change")
                            on:click=move |_| toggle(i)>{format!("seg {seg}")}</button>
                    </li>
                }).collect_view()}
            </ol>
            <div class="maps">
                {rows("Token embedding", view.token.clone())}
                {rows("Segment embedding", view.segment.clone())}
                {rows("Position embedding", view.position.clone())}
                {rows("Sum after LayerNorm", view.sum.clone())}
            </div>
        </div>
        <table class="norms">
            <caption>"Length (L2 norm) of each part"</caption>
            <thead><tr><th scope="col">"Token"</th><th scope="col">"token"</th><th scope="col">"segment"</th><th scope="col">"position"</th><th scope="col">"sum"</th></tr></thead>
            <tbody>
                {view.pieces.iter().zip(&view.norms).map(|(piece, n)| view! {
                    <tr><th scope="row"><code>{piece.clone()}</code></th>
                        {n.iter().map(|v| view! { <td class="num">{format!("{v:.2}")}</td> }).collect_view()}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <figure class="position-similarity">
            <figcaption>{format!("Cosine similarity between position vectors 0–{}", view.position_similarity.len().saturating_sub(1))}</figcaption>
            <Heatmap rows=view.position_similarity.clone() diverging=true cell=(4, 4)
                label="Position similarity: nearby positions have similar vectors".to_string() />
        </figure>
    }
}
