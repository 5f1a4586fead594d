//! The import service on both backends: every corpus file imports and
//! re-imports as nothing new; overlapping statements add only their new rows;
//! identical same-day rows stay; pending → booked is matched; undo restores
//! exact balances; a failed batch leaves the database content unchanged.

use std::path::{Path, PathBuf};

use kassa_app::SystemClock;
use kassa_app::import::{self, ImportError, ImportOptions, ImportReport, Input, Resolution};
use kassa_core::{BookId, Command, Currency};
use kassa_store::{Store, testing};

use crate::*;

pub fn book(store: &dyn Store) -> BookId {
    let book = BookId(id());
    store
        .execute(
            book,
            "test",
            &[open_book(book), account("Checking", Currency::EUR), account("Savings", Currency::EUR)],
        )
        .unwrap();
    book
}

pub fn run(
    store: &dyn Store,
    book: BookId,
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    import::import_file(store, &SystemClock, book, "test", Input::Bytes { name, bytes }, opts, None)
}

fn opts() -> ImportOptions {
    ImportOptions { create_accounts: true, ..ImportOptions::default() }
}

/// Everything a test compares: projections, log length, balances.
pub fn state(store: &dyn Store, book: BookId) -> (String, usize, Vec<(String, String)>) {
    let events = store.read_log(0, usize::MAX >> 1).unwrap().len();
    let balances =
        store.balances(book, None).unwrap().into_iter().map(|b| (b.account, b.balance.to_string())).collect();
    (store.projection_dump().unwrap(), events, balances)
}

fn corpus_files() -> Vec<PathBuf> {
    let Some(root) = corpus::corpus_dir() else {
        return vec![];
    };
    let mut out = vec![];
    let mut dirs = vec![root];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_none_or(|x| x != "md") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A kassa transactions.csv from rows (date, amount, description).
pub fn kassa_csv(rows: &[(&str, &str, &str)]) -> String {
    let mut s = String::from(
        "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,counterparty_account,transfer_group_id\n",
    );
    for (d, a, t) in rows {
        s.push_str(&format!(",Checking,{d},{a},EUR,,,{t},,,\n"));
    }
    s
}

#[test]
fn every_corpus_file_imports_and_reimport_adds_nothing() {
    let files = corpus_files();
    for db in testing::all() {
        let store = db.store.as_ref();
        for path in &files {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let bytes = std::fs::read(path).unwrap();
            let b = book(store);
            let strict = run(store, b, &name, &bytes, &opts());
            let before = state(store, b);
            let first = match strict {
                Ok(r) => r,
                Err(ImportError::BadRows { .. } | ImportError::Unreadable { .. }) => {
                    // Negative test (scrubbed dates, unreadable rows): nothing
                    // was stored; with --skip-bad-rows the good rows go in.
                    match run(store, b, &name, &bytes, &ImportOptions { skip_bad_rows: true, ..opts() }) {
                        Ok(r) => r,
                        Err(e) => {
                            assert_eq!(state(store, b), before, "{}: {name}: a failed import wrote", db.name);
                            eprintln!("{}: {name}: not importable: {e}", db.name);
                            continue;
                        }
                    }
                }
                Err(e) => panic!("{}: {name}: {e}", db.name),
            };
            let after_first = state(store, b).2;
            let again = run(store, b, &name, &bytes, &ImportOptions { skip_bad_rows: true, ..opts() })
                .unwrap_or_else(|e| panic!("{}: {name}: {e}", db.name));
            assert_eq!((again.new, again.needs_review), (0, 0), "{}: {name}: re-import added rows", db.name);
            // Trades count as duplicates too once they are in.
            assert_eq!(
                again.duplicates + again.deleted,
                first.new + first.needs_review + first.trades,
                "{}: {name}",
                db.name
            );
            assert_eq!(state(store, b).2, after_first, "{}: {name}: balances changed", db.name);
        }
    }
}

#[test]
fn overlapping_statements_add_only_the_new_rows_and_identical_rows_stay() {
    let rows: Vec<(String, String, String)> = (0..40)
        .map(|i| (format!("2024-03-{:02}", 1 + i / 2), format!("-{}.{:02}", 3 + i % 5, i), format!("Shop {}", i % 7)))
        .chain([
            ("2024-03-05".into(), "-3.40".into(), "Coffee".into()),
            ("2024-03-05".into(), "-3.40".into(), "Coffee".into()),
        ])
        .collect();
    let mut sorted = rows.clone();
    sorted.sort();
    let as_refs = |r: &[(String, String, String)]| -> String {
        kassa_csv(&r.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect::<Vec<_>>())
    };
    // Split by date so a day is never cut in two: days 1–12, then 8–20.
    let first: Vec<_> = sorted.iter().filter(|r| r.0.as_str() <= "2024-03-12").cloned().collect();
    let second: Vec<_> = sorted.iter().filter(|r| r.0.as_str() >= "2024-03-08").cloned().collect();
    for db in testing::all() {
        let store = db.store.as_ref();
        let b = book(store);
        let a = run(store, b, "first.csv", as_refs(&first).as_bytes(), &opts()).unwrap();
        assert_eq!(a.new as usize, first.len(), "{}: both coffees are kept", db.name);
        let overlap = first.iter().filter(|r| r.0.as_str() >= "2024-03-08").count();
        let s = run(store, b, "second.csv", as_refs(&second).as_bytes(), &opts()).unwrap();
        assert_eq!(
            (s.new as usize, s.duplicates as usize, s.needs_review),
            (second.len() - overlap, overlap, 0),
            "{}",
            db.name
        );
        let whole = run(store, b, "whole.csv", as_refs(&sorted).as_bytes(), &opts()).unwrap();
        assert_eq!((whole.new, whole.duplicates as usize), (0, sorted.len()), "{}", db.name);
        let txs = store.transactions(b, &kassa_store::TxFilter::default()).unwrap();
        assert_eq!(txs.len(), sorted.len(), "{}", db.name);
        assert_eq!(txs.iter().filter(|t| t.description == "Coffee").count(), 2, "{}", db.name);
    }
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)).unwrap()
}

