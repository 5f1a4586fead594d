//! Instruments end to end through the real binary, on SQLite and (when
//! configured) PostgreSQL: created by the trades an import brings, listed
//! and edited with `kassa instrument`, their name and kind in `kassa
//! portfolio holdings`, kinds an IBKR export states learned on import and
//! never put over a kind the user set, a rebuild that reproduces them; and
//! the holdings of a USD share in a EUR book, their unrealized P&L split
//! into price and currency effect (the figures of the core's golden test).

mod common;

use std::path::PathBuf;

use common::databases;
use serde_json::Value;

#[path = "../../../testing/corpus.rs"]
mod corpus_path;

const TRADES: &str = "\
account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id
broker,2025-01-10T10:00:00Z,AAPL,US0378331005,BUY,10,100,5,USD,B1
broker,2025-02-10T10:00:00Z,AAPL,US0378331005,BUY,5,120,0,USD,B2
broker,2025-03-01T10:00:00Z,AAPL,US0378331005,SELL,3,130,0,USD,S1
broker,2025-01-15T10:00:00Z,IWDA,IE00B4L5Y983,BUY,2,80,0,EUR,B3
broker,2025-01-20T10:00:00Z,VOD,,BUY,100,0.70,0,GBP,B4
";

/// 1 USD in EUR on the day of each buy and on the valuation day.
const RATES: &str = "\
date,base,quote,rate
2025-01-10,USD,EUR,0.90
2025-02-10,USD,EUR,0.95
2025-04-01,USD,EUR,0.92
";

const PRICES: &str = "date,symbol,price,currency\n2025-04-01,AAPL,150,USD\n2025-04-01,IWDA,85,EUR\n";

fn field<'a>(v: &'a Value, f: &str) -> &'a str {
    v[f].as_str().unwrap_or_else(|| panic!("{f} in {v}"))
}

fn row<'a>(rows: &'a Value, symbol: &str) -> &'a Value {
    rows.as_array().unwrap().iter().find(|r| r["symbol"] == symbol).unwrap_or_else(|| panic!("{symbol} in {rows}"))
}

#[test]
fn instruments_are_listed_edited_and_shown_in_holdings_with_the_currency_effect() {
    for (db, k) in databases() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p.to_str().unwrap().to_string()
        };
        let (trades, rates, prices) = (write("trades.csv", TRADES), write("fx.csv", RATES), write("p.csv", PRICES));
        k.ok(&["init"]);
        k.ok(&["account", "add", "broker", "--kind", "brokerage", "--currency", "EUR"]);
        k.ok(&["import", &trades]);
        k.ok(&["fx", "import", &rates]);
        k.ok(&["prices", "import", &prices]);

        // Created by the trades; trades.csv names no instrument and states no kind.
        let list = k.ok(&["instrument", "list", "-o", "csv"]);
        assert_eq!(
            list,
            "instrument,isin,symbol,name,currency,kind\n\
             IE00B4L5Y983,IE00B4L5Y983,IWDA,,EUR,other\n\
             US0378331005,US0378331005,AAPL,,USD,other\n\
             VOD,,VOD,,GBP,other\n",
            "{}",
            db.name
        );

        // issue 16's columns first, in its order; the new ones after them.
        let csv = k.ok(&["portfolio", "holdings", "--as-of", "2025-04-01", "-o", "csv"]);
        assert!(
            csv.starts_with(
                "account,symbol,isin,currency,qty,cost_basis,price,price_date,market_value,unrealized_pnl,\
                 realized_pnl,name,kind,base_currency,cost_basis_base,market_value_base,unrealized_pnl_base,\
                 price_effect,currency_effect\n"
            ),
            "{}: {csv}",
            db.name
        );

        // By hand: lots of 7 (703.50 USD at 0.90) and 5 (600.00 at 0.95)
        // held at 150 on a day of 0.92: cost 633.15 + 570.00 = 1203.15 EUR,
        // worth 1800 × 0.92 = 1656.00; price effect (1800 − 1303.50) × 0.92
        // = 456.78, currency effect 1303.50 × 0.92 − 1203.15 = −3.93,
        // together 452.85.
        let rows = k.json(&["portfolio", "holdings", "--as-of", "2025-04-01"]);
        let aapl = row(&rows, "AAPL");
        assert_eq!(
            (field(aapl, "qty"), field(aapl, "cost_basis"), field(aapl, "unrealized_pnl")),
            ("12", "1303.50", "496.50"),
            "{}",
            db.name
        );
        assert_eq!(
            (field(aapl, "base_currency"), field(aapl, "cost_basis_base"), field(aapl, "market_value_base")),
            ("EUR", "1203.15", "1656.00")
        );
        assert_eq!(
            (field(aapl, "unrealized_pnl_base"), field(aapl, "price_effect"), field(aapl, "currency_effect")),
            ("452.85", "456.78", "-3.93")
        );
        assert_eq!((aapl["name"].clone(), field(aapl, "kind")), (Value::Null, "other"));
        // In the base currency it is all price: 2 × (85 − 80).
        let iwda = row(&rows, "IWDA");
        assert_eq!(
            (field(iwda, "unrealized_pnl_base"), field(iwda, "price_effect"), field(iwda, "currency_effect")),
            ("10.00", "10.00", "0.00")
        );
        // Without a GBP rate the pounds are not put into euros at all.
        let vod = row(&rows, "VOD");
        assert_eq!((field(vod, "market_value"), field(vod, "unrealized_pnl")), ("70.00", "0.00"));
        for f in ["base_currency", "market_value_base", "price_effect", "currency_effect"] {
            assert_eq!(vod[f], Value::Null, "{}: {f} in {vod}", db.name);
        }
        // At the end of January: one lot, at the rate it was bought at
        // (the latest known), worth its buy price: only the fee is lost,
        // 5 × 0.90.
        let jan = k.json(&["portfolio", "holdings", "--as-of", "2025-01-31"]);
        let aapl = row(&jan, "AAPL");
        assert_eq!((field(aapl, "price_effect"), field(aapl, "currency_effect")), ("-4.50", "0.00"), "{}", db.name);

        // Set by ISIN (any case) or ticker; the holdings show it.
        k.ok(&["instrument", "set", "us0378331005", "--kind", "stock"]);
        k.ok(&["instrument", "set", "IWDA", "--name", "iShares Core MSCI World", "--kind", "etf"]);
        k.ok(&["instrument", "set", "AAPL", "--name", "Apple Inc."]);
        let rows = k.json(&["portfolio", "holdings"]);
        assert_eq!((field(row(&rows, "AAPL"), "name"), field(row(&rows, "AAPL"), "kind")), ("Apple Inc.", "stock"));
        assert_eq!(field(row(&rows, "IWDA"), "kind"), "etf", "{}", db.name);

        // Refusals name what is wrong and store nothing.
        let before = k.ok(&["events", "--limit", "100000", "-o", "json"]);
        let err = k.err(&["instrument", "set", "AAPX", "--kind", "stock"]);
        assert!(err.contains("unknown instrument 'AAPX' (did you mean 'AAPL'?)"), "{}: {err}", db.name);
        let err = k.err(&["instrument", "set", "AAPL", "--kind", "warrant"]);
        assert!(err.contains("unknown instrument kind 'warrant'"), "{err}");
        let err = k.err(&["instrument", "set", "AAPL", "--name", " "]);
        assert!(err.contains("name: must be 1 to 200 characters"), "{err}");
        let err = k.err(&["instrument", "set", "US0378331006", "--kind", "stock"]);
        assert!(err.contains("unknown instrument 'US0378331006'"), "{err}");
        assert_eq!(k.ok(&["events", "--limit", "100000", "-o", "json"]), before, "{}: nothing written", db.name);

        // The projection is a fold of the log.
        let list = k.ok(&["instrument", "list", "-o", "json"]);
        k.ok(&["rebuild"]);
        assert_eq!(k.ok(&["instrument", "list", "-o", "json"]), list, "{}", db.name);
    }
}

