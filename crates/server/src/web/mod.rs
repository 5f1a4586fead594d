//! The web dashboard: server-rendered pages (askama templates under
//! `crates/server/templates`) over the same application layer as the API,
//! so a page can show or do exactly what its user's roles allow there.
//!
//! Pages work without JavaScript; `kassa.js` only adds conveniences
//! (submit on change, select all). Styles, script and charts are served
//! from the binary: a page never names another origin, which the CSP
//! below enforces in the browser.

// `PageError` carries the API's error, JSON details included, and is only
// built on a failure that then renders a page: boxing it would save a copy
// of some hundred bytes on a path that is not hot.
#![allow(clippy::result_large_err)]

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod buckets;
pub mod budgets;
pub mod events;
pub mod goals;
pub mod home;
pub mod import;
pub mod investments;
pub mod recurring;
pub mod reports;
pub mod settings;
pub mod transactions;

use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kassa_app::UserRow;
use kassa_core::BookId;
use serde::Deserialize;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::api::{SESSION_COOKIE, blocking, credential};
use crate::client::Client;
use crate::error::ApiError;
use kassa_app::books::BookView;
use kassa_app::{Actor, App, AppError};

/// The cookie that remembers which book the pages show.
pub const BOOK_COOKIE: &str = "kassa_book";

/// Pages may use their own styles, scripts and inline SVG, nothing else.
const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages; the import page takes uploads up to `upload_limit` bytes.
pub fn routes(upload_limit: usize) -> Router<App> {
    Router::new()
        .route("/static/kassa.css", get(css))
        .route("/static/kassa.js", get(js))
        .route("/static/charts.css", get(chart_css))
        .route("/book", post(switch_book))
        .merge(auth::routes())
        .merge(home::routes())
        .merge(accounts::routes())
        .merge(transactions::routes())
        .merge(settings::routes())
        .merge(import::routes(upload_limit))
        .merge(reports::routes())
        .merge(investments::routes())
        .merge(budgets::routes())
        .merge(buckets::routes())
        .merge(goals::routes())
        .merge(recurring::routes())
        .merge(admin::routes())
        .merge(events::routes())
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        // Pages show balances and transactions: no cache, shared or the
        // browser's, keeps them after the answer (assets set their own).
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", include_str!("../../static/kassa.css"))
}

async fn chart_css() -> Response {
    asset("text/css; charset=utf-8", crate::charts::CHART_CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("../../static/kassa.js"))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// The signed-in person behind a page request, with the books they can
/// open and the one the page is about. Without a valid session the
/// request is answered with a redirect to `/login`.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub user: UserRow,
    pub books: Vec<BookView>,
    /// The chosen book: `?book=` on the URL, else the cookie, else the first.
    pub book: Option<BookView>,
    /// The path and query of this request, for redirects back to it.
    pub here: String,
}

impl Session {
    /// The current book, or the page explaining there is none.
    pub fn book(&self) -> Result<&BookView, PageError> {
        self.book.as_ref().ok_or_else(|| PageError::from(AppError::NotFound("book".into())))
    }

    pub fn book_id(&self) -> Result<BookId, PageError> {
        self.book().map(|b| BookId(b.id))
    }

    /// May the current book be changed (not only read) by this person?
    pub fn can_edit(&self) -> bool {
        self.book.as_ref().is_some_and(|b| b.role == "owner" || b.role == "editor")
    }

