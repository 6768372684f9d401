#![no_main]
//! Fuzz target of checks/checkpoint.rs, the check that `make test` also runs on every file in
//! fuzz/regressions/checkpoint/.

#[path = "../checks/checkpoint.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
