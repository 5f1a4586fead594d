//! `kassa loan …`: money lent to or borrowed from people, as neutral
//! transactions (neither income nor expense) with an open balance per
//! counterparty. Clap parsing and printing; the rules are the application
//! layer's `loans`, which the API calls too.

use clap::{Args, Subcommand};
use jiff::civil::Date;
use kassa_app::loans::{self, RecordLoan};

use crate::ledger::{Ctx, parse_end};
use crate::output;

#[derive(Debug, Args)]
pub struct LoanArgs {
    /// Who the loan is with
    #[arg(long)]
    counterparty: String,
    /// The account the money moves on
    #[arg(long)]
    account: String,
    /// Positive, in the account's currency
    #[arg(long, allow_hyphen_values = true)]
    amount: String,
    /// YYYY-MM-DD
    #[arg(long)]
    date: String,
}

#[derive(Debug, Subcommand)]
pub enum LoanCmd {
    /// Lend money: it leaves the account, they owe it to us
    Give(LoanArgs),
    /// Borrow money: it arrives on the account, we owe it to them
    Take(LoanArgs),
    /// Pay back (part of) what is open with them, whichever way it goes
    Repay(LoanArgs),
    /// Each counterparty's open balance per account: positive when they owe us, 0 when settled
    List {
        /// As of the end of this day: YYYY-MM-DD, YYYY-MM or YYYY (default: everything)
        #[arg(long, value_parser = parse_end)]
        as_of: Option<Date>,
    },
}

pub fn run(ctx: &Ctx, cmd: LoanCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    let (kind, a) = match cmd {
        LoanCmd::List { as_of } => return output::print(&loans::list(ctx.store, book.id, as_of)?, ctx.output),
        LoanCmd::Give(a) => ("give", a),
        LoanCmd::Take(a) => ("take", a),
        LoanCmd::Repay(a) => ("repay", a),
    };
    let input = RecordLoan {
        kind: kind.into(),
        counterparty: a.counterparty,
        account: a.account,
        amount: a.amount,
        date: a.date,
    };
    let tx = loans::record(ctx.store, &ctx.actor, book.id, &input)?;
    println!("{tx}");
    ctx.done(format!(
        "loan {kind} {} with '{}' on '{}' recorded",
        input.amount,
        input.counterparty.trim(),
        input.account
    ));
    Ok(())
}