#[test]
fn an_ibkr_export_states_kinds_but_never_over_the_users() {
    let Some(ibkr) = corpus_path::corpus_dir().map(|d| d.join("broker/ibkr-flex-trades.csv")) else { return };
    let ibkr: PathBuf = ibkr;
    let ibkr = ibkr.to_str().unwrap();
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["book", "add", "second"]);
        for book in ["personal", "second"] {
            k.ok(&["--book", book, "account", "add", "IBKR", "--kind", "brokerage", "--currency", "USD"]);
        }
        // The export's one execution: VTI, asset class STK, sub-category ETF.
        k.ok(&["import", ibkr, "--account", "IBKR"]);
        let list = k.json(&["instrument", "list"]);
        assert_eq!(
            (field(&list[0], "symbol"), field(&list[0], "kind"), field(&list[0], "name")),
            ("VTI", "etf", "VANGUARD TOTAL STOCK MKT ETF"),
            "{}: {list}",
            db.name
        );
        // In the second book a trades.csv brought VTI first, and its owner
        // calls it a fund: the export names it but leaves the kind alone.
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first.csv");
        std::fs::write(
            &first,
            "account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id\n\
             IBKR,2023-01-03T10:00:00Z,VTI,US9229087690,BUY,1,190,0,USD,opening\n",
        )
        .unwrap();
        k.ok(&["--book", "second", "import", first.to_str().unwrap(), "--account", "IBKR"]);
        k.ok(&["--book", "second", "instrument", "set", "VTI", "--kind", "fund"]);
        k.ok(&["--book", "second", "import", ibkr, "--account", "IBKR"]);
        let list = k.json(&["--book", "second", "instrument", "list"]);
        assert_eq!(
            (field(&list[0], "kind"), field(&list[0], "name")),
            ("fund", "VANGUARD TOTAL STOCK MKT ETF"),
            "{}: {list}",
            db.name
        );
        let holdings = k.json(&["--book", "second", "portfolio", "holdings"]);
        assert_eq!((field(&holdings[0], "kind"), field(&holdings[0], "qty")), ("fund", "18"), "{}", db.name);
    }
}
