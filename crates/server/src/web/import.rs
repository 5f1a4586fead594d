//! `/import`: upload bank files, preview what importing them would do,
//! confirm, see the result, and undo past batches. The preview is a dry
//! run of `App::import` — the same engine, options and checks as the real
//! import and the API — so what it shows is what confirming does.
//!
//! Between the preview and the confirm the uploaded bytes wait in the
//! store's import stash (`Store::stash_put`), under a random id bound to
//! the person who uploaded them and the book they chose; the browser
//! carries only that id. Posting the files again instead would send them
//! twice and need a file input the browser cannot refill. Kept in the
//! database, a preview may be confirmed through any server process on it,
//! and survives a restart. The stash is bounded: entries expire after
//! [`STASH_TTL`] (and are pruned by the next upload), a person keeps at
//! most [`PER_USER`] (their oldest goes first) holding at most
//! [`PER_USER_BYTES`], and all pending entries together hold at most
//! [`STASH_LIMIT`] bytes, a ceiling far above one person's share, so one
//! person's previews never make another's upload fail before it. Confirming moves an entry
//! from "pending" to "running" in one conditional update, so a double
//! submit cannot import twice, even through two processes; the result then
//! replaces the bytes, and the confirm redirects to it (Post/Redirect/Get).

use std::time::Duration;

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Extension, Router};
use kassa_core::{BatchId, BookId, UserId};
use serde::Deserialize;

use super::{Layout, Nav, PageError, PageResult, Session, load, render};
use crate::error::ApiError;
use kassa_app::books::AccountView;
use kassa_app::imports::{BatchView, ImportRequest, ImportView, ProfileView, Upload};
use kassa_app::jobs::JobView;
use kassa_app::mapping::MappingView;
use kassa_app::{App, AppError, AppResult, StashBounds, StashEntry, StashMove, StashPut, StashState};
use serde::Serialize;

/// Largest upload (all files of one form together).
/// Most bytes all pending previews may hold together.
pub const STASH_LIMIT: usize = 1 << 30;
/// Most bytes one person's pending previews may hold: two full uploads.
pub const PER_USER_BYTES: usize = 64 << 20;
/// How long a preview waits for its confirm.
pub const STASH_TTL: Duration = Duration::from_secs(30 * 60);
/// Pending previews per person.
pub const PER_USER: usize = 3;

/// Largest upload of the import page, in bytes.
#[derive(Debug, Clone, Copy)]
struct UploadLimit(usize);

pub fn routes(upload_limit: usize) -> Router<App> {
    Router::new()
        .route("/import", get(upload_page).post(upload).layer(DefaultBodyLimit::max(upload_limit)))
        .route("/import/{id}", get(preview))
        .route("/import/{id}/options", post(change_options))
        .route("/import/{id}/confirm", post(confirm))
        .route("/import/{id}/cancel", post(cancel))
        .route("/import/batches/{batch}/undo", post(undo))
        .route("/import/jobs/{id}", get(job_page))
        .layer(Extension(UploadLimit(upload_limit)))
}

// --- the stash ------------------------------------------------------------------

/// An entry of the stash, as the pages use it.
#[derive(Clone)]
enum Held {
    Pending { files: Vec<Upload>, req: ImportRequest },
    Running,
    Done(Vec<ImportView>),
}

/// A pending entry's `detail`: its options, and the name and size of each
/// file, whose bytes follow one another in the entry's `files`.
#[derive(Serialize, Deserialize)]
struct PendingDetail {
    options: ImportRequest,
    files: Vec<(String, usize)>,
}

fn corrupt(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("stashed upload: {e}"))
}

fn pending_detail(files: &[Upload], req: &ImportRequest) -> AppResult<String> {
    let files = files.iter().map(|f| (f.name.clone(), f.bytes.len())).collect();
    serde_json::to_string(&PendingDetail { options: req.clone(), files }).map_err(corrupt)
}

fn held(e: StashEntry) -> AppResult<Held> {
    Ok(match e.state {
        StashState::Running => Held::Running,
        StashState::Done => Held::Done(serde_json::from_str(&e.detail).map_err(corrupt)?),
        StashState::Pending => {
            let d: PendingDetail = serde_json::from_str(&e.detail).map_err(corrupt)?;
            let mut rest = e.files.as_slice();
            let mut files = vec![];
            for (name, len) in d.files {
                let (bytes, tail) = rest.split_at_checked(len).ok_or_else(|| corrupt("files cut short"))?;
                files.push(Upload { name, bytes: bytes.to_vec() });
                rest = tail;
            }
            Held::Pending { files, req: d.options }
        }
    })
}

