//! Property (fuzz) of the whole import path — parse → resolve → dedup →
//! commands → store — on generated transactions.csv files, some rows broken:
//! it never panics; a file with bad rows writes nothing; a re-import adds
//! nothing; undo restores the balances; rebuild reproduces the projections.

use std::time::Instant;

use kassa_app::SystemClock;
use kassa_app::import::{self, ImportError, ImportOptions, Input};
use kassa_store::testing;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::import::{book, state};

fn row() -> impl Strategy<Value = String> {
    let account = prop_oneof![Just("Checking"), Just("Savings")];
    let amount = prop_oneof![
        8 => (-9_999i64..9_999).prop_map(|c| rust_decimal::Decimal::new(c, 2).to_string()),
        1 => "[-0-9.,a-z]{0,6}",
    ];
    let date = prop_oneof![8 => (1u32..28).prop_map(|d| format!("2024-02-{d:02}")), 1 => "[0-9-]{0,10}"];
    let text = prop_oneof![Just("Coffee".to_string()), Just("Rent".to_string()), "[a-zA-Z ,\"]{0,12}"];
    let category = prop_oneof![Just(String::new()), Just("Food".to_string()), Just("Food:Coffee".to_string())];
    (account, amount, date, text, category).prop_map(|(a, m, d, t, c)| {
        let t = t.replace('"', "");
        format!(",{a},{d},{m},EUR,,{c},\"{t}\",,,\n")
    })
}

#[test]
// The property run is bounded by wall time as well as by case count.
#[allow(clippy::disallowed_methods)]
fn the_import_path_never_loses_or_doubles() {
    let started = Instant::now();
    let cases = std::cell::Cell::new(0u32);
    for db in testing::all() {
        let store = db.store.as_ref();
        let n = if db.name == "sqlite" { 64 } else { 16 };
        let mut runner = TestRunner::new(Config { cases: n, failure_persistence: None, ..Config::default() });
        runner
            .run(&proptest::collection::vec(row(), 0..30), |rows| {
                cases.set(cases.get() + 1);
                let b = book(store);
                let mut file = crate::import::kassa_csv(&[]);
                rows.iter().for_each(|r| file.push_str(r));
                let before = state(store, b);
                let opts = ImportOptions::default();
                let run = |o: &ImportOptions| {
                    import::import_file(
                        store,
                        &SystemClock,
                        b,
                        "prop",
                        Input::Bytes { name: "p.csv", bytes: file.as_bytes() },
                        o,
                        None,
                    )
                };
                let first = match run(&opts) {
                    Ok(r) => r,
                    Err(ImportError::BadRows { count, .. }) => {
                        prop_assert!(count > 0);
                        prop_assert_eq!(&state(store, b), &before, "a bad file wrote");
                        run(&ImportOptions { skip_bad_rows: true, ..ImportOptions::default() }).unwrap()
                    }
                    Err(e) => return Err(TestCaseError::fail(e.to_string())),
                };
                let again = run(&ImportOptions { skip_bad_rows: true, ..ImportOptions::default() }).unwrap();
                prop_assert_eq!(again.new, 0);
                prop_assert_eq!(again.duplicates, first.new);
                let dump = store.projection_dump().unwrap();
                store.rebuild(&mut |_, _| {}).unwrap();
                let rebuilt = store.projection_dump().unwrap();
                let only =
                    |a: &str, b: &str| a.lines().filter(|l| !b.contains(l)).map(str::to_string).collect::<Vec<_>>();
                prop_assert!(
                    rebuilt == dump,
                    "rebuild differs: live only {:?}, rebuilt only {:?}",
                    only(&dump, &rebuilt),
                    only(&rebuilt, &dump)
                );
                import::undo(store, b, "prop", first.batch.unwrap().parse().unwrap()).unwrap();
                prop_assert_eq!(state(store, b).2, before.2, "undo restores balances");
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
    }
    eprintln!("import path: {} cases", cases.get());
    eprintln!("import path fuzz took {:.1?}", started.elapsed());
}
