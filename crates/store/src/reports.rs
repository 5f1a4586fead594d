//! Backend-neutral side of the report projections: what a batch of events
//! adds to the monthly aggregates, summed per key so a batch touches each
//! row once, and the shape the backends hand their rows back in.

use std::collections::BTreeMap;

use jiff::civil::Date;
use kassa_core::report::{CounterpartyTotal, DailyDelta, FlowTotal, Month, ReportFacts, Wanted, flow_of};
use kassa_core::{AccountId, BookId, CategoryId, Currency, Ledger, Money, Transaction};
use rust_decimal::Decimal;
use uuid::Uuid;

/// Changes to `monthly_category_totals` and `monthly_counterparty_totals`.
#[derive(Debug, Default)]
pub(crate) struct FlowDeltas {
    /// (book, month, account, category or nil, currency) → change.
    pub flows: BTreeMap<(BookId, Month, AccountId, Uuid, Currency), Decimal>,
    /// (book, month, counterparty, category or nil, currency) → change.
    pub parties: BTreeMap<(BookId, Month, String, Uuid, Currency), Decimal>,
}

impl FlowDeltas {
    /// Adds what `tx` contributes, negated for `sign` < 0 (a deletion, or the
    /// old side of a recategorisation).
    pub fn add(&mut self, book: BookId, tx: &Transaction, sign: i64) -> crate::Result<()> {
        let Some(f) = flow_of(tx) else { return Ok(()) };
        let amount = if sign < 0 { -f.amount.amount } else { f.amount.amount };
        let cur = f.amount.currency;
        let cat = f.category.map_or(Uuid::nil(), |c| c.0);
        add_to(self.flows.entry((book, f.month, f.account, cat, cur)).or_default(), amount)?;
        if let Some(cp) = f.counterparty {
            add_to(self.parties.entry((book, f.month, cp, cat, cur)).or_default(), amount)?;
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty() && self.parties.is_empty()
    }
}

/// Adds one flow to a batch's change: checked like a balance's (see
/// `projection::add_to`), so folding never panics.
fn add_to(acc: &mut Decimal, amount: Decimal) -> crate::Result<()> {
    *acc = acc
        .checked_add(amount)
        .ok_or_else(|| crate::StoreError::Corrupt(format!("a batch's flows overflow adding {amount}")))?;
    Ok(())
}

/// A nil category id is "uncategorised".
pub(crate) fn category_of(id: Uuid) -> Option<CategoryId> {
    (!id.is_nil()).then_some(CategoryId(id))
}

pub(crate) fn month_of(s: &str) -> crate::Result<Month> {
    s.parse().map_err(|e: kassa_core::ParseError| crate::StoreError::Corrupt(e.to_string()))
}

/// Rows as read from a backend, before they become [`ReportFacts`].
#[derive(Debug, Default)]
pub(crate) struct FactRows {
    pub flows: Vec<FlowTotal>,
    pub counterparties: Vec<CounterpartyTotal>,
    pub daily: Vec<DailyDelta>,
}

impl FactRows {
    /// Adds the raw postings of the as-of month, which the monthly
    /// aggregates cannot cut mid-month, to the parts `want` names.
    pub fn add_partial(
        &mut self,
        want: Wanted,
        month: Month,
        account: AccountId,
        category: Uuid,
        party: Option<String>,
        m: Money,
    ) {
        if want.flows {
            self.flows.push(FlowTotal { month, account, category: category_of(category), amount: m });
        }
        if let Some(counterparty) = party.filter(|_| want.counterparties) {
            self.counterparties.push(CounterpartyTotal {
                month,
                counterparty,
                category: category_of(category),
                amount: m,
            });
        }
    }

    pub fn into_facts(self, ledger: &Ledger) -> ReportFacts {
        ReportFacts {
            accounts: ledger.accounts().cloned().collect(),
            categories: ledger.categories().cloned().collect(),
            flows: self.flows,
            counterparties: self.counterparties,
            daily: self.daily,
        }
        .normalized()
    }
}

/// Which months come whole from the aggregates and which dates of the as-of
/// month come from the postings: (months before, partial month, its first
/// day, the as-of day).
pub(crate) fn as_of_split(as_of: Option<Date>) -> Option<(Month, Date, Date)> {
    as_of.map(|d| (Month::of(d), Month::of(d).first_day(), d))
}
