//! `/budgets?month=YYYY-MM`: a month's envelopes from `App::budget` — "to
//! budget" at the top, then each category's budgeted, spent and available
//! with a bar — and the month's edits posted to `App::edit_budget`: one
//! category's amount (a form per row), copying last month and filling from
//! a template. Viewers see the page; the forms are offered to editors and
//! owners, and the app refuses anyone else.
//!
//! A change answers with a redirect back to the month and a fixed notice
//! code (never text from the URL); a refused one shows the month again
//! with the app's message, which names the field, and its status — and
//! the app stored nothing.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use kassa_app::books::CategoryView;
use kassa_app::budgets::{BudgetEdit, BudgetLineView, BudgetView, parse_month};
use kassa_app::{App, AppError};
use kassa_core::BookId;
use kassa_core::report::Month;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::home::empty_page;
use super::transactions::Amount;
use super::{Layout, Nav, PLAN, PageError, PageResult, Session, Submitted, load, notice, render, submit};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/budgets", get(page))
        .route("/budgets/set", post(set))
        .route("/budgets/copy", post(copy))
        .route("/budgets/fill", post(fill))
}

/// From this share of an envelope spent its bar is amber; past all of it, red.
const WARN_PERCENT: i64 = 80;

/// What a redirect back may announce (`?done=`).
const NOTICES: [(&str, &str); 3] = [
    ("set", "Budget saved."),
    ("copied", "Last month's budgets copied into this month."),
    ("filled", "Budgets filled from the template."),
];

/// How much of an envelope is used: what it shows as a bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// The bar's filled part, 0 to 100 (percent of its length).
    pub width: String,
    /// `under`, `near` (at least 80 % spent) or `over` (more than all of it);
    /// not `ok` or `warn`, which the stylesheet gives notices.
    pub class: &'static str,
    pub label: String,
    /// Spent as a percentage of what the envelope held (budgeted plus
    /// carried in); `None` when it held nothing.
    percent: Option<Decimal>,
}

impl Usage {
    /// Spending is negative; a month of refunds uses nothing.
    pub fn of(l: &BudgetLineView) -> Usage {
        let limit = l.budgeted + l.carried_in;
        let out = (-l.spent).max(Decimal::ZERO);
        if limit <= Decimal::ZERO {
            // Nothing to spend from: any spending is overspending.
            let over = out > Decimal::ZERO || l.available < Decimal::ZERO;
            let (width, class, label) =
                if over { ("100", "over", "overspent") } else { ("0", "under", "nothing budgeted") };
            return Usage { width: width.into(), class, label: label.into(), percent: None };
        }
        let percent = out * Decimal::ONE_HUNDRED / limit;
        let class = if percent > Decimal::ONE_HUNDRED {
            "over"
        } else if percent >= Decimal::from(WARN_PERCENT) {
            "near"
        } else {
            "under"
        };
        // Rounded the way that keeps the words with the colour: 79.99 % is
        // not yet "80 %", and 100.01 % is past "100 %".
        let shown = if class == "over" { percent.ceil() } else { percent.floor() };
        Usage { percent: Some(percent), ..Usage::bar(percent, class, format!("{shown} % spent")) }
    }

    /// A bar filled `percent` of its length (within 0 and 100, to a tenth), for
    /// a figure that is not an envelope's (a bucket's balance).
    pub fn bar(percent: Decimal, class: &'static str, label: String) -> Usage {
        let width = percent.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED).round_dp(1).normalize();
        Usage { width: width.to_string(), class, label, percent: None }
    }
}

/// One envelope as the grid and the home card show it.
#[derive(Debug, Clone)]
pub struct EnvelopeRow {
    pub category: String,
    /// The budgeted amount as the edit field shows it (a plain decimal).
    pub amount: String,
    pub budgeted: Amount,
    pub spent: Amount,
    pub carried_in: Amount,
    pub available: Amount,
    pub carryover: bool,
    pub usage: Usage,
}