#[test]
fn pending_then_booked_is_matched_not_doubled() {
    for db in testing::all() {
        let store = db.store.as_ref();
        let b = book(store);
        let o = ImportOptions { account: Some("Checking".into()), ..ImportOptions::default() };
        let p = run(store, b, "pending.csv", &data("revolut-pending.csv"), &o).unwrap();
        assert_eq!(p.new, 2, "{}", db.name);
        let k = run(store, b, "booked.csv", &data("revolut-booked.csv"), &o).unwrap();
        assert_eq!((k.new, k.duplicates, k.needs_review), (0, 1, 1), "{}: the booked row is held, not added", db.name);
        let reviews = store.import_reviews(b).unwrap();
        assert_eq!(reviews.len(), 1);
        assert_eq!(reviews[0].item.kind, kassa_core::import::ReviewKind::PendingPosted);
        let balance = |s: &dyn Store| {
            s.balances(b, None).unwrap().into_iter().find(|r| r.account == "Checking").unwrap().balance.to_string()
        };
        assert_eq!(balance(store), "476.50", "{}", db.name);
        // Accepting replaces the pending transaction with the booked one.
        import::resolve_review(store, b, "test", reviews[0].item.review_id, Resolution::Accept).unwrap();
        assert_eq!(balance(store), "476.50", "{}", db.name);
        let txs = store.transactions(b, &kassa_store::TxFilter::default()).unwrap();
        assert_eq!(txs.iter().map(|t| t.status.as_str()).collect::<Vec<_>>(), ["booked", "booked"], "{}", db.name);
        // And the booked file is now fully known.
        let again = run(store, b, "booked.csv", &data("revolut-booked.csv"), &o).unwrap();
        assert_eq!((again.new, again.needs_review), (0, 0), "{}", db.name);
        let before = store.projection_dump().unwrap();
        store.rebuild(&mut |_, _| {}).unwrap();
        assert_eq!(store.projection_dump().unwrap(), before, "{}", db.name);
    }
}

