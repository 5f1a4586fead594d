//! `kassa portfolio` end to end through the real binary, on SQLite and (when
//! configured) PostgreSQL: trades.csv imported once (a re-import adds 0, two
//! identical buys stay two), holdings, sales with their lots and open lots
//! under each method, a valuation before the sale, performance, imported
//! prices (found under any name any account gives the instrument), the
//! account's own cost method, a rebuild that reproduces it all,
//! and bad files that store nothing.

mod common;

use common::databases;
use serde_json::Value;

const TRADES: &str = "\
account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id
broker,2024-01-02T10:00:00+01:00,IWDA,IE00B4L5Y983,BUY,10,100,5,EUR,B1
broker,2024-02-01T10:00:00+01:00,IWDA,IE00B4L5Y983,BUY,10,90,0,EUR,B2
broker,2024-03-01T10:00:00+01:00,IWDA,IE00B4L5Y983,BUY,10,110,10,EUR,B3
broker,2024-04-02T10:00:00+01:00,IWDA,IE00B4L5Y983,SELL,25,130,5,EUR,S1
broker,2024-05-06T09:00:00+02:00,AAPL,US0378331005,BUY,0.123456789,150,0,USD,
broker,2024-05-06T09:04:00+02:00,AAPL,US0378331005,BUY,0.5,150,0,USD,
broker,2024-05-06T09:04:00+02:00,AAPL,US0378331005,BUY,0.5,150,0,USD,
";

fn field<'a>(v: &'a Value, f: &str) -> &'a str {
    v[f].as_str().unwrap_or_else(|| panic!("{f} in {v}"))
}

