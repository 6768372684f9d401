//! `bertlab`: the native command-line interface over the library; the commands live in
//! `src/bin/bertlab/`. The crate also builds this binary for wasm32, where it is empty.

#[cfg(not(target_arch = "wasm32"))]
#[path = "bertlab/mod.rs"]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    match cli::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
