//! `/buckets[?as_of=]`: the book's buckets as `App::buckets` lists them
//! (percent, allocated, spent, moved in, moved out, balance, and a bar of
//! the balance against what was allocated), as of a day if asked, and for editors and owners the forms that
//! add a bucket (`App::add_bucket`) and move money between two
//! (`App::move_bucket`) — the use cases of `kassa bucket` and the API.
//!
//! As on `/budgets`, a change redirects back with a fixed notice code and a
//! refused one (percentages over 100, an unknown bucket, a bad amount)
//! shows the page again with the app's message and its 422: the app
//! checks every edit before it writes, so nothing was stored.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use jiff::civil::Date;
use kassa_app::buckets::{AddBucket, BucketQuery, BucketView, MoveBucket};
use kassa_app::{Actor, App, AppResult};
use kassa_core::BookId;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::budgets::Usage;
use super::home::empty_page;
use super::transactions::Amount;
use super::{Layout, Nav, PLAN, PageError, PageResult, Session, Submitted, load, notice, render, submit};

pub fn routes() -> Router<App> {
    Router::new().route("/buckets", get(page)).route("/buckets/add", post(add)).route("/buckets/move", post(move_money))
}

const NOTICES: [(&str, &str); 2] = [("added", "Bucket saved."), ("moved", "Money moved between the buckets.")];

/// At most this share of what a bucket was given left, its bar is amber
/// (the mirror of an envelope's 80 % spent).
const LOW_PERCENT: i64 = 20;

/// A bucket's bar: its balance as a share of what it was allocated.
fn balance_bar(v: &BucketView) -> Usage {
    if v.allocated <= Decimal::ZERO {
        // Fed by moves only (or by nothing): there is no share to show.
        return match v.balance.cmp(&Decimal::ZERO) {
            std::cmp::Ordering::Less => Usage::bar(Decimal::ONE_HUNDRED, "over", "overdrawn".into()),
            std::cmp::Ordering::Greater => {
                Usage::bar(Decimal::ONE_HUNDRED, "under", "moved in, nothing allocated".into())
            }
            std::cmp::Ordering::Equal => Usage::bar(Decimal::ZERO, "under", "nothing allocated".into()),
        };
    }
    if v.balance < Decimal::ZERO {
        return Usage::bar(Decimal::ONE_HUNDRED, "over", "overdrawn".into());
    }
    let percent = v.balance * Decimal::ONE_HUNDRED / v.allocated;
    let class = if percent <= Decimal::from(LOW_PERCENT) { "near" } else { "under" };
    // Floored, so "100 %" is not said of a bucket a cent was taken from.
    Usage::bar(percent, class, format!("balance {} % of allocated", percent.floor()))
}

/// One bucket (in one currency) as the table shows it.
struct BucketRow {
    bucket: String,
    percent: String,
    allocated: Amount,
    spent: Amount,
    moved_in: Amount,
    moved_out: Amount,
    balance: Amount,
    usage: Usage,
}

impl BucketRow {
    fn of(v: &BucketView) -> BucketRow {
        let c = v.currency;
        BucketRow {
            bucket: v.bucket.clone(),
            percent: v.percent.to_string(),
            allocated: Amount::of(v.allocated, c),
            spent: Amount::of(v.spent, c),
            moved_in: Amount::of(v.moved_in, c),
            moved_out: Amount::of(v.moved_out, c),
            balance: Amount::of(v.balance, c),
            usage: balance_bar(v),
        }
    }
}

#[derive(Template)]
#[template(path = "buckets.html")]
struct BucketsPage {
    layout: Layout,
    book: uuid::Uuid,
    notice: Option<&'static str>,
    error: Option<String>,
    can_edit: bool,
    rows: Vec<BucketRow>,
    /// Each bucket once, for the move form (a bucket in two currencies has two rows).
    names: Vec<String>,
    /// Income categories a new bucket may be fed by.
    incomes: Vec<String>,
    today: String,
    /// The day the figures are for, as the form shows it (empty: everything).
    as_of: String,
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    done: Option<String>,
    /// YYYY-MM-DD, YYYY-MM or YYYY; empty (the form left blank) is everything.
    as_of: Option<String>,
}

async fn page(State(app): State<App>, session: Session, Query(q): Query<PageQuery>) -> PageResult {
    let as_of = BucketQuery { as_of: q.as_of.filter(|d| !d.trim().is_empty()) }.as_of()?;
    show(&app, session, notice(&NOTICES, q.done), None, as_of).await
}

