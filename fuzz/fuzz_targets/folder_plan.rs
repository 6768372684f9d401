#![no_main]
//! Fuzz target of checks/folder_plan.rs, the check that `make test` also runs on every file in
//! fuzz/regressions/folder_plan/.

#[path = "../checks/folder_plan.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
