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
//! shell) bumps the store's access epoch in its own transaction; the cache
//! reads the epoch at most once per `Config::access_epoch_interval` (one
//! single-row read) and forgets everything when it moved, so such a write is
//! seen within that interval — and within `access_cache_ttl` in any case.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use kassa_core::{BookId, UserId};
use kassa_store::Store;

use super::books::BookAccess;
use super::{Actor, AppResult, Clock, Config};

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
    /// The store's access epoch when last read, and when that was.
    epoch: Option<(i64, Instant)>,
}

pub(crate) struct AccessCache {
    ttl: Duration,
    epoch_interval: Duration,
    clock: Arc<dyn Clock>,
    store: Arc<dyn Store>,
    entries: Mutex<Entries>,
}

impl std::fmt::Debug for AccessCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessCache").field("ttl", &self.ttl).field("epoch_interval", &self.epoch_interval).finish()
    }
}

impl AccessCache {
    pub(crate) fn new(config: &Config, clock: Arc<dyn Clock>, store: Arc<dyn Store>) -> AccessCache {
        AccessCache {
            ttl: config.access_cache_ttl,
            epoch_interval: config.access_epoch_interval,
            clock,
            store,
            entries: Mutex::new(Entries::default()),
        }
    }

    pub(crate) fn token(
        &self,
        hash: [u8; 32],
        load: impl FnOnce() -> AppResult<(Actor, Timestamp)>,
    ) -> AppResult<(Actor, Timestamp)> {
        self.through(|e| &mut e.tokens, hash, load)
    }

    /// The remembered holder of a token, if fresh, without loading anything;
    /// `None` also when the epoch is due a read, which `token` then makes.
    pub(crate) fn remembered_token(&self, hash: [u8; 32]) -> Option<(Actor, Timestamp)> {
        let now = self.clock.instant();
        if self.epoch_due(&self.lock(), now) {
            return None;
        }
        self.fresh(|e| &mut e.tokens, &hash, now)
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

    fn epoch_due(&self, e: &Entries, now: Instant) -> bool {
        e.epoch.is_none_or(|(_, at)| now.duration_since(at) >= self.epoch_interval)
    }

    /// Reads the store's access epoch if it is due, and forgets everything
    /// if another process's access write moved it. The read is marked done
    /// before it is made, so of many requests arriving at once one reads.
    fn follow_epoch(&self, now: Instant) -> AppResult<()> {
        let known = {
            let mut e = self.lock();
            if !self.epoch_due(&e, now) {
                return Ok(());
            }
            let known = e.epoch.map(|(n, _)| n);
            e.epoch = Some((known.unwrap_or(i64::MIN), now));
            known
        };
        let epoch = self.store.access_epoch()?;
        let mut e = self.lock();
        if known != Some(epoch) {
            e.generation += 1;
            e.tokens.clear();
            e.books.clear();
        }
        e.epoch = Some((epoch, now));
        Ok(())
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
        self.follow_epoch(started)?;
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
