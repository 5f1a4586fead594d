//! `kassa bucket …`: pots that take a percentage of every income they are
//! fed by. Clap parsing and printing; the checks and the figures are the
//! application layer's `buckets`, which the API calls too.

use clap::Subcommand;
use jiff::civil::Date;
use kassa_app::buckets::{self, AddBucket, MoveBucket};
use kassa_app::{Clock, SystemClock};

use crate::ledger::{Ctx, parse_end};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum BucketCmd {
    /// Add a bucket, or give one a new percentage from a date (percentages may total at most 100)
    Add {
        name: String,
        /// 0 to 100 of each income that feeds it
        #[arg(long, allow_hyphen_values = true)]
        percent: String,
        /// An income category that feeds it, its children too (repeatable; none and no --account: every income)
        #[arg(long = "income-category")]
        income_categories: Vec<String>,
        /// An account whose incomes feed it (repeatable)
        #[arg(long = "account")]
        accounts: Vec<String>,
        /// YYYY-MM-DD it applies from (default: every income for a new bucket, today for a change)
        #[arg(long)]
        from: Option<String>,
    },
    /// Move money between two buckets (Unallocated is one); neither income nor expense
    Move {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Positive, in the book's main currency
        #[arg(allow_hyphen_values = true)]
        amount: String,
        /// YYYY-MM-DD
        #[arg(long)]
        date: String,
    },
    /// Each bucket's percentage, allocated, spent, moved in and out, and balance
    List {
        /// As of the end of this day: YYYY-MM-DD, YYYY-MM or YYYY (default: everything)
        #[arg(long, value_parser = parse_end)]
        as_of: Option<Date>,
    },
}

pub fn run(ctx: &Ctx, cmd: BucketCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    match cmd {
        BucketCmd::Add { name, percent, income_categories, accounts, from } => {
            let input = AddBucket { name, percent, income_categories, accounts, from };
            buckets::add(ctx.store, &ctx.actor, book.id, SystemClock.today(), &input)?;
            ctx.done(format!("bucket '{}' takes {} %", input.name.trim(), input.percent.trim()));
        }
        BucketCmd::Move { from, to, amount, date } => {
            let input = MoveBucket { from, to, amount, date };
            buckets::move_between(ctx.store, &ctx.actor, book.id, &input)?;
            ctx.done(format!("moved {} from '{}' to '{}' on {}", input.amount, input.from, input.to, input.date));
        }
        BucketCmd::List { as_of } => output::print(&buckets::list(ctx.store, book.id, as_of)?, ctx.output)?,
    }
    Ok(())
}
