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
    /// A user, token, organisation or book-role command was refused.
    #[error(transparent)]
    Access(#[from] kassa_core::access::AccessError),
    /// Another request holds the `Idempotency-Key` this write claims
    /// (`state::Claim`); nothing was written.
    #[error("another request holds this idempotency key")]
    Claimed,
}

impl StoreError {
    /// A UNIQUE constraint refused the write (an email or book name taken):
    /// the caller's input clashes with existing data, not a server fault.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            StoreError::Postgres(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }
}

impl From<kassa_core::event::DecodeError> for StoreError {
    fn from(e: kassa_core::event::DecodeError) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