#[test]
fn a_hand_typed_transaction_is_a_review_candidate() {
    for db in testing::all() {
        let store = db.store.as_ref();
        let b = book(store);
        store.execute(b, "test", &[tx("Checking", "2024-03-04", "-3.40", None)]).unwrap();
        let r = run(store, b, "f.csv", kassa_csv(&[("2024-03-05", "-3.40", "Coffee")]).as_bytes(), &opts()).unwrap();
        assert_eq!((r.new, r.needs_review), (0, 1), "{}", db.name);
        let item = store.import_reviews(b).unwrap().remove(0).item;
        import::resolve_review(store, b, "test", item.review_id, Resolution::Duplicate).unwrap();
        let r = run(store, b, "f.csv", kassa_csv(&[("2024-03-05", "-3.40", "Coffee")]).as_bytes(), &opts()).unwrap();
        assert_eq!((r.new, r.duplicates, r.needs_review), (0, 1, 0), "{}: remembered as a duplicate", db.name);
    }
}

#[test]
fn undo_restores_exact_balances_and_deleted_rows_stay_deleted() {
    for db in testing::all() {
        let store = db.store.as_ref();
        let b = book(store);
        run(
            store,
            b,
            "a.csv",
            kassa_csv(&[("2024-01-02", "100.00", "Salary"), ("2024-01-03", "-7.25", "Lunch")]).as_bytes(),
            &opts(),
        )
        .unwrap();
        let before = store.balances(b, None).unwrap();
        let before_as_of = store.balances(b, Some(d("2024-02-10"))).unwrap();
        let file = kassa_csv(&[
            ("2024-02-09", "-12.00", "Books"),
            ("2024-02-10", "-30.00", "Fuel"),
            ("2024-02-11", "5.00", "Refund"),
        ]);
        let r = run(store, b, "b.csv", file.as_bytes(), &opts()).unwrap();
        assert_ne!(store.balances(b, None).unwrap(), before);
        let batch = r.batch.unwrap().parse().unwrap();
        assert_eq!(import::undo(store, b, "test", batch).unwrap(), 3, "{}", db.name);
        assert_eq!(store.balances(b, None).unwrap(), before, "{}", db.name);
        assert_eq!(store.balances(b, Some(d("2024-02-10"))).unwrap(), before_as_of, "{}", db.name);
        assert!(import::undo(store, b, "test", batch).is_err(), "undone twice");
        // After undo the file imports again in full; a deleted row stays deleted.
        let again = run(store, b, "b.csv", file.as_bytes(), &opts()).unwrap();
        assert_eq!(again.new, 3, "{}", db.name);
        let fuel = store
            .transactions(b, &kassa_store::TxFilter { search: Some("Fuel".into()), ..Default::default() })
            .unwrap();
        store.execute(b, "test", &[Command::DeleteTransaction { tx_id: fuel[0].id.parse().unwrap() }]).unwrap();
        let third = run(store, b, "b.csv", file.as_bytes(), &opts()).unwrap();
        assert_eq!((third.new, third.duplicates, third.deleted), (0, 2, 1), "{}: tombstone", db.name);
        let fourth =
            run(store, b, "b.csv", file.as_bytes(), &ImportOptions { include_deleted: true, ..opts() }).unwrap();
        assert_eq!((fourth.new, fourth.duplicates), (1, 2), "{}: asked for it back", db.name);
        let dump = store.projection_dump().unwrap();
        store.rebuild(&mut |_, _| {}).unwrap();
        assert_eq!(store.projection_dump().unwrap(), dump, "{}", db.name);
    }
}

