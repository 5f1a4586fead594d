//! Golden fixtures of the stored event format.

#[path = "stored_events/samples.rs"]
mod samples;

use std::path::PathBuf;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/events")
}

/// `KASSA_BLESS=1` writes the fixtures that do not exist yet from the samples.
#[test]
fn bless_missing_fixtures() {
    if std::env::var_os("KASSA_BLESS").is_none() {
        return;
    }
    let dir = fixture_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let all = samples::samples().into_iter().map(|e| ("", e)).chain(samples::extra_samples());
    for (label, e) in all {
        let name = if label.is_empty() {
            format!("{}.v{}.json", e.type_name(), e.schema_version())
        } else {
            format!("{}.v{}.{label}.json", e.type_name(), e.schema_version())
        };
        let path = dir.join(name);
        if !path.exists() {
            std::fs::write(&path, e.data_json() + "\n").unwrap();
        }
    }
}
