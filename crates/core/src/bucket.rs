//! Buckets (issue 17, seed 004): named pots that take a percentage of every
//! income they are fed by, pure.
//!
//! A bucket's definition is a list of [`BucketSet`]s, each in effect from
//! its date on: an income dated `d` is shared by the setting of each bucket
//! whose date is the latest on or before `d`, so a change of percentage
//! applies from its date and the incomes before it keep their old shares.
//! A setting names the income categories (a parent covers its children)
//! and the accounts that feed the bucket; one naming neither is fed by
//! every income.
//!
//! Allocations are not stored: they are a function of the transactions as
//! they stand and the definitions ([`Buckets::list`]). Recategorising or
//! deleting an income therefore takes its allocation back by construction,
//! and replaying the log gives the same figures. Each fed bucket gets
//! `round_half_even(amount × percent / 100)` in the income's minor units;
//! [`UNALLOCATED`] takes the rest, so an income's parts add up to it
//! exactly.
//!
//! A bucket's balance is `allocated − spent + moved_in − moved_out`:
//! `spent` is what the transactions assigned to it ([`BucketAssigned`]) take
//! out (their category side, so a refund gives back), moves are
//! [`BucketMoved`]. All four are per currency, and as of a date when asked.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::category::Section;
use crate::ids::{AccountId, CategoryId, TxId};
use crate::ledger::Ledger;
use crate::money::Money;
use crate::transaction::{Leg, Transaction};
use crate::{Currency, Event};

/// The pot that takes what no bucket's share of an income does.
pub const UNALLOCATED: &str = "Unallocated";

// ---------------------------------------------------------------------------
// Event payloads.

/// From `from` on, the bucket `name` takes `percent` of the incomes in
/// `income_categories` or on `accounts` (of every income when both are empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSet {
    pub name: String,
    pub percent: Decimal,
    pub income_categories: Vec<CategoryId>,
    pub accounts: Vec<AccountId>,
    pub from: Date,
}

/// A neutral move of `amount` between two buckets on `date`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketMoved {
    pub from: String,
    pub to: String,
    pub amount: Money,
    pub date: Date,
}

/// The transaction's spending is taken from `bucket` (from none with `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketAssigned {
    pub tx_id: TxId,
    pub bucket: Option<String>,
}

// ---------------------------------------------------------------------------
// Checks a decision needs.

/// Why a bucket edit is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BucketError {
    /// The percentages in effect on `date` would add up to more than 100.
    #[error("bucket percentages would add up to {total} % on {date} (over 100): {}", .buckets.join(", "))]
    OverHundred { date: Date, total: Decimal, buckets: Vec<String> },
    #[error("unknown bucket '{0}'")]
    Unknown(String),
}

/// One bucket's settings, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bucket {
    pub settings: Vec<BucketSet>,
}

impl Bucket {
    /// The setting in effect on `d`.
    fn on(&self, d: Date) -> Option<&BucketSet> {
        self.settings.iter().filter(|s| s.from <= d).max_by_key(|s| s.from)
    }
}

/// A book's buckets as its log defines them, with the moves and the
/// assignments of spending made so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Buckets {
    /// By name, as first written (names compare case-insensitively).
    pub buckets: BTreeMap<String, Bucket>,
    pub moves: Vec<BucketMoved>,
    /// The bucket each transaction's spending comes from.
    pub assigned: HashMap<TxId, String>,
}

/// One row of `kassa bucket list`: `spent`, `moved_in` and `moved_out` are
/// magnitudes; `percent` is the setting in effect on the as-of date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketRow {
    pub bucket: String,
    pub percent: Decimal,
    pub currency: Currency,
    pub allocated: Decimal,
    pub spent: Decimal,
    pub moved_in: Decimal,
    pub moved_out: Decimal,
    pub balance: Decimal,
}

