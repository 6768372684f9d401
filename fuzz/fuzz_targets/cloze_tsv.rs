#![no_main]
//! Fuzz target of checks/cloze_tsv.rs, the check that `make test` also runs on every file in
//! fuzz/regressions/cloze_tsv/.

#[path = "../checks/cloze_tsv.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