#[test]
fn portfolio_holdings_sales_lots_performance() {
    for (db, k) in databases() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("trades.csv");
        std::fs::write(&file, TRADES).unwrap();
        let file = file.to_str().unwrap();
        k.ok(&["init"]);
        k.ok(&["account", "add", "broker", "--kind", "brokerage", "--currency", "EUR"]);
        let first = k.json(&["import", file]);
        assert_eq!(first["trades"].as_u64(), Some(7), "{}: {first}", db.name);
        let again = k.json(&["import", file]);
        assert_eq!((again["trades"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(7)), "{}", db.name);

        // method, IWDA cost basis, unrealized at the sale's price, realized
        for (method, cost, unrealized, realized) in [
            ("fifo", "555.00", "95.00", "785.00"),
            ("lifo", "502.50", "147.50", "732.50"),
            ("hifo", "450.00", "200.00", "680.00"),
            ("average", "502.50", "147.50", "732.50"),
        ] {
            let rows = k.json(&["portfolio", "holdings", "--method", method]);
            let iwda = rows.as_array().unwrap().iter().find(|r| r["symbol"] == "IWDA").unwrap();
            assert_eq!(
                (field(iwda, "qty"), field(iwda, "cost_basis"), field(iwda, "market_value")),
                ("5", cost, "650.00"),
                "{}: {method}",
                db.name
            );
            assert_eq!((field(iwda, "unrealized_pnl"), field(iwda, "realized_pnl")), (unrealized, realized));
        }
        // The identical buys stay two; fractional quantities add up exactly.
        let rows = k.json(&["portfolio", "holdings"]);
        let aapl = rows.as_array().unwrap().iter().find(|r| r["symbol"] == "AAPL").unwrap();
        assert_eq!((field(aapl, "qty"), field(aapl, "currency")), ("1.123457", "USD"), "{}", db.name);
        assert_eq!(field(aapl, "cost_basis"), "168.52"); // 1.123456789 * 150

        // Before the sale: 30 held at the last trade's price.
        let before = k.json(&["portfolio", "holdings", "--as-of", "2024-03-31", "--account", "broker"]);
        assert_eq!(before.as_array().unwrap().len(), 1, "{}: {before}", db.name);
        assert_eq!((field(&before[0], "qty"), field(&before[0], "cost_basis")), ("30", "3015.00"));
        assert_eq!(field(&before[0], "price_date"), "2024-03-01");

        let sales = k.json(&["portfolio", "sales"]);
        let s = &sales[0];
        assert_eq!(
            (field(s, "external_id"), field(s, "date"), field(s, "proceeds"), field(s, "fee"), field(s, "cost")),
            ("S1", "2024-04-02", "3250.00", "5.00", "2460.00"),
            "{}",
            db.name
        );
        let lots: Vec<(&str, &str, &str)> = s["lots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (field(l, "trade"), field(l, "qty"), field(l, "cost")))
            .collect();
        assert_eq!(lots, vec![("B1", "10", "1005.00"), ("B2", "10", "900.00"), ("B3", "5", "555.00")]);

        let open = k.ok(&["portfolio", "lots", "-o", "csv"]);
        assert!(open.starts_with("account,symbol,isin,trade,opened,qty,cost,unit_cost\n"), "{open}");
        assert!(open.contains("broker,IWDA,IE00B4L5Y983,B3,2024-03-01,5,555.00,111.00"), "{}: {open}", db.name);
        assert_eq!(open.lines().filter(|l| l.contains("AAPL")).count(), 3);

        let perf = k.json(&["portfolio", "performance", "--interval", "month", "--to", "2024-04-30"]);
        let perf = perf.as_array().unwrap();
        assert_eq!(
            perf.iter().map(|p| field(p, "date")).collect::<Vec<_>>(),
            ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]
        );
        // January: 1005 paid, worth 1000.
        assert_eq!((field(&perf[0], "value"), field(&perf[0], "invested")), ("1000.00", "1005.00"));
        assert_eq!(field(&perf[0], "twr"), "-0.004975");

        // Imported prices value the holdings; a later row for the same day wins,
        // and a price file may name the ticker or the ISIN.
        let prices = dir.path().join("prices.csv");
        std::fs::write(
            &prices,
            "date,symbol,price,currency\n2024-04-30,IWDA,140,EUR\n2024-04-30,IWDA,141,EUR\n2024-05-31,US0378331005,190,USD\n",
        )
        .unwrap();
        assert!(k.ok(&["prices", "import", prices.to_str().unwrap()]).contains("2 price(s)"));
        let rows = k.json(&["portfolio", "holdings", "--as-of", "2024-05-31"]);
        let iwda = rows.as_array().unwrap().iter().find(|r| r["symbol"] == "IWDA").unwrap();
        assert_eq!((field(iwda, "price"), field(iwda, "market_value")), ("141", "705.00"), "{}", db.name);
        assert_eq!(field(iwda, "unrealized_pnl"), "150.00");
        let aapl = rows.as_array().unwrap().iter().find(|r| r["symbol"] == "AAPL").unwrap();
        assert_eq!((field(aapl, "price_date"), field(aapl, "market_value")), ("2024-05-31", "213.46"));
        // Per instrument: AAPL alone, bought at 150 and priced 190 at the
        // end of May, returned 190/150 − 1 whatever the others did.
        let aapl = k.json(&[
            "portfolio",
            "performance",
            "--instrument",
            "aapl",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-31",
            "--interval",
            "whole",
        ]);
        let last = aapl.as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (field(&last, "value"), field(&last, "invested"), field(&last, "twr")),
            ("213.46", "168.52", "0.266667"),
            "{}: {aapl}",
            db.name
        );
        let only = k.json(&["portfolio", "holdings", "--instrument", "IE00B4L5Y983"]);
        assert_eq!(only.as_array().unwrap().iter().map(|h| field(h, "symbol")).collect::<Vec<_>>(), ["IWDA"]);
        let err = k.err(&["portfolio", "holdings", "--instrument", "MSFT"]);
        assert!(err.contains("no trades of 'MSFT'"), "{err}");
        std::fs::write(&prices, "date,symbol,price,currency\n2024-04-30,IWDA,-1,EUR\n2024-13-01,IWDA,1,EUR\n").unwrap();
        let err = k.err(&["prices", "import", prices.to_str().unwrap()]);
        assert!(err.contains("prices.csv:2: price: must not be negative"), "{err}");
        assert!(err.contains("prices.csv:3: date:"), "{err}");

        // The account's own method, and --method over it.
        k.ok(&["account", "set", "broker", "--cost-method", "hifo"]);
        let rows = k.json(&["portfolio", "holdings", "--account", "broker"]);
        let iwda = rows.as_array().unwrap().iter().find(|r| r["symbol"] == "IWDA").unwrap();
        assert_eq!(field(iwda, "cost_basis"), "450.00", "{}", db.name);
        let rows = k.json(&["portfolio", "holdings", "--method", "fifo"]);
        let iwda = rows.as_array().unwrap().iter().find(|r| r["symbol"] == "IWDA").unwrap();
        assert_eq!(field(iwda, "cost_basis"), "555.00");
        let err = k.err(&["account", "set", "brocker", "--cost-method", "lifo"]);
        assert!(err.contains("unknown account 'brocker'"), "{err}");

        let table = k.ok(&["portfolio", "holdings"]);
        assert!(table.contains("IE00B4L5Y983") && table.contains("unrealized_pnl"), "{table}");
        let snapshot = k.ok(&["portfolio", "sales", "-o", "json"]);
        let valued = k.ok(&["portfolio", "holdings", "--as-of", "2024-05-31", "-o", "json"]);
        k.ok(&["rebuild"]);
        assert_eq!(k.ok(&["portfolio", "sales", "-o", "json"]), snapshot, "{}: rebuild", db.name);
        assert_eq!(k.ok(&["portfolio", "holdings", "--as-of", "2024-05-31", "-o", "json"]), valued, "{}", db.name);

        let bad = dir.path().join("bad.csv");
        std::fs::write(
            &bad,
            "account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id\n\
             broker,2024-06-01,IWDA,IE00B4L5Y983,BUY,1,100,0,EUR,B7\n\
             broker,2024-06-02,IWDA,IE00B4L5Y983,SELL,7,100,0,EUR,S7\n",
        )
        .unwrap();
        let err = k.err(&["import", bad.to_str().unwrap()]);
        assert!(err.contains("bad.csv:3: qty:") && err.contains("only 6 is held"), "{}: {err}", db.name);
        assert_eq!(k.ok(&["portfolio", "sales", "-o", "json"]), snapshot, "{}: nothing stored", db.name);

        let err = k.err(&["portfolio", "holdings", "--account", "nope"]);
        assert!(err.contains("unknown account 'nope'"), "{err}");
        let err = k.err(&["portfolio", "holdings", "--method", "lofi"]);
        assert!(err.contains("unknown cost method 'lofi'"), "{err}");
    }
}