impl Buckets {
    /// The buckets of a book's events, in stream order.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Buckets {
        let mut out = Buckets::default();
        for e in events {
            out.apply(e);
        }
        out
    }

    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::BucketSet(s) => {
                let key = self.name(&s.name).map_or_else(|| s.name.clone(), str::to_string);
                self.buckets.entry(key).or_default().settings.push(s.clone());
            }
            Event::BucketMoved(m) => self.moves.push(m.clone()),
            Event::BucketAssigned(a) => match &a.bucket {
                Some(b) => {
                    self.assigned.insert(a.tx_id, b.clone());
                }
                None => {
                    self.assigned.remove(&a.tx_id);
                }
            },
            _ => {}
        }
    }

    /// The bucket's name as first written, for any spelling of it;
    /// [`UNALLOCATED`] is always known.
    pub fn name(&self, name: &str) -> Option<&str> {
        if name.trim().eq_ignore_ascii_case(UNALLOCATED) {
            return Some(UNALLOCATED);
        }
        self.buckets.keys().find(|k| k.eq_ignore_ascii_case(name.trim())).map(String::as_str)
    }

    /// A bucket to move money to or from, or to spend from.
    pub fn known(&self, name: &str) -> Result<String, BucketError> {
        self.name(name).map(str::to_string).ok_or_else(|| BucketError::Unknown(name.trim().to_string()))
    }

    /// Whether `new` keeps every date's total at most 100 %: on its own date
    /// and on every later date another setting takes effect.
    pub fn check(&self, new: &BucketSet) -> Result<(), BucketError> {
        let mut with = self.clone();
        with.apply(&Event::BucketSet(new.clone()));
        let mut dates: Vec<Date> = with.buckets.values().flat_map(|b| b.settings.iter().map(|s| s.from)).collect();
        dates.retain(|d| *d >= new.from);
        dates.sort();
        dates.dedup();
        for date in dates {
            let on: Vec<(&String, Decimal)> =
                with.buckets.iter().filter_map(|(n, b)| b.on(date).map(|s| (n, s.percent))).collect();
            let total: Decimal = on.iter().map(|(_, p)| *p).sum();
            if total > Decimal::ONE_HUNDRED {
                let buckets = on.iter().filter(|(_, p)| !p.is_zero()).map(|(n, p)| format!("{n} {p} %")).collect();
                return Err(BucketError::OverHundred { date, total, buckets });
            }
        }
        Ok(())
    }

    /// Every bucket's figures as of `as_of` (everything without), from the
    /// transactions as they stand in `ledger`; [`UNALLOCATED`] last.
    /// Currencies with no activity get no row, except that a bucket (and,
    /// when there are buckets, Unallocated) without any shows in `main`.
    pub fn list(&self, ledger: &Ledger, as_of: Option<Date>, main: Currency) -> Vec<BucketRow> {
        let upto = |d: Date| as_of.is_none_or(|a| d <= a);
        let mut rows = Rows::new();
        for tx in ledger.transactions().filter(|t| upto(t.date)) {
            let accounts = accounts_of(tx);
            for (category, income) in incomes(ledger, tx) {
                let mut rest = income.amount;
                for (name, bucket) in &self.buckets {
                    let Some(s) = bucket.on(tx.date).filter(|s| feeds(ledger, s, category, &accounts)) else {
                        continue;
                    };
                    let share = share(income, s.percent);
                    rest -= share;
                    row(&mut rows, name, income.currency).allocated += share;
                }
                row(&mut rows, UNALLOCATED, income.currency).allocated += rest;
            }
            if let Some(b) = self.assigned.get(&tx.id) {
                for p in tx.postings.as_slice().iter().filter(|p| !matches!(p.leg, Leg::Account(_))) {
                    row(&mut rows, b, p.amount.currency).spent += p.amount.amount;
                }
            }
        }
        for m in self.moves.iter().filter(|m| upto(m.date)) {
            row(&mut rows, &m.from, m.amount.currency).moved_out += m.amount.amount;
            row(&mut rows, &m.to, m.amount.currency).moved_in += m.amount.amount;
        }
        let on = as_of.unwrap_or(Date::MAX);
        let mut total = Decimal::ZERO;
        for (name, bucket) in &self.buckets {
            let percent = bucket.on(on).map_or(Decimal::ZERO, |s| s.percent);
            total += percent;
            if !rows.keys().any(|(_, n, _)| n == name) {
                row(&mut rows, name, main);
            }
            for r in rows.values_mut().filter(|r| &r.bucket == name) {
                r.percent = percent;
            }
        }
        if !self.buckets.is_empty() && !rows.keys().any(|(unallocated, ..)| *unallocated) {
            row(&mut rows, UNALLOCATED, main);
        }
        for r in rows.values_mut() {
            if r.bucket == UNALLOCATED {
                r.percent = Decimal::ONE_HUNDRED - total;
            }
            r.balance = r.allocated - r.spent + r.moved_in - r.moved_out;
        }
        rows.into_values().collect()
    }
}

/// The rows of a listing: the buckets by name, [`UNALLOCATED`] last.
type Rows = BTreeMap<(bool, String, Currency), BucketRow>;

fn row<'r>(rows: &'r mut Rows, name: &str, currency: Currency) -> &'r mut BucketRow {
    rows.entry((name == UNALLOCATED, name.to_string(), currency)).or_insert_with(|| BucketRow {
        bucket: name.to_string(),
        percent: Decimal::ZERO,
        currency,
        allocated: Decimal::ZERO,
        spent: Decimal::ZERO,
        moved_in: Decimal::ZERO,
        moved_out: Decimal::ZERO,
        balance: Decimal::ZERO,
    })
}

/// `round_half_even(amount × percent / 100)` in `amount`'s minor units.
pub fn share(amount: Money, percent: Decimal) -> Decimal {
    (amount.amount * percent / Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(amount.currency.minor_units(), RoundingStrategy::MidpointNearestEven)
}

/// The own accounts a transaction posts to.
fn accounts_of(tx: &Transaction) -> Vec<AccountId> {
    tx.postings.as_slice().iter().filter_map(|p| if let Leg::Account(a) = p.leg { Some(a) } else { None }).collect()
}

/// A transaction's incomes: each income-category posting with its
/// category, as money in (positive for income, negative for a reversal).
fn incomes(ledger: &Ledger, tx: &Transaction) -> Vec<(CategoryId, Money)> {
    tx.postings
        .as_slice()
        .iter()
        .filter_map(|p| match p.leg {
            Leg::Category(c) if ledger.category(c).is_some_and(|c| c.section == Section::Income) => {
                Some((c, p.amount.negated()))
            }
            _ => None,
        })
        .collect()
}

/// Whether the setting takes a share of an income in `category` on `accounts`.
fn feeds(ledger: &Ledger, s: &BucketSet, category: CategoryId, accounts: &[AccountId]) -> bool {
    if s.income_categories.is_empty() && s.accounts.is_empty() {
        return true;
    }
    let in_category = ledger.category(category).is_some_and(|c| {
        s.income_categories
            .iter()
            .filter_map(|f| ledger.category(*f))
            .any(|f| c.id == f.id || c.name.as_str().starts_with(&format!("{}:", f.name.as_str())))
    });
    in_category || s.accounts.iter().any(|a| accounts.contains(a))
}
