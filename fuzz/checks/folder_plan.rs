//! Fuzz check `folder_plan`: which files of a model folder the lab reads, decided from the names
//! the folder offers (`FolderPlan::from_names`, `TokenizerLayout::from_names`): a folder picked on
//! the student's disk, or a manifest kept in the browser. Input: the names, one per line. Contract:
//! no panic; a plan names only files the folder has, config first and weights last, and reading it
//! asks for exactly those files; a refusal names the first thing missing.

#![allow(dead_code)]

use bertlab_core::folder::{
    FolderError, FolderPlan, ModelFolder, TokenizerLayout, CONFIG, SHARD_INDEX, TOKENIZER,
    TORCH_WEIGHTS, VOCAB, WEIGHTS,
};

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let names: Vec<&str> = text.split('\n').collect();
    let has = |file: &str| names.contains(&file);
    let layout = TokenizerLayout::from_names(has);
    assert_eq!(layout.is_some(), has(TOKENIZER) || has(VOCAB));
    match FolderPlan::from_names(&names) {
        Ok(plan) => {
            assert_eq!(Some(plan.tokenizer), layout);
            let files = plan.files();
            assert_eq!(files.first(), Some(&CONFIG));
            assert_eq!(files.last(), Some(&WEIGHTS));
            for file in &files {
                assert!(has(file), "the plan reads {file}, which the folder lacks");
            }
            let mut asked = Vec::new();
            let folder = ModelFolder::read_with(plan, |file| {
                asked.push(file);
                Ok::<_, ()>(file.as_bytes().to_vec())
            })
            .expect("reading succeeds");
            let mut sorted_asked = asked.clone();
            sorted_asked.sort();
            let mut sorted_files = files.clone();
            sorted_files.sort();
            assert_eq!(sorted_asked, sorted_files, "read exactly the planned files");
            for (name, bytes) in folder.files() {
                assert_eq!(name.as_bytes(), bytes);
            }
        }
        Err(FolderError::NoConfig) => assert!(!has(CONFIG)),
        Err(FolderError::Sharded) => assert!(has(CONFIG) && !has(WEIGHTS) && has(SHARD_INDEX)),
        Err(FolderError::TorchOnly) => assert!(has(CONFIG) && !has(WEIGHTS) && has(TORCH_WEIGHTS)),
        Err(FolderError::NoWeights) => assert!(has(CONFIG) && !has(WEIGHTS)),
        Err(FolderError::NoTokenizer) => assert!(has(CONFIG) && has(WEIGHTS) && layout.is_none()),
        Err(other) => panic!("a plan from names cannot fail with {other}"),
    }
}
