//! Compact, reviewable summaries of a parsed file for insta snapshots, and the
//! corpus snapshot test that uses them.

use std::collections::BTreeMap;

use kassa_import::{ParsedFile, Severity, StatementRow, TradeRow};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::{FORMAT_DIRS, corpus, files_in, parser_for};

#[derive(Serialize)]
pub struct Summary {
    format: String,
    encoding: String,
    rows: usize,
    pending: usize,
    /// Sum of row amounts per currency ("?" when the file names none).
    sums: BTreeMap<String, Decimal>,
    accounts: Vec<String>,
    first: Option<Row>,
    last: Option<Row>,
    trades: usize,
    first_trade: Option<Trade>,
    last_trade: Option<Trade>,
    balances: Vec<String>,
    errors: Vec<String>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct Row {
    line: usize,
    date: String,
    value_date: Option<String>,
    amount: Decimal,
    currency: Option<String>,
    description: String,
    external_id: Option<String>,
    counterparty: Option<String>,
    counterparty_account: Option<String>,
    category: Option<String>,
    section: Option<String>,
}

#[derive(Serialize)]
struct Trade {
    line: usize,
    trade_time: String,
    side: String,
    symbol: Option<String>,
    isin: Option<String>,
    quantity: Decimal,
    price: Decimal,
    fees: Decimal,
    currency: Option<String>,
    external_id: Option<String>,
}

fn row(r: &StatementRow) -> Row {
    Row {
        line: r.line,
        date: r.date.to_string(),
        value_date: r.value_date.map(|d| d.to_string()),
        amount: r.amount,
        currency: r.currency.map(|c| c.to_string()),
        description: r.description.clone(),
        external_id: r.external_id.clone(),
        counterparty: r.counterparty.clone(),
        counterparty_account: r.counterparty_account.clone(),
        category: r.category.clone(),
        section: r.section.clone(),
    }
}

fn trade(t: &TradeRow) -> Trade {
    Trade {
        line: t.line,
        trade_time: t.trade_time.clone(),
        side: format!("{:?}", t.side),
        symbol: t.symbol.clone(),
        isin: t.isin.clone(),
        quantity: t.quantity,
        price: t.price,
        fees: t.fees,
        currency: t.currency.map(|c| c.to_string()),
        external_id: t.external_id.clone(),
    }
}

pub fn summarize(p: &ParsedFile) -> Summary {
    let mut sums = BTreeMap::new();
    for r in &p.rows {
        let key = r.currency.map_or("?".to_string(), |c| c.to_string());
        *sums.entry(key).or_insert(Decimal::ZERO) += r.amount;
    }
    let mut accounts: Vec<String> = p
        .rows
        .iter()
        .map(|r| &r.account)
        .chain(p.trades.iter().map(|t| &t.account))
        .chain(p.balances.iter().map(|b| &b.account))
        .map(|a| {
            format!(
                "{} | {} | {} | {}",
                a.number.as_deref().unwrap_or("-"),
                a.account_ref.as_deref().unwrap_or("-"),
                a.institution.as_deref().unwrap_or("-"),
                a.currency.map_or("-".to_string(), |c| c.to_string())
            )
        })
        .collect();
    accounts.sort();
    accounts.dedup();
    let diag = |sev: Severity| {
        p.diagnostics
            .iter()
            .filter(|d| d.severity == sev)
            .map(|d| format!("{}:{}: {}", d.line, d.field.as_deref().unwrap_or("-"), d.message))
            .collect::<Vec<_>>()
    };
    Summary {
        format: format!("{:?}", p.format),
        encoding: p.encoding.clone(),
        rows: p.rows.len(),
        pending: p.rows.iter().filter(|r| r.status == kassa_import::RowStatus::Pending).count(),
        sums,
        accounts,
        first: p.rows.first().map(row),
        last: p.rows.last().filter(|_| p.rows.len() > 1).map(row),
        trades: p.trades.len(),
        first_trade: p.trades.first().map(trade),
        last_trade: p.trades.last().filter(|_| p.trades.len() > 1).map(trade),
        balances: p
            .balances
            .iter()
            .map(|b| {
                format!("{} {} {} {}", b.kind, b.date, b.amount, b.currency.map_or("?".to_string(), |c| c.to_string()))
            })
            .collect(),
        errors: diag(Severity::Error),
        warnings: diag(Severity::Warning),
    }
}

/// Every corpus file of our formats, parsed and summarised.
#[test]
fn corpus_snapshots() {
    let Some(root) = corpus() else { return };
    let mut seen = 0;
    for dir in FORMAT_DIRS {
        let parse = parser_for(dir).expect("known format");
        for path in files_in(&root.join(dir)) {
            let bytes = std::fs::read(&path).expect("corpus file readable");
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
            let summary = summarize(&parse(&bytes));
            insta::assert_yaml_snapshot!(format!("corpus__{dir}__{name}"), summary);
            seen += 1;
        }
    }
    assert!(seen >= 20, "expected the corpus's OFX/QFX/QIF/camt/MT940 files, saw {seen}");
}
