//! State that several server processes on one database must share (issue
//! 13): login attempt counters, idempotency claims, the access epoch and the
//! web import stash. The row shapes and the write plumbing are here; each
//! backend's `state.rs` holds its SQL (migration 0008).
//!
//! None of it is a projection: `rebuild` leaves these tables alone, and
//! every time in them comes from the caller (the application's clock), never
//! from the database's, so a test that fixes "now" fixes them too.

use jiff::Timestamp;
use kassa_core::{BookId, Command, RecordedEvent, UserId};

use crate::access::{Decide, StreamUow};
use crate::error::{Result, StoreError};
use crate::import::ImportFeed;
use crate::unit::{self, ImportUnit};

/// A login limiter key's current window: when it began and how many
/// attempts it has counted (attempts over the limit are counted too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    pub window_start: Timestamp,
    pub count: u32,
}

impl Attempts {
    /// From the stored microseconds and count.
    pub(crate) fn from_row(window_start: i64, count: i64) -> Result<Attempts> {
        Ok(Attempts { window_start: from_micros(window_start)?, count: u32::try_from(count).unwrap_or(u32::MAX) })
    }
}

/// An `Idempotency-Key` taken by a request: inserted in the same database
/// transaction as the request's first write, so the write and the claim
/// commit together or not at all. A second request with the key waits on
/// the key's unique index until the first commits, then finds it claimed
/// ([`StoreError::Claimed`]) and writes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub scope: String,
    pub key: String,
    /// What identifies the request (method, path, body).
    pub fingerprint: String,
}

/// How long a key's reply is kept: a client retries within minutes, and
/// a day is what payment APIs promise. Older keys are pruned by later
/// claims and can be used again.
pub const IDEMPOTENCY_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// The status of a claim whose reply is not stored yet: only ever seen
/// inside the claim's own transaction.
pub(crate) const PENDING: u16 = 0;

/// A claimed key whose write is done but not committed: a store on the
/// claim's own connection, inside its transaction, for the rest of the
/// request. [`OpenClaim::finish`] stores the reply and commits all of it
/// together; dropped unfinished, all of it rolls back, the claim included.
/// So a key is never taken without its reply, even when the process dies
/// between the write and the reply.
pub trait OpenClaim: crate::Store {
    /// Stores the reply under the key and commits. Once only.
    fn finish(&self, status: u16, body: &str) -> Result<()>;
}

/// What [`crate::Store::claim_open`] returns.
#[allow(missing_debug_implementations)]
pub struct Opened {
    /// `None` when the write chose not to commit (an import that rolls
    /// back): then nothing was claimed.
    pub claim: Option<std::sync::Arc<dyn OpenClaim>>,
    pub written: Written,
}

/// A write the store runs together with a [`Claim`]: one of the write paths
/// of [`crate::Store`].
#[allow(missing_debug_implementations)]
pub enum Write<'a> {
    /// As [`crate::Store::execute`].
    Book { book: BookId, actor: &'a str, cmds: &'a [Command] },
    /// As [`crate::Store::execute_stream`].
    Stream { stream: &'a str, actor: &'a str, decide: Decide<'a> },
    /// As [`crate::Store::import`]; committed only if the feed says so.
    Import { book: BookId, actor: &'a str, feed: &'a mut dyn ImportFeed },
}

/// What a [`Write`] returned.
#[derive(Debug)]
pub enum Written {
    Events(Vec<RecordedEvent>),
    /// Events appended by an import.
    Imported(u64),
}

/// A backend's unit of work that can run every kind of [`Write`].
pub(crate) trait StateUow: StreamUow + ImportUnit {}
impl<T: StreamUow + ImportUnit> StateUow for T {}

