//! `/reports`: monthly, yearly, history, cash flow and trends, each as a
//! chart and a table, from `App::report` — the same reports, checks and
//! time travel as the API and `kassa report`. The form is a GET, so a
//! report with its `as of`, `known at` and currency is a URL to share.
//!
//! The page only arranges rows: it pivots categories × periods into a
//! table, folds small categories into "Other" for a chart, and sums a
//! table row. Which flows count, transfers, FX and time travel are the
//! report maths' business.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use jiff::civil::Date;
use kassa_core::report::{CashflowLine, Month, NetWorthLine, SankeyEdge, TrendLine};
use kassa_core::{BookId, Currency};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{Layout, Nav, PageError, PageResult, Session, encode, load, render};
use crate::charts::{self, Flow, Series, Stack};
use kassa_app::reports::{ReportQuery, ReportRows};
use kassa_app::{Actor, App, AppError, AppResult};

pub fn routes() -> Router<App> {
    Router::new().route("/reports", get(page))
}

/// The views of the page: (`view=` value, tab label).
const VIEWS: [(&str, &str); 5] = [
    ("monthly", "Monthly"),
    ("yearly", "Yearly"),
    ("history", "History"),
    ("cashflow", "Cash flow"),
    ("trends", "Trends"),
];

/// Categories a chart names; the rest are folded into "Other".
const CHART_CATEGORIES: usize = 6;

/// The form, as text: what the person typed is shown back as typed, and a
/// bad value is named by the app's parser, not guessed at here.
#[derive(Debug, Clone, Default, Deserialize)]
struct ReportForm {
    view: Option<String>,
    from: Option<String>,
    to: Option<String>,
    year: Option<String>,
    month: Option<String>,
    as_of: Option<String>,
    known_at: Option<String>,
    currency: Option<String>,
    depth: Option<String>,
    /// Carried for shareable URLs; the session reads it.
    #[serde(rename = "book")]
    _book: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl ReportForm {
    /// A query with the options every report takes.
    fn query(&self) -> ReportQuery {
        ReportQuery {
            as_of: given(&self.as_of),
            known_at: given(&self.known_at),
            currency: given(&self.currency).map(|c| c.to_uppercase()),
            depth: given(&self.depth),
            ..ReportQuery::default()
        }
    }

    /// The month the defaults count back from: that of `as of`, else the
    /// one of `today` (the application's clock).
    fn anchor(&self, today: Date) -> Month {
        Month::of(given(&self.as_of).and_then(|d| d.parse::<Date>().ok()).unwrap_or(today))
    }

    /// `from`/`to` months, by default the twelve up to the anchor.
    fn range(&mut self, today: Date) {
        let to = given(&self.to).unwrap_or_else(|| self.anchor(today).to_string());
        let end = to.parse::<Month>().unwrap_or_else(|_| self.anchor(today));
        self.from = Some(given(&self.from).unwrap_or_else(|| end.minus(11).to_string()));
        self.to = Some(to);
    }
}

// --- what the template shows --------------------------------------------------

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    layout: Layout,
    view: &'static str,
    tabs: Vec<Tab>,
    form: ReportForm,
    book: Option<uuid::Uuid>,
    error: Option<String>,
    blocks: Vec<Block>,
}

struct Tab {
    href: String,
    label: &'static str,
    current: bool,
}

/// One card: a heading, charts (SVG the chart module escaped) and a table.
struct Block {
    heading: String,
    charts: Vec<String>,
    table: Option<Table>,
}

/// The first column names the row; the others are figures.
struct Table {
    caption: String,
    columns: Vec<String>,
    rows: Vec<Row>,
}

struct Row {
    label: String,
    cells: Vec<Cell>,
    /// Totals and net lines.
    strong: bool,
}

struct Cell {
    text: String,
    class: &'static str,
}

fn amount(a: Decimal, c: Currency) -> Cell {
    let class = if a.is_sign_negative() && !a.is_zero() {
        "neg"
    } else if a > Decimal::ZERO {
        "pos"
    } else {
        ""
    };
    Cell { text: charts::money(a, c), class }
}

