//! The page: Leptos components, lessons and labs. Runs on the main thread and never touches a tensor:
//! everything heavy goes to the compute worker through `client`, in the messages of
//! `bertlab_protocol`. This crate does not depend on the core.
//!
//! `catalog` is plain data (lessons, labs) and compiles natively so tests can hold it to the course
//! outline; the components need the browser.

pub mod bench_lengths;
pub mod catalog;
pub mod charts;
pub mod folder_pick;
pub mod glossary;
pub mod lab_registry;
pub mod lab_state;
pub mod lessons;
pub mod prediction;
pub mod progress;
pub mod recipes;
pub mod run_pace;
pub mod tech_note;
pub mod transfer;
pub mod url_state;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod benchmark;
#[cfg(target_arch = "wasm32")]
mod cache_storage;
#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod explainers;
#[cfg(target_arch = "wasm32")]
mod labs;
#[cfg(target_arch = "wasm32")]
mod lesson_page;
#[cfg(target_arch = "wasm32")]
mod own_models;
#[cfg(target_arch = "wasm32")]
mod pages;
#[cfg(target_arch = "wasm32")]
mod predict_box;
#[cfg(target_arch = "wasm32")]
mod quiz;
#[cfg(target_arch = "wasm32")]
mod saved_models;
#[cfg(target_arch = "wasm32")]
mod shell;
#[cfg(target_arch = "wasm32")]
mod stored;
#[cfg(target_arch = "wasm32")]
mod worker_query;

#[cfg(target_arch = "wasm32")]
pub use app::mount;
