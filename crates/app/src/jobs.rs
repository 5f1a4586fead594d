//! Background jobs (issue 14, finding 9): an import too large to run inside
//! its request runs on a thread of its own, as the same one transaction as
//! ever (nothing is half-written when it fails), and its uploader polls the
//! job's row in the store (`kassa_store::jobs`) for state, progress and
//! result.
//!
//! What only this process knows is kept here, in [`Jobs`]: the rows read so
//! far of each job it runs (on SQLite the job's own transaction holds the
//! one write lock, so progress cannot be written to the table until it
//! ends; on PostgreSQL a heartbeat thread copies it there every
//! [`HEARTBEAT`]) and the job that holds SQLite's write gate, so a writer
//! turned away can be told which job it waits for and for how long.
//!
//! A job runs on a thread of its own rather than on the async runtime's
//! blocking pool, which is sized to the store's connections for requests:
//! a job holding one of its threads for minutes would take it from readers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use kassa_core::BookId;
use kassa_store::Backend;
use kassa_store::jobs::{JobRow, JobState};
use serde::Serialize;

use crate::imports::{ImportRequest, ImportView, Upload};
use crate::{Actor, App, AppError, AppResult};

/// How often a running job's process writes its progress and heartbeat (PostgreSQL).
pub const HEARTBEAT: Duration = Duration::from_secs(10);
/// A PostgreSQL job whose heartbeat is older than this at a server's start
/// belongs to a process that is gone.
pub const STALE_AFTER: Duration = Duration::from_secs(60);
/// Jobs running at once in one process; more wait as `queued`. Each holds
/// its upload in memory and one database connection.
pub const SLOTS: usize = 2;
/// Unfinished jobs one user may have in this process: a third upload is
/// refused instead of queueing more files in memory.
pub const PER_USER: usize = 2;
/// How many jobs `GET /jobs` lists.
pub const LISTED: usize = 50;

/// One job as its owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobView {
    pub id: uuid::Uuid,
    /// `import`
    pub kind: String,
    pub book: uuid::Uuid,
    /// queued, running, done or failed
    pub state: String,
    /// Rows read so far.
    pub rows_done: u64,
    /// The rows the upload holds, estimated before it is parsed.
    pub rows_total: Option<u64>,
    /// RFC 3339
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// A done job's summary: one entry per file, as a synchronous import answers.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<ImportView>>))]
    pub result: Option<serde_json::Value>,
    /// A failed job's error (`code`, `message`, `details`): nothing was stored.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub error: Option<serde_json::Value>,
}

/// The job holding SQLite's write gate, as a writer turned away is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunningJob {
    pub id: uuid::Uuid,
    pub rows_done: u64,
    pub rows_total: Option<u64>,
    /// Seconds until it is likely done, from its pace so far.
    pub retry_after: u64,
}

/// A job this process runs.
#[derive(Debug)]
struct Live {
    user: kassa_core::UserId,
    rows_done: AtomicU64,
    rows_total: Option<u64>,
    started: OnceLock<Instant>,
}

/// The jobs of this process (see the module doc).
#[derive(Debug, Default)]
pub struct Jobs {
    live: Mutex<HashMap<uuid::Uuid, Arc<Live>>>,
    running: Mutex<usize>,
    freed: Condvar,
}

/// A running slot, given back when dropped.
struct Slot<'a>(&'a Jobs);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.running.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.0.freed.notify_one();
    }
}

