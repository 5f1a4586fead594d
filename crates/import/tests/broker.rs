//! Broker exports read as trades: a snapshot of every broker file in the
//! corpus and of our own fixtures, the broker's own balances and totals
//! reproduced from rows and trades, and bad rows named by line and column.

#[path = "broker/corpus.rs"]
mod corpus;
#[path = "broker/fixtures.rs"]
mod fixtures;
#[path = "broker/props.rs"]
mod props;

use std::fmt::Write;
use std::path::{Path, PathBuf};

use kassa_import::ParsedFile;

/// Every trade, row and diagnostic of a parse, one line each.
pub fn summary(p: &ParsedFile) -> String {
    let mut s = String::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let dec = |v: Option<rust_decimal::Decimal>| v.map_or("-".to_string(), |d| d.to_string());
    let cur = |c: Option<kassa_core::Currency>| c.map_or("-", |c| c.code());
    writeln!(s, "format: {} | encoding: {}", p.format.as_str(), p.encoding).unwrap();
    writeln!(s, "trades: {} | rows: {}", p.trades.len(), p.rows.len()).unwrap();
    for t in &p.trades {
        let d = &t.detail;
        writeln!(
            s,
            "T{} {} {} | {} {} | q {} @ {} fee {} {} | id {} | amt {} wht {} ratio {} basis {} | cash {} {} fx {} | acct {} | {}",
            t.line,
            t.side.as_str(),
            t.trade_time,
            opt(&t.symbol),
            opt(&t.isin),
            t.quantity,
            t.price,
            t.fees,
            cur(t.currency),
            opt(&t.external_id),
            dec(d.amount),
            d.withholding_tax,
            dec(d.ratio),
            dec(d.cost_basis),
            dec(d.cash_amount),
            cur(d.cash_currency),
            dec(d.fx_rate),
            opt(&t.account.number),
            opt(&d.name),
        )
        .unwrap();
    }
    for r in &p.rows {
        writeln!(
            s,
            "R{} {} | {} {} | {} | id {} | balance {}",
            r.line,
            r.date,
            r.amount,
            cur(r.currency),
            r.description,
            opt(&r.external_id),
            dec(r.balance_after)
        )
        .unwrap();
    }
    for d in &p.diagnostics {
        writeln!(s, "{:?} line {} {:?}: {}", d.severity, d.line, d.field, d.message).unwrap();
    }
    s
}

#[path = "../../../testing/corpus.rs"]
mod corpus_path;

/// The shared corpus's broker folder, or `None` (with a loud note) when the
/// corpus is not there.
pub fn corpus_broker() -> Option<PathBuf> {
    corpus_path::corpus_dir().map(|d| d.join("broker"))
}

pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/broker")
}
