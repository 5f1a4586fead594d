//! `/`: the book at a glance — net worth and its history, this month's
//! money in and out, where it went, the accounts, the newest transactions
//! and what needs attention. Every figure comes from `App::home`; the
//! budget card from `App::budget` and the next recurring payments from
//! `App::recurring_overview`, for those whose role may read them.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use kassa_core::BookId;
use kassa_core::report::TopLine;
use rust_decimal::Decimal;

use super::accounts::GroupView;
use super::budgets::{EnvelopeRow, watch_list};
use super::recurring::{Payment, STRIP_DAYS, next_payments};
use super::transactions::{Amount, TxTable};
use super::{Layout, Nav, PageResult, Session, encode, load, render};
use crate::charts::{self, Series};
use kassa_app::dashboard::{Alert, Home};
use kassa_app::{App, AppError};

/// What the reports call spending without a category.
const UNCATEGORIZED: &str = "Uncategorized";

/// The envelopes the budget card points out.
const WATCHED: usize = 3;

/// The recurring payments the home page lists.
const NEXT_PAYMENTS: usize = 5;

pub fn routes() -> Router<App> {
    Router::new().route("/", get(page))
}

#[derive(Template)]
#[template(path = "empty.html")]
struct EmptyPage {
    layout: Layout,
    has_book: bool,
}

/// The friendly page for a user without a book, or with an empty one.
pub fn empty_page(session: &Session, title: &str, nav: Nav) -> Response {
    render(&EmptyPage { layout: session.layout(title, nav), has_book: session.book.is_some() })
}

/// An alert as shown: a sentence and where to act on it.
#[derive(Debug, Clone)]
struct AlertView {
    text: String,
    href: String,
    action: &'static str,
    /// Money is wrong (overdrawn), rather than worth a look.
    serious: bool,
}

impl AlertView {
    fn of(a: &Alert, book: uuid::Uuid) -> AlertView {
        match a {
            Alert::Overdrawn { account, name, balance, currency } => AlertView {
                text: format!("{name} is overdrawn: {}.", charts::money(*balance, *currency)),
                href: format!("/accounts/{}", account.0),
                action: "Open the account",
                serious: true,
            },
            Alert::Uncategorized { count, more, since } => AlertView {
                text: match (count, more) {
                    (1, false) => format!("1 transaction since {since} has no category."),
                    (n, more) => {
                        format!("{n}{} transactions since {since} have no category.", if *more { "+" } else { "" })
                    }
                },
                href: format!("/transactions?book={book}&uncategorized=true&from={since}"),
                action: "Show them",
                serious: false,
            },
            Alert::ReviewWaiting { count } => AlertView {
                text: format!(
                    "{count} imported {} waiting for review.",
                    if *count == 1 { "row is" } else { "rows are" }
                ),
                href: "/import".into(),
                action: "Review imports",
                serious: false,
            },
            Alert::AboveAverage { category, currency, amount, average, change_pct } => AlertView {
                text: format!(
                    "{category}: {} spent this month, {change_pct} % above the monthly average of {}.",
                    charts::money(*amount, *currency),
                    charts::money(*average, *currency),
                ),
                href: format!("/transactions?book={book}&category={}", encode(category)),
                action: "Show them",
                serious: false,
            },
            Alert::MissingRate { from, to } => AlertView {
                text: format!(
                    "Securities quoted in {from} are left out of net worth: there is no {from}/{to} exchange rate."
                ),
                href: "/reports".into(),
                action: "See reports",
                serious: false,
            },
        }
    }
}

/// This month in one currency.
#[derive(Debug, Clone)]
struct MonthView {
    income: Amount,
    expense: Amount,
    net: Amount,
}

/// One expense category this month.
#[derive(Debug, Clone)]
struct SpendView {
    name: String,
    amount: Amount,
    share: String,
    href: String,
}