impl Jobs {
    fn slot(&self) -> Slot<'_> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= SLOTS {
            running = self.freed.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        Slot(self)
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<uuid::Uuid, Arc<Live>>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What the rows of `files` number, roughly, read from their bytes without
/// parsing them: a job's `rows_total`, and what decides whether an upload
/// becomes a job. Line formats count lines; the structured ones the marks
/// each entry carries (OFX `<STMTTRN>`, camt `Ntry>` twice, QIF `^`, MT940
/// `:61:`).
pub fn estimate_rows(files: &[Upload]) -> u64 {
    use kassa_import::Format;
    let count = |bytes: &[u8], mark: &str| memchr::memmem::find_iter(bytes, mark.as_bytes()).count() as u64;
    files
        .iter()
        .map(|f| {
            let b = f.bytes.as_slice();
            match kassa_import::detect::detect(b) {
                Some(Format::Ofx) => count(b, "<STMTTRN>") + count(b, "<stmttrn>") + count(b, "<INVBUY>"),
                Some(Format::Camt) => count(b, "Ntry>") / 2,
                Some(Format::Qif) => count(b, "\n^"),
                Some(Format::Mt940) => count(b, ":61:"),
                _ => memchr::memchr_iter(b'\n', b).count().saturating_sub(1) as u64,
            }
        })
        .sum()
}

/// The error JSON a failed job keeps: what the same import would have
/// answered synchronously (an internal error's cause is not shown).
fn error_json(e: &AppError) -> serde_json::Value {
    let message = match e {
        AppError::Internal(_) => "internal error".to_string(),
        AppError::Invalid { field, message } => format!("{field}: {message}"),
        other => other.to_string(),
    };
    let details = match e {
        AppError::Rejected { details, .. } => details.clone(),
        AppError::Invalid { field, .. } => serde_json::json!({ "field": field }),
        _ => serde_json::Value::Null,
    };
    serde_json::json!({ "code": e.code(), "message": message, "details": details })
}

/// What to run once a job's import has ended, on its thread, before its
/// write gate is let go, given the outcome and the job's files (the web
/// import records the outcome in its stash, or puts the files back).
pub type Then = Box<dyn FnOnce(&App, &AppResult<Vec<ImportView>>, &[Upload]) + Send>;

impl App {
    /// Starts importing `files` into `book` as a background job (owners and
    /// editors, checked now); returns the queued job. `hold` is kept until
    /// the job has ended — the server's write-gate permit on SQLite, so no
    /// other write starts while the job's transaction holds the database.
    pub fn start_import_job(
        &self,
        actor: &Actor,
        book: BookId,
        files: Vec<Upload>,
        req: ImportRequest,
        hold: Box<dyn Send>,
        then: Option<Then>,
    ) -> AppResult<JobView> {
        self.may_import(actor, book)?;
        let unfinished = self.jobs.live().values().filter(|j| j.user == actor.user_id).count();
        if unfinished >= PER_USER {
            return Err(AppError::Refused {
                code: "too_many_jobs",
                message: format!("you have {unfinished} imports running or queued; wait for one to finish"),
            });
        }
        // A multi-file import dry-runs every file first, then imports it.
        let passes = if files.len() > 1 && !req.dry_run { 2 } else { 1 };
        let now = self.clock.now();
        let row = JobRow {
            id: crate::clock::new_id(),
            user: actor.user_id,
            book,
            kind: "import".into(),
            state: JobState::Queued,
            rows_done: 0,
            rows_total: Some(estimate_rows(&files) * passes),
            result: None,
            created_at: now,
            started_at: None,
            finished_at: None,
            heartbeat_at: now,
        };
        self.store.job_create(&row)?;
        let live = Arc::new(Live {
            user: actor.user_id,
            rows_done: AtomicU64::new(0),
            rows_total: row.rows_total,
            started: OnceLock::new(),
        });
        self.jobs.live().insert(row.id, live.clone());
        let (app, actor, id) = (self.clone(), *actor, row.id);
        let spawned = std::thread::Builder::new().name(format!("kassa-job-{id}")).spawn(move || {
            app.run_import_job(id, &live, &actor, book, &files, &req, then);
            app.jobs.live().remove(&id);
            drop(hold);
        });
        if let Err(e) = spawned {
            self.jobs.live().remove(&row.id);
            let error = error_json(&AppError::Internal(e.to_string())).to_string();
            self.store.job_finish(row.id, JobState::Failed, 0, &error, self.clock.now())?;
            return Err(AppError::Internal(format!("cannot start the job's thread: {e}")));
        }
        Ok(view(row))
    }

