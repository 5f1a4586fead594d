//! `kassa bench ledger` and `kassa bench import`: kassa's write path,
//! rebuild and import on each backend, side by side with a bare-SQL baseline
//! that inserts the same rows into one plain table (no events, no
//! projections, no checks). The ratio says what event sourcing and double
//! entry cost over the cheapest possible write. `kassa bench seed` fills a
//! database with the same generated transactions for the HTTP benchmarks.

use std::time::{Duration, Instant};

use anyhow::Context;
use kassa_core::{
    AccountId, AccountKind, AccountRef, Amount, BookId, CategoryId, CategoryName, Command, Currency, LedgerDate,
    NewAccount, NewTransaction, Owner, Section, Status, TxId,
};
use kassa_store::Store;
use kassa_store::testing::TempDir;
use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use crate::progress_bar;

/// `kassa bench seed`: a user with a big personal book, through the same
/// application layer the API uses, then the generator's transactions.
pub fn seed(url: &str, transactions: usize, batch: usize) -> anyhow::Result<()> {
    let store = kassa_store::open(url).with_context(|| format!("cannot open {}", kassa_store::redact_url(url)))?;
    store.migrate()?;
    let app = kassa_app::App::new(std::sync::Arc::from(store), kassa_app::Config::default());
    let user = app.add_user("bench", "bench@example.org", "bench-password", true)?;
    let actor = kassa_app::Actor { user_id: user.id, platform_admin: true, token_id: None };
    let book = BookId(app.list_books(&actor)?[0].id);
    let (setup, accounts, categories) = book_setup(book);
    // The personal book exists already: add the bench accounts and categories.
    let existing = app.store.ledger(book)?;
    let taken = |name: &CategoryName| existing.categories().any(|x| x.name.as_str() == name.as_str());
    let extra: Vec<Command> =
        setup.into_iter().skip(1).filter(|c| !matches!(c, Command::AddCategory { name, .. } if taken(name))).collect();
    app.store.execute(book, "bench", &extra)?;
    let mut generator = Generator::new(accounts, categories, transactions, Dates::Chronological);
    let bar = progress_bar("seeding");
    bar.set_length(transactions as u64);
    let mut done = 0;
    while done < transactions {
        let n = batch.min(transactions - done);
        let cmds: Vec<Command> = (0..n).map(|_| generator.next()).collect();
        app.store.execute(book, "bench", &cmds)?;
        done += n;
        bar.set_position(done as u64);
    }
    bar.finish_and_clear();
    let ledger = app.store.ledger(book)?;
    println!("book {book}");
    for a in ledger.accounts() {
        println!("account {} {}", a.name, a.id);
    }
    Ok(())
}

/// How the generated transactions are dated over their ten years.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dates {
    /// Dates advance as a real ledger is recorded (a few days of jitter).
    Chronological,
    /// Each date anywhere in the ten years: the worst case for date indexes.
    Random,
}

/// One step on one backend, beside its baseline.
#[derive(Debug, Serialize)]
pub struct Row {
    backend: &'static str,
    step: &'static str,
    transactions: usize,
    seconds: String,
    per_second: u64,
    baseline_per_second: Option<u64>,
    /// kassa's time divided by the baseline's.
    ratio: Option<String>,
}

/// `transactions` appended `batch` at a time, then rebuilt, in a scratch
/// SQLite database and, with `pg` (an admin URL), in a scratch PostgreSQL
/// database that is dropped afterwards.
pub fn run(transactions: usize, batch: usize, pg: Option<&str>, dates: Dates) -> anyhow::Result<Vec<Row>> {
    let (n, batch) = (transactions, batch.max(1));
    let mut rows = vec![];

    let dir = TempDir::new();
    let path = dir.path().join("bench.db");
    let store = kassa_store::open(&format!("sqlite://{}", path.display()))?;
    let baseline = sqlite_baseline(&dir.path().join("baseline.db"), n, batch, dates)?;
    rows.extend(measure("sqlite", store.as_ref(), n, batch, dates, baseline)?);

    if let Some(admin) = pg {
        let database = format!("kassa_bench_{}", Uuid::now_v7().simple());
        let mut client =
            postgres::Client::connect(admin, postgres::NoTls).with_context(|| format!("connecting to {admin}"))?;
        client.batch_execute(&format!("CREATE DATABASE \"{database}\""))?;
        let url = kassa_store::testing::with_database(admin, &database);
        let result = (|| {
            let baseline = pg_baseline(&url, n, batch, dates)?;
            let store = kassa_store::open(&url)?;
            measure("postgres", store.as_ref(), n, batch, dates, baseline)
        })();
        client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"))?;
        rows.extend(result?);
    }
    Ok(rows)
}

