//! The `/api/v1` resources: one small handler per operation, each taking
//! its input apart, calling the application layer in `spawn_blocking` (the
//! store is synchronous) and shaping the reply. The route table is the
//! OpenAPI document: `utoipa_axum::routes!` registers a handler and its
//! documentation together, so an undocumented route cannot exist.

// utoipa's `params(…)` expansion spells the IntoParams types out in full.
#![allow(unused_qualifications)]

use crate::client::Client;
use axum::extract::{FromRequest, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kassa_core::{AccountId, BatchId, BookId, OrgId, ReviewId, TxId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::{ApiError, ErrorBody};
use kassa_app::books::*;
use kassa_app::buckets::{AddBucket, BucketQuery, BucketView, MoveBucket};
use kassa_app::budgets::{BudgetEdit, BudgetView, SetBudget, parse_month};
use kassa_app::categorize::Change;
use kassa_app::goals::{AddGoal, GoalQuery, GoalView};
use kassa_app::imports::*;
use kassa_app::loans::{LoanQuery, LoanView, RecordLoan};
use kassa_app::orgs::*;
use kassa_app::portfolio::{HoldingRow, LotRow, PerformanceRow, PortfolioParams, SaleRow};
use kassa_app::recurring::{Mark, RecurringQuery, RecurringView, RenameRecurring};
use kassa_app::reports::{ReportQuery, ReportRows};
use kassa_app::{Actor, App, AppError, AppResult};

/// JSON bodies whose rejections come out as our error format.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Body<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Ids<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Params<T>(pub T);

/// The authenticated caller: a bearer token, or the session cookie the web uses.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Actor);

pub const SESSION_COOKIE: &str = "kassa_session";

pub fn credential(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return v.strip_prefix("Bearer ").map(|t| t.trim().to_string());
    }
    let cookies = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok());
    cookies.flat_map(|c| c.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == SESSION_COOKIE).then(|| v.to_string())
    })
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Caller, ApiError> {
        let Some(secret) = credential(&parts.headers) else {
            return Err(AppError::Unauthorized("missing credentials: send Authorization: Bearer <token>".into()).into());
        };
        let actor = match app.authenticate_remembered(&secret) {
            Some(remembered) => remembered?,
            None => blocking(app, move |app| app.authenticate(&secret)).await?,
        };
        Ok(Caller(actor))
    }
}

/// Runs a use case on the blocking pool: the store is synchronous (ADR 001).
pub async fn blocking<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&App) -> AppResult<T> + Send + 'static,
) -> Result<T, ApiError> {
    // Under an Idempotency-Key, the use case's first write claims the key.
    let app = crate::http::CLAIM.try_with(|claim| app.with_claim(claim.clone())).unwrap_or_else(|_| app.clone());
    off_thread(move || f(&app)).await
}

/// Runs `f` on the blocking pool, cancellable: when the returned future is
/// dropped before `f` ends (the request's timeout fired, the client went
/// away), `f`'s parsing stops at its next look at the flag
/// (`kassa_app::work::cancellable`) instead of running on for minutes on a
/// thread nobody waits for (issue 14).
pub async fn off_thread<T: Send + 'static>(f: impl FnOnce() -> AppResult<T> + Send + 'static) -> Result<T, ApiError> {
    let cancel = CancelOnDrop(Arc::new(AtomicBool::new(false)));
    let flag = cancel.0.clone();
    let task = tokio::task::spawn_blocking(move || kassa_app::work::cancellable(&flag, f));
    match task.await {
        Ok(Ok(r)) => r.map_err(ApiError::from),
        Ok(Err(cancelled)) => Err(AppError::Internal(cancelled.to_string()).into()),
        Err(e) => Err(AppError::Internal(format!("task failed: {e}")).into()),
    }
}

/// Sets its flag when dropped: the future holding it went away.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A JSON reply. Unlike `axum::Json`, it serialises into a plain `Vec`:
/// axum's `BytesMut` writer costs ~45 instructions per write call, about
/// 0.36 M of them on a register page of 100 rows (docs/BENCHMARKS.md).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match JsonBytes::of(&self.0, 128) {
            Ok(bytes) => bytes.into_response(),
            Err(e) => ApiError::from(e).into_response(),
        }
    }
}

/// A reply serialised where it was made: on the blocking thread that read
/// it, so its rows are allocated and freed on one thread, and the async
/// workers only move bytes.
#[derive(Debug)]
pub struct JsonBytes(Vec<u8>);

impl JsonBytes {
    /// `capacity`: a guess at the size, so that the buffer is not grown
    /// (and copied) a dozen times on a large reply.
    fn of<T: Serialize>(value: &T, capacity: usize) -> AppResult<JsonBytes> {
        let mut out = Vec::with_capacity(capacity);
        serde_json::to_writer(&mut out, value)
            .map_err(|e| AppError::Internal(format!("serialising the reply: {e}")))?;
        Ok(JsonBytes(out))
    }
}

impl IntoResponse for JsonBytes {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], self.0).into_response()
    }
}

type Reply<T> = Result<Json<T>, ApiError>;
type Created<T> = Result<(StatusCode, Json<T>), ApiError>;

fn created<T>(t: T) -> (StatusCode, Json<T>) {
    (StatusCode::CREATED, Json(t))
}

// ---------------------------------------------------------------- auth

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    /// RFC 3339
    pub expires_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    /// Required under the `invite` policy
    #[serde(default)]
    pub invite: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub platform_admin: bool,
    pub disabled: bool,
}

impl From<kassa_app::UserRow> for UserView {
    fn from(u: kassa_app::UserRow) -> UserView {
        UserView { id: u.id.0, email: u.email, platform_admin: u.platform_admin, disabled: u.disabled }
    }
}

