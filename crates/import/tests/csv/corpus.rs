//! Every bank CSV (and broker cash statement) in the corpus, summarised and
//! snapshotted: profile, encoding, row count, sums per currency, first and
//! last row, and every diagnostic.

use std::collections::BTreeMap;
use std::fmt::Write;

use kassa_import::csv_bank;
use kassa_import::model::ParsedFile;
use kassa_import::profile::{Profile, builtin_profiles, builtin_sources};
use rust_decimal::Decimal;

use super::corpus_files;

pub fn summary(profile: &str, p: &ParsedFile) -> String {
    let mut s = String::new();
    writeln!(s, "profile: {profile}").unwrap();
    writeln!(s, "encoding: {}", p.encoding).unwrap();
    writeln!(s, "rows: {}", p.rows.len()).unwrap();
    let mut sums: BTreeMap<String, (Decimal, usize)> = BTreeMap::new();
    for r in &p.rows {
        let key = r.currency.map_or("(account)".to_string(), |c| c.code().to_string());
        let e = sums.entry(key).or_default();
        e.0 += r.amount;
        e.1 += 1;
    }
    for (cur, (sum, n)) in &sums {
        writeln!(s, "sum {cur}: {sum} ({n} rows)").unwrap();
    }
    for (label, row) in [("first", p.rows.first()), ("last", p.rows.last())] {
        if let Some(r) = row {
            writeln!(
                s,
                "{label}: line {} | {} | {} | {} | {:?} | {:?} | id {:?} | {:?}",
                r.line, r.date, r.amount, r.description, r.counterparty, r.status, r.external_id, r.category
            )
            .unwrap();
        }
    }
    let pending = p.rows.iter().filter(|r| r.status == kassa_import::RowStatus::Pending).count();
    writeln!(s, "pending: {pending}").unwrap();
    for b in &p.balances {
        writeln!(s, "balance {}: {} {} {:?}", b.kind, b.date, b.amount, b.currency.map(|c| c.code().to_string()))
            .unwrap();
    }
    for d in &p.diagnostics {
        writeln!(s, "{:?} line {} {:?}: {}", d.severity, d.line, d.field, d.message).unwrap();
    }
    s
}

fn snapshot_folder(sub: &str) {
    for path in corpus_files(sub) {
        let bytes = std::fs::read(&path).unwrap();
        let imp = csv_bank::read(&bytes, None);
        let name = if imp.sniffed { format!("sniffed: {}", imp.profile.to_toml()) } else { imp.profile.name.clone() };
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(format!("{sub}-{stem}"), summary(&name, &imp.parsed));
    }
}

#[test]
fn bank_csvs() {
    snapshot_folder("csv");
}

#[test]
fn broker_csvs() {
    snapshot_folder("broker");
}

#[test]
fn every_bank_file_picks_a_builtin_profile() {
    for path in corpus_files("csv") {
        let imp = csv_bank::read(&std::fs::read(&path).unwrap(), None);
        assert!(!imp.sniffed, "{} fell back to sniffing", path.display());
    }
}

#[test]
fn builtins_load_and_round_trip() {
    let sources: Vec<_> = builtin_sources().collect();
    assert_eq!(builtin_profiles().len(), sources.len(), "a built-in profile failed to load");
    for (file, text) in sources {
        let p = Profile::from_toml(text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let again = Profile::from_toml(&p.to_toml()).unwrap();
        assert_eq!(p, again, "{file}");
    }
}

/// Sniffing alone (no built-in) must still read the simple corpus layouts
/// the same way the hand-written profile does.
#[test]
fn sniffing_agrees_with_builtins_on_simple_layouts() {
    for name in [
        "ing-de-header-junk-latin1.csv",
        "knab-nl-creditdebet.csv",
        "ocbc-sg-continuation-rows.csv",
        "rabobank-nl-latin1-crcrlf.csv",
        "revolut-pending.csv",
        "sparkasse-de-2digit-year.csv",
        "ubs-ch-fr.csv",
        "erste-hu-dotted-dates.csv",
        "asn-nl-headerless.csv",
    ] {
        let Some(dir) = super::corpus_dir() else {
            return;
        };
        let bytes = std::fs::read(dir.join("csv").join(name)).unwrap();
        let (proposal, _) = csv_bank::propose(&bytes);
        let sniffed = csv_bank::parse(&bytes, Some(&proposal));
        let builtin = csv_bank::parse(&bytes, None);
        let key = |p: &ParsedFile| p.rows.iter().map(|r| (r.line, r.date, r.amount)).collect::<Vec<_>>();
        assert_eq!(key(&sniffed), key(&builtin), "{name}");
    }
}
