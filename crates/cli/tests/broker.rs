//! End-to-end: broker exports through `kassa import` on both backends —
//! detected by content as `broker`, their trades and cash rows counted, and a
//! file with broken rows refused by file, line and column with nothing written.

mod common;

use std::path::PathBuf;

#[path = "../../../testing/corpus.rs"]
mod corpus_path;

fn corpus(name: &str) -> Option<PathBuf> {
    corpus_path::corpus_dir().map(|d| d.join(name))
}

#[test]
fn broker_exports_import_as_trades() {
    let (Some(degiro), Some(schwab)) =
        (corpus("broker/degiro-account-nl.csv"), corpus("broker/schwab-brokerage-us.csv"))
    else {
        return;
    };
    let bad = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../import/tests/data/broker/directa-bad-rows.csv");
    for (db, k) in common::databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Depot", "--kind", "brokerage", "--currency", "EUR"]);
        k.ok(&["account", "add", "Schwab", "--kind", "brokerage", "--currency", "USD"]);
        // The export starts after the iShares AEX shares were bought, so its
        // sale of 10 books against nothing: refused by line, nothing stored,
        // --skip-bad-rows or not.
        let before = k.ok(&["events", "--limit", "100000", "-o", "json"]);
        for extra in [&[][..], &["--skip-bad-rows"][..]] {
            let err = k.err(&[&["import", degiro.to_str().unwrap(), "--account", "Depot"][..], extra].concat());
            assert!(err.contains("degiro-account-nl.csv:20: qty:"), "{}: {err}", db.name);
        }
        assert_eq!(k.ok(&["events", "--limit", "100000", "-o", "json"]), before, "{}: nothing written", db.name);
        // The opening positions, as a trades.csv of transfers in at their
        // cost (no cash moves), then the export books.
        let dir = tempfile::tempdir().unwrap();
        let opening = dir.path().join("opening.csv");
        std::fs::write(
            &opening,
            "account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id\n\
             Depot,2019-01-02T10:00:00+01:00,IAEX,IE00B0M62Y33,TRANSFER_IN,10,50.00,0,EUR,opening-1\n\
             Depot,2019-01-02T10:00:00+01:00,TDIV,NL0010408704,TRANSFER_IN,4,80.00,0,EUR,opening-2\n",
        )
        .unwrap();
        k.ok(&["import", opening.to_str().unwrap(), "--account", "Depot"]);
        let d = k.json(&["import", degiro.to_str().unwrap(), "--account", "Depot"]);
        assert_eq!(d["files"][0]["format"], "broker", "{}: {d}", db.name);
        // 19 trades (dividends with their tax, a sale with its cost, interest,
        // fund conversions) and 4 cash rows (deposit, withdrawals, a fee).
        assert_eq!((d["trades"].as_u64(), d["new"].as_u64()), (Some(19), Some(4)), "{}: {d}", db.name);
        // The depot holds the euros the export moved: its cash rows and its
        // trades' booked cash (the USD interest has no "Depot USD" to go to).
        let parsed = kassa_import::parse(&std::fs::read(&degiro).unwrap(), None, None);
        let eur = |c: Option<kassa_core::Currency>| c.is_none_or(|c| c.code() == "EUR");
        let moved: rust_decimal::Decimal =
            parsed.rows.iter().filter(|r| eur(r.currency)).map(|r| r.amount).sum::<rust_decimal::Decimal>()
                + parsed
                    .trades
                    .iter()
                    .filter(|t| eur(t.detail.cash_currency.or(t.currency)))
                    .map(kassa_import::TradeRow::cash_effect)
                    .sum::<rust_decimal::Decimal>();
        let depot = || {
            let rows = k.json(&["balance"]);
            let row = rows.as_array().unwrap().iter().find(|r| r["account"] == "Depot").unwrap().clone();
            row["balance"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap()
        };
        assert_eq!(depot(), moved, "{}", db.name);
        // Re-importing adds nothing, cash included.
        let again = k.json(&["import", degiro.to_str().unwrap(), "--account", "Depot"]);
        assert_eq!((again["trades"].as_u64(), again["new"].as_u64()), (Some(0), Some(0)), "{}: {again}", db.name);
        assert_eq!(depot(), moved, "{}: re-import", db.name);
        // Schwab's export, too, sells positions bought before it begins.
        let s = k.err(&["import", schwab.to_str().unwrap(), "--account", "Schwab", "--skip-bad-rows"]);
        assert!(s.contains("schwab-brokerage-us.csv:117: qty:"), "{}: {s}", db.name);

        let before = k.ok(&["events", "--limit", "100000", "-o", "json"]);
        let err = k.err(&["import", bad.to_str().unwrap(), "--account", "Depot"]);
        for want in ["directa-bad-rows.csv:6: Quantità:", "directa-bad-rows.csv:7: Importo euro:", "3 bad row(s)"] {
            assert!(err.contains(want), "{}: {want} missing in {err}", db.name);
        }
        assert_eq!(k.ok(&["events", "--limit", "100000", "-o", "json"]), before, "{}: nothing written", db.name);
    }
}

/// Issue 15: an OFX investment statement writes its cash to 4 places
/// (`115.8331`), which a USD account cannot hold; the import books it to the
/// cent, half to even, instead of refusing the file.
#[test]
fn ofx_investment_cash_with_four_decimals_imports() {
    let Some(fidelity) = corpus("ofx/fidelity-investment-tz.ofx") else { return };
    for (db, k) in common::databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Fidelity", "--kind", "brokerage", "--currency", "USD"]);
        let r = k.json(&["import", fidelity.to_str().unwrap(), "--account", "Fidelity"]);
        assert_eq!(r["new"].as_u64(), Some(4), "{}: {r}", db.name);
        let balances = k.json(&["balance"]);
        assert_eq!(balances[0]["balance"], "-1778.40", "{}: {balances}", db.name);
    }
}