impl EnvelopeRow {
    pub fn of(l: &BudgetLineView, b: &BudgetView) -> EnvelopeRow {
        EnvelopeRow {
            category: l.category.clone(),
            amount: l.budgeted.to_string(),
            budgeted: Amount::of(l.budgeted, b.currency),
            spent: Amount::of(l.spent, b.currency),
            carried_in: Amount::of(l.carried_in, b.currency),
            available: Amount::of(l.available, b.currency),
            carryover: l.carryover,
            usage: Usage::of(l),
        }
    }
}

/// The `n` envelopes most in need of a look: the overspent ones, most
/// overspent first, then those closest to their limit. An envelope nothing
/// was spent from is not close to anything.
pub fn watch_list(b: &BudgetView, n: usize) -> Vec<EnvelopeRow> {
    let mut lines: Vec<(&BudgetLineView, Usage)> = b
        .categories
        .iter()
        .map(|l| (l, Usage::of(l)))
        .filter(|(l, _)| l.available < Decimal::ZERO || l.spent < Decimal::ZERO)
        .collect();
    lines.sort_by_key(
        |(l, u)| {
            if l.available < Decimal::ZERO { (0, l.available) } else { (1, -u.percent.unwrap_or_default()) }
        },
    );
    lines.into_iter().take(n).map(|(l, _)| EnvelopeRow::of(l, b)).collect()
}

/// A month as a link: its path and how it reads.
struct MonthLink {
    href: String,
    label: String,
}

fn month_name(m: Month) -> String {
    m.first_day().strftime("%B %Y").to_string()
}

#[derive(Template)]
#[template(path = "budgets.html")]
struct BudgetsPage {
    layout: Layout,
    book: uuid::Uuid,
    month: String,
    title: String,
    prev: MonthLink,
    next: MonthLink,
    notice: Option<&'static str>,
    error: Option<String>,
    can_edit: bool,
    /// The month's figures; `None` when the app could not work them out
    /// (the error says why).
    month_budget: Option<MonthFigures>,
}

struct MonthFigures {
    tracking: bool,
    to_budget: Amount,
    /// (label, figure) under "to budget".
    figures: Vec<(&'static str, Amount)>,
    rows: Vec<EnvelopeRow>,
    /// Expense categories without a row this month, to budget one.
    others: Vec<String>,
}

impl MonthFigures {
    fn of(view: &BudgetView, categories: Vec<CategoryView>) -> MonthFigures {
        let rows: Vec<EnvelopeRow> = view.categories.iter().map(|l| EnvelopeRow::of(l, view)).collect();
        let others = categories
            .into_iter()
            .filter(|c| c.section == "expense" && !rows.iter().any(|r| r.category == c.name))
            .map(|c| c.name)
            .collect();
        let c = view.currency;
        MonthFigures {
            tracking: view.mode == "tracking",
            to_budget: Amount::of(view.to_budget, c),
            figures: vec![
                ("Income", Amount::of(view.income, c)),
                ("Budgeted", Amount::of(view.budgeted, c)),
                ("Spent", Amount::of(view.spent, c)),
                ("Held for next month", Amount::of(view.held, c)),
                ("Overspent last month", Amount::of(view.overspent_last_month, c)),
            ],
            rows,
            others,
        }
    }
}

#[derive(Debug, Deserialize)]
struct MonthQuery {
    month: Option<String>,
    done: Option<String>,
}

async fn page(State(app): State<App>, session: Session, Query(q): Query<MonthQuery>) -> PageResult {
    let month = match q.month.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => parse_month("month", m)?,
        None => Month::of(app.clock.today()),
    };
    let notice = notice(&NOTICES, q.done);
    show(&app, session, month, notice, None).await
}

