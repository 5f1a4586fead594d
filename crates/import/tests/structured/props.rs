//! Property tests: arbitrary bytes and mutated real files (truncations, byte
//! flips, inserted garbage) go through every structured parser and sniffer.
//! Nothing may panic, and the output stays bounded by the input's size.

use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Instant;

use kassa_import::ParsedFile;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::{FORMAT_DIRS, corpus, files_in, fixtures_dir};

type Parse = fn(&[u8]) -> ParsedFile;

const PARSERS: [(&str, Parse); 4] = [
    ("ofx", kassa_import::ofx::parse),
    ("qif", kassa_import::qif::parse),
    ("camt", kassa_import::camt::parse),
    ("mt940", kassa_import::mt940::parse),
];

/// Our fixtures, plus the corpus files of our formats when it is available.
static SEEDS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut dirs: Vec<PathBuf> = ["ofx", "qif", "camt", "mt940"].iter().map(|d| fixtures_dir().join(d)).collect();
    if let Some(root) = corpus() {
        dirs.extend(FORMAT_DIRS.iter().map(|d| root.join(d)));
    }
    dirs.iter().flat_map(|d| files_in(d)).filter_map(|p| std::fs::read(p).ok()).collect()
});

/// Every parser and sniffer on `bytes`: no panic, bounded output.
fn check_all(bytes: &[u8]) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(bytes);
    let _ = (
        kassa_import::ofx::sniff(&text),
        kassa_import::qif::sniff(&text),
        kassa_import::camt::sniff(&text),
        kassa_import::mt940::sniff(&text),
    );
    for (name, parse) in PARSERS {
        let p = parse(bytes);
        let items = p.rows.len() + p.trades.len() + p.balances.len() + p.diagnostics.len();
        // Every row, balance and diagnostic stems from an input line or
        // element at least one byte long, and one record yields at most a few
        // (e.g. QIF "x": no header, no ^, no date, no amount).
        prop_assert!(items <= 4 * bytes.len() + 4, "{name}: {items} items from {} bytes", bytes.len());
        let text_out: usize =
            p.rows.iter().map(|r| r.description.len() + r.counterparty.as_ref().map_or(0, String::len)).sum();
        prop_assert!(text_out <= 4 * bytes.len() + 64, "{name}: {text_out} bytes of text from {} bytes", bytes.len());
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let garbage = prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..16),
        Just(b"<".to_vec()),
        Just(b"</".to_vec()),
        Just(b"\n:61:".to_vec()),
        Just(b"\n^\n".to_vec()),
        Just(b"&amp;".to_vec()),
        Just(b"?2".to_vec()),
        Just(b"\n!Type:Invst\n".to_vec()),
        Just(b"<![CDATA[".to_vec()),
        Just("é€\u{0}".as_bytes().to_vec()),
    ];
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), garbage).prop_map(|(i, g)| Mutation::Insert(i, g)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

fn apply(mut bytes: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = bytes.len().max(1);
        match m {
            Mutation::Truncate(i) => bytes.truncate(i % len),
            Mutation::Flip(i, b) => {
                if let Some(x) = bytes.get_mut(i % len) {
                    *x ^= b | 1;
                }
            }
            Mutation::Insert(i, g) => {
                let at = (i % len).min(bytes.len());
                bytes.splice(at..at, g.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let at = (i % len).min(bytes.len());
                let end = (at + n).min(bytes.len());
                bytes.drain(at..end);
            }
        }
    }
    bytes
}

fn run<S: Strategy>(name: &str, cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let start = Instant::now();
    let result = runner.run(&strategy, test);
    eprintln!("{name}: {cases} cases in {:?}", start.elapsed());
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    run("arbitrary bytes × 4 parsers", 2000, proptest::collection::vec(any::<u8>(), 0..2048), |bytes| {
        check_all(&bytes)
    });
}

#[test]
fn mutated_files_never_panic() {
    let seeds = SEEDS.len();
    assert!(seeds >= 5, "fixtures missing");
    run(
        &format!("mutated files ({seeds} seeds) × 4 parsers"),
        3000,
        (0..seeds, proptest::collection::vec(mutation(), 1..8)),
        |(i, muts)| check_all(&apply(SEEDS[i].clone(), &muts)),
    );
}

#[test]
fn every_truncation_of_every_seed() {
    // Exhaustive rather than sampled: each seed cut at every 11th byte.
    let start = Instant::now();
    let mut cases = 0;
    for seed in SEEDS.iter() {
        for cut in (0..seed.len()).step_by(11) {
            check_all(&seed[..cut]).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            cases += 1;
        }
    }
    eprintln!("truncations × 4 parsers: {cases} cases in {:?}", start.elapsed());
}
