//! Property tests: any lab state survives the trip through a URL (written as a browser's
//! `URLSearchParams` writes a query, read back by `query_pairs`), and no query string, however
//! broken, makes the reader panic.

#![cfg(not(target_arch = "wasm32"))]

use bertlab_app::lab_state::{
    FillMaskState, LogitLensState, MaskingKind, MaskingState, SurpriseState,
};
use bertlab_app::url_state::{query_pairs, state_from_pairs, state_to_pairs};
use bertlab_protocol::views::ContextSide;
use proptest::prelude::*;

// The browser's query encoding, as the URL-state fuzz target writes it.
#[path = "../../../fuzz/checks/url_state.rs"]
mod fuzz_url_state;
use fuzz_url_state::form_encode;

fn through_url<S>(state: &S) -> S
where
    S: serde::Serialize + serde::de::DeserializeOwned + Default,
{
    state_from_pairs(&query_pairs(&form_encode(&state_to_pairs(state))))
}

/// Text as students type it: any Unicode, with the characters URLs treat specially.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ a-zA-Z0-9&=+%#?/.,'\"\\[\\]éü東京😀\t\n-]{0,40}",
    ]
}

fn side() -> impl Strategy<Value = ContextSide> {
    prop_oneof![
        Just(ContextSide::Both),
        Just(ContextSide::LeftOnly),
        Just(ContextSide::RightOnly)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fill_mask_state_round_trips(text in text(), side in side(), top_k in 0usize..100, model in text()) {
        let state = FillMaskState { text, side, top_k, model };
        prop_assert_eq!(through_url(&state), state);
    }

    #[test]
    fn lens_and_surprise_states_round_trip(text in text(), top_k in 0usize..100, model in text(), compare: bool, other in text()) {
        let lens = LogitLensState { text: text.clone(), top_k, model: model.clone() };
        prop_assert_eq!(through_url(&lens), lens);
        let surprise = SurpriseState { text, model, compare, other };
        prop_assert_eq!(through_url(&surprise), surprise);
    }

    #[test]
    fn masking_state_round_trips(
        text in text(),
        rate in 0.0f64..1.0,
        dynamic: bool,
        seed: u64,
        epochs in 1usize..50,
    ) {
        let state = MaskingState {
            text,
            rate,
            strategy: if dynamic { MaskingKind::Dynamic } else { MaskingKind::Static },
            seed,
            epochs,
            ..MaskingState::default()
        };
        prop_assert_eq!(through_url(&state), state);
    }

    #[test]
    fn any_query_string_is_read_without_panicking(query in any::<String>()) {
        let pairs = query_pairs(&query);
        let _: FillMaskState = state_from_pairs(&pairs);
        let _: MaskingState = state_from_pairs(&pairs);
    }

    /// Regression: a `%` followed by a multi-byte character used to panic (a string sliced inside
    /// a character). A `%` not followed by two hex digits stays a `%`.
    #[test]
    fn a_percent_sign_before_any_character_stays_literal(after in "[^0-9a-fA-F&=+%][^&=+%]{0,5}") {
        let pairs = query_pairs(&format!("text=%{after}"));
        prop_assert_eq!(pairs, vec![("text".to_string(), format!("%{after}"))]);
    }
}
