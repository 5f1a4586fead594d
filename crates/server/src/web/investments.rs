//! `/investments`: the book's holdings at market with their P&L, where the
//! money sits (by instrument and by currency), value against what was
//! invested over time, and every sale with the lots it consumed — the rows
//! of `kassa portfolio holdings|sales|performance` (the same app calls, so
//! the same access rule: viewers and up), arranged for reading. The form is
//! a GET: an `as of` date and a what-if cost method make a URL to share.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use kassa_app::App;
use kassa_app::portfolio::{HoldingRow, PerformanceRow, PortfolioParams, SaleRow};
use kassa_core::Currency;
use kassa_core::portfolio::CostMethod;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::home::empty_page;
use super::transactions::Amount;
use super::{Layout, Nav, PageError, PageResult, Session, load, render};
use crate::charts::{self, Series};

pub fn routes() -> Router<App> {
    Router::new().route("/investments", get(page))
}

#[derive(Debug, Clone, Default, Deserialize)]
struct InvestmentsForm {
    as_of: Option<String>,
    method: Option<String>,
}

impl InvestmentsForm {
    fn params(&self) -> PortfolioParams {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        PortfolioParams { as_of: given(&self.as_of), method: given(&self.method), ..PortfolioParams::default() }
    }
}

/// One position as a table row.
struct HoldingView {
    account: String,
    name: String,
    isin: String,
    qty: String,
    cost: Amount,
    price: String,
    value: Amount,
    unrealized: Amount,
    realized: Amount,
}

impl HoldingView {
    fn of(h: &HoldingRow) -> HoldingView {
        let c = h.currency;
        HoldingView {
            account: h.account.clone(),
            name: instrument(h.name.as_deref().or(h.symbol.as_deref()), h.isin.as_deref()),
            isin: h.isin.clone().unwrap_or_default(),
            qty: h.qty.normalize().to_string(),
            cost: Amount::of(h.cost_basis, c),
            price: match (h.price, h.price_date) {
                (Some(p), Some(d)) => format!("{} on {d}", charts::money(p, c)),
                _ => "at cost (no price)".into(),
            },
            value: Amount::of(h.market_value, c),
            unrealized: Amount::of(h.unrealized_pnl, c),
            realized: Amount::of(h.realized_pnl, c),
        }
    }
}

/// One sale and the lots it took.
struct SaleView {
    date: String,
    account: String,
    name: String,
    qty: String,
    proceeds: String,
    cost: String,
    realized: Amount,
    lots: Vec<String>,
}

/// Per currency: what is held, what it cost, and the gains.
struct Totals {
    value: Amount,
    cost: Amount,
    unrealized: Amount,
    realized: Amount,
}

#[derive(Template)]
#[template(path = "investments.html")]
struct InvestmentsPage {
    layout: Layout,
    form: InvestmentsForm,
    methods: Vec<&'static str>,
    error: Option<String>,
    holdings: Vec<HoldingView>,
    totals: Vec<Totals>,
    allocation: Vec<String>,
    history: Option<String>,
    sales: Vec<SaleView>,
}

fn instrument(symbol: Option<&str>, isin: Option<&str>) -> String {
    symbol.or(isin).unwrap_or("(account)").to_string()
}

