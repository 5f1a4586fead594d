//! The ledger commands: init, books, accounts, categories, transactions,
//! transfers, balances and the event log. Each parses its flags into the
//! input of a `kassa_app::local` use case and prints what comes back;
//! refusals come back as one-line errors.

use anyhow::Context;
use clap::{Args, Subcommand};
use jiff::civil::Date;
use kassa_app::SystemClock;
use kassa_app::local::{AccountInput, Local, TransferInput, TxInput, TxListQuery};
use kassa_core::{AccountKind, Amount, Book, Currency, Iban, LedgerDate, ParseError, Section, TxId};
use kassa_store::Store;
use serde::Serialize;
use uuid::Uuid;

use crate::output::{self, Format};

pub struct Ctx<'a> {
    pub store: &'a dyn Store,
    pub book_name: &'a str,
    pub output: Format,
    pub actor: String,
}

impl Ctx<'_> {
    /// The ledger's use cases for whoever runs this binary.
    pub fn local(&self) -> Local<'_> {
        Local { store: self.store, clock: &SystemClock, actor: &self.actor }
    }

    pub fn book(&self) -> anyhow::Result<Book> {
        Ok(self.local().book(self.book_name)?)
    }
}

/// A date flag, in kassa's range (`LedgerDate`), for filters that take a plain date.
pub fn parse_date(s: &str) -> Result<Date, ParseError> {
    LedgerDate::parse(s).map(LedgerDate::get)
}

fn currency(s: &str) -> Result<Currency, ParseError> {
    Currency::parse(s)
}

