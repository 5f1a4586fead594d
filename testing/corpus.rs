//! Where the shared bank-file corpus is, for every crate's tests.
//!
//! Included with `#[path]` (not a crate: it is a dozen lines and no
//! dependency) so each test binary resolves `KASSA_CORPUS` the same way.
//! cargo runs a test binary from its own crate's folder, so a relative
//! path such as the README's `../shared/corpus` is taken from the
//! workspace root, where the user typed it. An unset variable or a
//! missing folder skips the corpus tests, loudly, instead of panicking.

use std::path::{Path, PathBuf};

/// The corpus folder, or `None` after printing why corpus tests skip.
pub fn corpus_dir() -> Option<PathBuf> {
    let Some(raw) = std::env::var_os("KASSA_CORPUS") else {
        eprintln!("SKIPPING corpus tests: KASSA_CORPUS is unset");
        return None;
    };
    let dir = resolve(Path::new(&raw));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPING corpus tests: KASSA_CORPUS folder {} does not exist", dir.display());
        None
    }
}

/// `path` made absolute against the workspace root (two levels above
/// every crate's manifest).
fn resolve(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

/// The README's `KASSA_CORPUS=../shared/corpus` means "beside the clone",
/// whichever crate folder cargo runs the test binary from.
#[test]
fn a_relative_corpus_path_is_taken_from_the_workspace_root() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let got = resolve(Path::new("../shared/corpus"));
    assert_eq!(got, root.join("../shared/corpus"));
    assert!(root.join("Cargo.lock").is_file(), "{} is the workspace root", root.display());
    assert_eq!(resolve(Path::new("/abs/corpus")), Path::new("/abs/corpus"));
}
