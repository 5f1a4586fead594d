//! End-to-end tests of `kassa report`, `kassa fx` and `kassa export` on a
//! small book whose figures were computed by hand, on SQLite and (when
//! configured) PostgreSQL. Tables and JSON are snapshots; the PostgreSQL run
//! must print exactly what the SQLite run printed.

use std::path::Path;
use std::process::Command;

mod common;

use common::{Kassa, databases, tool};
use serde_json::{Value, json};

/// What these tests ask of the binary beyond the shared helper.
trait ReportKassa {
    fn tx(
        &self,
        account: &str,
        date: &str,
        amount: &str,
        description: &str,
        category: Option<&str>,
        cp: Option<&str>,
    ) -> String;
    fn last_recorded_at(&self) -> String;
}

impl ReportKassa for Kassa {
    fn tx(
        &self,
        account: &str,
        date: &str,
        amount: &str,
        description: &str,
        category: Option<&str>,
        cp: Option<&str>,
    ) -> String {
        let mut args =
            vec!["tx", "add", "--account", account, "--date", date, "--amount", amount, "--description", description];
        if let Some(c) = category {
            args.extend(["--category", c]);
        }
        if let Some(c) = cp {
            args.extend(["--counterparty", c]);
        }
        self.ok(&args).trim().to_string()
    }

    /// The last event's recorded_at: "now" as the log knows it.
    fn last_recorded_at(&self) -> String {
        let events = self.json(&["events", "--limit", "1"]);
        events[0]["recorded_at"].as_str().unwrap().to_string()
    }
}

/// Four accounts, two months, every kind of row a report meets: income,
/// expenses with `Parent:Child` categories, a transfer, a payment in a
/// transfer-section category, another currency and an uncategorised spend.
fn hand_computed_book(k: &Kassa) {
    k.ok(&["init"]);
    for (name, kind, cur, extra) in [
        ("Checking", "checking", "EUR", vec!["--institution", "Bank A", "--location", "online"]),
        ("Wallet", "cash", "EUR", vec!["--location", "wallet"]),
        ("Card", "credit_card", "EUR", vec!["--institution", "Bank A"]),
        ("Dollars", "savings", "USD", vec!["--institution", "Bank B"]),
    ] {
        let mut args = vec!["account", "add", name, "--kind", kind, "--currency", cur, "--opened", "2024-01-01"];
        args.extend(extra);
        k.ok(&args);
    }
    k.tx("Checking", "2024-01-05", "3000.00", "Salary January", Some("Salary"), Some("ACME"));
    k.tx("Checking", "2024-01-10", "-1200.00", "Rent", Some("Housing:Rent"), Some("Landlord"));
    k.tx("Card", "2024-01-12", "-45.50", "Fuel", Some("Transport:Fuel"), Some("Shell"));
    k.tx("Wallet", "2024-01-20", "-3.40", "Coffee", Some("Eating Out:Coffee"), Some("Cafe"));
    k.ok(&["transfer", "--from", "Checking", "--to", "Wallet", "--date", "2024-01-25", "--amount", "100"]);
    k.tx("Checking", "2024-02-05", "3000.00", "Salary February", Some("Salary"), Some("ACME"));
    k.tx("Checking", "2024-02-10", "-1200.00", "Rent", Some("Housing:Rent"), Some("Landlord"));
    k.tx("Card", "2024-02-14", "-30.00", "Taxi", Some("Transport:Taxi"), Some("Taxi Co"));
    k.tx("Checking", "2024-02-15", "-45.50", "Card bill", Some("Card Payment"), None);
    k.tx("Dollars", "2024-02-20", "50.00", "Interest", Some("Interest"), Some("Bank B"));
    k.tx("Wallet", "2024-02-21", "-12.00", "Market; stall \"7\"", None, None);
}

fn row(month: &str, section: &str, category: &str, currency: &str, amount: &str) -> Value {
    json!({"month": month, "section": section, "category": category, "currency": currency, "amount": amount})
}

