//! End-to-end: `kassa import` through the real binary on both backends.

mod common;

use common::Kassa;
use kassa_store::testing;
use serde_json::Value;

fn kassa(url: &str, args: &[&str]) -> std::process::Output {
    Kassa { url: url.to_string() }.run(args)
}

fn json(url: &str, args: &[&str]) -> Value {
    Kassa { url: url.to_string() }.json(args)
}

const FILE: &str = "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,counterparty_account,transfer_group_id
a1,Checking,2024-03-01,2500.00,EUR,income,Salary,ACME payroll,,,
a2,Checking,2024-03-02,-3.40,EUR,expense,Eating Out:Coffee,Coffee,,,
a3,Checking,2024-03-02,-3.40,EUR,expense,Eating Out:Coffee,Coffee,,,
a4,Checking,2024-03-03,-500.00,EUR,transfer,,To savings,,,g1
a5,Savings,2024-03-03,500.00,EUR,transfer,,From checking,,,g1
";

#[test]
fn import_reimport_undo_and_a_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("transactions.csv");
    std::fs::write(&file, FILE).unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, FILE.replace("2024-03-02,-3.40", "2024-03-02,-3.4x")).unwrap();
    let f = file.to_str().unwrap();
    for db in testing::all() {
        let url = db.url.as_str();
        assert!(kassa(url, &["init"]).status.success());
        let dry = json(url, &["import", f, "--create-accounts", "--dry-run"]);
        assert_eq!((dry["new"].as_u64(), dry["batch"].is_null()), (Some(5), true), "{}", db.name);
        let first = json(url, &["import", f, "--create-accounts"]);
        for key in ["new", "duplicates", "needs_review", "errors", "batch"] {
            assert!(first.get(key).is_some(), "{key} missing");
        }
        assert_eq!((first["new"].as_u64(), first["transfers"].as_u64()), (Some(5), Some(1)), "{}", db.name);
        let again = json(url, &["import", f]);
        assert_eq!((again["new"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(5)), "{}", db.name);
        let balances = json(url, &["balance"]);
        assert_eq!(balances[0]["balance"], "1993.20", "{}", db.name);
        let list = json(url, &["import", "list"]);
        assert_eq!(list.as_array().unwrap().len(), 2);

        let before = kassa(url, &["events", "--limit", "1000", "-o", "json"]).stdout;
        let out = kassa(url, &["import", bad.to_str().unwrap()]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("2 bad row(s)") && err.contains("bad.csv:3: amount:"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(kassa(url, &["events", "--limit", "1000", "-o", "json"]).stdout, before, "nothing written");

        let batch = first["batch"].as_str().unwrap();
        assert!(kassa(url, &["import", "undo", batch]).status.success());
        let balances = json(url, &["balance"]);
        assert!(balances.as_array().unwrap().iter().all(|b| b["balance"] == "0.00"), "{}: {balances}", db.name);
        let profiles = json(url, &["profile", "list"]);
        assert!(profiles.as_array().unwrap().iter().any(|p| p["name"] == "Revolut"));
    }
}

/// `import good.csv bad.csv` is one all-or-nothing command: neither file
/// is stored and each file's result is named; a dry run with errors fails.
#[test]
fn several_files_are_all_or_nothing_and_a_failing_dry_run_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, FILE).unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, FILE.replace("a1,Checking", "b1,Checking").replace("2024-03-02,-3.40", "2024-03-02,-3.4x"))
        .unwrap();
    let (g, b) = (good.to_str().unwrap(), bad.to_str().unwrap());
    for db in testing::all() {
        let url = db.url.as_str();
        assert!(kassa(url, &["init"]).status.success());
        let before = kassa(url, &["events", "--limit", "1000", "-o", "json"]).stdout;
        let out = kassa(url, &["import", g, b, "--create-accounts"]);
        assert!(!out.status.success(), "{}", db.name);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("good.csv: fine (5 new row(s)), not stored"), "{err}");
        assert!(err.contains("bad.csv: 2 bad row(s)"), "{err}");
        assert!(err.contains("1 of 2 files have errors; nothing stored"), "{err}");
        assert_eq!(
            kassa(url, &["events", "--limit", "1000", "-o", "json"]).stdout,
            before,
            "{}: nothing written",
            db.name
        );

        let out = kassa(url, &["import", b, g, "--create-accounts", "--dry-run", "-o", "json"]);
        assert!(!out.status.success(), "{}: a dry run with errors fails", db.name);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad.csv: 2 bad row(s)") && err.contains("1 of 2 file(s) have errors"), "{err}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["files"].as_array().map(Vec::len), Some(2), "both files reported");

        let both = json(url, &["import", g, g, "--create-accounts"]);
        assert_eq!((both["new"].as_u64(), both["duplicates"].as_u64()), (Some(5), Some(5)), "{}", db.name);
    }
}

