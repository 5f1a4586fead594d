//! No input makes the CSV parsers panic, and output stays bounded by the
//! input: arbitrary bytes, CSV-ish text, and corpus files with bytes flipped,
//! cut and spliced.

use kassa_import::{broker, csv_bank, detect, native};
use proptest::prelude::*;

fn corpus() -> &'static [Vec<u8>] {
    static FILES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let mut v = Vec::new();
        for sub in ["csv", "broker"] {
            for p in super::corpus_files(sub) {
                v.push(std::fs::read(p).unwrap());
            }
        }
        v
    })
}

fn check(bytes: &[u8]) {
    let lines = bytes.iter().filter(|b| **b == b'\n' || **b == b'\r').count() + 1;
    let p = csv_bank::parse(bytes, None);
    assert!(p.rows.len() + p.balances.len() <= lines, "more rows than lines");
    assert!(p.diagnostics.len() <= lines + 4, "more diagnostics than lines");
    let _ = csv_bank::propose(bytes);
    let _ = detect::detect(bytes);
    let t = native::parse_transactions(bytes);
    assert!(t.rows.len() + t.diagnostics.len() <= lines + 1);
    let t = native::parse_trades(bytes);
    assert!(t.trades.len() + t.diagnostics.len() <= lines + 1);
    let b = broker::parse(bytes);
    assert!(b.trades.len() + b.rows.len() <= lines, "more trades and rows than lines");
    assert!(b.diagnostics.len() <= lines + 1, "more diagnostics than lines");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes);
    }

    #[test]
    fn csv_like_text(s in "([0-9a-zA-Z€£$ .,;'\"()+-]{0,12}[,;|\t\n]){0,120}") {
        check(s.as_bytes());
        let native = format!("external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,counterparty_account,transfer_group_id\n{s}");
        check(native.as_bytes());
    }

    #[test]
    fn mutated_corpus(pick in any::<prop::sample::Index>(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..16)) {
        let files = corpus();
        if files.is_empty() {
            return Ok(());
        }
        let mut bytes = files[pick.index(files.len())].clone();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                2 => bytes.insert(i, byte),
                _ => bytes.truncate(i),
            }
        }
        check(&bytes);
    }
}
