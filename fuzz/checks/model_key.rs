//! Fuzz check `model_key`: the model names and addresses a student types or a lab URL carries
//! (`model_key::{ModelKey::parse, url_key, disk_key}`). Contract: no panic; parsing says where
//! the files are without losing the name; a pasted address becomes an http(s) folder URL that is a
//! model key of its own and does not change when normalised again; a disk folder's stored files are
//! one path segment under the folder's own prefix.

#![allow(dead_code)]

use bertlab_protocol::model_key::{disk_key, url_key, ModelKey};

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let key = ModelKey::parse(&text);
    match key {
        ModelKey::Disk(name) => assert_eq!(format!("disk:{name}"), text),
        ModelKey::Url(url) => {
            assert_eq!(url, text);
            assert!(url.starts_with("http://") || url.starts_with("https://"));
        }
        ModelKey::Shipped(name) => {
            assert_eq!(name, text);
            assert!(
                !name.starts_with("disk:")
                    && !name.starts_with("http://")
                    && !name.starts_with("https://")
            );
        }
    }
    let _ = key.label();
    match (key, key.stored_file("config.json")) {
        (ModelKey::Shipped(_), stored) => assert_eq!(stored, None),
        (ModelKey::Url(url), stored) => assert_eq!(stored, Some(format!("{url}config.json"))),
        (ModelKey::Disk(_), Some(stored)) => {
            let segment = stored
                .strip_prefix("/user-models/")
                .and_then(|s| s.strip_suffix("/config.json"))
                .unwrap_or_else(|| panic!("{stored}"));
            assert!(!segment.contains('/') && !segment.contains('?') && !segment.contains('#'));
        }
        (ModelKey::Disk(_), None) => panic!("a disk folder's files are stored"),
    }

    match url_key(&text) {
        Ok(url) => {
            assert!(
                url.starts_with("http://") || url.starts_with("https://"),
                "{url}"
            );
            assert!(url.ends_with('/'), "{url}");
            assert_eq!(ModelKey::parse(&url), ModelKey::Url(&url));
            assert_eq!(
                url_key(&url).as_ref(),
                Ok(&url),
                "normalising {url} again changes it"
            );
            let _ = ModelKey::Url(&url).label();
        }
        Err(message) => assert!(!message.is_empty()),
    }

    let disk = disk_key(&text);
    match ModelKey::parse(&disk) {
        ModelKey::Disk(name) => assert_eq!(name, text.trim().trim_matches('/')),
        other => panic!("{disk} parsed as {other:?}"),
    }
}
