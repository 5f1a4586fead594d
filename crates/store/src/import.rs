//! What an import asks of the database: the matcher's lookups, answered
//! inside the import's own transaction, the feed that [`crate::Store::import`]
//! pulls commands from chunk by chunk, and the rows of the import listings.
//! The import service itself (parsing, account resolution, pairing) is
//! `kassa_app::import`; persistence knows nothing of bank files.

use jiff::civil::Date;
use kassa_core::Command;
use kassa_core::import::{
    Candidate, Fingerprint, ImportCounts, ImportedTrade, Known, ReviewItem, ReviewKind, ReviewOutcome, ReviewResolved,
    TradeExtra,
};
use kassa_core::{AccountId, BatchId, Ledger, TxId};
use serde::Serialize;

use crate::error::Result;

/// What the matcher asks the store, answered inside the import's transaction.
pub trait ImportLookup {
    /// Whether the account had import index lines / any postings before.
    fn history(&mut self, account: AccountId) -> Result<(bool, bool)>;
    /// Index lines of other batches with one of these fingerprints or bank ids.
    fn known(&mut self, account: AccountId, batch: BatchId, fps: &[Fingerprint], ids: &[&str]) -> Result<Vec<Known>>;
    /// Hand-typed or pending transactions on the account between the dates.
    fn candidates(&mut self, account: AccountId, batch: BatchId, from: Date, to: Date) -> Result<Vec<Candidate>>;
}

/// The source of an import's commands, pulled chunk by chunk.
pub trait ImportFeed {
    /// The next commands, decided against `ledger` (the book as it stands,
    /// including earlier chunks); `None` when done.
    fn next_chunk(&mut self, ledger: &Ledger, lookup: &mut dyn ImportLookup) -> Result<Option<Vec<Command>>>;
    /// Asked once at the end: commit (true) or roll everything back.
    fn commit(&self) -> bool;
}

/// One line of `kassa import list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchRow {
    pub batch: String,
    pub file: String,
    pub format: String,
    pub recorded_at: String,
    pub undone: bool,
    #[serde(flatten)]
    pub counts: ImportCounts,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRow {
    pub batch_id: BatchId,
    pub item: ReviewItem,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileRow {
    pub name: String,
    pub toml: String,
}

/// What resolving a review item does to the import index, once its item is
/// removed: the backends execute it with the texts in `crate::sql`.
pub(crate) enum IndexChange<'a> {
    /// The reviewed rows became one transfer `to`: the index lines of the
    /// `legs` point at it and are live again.
    Relink { to: TxId, legs: &'a [TxId] },
    /// An index line for the reviewed row, pointing at `to`, unless a live
    /// line already has its fingerprint.
    Line { batch: BatchId, item: &'a ReviewItem, to: TxId, created: bool },
    /// A dismissed item leaves the index as it is.
    Nothing,
}

impl<'a> IndexChange<'a> {
    pub(crate) fn of(r: &'a ReviewResolved) -> Self {
        let (batch, item) = (r.batch_id, &r.item);
        match r.resolution {
            ReviewOutcome::Recorded { tx_id } if item.kind == ReviewKind::Transfer => {
                IndexChange::Relink { to: tx_id, legs: &item.matched }
            }
            ReviewOutcome::Recorded { tx_id } => IndexChange::Line { batch, item, to: tx_id, created: true },
            ReviewOutcome::Duplicate { of } => IndexChange::Line { batch, item, to: of, created: false },
            ReviewOutcome::Dismissed => IndexChange::Nothing,
        }
    }
}

/// A `trades` row as a backend read it; [`trade_of`] checks the rest.
pub(crate) struct TradeCols {
    pub account: uuid::Uuid,
    pub trade_time: String,
    pub date: Date,
    pub symbol: Option<String>,
    pub isin: Option<String>,
    pub side: String,
    pub quantity: rust_decimal::Decimal,
    pub price: rust_decimal::Decimal,
    pub fees: rust_decimal::Decimal,
    pub currency: String,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub amount: Option<rust_decimal::Decimal>,
    pub withholding_tax: Option<rust_decimal::Decimal>,
    pub ratio: Option<rust_decimal::Decimal>,
    pub cost_basis: Option<rust_decimal::Decimal>,
}

pub(crate) fn trade_of(c: TradeCols) -> Result<ImportedTrade> {
    let currency = kassa_core::Currency::parse(&c.currency)
        .map_err(|e| crate::error::StoreError::Corrupt(format!("trades.currency: {e}")))?;
    Ok(ImportedTrade {
        account_id: AccountId(c.account),
        trade_time: c.trade_time,
        date: c.date,
        symbol: c.symbol,
        isin: c.isin,
        side: c.side,
        quantity: c.quantity,
        price: c.price,
        fees: c.fees,
        currency,
        external_id: c.external_id,
        extra: TradeExtra {
            name: c.name,
            amount: c.amount,
            withholding_tax: c.withholding_tax,
            ratio: c.ratio,
            cost_basis: c.cost_basis,
        },
    })
}

/// The `seq` of the `i`th trade of the event at `position`.
pub(crate) fn trade_seq(position: i64, i: usize) -> i64 {
    position * 1_000_000 + i as i64
}
