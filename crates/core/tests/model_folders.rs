//! Loading a model folder: the good one loads (also with BF16 weights), and every broken folder of
//! the shared set fails with a message naming its problem.

#[path = "../../../tests/support/model_folders.rs"]
mod model_folders;

use bertlab_core::folder::ModelFolder;
use bertlab_core::model::MaskedLm;
use candle_core::Device;
use model_folders::{bf16_weights, broken_folders, good_folder, write_folder};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bertlab-folders-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn the_good_folder_loads_with_its_vocab_txt_tokenizer() {
    let dir = temp_dir("good");
    let folder = ModelFolder::read_dir(&write_folder(&dir, "good", &good_folder())).expect("reads");
    let (checkpoint, tokenizer) = folder.open().expect("opens");
    checkpoint
        .load::<MaskedLm>(&Device::Cpu)
        .expect("builds the masked LM");
    assert_eq!(tokenizer.token_to_id("[MASK]"), Some(4));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn bf16_weights_load_as_the_f32_they_round() {
    let dir = temp_dir("bf16");
    let mut files = good_folder();
    let f32_folder = ModelFolder::read_dir(&write_folder(&dir, "f32", &files)).expect("reads");
    files.retain(|(n, _)| *n != "model.safetensors");
    files.push(("model.safetensors", bf16_weights()));
    let bf16_folder = ModelFolder::read_dir(&write_folder(&dir, "bf16", &files)).expect("reads");
    let (f32_ckpt, _) = f32_folder.open().expect("opens");
    let (bf16_ckpt, _) = bf16_folder.open().expect("opens");
    assert_eq!(bf16_ckpt.source_dtypes(), vec!["BF16".to_string()]);
    for name in f32_ckpt.tensor_names() {
        let (Some(a), Some(b)) = (f32_ckpt.tensor(&name), bf16_ckpt.tensor(&name)) else {
            continue;
        };
        let diff = (a - b)
            .and_then(|d| d.abs()?.flatten_all()?.max(0))
            .expect("same shapes");
        let scale = a.abs().and_then(|t| t.flatten_all()?.max(0)).expect("abs");
        let (diff, scale): (f32, f32) = (
            diff.to_scalar().expect("f32"),
            scale.to_scalar().expect("f32"),
        );
        // BF16 keeps 8 significant bits; cutting the rest off errs by under 2^-7 of a value.
        assert!(diff <= scale / 128.0 + 1e-12, "{name}: {diff} vs {scale}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn every_broken_folder_says_what_is_wrong() {
    let dir = temp_dir("broken");
    for case in broken_folders() {
        let path = write_folder(&dir, case.name, &case.files);
        // As a user of the folder would: open it, then build the model.
        let error = match ModelFolder::read_dir(&path).and_then(|folder| folder.open()) {
            Ok((checkpoint, _)) => checkpoint
                .load::<MaskedLm>(&Device::Cpu)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
        .expect_err(case.name);
        assert!(
            error.contains(case.message),
            "{}: {error:?} lacks {:?}",
            case.name,
            case.message
        );
    }
    std::fs::remove_dir_all(dir).ok();
}