#[test]
fn a_failed_batch_leaves_the_database_unchanged() {
    for db in testing::all() {
        let store = db.store.as_ref();
        let b = book(store);
        run(store, b, "ok.csv", kassa_csv(&[("2024-01-02", "10.00", "x")]).as_bytes(), &opts()).unwrap();
        let before = state(store, b);
        let mut bad = kassa_csv(&[("2024-01-05", "-1.00", "fine"), ("2024-01-06", "-1.001", "too precise")]);
        bad.push_str(",Checking,2024-13-01,-2.00,EUR,,,bad date,,,\n");
        bad.push_str(",Checking,2024-01-07,-2.00,EUR,,NewCat,creates a category,,,\n");
        let err = run(store, b, "bad.csv", bad.as_bytes(), &opts()).unwrap_err().to_string();
        assert!(err.contains("2 bad row(s)"), "{err}");
        assert!(err.contains("bad.csv:3: amount:") && err.contains("bad.csv:4: date:"), "{err}");
        assert_eq!(state(store, b), before, "{}: nothing written, not even the category", db.name);
        // Unknown account_ref values fail the batch, naming them.
        let unknown = "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,counterparty_account,transfer_group_id\n,Wallet,2024-01-02,-1.00,EUR,,,x,,,\n,Brokerage,2024-01-02,-1.00,EUR,,,y,,,\n";
        let err = run(store, b, "u.csv", unknown.as_bytes(), &ImportOptions::default()).unwrap_err().to_string();
        assert!(err.contains("unknown account(s) Brokerage, Wallet"), "{err}");
        assert_eq!(state(store, b), before, "{}", db.name);
        // A dry run reports and writes nothing.
        let dry = run(
            store,
            b,
            "good.csv",
            kassa_csv(&[("2024-01-09", "-4.00", "z")]).as_bytes(),
            &ImportOptions { dry_run: true, ..opts() },
        )
        .unwrap();
        assert_eq!((dry.new, dry.batch), (1, None));
        assert_eq!(state(store, b), before, "{}", db.name);
        // With --skip-bad-rows the good rows go in and the bad are reported.
        let r = run(store, b, "bad.csv", bad.as_bytes(), &ImportOptions { skip_bad_rows: true, ..opts() }).unwrap();
        assert_eq!((r.new, r.error_count), (2, 2), "{}", db.name);
        assert_eq!(r.categories_created, ["NewCat"]);
    }
}

/// Issue 14: a row whose amount or date is outside kassa's range is a bad
/// row naming file, line and field, like any other, and the batch writes
/// nothing; a file whose rows would sum past the range is refused whole.
#[test]
fn rows_outside_the_range_are_bad_rows_naming_file_line_and_field() {
    for db in testing::all() {
        let store = db.store.as_ref();
        let b = book(store);
        let before = state(store, b);
        let file = kassa_csv(&[
            ("2024-01-05", "-1.00", "fine"),
            ("2024-01-06", "100000000000000000.00", "capped by SQLite before"),
            ("9999-12-31", "-1.00", "broke the net worth report"),
            ("2024-01-07", "-79228162514264337593543950335", "overflowed rust_decimal"),
            ("1899-12-31", "-1.00", "before the range"),
        ]);
        let err = run(store, b, "range.csv", file.as_bytes(), &opts()).unwrap_err().to_string();
        assert!(err.contains("4 bad row(s)"), "{}: {err}", db.name);
        for want in ["range.csv:3: amount:", "range.csv:4: date:", "range.csv:5: amount:", "range.csv:6: date:"] {
            assert!(err.contains(want), "{}: '{err}' lacks '{want}'", db.name);
        }
        assert!(err.contains("range"), "{}: says why: {err}", db.name);
        assert_eq!(state(store, b), before, "{}: nothing written", db.name);
        let r = run(store, b, "range.csv", file.as_bytes(), &ImportOptions { skip_bad_rows: true, ..opts() }).unwrap();
        assert_eq!((r.new, r.error_count), (1, 4), "{}", db.name);

        let sums = kassa_csv(&[("2024-02-01", "99999999999999.99", "a"), ("2024-02-02", "99999999999999.99", "b")]);
        let before = state(store, b);
        let err = run(store, b, "sums.csv", sums.as_bytes(), &opts()).unwrap_err().to_string();
        assert!(err.contains("Checking") && err.contains("range"), "{}: {err}", db.name);
        assert_eq!(state(store, b), before, "{}: nothing written", db.name);
    }
}

