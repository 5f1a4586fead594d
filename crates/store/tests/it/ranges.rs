//! Events stored before kassa had a range (issue 14) on both backends: an
//! amount or a date outside it makes `rebuild` fail with an error naming
//! the event's position and the value — never a panic, never a capped or
//! float balance — and the projections stay as they were.

use kassa_core::Currency;
use kassa_store::testing::{self, TestDb};
use uuid::Uuid;

use crate::*;

/// Appends an event row as an older kassa would have written it, bypassing
/// the domain (which can no longer build it). Returns its position.
fn append_raw(db: &TestDb, stream: &str, event_type: &str, data: &str) -> i64 {
    let recorded = "2024-05-01T00:00:00Z";
    if db.name == "sqlite" {
        let path = db.url.strip_prefix("sqlite://").expect("sqlite url");
        let c = rusqlite::Connection::open(path).expect("open");
        c.execute("UPDATE streams SET version = version + 1 WHERE name = ?1", [stream]).expect("bump");
        c.query_row(
            "INSERT INTO events (stream, version, event_type, schema_version, data, actor, occurred_at, recorded_at)
             SELECT id, version, ?2, 1, ?3, 'test', '2024-05-01', ?4 FROM streams WHERE name = ?1 RETURNING position",
            rusqlite::params![stream, event_type, data, recorded],
            |r| r.get(0),
        )
        .expect("insert")
    } else {
        let mut c = postgres::Client::connect(&db.url, postgres::NoTls).expect("connect");
        c.execute("UPDATE streams SET version = version + 1 WHERE stream_id = $1", &[&stream]).expect("bump");
        let data: serde_json::Value = serde_json::from_str(data).expect("json");
        c.query_one(
            "INSERT INTO events (stream_id, version, event_type, schema_version, data, actor, occurred_at, recorded_at)
             SELECT stream_id, version, $2, 1, $3, 'test', DATE '2024-05-01', $4::TEXT::TIMESTAMPTZ
               FROM streams WHERE stream_id = $1 RETURNING position",
            &[&stream, &event_type, &data, &recorded],
        )
        .expect("insert")
        .get(0)
    }
}

/// A `transaction_recorded` of `amount` on `account` dated `date`, balanced
/// by an uncategorised posting, in the stored v1 shape.
fn recorded(account: Uuid, date: &str, amount: &str) -> String {
    let negated = amount.strip_prefix('-').map_or_else(|| format!("-{amount}"), str::to_string);
    format!(
        r#"{{"id":"{}","date":"{date}","description":"old","postings":[{{"leg":"account","id":"{account}","amount":"{amount}","currency":"EUR"}},{{"leg":"uncategorized","amount":"{negated}","currency":"EUR"}}],"status":"booked"}}"#,
        Uuid::now_v7()
    )
}

#[test]
fn a_stored_event_outside_the_range_fails_rebuild_naming_its_position() {
    for (value, date, amount) in [
        // Made rebuild panic: "multiplication overflowed".
        ("792281625142643375935439503.35", "2024-05-01", "792281625142643375935439503.35"),
        // Was capped at 92233720368547758.07 on SQLite.
        ("100000000000000000.00", "2024-05-01", "100000000000000000.00"),
        // Broke the monthly reports on SQLite.
        ("-000001-12-31", "-000001-12-31", "-1.00"),
    ] {
        for db in testing::all() {
            let store = db.store.as_ref();
            let book = BookId(id());
            store.execute(book, "test", &[open_book(book), account("Checking", Currency::EUR)]).expect("book");
            store.execute(book, "test", &[tx("Checking", "2024-04-01", "10.00", None)]).expect("tx");
            let giro = store.ledger(book).expect("ledger").accounts().next().expect("account").id;
            let before = store.projection_dump().expect("dump");

            let stream = kassa_core::event::book_stream(book);
            let position = append_raw(&db, &stream, "transaction_recorded", &recorded(giro.0, date, amount));
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| store.rebuild(&mut |_, _| {})));
            let err = caught.unwrap_or_else(|_| panic!("{}: rebuild panicked on {value}", db.name));
            let err = err.expect_err(&format!("{}: rebuild took {value}", db.name)).to_string();
            assert!(err.contains(&format!("position {position}")), "{}: '{err}' names no position", db.name);
            assert!(err.contains(value) && err.contains("range"), "{}: '{err}' does not say what", db.name);
            assert_eq!(store.projection_dump().expect("dump"), before, "{}: projections kept", db.name);
        }
    }
}