fn measure(
    backend: &'static str,
    store: &dyn Store,
    n: usize,
    batch: usize,
    dates: Dates,
    baseline: Duration,
) -> anyhow::Result<Vec<Row>> {
    store.migrate()?;
    let book = BookId(Uuid::now_v7());
    let (setup, accounts, categories) = book_setup(book);
    store.execute(book, "bench", &setup)?;

    let bar = progress_bar(&format!("{backend}: appending"));
    bar.set_length(n as u64);
    let mut source = Generator::new(accounts, categories, n, dates);
    let started = Instant::now();
    let mut done = 0;
    while done < n {
        let size = batch.min(n - done);
        let cmds: Vec<Command> = (0..size).map(|_| source.next()).collect();
        store.execute(book, "bench", &cmds)?;
        done += size;
        bar.set_position(done as u64);
    }
    let append = started.elapsed();
    bar.finish_and_clear();

    let bar = progress_bar(&format!("{backend}: rebuilding"));
    let started = Instant::now();
    store.rebuild(&mut |d, t| {
        bar.set_length(t);
        bar.set_position(d);
    })?;
    let rebuild = started.elapsed();
    bar.finish_and_clear();

    Ok(vec![row(backend, "append", n, append, Some(baseline)), row(backend, "rebuild", n, rebuild, Some(baseline))])
}

fn row(backend: &'static str, step: &'static str, n: usize, took: Duration, baseline: Option<Duration>) -> Row {
    let rate = |d: Duration| (n as f64 / d.as_secs_f64().max(1e-9)) as u64;
    Row {
        backend,
        step,
        transactions: n,
        seconds: format!("{:.3}", took.as_secs_f64()),
        per_second: rate(took),
        baseline_per_second: baseline.map(rate),
        ratio: baseline.map(|b| format!("{:.2}", took.as_secs_f64() / b.as_secs_f64().max(1e-9))),
    }
}

pub(crate) fn book_setup(book: BookId) -> (Vec<Command>, Vec<String>, Vec<String>) {
    let mut cmds = vec![Command::OpenBook { book_id: book, name: "bench".into(), owner: Owner::Local }];
    let accounts: Vec<String> = ["Checking", "Savings", "Card", "Cash", "Joint"].map(String::from).to_vec();
    for a in &accounts {
        cmds.push(Command::OpenAccount(NewAccount {
            account_id: AccountId(Uuid::now_v7()),
            name: a.clone(),
            kind: AccountKind::Checking,
            currency: Currency::EUR,
            iban: None,
            number: None,
            institution: None,
            location: None,
            opened_on: START,
        }));
    }
    let categories: Vec<String> =
        ["Groceries", "Rent", "Salary", "Fuel", "Coffee", "Travel", "Health", "Fees", "Books", "Gifts"]
            .map(String::from)
            .to_vec();
    for c in &categories {
        let section = if c == "Salary" { Section::Income } else { Section::Expense };
        if let Ok(name) = CategoryName::parse(c) {
            cmds.push(Command::AddCategory { category_id: CategoryId(Uuid::now_v7()), name, section });
        }
    }
    (cmds, accounts, categories)
}

/// Deterministic transactions over ten years: a xorshift stream, so every run
/// of the benchmark writes the same data.
pub(crate) struct Generator {
    state: crate::Rng,
    accounts: Vec<String>,
    categories: Vec<String>,
    start: jiff::civil::Date,
    total: usize,
    made: usize,
    dates: Dates,
}

const TEN_YEARS: u64 = 3650;

/// The first day of the generated history, when its accounts open.
const START: LedgerDate = LedgerDate::known(2015, 1, 1);

impl Generator {
    pub(crate) fn new(accounts: Vec<String>, categories: Vec<String>, total: usize, dates: Dates) -> Generator {
        Generator {
            state: crate::Rng::new(0x9E37_79B9_7F4A_7C15),
            accounts,
            categories,
            start: START.get(),
            total: total.max(1),
            made: 0,
            dates,
        }
    }