/// This month's budget at a glance.
#[derive(Debug, Clone)]
struct BudgetCard {
    href: String,
    /// The month's figures, or why there are none (a missing FX rate).
    figures: Result<(Amount, Vec<EnvelopeRow>), String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    month: String,
    alerts: Vec<AlertView>,
    /// (label, amount): `accounts::net_worth_lines`.
    net_worth: Vec<(&'static str, Amount)>,
    /// (caption, SVG) per currency.
    net_worth_charts: Vec<(String, String)>,
    month_flows: Vec<MonthView>,
    spending: Vec<SpendView>,
    spending_charts: Vec<String>,
    groups: Vec<GroupView>,
    /// The account list is the short one.
    detailed: bool,
    /// The newest transactions.
    table: TxTable,
    /// For roles that may read the budget.
    budget: Option<BudgetCard>,
    payments: Vec<Payment>,
}

impl HomePage {
    fn of(layout: Layout, h: &Home, book: uuid::Uuid) -> HomePage {
        let month = h.month.first_day().strftime("%B %Y").to_string();
        let net_worth_charts = h
            .history
            .iter()
            .map(|s| {
                let title = format!("Net worth in {}", s.currency);
                let series = Series { name: format!("Net worth ({})", s.currency), points: s.points.clone() };
                let svg = charts::line(&title, &[series], s.currency, true);
                (format!("{title}, at each month end"), svg)
            })
            .collect();
        let mut spending_charts = vec![];
        let mut per_currency: Vec<(kassa_core::Currency, Vec<&TopLine>)> = vec![];
        for t in &h.spending {
            match per_currency.iter_mut().find(|(c, _)| *c == t.currency) {
                Some((_, lines)) => lines.push(t),
                None => per_currency.push((t.currency, vec![t])),
            }
        }
        for (currency, lines) in &per_currency {
            let slices: Vec<(String, Decimal)> = lines.iter().map(|t| (t.name.clone(), -t.amount)).collect();
            spending_charts.push(charts::donut(&format!("Spending in {month} ({currency})"), &slices, *currency));
        }
        let first = h.month.first_day();
        HomePage {
            alerts: h.alerts.iter().map(|a| AlertView::of(a, book)).collect(),
            net_worth: super::accounts::net_worth_lines(&h.accounts, "Today"),
            net_worth_charts,
            month_flows: h
                .month_flows
                .iter()
                .map(|f| MonthView {
                    income: Amount::of(f.inflow, f.currency),
                    expense: Amount::of(f.outflow, f.currency),
                    net: Amount::of(f.net, f.currency),
                })
                .collect(),
            spending: h
                .spending
                .iter()
                .map(|t| SpendView {
                    name: t.name.clone(),
                    amount: Amount::of(-t.amount, t.currency),
                    share: format!("{} %", t.share),
                    href: if t.name == UNCATEGORIZED {
                        format!("/transactions?book={book}&uncategorized=true&from={first}")
                    } else {
                        format!("/transactions?book={book}&category={}&from={first}", encode(&t.name))
                    },
                })
                .collect(),
            spending_charts,
            groups: h.accounts.groups.iter().map(GroupView::of).collect(),
            detailed: false,
            table: TxTable::plain("The newest transactions".into(), &h.recent, book),
            budget: None,
            payments: vec![],
            month,
            layout,
        }
    }
}

async fn page(State(app): State<App>, session: Session) -> PageResult {
    let title = "Home";
    let Some(book) = session.book.as_ref().map(|b| b.id) else {
        return Ok(empty_page(&session, title, Nav::Home));
    };
    let (actor, today) = (session.actor, app.clock.today());
    let home = load(&app, move |app| app.home(&actor, BookId(book), today)).await?;
    if home.accounts.groups.is_empty() {
        return Ok(empty_page(&session, title, Nav::Home));
    }
    let mut page = HomePage::of(session.layout(title, Nav::Home), &home, book);
    let month = home.month;
    let (budget, upcoming) = load(&app, move |app| {
        let book = BookId(book);
        let budget = match app.budget(&actor, book, month) {
            Ok(b) => Some(Ok((Amount::of(b.to_budget, b.currency), watch_list(&b, WATCHED)))),
            // A spender sees neither the budget nor the book's series.
            Err(AppError::Forbidden(_)) => return Ok((None, vec![])),
            Err(AppError::Refused { message, .. }) => Some(Err(message)),
            Err(e) => return Err(e),
        };
        Ok((budget, app.recurring_overview(&actor, book, today, STRIP_DAYS - 1)?.upcoming))
    })
    .await?;
    page.budget = budget.map(|figures| BudgetCard { href: format!("/budgets?month={month}&book={book}"), figures });
    page.payments = next_payments(&upcoming, NEXT_PAYMENTS);
    Ok(render(&page))
}
