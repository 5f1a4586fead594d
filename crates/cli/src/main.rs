//! `kassa`, the binary: parses the command line, opens the store the URL
//! names and calls into the library crates. It holds no business rules.

mod backup;
mod bench;
mod bucket;
mod budget;
mod categorize;
mod config;
mod demo;
mod export;
mod goal;
mod import;
mod instrument;
mod ledger;
mod loan;
mod output;
mod portfolio;
mod recurring;
mod report;
mod secret;
mod server;

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kassa_app::local::{Acting, Local};
use kassa_core::access::BookRole;
use kassa_store::Store;

use crate::output::Format;

#[derive(Debug, Parser)]
#[command(name = "kassa", version, about = "Self-hosted finance: one ledger for every account")]
struct Cli {
    /// Database URL: sqlite:///path/kassa.db (default: in your data directory) or postgres://user@host/db (database.url, KASSA_DB)
    #[arg(long, global = true)]
    db: Option<String>,
    /// TOML configuration file (default: none); see kassa.example.toml
    #[arg(long, global = true, env = "KASSA_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// Output of listings
    #[arg(short, long, global = true, value_enum, default_value = "table")]
    output: Format,
    /// Book to work in (default: the only one you see, else "personal")
    #[arg(long, global = true, env = "KASSA_BOOK")]
    book: Option<String>,
    /// Act as this user: their books, their name on what you change (default: the only user)
    #[arg(long = "as", global = true, env = "KASSA_AS", value_name = "EMAIL")]
    as_user: Option<String>,
    /// Print nothing on success but the listings asked for
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create or migrate the database and the default book (idempotent)
    Init,
    /// Books: sets of accounts kept together
    #[command(subcommand)]
    Book(ledger::BookCmd),
    /// Accounts: add, list
    #[command(subcommand)]
    Account(ledger::AccountCmd),
    /// Categories: add, list
    #[command(subcommand)]
    Category(ledger::CategoryCmd),
    /// Transactions: add, list
    #[command(subcommand)]
    Tx(ledger::TxCmd),
    /// Move money between two own accounts
    Transfer(ledger::TransferArgs),
    /// Account balances, now or as of a date
    Balance(ledger::BalanceArgs),
    /// The event log, newest last
    Events(ledger::EventsArgs),
    /// Replay the whole event log into empty projections
    Rebuild,
    /// Measure kassa against bare-SQL baselines
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// Categorisation rules: add, list, edit, delete, export, import, apply, undo
    #[command(subcommand)]
    Rules(categorize::RulesCmd),
    /// The learning categoriser: train, run, review, evaluate
    #[command(subcommand)]
    Categorize(categorize::CategorizeCmd),
    /// Import bank files; list, undo and review import batches
    Import(import::ImportArgs),
    /// CSV import profiles: list, show, add
    #[command(subcommand)]
    Profile(import::ProfileCmd),
    /// Reports: balances, net worth, income and expense, cash flow, top, trends
    #[command(subcommand)]
    Report(report::ReportCmd),
    /// Exchange rates for reports in one currency
    #[command(subcommand)]
    Fx(export::FxCmd),
    /// Envelope budgets: set, carryover, move, hold, copy, fill, mode, show
    #[command(subcommand)]
    Budget(budget::BudgetCmd),
    /// Buckets that take a percentage of every income: add, move, list
    #[command(subcommand)]
    Bucket(bucket::BucketCmd),
    /// Loans to and from people, neither income nor expense: give, take, repay, list
    #[command(subcommand)]
    Loan(loan::LoanCmd),
    /// Savings goals linked to accounts or a bucket: add, list
    #[command(subcommand)]
    Goal(goal::GoalCmd),
    /// Recurring payments and subscriptions found in the history: list, confirm, dismiss, rename
    #[command(subcommand)]
    Recurring(recurring::RecurringCmd),
    /// Investments: holdings, sales, lots and performance of brokerage accounts
    #[command(subcommand)]
    Portfolio(portfolio::PortfolioCmd),
    /// Instrument prices: import
    #[command(subcommand)]
    Prices(portfolio::PricesCmd),
    /// Instruments of the trades: list, set a name or kind
    #[command(subcommand)]
    Instrument(instrument::InstrumentCmd),
    /// Write the whole book (or a date range) as JSON, CSV, hledger journal, beancount or Parquet
    Export(export::ExportArgs),
    /// Serve the HTTP API (and its docs at /api/docs)
    Serve(server::ServeArgs),
    /// Users of the server: add, list, disable, reset-password
    #[command(subcommand)]
    User(server::UserCmd),
    /// A demo database with four personas, served (default: its own file in your data directory)
    Demo(demo::DemoArgs),
    /// Write the whole event log to a checksummed archive, online
    Backup(backup::BackupArgs),
    /// Restore an archive into an empty database (--db), rebuilding and checking every projection
    Restore(backup::RestoreArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version go to stdout as usual.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", clap_error(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}{}", one_line(&e), cli_hint(&e));
            ExitCode::FAILURE
        }
    }
}

