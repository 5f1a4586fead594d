//! `kassa bench filters`: the register filters that match few rows of a
//! large book — a search with no match or a rare one, a narrow amount
//! range, "uncategorised" with none left — each timed in-process as one
//! register page (`Store::tx_page`, 50 rows), beside the unfiltered first
//! page as the baseline. Before migration 0020 these scanned the book
//! until a page was full (3.3–3.5 s on 1,000,000 rows, docs/BENCHMARKS.md).

use std::time::Instant;

use kassa_core::Amount;
use kassa_store::access::TxPageQuery;
use serde::Serialize;

use crate::pages::median;
use crate::reports::bench_book;

/// One filter's timings.
#[derive(Debug, Serialize)]
pub struct Row {
    backend: String,
    filter: &'static str,
    rows: usize,
    median_ms: String,
    max_ms: String,
    vs_plain: String,
}

/// Times each filter `runs` times on the book named `bench` of every
/// database `urls` names (built with `transactions` if it is not there).
pub fn run(urls: &[String], transactions: usize, runs: usize) -> anyhow::Result<Vec<Row>> {
    let mut out = vec![];
    for url in urls {
        let (store, book) = bench_book(url, transactions)?;
        let account = store.ledger(book)?.accounts().next().map(|a| a.id);
        let amount = |s: &str| s.parse::<Amount>().ok();
        let page = |f: fn(&mut TxPageQuery)| {
            let mut q = TxPageQuery { limit: 50, ..TxPageQuery::default() };
            f(&mut q);
            q
        };
        let filters: Vec<(&'static str, TxPageQuery)> = vec![
            ("none (first page, the baseline)", page(|_| {})),
            ("q=zzzz (no match)", page(|q| q.search = Some("zzzz".into()))),
            ("q=#996 (rare: 1 in 997)", page(|q| q.search = Some("#996".into()))),
            ("q=GROCERIES (common)", page(|q| q.search = Some("GROCERIES".into()))),
            ("q=zz (no match, too short for trigrams)", page(|q| q.search = Some("zz".into()))),
            (
                "min_amount=100&max_amount=100.01",
                TxPageQuery { min_amount: amount("100"), max_amount: amount("100.01"), ..page(|_| {}) },
            ),
            ("min_amount=20 (wide)", TxPageQuery { min_amount: amount("20"), ..page(|_| {}) }),
            ("uncategorized (none left)", page(|q| q.uncategorized = true)),
            ("account + q=zzzz", TxPageQuery { account, search: Some("zzzz".into()), ..page(|_| {}) }),
        ];
        let backend = format!("{:?}", store.backend()).to_lowercase();
        let mut plain = None;
        for (filter, q) in filters {
            let mut times = vec![];
            let mut rows = 0;
            for _ in 0..runs.max(1) {
                let start = Instant::now();
                rows = store.tx_page(book, &q)?.len();
                times.push(start.elapsed().as_secs_f64() * 1000.0);
            }
            let m = median(&times);
            let base = *plain.get_or_insert(m);
            out.push(Row {
                backend: backend.clone(),
                filter,
                rows,
                median_ms: format!("{m:.1}"),
                max_ms: format!("{:.1}", times.iter().cloned().fold(0.0, f64::max)),
                vs_plain: format!("{:.1}", m / base),
            });
        }
    }
    Ok(out)
}
