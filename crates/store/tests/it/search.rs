//! Register search through the search index (migration 0020) on both
//! backends: for generated descriptions and counterparties, annotations
//! and deletions, every search finds exactly the rows a plain
//! case-insensitive substring test finds, in the register pages and the
//! CLI listing, before and after `rebuild`. Texts of three characters or
//! more are answered from the index (SQLite's FTS5 trigram table,
//! PostgreSQL's trigram indexes); shorter ones by the scan.

use std::collections::BTreeSet;

use kassa_core::TxId;
use kassa_store::access::TxPageQuery;
use kassa_store::{Store, TxFilter, testing};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::*;

/// Letters in both cases, LIKE's wildcards, a quote (the FTS5 phrase's
/// delimiter), a space and a character without case.
const ALPHABET: &[char] = &['a', 'b', 'c', 'A', 'B', 'C', 'x', ' ', '%', '_', '"', '€'];

fn text(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), len).prop_map(|cs| cs.into_iter().collect())
}

#[derive(Debug, Clone)]
struct Case {
    rows: Vec<(String, Option<String>)>,
    /// (row, new counterparty)
    annotations: Vec<(usize, String)>,
    deletions: Vec<usize>,
    searches: Vec<String>,
}

fn case() -> impl Strategy<Value = Case> {
    let rows = prop::collection::vec((text(2..14), prop::option::of(text(1..8))), 30..50);
    (rows, prop::collection::vec((0..30usize, text(2..8)), 0..6), prop::collection::vec(0..30usize, 0..4))
        .prop_flat_map(|(rows, annotations, deletions)| {
            // Pieces of stored texts with their letters' case flipped, and
            // texts made up, which mostly match nothing.
            let pieces = prop::collection::vec((0..rows.len(), 0..12usize, 1..6usize, any::<bool>()), 6);
            let made_up = prop::collection::vec(text(1..6), 4);
            let rows2 = rows.clone();
            (pieces, made_up).prop_map(move |(pieces, made_up)| {
                let mut searches: Vec<String> = pieces
                    .into_iter()
                    .filter_map(|(row, start, len, flip)| {
                        let chars: Vec<char> = rows2[row].0.chars().collect();
                        let start = start.min(chars.len().saturating_sub(1));
                        let piece: String = chars[start..(start + len).min(chars.len())].iter().collect();
                        let piece = if flip { piece.to_ascii_uppercase() } else { piece.to_ascii_lowercase() };
                        (!piece.trim().is_empty()).then_some(piece)
                    })
                    .collect();
                searches.extend(made_up.into_iter().filter(|s| !s.trim().is_empty()));
                Case { rows: rows.clone(), annotations: annotations.clone(), deletions: deletions.clone(), searches }
            })
        })
}

fn contains(hay: &str, needle: &str) -> bool {
    hay.to_ascii_lowercase().contains(&needle.to_ascii_lowercase())
}

#[test]
fn every_search_finds_exactly_the_rows_a_substring_test_finds() {
    let mut runner = TestRunner::new(Config { cases: 6, failure_persistence: None, ..Config::default() });
    runner
        .run(&case(), |c| {
            for db in testing::all() {
                check(db.name, db.store.as_ref(), &c);
            }
            Ok(())
        })
        .unwrap();
}

