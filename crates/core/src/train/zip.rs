//! A ZIP archive of stored (uncompressed) files, for the browser's "download the model" button,
//! written by the `zip` crate. Weights barely compress, so entries are stored: quick in the tab,
//! and any unzip tool, Python's `zipfile` and the OS file managers read them. [`read_zip`] reads
//! such an archive back (a saved model the lab is asked to use again).

use std::io::{Cursor, Read, Write};

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

/// The most entries [`read_zip`] reads: a model folder has a handful of files.
const MAX_ENTRIES: usize = 64;

/// The most bytes [`read_zip`] unpacks in all (a saved model is at most a few hundred MB).
const MAX_BYTES: u64 = 2 << 30;

/// Every file of a ZIP of stored entries (as [`stored_zip`] writes), as (name, bytes); folders
/// (names ending in `/`, or `\` from Windows) are left out. Anything else (a damaged archive, compressed entries, too many or too large
/// files) gets a message.
pub fn read_zip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let bad = |e: &dyn std::fmt::Display| format!("the ZIP cannot be read: {e}");
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(&e))?;
    if archive.len() > MAX_ENTRIES {
        return Err(format!(
            "the ZIP holds {} entries; a model folder has a few",
            archive.len()
        ));
    }
    let mut files = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| bad(&e))?;
        if entry.is_dir() {
            continue;
        }
        total = total.saturating_add(entry.size());
        if total > MAX_BYTES {
            return Err("the ZIP unpacks to more than 2 GiB".to_string());
        }
        let mut data = Vec::with_capacity(entry.size().min(MAX_BYTES) as usize);
        let name = entry.name().map_err(|e| bad(&e))?.to_string();
        // `take` holds a header that lies about the size to the limit.
        (&mut entry)
            .take(MAX_BYTES)
            .read_to_end(&mut data)
            .map_err(|e| bad(&format!("{name}: {e}")))?;
        files.push((name, data));
    }
    Ok(files)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

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
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("reads");
            proptest::prop_assert_eq!(archive.len(), files.len());
            for (name, data) in &files {
                let mut entry = archive.by_name(name).expect("every name is found");
                let mut back = Vec::new();
                entry.read_to_end(&mut back).expect("reads the entry");
                proptest::prop_assert_eq!(&back, data);
            }
            // Our own reader gives the same files, in order.
            proptest::prop_assert_eq!(read_zip(&bytes).expect("reads"), files);
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

    #[test]
    fn a_damaged_or_compressed_zip_gets_a_message() {
        let bytes = stored_zip(&[("a.txt".to_string(), b"hello".to_vec())]).unwrap();
        for cut in [0, 10, bytes.len() / 2, bytes.len() - 1] {
            let e = read_zip(&bytes[..cut]).unwrap_err();
            assert!(e.starts_with("the ZIP cannot be read"), "{cut}: {e}");
        }
        // The same archive marked as deflated (method 8) in both of its headers.
        let mut deflated = bytes.clone();
        for (signature, offset) in [(0x0403_4b50u32, 8), (0x0201_4b50, 10)] {
            let at = deflated
                .windows(4)
                .position(|w| w == signature.to_le_bytes())
                .expect("header");
            deflated[at + offset] = 8;
        }
        let e = read_zip(&deflated).unwrap_err();
        assert!(e.starts_with("the ZIP cannot be read"), "{e}");
    }
}
