//! Native half of the wasm-versus-native training benchmark: prints the throughput of tiny-encoder
//! pretraining (tokens/s) and of full fine-tuning (examples/s) on the committed assets, in the
//! format `tests/harness/bench-train.sh` reads. Run through `make bench-train`, which also runs
//! the browser half (`tests/train_speed_wasm.rs`) and prints the ratio.

use std::time::Instant;

use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::bench::{fine_tuning, pretraining};

const TOKENIZER: &[u8] = include_bytes!("../../../models/all-minilm-l6-v2/tokenizer.json");
const CORPUS: &str = include_str!("../../../assets/corpus/train.txt");
const SUPPORT: &[u8] = include_bytes!("../../../assets/datasets/support-intents.csv");

fn main() {
    let started = Instant::now();
    let now = || started.elapsed().as_secs_f64() * 1000.0;
    let tokenizer = Tokenizer::from_bytes(TOKENIZER).expect("tokenizer");
    let corpus: String = CORPUS.lines().take(2000).collect::<Vec<_>>().join("\n");
    let pre = pretraining(&tokenizer, &corpus, 30, now).expect("pretraining");
    println!("native pretraining tokens/s {:.1}", pre.per_second());
    let fine = fine_tuning(tokenizer, SUPPORT, 30, now).expect("fine-tuning");
    println!("native fine-tuning examples/s {:.1}", fine.per_second());
}
