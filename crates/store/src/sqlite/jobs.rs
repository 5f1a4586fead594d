//! SQLite's side of the background jobs (`crate::jobs`, migration 0012).

use jiff::Timestamp;
use kassa_core::UserId;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::Result;
use crate::jobs::{
    FAIL_STALE_JOBS, FINISH_JOB, INSERT_JOB, JOB_PROGRESS, JobRow, JobState, RawJob, SELECT_JOB, SELECT_JOBS,
    START_JOB, count,
};
use crate::state::micros;

pub(super) fn create(conn: &Connection, j: &JobRow) -> Result<()> {
    conn.prepare_cached(INSERT_JOB.sqlite)?.execute(params![
        j.id,
        j.user.0,
        j.book.0,
        j.kind,
        j.state.as_str(),
        count(j.rows_done),
        j.rows_total.map(count),
        micros(j.created_at)
    ])?;
    Ok(())
}

pub(super) fn start(conn: &Connection, id: uuid::Uuid, now: Timestamp) -> Result<bool> {
    Ok(conn.prepare_cached(START_JOB.sqlite)?.execute(params![id, micros(now)])? == 1)
}

pub(super) fn progress(conn: &Connection, id: uuid::Uuid, rows_done: u64, now: Timestamp) -> Result<()> {
    conn.prepare_cached(JOB_PROGRESS.sqlite)?.execute(params![id, count(rows_done), micros(now)])?;
    Ok(())
}

pub(super) fn finish(
    conn: &Connection,
    id: uuid::Uuid,
    state: JobState,
    rows_done: u64,
    result: &str,
    now: Timestamp,
) -> Result<bool> {
    let n = conn.prepare_cached(FINISH_JOB.sqlite)?.execute(params![
        id,
        state.as_str(),
        count(rows_done),
        result,
        micros(now)
    ])?;
    Ok(n == 1)
}

fn row(r: &Row<'_>) -> rusqlite::Result<RawJob> {
    Ok(RawJob {
        id: r.get(0)?,
        user: r.get(1)?,
        book: r.get(2)?,
        kind: r.get(3)?,
        state: r.get(4)?,
        rows_done: r.get(5)?,
        rows_total: r.get(6)?,
        result: r.get(7)?,
        times: [r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?],
    })
}

pub(super) fn get(conn: &Connection, id: uuid::Uuid, user: UserId) -> Result<Option<JobRow>> {
    let raw = conn.prepare_cached(SELECT_JOB.sqlite)?.query_row(params![id, user.0], row).optional()?;
    raw.map(RawJob::decode).transpose()
}

pub(super) fn of_user(conn: &Connection, user: UserId, limit: usize) -> Result<Vec<JobRow>> {
    let mut st = conn.prepare_cached(SELECT_JOBS.sqlite)?;
    let raws = st.query_map(params![user.0, count(limit as u64)], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    raws.into_iter().map(RawJob::decode).collect()
}

pub(super) fn fail_stale(conn: &Connection, beat_before: Timestamp, reason: &str, now: Timestamp) -> Result<u64> {
    let n = conn.prepare_cached(FAIL_STALE_JOBS.sqlite)?.execute(params![micros(beat_before), reason, micros(now)])?;
    Ok(n as u64)
}
