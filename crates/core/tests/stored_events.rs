//! The stored event format, pinned by golden fixtures.
//!
//! `tests/data/events/<type>.v<N>[.<label>].json` holds the exact JSON text
//! the log stores for one event of `<type>` at schema version `<N>` (a label
//! only tells apart several fixtures of one type and version). The tests:
//! - every type the code writes ([`Event::TYPES`]) has a fixture at its
//!   current version, and no fixture names a type or version the code does
//!   not know;
//! - every current-version fixture decodes with `Event::from_stored` and
//!   encodes back with `data_json` to the same bytes, so a changed stored
//!   shape fails here, naming the type;
//! - every older-version fixture decodes through the upcasters to the same
//!   event as its current-version twin (same label).
//!
//! A new event type or version gets its first fixture from `samples.rs` with
//! `KASSA_BLESS=1 cargo test -p kassa-core --test stored_events`, which only
//! writes files that do not exist: a fixture, once written, is never
//! regenerated.

// A test is core's caller: it reads (and, blessing, writes) the fixture files.
#![allow(clippy::disallowed_methods)]

#[path = "stored_events/samples.rs"]
mod samples;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use kassa_core::Event;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/events")
}

#[derive(Debug)]
struct Fixture {
    file: String,
    event_type: String,
    version: u32,
    label: String,
    /// The stored JSON text (the file without its final newline).
    text: String,
}

/// `book_opened.v1.json`, `book_opened.v1.local.json` → (type, version, label).
fn parse_name(file: &str) -> Option<(String, u32, String)> {
    let stem = file.strip_suffix(".json")?;
    let (event_type, rest) = stem.split_once(".v")?;
    let (version, label) = rest.split_once('.').unwrap_or((rest, ""));
    Some((event_type.to_string(), version.parse().ok()?, label.to_string()))
}

fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixture_dir()).expect("tests/data/events exists") {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let (event_type, version, label) =
            parse_name(&file).unwrap_or_else(|| panic!("{file}: not named <type>.v<N>[.<label>].json"));
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
        out.push(Fixture { file, event_type, version, label, text });
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

fn current_version(event_type: &str) -> Option<u32> {
    Event::TYPES.iter().find(|(t, _)| *t == event_type).map(|(_, v)| *v)
}

/// Where two texts part, with some context, so a failure shows the field.
fn first_difference(expected: &str, actual: &str) -> String {
    let at = expected.bytes().zip(actual.bytes()).take_while(|(a, b)| a == b).count();
    let context = |s: &str| {
        let mut from = at.saturating_sub(40);
        while !s.is_char_boundary(from) {
            from -= 1;
        }
        let mut to = (at + 40).min(s.len());
        while !s.is_char_boundary(to) {
            to += 1;
        }
        s[from..to].to_string()
    };
    format!("first difference at byte {at}:\n    fixture: …{}…\n    written: …{}…", context(expected), context(actual))
}

#[test]
fn every_event_type_has_a_fixture_at_its_current_version() {
    let have: BTreeSet<(String, u32)> = fixtures().into_iter().map(|f| (f.event_type, f.version)).collect();
    let missing: Vec<String> = Event::TYPES
        .iter()
        .filter(|(t, v)| !have.contains(&(t.to_string(), *v)))
        .map(|(t, v)| format!("{t}.v{v}.json"))
        .collect();
    assert!(
        missing.is_empty(),
        "event types without a fixture at their current version (write one with KASSA_BLESS=1): {missing:?}"
    );
    assert_eq!(Event::TYPES.len(), Event::TYPES.iter().map(|(t, _)| t).collect::<BTreeSet<_>>().len());
}

#[test]
fn every_fixture_names_a_known_type_and_version() {
    for f in fixtures() {
        match current_version(&f.event_type) {
            None => panic!("{}: unknown event type '{}'", f.file, f.event_type),
            Some(v) => assert!(
                (1..=v).contains(&f.version),
                "{}: version {} but '{}' is at v{v}",
                f.file,
                f.version,
                f.event_type
            ),
        }
    }
}

#[test]
fn current_fixtures_decode_and_encode_to_the_same_bytes() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for f in fixtures().into_iter().filter(|f| current_version(&f.event_type) == Some(f.version)) {
        checked += 1;
        let event = match Event::from_stored(&f.event_type, f.version, &f.text) {
            Ok(e) => e,
            Err(e) => {
                failures.push(format!("{} ({}): does not decode: {e}", f.event_type, f.file));
                continue;
            }
        };
        assert_eq!(event.type_name(), f.event_type, "{}", f.file);
        assert_eq!(event.schema_version(), f.version, "{}", f.file);
        let written = event.data_json();
        if written != f.text {
            failures.push(format!(
                "{} v{} ({}): the stored shape changed — a new schema version and an upcaster are needed\n  {}",
                f.event_type,
                f.version,
                f.file,
                first_difference(&f.text, &written)
            ));
        }
    }
    assert!(checked >= Event::TYPES.len());
    assert!(failures.is_empty(), "{} fixture(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn older_fixtures_upcast_to_the_same_event_as_their_current_twin() {
    let all = fixtures();
    let current: BTreeMap<(String, String), &Fixture> = all
        .iter()
        .filter(|f| current_version(&f.event_type) == Some(f.version))
        .map(|f| ((f.event_type.clone(), f.label.clone()), f))
        .collect();
    let mut older = 0;
    for f in all.iter().filter(|f| current_version(&f.event_type) != Some(f.version)) {
        older += 1;
        let upcast = Event::from_stored(&f.event_type, f.version, &f.text)
            .unwrap_or_else(|e| panic!("{}: does not upcast: {e}", f.file));
        let twin = current
            .get(&(f.event_type.clone(), f.label.clone()))
            .unwrap_or_else(|| panic!("{}: no current-version fixture with the same label", f.file));
        let expected = Event::from_stored(&twin.event_type, twin.version, &twin.text).unwrap();
        assert_eq!(upcast, expected, "{} reads differently from {}", f.file, twin.file);
        assert_eq!(upcast.data_json(), twin.text, "{} upcast is not written as {}", f.file, twin.file);
    }
    assert!(older >= 1, "the upcaster path has at least one fixture");
}

/// The one v1→v2 change: `previous` became `previous_category`.
#[test]
fn transaction_recategorized_v1_reads_as_v2() {
    let dir = fixture_dir();
    let v1 = std::fs::read_to_string(dir.join("transaction_recategorized.v1.json")).unwrap();
    let v2 = std::fs::read_to_string(dir.join("transaction_recategorized.v2.json")).unwrap();
    assert!(v1.contains(r#""previous":"#) && !v1.contains("previous_category"));
    assert!(v2.contains(r#""previous_category":"#) && !v2.contains(r#""previous":"#));
    let from_v1 = Event::from_stored("transaction_recategorized", 1, v1.trim_end()).unwrap();
    let from_v2 = Event::from_stored("transaction_recategorized", 2, v2.trim_end()).unwrap();
    assert_eq!(from_v1, from_v2);
    let Event::TransactionRecategorized(r) = &from_v1 else { panic!("{from_v1:?}") };
    assert!(r.previous.is_some() && r.previous_source.is_some());
    assert_eq!(from_v1.schema_version(), 2);
    // v1 text is not v2: the old name is not silently accepted as the new one.
    assert!(Event::from_stored("transaction_recategorized", 2, v1.trim_end()).map_or(true, |e| e != from_v2));
}

#[test]
fn bad_stored_data_is_an_error_naming_type_and_version() {
    let dir = fixture_dir();
    let tx = std::fs::read_to_string(dir.join("transaction_recorded.v1.json")).unwrap();
    let account = std::fs::read_to_string(dir.join("account_opened.v1.json")).unwrap();
    let rule = std::fs::read_to_string(dir.join("rule_saved.v1.minimal.json")).unwrap();
    let cases: Vec<(&str, u32, String, &str)> = vec![
        ("no_such_event", 1, "{}".into(), "unknown event type 'no_such_event'"),
        ("book_opened", 2, "{}".into(), "newer than this code knows (v1)"),
        ("transaction_recategorized", 3, "{}".into(), "newer than this code knows (v2)"),
        ("book_opened", 0, "{}".into(), "no upcaster from schema version 0"),
        ("book_opened", 1, "{\"id\":".into(), "EOF"),
        ("book_opened", 1, "[]".into(), "invalid length 0"),
        // The postings of a transaction must still balance per currency.
        (
            "transaction_recorded",
            1,
            tx.replace("\"541.25\"", "\"541.24\""),
            "postings do not balance: USD sums to -0.01",
        ),
        ("transaction_recorded", 1, tx.replace("\"USD\"", "\"EUX\""), "EUX"),
        ("transaction_recorded", 1, tx.replace("\"-500.00\"", "\"-500.001\""), "500.001"),
        ("account_opened", 1, account.replace("DE89370400440532013000", "DE89370400440532013001"), "mod 97"),
        ("rule_saved", 1, rule.replace(r#""contains":"espresso""#, r#""contains":"a","regex":"b""#), "one operator"),
    ];
    for (event_type, version, data, needle) in cases {
        let err = Event::from_stored(event_type, version, data.trim_end())
            .expect_err(&format!("{event_type} v{version} decoded: {data}"))
            .to_string();
        assert!(err.starts_with(&format!("cannot read stored event {event_type} v{version}: ")), "{err}");
        assert!(err.contains(needle), "{err:?} does not mention {needle:?}");
    }
}

/// `samples.rs` has one sample of every type, so blessing a new version
/// needs no new code but the change itself.
#[test]
fn samples_cover_every_type_once() {
    let names: Vec<&str> = samples::samples().iter().map(Event::type_name).collect();
    let known: Vec<&str> = Event::TYPES.iter().map(|(t, _)| *t).collect();
    assert_eq!(names.iter().collect::<BTreeSet<_>>(), known.iter().collect::<BTreeSet<_>>());
    assert_eq!(names.len(), known.len());
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
