#![no_main]
//! Fuzz target of checks/folder_pick.rs, the check that `make test` also runs on every file in
//! fuzz/regressions/folder_pick/.

#[path = "../checks/folder_pick.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