/// Log in: a token for the API, also set as an HttpOnly session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(State(app): State<App>, client: Client, Body(req): Body<LoginRequest>) -> Result<Response, ApiError> {
    let address = client.ip.to_string();
    let t = blocking(&app, move |app| app.login(&req.email, &req.password, &address)).await?;
    let max_age = app.config.token_ttl.as_secs();
    let cookie = crate::web::session_cookie(&t.token, max_age, client.secure);
    let body = TokenResponse { token: t.token, expires_at: t.expires_at.to_string() };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Log out: revokes the token the request came with.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204)))]
async fn logout(State(app): State<App>, client: Client, Caller(actor): Caller) -> Result<Response, ApiError> {
    blocking(&app, move |app| app.logout(&actor)).await?;
    let clear = crate::web::session_cookie("", 0, client.secure);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// Register under the server's policy (open, invite or closed).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = UserView)))]
async fn register(State(app): State<App>, Body(req): Body<RegisterRequest>) -> Created<UserView> {
    let u = blocking(&app, move |app| app.register(&req.email, &req.password, req.invite.as_deref())).await?;
    Ok(created(u.into()))
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserView)))]
async fn me(State(app): State<App>, Caller(actor): Caller) -> Reply<UserView> {
    Ok(Json(blocking(&app, move |app| app.me(&actor)).await?.into()))
}

// ---------------------------------------------------------------- admin

/// An invitation code for registration (platform admins).
#[utoipa::path(post, path = "/api/v1/admin/invites", tag = "admin", security(("bearer" = [])),
    responses((status = 201, body = TokenResponse)))]
async fn invite(State(app): State<App>, Caller(actor): Caller) -> Created<TokenResponse> {
    let t = blocking(&app, move |app| app.invite(&actor)).await?;
    Ok(created(TokenResponse { token: t.token, expires_at: t.expires_at.to_string() }))
}

/// Cross-tenant aggregates (platform admins): never a single transaction.
#[utoipa::path(get, path = "/api/v1/admin/overview", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Overview)))]
async fn overview(State(app): State<App>, Caller(actor): Caller) -> Reply<Overview> {
    Ok(Json(blocking(&app, move |app| app.overview(&actor)).await?))
}

// ---------------------------------------------------------------- books

#[utoipa::path(get, path = "/api/v1/books", tag = "books", security(("bearer" = [])),
    responses((status = 200, body = [BookView])))]
async fn list_books(State(app): State<App>, Caller(actor): Caller) -> Reply<Vec<BookView>> {
    Ok(Json(blocking(&app, move |app| app.list_books(&actor)).await?))
}

#[utoipa::path(post, path = "/api/v1/books", tag = "books", security(("bearer" = [])), request_body = CreateBook,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create")),
    responses((status = 201, body = BookView)))]
async fn create_book(State(app): State<App>, Caller(actor): Caller, Body(req): Body<CreateBook>) -> Created<BookView> {
    Ok(created(blocking(&app, move |app| app.create_book(&actor, &req)).await?))
}

#[utoipa::path(get, path = "/api/v1/books/{book}", tag = "books", security(("bearer" = [])),
    params(("book" = Uuid, Path)), responses((status = 200, body = BookView)))]
async fn get_book(State(app): State<App>, Caller(actor): Caller, Ids(book): Ids<Uuid>) -> Reply<BookView> {
    Ok(Json(blocking(&app, move |app| app.book_view(&actor, BookId(book))).await?))
}

#[utoipa::path(patch, path = "/api/v1/books/{book}", tag = "books", security(("bearer" = [])),
    params(("book" = Uuid, Path)), request_body = PatchBook, responses((status = 200, body = BookView)))]
async fn patch_book(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Body(req): Body<PatchBook>,
) -> Reply<BookView> {
    Ok(Json(blocking(&app, move |app| app.rename_book(&actor, BookId(book), &req)).await?))
}

/// Closes the book; its events stay in the log.
#[utoipa::path(delete, path = "/api/v1/books/{book}", tag = "books", security(("bearer" = [])),
    params(("book" = Uuid, Path)), responses((status = 204)))]
async fn delete_book(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
) -> Result<StatusCode, ApiError> {
    blocking(&app, move |app| app.close_book(&actor, BookId(book))).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- accounts

#[utoipa::path(get, path = "/api/v1/books/{book}/accounts", tag = "accounts", security(("bearer" = [])),
    params(("book" = Uuid, Path)), responses((status = 200, body = [AccountView])))]
async fn list_accounts(State(app): State<App>, Caller(actor): Caller, Ids(book): Ids<Uuid>) -> Reply<Vec<AccountView>> {
    Ok(Json(blocking(&app, move |app| app.accounts(&actor, BookId(book))).await?))
}

#[utoipa::path(post, path = "/api/v1/books/{book}/accounts", tag = "accounts", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create")),
    request_body = CreateAccount, responses((status = 201, body = AccountView)))]
async fn create_account(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Body(req): Body<CreateAccount>,
) -> Created<AccountView> {
    Ok(created(blocking(&app, move |app| app.create_account(&actor, BookId(book), &req)).await?))
}

#[utoipa::path(get, path = "/api/v1/books/{book}/accounts/{id}", tag = "accounts", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("id" = Uuid, Path)), responses((status = 200, body = AccountView)))]
async fn get_account(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, id)): Ids<(Uuid, Uuid)>,
) -> Reply<AccountView> {
    Ok(Json(blocking(&app, move |app| app.account(&actor, BookId(book), AccountId(id))).await?))
}

#[utoipa::path(patch, path = "/api/v1/books/{book}/accounts/{id}", tag = "accounts", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("id" = Uuid, Path)), request_body = PatchAccount,
    responses((status = 200, body = AccountView)))]
async fn patch_account(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, id)): Ids<(Uuid, Uuid)>,
    Body(req): Body<PatchAccount>,
) -> Reply<AccountView> {
    Ok(Json(blocking(&app, move |app| app.rename_account(&actor, BookId(book), AccountId(id), &req)).await?))
}