async fn show(
    app: &App,
    session: Session,
    notice: Option<&'static str>,
    error: Option<PageError>,
    as_of: Option<Date>,
) -> PageResult {
    let title = "Buckets";
    let Some(book) = session.book.as_ref().map(|b| BookId(b.id)) else {
        return Ok(empty_page(&session, title, Nav::Budgets));
    };
    let (actor, can_edit) = (session.actor, session.can_edit());
    let loaded = load(app, move |app| {
        let buckets = app.buckets(&actor, book, as_of)?;
        let categories = if can_edit { app.categories(&actor, book)? } else { vec![] };
        Ok((buckets, categories))
    })
    .await;
    let (buckets, categories) = match loaded {
        Ok(v) => v,
        // Buckets are in the currency of the book's first account.
        Err(PageError(e)) if e.code == "no_accounts" => return Ok(empty_page(&session, title, Nav::Budgets)),
        Err(e) => return Err(e),
    };
    let mut names: Vec<String> = buckets.iter().map(|b| b.bucket.clone()).collect();
    names.dedup();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.0.status);
    let mut layout = session.layout(title, Nav::Budgets);
    // A refused form is answered at its POST path; the book switcher and the tabs must see this page.
    layout.here = "/buckets".into();
    let mut resp = render(&BucketsPage {
        layout,
        book: book.0,
        notice,
        error: error.map(|e| e.0.message),
        can_edit,
        rows: buckets.iter().map(BucketRow::of).collect(),
        names,
        incomes: categories.into_iter().filter(|c| c.section == "income").map(|c| c.name).collect(),
        today: app.clock.today().to_string(),
        as_of: as_of.map(|d| d.to_string()).unwrap_or_default(),
    });
    *resp.status_mut() = status;
    Ok(resp)
}

/// Runs an edit: back to the page, or the page again with the refusal.
async fn change(
    app: &App,
    session: Session,
    code: &str,
    edit: impl FnOnce(&App, &Actor, BookId) -> AppResult<Vec<BucketView>> + Send + 'static,
) -> PageResult {
    match submit(app, &session, "/buckets", code, edit).await? {
        Submitted::Done(back) => Ok(back),
        Submitted::Refused(e) => show(app, session, None, Some(e), None).await,
    }
}

#[derive(Debug, Deserialize)]
struct AddForm {
    name: String,
    percent: String,
    /// Empty: every income feeds the bucket.
    #[serde(default)]
    income_category: String,
}

async fn add(State(app): State<App>, session: Session, axum::Form(f): axum::Form<AddForm>) -> PageResult {
    let category = f.income_category.trim();
    let input = AddBucket {
        name: f.name,
        percent: f.percent,
        income_categories: if category.is_empty() { vec![] } else { vec![category.to_string()] },
        ..AddBucket::default()
    };
    change(&app, session, "added", move |app, actor, book| app.add_bucket(actor, book, &input)).await
}

async fn move_money(State(app): State<App>, session: Session, axum::Form(f): axum::Form<MoveBucket>) -> PageResult {
    change(&app, session, "moved", move |app, actor, book| app.move_bucket(actor, book, &f)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(allocated: &str, balance: &str) -> (String, &'static str, String) {
        let d = |x: &str| x.parse::<Decimal>().expect("decimal");
        let view = BucketView {
            bucket: "B".into(),
            percent: Decimal::TEN,
            allocated: d(allocated),
            spent: Decimal::ZERO,
            moved_in: Decimal::ZERO,
            moved_out: Decimal::ZERO,
            balance: d(balance),
            currency: kassa_core::Currency::EUR,
        };
        let u = balance_bar(&view);
        (u.width, u.class, u.label)
    }

    #[test]
    fn a_buckets_bar_is_its_balance_against_what_it_was_allocated() {
        let u = |w: &str, c: &'static str, l: &str| (w.to_string(), c, l.to_string());
        assert_eq!(bar("100.00", "20.01"), u("20", "under", "balance 20 % of allocated"), "more than a fifth left");
        assert_eq!(bar("100.00", "20.00"), u("20", "near", "balance 20 % of allocated"));
        assert_eq!(bar("100.00", "0.00"), u("0", "near", "balance 0 % of allocated"));
        assert_eq!(bar("100.00", "-0.01"), u("100", "over", "overdrawn"));
        assert_eq!(bar("300.00", "99.99"), u("33.3", "under", "balance 33 % of allocated"));
        assert_eq!(bar("100.00", "99.99"), u("100", "under", "balance 99 % of allocated"), "not yet 100 %");
        assert_eq!(bar("100.00", "250.00"), u("100", "under", "balance 250 % of allocated"), "moved in on top");
        assert_eq!(bar("0", "0"), u("0", "under", "nothing allocated"));
        assert_eq!(bar("0", "5.00"), u("100", "under", "moved in, nothing allocated"));
        assert_eq!(bar("0", "-5.00"), u("100", "over", "overdrawn"));
    }
}
