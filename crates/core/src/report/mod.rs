//! Report maths: pure functions from plain inputs ([`ReportFacts`]) to rows.
//!
//! The inputs are small aggregates — per (month, account, category) sums of
//! what each non-transfer transaction did to an own account, per
//! (month, counterparty) sums, and per (account, day) balance changes — so a
//! report over a decade of data reads thousands of rows, not millions of
//! postings. A store keeps those aggregates as projections; a [`Ledger`]
//! replayed from the log (time travel, property tests) gives the same facts
//! through [`ReportFacts::from_ledger`], and both go through [`flow_of`], the
//! one definition of what a transaction contributes.

pub mod export;
pub mod fx;
mod reports;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Serialize, Serializer};

use crate::account::Account;
use crate::category::Category;
use crate::error::ParseError;
use crate::ids::{AccountId, CategoryId};
use crate::ledger::Ledger;
use crate::money::Money;
use crate::transaction::Transaction;

pub use reports::*;

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    pub year: i16,
    pub month: i8,
}

impl Month {
    pub fn of(d: Date) -> Month {
        Month { year: d.year(), month: d.month() }
    }

    pub fn first_day(&self) -> Date {
        jiff::civil::date(self.year, self.month, 1)
    }

    pub fn last_day(&self) -> Date {
        self.first_day().last_of_month()
    }

    pub fn next(&self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { month: self.month + 1, ..*self }
        }
    }

    pub fn prev(&self) -> Month {
        if self.month == 1 {
            Month { year: self.year - 1, month: 12 }
        } else {
            Month { month: self.month - 1, ..*self }
        }
    }

    /// The month if all of it is in kassa's date range (1900-01 to
    /// 2200-12), checked without making a date: a year past jiff's range
    /// would panic there.
    pub fn in_range(self) -> Result<Month, ParseError> {
        if (Month::of(crate::date::FIRST)..=Month::of(crate::date::LAST)).contains(&self) {
            Ok(self)
        } else {
            Err(ParseError::DateRange(self.to_string()))
        }
    }

    /// Months from `self` back `n` (`n` ≥ 0).
    pub fn minus(&self, n: u32) -> Month {
        let mut m = *self;
        for _ in 0..n {
            m = m.prev();
        }
        m
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Month, ParseError> {
        let bad = || ParseError::Date(s.to_string());
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        let (year, month): (i16, i8) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if y.len() != 4 || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What one transaction did to an own account, outside transfers: the
/// account side of an income, expense or uncategorised transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub month: Month,
    pub account: AccountId,
    /// `None`: uncategorised.
    pub category: Option<CategoryId>,
    pub counterparty: Option<String>,
    /// Signed as on the account: money in positive, expenses negative.
    pub amount: Money,
}

/// The flow of `tx`, or `None` for a transfer between own accounts (which
/// reports of income and expense leave out).
pub fn flow_of(tx: &Transaction) -> Option<Flow> {
    if tx.postings.is_transfer() {
        return None;
    }
    let (account, amount) = tx.postings.accounts().next()?;
    Some(Flow {
        month: Month::of(tx.date),
        account,
        category: tx.postings.category(),
        counterparty: tx.counterparty.clone(),
        amount,
    })
}

/// Sum of flows per (month, account, category).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowTotal {
    pub month: Month,
    pub account: AccountId,
    pub category: Option<CategoryId>,
    pub amount: Money,
}

/// Sum of flows per (month, counterparty, category): the category lets
/// reports leave out payments in transfer categories, as by category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterpartyTotal {
    pub month: Month,
    pub counterparty: String,
    pub category: Option<CategoryId>,
    pub amount: Money,
}

/// Net change of one account on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyDelta {
    pub account: AccountId,
    pub date: Date,
    pub amount: Money,
}

/// Which aggregates of [`ReportFacts`] a report reads; a store loads only
/// those (the chart always comes along).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    pub flows: bool,
    pub counterparties: bool,
    pub daily: bool,
}

impl Wanted {
    pub const ALL: Wanted = Wanted { flows: true, counterparties: true, daily: true };
    /// Income / expense reports: monthly, yearly, history, cash flow, top by category, trends.
    pub const FLOWS: Wanted = Wanted { flows: true, counterparties: false, daily: false };
    /// Balances and net worth.
    pub const DAILY: Wanted = Wanted { flows: false, counterparties: false, daily: true };
    pub const COUNTERPARTIES: Wanted = Wanted { flows: false, counterparties: true, daily: false };
}

