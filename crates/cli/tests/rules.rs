//! End-to-end: `kassa rules …` through the real binary on SQLite and (when
//! configured) PostgreSQL — signed amount conditions, the running order a
//! user gives (file order, `add` appends, `reorder`), and undo of what a
//! rule annotated (issue 15 item 6).

mod common;

use common::{Kassa, databases};
use serde_json::Value;

fn add_tx(k: &Kassa, date: &str, amount: &str, text: &str) {
    k.ok(&["tx", "add", "--account", "Checking", "--date", date, "--amount", amount, "--description", text]);
}

fn categories(k: &Kassa) -> Vec<(String, Value)> {
    let mut rows: Vec<(String, Value)> = k
        .json(&["tx", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["amount"].as_str().unwrap().to_string(), r["category"].clone()))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

#[test]
fn amount_conditions_are_signed_and_magnitude_is_explicit() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        k.ok(&["category", "add", "Big spend", "--section", "expense"]);
        k.ok(&["category", "add", "Big refund", "--section", "income"]);
        add_tx(&k, "2024-03-01", "-120.00", "shop");
        add_tx(&k, "2024-03-02", "150.00", "refund");
        add_tx(&k, "2024-03-03", "-20.00", "coffee");
        // "amount gt 100" is money in above 100: before issue 15 it also took the −120 payment.
        k.ok(&["rules", "add", "Refunds", "--if", "amount:gt:100", "--set-category", "Big refund"]);
        k.ok(&["rules", "add", "Spend", "--if", "amount:lt:-100", "--set-category", "Big spend"]);
        k.ok(&["rules", "apply"]);
        let got = categories(&k);
        assert_eq!(
            got,
            [
                ("-120.00".to_string(), Value::from("Big spend")),
                ("-20.00".to_string(), Value::Null),
                ("150.00".to_string(), Value::from("Big refund")),
            ],
            "{}",
            db.name
        );
        let bad = k.run(&["rules", "add", "Neg", "--if", "magnitude:gt:-5", "--set-category", "Big spend"]);
        let stderr = String::from_utf8_lossy(&bad.stderr);
        assert!(!bad.status.success() && stderr.contains("magnitude"), "{}: {stderr}", db.name);
        let exported = k.ok(&["rules", "export"]);
        assert!(exported.starts_with("version = 2"), "{exported}");
    }
}

#[test]
fn rules_run_in_the_users_order_and_undo_puts_back_the_counterparty() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        k.ok(&["category", "add", "Coffee", "--section", "expense"]);
        k.ok(&["category", "add", "Other", "--section", "expense"]);
        add_tx(&k, "2024-03-01", "-3.10", "CAFE CENTRAL 0042 WIEN");
        // Added in this order; their ids sort the other way round.
        k.ok(&[
            "rules",
            "add",
            "Zz cafe",
            "--if",
            "description:contains:cafe",
            "--set-category",
            "Coffee",
            "--set-counterparty",
            "Cafe Central (rule)",
        ]);
        k.ok(&["rules", "add", "Aa anything", "--outflow", "--set-category", "Other"]);
        let ids = |k: &Kassa| -> Vec<String> {
            k.json(&["rules", "list"])
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(ids(&k), ["zz-cafe", "aa-anything"], "{}", db.name);
        let dry = k.json(&["rules", "apply", "--dry-run"]);
        assert_eq!(dry[0]["to"], "Coffee", "the first rule the user gave wins ({})", db.name);

        k.ok(&["rules", "reorder", "aa-anything"]);
        assert_eq!(ids(&k), ["aa-anything", "zz-cafe"], "{}", db.name);
        let dry = k.json(&["rules", "apply", "--dry-run"]);
        assert_eq!(dry[0]["to"], "Other", "{}", db.name);
        let unknown = k.run(&["rules", "reorder", "nope"]);
        assert!(String::from_utf8_lossy(&unknown.stderr).contains("nope"), "{}", db.name);

        let before = k.json(&["tx", "list"]);
        // A typed-in row gets its merchant read from the description.
        assert_eq!(before[0]["counterparty"], "CAFE CENTRAL", "{}", db.name);
        let run = k.run(&["rules", "apply"]);
        let stderr = String::from_utf8_lossy(&run.stderr).to_string();
        let run_id = stderr.split_whitespace().nth(1).unwrap().trim_end_matches(':').to_string();
        assert_eq!(k.json(&["tx", "list"])[0]["counterparty"], "Cafe Central (rule)", "{}", db.name);
        k.ok(&["rules", "undo", &run_id]);
        assert_eq!(k.json(&["tx", "list"]), before, "undo puts back category and counterparty ({})", db.name);
    }
}

/// Issue 15: a transaction typed in with `kassa tx add` is categorised like
/// an imported one — rules first — and gets its merchant from the text.
#[test]
fn typed_in_transactions_meet_the_rules_and_get_a_merchant() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        k.ok(&["category", "add", "Coffee", "--section", "expense"]);
        k.ok(&["rules", "add", "Cafe", "--if", "description:contains:cafe", "--set-category", "Coffee"]);
        add_tx(&k, "2024-03-01", "-3.10", "VISA 4411 CAFE CENTRAL 0042 WIEN");
        add_tx(&k, "2024-03-02", "-9.99", "SOMETHING ELSE");
        let rows = k.json(&["tx", "list"]);
        let cafe = rows.as_array().unwrap().iter().find(|r| r["amount"] == "-3.10").unwrap();
        assert_eq!(
            (&cafe["category"], &cafe["category_source"], &cafe["counterparty"]),
            (&Value::from("Coffee"), &Value::from("rule"), &Value::from("CAFE CENTRAL")),
            "{}",
            db.name
        );
        let other = rows.as_array().unwrap().iter().find(|r| r["amount"] == "-9.99").unwrap();
        assert_eq!(other["category"], Value::Null, "{}", db.name);
    }
}
