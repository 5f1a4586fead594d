//! kassa's FIFO, LIFO and HIFO against beancount's own booking (issue 16):
//! seeded random trades (two accounts, four instruments, fees and empty
//! fees, fractional partial sales, full closes, same-day trades) imported
//! through the real binary as `trades.csv`, and the same trades as one
//! beancount ledger per method (`kassa_bench::portfolio`, whose module
//! comment states how the conventions are bridged). At three dates every
//! open position's quantity, cost basis, market value and unrealized P&L,
//! every position's realized P&L, and at the end every sale's realized
//! P&L must agree to the cent with what `bean-query` reports.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{Kassa, databases, tool};
use jiff::civil::Date;
use kassa_bench::portfolio::{GenTrade, Generated, Shape, Side, generate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

/// Position figures by beancount account: qty, cost basis, market value, unrealized.
type Positions = BTreeMap<String, [Decimal; 4]>;
/// Realized P&L by gains account (positions) or by trade id (sales).
type Realized = BTreeMap<String, Decimal>;

/// What beancount booked under one method.
struct Booked {
    method: &'static str,
    /// At each of the three dates.
    at: Vec<(Positions, Realized)>,
    sales: Realized,
}

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
}

fn qty(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(6, RoundingStrategy::MidpointNearestEven).normalize()
}

/// A bean-query number: every figure is queried as `number(…)`, a plain
/// decimal at full precision (amounts and inventories print aligned and
/// rounded to the display precision), padded with spaces.
fn amount(field: &str) -> Decimal {
    field.trim().parse().unwrap_or_else(|_| panic!("not a number: {field:?}"))
}

