#![no_main]
//! Fuzz target of checks/vocab_txt.rs, the check that `make test` also runs on every file in
//! fuzz/regressions/vocab_txt/.

#[path = "../checks/vocab_txt.rs"]
mod check;
#[path = "../checks/invariants.rs"]
mod invariants;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
