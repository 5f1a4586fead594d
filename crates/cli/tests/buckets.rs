//! End-to-end: `kassa bucket …`, `kassa tx add --bucket`, `kassa loan …` and
//! `kassa goal …` through the real binary on SQLite and (when configured)
//! PostgreSQL, the figures computed by hand in the comments; refusals are
//! one line naming the field and write nothing; rebuild reproduces it all.

mod common;

use common::{Kassa, databases};
use serde_json::Value;

fn tx(k: &Kassa, account: &str, date: &str, amount: &str, category: &str, more: &[&str]) {
    let mut args = vec![
        "tx",
        "add",
        "--account",
        account,
        "--date",
        date,
        "--amount",
        amount,
        "--description",
        "x",
        "--category",
        category,
    ];
    args.extend(more);
    k.ok(&args);
}

/// Each row's `fields`, as text.
fn rows(v: &Value, fields: &[&str]) -> Vec<Vec<String>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| fields.iter().map(|f| r[*f].as_str().unwrap_or_default().to_string()).collect())
        .collect()
}

fn table(want: &[&[&str]]) -> Vec<Vec<String>> {
    want.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

const BUCKET_COLUMNS: &[&str] = &["bucket", "percent", "allocated", "spent", "moved_in", "moved_out", "balance"];

#[test]
fn buckets_loans_and_goals_through_the_binary() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        k.ok(&["account", "add", "Savings", "--kind", "savings", "--currency", "EUR"]);
        k.ok(&["bucket", "add", "Savings", "--percent", "50"]);
        k.ok(&["bucket", "add", "Holidays", "--percent", "10", "--income-category", "Salary"]);
        // 1000.05: Savings 500.025 → 500.02, Holidays 100.005 → 100.00 (half
        // to even), Unallocated 400.03. Gifts 10.03: Savings 5.015 → 5.02,
        // Unallocated 5.01.
        tx(&k, "Checking", "2025-01-31", "1000.05", "Salary", &[]);
        tx(&k, "Checking", "2025-02-14", "10.03", "Gifts Received", &[]);
        k.ok(&["bucket", "add", "Savings", "--percent", "20", "--from", "2025-03-01"]);
        // March's 500: Savings 100.00 (20 %), Holidays 50.00, Unallocated 350.00.
        tx(&k, "Checking", "2025-03-31", "500", "Salary", &[]);
        tx(&k, "Checking", "2025-03-05", "-45.50", "Groceries", &["--bucket", "Holidays"]);
        k.ok(&["bucket", "move", "--from", "Unallocated", "--to", "Savings", "25", "--date", "2025-03-10"]);
        let want: &[&[&str]] = &[
            &["Holidays", "10", "150.00", "45.50", "0.00", "0.00", "104.50"],
            &["Savings", "20", "605.04", "0.00", "25.00", "0.00", "630.04"],
            &["Unallocated", "70", "755.04", "0.00", "0.00", "25.00", "730.04"],
        ];
        let all = k.json(&["bucket", "list"]);
        assert_eq!(rows(&all, BUCKET_COLUMNS), table(want), "{}", db.name);
        // Moved to Savings and back: the same figures again.
        let groceries = k.json(&["tx", "list", "--category", "Groceries"]);
        let id = groceries[0]["id"].as_str().unwrap().to_string();
        k.ok(&["tx", "bucket", &id, "Savings"]);
        let moved = rows(&k.json(&["bucket", "list"]), &["bucket", "spent", "balance"]);
        let spent_from_savings: &[&[&str]] =
            &[&["Holidays", "0.00", "150.00"], &["Savings", "45.50", "584.54"], &["Unallocated", "0.00", "730.04"]];
        assert_eq!(moved, table(spent_from_savings));
        k.ok(&["tx", "bucket", &id, "--none"]);
        assert_eq!(rows(&k.json(&["bucket", "list"]), &["bucket", "spent"])[1], ["Savings", "0.00"]);
        assert!(k.err(&["tx", "bucket", &id, "Fun"]).contains("bucket: unknown bucket 'Fun'"));
        k.ok(&["tx", "bucket", &id, "Holidays"]);
        assert_eq!(k.json(&["bucket", "list"]), all);
        let feb: &[&[&str]] = &[
            &["Holidays", "10", "100.00", "0.00", "0.00", "0.00", "100.00"],
            &["Savings", "50", "505.04", "0.00", "0.00", "0.00", "505.04"],
            &["Unallocated", "40", "405.04", "0.00", "0.00", "0.00", "405.04"],
        ];
        assert_eq!(rows(&k.json(&["bucket", "list", "--as-of", "2025-02"]), BUCKET_COLUMNS), table(feb));
        let csv = k.ok(&["bucket", "list", "-o", "csv"]);
        assert!(
            csv.starts_with("bucket,percent,allocated,spent,moved_in,moved_out,balance,currency\nHolidays,10,150.00,"),
            "{csv}"
        );
        assert!(k.ok(&["bucket", "list"]).contains("730.04"));

        // Anna borrows 100 and pays back 30 and 70; we borrow 250 from Bob
        // and pay 100 back.
        k.ok(&[
            "loan",
            "give",
            "--counterparty",
            "Anna",
            "--account",
            "Checking",
            "--amount",
            "100",
            "--date",
            "2025-03-01",
        ]);
        k.ok(&[
            "loan",
            "take",
            "--counterparty",
            "Bob",
            "--account",
            "Savings",
            "--amount",
            "250",
            "--date",
            "2025-03-02",
        ]);
        for (amount, date) in [("30", "2025-03-10"), ("70", "2025-03-20")] {
            k.ok(&[
                "loan",
                "repay",
                "--counterparty",
                "anna",
                "--account",
                "Checking",
                "--amount",
                amount,
                "--date",
                date,
            ]);
        }
        k.ok(&[
            "loan",
            "repay",
            "--counterparty",
            "Bob",
            "--account",
            "Savings",
            "--amount",
            "100",
            "--date",
            "2025-03-21",
        ]);
        let loans = rows(&k.json(&["loan", "list"]), &["counterparty", "account", "open", "direction"]);
        assert_eq!(
            loans,
            table(&[&["Anna", "Checking", "0.00", "settled"], &["Bob", "Savings", "-150.00", "payable"]]),
            "{}",
            db.name
        );
        let csv = k.ok(&["loan", "list", "-o", "csv", "--as-of", "2025-03-15"]);
        assert!(
            csv.starts_with("counterparty,account,open,direction,currency,last_date\nAnna,Checking,70.00,receivable,"),
            "{csv}"
        );
        // Loans are neither income nor expense: the buckets did not move, and
        // March's report has the salary and the groceries only.
        assert_eq!(rows(&k.json(&["bucket", "list"]), BUCKET_COLUMNS), table(want));
        let march = k.ok(&["report", "monthly", "--from", "2025-03", "--to", "2025-03", "-o", "csv"]);
        assert!(march.contains("2025-03,net,Net,EUR,454.50\n") && !march.contains("Loans"), "{march}");
        // An expense taken from a bucket still counts in its category's budget.
        k.ok(&["budget", "set", "Groceries", "100", "--month", "2025-03"]);
        let budget = k.json(&["budget", "show", "--month", "2025-03"]);
        assert_eq!(budget["categories"][0]["spent"], "-45.50", "{budget}");

        // Savings holds 250 − 100 = 150 since March. A goal of 1,000 by the end
        // of 2025, seen on 15 April: 850 over 9 months (April to December) =
        // 94.44; the window (Oct 2024 – Mar 2025) grew 150, 25 a month: 850 / 25
        // = 34 months from 15 April 2025.
        k.ok(&["goal", "add", "Car", "--target", "1000", "--by", "2025-12-31", "--account", "Savings"]);
        // The Holidays bucket had 104.50 by then; its window grew 104.50 too.
        k.ok(&["goal", "add", "Trip", "--target", "300", "--by", "2025-06-30", "--bucket", "Holidays"]);
        let goals = k.json(&["goal", "list", "--as-of", "2025-04-15"]);
        let columns = ["goal", "target", "saved", "progress", "required_monthly", "projected_date"];
        // Trip: 195.50 over April to June = 65.17; 195.50 / (104.50 / 6)
        // = 11.2 → 12 months.
        assert_eq!(
            rows(&goals, &columns),
            table(&[
                &["Car", "1000.00", "150.00", "0.15", "94.44", "2028-02-15"],
                &["Trip", "300.00", "104.50", "0.3483", "65.17", "2026-04-15"],
            ]),
            "{}",
            db.name
        );
        assert!(k.ok(&["goal", "list", "-o", "csv", "--as-of", "2025-04-15"]).starts_with(
            "goal,target,saved,progress,required_monthly,projected_date,currency,by,linked\nCar,1000.00,150.00,0.15,94.44,2028-02-15,EUR,2025-12-31,Savings\n"
        ));

        // Rebuild reproduces every figure.
        k.ok(&["rebuild"]);
        assert_eq!(k.json(&["bucket", "list"]), all);
        assert_eq!(k.json(&["goal", "list", "--as-of", "2025-04-15"]), goals);
    }
}