#[test]
fn transfer_groups_become_one_transfer_and_opposite_amounts_are_proposed() {
    let file = "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,counterparty_account,transfer_group_id
e1,Checking,2024-05-01,-200.00,EUR,transfer,,To savings,,,g1
e2,Savings,2024-05-01,200.00,EUR,transfer,,From checking,,,g1
e3,Checking,2024-05-10,-50.00,EUR,,,Move,,,
e4,Savings,2024-05-11,50.00,EUR,,,Move,,,
";
    for db in testing::all() {
        let store = db.store.as_ref();
        let b = book(store);
        let r = run(store, b, "t.csv", file.as_bytes(), &ImportOptions::default()).unwrap();
        assert_eq!((r.new, r.transfers, r.proposed_transfers, r.needs_review), (4, 1, 1, 1), "{}", db.name);
        let txs = store.transactions(b, &kassa_store::TxFilter::default()).unwrap();
        assert_eq!(
            txs.iter().filter(|t| t.transfer_account.is_some()).count(),
            2,
            "{}: one transfer, two legs",
            db.name
        );
        let item = store.import_reviews(b).unwrap().remove(0).item;
        import::resolve_review(store, b, "test", item.review_id, Resolution::Accept).unwrap();
        let txs = store.transactions(b, &kassa_store::TxFilter::default()).unwrap();
        assert_eq!(txs.iter().filter(|t| t.transfer_account.is_some()).count(), 4, "{}: now two transfers", db.name);
        let balances: Vec<String> =
            store.balances(b, None).unwrap().into_iter().map(|b| b.balance.to_string()).collect();
        assert_eq!(balances, ["-250.00", "250.00"], "{}", db.name);
        let again = run(store, b, "t.csv", file.as_bytes(), &ImportOptions::default()).unwrap();
        assert_eq!((again.new, again.needs_review, again.duplicates), (0, 0, 4), "{}", db.name);
        let dump = store.projection_dump().unwrap();
        store.rebuild(&mut |_, _| {}).unwrap();
        assert_eq!(store.projection_dump().unwrap(), dump, "{}", db.name);
    }
}

/// "Gifts" under income and under expense: the income rows never land in
/// the expense category silently; each names its line and the section.
#[test]
fn a_category_of_another_section_is_a_bad_row_not_a_silent_move() {
    let header = "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,counterparty_account,transfer_group_id\n";
    let file = format!(
        "{header}g1,Checking,2024-03-01,-20.00,EUR,expense,Gifts,Flowers,,,\n\
         g2,Checking,2024-03-02,50.00,EUR,income,Gifts,From aunt,,,\n\
         g3,Checking,2024-03-03,5.00,EUR,expense,Gifts,Refund,,,\n"
    );
    for db in testing::all() {
        let store = db.store.as_ref();
        let b = book(store);
        let before = state(store, b);
        match run(store, b, "gifts.csv", file.as_bytes(), &opts()) {
            Err(ImportError::BadRows { count, first, .. }) => {
                assert_eq!(count, 1, "{}: {first:?}", db.name);
                assert!(
                    first[0].starts_with(
                        "gifts.csv:3: section: category 'Gifts' is an expense category but the row says income"
                    ),
                    "{}: {first:?}",
                    db.name
                );
            }
            other => panic!("{}: {other:?}", db.name),
        }
        assert_eq!(state(store, b), before, "{}: nothing stored", db.name);
        // Against a category the book already has, across imports, too.
        let r = run(
            store,
            b,
            "a.csv",
            format!("{header}g1,Checking,2024-03-01,-20.00,EUR,expense,Gifts,F,,,\n").as_bytes(),
            &opts(),
        )
        .unwrap();
        assert_eq!(r.new, 1);
        let err = run(
            store,
            b,
            "b.csv",
            format!("{header}g2,Checking,2024-03-02,50.00,EUR,income,gifts,A,,,\n").as_bytes(),
            &opts(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("b.csv:2: section: category 'gifts' is an expense category"), "{err}");
    }
}
