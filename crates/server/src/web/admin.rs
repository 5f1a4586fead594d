//! `/admin`: the platform operator's grouped view across every tenant —
//! counts, totals by currency and account kind, the top expense categories
//! and risk flags — from `App::overview`, which refuses anyone but a
//! platform admin (the page then shows 403). Aggregates only: no page here
//! shows another book's transactions.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use kassa_core::Currency;
use rust_decimal::Decimal;

use super::{Layout, Nav, PageResult, Session, load, render};
use crate::charts;
use kassa_app::books::RiskFlags;
use kassa_app::{App, AppError, AppResult};

pub fn routes() -> Router<App> {
    Router::new().route("/admin", get(page))
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    users: i64,
    organisations: i64,
    books: i64,
    risk: RiskFlags,
    currencies: Vec<CurrencyBlock>,
}

/// One currency's totals by account kind and its top expense categories.
struct CurrencyBlock {
    currency: Currency,
    balances: Vec<Line>,
    balance_chart: String,
    expenses: Vec<Line>,
    expense_chart: String,
}

/// Named amounts of one currency: a donut's slices and a table's rows.
type Slices = Vec<(String, Decimal)>;

struct Line {
    name: String,
    amount: String,
    class: &'static str,
}

/// The overview sends totals as decimal strings, as the API does.
fn decimal(s: &str) -> AppResult<Decimal> {
    s.parse().map_err(|_| AppError::Internal(format!("overview total '{s}' is not a decimal")))
}

fn currency(s: &str) -> AppResult<Currency> {
    Currency::parse(s).map_err(|e| AppError::Internal(e.to_string()))
}

fn line(name: &str, amount: Decimal, c: Currency) -> Line {
    let class = if amount.is_sign_negative() && !amount.is_zero() { "neg" } else { "" };
    Line { name: name.to_string(), amount: charts::money(amount, c), class }
}

async fn page(State(app): State<App>, session: Session) -> PageResult {
    let actor = session.actor;
    let o = load(&app, move |app| app.overview(&actor)).await?;
    let mut by_currency: BTreeMap<Currency, (Slices, Slices)> = BTreeMap::new();
    for b in &o.balances {
        by_currency.entry(currency(&b.currency)?).or_default().0.push((b.kind.replace('_', " "), decimal(&b.total)?));
    }
    for t in &o.top_expense_categories {
        by_currency.entry(currency(&t.currency)?).or_default().1.push((t.category.clone(), decimal(&t.total)?));
    }
    let currencies = by_currency
        .into_iter()
        .map(|(c, (balances, expenses))| CurrencyBlock {
            currency: c,
            // A donut shows shares of a whole: loans and overdrafts stay in the table.
            balance_chart: charts::donut(&format!("Positive balances by account kind ({c})"), &balances, c),
            expense_chart: charts::donut(&format!("Top expense categories ({c})"), &expenses, c),
            balances: balances.iter().map(|(n, a)| line(n, *a, c)).collect(),
            expenses: expenses.iter().map(|(n, a)| line(n, *a, c)).collect(),
        })
        .collect();
    Ok(render(&AdminPage {
        layout: session.layout("Admin", Nav::Admin),
        users: o.users,
        organisations: o.organisations,
        books: o.books,
        risk: o.risk_flags,
        currencies,
    }))
}