#[test]
fn bad_bucket_loan_and_goal_input_is_one_line_naming_the_field_and_writes_nothing() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        k.ok(&["bucket", "add", "Savings", "--percent", "60"]);
        k.ok(&[
            "loan",
            "give",
            "--counterparty",
            "Anna",
            "--account",
            "Checking",
            "--amount",
            "10",
            "--date",
            "2025-03-01",
        ]);
        let log_before = k.json(&["events", "--limit", "1000"]);
        let cases = [
            (
                "bucket add Rent --percent 45",
                "percent: bucket percentages would add up to 105 % on 1900-01-01 (over 100): Rent 45 %, Savings 60 %",
            ),
            ("bucket add Rent --percent 5 --income-category Salry", "unknown category 'Salry'"),
            (
                "bucket add Rent --percent 5 --income-category Groceries",
                "income_category: 'Groceries' is in the expense section",
            ),
            ("bucket add Rent --percent -5", "percent: must be within 0 to 100"),
            ("bucket move --from Savings --to Nope 5 --date 2025-03-01", "to: unknown bucket 'Nope'"),
            ("bucket move --from Savings --to Unallocated 5 --date 2025-02-30", "date:"),
            (
                "tx add --account Checking --date 2025-03-01 --amount -5 --description x --bucket Fun",
                "bucket: unknown bucket 'Fun'",
            ),
            ("tx bucket 00000000-0000-0000-0000-000000000001 Savings", "transaction not found"),
            (
                "loan repay --counterparty Anna --account Checking --amount 11 --date 2025-03-02",
                "amount: 11 is more than the 10.00 open with 'Anna' on 'Checking'",
            ),
            (
                "loan repay --counterparty Bob --account Checking --amount 1 --date 2025-03-02",
                "counterparty: nothing is open with 'Bob'",
            ),
            (
                "loan give --counterparty Bob --account Checking --amount -1 --date 2025-03-02",
                "amount: must be positive",
            ),
            (
                "loan give --counterparty Bob --account Chequing --amount 1 --date 2025-03-02",
                "unknown account 'Chequing'",
            ),
            ("goal add Car --target 1000 --by 2025-12-31 --bucket Nope", "bucket: unknown bucket 'Nope'"),
            ("goal add Car --target 0 --by 2025-12-31 --account Checking", "target: must be positive"),
            ("goal add Car --target 10 --by 2025-13-31 --account Checking", "by:"),
        ];
        for (line, want) in cases {
            let args: Vec<&str> = line.split(' ').collect();
            let err = k.err(&args);
            assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: not one line: {err}");
            assert!(err.contains(want), "{args:?} on {}: '{err}' lacks '{want}'", db.name);
        }
        assert_eq!(k.json(&["events", "--limit", "1000"]), log_before, "refused input wrote on {}", db.name);
    }
}