/// The rows of a query, without the header (which may quote commas; the
/// selected fields never hold one).
fn bean_query(ledger: &Path, query: &str) -> Vec<Vec<String>> {
    let out = Command::new("bean-query").args(["-f", "csv"]).arg(ledger).arg(query).output().expect("run bean-query");
    assert!(out.status.success(), "bean-query {query}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect()
}

/// What beancount books at `date`: open positions and realized P&L by account.
fn beancount_at(ledger: &Path, date: Date) -> (Positions, Realized) {
    let rows = bean_query(
        ledger,
        &format!(
            "SELECT account, sum(number(units(position))), sum(number(cost(position))), \
             sum(number(value(position, {date}))) \
             WHERE date <= {date} AND account ~ '^(Assets:.*:K|Income:Gains:)' GROUP BY account"
        ),
    );
    let (mut open, mut realized) = (Positions::new(), Realized::new());
    for r in rows {
        let (units, cost, value) = (amount(&r[1]), amount(&r[2]), amount(&r[3]));
        if r[0].trim().starts_with("Income:") {
            realized.insert(r[0].trim().to_string(), cents(-units));
        } else if !units.is_zero() {
            open.insert(r[0].trim().to_string(), [qty(units), cents(cost), cents(value), cents(value - cost)]);
        }
    }
    realized.retain(|_, v| !v.is_zero());
    (open, realized)
}

/// Every sale's realized P&L in beancount: minus its gains leg, by trade id.
fn beancount_sales(ledger: &Path) -> Realized {
    bean_query(ledger, "SELECT narration, number(units(position)) WHERE account ~ '^Income:Gains:'")
        .into_iter()
        .map(|r| (r[0].trim().trim_matches('"').to_string(), cents(-amount(&r[1]))))
        .collect()
}

fn dec(v: &Value, f: &str) -> Decimal {
    v[f].as_str().unwrap_or_else(|| panic!("{f} in {v}")).parse().unwrap()
}

/// The same figures from `kassa portfolio holdings`, keyed like beancount's accounts.
fn kassa_at(k: &Kassa, g: &Generated, method: &str, date: Date) -> (Positions, Realized) {
    let rows = k.json(&["portfolio", "holdings", "--method", method, "--as-of", &date.to_string()]);
    let (mut open, mut realized) = (Positions::new(), Realized::new());
    for r in rows.as_array().unwrap() {
        let a = g.accounts.iter().position(|a| r["account"] == a.as_str()).unwrap();
        let i = g.instruments.iter().position(|i| r["symbol"] == i.symbol.as_str()).unwrap();
        let q = dec(r, "qty");
        if !q.is_zero() {
            let figures = [qty(q), dec(r, "cost_basis"), dec(r, "market_value"), dec(r, "unrealized_pnl")];
            open.insert(g.bean_account(a, i), figures);
        }
        realized.insert(g.bean_gains(a, i), dec(r, "realized_pnl"));
    }
    realized.retain(|_, v| !v.is_zero());
    (open, realized)
}

#[test]
fn fifo_lifo_hifo_agree_with_beancount_to_the_cent() {
    if !tool("bean-query") {
        return;
    }
    let first_day = jiff::civil::date(2022, 1, 3);
    let g = generate(&Shape { seed: 16, trades: 600, instruments: 4, accounts: 2, first_day, days: 400 });
    let sales = g.trades.iter().filter(|t| t.side == Side::Sell).count();
    assert!(sales > 100, "the generated trades sell too rarely to test booking: {sales}");
    // The data holds what the conventions are about: same-day trades in one
    // account, and buys of one position at one unit cost (HIFO's ties).
    let same_day = g.trades.windows(2).filter(|w| (w[0].date, w[0].account) == (w[1].date, w[1].account)).count();
    let buys: Vec<_> = g.trades.iter().filter(|t| t.side == Side::Buy).collect();
    let unit = |t: &GenTrade| (t.qty * t.price + t.fee()) / t.qty;
    let ties = buys
        .iter()
        .enumerate()
        .filter(|(n, a)| {
            buys[..*n].iter().any(|b| (b.account, b.instrument) == (a.account, a.instrument) && unit(b) == unit(a))
        })
        .count();
    assert!(same_day > 50 && ties > 0, "same-day pairs {same_day}, equal unit costs {ties}");
    let day = |n: i64| first_day.checked_add(jiff::Span::new().days(n)).unwrap();
    let dates = [day(133), day(266), g.last_day()];

    let dir = tempfile::tempdir().unwrap();
    let (trades, prices) = (dir.path().join("trades.csv"), dir.path().join("prices.csv"));
    std::fs::write(&trades, g.trades_csv()).unwrap();
    std::fs::write(&prices, g.prices_csv()).unwrap();
    // beancount's side, once per method: figures at each date and every sale.
    let beancount: Vec<Booked> = ["FIFO", "LIFO", "HIFO"]
        .into_iter()
        .map(|method| {
            let ledger = dir.path().join(format!("{method}.beancount"));
            std::fs::write(&ledger, g.beancount(method)).unwrap();
            let at = dates.iter().map(|d| beancount_at(&ledger, *d)).collect();
            Booked { method, at, sales: beancount_sales(&ledger) }
        })
        .collect();

    for (db, k) in databases() {
        k.ok(&["init"]);
        for a in &g.accounts {
            k.ok(&["account", "add", a, "--kind", "brokerage", "--currency", "EUR"]);
        }
        let report = k.json(&["import", trades.to_str().unwrap()]);
        assert_eq!(report["trades"].as_u64(), Some(g.trades.len() as u64), "{}: {report}", db.name);
        k.ok(&["prices", "import", prices.to_str().unwrap()]);
        for booked in &beancount {
            let method = booked.method.to_lowercase();
            for (date, theirs) in dates.iter().zip(&booked.at) {
                let ours = kassa_at(&k, &g, &method, *date);
                assert!(
                    !ours.0.is_empty() && !ours.1.is_empty(),
                    "{}: {method} at {date}: nothing to compare",
                    db.name
                );
                assert_eq!(ours.0, theirs.0, "{}: {method} open positions at {date}", db.name);
                assert_eq!(ours.1, theirs.1, "{}: {method} realized P&L at {date}", db.name);
            }
            let ours: Realized = k
                .json(&["portfolio", "sales", "--method", &method])
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (s["external_id"].as_str().unwrap().to_string(), dec(s, "realized_pnl")))
                .collect();
            assert_eq!(ours.len(), sales, "{}: {method}", db.name);
            assert_eq!(ours, booked.sales, "{}: {method} realized P&L of each sale", db.name);
        }
    }
}
