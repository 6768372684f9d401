//! Replays a fuzz target's regression inputs (`fuzz/regressions/<target>/`) through its check, for
//! the crates' `fuzz_regressions` tests. Every failing file is named before the test fails.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// `crate_dir` is the including crate's `CARGO_MANIFEST_DIR` (`crates/<name>`).
pub fn replay(crate_dir: &str, target: &str, check: fn(&[u8])) {
    let dir = Path::new(crate_dir)
        .join("../../fuzz/regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no inputs", dir.display());
    let mut failed = Vec::new();
    for file in &files {
        let data = std::fs::read(file).expect("a regression input reads");
        if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
            failed.push(
                file.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: {} of {} inputs fail their check (see the panics above): {failed:?}",
        failed.len(),
        files.len()
    );
}

/// `replays!(a, b)`: one test per target, each replaying its inputs through `a::check`, ...
/// (the including crate declares this module `replay` and each check module by its target's name).
macro_rules! replays {
    ($($target:ident),+ $(,)?) => {$(
        #[test]
        fn $target() {
            replay::replay(env!("CARGO_MANIFEST_DIR"), stringify!($target), $target::check);
        }
    )+};
}
