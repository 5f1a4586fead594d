//! Reports for the API, the web pages and `kassa report`: which facts a
//! report needs (the store's aggregates, or the log replayed up to
//! `known_at`), FX conversion, the scope of months, and the report maths
//! of `kassa_core::report`. [`run`] takes a book directly, for the CLI,
//! which has no user; [`App::report`] checks the caller first.

use jiff::Timestamp;
use jiff::civil::Date;
use kassa_core::access::BookRole;
use kassa_core::report::fx::{FxError, FxTable, parse_rates_csv};
use kassa_core::report::{
    self, BalanceLine, CashflowLine, Convert, GroupBy, Interval, Month, NetWorthLine, Period, ReportFacts, SankeyEdge,
    Scope, TopBy, TopLine, TrendLine, Wanted,
};
use kassa_core::{BookId, Command, Currency, Event, Ledger};
use kassa_store::Store;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Actor, App, AppError, AppResult, Clock, dates};

/// A report and its own options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// Balances by account, kind, location or institution.
    Balances { by: GroupBy },
    /// Every account's balance and the net worth at the end of each period.
    Networth { interval: Interval, from: Option<Date>, to: Option<Date> },
    /// Income and expense by category per month, with totals and net.
    Monthly { from: Option<Month>, to: Option<Month> },
    /// One year by months.
    Yearly { year: i16 },
    /// All history by years (profit / loss).
    History,
    /// Money in, out and net per month or year.
    Cashflow { period: Period, from: Option<Month>, to: Option<Month> },
    /// The flows income category → account → expense category.
    Sankey { from: Option<Month>, to: Option<Month> },
    /// The largest expense categories or counterparties.
    Top { by: TopBy, from: Option<Month>, to: Option<Month>, limit: usize },
    /// Each category's month against its trailing 12-month mean; the
    /// latest month with transactions when `None`.
    Trends { month: Option<Month> },
}

/// A report with the options every report takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRequest {
    pub report: Report,
    /// The ledger on this business date (later transactions left out).
    pub as_of: Option<Date>,
    /// The ledger as recorded at this moment: the log replayed up to it.
    pub known_at: Option<Timestamp>,
    /// Convert every amount into this currency with the book's FX rates.
    pub currency: Option<Currency>,
    /// Roll categories up to this many levels.
    pub depth: Option<usize>,
}

impl ReportRequest {
    pub fn new(report: Report) -> ReportRequest {
        ReportRequest { report, as_of: None, known_at: None, currency: None, depth: None }
    }
}

/// A row of `monthly` and `yearly`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthlyRow {
    pub month: String,
    pub section: String,
    pub category: String,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// A row of `history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearRow {
    pub year: String,
    pub section: String,
    pub category: String,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// A report's rows; serialised as `{"report": name, "rows": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "report", content = "rows", rename_all = "snake_case")]
pub enum ReportRows {
    Balances(Vec<BalanceLine>),
    Networth(Vec<NetWorthLine>),
    Monthly(Vec<MonthlyRow>),
    Yearly(Vec<MonthlyRow>),
    History(Vec<YearRow>),
    Cashflow(Vec<CashflowLine>),
    Sankey(Vec<SankeyEdge>),
    Top(Vec<TopLine>),
    Trends(Vec<TrendLine>),
}

impl ReportRows {
    /// The rows as JSON objects, fields in declaration order: what the CLI
    /// renders as a table, JSON or CSV.
    pub fn rows(&self) -> AppResult<Vec<serde_json::Value>> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut m)) => match m.remove("rows") {
                Some(serde_json::Value::Array(rows)) => Ok(rows),
                _ => Err(AppError::Internal("report without rows".into())),
            },
            Ok(_) => Err(AppError::Internal("report is not an object".into())),
            Err(e) => Err(AppError::Internal(e.to_string())),
        }
    }
}

/// The report names of `GET /reports/{name}`.
pub const REPORT_NAMES: [&str; 9] =
    ["balances", "networth", "monthly", "yearly", "history", "cashflow", "sankey", "top", "trends"];

