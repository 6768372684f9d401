//! The vocabulary shared by the page, the worker, the core and the CLI: the typed messages between
//! the page and the compute worker ([`messages`]), the views the widgets draw, and the settings a
//! student picks. Plain serde data and the small pure rules that belong to it (defaults, validation);
//! no model code, no browser code, so the page compiles against this crate alone.

pub mod backend;
pub mod features;
pub mod masking;
pub mod messages;
pub mod model_key;
pub mod probes;
pub mod span_qa;
pub mod tagging;
pub mod tokens;
pub mod training;
pub mod views;
