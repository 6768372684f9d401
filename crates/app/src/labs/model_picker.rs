//! Choosing the model a lab runs: the shipped models and those the student added, and adding one
//! from a folder on the student's computer (picker or drop) or from a web address, with a progress
//! bar and a cancel button. A model that fails to load leaves the lab on the model it had, with a
//! message naming the file and the fix.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::own_models::{dropped_entries, dropped_files, file_list, input_files, store_folder};
use crate::worker_query::{start_job, use_worker_answer};
use bertlab_protocol::messages::{JobId, ModelSummary, Outcome, Progress, Request, StorageUse};
use bertlab_protocol::model_key::{url_key, ModelKey};

/// Bumped whenever the student adds or deletes a model, so every open picker lists again (two
/// pickers of one lab are siblings: the signal lives at the app's root).
#[derive(Clone, Copy)]
struct ModelsChanged(RwSignal<u32>);

/// Called once by the app's root component.
pub fn provide_models_changed() {
    provide_context(ModelsChanged(RwSignal::new(0)));
}

fn models_changed() -> RwSignal<u32> {
    expect_context::<ModelsChanged>().0
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// How a model is named in the list.
fn describe(m: &ModelSummary) -> String {
    let key = ModelKey::parse(&m.name);
    let origin = match key {
        ModelKey::Shipped(_) => String::new(),
        ModelKey::Url(_) => " — from the web".to_string(),
        ModelKey::Disk(_) => " — from your computer".to_string(),
    };
    format!(
        "{}{origin} ({} layers, {:.1}M parameters)",
        key.label(),
        m.layers,
        m.parameters as f64 / 1e6
    )
}

/// The lab's models to choose from, and a panel to add one's own.
#[component]
pub fn ModelPicker(
    /// Element id of the list.
    id: &'static str,
    /// Offer only models with a masked-LM head.
    mlm_only: bool,
    /// The list alone, without the panel to add a model (a second picker in the same lab).
    #[prop(optional)]
    pick_only: bool,
    /// The chosen model's key; empty for the default model.
    value: Signal<String>,
    /// Receives the new choice.
    on_pick: Callback<String>,
) -> impl IntoView {
    let changed = models_changed();
    let listing = use_worker_answer(
        move || {
            changed.track();
            Some(Request::ListModels)
        },
        |outcome| match outcome {
            Outcome::Models {
                models, storage, ..
            } => Some((models, storage)),
            _ => None,
        },
    );
    let models = Signal::derive(move || {
        listing
            .get()
            .and_then(Result::ok)
            .map(|(models, _)| models)
            .unwrap_or_default()
    });
    let choices = move || {
        models
            .get()
            .into_iter()
            .filter(|m| m.has_mlm_head || !mlm_only)
            .collect::<Vec<_>>()
    };
    view! {
        <div class="model-picker">
            <label>"Model"
                <select id=id on:change=move |ev| on_pick.run(event_target_value(&ev))>
                    <option value="" selected=move || value.with(String::is_empty)>"Default model"</option>
                    {move || choices().into_iter().map(|m| {
                        let key = m.name.clone();
                        let selected = key.clone();
                        view! {
                            <option value=key selected=move || value.with(|v| *v == selected)>{describe(&m)}</option>
                        }
                    }).collect_view()}
                </select>
            </label>
            <Show when=move || !pick_only>
                <OwnModel id=id value=value on_pick=on_pick models=models
                    storage=Signal::derive(move || listing.get().and_then(Result::ok).and_then(|(_, s)| s)) />
            </Show>
        </div>
    }
}

/// Adding a model: a folder from the student's computer or a web address, and the models added.
#[component]
fn OwnModel(
    /// The picker's id, which prefixes the panel's element ids.
    id: &'static str,
    /// The chosen model's key.
    value: Signal<String>,
    /// Receives the key of a model once it has loaded.
    on_pick: Callback<String>,
    /// Every model the worker lists.
    models: Signal<Vec<ModelSummary>>,
    /// The browser's storage use, when known.
    storage: Signal<Option<StorageUse>>,
) -> impl IntoView {
    let changed = models_changed();
    let job = RwSignal::new(None::<JobId>);
    let message = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<Progress>);
    let address = RwSignal::new(String::new());
    let dragging = RwSignal::new(false);
    let load = move |key: String| {
        progress.set(None);
        message.set(format!("Loading {}…", ModelKey::parse(&key).label()));
        start_job(
            Request::LoadModel { name: Some(key) },
            job,
            message,
            move |p| progress.set(Some(p)),
            move |outcome| match outcome {
                Outcome::ModelLoaded(summary) => {
                    let text = format!("Loaded {}: the lab now uses it.", describe(&summary));
                    on_pick.run(summary.name);
                    changed.update(|n| *n += 1);
                    Some(text)
                }
                _ => None,
            },
        );
    };
    // Folders are stored before they load: the job starts after an await, outside the
    // component, and needs the component's owner to find the worker.
    let owner = StoredValue::new_local(Owner::current());
    let load_here = move |key: String| match owner.get_value() {
        Some(owner) => owner.with(|| load(key)),
        None => load(key),
    };
    let store_then_load = move |picked: Vec<(String, web_sys::File)>| {
        message.set("Copying the folder into the browser's storage…".into());
        // The folder names of the student's models: a new folder never replaces one of them.
        let taken: Vec<String> = models
            .get_untracked()
            .iter()
            .filter_map(|m| match ModelKey::parse(&m.name) {
                ModelKey::Disk(name) => Some(name.to_string()),
                _ => None,
            })
            .collect();
        wasm_bindgen_futures::spawn_local(async move {
            match store_folder(picked, &taken).await {
                Ok(key) => load_here(key),
                Err(e) => message.set(format!("Failed: {e}")),
            }
        });
    };
    let on_files = move |ev: leptos::ev::Event| {
        if let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            store_then_load(input_files(&input));
            // The same folder picked again is a new choice.
            input.set_value("");
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        let Some(transfer) = ev.data_transfer() else {
            return;
        };
        let entries = dropped_entries(&transfer);
        // Files dropped by a script (or a browser without entries) come as a plain list.
        let loose = file_list(transfer.files());
        wasm_bindgen_futures::spawn_local(async move {
            let picked = if entries.is_empty() {
                Ok(loose)
            } else {
                dropped_files(entries).await
            };
            match picked {
                Ok(picked) => store_then_load(picked),
                Err(e) => message.set(format!("Failed: {e}")),
            }
        });
    };
    let load_address = move || match url_key(&address.get_untracked()) {
        Ok(key) => load(key),
        Err(e) => message.set(format!("Failed: {e}")),
    };
    let busy = move || job.get().is_some();
    let input_id = move |what: &str| format!("{id}-own-{what}");
    view! {
        <details class="own-model">
            <summary>"Use your own model"</summary>
            <p class="muted">"A Hugging Face folder: config.json, model.safetensors and tokenizer.json (or vocab.txt) of a BERT, RoBERTa, ALBERT or DistilBERT model. It stays in this browser until you delete it."</p>
            <div class="drop-zone" class:dragging=move || dragging.get()
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <label>"A folder from your computer "
                    <input id=input_id("folder") type="file" prop:webkitdirectory=true multiple disabled=busy on:change=on_files />
                </label>
                <label>"or its files "
                    <input id=input_id("files") type="file" multiple disabled=busy on:change=on_files />
                </label>
                <p class="muted">"…or drop the folder here."</p>
            </div>
            <div class="model-address">
                <label>"Or a web address of the folder"
                    <input id=input_id("url") type="url" placeholder="https://huggingface.co/ORG/NAME"
                        prop:value=move || address.get()
                        on:input=move |ev| address.set(event_target_value(&ev))
                        on:keydown=move |ev| if ev.key() == "Enter" { load_address() } />
                </label>
                <button id=input_id("load") disabled=busy on:click=move |_| load_address()>"Load"</button>
            </div>
            <Show when=busy>
                <div class="download-progress">
                    {move || progress.get().map(|p| view! {
                        <progress id=input_id("progress") max=p.total.max(1) value=p.done.min(p.total.max(1))></progress>
                        <span class="muted">{p.message}</span>
                    })}
                    <button id=input_id("cancel") on:click=move |_| {
                        if let Some(j) = job.get_untracked() {
                            crate::client::cancel(j);
                        }
                    }>"Cancel"</button>
                </div>
            </Show>
            <p id=input_id("message") class="muted" role="status" aria-live="polite">{move || message.get()}</p>
            <StoredModels models=models storage=storage message=message value=value on_pick=on_pick />
        </details>
    }
}

