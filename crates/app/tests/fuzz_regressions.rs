//! The fuzz corpus kept as regression tests for the page's parsers of outside input: URL state,
//! records read back from the browser's storage, model keys, worker messages and picked folders.
//! Every file under `fuzz/regressions/<target>/` goes through the check the fuzz target runs
//! (`fuzz/checks/<target>.rs`, included here). The core's parsers replay in
//! `crates/core/tests/fuzz_regressions.rs`.

#![cfg(not(target_arch = "wasm32"))]

#[path = "../../../fuzz/checks/folder_pick.rs"]
mod folder_pick;
#[path = "../../../fuzz/checks/model_key.rs"]
mod model_key;
#[path = "../../../fuzz/checks/stored_records.rs"]
mod stored_records;
#[path = "../../../fuzz/checks/url_state.rs"]
mod url_state;
#[path = "../../../fuzz/checks/worker_messages.rs"]
mod worker_messages;

#[macro_use]
#[path = "../../../fuzz/checks/replay.rs"]
mod replay;

replays!(
    folder_pick,
    model_key,
    stored_records,
    url_state,
    worker_messages
);
