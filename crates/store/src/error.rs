//! `StoreError`: what can go wrong below the domain.

use kassa_core::LedgerError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The ledger refused a command; nothing was written.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Another writer appended to the stream first.
    #[error("conflict on stream {stream}: expected version {expected}, found {actual}")]
    Conflict { stream: String, expected: i64, actual: i64 },
    #[error("{0} not found")]
    NotFound(String),
    #[error("unsupported database URL '{0}' (use sqlite:///path/to/file.db or postgres://user@host/db)")]
    BadUrl(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::Error),
}

impl From<kassa_core::event::DecodeError> for StoreError {
    fn from(e: kassa_core::event::DecodeError) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
