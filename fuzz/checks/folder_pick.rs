//! Fuzz check `folder_pick`: which folder of the files a student picked or dropped is the model
//! (`folder_pick::{model_folder, folder_name, free_name}`), from the files' relative paths. Input:
//! one path per line. Contract: no panic; the chosen files are exactly those directly in the chosen
//! folder, which is the shallowest holding `config.json` when any does; the stored name is one
//! non-empty path segment that no model the student added already has.

#![allow(dead_code)]

use bertlab_app::folder_pick::{folder_name, free_name, model_folder};

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let paths: Vec<String> = text.split('\n').map(str::to_string).collect();
    let dir_of = |p: &str| {
        p.rsplit_once('/')
            .map_or(String::new(), |(d, _)| d.to_string())
    };
    let depth = |d: &str| {
        if d.is_empty() {
            0
        } else {
            d.split('/').count()
        }
    };
    let (chosen, files) = model_folder(&paths);
    for (i, path) in paths.iter().enumerate() {
        assert_eq!(
            files.contains(&i),
            dir_of(path) == chosen,
            "{path:?} in {chosen:?}"
        );
    }
    let configs: Vec<String> = paths
        .iter()
        .filter(|p| p.rsplit('/').next() == Some("config.json"))
        .map(|p| dir_of(p))
        .collect();
    if let Some(shallowest) = configs.iter().map(|d| depth(d)).min() {
        assert_eq!(depth(&chosen), shallowest);
        assert!(configs.contains(&chosen));
    }
    let name = folder_name(&chosen);
    assert!(
        !name.is_empty() && !name.contains('/') && name.trim() == name,
        "{name:?}"
    );
    let taken: Vec<String> = paths
        .iter()
        .take(6)
        .cloned()
        .chain([name.clone()])
        .collect();
    let free = free_name(&name, &taken);
    assert!(!taken.contains(&free), "{free:?} is taken");
}