    /// Days after the start: spread over ten years, in order or not.
    fn day(&mut self, r: u64) -> u64 {
        self.made += 1;
        match self.dates {
            Dates::Random => (r >> 32) % TEN_YEARS,
            Dates::Chronological => {
                let base = (self.made as u64 * TEN_YEARS) / self.total as u64;
                (base + (r >> 32) % 5).min(TEN_YEARS - 1)
            }
        }
    }

    fn rand(&mut self) -> u64 {
        self.state.next_u64()
    }

    pub(crate) fn next(&mut self) -> Command {
        let r = self.rand();
        let cents = (r % 20_000) as i64 + 1;
        let category = (r >> 20) as usize % self.categories.len();
        let sign = if self.categories[category] == "Salary" { 1 } else { -1 };
        let day = self.day(r);
        // Ten years on from 2015, and cents below 200.00: always in range.
        let date = self.start.checked_add(jiff::Span::new().days(day as i64)).unwrap_or(self.start);
        Command::RecordTransaction(NewTransaction {
            tx_id: TxId(Uuid::now_v7()),
            account: AccountRef::Name(self.accounts[(r >> 40) as usize % self.accounts.len()].clone()),
            date: LedgerDate::new(date).unwrap_or(START),
            amount: Amount::new(Decimal::new(sign * cents, 2)).unwrap_or(Amount::ZERO),
            description: format!("CARD PAYMENT {} #{}", self.categories[category].to_uppercase(), r % 997),
            category: Some(self.categories[category].clone()),
            counterparty: None,
            tags: vec![],
            notes: None,
            external_id: None,
            status: Status::Booked,
            category_source: None,
        })
    }
}

/// The same rows as plain INSERTs into one table, batch by batch.
fn sqlite_baseline(path: &std::path::Path, n: usize, batch: usize, dates: Dates) -> anyhow::Result<Duration> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(
        "CREATE TABLE bare (id TEXT PRIMARY KEY, account TEXT, date TEXT, amount_minor INTEGER, description TEXT, category TEXT)",
    )?;
    let mut source = Generator::new(vec!["Checking".into()], vec!["Groceries".into(), "Salary".into()], n, dates);
    let started = Instant::now();
    let mut done = 0;
    while done < n {
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare_cached("INSERT INTO bare VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            for _ in 0..batch.min(n - done) {
                if let Command::RecordTransaction(t) = source.next() {
                    st.execute(rusqlite::params![
                        t.tx_id.to_string(),
                        "Checking",
                        t.date.to_string(),
                        kassa_core::Money::new(t.amount.get(), Currency::EUR)?.minor_units(),
                        t.description,
                        t.category
                    ])?;
                }
            }
        }
        tx.commit()?;
        done += batch.min(n - done);
    }
    Ok(started.elapsed())
}

/// The same rows through one `UNNEST` insert per batch, PostgreSQL's fastest
/// plain-SQL path short of COPY.
fn pg_baseline(url: &str, n: usize, batch: usize, dates: Dates) -> anyhow::Result<Duration> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)?;
    client.batch_execute(
        "CREATE TABLE bare (id UUID PRIMARY KEY, account TEXT, date DATE, amount NUMERIC, description TEXT, category TEXT)",
    )?;
    let mut source = Generator::new(vec!["Checking".into()], vec!["Groceries".into(), "Salary".into()], n, dates);
    let started = Instant::now();
    let mut done = 0;
    while done < n {
        let size = batch.min(n - done);
        let (mut ids, mut dates, mut amounts, mut descs, mut cats) = (vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..size {
            if let Command::RecordTransaction(t) = source.next() {
                ids.push(t.tx_id.0);
                dates.push(t.date.get());
                amounts.push(t.amount.get());
                descs.push(t.description);
                cats.push(t.category);
            }
        }
        client.execute(
            "INSERT INTO bare SELECT i, 'Checking', d, a, s, c FROM UNNEST($1::uuid[], $2::date[], $3::numeric[], $4::text[], $5::text[]) AS u(i, d, a, s, c)",
            &[&ids, &dates, &amounts, &descs, &cats],
        )?;
        done += size;
    }
    Ok(started.elapsed())
}

