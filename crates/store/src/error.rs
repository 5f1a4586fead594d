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
    /// Printed with its password masked ([`redact_url`]): the URL comes
    /// from the user's configuration and the message ends up in logs.
    #[error("unsupported database URL '{}' (use sqlite:///path/to/file.db or postgres://user@host/db)", redact_url(.0))]
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
    /// What a write was decided on changed before it could be made
    /// (`access::UserExpect`); nothing was written: decide again.
    #[error("the write is stale: {0}")]
    Stale(&'static str),
    /// Another request holds the `Idempotency-Key` this write claims
    /// (`state::Claim`); nothing was written.
    #[error("another request holds this idempotency key")]
    Claimed,
    /// A backup archive that cannot be written, read or believed
    /// (`backup`): damaged, cut short, or not an archive at all.
    #[error("backup archive: {0}")]
    Archive(String),
    /// A restore's target already holds this many events; nothing was written.
    #[error("the target database is not empty: it holds {0} events (restore only into a new database)")]
    NotEmpty(i64),
}

impl StoreError {
    /// Stored data that does not read back as what was written.
    pub(crate) fn corrupt(e: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(e.to_string())
    }

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

    /// SQLite's file lock stayed taken past the busy timeout: another
    /// writer is at work, and the same write can succeed later.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// `url` with the password of its user info and any `password=` query
/// parameter replaced by `***` (`postgres://me:***@host/db`); anything else
/// (a SQLite path) as it is.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    let path = match path.split_once('?') {
        Some((before, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_string(),
                })
                .collect();
            format!("{before}?{}", params.join("&"))
        }
        None => path.to_string(),
    };
    format!("{scheme}://{authority}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_and_nothing_else() {
        for (url, shown) in [
            ("postgres://postgres:s3cr3t@host:5432/db", "postgres://postgres:***@host:5432/db"),
            ("postgresql://u:p@ss:w@h/db?sslmode=disable", "postgresql://u:***@h/db?sslmode=disable"),
            ("postgres://u@h/db?password=s3cr3t&sslmode=require", "postgres://u@h/db?password=***&sslmode=require"),
            ("postgres://postgres@127.0.0.1:5432/postgres", "postgres://postgres@127.0.0.1:5432/postgres"),
            ("sqlite:///home/me/kassa.db", "sqlite:///home/me/kassa.db"),
            ("sqlite:rel.db", "sqlite:rel.db"),
        ] {
            assert_eq!(redact_url(url), shown);
        }
    }

    #[test]
    fn a_bad_url_error_does_not_show_its_password() {
        let e = StoreError::BadUrl("mysql://root:s3cr3t@db/kassa".into());
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        assert!(e.to_string().contains("mysql://root:***@db/kassa"), "{e}");
    }
}
