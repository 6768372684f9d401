#![no_main]
//! Fuzz target of checks/labelled_csv.rs, the check that `make test` also runs on every file in
//! fuzz/regressions/labelled_csv/.

#[path = "../checks/labelled_csv.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
