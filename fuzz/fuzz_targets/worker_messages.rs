#![no_main]
//! Fuzz target of checks/worker_messages.rs, the check that `make test` also runs on every file in
//! fuzz/regressions/worker_messages/.

#[path = "../checks/worker_messages.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
