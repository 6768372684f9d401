//! Masking lab: one passage masked over N epochs, a row per epoch, under static masking (BERT: a few
//! fixed masks reused) or dynamic masking (RoBERTa: a fresh mask each time), with live counts and a
//! chart of measured against configured rates and of how many positions ever became targets.

use leptos::prelude::*;

use crate::charts::Series;
use crate::lab_state::{MaskingKind, MaskingState};
use crate::labs::{chart_figure, publish_answers, CheckField, NumberField, TextField};
use crate::prediction::Observation;
use crate::url_state::ControlPolicy;
use crate::worker_query::use_worker_answer;
use bertlab_protocol::masking::{GridCell, MaskingGrid};
use bertlab_protocol::messages::{Outcome, Request};

#[component]
pub fn MaskingWidget(
    /// The widget's state (the URL's on a lab page, a lesson step's otherwise).
    state: RwSignal<MaskingState>,
    /// Which controls are hidden or locked.
    policy: ControlPolicy,
) -> impl IntoView {
    let grid = use_worker_answer(
        move || {
            let s = state.get();
            Some(Request::MaskEpochs {
                model: None,
                config: s.config(),
                text: s.text,
                epochs: s.epochs.clamp(1, 50),
            })
        },
        |outcome| match outcome {
            Outcome::MaskedEpochs(grid) => Some(grid),
            _ => None,
        },
    );
    publish_answers(move || {
        let distinct = grid.with(|g| {
            g.as_ref()?
                .as_ref()
                .ok()?
                .epochs
                .last()
                .map(|e| e.distinct_targets)
        })?;
        Some(Observation::Count {
            value: distinct,
            what: "tokens that were ever a target",
        })
    });
    view! {
        <div class="lab masking-lab">
            <MaskingControls state=state policy=policy />
            {move || match grid.get() {
                None => view! { <p class="muted">"Masking…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(grid)) => view! { <MaskGrid grid=grid.clone() /> <MaskCharts grid=grid /> }.into_any(),
            }}
            <MaskLegend />
        </div>
    }
}

/// The passage, the strategy, the 80/10/10 split and the run's sizes.
#[component]
fn MaskingControls(state: RwSignal<MaskingState>, policy: ControlPolicy) -> impl IntoView {
    let policy = StoredValue::new(policy);
    let hidden = move |name: &str| policy.with_value(|p| p.hidden(name));
    let locked = move |name: &str| policy.with_value(|p| p.locked(name));
    let slider = move |id: &'static str,
                       label: &'static str,
                       get: fn(&MaskingState) -> f64,
                       set: fn(&mut MaskingState, f64)| {
        (!hidden(id)).then(|| view! {
            <label class="slider">
                <span>{label} " " <output>{move || format!("{:.0}%", state.with(get) * 100.0)}</output></span>
                <input id=format!("mask-{id}") type="range" min="0" max="1" step="0.01" disabled=locked(id)
                    prop:value=move || state.with(get).to_string()
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                            state.update(|s| set(s, v));
                        }
                    } />
            </label>
        })
    };
    let number = move |id: &'static str,
                       label: &'static str,
                       (min, max): (u64, u64),
                       get: fn(&MaskingState) -> u64,
                       set: fn(&mut MaskingState, u64)| {
        view! {
            <NumberField id=format!("mask-{id}") label=label min=min max=max hidden=hidden(id) locked=locked(id)
                value=Signal::derive(move || state.with(get))
                on_set=Callback::new(move |v| state.update(|s| set(s, v))) />
        }
    };
    let strategy = move |value: MaskingKind, label: &'static str| {
        view! {
            <label class="choice">
                <input type="radio" name="mask-strategy" id=format!("mask-{}", value.slug()) disabled=locked("strategy")
                    prop:checked=move || state.with(|s| s.strategy == value)
                    on:change=move |_| state.update(|s| s.strategy = value) />
                {label}
            </label>
        }
    };
    view! {
        <div class="controls">
            <TextField multiline=true id="mask-text" label="Sentence or short passage"
                hidden=hidden("text") locked=locked("text")
                value=Signal::derive(move || state.with(|s| s.text.clone()))
                on_input=move |v| state.update(|s| s.text = v) />
            {(!hidden("strategy")).then(|| view! {
                <fieldset class="segmented">
                    <legend>"Masking"</legend>
                    {strategy(MaskingKind::Static, "Static (BERT)")}
                    {strategy(MaskingKind::Dynamic, "Dynamic (RoBERTa)")}
                </fieldset>
            })}
            <div class="control-grid">
                {slider("rate", "Targets", |s| s.rate, |s, v| s.rate = v)}
                {slider("mask", "Of targets: [MASK]", |s| s.mask, |s, v| {
                    s.mask = v;
                    s.random = s.random.min(1.0 - v);
                })}
                {slider("random", "Of targets: random token", |s| s.random, |s, v| {
                    s.random = v;
                    s.mask = s.mask.min(1.0 - v);
                })}
                {number("epochs", "Epochs", (1, 50), |s| s.epochs as u64, |s, v| s.epochs = v as usize)}
                {number("duplicates", "Static copies", (1, 20), |s| s.duplicates as u64, |s, v| s.duplicates = v as usize)}
                {number("seed", "Seed", (0, 1_000_000), |s| s.seed, |s, v| s.seed = v)}
                <CheckField id="mask-whole-word" label="Whole-word masking"
                    hidden=hidden("whole_word") locked=locked("whole_word")
                    value=Signal::derive(move || state.with(|s| s.whole_word))
                    on_set=move |on| state.update(|s| s.whole_word = on) />
            </div>
            <p class="meta">{move || state.with(|s| format!(
                "Kept as the original token: {:.0}% of targets.", (1.0 - s.mask - s.random).max(0.0) * 100.0))}</p>
        </div>
    }
}