fn spend(k: &Kassa, date: &str, amount: &str, description: &str, more: &[&str]) {
    let mut args =
        vec!["tx", "add", "--account", "Checking", "--date", date, "--amount", amount, "--description", description];
    args.extend(more);
    k.ok(&args);
}

/// A rule's `set_bucket` action takes the spending it matches from the
/// bucket, as `tx add --bucket` does: on `tx add`, on `rules apply` (once),
/// never over an assignment already made; an unknown bucket is refused
/// naming the field, with nothing stored.
#[test]
fn a_rule_assigns_spending_to_a_bucket() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        k.ok(&["bucket", "add", "Holidays", "--percent", "10"]);
        k.ok(&["bucket", "add", "Savings", "--percent", "20"]);
        // 2,000 of salary: Holidays 200, Savings 400, Unallocated 1,400.
        tx(&k, "Checking", "2025-01-31", "2000", "Salary", &[]);
        // Recorded before the rule exists: only `rules apply` assigns it.
        spend(&k, "2025-02-01", "-120.00", "LUFTHANSA 220-1234 FRANKFURT", &["--category", "Groceries"]);

        let err = k.err(&["rules", "add", "Fun", "--if", "description:contains:cinema", "--set-bucket", "Fun"]);
        assert!(err.contains("set_bucket") && err.contains("unknown bucket 'Fun'"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rules.toml");
        std::fs::write(
            &file,
            "version = 2\n[[rule]]\nname = \"Fun\"\nwhen = { field = \"description\", contains = \"kino\" }\nthen = [{ set_bucket = \"Funds\" }]\n",
        )
        .unwrap();
        let err = k.err(&["rules", "import", file.to_str().unwrap()]);
        assert!(err.contains("set_bucket") && err.contains("rule 'Fun': unknown bucket 'Funds'"), "{err}");
        assert_eq!(k.json(&["rules", "list"]), serde_json::json!([]), "{}: nothing stored", db.name);

        k.ok(&["rules", "add", "Flights", "--if", "description:contains:lufthansa", "--set-bucket", "holidays"]);
        let listed = k.ok(&["rules", "list", "-o", "csv"]);
        assert!(listed.contains("bucket holidays"), "{listed}");
        // Typed in after the rule: assigned at once (210.50 from Holidays).
        spend(&k, "2025-02-10", "-210.50", "Lufthansa LH 400", &["--category", "Groceries"]);
        // Assigned by hand to Savings: the rule does not take it over.
        spend(&k, "2025-02-11", "-35.25", "LUFTHANSA seat", &["--category", "Groceries", "--bucket", "Savings"]);
        // Not matched: no bucket.
        spend(&k, "2025-02-12", "-9.99", "Cinema", &["--category", "Groceries"]);
        let columns = ["bucket", "allocated", "spent", "balance"];
        let before: &[&[&str]] = &[
            &["Holidays", "200.00", "210.50", "-10.50"],
            &["Savings", "400.00", "35.25", "364.75"],
            &["Unallocated", "1400.00", "0.00", "1400.00"],
        ];
        assert_eq!(rows(&k.json(&["bucket", "list"]), &columns), table(before), "{}", db.name);

        // The run takes the older flight (120) from Holidays, and only that.
        k.ok(&["rules", "apply"]);
        let after: &[&[&str]] = &[
            &["Holidays", "200.00", "330.50", "-130.50"],
            &["Savings", "400.00", "35.25", "364.75"],
            &["Unallocated", "1400.00", "0.00", "1400.00"],
        ];
        let listed = k.json(&["bucket", "list"]);
        assert_eq!(rows(&listed, &columns), table(after), "{}", db.name);
        let events = k.ok(&["events", "-o", "csv"]).lines().count();
        k.ok(&["rules", "apply"]);
        assert_eq!(k.ok(&["events", "-o", "csv"]).lines().count(), events, "{}: a second run assigns nothing", db.name);
        k.ok(&["rebuild"]);
        assert_eq!(k.json(&["bucket", "list"]), listed);
    }
}

