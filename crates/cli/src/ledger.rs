//! The ledger commands: init, books, accounts, categories, transactions,
//! transfers, balances and the event log. Each builds core commands and lets
//! the store decide; refusals come back as one-line errors.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use jiff::civil::Date;
use kassa_core::ledger::{convert, nearest};
use kassa_core::{
    AccountId, AccountKind, AccountRef, Amount, Book, BookId, CategoryId, CategoryName, Command, Currency, Iban,
    Ledger, LedgerDate, NewAccount, NewTransaction, NewTransfer, Owner, ParseError, Section, Status, TxId,
};
use kassa_store::{Store, TxFilter};
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
    pub fn book(&self) -> anyhow::Result<Book> {
        let books = self.store.books()?;
        if let Some(b) = books.iter().find(|b| b.name == self.book_name) {
            return Ok(b.clone());
        }
        match nearest(self.book_name, books.iter().map(|b| b.name.as_str())) {
            Some(n) => bail!("unknown book '{}' (did you mean '{n}'?)", self.book_name),
            None if books.is_empty() => bail!("no books yet: run `kassa init` first"),
            None => bail!("unknown book '{}' (run `kassa book list`)", self.book_name),
        }
    }

    pub fn execute(&self, book: BookId, cmds: &[Command]) -> anyhow::Result<()> {
        self.store.execute(book, &self.actor, cmds)?;
        Ok(())
    }
}

/// A date flag, in kassa's range (`LedgerDate`), for filters that take a plain date.
pub fn parse_date(s: &str) -> Result<Date, ParseError> {
    LedgerDate::parse(s).map(LedgerDate::get)
}

fn currency(s: &str) -> Result<Currency, ParseError> {
    Currency::parse(s)
}

fn today() -> anyhow::Result<LedgerDate> {
    Ok(LedgerDate::new(jiff::Zoned::now().date())?)
}

pub fn init(ctx: &Ctx, url: &str) -> anyhow::Result<()> {
    let applied = ctx.store.migrate()?;
    if ctx.store.books()?.iter().any(|b| b.name == ctx.book_name) {
        eprintln!("database ready at {url} ({} migrations applied); book '{}' exists", applied.len(), ctx.book_name);
        return Ok(());
    }
    open_book(ctx, ctx.book_name)?;
    eprintln!(
        "database ready at {url} ({} migrations applied); created book '{}' with {} default categories",
        applied.len(),
        ctx.book_name,
        kassa_core::category::DEFAULT_CATEGORIES.len()
    );
    Ok(())
}

fn open_book(ctx: &Ctx, name: &str) -> anyhow::Result<()> {
    kassa_app::users::open_book(ctx.store, &ctx.actor, name, Owner::Local)?;
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
            if ctx.store.books()?.iter().any(|b| b.name == name) {
                bail!("a book named '{name}' already exists");
            }
            open_book(ctx, &name)
        }
        BookCmd::List => {
            #[derive(Serialize)]
            struct Row {
                id: String,
                name: String,
            }
            let rows: Vec<Row> =
                ctx.store.books()?.into_iter().map(|b| Row { id: b.id.to_string(), name: b.name }).collect();
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
}