/// A row per epoch, a cell per token.
#[component]
fn MaskGrid(
    /// The worker's masks.
    grid: MaskingGrid,
) -> impl IntoView {
    let last = grid.epochs.last().cloned();
    let strategy = match grid.config.strategy {
        bertlab_protocol::masking::Strategy::Static { duplicates } => {
            format!("static masking with {duplicates} fixed copies")
        }
        bertlab_protocol::masking::Strategy::Dynamic => "dynamic masking".to_string(),
    };
    view! {
        <div class="grid-scroll">
            <table class="mask-grid" id="mask-grid">
                <caption>{format!("{} epochs, {strategy}", grid.rows.len())}</caption>
                <tbody>
                    {grid.rows.iter().zip(&grid.epochs).map(|(row, stats)| view! {
                        <tr>
                            <th scope="row">{format!("Epoch {}", stats.epoch + 1)}</th>
                            {row.iter().zip(&grid.pieces).map(|(cell, piece)| cell_view(cell, piece)).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {last.map(|s| {
            let epochs = grid.rows.len().max(1) as f64;
            view! {
                <p class="meta" id="mask-counts">{format!(
                    "{} of {} ordinary tokens became a target at least once over {} epochs; per epoch on average {:.1} targets ({:.1} shown as [MASK], {:.1} random, {:.1} unchanged).",
                    s.distinct_targets, grid.candidates, grid.rows.len(),
                    grid.epochs.iter().map(|e| e.counts.selected).sum::<u64>() as f64 / epochs,
                    grid.epochs.iter().map(|e| e.counts.masked).sum::<u64>() as f64 / epochs,
                    grid.epochs.iter().map(|e| e.counts.randomized).sum::<u64>() as f64 / epochs,
                    grid.epochs.iter().map(|e| e.counts.kept).sum::<u64>() as f64 / epochs,
                )}</p>
            }
        })}
    }
}

fn cell_view(cell: &GridCell, piece: &str) -> impl IntoView {
    let (class, shown, title) = match cell {
        GridCell::Plain => ("plain", piece.to_string(), "not a target".to_string()),
        GridCell::Special => (
            "special",
            piece.to_string(),
            "special token, never a target".to_string(),
        ),
        GridCell::Mask => (
            "masked",
            "[MASK]".to_string(),
            format!("target: {piece}, shown as [MASK]"),
        ),
        GridCell::Random(r) => (
            "random",
            r.clone(),
            format!("target: {piece}, shown as a random token"),
        ),
        GridCell::Keep => (
            "kept",
            piece.to_string(),
            format!("target: {piece}, shown unchanged"),
        ),
    };
    view! { <td class=format!("cell {class}") title=title>{shown}</td> }
}

/// Measured against configured shares per epoch, and positions ever targeted.
#[component]
fn MaskCharts(
    /// The worker's masks.
    grid: MaskingGrid,
) -> impl IntoView {
    let epoch = |e: &bertlab_protocol::masking::EpochStats| e.epoch as f64 + 1.0;
    let rates = vec![
        Series {
            label: "targets, measured".into(),
            points: grid
                .epochs
                .iter()
                .map(|e| (epoch(e), e.counts.selection_rate()))
                .collect(),
            dashed: false,
            colour: None,
        },
        Series {
            label: "targets, configured".into(),
            points: grid
                .epochs
                .iter()
                .map(|e| (epoch(e), grid.config.selection_rate))
                .collect(),
            dashed: true,
            colour: None,
        },
        Series {
            label: "[MASK] share, measured".into(),
            points: grid
                .epochs
                .iter()
                .map(|e| (epoch(e), e.counts.mask_share()))
                .collect(),
            dashed: false,
            colour: None,
        },
        Series {
            label: "[MASK] share, configured".into(),
            points: grid
                .epochs
                .iter()
                .map(|e| (epoch(e), grid.config.mask_fraction))
                .collect(),
            dashed: true,
            colour: None,
        },
    ];
    let coverage = vec![
        Series {
            label: "positions ever targeted".into(),
            points: grid
                .epochs
                .iter()
                .map(|e| (epoch(e), e.distinct_targets as f64))
                .collect(),
            dashed: false,
            colour: None,
        },
        Series {
            label: "ordinary tokens".into(),
            points: grid
                .epochs
                .iter()
                .map(|e| (epoch(e), grid.candidates as f64))
                .collect(),
            dashed: true,
            colour: None,
        },
    ];
    let chart =
        |series: &[Series], caption: &str, y: &str| chart_figure(series, caption, "epoch", y);
    view! {
        <div class="charts">
            {chart(&rates, "Rates per epoch", "share")}
            {chart(&coverage, "Positions that were ever a target", "tokens")}
        </div>
    }
}

#[component]
fn MaskLegend() -> impl IntoView {
    view! {
        <p class="legend">
            <span class="cell masked">"[MASK]"</span>" target shown as [MASK] · "
            <span class="cell random">"word"</span>" target shown as a random token · "
            <span class="cell kept">"word"</span>" target left unchanged · "
            <span class="cell plain">"word"</span>" not a target"
        </p>
    }
}
