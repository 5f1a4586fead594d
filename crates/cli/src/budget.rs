//! `kassa budget …`: clap parsing and printing. The budget arithmetic is
//! `kassa_core::budget`, the edits and the month's figures are the
//! application layer's `budgets::{edit, show}`, which the API calls too.

use clap::{Args, Subcommand, ValueEnum};
use kassa_app::budgets::{self, BudgetEdit, BudgetView};
use kassa_app::{Clock, SystemClock};
use kassa_core::report::Month;

use crate::ledger::Ctx;
use crate::output::{self, Format};

#[derive(Debug, Clone, Args)]
pub struct MonthArg {
    /// The month, YYYY-MM (default: this month)
    #[arg(long)]
    pub month: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Envelope,
    Tracking,
}

#[derive(Debug, Subcommand)]
pub enum BudgetCmd {
    /// Budget an expense category for a month (or through a later one)
    Set {
        category: String,
        /// Not negative; a negative one is refused by name, not taken for a flag
        #[arg(allow_hyphen_values = true)]
        amount: String,
        #[command(flatten)]
        month: MonthArg,
        /// The last month to budget the same amount in
        #[arg(long)]
        through: Option<String>,
        /// Carry at most this much of each month's leftover into the next
        #[arg(long)]
        up_to: Option<String>,
    },
    /// Carry leftovers over in full (on, negative too) or only when positive (off), from the month on
    Carryover {
        category: String,
        #[arg(value_enum)]
        state: OnOff,
        #[command(flatten)]
        month: MonthArg,
        /// Carry at most this much into the next month
        #[arg(long)]
        up_to: Option<String>,
    },
    /// Move budget from one category to another within a month
    Move {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(allow_hyphen_values = true)]
        amount: String,
        #[command(flatten)]
        month: MonthArg,
    },
    /// Hold money to budget back for the next month (0 releases it)
    Hold {
        #[arg(allow_hyphen_values = true)]
        amount: String,
        #[command(flatten)]
        month: MonthArg,
    },
    /// Budget the month as last month was
    Copy {
        #[command(flatten)]
        month: MonthArg,
    },
    /// Budget from a template: last (last month's spending), average:N, goal:AMOUNT
    Fill {
        #[arg(long)]
        from: String,
        /// Only these categories (repeatable; a goal needs them)
        #[arg(long = "category")]
        categories: Vec<String>,
        #[command(flatten)]
        month: MonthArg,
    },
    /// Envelopes with rollover, or tracking (budget against spent, no carry), for the book
    Mode {
        #[arg(value_enum)]
        mode: Mode,
    },
    /// The month's budget: to budget, and each envelope's budget, spending and what is available
    Show {
        #[command(flatten)]
        month: MonthArg,
    },
}

pub fn run(ctx: &Ctx, cmd: BudgetCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    let month = |m: &MonthArg| -> anyhow::Result<Month> {
        Ok(match &m.month {
            Some(s) => budgets::parse_month("month", s)?,
            None => Month::of(SystemClock.today()),
        })
    };
    let (m, change) = match cmd {
        BudgetCmd::Show { month: m } => return show(&budgets::show(ctx.store, book.id, month(&m)?)?, ctx.output),
        BudgetCmd::Set { category, amount, month: m, through, up_to } => {
            (m, BudgetEdit::Set { category, amount, through, up_to })
        }
        BudgetCmd::Carryover { category, state, month: m, up_to } => {
            (m, BudgetEdit::Carryover { category, on: state == OnOff::On, up_to })
        }
        BudgetCmd::Move { from, to, amount, month: m } => (m, BudgetEdit::Move { from, to, amount }),
        BudgetCmd::Hold { amount, month: m } => (m, BudgetEdit::Hold { amount }),
        BudgetCmd::Copy { month: m } => (m, BudgetEdit::Copy),
        BudgetCmd::Fill { from, categories, month: m } => (m, BudgetEdit::Fill { from, categories }),
        BudgetCmd::Mode { mode } => {
            let mode = match mode {
                Mode::Envelope => "envelope",
                Mode::Tracking => "tracking",
            };
            (MonthArg { month: None }, BudgetEdit::Mode { mode: mode.into() })
        }
    };
    let month = month(&m)?;
    let n = budgets::edit(ctx.store, &ctx.actor, book.id, month, &change)?;
    eprintln!("{month}: {n} budget change(s) recorded");
    Ok(())
}

/// JSON: the whole month as one object. Table and CSV: the envelopes, the
/// table after the month's totals.
fn show(view: &BudgetView, format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(view)?);
        return Ok(());
    }
    if format == Format::Table {
        println!(
            "{} ({}, {}): to budget {}, income {}, budgeted {}, spent {}, overspent last month {}, held {}",
            view.month,
            view.mode,
            view.currency,
            view.to_budget,
            view.income,
            view.budgeted,
            view.spent,
            view.overspent_last_month,
            view.held
        );
    }
    output::print(&view.categories, format)
}
