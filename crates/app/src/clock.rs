//! The application layer's only ways to read the time and draw randomness.
//! Use cases take a [`Clock`] instead of reading the system clock, so a test
//! can fix "now", and `clippy.toml` forbids the direct calls everywhere else
//! in core and app.

use std::fmt::Debug;
use std::time::Instant;

use jiff::Timestamp;
use jiff::civil::Date;

/// Where "now" comes from.
pub trait Clock: Send + Sync + Debug {
    /// The current instant, cut to microseconds: the precision PostgreSQL
    /// keeps, so a timestamp written reads back exactly.
    fn now(&self) -> Timestamp;
    /// Today in the server's time zone (a business date).
    fn today(&self) -> Date;
    /// A monotonic instant, for durations within this process (cache ages).
    fn instant(&self) -> Instant;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

// The one place app reads the system clock; every use case asks a `Clock`.
#[allow(clippy::disallowed_methods)]
impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let now = Timestamp::now();
        Timestamp::from_microsecond(now.as_microsecond()).unwrap_or(now)
    }

    fn today(&self) -> Date {
        jiff::Zoned::now().date()
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// Fills `bytes` from the operating system's random source: the one place
/// app draws randomness (tokens, invite codes, session secrets).
#[allow(clippy::disallowed_methods)]
pub fn random_bytes(bytes: &mut [u8]) -> Result<(), getrandom::Error> {
    getrandom::fill(bytes)
}

/// A new time-ordered id (UUIDv7: the time, then random bits): the one place
/// app mints ids. Ids need not be reproducible, only unique and ordered.
#[allow(clippy::disallowed_methods)]
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}