fn text(t: impl Into<String>) -> Cell {
    Cell { text: t.into(), class: "" }
}

// --- the page --------------------------------------------------------------------

async fn page(State(app): State<App>, session: Session, Query(mut form): Query<ReportForm>) -> PageResult {
    let book = session.book_id()?;
    let view = VIEWS.iter().map(|(v, _)| *v).find(|v| Some(*v) == form.view.as_deref()).unwrap_or("monthly");
    let today = app.clock.today();
    match view {
        "monthly" | "cashflow" => form.range(today),
        "yearly" => form.year = Some(given(&form.year).unwrap_or_else(|| form.anchor(today).year.to_string())),
        _ => {}
    }
    let (actor, f) = (session.actor, form.clone());
    let loaded = load(&app, move |app| blocks(app, &actor, book, view, &f)).await;
    let (blocks, error, status) = match loaded {
        Ok(b) => (b, None, StatusCode::OK),
        // A bad field is shown above the form it came from.
        Err(PageError(e)) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            (vec![], Some(e.message), e.status)
        }
        Err(e) => return Err(e),
    };
    let common =
        [("as_of", &form.as_of), ("known_at", &form.known_at), ("currency", &form.currency), ("depth", &form.depth)];
    let mut shared: String =
        common.iter().filter_map(|(k, v)| given(v).map(|v| format!("&{k}={}", encode(&v)))).collect();
    shared.push_str(&format!("&book={}", book.0));
    let tabs = VIEWS
        .iter()
        .map(|(v, label)| Tab { href: format!("/reports?view={v}{shared}"), label, current: *v == view })
        .collect();
    let mut layout = session.layout("Reports", Nav::Reports);
    layout.here = "/reports".into();
    let page = ReportsPage { layout, view, tabs, form, book: Some(book.0), error, blocks };
    let mut resp = render(&page);
    *resp.status_mut() = status;
    Ok(resp)
}

fn report(app: &App, actor: &Actor, book: BookId, name: &str, q: &ReportQuery) -> AppResult<ReportRows> {
    app.report(actor, book, &q.parse(name)?)
}

fn unexpected() -> AppError {
    AppError::Internal("a report answered with another report's rows".into())
}

fn blocks(app: &App, actor: &Actor, book: BookId, view: &str, f: &ReportForm) -> AppResult<Vec<Block>> {
    let base = f.query();
    match view {
        "yearly" => {
            let q = ReportQuery { year: f.year.clone(), ..base };
            let ReportRows::Yearly(rows) = report(app, actor, book, "yearly", &q)? else { return Err(unexpected()) };
            let year = f.year.clone().unwrap_or_default();
            let columns = (1..=12).map(|m| format!("{year}-{m:02}")).collect();
            let cells = rows.into_iter().map(|r| (r.month, r.section, r.category, r.currency, r.amount));
            Ok(categories(&format!("Income and expenses in {year}"), columns, cells))
        }
        "history" => history(app, actor, book, base),
        "cashflow" => cashflow(app, actor, book, f, base),
        "trends" => trends(app, actor, book, f, base),
        _ => {
            let q = ReportQuery { from: f.from.clone(), to: f.to.clone(), ..base };
            let ReportRows::Monthly(rows) = report(app, actor, book, "monthly", &q)? else { return Err(unexpected()) };
            let columns = months(f.from.as_deref(), f.to.as_deref(), &rows.iter().map(|r| r.month.clone()).collect());
            let cells = rows.into_iter().map(|r| (r.month, r.section, r.category, r.currency, r.amount));
            Ok(categories("Income and expenses by month", columns, cells))
        }
    }
}

/// Every month from `from` to `to` (both valid), else the months the rows have.
fn months(from: Option<&str>, to: Option<&str>, seen: &BTreeSet<String>) -> Vec<String> {
    let (Some(Ok(mut m)), Some(Ok(end))) = (from.map(str::parse::<Month>), to.map(str::parse::<Month>)) else {
        return seen.iter().cloned().collect();
    };
    let mut out = vec![];
    while m <= end && out.len() < 1200 {
        out.push(m.to_string());
        m = m.next();
    }
    out
}

