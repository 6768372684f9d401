use super::*;

#[test]
fn the_plan_reads_what_the_folder_has_and_explains_what_it_lacks() {
    let plan = FolderPlan::from_names(&[
        "tokenizer.json",
        "config.json",
        "model.safetensors",
        "vocab.txt",
    ])
    .expect("a complete folder");
    assert_eq!(plan.files(), vec![CONFIG, TOKENIZER, WEIGHTS]);
    let plan = FolderPlan::from_names(&[
        "config.json",
        "vocab.txt",
        "model.safetensors",
        "tokenizer_config.json",
    ])
    .expect("BERT's older layout");
    assert_eq!(plan.files(), vec![CONFIG, VOCAB, TOKENIZER_CONFIG, WEIGHTS]);
    let fails = |names: &[&str]| FolderPlan::from_names(names).expect_err("incomplete");
    assert!(matches!(
        fails(&["model.safetensors", "tokenizer.json"]),
        FolderError::NoConfig
    ));
    assert!(matches!(
        fails(&["config.json", "pytorch_model.bin", "vocab.txt"]),
        FolderError::TorchOnly
    ));
    assert!(matches!(
        fails(&["config.json", "model.safetensors.index.json"]),
        FolderError::Sharded
    ));
    assert!(matches!(
        fails(&["config.json", "vocab.json"]),
        FolderError::NoWeights
    ));
    assert!(matches!(
        fails(&["config.json", "model.safetensors"]),
        FolderError::NoTokenizer
    ));
}

#[test]
fn memory_is_estimated_from_the_header_before_any_weight_is_read() {
    // bert-base's word embeddings in F16: 30522 × 768 elements.
    let header = br#"{"__metadata__": {"format": "pt"},
        "embeddings.word_embeddings.weight": {"dtype": "F16", "shape": [30522, 768], "data_offsets": [0, 46881792]},
        "embeddings.position_ids": {"dtype": "I64", "shape": [1, 512], "data_offsets": [46881792, 46885888]}}"#;
    let elements = 30522u64 * 768;
    let file = 8 + header.len() as u64 + 46_885_888;
    assert_eq!(memory_to_load(header).expect("valid"), file + 8 * elements);
    assert!(check_fits_browser(memory_to_load(header).expect("valid")).is_ok());
    // bert-large-sized weights, F32: 335M parameters need about 4 GB to load.
    let large =
        br#"{"w": {"dtype": "F32", "shape": [335000000], "data_offsets": [0, 1340000000]}}"#;
    let error = check_fits_browser(memory_to_load(large).expect("valid"))
        .expect_err("too large for a tab")
        .to_string();
    assert!(error.contains("3072 MB"), "{error}");
    let overflow =
        br#"{"w": {"dtype": "F32", "shape": [18446744073709551615, 4], "data_offsets": [0, 4]}}"#;
    assert!(
        memory_to_load(overflow).is_err(),
        "an overflowing shape is not a size"
    );
    assert!(memory_to_load(b"not json").is_err());
    assert!(
        memory_to_load(br#"{"w": {"dtype": "F32", "shape": [2]}}"#).is_err(),
        "no offsets"
    );
}