pub fn init(ctx: &Ctx, url: &str) -> anyhow::Result<()> {
    let (applied, created) = ctx.local().init(ctx.book_name)?;
    if !created {
        eprintln!("database ready at {url} ({} migrations applied); book '{}' exists", applied.len(), ctx.book_name);
        return Ok(());
    }
    eprintln!(
        "database ready at {url} ({} migrations applied); created book '{}' with {} default categories",
        applied.len(),
        ctx.book_name,
        kassa_core::category::DEFAULT_CATEGORIES.len()
    );
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum BookCmd {
    /// Open a new book with the default categories
    Add {
        name: String,
    },
    List,
}

pub fn book(ctx: &Ctx, cmd: BookCmd) -> anyhow::Result<()> {
    match cmd {
        BookCmd::Add { name } => {
            ctx.local().open_book(&name)?;
            Ok(())
        }
        BookCmd::List => {
            #[derive(Serialize)]
            struct Row {
                id: String,
                name: String,
            }
            let rows: Vec<Row> =
                ctx.local().books()?.into_iter().map(|b| Row { id: b.id.to_string(), name: b.name }).collect();
            output::print(&rows, ctx.output)
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AccountCmd {
    /// Open an account
    Add {
        name: String,
        /// checking, savings, cash, credit_card, loan or brokerage
        #[arg(long, value_parser = |s: &str| s.parse::<AccountKind>())]
        kind: AccountKind,
        /// ISO 4217 code, e.g. EUR
        #[arg(long, value_parser = currency)]
        currency: Currency,
        #[arg(long, value_parser = |s: &str| Iban::parse(s))]
        iban: Option<Iban>,
        #[arg(long)]
        number: Option<String>,
        #[arg(long)]
        institution: Option<String>,
        /// Where the money is, e.g. "wallet" or "home safe"
        #[arg(long)]
        location: Option<String>,
        /// Opening date (default: today)
        #[arg(long, value_parser = LedgerDate::parse)]
        opened: Option<LedgerDate>,
    },
    List,
    /// Change an account's settings
    Set {
        name: String,
        /// How sales take their lots: fifo, lifo, hifo, average or specific
        #[arg(long, value_parser = kassa_core::portfolio::CostMethod::parse)]
        cost_method: kassa_core::portfolio::CostMethod,
    },
}

pub fn account(ctx: &Ctx, cmd: AccountCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    match cmd {
        AccountCmd::Add { name, kind, currency, iban, number, institution, location, opened } => {
            let input = AccountInput { name, kind, currency, iban, number, institution, location, opened };
            ctx.local().open_account(book.id, input)?;
            Ok(())
        }
        AccountCmd::List => output::print(&ctx.local().accounts(book.id)?, ctx.output),
        AccountCmd::Set { name, cost_method } => {
            Ok(kassa_app::portfolio::set_cost_method(ctx.store, &ctx.actor, book.id, &name, cost_method)?)
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum CategoryCmd {
    /// Add a category; `Parent:Child` nests it
    Add {
        name: String,
        #[arg(long, value_parser = |s: &str| s.parse::<Section>())]
        section: Section,
    },
    List,
}

pub fn category(ctx: &Ctx, cmd: CategoryCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    match cmd {
        CategoryCmd::Add { name, section } => {
            ctx.local().add_category(book.id, &name, section)?;
            Ok(())
        }
        CategoryCmd::List => output::print(&ctx.local().categories(book.id)?, ctx.output),
    }
}

#[derive(Debug, Subcommand)]
pub enum TxCmd {
    /// Record one amount on one account (+ inflow, − outflow)
    Add {
        #[arg(long)]
        account: String,
        #[arg(long, value_parser = LedgerDate::parse)]
        date: LedgerDate,
        #[arg(long, value_parser = Amount::parse, allow_hyphen_values = true)]
        amount: Amount,
        #[arg(long)]
        description: String,
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        counterparty: Option<String>,
        /// May be given several times
        #[arg(long = "tag")]
        tags: Vec<String>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        external_id: Option<String>,
        /// Not yet booked by the bank
        #[arg(long)]
        pending: bool,
    },
    /// List transactions, one row per account they touch
    List {
        #[arg(long)]
        account: Option<String>,
        #[arg(long, value_parser = parse_date)]
        from: Option<Date>,
        #[arg(long, value_parser = parse_date)]
        to: Option<Date>,
        /// A category; its children match too
        #[arg(long)]
        category: Option<String>,
        /// Text in the description or counterparty
        #[arg(long)]
        search: Option<String>,
        /// Show the newest N
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Point a transaction at another category (or none with --uncategorized),
    /// by hand: rules and the model never override it, and the model learns from it
    Recategorize {
        id: Uuid,
        #[arg(long, required_unless_present = "uncategorized")]
        category: Option<String>,
        #[arg(long, conflicts_with = "category")]
        uncategorized: bool,
    },
    /// Delete a transaction (the log keeps it; reports --known-at still see it)
    Delete { id: Uuid },
}

pub fn tx(ctx: &Ctx, cmd: TxCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    match cmd {
        TxCmd::Add { account, date, amount, description, category, counterparty, tags, note, external_id, pending } => {
            let input = TxInput {
                account,
                date,
                amount,
                description,
                category,
                counterparty,
                tags,
                note,
                external_id,
                pending,
            };
            println!("{}", ctx.local().record(book.id, input)?);
            Ok(())
        }
        TxCmd::List { account, from, to, category, search, limit } => {
            let rows = ctx.local().transactions(book.id, TxListQuery { account, from, to, category, search, limit })?;
            output::print(&rows, ctx.output)
        }
        TxCmd::Recategorize { id, category, .. } => {
            Ok(kassa_app::categorize::correct(ctx.store, book.id, &ctx.actor, TxId(id), category)?)
        }
        TxCmd::Delete { id } => Ok(ctx.local().delete(book.id, TxId(id))?),
    }
}

#[derive(Debug, Args)]
pub struct TransferArgs {
    #[arg(long)]
    from: String,
    #[arg(long)]
    to: String,
    #[arg(long, value_parser = LedgerDate::parse)]
    date: LedgerDate,
    /// Positive, in the source account's currency
    #[arg(long, value_parser = Amount::parse)]
    amount: Amount,
    /// What arrives, in the target account's currency (between currencies)
    #[arg(long, value_parser = Amount::parse, conflicts_with = "rate")]
    to_amount: Option<Amount>,
    /// Units of the target currency per unit of the source currency
    #[arg(long, value_parser = Amount::parse)]
    rate: Option<Amount>,
    #[arg(long, default_value = "Transfer")]
    description: String,
}

pub fn transfer(ctx: &Ctx, a: TransferArgs) -> anyhow::Result<()> {
    let book = ctx.book()?;
    let TransferArgs { from, to, date, amount, to_amount, rate, description } = a;
    let input = TransferInput { from, to, date, amount, to_amount, rate, description };
    println!("{}", ctx.local().transfer(book.id, input)?);
    Ok(())
}

#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// Balances at the end of this day
    #[arg(long, value_parser = parse_date)]
    as_of: Option<Date>,
}

pub fn balance(ctx: &Ctx, a: BalanceArgs) -> anyhow::Result<()> {
    let book = ctx.book()?;
    output::print(&ctx.local().balances(book.id, a.as_of)?, ctx.output)
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// How many of the newest events to show
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

pub fn events(ctx: &Ctx, a: EventsArgs) -> anyhow::Result<()> {
    output::print(&ctx.local().events(a.limit).context("reading the event log")?, ctx.output)
}