type CategoryCell = (String, String, String, Currency, Decimal);

/// (section rank, is a total or net line, section, category) → period → amount:
/// the rows of one currency's table in display order.
type CategoryLines = BTreeMap<(u8, bool, String, String), BTreeMap<String, Decimal>>;

fn section_rank(section: &str) -> u8 {
    match section {
        "income" => 0,
        "expense" => 1,
        "uncategorized" => 2,
        _ => 3,
    }
}

/// Category rows (period, section, category, currency, amount) as, per
/// currency, stacked bars (income up, expenses down) and a table with one
/// column per period and a total.
fn categories(title: &str, columns: Vec<String>, cells: impl Iterator<Item = CategoryCell>) -> Vec<Block> {
    let mut by_currency: BTreeMap<Currency, CategoryLines> = BTreeMap::new();
    for (period, section, category, currency, amount) in cells {
        let summary = category == "Total" || section == "net";
        by_currency
            .entry(currency)
            .or_default()
            .entry((section_rank(&section), summary, section, category))
            .or_default()
            .insert(period, amount);
    }
    let several = by_currency.len() > 1;
    let mut blocks = vec![];
    for (currency, lines) in by_currency {
        let heading = if several { format!("{title} ({currency})") } else { title.to_string() };
        let mut stacks: Vec<(Decimal, Stack)> = lines
            .iter()
            .filter(|((_, summary, _, _), _)| !summary)
            .map(|((_, _, _, category), cells)| {
                let values: Vec<Decimal> = columns.iter().map(|c| cells.get(c).copied().unwrap_or_default()).collect();
                let total: Decimal = values.iter().sum();
                (total, Stack { name: category.clone(), values })
            })
            .collect();
        stacks.sort_by_key(|(total, _)| std::cmp::Reverse(total.abs()));
        let chart = charts::stacked_bars(&heading, &columns, &fold(stacks, columns.len()), currency);
        let rows = lines
            .into_iter()
            .map(|((_, summary, section, category), cells)| {
                let values: Vec<Decimal> = columns.iter().map(|c| cells.get(c).copied().unwrap_or_default()).collect();
                let total: Decimal = values.iter().sum();
                let label = if category == "Total" { format!("Total {section}") } else { category };
                let mut cells: Vec<Cell> = values.into_iter().map(|v| amount(v, currency)).collect();
                cells.push(amount(total, currency));
                Row { label, cells, strong: summary }
            })
            .collect();
        let mut head = vec!["Category".to_string()];
        head.extend(columns.iter().cloned());
        head.push("Total".into());
        blocks.push(Block {
            heading,
            charts: vec![chart],
            table: Some(Table { caption: format!("{title}, {currency}"), columns: head, rows }),
        });
    }
    if blocks.is_empty() {
        blocks.push(empty(title));
    }
    blocks
}

/// The largest stacks by name, the rest summed into "Other" (one for money
/// in, one for money out, so neither hides the other).
fn fold(stacks: Vec<(Decimal, Stack)>, width: usize) -> Vec<Stack> {
    let mut kept = vec![];
    let (mut other_in, mut other_out) = (vec![Decimal::ZERO; width], vec![Decimal::ZERO; width]);
    for (i, (total, s)) in stacks.into_iter().enumerate() {
        if i < CHART_CATEGORIES {
            kept.push(s);
            continue;
        }
        let into = if total.is_sign_negative() { &mut other_out } else { &mut other_in };
        for (sum, v) in into.iter_mut().zip(s.values) {
            *sum += v;
        }
    }
    for (name, values) in [("Other income", other_in), ("Other expenses", other_out)] {
        if values.iter().any(|v| !v.is_zero()) {
            kept.push(Stack { name: name.into(), values });
        }
    }
    kept
}

fn empty(title: &str) -> Block {
    Block { heading: title.to_string(), charts: vec![], table: None }
}

