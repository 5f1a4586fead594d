//! The ledger commands: init, books, accounts, categories, transactions,
//! transfers, balances and the event log. Each parses its flags into the
//! input of a `kassa_app::local` use case and prints what comes back;
//! refusals come back as one-line errors.

use anyhow::Context;
use clap::{Args, Subcommand};
use jiff::civil::Date;
use kassa_app::books::AddMember;
use kassa_app::local::{AccountInput, Acting, DEFAULT_BOOK, Local, TransferInput, TxInput, TxListQuery};
use kassa_app::{App, AppError, SystemClock};
use kassa_core::access::BookRole;
use kassa_core::{AccountKind, AccountRef, Amount, Book, Currency, Iban, LedgerDate, ParseError, Section, TxId};
use kassa_store::Store;
use uuid::Uuid;

use crate::output::{self, Format};

pub struct Ctx<'a> {
    pub store: &'a dyn Store,
    /// The use cases that check roles: book grants go through them.
    pub app: &'a App,
    /// `--book`; without it, the only book the caller sees, else "personal".
    pub book_name: Option<&'a str>,
    /// `--as`, for the commands that decide who is acting themselves (`init`).
    pub as_user: Option<&'a str>,
    pub output: Format,
    /// `-q`: no word of what a command did, only the listings asked for.
    pub quiet: bool,
    pub acting: Acting,
    /// Who the events say did it (`acting`'s tag).
    pub actor: String,
    /// The role the command needs on its book (`main::needs`): a viewer
    /// may list, only an editor or the owner may change the book.
    pub needs: BookRole,
}

impl Ctx<'_> {
    /// The ledger's use cases for whoever runs this binary.
    pub fn local(&self) -> Local<'_> {
        Local { store: self.store, clock: &SystemClock, actor: &self.actor }
    }

    /// The command's book, when the acting user's role on it is enough
    /// for the command: the same rule the API applies, for `--as` too.
    pub fn book(&self) -> anyhow::Result<Book> {
        let (book, role) = self.local().book_as(&self.acting, self.book_name)?;
        if let Some(role) = role
            && role < self.needs
        {
            let who = match &self.acting {
                Acting::User(u) => u.email.clone(),
                _ => "you".into(),
            };
            let a = |r: BookRole| if matches!(r, BookRole::Editor | BookRole::Owner) { "an" } else { "a" };
            return Err(AppError::Forbidden(format!(
                "{who} is {} {} of book '{}': this command needs {} {} or more",
                a(role),
                role.as_str(),
                book.name,
                a(self.needs),
                self.needs.as_str()
            ))
            .into());
        }
        Ok(book)
    }

    /// Says what a command did, on stderr (stdout stays for the ids and
    /// listings scripts read), unless `-q`.
    pub fn done(&self, what: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{what}");
        }
    }
}

/// A range's start flag (`--from`): YYYY-MM-DD, YYYY-MM or YYYY, from its first day.
pub fn parse_date(s: &str) -> Result<Date, String> {
    kassa_app::dates::start(s)
}

/// A range's end flag (`--to`, `--as-of`): YYYY-MM-DD, YYYY-MM or YYYY, to its last day.
pub fn parse_end(s: &str) -> Result<Date, String> {
    kassa_app::dates::end(s)
}

fn currency(s: &str) -> Result<Currency, ParseError> {
    Currency::parse(s)
}

