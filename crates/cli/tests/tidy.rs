//! Tidy rules over the whole workspace's source, checked as a test so CI
//! enforces them: every module says why it exists in a `//!` comment, and
//! the projector's fold has no catch-all arm (a new event variant must fail
//! to compile until every projection says what it does with it).

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// Every `.rs` file below `dir`, sorted, skipping build output.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// The first line that is not blank must be a `//!` inner doc comment.
fn opens_with_module_doc(text: &str) -> bool {
    text.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| l.trim_start().starts_with("//!"))
}

/// Lines (1-based) holding a match arm that catches everything: a bare `_`
/// or a bare lower-case binding as the whole pattern (or its last
/// alternative), with or without a guard. Comments are ignored.
fn catch_all_arms(text: &str) -> Vec<(usize, String)> {
    let mut found = vec![];
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let Some((pattern, _)) = code.split_once("=>") else { continue };
        let last = pattern.rsplit('|').next().unwrap_or_default();
        let last = last.split(" if ").next().unwrap_or_default().trim();
        let bare = !last.is_empty()
            && !matches!(last, "true" | "false")
            && last.chars().next().is_some_and(|c| c == '_' || c.is_ascii_lowercase())
            && last.chars().all(|c| c == '_' || c.is_ascii_lowercase() || c.is_ascii_digit());
        // A closure's `|x| x` has no `=>`; a pattern that is a whole arm
        // starts the line's code (after the alternatives' `|`).
        let starts_arm = pattern.trim_start().starts_with(last) || pattern.contains('|');
        if bare && starts_arm {
            found.push((i + 1, line.trim().to_string()));
        }
    }
    found
}

#[test]
fn every_module_opens_with_a_doc_comment() {
    let root = workspace();
    let mut files = vec![];
    rust_files(&root.join("crates"), &mut files);
    assert!(files.len() > 50, "found only {} Rust files under {}", files.len(), root.display());
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !opens_with_module_doc(&std::fs::read_to_string(f).expect("readable source")))
        .map(|f| f.strip_prefix(&root).unwrap_or(f).display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "these modules do not open with a `//!` comment saying why they exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_projector_has_no_catch_all_arm() {
    let store = workspace().join("crates/store/src");
    let file = [store.join("projector.rs"), store.join("projector/mod.rs")]
        .into_iter()
        .find(|p| p.exists())
        .expect("the projector lives in crates/store/src/projector.rs (or projector/mod.rs)");
    let text = std::fs::read_to_string(&file).expect("readable projector");
    assert!(text.contains("Event::"), "{} does not match on Event", file.display());
    let arms = catch_all_arms(&text);
    assert!(
        arms.is_empty(),
        "{} has catch-all match arms; name every event variant instead, so a new one fails to compile:\n{}",
        file.display(),
        arms.iter().map(|(n, l)| format!("  line {n}: {l}")).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_checks_catch_what_they_are_for() {
    assert!(opens_with_module_doc("\n//! Why.\nuse x;"));
    assert!(!opens_with_module_doc("/// An item doc.\nfn f() {}"));
    assert!(!opens_with_module_doc("use x;\n//! late"));
    let fold = "match e {\n    Event::A(a) => one(a),\n    Event::B(_) | Event::C(_) => {}\n    _ => {}\n}";
    assert_eq!(catch_all_arms(fold), vec![(4, "_ => {}".to_string())]);
    assert_eq!(catch_all_arms("    Event::A(_) | _ => {}").len(), 1);
    assert_eq!(catch_all_arms("    other => ignore(other),").len(), 1);
    assert_eq!(catch_all_arms("    _ if quiet => {}").len(), 1);
    assert!(catch_all_arms("    Event::A(Payload { x, .. }) => x, // _ => not code").is_empty());
    assert!(catch_all_arms("    Some(_) => 1,\n    None => 0,").is_empty());
    assert!(catch_all_arms("    let f = |x| x + 1;").is_empty());
    assert!(catch_all_arms("    true => 1,").is_empty());
}