// ---------------------------------------------------------------- transactions

#[utoipa::path(get, path = "/api/v1/books/{book}/transactions", tag = "transactions", security(("bearer" = [])),
    params(("book" = Uuid, Path), TxQuery), responses((status = 200, body = TxPage)))]
async fn list_transactions(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Params(q): Params<TxQuery>,
) -> Result<JsonBytes, ApiError> {
    blocking(&app, move |app| {
        let page = app.transactions(&actor, BookId(book), &q)?;
        // A row is ~300 bytes of JSON.
        JsonBytes::of(&page, 256 + 320 * page.items.len())
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/books/{book}/transactions", tag = "transactions", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create")),
    request_body = CreateTransaction, responses((status = 201, body = TxView)))]
async fn create_transaction(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Body(req): Body<CreateTransaction>,
) -> Created<TxView> {
    Ok(created(blocking(&app, move |app| app.create_transaction(&actor, BookId(book), &req)).await?))
}

#[utoipa::path(get, path = "/api/v1/books/{book}/transactions/{id}", tag = "transactions", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("id" = Uuid, Path)), responses((status = 200, body = TxView)))]
async fn get_transaction(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, id)): Ids<(Uuid, Uuid)>,
) -> Reply<TxView> {
    Ok(Json(blocking(&app, move |app| app.transaction(&actor, BookId(book), TxId(id))).await?))
}

/// Recategorise.
#[utoipa::path(patch, path = "/api/v1/books/{book}/transactions/{id}", tag = "transactions", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("id" = Uuid, Path)), request_body = PatchTransaction,
    responses((status = 200, body = TxView)))]
async fn patch_transaction(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, id)): Ids<(Uuid, Uuid)>,
    Body(req): Body<PatchTransaction>,
) -> Reply<TxView> {
    Ok(Json(blocking(&app, move |app| app.recategorize(&actor, BookId(book), TxId(id), &req)).await?))
}

#[utoipa::path(delete, path = "/api/v1/books/{book}/transactions/{id}", tag = "transactions", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("id" = Uuid, Path)), responses((status = 204)))]
async fn delete_transaction(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, id)): Ids<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    blocking(&app, move |app| app.delete_transaction(&actor, BookId(book), TxId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/books/{book}/transfers", tag = "transactions", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create")),
    request_body = CreateTransfer, responses((status = 201, body = TxView)))]
async fn create_transfer(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Body(req): Body<CreateTransfer>,
) -> Created<TxView> {
    Ok(created(blocking(&app, move |app| app.transfer(&actor, BookId(book), &req)).await?))
}

// ---------------------------------------------------------------- categories

#[utoipa::path(get, path = "/api/v1/books/{book}/categories", tag = "categories", security(("bearer" = [])),
    params(("book" = Uuid, Path)), responses((status = 200, body = [CategoryView])))]
async fn list_categories(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
) -> Reply<Vec<CategoryView>> {
    Ok(Json(blocking(&app, move |app| app.categories(&actor, BookId(book))).await?))
}

#[utoipa::path(post, path = "/api/v1/books/{book}/categories", tag = "categories", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create")),
    request_body = CreateCategory, responses((status = 201, body = CategoryView)))]
async fn create_category(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Body(req): Body<CreateCategory>,
) -> Created<CategoryView> {
    Ok(created(blocking(&app, move |app| app.create_category(&actor, BookId(book), &req)).await?))
}

// ---------------------------------------------------------------- members

#[utoipa::path(get, path = "/api/v1/books/{book}/members", tag = "members", security(("bearer" = [])),
    params(("book" = Uuid, Path)), responses((status = 200, body = [MemberView])))]
async fn list_members(State(app): State<App>, Caller(actor): Caller, Ids(book): Ids<Uuid>) -> Reply<Vec<MemberView>> {
    Ok(Json(blocking(&app, move |app| app.members(&actor, BookId(book))).await?))
}

/// Grant a role (replacing the principal's earlier one).
#[utoipa::path(post, path = "/api/v1/books/{book}/members", tag = "members", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create")),
    request_body = AddMember, responses((status = 201, body = [MemberView])))]
async fn add_member(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Body(req): Body<AddMember>,
) -> Created<Vec<MemberView>> {
    Ok(created(blocking(&app, move |app| app.add_member(&actor, BookId(book), &req)).await?))
}

/// Revoke the role of a user or organisation (by its id).
#[utoipa::path(delete, path = "/api/v1/books/{book}/members/{member}", tag = "members", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("member" = Uuid, Path)), responses((status = 204)))]
async fn remove_member(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, member)): Ids<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    blocking(&app, move |app| app.remove_member(&actor, BookId(book), member)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- organisations

#[utoipa::path(get, path = "/api/v1/orgs", tag = "organisations", security(("bearer" = [])),
    responses((status = 200, body = [OrgView])))]
async fn list_orgs(State(app): State<App>, Caller(actor): Caller) -> Reply<Vec<OrgView>> {
    Ok(Json(blocking(&app, move |app| app.orgs(&actor)).await?))
}

#[utoipa::path(post, path = "/api/v1/orgs", tag = "organisations", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create")),
    request_body = CreateOrg, responses((status = 201, body = OrgView)))]
async fn create_org(State(app): State<App>, Caller(actor): Caller, Body(req): Body<CreateOrg>) -> Created<OrgView> {
    Ok(created(blocking(&app, move |app| app.create_org(&actor, &req)).await?))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/members", tag = "organisations", security(("bearer" = [])),
    params(("org" = Uuid, Path)), responses((status = 200, body = [OrgMemberView])))]