async fn show(
    app: &App,
    session: Session,
    month: Month,
    notice: Option<&'static str>,
    error: Option<PageError>,
) -> PageResult {
    let title = "Budgets";
    let Some(book) = session.book.as_ref().map(|b| BookId(b.id)) else {
        return Ok(empty_page(&session, title, Nav::Budgets));
    };
    let (actor, can_edit) = (session.actor, session.can_edit());
    let loaded = load(app, move |app| {
        let view = app.budget(&actor, book, month)?;
        let categories = if can_edit { app.categories(&actor, book)? } else { vec![] };
        Ok(MonthFigures::of(&view, categories))
    })
    .await;
    let (month_budget, error) = match loaded {
        Ok(figures) => (Some(figures), error),
        // Budgets are in the currency of the book's first account.
        Err(PageError(e)) if e.code == "no_accounts" => return Ok(empty_page(&session, title, Nav::Budgets)),
        // Flows in another currency need the book's rates: the month says
        // so on its own page rather than on an error page.
        Err(PageError(e)) if e.code == "missing_rate" => (None, Some(PageError(e))),
        Err(e) => return Err(e),
    };
    let link = |m: Month| MonthLink { href: format!("/budgets?month={m}&book={}", book.0), label: month_name(m) };
    // A refused form keeps its status; a month that cannot be worked out is still a page.
    let status = match (&error, &month_budget) {
        (Some(e), Some(_)) => e.0.status,
        _ => StatusCode::OK,
    };
    let mut layout = session.layout(title, Nav::Budgets);
    // A refused form is answered at its POST path; the book switcher must come back here.
    layout.here = "/budgets".into();
    let page = BudgetsPage {
        layout,
        book: book.0,
        month: month.to_string(),
        title: month_name(month),
        prev: link(month.prev()),
        next: link(month.next()),
        notice,
        error: error.map(|e| e.0.message),
        can_edit: can_edit && month_budget.is_some(),
        month_budget,
    };
    let mut resp = render(&page);
    *resp.status_mut() = status;
    Ok(resp)
}

/// Applies `edit` to the form's month: back to it with `code`, or the month
/// again with the app's refusal.
async fn change(
    app: &App,
    session: Session,
    month: &str,
    code: &str,
    edit: Result<BudgetEdit, AppError>,
) -> PageResult {
    let month = parse_month("month", month)?;
    let back = format!("/budgets?month={month}");
    match submit(app, &session, &back, code, move |app, actor, book| app.edit_budget(actor, book, month, &edit?))
        .await?
    {
        Submitted::Done(back) => Ok(back),
        Submitted::Refused(e) => show(app, session, month, None, Some(e)).await,
    }
}

#[derive(Debug, Deserialize)]
struct SetForm {
    month: String,
    category: String,
    amount: String,
}

async fn set(State(app): State<App>, session: Session, axum::Form(f): axum::Form<SetForm>) -> PageResult {
    let edit = BudgetEdit::Set { category: f.category, amount: f.amount, through: None, up_to: None };
    change(&app, session, &f.month, "set", Ok(edit)).await
}

#[derive(Debug, Deserialize)]
struct MonthForm {
    month: String,
}

async fn copy(State(app): State<App>, session: Session, axum::Form(f): axum::Form<MonthForm>) -> PageResult {
    change(&app, session, &f.month, "copied", Ok(BudgetEdit::Copy)).await
}

#[derive(Debug, Deserialize)]
struct FillForm {
    month: String,
    /// `last` or `average`.
    template: String,
    /// How many months an average looks back.
    months: Option<String>,
}