/// The cash balance of each account, by name.
fn balances(k: &common::Kassa) -> Vec<(String, String)> {
    let rows = k.json(&["balance"]);
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| (field(r, "account").to_string(), field(r, "balance").to_string()))
        .collect()
}

/// A trade moves its account's cash as one balanced transaction: buys
/// and sells against the neutral "Securities", dividends (net of the tax
/// withheld) as income; cash in another currency goes to the sibling account
/// named after it ("broker USD"). Re-importing adds no cash, the trades'
/// cash shows in no income or expense report, and undoing the batch takes
/// it back with the trades.
#[test]
fn trades_move_the_cash() {
    for (db, k) in databases() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("trades.csv");
        let extra = "\
broker,2024-06-03T10:00:00+02:00,IWDA,IE00B4L5Y983,DIVIDEND,5,0.5,0.75,EUR,D1
broker,2024-06-04T10:00:00+02:00,IWDA,IE00B4L5Y983,SPLIT,2,0,0,EUR,X1
";
        std::fs::write(&file, format!("{TRADES}{extra}")).unwrap();
        let file = file.to_str().unwrap();
        k.ok(&["init"]);
        k.ok(&["account", "add", "broker", "--kind", "brokerage", "--currency", "EUR"]);
        k.ok(&["account", "add", "broker USD", "--kind", "brokerage", "--currency", "USD"]);
        let first = k.json(&["import", file]);
        assert_eq!(first["trades"].as_u64(), Some(9), "{}: {first}", db.name);
        // EUR: −(10·100+5) − 10·90 − (10·110+10) + (25·130−5) + (5·0.5 − 0.75) = 231.75;
        // USD: −(0.123456789·150) − 75 − 75 = −168.518518… → −168.52.
        let want =
            vec![("broker".to_string(), "231.75".to_string()), ("broker USD".to_string(), "-168.52".to_string())];
        assert_eq!(balances(&k), want, "{}", db.name);

        let txs = k.json(&["tx", "list", "--account", "broker"]);
        let mut seen: Vec<(String, String, String)> = txs
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (field(t, "description").into(), field(t, "amount").into(), field(t, "category").into()))
            .collect();
        seen.sort();
        assert_eq!(
            seen[..3],
            [
                ("Buy 10 IWDA @ 100".into(), "-1005.00".into(), "Securities".into()),
                ("Buy 10 IWDA @ 110".into(), "-1110.00".into(), "Securities".into()),
                ("Buy 10 IWDA @ 90".into(), "-900.00".into(), "Securities".into()),
            ],
            "{}",
            db.name
        );
        assert!(seen.contains(&("Dividend IWDA".into(), "1.75".into(), "Dividends".into())), "{seen:?}");
        // A split moves no cash; it doubles the 5 IWDA left.
        assert_eq!(seen.len(), 5, "{}: {seen:?}", db.name);
        let held = k.json(&["portfolio", "holdings", "--account", "broker"]);
        let iwda = held.as_array().unwrap().iter().find(|r| r["symbol"] == "IWDA").unwrap();
        assert_eq!((field(iwda, "qty"), field(iwda, "cost_basis")), ("10", "555.00"), "{}", db.name);
        assert!(seen.contains(&("Sell 25 IWDA @ 130".into(), "3245.00".into(), "Securities".into())), "{seen:?}");

        // Buying and selling is neither income nor expense.
        let totals = k.json(&["report", "monthly"]);
        let named: Vec<&str> = totals.as_array().unwrap().iter().map(|r| field(r, "category")).collect();
        assert!(!named.contains(&"Securities"), "{}: {named:?}", db.name);
        assert!(named.contains(&"Dividends"), "{named:?}");

        // Net worth values the securities: 10 IWDA (5 split 2:1) at the sale's
        // 130 per old share, 650, beside the cash. The AAPL in the EUR
        // account has no USD/EUR rate here, so it counts in the USD net
        // worth: worth its 168.52 at the buys' price, what "broker USD" paid.
        let worth = k.json(&["report", "networth", "--from", "2024-06-01", "--to", "2024-06-30"]);
        let net: Vec<(&str, &str, &str)> = worth
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (field(l, "account"), field(l, "currency"), field(l, "balance")))
            .collect();
        assert_eq!(
            net,
            [
                ("broker", "EUR", "881.75"),
                ("broker USD", "USD", "-168.52"),
                ("Net worth", "EUR", "881.75"),
                ("Net worth", "USD", "0.00"),
            ],
            "{}",
            db.name
        );

        let again = k.json(&["import", file]);
        assert_eq!((again["trades"].as_u64(), again["new"].as_u64()), (Some(0), Some(0)), "{}", db.name);
        assert_eq!(balances(&k), want, "{}: re-import", db.name);
        k.ok(&["rebuild"]);
        assert_eq!(balances(&k), want, "{}: rebuild", db.name);

        let batch = field(&first, "batch").to_string();
        k.ok(&["import", "undo", &batch]);
        let zero = vec![("broker".to_string(), "0.00".to_string()), ("broker USD".to_string(), "0.00".to_string())];
        assert_eq!(balances(&k), zero, "{}: undo", db.name);
        assert_eq!(k.json(&["portfolio", "holdings"]).as_array().map(Vec::len), Some(0), "{}", db.name);
    }
}

