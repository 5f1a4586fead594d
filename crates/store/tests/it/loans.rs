//! The `loans` and `plan_events` projections (migration 0016): kept by the
//! projector, refilled by `rebuild`, and filled by the migration from the
//! log of a database that already holds loans and buckets — all three the
//! same rows — and read back: each loan transaction with its moves (none
//! once it is deleted), the bucket events as they were written.

use kassa_core::loan::LoanKind;
use kassa_core::{AccountRef, BookId, Command, Currency, Section, TxId};
use kassa_store::testing;

use crate::*;

fn tx_id(cmd: &Command) -> TxId {
    match cmd {
        Command::RecordTransaction(t) => t.tx_id,
        other => panic!("not a transaction: {other:?}"),
    }
}

#[test]
fn loans_are_projected_rebuilt_and_filled_by_their_migration() {
    for db in testing::all() {
        let book = BookId(id());
        let s = &db.store;
        let given = tx("Checking", "2024-03-01", "-100.00", Some("Loans"));
        let taken = tx("Cash", "2024-03-02", "250.00", Some("Loans"));
        let wrong = tx("Checking", "2024-03-03", "50.00", Some("Loans"));
        let (g, t, w) = (tx_id(&given), tx_id(&taken), tx_id(&wrong));
        let loan = |tx_id, who: &str, kind| Command::RecordLoan { tx_id, counterparty: who.into(), kind };
        s.execute(
            book,
            "test",
            &[
                open_book(book),
                account("Checking", Currency::EUR),
                account("Cash", Currency::EUR),
                category("Loans", Section::Transfer),
                given,
                loan(g, "Anna", LoanKind::Give),
                taken,
                loan(t, "Bob", LoanKind::Take),
                wrong,
                loan(w, "ANNA", LoanKind::Repay),
                Command::DeleteTransaction { tx_id: w },
                Command::SetBucket {
                    name: "Holidays".into(),
                    percent: "12.5".parse().unwrap(),
                    income_categories: vec![],
                    accounts: vec![AccountRef::Name("Cash".into())],
                    from: day("2024-01-01"),
                },
                Command::AssignBucket { tx_id: g, bucket: Some("Holidays".into()) },
            ],
        )
        .unwrap();
        let rows = s.loan_rows(book).unwrap();
        let seen: Vec<(TxId, &str, LoanKind, Option<String>)> = rows
            .iter()
            .map(|r| (r.tx_id, r.counterparty.as_str(), r.kind, r.moved.map(|m| format!("{} {}", m.amount, m.date))))
            .collect();
        assert_eq!(
            seen,
            [
                (g, "Anna", LoanKind::Give, Some("-100.00 EUR 2024-03-01".into())),
                (t, "Bob", LoanKind::Take, Some("250.00 EUR 2024-03-02".into())),
                (w, "ANNA", LoanKind::Repay, None),
            ],
            "{}",
            db.name
        );
        let plans: Vec<&str> = s.plan_events(book).unwrap().iter().map(|e| e.type_name()).collect();
        assert_eq!(plans, ["bucket_set", "bucket_assigned"], "{}", db.name);
        let kept = s.projection_dump().unwrap();
        s.rebuild(&mut |_, _| {}).unwrap();
        assert_eq!(s.projection_dump().unwrap(), kept, "{}: rebuild", db.name);
        // Back to the state before migration 0016, then migrate again.
        let undo = "DROP TABLE loans; DROP TABLE plan_events; DELETE FROM kassa_migrations WHERE version = 16;";
        if db.name == "sqlite" {
            let path = db.url.strip_prefix("sqlite://").unwrap();
            rusqlite::Connection::open(path).unwrap().execute_batch(undo).unwrap();
        } else {
            postgres::Client::connect(&db.url, postgres::NoTls).unwrap().batch_execute(undo).unwrap();
        }
        assert_eq!(s.migrate().unwrap(), vec!["0016_loans_plans".to_string()], "{}", db.name);
        assert_eq!(s.projection_dump().unwrap(), kept, "{}: migration", db.name);
    }
}
