//! SQLite's side of the shared process state (`crate::state`, migration
//! 0008). Every read-modify-write runs under the write lock (`BEGIN
//! IMMEDIATE`), which is what makes it atomic across processes here.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use kassa_core::UserId;
use rusqlite::{Connection, OptionalExtension, params};

use super::{IMMEDIATE, SqliteStore, Uow};
use crate::error::{Result, StoreError};
use crate::state::{
    Attempts, Backoff, Claim, IDEMPOTENCY_TTL, OpenClaim, Opened, PENDING, StashBounds, StashEntry, StashMove,
    StashPut, StashState, Turn, Write, claimed, from_micros, micros,
};
use crate::txn::{Pinned, Tx};

/// Takes a connection of its own (never the pinned one: a request claims
/// once) and leaves it inside the claim's transaction.
pub(super) fn claim_open(store: &SqliteStore, claim: &Claim, mut write: Write<'_>) -> Result<Opened> {
    write.with_retry(|write| {
        let mut conn = store.pool.get()?;
        let tx = Tx::begin(&mut *conn, IMMEDIATE)?;
        let now = Timestamp::now();
        let expired = now.checked_sub(IDEMPOTENCY_TTL).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        tx.prepare_cached("DELETE FROM idempotency_keys WHERE created_at < ?1")?.execute([expired.to_string()])?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO idempotency_keys (scope, key, fingerprint, status, body, created_at)
                 VALUES (?1, ?2, ?3, ?4, '', ?5) ON CONFLICT (scope, key) DO NOTHING",
            )?
            .execute(params![claim.scope, claim.key, claim.fingerprint, PENDING, now.to_string()])?;
        claimed(inserted)?;
        let (written, commit) = write.run(&mut Uow { tx: &tx })?;
        // Left open for the rest of the request, or rolled back, claim and all.
        let open = tx.keep_if(commit)?.then(|| {
            Arc::new(SqliteStore { pool: store.pool.clone(), pinned: Some(Pinned::new(conn, claim.clone())) })
                as Arc<dyn OpenClaim>
        });
        Ok(Opened { claim: open, written })
    })
}

pub(super) fn idempotent_reply(conn: &Connection, claim: &Claim, status: u16, body: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE idempotency_keys SET status = ?3, body = ?4 WHERE scope = ?1 AND key = ?2 AND status = ?5",
    )?
    .execute(params![claim.scope, claim.key, status, body, PENDING])?;
    Ok(())
}

