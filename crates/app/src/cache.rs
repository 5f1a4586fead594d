//! Who a token belongs to and what its holder may do in a book, remembered
//! for a moment. Every API request starts with both questions, and asking the
//! store each time (token, book, organisations, grants: four queries) cost
//! more than the register page itself (docs/BENCHMARKS.md).
//!
//! Every access write made through this process — logout, revocation,
//! disabling a user, a password reset, book grants, organisation membership,
//! renaming or closing a book — empties the cache once it has committed, so
//! it takes effect at once. A write made by another process on the same
//! database (a second server on one PostgreSQL, `kassa user disable` from a
//! shell) is seen within `Config::access_cache_ttl` (ARCHITECTURE.md).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use kassa_core::{BookId, UserId};

use super::books::BookAccess;
use super::{Actor, AppResult, Clock};

/// More entries than this and the stale ones go (all of them, if none is
/// stale): memory stays bounded whatever the callers send.
const MAX_ENTRIES: usize = 10_000;

type Timed<K, V> = HashMap<K, (V, Instant)>;

#[derive(Debug, Default)]
struct Entries {
    /// Bumped by every invalidation. A lookup that began before a write may
    /// have read the state before it, so it stores nothing if this moved.
    generation: u64,
    /// SHA-256 of the secret → the caller and when the token expires.
    tokens: Timed<[u8; 32], (Actor, Timestamp)>,
    books: Timed<(UserId, BookId), BookAccess>,
}

#[derive(Debug)]
pub(crate) struct AccessCache {
    ttl: Duration,
    clock: Arc<dyn Clock>,
    entries: Mutex<Entries>,
}

impl AccessCache {
    pub(crate) fn new(ttl: Duration, clock: Arc<dyn Clock>) -> AccessCache {
        AccessCache { ttl, clock, entries: Mutex::new(Entries::default()) }
    }

    pub(crate) fn token(
        &self,
        hash: [u8; 32],
        load: impl FnOnce() -> AppResult<(Actor, Timestamp)>,
    ) -> AppResult<(Actor, Timestamp)> {
        self.through(|e| &mut e.tokens, hash, load)
    }

    /// The remembered holder of a token, if fresh, without loading anything.
    pub(crate) fn remembered_token(&self, hash: [u8; 32]) -> Option<(Actor, Timestamp)> {
        self.fresh(|e| &mut e.tokens, &hash, self.clock.instant())
    }

    pub(crate) fn access(
        &self,
        user: UserId,
        book: BookId,
        load: impl FnOnce() -> AppResult<BookAccess>,
    ) -> AppResult<BookAccess> {
        self.through(|e| &mut e.books, (user, book), load)
    }

    /// Forgets everything. Called after an access write has committed.
    pub(crate) fn invalidate(&self) {
        let mut e = self.lock();
        e.generation += 1;
        e.tokens.clear();
        e.books.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The remembered value if it is younger than the TTL; otherwise `load`'s,
    /// remembered unless an invalidation happened while it ran. Failures are
    /// not remembered.
    fn through<K: Hash + Eq, V: Clone>(
        &self,
        pick: impl Fn(&mut Entries) -> &mut Timed<K, V>,
        key: K,
        load: impl FnOnce() -> AppResult<V>,
    ) -> AppResult<V> {
        if self.ttl.is_zero() {
            return load();
        }
        let started = self.clock.instant();
        if let Some(v) = self.fresh(&pick, &key, started) {
            return Ok(v);
        }
        let generation = self.lock().generation;
        let v = load()?;
        let mut e = self.lock();
        if e.generation == generation {
            let ttl = self.ttl;
            let map = pick(&mut e);
            if map.len() >= MAX_ENTRIES {
                map.retain(|_, (_, at)| started.duration_since(*at) < ttl);
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
            }
            // Aged from before the read: the entry is never older than it says.
            map.insert(key, (v.clone(), started));
        }
        Ok(v)
    }

    fn fresh<K: Hash + Eq, V: Clone>(
        &self,
        pick: impl Fn(&mut Entries) -> &mut Timed<K, V>,
        key: &K,
        now: Instant,
    ) -> Option<V> {
        let mut e = self.lock();
        let (v, at) = pick(&mut e).get(key)?;
        (now.duration_since(*at) < self.ttl).then(|| v.clone())
    }
}
