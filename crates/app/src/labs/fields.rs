//! The form fields the widgets share, each bound to one value of a widget's state. A field the
//! control policy hides is not drawn; a locked one is shown disabled.

use leptos::prelude::*;

use crate::saved_models::SavedModel;

/// A labelled text box: one line, or two for the sentence a lab works on (`multiline`).
#[component]
pub fn TextField(
    /// Element id.
    id: &'static str,
    label: &'static str,
    /// The current value.
    value: Signal<String>,
    /// Receives every edit.
    on_input: impl Fn(String) + 'static,
    hidden: bool,
    locked: bool,
    /// A two-line text area instead of a one-line box.
    #[prop(optional)]
    multiline: bool,
) -> impl IntoView {
    (!hidden).then(|| {
        let input = if multiline {
            view! {
                <textarea id=id rows="2" disabled=locked
                    prop:value=move || value.get()
                    on:input=move |ev| on_input(event_target_value(&ev))></textarea>
            }
            .into_any()
        } else {
            view! {
                <input id=id type="text" disabled=locked
                    prop:value=move || value.get()
                    on:input=move |ev| on_input(event_target_value(&ev)) />
            }
            .into_any()
        };
        view! { <label>{label}{input}</label> }
    })
}

/// A checkbox with its label after it.
#[component]
pub fn CheckField(
    /// Element id.
    id: &'static str,
    label: &'static str,
    /// Whether it is ticked.
    value: Signal<bool>,
    /// Receives each change.
    on_set: impl Fn(bool) + 'static,
    hidden: bool,
    locked: bool,
) -> impl IntoView {
    (!hidden).then(|| {
        view! {
            <label class="choice">
                <input id=id type="checkbox" disabled=locked
                    prop:checked=move || value.get()
                    on:change=move |ev| on_set(event_target_checked(&ev)) />
                {label}
            </label>
        }
    })
}

/// A labelled whole-number box limited to `min..=max`. Typing updates the state as soon as the
/// number is in range (so labs react live); leaving the box clamps what is there, so a half-typed
/// "1" of "150" is never clamped under the student's fingers.
#[component]
pub fn NumberField(
    /// Element id.
    #[prop(into)]
    id: String,
    label: &'static str,
    min: u64,
    max: u64,
    /// The current value.
    value: Signal<u64>,
    /// Receives each accepted value (always within `min..=max`).
    on_set: Callback<u64>,
    #[prop(optional)] hidden: bool,
    #[prop(optional)] locked: bool,
) -> impl IntoView {
    let parse = |ev: &leptos::ev::Event| event_target_value(ev).trim().parse::<u64>().ok();
    (!hidden).then(|| {
        view! {
            <label>{label}
                <input id=id type="number" min=min max=max disabled=locked
                    prop:value=move || value.get().to_string()
                    on:input=move |ev| {
                        if let Some(n) = parse(&ev).filter(|n| (min..=max).contains(n)) {
                            on_set.run(n);
                        }
                    }
                    on:change=move |ev| match parse(&ev) {
                        Some(n) => on_set.run(n.clamp(min, max)),
                        // Not a number: show the value in force again.
                        None => value.with_untracked(|v| on_set.run(*v)),
                    } />
            </label>
        }
    })
}

/// A labelled drop-down over `options` (value, label).
#[component]
pub fn SelectField<T>(
    /// Element id.
    id: &'static str,
    label: &'static str,
    /// Each choice with its label; the option values are their positions.
    options: Vec<(T, String)>,
    /// The current choice.
    value: Signal<T>,
    /// Receives the new choice.
    on_pick: Callback<T>,
    #[prop(optional)] locked: bool,
) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static,
{
    let choices = StoredValue::new(options.iter().map(|(v, _)| *v).collect::<Vec<T>>());
    view! {
        <label>{label}
            <select id=id disabled=locked
                on:change=move |ev| {
                    let picked = event_target_value(&ev).parse::<usize>().ok();
                    if let Some(choice) = picked.and_then(|i| choices.with_value(|c| c.get(i).copied())) {
                        on_pick.run(choice);
                    }
                }>
                {options.into_iter().enumerate().map(|(i, (choice, text))| view! {
                    <option value=i.to_string() selected=move || value.get() == choice>{text}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// A drop-down of the models saved in the browser by the fine-tuning lab, "none" first; picks a
/// file name, or the empty string for none.
#[component]
pub fn SavedModelField(
    /// Element id.
    id: &'static str,
    /// The saved models (see `saved_models::refresh`).
    saved: RwSignal<Vec<SavedModel>>,
    /// The picked file name; empty for none.
    value: Signal<String>,
    on_pick: Callback<String>,
    #[prop(optional)] locked: bool,
) -> impl IntoView {
    // 0 = none, i + 1 = the i-th saved model.
    let options = move || {
        let mut options = vec![(0usize, "none".to_string())];
        saved.with(|list| {
            options.extend(
                list.iter()
                    .enumerate()
                    .map(|(i, m)| (i + 1, m.file_name.clone())),
            )
        });
        options
    };
    let index = move || {
        let name = value.get();
        saved.with(|list| {
            list.iter()
                .position(|m| m.file_name == name)
                .map_or(0, |i| i + 1)
        })
    };
    move || {
        view! {
            <SelectField id=id label="Fine-tuned model" locked=locked
                options=options()
                value=Signal::derive(index)
                on_pick=Callback::new(move |i: usize| {
                    let name = saved.with_untracked(|l| l.get(i.wrapping_sub(1)).map(|m| m.file_name.clone()));
                    on_pick.run(name.unwrap_or_default());
                }) />
        }
    }
}
