//! Background jobs (issue 14, migration 0012): a large import runs off its
//! request and its uploader polls the row. The row shapes and the SQL both
//! backends run are here; `sqlite/jobs.rs` and `postgres/jobs.rs` execute it.
//!
//! Not a projection: `rebuild` leaves the table alone. Every time in it comes
//! from the caller's clock. While a job runs, its process refreshes
//! `heartbeat_at` (on PostgreSQL; SQLite's one writer is the job itself), so
//! a starting server fails only the jobs whose process is gone
//! ([`crate::Store::fail_stale_jobs`]).

use jiff::Timestamp;
use kassa_core::{BookId, UserId};

use crate::error::{Result, StoreError};
use crate::sql::{Sql, dollars, sql};
use crate::state::from_micros;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Accepted, waiting for a slot.
    Queued,
    Running,
    /// Finished: `result` holds the summary.
    Done,
    /// Finished without effect: `result` holds the error.
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<JobState> {
        match s {
            "queued" => Ok(JobState::Queued),
            "running" => Ok(JobState::Running),
            "done" => Ok(JobState::Done),
            "failed" => Ok(JobState::Failed),
            _ => Err(StoreError::Corrupt(format!("job state '{s}'"))),
        }
    }

    /// Done or failed: nothing will change it again.
    pub fn finished(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }
}

/// One job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub id: uuid::Uuid,
    /// Who started it: the only one who may see it.
    pub user: UserId,
    pub book: BookId,
    /// What it does (`import`).
    pub kind: String,
    pub state: JobState,
    pub rows_done: u64,
    /// An estimate made from the upload before it is parsed.
    pub rows_total: Option<u64>,
    /// JSON: the summary of a done job, the error of a failed one.
    pub result: Option<String>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub heartbeat_at: Timestamp,
}

sql! {
    INSERT_JOB = "INSERT INTO jobs (id, user_id, book_id, kind, state, rows_done, rows_total, result,
                                    created_at, started_at, finished_at, heartbeat_at)
                  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, NULL, NULL, ?8)";
    /// Queued → running; a job another process already failed stays so.
    START_JOB = "UPDATE jobs SET state = 'running', started_at = ?2, heartbeat_at = ?2
                  WHERE id = ?1 AND state = 'queued'";
    /// Progress, and the sign of life that goes with it.
    JOB_PROGRESS = "UPDATE jobs SET rows_done = ?2, heartbeat_at = ?3 WHERE id = ?1 AND state = 'running'";
    FINISH_JOB = "UPDATE jobs SET state = ?2, rows_done = ?3, result = ?4, finished_at = ?5, heartbeat_at = ?5
                   WHERE id = ?1 AND state IN ('queued', 'running')";
    SELECT_JOB = "SELECT id, user_id, book_id, kind, state, rows_done, rows_total, result,
                         created_at, started_at, finished_at, heartbeat_at
                    FROM jobs WHERE id = ?1 AND user_id = ?2";
    /// Newest first.
    SELECT_JOBS = "SELECT id, user_id, book_id, kind, state, rows_done, rows_total, result,
                          created_at, started_at, finished_at, heartbeat_at
                     FROM jobs WHERE user_id = ?1 ORDER BY created_at DESC, id LIMIT ?2";
    FAIL_STALE_JOBS = "UPDATE jobs SET state = 'failed', result = ?2, finished_at = ?3
                        WHERE state IN ('queued', 'running') AND heartbeat_at < ?1";
}

/// A row of `SELECT_JOB(S)` as each backend reads its columns, in order.
pub(crate) struct RawJob {
    pub id: uuid::Uuid,
    pub user: uuid::Uuid,
    pub book: uuid::Uuid,
    pub kind: String,
    pub state: String,
    pub rows_done: i64,
    pub rows_total: Option<i64>,
    pub result: Option<String>,
    /// Created, started, finished, heartbeat.
    pub times: [Option<i64>; 4],
}

impl RawJob {
    pub(crate) fn decode(self) -> Result<JobRow> {
        let at = |t: Option<i64>| t.map(from_micros).transpose();
        let need = |t: Option<i64>| at(t)?.ok_or_else(|| StoreError::Corrupt("job without a time".into()));
        let [created, started, finished, heartbeat] = self.times;
        Ok(JobRow {
            id: self.id,
            user: UserId(self.user),
            book: BookId(self.book),
            kind: self.kind,
            state: JobState::parse(&self.state)?,
            rows_done: u64::try_from(self.rows_done).unwrap_or(0),
            rows_total: self.rows_total.and_then(|n| u64::try_from(n).ok()),
            result: self.result,
            created_at: need(created)?,
            started_at: at(started)?,
            finished_at: at(finished)?,
            heartbeat_at: need(heartbeat)?,
        })
    }
}

/// Counts as the table keeps them.
pub(crate) fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
