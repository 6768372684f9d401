//! Fuzz check `model_zip`: the ZIP of a fine-tuned model (`train::zip`), which the browser keeps in
//! Cache Storage, downloads, and reads back to classify with a saved model (`read_zip`, then
//! `Classifier::from_zip`). Two contracts: any bytes given to the reader come back as files or an
//! error, never a panic or an allocation past its limits; and any files (names come from the
//! model's key, which a student types) come back from the writer then the reader exactly as
//! written, or are refused with an error.
//! Input: name, 0x00, bytes, 0x00, name, ... (at most 6 files).

#![allow(dead_code)]

use std::collections::HashSet;
use std::io::{Cursor, Read};

use bertlab_core::train::classifier::Classifier;
use bertlab_core::train::zip::{read_zip, stored_zip};

pub fn check(data: &[u8]) {
    // The reader on any bytes: files whose total stays within what the input could hold (stored
    // entries only), or an error; the classifier on them, an error unless it is a real model.
    if let Ok(files) = read_zip(data) {
        let total: usize = files.iter().map(|(_, bytes)| bytes.len()).sum();
        assert!(
            total <= data.len(),
            "{total} bytes unpacked from {}",
            data.len()
        );
    }
    let _ = Classifier::from_zip(data);
    let mut chunks = data.split(|&b| b == 0);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    while let (Some(name), Some(bytes)) = (chunks.next(), chunks.next()) {
        files.push((String::from_utf8_lossy(name).into_owned(), bytes.to_vec()));
        if files.len() == 6 {
            break;
        }
    }
    let zipped = match stored_zip(&files) {
        Ok(zipped) => zipped,
        Err(e) => {
            let distinct: HashSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            assert!(
                distinct.len() < files.len(),
                "distinct names refused: {e} ({:?})",
                files.iter().map(|(n, _)| n).collect::<Vec<_>>()
            );
            return;
        }
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(&zipped)).expect("our ZIP reads back");
    assert_eq!(archive.len(), files.len());
    for (i, (name, bytes)) in files.iter().enumerate() {
        let mut entry = archive.by_index(i).expect("entry");
        assert_eq!(
            entry.name().expect("the name reads").as_ref(),
            name.as_str()
        );
        let mut back = Vec::new();
        entry.read_to_end(&mut back).expect("entry reads");
        assert_eq!(&back, bytes, "{name}");
    }
    // Our reader gives the same files, leaving out what ZIP readers call a folder (a name ending
    // in / or, from Windows, \).
    files.retain(|(name, _)| !name.ends_with(['/', '\\']));
    assert_eq!(read_zip(&zipped).expect("our reader reads our ZIP"), files);
}