async fn list_org_members(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(org): Ids<Uuid>,
) -> Reply<Vec<OrgMemberView>> {
    Ok(Json(blocking(&app, move |app| app.org_members(&actor, OrgId(org))).await?))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org}/members", tag = "organisations", security(("bearer" = [])),
    params(("org" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create")),
    request_body = AddOrgMember, responses((status = 201, body = [OrgMemberView])))]
async fn add_org_member(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(org): Ids<Uuid>,
    Body(req): Body<AddOrgMember>,
) -> Created<Vec<OrgMemberView>> {
    Ok(created(blocking(&app, move |app| app.add_org_member(&actor, OrgId(org), &req)).await?))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org}/members/{user}", tag = "organisations", security(("bearer" = [])),
    params(("org" = Uuid, Path), ("user" = Uuid, Path)), responses((status = 204)))]
async fn remove_org_member(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((org, user)): Ids<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    blocking(&app, move |app| app.remove_org_member(&actor, OrgId(org), user)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- events

/// The audit trail: events of the books the caller may read (a platform
/// admin: every stream), newest first, each with a readable diff.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", security(("bearer" = [])),
    params(kassa_app::events::EventFilter), responses((status = 200, body = kassa_app::events::EventPage)))]
async fn events(
    State(app): State<App>,
    Caller(actor): Caller,
    Params(q): Params<kassa_app::events::EventFilter>,
) -> Reply<kassa_app::events::EventPage> {
    Ok(Json(blocking(&app, move |app| app.events(&actor, &q)).await?))
}

// ---------------------------------------------------------------- imports

/// The upload route, as the router matches it (the idempotency middleware
/// buffers its bodies up to `HttpLimits::upload_limit`).
pub const UPLOAD_PATH: &str = "/api/v1/books/{book}/imports";

/// A multipart upload whose rejections come out as our error format.
#[derive(Debug)]
pub struct Form(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Form, ApiError> {
        Ok(Form(axum::extract::Multipart::from_request(req, state).await?))
    }
}

/// The form of `POST /imports`, for the document; the handler reads the parts.
#[derive(Debug, ToSchema)]
pub struct ImportForm {
    /// A bank file (CSV, OFX/QFX, QIF, camt.05x, MT940, kassa CSV); repeat the part for several
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
    /// Put every row on this account (by name)
    #[schema(required = false)]
    pub account: String,
    /// auto (default), csv, ofx, qif, camt, mt940, kassa-csv, trades or broker
    #[schema(required = false)]
    pub format: String,
    /// A CSV profile by name (saved in the book, or built in)
    #[schema(required = false)]
    pub profile: String,
    /// Open accounts the file names that the book lacks
    #[schema(required = false)]
    pub create_accounts: bool,
    /// ISO 4217 currency of the rows and new accounts of a file that gives none
    #[schema(required = false)]
    pub currency: String,
    /// Preview: report what would happen, store nothing (200 instead of 201)
    #[schema(required = false)]
    pub dry_run: bool,
    /// Store the good rows of a file with bad ones
    #[schema(required = false)]
    pub skip_bad_rows: bool,
}

fn flag(field: &str, value: &str) -> AppResult<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "0" | "off" | "no" => Ok(false),
        "true" | "1" | "on" | "yes" => Ok(true),
        _ => Err(AppError::invalid(field, "expected true or false")),
    }
}

/// Upload bank files: each becomes one import batch, with the same engine and
/// summary as `kassa import`. A bad row fails the file with 422 naming file,
/// line and field, and nothing is stored (unless `skip_bad_rows`). A large
/// upload, or one sent with `Prefer: respond-async`, runs as a background
/// job: 202 with the job and its `Location` (`GET /api/v1/jobs/{id}`).
#[utoipa::path(post, path = "/api/v1/books/{book}/imports", tag = "imports", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create")),
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses((status = 201, body = [ImportView], description = "Imported"),
        (status = 200, body = [ImportView], description = "Dry run: what would happen"),
        (status = 202, body = kassa_app::jobs::JobView, description = "Running as a background job")))]
#[allow(clippy::too_many_arguments)]
async fn upload_imports(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    axum::Extension(limits): axum::Extension<crate::HttpLimits>,
    held: Option<axum::Extension<crate::http::HeldWrite>>,
    headers: HeaderMap,
    Form(mut form): Form,
) -> Result<Response, ApiError> {
    let book = BookId(book);
    // Refuse before reading a large body the caller may not send here.
    blocking(&app, move |app| app.may_import(&actor, book)).await?;
    let mut files = vec![];
    let mut req = ImportRequest::default();
    while let Some(field) = form.next_field().await? {
        let part = field.name().unwrap_or_default().to_string();
        if part == "file" {
            let name = field.file_name().unwrap_or_default().to_string();
            files.push(Upload { name, bytes: field.bytes().await?.into() });
            continue;
        }
        let value = field.text().await?;
        match part.as_str() {
            "account" => req.account = Some(value),
            "format" => req.format = Some(value),
            "profile" => req.profile = Some(value),
            "create_accounts" => req.create_accounts = flag(&part, &value)?,
            "currency" => req.currency = Some(value),
            "dry_run" => req.dry_run = flag(&part, &value)?,
            "skip_bad_rows" => req.skip_bad_rows = flag(&part, &value)?,
            _ => return Err(AppError::invalid(&part, "not a field of an import").into()),
        }
    }
    let status = if req.dry_run { StatusCode::OK } else { StatusCode::CREATED };
    let held = held.map(|h| h.0);
    let files =
        match crate::jobs::job_or_inline(&app, (actor, book), files, req.clone(), &headers, &limits, held).await? {
            crate::jobs::Uploaded::Job(accepted) => return Ok(accepted),
            crate::jobs::Uploaded::Inline(files) => files,
        };
    let reports = blocking(&app, move |app| app.import(&actor, book, &files, &req)).await?;
    Ok((status, Json(reports)).into_response())
}

