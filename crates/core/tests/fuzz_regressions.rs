//! The fuzz corpus kept as regression tests: every file under `fuzz/regressions/<target>/` (inputs
//! that once crashed a fuzz target, and hand-made nasty ones) goes through the same check the fuzz
//! target runs (`fuzz/checks/<target>.rs`, included here), so `make test` holds the parsers of
//! outside input to their contract on stable without libFuzzer. `make fuzz` looks for new ones.
//! The page's parsers (URL state, stored records, model keys, messages) replay in
//! `crates/app/tests/fuzz_regressions.rs`.

#![cfg(not(target_arch = "wasm32"))]

#[path = "../../../fuzz/checks/invariants.rs"]
mod invariants;

#[path = "../../../fuzz/checks/checkpoint.rs"]
mod checkpoint;
#[path = "../../../fuzz/checks/cloze_tsv.rs"]
mod cloze_tsv;
#[path = "../../../fuzz/checks/folder_plan.rs"]
mod folder_plan;
#[path = "../../../fuzz/checks/labelled_csv.rs"]
mod labelled_csv;
#[path = "../../../fuzz/checks/model_zip.rs"]
mod model_zip;
#[path = "../../../fuzz/checks/tokenize.rs"]
mod tokenize;
#[path = "../../../fuzz/checks/tokenizer_json.rs"]
mod tokenizer_json;
#[path = "../../../fuzz/checks/vocab_txt.rs"]
mod vocab_txt;

#[macro_use]
#[path = "../../../fuzz/checks/replay.rs"]
mod replay;

replays!(
    checkpoint,
    cloze_tsv,
    folder_plan,
    labelled_csv,
    model_zip,
    tokenize,
    tokenizer_json,
    vocab_txt,
);