/// A report's query parameters as the API receives them: all text, so that
/// a bad one is named in the error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ReportQuery {
    /// Every report: the ledger at the end of this day (YYYY-MM-DD), month (YYYY-MM) or year (YYYY)
    pub as_of: Option<String>,
    /// Every report: the ledger as recorded at this moment, RFC 3339 (e.g. 2026-05-01T12:00:00Z), or at the end of a day, month or year (YYYY-MM-DD, YYYY-MM, YYYY; UTC)
    pub known_at: Option<String>,
    /// Every report: convert into this ISO 4217 currency with the book's FX rates
    pub currency: Option<String>,
    /// Every report: roll categories up to this many levels (1 or more)
    pub depth: Option<String>,
    /// balances: account (default), kind, location or institution; top: category (default) or counterparty
    pub by: Option<String>,
    /// networth: day, week, month (default) or year; cashflow: month (default) or year
    pub interval: Option<String>,
    /// networth, monthly, cashflow, sankey: from the first day of this YYYY-MM-DD, YYYY-MM or YYYY
    pub from: Option<String>,
    /// networth, monthly, cashflow, sankey: to the last day of this YYYY-MM-DD, YYYY-MM or YYYY
    pub to: Option<String>,
    /// yearly (required): YYYY
    pub year: Option<String>,
    /// top: a year (YYYY), a month (YYYY-MM) or a day (YYYY-MM-DD); default all history
    pub period: Option<String>,
    /// top: rows per currency (default 10)
    pub limit: Option<String>,
    /// trends: the month (YYYY-MM, or a day in it); default the last complete month
    pub month: Option<String>,
}

/// A daily net worth over centuries would be millions of rows: a range
/// longer than this many periods is refused.
pub const MAX_PERIODS: i64 = 50_000;

fn opt<T>(field: &str, v: &Option<String>, parse: impl Fn(&str) -> Option<T>, expected: &str) -> AppResult<Option<T>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => {
            parse(s).map(Some).ok_or_else(|| AppError::invalid(field, format!("invalid '{s}' (expected {expected})")))
        }
    }
}

