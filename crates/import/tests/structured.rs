//! Integration tests for the structured-format parsers (OFX/QFX, QIF, camt,
//! MT940): snapshots of every corpus file and of our own fixtures, targeted
//! checks, hostile-input tests and property tests that mutate real files.

mod structured {
    pub mod fixtures;
    pub mod hostile;
    pub mod props;
    pub mod summary;
}

use std::path::{Path, PathBuf};

use kassa_import::ParsedFile;

/// The parser for a corpus or fixture folder name.
pub fn parser_for(dir: &str) -> Option<fn(&[u8]) -> ParsedFile> {
    match dir {
        "ofx" | "qfx" => Some(kassa_import::ofx::parse),
        "qif" => Some(kassa_import::qif::parse),
        "camt" => Some(kassa_import::camt::parse),
        "mt940" => Some(kassa_import::mt940::parse),
        _ => None,
    }
}

pub const FORMAT_DIRS: [&str; 5] = ["ofx", "qfx", "qif", "camt", "mt940"];

#[path = "../../../testing/corpus.rs"]
mod corpus_path;
pub use corpus_path::corpus_dir as corpus;

/// Files of one format folder, sorted by name.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}