/// Uploads awaiting their confirm, and the results of confirmed ones, kept
/// by the store so that any server process can answer for them.
struct Stash<'a> {
    app: &'a App,
    user: UserId,
}

impl Stash<'_> {
    /// Entries created at or before this have expired.
    fn live_after(&self) -> jiff::Timestamp {
        let ttl = jiff::SignedDuration::try_from(STASH_TTL).unwrap_or(jiff::SignedDuration::MAX);
        self.app.clock.now().checked_sub(ttl).unwrap_or(jiff::Timestamp::MIN)
    }

    /// Keeps `files` for the user and returns the id to confirm them by.
    fn put(&self, book: BookId, files: Vec<Upload>, req: ImportRequest) -> AppResult<Result<uuid::Uuid, ApiError>> {
        let mut random = [0u8; 16];
        kassa_app::clock::random_bytes(&mut random).map_err(|e| AppError::Internal(e.to_string()))?;
        let id = uuid::Builder::from_random_bytes(random).into_uuid();
        let detail = pending_detail(&files, &req)?;
        let entry = StashEntry {
            id,
            user: self.user,
            book,
            created_at: self.app.clock.now(),
            state: StashState::Pending,
            files: files.into_iter().flat_map(|f| f.bytes).collect(),
            detail,
        };
        let bounds = StashBounds {
            live_after: self.live_after(),
            per_user: PER_USER,
            per_user_bytes: PER_USER_BYTES,
            max_bytes: STASH_LIMIT,
        };
        match self.app.store.stash_put(&entry, &bounds)? {
            StashPut::Stored => Ok(Ok(id)),
            StashPut::UserFull => Ok(Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "previews_full",
                format!(
                    "Your uploads awaiting confirmation hold more than {} MiB with this one; confirm or cancel one first.",
                    PER_USER_BYTES >> 20
                ),
            ))),
            StashPut::Full => Ok(Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "The server holds too many uploads awaiting confirmation; try again in a few minutes.",
            ))),
        }
    }

    /// The entry `id`, if it is the user's and has not expired.
    fn get(&self, id: uuid::Uuid) -> AppResult<Option<(BookId, Held)>> {
        let Some(e) = self.app.store.stash_get(id, self.user, self.live_after())? else { return Ok(None) };
        Ok(Some((e.book, held(e)?)))
    }

    /// Moves the entry from `from` to `to`; `false` when it was not in `from`.
    fn shift(&self, id: uuid::Uuid, (from, to): (StashState, StashState), detail: &str) -> AppResult<bool> {
        let change = StashMove { id, user: self.user, live_after: self.live_after(), from, to };
        Ok(self.app.store.stash_move(&change, detail)?)
    }

    /// New options for a pending entry; `false` when there is none (it
    /// expired, or a confirm took it).
    fn reoption(&self, id: uuid::Uuid, new: ImportRequest) -> AppResult<bool> {
        let Some((_, Held::Pending { files, .. })) = self.get(id)? else { return Ok(false) };
        self.shift(id, (StashState::Pending, StashState::Pending), &pending_detail(&files, &new)?)
    }

    /// Marks a pending entry as running and hands out its files: the one
    /// step a confirm takes, so a second confirm finds nothing to run.
    fn start(&self, id: uuid::Uuid) -> AppResult<Option<(BookId, Vec<Upload>, ImportRequest)>> {
        let Some((book, Held::Pending { files, req })) = self.get(id)? else { return Ok(None) };
        let started = self.shift(id, (StashState::Pending, StashState::Running), &pending_detail(&files, &req)?)?;
        Ok(started.then_some((book, files, req)))
    }

    /// A running entry's outcome: its result, or its files back for another try.
    fn finish(&self, id: uuid::Uuid, outcome: &AppResult<Vec<ImportView>>, files: &[Upload], req: &ImportRequest) {
        let moved = match outcome {
            Ok(views) => serde_json::to_string(views)
                .map_err(corrupt)
                .and_then(|d| self.shift(id, (StashState::Running, StashState::Done), &d)),
            Err(_) => {
                pending_detail(files, req).and_then(|d| self.shift(id, (StashState::Running, StashState::Pending), &d))
            }
        };
        if let Err(e) = moved {
            tracing::warn!(?e, "could not record the import's outcome in the stash");
        }
    }

    fn remove(&self, id: uuid::Uuid) -> AppResult<()> {
        Ok(self.app.store.stash_remove(id, self.user)?)
    }
}

fn gone() -> PageError {
    AppError::NotFound("this upload (it expired after 30 minutes or was imported already; upload it again)".into())
        .into()
}

