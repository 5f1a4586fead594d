//! PostgreSQL's side of the background jobs (`crate::jobs`, migration 0012).

use jiff::Timestamp;
use kassa_core::UserId;
use postgres::{Client, Row};

use crate::error::Result;
use crate::jobs::{
    FAIL_STALE_JOBS, FINISH_JOB, INSERT_JOB, JOB_PROGRESS, JobRow, JobState, RawJob, SELECT_JOB, SELECT_JOBS,
    START_JOB, count,
};
use crate::state::micros;

pub(super) fn create(c: &mut Client, j: &JobRow) -> Result<()> {
    c.execute(
        INSERT_JOB.postgres,
        &[
            &j.id,
            &j.user.0,
            &j.book.0,
            &j.kind,
            &j.state.as_str(),
            &count(j.rows_done),
            &j.rows_total.map(count),
            &micros(j.created_at),
        ],
    )?;
    Ok(())
}

pub(super) fn start(c: &mut Client, id: uuid::Uuid, now: Timestamp) -> Result<bool> {
    Ok(c.execute(START_JOB.postgres, &[&id, &micros(now)])? == 1)
}

pub(super) fn progress(c: &mut Client, id: uuid::Uuid, rows_done: u64, now: Timestamp) -> Result<()> {
    c.execute(JOB_PROGRESS.postgres, &[&id, &count(rows_done), &micros(now)])?;
    Ok(())
}

pub(super) fn finish(
    c: &mut Client,
    id: uuid::Uuid,
    state: JobState,
    rows_done: u64,
    result: &str,
    now: Timestamp,
) -> Result<bool> {
    let n = c.execute(FINISH_JOB.postgres, &[&id, &state.as_str(), &count(rows_done), &result, &micros(now)])?;
    Ok(n == 1)
}

fn raw(r: &Row) -> RawJob {
    RawJob {
        id: r.get(0),
        user: r.get(1),
        book: r.get(2),
        kind: r.get(3),
        state: r.get(4),
        rows_done: r.get(5),
        rows_total: r.get(6),
        result: r.get(7),
        times: [r.get(8), r.get(9), r.get(10), r.get(11)],
    }
}

pub(super) fn get(c: &mut Client, id: uuid::Uuid, user: UserId) -> Result<Option<JobRow>> {
    c.query_opt(SELECT_JOB.postgres, &[&id, &user.0])?.map(|r| raw(&r).decode()).transpose()
}

pub(super) fn of_user(c: &mut Client, user: UserId, limit: usize) -> Result<Vec<JobRow>> {
    c.query(SELECT_JOBS.postgres, &[&user.0, &count(limit as u64)])?.iter().map(|r| raw(r).decode()).collect()
}

pub(super) fn fail_stale(c: &mut Client, beat_before: Timestamp, reason: &str, now: Timestamp) -> Result<u64> {
    Ok(c.execute(FAIL_STALE_JOBS.postgres, &[&micros(beat_before), &reason, &micros(now)])?)
}
