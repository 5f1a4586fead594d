//! Plain data the store hands in and out.

use jiff::civil::Date;
use kassa_core::{Currency, Event};
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An event on its way into the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub event: Event,
    pub actor: String,
    /// The business date; defaults to the event's own date, else today.
    pub occurred_at: Date,
}

/// Which transactions `tx list` shows. Names are matched case-insensitively;
/// a category matches its children too (`Transport` finds `Transport:Fuel`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxFilter {
    /// One transaction (its rows on every account it touches).
    pub id: Option<kassa_core::TxId>,
    pub account: Option<kassa_core::AccountId>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub category: Option<String>,
    pub search: Option<String>,
    /// The newest `limit` rows (still printed oldest first).
    pub limit: Option<usize>,
}

/// One line of an account register: a transaction as seen from one account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TxRow {
    pub id: String,
    pub date: Date,
    pub account: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: Currency,
    pub description: String,
    pub category: Option<String>,
    /// manual | import | rule | model; null when there is no category.
    pub category_source: Option<String>,
    pub counterparty: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub status: String,
    pub external_id: Option<String>,
    /// The other account of a transfer, when this row is one leg of it.
    pub transfer_account: Option<String>,
    /// The model's open guess, when it was not sure enough to apply it.
    pub suggestion: Option<Suggestion>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub category: String,
    /// 0..=1, from the stored thousandths.
    pub confidence: f64,
}

/// A trained categoriser as stored for a book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredModel {
    pub trained_at: jiff::Timestamp,
    pub examples: i64,
    /// Auto-apply threshold, thousandths.
    pub threshold_permille: i64,
    pub json: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceRow {
    pub account: String,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RebuildStats {
    pub events: u64,
    pub transactions: u64,
}

impl RebuildStats {
    /// Counts one page of the replayed log.
    pub(crate) fn count(&mut self, page: &[kassa_core::RecordedEvent]) {
        self.events += page.len() as u64;
        self.transactions += page.iter().filter(|e| matches!(e.event, Event::TransactionRecorded(_))).count() as u64;
    }
}
