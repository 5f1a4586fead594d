//! The `loans` projection (migration 0016): kept by the projector, refilled
//! by `rebuild`, and filled by the migration from the log of a database
//! that already holds loans — all three the same rows — and read back with
//! each loan transaction's moves (none once it is deleted).

use kassa_core::loan::LoanKind;
use kassa_core::{BookId, Command, Currency, Section, TxId};
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
        let kept = s.projection_dump().unwrap();
        s.rebuild(&mut |_, _| {}).unwrap();
        assert_eq!(s.projection_dump().unwrap(), kept, "{}: rebuild", db.name);
        // Back to the state before migration 0016, then migrate again.
        let undo = "DROP TABLE loans; DELETE FROM kassa_migrations WHERE version = 16;";
        if db.name == "sqlite" {
            let path = db.url.strip_prefix("sqlite://").unwrap();
            rusqlite::Connection::open(path).unwrap().execute_batch(undo).unwrap();
        } else {
            postgres::Client::connect(&db.url, postgres::NoTls).unwrap().batch_execute(undo).unwrap();
        }
        assert_eq!(s.migrate().unwrap(), vec!["0016_loans".to_string()], "{}", db.name);
        assert_eq!(s.projection_dump().unwrap(), kept, "{}: migration", db.name);
    }
}