/// A generated history as kassa's native CSV; `with_category` false leaves
/// the category (and section) empty, as a bank export would.
fn history_csv(rows: &[kassa_core::categorize::synth::SynthTx], with_category: bool, prefix: &str) -> String {
    let mut w = csv_writer();
    for (i, t) in rows.iter().enumerate() {
        let section = if t.amount.is_sign_negative() { "expense" } else { "income" };
        w.push_str(&format!(
            "{prefix}{i},Checking,{},{},EUR,{},{},\"{}\",\"{}\",,\n",
            t.date,
            t.amount,
            if with_category { section } else { "" },
            if with_category { t.category.as_str() } else { "" },
            t.description.replace('"', "'"),
            t.counterparty.as_deref().unwrap_or("").replace('"', "'"),
        ));
    }
    w
}

fn csv_writer() -> String {
    "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,counterparty_account,transfer_group_id\n".into()
}

#[test]
fn an_import_is_categorised_by_the_model_with_sources_and_suggestions_visible() {
    let history: Vec<_> =
        kassa_core::categorize::synth::history(3, 10).into_iter().filter(|t| t.currency == "EUR").collect();
    let split = jiff::civil::date(2022, 9, 1);
    let (old, new): (Vec<_>, Vec<_>) = history.into_iter().partition(|t| t.date < split);
    let new: Vec<_> = new.into_iter().take(120).collect();
    for db in testing::all() {
        let dir = tempfile::tempdir().unwrap();
        let (old_file, new_file) = (dir.path().join("history.csv"), dir.path().join("new.csv"));
        std::fs::write(&old_file, history_csv(&old, true, "h")).unwrap();
        std::fs::write(&new_file, history_csv(&new, false, "n")).unwrap();
        let url = &db.url;
        assert!(kassa(url, &["init"]).status.success());
        let first = json(url, &["import", old_file.to_str().unwrap(), "--create-accounts"]);
        assert!(first["new"].as_u64().unwrap() > 300, "{}: {first}", db.name);
        // No training step: the import trains the model on the history it finds.
        let second = json(url, &["import", new_file.to_str().unwrap()]);
        let by_model = second["categorized_by_model"].as_u64().unwrap();
        assert!(by_model * 2 > new.len() as u64, "{}: {second}", db.name);

        let rows = json(url, &["tx", "list", "--from", "2022-09-01"]);
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), new.len());
        let model = rows.iter().filter(|r| r["category_source"] == "model").count();
        let suggested = rows.iter().filter(|r| r["suggestion"].is_object()).count();
        assert_eq!(model as u64, by_model, "{}", db.name);
        assert_eq!(suggested as u64, second["suggested"].as_u64().unwrap(), "{}", db.name);
        for r in rows {
            assert!(r.get("category_source").is_some() && r.get("suggestion").is_some(), "{r}");
            if let Some(s) = r["suggestion"].as_object() {
                assert!(s["category"].is_string() && s["confidence"].as_f64().unwrap() < 1.0, "{r}");
                assert_eq!(r["category"], Value::Null, "a suggestion is only kept for uncategorised rows");
            }
        }
        // The history kept its source; the model never overwrote it.
        let old_rows = json(url, &["tx", "list", "--to", "2022-08-31", "--limit", "50"]);
        assert!(old_rows.as_array().unwrap().iter().all(|r| r["category_source"] == "import"), "{}", db.name);
    }
}
