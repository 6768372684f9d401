//! A ZIP archive of stored (uncompressed) files, for the browser's "download the model" button.
//! Weights barely compress, so storing keeps this small and dependency-free on wasm32; any unzip
//! tool, Python's `zipfile` and the OS file managers read it.

/// `files` (name, bytes) as one ZIP archive. Names use `/` for folders. Fails only past ZIP's
/// 32-bit limits (4 GiB, 65,535 files), far beyond any model the lab makes.
pub fn stored_zip(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, String> {
    if files.len() > u16::MAX as usize {
        return Err("too many files for a ZIP archive".into());
    }
    let size = |n: usize, what: &str| {
        u32::try_from(n).map_err(|_| format!("{what} is too large for a ZIP archive"))
    };
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = size(out.len(), "the archive")?;
        let len = size(data.len(), name)?;
        let crc = crc32fast::hash(data);
        let name_len =
            u16::try_from(name.len()).map_err(|_| format!("the name {name} is too long"))?;
        // Local file header: version 2.0, UTF-8 names (flag bit 11), stored, no timestamp.
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes());
        out.extend(0x0800u16.to_le_bytes());
        out.extend(0u16.to_le_bytes()); // stored
        out.extend(0u16.to_le_bytes()); // time
        out.extend(0x21u16.to_le_bytes()); // date: 1980-01-01
        out.extend(crc.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend(name_len.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(name.as_bytes());
        out.extend(data);
        // Central directory entry for it.
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes()); // made by
        central.extend(20u16.to_le_bytes()); // needed
        central.extend(0x0800u16.to_le_bytes());
        central.extend(0u16.to_le_bytes());
        central.extend(0u16.to_le_bytes());
        central.extend(0x21u16.to_le_bytes());
        central.extend(crc.to_le_bytes());
        central.extend(len.to_le_bytes());
        central.extend(len.to_le_bytes());
        central.extend(name_len.to_le_bytes());
        central.extend([0u8; 8]); // extra, comment, disk, internal attributes
        central.extend(0u32.to_le_bytes()); // external attributes
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let central_offset = size(out.len(), "the archive")?;
    let central_len = size(central.len(), "the directory")?;
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]); // disk numbers
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((files.len() as u16).to_le_bytes());
    out.extend(central_len.to_le_bytes());
    out.extend(central_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    Ok(out)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use std::io::Read;

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
