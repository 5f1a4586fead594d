//! `/settings`: the signed-in person's profile, password and tokens, and
//! the members of the current book. Every change is one app call
//! (`kassa_app::account`, `kassa_app::books`); the page only shows and asks.
//!
//! A changed thing answers with a redirect back to `/settings` and a fixed
//! notice code (never text from the URL). A new API token is the
//! exception: its secret is shown once, in the answer to the POST itself,
//! so it never sits in a URL, the history or a log line.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use kassa_core::BookId;
use serde::Deserialize;

use super::{Layout, Nav, PageError, PageResult, Session, encode, load, render, session_cookie};
use crate::client::Client;
use crate::error::ApiError;
use kassa_app::account::{MAX_TOKEN_DAYS, TokenView};
use kassa_app::books::{AccountView, AddMember, BookView, MemberView};
use kassa_app::orgs::OrgView;
use kassa_app::users::IssuedToken;
use kassa_app::{App, AppError};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/settings", get(page))
        .route("/settings/password", post(change_password))
        .route("/settings/tokens", post(create_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
        .route("/settings/members", post(add_member))
        .route("/settings/members/{id}/remove", post(remove_member))
}

/// The roles a book can grant, in the order the form offers them.
const ROLES: [&str; 4] = ["viewer", "editor", "owner", "spender"];

/// What a redirect back to the page may announce: `?done=` is one of these
/// codes, so a link cannot make the page say something it did not do.
const NOTICES: [(&str, &str); 4] = [
    ("password", "Password changed. Your other sessions and API tokens were revoked."),
    ("revoked", "Token revoked."),
    ("granted", "Role granted."),
    ("removed", "Member removed."),
];

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    notice: Option<&'static str>,
    error: Option<String>,
    new_token: Option<NewToken>,
    personal_book: Option<String>,
    tokens: Vec<TokenLine>,
    max_days: u32,
    book: Option<BookView>,
    owner: String,
    /// The book's grants, or why this role may not see them.
    members: Result<Vec<MemberView>, String>,
    can_grant: bool,
    orgs: Vec<OrgView>,
    accounts: Vec<AccountView>,
    roles: [&'static str; 4],
}

struct NewToken {
    secret: String,
    expires: String,
}

struct TokenLine {
    id: uuid::Uuid,
    created: String,
    expires: String,
    current: bool,
}

fn when(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

impl From<TokenView> for TokenLine {
    fn from(t: TokenView) -> TokenLine {
        TokenLine { id: t.id, created: when(t.created_at), expires: when(t.expires_at), current: t.current }
    }
}

/// What the page shows above its sections after a form.
#[derive(Default)]
struct Outcome {
    notice: Option<&'static str>,
    error: Option<ApiError>,
    new_token: Option<IssuedToken>,
}

#[derive(Debug, Deserialize)]
struct Done {
    done: Option<String>,
}

async fn page(State(app): State<App>, session: Session, Query(q): Query<Done>) -> PageResult {
    let notice = q.done.and_then(|d| NOTICES.iter().find(|(code, _)| *code == d).map(|(_, text)| *text));
    show(&app, session, Outcome { notice, ..Outcome::default() }).await
}

async fn show(app: &App, session: Session, outcome: Outcome) -> PageResult {
    let actor = session.actor;
    let book = session.book.clone();
    let (tokens, orgs, members, accounts) = load(app, move |app| {
        let tokens = app.tokens(&actor)?;
        let orgs = app.orgs(&actor)?;
        let (members, accounts) = match &book {
            None => (Err("No book is open.".to_string()), vec![]),
            Some(b) => match app.members(&actor, BookId(b.id)) {
                Ok(m) => (Ok(m), app.accounts(&actor, BookId(b.id))?),
                // A spender may use the book but not see who else does.
                Err(AppError::Forbidden(why)) => (Err(why), vec![]),
                Err(e) => return Err(e),
            },
        };
        Ok((tokens, orgs, members, accounts))
    })
    .await?;
    let me = session.user.id.0;
    let personal_book =
        session.books.iter().find(|b| b.owner.kind == "user" && b.owner.id == Some(me)).map(|b| b.name.clone());
    let owner = match &session.book {
        Some(b) if b.owner.kind == "user" && b.owner.id == Some(me) => "you".to_string(),
        Some(b) if b.owner.kind == "organisation" => {
            let name = orgs.iter().find(|o| Some(o.id) == b.owner.id).map(|o| o.name.as_str());
            format!("the organisation {}", name.unwrap_or("(not yours)"))
        }
        Some(_) => "another user".to_string(),
        None => String::new(),
    };
    let status = outcome.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let mut layout = session.layout("Settings", Nav::Settings);
    // A form's answer is shown at its POST path; the book switcher must come back here.
    layout.here = "/settings".into();
    let page = SettingsPage {
        layout,
        notice: outcome.notice,
        error: outcome.error.map(|e| e.message),
        new_token: outcome.new_token.map(|t| NewToken { secret: t.token, expires: when(t.expires_at) }),
        personal_book,
        tokens: tokens.into_iter().map(TokenLine::from).collect(),
        max_days: MAX_TOKEN_DAYS,
        can_grant: session.book.as_ref().is_some_and(|b| b.role == "owner"),
        book: session.book,
        owner,
        members,
        orgs,
        accounts,
        roles: ROLES,
    };
    let mut resp = render(&page);
    *resp.status_mut() = status;
    Ok(resp)
}

/// Back to the page with a notice, keeping the book the form was about.
fn done(session: &Session, code: &str) -> Response {
    let book = session.book.as_ref().map(|b| format!("&book={}", b.id)).unwrap_or_default();
    Redirect::to(&format!("/settings?done={}{book}", encode(code))).into_response()
}

/// Runs a change; on success redirects with `code`, else shows the page
/// again with the error and its status.
async fn change(
    app: &App,
    session: Session,
    code: &str,
    f: impl FnOnce(&App) -> kassa_app::AppResult<()> + Send + 'static,
) -> PageResult {
    match load(app, f).await {
        Ok(()) => Ok(done(&session, code)),
        Err(PageError(e)) => show(app, session, Outcome { error: Some(e), ..Outcome::default() }).await,
    }
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(app): State<App>,
    session: Session,
    axum::Form(f): axum::Form<PasswordForm>,
) -> PageResult {
    let actor = session.actor;
    change(&app, session, "password", move |app| {
        app.change_password(&actor, &f.current_password, &f.new_password).map(|_| ())
    })
    .await
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    days: String,
}

async fn create_token(State(app): State<App>, session: Session, axum::Form(f): axum::Form<TokenForm>) -> PageResult {
    let actor = session.actor;
    let made = load(&app, move |app| {
        let days = f.days.trim().parse::<u32>().map_err(|_| AppError::invalid("days", "a whole number of days"))?;
        app.create_token(&actor, days)
    })
    .await;
    let outcome = match made {
        Ok(t) => Outcome { new_token: Some(t), ..Outcome::default() },
        Err(PageError(e)) => Outcome { error: Some(e), ..Outcome::default() },
    };
    show(&app, session, outcome).await
}

async fn revoke_token(State(app): State<App>, client: Client, session: Session, Path(id): Path<String>) -> PageResult {
    let actor = session.actor;
    let id: uuid::Uuid = id.parse().map_err(|_| PageError::from(AppError::NotFound("token".into())))?;
    if actor.token_id == Some(id) {
        // Revoking the token this browser signs in with is logging out.
        load(&app, move |app| app.revoke_token(&actor, id)).await?;
        return Ok(
            ([(header::SET_COOKIE, session_cookie("", 0, client.secure))], Redirect::to("/login")).into_response()
        );
    }
    change(&app, session, "revoked", move |app| app.revoke_token(&actor, id)).await
}

#[derive(Debug, Deserialize)]
struct MemberForm {
    email: Option<String>,
    org_id: Option<String>,
    role: String,
    account_id: Option<String>,
}

/// An optional id from a form: empty is absent, anything else must parse.
fn form_id(field: &str, v: Option<String>) -> Result<Option<uuid::Uuid>, AppError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| AppError::invalid(field, "not an id")),
    }
}

async fn add_member(State(app): State<App>, session: Session, axum::Form(f): axum::Form<MemberForm>) -> PageResult {
    let actor = session.actor;
    let book = session.book_id()?;
    change(&app, session, "granted", move |app| {
        let input = AddMember {
            email: f.email.filter(|e| !e.trim().is_empty()),
            org_id: form_id("org_id", f.org_id)?,
            role: f.role,
            account_id: form_id("account_id", f.account_id)?,
        };
        app.add_member(&actor, book, &input).map(|_| ())
    })
    .await
}

async fn remove_member(State(app): State<App>, session: Session, Path(id): Path<String>) -> PageResult {
    let actor = session.actor;
    let book = session.book_id()?;
    let id: uuid::Uuid = id.parse().map_err(|_| PageError::from(AppError::NotFound("member".into())))?;
    change(&app, session, "removed", move |app| app.remove_member(&actor, book, id)).await
}