/// The book's import batches, oldest first.
#[utoipa::path(get, path = "/api/v1/books/{book}/imports", tag = "imports", security(("bearer" = [])),
    params(("book" = Uuid, Path)), responses((status = 200, body = [BatchView])))]
async fn list_imports(State(app): State<App>, Caller(actor): Caller, Ids(book): Ids<Uuid>) -> Reply<Vec<BatchView>> {
    Ok(Json(blocking(&app, move |app| app.import_batches(&actor, BookId(book))).await?))
}

/// Delete exactly the transactions a batch recorded.
#[utoipa::path(post, path = "/api/v1/books/{book}/imports/{id}/undo", tag = "imports", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("id" = Uuid, Path)), responses((status = 200, body = UndoView)))]
async fn undo_import(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, id)): Ids<(Uuid, Uuid)>,
) -> Reply<UndoView> {
    Ok(Json(blocking(&app, move |app| app.undo_import(&actor, BookId(book), BatchId(id))).await?))
}

/// Rows held for review: possible duplicates, pending postings, proposed transfers.
#[utoipa::path(get, path = "/api/v1/books/{book}/imports/review", tag = "imports", security(("bearer" = [])),
    params(("book" = Uuid, Path)), responses((status = 200, body = [ReviewView])))]
async fn list_reviews(State(app): State<App>, Caller(actor): Caller, Ids(book): Ids<Uuid>) -> Reply<Vec<ReviewView>> {
    Ok(Json(blocking(&app, move |app| app.import_reviews(&actor, BookId(book))).await?))
}

/// Settle a review item: accept it as a new transaction, or mark it a duplicate.
#[utoipa::path(post, path = "/api/v1/books/{book}/imports/review/{id}", tag = "imports", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("id" = Uuid, Path)), request_body = ResolveReview,
    responses((status = 200, body = ResolvedView)))]
async fn resolve_review(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, id)): Ids<(Uuid, Uuid)>,
    Body(req): Body<ResolveReview>,
) -> Reply<ResolvedView> {
    Ok(Json(blocking(&app, move |app| app.resolve_review(&actor, BookId(book), ReviewId(id), &req)).await?))
}

// ---------------------------------------------------------------- reports

/// A report: its name and its rows, whose fields depend on the report.
#[derive(Debug, ToSchema)]
pub struct ReportBody {
    /// The report's name
    pub report: String,
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// A report: balances, networth, monthly, yearly, history, cashflow, sankey,
/// top or trends. A parameter the report does not take is refused (422).
#[utoipa::path(get, path = "/api/v1/books/{book}/reports/{name}", tag = "reports", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("name" = String, Path, description = "The report",
        example = "monthly", pattern = "^(balances|networth|monthly|yearly|history|cashflow|sankey|top|trends)$"),
        ReportQuery),
    responses((status = 200, body = ReportBody)))]
async fn report(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, name)): Ids<(Uuid, String)>,
    Params(q): Params<ReportQuery>,
) -> Reply<ReportRows> {
    Ok(Json(blocking(&app, move |app| app.report(&actor, BookId(book), &q.parse(&name)?)).await?))
}

// ---------------------------------------------------------------- budgets

/// A month's envelope budget (viewers and up): to budget, and each
/// envelope's budget, spending (negative), carry-in and what is available.
#[utoipa::path(get, path = "/api/v1/books/{book}/budgets/{month}", tag = "budgets", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("month" = String, Path, description = "YYYY-MM", example = "2025-03")),
    responses((status = 200, body = BudgetView)))]
async fn get_budget(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, month)): Ids<(Uuid, String)>,
) -> Reply<BudgetView> {
    Ok(Json(blocking(&app, move |app| app.budget(&actor, BookId(book), parse_month("month", &month)?)).await?))
}

/// Budget one category for the month (through a later one); editors and
/// owners. Replies with the month's budget after it.
#[utoipa::path(put, path = "/api/v1/books/{book}/budgets/{month}", tag = "budgets", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("month" = String, Path, description = "YYYY-MM", example = "2025-03")),
    request_body = SetBudget, responses((status = 200, body = BudgetView)))]
async fn put_budget(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, month)): Ids<(Uuid, String)>,
    Body(req): Body<SetBudget>,
) -> Reply<BudgetView> {
    Ok(Json(
        blocking(&app, move |app| {
            app.edit_budget(&actor, BookId(book), parse_month("month", &month)?, &BudgetEdit::from(req))
        })
        .await?,
    ))
}

/// Any budget edit of the month (`action`: set, carryover, move, hold,
/// copy, fill, mode); editors and owners. Replies with the month's budget.
#[utoipa::path(post, path = "/api/v1/books/{book}/budgets/{month}/edits", tag = "budgets", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("month" = String, Path, description = "YYYY-MM", example = "2025-03")),
    // An explicit example: schemathesis (4.x) crashes synthesising one for
    // this tagged union in its examples phase.
    request_body(content = BudgetEdit, example = json!({"action": "hold", "amount": "50.00"})),
    responses((status = 200, body = BudgetView)))]
async fn edit_budget(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, month)): Ids<(Uuid, String)>,
    Body(req): Body<BudgetEdit>,
) -> Reply<BudgetView> {
    Ok(Json(
        blocking(&app, move |app| app.edit_budget(&actor, BookId(book), parse_month("month", &month)?, &req)).await?,
    ))
}

// ---------------------------------------------------------------- portfolio

/// Holdings of the book's brokerage accounts at `as_of`: quantity, cost
/// basis, price, market value, unrealized and realized P&L. Viewers and up.
#[utoipa::path(get, path = "/api/v1/books/{book}/portfolio/holdings", tag = "portfolio", security(("bearer" = [])),
    params(("book" = Uuid, Path), PortfolioParams), responses((status = 200, body = Vec<HoldingRow>)))]
