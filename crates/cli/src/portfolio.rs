//! `kassa portfolio`: holdings, sales, open lots and performance of the
//! book's brokerage accounts, from their imported trades; `kassa prices`.

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use jiff::civil::Date;
use kassa_app::portfolio::{PerformanceQuery, PortfolioQuery, holdings, import_prices, lots, performance_rows, sales};
use kassa_core::portfolio::CostMethod;
use kassa_core::portfolio::returns::Interval;

use crate::ledger::{Ctx, parse_date};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum PortfolioCmd {
    /// Positions at a date: quantity, cost basis, price, market value, P&L
    Holdings(Filter),
    /// Sales with the lots each consumed
    Sales(Filter),
    /// Open lots
    Lots(Filter),
    /// Value, invested, time-weighted and money-weighted return over time
    Performance {
        #[command(flatten)]
        filter: Filter,
        /// First day (default: the first trade's)
        #[arg(long, value_parser = parse_date)]
        from: Option<Date>,
        /// Last day (default: --as-of, else the last trade's)
        #[arg(long, value_parser = parse_date)]
        to: Option<Date>,
        /// One row per
        #[arg(long, value_enum, default_value = "month")]
        interval: Every,
    },
}

#[derive(Debug, Args)]
pub struct Filter {
    /// Only this account
    #[arg(long)]
    account: Option<String>,
    /// Count trades and prices dated up to this day (default: the last trade's)
    #[arg(long, value_parser = parse_date)]
    as_of: Option<Date>,
    /// What-if: book every account's sales by this method
    #[arg(long, value_parser = CostMethod::parse)]
    method: Option<CostMethod>,
    /// Only this instrument, by symbol or ISIN (its returns, dividends included)
    #[arg(long)]
    instrument: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Every {
    Day,
    Month,
    Year,
    Whole,
}

impl Filter {
    fn query(&self) -> PortfolioQuery {
        PortfolioQuery {
            account: self.account.clone(),
            as_of: self.as_of,
            method: self.method,
            instrument: self.instrument.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum PricesCmd {
    /// Import a CSV of `date,symbol,price,currency`; a later row for the same symbol and day wins
    Import { file: std::path::PathBuf },
}

pub fn prices(ctx: &Ctx, cmd: PricesCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    match cmd {
        PricesCmd::Import { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("{}: cannot read", file.display()))?;
            let name = file.display().to_string();
            let n = import_prices(ctx.store, &ctx.actor, book.id, &name, &text)?;
            println!("{n} price(s) imported");
            Ok(())
        }
    }
}

pub fn run(ctx: &Ctx, cmd: PortfolioCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    let store = ctx.store;
    match cmd {
        PortfolioCmd::Holdings(f) => output::print(&holdings(store, book.id, &f.query())?, ctx.output),
        PortfolioCmd::Sales(f) => output::print(&sales(store, book.id, &f.query())?, ctx.output),
        PortfolioCmd::Lots(f) => output::print(&lots(store, book.id, &f.query())?, ctx.output),
        PortfolioCmd::Performance { filter, from, to, interval } => {
            let interval = match interval {
                Every::Day => Interval::Day,
                Every::Month => Interval::Month,
                Every::Year => Interval::Year,
                Every::Whole => Interval::Whole,
            };
            let range = PerformanceQuery { from, to, interval };
            output::print(&performance_rows(store, book.id, &filter.query(), &range)?, ctx.output)
        }
    }
}
