//! Fuzz check `stored_records`: what the page reads back from the browser's storage, which a
//! student (or an older version of the lab) may have left in any state: the track progress
//! (`Progress::from_json`, localStorage `bertlab.progress`), the fine-tuning run paces (`Paces`)
//! and experiment sheet (`Vec<SheetRow>`) that `stored::load` reads, a stored model's `Manifest`
//! (Cache Storage) and the compute-backend choice. Contract: no panic; anything unreadable is the
//! default; what was read is written back unchanged (JSON round trip) and the page's uses of it
//! (progress counts, time estimates, the manifest's key) stay sane.

#![allow(dead_code)]

use bertlab_app::catalog::Track;
use bertlab_app::progress::Progress;
use bertlab_app::run_pace::{describe_seconds, Paces};
use bertlab_protocol::backend::BackendChoice;
use bertlab_protocol::model_key::{Manifest, ModelKey};
use bertlab_protocol::training::SheetRow;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// What `stored::load` does: the value, or the default when it does not parse.
fn load<T: DeserializeOwned + Default>(json: &str) -> T {
    serde_json::from_str(json).unwrap_or_default()
}

/// A value read from storage is written back as it was read.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let json = serde_json::to_string(value).expect("serialises");
    let back: T = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("what we store does not read back: {e}\n{json}"));
    assert_eq!(&back, value, "changed on the way: {json}");
}

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);

    let progress = Progress::from_json(Some(&text));
    assert_eq!(Progress::from_json(Some(&progress.to_json())), progress);
    for track in Track::ALL {
        let (done, total) = progress.finished_in(track);
        assert!(done <= total);
        for lesson in track.lessons() {
            let p = progress.lesson(track, lesson.slug);
            if let Some(quiz) = p.quiz {
                let _ = format!("{} of {} right", quiz.correct, quiz.total);
            }
        }
    }

    let paces: Paces = load(&text);
    round_trip(&paces);
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(&text) {
        for key in map.keys().take(8) {
            let (approach, model) = key.split_once('|').unwrap_or((key, ""));
            for updates in [0, 1, 250, 100_000] {
                if let Some(seconds) = paces.estimate(approach, model, updates) {
                    let shown = describe_seconds(seconds);
                    assert!(!shown.is_empty());
                }
            }
        }
    }

    let sheet: Vec<SheetRow> = load(&text);
    round_trip(&sheet);

    if let Ok(manifest) = serde_json::from_str::<Manifest>(&text) {
        round_trip(&manifest);
        let key = ModelKey::parse(&manifest.key);
        let _ = key.label();
        for file in &manifest.files {
            let _ = key.stored_file(file);
        }
    }

    let choice = BackendChoice::from_key(&text);
    if let Some(choice) = choice {
        assert_eq!(choice.key(), text);
    }
}
