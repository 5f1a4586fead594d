//! Optimistic concurrency: two writers, one expected version, one winner.

use std::sync::{Arc, Barrier};

use kassa_core::{BookId, Event, Owner};
use kassa_store::{NewEvent, StoreError, testing};

use crate::*;

fn event(name: &str) -> NewEvent {
    NewEvent {
        event: Event::BookOpened(kassa_core::Book { id: BookId(id()), name: name.into(), owner: Owner::Local }),
        actor: name.into(),
        occurred_at: d("2024-01-01"),
    }
}

#[test]
fn same_expected_version_exactly_one_wins() {
    for db in testing::all() {
        let stream = format!("test-{}", id());
        let store: Arc<dyn kassa_store::Store> = Arc::from(kassa_store::open(&db.url).unwrap());
        store.append(&stream, 0, &[event("first")]).unwrap();
        for round in 0..20 {
            let barrier = Arc::new(Barrier::new(2));
            let handles: Vec<_> = ["a", "b"]
                .into_iter()
                .map(|who| {
                    let (store, stream, barrier) = (store.clone(), stream.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        store.append(&stream, 1 + round, &[event(who)])
                    })
                })
                .collect();
            let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            let wins = results.iter().filter(|r| r.is_ok()).count();
            assert_eq!(wins, 1, "{}: round {round}: {results:?}", db.name);
            for r in &results {
                if let Err(e) = r {
                    assert!(
                        matches!(e, StoreError::Conflict { expected, actual, .. } if *expected == 1 + round && *actual == 2 + round),
                        "{e}"
                    );
                }
            }
        }
        let log = store.read_stream(&stream).unwrap();
        assert_eq!(log.len(), 21, "{}: every winning append is kept, no loser's", db.name);
        assert!(log.iter().enumerate().all(|(i, e)| e.version == i as i64 + 1));
    }
}

#[test]
fn concurrent_executes_on_one_book_are_all_kept() {
    // `execute` retries on conflict, deciding again on the new state, so
    // parallel writers to one book lose nothing.
    for db in testing::all() {
        let book = BookId(id());
        let store: Arc<dyn kassa_store::Store> = Arc::from(kassa_store::open(&db.url).unwrap());
        store.execute(book, "t", &[open_book(book), account("Cash", Currency::EUR)]).unwrap();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        store.execute(book, "t", &[tx("Cash", "2024-01-02", "1.00", None)]).unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(store.balances(book, None).unwrap()[0].balance.to_string(), "40.00", "{}", db.name);
    }
}
