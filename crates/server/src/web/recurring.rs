//! `/recurring`: the series `App::recurring_overview` detects in the book's
//! history (counterparty, account, interval, amount, next date, status),
//! the payments they expect over the next 30 days on a calendar strip, and
//! confirm / dismiss buttons for editors and owners that call
//! `App::mark_recurring` — the same use cases as the API and the CLI.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use jiff::ToSpan;
use jiff::civil::Date;
use kassa_app::App;
use kassa_app::recurring::{Mark, RecurringView, Upcoming};
use kassa_core::BookId;
use serde::Deserialize;

use super::home::empty_page;
use super::transactions::Amount;
use super::{Layout, Nav, PageResult, Session, load, notice, render};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/recurring", get(page))
        .route("/recurring/{id}/confirm", post(confirm))
        .route("/recurring/{id}/dismiss", post(dismiss))
}

/// The calendar strip's length in days, today included.
pub const STRIP_DAYS: i64 = 30;

const NOTICES: [(&str, &str); 2] =
    [("confirmed", "Series confirmed."), ("dismissed", "Series dismissed: it is no longer listed.")];

/// One expected payment as listed.
#[derive(Debug, Clone)]
pub struct Payment {
    pub date: String,
    pub counterparty: String,
    pub account: String,
    pub amount: Amount,
}

impl Payment {
    fn of(u: &Upcoming) -> Payment {
        Payment {
            date: u.date.to_string(),
            counterparty: u.series.counterparty.clone(),
            account: u.series.account.clone(),
            amount: Amount::parse(&u.series.next_amount, &u.series.currency),
        }
    }
}

/// The next payment of each series, soonest first, at most `n`.
pub fn next_payments(upcoming: &[Upcoming], n: usize) -> Vec<Payment> {
    let mut seen: Vec<&str> = vec![];
    upcoming
        .iter()
        .filter(|u| {
            let first = !seen.contains(&u.series.id.as_str());
            seen.push(&u.series.id);
            first
        })
        .take(n)
        .map(Payment::of)
        .collect()
}

/// One day of the strip.
struct Day {
    date: String,
    weekday: String,
    /// The day of the month, with the month's name on the strip's first day and on each 1st.
    label: String,
    today: bool,
    payments: Vec<Payment>,
}

/// The days from `today` on, each with its payments.
fn strip(today: Date, upcoming: &[Upcoming]) -> Vec<Day> {
    (0..STRIP_DAYS)
        .map(|i| {
            let date = today.saturating_add(i.days());
            let label =
                if i == 0 || date.day() == 1 { date.strftime("%-d %b").to_string() } else { date.day().to_string() };
            Day {
                date: date.to_string(),
                weekday: date.strftime("%a").to_string(),
                label,
                today: i == 0,
                payments: upcoming.iter().filter(|u| u.date == date).map(Payment::of).collect(),
            }
        })
        .collect()
}

/// One series as the table shows it.
struct SeriesRow {
    id: String,
    counterparty: String,
    account: String,
    interval: String,
    amount: Amount,
    /// `min – max` when the amount varied.
    range: Option<String>,
    last_date: String,
    next_date: String,
    occurrences: usize,
    status: String,
    /// `active`, `missed`, `price_changed` or `ended`, for the tag's class.
    status_key: String,
    confirmed: bool,
}

impl SeriesRow {
    fn of(v: &RecurringView) -> SeriesRow {
        let range = (v.amount_min != v.amount_max).then(|| {
            let (lo, hi) = (Amount::parse(&v.amount_min, &v.currency), Amount::parse(&v.amount_max, &v.currency));
            format!("{} to {}", lo.text, hi.text)
        });
        SeriesRow {
            id: v.id.clone(),
            counterparty: v.counterparty.clone(),
            account: v.account.clone(),
            interval: v.interval.clone(),
            amount: Amount::parse(&v.amount, &v.currency),
            range,
            last_date: v.last_date.to_string(),
            next_date: v.next_date.to_string(),
            occurrences: v.occurrences,
            status: v.status.replace('_', " "),
            status_key: v.status.clone(),
            confirmed: v.confirmed,
        }
    }
}

#[derive(Template)]
#[template(path = "recurring.html")]
struct RecurringPage {
    layout: Layout,
    book: uuid::Uuid,
    notice: Option<&'static str>,
    can_edit: bool,
    days: Vec<Day>,
    /// Any payment expected on the strip.
    expected: usize,
    series: Vec<SeriesRow>,
}

#[derive(Debug, Deserialize)]
struct Done {
    done: Option<String>,
}

async fn page(State(app): State<App>, session: Session, Query(q): Query<Done>) -> PageResult {
    let title = "Recurring payments";
    let Some(book) = session.book.as_ref().map(|b| BookId(b.id)) else {
        return Ok(empty_page(&session, title, Nav::Recurring));
    };
    let (actor, today) = (session.actor, app.clock.today());
    let overview = load(&app, move |app| app.recurring_overview(&actor, book, today, STRIP_DAYS - 1)).await?;
    let notice = notice(&NOTICES, q.done);
    Ok(render(&RecurringPage {
        layout: session.layout(title, Nav::Recurring),
        book: book.0,
        notice,
        can_edit: session.can_edit(),
        days: strip(today, &overview.upcoming),
        expected: overview.upcoming.len(),
        series: overview.series.iter().map(SeriesRow::of).collect(),
    }))
}

async fn mark(app: &App, session: Session, id: String, mark: Mark, code: &str) -> PageResult {
    let (actor, book) = (session.actor, session.book_id()?);
    load(app, move |app| app.mark_recurring(&actor, book, &id, mark)).await?;
    Ok(Redirect::to(&format!("/recurring?book={}&done={code}", book.0)).into_response())
}

async fn confirm(State(app): State<App>, session: Session, Path(id): Path<String>) -> PageResult {
    mark(&app, session, id, Mark::Confirm, "confirmed").await
}

async fn dismiss(State(app): State<App>, session: Session, Path(id): Path<String>) -> PageResult {
    mark(&app, session, id, Mark::Dismiss, "dismissed").await
}
