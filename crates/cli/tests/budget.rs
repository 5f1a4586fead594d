//! End-to-end: `kassa budget …` through the real binary on SQLite and (when
//! configured) PostgreSQL — set, move, hold, copy, fill, tracking mode and
//! the refusals, with the figures computed by hand in the comments.

mod common;

use common::{Kassa, databases};
use serde_json::Value;

fn tx(k: &Kassa, date: &str, amount: &str, category: &str) {
    k.ok(&[
        "tx",
        "add",
        "--account",
        "Checking",
        "--date",
        date,
        "--amount",
        amount,
        "--description",
        "x",
        "--category",
        category,
    ]);
}

fn line<'a>(v: &'a Value, category: &str) -> &'a Value {
    v["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["category"] == category)
        .unwrap_or_else(|| panic!("no {category} in {v:#}"))
}

/// (budgeted, spent, carried_in, available)
fn figures(v: &Value, category: &str) -> [String; 4] {
    let l = line(v, category);
    ["budgeted", "spent", "carried_in", "available"].map(|f| l[f].as_str().unwrap().to_string())
}

fn s(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap().to_string()
}

#[test]
fn budgets_through_the_binary() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        tx(&k, "2025-01-25", "2000", "Salary");
        tx(&k, "2025-01-10", "-350", "Groceries");
        tx(&k, "2025-01-12", "-20", "Eating Out:Coffee");
        tx(&k, "2025-02-05", "-100", "Groceries");
        tx(&k, "2025-02-06", "30", "Groceries"); // a refund
        k.ok(&["budget", "set", "Groceries", "300", "--month", "2025-01", "--through", "2025-02"]);
        k.ok(&["budget", "set", "Eating Out", "50", "--month", "2025-01"]);
        k.ok(&["budget", "move", "--from", "Groceries", "--to", "Eating Out", "25", "--month", "2025-02"]);
        k.ok(&["budget", "hold", "100", "--month", "2025-01"]);

        // Jan: Groceries 300 - 350 = -50; Eating Out 50 - 20 (Coffee has no
        // budget: it counts in its parent) = 30; to_budget = 2000 - 350 - 100 = 1550.
        let jan = k.json(&["budget", "show", "--month", "2025-01"]);
        assert_eq!(figures(&jan, "Groceries"), ["300.00", "-350.00", "0.00", "-50.00"], "{}", db.name);
        assert_eq!(figures(&jan, "Eating Out"), ["50.00", "-20.00", "0.00", "30.00"]);
        assert_eq!(jan["categories"].as_array().unwrap().len(), 2, "Coffee is no envelope: {jan:#}");
        assert_eq!(
            [s(&jan, "income"), s(&jan, "budgeted"), s(&jan, "spent"), s(&jan, "to_budget"), s(&jan, "held")],
            ["2000.00", "350.00", "-370.00", "1550.00", "100.00"]
        );
        // Feb: the move makes Groceries 275 and Eating Out 25. Groceries carries
        // max(0, -50) = 0 (overspent_last = -50), spent -100 + 30 = -70:
        // 275 - 70 = 205. Eating Out carries 30: 25 + 30 = 55.
        // to_budget = 0 + 1550 + 100 + (-50) - 300 - 0 = 1300.
        let feb = k.json(&["budget", "show", "--month", "2025-02"]);
        assert_eq!(figures(&feb, "Groceries"), ["275.00", "-70.00", "0.00", "205.00"]);
        assert_eq!(figures(&feb, "Eating Out"), ["25.00", "0.00", "30.00", "55.00"]);
        assert_eq!(
            [s(&feb, "month"), s(&feb, "overspent_last_month"), s(&feb, "to_budget"), s(&feb, "held")],
            ["2025-02", "-50.00", "1300.00", "0.00"]
        );
        assert_eq!(line(&feb, "Groceries")["carryover"], false);

        // Carryover on from Jan: Groceries' -50 carries into Feb instead:
        // 275 - 70 - 50 = 155; to_budget = 1550 + 100 - 300 = 1350.
        k.ok(&["budget", "carryover", "Groceries", "on", "--month", "2025-01"]);
        let feb = k.json(&["budget", "show", "--month", "2025-02"]);
        assert_eq!(figures(&feb, "Groceries"), ["275.00", "-70.00", "-50.00", "155.00"]);
        assert_eq!((s(&feb, "overspent_last_month"), s(&feb, "to_budget")), ("0.00".into(), "1350.00".into()));

        // Copy Feb into Mar (275 + 25), then fill Groceries from the average of
        // Jan and Feb spending: (350 + 70) / 2 = 210.
        k.ok(&["budget", "copy", "--month", "2025-03"]);
        assert_eq!(s(&k.json(&["budget", "show", "--month", "2025-03"]), "budgeted"), "300.00");
        k.ok(&["budget", "fill", "--month", "2025-03", "--from", "average:2", "--category", "Groceries"]);
        let mar = k.json(&["budget", "show", "--month", "2025-03"]);
        assert_eq!(line(&mar, "Groceries")["budgeted"], "210.00");
        assert_eq!(line(&mar, "Eating Out")["budgeted"], "25.00");

        // Table and CSV list the envelopes too.
        assert!(k.ok(&["budget", "show", "--month", "2025-02"]).contains("to budget 1350.00"));
        assert!(k.ok(&["budget", "show", "--month", "2025-02", "-o", "csv"]).starts_with("category,budgeted,spent"));

        // Tracking: no carry; Feb stands alone: to_budget = 0 - 300.
        k.ok(&["budget", "mode", "tracking"]);
        let feb = k.json(&["budget", "show", "--month", "2025-02"]);
        assert_eq!(figures(&feb, "Groceries"), ["275.00", "-70.00", "0.00", "205.00"]);
        assert_eq!((s(&feb, "mode"), s(&feb, "to_budget")), ("tracking".into(), "-300.00".into()));

        // Rebuild reproduces it.
        k.ok(&["rebuild"]);
        assert_eq!(k.json(&["budget", "show", "--month", "2025-02"]), feb);
    }
}