/// Everything the reports read: the chart and the three aggregates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFacts {
    pub accounts: Vec<Account>,
    pub categories: Vec<Category>,
    pub flows: Vec<FlowTotal>,
    pub counterparties: Vec<CounterpartyTotal>,
    pub daily: Vec<DailyDelta>,
}

impl ReportFacts {
    /// The facts of a ledger that holds every transaction (one replayed from
    /// the log), counting transactions dated on or before `as_of`.
    pub fn from_ledger(ledger: &Ledger, as_of: Option<Date>) -> ReportFacts {
        let mut flows: BTreeMap<(Month, AccountId, Option<CategoryId>), Money> = BTreeMap::new();
        let mut parties: BTreeMap<(Month, String, Option<CategoryId>, crate::currency::Currency), Money> =
            BTreeMap::new();
        let mut daily: BTreeMap<(AccountId, Date), Money> = BTreeMap::new();
        for t in ledger.transactions().filter(|t| as_of.is_none_or(|d| t.date <= d)) {
            for (acc, m) in t.postings.accounts() {
                daily.entry((acc, t.date)).or_insert(Money::zero(m.currency)).amount += m.amount;
            }
            if let Some(f) = flow_of(t) {
                let cur = f.amount.currency;
                flows.entry((f.month, f.account, f.category)).or_insert(Money::zero(cur)).amount += f.amount.amount;
                if let Some(cp) = f.counterparty {
                    parties.entry((f.month, cp, f.category, cur)).or_insert(Money::zero(cur)).amount += f.amount.amount;
                }
            }
        }
        ReportFacts {
            accounts: ledger.accounts().cloned().collect(),
            categories: ledger.categories().cloned().collect(),
            flows: flows
                .into_iter()
                .map(|((month, account, category), amount)| FlowTotal { month, account, category, amount })
                .collect(),
            counterparties: parties
                .into_iter()
                .map(|((month, counterparty, category, _), amount)| CounterpartyTotal {
                    month,
                    counterparty,
                    category,
                    amount,
                })
                .collect(),
            daily: daily.into_iter().map(|((account, date), amount)| DailyDelta { account, date, amount }).collect(),
        }
        .normalized()
    }

    /// Canonical form: rows merged per key, zero sums dropped, everything
    /// sorted. Two sources of the same book give equal normalised facts.
    pub fn normalized(mut self) -> ReportFacts {
        self.accounts.sort_by_key(|a| a.id);
        self.categories.sort_by_key(|c| c.id);
        self.flows = merge(self.flows, |a, b| {
            (a.month, a.account, a.category, a.amount.currency).cmp(&(
                b.month,
                b.account,
                b.category,
                b.amount.currency,
            ))
        });
        self.counterparties = merge(self.counterparties, |a, b| {
            (a.month, &a.counterparty, a.category, a.amount.currency).cmp(&(
                b.month,
                &b.counterparty,
                b.category,
                b.amount.currency,
            ))
        });
        self.daily = merge(self.daily, |a, b| {
            (a.account, a.date, a.amount.currency).cmp(&(b.account, b.date, b.amount.currency))
        });
        self
    }

    pub fn account(&self, id: AccountId) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// The last day with any change, for reports that need an end.
    pub fn last_date(&self) -> Option<Date> {
        self.daily.iter().map(|d| d.date).max()
    }

    pub fn first_date(&self) -> Option<Date> {
        self.daily.iter().map(|d| d.date).min()
    }
}

/// Rows that have an amount: sorted by `cmp`, rows with equal keys summed,
/// zero sums dropped. Sorting in place and merging neighbours keeps this
/// cheap on the tens of thousands of rows a decade of aggregates holds.
fn merge<T: HasAmount>(mut rows: Vec<T>, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) -> Vec<T> {
    rows.sort_by(&cmp);
    let mut out: Vec<T> = Vec::with_capacity(rows.len());
    for r in rows {
        match out.last_mut() {
            Some(last) if cmp(last, &r).is_eq() => last.amount_mut().amount += r.amount().amount,
            _ => out.push(r),
        }
    }
    out.retain(|r| !r.amount().is_zero());
    out
}

trait HasAmount {
    fn amount(&self) -> &Money;
    fn amount_mut(&mut self) -> &mut Money;
}

macro_rules! has_amount {
    ($($t:ty),*) => {$(
        impl HasAmount for $t {
            fn amount(&self) -> &Money {
                &self.amount
            }
            fn amount_mut(&mut self) -> &mut Money {
                &mut self.amount
            }
        }
    )*};
}

has_amount!(FlowTotal, CounterpartyTotal, DailyDelta);