async fn portfolio_holdings(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Params(q): Params<PortfolioParams>,
) -> Reply<Vec<HoldingRow>> {
    Ok(Json(blocking(&app, move |app| app.portfolio_holdings(&actor, BookId(book), &q)).await?))
}

/// Every sale up to `as_of` with the lots it consumed. Viewers and up.
#[utoipa::path(get, path = "/api/v1/books/{book}/portfolio/sales", tag = "portfolio", security(("bearer" = [])),
    params(("book" = Uuid, Path), PortfolioParams), responses((status = 200, body = Vec<SaleRow>)))]
async fn portfolio_sales(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Params(q): Params<PortfolioParams>,
) -> Reply<Vec<SaleRow>> {
    Ok(Json(blocking(&app, move |app| app.portfolio_sales(&actor, BookId(book), &q)).await?))
}

/// The open lots at `as_of`. Viewers and up.
#[utoipa::path(get, path = "/api/v1/books/{book}/portfolio/lots", tag = "portfolio", security(("bearer" = [])),
    params(("book" = Uuid, Path), PortfolioParams), responses((status = 200, body = Vec<LotRow>)))]
async fn portfolio_lots(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Params(q): Params<PortfolioParams>,
) -> Reply<Vec<LotRow>> {
    Ok(Json(blocking(&app, move |app| app.portfolio_lots(&actor, BookId(book), &q)).await?))
}

/// Value, invested, time-weighted (TTWROR) and money-weighted (XIRR)
/// return from `from` to `to`, one row per `interval`. Viewers and up.
#[utoipa::path(get, path = "/api/v1/books/{book}/portfolio/performance", tag = "portfolio", security(("bearer" = [])),
    params(("book" = Uuid, Path), PortfolioParams), responses((status = 200, body = Vec<PerformanceRow>)))]
async fn portfolio_performance(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Params(q): Params<PortfolioParams>,
) -> Reply<Vec<PerformanceRow>> {
    Ok(Json(blocking(&app, move |app| app.portfolio_performance(&actor, BookId(book), &q)).await?))
}

// ---------------------------------------------------------------- categoriser

/// What the categoriser proposes for uncategorised transactions — applied
/// (`by: model`) or only suggested — each with its evidence: the
/// confidence against the bar it must clear (per category, higher for a
/// merchant never seen), similar past transactions and the deciding tokens.
/// The same rows as `kassa categorize run --dry-run`. Viewers and up.
#[utoipa::path(get, path = "/api/v1/books/{book}/suggestions", tag = "categorize", security(("bearer" = [])),
    params(("book" = Uuid, Path)), responses((status = 200, body = Vec<Change>)))]
async fn list_suggestions(State(app): State<App>, Caller(actor): Caller, Ids(book): Ids<Uuid>) -> Reply<Vec<Change>> {
    Ok(Json(blocking(&app, move |app| app.suggestions(&actor, BookId(book))).await?))
}

// ---------------------------------------------------------------- recurring

/// Recurring payments and subscriptions found in the book's history;
/// dismissed series are left out. Viewers and up.
#[utoipa::path(get, path = "/api/v1/books/{book}/recurring", tag = "recurring", security(("bearer" = [])),
    params(("book" = Uuid, Path), RecurringQuery), responses((status = 200, body = Vec<RecurringView>)))]
async fn list_recurring(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Params(q): Params<RecurringQuery>,
) -> Reply<Vec<RecurringView>> {
    Ok(Json(blocking(&app, move |app| app.recurring(&actor, BookId(book), q.as_of()?)).await?))
}

/// Confirms a series: it is the user's, not a guess. Editors and owners.
#[utoipa::path(post, path = "/api/v1/books/{book}/recurring/{id}/confirm", tag = "recurring",
    security(("bearer" = [])), params(("book" = Uuid, Path), ("id" = String, Path, description = "Series id, 16 hex digits")),
    responses((status = 200, body = RecurringView)))]
async fn confirm_recurring(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, id)): Ids<(Uuid, String)>,
) -> Reply<RecurringView> {
    Ok(Json(blocking(&app, move |app| app.mark_recurring(&actor, BookId(book), &id, Mark::Confirm)).await?))
}

/// Dismisses a series: it leaves the list, also after re-detection. Editors and owners.
#[utoipa::path(post, path = "/api/v1/books/{book}/recurring/{id}/dismiss", tag = "recurring",
    security(("bearer" = [])), params(("book" = Uuid, Path), ("id" = String, Path, description = "Series id, 16 hex digits")),
    responses((status = 200, body = RecurringView)))]
async fn dismiss_recurring(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, id)): Ids<(Uuid, String)>,
) -> Reply<RecurringView> {
    Ok(Json(blocking(&app, move |app| app.mark_recurring(&actor, BookId(book), &id, Mark::Dismiss)).await?))
}

/// Gives a series the user's own name. Editors and owners.
#[utoipa::path(post, path = "/api/v1/books/{book}/recurring/{id}/rename", tag = "recurring",
    security(("bearer" = [])), params(("book" = Uuid, Path), ("id" = String, Path, description = "Series id, 16 hex digits")),
    request_body = RenameRecurring, responses((status = 200, body = RecurringView)))]
async fn rename_recurring(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, id)): Ids<(Uuid, String)>,
    Body(req): Body<RenameRecurring>,
) -> Reply<RecurringView> {
    Ok(Json(blocking(&app, move |app| app.mark_recurring(&actor, BookId(book), &id, Mark::Rename(req.name))).await?))
}

// ---------------------------------------------------------------- buckets, loans, goals

/// The book's buckets as of `as_of`: percentage, allocated, spent, moved in
/// and out (magnitudes) and balance; Unallocated last. Viewers and up.
#[utoipa::path(get, path = "/api/v1/books/{book}/buckets", tag = "buckets", security(("bearer" = [])),
    params(("book" = Uuid, Path), BucketQuery), responses((status = 200, body = Vec<BucketView>)))]