pub fn account(ctx: &Ctx, cmd: AccountCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    match cmd {
        AccountCmd::Add { name, kind, currency, iban, number, institution, location, opened } => ctx.execute(
            book.id,
            &[Command::OpenAccount(NewAccount {
                account_id: AccountId(Uuid::now_v7()),
                name,
                kind,
                currency,
                iban,
                number,
                institution,
                location,
                opened_on: match opened {
                    Some(d) => d,
                    None => today()?,
                },
            })],
        ),
        AccountCmd::List => {
            #[derive(Serialize)]
            struct Row {
                name: String,
                kind: AccountKind,
                currency: Currency,
                balance: String,
                iban: Option<String>,
                institution: Option<String>,
                location: Option<String>,
                id: String,
            }
            let ledger = ctx.store.ledger(book.id)?;
            let balances = ctx.store.balances(book.id, None)?;
            let mut rows: Vec<Row> = ledger
                .accounts()
                .map(|a| Row {
                    name: a.name.clone(),
                    kind: a.kind,
                    currency: a.currency,
                    balance: balances
                        .iter()
                        .find(|b| b.account == a.name)
                        .map(|b| b.balance.to_string())
                        .unwrap_or_default(),
                    iban: a.iban.as_ref().map(|i| i.to_string()),
                    institution: a.institution.clone(),
                    location: a.location.clone(),
                    id: a.id.to_string(),
                })
                .collect();
            rows.sort_by(|a, b| a.name.cmp(&b.name));
            output::print(&rows, ctx.output)
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
        CategoryCmd::Add { name, section } => ctx.execute(
            book.id,
            &[Command::AddCategory {
                category_id: CategoryId(Uuid::now_v7()),
                name: CategoryName::parse(&name)?,
                section,
            }],
        ),
        CategoryCmd::List => {
            #[derive(Serialize)]
            struct Row {
                name: String,
                section: Section,
                id: String,
            }
            let ledger = ctx.store.ledger(book.id)?;
            let mut rows: Vec<Row> = ledger
                .categories()
                .map(|c| Row { name: c.name.to_string(), section: c.section, id: c.id.to_string() })
                .collect();
            rows.sort_by(|a, b| (a.section, &a.name).cmp(&(b.section, &b.name)));
            output::print(&rows, ctx.output)
        }
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
            let tx_id = TxId(Uuid::now_v7());
            ctx.execute(
                book.id,
                &[Command::RecordTransaction(NewTransaction {
                    tx_id,
                    account: AccountRef::Name(account),
                    date,
                    amount,
                    description,
                    category,
                    counterparty,
                    tags,
                    notes: note,
                    external_id,
                    status: if pending { Status::Pending } else { Status::Booked },
                    category_source: None,
                })],
            )?;
            println!("{tx_id}");
            Ok(())
        }
        TxCmd::List { account, from, to, category, search, limit } => {
            let ledger = ctx.store.ledger(book.id)?;
            let account = account.map(|a| ledger.resolve_account(&AccountRef::Name(a)).map(|a| a.id)).transpose()?;
            if let Some(c) = &category {
                check_category_filter(&ledger, c)?;
            }
            let rows =
                ctx.store.transactions(book.id, &TxFilter { id: None, account, from, to, category, search, limit })?;
            output::print(&rows, ctx.output)
        }
        TxCmd::Recategorize { id, category, .. } => {
            Ok(kassa_app::categorize::correct(ctx.store, book.id, &ctx.actor, TxId(id), category)?)
        }
        TxCmd::Delete { id } => ctx.execute(book.id, &[Command::DeleteTransaction { tx_id: TxId(id) }]),
    }
}

/// A filter names a category or a parent of some category.
fn check_category_filter(ledger: &Ledger, name: &str) -> anyhow::Result<()> {
    let prefix = format!("{}:", name.to_lowercase());
    if ledger.categories().any(|c| c.name.as_str().to_lowercase().starts_with(&prefix)) {
        return Ok(());
    }
    ledger.resolve_category(name)?;
    Ok(())
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
    let to_amount = match (a.to_amount, a.rate) {
        (Some(x), _) => Some(x),
        (None, Some(rate)) => {
            let ledger = ctx.store.ledger(book.id)?;
            let to = ledger.resolve_account(&AccountRef::Name(a.to.clone()))?;
            // Both factors are below 10^14, so the product fits a Decimal;
            // what it comes to must be in range like any amount.
            let converted = convert(a.amount.get(), rate.get(), to.currency);
            Some(Amount::new(converted).with_context(|| format!("--rate {rate}"))?)
        }
        (None, None) => None,
    };
    let tx_id = TxId(Uuid::now_v7());
    ctx.execute(
        book.id,
        &[Command::Transfer(NewTransfer {
            tx_id,
            from: AccountRef::Name(a.from),
            to: AccountRef::Name(a.to),
            date: a.date,
            amount: a.amount,
            to_amount,
            description: a.description,
            external_id: None,
        })],
    )?;
    println!("{tx_id}");
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
    let rows = ctx.store.balances(book.id, a.as_of)?;
    output::print(&rows, ctx.output)
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// How many of the newest events to show
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

pub fn events(ctx: &Ctx, a: EventsArgs) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct Row {
        position: i64,
        stream: String,
        version: i64,
        r#type: &'static str,
        actor: String,
        occurred_at: Date,
        recorded_at: String,
        data: serde_json::Value,
    }
    let rows: Vec<Row> = ctx
        .store
        .tail(a.limit)
        .context("reading the event log")?
        .into_iter()
        .map(|e| Row {
            position: e.position,
            r#type: e.event.type_name(),
            data: e.event.data(),
            stream: e.stream,
            version: e.version,
            actor: e.meta.actor,
            occurred_at: e.meta.occurred_at,
            recorded_at: e.meta.recorded_at.to_string(),
        })
        .collect();
    output::print(&rows, ctx.output)
}
