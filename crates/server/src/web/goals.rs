//! `/goals`: the book's goals as `App::goals` works them out on today
//! (target, saved, a progress ring, the required monthly amount and the
//! projected date, if the trailing average reaches one) and its loans as
//! `App::loans` lists them (counterparty, account, open, direction), with
//! the forms of `kassa goal add` (`App::add_goal`) and `kassa loan
//! give|take|repay` (`App::record_loan`) for editors and owners. Loans
//! share the page because both answer "what is set aside or owed", and a
//! page of their own would be one short table.
//!
//! As on `/budgets`, a change redirects back with a fixed notice code and a
//! refused one shows the page again with the app's message and its 422;
//! the app checks before it writes, so nothing was stored.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use kassa_app::goals::{AddGoal, GoalView};
use kassa_app::loans::{LoanView, RecordLoan};
use kassa_app::{Actor, App, AppError, AppResult};
use kassa_core::BookId;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::home::empty_page;
use super::transactions::Amount;
use super::{Layout, Nav, PLAN, PageError, PageResult, Session, Submitted, load, notice, render, submit};

pub fn routes() -> Router<App> {
    Router::new().route("/goals", get(page)).route("/goals/add", post(add)).route("/goals/loan", post(loan))
}

const NOTICES: [(&str, &str); 2] = [("goal", "Goal saved."), ("loan", "Loan recorded.")];

/// One goal as the page shows it.
struct GoalRow {
    goal: String,
    target: Amount,
    saved: Amount,
    /// The ring's filled length out of 100 (its circle's circumference).
    ring: String,
    /// Progress in whole percent, floored: "100 %" only once it is reached.
    percent: Decimal,
    required_monthly: Amount,
    projected: Option<String>,
    by: String,
    linked: String,
}

impl GoalRow {
    fn of(g: &GoalView) -> GoalRow {
        let percent = g.progress * Decimal::ONE_HUNDRED;
        GoalRow {
            goal: g.goal.clone(),
            target: Amount::of(g.target, g.currency),
            saved: Amount::of(g.saved, g.currency),
            ring: percent.round_dp(2).normalize().to_string(),
            percent: percent.floor(),
            required_monthly: Amount::of(g.required_monthly, g.currency),
            projected: g.projected_date.map(|d| d.to_string()),
            by: g.by.to_string(),
            linked: g.linked.clone(),
        }
    }
}

/// One loan as the page shows it.
struct LoanRow {
    counterparty: String,
    account: String,
    open: Amount,
    direction: String,
}

impl LoanRow {
    fn of(l: &LoanView) -> LoanRow {
        LoanRow {
            counterparty: l.counterparty.clone(),
            account: l.account.clone(),
            open: Amount::of(l.open, l.currency),
            direction: l.direction.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "goals.html")]
struct GoalsPage {
    layout: Layout,
    book: uuid::Uuid,
    notice: Option<&'static str>,
    error: Option<String>,
    can_edit: bool,
    goals: Vec<GoalRow>,
    loans: Vec<LoanRow>,
    /// What a goal may be linked to: `account:NAME` or `bucket:NAME`.
    accounts: Vec<String>,
    buckets: Vec<String>,
    today: String,
}

#[derive(Debug, Deserialize)]
struct Done {
    done: Option<String>,
}

async fn page(State(app): State<App>, session: Session, Query(q): Query<Done>) -> PageResult {
    show(&app, session, notice(&NOTICES, q.done), None).await
}

async fn show(app: &App, session: Session, notice: Option<&'static str>, error: Option<PageError>) -> PageResult {
    let title = "Goals and loans";
    let Some(book) = session.book.as_ref().map(|b| BookId(b.id)) else {
        return Ok(empty_page(&session, title, Nav::Budgets));
    };
    let (actor, can_edit) = (session.actor, session.can_edit());
    let (goals, loans, accounts, mut buckets) = load(app, move |app| {
        let (accounts, buckets) = if can_edit {
            let accounts = app.accounts(&actor, book)?.into_iter().map(|a| a.name).collect();
            // A book without accounts has no buckets' currency: none to offer.
            let buckets = match app.buckets(&actor, book, None) {
                Err(AppError::Refused { code: "no_accounts", .. }) => vec![],
                b => b?.into_iter().map(|b| b.bucket).collect(),
            };
            (accounts, buckets)
        } else {
            (vec![], vec![])
        };
        Ok((app.goals(&actor, book, None)?, app.loans(&actor, book, None)?, accounts, buckets))
    })
    .await?;
    buckets.dedup();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.0.status);
    let mut layout = session.layout(title, Nav::Budgets);
    // A refused form is answered at its POST path; the book switcher and the tabs must see this page.
    layout.here = "/goals".into();
    let mut resp = render(&GoalsPage {
        layout,
        book: book.0,
        notice,
        error: error.map(|e| e.0.message),
        can_edit,
        goals: goals.iter().map(GoalRow::of).collect(),
        loans: loans.iter().map(LoanRow::of).collect(),
        accounts,
        buckets,
        today: app.clock.today().to_string(),
    });
    *resp.status_mut() = status;
    Ok(resp)
}

/// Runs an edit: back to the page, or the page again with the refusal.
async fn change<T: Send + 'static>(
    app: &App,
    session: Session,
    code: &str,
    edit: impl FnOnce(&App, &Actor, BookId) -> AppResult<T> + Send + 'static,
) -> PageResult {
    match submit(app, &session, "/goals", code, edit).await? {
        Submitted::Done(back) => Ok(back),
        Submitted::Refused(e) => show(app, session, None, Some(e)).await,
    }
}

#[derive(Debug, Deserialize)]
struct GoalForm {
    name: String,
    target: String,
    by: String,
    /// `account:NAME` or `bucket:NAME`, one select's value.
    saved_in: String,
}

async fn add(State(app): State<App>, session: Session, axum::Form(f): axum::Form<GoalForm>) -> PageResult {
    let mut input = AddGoal { name: f.name, target: f.target, by: f.by, ..AddGoal::default() };
    let linked = match f.saved_in.split_once(':') {
        Some(("account", a)) => {
            input.accounts.push(a.to_string());
            Ok(())
        }
        Some(("bucket", b)) => {
            input.bucket = Some(b.to_string());
            Ok(())
        }
        _ => Err(AppError::invalid("saved_in", "choose an account or a bucket the goal is saved in")),
    };
    change(&app, session, "goal", move |app, actor, book| {
        linked?;
        app.add_goal(actor, book, &input)
    })
    .await
}

async fn loan(State(app): State<App>, session: Session, axum::Form(f): axum::Form<RecordLoan>) -> PageResult {
    change(&app, session, "loan", move |app, actor, book| app.record_loan(actor, book, &f)).await
}