async fn list_buckets(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Params(q): Params<BucketQuery>,
) -> Reply<Vec<BucketView>> {
    Ok(Json(blocking(&app, move |app| app.buckets(&actor, BookId(book), q.as_of()?)).await?))
}

/// Adds a bucket, or a new percentage for one from a date; percentages in
/// effect may total at most 100. Editors and owners. Replies with the buckets.
#[utoipa::path(post, path = "/api/v1/books/{book}/buckets", tag = "buckets", security(("bearer" = [])),
    params(("book" = Uuid, Path)), request_body = AddBucket, responses((status = 201, body = Vec<BucketView>)))]
async fn add_bucket(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Body(req): Body<AddBucket>,
) -> Created<Vec<BucketView>> {
    Ok(created(blocking(&app, move |app| app.add_bucket(&actor, BookId(book), &req)).await?))
}

/// A neutral move between two buckets. Editors and owners. Replies with the buckets.
#[utoipa::path(post, path = "/api/v1/books/{book}/buckets/moves", tag = "buckets", security(("bearer" = [])),
    params(("book" = Uuid, Path)), request_body = MoveBucket, responses((status = 201, body = Vec<BucketView>)))]
async fn move_bucket(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Body(req): Body<MoveBucket>,
) -> Created<Vec<BucketView>> {
    Ok(created(blocking(&app, move |app| app.move_bucket(&actor, BookId(book), &req)).await?))
}

/// Open loans per counterparty and account: `open` is positive when they
/// owe us, 0 when settled. Viewers and up.
#[utoipa::path(get, path = "/api/v1/books/{book}/loans", tag = "loans", security(("bearer" = [])),
    params(("book" = Uuid, Path), LoanQuery), responses((status = 200, body = Vec<LoanView>)))]
async fn list_loans(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Params(q): Params<LoanQuery>,
) -> Reply<Vec<LoanView>> {
    Ok(Json(blocking(&app, move |app| app.loans(&actor, BookId(book), q.as_of()?)).await?))
}

/// Gives, takes or repays a loan: a neutral transaction on the account.
/// Editors and owners. Replies with the loans.
#[utoipa::path(post, path = "/api/v1/books/{book}/loans", tag = "loans", security(("bearer" = [])),
    params(("book" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create")),
    request_body = RecordLoan, responses((status = 201, body = Vec<LoanView>)))]
async fn record_loan(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Body(req): Body<RecordLoan>,
) -> Created<Vec<LoanView>> {
    Ok(created(blocking(&app, move |app| app.record_loan(&actor, BookId(book), &req)).await?))
}

/// Goals with progress, the monthly amount still needed and the projected
/// date, on `as_of` (default today). Viewers and up.
#[utoipa::path(get, path = "/api/v1/books/{book}/goals", tag = "goals", security(("bearer" = [])),
    params(("book" = Uuid, Path), GoalQuery), responses((status = 200, body = Vec<GoalView>)))]
async fn list_goals(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Params(q): Params<GoalQuery>,
) -> Reply<Vec<GoalView>> {
    Ok(Json(blocking(&app, move |app| app.goals(&actor, BookId(book), q.as_of()?)).await?))
}

/// Sets a goal (the same name again replaces it), linked to accounts or a
/// bucket. Editors and owners. Replies with the goals.
#[utoipa::path(post, path = "/api/v1/books/{book}/goals", tag = "goals", security(("bearer" = [])),
    params(("book" = Uuid, Path)), request_body = AddGoal, responses((status = 201, body = Vec<GoalView>)))]
async fn add_goal(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
    Body(req): Body<AddGoal>,
) -> Created<Vec<GoalView>> {
    Ok(created(blocking(&app, move |app| app.add_goal(&actor, BookId(book), &req)).await?))
}

// ---------------------------------------------------------------- document

#[derive(OpenApi)]
#[openapi(
    info(title = "kassa API", description = "Self-hosted finance: books, accounts, transactions, users and roles."),
    modifiers(&Security),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every operation can answer with the shared error body under these codes;
/// saying so once here keeps each handler's annotation short.
struct Errors;

impl Modify for Errors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let errors = [
            ("400", "Malformed request"),
            ("401", "Missing or invalid credentials"),
            ("403", "The caller's role does not allow this"),
            ("404", "No such resource, or not visible to the caller"),
            ("409", "Conflicts with existing data"),
            ("413", "Body too large"),
            ("415", "Body is not of the documented media type"),
            ("422", "A field is invalid, or the ledger refuses the request"),
            ("429", "Too many attempts"),
        ];
        for item in openapi.paths.paths.values_mut() {
            for op in
                [&mut item.get, &mut item.post, &mut item.patch, &mut item.delete, &mut item.put].into_iter().flatten()
            {
                for (code, description) in errors {
                    op.responses.responses.entry(code.to_string()).or_insert_with(|| {
                        ResponseBuilder::new()
                            .description(description)
                            .content(
                                "application/json",
                                ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                            )
                            .build()
                            .into()
                    });
                }
            }
        }
    }
}

