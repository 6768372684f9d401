//! How a request names a model: the string in `model` fields and in lab URLs. A shipped folder by
//! its name (`bertlab-minilm-mlm`), a model on the web by the URL of its folder
//! (`https://host/models/mine/`, a hub's `…/resolve/main/`), a folder from the student's disk by
//! `disk:` and the folder's name. One string, so a lab's URL carries it like any other setting.

/// Where a model's files come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKey<'a> {
    /// A folder under the lab's `models/`.
    Shipped(&'a str),
    /// A folder served over HTTP(S); the URL ends with `/`, file names are appended to it.
    Url(&'a str),
    /// A folder the student picked on their disk, kept in the browser's storage under this name.
    Disk(&'a str),
}

const DISK: &str = "disk:";

/// The files of a Hugging Face model folder that the lab reads or recognises.
pub mod files {
    pub const CONFIG: &str = "config.json";
    pub const WEIGHTS: &str = "model.safetensors";
    pub const TOKENIZER: &str = "tokenizer.json";
    pub const VOCAB: &str = "vocab.txt";
    pub const TOKENIZER_CONFIG: &str = "tokenizer_config.json";
    /// PyTorch's pickle format: never read (unpickling runs code), only recognised to explain.
    pub const TORCH_WEIGHTS: &str = "pytorch_model.bin";
    pub const SHARD_INDEX: &str = "model.safetensors.index.json";
    /// The files the lab reads: what the browser keeps of a student's model.
    pub const READ: [&str; 5] = [CONFIG, WEIGHTS, TOKENIZER, VOCAB, TOKENIZER_CONFIG];
}

/// The Cache Storage cache holding the models the student added, each file under
/// [`ModelKey::stored_file`], and a [`Manifest`] under the name [`MANIFEST`].
pub const USER_MODELS_CACHE: &str = "bertlab-user-models";

/// The Cache Storage cache of the models trained in the tab, each a ZIP under
/// [`TRAINED_MODELS_PREFIX`] + its file name.
pub const TRAINED_MODELS_CACHE: &str = "bertlab-trained-models";
pub const TRAINED_MODELS_PREFIX: &str = "/trained-models/";
pub const MANIFEST: &str = "bertlab-manifest.json";

/// What the lab keeps about a model the student added, next to its files.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// The model's key.
    pub key: String,
    /// The names of the files its folder has (those stored and those only recognised, such as
    /// `pytorch_model.bin`).
    pub files: Vec<String>,
    /// Written by the worker once the model has loaded; a folder without one never loaded.
    #[serde(default)]
    pub summary: Option<crate::messages::ModelSummary>,
}

impl<'a> ModelKey<'a> {
    pub fn parse(key: &'a str) -> ModelKey<'a> {
        if let Some(name) = key.strip_prefix(DISK) {
            ModelKey::Disk(name)
        } else if key.starts_with("http://") || key.starts_with("https://") {
            ModelKey::Url(key)
        } else {
            ModelKey::Shipped(key)
        }
    }

    /// The cache key of one of its files, for models the student added.
    pub fn stored_file(&self, file: &str) -> Option<String> {
        match self {
            ModelKey::Shipped(_) => None,
            ModelKey::Url(url) => Some(format!("{url}{file}")),
            ModelKey::Disk(name) => Some(format!("/user-models/{}/{file}", percent_encode(name))),
        }
    }

    /// A short name for lists and messages: the folder's, or the URL's last path segments.
    pub fn label(&self) -> String {
        match self {
            ModelKey::Shipped(name) | ModelKey::Disk(name) => name.to_string(),
            ModelKey::Url(url) => {
                let path = url.split_once("://").map_or(*url, |(_, rest)| rest);
                // Hub URLs end in `resolve/<revision>/`: the repository's name is what people know.
                let path = match path.trim_end_matches('/').rsplit_once("/resolve/") {
                    Some((repo, _)) => repo,
                    None => path.trim_end_matches('/'),
                };
                path.split('/').skip(1).collect::<Vec<_>>().join("/")
            }
        }
    }
}

/// Every byte but unreserved ASCII as `%XX`, so any folder name is one path segment.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The key of a student's folder named `folder` (its last path component).
pub fn disk_key(folder: &str) -> String {
    format!("{DISK}{}", folder.trim().trim_matches('/'))
}

/// The key of a model folder at `url`, as a student might paste it: with or without the final
/// `/`, or the URL of one of its files (`…/config.json`). A Hugging Face repository page
/// (`https://huggingface.co/ORG/NAME`) becomes its `resolve/main/` file URL.
pub fn url_key(url: &str) -> Result<String, String> {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!(
            "{url:?} is not a web address: it should start with https://"
        ));
    };
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "{scheme}:// addresses cannot be loaded: use an https:// address"
        ));
    }
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() {
        return Err(format!("{url:?} names no host"));
    }
    // An address ending in `/` names a folder, whatever it is called; otherwise a model file's
    // address stands for its folder. So a key, which ends in `/`, is its own key.
    let folder_named = path.ends_with('/');
    let mut path = path.trim_end_matches('/').to_string();
    let is_file = |name: &str| files::READ.contains(&name) || name == files::TORCH_WEIGHTS;
    if !folder_named {
        if let Some((folder, file)) = path.rsplit_once('/') {
            if is_file(file) {
                path = folder.trim_end_matches('/').to_string();
            }
        } else if is_file(&path) {
            path.clear();
        }
    }
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if host == "huggingface.co" && segments.len() == 2 {
        path = format!("{path}/resolve/main");
    }
    // `…/blob/main/` is the hub's page for a file; the bytes are under `resolve`. Segment by
    // segment (neither the first nor the last), so that normalising a key again changes nothing.
    let mut parts: Vec<&str> = path.split('/').collect();
    let last = parts.len().saturating_sub(1);
    for part in parts.iter_mut().take(last).skip(1) {
        if *part == "blob" || *part == "tree" {
            *part = "resolve";
        }
    }
    let path = parts.join("/");
    Ok(if path.is_empty() {
        format!("{scheme}://{host}/")
    } else {
        format!("{scheme}://{host}/{path}/")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_say_where_the_files_are() {
        assert_eq!(
            ModelKey::parse("recipe-bert"),
            ModelKey::Shipped("recipe-bert")
        );
        assert_eq!(ModelKey::parse("disk:my model"), ModelKey::Disk("my model"));
        assert_eq!(
            ModelKey::parse("https://h/m/"),
            ModelKey::Url("https://h/m/")
        );
        assert_eq!(
            ModelKey::parse(&disk_key(" mine/ ")),
            ModelKey::Disk("mine")
        );
    }

    #[test]
    fn stored_files_have_one_key_each() {
        let stored = |k: &str| ModelKey::parse(k).stored_file("config.json");
        assert_eq!(stored("recipe-bert"), None);
        assert_eq!(
            stored("https://h/m/").as_deref(),
            Some("https://h/m/config.json")
        );
        assert_eq!(
            stored("disk:my model/ü").as_deref(),
            Some("/user-models/my%20model%2F%C3%BC/config.json")
        );
    }

    #[test]
    fn pasted_addresses_become_folder_urls() {
        let key = |u: &str| url_key(u).expect(u);
        assert_eq!(key("http://127.0.0.1:8080/m"), "http://127.0.0.1:8080/m/");
        assert_eq!(
            key("http://127.0.0.1:8080/m/config.json"),
            "http://127.0.0.1:8080/m/"
        );
        assert_eq!(
            key(" https://example.org/a/b/?x=1 "),
            "https://example.org/a/b/"
        );
        assert_eq!(
            key("https://huggingface.co/prajjwal1/bert-tiny"),
            "https://huggingface.co/prajjwal1/bert-tiny/resolve/main/"
        );
        assert_eq!(
            key("https://huggingface.co/org/m/blob/main/config.json"),
            "https://huggingface.co/org/m/resolve/main/"
        );
        assert_eq!(key("https://example.org"), "https://example.org/");
        for bad in [
            "example.org/m",
            "ftp://example.org/m",
            "file:///home/m",
            "https:///m",
        ] {
            assert!(url_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn labels_are_short() {
        let label = |k: &str| ModelKey::parse(k).label();
        assert_eq!(label("https://huggingface.co/org/m/resolve/main/"), "org/m");
        assert_eq!(label("http://127.0.0.1:8080/models/mine/"), "models/mine");
        assert_eq!(label("disk:mine"), "mine");
    }
}
