//! `kassa report …`: clap parsing and printing. The reports themselves
//! (facts from the store's aggregates or, with `--known-at`, from the log
//! replayed as it stood then; FX; the report maths) are the application
//! layer's `reports::run`, which the API and the web pages call too.

use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;
use jiff::civil::Date;
use kassa_app::SystemClock;
use kassa_app::dates;
use kassa_app::reports::{self, Report, ReportRequest};
use kassa_core::Currency;
use kassa_core::report::{GroupBy, Interval, Month, Period, TopBy};

use crate::ledger::Ctx;
use crate::output;

/// Options every report takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// The ledger on this business date (transactions dated later are left out)
    #[arg(long, value_parser = dates::end)]
    pub as_of: Option<Date>,
    /// The ledger as it was recorded at this moment (RFC 3339, e.g. 2026-05-01T12:00:00Z, or
    /// the end of a day, month or year, UTC): replays the log up to it, before later imports or corrections
    #[arg(long, value_parser = dates::moment)]
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
        #[arg(long, value_parser = dates::start)]
        from: Option<Date>,
        #[arg(long, value_parser = dates::end)]
        to: Option<Date>,
        #[command(flatten)]
        common: Common,
    },
    /// Income and expense by category per month, with totals and net
    Monthly {
        #[arg(long, value_parser = dates::start_month)]
        from: Option<Month>,
        #[arg(long, value_parser = dates::end_month)]
        to: Option<Month>,
        #[command(flatten)]
        common: Common,
    },
    /// One year by months
    Yearly {
        #[arg(long, value_parser = parse_year)]
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
        #[arg(long, value_parser = dates::start_month)]
        from: Option<Month>,
        #[arg(long, value_parser = dates::end_month)]
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
        /// A year (2024), a month (2024-03) or a day; default: all history
        #[arg(long)]
        period: Option<String>,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Each category's month against its trailing 12-month average, flagged when far outside
    Trends {
        /// YYYY-MM (or a day in it); default: the last complete month with transactions
        #[arg(long, value_parser = dates::end_month)]
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

/// A year flag whose months are in kassa's date range.
fn parse_year(s: &str) -> Result<i16, String> {
    let year: i16 = s.trim().parse().map_err(|_| format!("invalid year '{s}' (expected YYYY)"))?;
    Month { year, month: 1 }.in_range().map(|m| m.year).map_err(|e| e.to_string())
}

fn parse_currency(s: &str) -> Result<Currency, String> {
    Currency::parse(s).map_err(|e| e.to_string())
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

/// Builds the application layer's report request from the command line,
/// runs it on the book and prints its rows.
pub fn run(ctx: &Ctx, cmd: ReportCmd) -> anyhow::Result<()> {
    let c = common(&cmd).clone();
    let report = match cmd {
        ReportCmd::Balances { by, .. } => Report::Balances {
            by: match by {
                By::Account => GroupBy::Account,
                By::Kind => GroupBy::Kind,
                By::Location => GroupBy::Location,
                By::Institution => GroupBy::Institution,
            },
        },
        ReportCmd::Networth { interval, from, to, .. } => Report::Networth {
            interval: match interval {
                IntervalArg::Day => Interval::Day,
                IntervalArg::Week => Interval::Week,
                IntervalArg::Month => Interval::Month,
                IntervalArg::Year => Interval::Year,
            },
            from,
            to,
        },
        ReportCmd::Monthly { from, to, .. } => Report::Monthly { from, to },
        ReportCmd::Yearly { year, .. } => Report::Yearly { year },
        ReportCmd::History { .. } => Report::History,
        ReportCmd::Cashflow { sankey: true, from, to, .. } => Report::Sankey { from, to },
        ReportCmd::Cashflow { interval, from, to, .. } => Report::Cashflow {
            period: match interval {
                PeriodArg::Month => Period::Month,
                PeriodArg::Year => Period::Year,
            },
            from,
            to,
        },
        ReportCmd::Top { by, period, limit, .. } => {
            let (from, to) = match period.as_deref() {
                None => (None, None),
                Some(p) => reports::parse_period(p)
                    .map(|(a, b)| (Some(a), Some(b)))
                    .map_err(|e| anyhow::anyhow!("--period: {e}"))?,
            };
            let by = match by {
                TopByArg::Category => TopBy::Category,
                TopByArg::Counterparty => TopBy::Counterparty,
            };
            Report::Top { by, from, to, limit }
        }
        ReportCmd::Trends { month, .. } => Report::Trends { month },
    };
    let req = ReportRequest { report, as_of: c.as_of, known_at: c.known_at, currency: c.currency, depth: c.depth };
    let rows = reports::run(ctx.store, &SystemClock, ctx.book()?.id, &req)?.rows()?;
    print!("{}", output::render(&rows, ctx.output)?);
    Ok(())
}