/// Every report, as (snapshot name, arguments).
const REPORTS: &[(&str, &[&str])] = &[
    ("balances", &["report", "balances"]),
    ("balances_by_kind", &["report", "balances", "--by", "kind"]),
    ("balances_by_location_as_of", &["report", "balances", "--by", "location", "--as-of", "2024-01-31"]),
    ("balances_by_institution", &["report", "balances", "--by", "institution"]),
    ("networth_month", &["report", "networth", "--interval", "month"]),
    ("networth_week", &["report", "networth", "--interval", "week", "--from", "2024-02-01", "--to", "2024-02-20"]),
    ("monthly", &["report", "monthly"]),
    ("monthly_depth_1_as_of", &["report", "monthly", "--depth", "1", "--as-of", "2024-02-12"]),
    ("yearly", &["report", "yearly", "--year", "2024", "--depth", "1"]),
    ("history", &["report", "history"]),
    ("cashflow", &["report", "cashflow"]),
    ("cashflow_year", &["report", "cashflow", "--interval", "year"]),
    ("sankey", &["report", "cashflow", "--sankey", "--depth", "1"]),
    ("top_category", &["report", "top", "--depth", "1"]),
    ("top_counterparty", &["report", "top", "--by", "counterparty", "--period", "2024-01"]),
    ("trends", &["report", "trends", "--depth", "1"]),
];

#[test]
fn golden_reports_on_a_hand_computed_book() {
    let mut first: Option<Vec<String>> = None;
    for (db, k) in databases() {
        hand_computed_book(&k);

        // The row shape, checked against figures computed by hand.
        let jan: Vec<Value> = k.json(&["report", "monthly", "--to", "2024-01"]).as_array().unwrap().clone();
        assert_eq!(
            jan,
            vec![
                row("2024-01", "income", "Salary", "EUR", "3000.00"),
                row("2024-01", "income", "Total", "EUR", "3000.00"),
                row("2024-01", "expense", "Eating Out:Coffee", "EUR", "-3.40"),
                row("2024-01", "expense", "Housing:Rent", "EUR", "-1200.00"),
                row("2024-01", "expense", "Transport:Fuel", "EUR", "-45.50"),
                row("2024-01", "expense", "Total", "EUR", "-1248.90"),
                row("2024-01", "net", "Net", "EUR", "1751.10"),
            ],
            "{}",
            db.name
        );
        // Rolled up: Transport = Fuel + Taxi over the year.
        let year = k.json(&["report", "history", "--depth", "1"]);
        let transport = year.as_array().unwrap().iter().find(|r| r["category"] == "Transport").unwrap();
        assert_eq!(transport["amount"], "-75.50");

        let mut outputs = vec![];
        for (name, args) in REPORTS {
            let table = k.ok(args);
            let mut j = args.to_vec();
            j.extend(["-o", "json"]);
            let json = k.ok(&j);
            let mut c = args.to_vec();
            c.extend(["-o", "csv"]);
            let csv = k.ok(&c);
            assert!(csv.lines().count() >= 2, "{name}: csv has a header and rows");
            outputs.push(format!("{name}\n{table}\n{json}"));
            if db.name == "sqlite" {
                insta::assert_snapshot!(format!("{name}_table"), table);
                insta::assert_snapshot!(format!("{name}_json"), json);
            }
        }
        match &first {
            None => first = Some(outputs),
            Some(want) => assert_eq!(&outputs, want, "{} prints what sqlite printed", db.name),
        }
    }
}

