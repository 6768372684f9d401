//! Which folder of the files a student picked or dropped is the model: plain rules, kept apart
//! from the browser code that stores the files (`own_models`) so they are tested natively.

/// The folder among picked files whose own files the model is made of: the shallowest one holding
/// `config.json` (a picked parent folder or a dropped repository may hold more), else the
/// shallowest of all. Paths are relative (`folder/sub/file`); a file without a folder has none.
/// Returns the folder's path and the indices of the files directly in it.
pub fn model_folder(paths: &[String]) -> (String, Vec<usize>) {
    let split = |path: &str| -> (String, String) {
        match path.rsplit_once('/') {
            Some((dir, file)) => (dir.to_string(), file.to_string()),
            None => (String::new(), path.to_string()),
        }
    };
    let depth = |dir: &str| {
        if dir.is_empty() {
            0
        } else {
            dir.split('/').count()
        }
    };
    let dirs: Vec<(String, String)> = paths.iter().map(|p| split(p)).collect();
    let with_config = dirs
        .iter()
        .filter(|(_, file)| file == "config.json")
        .map(|(dir, _)| dir)
        .min_by_key(|dir| depth(dir));
    let chosen = with_config
        .or_else(|| dirs.iter().map(|(dir, _)| dir).min_by_key(|dir| depth(dir)))
        .cloned()
        .unwrap_or_default();
    let files = (0..dirs.len()).filter(|&i| dirs[i].0 == chosen).collect();
    (chosen, files)
}

/// The name a folder is kept under: its own name, or `model` for files dropped without one.
pub fn folder_name(dir: &str) -> String {
    let name = dir.rsplit('/').next().unwrap_or_default().trim();
    if name.is_empty() {
        "model".to_string()
    } else {
        name.to_string()
    }
}

/// `name`, or `name (2)`, `name (3)`… when a model the student added already has it, so a new
/// folder never replaces a model that works (the new one may fail to load).
pub fn free_name(name: &str, taken: &[String]) -> String {
    let used = |candidate: &str| taken.iter().any(|t| t == candidate);
    if !used(name) {
        return name.to_string();
    }
    (2..)
        .map(|n| format!("{name} ({n})"))
        .find(|candidate| !used(candidate))
        .unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_folder_with_config_json_is_the_model() {
        let picked = paths(&[
            "repo/README.md",
            "repo/model/config.json",
            "repo/model/model.safetensors",
            "repo/model/onnx/model.onnx",
            "repo/other/deeper/config.json",
        ]);
        let (dir, files) = model_folder(&picked);
        assert_eq!(dir, "repo/model");
        assert_eq!(files, vec![1, 2]);
        assert_eq!(folder_name(&dir), "model");
    }

    #[test]
    fn loose_files_and_folders_without_a_config_still_make_a_folder() {
        let (dir, files) = model_folder(&paths(&["config.json", "vocab.txt"]));
        assert_eq!((dir.as_str(), files), ("", vec![0, 1]));
        assert_eq!(folder_name(&dir), "model");
        // Without config.json the worker explains; the shallowest files are what it sees.
        let (dir, files) = model_folder(&paths(&["m/pytorch_model.bin", "m/x/vocab.txt"]));
        assert_eq!((dir.as_str(), files), ("m", vec![0]));
    }

    #[test]
    fn a_new_folder_never_takes_a_used_name() {
        let taken = vec!["model".to_string(), "model (2)".to_string()];
        assert_eq!(free_name("model", &taken), "model (3)");
        assert_eq!(free_name("bert", &taken), "bert");
    }
}
