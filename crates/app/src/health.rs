//! What the operations endpoints ask of the application (issue 19):
//! whether the database answers with every migration applied, and how far
//! the event log has come. Neither needs a caller: they serve `/readyz` and
//! `/metrics`, which a supervisor or a scraper reads.

use crate::App;

/// Why the server cannot take requests yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// The database did not answer (the store's error, password masked by it).
    Database(String),
    /// The schema is behind this binary: these migrations are not applied.
    Migrations(Vec<String>),
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReady::Database(e) => write!(f, "the database is unreachable: {e}"),
            NotReady::Migrations(m) => write!(f, "{} migrations are not applied: {}", m.len(), m.join(", ")),
        }
    }
}

impl App {
    /// One round trip: the migration ledger read answers both questions.
    pub fn readiness(&self) -> Result<(), NotReady> {
        match self.store.pending_migrations() {
            Ok(pending) if pending.is_empty() => Ok(()),
            Ok(pending) => Err(NotReady::Migrations(pending)),
            Err(e) => Err(NotReady::Database(e.to_string())),
        }
    }

    /// The position of the newest event in the log; 0 when it is empty.
    pub fn log_position(&self) -> crate::AppResult<i64> {
        Ok(self.store.tail(1)?.last().map_or(0, |e| e.position))
    }
}