/// A price file's ticker prices an instrument even when only another
/// account's trades give that ticker (one account's trades name just the
/// ISIN): prices are found under every name any account gives it.
#[test]
fn prices_find_an_instrument_under_any_accounts_name_for_it() {
    for (db, k) in databases() {
        let dir = tempfile::tempdir().unwrap();
        let (trades, prices) = (dir.path().join("trades.csv"), dir.path().join("prices.csv"));
        std::fs::write(
            &trades,
            "account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id\n\
             a,2024-01-02T10:00:00+01:00,,IE00B4L5Y983,BUY,10,100,0,EUR,A1\n\
             b,2024-01-03T10:00:00+01:00,IWDA,IE00B4L5Y983,BUY,5,100,0,EUR,B1\n",
        )
        .unwrap();
        std::fs::write(&prices, "date,symbol,price,currency\n2024-02-01,iwda,120,EUR\n").unwrap();
        k.ok(&["init"]);
        for a in ["a", "b"] {
            k.ok(&["account", "add", a, "--kind", "brokerage", "--currency", "EUR"]);
        }
        k.ok(&["import", trades.to_str().unwrap()]);
        k.ok(&["prices", "import", prices.to_str().unwrap()]);
        let rows = k.json(&["portfolio", "holdings", "--as-of", "2024-02-01"]);
        let valued: Vec<(&str, &str, &str)> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (field(r, "account"), field(r, "price_date"), field(r, "market_value")))
            .collect();
        assert_eq!(valued, [("a", "2024-02-01", "1200.00"), ("b", "2024-02-01", "600.00")], "{}", db.name);
    }
}