    #[allow(clippy::too_many_arguments)]
    fn run_import_job(
        &self,
        id: uuid::Uuid,
        live: &Arc<Live>,
        actor: &Actor,
        book: BookId,
        files: &[Upload],
        req: &ImportRequest,
        then: Option<Then>,
    ) {
        let _slot = self.jobs.slot();
        match self.store.job_start(id, self.clock.now()) {
            Ok(true) => {}
            // Failed meanwhile (a server starting on the same database
            // thought it orphaned): it must not run after all.
            Ok(false) => return,
            Err(_) => return self.end_job(id, live, Err(AppError::Internal("the job could not be started".into()))),
        }
        let _ = live.started.set(self.clock.instant());
        let beat = (self.backend() == Backend::Postgres).then(|| Heartbeat::start(self.clone(), id, live.clone()));
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut done_before = 0;
            let mut last = 0;
            self.import_reporting(actor, book, files, req, &mut |rows| {
                // Rows restart from 0 with each file (and pass).
                if rows < last {
                    done_before += last;
                }
                last = rows;
                live.rows_done.store(done_before + rows, Ordering::Relaxed);
            })
        }))
        .unwrap_or_else(|_| Err(AppError::Internal("the import panicked".into())));
        drop(beat);
        if let Ok(views) = &outcome {
            live.rows_done.store(views.iter().map(|v| v.rows).sum(), Ordering::Relaxed);
        }
        if let Some(then) = then {
            then(self, &outcome, files);
        }
        self.end_job(id, live, outcome);
    }

    /// Stores a job's outcome; retried a few times, since a job that ran for
    /// minutes should not be lost to one busy moment of the database.
    fn end_job(&self, id: uuid::Uuid, live: &Live, outcome: AppResult<Vec<ImportView>>) {
        let (state, result) = match &outcome {
            Ok(views) => (JobState::Done, serde_json::to_value(views).unwrap_or(serde_json::Value::Null)),
            Err(e) => (JobState::Failed, error_json(e)),
        };
        let (text, rows) = (result.to_string(), live.rows_done.load(Ordering::Relaxed));
        for attempt in 0..5 {
            if self.store.job_finish(id, state, rows, &text, self.clock.now()).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1 << attempt));
        }
    }

    /// The caller's job `id`: another user's is not found.
    pub fn job(&self, actor: &Actor, id: uuid::Uuid) -> AppResult<JobView> {
        let row = self.store.job(id, actor.user_id)?.ok_or_else(|| AppError::NotFound("job".into()))?;
        Ok(self.with_progress(row))
    }

    /// The caller's newest jobs, newest first.
    pub fn jobs(&self, actor: &Actor) -> AppResult<Vec<JobView>> {
        Ok(self.store.jobs(actor.user_id, LISTED)?.into_iter().map(|r| self.with_progress(r)).collect())
    }

    /// A row with this process's fresher progress, if it runs the job.
    fn with_progress(&self, mut row: JobRow) -> JobView {
        if !row.state.finished()
            && let Some(live) = self.jobs.live().get(&row.id)
        {
            row.rows_done = row.rows_done.max(live.rows_done.load(Ordering::Relaxed));
        }
        view(row)
    }

    /// At a server's start: fails the jobs a dead process left queued or
    /// running, so their owners are told instead of polling forever. On
    /// SQLite every unfinished job is such a one (one process holds a
    /// job's write lock, and it is gone: its transaction was rolled back);
    /// on PostgreSQL only those whose heartbeat stopped [`STALE_AFTER`] ago,
    /// since another live server may be running the rest.
    pub fn recover_jobs(&self) -> AppResult<u64> {
        let now = self.clock.now();
        let before = match self.backend() {
            Backend::Sqlite => now.checked_add(Duration::from_micros(1)).unwrap_or(now),
            Backend::Postgres => now.checked_sub(STALE_AFTER).unwrap_or(Timestamp::MIN),
        };
        let reason = serde_json::json!({
            "code": "interrupted",
            "message": "the server stopped while this import ran; nothing of it was stored, upload the file again",
            "details": null,
        });
        Ok(self.store.fail_stale_jobs(before, &reason.to_string(), now)?)
    }

    /// The job this process runs that holds the write gate, if any (on
    /// SQLite at most one runs at a time: each holds the gate).
    pub fn running_job(&self) -> Option<RunningJob> {
        let live = self.jobs.live();
        let (id, job) = live.iter().find(|(_, j)| j.started.get().is_some()).or_else(|| live.iter().next())?;
        let done = job.rows_done.load(Ordering::Relaxed);
        let elapsed = job.started.get().map_or(Duration::ZERO, |s| self.clock.instant().saturating_duration_since(*s));
        // Its pace so far over the rows left; without a pace yet, a guess.
        let left = job.rows_total.map(|t| t.saturating_sub(done));
        let retry_after = match (done, left) {
            (d, Some(l)) if d > 0 => {
                u64::try_from(elapsed.as_millis() * u128::from(l) / u128::from(d) / 1000).unwrap_or(u64::MAX)
            }
            _ => 10,
        };
        Some(RunningJob {
            id: *id,
            rows_done: done,
            rows_total: job.rows_total,
            retry_after: retry_after.clamp(1, 600),
        })
    }
}

/// Copies a running job's progress into its row every [`HEARTBEAT`] until
/// dropped (PostgreSQL, where the row can be written beside the job's own
/// transaction).
struct Heartbeat {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    fn start(app: App, id: uuid::Uuid, live: Arc<Live>) -> Heartbeat {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let s = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("kassa-beat-{id}"))
            .spawn(move || {
                let (lock, cv) = &*s;
                let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
                while !*stopped {
                    let (guard, _) = cv.wait_timeout(stopped, HEARTBEAT).unwrap_or_else(|e| e.into_inner());
                    stopped = guard;
                    if !*stopped {
                        // A missed beat is retried at the next; only a
                        // minute of them makes the job look orphaned.
                        let _ = app.store.job_progress(id, live.rows_done.load(Ordering::Relaxed), app.clock.now());
                    }
                }
            })
            .ok();
        Heartbeat { stop, thread }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        *self.stop.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.stop.1.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn view(row: JobRow) -> JobView {
    let at = |t: Option<Timestamp>| t.map(|t| t.to_string());
    let parsed = row.result.as_deref().and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok());
    let (result, error) = match row.state {
        JobState::Done => (parsed, None),
        JobState::Failed => (None, parsed),
        JobState::Queued | JobState::Running => (None, None),
    };
    JobView {
        id: row.id,
        kind: row.kind,
        book: row.book.0,
        state: row.state.as_str().into(),
        rows_done: row.rows_done,
        rows_total: row.rows_total,
        created_at: row.created_at.to_string(),
        started_at: at(row.started_at),
        finished_at: at(row.finished_at),
        result,
        error,
    }
}