impl Write<'_> {
    /// Runs the write in `uow`; the bool says whether to commit.
    pub(crate) fn run(&mut self, uow: &mut dyn StateUow) -> Result<(Written, bool)> {
        Ok(match self {
            Write::Book { book, actor, cmds } => (Written::Events(unit::execute(uow, *book, actor, cmds)?), true),
            Write::Stream { stream, actor, decide } => {
                (Written::Events(crate::access::execute_stream(uow, stream, actor, *decide)?), true)
            }
            Write::Import { book, actor, feed } => {
                let n = unit::import(uow, *book, actor, &mut **feed)?;
                (Written::Imported(n), feed.commit())
            }
        })
    }

    /// Runs `attempt` (one database transaction) like the plain write path
    /// would: retried on a conflict, except an import, whose feed cannot be
    /// read twice (and which holds the stream's lock, so it never conflicts).
    pub(crate) fn with_retry<T>(&mut self, mut attempt: impl FnMut(&mut Self) -> Result<T>) -> Result<T> {
        if matches!(self, Write::Import { .. }) { attempt(self) } else { unit::with_retry(|| attempt(self)) }
    }
}

/// `Err(Claimed)` unless the claim's insert added a row.
pub(crate) fn claimed(inserted: usize) -> Result<()> {
    if inserted == 0 { Err(StoreError::Claimed) } else { Ok(()) }
}

/// The state of a web import stash entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StashState {
    /// Uploaded and previewed; `detail` holds the options.
    Pending,
    /// A confirm took it; the files stay until it finishes.
    Running,
    /// Imported; `detail` holds the result and the files are gone.
    Done,
}

impl StashState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StashState::Pending => "pending",
            StashState::Running => "running",
            StashState::Done => "done",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<StashState> {
        match s {
            "pending" => Ok(StashState::Pending),
            "running" => Ok(StashState::Running),
            "done" => Ok(StashState::Done),
            _ => Err(StoreError::Corrupt(format!("stash state '{s}'"))),
        }
    }
}

/// Uploaded files waiting between the web import's preview and its confirm,
/// bound to their uploader and book. The files and `detail` are opaque here:
/// the web layer encodes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StashEntry {
    pub id: uuid::Uuid,
    pub user: UserId,
    pub book: BookId,
    pub created_at: Timestamp,
    pub state: StashState,
    pub files: Vec<u8>,
    pub detail: String,
}

/// A conditional change of one stash entry's state (`Store::stash_move`):
/// only the user's entry, only if created after `live_after`, only from `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StashMove {
    pub id: uuid::Uuid,
    pub user: UserId,
    pub live_after: Timestamp,
    pub from: StashState,
    pub to: StashState,
}

/// The bounds a stash insert keeps: entries created before `live_after`
/// are expired (and pruned), a user keeps at most `per_user` (their oldest
/// goes) holding at most `per_user_bytes`, and all pending files together
/// take at most `max_bytes` (a ceiling for the database's disk, set well
/// above `per_user_bytes`, so that one user's previews do not block
/// another's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StashBounds {
    pub live_after: Timestamp,
    pub per_user: usize,
    pub per_user_bytes: usize,
    pub max_bytes: usize,
}

/// What [`crate::Store::stash_put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StashPut {
    Stored,
    /// The user's own pending previews hold too much: they can confirm or
    /// cancel one.
    UserFull,
    /// All pending previews together are at the ceiling.
    Full,
}

impl StashBounds {
    /// Whether `new` more bytes fit, with `held` pending in all and
    /// `held_by_user` of them the uploader's.
    pub(crate) fn room(&self, held: i64, held_by_user: i64, new: usize) -> StashPut {
        let after = |held: i64| usize::try_from(held).unwrap_or(usize::MAX).saturating_add(new);
        if after(held_by_user) > self.per_user_bytes {
            StashPut::UserFull
        } else if after(held) > self.max_bytes {
            StashPut::Full
        } else {
            StashPut::Stored
        }
    }
}

/// A timestamp as the state tables keep it: microseconds since the epoch,
/// the same integer on both backends.
pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn from_micros(us: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(e.to_string()))
}