fn stash_id(s: &str) -> Result<uuid::Uuid, PageError> {
    s.parse().map_err(|_| gone())
}

// --- the options ------------------------------------------------------------------

/// The import options as the forms send them (checkboxes are present or absent).
#[derive(Debug, Default, Deserialize)]
struct OptionsForm {
    account: Option<String>,
    format: Option<String>,
    profile: Option<String>,
    create_accounts: Option<String>,
    skip_bad_rows: Option<String>,
}

impl OptionsForm {
    fn set(&mut self, name: &str, value: String) -> Result<(), AppError> {
        let slot = match name {
            "account" => &mut self.account,
            "format" => &mut self.format,
            "profile" => &mut self.profile,
            "create_accounts" => &mut self.create_accounts,
            "skip_bad_rows" => &mut self.skip_bad_rows,
            _ => return Err(AppError::invalid(name, "not a field of the import form")),
        };
        *slot = Some(value);
        Ok(())
    }

    fn request(self) -> ImportRequest {
        let given = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        ImportRequest {
            account: given(self.account),
            format: given(self.format).filter(|f| f != "auto"),
            profile: given(self.profile),
            create_accounts: self.create_accounts.is_some(),
            // The page offers no currency: a file without one names its account.
            currency: None,
            dry_run: false,
            skip_bad_rows: self.skip_bad_rows.is_some(),
        }
    }
}

/// The formats the form offers, as `ImportRequest::format` names them.
const FORMATS: [(&str, &str); 8] = [
    ("auto", "Detect from the content"),
    ("csv", "Bank CSV"),
    ("ofx", "OFX / QFX"),
    ("qif", "QIF"),
    ("camt", "camt.052/053/054 (ISO 20022)"),
    ("mt940", "MT940"),
    ("kassa-csv", "kassa transactions.csv"),
    ("trades", "kassa trades.csv"),
];

/// What the option fields show: the book's accounts and profiles and the
/// values chosen so far.
struct Options {
    accounts: Vec<AccountView>,
    profiles: Vec<ProfileView>,
    formats: [(&'static str, &'static str); 8],
    req: ImportRequest,
}

impl Options {
    fn format(&self) -> &str {
        self.req.format.as_deref().unwrap_or("auto")
    }

    fn account(&self) -> &str {
        self.req.account.as_deref().unwrap_or("")
    }

    fn profile(&self) -> &str {
        self.req.profile.as_deref().unwrap_or("")
    }
}

fn load_options(app: &App, session: &Session, book: BookId, req: ImportRequest) -> AppResult<Options> {
    Ok(Options {
        accounts: app.accounts(&session.actor, book)?,
        profiles: app.import_profiles(&session.actor, book)?,
        formats: FORMATS,
        req,
    })
}

// --- the upload page ------------------------------------------------------------

#[derive(Template)]
#[template(path = "import.html")]
struct UploadPage {
    layout: Layout,
    book: uuid::Uuid,
    can_edit: bool,
    undone: Option<u64>,
    error: Option<String>,
    options: Options,
    /// Newest first.
    batches: Vec<BatchView>,
    upload_mib: usize,
}

#[derive(Debug, Deserialize)]
struct UploadQuery {
    undone: Option<u64>,
}

async fn upload_page(
    State(app): State<App>,
    Extension(limit): Extension<UploadLimit>,
    session: Session,
    Query(q): Query<UploadQuery>,
) -> PageResult {
    show_upload(&app, session, limit, q.undone, None).await
}

async fn show_upload(
    app: &App,
    session: Session,
    limit: UploadLimit,
    undone: Option<u64>,
    error: Option<ApiError>,
) -> PageResult {
    let book = session.book_id()?;
    let s = session.clone();
    let (options, mut batches) = load(app, move |app| {
        Ok((load_options(app, &s, book, ImportRequest::default())?, app.import_batches(&s.actor, book)?))
    })
    .await?;
    batches.reverse();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let mut layout = session.layout("Import", Nav::Import);
    layout.here = "/import".into();
    let page = UploadPage {
        layout,
        book: book.0,
        can_edit: session.can_edit(),
        undone,
        error: error.map(|e| e.message),
        options,
        batches,
        upload_mib: limit.0 >> 20,
    };
    let mut resp = render(&page);
    *resp.status_mut() = status;
    Ok(resp)
}