/// Clap's message with what it names — the missing arguments, the bad
/// value, the tip — but without its usage block, on one line.
fn clap_error(text: &str) -> String {
    let lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut detail = lines.take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"));
    let head = detail.next().unwrap_or("invalid arguments").trim_start_matches("error: ");
    let rest: Vec<&str> = detail.collect();
    let hint = text.lines().find(|l| l.starts_with("For more information")).unwrap_or("");
    let what = match rest.as_slice() {
        [] => head.to_string(),
        _ => format!("{head} {}", rest.join(", ")),
    };
    format!("error: {}. {hint}", what.trim_end_matches('.')).trim_end().to_string()
}

/// What to type, for the refusals the application layer words for any
/// client (the API's callers have no `kassa` to run).
fn cli_hint(e: &anyhow::Error) -> &'static str {
    match e.downcast_ref::<kassa_app::AppError>() {
        Some(kassa_app::AppError::Refused { code: "no_fx_rates" | "missing_rate", .. }) => {
            " — run `kassa fx import FILE`"
        }
        _ => "",
    }
}

/// The error and its causes on one line, without repeating a cause whose
/// text the outer message already contains.
fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if !out.contains(&s) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&s);
        }
    }
    out
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let serve = match &cli.command {
        Command::Serve(args) => Some(args),
        _ => None,
    };
    let flags = config::Flags {
        db: cli.db.clone(),
        bind: serve.and_then(|a| a.bind.clone()),
        registration: serve.and_then(|a| a.registration),
    };
    let mut settings = config::load(cli.config.as_deref(), &flags)?;
    server::set_logging(settings.log.clone());
    let db = settings.database.url.clone();
    if let Command::Bench(cmd) = &cli.command {
        return bench::run(cmd, db.as_ref().map(|u| u.expose()), cli.output);
    }
    if let Command::Demo(args) = &cli.command {
        let url = match db {
            Some(url) => url.expose().to_string(),
            None => demo::default_db_url()?,
        };
        return demo::run(&url, args);
    }
    let url = match db {
        Some(url) => url,
        None => secret::DatabaseUrl::new(default_db_url()?),
    };
    if serve.is_some_and(|a| a.print_config) {
        settings.database.url = Some(url);
        print!("{}", toml::to_string(&settings)?);
        return Ok(());
    }
    // Only `init` (and the server, which migrates) may make a database:
    // any other command on a mistyped path would leave an empty file.
    let creates = matches!(cli.command, Command::Init | Command::Serve(_) | Command::User(_) | Command::Restore(_));
    if !creates
        && let Some(path) = sqlite_file(url.expose())
        && !std::path::Path::new(path).exists()
    {
        anyhow::bail!("no database at {path} — run `kassa init` first (or pass --db URL)");
    }
    // `url` prints with its password masked.
    let store =
        kassa_store::open_with(url.expose(), settings.database.pool()).with_context(|| format!("cannot open {url}"))?;
    if !creates {
        let pending = store.pending_migrations()?;
        if !pending.is_empty() {
            anyhow::bail!(
                "the database at {url} is not ready ({} of its migrations not applied) — run `kassa init`",
                pending.len()
            );
        }
    }
    let operator = Acting::Operator.tag();
    let command = match cli.command {
        Command::Serve(_) => return server::serve(store, &settings),
        Command::User(cmd) => return server::user(store, settings.auth.app_config(), cmd, cli.output, &operator),
        Command::Backup(a) => return backup::backup(store.as_ref(), &url, &a, cli.quiet),
        Command::Restore(a) => {
            store.migrate().with_context(|| format!("cannot migrate {url}"))?;
            return backup::restore(store.as_ref(), &url, &a, cli.quiet);
        }
        other => other,
    };
    let app = server::app(store, settings.auth.app_config());
    // `init` migrates first: before that there is no user table to ask.
    let acting = match command {
        Command::Init => Acting::Operator,
        _ => Local { store: app.store.as_ref(), clock: &kassa_app::SystemClock, actor: &operator }
            .acting(cli.as_user.as_deref())?,
    };
    let ctx = ledger::Ctx {
        store: app.store.as_ref(),
        app: &app,
        book_name: cli.book.as_deref(),
        as_user: cli.as_user.as_deref(),
        output: cli.output,
        quiet: cli.quiet,
        actor: acting.tag(),
        acting,
        needs: needs(&command),
    };
    match command {
        Command::Init => ledger::init(&ctx, &url.to_string()),
        Command::Book(c) => ledger::book(&ctx, c),
        Command::Account(c) => ledger::account(&ctx, c),
        Command::Category(c) => ledger::category(&ctx, c),
        Command::Tx(c) => ledger::tx(&ctx, c),
        Command::Transfer(a) => ledger::transfer(&ctx, a),
        Command::Balance(a) => ledger::balance(&ctx, a),
        Command::Events(a) => ledger::events(&ctx, a),
        Command::Rebuild => rebuild(ctx.store),
        Command::Rules(c) => categorize::rules(&ctx, c),
        Command::Categorize(c) => categorize::categorize(&ctx, c),
        Command::Import(a) => import::run(&ctx, a),
        Command::Profile(c) => import::profile(&ctx, c),
        Command::Report(cmd) => report::run(&ctx, cmd),
        Command::Fx(cmd) => export::fx(&ctx, cmd),
        Command::Budget(cmd) => budget::run(&ctx, cmd),
        Command::Export(a) => export::export(&ctx, a),
        Command::Recurring(cmd) => recurring::run(&ctx, cmd),
        Command::Bucket(cmd) => bucket::run(&ctx, cmd),
        Command::Loan(cmd) => loan::run(&ctx, cmd),
        Command::Goal(cmd) => goal::run(&ctx, cmd),
        Command::Portfolio(cmd) => portfolio::run(&ctx, cmd),
        Command::Prices(cmd) => portfolio::prices(&ctx, cmd),
        Command::Instrument(cmd) => instrument::run(&ctx, cmd),
        Command::Serve(_)
        | Command::User(_)
        | Command::Demo(_)
        | Command::Bench(_)
        | Command::Backup(_)
        | Command::Restore(_) => unreachable!("handled above"),
    }
}