async fn page(State(app): State<App>, session: Session, Query(form): Query<InvestmentsForm>) -> PageResult {
    let title = "Investments";
    let Some(book) = session.book.as_ref().map(|b| kassa_core::BookId(b.id)) else {
        return Ok(empty_page(&session, title, Nav::Investments));
    };
    let (actor, params) = (session.actor, form.params());
    let loaded = load(&app, move |app| {
        let holdings = app.portfolio_holdings(&actor, book, &params)?;
        let sales = app.portfolio_sales(&actor, book, &params)?;
        let performance = app.portfolio_performance(&actor, book, &params)?;
        Ok((holdings, sales, performance))
    })
    .await;
    let mut status = StatusCode::OK;
    let (holdings, sales, performance, error) = match loaded {
        Ok((h, s, p)) => (h, s, p, None),
        // A bad date or method is shown above the form it came from.
        Err(PageError(e)) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            status = e.status;
            (vec![], vec![], vec![], Some(e.message))
        }
        Err(e) => return Err(e),
    };
    let currency = holdings.first().map(|h| h.currency);
    let page = InvestmentsPage {
        layout: session.layout(title, Nav::Investments),
        form,
        methods: CostMethod::ALL.iter().map(|m| m.as_str()).collect(),
        error,
        totals: totals(&holdings),
        allocation: allocation(&holdings),
        history: currency.and_then(|c| history(&performance, c)),
        holdings: holdings.iter().filter(|h| !h.qty.is_zero()).map(HoldingView::of).collect(),
        sales: sales.iter().map(|s| sale(s, &holdings)).collect(),
    };
    let mut resp = render(&page);
    *resp.status_mut() = status;
    Ok(resp)
}

fn totals(holdings: &[HoldingRow]) -> Vec<Totals> {
    let mut per: BTreeMap<Currency, [Decimal; 4]> = BTreeMap::new();
    for h in holdings {
        let t = per.entry(h.currency).or_default();
        for (sum, v) in t.iter_mut().zip([h.market_value, h.cost_basis, h.unrealized_pnl, h.realized_pnl]) {
            *sum += v;
        }
    }
    per.into_iter()
        .map(|(c, [value, cost, unrealized, realized])| Totals {
            value: Amount::of(value, c),
            cost: Amount::of(cost, c),
            unrealized: Amount::of(unrealized, c),
            realized: Amount::of(realized, c),
        })
        .collect()
}

/// A donut per currency of what each open position is worth; with several
/// currencies, a table of the totals already says how they split.
fn allocation(holdings: &[HoldingRow]) -> Vec<String> {
    let mut per: BTreeMap<Currency, BTreeMap<String, Decimal>> = BTreeMap::new();
    for h in holdings.iter().filter(|h| !h.qty.is_zero()) {
        let name = instrument(h.name.as_deref().or(h.symbol.as_deref()), h.isin.as_deref());
        *per.entry(h.currency).or_default().entry(name).or_default() += h.market_value;
    }
    per.into_iter()
        .map(|(c, slices)| {
            let slices: Vec<(String, Decimal)> = slices.into_iter().collect();
            charts::donut(&format!("Allocation by instrument ({c})"), &slices, c)
        })
        .collect()
}

/// Value and invested at each month end, as two lines.
fn history(rows: &[PerformanceRow], currency: Currency) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let value = Series { name: "Value".into(), points: rows.iter().map(|r| (r.date, r.value)).collect() };
    let invested = Series { name: "Invested".into(), points: rows.iter().map(|r| (r.date, r.invested)).collect() };
    Some(charts::line("Value and invested over time", &[value, invested], currency, false))
}

fn sale(s: &SaleRow, holdings: &[HoldingRow]) -> SaleView {
    // A sale's currency is its position's: holdings list closed positions
    // too, so the sold one is there.
    let held = holdings.iter().find(|h| h.account == s.account && h.symbol == s.symbol && h.isin == s.isin);
    let currency = held.or(holdings.first()).map_or(Currency::EUR, |h| h.currency);
    let money = |d: Decimal| charts::money(d, currency);
    SaleView {
        date: s.date.to_string(),
        account: s.account.clone(),
        name: instrument(held.and_then(|h| h.name.as_deref()).or(s.symbol.as_deref()), s.isin.as_deref()),
        qty: s.qty.normalize().to_string(),
        proceeds: format!("{} (fee {})", money(s.proceeds), money(s.fee)),
        cost: money(s.cost),
        realized: Amount::of(s.realized_pnl, currency),
        lots: s.lots.iter().map(|l| format!("{} × {} for {}", l.qty.normalize(), l.trade, money(l.cost))).collect(),
    }
}
