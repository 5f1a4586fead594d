//! A book's life on each backend: open, record, transfer, recategorise,
//! delete, read back, time-travel, rebuild.

use kassa_core::{BookId, Command, Currency, LedgerError, Section, TxId};
use kassa_store::{StoreError, TxFilter, testing};

use crate::*;

fn balances(db: &testing::TestDb, book: BookId, as_of: Option<&str>) -> Vec<(String, String)> {
    db.store.balances(book, as_of.map(d)).unwrap().into_iter().map(|b| (b.account, b.balance.to_string())).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn a_book_round_trip_on_every_backend() {
    for db in testing::all() {
        let book = BookId(id());
        let s = &db.store;
        s.execute(
            book,
            "test",
            &[
                open_book(book),
                account("Checking", Currency::EUR),
                account("Savings", Currency::EUR),
                account("Dollars", Currency::USD),
                category("Salary", Section::Income),
                category("Food:Coffee", Section::Expense),
            ],
        )
        .unwrap();
        s.execute(
            book,
            "test",
            &[
                tx("Checking", "2024-01-25", "2500.00", Some("Salary")),
                tx("Checking", "2024-02-03", "-3.40", Some("Food:Coffee")),
                transfer("Checking", "Savings", "2024-02-10", "500", None),
                transfer("Checking", "Dollars", "2024-03-01", "100", Some("108.25")),
            ],
        )
        .unwrap();
        let want_now = pairs(&[("Checking", "1896.60"), ("Dollars", "108.25"), ("Savings", "500.00")]);
        assert_eq!(balances(&db, book, None), want_now, "{}", db.name);
        assert_eq!(
            balances(&db, book, Some("2024-02-05")),
            pairs(&[("Checking", "2496.60"), ("Dollars", "0.00"), ("Savings", "0.00")]),
            "{}",
            db.name
        );

        // Register rows: one per account leg, oldest first, with categories.
        let rows = s.transactions(book, &TxFilter::default()).unwrap();
        assert_eq!(rows.len(), 6, "{}", db.name);
        assert_eq!(rows[1].category.as_deref(), Some("Food:Coffee"));
        assert_eq!(rows[1].amount.to_string(), "-3.40");
        let coffee = s.transactions(book, &TxFilter { category: Some("food".into()), ..Default::default() }).unwrap();
        assert_eq!(coffee.len(), 1, "a parent category finds its children ({})", db.name);
        let searched =
            s.transactions(book, &TxFilter { search: Some("CHECKING -3".into()), ..Default::default() }).unwrap();
        assert_eq!(searched.len(), 1, "{}", db.name);

        // Recategorise and delete go through events and leave rebuild intact.
        let coffee_id: TxId = coffee[0].id.parse().unwrap();
        s.execute(book, "test", &[Command::Recategorize { tx_id: coffee_id, category: Some("Salary".into()) }])
            .unwrap();
        let after = s.transactions(book, &TxFilter { category: Some("Salary".into()), ..Default::default() }).unwrap();
        assert_eq!(after.len(), 2, "{}", db.name);
        s.execute(book, "test", &[Command::DeleteTransaction { tx_id: coffee_id }]).unwrap();
        assert_eq!(balances(&db, book, None)[0].1, "1900.00", "{}", db.name);
        assert_eq!(balances(&db, book, Some("2024-02-05"))[0].1, "2500.00", "{}", db.name);

        let before = s.projection_dump().unwrap();
        let stats = s.rebuild(&mut |_, _| {}).unwrap();
        assert_eq!(stats.events, 12, "{}", db.name);
        assert_eq!(s.projection_dump().unwrap(), before, "rebuild must reproduce projections on {}", db.name);

        // The log is readable, ordered and carries actors and dates.
        let log = s.read_stream(&kassa_core::event::book_stream(book)).unwrap();
        assert_eq!(log.len(), 12);
        assert!(log.windows(2).all(|w| w[0].version + 1 == w[1].version && w[0].position < w[1].position));
        assert_eq!(log[7].meta.occurred_at, d("2024-02-03"));
        assert_eq!(log[0].meta.actor, "test");
        assert_eq!(s.tail(2).unwrap().last().unwrap().event.type_name(), "transaction_deleted");
    }
}

#[test]
fn refused_commands_write_nothing() {
    for db in testing::all() {
        let book = BookId(id());
        let s = &db.store;
        s.execute(
            book,
            "test",
            &[open_book(book), account("Checking", Currency::EUR), account("Dollars", Currency::USD)],
        )
        .unwrap();
        let before = s.projection_dump().unwrap();
        let events_before = s.tail(100).unwrap().len();
        // The second command of the batch is bad, so the first is not stored either.
        let cases: Vec<(Vec<Command>, &str)> = vec![
            (
                vec![tx("Checking", "2024-01-01", "1", None), tx("Chekcing", "2024-01-01", "1", None)],
                "did you mean 'Checking'",
            ),
            (vec![tx("Checking", "2024-01-01", "1", Some("Nope"))], "unknown category 'Nope'"),
            (vec![tx("Checking", "2024-01-01", "1.234", None)], "more decimals"),
            (vec![transfer("Checking", "Dollars", "2024-01-01", "5", None)], "needs a rate"),
            (vec![account("checking", Currency::EUR)], "already exists"),
        ];
        for (cmds, want) in cases {
            let err = s.execute(book, "test", &cmds).unwrap_err();
            assert!(matches!(err, StoreError::Ledger(_)), "{err}");
            assert!(err.to_string().contains(want), "{}: '{err}' lacks '{want}'", db.name);
        }
        assert_eq!(s.projection_dump().unwrap(), before, "{}", db.name);
        assert_eq!(s.tail(100).unwrap().len(), events_before, "{}", db.name);
        let no_book = s.execute(BookId(id()), "test", &[tx("Checking", "2024-01-01", "1", None)]).unwrap_err();
        assert!(matches!(no_book, StoreError::Ledger(LedgerError::NoBook)));
    }
}

#[test]
fn events_cannot_be_changed_or_removed() {
    for db in testing::all() {
        let book = BookId(id());
        db.store.execute(book, "test", &[open_book(book)]).unwrap();
        let attempts = ["UPDATE events SET actor = 'mallory'", "DELETE FROM events"];
        for sql in attempts {
            let refused = match db.name {
                "sqlite" => {
                    let path = db.url.trim_start_matches("sqlite://");
                    rusqlite::Connection::open(path).unwrap().execute(sql, []).is_err()
                }
                _ => postgres::Client::connect(&db.url, postgres::NoTls).unwrap().batch_execute(sql).is_err(),
            };
            assert!(refused, "{sql} was allowed on {}", db.name);
        }
        assert_eq!(db.store.tail(10).unwrap()[0].meta.actor, "test");
    }
}

#[test]
fn migrate_is_idempotent() {
    for db in testing::all() {
        assert!(db.store.migrate().unwrap().is_empty(), "{}", db.name);
    }
}
