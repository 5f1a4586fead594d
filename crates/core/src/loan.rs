//! Loans between people (issue 17, seed 004), pure: money lent to or
//! borrowed from a counterparty, and paid back, as neutral transactions.
//!
//! A loan's money is an ordinary transaction between the account and a
//! transfer-section category ([`LOANS`]), so it is neither income nor
//! expense in any report; [`LoanRecorded`] names the counterparty and what
//! the transaction was (give, take, repay). The open balances are a fold of
//! those events over the transactions as they stand ([`Loans::open`]), so
//! deleting a loan's transaction takes it out of the balance by
//! construction, and a rule that renames the transaction's counterparty
//! does not move it to another person.
//!
//! Signs: `open` is what the counterparty owes us — positive when they owe
//! us (we gave), negative when we owe them (we took), 0 when settled.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::Currency;
use crate::event::Event;
use crate::ids::{AccountId, TxId};
use crate::ledger::Ledger;
use crate::money::Money;
use crate::transaction::Leg;

/// The transfer-section category every loan transaction is booked on.
pub const LOANS: &str = "Loans";

/// What a loan transaction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LoanKind {
    /// We lend: money out, they owe us.
    Give,
    /// We borrow: money in, we owe them.
    Take,
    /// Paying back what is open, in whichever direction it is.
    Repay,
}

impl LoanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LoanKind::Give => "give",
            LoanKind::Take => "take",
            LoanKind::Repay => "repay",
        }
    }

    pub fn parse(s: &str) -> Option<LoanKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "give" => Some(LoanKind::Give),
            "take" => Some(LoanKind::Take),
            "repay" => Some(LoanKind::Repay),
            _ => None,
        }
    }
}

/// The transaction `tx_id` gives, takes or repays a loan with `counterparty`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanRecorded {
    pub tx_id: TxId,
    pub counterparty: String,
    pub kind: LoanKind,
}

/// One counterparty's open loan on one account, in the account's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenLoan {
    /// As first written.
    pub counterparty: String,
    pub account: AccountId,
    pub currency: Currency,
    /// Positive: they owe us; negative: we owe them; 0: settled.
    pub open: Decimal,
    /// The last loan transaction's date.
    pub last_date: Date,
}

/// The loan transactions of a book's log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loans {
    /// Transaction, counterparty and kind, in log order.
    recorded: Vec<(TxId, String, LoanKind)>,
}

/// A loan transaction's money on one of our accounts, as its postings
/// (or a projection of them) have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoanMove {
    pub account: AccountId,
    pub amount: Money,
    pub date: Date,
}

impl Loans {
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Loans {
        let mut out = Loans::default();
        for e in events {
            if let Event::LoanRecorded(l) = e {
                out.record(l);
            }
        }
        out
    }

    /// One more loan transaction, after those already known (log order).
    pub fn record(&mut self, l: &LoanRecorded) {
        self.recorded.push((l.tx_id, l.counterparty.clone(), l.kind));
    }

    /// [`Loans::open_with`] the transactions as `ledger` has them.
    pub fn open(&self, ledger: &Ledger, as_of: Option<Date>) -> Vec<OpenLoan> {
        let moves = |tx_id: TxId| -> Vec<LoanMove> {
            let Some(tx) = ledger.transaction(tx_id) else { return vec![] };
            tx.postings
                .as_slice()
                .iter()
                .filter_map(|p| match p.leg {
                    Leg::Account(account) => Some(LoanMove { account, amount: p.amount, date: tx.date }),
                    _ => None,
                })
                .collect()
        };
        let name = |a: AccountId| ledger.account(a).map(|a| a.name.clone()).unwrap_or_default();
        self.open_with(as_of, moves, name)
    }

    /// Every (counterparty, account) that ever had a loan, with what is
    /// open as of `as_of` (everything without), by counterparty (compared
    /// case-insensitively) then account name. `moves` gives a loan
    /// transaction's money on our accounts: none for a deleted one, which
    /// so counts nothing; a pair whose loans were all deleted has no row.
    pub fn open_with(
        &self,
        as_of: Option<Date>,
        moves: impl Fn(TxId) -> Vec<LoanMove>,
        account_name: impl Fn(AccountId) -> String,
    ) -> Vec<OpenLoan> {
        let mut rows: BTreeMap<(String, String, AccountId), OpenLoan> = BTreeMap::new();
        for (tx_id, counterparty, _) in &self.recorded {
            let name = self.spelling(counterparty);
            for m in moves(*tx_id).into_iter().filter(|m| as_of.is_none_or(|a| m.date <= a)) {
                let account = account_name(m.account).to_lowercase();
                let row = rows.entry((key(counterparty), account, m.account)).or_insert_with(|| OpenLoan {
                    counterparty: name.to_string(),
                    account: m.account,
                    currency: m.amount.currency,
                    open: Decimal::ZERO,
                    last_date: m.date,
                });
                // Money out of our account is money they owe us.
                row.open -= m.amount.amount;
                row.last_date = row.last_date.max(m.date);
            }
        }
        rows.into_values().collect()
    }

    /// The counterparty's name as first written, for any spelling of it.
    pub fn spelling<'a>(&'a self, counterparty: &'a str) -> &'a str {
        self.recorded.iter().map(|(_, c, _)| c.as_str()).find(|c| key(c) == key(counterparty)).unwrap_or(counterparty)
    }
}

/// What open loans add to net worth in one currency: `receivable` what
/// others owe us, `payable` what we owe them, both ≥ 0, per
/// (counterparty, account) as [`Loans::open_with`] nets them. Net worth is
/// accounts + securities + receivable − payable: a loan given lowered an
/// account, and the claim on it is still ours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoanTotals {
    pub receivable: Decimal,
    pub payable: Decimal,
}

impl LoanTotals {
    /// receivable − payable.
    pub fn net(&self) -> Decimal {
        self.receivable - self.payable
    }
}

/// Open loans summed per currency into receivables and payables.
pub fn open_totals(open: &[OpenLoan]) -> BTreeMap<Currency, LoanTotals> {
    let mut out: BTreeMap<Currency, LoanTotals> = BTreeMap::new();
    for l in open {
        let t = out.entry(l.currency).or_default();
        if l.open > Decimal::ZERO {
            t.receivable += l.open;
        } else {
            t.payable -= l.open;
        }
    }
    out
}

/// Counterparties are one person whatever the case and spacing.
fn key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}
