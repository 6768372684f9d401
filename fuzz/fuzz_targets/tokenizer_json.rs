#![no_main]
//! Fuzz target of checks/tokenizer_json.rs, the check that `make test` also runs on every file in
//! fuzz/regressions/tokenizer_json/.

#[path = "../checks/tokenizer_json.rs"]
mod check;
#[path = "../checks/invariants.rs"]
mod invariants;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