/// The models the student added, with their size and a delete button, and the storage quota.
#[component]
fn StoredModels(
    /// Every model the worker lists; those with a stored size are the student's.
    models: Signal<Vec<ModelSummary>>,
    /// The browser's storage use, when known.
    storage: Signal<Option<StorageUse>>,
    /// Where the outcome of a deletion is reported.
    message: RwSignal<String>,
    /// The chosen model's key.
    value: Signal<String>,
    /// Switches the lab to the default model when the chosen one is deleted.
    on_pick: Callback<String>,
) -> impl IntoView {
    let changed = models_changed();
    let job = RwSignal::new(None::<JobId>);
    let added = move || {
        models
            .get()
            .into_iter()
            .filter(|m| m.stored_bytes.is_some())
            .collect::<Vec<_>>()
    };
    view! {
        <section class="stored-models" aria-label="Models you added">
            <ul>
                {move || added().into_iter().map(|m| {
                    let key = StoredValue::new(m.name.clone());
                    let delete = move |_| start_job(
                        Request::ForgetModel { name: key.get_value() },
                        job,
                        message,
                        |_| {},
                        move |outcome| match outcome {
                            Outcome::ModelForgotten { name } => {
                                if value.get_untracked() == name {
                                    on_pick.run(String::new());
                                }
                                changed.update(|n| *n += 1);
                                Some(format!("Deleted {}.", ModelKey::parse(&name).label()))
                            }
                            _ => None,
                        },
                    );
                    view! {
                        <li>
                            <span class="model-file">{describe(&m)}</span>
                            <span class="muted">{format!(" {} ", mb(m.stored_bytes.unwrap_or(0)))}</span>
                            <button class="delete" on:click=delete>"Delete"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {move || storage.get().map(|s| view! {
                <p class="muted storage-use">{format!("This site stores {} of the {} your browser allows it.", mb(s.usage), mb(s.quota))}</p>
            })}
        </section>
    }
}
