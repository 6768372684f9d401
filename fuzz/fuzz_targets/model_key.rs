#![no_main]
//! Fuzz target of checks/model_key.rs, the check that `make test` also runs on every file in
//! fuzz/regressions/model_key/.

#[path = "../checks/model_key.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
