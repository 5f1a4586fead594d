//! `kassa bench …`: the command line of the benchmarks in kassa-bench,
//! which run them; their rows are printed here like any listing.

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use kassa_bench::ledger::Dates;

use crate::output::{self, Format};

#[derive(Debug, Subcommand)]
pub enum BenchCmd {
    /// Append generated transactions in batches, then rebuild all projections
    Ledger {
        #[arg(long, default_value_t = 100_000)]
        transactions: usize,
        /// Transactions per `execute` (one database transaction each)
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
        /// Also run on this PostgreSQL server (a scratch database is created and dropped)
        #[arg(long, env = "KASSA_BENCH_PG")]
        pg: Option<String>,
        /// `chronological`: dates advance through ten years as a real ledger
        /// is recorded (a few days of jitter); `random`: each date anywhere in
        /// the ten years, the worst case for the date indexes
        #[arg(long, value_enum, default_value = "chronological")]
        dates: DatesArg,
    },
    /// Import a generated kassa transactions.csv into a fresh SQLite
    /// database (dedup, index, projections), beside sqlite3's bare `.import`
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Rows per chunk inside the one database transaction
        #[arg(long, default_value_t = 20_000)]
        chunk: usize,
    },
    /// Build a book once in a database (kept for later runs), then time every report in-process
    Reports {
        /// Database URL holding (or to hold) the book named `bench`
        #[arg(long)]
        db: String,
        #[arg(long, default_value_t = 1_000_000)]
        transactions: usize,
        /// Timed runs per report
        #[arg(long, default_value_t = 7)]
        runs: usize,
    },
    /// Time the register filters that match few rows of a large book (a
    /// search, an amount range, "uncategorised") as one page each, beside
    /// the unfiltered page, on the book built once in each database
    Filters {
        /// Database URLs holding (or to hold) the book named `bench`; several
        /// (an SQLite file and a PostgreSQL database) give rows for each
        #[arg(long, required = true)]
        db: Vec<String>,
        #[arg(long, default_value_t = 1_000_000)]
        transactions: usize,
        /// Timed runs per filter
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Fill the database `--db` names with a user (bench@example.org, password
    /// `bench-password`) whose personal book holds N generated transactions:
    /// the data set for the HTTP benchmarks in docs/BENCHMARKS.md
    Seed {
        #[arg(long, default_value_t = 1_000_000)]
        transactions: usize,
        #[arg(long, default_value_t = 5_000)]
        batch: usize,
    },
    /// The HTTP benchmark: seed (or reuse) the database `--db` names, serve
    /// it from this binary and load one register page with wrk
    Api(ApiArgs),
    /// Every web page of the demo personas, timed one request at a time
    /// against this binary's server, beside its static stylesheet
    Pages(PagesArgs),
    /// `budget show`, `/budgets` and `recurring list` on the bench user's
    /// book in the database `--db` names (seeded when missing), each beside a baseline
    Budgets {
        /// Transactions to seed when the database has no bench user yet
        #[arg(long, default_value_t = 1_000_000)]
        transactions: usize,
        /// Timed runs of each measurement (recurring: at most 5)
        #[arg(long, default_value_t = 9)]
        runs: usize,
        /// Where the server listens during the run
        #[arg(long, default_value = "127.0.0.1:18082")]
        bind: String,
        /// Leave out `recurring list`, which takes minutes on the generated book
        #[arg(long)]
        no_recurring: bool,
    },
    /// Generate a portfolio (trades over instruments and accounts, daily
    /// prices) into a fresh SQLite database through this binary, then time
    /// `portfolio holdings --as-of D` and `portfolio performance`
    /// whole-process beside bean-query on the same trades
    Portfolio(PortfolioArgs),
    /// The load test of issue 14: one user's upload of generated rows runs
    /// as a background job while another user's register page is read
    /// without pause; prints the reads' percentiles beside an idle baseline
    ImportLoad(ImportLoadArgs),
}

#[derive(Debug, Args)]
pub struct ImportLoadArgs {
    /// Rows of the uploaded bank CSV
    #[arg(long, default_value_t = 500_000)]
    rows: usize,
    /// Rows in the reader's book
    #[arg(long, default_value_t = 10_000)]
    reader_rows: usize,
    /// Also run on this PostgreSQL server (a scratch database is created and dropped)
    #[arg(long, env = "KASSA_BENCH_PG")]
    pg: Option<String>,
    /// Where the server listens during the run
    #[arg(long, default_value = "127.0.0.1:18082")]
    bind: String,
}

#[derive(Debug, Args)]
pub struct PortfolioArgs {
    #[arg(long, default_value_t = 100_000)]
    trades: usize,
    #[arg(long, default_value_t = 50)]
    instruments: usize,
    #[arg(long, default_value_t = 5)]
    accounts: usize,
    /// Years of daily prices, from 2015-01-01; the trades spread over them
    #[arg(long, default_value_t = 10)]
    years: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Timed runs of each kassa command
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Timed runs of bean-query (tens of seconds each on the full set)
    #[arg(long, default_value_t = 1)]
    bean_runs: usize,
    #[arg(long, default_value = "bean-query")]
    bean_query: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DatesArg {
    Chronological,
    Random,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Transactions to seed when the database has no bench user yet
    #[arg(long, default_value_t = 1_000_000)]
    transactions: usize,
    /// Concurrent connections; several (`1,32`) give one row each
    #[arg(long, value_delimiter = ',', default_value = "32")]
    connections: Vec<usize>,
    /// wrk threads
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Seconds of load per row
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// The month the page is filtered to, YYYY-MM
    #[arg(long, default_value = "2020-03")]
    month: String,
    /// The account the page is filtered to, by name
    #[arg(long, default_value = "Checking")]
    account: String,
    /// Where the server listens during the run
    #[arg(long, default_value = "127.0.0.1:18080")]
    bind: String,
    /// The load generator
    #[arg(long, default_value = "wrk")]
    wrk: String,
}

#[derive(Debug, Args)]
pub struct PagesArgs {
    /// Timed requests per page (after one warm-up request)
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Where the server listens during the run
    #[arg(long, default_value = "127.0.0.1:18081")]
    bind: String,
}

/// Runs one benchmark; `db` is the global `--db`, which seed, api and pages
/// work in (the others make their own throw-away databases).
pub fn run(cmd: &BenchCmd, db: Option<&str>, format: Format) -> anyhow::Result<()> {
    let db = |what: &str, why: &str| db.with_context(|| format!("kassa bench {what} needs --db URL{why}"));
    match *cmd {
        BenchCmd::Ledger { transactions, batch, ref pg, dates } => {
            let dates = match dates {
                DatesArg::Chronological => Dates::Chronological,
                DatesArg::Random => Dates::Random,
            };
            output::print(&kassa_bench::ledger::run(transactions, batch, pg.as_deref(), dates)?, format)
        }
        BenchCmd::Import { rows, chunk } => output::print(&kassa_bench::ledger::import(rows, chunk)?, format),
        BenchCmd::Reports { ref db, transactions, runs } => {
            output::print(&kassa_bench::reports::run(db, transactions, runs)?, format)
        }
        BenchCmd::Filters { ref db, transactions, runs } => {
            output::print(&kassa_bench::filters::run(db, transactions, runs)?, format)
        }
        BenchCmd::Seed { transactions, batch } => kassa_bench::ledger::seed(db("seed", "")?, transactions, batch),
        BenchCmd::Api(ref a) => {
            let options = kassa_bench::api::Options {
                transactions: a.transactions,
                connections: a.connections.clone(),
                wrk_threads: a.threads,
                seconds: a.duration,
                month: a.month.clone(),
                account: a.account.clone(),
                bind: a.bind.clone(),
                wrk: a.wrk.clone(),
            };
            output::print(&kassa_bench::api::run(db("api", "")?, &options)?, format)
        }
        BenchCmd::Budgets { transactions, runs, ref bind, no_recurring } => {
            let rows = kassa_bench::budgets::run(db("budgets", "")?, transactions, runs, bind, !no_recurring)?;
            output::print(&rows, format)
        }
        BenchCmd::Pages(ref a) => {
            let url = db("pages", " (the demo is seeded there)")?;
            output::print(&kassa_bench::pages::run(url, a.runs, &a.bind)?, format)
        }
        BenchCmd::Portfolio(ref a) => {
            let options = kassa_bench::portfolio::Options {
                shape: kassa_bench::portfolio::Shape {
                    seed: a.seed,
                    trades: a.trades,
                    instruments: a.instruments,
                    accounts: a.accounts,
                    first_day: jiff::civil::date(2015, 1, 1),
                    days: a.years * 365,
                },
                runs: a.runs,
                bean_runs: a.bean_runs,
                bean_query: a.bean_query.clone(),
            };
            output::print(&kassa_bench::portfolio::run(&options)?, format)
        }
        BenchCmd::ImportLoad(ref a) => {
            let options = kassa_bench::import_load::Options {
                rows: a.rows,
                reader_rows: a.reader_rows,
                pg: a.pg.clone(),
                bind: a.bind.clone(),
            };
            output::print(&kassa_bench::import_load::run(&options)?, format)
        }
    }
}
