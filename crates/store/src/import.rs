//! What an import asks of the database: the matcher's lookups, answered
//! inside the import's own transaction, the feed that [`crate::Store::import`]
//! pulls commands from chunk by chunk, and the rows of the import listings.
//! The import service itself (parsing, account resolution, pairing) is
//! `kassa_app::import`; persistence knows nothing of bank files.

use jiff::civil::Date;
use kassa_core::Command;
use kassa_core::import::{Candidate, Fingerprint, ImportCounts, Known, ReviewItem};
use kassa_core::{AccountId, BatchId, Ledger};
use serde::Serialize;

use crate::error::Result;

/// What the matcher asks the store, answered inside the import's transaction.
pub trait ImportLookup {
    /// Whether the account had import index lines / any postings before.
    fn history(&mut self, account: AccountId) -> Result<(bool, bool)>;
    /// Index lines of other batches with one of these fingerprints or bank ids.
    fn known(
        &mut self,
        account: AccountId,
        batch: BatchId,
        fingerprints: &[Fingerprint],
        external_ids: &[&str],
    ) -> Result<Vec<Known>>;
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