/// A date or month parameter, read as every date input is (`dates`).
fn dated<T>(field: &str, v: &Option<String>, parse: fn(&str) -> Result<T, String>) -> AppResult<Option<T>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse(s).map(Some).map_err(|e| AppError::invalid(field, e)),
    }
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` as `top` takes it: the months it spans.
pub fn parse_period(s: &str) -> Result<(Month, Month), String> {
    dates::span(s).map(|(a, b)| (Month::of(a), Month::of(b)))
}

impl ReportQuery {
    /// The request for report `name`; a parameter the report does not take
    /// is refused rather than ignored.
    pub fn parse(&self, name: &str) -> AppResult<ReportRequest> {
        let given = [
            ("by", &self.by),
            ("interval", &self.interval),
            ("from", &self.from),
            ("to", &self.to),
            ("year", &self.year),
            ("period", &self.period),
            ("limit", &self.limit),
            ("month", &self.month),
        ];
        let takes: &[&str] = match name {
            "balances" => &["by"],
            "networth" => &["interval", "from", "to"],
            "monthly" | "sankey" => &["from", "to"],
            "yearly" => &["year"],
            "history" => &[],
            "cashflow" => &["interval", "from", "to"],
            "top" => &["by", "period", "limit"],
            "trends" => &["month"],
            _ => {
                return Err(AppError::NotFound(format!(
                    "report '{name}' (expected one of {})",
                    REPORT_NAMES.join(", ")
                )));
            }
        };
        if let Some((field, _)) = given.iter().find(|(f, v)| v.is_some() && !takes.contains(f)) {
            return Err(AppError::invalid(field, format!("the {name} report does not take it")));
        }
        let by = self.by.as_deref().map(str::trim);
        let interval = self.interval.as_deref().map(str::trim);
        let report = match name {
            "balances" => Report::Balances {
                by: match by {
                    None | Some("account") => GroupBy::Account,
                    Some("kind") => GroupBy::Kind,
                    Some("location") => GroupBy::Location,
                    Some("institution") => GroupBy::Institution,
                    Some(_) => return Err(AppError::invalid("by", "expected account, kind, location or institution")),
                },
            },
            "networth" => Report::Networth {
                interval: match interval {
                    None | Some("month") => Interval::Month,
                    Some("day") => Interval::Day,
                    Some("week") => Interval::Week,
                    Some("year") => Interval::Year,
                    Some(_) => return Err(AppError::invalid("interval", "expected day, week, month or year")),
                },
                from: dated("from", &self.from, dates::start)?,
                to: dated("to", &self.to, dates::end)?,
            },
            "monthly" => Report::Monthly {
                from: dated("from", &self.from, dates::start_month)?,
                to: dated("to", &self.to, dates::end_month)?,
            },
            "yearly" => {
                let year = opt("year", &self.year, |s| s.parse::<i16>().ok(), "YYYY")?
                    .ok_or_else(|| AppError::invalid("year", "the yearly report needs a year"))?;
                // Its months must be dates the ledger takes: a year past jiff's would panic.
                Month { year, month: 1 }.in_range().map_err(|e| AppError::invalid("year", e))?;
                Report::Yearly { year }
            }
            "history" => Report::History,
            "cashflow" => Report::Cashflow {
                period: match interval {
                    None | Some("month") => Period::Month,
                    Some("year") => Period::Year,
                    Some(_) => return Err(AppError::invalid("interval", "expected month or year")),
                },
                from: dated("from", &self.from, dates::start_month)?,
                to: dated("to", &self.to, dates::end_month)?,
            },
            "sankey" => Report::Sankey {
                from: dated("from", &self.from, dates::start_month)?,
                to: dated("to", &self.to, dates::end_month)?,
            },
            "top" => {
                let (from, to) = match self.period.as_deref() {
                    None => (None, None),
                    Some(p) => {
                        parse_period(p).map(|(a, b)| (Some(a), Some(b))).map_err(|e| AppError::invalid("period", e))?
                    }
                };
                Report::Top {
                    by: match by {
                        None | Some("category") => TopBy::Category,
                        Some("counterparty") => TopBy::Counterparty,
                        Some(_) => return Err(AppError::invalid("by", "expected category or counterparty")),
                    },
                    from,
                    to,
                    limit: opt("limit", &self.limit, |s| s.parse().ok(), "a whole number")?.unwrap_or(10),
                }
            }
            _ => Report::Trends { month: dated("month", &self.month, dates::end_month)? },
        };
        Ok(ReportRequest {
            report,
            as_of: dated("as_of", &self.as_of, dates::end)?,
            known_at: dated("known_at", &self.known_at, dates::moment)?,
            currency: opt("currency", &self.currency, |s| Currency::parse(s).ok(), "an ISO 4217 code")?,
            depth: opt("depth", &self.depth, |s| s.parse().ok().filter(|d| *d >= 1), "a whole number, 1 or more")?,
        })
    }
}

/// Rates per event: an ECB history is ~200,000 rates; events stay small.
const RATES_PER_EVENT: usize = 5_000;

/// Exchange rates from a CSV (`date,base,quote,rate`, or the ECB reference
/// rates `Date,USD,JPY,…` against EUR) into `book`: how many were recorded.
pub fn import_fx_rates(store: &dyn Store, book: BookId, actor: &str, csv: &str) -> AppResult<usize> {
    let rates = parse_rates_csv(csv).map_err(|e| AppError::invalid("rates", e))?;
    let cmds: Vec<Command> =
        rates.chunks(RATES_PER_EVENT).map(|c| Command::ImportFxRates { rates: c.to_vec() }).collect();
    store.execute(book, actor, &cmds)?;
    Ok(rates.len())
}

/// The book's ledger (every transaction) and FX rates, folded from its
/// stream, up to the events recorded at or before `known_at` when given.
pub fn replay(store: &dyn Store, book: BookId, known_at: Option<Timestamp>) -> AppResult<(Ledger, FxTable)> {
    let events = store.read_stream(&kassa_core::event::book_stream(book))?;
    let mut ledger = Ledger::new();
    let mut fx = FxTable::default();
    for e in events.iter().filter(|e| known_at.is_none_or(|t| e.meta.recorded_at <= t)) {
        if let Event::FxRatesImported(r) = &e.event {
            for rate in &r.rates {
                fx.insert(rate);
            }
        }
        ledger.apply(&e.event);
    }
    Ok((ledger, fx))
}

/// Net worth counts a brokerage account at its value: the securities it
/// holds at each line's date join its cash (issue 16), converted like the
/// cash when the report asks for one currency. A holding quoted in a
/// currency with no rate into the account's counts in the net worth of
/// its own currency (a line added when the date has none).
fn add_securities(
    store: &dyn Store,
    book: BookId,
    f: &ReportFacts,
    fx: Option<Convert>,
    lines: &mut Vec<NetWorthLine>,
) -> AppResult<()> {
    let dates: Vec<Date> =
        lines.iter().map(|l| l.date).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let held = crate::portfolio::securities_value(store, book, &f.accounts, &dates)?;
    for a in f.accounts.iter() {
        for (n, &date) in dates.iter().enumerate() {
            for (currency, value) in held.at(a.id, n) {
                let money = kassa_core::Money::new(value, currency).map_err(|e| AppError::Internal(e.to_string()))?;
                let m = match fx {
                    Some(c) => c.table.convert(money, c.to, date).map_err(fx_error)?,
                    None => money,
                };
                if let Some(l) =
                    lines.iter_mut().find(|l| l.date == date && l.account == a.name && l.currency == m.currency)
                {
                    l.balance += m.amount;
                }
                match lines.iter().rposition(|l| l.date == date && l.account == "Net worth" && l.currency == m.currency)
                {
                    Some(i) => lines[i].balance += m.amount,
                    None => {
                        let at = lines.iter().rposition(|l| l.date == date).map_or(lines.len(), |i| i + 1);
                        let line =
                            NetWorthLine { date, account: "Net worth".into(), currency: m.currency, balance: m.amount };
                        lines.insert(at, line);
                    }
                }
            }
        }
    }
    Ok(())
}

/// The net worth line's label, and those of the open loans beside it.
const NET_WORTH: &str = "Net worth";
const RECEIVABLES: &str = "Receivables";
const PAYABLES: &str = "Payables";

/// Open loans join net worth as two lines of their own before each date's
/// "Net worth" (issue 17): "Receivables", what others owe us, and
/// "Payables", what we owe them, both ≥ 0, so that net worth = accounts +
/// securities + receivables − payables. From the `loans` projection; a
/// `known_at` report folds the log as it then stood, like its facts.
fn add_loans(
    store: &dyn Store,
    book: BookId,
    known_at: Option<Timestamp>,
    fx: Option<Convert>,
    lines: &mut Vec<NetWorthLine>,
) -> AppResult<()> {
    let dates: Vec<Date> =
        lines.iter().map(|l| l.date).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let totals = match known_at {
        None => crate::loans::BookLoans::read(store, book)?.totals_at(&dates, |_| true),
        Some(at) => {
            let (ledger, _) = replay(store, book, Some(at))?;
            let events = store.read_stream(&kassa_core::event::book_stream(book))?;
            let loans = kassa_core::loan::Loans::from_events(
                events.iter().filter(|e| e.meta.recorded_at <= at).map(|e| &e.event),
            );
            dates.iter().map(|d| kassa_core::loan::open_totals(&loans.open(&ledger, Some(*d)))).collect()
        }
    };
    for (date, per_currency) in dates.iter().zip(totals) {
        for (currency, t) in per_currency {
            for (label, amount, sign) in
                [(RECEIVABLES, t.receivable, Decimal::ONE), (PAYABLES, t.payable, -Decimal::ONE)]
            {
                if amount.is_zero() {
                    continue;
                }
                let money = kassa_core::Money::new(amount, currency).map_err(|e| AppError::Internal(e.to_string()))?;
                let m = match fx {
                    Some(c) => c.table.convert(money, c.to, *date).map_err(fx_error)?,
                    None => money,
                };
                let net =
                    lines.iter().rposition(|l| l.date == *date && l.account == NET_WORTH && l.currency == m.currency);
                let at = match net {
                    Some(i) => {
                        lines[i].balance += sign * m.amount;
                        i
                    }
                    None => {
                        let at = lines.iter().rposition(|l| l.date == *date).map_or(lines.len(), |i| i + 1);
                        let line = NetWorthLine {
                            date: *date,
                            account: NET_WORTH.into(),
                            currency: m.currency,
                            balance: sign * m.amount,
                        };
                        lines.insert(at, line);
                        at
                    }
                };
                // Loans in several currencies converted into one make one line.
                match lines.iter().position(|l| l.date == *date && l.account == label && l.currency == m.currency) {
                    Some(i) => lines[i].balance += m.amount,
                    None => lines.insert(
                        at,
                        NetWorthLine { date: *date, account: label.into(), currency: m.currency, balance: m.amount },
                    ),
                }
            }
        }
    }
    Ok(())
}

fn fx_error(e: FxError) -> AppError {
    AppError::Refused { code: "missing_rate", message: e.to_string() }
}

fn validate(req: &ReportRequest) -> AppResult<()> {
    if let Report::Yearly { year } = req.report
        && !(0..=9999).contains(&year)
    {
        return Err(AppError::invalid("year", "must be between 0 and 9999"));
    }
    if req.depth == Some(0) {
        return Err(AppError::invalid("depth", "must be 1 or more"));
    }
    Ok(())
}

/// How many `interval` periods lie between two dates, roughly (for the cap).
fn periods(interval: Interval, from: Date, to: Date) -> i64 {
    let days = i64::from(to.since(from).map_or(0, |s| s.get_days()).max(0));
    days / match interval {
        Interval::Day => 1,
        Interval::Week => 7,
        Interval::Month => 28,
        Interval::Year => 365,
    }
}

/// Runs a report on `book`, without checking who asks: the CLI's path
/// (whoever holds the database holds the books). The API goes through
/// [`App::report`].
pub fn run(store: &dyn Store, clock: &dyn Clock, book: BookId, req: &ReportRequest) -> AppResult<ReportRows> {
    validate(req)?;
    let want = match req.report {
        Report::Balances { .. } | Report::Networth { .. } => Wanted::DAILY,
        Report::Top { by: TopBy::Counterparty, .. } => Wanted::COUNTERPARTIES,
        _ => Wanted::FLOWS,
    };
    let (facts, table) = match req.known_at {
        Some(at) => {
            let (ledger, fx) = replay(store, book, Some(at))?;
            (ReportFacts::from_ledger(&ledger, req.as_of), fx)
        }
        None => {
            let facts = store.report_facts(book, req.as_of, want)?;
            let fx = if req.currency.is_some() { FxTable::new(&store.fx_rates(book)?) } else { FxTable::default() };
            (facts, fx)
        }
    };
    if req.currency.is_some() && table.is_empty() {
        return Err(AppError::Refused {
            code: "no_fx_rates",
            message: "no exchange rates in this book: import a rates file (date, from, to, rate) first".into(),
        });
    }
    let f = &facts;
    let fx = req.currency.map(|to| Convert { table: &table, to });
    let scope = |from: Option<Month>, to: Option<Month>| Scope { from, to, depth: req.depth };
    Ok(match req.report {
        Report::Balances { by } => {
            let on = req.as_of.unwrap_or_else(|| clock.today());
            ReportRows::Balances(report::balances(f, by, fx, on).map_err(fx_error)?)
        }
        Report::Networth { interval, from, to } => {
            let to = to.or(req.as_of);
            if let (Some(first), Some(last)) = (from.or(f.first_date()), to.or(f.last_date()))
                && periods(interval, first, last) > MAX_PERIODS
            {
                return Err(AppError::invalid("from", format!("more than {MAX_PERIODS} periods: narrow from/to")));
            }
            let mut lines = report::networth(f, interval, from, to, fx).map_err(fx_error)?;
            add_securities(store, book, f, fx, &mut lines)?;
            add_loans(store, book, req.known_at, fx, &mut lines)?;
            ReportRows::Networth(lines)
        }
        Report::Monthly { from, to } => ReportRows::Monthly(monthly(f, scope(from, to), fx)?),
        Report::Yearly { year } => {
            ReportRows::Yearly(monthly(f, scope(Some(Month { year, month: 1 }), Some(Month { year, month: 12 })), fx)?)
        }
        Report::History => ReportRows::History(
            report::category_totals(f, Period::Year, scope(None, None), fx)
                .map_err(fx_error)?
                .into_iter()
                .map(|l| YearRow {
                    year: l.period,
                    section: l.section,
                    category: l.category,
                    currency: l.currency,
                    amount: l.amount,
                })
                .collect(),
        ),
        Report::Cashflow { period, from, to } => {
            ReportRows::Cashflow(report::cashflow(f, period, scope(from, to), fx).map_err(fx_error)?)
        }
        Report::Sankey { from, to } => ReportRows::Sankey(report::sankey(f, scope(from, to), fx).map_err(fx_error)?),
        Report::Top { by, from, to, limit } => {
            ReportRows::Top(report::top(f, by, scope(from, to), limit, fx).map_err(fx_error)?)
        }
        // By default the last month that is over and has transactions: the
        // current one would compare a part of a month with whole ones.
        Report::Trends { month } => match month.or_else(|| {
            let current = Month::of(clock.today());
            report::months(f).range(..current).next_back().copied()
        }) {
            Some(m) => ReportRows::Trends(report::trends(f, m, req.depth, fx).map_err(fx_error)?),
            None => ReportRows::Trends(vec![]),
        },
    })
}

fn monthly(f: &ReportFacts, s: Scope, fx: Option<Convert>) -> AppResult<Vec<MonthlyRow>> {
    Ok(report::category_totals(f, Period::Month, s, fx)
        .map_err(fx_error)?
        .into_iter()
        .map(|l| MonthlyRow {
            month: l.period,
            section: l.section,
            category: l.category,
            currency: l.currency,
            amount: l.amount,
        })
        .collect())
}

impl App {
    /// A report on a book the caller can read whole: viewers, editors and
    /// owners (a spender sees only their accounts, so no book-wide figures).
    pub fn report(&self, actor: &Actor, book: BookId, req: &ReportRequest) -> AppResult<ReportRows> {
        self.access(actor, book)?.require(BookRole::Viewer)?;
        run(self.store.as_ref(), self.clock.as_ref(), book, req)
    }
}
