#![no_main]
//! Fuzz target of checks/tokenize.rs, the check that `make test` also runs on every file in
//! fuzz/regressions/tokenize/.

#[path = "../checks/tokenize.rs"]
mod check;
#[path = "../checks/invariants.rs"]
mod invariants;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