/// The multipart form: files under `files`, options beside them.
async fn read_form(mut form: Multipart, limit: UploadLimit) -> Result<(Vec<Upload>, ImportRequest), ApiError> {
    let too_big = |e: axum::extract::multipart::MultipartError| {
        let message = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            format!("files: the upload is larger than {} MiB", limit.0 >> 20)
        } else {
            format!("files: {}", e.body_text())
        };
        ApiError::new(e.status(), "invalid_upload", message)
    };
    let mut files = vec![];
    let mut options = OptionsForm::default();
    while let Some(field) = form.next_field().await.map_err(too_big)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "files" {
            let file = field.file_name().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(too_big)?;
            // A browser sends one empty part when no file was chosen.
            if !(file.is_empty() && bytes.is_empty()) {
                files.push(Upload { name: file, bytes: bytes.to_vec() });
            }
        } else {
            let value = field.text().await.map_err(too_big)?;
            options.set(&name, value)?;
        }
    }
    if files.is_empty() {
        return Err(AppError::invalid("files", "choose at least one file").into());
    }
    Ok((files, options.request()))
}

async fn upload(
    State(app): State<App>,
    Extension(limit): Extension<UploadLimit>,
    session: Session,
    form: Multipart,
) -> PageResult {
    let book = session.book_id()?;
    let actor = session.actor;
    // Asked before the body is read: a viewer's upload is not taken in vain.
    load(&app, move |app| app.may_import(&actor, book)).await?;
    match read_form(form, limit).await {
        Ok((files, req)) => {
            let user = session.user.id;
            let id = load(&app, move |app| Stash { app, user }.put(book, files, req)).await??;
            Ok(Redirect::to(&format!("/import/{id}")).into_response())
        }
        Err(e) => show_upload(&app, session, limit, None, Some(e)).await,
    }
}

// --- preview and result -----------------------------------------------------------

/// One file's dry run: what importing it would do, or why it cannot be.
struct FilePreview {
    name: String,
    size: String,
    mapping: Option<MappingView>,
    outcome: Result<ImportView, String>,
}

#[derive(Template)]
#[template(path = "import_preview.html")]
struct PreviewPage {
    layout: Layout,
    id: uuid::Uuid,
    book: String,
    book_id: uuid::Uuid,
    error: Option<String>,
    state: PreviewState,
}

enum PreviewState {
    Preview { files: Vec<FilePreview>, options: Box<Options> },
    Running,
    Done(Vec<ImportView>),
}

fn size(bytes: usize) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1 << 20 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
    }
}

async fn preview(State(app): State<App>, session: Session, Path(id): Path<String>) -> PageResult {
    let id = stash_id(&id)?;
    let (book, held) = stashed(&app, &session, id).await?;
    show_preview(&app, &session, id, book, held, None).await
}

/// The session user's live stash entry `id`, or "gone".
async fn stashed(app: &App, session: &Session, id: uuid::Uuid) -> Result<(BookId, Held), PageError> {
    let user = session.user.id;
    load(app, move |app| Stash { app, user }.get(id)).await?.ok_or_else(gone)
}

async fn show_preview(
    app: &App,
    session: &Session,
    id: uuid::Uuid,
    book: BookId,
    held: Held,
    error: Option<ApiError>,
) -> PageResult {
    let state = match held {
        Held::Running => PreviewState::Running,
        Held::Done(views) => PreviewState::Done(views),
        Held::Pending { files, req } => {
            let s = session.clone();
            load(app, move |app| {
                let dry = ImportRequest { dry_run: true, ..req.clone() };
                let previews = files
                    .iter()
                    .map(|f| {
                        // Each file alone, so one that cannot be read does not hide the others.
                        let outcome = app
                            .import(&s.actor, book, std::slice::from_ref(f), &dry)
                            .map(|mut v| v.remove(0))
                            .map_err(|e| ApiError::from(e).message);
                        let mapping = app.csv_mapping(&s.actor, book, f, &req).ok().flatten();
                        FilePreview { name: f.name.clone(), size: size(f.bytes.len()), mapping, outcome }
                    })
                    .collect();
                Ok(PreviewState::Preview { files: previews, options: Box::new(load_options(app, &s, book, req)?) })
            })
            .await?
        }
    };
    let name = session.books.iter().find(|b| b.id == book.0).map_or_else(String::new, |b| b.name.clone());
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let title = if matches!(state, PreviewState::Done(_)) { "Import result" } else { "Import preview" };
    let mut layout = session.layout(title, Nav::Import);
    layout.here = "/import".into();
    let page = PreviewPage { layout, id, book: name, book_id: book.0, error: error.map(|e| e.message), state };
    let mut resp = render(&page);
    *resp.status_mut() = status;
    Ok(resp)
}

