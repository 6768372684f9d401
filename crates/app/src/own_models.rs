//! A model folder from the student's disk (folder picker, file picker or drop), stored in the
//! browser's Cache Storage, where the worker reads it under the folder's `disk:` key (see
//! `bertlab_protocol::model_key`). The page only moves the files: the browser copies each one
//! without the page reading it, and the worker checks them when it loads the model.

use bertlab_protocol::model_key::{
    disk_key, files, Manifest, ModelKey, MANIFEST, USER_MODELS_CACHE,
};

use crate::folder_pick::{folder_name, free_name, model_folder};
use wasm_bindgen::{JsCast, JsValue};

use crate::cache_storage::{self, message};
use wasm_bindgen_futures::JsFuture;

/// Stores the model folder among `picked` (with their relative paths) for the worker, and returns
/// its key, under a name none of the `taken` folder names has. Files the lab does not read are not
/// stored, only named in the manifest, so that the worker can explain what is missing (e.g. a
/// folder with only `pytorch_model.bin`).
pub async fn store_folder(
    picked: Vec<(String, web_sys::File)>,
    taken: &[String],
) -> Result<String, String> {
    if picked.is_empty() {
        return Err("no files were chosen".into());
    }
    let paths: Vec<String> = picked.iter().map(|(p, _)| p.clone()).collect();
    let (dir, chosen) = model_folder(&paths);
    let key = disk_key(&free_name(&folder_name(&dir), taken));
    let model = ModelKey::parse(&key);
    let cache = cache_storage::open(USER_MODELS_CACHE).await?;
    let mut names = Vec::new();
    for i in chosen {
        let file = &picked[i].1;
        let name = file.name();
        if files::READ.contains(&name.as_str()) {
            let response = web_sys::Response::new_with_opt_blob(Some(file))
                .map_err(|e| message("cannot read the file", e))?;
            let key = model.stored_file(&name).unwrap_or_default();
            cache_storage::put(&cache, &key, &response, &name, file.size()).await?;
        }
        names.push(name);
    }
    let manifest = Manifest {
        key: key.clone(),
        files: names,
        summary: None,
    };
    let json = serde_json::to_string(&manifest).map_err(|e| e.to_string())?;
    let response = web_sys::Response::new_with_opt_str(Some(&json))
        .map_err(|e| message("cannot write the manifest", e))?;
    let manifest_key = model.stored_file(MANIFEST).unwrap_or_default();
    let list = "the folder's list of files";
    cache_storage::put(&cache, &manifest_key, &response, list, json.len() as f64).await?;
    Ok(key)
}

/// The files of a file input (`webkitdirectory` gives each its path in the folder).
pub fn input_files(input: &web_sys::HtmlInputElement) -> Vec<(String, web_sys::File)> {
    file_list(input.files())
}

/// The files of a list, each with its path in the folder it was picked from, if any.
pub fn file_list(list: Option<web_sys::FileList>) -> Vec<(String, web_sys::File)> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|file| {
            let path = relative_path(&file);
            (path, file)
        })
        .collect()
}

/// `webkitRelativePath`, or the bare name when the file was not picked as part of a folder.
fn relative_path(file: &web_sys::File) -> String {
    js_sys::Reflect::get(file, &"webkitRelativePath".into())
        .ok()
        .and_then(|p| p.as_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| file.name())
}

/// The entries of a drop. They must be taken while the drop event runs: the browser empties the
/// transfer afterwards.
pub fn dropped_entries(transfer: &web_sys::DataTransfer) -> Vec<web_sys::FileSystemEntry> {
    let items = transfer.items();
    (0..items.length())
        .filter_map(|i| items.get(i)?.webkit_get_as_entry().ok().flatten())
        .collect()
}

/// Every file under the dropped entries, folders read recursively, with paths relative to the
/// drop (`folder/file`).
pub async fn dropped_files(
    entries: Vec<web_sys::FileSystemEntry>,
) -> Result<Vec<(String, web_sys::File)>, String> {
    let mut files = Vec::new();
    let mut pending = entries;
    while let Some(entry) = pending.pop() {
        let path = entry.full_path().trim_start_matches('/').to_string();
        if entry.is_directory() {
            let dir: web_sys::FileSystemDirectoryEntry = entry.unchecked_into();
            let reader = dir.create_reader();
            // Each call returns the next batch of entries; an empty batch ends the folder.
            loop {
                let batch = callback_promise(|ok, err| {
                    reader.read_entries_with_callback_and_callback(ok, err)
                })
                .await
                .map_err(|e| message(&format!("cannot read the folder {path}"), e))?;
                let batch = js_sys::Array::from(&batch);
                if batch.length() == 0 {
                    break;
                }
                pending.extend(
                    batch
                        .iter()
                        .map(|e| e.unchecked_into::<web_sys::FileSystemEntry>()),
                );
            }
        } else if entry.is_file() {
            let file_entry: web_sys::FileSystemFileEntry = entry.unchecked_into();
            let file = callback_promise(|ok, err| {
                file_entry.file_with_callback_and_callback(ok, err);
                Ok(())
            })
            .await
            .map_err(|e| message(&format!("cannot read {path}"), e))?;
            files.push((path, file.unchecked_into()));
        }
    }
    Ok(files)
}

/// A promise around an API that answers through a success and an error callback.
async fn callback_promise(
    call: impl FnOnce(&js_sys::Function, &js_sys::Function) -> Result<(), JsValue>,
) -> Result<JsValue, JsValue> {
    let mut call = Some(call);
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        if let Some(call) = call.take() {
            if let Err(e) = call(&resolve, &reject) {
                let _ = reject.call1(&JsValue::NULL, &e);
            }
        }
    });
    JsFuture::from(promise).await
}
