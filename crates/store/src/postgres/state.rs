//! PostgreSQL's side of the shared process state (`crate::state`,
//! migration 0008). Atomicity across processes comes from single statements
//! (`INSERT … ON CONFLICT … DO UPDATE … RETURNING`) and from unique indexes,
//! which make a second claimer of a key wait for the first one's commit.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use kassa_core::UserId;
use postgres::Client;

use super::{PgConn, PgStore, Uow};
use crate::error::Result;
use crate::state::{
    Attempts, Backoff, Claim, IDEMPOTENCY_TTL, OpenClaim, Opened, PENDING, StashBounds, StashEntry, StashMove,
    StashPut, StashState, Turn, Write, claimed, from_micros, micros,
};
use crate::txn::{Pinned, Tx};

/// Takes a connection of its own (never the pinned one: a request claims
/// once) and leaves it inside the claim's transaction.
pub(super) fn claim_open(store: &PgStore, claim: &Claim, mut write: Write<'_>) -> Result<Opened> {
    write.with_retry(|write| {
        let mut conn = store.pool.get()?;
        let mut tx = Tx::begin(&mut *conn, "BEGIN")?;
        let ttl = IDEMPOTENCY_TTL.as_secs_f64();
        tx.execute("DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)", &[&ttl])?;
        let inserted = tx.execute(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, status, body) VALUES ($1, $2, $3, $4, '')
             ON CONFLICT (scope, key) DO NOTHING",
            &[&claim.scope, &claim.key, &claim.fingerprint, &i32::from(PENDING)],
        )?;
        claimed(inserted as usize)?;
        let (written, commit) = write.run(&mut Uow { tx: &mut tx })?;
        // Left open for the rest of the request, or rolled back, claim and all.
        let open = tx.keep_if(commit)?.then(|| {
            Arc::new(PgStore { pool: store.pool.clone(), pinned: Some(Pinned::new(conn, claim.clone())) })
                as Arc<dyn OpenClaim>
        });
        Ok(Opened { claim: open, written })
    })
}

pub(super) fn idempotent_reply(c: &mut Client, claim: &Claim, status: u16, body: &str) -> Result<()> {
    c.execute(
        "UPDATE idempotency_keys SET status = $3, body = $4 WHERE scope = $1 AND key = $2 AND status = $5",
        &[&claim.scope, &claim.key, &i32::from(status), &body, &i32::from(PENDING)],
    )?;
    Ok(())
}

pub(super) fn count_attempt(c: &mut Client, key: &str, now: Timestamp, window: Duration) -> Result<Attempts> {
    let expired = micros(now) - i64::try_from(window.as_micros()).unwrap_or(i64::MAX);
    c.execute("DELETE FROM login_limits WHERE window_start <= $1", &[&expired])?;
    // The window restarts here too: another process may have counted the
    // key again between the prune and this statement.
    let r = c.query_one(
        "INSERT INTO login_limits AS l (key, window_start, count) VALUES ($1, $2, 1)
         ON CONFLICT (key) DO UPDATE SET
            window_start = CASE WHEN l.window_start <= $3 THEN $2 ELSE l.window_start END,
            count = CASE WHEN l.window_start <= $3 THEN 1 ELSE l.count + 1 END
         RETURNING window_start, count",
        &[&key, &micros(now), &expired],
    )?;
    Attempts::from_row(r.get(0), r.get(1))
}

/// The key's row is made first (far in the past: no wait, no failures)
/// and then locked, so parallel turns on one key queue on the row lock.
pub(super) fn take_turn(conn: &mut PgConn, key: &str, now: Timestamp, backoff: &Backoff) -> Result<Turn> {
    let mut tx = Tx::begin(conn, "BEGIN")?;
    tx.execute(
        "INSERT INTO login_limits (key, window_start, count) VALUES ($1, $2, 0) ON CONFLICT (key) DO NOTHING",
        &[&key, &i64::MIN],
    )?;
    let r = tx.query_one("SELECT window_start, count FROM login_limits WHERE key = $1 FOR UPDATE", &[&key])?;
    let (turn, counted) = backoff.turn(Some((r.get(0), r.get(1))), now)?;
    if let Some((not_before, failures)) = counted {
        tx.execute(
            "UPDATE login_limits SET window_start = $2, count = $3 WHERE key = $1",
            &[&key, &not_before, &failures],
        )?;
        tx.commit()?;
    }
    Ok(turn)
}