    /// The layout's view of this session for a page titled `title`,
    /// with `nav` the navigation entry to mark as current.
    pub fn layout(&self, title: impl Into<String>, nav: Nav) -> Layout {
        Layout {
            title: title.into(),
            nav,
            email: self.user.email.clone(),
            platform_admin: self.actor.platform_admin,
            books: self.books.clone(),
            book: self.book.clone(),
            here: self.here.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct BookParam {
    book: Option<uuid::Uuid>,
}

impl FromRequestParts<App> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Session, Response> {
        let here = parts.uri.path_and_query().map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
        let to_login = || Redirect::to(&format!("/login?next={}", encode(&here))).into_response();
        let Some(secret) = credential(&parts.headers) else { return Err(to_login()) };
        let wanted = axum::extract::Query::<BookParam>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.book)
            .or_else(|| cookie(&parts.headers, BOOK_COOKIE).and_then(|v| v.parse().ok()));
        let loaded = blocking(app, move |app| {
            let actor = app.authenticate(&secret)?;
            let user = app.me(&actor)?;
            let books = app.list_books(&actor)?;
            Ok((actor, user, books))
        })
        .await;
        let (actor, user, books) = match loaded {
            Ok(v) => v,
            Err(e) if e.status == StatusCode::UNAUTHORIZED => return Err(to_login()),
            Err(e) => return Err(PageError(e).into_response()),
        };
        let book = wanted.and_then(|id| books.iter().find(|b| b.id == id)).or_else(|| books.first()).cloned();
        Ok(Session { actor, user, books, book, here })
    }
}

/// One cookie's value from the request.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    let cookies = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok());
    cookies.flat_map(|c| c.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// Percent-encodes a string for a query parameter.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Where a redirect back may lead (after login, a book switch, a form): the
/// one check every such redirect goes through, so a link cannot bounce a
/// user to another site. Only a path on this site is kept — one leading
/// `/` not followed by `/` or `\\`, no `\\` anywhere, and no whitespace or
/// control character, which browsers drop or read as `/` (`/<TAB>/evil.example`
/// is followed as `//evil.example`) and which a `Location` header cannot
/// carry; anything else is `/`.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(p) if is_local_path(p) => p,
        _ => "/",
    }
}

fn is_local_path(p: &str) -> bool {
    let mut chars = p.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !p.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

#[derive(Debug, Deserialize)]
struct SwitchForm {
    book: uuid::Uuid,
    next: Option<String>,
}

/// The book switcher in the header: remembers the choice in a cookie.
async fn switch_book(client: Client, _session: Session, axum::Form(f): axum::Form<SwitchForm>) -> Response {
    let cookie = cookie_text(BOOK_COOKIE, &f.book.to_string(), 31_536_000, client.secure);
    // The chosen book must win over a `?book=` the previous page carried.
    let next = safe_next(f.next.as_deref()).split('?').next().unwrap_or("/").to_string();
    ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
}

/// The navigation entries of the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Home,
    Accounts,
    Transactions,
    Import,
    Reports,
    Investments,
    Budgets,
    Recurring,
    Settings,
    Events,
    Admin,
    None,
}

impl Nav {
    pub const MAIN: [(Nav, &'static str, &'static str); 10] = [
        (Nav::Home, "/", "Home"),
        (Nav::Accounts, "/accounts", "Accounts"),
        (Nav::Transactions, "/transactions", "Transactions"),
        (Nav::Import, "/import", "Import"),
        (Nav::Reports, "/reports", "Reports"),
        (Nav::Investments, "/investments", "Investments"),
        (Nav::Budgets, "/budgets", "Budgets"),
        (Nav::Recurring, "/recurring", "Recurring"),
        (Nav::Settings, "/settings", "Settings"),
        (Nav::Events, "/events", "Events"),
    ];
}

/// The pages behind the top bar's Budgets entry, as tabs on each of them
/// (`_plan.html`): three more entries would wrap the top bar on a phone.
pub const PLAN: [(&str, &str); 3] = [("/budgets", "Budgets"), ("/buckets", "Buckets"), ("/goals", "Goals and loans")];

/// What the layout (`base.html`) shows around every signed-in page.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub nav: Nav,
    pub email: String,
    pub platform_admin: bool,
    pub books: Vec<BookView>,
    pub book: Option<BookView>,
    pub here: String,
}

impl Layout {
    pub fn is_current_book(&self, id: uuid::Uuid) -> bool {
        self.book.as_ref().is_some_and(|b| b.id == id)
    }