#[test]
fn bad_budget_input_is_one_line_naming_the_field_and_writes_nothing() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        let log_before = k.json(&["events", "--limit", "1000"]);
        let cases = [
            ("budget set Grocerys 10 --month 2025-01", "unknown category 'Grocerys' (did you mean 'Groceries'?)"),
            ("budget set Salary 10 --month 2025-01", "category: 'Salary' is in the income section"),
            ("budget set Groceries 10 --month 2025-13", "month: invalid month '2025-13' (expected YYYY-MM)"),
            ("budget set Groceries -5 --month 2025-01", "amount: must not be negative"),
            ("budget set Groceries 1.234 --month 2025-01", "amount: amount '1.234' has more decimals than EUR"),
            ("budget set Groceries 10 --month 2025-01 --through 2024-12", "through: 2024-12 is before 2025-01"),
            ("budget move --from Groceries --to Salary 5 --month 2025-01", "to: 'Salary' is in the income section"),
            ("budget hold -1 --month 2025-01", "amount: must not be negative"),
            ("budget fill --month 2025-01 --from sometimes", "from: unknown template 'sometimes'"),
            ("budget fill --month 2025-01 --from goal:100", "categories: a goal needs the categories"),
            ("budget show --month 25-01", "month: invalid month '25-01'"),
        ];
        for (line, want) in cases {
            let args: Vec<&str> = line.split(' ').collect();
            let err = k.err(&args);
            assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: not one line: {err}");
            assert!(err.contains(want), "{args:?} on {}: '{err}' lacks '{want}'", db.name);
        }
        assert_eq!(k.json(&["events", "--limit", "1000"]), log_before, "a refused budget wrote on {}", db.name);
    }
}

/// A book with accounts in two currencies budgets in its main one (the
/// first-opened account's, EUR here): dollar spending counts at the book's
/// rate on the month's last day, and without a rate the month is refused,
/// naming the pair and the day.
#[test]
fn budgets_convert_other_currencies_at_the_books_rate() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        k.ok(&["account", "add", "Dollars", "--kind", "checking", "--currency", "USD"]);
        tx(&k, "2025-01-25", "2000", "Salary");
        tx(&k, "2025-01-05", "-40", "Groceries");
        k.ok(&[
            "tx",
            "add",
            "--account",
            "Dollars",
            "--date",
            "2025-01-10",
            "--amount",
            "-110",
            "--description",
            "NYC deli",
            "--category",
            "Groceries",
        ]);
        k.ok(&["budget", "set", "Groceries", "300", "--month", "2025-01"]);
        let err = k.err(&["budget", "show", "--month", "2025-01"]);
        assert!(err.contains("USD") && err.contains("EUR") && err.contains("2025-01-31"), "{}: {err}", db.name);
        let rates = tempfile::NamedTempFile::new().unwrap();
        // 1 EUR = 1.10 USD from 1 January; 1.25 from 1 February (not January's).
        std::fs::write(rates.path(), "date,base,quote,rate\n2025-01-01,EUR,USD,1.10\n2025-02-01,EUR,USD,1.25\n")
            .unwrap();
        k.ok(&["fx", "import", rates.path().to_str().unwrap()]);
        // Groceries: -40 EUR and -110 USD / 1.10 = -100 EUR: spent -140,
        // available 300 - 140 = 160; to_budget 2000 - 300 = 1700.
        let jan = k.json(&["budget", "show", "--month", "2025-01"]);
        assert_eq!(figures(&jan, "Groceries"), ["300.00", "-140.00", "0.00", "160.00"], "{}: {jan:#}", db.name);
        assert_eq!([s(&jan, "income"), s(&jan, "to_budget")], ["2000.00", "1700.00"], "{}", db.name);
    }
}
