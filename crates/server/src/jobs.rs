//! `/api/v1/jobs`: background jobs (issue 14). An import upload larger than
//! `HttpLimits::import_job_bytes` or `import_job_rows`, or sent with
//! `Prefer: respond-async`, is answered `202 Accepted` with the job and its
//! `Location`; the import runs on as one transaction (`kassa_app::jobs`),
//! and its uploader polls the job here. Jobs are their owner's alone:
//! anyone else's id is a 404.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kassa_app::imports::{ImportRequest, Upload};
use kassa_app::jobs::{JobView, RunningJob, Then};
use kassa_app::{Actor, App, AppError};
use kassa_core::BookId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::HttpLimits;
use crate::api::{Caller, Ids, Json, blocking, off_thread};
use crate::error::ApiError;
use crate::http::HeldWrite;

/// An upload, once read: answered by a job, or to import in the request.
pub(crate) enum Uploaded {
    Job(Response),
    Inline(Vec<Upload>),
}

/// Whether the client asked for an asynchronous answer (RFC 7240).
fn prefers_async(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("respond-async"))
}

/// Whether `files` are large enough to run as a job under `limits`.
pub fn large(files: &[Upload], limits: &HttpLimits) -> bool {
    let bytes: usize = files.iter().map(|f| f.bytes.len()).sum();
    bytes > limits.import_job_bytes || kassa_app::jobs::estimate_rows(files) > limits.import_job_rows
}

/// Starts the job on the blocking pool (estimating rows reads the bytes),
/// handing it the request's write-gate permit (`held`, SQLite) so that it
/// keeps other writers out until it ends.
pub(crate) async fn start(
    app: &App,
    actor: Actor,
    book: BookId,
    files: Vec<Upload>,
    req: ImportRequest,
    held: Option<HeldWrite>,
    then: Option<Then>,
) -> Result<JobView, ApiError> {
    // Not `blocking`: the job outlives the request, so it does not run
    // under the request's idempotency claim.
    let app = app.clone();
    off_thread(move || {
        let hold: Box<dyn Send> = match held {
            Some(h) => h.take(),
            None => Box::new(()),
        };
        app.start_import_job(&actor, book, files, req, hold, then)
    })
    .await
}

/// A job or the files back: a job when the client prefers it or the upload
/// is large (decided on the blocking pool: it reads every byte).
pub(crate) async fn job_or_inline(
    app: &App,
    (actor, book): (Actor, BookId),
    files: Vec<Upload>,
    req: ImportRequest,
    headers: &HeaderMap,
    limits: &HttpLimits,
    held: Option<HeldWrite>,
) -> Result<Uploaded, ApiError> {
    let asked = prefers_async(headers);
    let limits = *limits;
    let (files, job) = off_thread(move || {
        let job = asked || large(&files, &limits);
        Ok((files, job))
    })
    .await?;
    if !job {
        return Ok(Uploaded::Inline(files));
    }
    let view = start(app, actor, book, files, req, held, None).await?;
    Ok(Uploaded::Job(accepted(view, asked)))
}

/// `202 Accepted` with the job and where to poll it; `Preference-Applied`
/// when the client asked for it (RFC 7240).
pub(crate) fn accepted(view: JobView, asked: bool) -> Response {
    let location = format!("/api/v1/jobs/{}", view.id);
    let mut resp = (StatusCode::ACCEPTED, Json(view)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    if asked {
        resp.headers_mut().insert("preference-applied", HeaderValue::from_static("respond-async"));
    }
    resp
}

/// The answer to a writer that meets a running job on SQLite's write gate:
/// 503 `busy` naming the job, with how long it is likely to take.
pub(crate) fn busy(job: RunningJob) -> Response {
    let mut e = ApiError::from(AppError::Busy { retry_after: job.retry_after });
    let total = job.rows_total.map_or_else(String::new, |t| format!(" of about {t}"));
    e.message = format!(
        "busy, retry in {} s: import job {} holds the database ({} rows read{total})",
        job.retry_after, job.id, job.rows_done
    );
    e.details = serde_json::json!({ "job": job.id });
    e.into_response()
}

/// The caller's jobs, newest first (the last 50).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", security(("bearer" = [])),
    responses((status = 200, body = [JobView])))]
async fn list_jobs(State(app): State<App>, Caller(actor): Caller) -> Result<Json<Vec<JobView>>, ApiError> {
    Ok(Json(blocking(&app, move |app| app.jobs(&actor)).await?))
}

/// One of the caller's jobs: state, progress and, once it ended, the import's
/// summary or its error (then nothing was stored).
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = JobView)))]
async fn get_job(State(app): State<App>, Caller(actor): Caller, Ids(id): Ids<Uuid>) -> Result<Json<JobView>, ApiError> {
    Ok(Json(blocking(&app, move |app| app.job(&actor, id)).await?))
}

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_jobs)).routes(routes!(get_job))
}