    /// Is this page at `path` (whatever its query)?
    pub fn is_at(&self, path: &str) -> bool {
        self.here.split('?').next() == Some(path)
    }
}

/// What a redirect back announces with `?done=CODE`: the fixed text of a
/// known code, never text from the URL.
pub fn notice(notices: &[(&str, &'static str)], done: Option<String>) -> Option<&'static str> {
    done.and_then(|d| notices.iter().find(|(code, _)| *code == d).map(|(_, text)| *text))
}

/// Renders a template as an HTML response.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(e) => PageError(AppError::Internal(format!("template: {e}")).into()).into_response(),
    }
}

pub type PageResult = Result<Response, PageError>;

/// A failed page: the same status and message the API would give, as HTML.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        PageError(e.into())
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        PageError(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status;
        if status.is_server_error() {
            tracing::error!(code = self.0.code, message = %self.0.message, "page failed");
        }
        // A 5xx's cause stays in the log, as with the API.
        let message = if status.is_server_error() { "Something went wrong on our side." } else { &self.0.message };
        let page = ErrorPage { status: status.as_u16(), reason: status.canonical_reason().unwrap_or(""), message };
        let mut resp = render(&page);
        *resp.status_mut() = status;
        resp
    }
}

/// A page that only needs the app: runs `f` on the blocking pool.
pub async fn load<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&App) -> kassa_app::AppResult<T> + Send + 'static,
) -> Result<T, PageError> {
    blocking(app, f).await.map_err(PageError)
}

/// What became of a form's edit ([`submit`]).
#[derive(Debug)]
pub enum Submitted {
    /// Done: the redirect back, with its notice code.
    Done(Response),
    /// Refused as invalid (a 422): the page shows itself again with the
    /// app's message, which names the field; the app stored nothing.
    Refused(PageError),
}

/// Runs a form's `edit` on the session's book: done, it redirects to
/// `back` with the book and `?done=code`; an invalid one is handed back for
/// the page to show; any other failure (not allowed, not found) stays an
/// error page with its status.
pub async fn submit<T: Send + 'static>(
    app: &App,
    session: &Session,
    back: &str,
    code: &str,
    edit: impl FnOnce(&App, &Actor, BookId) -> kassa_app::AppResult<T> + Send + 'static,
) -> Result<Submitted, PageError> {
    let (actor, book) = (session.actor, session.book_id()?);
    match load(app, move |app| edit(app, &actor, book)).await {
        Ok(_) => {
            let sep = if back.contains('?') { '&' } else { '?' };
            Ok(Submitted::Done(Redirect::to(&format!("{back}{sep}book={}&done={code}", book.0)).into_response()))
        }
        Err(e) if e.0.status == StatusCode::UNPROCESSABLE_ENTITY => Ok(Submitted::Refused(e)),
        Err(e) => Err(e),
    }
}

/// The session cookie: HttpOnly, same-site only, `Secure` when the request
/// came over HTTPS (`client::Client`); `max_age` 0 ends it.
pub fn session_cookie(token: &str, max_age: u64, secure: bool) -> String {
    cookie_text(SESSION_COOKIE, token, max_age, secure)
}

/// Every cookie kassa sets is HttpOnly and same-site only.
fn cookie_text(name: &str, value: &str, max_age: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}")
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_origin_paths_are_followed() {
        for kept in ["/", "/reports", "/transactions?book=1&q=a%20b", "/a/b//c", "/%2F%2Fevil.example"] {
            assert_eq!(safe_next(Some(kept)), kept);
        }
        for refused in [
            "",
            "reports",
            "//evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/x\r\nSet-Cookie: a=b",
            "/ /evil.example",
            "/\u{a0}/evil.example",
            "/\u{7f}",
            "https://evil.example",
            "/a\\b",
        ] {
            assert_eq!(safe_next(Some(refused)), "/", "{refused:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