/// Amounts in range whose day's change would pass 64-bit minor units: on
/// an XAU account (four decimals) ten of the largest amounts on one day do,
/// while the balance stays in range. The tenth is refused naming the day;
/// and the nine before it on two days — as-of balances and the as-of month
/// that SQLite summed with its own SUM, which stops at 2^63 — read exactly,
/// as the log replayed says, on both backends, before and after rebuild.
#[test]
fn totals_near_the_64_bit_edge_are_exact_and_refused_past_it() {
    let max = "99999999999999.9999";
    for db in testing::all() {
        let store = db.store.as_ref();
        let book = BookId(id());
        let xau = Currency::parse("XAU").expect("XAU");
        store.execute(book, "test", &[open_book(book), account("Gold", xau)]).expect("book");
        for (day, balancing_day) in [("2024-05-01", "2024-05-21"), ("2024-05-02", "2024-05-22")] {
            for _ in 0..9 {
                store.execute(book, "test", &[tx("Gold", day, max, None)]).expect("in range");
                store.execute(book, "test", &[tx("Gold", balancing_day, &format!("-{max}"), None)]).expect("back");
            }
            let err = store.execute(book, "test", &[tx("Gold", day, max, None)]).expect_err("a tenth").to_string();
            let want = format!("the change of account 'Gold' on {day} would be 999999999999999.9990 XAU, out of range");
            assert!(err.contains(&want), "{}: '{err}' lacks '{want}'", db.name);
        }
        let balance =
            |as_of: Option<&str>| store.balances(book, as_of.map(d)).expect("balances")[0].balance.to_string();
        assert_eq!(balance(None), "0.0000", "{}", db.name);
        assert_eq!(balance(Some("2024-05-02")), "1799999999999999.9982", "{}: two days of nine", db.name);

        let log = store.read_stream(&kassa_core::event::book_stream(book)).expect("log");
        let ledger = kassa_core::Ledger::from_events(log.iter().map(|e| &e.event));
        let dump = store.projection_dump().expect("dump");
        for _ in 0..2 {
            for as_of in [None, Some(d("2024-05-02"))] {
                let facts = store.report_facts(book, as_of, kassa_core::report::Wanted::ALL).expect("facts");
                assert_eq!(facts, kassa_core::report::ReportFacts::from_ledger(&ledger, as_of), "{}", db.name);
            }
            store.rebuild(&mut |_, _| {}).expect("rebuild");
            assert_eq!(store.projection_dump().expect("dump"), dump, "{}: rebuild reproduces", db.name);
        }
    }
}

/// Budget moves add to a stored budget: moving the largest amount into one
/// category twice would pass an amount's range (and, a few more times,
/// 64 bits, where SQLite's own addition turns into a float). The second
/// move is refused naming the month on both backends, and nothing of it
/// is stored.
#[test]
fn a_budget_move_past_an_amounts_range_is_refused() {
    use kassa_core::category::Section;
    let max = kassa_core::Money::new(dec("99999999999999.99"), Currency::EUR).expect("max");
    let month = kassa_core::report::Month { year: 2024, month: 5 };
    for db in testing::all() {
        let store = db.store.as_ref();
        let book = BookId(id());
        store
            .execute(
                book,
                "test",
                &[
                    open_book(book),
                    account("Checking", Currency::EUR),
                    category("Food", Section::Expense),
                    category("Rent", Section::Expense),
                ],
            )
            .expect("book");
        let mv = || Command::MoveBudget { from: "Rent".into(), to: "Food".into(), month, amount: max };
        store.execute(book, "test", &[mv()]).expect("one move is in range");
        let plan = store.budget_plan(book).expect("plan");
        let err = store.execute(book, "test", &[mv()]).expect_err("a second move").to_string();
        assert!(err.contains("the 2024-05 budget of a category") && err.contains("range"), "{}: '{err}'", db.name);
        assert_eq!(store.budget_plan(book).expect("plan"), plan, "{}: nothing of the refused move stored", db.name);
    }
}
