//! `kassa report …`: every report reads the store's aggregates (or, with
//! `--known-at`, a ledger replayed from the log as it stood then), hands them
//! to the pure report maths in `kassa_core::report` and prints the rows.

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;
use jiff::civil::Date;
use kassa_core::report::fx::FxTable;
use kassa_core::report::{self, Convert, GroupBy, Interval, Month, Period, ReportFacts, Scope, TopBy, Wanted};
use kassa_core::{Currency, Event, Ledger};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::ledger::Ctx;
use crate::output;

/// Options every report takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// The ledger on this business date (transactions dated later are left out)
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<Date>,
    /// The ledger as it was recorded at this moment (RFC 3339, e.g.
    /// 2026-05-01T12:00:00Z): replays the log up to it, before later imports or corrections
    #[arg(long, value_parser = parse_timestamp)]
    pub known_at: Option<Timestamp>,
    /// Convert every amount into this currency with the imported FX rates
    #[arg(long, value_parser = parse_currency)]
    pub currency: Option<Currency>,
    /// Roll categories up to this many levels (1: `Transport:Fuel` counts as `Transport`)
    #[arg(long)]
    pub depth: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// Balances by account, kind, location or institution
    Balances {
        #[arg(long, value_enum, default_value = "account")]
        by: By,
        #[command(flatten)]
        common: Common,
    },
    /// Net worth and per-account balances at the end of each period
    Networth {
        #[arg(long, value_enum, default_value = "month")]
        interval: IntervalArg,
        #[arg(long, value_parser = parse_date)]
        from: Option<Date>,
        #[arg(long, value_parser = parse_date)]
        to: Option<Date>,
        #[command(flatten)]
        common: Common,
    },
    /// Income and expense by category per month, with totals and net
    Monthly {
        #[arg(long, value_parser = parse_month)]
        from: Option<Month>,
        #[arg(long, value_parser = parse_month)]
        to: Option<Month>,
        #[command(flatten)]
        common: Common,
    },
    /// One year by months
    Yearly {
        #[arg(long)]
        year: i16,
        #[command(flatten)]
        common: Common,
    },
    /// All history by years (profit / loss)
    History {
        #[command(flatten)]
        common: Common,
    },
    /// Money in, out and net per period; `--sankey` prints the flows
    /// income category → account → expense category instead
    Cashflow {
        #[arg(long, value_enum, default_value = "month")]
        interval: PeriodArg,
        #[arg(long, value_parser = parse_month)]
        from: Option<Month>,
        #[arg(long, value_parser = parse_month)]
        to: Option<Month>,
        #[arg(long)]
        sankey: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Where the money went: the largest expense categories or counterparties
    Top {
        #[arg(long, value_enum, default_value = "category")]
        by: TopByArg,
        /// A year (2024) or a month (2024-03); default: all history
        #[arg(long)]
        period: Option<String>,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Each category's month against its trailing 12-month average, flagged when far outside
    Trends {
        /// Default: the latest month with transactions
        #[arg(long, value_parser = parse_month)]
        month: Option<Month>,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum By {
    Account,
    Kind,
    Location,
    Institution,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IntervalArg {
    Day,
    Week,
    Month,
    Year,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PeriodArg {
    Month,
    Year,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TopByArg {
    Category,
    Counterparty,
}

fn parse_date(s: &str) -> Result<Date, String> {
    s.trim().parse().map_err(|_| format!("invalid date '{s}' (expected YYYY-MM-DD)"))
}

fn parse_month(s: &str) -> Result<Month, String> {
    s.parse().map_err(|_| format!("invalid month '{s}' (expected YYYY-MM)"))
}

fn parse_currency(s: &str) -> Result<Currency, String> {
    Currency::parse(s).map_err(|e| e.to_string())
}

fn parse_timestamp(s: &str) -> Result<Timestamp, String> {
    s.trim().parse().map_err(|_| format!("invalid timestamp '{s}' (expected RFC 3339 such as 2026-05-01T12:00:00Z)"))
}

/// The facts and rates a report reads: from the projections, or replayed
/// from the log up to `--known-at`.
pub struct Loaded {
    pub facts: ReportFacts,
    pub fx: FxTable,
}

pub fn load(ctx: &Ctx, c: &Common, want: Wanted) -> anyhow::Result<Loaded> {
    let book = ctx.book()?;
    if let Some(at) = c.known_at {
        let (ledger, fx) = replay(ctx, book.id, Some(at))?;
        return Ok(Loaded { facts: ReportFacts::from_ledger(&ledger, c.as_of), fx });
    }
    let facts = ctx.store.report_facts(book.id, c.as_of, want)?;
    let fx = if c.currency.is_some() { FxTable::new(&ctx.store.fx_rates(book.id)?) } else { FxTable::default() };
    Ok(Loaded { facts, fx })
}

/// The book's ledger (every transaction) and FX rates, folded from its
/// stream, up to events recorded at or before `known_at` when given.
pub fn replay(ctx: &Ctx, book: kassa_core::BookId, known_at: Option<Timestamp>) -> anyhow::Result<(Ledger, FxTable)> {
    let events = ctx.store.read_stream(&kassa_core::event::book_stream(book)).context("reading the event log")?;
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

fn today() -> Date {
    jiff::Zoned::now().date()
}

/// `{month, section, category, currency, amount}`: the row of `report monthly` and `yearly`.
#[derive(Debug, Serialize)]
pub struct MonthlyRow {
    pub month: String,
    pub section: String,
    pub category: String,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

#[derive(Debug, Serialize)]
pub struct YearRow {
    pub year: String,
    pub section: String,
    pub category: String,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

fn common(cmd: &ReportCmd) -> &Common {
    match cmd {
        ReportCmd::Balances { common, .. }
        | ReportCmd::Networth { common, .. }
        | ReportCmd::Monthly { common, .. }
        | ReportCmd::Yearly { common, .. }
        | ReportCmd::History { common }
        | ReportCmd::Cashflow { common, .. }
        | ReportCmd::Top { common, .. }
        | ReportCmd::Trends { common, .. } => common,
    }
}

pub fn run(ctx: &Ctx, cmd: ReportCmd) -> anyhow::Result<()> {
    let c = common(&cmd).clone();
    let want = match cmd {
        ReportCmd::Balances { .. } | ReportCmd::Networth { .. } => Wanted::DAILY,
        ReportCmd::Top { by: TopByArg::Counterparty, .. } => Wanted::COUNTERPARTIES,
        _ => Wanted::FLOWS,
    };
    let loaded = load(ctx, &c, want)?;
    let out = ctx.output;
    let f = &loaded.facts;
    if c.currency.is_some() && loaded.fx.is_empty() {
        bail!("no exchange rates in this book: run `kassa fx import FILE` first");
    }
    let fx = c.currency.map(|to| Convert { table: &loaded.fx, to });
    let scope = |from: Option<Month>, to: Option<Month>| Scope { from, to, depth: c.depth };
    match cmd {
        ReportCmd::Balances { by, .. } => {
            let by = match by {
                By::Account => GroupBy::Account,
                By::Kind => GroupBy::Kind,
                By::Location => GroupBy::Location,
                By::Institution => GroupBy::Institution,
            };
            output::print(&report::balances(f, by, fx, c.as_of.unwrap_or_else(today))?, out)
        }
        ReportCmd::Networth { interval, from, to, .. } => {
            let interval = match interval {
                IntervalArg::Day => Interval::Day,
                IntervalArg::Week => Interval::Week,
                IntervalArg::Month => Interval::Month,
                IntervalArg::Year => Interval::Year,
            };
            let to = to.or(c.as_of);
            output::print(&report::networth(f, interval, from, to, fx)?, out)
        }
        ReportCmd::Monthly { from, to, .. } => monthly(f, scope(from, to), fx, out),
        ReportCmd::Yearly { year, .. } => {
            let s = scope(Some(Month { year, month: 1 }), Some(Month { year, month: 12 }));
            monthly(f, s, fx, out)
        }
        ReportCmd::History { .. } => {
            let rows: Vec<YearRow> = report::category_totals(f, Period::Year, scope(None, None), fx)?
                .into_iter()
                .map(|l| YearRow {
                    year: l.period,
                    section: l.section,
                    category: l.category,
                    currency: l.currency,
                    amount: l.amount,
                })
                .collect();
            output::print(&rows, out)
        }
        ReportCmd::Cashflow { interval, from, to, sankey, .. } => {
            if sankey {
                output::print(&report::sankey(f, scope(from, to), fx)?, out)
            } else {
                let p = match interval {
                    PeriodArg::Month => Period::Month,
                    PeriodArg::Year => Period::Year,
                };
                output::print(&report::cashflow(f, p, scope(from, to), fx)?, out)
            }
        }
        ReportCmd::Top { by, period, limit, .. } => {
            let s = match period.as_deref().map(str::trim) {
                None => scope(None, None),
                Some(p) if p.len() == 4 => {
                    let year: i16 =
                        p.parse().map_err(|_| anyhow::anyhow!("invalid --period '{p}' (expected YYYY or YYYY-MM)"))?;
                    scope(Some(Month { year, month: 1 }), Some(Month { year, month: 12 }))
                }
                Some(p) => {
                    let m = parse_month(p)
                        .map_err(|_| anyhow::anyhow!("invalid --period '{p}' (expected YYYY or YYYY-MM)"))?;
                    scope(Some(m), Some(m))
                }
            };
            let by = match by {
                TopByArg::Category => TopBy::Category,
                TopByArg::Counterparty => TopBy::Counterparty,
            };
            output::print(&report::top(f, by, s, limit, fx)?, out)
        }
        ReportCmd::Trends { month, .. } => {
            let Some(month) = month.or_else(|| report::months(f).last().copied()) else {
                return output::print::<report::TrendLine>(&[], out);
            };
            output::print(&report::trends(f, month, c.depth, fx)?, out)
        }
    }
}

fn monthly(f: &ReportFacts, s: Scope, fx: Option<Convert>, out: output::Format) -> anyhow::Result<()> {
    let rows: Vec<MonthlyRow> = report::category_totals(f, Period::Month, s, fx)?
        .into_iter()
        .map(|l| MonthlyRow {
            month: l.period,
            section: l.section,
            category: l.category,
            currency: l.currency,
            amount: l.amount,
        })
        .collect();
    output::print(&rows, out)
}