/// The API's routes with their documentation; uploads take bodies up to
/// `upload_limit`.
pub fn routes(upload_limit: usize) -> OpenApiRouter<App> {
    // Uploads get their own body limit instead of the JSON one.
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload_imports, list_imports))
        .layer(axum::extract::DefaultBodyLimit::max(upload_limit));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(register))
        .routes(routes!(me))
        .routes(routes!(invite))
        .routes(routes!(overview))
        .routes(routes!(list_books, create_book))
        .routes(routes!(get_book, patch_book, delete_book))
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(get_account, patch_account))
        .routes(routes!(list_transactions, create_transaction))
        .routes(routes!(get_transaction, patch_transaction, delete_transaction))
        .routes(routes!(create_transfer))
        .routes(routes!(list_categories, create_category))
        .routes(routes!(list_members, add_member))
        .routes(routes!(remove_member))
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(list_org_members, add_org_member))
        .routes(routes!(remove_org_member))
        .routes(routes!(events))
        .merge(uploads)
        .routes(routes!(undo_import))
        .routes(routes!(list_reviews))
        .routes(routes!(resolve_review))
        .routes(routes!(report))
        .routes(routes!(get_budget, put_budget))
        .routes(routes!(edit_budget))
        .routes(routes!(portfolio_holdings))
        .routes(routes!(portfolio_sales))
        .routes(routes!(portfolio_lots))
        .routes(routes!(portfolio_performance))
        .merge(crate::instruments::routes())
        .routes(routes!(list_suggestions))
        .routes(routes!(list_recurring))
        .routes(routes!(confirm_recurring))
        .routes(routes!(dismiss_recurring))
        .routes(routes!(rename_recurring))
        .routes(routes!(list_buckets, add_bucket))
        .routes(routes!(move_bucket))
        .routes(routes!(list_loans, record_loan))
        .routes(routes!(list_goals, add_goal))
        .merge(crate::jobs::routes())
}

/// The router and its OpenAPI document, completed: the shared error
/// responses are added once every route has registered its operations.
pub fn split(upload_limit: usize) -> (axum::Router<App>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = routes(upload_limit).split_for_parts();
    Errors.modify(&mut doc);
    let known = std::sync::Arc::new(query_parameters(&doc));
    let router = router.route_layer(axum::middleware::from_fn(move |req, next| {
        let known = known.clone();
        async move { known_query(&known, req, next).await }
    }));
    (router, doc)
}

/// Each operation's query parameters as the document declares them, by
/// route (axum's matched path is the document's path) and method.
type QueryParameters = std::collections::HashMap<(String, axum::http::Method), Vec<String>>;

fn query_parameters(doc: &utoipa::openapi::OpenApi) -> QueryParameters {
    use axum::http::Method;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::path::ParameterIn;
    let mut out = QueryParameters::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let names = op.parameters.iter().flatten().filter_map(|p| match p {
                RefOr::T(p) if p.parameter_in == ParameterIn::Query => Some(p.name.clone()),
                _ => None,
            });
            out.insert((path.clone(), method), names.collect());
        }
    }
    out
}

/// Names other APIs use for a parameter kassa spells otherwise, for the
/// hint when no known name is spelt alike.
const ALIASES: &[(&str, &str)] = &[
    ("search", "q"),
    ("query", "q"),
    ("text", "q"),
    ("since", "from"),
    ("start", "from"),
    ("until", "to"),
    ("end", "to"),
    ("page", "cursor"),
    ("per_page", "limit"),
];

/// A query parameter the operation does not declare is refused (422, naming
/// it and the nearest one it takes), for every route at once: ignored, a
/// mistyped filter (`?search=` for `?q=`) would quietly return everything.
async fn known_query(known: &QueryParameters, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let route = req.extensions().get::<axum::extract::MatchedPath>().map(|m| m.as_str().to_string());
    let takes = route.and_then(|r| known.get(&(r, req.method().clone())));
    if let (Some(takes), Some(query)) = (takes, req.uri().query()) {
        let unknown = query
            .split('&')
            .map(|kv| kv.split_once('=').map_or(kv, |(k, _)| k))
            .find(|k| !k.is_empty() && !takes.iter().any(|t| t == k));
        if let Some(name) = unknown {
            let alias =
                ALIASES.iter().find(|(a, p)| *a == name && takes.iter().any(|t| t == p)).map(|(_, p)| p.to_string());
            let near = alias.or_else(|| kassa_core::ledger::nearest(name, takes.iter().map(String::as_str)));
            let message = match near {
                Some(n) => format!("unknown parameter {name}; did you mean {n}?"),
                None if takes.is_empty() => format!("unknown parameter {name}; this operation takes none"),
                None => format!("unknown parameter {name}; this operation takes {}", takes.join(", ")),
            };
            let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_parameter", message);
            e.details = serde_json::json!({ "field": name });
            return e.into_response();
        }
    }
    next.run(req).await
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    split(crate::HttpLimits::default().upload_limit).1
}

pub(crate) fn not_found_fallback() -> ApiError {
    ApiError::not_found("route")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14: a request whose timeout fired left its parse running on the
    /// blocking pool. Here the call is dropped while its closure waits, then
    /// the closure parses a 4 MB hostile OFX: it must stop (unwinding, so
    /// `done` is never sent), not run to the end.
    #[tokio::test]
    async fn a_dropped_call_stops_its_parse() {
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<usize>();
        let text = format!("OFXHEADER:100\n\n<OFX><X/>{}>", "<a/>".repeat(1 << 20));
        let call = tokio::spawn(off_thread(move || {
            let _ = started_tx.send(());
            let _ = go_rx.recv();
            let parsed = kassa_import::ofx::parse(text.as_bytes());
            let _ = done_tx.send(parsed.diagnostics.len());
            Ok(())
        }));
        started_rx.await.unwrap();
        call.abort();
        assert!(call.await.unwrap_err().is_cancelled());
        go_tx.send(()).unwrap();
        assert!(done_rx.await.is_err(), "the parse ran to its end after its caller was gone");
    }

    /// The same parse, not dropped, runs to its end.
    #[tokio::test]
    async fn a_call_that_is_awaited_finishes() {
        let text = format!("OFXHEADER:100\n\n<OFX><X/>{}>", "<a/>".repeat(1 << 20));
        let n = off_thread(move || Ok(kassa_import::ofx::parse(text.as_bytes()).rows.len())).await.unwrap();
        assert_eq!(n, 0);
    }
}