async fn change_options(
    State(app): State<App>,
    session: Session,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<OptionsForm>,
) -> PageResult {
    let id = stash_id(&id)?;
    let user = session.user.id;
    if !load(&app, move |app| Stash { app, user }.reoption(id, f.request())).await? {
        return Err(gone());
    }
    Ok(Redirect::to(&format!("/import/{id}")).into_response())
}

async fn confirm(
    State(app): State<App>,
    Extension(limits): Extension<crate::HttpLimits>,
    held: Option<Extension<crate::http::HeldWrite>>,
    session: Session,
    Path(id): Path<String>,
) -> PageResult {
    let id = stash_id(&id)?;
    let (actor, user) = (session.actor, session.user.id);
    let (book, files, req) = load(&app, move |app| Stash { app, user }.start(id)).await?.ok_or_else(gone)?;
    let real = ImportRequest { dry_run: false, ..req.clone() };
    // A large upload runs as a background job, whose page follows it; the
    // stash learns the outcome from the job, as below.
    let (large, files) = load(&app, move |_| Ok((crate::jobs::large(&files, &limits), files))).await?;
    if large {
        let then: kassa_app::jobs::Then = Box::new(move |app, outcome, files| {
            Stash { app, user }.finish(id, outcome, files, &req);
        });
        let job = crate::jobs::start(&app, actor, book, files, real, held.map(|h| h.0), Some(then)).await?;
        return Ok(Redirect::to(&format!("/import/jobs/{}?upload={id}", job.id)).into_response());
    }
    // The stash learns the outcome on the blocking pool itself: if the
    // request times out first, the import still finishes, and a reload of
    // the preview's URL shows its result instead of "running" forever.
    let done = load(&app, move |app| {
        let outcome = app.import(&actor, book, &files, &real);
        // Nothing was stored on a failure: the files wait for another try.
        Stash { app, user }.finish(id, &outcome, &files, &req);
        outcome.map(|_| ())
    })
    .await;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/import/{id}")).into_response()),
        Err(PageError(e)) => {
            let (_, held) = stashed(&app, &session, id).await?;
            show_preview(&app, &session, id, book, held, Some(e)).await
        }
    }
}

// --- a background import ------------------------------------------------------------

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    layout: Layout,
    job: JobView,
    /// The stash entry the job imports, whose page shows the result.
    upload: Option<uuid::Uuid>,
    /// Percent of the estimated rows read, while it runs.
    percent: u64,
    /// The failure's message.
    error: Option<String>,
}

impl JobPage {
    fn finished(&self) -> bool {
        matches!(self.job.state.as_str(), "done" | "failed")
    }
}

#[derive(Debug, Deserialize)]
struct JobQuery {
    upload: Option<uuid::Uuid>,
}

/// `/import/jobs/{id}`: a background import's state and progress, reloading
/// itself (a meta refresh, no script) until it has ended, then a link to
/// its result. Only its owner sees it.
async fn job_page(
    State(app): State<App>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<JobQuery>,
) -> PageResult {
    let id: uuid::Uuid = id.parse().map_err(|_| PageError::from(AppError::NotFound("job".into())))?;
    let actor = session.actor;
    let job = load(&app, move |app| app.job(&actor, id)).await?;
    let percent = match job.rows_total {
        Some(t) if t > 0 => (job.rows_done * 100 / t).min(99),
        _ => 0,
    };
    let error = job.error.as_ref().and_then(|e| e["message"].as_str()).map(str::to_string);
    let mut layout = session.layout("Import job", Nav::Import);
    layout.here = "/import".into();
    Ok(render(&JobPage { layout, job, upload: q.upload, percent, error }))
}

async fn cancel(State(app): State<App>, session: Session, Path(id): Path<String>) -> PageResult {
    let (id, user) = (stash_id(&id)?, session.user.id);
    load(&app, move |app| Stash { app, user }.remove(id)).await?;
    Ok(Redirect::to("/import").into_response())
}

async fn undo(
    State(app): State<App>,
    Extension(limit): Extension<UploadLimit>,
    session: Session,
    Path(batch): Path<String>,
) -> PageResult {
    let book = session.book_id()?;
    let batch: BatchId = batch.parse().map_err(|_| PageError::from(AppError::NotFound("batch".into())))?;
    let actor = session.actor;
    match load(&app, move |app| app.undo_import(&actor, book, batch)).await {
        Ok(u) => Ok(Redirect::to(&format!("/import?book={}&undone={}", book.0, u.deleted)).into_response()),
        Err(PageError(e)) => show_upload(&app, session, limit, None, Some(e)).await,
    }
}