fn history(app: &App, actor: &Actor, book: BookId, base: ReportQuery) -> AppResult<Vec<Block>> {
    let q = ReportQuery { interval: Some("month".into()), ..base.clone() };
    let ReportRows::Networth(worth) = report(app, actor, book, "networth", &q)? else { return Err(unexpected()) };
    let ReportRows::History(rows) = report(app, actor, book, "history", &base)? else { return Err(unexpected()) };
    let mut blocks = networth(worth);
    let columns: Vec<String> = rows.iter().map(|r| r.year.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let cells = rows.into_iter().map(|r| (r.year, r.section, r.category, r.currency, r.amount));
    blocks.extend(categories("Profit and loss by year", columns, cells));
    Ok(blocks)
}

/// Net worth at each month's end as a line, and at each year's end as a table.
fn networth(lines: Vec<NetWorthLine>) -> Vec<Block> {
    let mut by_currency: BTreeMap<Currency, Vec<(Date, Decimal)>> = BTreeMap::new();
    for l in lines.into_iter().filter(|l| l.account == "Net worth") {
        by_currency.entry(l.currency).or_default().push((l.date, l.balance));
    }
    let mut blocks = vec![];
    for (currency, points) in by_currency {
        let title = format!("Net worth ({currency})");
        let mut year_end: BTreeMap<i16, (Date, Decimal)> = BTreeMap::new();
        for (d, b) in &points {
            year_end.insert(d.year(), (*d, *b));
        }
        let rows = year_end
            .values()
            .rev()
            .map(|(d, b)| Row { label: d.to_string(), cells: vec![amount(*b, currency)], strong: false })
            .collect();
        let series = [Series { name: "Net worth".into(), points }];
        blocks.push(Block {
            charts: vec![charts::line(&title, &series, currency, true)],
            table: Some(Table {
                caption: format!("Net worth at the end of each year, {currency}"),
                columns: vec!["Date".into(), "Net worth".into()],
                rows,
            }),
            heading: title,
        });
    }
    if blocks.is_empty() {
        blocks.push(empty("Net worth"));
    }
    blocks
}

fn cashflow(app: &App, actor: &Actor, book: BookId, f: &ReportForm, base: ReportQuery) -> AppResult<Vec<Block>> {
    let q = ReportQuery { from: f.from.clone(), to: f.to.clone(), ..base };
    let ReportRows::Cashflow(lines) = report(app, actor, book, "cashflow", &q)? else { return Err(unexpected()) };
    let ReportRows::Sankey(edges) = report(app, actor, book, "sankey", &q)? else { return Err(unexpected()) };
    let columns = months(f.from.as_deref(), f.to.as_deref(), &lines.iter().map(|l| l.period.clone()).collect());
    let mut blocks = money_in_out(&columns, lines);
    blocks.extend(flows(edges));
    Ok(blocks)
}

fn money_in_out(columns: &[String], lines: Vec<CashflowLine>) -> Vec<Block> {
    let mut by_currency: BTreeMap<Currency, BTreeMap<String, CashflowLine>> = BTreeMap::new();
    for l in lines {
        by_currency.entry(l.currency).or_default().insert(l.period.clone(), l);
    }
    let mut blocks = vec![];
    for (currency, by_period) in by_currency {
        let title = format!("Money in and out ({currency})");
        let pick = |f: fn(&CashflowLine) -> Decimal| -> Vec<Decimal> {
            columns.iter().map(|c| by_period.get(c).map(f).unwrap_or_default()).collect()
        };
        let stacks = [
            Stack { name: "In".into(), values: pick(|l| l.inflow) },
            Stack { name: "Out".into(), values: pick(|l| l.outflow) },
        ];
        let rows = by_period
            .values()
            .map(|l| Row {
                label: l.period.clone(),
                cells: vec![amount(l.inflow, currency), amount(l.outflow, currency), amount(l.net, currency)],
                strong: false,
            })
            .collect();
        blocks.push(Block {
            charts: vec![charts::stacked_bars(&title, columns, &stacks, currency)],
            table: Some(Table {
                caption: format!("Cash flow by month, {currency}"),
                columns: vec!["Month".into(), "In".into(), "Out".into(), "Net".into()],
                rows,
            }),
            heading: title,
        });
    }
    if blocks.is_empty() {
        blocks.push(empty("Money in and out"));
    }
    blocks
}

/// Income categories → accounts → expense categories, as a Sankey diagram.
fn flows(edges: Vec<SankeyEdge>) -> Vec<Block> {
    let mut by_currency: BTreeMap<Currency, Vec<SankeyEdge>> = BTreeMap::new();
    for e in edges {
        by_currency.entry(e.currency).or_default().push(e);
    }
    by_currency
        .into_iter()
        .map(|(currency, edges)| {
            let title = format!("Where the money went ({currency})");
            let flows: Vec<Flow> =
                edges.iter().map(|e| Flow { from: e.source.clone(), to: e.target.clone(), amount: e.amount }).collect();
            let rows = edges
                .iter()
                .map(|e| Row {
                    label: format!("{} → {}", e.source, e.target),
                    // A flow's size has no sign: neither income green nor spending red.
                    cells: vec![Cell { text: charts::money(e.amount, currency), class: "" }],
                    strong: false,
                })
                .collect();
            Block {
                charts: vec![charts::sankey(&title, &flows, currency)],
                table: Some(Table {
                    caption: format!("Flows between categories and accounts, {currency}"),
                    columns: vec!["From → to".into(), "Amount".into()],
                    rows,
                }),
                heading: title,
            }
        })
        .collect()
}

fn trends(app: &App, actor: &Actor, book: BookId, f: &ReportForm, base: ReportQuery) -> AppResult<Vec<Block>> {
    let q = ReportQuery { month: given(&f.month), ..base.clone() };
    let ReportRows::Trends(lines) = report(app, actor, book, "trends", &q)? else { return Err(unexpected()) };
    let Some(month) = lines.first().map(|l| l.month) else { return Ok(vec![empty("Trends")]) };
    // The chart: the last thirteen months of the categories that moved most.
    let q = ReportQuery { from: Some(month.minus(12).to_string()), to: Some(month.to_string()), ..base };
    let ReportRows::Monthly(history) = report(app, actor, book, "monthly", &q)? else { return Err(unexpected()) };
    let mut by_currency: BTreeMap<Currency, Vec<TrendLine>> = BTreeMap::new();
    for l in lines {
        by_currency.entry(l.currency).or_default().push(l);
    }
    let mut blocks = vec![];
    for (currency, lines) in by_currency {
        let title = format!("Spending trends, {month} against the 12 months before ({currency})");
        let mut moved: Vec<&TrendLine> = lines.iter().filter(|l| l.section != "income").collect();
        moved.sort_by_key(|l| (l.flag.is_empty(), std::cmp::Reverse((l.amount - l.average).abs())));
        let series: Vec<Series> = moved
            .iter()
            .take(CHART_CATEGORIES)
            .map(|l| Series {
                name: l.category.clone(),
                points: history
                    .iter()
                    .filter(|h| h.currency == currency && h.category == l.category && h.section == l.section)
                    .filter_map(|h| Some((h.month.parse::<Month>().ok()?.first_day(), -h.amount)))
                    .collect(),
            })
            .collect();
        let rows = lines
            .iter()
            .map(|l| Row {
                label: l.category.clone(),
                cells: vec![
                    text(l.section.clone()),
                    amount(l.amount, currency),
                    amount(l.average, currency),
                    text(l.change_pct.as_ref().map_or_else(String::new, |p| format!("{p} %"))),
                    Cell { text: l.flag.clone(), class: if l.flag.is_empty() { "" } else { "flag" } },
                ],
                strong: !l.flag.is_empty(),
            })
            .collect();
        blocks.push(Block {
            charts: vec![charts::line(&format!("Spending per month ({currency})"), &series, currency, false)],
            table: Some(Table {
                caption: format!("{month} against the average of the 12 months before, {currency}"),
                columns: ["Category", "Section", "This month", "12-month average", "Change", "Flag"]
                    .map(String::from)
                    .to_vec(),
                rows,
            }),
            heading: title,
        });
    }
    Ok(blocks)
}
