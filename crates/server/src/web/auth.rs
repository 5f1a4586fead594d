//! `/login` and `/logout`: the web's session cookie is an API token from
//! the same `App::login`, so rate limits and revocation are shared.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Session, render, safe_next, session_cookie};
use crate::api::blocking;
use crate::client::Client;
use kassa_app::App;

pub fn routes() -> Router<App> {
    Router::new().route("/login", get(login_page).post(login)).route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    next: String,
    email: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Next {
    next: Option<String>,
}

async fn login_page(Query(q): Query<Next>) -> Response {
    render(&LoginPage { next: safe_next(q.next.as_deref()).to_string(), email: String::new(), error: None })
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

async fn login(State(app): State<App>, client: Client, axum::Form(f): axum::Form<LoginForm>) -> Response {
    let next = safe_next(f.next.as_deref()).to_string();
    let (email, password, address) = (f.email.clone(), f.password, client.ip.to_string());
    match blocking(&app, move |app| app.login(&email, &password, &address)).await {
        Ok(t) => {
            let cookie = session_cookie(&t.token, app.config.token_ttl.as_secs(), client.secure);
            ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
        }
        Err(e) => {
            // Wrong email and wrong password read the same, as in the API.
            let mut resp = render(&LoginPage { next, email: f.email, error: Some(e.message) });
            *resp.status_mut() =
                if e.status == StatusCode::TOO_MANY_REQUESTS { e.status } else { StatusCode::UNAUTHORIZED };
            resp
        }
    }
}

async fn logout(State(app): State<App>, client: Client, session: Session) -> Response {
    let actor = session.actor;
    if let Err(e) = blocking(&app, move |app| app.logout(&actor)).await {
        tracing::warn!(?e, "logout could not revoke the session token");
    }
    ([(header::SET_COOKIE, session_cookie("", 0, client.secure))], Redirect::to("/login")).into_response()
}
