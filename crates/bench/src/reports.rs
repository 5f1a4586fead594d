//! `kassa bench reports`: builds a book of generated transactions once in a
//! given database file (ten years, like `bench ledger`), then times every
//! report inside the process: read the aggregates, compute, render as JSON.

use std::time::{Duration, Instant};

use kassa_core::report::{self, GroupBy, Interval, Month, Period, ReportFacts, Scope, TopBy, Wanted};
use kassa_core::{Command, Ledger};
use serde::Serialize;

use crate::ledger::{Dates, Generator, book_setup};
use crate::progress_bar;

/// One report's timings.
#[derive(Debug, Serialize)]
pub struct Row {
    report: &'static str,
    rows: usize,
    median_ms: String,
    min_ms: String,
    max_ms: String,
}

/// Times every report `runs` times on the book named `bench` in the
/// database `url` names, building it with `transactions` first if it is not there.
pub fn run(url: &str, transactions: usize, runs: usize) -> anyhow::Result<Vec<Row>> {
    let (store, book) = bench_book(url, transactions)?;
    let (last, mid) = {
        let f = store.report_facts(book, None, Wanted::DAILY)?;
        let last = f.last_date().unwrap_or_default();
        (last, last.checked_sub(jiff::Span::new().days(400)).unwrap_or(last))
    };
    let latest = Month::of(last);
    let year = Month::of(mid).year;
    type Job<'a> =
        (&'static str, Wanted, Option<jiff::civil::Date>, Box<dyn Fn(&ReportFacts) -> anyhow::Result<String> + 'a>);
    let json = |v: &dyn erased::Rows| v.json();
    let jobs: Vec<Job> = vec![
        ("balances", Wanted::DAILY, None, Box::new(move |f| json(&report::balances(f, GroupBy::Account, None, last)?))),
        (
            "balances --as-of (mid-month)",
            Wanted::DAILY,
            Some(mid),
            Box::new(move |f| json(&report::balances(f, GroupBy::Kind, None, mid)?)),
        ),
        (
            "networth --interval month",
            Wanted::DAILY,
            None,
            Box::new(|f| json(&report::networth(f, Interval::Month, None, None, None)?)),
        ),
        (
            "networth --interval day",
            Wanted::DAILY,
            None,
            Box::new(|f| json(&report::networth(f, Interval::Day, None, None, None)?)),
        ),
        (
            "monthly",
            Wanted::FLOWS,
            None,
            Box::new(|f| json(&report::category_totals(f, Period::Month, Scope::default(), None)?)),
        ),
        (
            "monthly --as-of (mid-month)",
            Wanted::FLOWS,
            Some(mid),
            Box::new(|f| json(&report::category_totals(f, Period::Month, Scope::default(), None)?)),
        ),
        (
            "yearly --year",
            Wanted::FLOWS,
            None,
            Box::new(move |f| {
                let s =
                    Scope { from: Some(Month { year, month: 1 }), to: Some(Month { year, month: 12 }), depth: None };
                json(&report::category_totals(f, Period::Month, s, None)?)
            }),
        ),
        (
            "history --depth 1",
            Wanted::FLOWS,
            None,
            Box::new(|f| {
                json(&report::category_totals(f, Period::Year, Scope { depth: Some(1), ..Scope::default() }, None)?)
            }),
        ),
        (
            "cashflow",
            Wanted::FLOWS,
            None,
            Box::new(|f| json(&report::cashflow(f, Period::Month, Scope::default(), None)?)),
        ),
        ("cashflow --sankey", Wanted::FLOWS, None, Box::new(|f| json(&report::sankey(f, Scope::default(), None)?))),
        (
            "top --by category",
            Wanted::FLOWS,
            None,
            Box::new(|f| json(&report::top(f, TopBy::Category, Scope::default(), 10, None)?)),
        ),
        (
            "top --by counterparty",
            Wanted::COUNTERPARTIES,
            None,
            Box::new(|f| json(&report::top(f, TopBy::Counterparty, Scope::default(), 10, None)?)),
        ),
        ("trends", Wanted::FLOWS, None, Box::new(move |f| json(&report::trends(f, latest, None, None)?))),
    ];
    let mut rows = vec![];
    for (name, want, as_of, job) in &jobs {
        let mut times = vec![];
        let mut n = 0;
        for _ in 0..runs.max(1) {
            let started = Instant::now();
            let facts = store.report_facts(book, *as_of, *want)?;
            let out = job(&facts)?;
            times.push(started.elapsed());
            n = serde_json::from_str::<serde_json::Value>(&out)?.as_array().map_or(0, Vec::len);
        }
        rows.push(row(name, n, &mut times));
    }
    // Time travel replays the log instead of reading the aggregates.
    let mut times = vec![];
    let mut n = 0;
    for _ in 0..runs.clamp(1, 3) {
        let started = Instant::now();
        let events = store.read_stream(&kassa_core::event::book_stream(book))?;
        let ledger = Ledger::from_events(events.iter().map(|e| &e.event));
        let facts = ReportFacts::from_ledger(&ledger, None);
        n = report::category_totals(&facts, Period::Month, Scope::default(), None)?.len();
        times.push(started.elapsed());
    }
    rows.push(row("monthly --known-at (replay)", n, &mut times));
    Ok(rows)
}

