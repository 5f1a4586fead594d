//! `kassa recurring`: the recurring payments and subscriptions the book's
//! history shows, and the user's confirm, rename and dismiss of them.

use clap::Subcommand;
use jiff::civil::Date;
use kassa_app::recurring::Mark;

use crate::ledger::{Ctx, parse_end};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum RecurringCmd {
    /// Series found in the history (dismissed ones hidden)
    List {
        /// Status relative to this date, and only payments up to it (default: today)
        #[arg(long, value_parser = parse_end)]
        as_of: Option<Date>,
    },
    /// Confirm a series: it is yours, not a guess
    Confirm { id: String },
    /// Dismiss a series: it leaves the list for good
    Dismiss { id: String },
    /// Give a series a name of your own
    Rename { id: String, name: String },
}

pub fn run(ctx: &Ctx, cmd: RecurringCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    let local = ctx.local();
    let (id, mark) = match cmd {
        RecurringCmd::List { as_of } => return output::print(&local.recurring(book.id, as_of)?, ctx.output),
        RecurringCmd::Confirm { id } => (id, Mark::Confirm),
        RecurringCmd::Dismiss { id } => (id, Mark::Dismiss),
        RecurringCmd::Rename { id, name } => (id, Mark::Rename(name)),
    };
    local.mark_recurring(book.id, &id, mark)?;
    Ok(())
}