async fn fill(State(app): State<App>, session: Session, axum::Form(f): axum::Form<FillForm>) -> PageResult {
    let from = match f.template.as_str() {
        "last" => Ok("last".to_string()),
        "average" => match f.months.as_deref().map(str::trim).unwrap_or("").parse::<u32>() {
            Ok(n @ 1..=120) => Ok(format!("average:{n}")),
            _ => Err(AppError::invalid("months", "a whole number of months from 1 to 120")),
        },
        other => Err(AppError::invalid("template", format!("unknown template '{other}' (expected last or average)"))),
    };
    let edit = from.map(|from| BudgetEdit::Fill { from, categories: vec![] });
    change(&app, session, &f.month, "filled", edit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An envelope line from decimal texts; available is their sum.
    fn line(category: &str, budgeted: &str, spent: &str, carried_in: &str) -> BudgetLineView {
        let d = |x: &str| x.parse::<Decimal>().expect("decimal");
        BudgetLineView {
            category: category.into(),
            budgeted: d(budgeted),
            spent: d(spent),
            carried_in: d(carried_in),
            available: d(budgeted) + d(spent) + d(carried_in),
            carryover: false,
        }
    }

    fn usage(budgeted: &str, spent: &str, carried_in: &str) -> (String, &'static str, String) {
        let u = Usage::of(&line("C", budgeted, spent, carried_in));
        (u.width, u.class, u.label)
    }

    #[test]
    fn bars_turn_amber_at_80_percent_and_red_past_100() {
        let u = |w: &str, c: &'static str, l: &str| (w.to_string(), c, l.to_string());
        assert_eq!(usage("100.00", "-79.99", "0"), u("80", "under", "79 % spent"), "79.99 of 100 is not yet 80 %");
        assert_eq!(usage("100.00", "-80.00", "0"), u("80", "near", "80 % spent"));
        assert_eq!(usage("100.00", "-100.00", "0"), u("100", "near", "100 % spent"), "all of it is not past it");
        assert_eq!(usage("100.00", "-100.01", "0"), u("100", "over", "101 % spent"));
        assert_eq!(usage("100.00", "-250.00", "0"), u("100", "over", "250 % spent"), "the bar stops at its end");
        // What carried in counts as what the envelope holds: 40 of 50 + 30.
        assert_eq!(usage("50.00", "-40.00", "30.00"), u("50", "under", "50 % spent"));
        assert_eq!(usage("30.00", "-12.34", "0"), u("41.1", "under", "41 % spent"));
        assert_eq!(usage("100.00", "25.00", "0"), u("0", "under", "0 % spent"), "a refund spends nothing");
        assert_eq!(usage("0", "0", "0"), u("0", "under", "nothing budgeted"));
        assert_eq!(usage("0", "-5.00", "0"), u("100", "over", "overspent"), "spent without a budget");
        // Carried a debt in (carryover on) and budgeted less than it.
        assert_eq!(usage("10.00", "0", "-20.00"), u("100", "over", "overspent"));
    }

    #[test]
    fn the_watch_list_puts_the_most_overspent_first_then_the_closest_to_their_limit() {
        let view = BudgetView {
            month: "2025-03".into(),
            mode: "envelope".into(),
            currency: kassa_core::Currency::EUR,
            income: Decimal::ZERO,
            budgeted: Decimal::ZERO,
            spent: Decimal::ZERO,
            to_budget: Decimal::ZERO,
            overspent_last_month: Decimal::ZERO,
            held: Decimal::ZERO,
            categories: vec![
                line("Books", "100.00", "-10.00", "0"),
                line("Fuel", "100.00", "-120.00", "0"),
                line("Gifts", "50.00", "0", "0"),
                line("Groceries", "400.00", "-360.00", "0"),
                line("Pets", "0", "-5.00", "0"),
                line("Travel", "200.00", "-300.00", "0"),
            ],
        };
        let names = |n| watch_list(&view, n).into_iter().map(|r| r.category).collect::<Vec<_>>();
        // Travel is 100 over, Fuel 20, Pets 5; Groceries has used 90 %, Books 10 %.
        assert_eq!(names(3), ["Travel", "Fuel", "Pets"]);
        assert_eq!(names(9), ["Travel", "Fuel", "Pets", "Groceries", "Books"], "Gifts spent nothing");
    }
}