pub fn init(ctx: &Ctx, url: &str) -> anyhow::Result<()> {
    let name = ctx.book_name.unwrap_or(DEFAULT_BOOK);
    let (applied, created) = ctx.local().init(ctx.as_user, name)?;
    if !created {
        ctx.done(format!("database ready at {url} ({} migrations applied); book '{name}' exists", applied.len()));
        return Ok(());
    }
    ctx.done(format!(
        "database ready at {url} ({} migrations applied); created book '{name}' with {} default categories",
        applied.len(),
        kassa_core::category::DEFAULT_CATEGORIES.len()
    ));
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum BookCmd {
    /// Open a new book with the default categories
    Add { name: String },
    /// The books you see, whose they are, your role and who else has one
    List,
    /// Give a user a role on the book (--book): owner, editor, viewer or spender (with --account)
    Grant {
        email: String,
        /// owner, editor, viewer or spender
        #[arg(value_parser = book_role)]
        role: BookRole,
        /// The one account a spender records and sees
        #[arg(long)]
        account: Option<String>,
    },
    /// Take a user's role on the book (--book) away
    Revoke { email: String },
}

fn book_role(s: &str) -> Result<BookRole, String> {
    BookRole::parse(s).ok_or_else(|| format!("unknown role '{s}'; expected owner, editor, viewer or spender"))
}

pub fn book(ctx: &Ctx, cmd: BookCmd) -> anyhow::Result<()> {
    match cmd {
        BookCmd::Add { name } => {
            ctx.local().open_book(&ctx.acting, &name)?;
            ctx.done(format!("opened book '{name}' with the default categories"));
            Ok(())
        }
        BookCmd::List => output::print(&ctx.local().book_rows(&ctx.acting)?, ctx.output),
        BookCmd::Grant { email, role, account } => {
            let book = ctx.book()?;
            let account_id = match &account {
                Some(a) => Some(ctx.store.ledger(book.id)?.resolve_account(&AccountRef::Name(a.clone()))?.id.0),
                None => None,
            };
            if role == BookRole::Spender && account_id.is_none() {
                anyhow::bail!("a spender records on one account: add --account NAME");
            }
            let input = AddMember { email: Some(email.clone()), org_id: None, role: role.as_str().into(), account_id };
            ctx.app.add_member(&ctx.acting.user()?, book.id, &input)?;
            let on = account.map(|a| format!(" (account '{a}')")).unwrap_or_default();
            ctx.done(format!("{email} is now {} on book '{}'{on}", role.as_str(), book.name));
            Ok(())
        }
        BookCmd::Revoke { email } => {
            let book = ctx.book()?;
            let who = kassa_core::access::normalise_email(&email)?;
            let user =
                ctx.store.user_by_email(&who)?.with_context(|| format!("no user {who} (see `kassa user list`)"))?;
            ctx.app.remove_member(&ctx.acting.user()?, book.id, user.id.0).map_err(|e| match e {
                AppError::NotFound(_) => anyhow::anyhow!("{who} holds no role on book '{}' by a grant", book.name),
                e => e.into(),
            })?;
            ctx.done(format!("{who} no longer has a role on book '{}'", book.name));
            Ok(())
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
            let what = format!("opened {kind} account '{name}' in {currency}");
            let input = AccountInput { name, kind, currency, iban, number, institution, location, opened };
            ctx.local().open_account(book.id, input)?;
            ctx.done(what);
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
            ctx.done(format!("added {section} category '{name}'"));
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
        /// The bucket its spending comes from (see `kassa bucket list`)
        #[arg(long)]
        bucket: Option<String>,
    },
    /// List transactions, one row per account they touch
    List {
        #[arg(long)]
        account: Option<String>,
        #[arg(long, value_parser = parse_date)]
        from: Option<Date>,
        #[arg(long, value_parser = parse_end)]
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
    /// Take a transaction's spending from a bucket (or from none with --none)
    Bucket {
        id: Uuid,
        #[arg(required_unless_present = "none")]
        bucket: Option<String>,
        #[arg(long, conflicts_with = "bucket")]
        none: bool,
    },
}

pub fn tx(ctx: &Ctx, cmd: TxCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    match cmd {
        TxCmd::Add {
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
            bucket,
        } => {
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
                bucket,
            };
            let what = format!("recorded {} on '{}' on {}", input.amount, input.account, input.date);
            println!("{}", ctx.local().record(book.id, input)?);
            ctx.done(what);
            Ok(())
        }
        TxCmd::List { account, from, to, category, search, limit } => {
            let rows = ctx.local().transactions(book.id, TxListQuery { account, from, to, category, search, limit })?;
            output::print(&rows, ctx.output)
        }
        TxCmd::Recategorize { id, category, .. } => {
            let what = match &category {
                Some(c) => format!("transaction {id} is now in '{c}'"),
                None => format!("transaction {id} is now uncategorized"),
            };
            kassa_app::categorize::correct(ctx.store, book.id, &ctx.actor, TxId(id), category)?;
            ctx.done(what);
            Ok(())
        }
        TxCmd::Bucket { id, bucket, .. } => {
            kassa_app::buckets::reassign(ctx.store, &ctx.actor, book.id, TxId(id), bucket.as_deref())?;
            match bucket {
                Some(b) => ctx.done(format!("transaction {id} is now spent from bucket '{b}'")),
                None => ctx.done(format!("transaction {id} is spent from no bucket")),
            }
            Ok(())
        }
        TxCmd::Delete { id } => {
            ctx.local().delete(book.id, TxId(id))?;
            ctx.done(format!("deleted transaction {id} (reports with --known-at before now still see it)"));
            Ok(())
        }
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
    let what = format!("moved {amount} from '{from}' to '{to}' on {date}");
    let input = TransferInput { from, to, date, amount, to_amount, rate, description };
    println!("{}", ctx.local().transfer(book.id, input)?);
    ctx.done(what);
    Ok(())
}

#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// Balances at the end of this day
    #[arg(long, value_parser = parse_end)]
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