pub(super) fn refund_attempt(c: &mut Client, key: &str) -> Result<()> {
    c.execute("UPDATE login_limits SET count = count - 1 WHERE key = $1 AND count > 0", &[&key])?;
    Ok(())
}

pub(super) fn attempts_of(c: &mut Client, key: &str) -> Result<Option<Attempts>> {
    c.query_opt("SELECT window_start, count FROM login_limits WHERE key = $1", &[&key])?
        .map(|r| Attempts::from_row(r.get(0), r.get(1)))
        .transpose()
}

pub(super) fn forget_attempts(c: &mut Client, key: &str) -> Result<()> {
    c.execute("DELETE FROM login_limits WHERE key = $1", &[&key])?;
    Ok(())
}

pub(super) fn access_epoch(c: &mut Client) -> Result<i64> {
    Ok(c.query_one("SELECT epoch FROM access_epoch WHERE id = 1", &[])?.get(0))
}

pub(super) fn stash_put(conn: &mut PgConn, e: &StashEntry, b: &StashBounds) -> Result<StashPut> {
    let mut tx = Tx::begin(conn, "BEGIN")?;
    // One inserter at a time, so the size check below holds.
    tx.execute("SELECT pg_advisory_xact_lock(7002)", &[])?;
    tx.execute("DELETE FROM import_stash WHERE created_at <= $1", &[&micros(b.live_after)])?;
    // Room for the new entry: the user's oldest beyond `per_user - 1` go.
    tx.execute(
        "DELETE FROM import_stash WHERE id IN
         (SELECT id FROM import_stash WHERE user_id = $1 ORDER BY created_at DESC OFFSET $2)",
        &[&e.user.0, &(b.per_user.saturating_sub(1) as i64)],
    )?;
    let r = tx.query_one(
        "SELECT COALESCE(SUM(size), 0)::BIGINT, COALESCE(SUM(CASE WHEN user_id = $1 THEN size ELSE 0 END), 0)::BIGINT
           FROM import_stash WHERE state = 'pending'",
        &[&e.user.0],
    )?;
    let room = b.room(r.get(0), r.get(1), e.files.len());
    if room != StashPut::Stored {
        return Ok(room);
    }
    tx.execute(
        "INSERT INTO import_stash (id, user_id, book_id, created_at, state, size, files, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &e.id,
            &e.user.0,
            &e.book.0,
            &micros(e.created_at),
            &e.state.as_str(),
            &(e.files.len() as i64),
            &e.files,
            &e.detail,
        ],
    )?;
    tx.commit()?;
    Ok(StashPut::Stored)
}

pub(super) fn stash_get(
    c: &mut Client,
    id: uuid::Uuid,
    user: UserId,
    live_after: Timestamp,
) -> Result<Option<StashEntry>> {
    c.query_opt(
        "SELECT book_id, created_at, state, files, detail FROM import_stash
         WHERE id = $1 AND user_id = $2 AND created_at > $3",
        &[&id, &user.0, &micros(live_after)],
    )?
    .map(|r| {
        Ok(StashEntry {
            id,
            user,
            book: kassa_core::BookId(r.get(0)),
            created_at: from_micros(r.get(1))?,
            state: StashState::parse(r.get(2))?,
            files: r.get(3),
            detail: r.get(4),
        })
    })
    .transpose()
}

pub(super) fn stash_move(c: &mut Client, m: &StashMove, detail: &str) -> Result<bool> {
    let moved = c.execute(
        "UPDATE import_stash SET state = $5, detail = $6,
            files = CASE WHEN $5 = 'done' THEN ''::BYTEA ELSE files END,
            size = CASE WHEN $5 = 'done' THEN 0 ELSE size END
         WHERE id = $1 AND user_id = $2 AND created_at > $3 AND state = $4",
        &[&m.id, &m.user.0, &micros(m.live_after), &m.from.as_str(), &m.to.as_str(), &detail],
    )?;
    Ok(moved == 1)
}

pub(super) fn stash_remove(c: &mut Client, id: uuid::Uuid, user: UserId) -> Result<()> {
    c.execute("DELETE FROM import_stash WHERE id = $1 AND user_id = $2", &[&id, &user.0])?;
    Ok(())
}
