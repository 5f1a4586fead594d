//! SQLite's side of the shared process state (`crate::state`, migration
//! 0008). Every read-modify-write runs under the write lock (`BEGIN
//! IMMEDIATE`), which is what makes it atomic across processes here.

use jiff::Timestamp;
use kassa_core::UserId;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::Uow;
use crate::error::Result;
use crate::state::{
    Attempts, Backoff, Claim, PENDING, StashBounds, StashEntry, StashMove, StashState, Turn, Write, Written, claimed,
    from_micros, micros,
};

pub(super) fn claimed_write(conn: &mut Connection, claim: &Claim, mut write: Write<'_>) -> Result<Written> {
    write.with_retry(|write| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO idempotency_keys (scope, key, fingerprint, status, body, created_at)
                 VALUES (?1, ?2, ?3, ?4, '', ?5) ON CONFLICT (scope, key) DO NOTHING",
            )?
            .execute(params![claim.scope, claim.key, claim.fingerprint, PENDING, Timestamp::now().to_string()])?;
        claimed(inserted)?;
        let (out, commit) = write.run(&mut Uow { tx: &tx })?;
        if commit {
            tx.commit()?;
        }
        Ok(out)
    })
}

pub(super) fn idempotent_reply(conn: &Connection, claim: &Claim, status: u16, body: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE idempotency_keys SET status = ?3, body = ?4 WHERE scope = ?1 AND key = ?2 AND status = ?5",
    )?
    .execute(params![claim.scope, claim.key, status, body, PENDING])?;
    Ok(())
}

pub(super) fn count_attempt(
    conn: &mut Connection,
    key: &str,
    now: Timestamp,
    window: std::time::Duration,
) -> Result<Attempts> {
    let expired = micros(now) - i64::try_from(window.as_micros()).unwrap_or(i64::MAX);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
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

pub(super) fn stash_put(conn: &mut Connection, e: &StashEntry, b: &StashBounds) -> Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.prepare_cached("DELETE FROM import_stash WHERE created_at <= ?1")?.execute([micros(b.live_after)])?;
    // Room for the new entry: the user's oldest beyond `per_user - 1` go.
    tx.prepare_cached(
        "DELETE FROM import_stash WHERE id IN
         (SELECT id FROM import_stash WHERE user_id = ?1 ORDER BY created_at DESC LIMIT -1 OFFSET ?2)",
    )?
    .execute(params![e.user.0, b.per_user.saturating_sub(1) as i64])?;
    let held: i64 = tx
        .prepare_cached("SELECT COALESCE(SUM(size), 0) FROM import_stash WHERE state = 'pending'")?
        .query_row([], |r| r.get(0))?;
    if usize::try_from(held).unwrap_or(usize::MAX).saturating_add(e.files.len()) > b.max_bytes {
        return Ok(false);
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
    Ok(true)
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
