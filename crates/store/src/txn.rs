//! Database transactions as both backends open them, and connections held
//! by an open claim.
//!
//! [`Tx::begin`] starts a real transaction on a connection that has none
//! open and a savepoint on one that has: the connection of an open
//! idempotency claim ([`crate::state::OpenClaim`]) stays inside one
//! transaction from the request's first write until its reply is stored,
//! and every store call of that request runs inside it. Transactions are
//! plain SQL (`BEGIN` / `SAVEPOINT`) rather than the drivers' own guards
//! because a claim's transaction outlives any one call, which a guard that
//! borrows the connection cannot.

use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard};

use crate::error::{Result, StoreError};
use crate::state::Claim;

/// What [`Tx`] needs of a connection.
pub(crate) trait RawConn {
    fn run(&mut self, sql: &str) -> Result<()>;
    /// Whether a transaction is open on the connection.
    fn in_transaction(&self) -> bool;
    /// Told when a transaction opens or ends, for a driver that does not know.
    fn set_in_transaction(&mut self, open: bool);
}

/// A transaction, or a savepoint in the one already open, rolled back when
/// dropped uncommitted.
pub(crate) struct Tx<'c, C: RawConn> {
    conn: &'c mut C,
    savepoint: bool,
    done: bool,
}

impl<'c, C: RawConn> Tx<'c, C> {
    /// `begin` is the backend's statement for a real transaction
    /// (`BEGIN IMMEDIATE`, `BEGIN ISOLATION LEVEL …`).
    pub(crate) fn begin(conn: &'c mut C, begin: &str) -> Result<Tx<'c, C>> {
        let savepoint = conn.in_transaction();
        conn.run(if savepoint { "SAVEPOINT kassa" } else { begin })?;
        conn.set_in_transaction(true);
        Ok(Tx { conn, savepoint, done: false })
    }

    pub(crate) fn commit(mut self) -> Result<()> {
        self.done = true;
        if self.savepoint {
            self.conn.run("RELEASE SAVEPOINT kassa")
        } else {
            let committed = self.conn.run("COMMIT");
            self.conn.set_in_transaction(false);
            committed
        }
    }

    /// Leaves the transaction open on the connection when `keep`, for a
    /// [`Pinned`] connection to go on in; rolls it back otherwise.
    pub(crate) fn keep_if(mut self, keep: bool) -> Result<bool> {
        if keep {
            self.done = true;
        } else {
            self.rollback()?;
        }
        Ok(keep)
    }

    /// Commits when `commit`, rolls back otherwise.
    pub(crate) fn finish(mut self, commit: bool) -> Result<()> {
        if commit { self.commit() } else { self.rollback() }
    }

    fn rollback(&mut self) -> Result<()> {
        self.done = true;
        if self.savepoint {
            self.conn.run("ROLLBACK TO SAVEPOINT kassa; RELEASE SAVEPOINT kassa")
        } else {
            let rolled_back = self.conn.run("ROLLBACK");
            self.conn.set_in_transaction(false);
            rolled_back
        }
    }
}

impl<C: RawConn> Drop for Tx<'_, C> {
    fn drop(&mut self) {
        if !self.done {
            // Best effort: a connection that cannot roll back is broken,
            // and the pool drops broken connections.
            let _ = self.rollback();
        }
    }
}

impl<C: RawConn> Deref for Tx<'_, C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.conn
    }
}

impl<C: RawConn> DerefMut for Tx<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn
    }
}

/// A connection for one store call: from the pool, or the one an open
/// claim holds (locked for the call).
pub(crate) enum Lease<'s, T> {
    Pooled(T),
    Pinned(MutexGuard<'s, T>),
}

impl<T> Deref for Lease<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Lease::Pooled(c) => c,
            Lease::Pinned(c) => c,
        }
    }
}

impl<T> DerefMut for Lease<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        match self {
            Lease::Pooled(c) => c,
            Lease::Pinned(c) => c,
        }
    }
}

/// The connection of an open claim: inside one transaction from the claim's
/// first write until [`Pinned::commit_with`] commits it; rolled back if it
/// is dropped before that (the request failed, was cancelled or its process
/// died — then the database rolls back by itself).
pub(crate) struct Pinned<T>
where
    T: DerefMut,
    T::Target: RawConn,
{
    conn: Mutex<T>,
    claim: Claim,
}

impl<T> Pinned<T>
where
    T: DerefMut,
    T::Target: RawConn,
{
    /// `conn` must be inside the transaction that inserted `claim`.
    pub(crate) fn new(conn: T, claim: Claim) -> Pinned<T> {
        Pinned { conn: Mutex::new(conn), claim }
    }

    pub(crate) fn lease(&self) -> Lease<'_, T> {
        Lease::Pinned(self.conn.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Runs `last` (the claim's reply) in the open transaction, then
    /// commits it. Once only.
    pub(crate) fn commit_with(&self, last: impl FnOnce(&mut T::Target, &Claim) -> Result<()>) -> Result<()> {
        let mut conn = self.lease();
        let conn = &mut **conn;
        if !conn.in_transaction() {
            return Err(StoreError::Corrupt("the claim's transaction has ended".into()));
        }
        last(conn, &self.claim)?;
        conn.run("COMMIT")?;
        conn.set_in_transaction(false);
        Ok(())
    }
}

impl<T> Drop for Pinned<T>
where
    T: DerefMut,
    T::Target: RawConn,
{
    fn drop(&mut self) {
        let conn = &mut **self.conn.get_mut().unwrap_or_else(|e| e.into_inner());
        if conn.in_transaction() {
            let _ = conn.run("ROLLBACK");
            conn.set_in_transaction(false);
        }
    }
}

impl<T> std::fmt::Debug for Pinned<T>
where
    T: DerefMut,
    T::Target: RawConn,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pinned")
    }
}