fn row(report: &'static str, rows: usize, times: &mut [Duration]) -> Row {
    times.sort();
    let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
    Row {
        report,
        rows,
        median_ms: ms(times[times.len() / 2]),
        min_ms: ms(times[0]),
        max_ms: ms(times[times.len() - 1]),
    }
}

/// The database `url` names, migrated, and its book named `bench`, built
/// with `transactions` generated ones first if it is not there.
pub(crate) fn bench_book(
    url: &str,
    transactions: usize,
) -> anyhow::Result<(Box<dyn kassa_store::Store>, kassa_core::BookId)> {
    let store = kassa_store::open(url)?;
    store.migrate()?;
    let book = match store.books()?.into_iter().find(|b| b.name == "bench") {
        Some(b) => {
            eprintln!("using the existing book 'bench' in {}", kassa_store::redact_url(url));
            b.id
        }
        None => build(store.as_ref(), transactions)?,
    };
    Ok((store, book))
}

fn build(store: &dyn kassa_store::Store, n: usize) -> anyhow::Result<kassa_core::BookId> {
    let book = kassa_core::BookId(uuid::Uuid::now_v7());
    let (setup, accounts, categories) = book_setup(book);
    store.execute(book, "bench", &setup)?;
    let bar = progress_bar("building the book");
    bar.set_length(n as u64);
    let mut source = Generator::new(accounts, categories, n, Dates::Chronological);
    let mut done = 0;
    while done < n {
        let size = 1000.min(n - done);
        let cmds: Vec<Command> = (0..size)
            .map(|_| {
                let mut c = source.next();
                // Counterparties for `top --by counterparty`: ~300 merchants.
                if let Command::RecordTransaction(t) = &mut c {
                    let n: u32 = t.description.rsplit('#').next().and_then(|x| x.parse().ok()).unwrap_or(0);
                    let cat = t.category.clone().unwrap_or_default();
                    t.counterparty = Some(format!("{cat} shop {}", n % 30));
                }
                c
            })
            .collect();
        store.execute(book, "bench", &cmds)?;
        done += size;
        bar.set_position(done as u64);
    }
    bar.finish_and_clear();
    Ok(book)
}

/// Report rows of any type, rendered the way `-o json` renders them.
mod erased {
    pub trait Rows {
        fn json(&self) -> anyhow::Result<String>;
    }

    impl<T: serde::Serialize> Rows for Vec<T> {
        fn json(&self) -> anyhow::Result<String> {
            let values: Vec<serde_json::Value> = self.iter().map(serde_json::to_value).collect::<Result<_, _>>()?;
            Ok(serde_json::to_string_pretty(&values)?)
        }
    }
}
