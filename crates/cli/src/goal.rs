//! `kassa goal …`: a target amount by a date, saved in accounts or a
//! bucket. Clap parsing and printing; the figures are the application
//! layer's `goals`, which the API calls too.

use clap::Subcommand;
use jiff::civil::Date;
use kassa_app::goals::{self, AddGoal};
use kassa_app::{Clock, SystemClock};

use crate::ledger::{Ctx, parse_end};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum GoalCmd {
    /// Set a goal (again under the same name: replace it), saved in accounts or in a bucket
    Add {
        name: String,
        /// Positive, in the accounts' currency (a bucket's: the book's main one)
        #[arg(long, allow_hyphen_values = true)]
        target: String,
        /// YYYY-MM-DD
        #[arg(long)]
        by: String,
        /// An account whose balance counts as saved (repeatable)
        #[arg(long = "account", required_unless_present = "bucket")]
        accounts: Vec<String>,
        /// A bucket whose balance counts as saved
        #[arg(long, conflicts_with = "accounts")]
        bucket: Option<String>,
    },
    /// Each goal's target, saved, progress (0 to 1), monthly need and projected date
    List {
        /// The day the figures are for (default: today)
        #[arg(long, value_parser = parse_end)]
        as_of: Option<Date>,
    },
}

pub fn run(ctx: &Ctx, cmd: GoalCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    match cmd {
        GoalCmd::Add { name, target, by, accounts, bucket } => {
            let input = AddGoal { name, target, by, accounts, bucket };
            goals::add(ctx.store, &ctx.actor, book.id, &input)?;
            ctx.done(format!("goal '{}': {} by {}", input.name.trim(), input.target, input.by));
        }
        GoalCmd::List { as_of } => {
            let today = as_of.unwrap_or_else(|| SystemClock.today());
            output::print(&goals::list(ctx.store, book.id, today)?, ctx.output)?;
        }
    }
    Ok(())
}
