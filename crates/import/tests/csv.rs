//! Integration tests for the CSV side of kassa-import: bank CSVs from the
//! corpus, sniffing on hand-made fixtures, profiles, native CSVs, format
//! detection, length limits and fuzzing.

#[path = "csv/accounts.rs"]
mod accounts;
#[path = "csv/corpus.rs"]
mod corpus;
#[path = "csv/detect.rs"]
mod detect;
#[path = "csv/fuzz.rs"]
mod fuzz;
#[path = "csv/layouts.rs"]
mod layouts;
#[path = "csv/limits.rs"]
mod limits;
#[path = "csv/native.rs"]
mod native;
#[path = "csv/sniffing.rs"]
mod sniffing;

use std::path::PathBuf;

#[path = "../../../testing/corpus.rs"]
mod corpus_path;
pub use corpus_path::corpus_dir;

/// Files in one corpus folder, sorted.
pub fn corpus_files(sub: &str) -> Vec<PathBuf> {
    let Some(dir) = corpus_dir() else {
        return vec![];
    };
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
        .unwrap_or_else(|e| panic!("corpus folder {sub}: {e}"))
        .map(|e| e.expect("dir entry").path())
        .collect();
    v.sort();
    v
}
