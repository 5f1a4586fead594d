//! The report migration (0003) on a database that already holds a book:
//! the aggregates it fills from the postings equal the ones `project` keeps.

use kassa_core::{BookId, Command, Currency, NewTransaction, Section};
use kassa_store::testing;

use crate::*;

fn with_counterparty(cmd: Command, who: &str) -> Command {
    match cmd {
        Command::RecordTransaction(t) => {
            Command::RecordTransaction(NewTransaction { counterparty: Some(who.into()), ..t })
        }
        other => other,
    }
}

#[test]
fn the_migration_fills_the_report_aggregates_of_an_existing_book() {
    for db in testing::all() {
        let book = BookId(id());
        let s = &db.store;
        s.execute(
            book,
            "test",
            &[
                open_book(book),
                account("Checking", Currency::EUR),
                account("Dollars", Currency::USD),
                category("Salary", Section::Income),
                category("Food:Coffee", Section::Expense),
                with_counterparty(tx("Checking", "2024-01-25", "2500.00", Some("Salary")), "ACME"),
                with_counterparty(tx("Checking", "2024-02-03", "-3.40", Some("Food:Coffee")), "Cafe"),
                with_counterparty(tx("Checking", "2024-02-04", "-2.60", None), "Cafe"),
                tx("Dollars", "2024-02-05", "10.00", None),
                transfer("Checking", "Dollars", "2024-02-06", "100", Some("108.00")),
            ],
        )
        .unwrap();
        let kept = s.projection_dump().unwrap();
        // Back to the state before migration 0003, then migrate again.
        let undo = "DROP TABLE monthly_category_totals; DROP TABLE monthly_counterparty_totals; DROP TABLE fx_rates;
                    DELETE FROM kassa_migrations WHERE version = 3;";
        if db.name == "sqlite" {
            let path = db.url.strip_prefix("sqlite://").unwrap();
            rusqlite::Connection::open(path).unwrap().execute_batch(undo).unwrap();
        } else {
            postgres::Client::connect(&db.url, postgres::NoTls).unwrap().batch_execute(undo).unwrap();
        }
        assert_eq!(s.migrate().unwrap(), vec!["0003_reports".to_string()], "{}", db.name);
        assert_eq!(s.projection_dump().unwrap(), kept, "{}", db.name);
    }
}
