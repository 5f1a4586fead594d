//! `kassa recurring` end to end through the real binary, on SQLite and
//! (when configured) PostgreSQL: a monthly subscription is found, a monthly
//! transfer is not; confirm, rename and dismiss are kept across a rebuild.

mod common;

use common::databases;

#[test]
fn recurring_list_confirm_rename_dismiss() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        k.ok(&["account", "add", "Savings", "--kind", "savings", "--currency", "EUR"]);
        for month in 1..=6 {
            let date = format!("2024-{month:02}-05");
            k.ok(&[
                "tx",
                "add",
                "--account",
                "Checking",
                "--date",
                &date,
                "--amount",
                "-12.99",
                "--description",
                "VISA 4411 NETFLIX.COM AMSTERDAM",
            ]);
            k.ok(&["transfer", "--from", "Checking", "--to", "Savings", "--date", &date, "--amount", "200"]);
        }
        let rows = k.json(&["recurring", "list", "--as-of", "2024-06-20"]);
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 1, "{}: {rows:?}", db.name);
        let r = &rows[0];
        for (field, want) in [
            ("counterparty", "NETFLIX"),
            ("account", "Checking"),
            ("interval", "monthly"),
            ("amount", "-12.99"),
            ("amount_min", "-12.99"),
            ("amount_max", "-12.99"),
            ("last_date", "2024-06-05"),
            ("next_date", "2024-07-05"),
            ("status", "active"),
        ] {
            assert_eq!(r[field].as_str(), Some(want), "{}: {field} in {r}", db.name);
        }
        assert_eq!((r["occurrences"].as_u64(), r["confirmed"].as_bool()), (Some(6), Some(false)));
        let id = r["id"].as_str().unwrap().to_string();
        // As of September two payments are missing: missed, same id.
        let later = k.json(&["recurring", "list", "--as-of", "2024-09-01"]);
        assert_eq!((later[0]["id"].as_str(), later[0]["status"].as_str()), (Some(id.as_str()), Some("missed")));

        k.ok(&["recurring", "confirm", &id]);
        k.ok(&["recurring", "rename", &id, "Netflix family"]);
        let csv = k.ok(&["recurring", "list", "--as-of", "2024-06-20", "-o", "csv"]);
        let mut lines = csv.lines();
        let header = lines.next().unwrap();
        for col in [
            "id",
            "counterparty",
            "account",
            "interval",
            "amount",
            "amount_min",
            "amount_max",
            "last_date",
            "next_date",
            "occurrences",
            "status",
        ] {
            assert!(header.split(',').any(|c| c == col), "{}: {col} in {header}", db.name);
        }
        let row = lines.next().unwrap();
        assert!(row.contains("Netflix family") && row.contains("true"), "{}: {row}", db.name);
        let table = k.ok(&["recurring", "list", "--as-of", "2024-06-20"]);
        assert!(table.contains("Netflix family"), "{}: {table}", db.name);

        k.ok(&["recurring", "dismiss", &id]);
        let none = k.json(&["recurring", "list", "--as-of", "2024-06-20"]);
        assert_eq!(none.as_array().map(Vec::len), Some(0), "{}", db.name);
        k.ok(&["rebuild"]);
        let none = k.json(&["recurring", "list", "--as-of", "2024-06-20"]);
        assert_eq!(none.as_array().map(Vec::len), Some(0), "{}: dismissal survives rebuild", db.name);

        let err = k.err(&["recurring", "confirm", "0123456789abcdef"]);
        assert!(err.contains("no recurring series"), "{}: {err}", db.name);
    }
}