/// The role a command needs on its book: the reads a viewer's, every
/// change an editor's (the roles the API checks; `--as` is held to them).
fn needs(command: &Command) -> BookRole {
    use BookRole::{Editor, Viewer};
    match command {
        Command::Balance(_) | Command::Events(_) | Command::Report(_) | Command::Export(_) => Viewer,
        Command::Portfolio(_) => Viewer,
        Command::Import(a) => a.needs(),
        Command::Account(ledger::AccountCmd::List)
        | Command::Category(ledger::CategoryCmd::List)
        | Command::Tx(ledger::TxCmd::List { .. })
        | Command::Book(ledger::BookCmd::List)
        | Command::Rules(categorize::RulesCmd::List | categorize::RulesCmd::Export { .. })
        | Command::Categorize(categorize::CategorizeCmd::Evaluate { .. })
        | Command::Profile(import::ProfileCmd::List | import::ProfileCmd::Show { .. })
        | Command::Budget(budget::BudgetCmd::Show { .. })
        | Command::Bucket(bucket::BucketCmd::List { .. })
        | Command::Loan(loan::LoanCmd::List { .. })
        | Command::Goal(goal::GoalCmd::List { .. })
        | Command::Recurring(recurring::RecurringCmd::List { .. })
        | Command::Instrument(instrument::InstrumentCmd::List) => Viewer,
        _ => Editor,
    }
}

fn rebuild(store: &dyn Store) -> anyhow::Result<()> {
    let bar = kassa_bench::progress_bar("replaying events");
    let started = std::time::Instant::now();
    let stats = store.rebuild(&mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    eprintln!(
        "rebuilt projections from {} events ({} transactions) in {:.2?}",
        stats.events,
        stats.transactions,
        started.elapsed()
    );
    Ok(())
}

fn default_db_url() -> anyhow::Result<String> {
    let dir = dirs::data_dir().context("no data directory on this system; pass --db")?.join("kassa");
    Ok(format!("sqlite://{}", dir.join("kassa.db").display()))
}

/// The file a `sqlite:` URL names, unless it is an in-memory database.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite:")?;
    let path = rest.strip_prefix("//").unwrap_or(rest);
    (path != ":memory:" && !path.is_empty()).then_some(path)
}