fn loan(k: &Kassa, kind: &str, who: &str, account: &str, amount: &str, date: &str) {
    k.ok(&["loan", kind, "--counterparty", who, "--account", account, "--amount", amount, "--date", date]);
}

/// Open loans are net worth's receivables and payables, as lines of their
/// own: net worth = accounts + receivables − payables. By hand: 1,000 of
/// salary; Anna borrows 100 from Checking and pays 30 back, we borrow 250
/// from Bob into Savings. End of February: Checking 1000 − 100 + 30 = 930,
/// Savings 250, Anna owes 70, we owe 250: 930 + 250 + 70 − 250 = 1,000,
/// the salary — a loan moves wealth between cash and claims, no more.
#[test]
fn open_loans_are_receivables_and_payables_in_net_worth() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        k.ok(&["account", "add", "Savings", "--kind", "savings", "--currency", "EUR"]);
        tx(&k, "Checking", "2025-01-31", "1000", "Salary", &[]);
        loan(&k, "give", "Anna", "Checking", "100", "2025-02-01");
        loan(&k, "take", "Bob", "Savings", "250", "2025-02-02");
        loan(&k, "repay", "Anna", "Checking", "30", "2025-02-10");
        let report = k.json(&["report", "networth", "--from", "2025-01", "--to", "2025-02"]);
        let columns = ["date", "account", "balance"];
        let want: &[&[&str]] = &[
            &["2025-01-31", "Checking", "1000.00"],
            &["2025-01-31", "Savings", "0.00"],
            &["2025-01-31", "Net worth", "1000.00"],
            &["2025-02-28", "Checking", "930.00"],
            &["2025-02-28", "Savings", "250.00"],
            &["2025-02-28", "Receivables", "70.00"],
            &["2025-02-28", "Payables", "250.00"],
            &["2025-02-28", "Net worth", "1000.00"],
        ];
        assert_eq!(rows(&report, &columns), table(want), "{}", db.name);
        // Bob is paid back in full: no payable is left, Anna's 70 is.
        loan(&k, "repay", "Bob", "Savings", "250", "2025-03-01");
        let march = k.json(&["report", "networth", "--from", "2025-03", "--to", "2025-03"]);
        let want: &[&[&str]] = &[
            &["2025-03-31", "Checking", "930.00"],
            &["2025-03-31", "Savings", "0.00"],
            &["2025-03-31", "Receivables", "70.00"],
            &["2025-03-31", "Net worth", "1000.00"],
        ];
        assert_eq!(rows(&march, &columns), table(want), "{}", db.name);
        // Known at the moment before Bob's repayment was written: the log as
        // it then stood still owes him 250 at the end of March.
        let events = k.json(&["events"]);
        let events = events.as_array().unwrap();
        let repaid = events.iter().rposition(|e| e["type"] == "transaction_recorded").unwrap();
        let before = events[repaid - 1]["recorded_at"].as_str().unwrap();
        let then = k.json(&["report", "networth", "--from", "2025-03", "--to", "2025-03", "--known-at", before]);
        let want: &[&[&str]] = &[
            &["2025-03-31", "Checking", "930.00"],
            &["2025-03-31", "Savings", "250.00"],
            &["2025-03-31", "Receivables", "70.00"],
            &["2025-03-31", "Payables", "250.00"],
            &["2025-03-31", "Net worth", "1000.00"],
        ];
        assert_eq!(rows(&then, &columns), table(want), "{}", db.name);
        k.ok(&["rebuild"]);
        assert_eq!(k.json(&["report", "networth", "--from", "2025-01", "--to", "2025-02"]), report, "{}", db.name);
    }
}
