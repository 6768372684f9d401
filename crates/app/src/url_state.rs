//! Widget state mirrored in the URL, so any view can be linked, reloaded or embedded as it is.
//!
//! A widget's state is one serializable struct. Each top-level field becomes a query parameter
//! (strings as they are, other values as JSON), so links stay readable: `?text=the+cat&rate=0.15`.
//! Instructors add `hide=a,b` to remove controls and `lock=a,b` to show them disabled; `embed=1`
//! selects embed mode. Those three parameters are never touched by a widget.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

#[cfg(target_arch = "wasm32")]
pub use browser::{use_control_policy, use_url_state, EmbedCode};

/// Query parameters that belong to the page, not to a widget's state.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const RESERVED: [&str; 3] = ["embed", "hide", "lock"];

/// Read a state from query pairs: fields missing or unreadable in the URL keep their default.
pub fn state_from_pairs<S: Serialize + DeserializeOwned + Default>(
    pairs: &[(String, String)],
) -> S {
    read_pairs(pairs, false).unwrap_or_default()
}

/// Like [`state_from_pairs`], but an unknown parameter or a value the field cannot take is an
/// error: for links the project writes itself (lesson steps), where a typo must not pass silently.
pub fn state_from_pairs_strict<S: Serialize + DeserializeOwned + Default>(
    pairs: &[(String, String)],
) -> Result<S, String> {
    read_pairs(pairs, true)
}

fn read_pairs<S: Serialize + DeserializeOwned + Default>(
    pairs: &[(String, String)],
    strict: bool,
) -> Result<S, String> {
    let Ok(Value::Object(mut fields)) = serde_json::to_value(S::default()) else {
        return Ok(S::default());
    };
    for (key, raw) in pairs {
        let Some(slot) = fields.get_mut(key) else {
            if strict {
                return Err(format!("no parameter '{key}'"));
            }
            continue;
        };
        // Strings are taken as typed; other fields are JSON (numbers, booleans).
        let candidate = match slot {
            Value::String(_) => Some(Value::String(raw.clone())),
            _ => serde_json::from_str::<Value>(raw).ok(),
        };
        // Accept a field only if the whole state still deserializes with it.
        let previous = candidate.map(|c| std::mem::replace(slot, c));
        let fits = previous.is_some()
            && serde_json::from_value::<S>(Value::Object(fields.clone())).is_ok();
        if !fits {
            if strict {
                return Err(format!("'{raw}' is not a valid value for '{key}'"));
            }
            if let Some(previous) = previous {
                fields.insert(key.clone(), previous);
            }
        }
    }
    serde_json::from_value(Value::Object(fields)).map_err(|e| e.to_string())
}

/// The longest field value a link carries (characters). A pasted page would make a link of
/// megabytes, past what browsers and chat apps keep, rewritten at every keystroke.
pub const LINK_VALUE_LIMIT: usize = 2_000;

/// Write a state as query pairs, leaving out fields equal to their default to keep links short,
/// and values over [`LINK_VALUE_LIMIT`] (the link then opens the default in their place).
pub fn state_to_pairs<S: Serialize + Default>(state: &S) -> Vec<(String, String)> {
    let (Ok(Value::Object(fields)), Ok(Value::Object(defaults))) = (
        serde_json::to_value(state),
        serde_json::to_value(S::default()),
    ) else {
        return Vec::new();
    };
    fields
        .into_iter()
        .filter(|(k, v)| defaults.get(k) != Some(v))
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .filter(|(_, text)| text.chars().count() <= LINK_VALUE_LIMIT)
        .collect()
}

thread_local! {
    /// The sub-path the app is served under ("" at a domain's root), set once at start-up.
    static BASE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Remembers the sub-path the app is served under (see [`base_path`]).
pub fn set_base(base: &str) {
    BASE.with(|b| *b.borrow_mut() = base.trim_end_matches('/').to_string());
}

/// `path`, absolute within the app (`/labs/masking`), under the sub-path the app is served from.
/// The router's `<A>` leaves absolute paths as they are, so every link goes through this.
pub fn app_path(path: impl AsRef<str>) -> String {
    BASE.with(|b| format!("{}{}", b.borrow(), path.as_ref()))
}

/// The path of an absolute URL without its trailing slash: `https://h/a/b/` → `/a/b`.
pub fn base_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.trim_end_matches('/').to_string()
}