#[test]
fn known_at_shows_the_report_before_a_correction() {
    for (db, k) in databases() {
        hand_computed_book(&k);
        // A transaction recorded in the wrong category, then corrected twice:
        // recategorised, and the taxi deleted and entered again with the right amount.
        let id = k.tx("Card", "2024-02-16", "-20.00", "BOOKSHOP", Some("Groceries"), Some("Bookshop"));
        let taxi = k.json(&["tx", "list", "--search", "Taxi"])[0]["id"].as_str().unwrap().to_string();
        let before = k.last_recorded_at();
        std::thread::sleep(std::time::Duration::from_millis(5));
        k.ok(&["tx", "recategorize", &id, "--category", "Education"]);
        k.ok(&["tx", "delete", &taxi]);
        k.tx("Card", "2024-02-14", "-32.00", "Taxi", Some("Transport:Taxi"), Some("Taxi Co"));

        let feb = |extra: &[&str]| -> Vec<(String, String)> {
            let mut args = vec!["report", "monthly", "--from", "2024-02", "--to", "2024-02"];
            args.extend(extra);
            k.json(&args)
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["section"] == "expense")
                .map(|r| (r["category"].as_str().unwrap().to_string(), r["amount"].as_str().unwrap().to_string()))
                .collect()
        };
        let pairs = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        assert_eq!(
            feb(&["--known-at", &before]),
            pairs(&[
                ("Groceries", "-20.00"),
                ("Housing:Rent", "-1200.00"),
                ("Transport:Taxi", "-30.00"),
                ("Total", "-1250.00")
            ]),
            "{}: as recorded before the correction",
            db.name
        );
        assert_eq!(
            feb(&[]),
            pairs(&[
                ("Education", "-20.00"),
                ("Housing:Rent", "-1200.00"),
                ("Transport:Taxi", "-32.00"),
                ("Total", "-1252.00")
            ]),
            "{}: as corrected",
            db.name
        );
        // Replaying the whole log gives what the projections give.
        let far_future = "2999-01-01T00:00:00Z";
        assert_eq!(feb(&["--known-at", far_future]), feb(&[]), "{}", db.name);
        // --known-at and --as-of together: the ledger as known then, on a business date.
        let bal = k.json(&["report", "balances", "--known-at", &before, "--as-of", "2024-02-14"]);
        let card = bal.as_array().unwrap().iter().find(|r| r["group"] == "Card").unwrap();
        assert_eq!(card["balance"], "-75.50", "{}", db.name);
        assert!(
            k.err(&["report", "monthly", "--known-at", "yesterday"]).contains("invalid date or timestamp 'yesterday'")
        );
    }
}

#[test]
fn reports_convert_with_imported_rates_and_name_a_missing_one() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for (db, k) in databases() {
        hand_computed_book(&k);
        let err = k.err(&["report", "balances", "--currency", "EUR"]);
        assert!(err.contains("no exchange rates"), "{err}");
        k.ok(&["fx", "import", data.join("eurofxref-hist.csv").to_str().unwrap()]);
        // 50 USD at 1.0790 USD per EUR (2024-02-20, the nearest earlier rate) = 46.34 EUR.
        let bal = k.json(&["report", "balances", "--currency", "EUR", "--as-of", "2024-02-25"]);
        let total = bal.as_array().unwrap().iter().find(|r| r["group"] == "Total").unwrap();
        assert_eq!(
            (total["currency"].as_str(), total["balance"].as_str()),
            (Some("EUR"), Some("3509.94")),
            "{}",
            db.name
        );
        let monthly = k.json(&["report", "monthly", "--currency", "GBP", "--to", "2024-01"]);
        let net = monthly.as_array().unwrap().iter().find(|r| r["category"] == "Net").unwrap();
        // 1751.10 EUR × 0.8530 (2024-01-31) = 1493.6883 → 1493.69 GBP.
        assert_eq!(net["amount"], "1493.69", "{}", db.name);
        let err = k.err(&["report", "balances", "--currency", "EUR", "--as-of", "2024-01-01"]);
        assert!(err.contains("no USD/EUR exchange rate on or before 2024-01-01"), "{err}");

        let bad = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(bad.path(), "date,base,quote,rate\n2024-01-02,EUR,USD,1.09\n2024-01-03,EUR,USD,abc\n").unwrap();
        let err = k.err(&["fx", "import", bad.path().to_str().unwrap()]);
        assert!(err.contains("line 3, field 'rate': 'abc' is not a number"), "{err}");
        assert!(err.contains(&bad.path().display().to_string()), "{err}");
        assert_eq!(err.lines().count(), 1);
    }
}

