//! `bertlab`: the native command line over the core (tokenize, fill-mask, pretrain, fine-tune,
//! evaluate, export) and the corpus and tokenizer tooling only the command line needs.

mod commands;
mod corpus;
mod train_tokenizer;

/// Training frees and reallocates tensors of up to 47 MB every update; glibc's malloc hands them
/// back to the system and page-faults them in again, mimalloc keeps them (measured in issue 22).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    bertlab_core::native_runtime::tune_for_training();
    match commands::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
