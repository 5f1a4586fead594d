//! `/events`: the audit trail in the web — the streams the user may read
//! with their type and version, and a page of their events (newest first)
//! with time, actor, type and the diff as "field: before → after", under a
//! GET filter form and keyset paging, from the same `App::events` as
//! `GET /api/v1/events`.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;

use super::{Layout, Nav, PageResult, Session, encode, load, render};
use kassa_app::events::{EventFilter, EventPage, StreamView};
use kassa_app::{App, AppError, AppResult};
use kassa_core::UserId;

/// Events per page.
const PAGE_SIZE: i64 = 50;

pub fn routes() -> Router<App> {
    Router::new().route("/events", get(page))
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    layout: Layout,
    streams: Vec<StreamView>,
    rows: Vec<Row>,
    form: Form,
    problem: Option<String>,
    newer: Option<String>,
    older: Option<String>,
}

/// The filter form's values, as typed.
#[derive(Default)]
struct Form {
    stream: String,
    event_type: String,
    actor: String,
    from: String,
    to: String,
}

struct Row {
    recorded_at: String,
    actor: String,
    /// The email of a `user:<id>` actor, when that user exists.
    email: Option<String>,
    event_type: String,
    stream: String,
    version: i64,
    changes: Vec<String>,
}

/// The emails of the users who caused the page's events, by actor tag: a
/// person reads "who" better by address than by id.
fn emails(app: &App, page: &EventPage) -> AppResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    for e in &page.items {
        let Some(id) = e.actor.strip_prefix("user:").and_then(|id| id.parse().ok()) else { continue };
        if out.contains_key(&e.actor) {
            continue;
        }
        if let Some(u) = app.store.user(UserId(id))? {
            out.insert(e.actor.clone(), u.email);
        }
    }
    Ok(out)
}

/// `/events` with the filters of `f` and one cursor.
fn link(f: &Form, cursor: (&str, &str)) -> String {
    let params =
        [("stream", &f.stream), ("type", &f.event_type), ("actor", &f.actor), ("from", &f.from), ("to", &f.to)];
    let mut pairs: Vec<String> =
        params.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", encode(v))).collect();
    pairs.push(format!("{}={}", cursor.0, encode(cursor.1)));
    format!("/events?{}", pairs.join("&"))
}

async fn page(State(app): State<App>, session: Session, Query(mut q): Query<EventFilter>) -> PageResult {
    let text = |s: &Option<String>| s.as_deref().unwrap_or("").trim().to_string();
    let form = Form {
        stream: text(&q.stream),
        event_type: text(&q.event_type),
        actor: text(&q.actor),
        from: text(&q.from),
        to: text(&q.to),
    };
    q.limit = q.limit.or(Some(PAGE_SIZE));
    let actor = session.actor;
    let (streams, page, people) = load(&app, move |app| {
        let page = app.events(&actor, &q);
        let people = match &page {
            Ok(p) => emails(app, p)?,
            Err(_) => HashMap::new(),
        };
        Ok((app.event_streams(&actor)?, page, people))
    })
    .await?;
    let (page, problem) = match page {
        Ok(p) => (p, None),
        Err(e @ (AppError::Invalid { .. } | AppError::NotFound(_))) => {
            (EventPage { items: vec![], next_cursor: None, prev_cursor: None }, Some(e.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    let rows = page
        .items
        .iter()
        .map(|e| Row {
            recorded_at: e.recorded_at.clone(),
            actor: e.actor.clone(),
            email: people.get(&e.actor).cloned(),
            event_type: e.event_type.clone(),
            stream: e.stream.clone(),
            version: e.version,
            changes: e
                .diff
                .iter()
                .map(|c| match &c.before {
                    Some(b) => format!("{}: {b} → {}", c.field, c.after),
                    None => format!("{}: {}", c.field, c.after),
                })
                .collect(),
        })
        .collect();
    Ok(render(&EventsPage {
        layout: session.layout("Events", Nav::Events),
        streams,
        rows,
        newer: page.prev_cursor.as_deref().map(|c| link(&form, ("newer", c))),
        older: page.next_cursor.as_deref().map(|c| link(&form, ("cursor", c))),
        form,
        problem,
    }))
}
