//! A ZIP archive of stored (uncompressed) files, for the browser's "download the model" button,
//! written by the `zip` crate. Weights barely compress, so entries are stored: quick in the tab,
//! and any unzip tool, Python's `zipfile` and the OS file managers read them.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// `files` (name, bytes) as one ZIP archive. Names use `/` for folders. ZIP64 records are written
/// only where an entry needs them (past 4 GiB), far beyond any model the lab makes.
pub fn stored_zip(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, String> {
    let failed =
        |what: &str, e: &dyn std::fmt::Display| format!("could not write the ZIP ({what}): {e}");
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(
            files
                .iter()
                .any(|(_, data)| data.len() >= u32::MAX as usize),
        );
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in files {
        zip.start_file(name.as_str(), options)
            .map_err(|e| failed(name, &e))?;
        zip.write_all(data).map_err(|e| failed(name, &e))?;
    }
    Ok(zip
        .finish()
        .map_err(|e| failed("the directory", &e))?
        .into_inner())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use std::io::Read;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any set of files (any Unicode names, any bytes) comes back from a ZIP reader as written.
        #[test]
        fn any_files_round_trip_through_a_zip_reader(
            files in proptest::collection::btree_map(
                "[a-zA-Z0-9 _.\\-éü東]{1,12}(/[a-zA-Z0-9_.-]{1,8}){0,2}",
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000),
                0..6,
            )
        ) {
            let files: Vec<(String, Vec<u8>)> = files.into_iter().collect();
            let bytes = stored_zip(&files).expect("writes");
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("reads");
            proptest::prop_assert_eq!(archive.len(), files.len());
            for (name, data) in &files {
                let mut entry = archive.by_name(name).expect("every name is found");
                let mut back = Vec::new();
                entry.read_to_end(&mut back).expect("reads the entry");
                proptest::prop_assert_eq!(&back, data);
            }
        }
    }

    #[test]
    fn a_zip_reader_gets_the_files_back() {
        let files = vec![
            ("model/config.json".to_string(), b"{\"a\": 1}".to_vec()),
            (
                "model/weights.bin".to_string(),
                (0..=255u8).cycle().take(5000).collect(),
            ),
            (
                "model/README.md".to_string(),
                "naïve ünïcode".as_bytes().to_vec(),
            ),
        ];
        let bytes = stored_zip(&files).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 3);
        for (name, data) in &files {
            let mut entry = archive.by_name(name).unwrap();
            let mut back = Vec::new();
            entry.read_to_end(&mut back).unwrap();
            assert_eq!(&back, data, "{name}");
        }
    }
}
