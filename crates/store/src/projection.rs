//! Backend-neutral pieces of the projections: which rows a transaction
//! becomes, and balance changes summed per account and day so a batch of
//! thousands of transactions touches each (account, day) row once.

use std::collections::BTreeMap;

use jiff::civil::Date;
use kassa_core::{AccountId, BookId, Leg, Money, Transaction};

/// The book a stream belongs to, for `book-<uuid>` streams.
pub(crate) fn book_of(stream: &str) -> Option<BookId> {
    stream.strip_prefix("book-")?.parse().ok()
}

/// The register rows of one transaction, by primary key: the register is
/// keyed by account first, so `tx_id = ?` alone would scan all of it. The
/// same SQL on both backends; `alias` qualifies the register's columns
/// (`"r."`, or `""`) and `param` is the placeholder (`?2`, `$1`).
pub(crate) fn register_rows_of_tx(alias: &str, param: &str) -> String {
    format!(
        "({alias}account_id, {alias}date, {alias}tx_id, {alias}seq) IN
           (SELECT account_id, date, tx_id, seq FROM postings WHERE tx_id = {param} AND account_id IS NOT NULL)"
    )
}

pub(crate) fn leg_name(leg: &Leg) -> &'static str {
    match leg {
        Leg::Account(_) => "account",
        Leg::Category(_) => "category",
        Leg::Uncategorized => "uncategorized",
        Leg::Conversion => "conversion",
    }
}

/// Net change per (account, day), and per account in total.
#[derive(Debug, Default)]
pub(crate) struct BalanceDeltas {
    pub daily: BTreeMap<(AccountId, Date), Money>,
    pub totals: BTreeMap<AccountId, Money>,
}

impl BalanceDeltas {
    /// Adds the account postings of `tx`, negated when `sign` is -1 (a deletion).
    pub fn add(&mut self, tx: &Transaction, sign: i64) {
        for (acc, m) in tx.postings.accounts() {
            let m = if sign < 0 { m.negated() } else { m };
            add_to(self.daily.entry((acc, tx.date)).or_insert(Money::zero(m.currency)), m);
            add_to(self.totals.entry(acc).or_insert(Money::zero(m.currency)), m);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.daily.is_empty()
    }
}

fn add_to(acc: &mut Money, m: Money) {
    acc.amount += m.amount;
}