fn check(name: &str, store: &dyn Store, c: &Case) {
    let book = BookId(id());
    store.execute(book, "test", &[open_book(book), account("Checking", Currency::EUR)]).expect("book");
    // What each transaction says now, as the oracle sees it.
    let mut now: Vec<(TxId, String, Option<String>, bool)> = vec![];
    for (i, (description, counterparty)) in c.rows.iter().enumerate() {
        let Command::RecordTransaction(mut t) = tx("Checking", "2024-03-01", &format!("-{}.00", i + 1), None) else {
            unreachable!()
        };
        t.description = description.clone();
        t.counterparty = counterparty.clone();
        now.push((t.tx_id, description.clone(), counterparty.clone(), true));
        store.execute(book, "test", &[Command::RecordTransaction(t)]).expect("tx");
    }
    for (row, counterparty) in &c.annotations {
        let row = &mut now[*row % c.rows.len()];
        let annotate = Command::Annotate {
            tx_id: row.0,
            counterparty: Some(counterparty.clone()),
            add_tags: vec![],
            notes: None,
            run: None,
        };
        store.execute(book, "test", &[annotate]).expect("annotate");
        row.2 = Some(counterparty.clone());
    }
    for row in &c.deletions {
        let row = &mut now[*row % c.rows.len()];
        if row.3 {
            store.execute(book, "test", &[Command::DeleteTransaction { tx_id: row.0 }]).expect("delete");
            row.3 = false;
        }
    }
    // The oracle reads the texts as stored (the domain tidies whitespace).
    let stored = store.transactions(book, &TxFilter::default()).expect("list");
    for row in now.iter_mut().filter(|row| row.3) {
        let t = stored.iter().find(|t| t.id == row.0.0.to_string()).expect("stored");
        (row.1, row.2) = (t.description.clone(), t.counterparty.clone());
    }
    for pass in ["before rebuild", "after rebuild"] {
        for search in &c.searches {
            let expected: BTreeSet<TxId> = now
                .iter()
                .filter(|(_, d, cp, live)| {
                    *live && (contains(d, search) || cp.as_deref().is_some_and(|cp| contains(cp, search)))
                })
                .map(|row| row.0)
                .collect();
            let q = TxPageQuery { search: Some(search.clone()), limit: 1000, ..TxPageQuery::default() };
            let page: BTreeSet<TxId> = store.tx_page(book, &q).expect("page").into_iter().map(|t| t.id).collect();
            assert_eq!(page, expected, "{name} {pass}: page of {search:?}");
            let f = TxFilter { search: Some(search.clone()), ..TxFilter::default() };
            let listed: BTreeSet<TxId> = store
                .transactions(book, &f)
                .expect("list")
                .into_iter()
                .map(|t| TxId(t.id.parse().expect("uuid")))
                .collect();
            assert_eq!(listed, expected, "{name} {pass}: listing of {search:?}");
        }
        store.rebuild(&mut |_, _| {}).expect("rebuild");
    }
}

/// Amount ranges through the size index on both backends: rows in
/// currencies of 0, 2 and 3 minor units, bounds of up to four decimals
/// (between any two minor units), either end open, against the plain test.
#[test]
fn every_amount_range_finds_exactly_the_rows_within_it() {
    let currencies =
        [("Yen", Currency::JPY, 0u32), ("Euro", Currency::EUR, 2), ("Dinar", Currency::parse("BHD").expect("BHD"), 3)];
    let rows = prop::collection::vec((0..3usize, 1..5_000i64, any::<bool>()), 40..60);
    let bound = prop::option::of((0..5_000i64, 0..4u32));
    let mut runner = TestRunner::new(Config { cases: 6, failure_persistence: None, ..Config::default() });
    runner
        .run(&(rows, prop::collection::vec((bound.clone(), bound), 8)), |(rows, ranges)| {
            for db in testing::all() {
                let store = db.store.as_ref();
                let book = BookId(id());
                let mut setup = vec![open_book(book)];
                setup.extend(currencies.iter().map(|(name, c, _)| account(name, *c)));
                store.execute(book, "test", &setup).expect("book");
                let mut amounts: Vec<(TxId, rust_decimal::Decimal)> = vec![];
                for (account, minor, negative) in &rows {
                    let (name, _, units) = currencies[*account];
                    let size = rust_decimal::Decimal::new(*minor, units);
                    let text = if *negative { format!("-{size}") } else { size.to_string() };
                    let Command::RecordTransaction(t) = tx(name, "2024-03-01", &text, None) else { unreachable!() };
                    amounts.push((t.tx_id, size));
                    store.execute(book, "test", &[Command::RecordTransaction(t)]).expect("tx");
                }
                for (min, max) in &ranges {
                    let to_amount = |(n, scale): (i64, u32)| {
                        kassa_core::Amount::new(rust_decimal::Decimal::new(n, scale)).expect("amount")
                    };
                    let (min, max) = (min.map(to_amount), max.map(to_amount));
                    let expected: BTreeSet<TxId> = amounts
                        .iter()
                        .filter(|(_, size)| {
                            min.is_none_or(|b| *size >= b.get()) && max.is_none_or(|b| *size <= b.get())
                        })
                        .map(|row| row.0)
                        .collect();
                    let q = TxPageQuery { min_amount: min, max_amount: max, limit: 1000, ..TxPageQuery::default() };
                    let page: BTreeSet<TxId> =
                        store.tx_page(book, &q).expect("page").into_iter().map(|t| t.id).collect();
                    assert_eq!(page, expected, "{}: {min:?}..{max:?}", db.name);
                }
            }
            Ok(())
        })
        .unwrap();
}
