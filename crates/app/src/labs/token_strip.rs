//! One value per token as a row of tinted tokens: the "why this label" attributions, the span
//! head's start and end probabilities.

use leptos::prelude::*;

/// The tokens in order, each tinted by its value scaled to the largest magnitude (warm for
/// positive, cool for negative), with the value under it.
#[component]
pub fn TokenStrip(
    /// What the values are.
    caption: String,
    /// The tokens, markers included.
    pieces: Vec<String>,
    /// One value per token.
    values: Vec<f32>,
    /// How a value is written under its token.
    show: fn(f32) -> String,
    /// Tokens to outline (an answer's span); none when empty.
    #[prop(optional)]
    marked: Vec<bool>,
) -> impl IntoView {
    let largest = values
        .iter()
        .map(|v| v.abs())
        .fold(f32::MIN_POSITIVE, f32::max);
    let tokens = pieces
        .into_iter()
        .zip(values)
        .enumerate()
        .map(|(i, (piece, v))| {
            let side = if v >= 0.0 { "push" } else { "pull" };
            let tint = format!(
                "background: color-mix(in srgb, var(--{side}) {:.0}%, transparent)",
                (v.abs() / largest * 60.0).clamp(0.0, 60.0)
            );
            let title = format!("'{piece}': {}", show(v));
            let class = if marked.get(i).copied().unwrap_or(false) {
                "attribution-token marked"
            } else {
                "attribution-token"
            };
            view! {
                <li class=class style=tint title=title.clone() aria-label=title>
                    <code>{piece}</code>
                    <span class="num">{show(v)}</span>
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