#[test]
fn hledger_balances_equal_kassa_balances_to_the_cent() {
    if !tool("hledger") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("export.journal");
    for (db, k) in databases() {
        hand_computed_book(&k);
        k.ok(&["export", "--format", "ledger", journal.to_str().unwrap()]);
        let out = Command::new("hledger")
            .args(["-f", journal.to_str().unwrap(), "bal", "-E", "-O", "csv", "assets", "liabilities"])
            .output()
            .unwrap();
        assert!(out.status.success(), "hledger: {}", String::from_utf8_lossy(&out.stderr));
        let mut theirs: Vec<(String, String)> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split("\",\"").map(|f| f.trim_matches('"').to_string()).collect::<Vec<_>>())
            .filter(|f| f[0] != "total")
            .map(|f| (f[0].rsplit(':').next().unwrap().to_string(), f[1].clone()))
            .collect();
        theirs.sort();
        let ours: Vec<(String, String)> = k
            .json(&["balance"])
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["account"].as_str().unwrap().to_string(),
                    format!("{} {}", r["balance"].as_str().unwrap(), r["currency"].as_str().unwrap()),
                )
            })
            .collect();
        assert_eq!(theirs, ours, "{}", db.name);
        assert_eq!(ours.len(), 4);
    }
}

#[test]
fn bean_check_accepts_the_beancount_export() {
    if !tool("bean-check") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.beancount");
    for (db, k) in databases() {
        hand_computed_book(&k);
        k.ok(&["export", "--format", "beancount", file.to_str().unwrap()]);
        let out = Command::new("bean-check").arg(&file).output().unwrap();
        assert!(
            out.status.success(),
            "{}: bean-check: {}{}",
            db.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn exports_hold_one_row_per_posting_with_typed_parquet_columns() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::RowAccessor;
    let dir = tempfile::tempdir().unwrap();
    for (db, k) in databases() {
        hand_computed_book(&k);
        let json_path = dir.path().join("book.json");
        k.ok(&["export", "--format", "json", json_path.to_str().unwrap(), "--from", "2024-02-01"]);
        let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        // Six February transactions, two postings each.
        assert_eq!(rows.len(), 12, "{}", db.name);
        assert_eq!(rows[0]["date"], "2024-02-05");
        let csv_path = dir.path().join("book.csv");
        k.ok(&["export", "--format", "csv", csv_path.to_str().unwrap(), "--to", "2024-01-31"]);
        assert_eq!(std::fs::read_to_string(&csv_path).unwrap().lines().count(), 1 + 10);

        let pq = dir.path().join("book.parquet");
        k.ok(&["export", "--format", "parquet", pq.to_str().unwrap()]);
        let reader = SerializedFileReader::new(std::fs::File::open(&pq).unwrap()).unwrap();
        let meta = reader.metadata();
        assert_eq!(meta.file_metadata().num_rows(), 22, "{}", db.name);
        let schema = meta.file_metadata().schema_descr();
        let columns: Vec<String> =
            schema.columns().iter().map(|c| format!("{}:{}", c.name(), c.physical_type())).collect();
        assert_eq!(
            columns.join(" "),
            "tx_id:BYTE_ARRAY date:INT32 description:BYTE_ARRAY counterparty:BYTE_ARRAY status:BYTE_ARRAY leg:BYTE_ARRAY \
             name:BYTE_ARRAY section:BYTE_ARRAY currency:BYTE_ARRAY amount:INT64 amount_minor:INT64 tags:BYTE_ARRAY \
             external_id:BYTE_ARRAY"
        );
        let mut sum = 0i64;
        for r in reader.get_row_iter(None).unwrap() {
            let r = r.unwrap();
            if r.get_string(5).unwrap() == "account" && r.get_string(8).unwrap() == "EUR" {
                sum += r.get_long(10).unwrap();
            }
        }
        // EUR account postings sum to the EUR total of `report balances`: 3463.60.
        assert_eq!(sum, 346_360, "{}", db.name);
        // A failed export leaves no file behind.
        let missing = dir.path().join("no/such/dir/x.json");
        k.err(&["export", "--format", "json", missing.to_str().unwrap()]);
        assert!(!missing.exists());
    }
}