pub(super) fn count_attempt(conn: &mut Connection, key: &str, now: Timestamp, window: Duration) -> Result<Attempts> {
    let expired = micros(now) - i64::try_from(window.as_micros()).unwrap_or(i64::MAX);
    let tx = Tx::begin(conn, IMMEDIATE)?;
    tx.prepare_cached("DELETE FROM login_limits WHERE window_start <= ?1")?.execute([expired])?;
    let (start, count) = tx
        .prepare_cached(
            "INSERT INTO login_limits (key, window_start, count) VALUES (?1, ?2, 1)
             ON CONFLICT (key) DO UPDATE SET count = count + 1
             RETURNING window_start, count",
        )?
        .query_row(params![key, micros(now)], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    tx.commit()?;
    Attempts::from_row(start, count)
}

pub(super) fn attempts_of(conn: &Connection, key: &str) -> Result<Option<Attempts>> {
    conn.prepare_cached("SELECT window_start, count FROM login_limits WHERE key = ?1")?
        .query_row([key], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .optional()?
        .map(|(start, count)| Attempts::from_row(start, count))
        .transpose()
}

pub(super) fn forget_attempts(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM login_limits WHERE key = ?1")?.execute([key])?;
    Ok(())
}

pub(super) fn take_turn(conn: &mut Connection, key: &str, now: Timestamp, backoff: &Backoff) -> Result<Turn> {
    let tx = Tx::begin(conn, IMMEDIATE)?;
    let row = tx
        .prepare_cached("SELECT window_start, count FROM login_limits WHERE key = ?1")?
        .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (turn, counted) = backoff.turn(row, now)?;
    if let Some((not_before, failures)) = counted {
        tx.prepare_cached(
            "INSERT INTO login_limits (key, window_start, count) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET window_start = excluded.window_start, count = excluded.count",
        )?
        .execute(params![key, not_before, failures])?;
        tx.commit()?;
    }
    Ok(turn)
}

pub(super) fn refund_attempt(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached("UPDATE login_limits SET count = count - 1 WHERE key = ?1 AND count > 0")?.execute([key])?;
    Ok(())
}

pub(super) fn access_epoch(conn: &Connection) -> Result<i64> {
    Ok(conn.prepare_cached("SELECT epoch FROM access_epoch WHERE id = 1")?.query_row([], |r| r.get(0))?)
}

pub(super) fn stash_put(conn: &mut Connection, e: &StashEntry, b: &StashBounds) -> Result<StashPut> {
    let tx = Tx::begin(conn, IMMEDIATE)?;
    tx.prepare_cached("DELETE FROM import_stash WHERE created_at <= ?1")?.execute([micros(b.live_after)])?;
    // Room for the new entry: the user's oldest beyond `per_user - 1` go.
    tx.prepare_cached(
        "DELETE FROM import_stash WHERE id IN
         (SELECT id FROM import_stash WHERE user_id = ?1 ORDER BY created_at DESC LIMIT -1 OFFSET ?2)",
    )?
    .execute(params![e.user.0, b.per_user.saturating_sub(1) as i64])?;
    let (held, by_user): (i64, i64) = tx
        .prepare_cached(
            "SELECT COALESCE(SUM(size), 0), COALESCE(SUM(CASE WHEN user_id = ?1 THEN size ELSE 0 END), 0)
               FROM import_stash WHERE state = 'pending'",
        )?
        .query_row([e.user.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let room = b.room(held, by_user, e.files.len());
    if room != StashPut::Stored {
        return Ok(room);
    }
    tx.prepare_cached(
        "INSERT INTO import_stash (id, user_id, book_id, created_at, state, size, files, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        e.id,
        e.user.0,
        e.book.0,
        micros(e.created_at),
        e.state.as_str(),
        e.files.len() as i64,
        e.files,
        e.detail
    ])?;
    tx.commit()?;
    Ok(StashPut::Stored)
}

pub(super) fn stash_get(
    conn: &Connection,
    id: uuid::Uuid,
    user: UserId,
    live_after: Timestamp,
) -> Result<Option<StashEntry>> {
    let row = conn
        .prepare_cached(
            "SELECT book_id, created_at, state, files, detail FROM import_stash
             WHERE id = ?1 AND user_id = ?2 AND created_at > ?3",
        )?
        .query_row(params![id, user.0, micros(live_after)], |r| {
            Ok((r.get::<_, uuid::Uuid>(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    row.map(|(book, at, state, files, detail)| {
        Ok(StashEntry {
            id,
            user,
            book: kassa_core::BookId(book),
            created_at: from_micros(at)?,
            state: StashState::parse(&state)?,
            files,
            detail,
        })
    })
    .transpose()
}

pub(super) fn stash_move(conn: &Connection, m: &StashMove, detail: &str) -> Result<bool> {
    let moved = conn
        .prepare_cached(
            "UPDATE import_stash SET state = ?5, detail = ?6,
                files = CASE WHEN ?5 = 'done' THEN x'' ELSE files END,
                size = CASE WHEN ?5 = 'done' THEN 0 ELSE size END
             WHERE id = ?1 AND user_id = ?2 AND created_at > ?3 AND state = ?4",
        )?
        .execute(params![m.id, m.user.0, micros(m.live_after), m.from.as_str(), m.to.as_str(), detail])?;
    Ok(moved == 1)
}

pub(super) fn stash_remove(conn: &Connection, id: uuid::Uuid, user: UserId) -> Result<()> {
    conn.prepare_cached("DELETE FROM import_stash WHERE id = ?1 AND user_id = ?2")?.execute(params![id, user.0])?;
    Ok(())
}
