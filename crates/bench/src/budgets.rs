//! `kassa bench budgets`: issue 17's performance goals on a big book —
//! `budget show --month M` and `/budgets` within 50 ms, `recurring list`
//! within 2 s, on 1,000,000 transactions. It seeds (or reuses) the bench
//! user's book (`kassa bench seed`), budgets every expense category over
//! its last two years, and times, each beside a baseline:
//! - `budget show` in-process beside `report monthly` (the same monthly
//!   aggregates read and summed: the budget should cost no more);
//! - `recurring list` in-process beside reading the register rows it
//!   detects from (the detection's own share is the ratio);
//! - `GET /budgets` from this binary's server beside its static
//!   stylesheet (one request that reads no data), as `bench pages` does.

use std::time::{Duration, Instant};

use anyhow::Context;
use kassa_app::budgets::{self, BudgetEdit};
use kassa_app::local::Local;
use kassa_core::report::{self, Month, Period, Scope, Wanted};
use kassa_core::{BookId, Section};
use serde::Serialize;

use crate::pages::{login, median, time};

const EMAIL: &str = "bench@example.org";
const PASSWORD: &str = "bench-password";

/// One measurement beside its baseline.
#[derive(Debug, Serialize)]
pub struct Row {
    what: &'static str,
    rows: usize,
    median_ms: String,
    min_ms: String,
    max_ms: String,
    baseline: &'static str,
    baseline_ms: String,
    /// median over the baseline's median.
    ratio: String,
}

/// Seeds the bench user with `transactions` unless the database `url`
/// names has them already, then times each measurement `runs` times.
/// `recurring` false leaves out the detection (minutes on the generated book).
pub fn run(url: &str, transactions: usize, runs: usize, bind: &str, recurring: bool) -> anyhow::Result<Vec<Row>> {
    let seeded = {
        let store = kassa_store::open(url)?;
        store.migrate()?;
        store.user_by_email(EMAIL)?.is_some()
    };
    if seeded {
        eprintln!("using the bench user's book in {}", kassa_store::redact_url(url));
    } else {
        crate::ledger::seed(url, transactions, 1000)?;
    }
    let store = kassa_store::open(url)?;
    let app = kassa_app::App::new(std::sync::Arc::from(store), kassa_app::Config::default());
    let user = app.store.user_by_email(EMAIL)?.context("no bench user")?;
    let actor = kassa_app::Actor { user_id: user.id, platform_admin: true, token_id: None };
    let book = BookId(app.list_books(&actor)?.first().context("the bench user has no book")?.id);
    let store = app.store.as_ref();
    let last = store.report_facts(book, None, Wanted::DAILY)?.last_date().context("an empty book")?;
    let month = Month::of(last);
    plan_budgets(store, book, month)?;

    let mut rows = vec![];
    let (n, show) = times(runs, || Ok(budgets::show(store, book, month)?.categories.len()))?;
    let (_, monthly) = times(runs, || {
        let f = store.report_facts(book, None, Wanted::FLOWS)?;
        Ok(report::category_totals(&f, Period::Month, Scope::default(), None)?.len())
    })?;
    rows.push(row("budget show --month (in-process)", n, &show, "report monthly", &monthly));

    let clock = kassa_app::SystemClock;
    let local = Local { store, clock: &clock, actor: "bench" };
    let server = crate::api::Server::start(url, bind)?;
    let token = login(bind, EMAIL, PASSWORD)?;
    let (_, css) = time(bind, "/static/kassa.css", None, runs)?;
    let path = format!("/budgets?book={book}&month={month}");
    let (bytes, page) = time(bind, &path, Some(&token), runs)?;
    drop(server);
    let ms = |v: &[f64]| v.iter().map(|m| Duration::from_secs_f64(m / 1000.0)).collect::<Vec<_>>();
    rows.push(row("GET /budgets?month (HTTP)", bytes, &ms(&page), "GET /static/kassa.css", &ms(&css)));

    if !recurring {
        return Ok(rows);
    }
    // Detection takes seconds to minutes on a big book: timed once, last.
    let (_, history) = times(runs, || Ok(store.recurring_history(book, last)?.len()))?;
    let started = Instant::now();
    let n = local.recurring(book, Some(last))?.len();
    let recurring = [started.elapsed()];
    rows.push(row("recurring list (in-process, one run)", n, &recurring, "read the register rows", &history));
    Ok(rows)
}

/// 400 a month for every expense category over the two years up to
/// `month`, unless that month has budgets already.
fn plan_budgets(store: &dyn kassa_store::Store, book: BookId, month: Month) -> anyhow::Result<()> {
    // Every expense category that spent has a row; a budgeted one has money.
    if budgets::show(store, book, month)?.categories.iter().any(|c| !c.budgeted.is_zero()) {
        return Ok(());
    }
    let ledger = store.ledger(book)?;
    let from = month.minus(23);
    for c in ledger.categories().filter(|c| c.section == Section::Expense && !c.name.as_str().contains(':')) {
        let set = BudgetEdit::Set {
            category: c.name.to_string(),
            amount: "400".into(),
            through: Some(month.to_string()),
            up_to: None,
        };
        budgets::edit(store, "bench", book, from, &set)?;
    }
    Ok(())
}

/// `runs` timed calls of `f` after one warm-up: (what it counted, times).
fn times(runs: usize, mut f: impl FnMut() -> anyhow::Result<usize>) -> anyhow::Result<(usize, Vec<Duration>)> {
    let n = f()?;
    let mut out = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        f()?;
        out.push(started.elapsed());
    }
    Ok((n, out))
}

fn row(what: &'static str, rows: usize, times: &[Duration], baseline: &'static str, base: &[Duration]) -> Row {
    let ms = |d: &[Duration]| d.iter().map(|d| d.as_secs_f64() * 1000.0).collect::<Vec<_>>();
    let (t, b) = (ms(times), ms(base));
    let mut sorted = t.clone();
    sorted.sort_by(f64::total_cmp);
    Row {
        what,
        rows,
        median_ms: format!("{:.1}", median(&t)),
        min_ms: format!("{:.1}", sorted[0]),
        max_ms: format!("{:.1}", sorted[sorted.len() - 1]),
        baseline,
        baseline_ms: format!("{:.1}", median(&b)),
        ratio: format!("{:.2}", median(&t) / median(&b).max(1e-9)),
    }
}