/// Split a query string (`a=1&b=two+words`, with or without a leading `?`) into decoded pairs.
/// Malformed escapes are kept literally rather than rejected.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    fn hex(digit: Option<&u8>) -> Option<u8> {
        (*digit? as char).to_digit(16).map(|d| d as u8)
    }
    fn decode(part: &str) -> String {
        let bytes = part.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                // Hex digits are read as bytes: what follows a `%` may be any character.
                b'%' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                    (Some(high), Some(low)) => {
                        out.push(high * 16 + low);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// Which controls the URL hides or locks (`hide=seed,rate&lock=text`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ControlPolicy {
    hidden: Vec<String>,
    locked: Vec<String>,
}

impl ControlPolicy {
    pub fn from_pairs(pairs: &[(String, String)]) -> ControlPolicy {
        let list = |name: &str| -> Vec<String> {
            pairs
                .iter()
                .filter(|(k, _)| k == name)
                .flat_map(|(_, v)| {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                })
                .collect()
        };
        ControlPolicy {
            hidden: list("hide"),
            locked: list("lock"),
        }
    }

    /// A policy that hides `controls` (a lesson step showing only what it is about).
    pub fn hiding(controls: &[&str]) -> ControlPolicy {
        ControlPolicy {
            hidden: controls.iter().map(|c| c.to_string()).collect(),
            locked: Vec::new(),
        }
    }

    /// Both policies' hidden and locked controls.
    pub fn merged(mut self, other: &ControlPolicy) -> ControlPolicy {
        self.hidden.extend(other.hidden.iter().cloned());
        self.locked.extend(other.locked.iter().cloned());
        self
    }

    pub fn hidden(&self, control: &str) -> bool {
        self.hidden.iter().any(|c| c == control)
    }

    pub fn locked(&self, control: &str) -> bool {
        self.locked.iter().any(|c| c == control)
    }
}

/// The parts that need the browser: signals, the address bar, the clipboard.
#[cfg(target_arch = "wasm32")]
mod browser {
    use leptos::prelude::*;
    use leptos_router::hooks::use_query_map;
    use serde::de::DeserializeOwned;
    use serde::Serialize;

    use super::{state_from_pairs, state_to_pairs, ControlPolicy, RESERVED};

    fn encode_query(pairs: &[(String, String)]) -> String {
        let params = web_sys::UrlSearchParams::new().ok();
        match params {
            Some(params) => {
                for (k, v) in pairs {
                    params.append(k, v);
                }
                params.to_string().as_string().unwrap_or_default()
            }
            None => String::new(),
        }
    }

    fn current_pairs() -> Vec<(String, String)> {
        let query = use_query_map();
        query.with_untracked(|q| {
            q.into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
    }

    /// A widget's state as a signal that starts from the URL and writes every change back to it
    /// (with `history.replaceState`, so typing does not flood the back button).
    pub fn use_url_state<S>() -> RwSignal<S>
    where
        S: Serialize + DeserializeOwned + Default + Clone + PartialEq + Send + Sync + 'static,
    {
        let pairs = current_pairs();
        let state = RwSignal::new(state_from_pairs::<S>(&pairs));
        let reserved: Vec<(String, String)> = pairs
            .into_iter()
            .filter(|(k, _)| RESERVED.contains(&k.as_str()))
            .collect();
        Effect::new(move |_| {
            let mut query = reserved.clone();
            query.extend(state_to_pairs(&state.get()));
            let Some(window) = web_sys::window() else {
                return;
            };
            let path = window.location().pathname().unwrap_or_default();
            let encoded = encode_query(&query);
            let url = if encoded.is_empty() {
                path
            } else {
                format!("{path}?{encoded}")
            };
            if let Ok(history) = window.history() {
                let _ =
                    history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
            }
        });
        state
    }

    /// The URL's control policy for the current page.
    pub fn use_control_policy() -> ControlPolicy {
        ControlPolicy::from_pairs(&current_pairs())
    }

    /// The `<iframe>` snippet that embeds the current view in another site.
    pub fn embed_snippet() -> String {
        let Some(window) = web_sys::window() else {
            return String::new();
        };
        let location = window.location();
        let origin = location.origin().unwrap_or_default();
        let path = location.pathname().unwrap_or_default();
        let search = location.search().unwrap_or_default();
        let mut query: Vec<(String, String)> = web_sys::UrlSearchParams::new_with_str(&search)
            .ok()
            .map(|p| {
                let mut out = Vec::new();
                let entries = js_sys::try_iter(&p).ok().flatten();
                for entry in entries.into_iter().flatten().flatten() {
                    let pair = js_sys::Array::from(&entry);
                    if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                        out.push((k, v));
                    }
                }
                out
            })
            .unwrap_or_default();
        query.retain(|(k, _)| k != "embed");
        query.push(("embed".into(), "1".into()));
        format!(
            "<iframe src=\"{origin}{path}?{}\" width=\"100%\" height=\"640\" style=\"border:0\" loading=\"lazy\" title=\"BERT Lab\"></iframe>",
            encode_query(&query).replace('&', "&amp;")
        )
    }

    /// A button that copies the embed snippet for the current view to the clipboard.
    #[component]
    pub fn EmbedCode() -> impl IntoView {
        let note = RwSignal::new(String::new());
        let copy = move |_| {
            let snippet = embed_snippet();
            let clipboard = web_sys::window().map(|w| w.navigator().clipboard());
            match clipboard {
                Some(clipboard) => {
                    let promise = clipboard.write_text(&snippet);
                    wasm_bindgen_futures::spawn_local(async move {
                        let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                        note.set(if copied {
                            "Embed code copied.".into()
                        } else {
                            snippet
                        });
                    });
                }
                None => note.set(snippet),
            }
        };
        view! {
            <div class="embed-code">
                <button class="secondary" on:click=copy>"Copy embed code"</button>
                <output class="embed-note">{move || note.get()}</output>
            </div>
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    struct Demo {
        text: String,
        rate: f32,
        epochs: u32,
        whole_word: bool,
    }

    impl Default for Demo {
        fn default() -> Self {
            Demo {
                text: "the cat sat".into(),
                rate: 0.15,
                epochs: 4,
                whole_word: false,
            }
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_state_survives_the_round_trip_through_the_url() {
        let state = Demo {
            text: "a [MASK] b, 42".into(),
            rate: 0.3,
            epochs: 10,
            whole_word: true,
        };
        let back: Demo = state_from_pairs(&state_to_pairs(&state));
        assert_eq!(back, state);
    }

    #[test]
    fn a_pasted_page_is_left_out_of_links_and_the_rest_kept() {
        let state = Demo {
            text: "word ".repeat(LINK_VALUE_LIMIT),
            epochs: 7,
            ..Demo::default()
        };
        let pairs = state_to_pairs(&state);
        assert_eq!(pairs, vec![("epochs".to_string(), "7".to_string())]);
    }

    #[test]
    fn defaults_are_left_out_of_links() {
        let state = Demo {
            epochs: 7,
            ..Demo::default()
        };
        assert_eq!(state_to_pairs(&state), pairs(&[("epochs", "7")]));
    }

    #[test]
    fn bad_or_unknown_parameters_fall_back_to_defaults() {
        let state: Demo = state_from_pairs(&pairs(&[
            ("epochs", "lots"),
            ("rate", "\"x\""),
            ("zzz", "1"),
            ("whole_word", "true"),
        ]));
        assert_eq!(
            state,
            Demo {
                whole_word: true,
                ..Demo::default()
            }
        );
    }

    #[test]
    fn strict_reading_names_the_bad_parameter() {
        let err = state_from_pairs_strict::<Demo>(&pairs(&[("epochs", "lots")])).expect_err("bad");
        assert!(err.contains("epochs"), "{err}");
        let err = state_from_pairs_strict::<Demo>(&pairs(&[("epoch", "3")])).expect_err("unknown");
        assert!(err.contains("epoch"), "{err}");
        let ok: Demo = state_from_pairs_strict(&pairs(&[("epochs", "3")])).expect("fine");
        assert_eq!(ok.epochs, 3);
    }

    #[test]
    fn numbers_typed_as_text_stay_text() {
        let state: Demo = state_from_pairs(&pairs(&[("text", "12")]));
        assert_eq!(state.text, "12");
    }

    #[test]
    fn query_strings_decode_like_a_browser_does() {
        assert_eq!(
            query_pairs("?text=The+capital+is+%5BMASK%5D.&epochs=4&flag"),
            pairs(&[
                ("text", "The capital is [MASK]."),
                ("epochs", "4"),
                ("flag", "")
            ])
        );
        assert_eq!(
            query_pairs("a=%E2%9C%93&b=100%"),
            pairs(&[("a", "✓"), ("b", "100%")])
        );
        assert_eq!(query_pairs("a=[MASK]"), pairs(&[("a", "[MASK]")]));
        assert!(query_pairs("").is_empty());
    }

    #[test]
    fn hide_and_lock_lists_are_read_from_the_url() {
        let policy = ControlPolicy::from_pairs(&pairs(&[
            ("hide", "seed, rate"),
            ("lock", "text"),
            ("embed", "1"),
        ]));
        assert!(policy.hidden("seed") && policy.hidden("rate") && !policy.hidden("text"));
        assert!(policy.locked("text") && !policy.locked("seed"));
    }

    #[test]
    fn links_go_under_the_served_sub_path() {
        assert_eq!(app_path("/labs"), "/labs");
        set_base("/courses/nlp/bertlab/");
        assert_eq!(
            app_path("/labs/masking"),
            "/courses/nlp/bertlab/labs/masking"
        );
        assert_eq!(app_path("/"), "/courses/nlp/bertlab/");
        set_base("");
    }

    #[test]
    fn the_router_base_is_the_served_sub_path() {
        assert_eq!(base_path("http://127.0.0.1:8080/"), "");
        assert_eq!(
            base_path("https://example.edu/courses/nlp/bertlab/"),
            "/courses/nlp/bertlab"
        );
        assert_eq!(
            base_path("https://example.edu/courses/lab/?x=1#y"),
            "/courses/lab"
        );
        assert_eq!(base_path("https://example.edu"), "");
    }
}
