//! The whole book (or a date range) as one row per posting, and as plain-text
//! journals for hledger and beancount. Pure: the caller writes the files.

use std::collections::BTreeSet;
use std::fmt::Write;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::account::Account;
use crate::category::Section;
use crate::currency::Currency;
use crate::ledger::Ledger;
use crate::transaction::{Leg, Transaction};

/// One posting with its transaction's fields: the row of the JSON, CSV and
/// Parquet exports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostingRow {
    pub tx_id: String,
    pub date: Date,
    pub description: String,
    pub counterparty: Option<String>,
    pub status: String,
    /// `account`, `category`, `uncategorized` or `conversion`.
    pub leg: String,
    /// The account's name for account legs, the category's for category legs.
    pub name: String,
    /// For categories: income, expense or transfer.
    pub section: Option<String>,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The amount in minor units (cents), for tools without decimals.
    pub amount_minor: i64,
    pub tags: String,
    pub external_id: Option<String>,
}

/// The transactions dated within `from..=to`, by date then id.
pub fn transactions_in(ledger: &Ledger, from: Option<Date>, to: Option<Date>) -> Vec<&Transaction> {
    let mut txs: Vec<&Transaction> =
        ledger.transactions().filter(|t| from.is_none_or(|d| t.date >= d) && to.is_none_or(|d| t.date <= d)).collect();
    txs.sort_by_key(|t| (t.date, t.id));
    txs
}

pub fn posting_rows(ledger: &Ledger, from: Option<Date>, to: Option<Date>) -> Vec<PostingRow> {
    let mut rows = vec![];
    for t in transactions_in(ledger, from, to) {
        for p in t.postings.as_slice() {
            let (leg, name, section) = match p.leg {
                Leg::Account(a) => ("account", ledger.account(a).map(|a| a.name.clone()).unwrap_or_default(), None),
                Leg::Category(c) => {
                    let cat = ledger.category(c);
                    (
                        "category",
                        cat.map(|c| c.name.to_string()).unwrap_or_default(),
                        cat.map(|c| c.section.to_string()),
                    )
                }
                Leg::Uncategorized => ("uncategorized", "Uncategorized".into(), None),
                Leg::Conversion => ("conversion", "Conversion".into(), None),
            };
            rows.push(PostingRow {
                tx_id: t.id.to_string(),
                date: t.date,
                description: t.description.clone(),
                counterparty: t.counterparty.clone(),
                status: t.status.to_string(),
                leg: leg.into(),
                name,
                section,
                currency: p.amount.currency,
                amount: p.amount.amount,
                // A posting is in range (`Postings::new`): below 10^18
                // minor units, so this is always exact and never the default.
                amount_minor: p.amount.minor_units().unwrap_or_default(),
                tags: t.tags.join(","),
                external_id: t.external_id.clone(),
            });
        }
    }
    rows
}

/// The hledger / ledger account name of a posting's leg.
fn journal_account(ledger: &Ledger, leg: &Leg) -> String {
    match leg {
        Leg::Account(a) => ledger.account(*a).map_or_else(|| format!("assets:{a}"), asset_name),
        Leg::Category(c) => match ledger.category(*c) {
            Some(cat) => match cat.section {
                Section::Income => format!("income:{}", cat.name),
                Section::Expense => format!("expenses:{}", cat.name),
                Section::Transfer => format!("equity:transfers:{}", cat.name),
            },
            None => format!("expenses:{c}"),
        },
        Leg::Uncategorized => "expenses:uncategorized".into(),
        Leg::Conversion => "equity:conversion".into(),
    }
}

fn asset_name(a: &Account) -> String {
    let root = if a.kind.is_liability() { "liabilities" } else { "assets" };
    format!("{root}:{}", a.name)
}

/// hledger needs two spaces between account and amount, and reads `;` as a
/// comment: names lose runs of spaces and semicolons.
fn journal_safe(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").replace(';', ",")
}

/// A journal hledger 1.25 (and ledger) read: one entry per transaction,
/// amounts with the commodity after them, e.g. `-3.40 EUR`.
pub fn hledger_journal(ledger: &Ledger, from: Option<Date>, to: Option<Date>) -> String {
    let mut out = String::from("; exported by kassa\n\n");
    let mut commodities: Vec<Currency> = ledger.accounts().map(|a| a.currency).collect();
    commodities.sort();
    commodities.dedup();
    for c in commodities {
        let _ = writeln!(out, "commodity 1,000.{} {}", "0".repeat(c.minor_units() as usize), c.code());
    }
    out.push('\n');
    for t in transactions_in(ledger, from, to) {
        let status = if t.status == crate::transaction::Status::Pending { "! " } else { "* " };
        let _ = writeln!(out, "{} {status}{}", t.date, journal_safe(&t.description));
        for p in t.postings.as_slice() {
            let _ = writeln!(
                out,
                "    {}  {} {}",
                journal_safe(&journal_account(ledger, &p.leg)),
                p.amount.amount,
                p.amount.currency.code()
            );
        }
        out.push('\n');
    }
    out
}

/// A beancount account component: starts with a capital letter or digit and
/// holds only letters, digits and dashes.
fn bean_component(s: &str) -> String {
    let mut out: String = s
        .trim()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_string();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let mut chars = out.chars();
    match chars.next() {
        None => "X".into(),
        Some(c) if c.is_ascii_alphabetic() => c.to_ascii_uppercase().to_string() + chars.as_str(),
        Some(c) if c.is_ascii_digit() => out,
        Some(_) => format!("X{out}"),
    }
}

fn bean_account(ledger: &Ledger, leg: &Leg) -> String {
    journal_account(ledger, leg).split(':').map(bean_component).collect::<Vec<_>>().join(":")
}

fn bean_string(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A beancount 3 file that `bean-check` accepts: an `open` for every account
/// on the day of the book's first entry, then one transaction per entry.
pub fn beancount(ledger: &Ledger, from: Option<Date>, to: Option<Date>) -> String {
    let txs = transactions_in(ledger, from, to);
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut first: Option<Date> = None;
    for t in &txs {
        names.extend(t.postings.as_slice().iter().map(|p| bean_account(ledger, &p.leg)));
        first = Some(first.map_or(t.date, |d| d.min(t.date)));
    }
    for a in ledger.accounts() {
        names.insert(bean_account(ledger, &Leg::Account(a.id)));
        first = Some(first.map_or(a.opened_on, |d| d.min(a.opened_on)));
    }
    // Every account opens on the book's first day, before any entry uses it.
    let mut out = String::from("; exported by kassa\n\n");
    if let Some(d) = first {
        for name in &names {
            let _ = writeln!(out, "{d} open {name}");
        }
    }
    out.push('\n');
    for t in txs {
        let flag = if t.status == crate::transaction::Status::Pending { "!" } else { "*" };
        let payee = t.counterparty.as_deref().map(|c| format!("\"{}\" ", bean_string(c))).unwrap_or_default();
        let _ = writeln!(out, "{} {flag} {payee}\"{}\"", t.date, bean_string(&t.description));
        for p in t.postings.as_slice() {
            let _ =
                writeln!(out, "  {}  {} {}", bean_account(ledger, &p.leg), p.amount.amount, p.amount.currency.code());
        }
        out.push('\n');
    }
    out
}