/// Writes `n` rows of transactions.csv (five accounts, ten categories, ten
/// years in date order, a transfer pair every 50 rows), streaming.
fn write_transactions_csv(path: &std::path::Path, n: usize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        w,
        "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,counterparty_account,transfer_group_id"
    )?;
    let accounts = ["Checking", "Savings", "Card", "Cash", "Joint"];
    let categories = ["Groceries", "Rent", "Salary", "Fuel", "Coffee", "Travel", "Health", "Fees", "Books", "Gifts"];
    let mut g = Generator::new(vec![], vec![], n, Dates::Chronological);
    let start = jiff::civil::date(2015, 1, 1);
    let mut i = 0;
    while i < n {
        let r = g.rand();
        let day = g.day(r);
        let date = start.checked_add(jiff::Span::new().days(day as i64)).unwrap_or(start);
        let cents = (r % 20_000) as i64 + 1;
        if i % 50 == 49 && i + 1 < n {
            let amount = Decimal::new(cents, 2);
            writeln!(w, "x{i},Checking,{date},-{amount},EUR,transfer,,Savings plan,,,t{i}")?;
            writeln!(w, "x{},Savings,{date},{amount},EUR,transfer,,Savings plan,,,t{i}", i + 1)?;
            i += 2;
            continue;
        }
        let c = (r >> 20) as usize % categories.len();
        let sign = if categories[c] == "Salary" { 1 } else { -1 };
        let amount = Decimal::new(sign * cents, 2);
        let section = if sign > 0 { "income" } else { "expense" };
        let account = accounts[(r >> 40) as usize % accounts.len()];
        writeln!(
            w,
            "x{i},{account},{date},{amount},EUR,{section},{},CARD PAYMENT {} #{},,,",
            categories[c],
            categories[c].to_uppercase(),
            r % 997
        )?;
        i += 1;
    }
    w.flush()?;
    Ok(())
}

/// `kassa bench import`: a generated `transactions.csv` of `n` rows into a
/// fresh SQLite database (`chunk` rows at a time), then again (all found by
/// their bank ids), beside sqlite3's bare `.import`.
pub fn import(n: usize, chunk: usize) -> anyhow::Result<Vec<Row>> {
    let dir = TempDir::new();
    let csv_path = dir.path().join("transactions.csv");
    write_transactions_csv(&csv_path, n)?;

    // sqlite3's own CSV import into one plain table: the floor.
    let bare = dir.path().join("bare.db");
    let started = Instant::now();
    let status = std::process::Command::new("sqlite3")
        .arg(&bare)
        .arg("-cmd")
        .arg(".mode csv")
        .arg(format!(".import {} bare", csv_path.display()))
        .status()
        .context("running sqlite3 (apt-get install -y sqlite3)")?;
    anyhow::ensure!(status.success(), "sqlite3 .import failed");
    let baseline = started.elapsed();

    let url = format!("sqlite://{}", dir.path().join("kassa.db").display());
    let store = kassa_store::open(&url)?;
    store.migrate()?;
    let book = BookId(Uuid::now_v7());
    let (mut setup, _, _) = book_setup(book);
    setup.retain(|c| !matches!(c, Command::AddCategory { .. }));
    store.execute(book, "bench", &setup)?;
    let opts = kassa_app::import::ImportOptions { chunk, ..Default::default() };
    let bar = progress_bar("sqlite: importing");
    bar.set_length(n as u64);
    let mut tick = |d: u64| bar.set_position(d);
    let started = Instant::now();
    let report = kassa_app::import::import_file(
        store.as_ref(),
        &kassa_app::SystemClock,
        book,
        "bench",
        kassa_app::import::Input::File(&csv_path),
        &opts,
        Some(&mut tick),
    )?;
    let took = started.elapsed();
    bar.finish_and_clear();
    anyhow::ensure!(report.new as usize == n, "imported {} of {n} rows", report.new);

    // Re-import of the same file: every row found by its bank id, none added.
    let started = Instant::now();
    let again = kassa_app::import::import_file(
        store.as_ref(),
        &kassa_app::SystemClock,
        book,
        "bench",
        kassa_app::import::Input::File(&csv_path),
        &opts,
        None,
    )?;
    let reimport = started.elapsed();
    anyhow::ensure!(again.new == 0, "re-import added {}", again.new);

    let rows = vec![
        row("sqlite3 .import", "import", n, baseline, None),
        row("sqlite", "import", n, took, Some(baseline)),
        row("sqlite", "re-import", n, reimport, Some(baseline)),
    ];
    Ok(rows)
}
