#![no_main]
//! Fuzz target of checks/stored_records.rs, the check that `make test` also runs on every file in
//! fuzz/regressions/stored_records/.

#[path = "../checks/stored_records.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
