//! `bertlab`: the native command line over the core (tokenize, fill-mask, pretrain, fine-tune,
//! evaluate, export) and the corpus and tokenizer tooling only the command line needs.

mod commands;
mod corpus;
mod train_tokenizer;

fn main() -> std::process::ExitCode {
    match commands::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
