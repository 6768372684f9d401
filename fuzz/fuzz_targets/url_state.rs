#![no_main]
//! Fuzz target of checks/url_state.rs, the check that `make test` also runs on every file in
//! fuzz/regressions/url_state/.

#[path = "../checks/url_state.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
