//! Fuzz check `url_state`: the query string of a lab or lesson URL (links instructors share, embed
//! snippets, lesson presets), read by `url_state::query_pairs` into pairs and by each lab's
//! `state_from_pairs` into its state, plus `hide=`/`lock=` (`ControlPolicy`) and the base path.
//! Contract: no panic; decoding keeps one pair per `&`-part and inverts the browser's
//! form-encoding; whatever state a URL gives, the URL the app writes for it reads back strictly to
//! the same state; a query the strict reader accepts reads the same leniently.

#![allow(dead_code)]

use bertlab_app::lab_registry::{LabId, LabState, StateVisitor};
use bertlab_app::lab_state::mask_word;
use bertlab_app::url_state::{
    base_path, query_pairs, state_from_pairs, state_from_pairs_strict, state_to_pairs,
    ControlPolicy,
};

/// `application/x-www-form-urlencoded`, as the browser's `URLSearchParams` writes a query.
pub fn form_encode(pairs: &[(String, String)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn check(data: &[u8]) {
    let query = String::from_utf8_lossy(data);
    let pairs = query_pairs(&query);
    let parts = query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .count();
    assert_eq!(pairs.len(), parts);
    assert_eq!(
        query_pairs(&form_encode(&pairs)),
        pairs,
        "decode(encode) changed the pairs"
    );

    let policy = ControlPolicy::from_pairs(&pairs);
    for (key, value) in &pairs {
        if key == "hide" || key == "lock" {
            for control in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                assert!(if key == "hide" {
                    policy.hidden(control)
                } else {
                    policy.locked(control)
                });
            }
        }
    }
    for lab in LabId::ALL {
        lab.visit(ThroughUrl(&pairs));
        let _ = lab.check_preset(&pairs);
    }

    let path = base_path(&query);
    assert!(
        path.is_empty() || (path.starts_with('/') && !path.ends_with('/')),
        "{path:?}"
    );
    let words = query.split_whitespace().count();
    for index in [0, 1, words.saturating_sub(1)] {
        let masked = mask_word(&query, index);
        assert_eq!(masked.split_whitespace().count(), words, "{masked:?}");
    }
}

struct ThroughUrl<'a>(&'a [(String, String)]);

impl StateVisitor for ThroughUrl<'_> {
    type Output = ();

    fn visit<S: LabState>(self) {
        let json = |s: &S| serde_json::to_string(s).expect("a state serialises");
        let state: S = state_from_pairs(self.0);
        if let Ok(strict) = state_from_pairs_strict::<S>(self.0) {
            assert!(
                strict == state,
                "strict {} / lenient {}",
                json(&strict),
                json(&state)
            );
        }
        let written = state_to_pairs(&state);
        let through = query_pairs(&form_encode(&written));
        assert_eq!(through, written);
        let back: S = state_from_pairs_strict(&through)
            .unwrap_or_else(|e| panic!("the URL the app writes is refused: {e} ({written:?})"));
        assert!(back == state, "{} became {}", json(&state), json(&back));
    }
}
