//! `/books/{book}/buckets`, `/loans` and `/goals` over real HTTP on both
//! backends: a transaction created with a bucket, moves, loans repaid in
//! part, a bucket goal seen on the app clock's today; viewers read, editors
//! write, and a refused write names its field and stores nothing.

use kassa_app::books::{AddMember, CreateBook};
use kassa_core::BookId;
use serde_json::{Value, json};

use crate::security::TestClock;
use crate::{Server, checking, databases, get, post, test_config, user};

/// Each row's `fields`, as text.
fn rows(v: &Value, fields: &[&str]) -> Vec<Vec<String>> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|r| fields.iter().map(|f| r[*f].as_str().unwrap_or_default().to_string()).collect())
        .collect()
}

fn table(want: &[&[&str]]) -> Vec<Vec<String>> {
    want.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

const BUCKET: &[&str] = &["bucket", "percent", "allocated", "spent", "moved_in", "moved_out", "balance"];

#[test]
fn buckets_loans_and_goals_over_http() {
    for db in databases() {
        // Today is 1 March 2025 for the goals.
        let s = Server::start_with_clock(db, test_config(), TestClock::new());
        let (owner, owner_token) = user(&s.app, "owner@example.org", false);
        let (_, viewer_token) = user(&s.app, "viewer@example.org", false);
        let book = BookId(s.app.create_book(&owner, &CreateBook { name: "Home".into(), org_id: None }).unwrap().id);
        let grant = AddMember {
            email: Some("viewer@example.org".into()),
            org_id: None,
            role: "viewer".into(),
            account_id: None,
        };
        s.app.add_member(&owner, book, &grant).unwrap();
        let checking_id = s.app.create_account(&owner, book, &checking("Checking")).unwrap().id;
        let api = format!("{}/api/v1/books/{book}", s.base);
        let post_as =
            |token: &str, path: &str, body: Value| s.run(post(&s, &format!("{api}/{path}"), token, Some(body)));
        let get_as = |token: &str, path: &str| s.run(get(&s, &format!("{api}/{path}"), token));

        let (status, _) = post_as(&viewer_token, "buckets", json!({ "name": "Savings", "percent": "50" }));
        assert_eq!(status, 403, "{}: viewers only read", s.name);
        let (status, list) = post_as(&owner_token, "buckets", json!({ "name": "Savings", "percent": "50" }));
        assert_eq!(status, 201, "{}: {list}", s.name);
        let (status, err) = post_as(&owner_token, "buckets", json!({ "name": "Rent", "percent": "60" }));
        assert_eq!(
            (status, err["code"].as_str(), err["details"]["field"].as_str()),
            (422, Some("invalid_field"), Some("percent"))
        );
        assert!(err["message"].as_str().unwrap().contains("Rent 60 %, Savings 50 %"), "{err}");

        // 1000.05 of salary: Savings 500.025 → 500.02, Unallocated 500.03.
        let tx = |amount: &str, category: &str, bucket: Option<&str>| {
            json!({ "account_id": checking_id, "date": "2025-01-31", "amount": amount, "description": "x",
                    "category": category, "bucket": bucket })
        };
        assert_eq!(post_as(&owner_token, "transactions", tx("1000.05", "Salary", None)).0, 201);
        let (status, t) = post_as(&owner_token, "transactions", tx("-45.50", "Groceries", Some("savings")));
        assert_eq!(status, 201, "{}: {t}", s.name);
        let (status, err) = post_as(&owner_token, "transactions", tx("-9.99", "Groceries", Some("Fun")));
        assert_eq!((status, err["details"]["field"].as_str()), (422, Some("bucket")), "{err}");
        let (_, register) = get_as(&viewer_token, "transactions");
        assert_eq!(register["items"].as_array().map(Vec::len), Some(2), "the refused one is not stored: {register}");

        let mv = json!({ "from": "Unallocated", "to": "Savings", "amount": "25", "date": "2025-02-01" });
        assert_eq!(post_as(&owner_token, "buckets/moves", mv).0, 201);
        let bad = json!({ "from": "Unallocated", "to": "Nope", "amount": "25", "date": "2025-02-01" });
        assert_eq!(post_as(&owner_token, "buckets/moves", bad).1["details"]["field"], "to");
        let (status, list) = get_as(&viewer_token, "buckets");
        assert_eq!(status, 200, "{}: {list}", s.name);
        assert_eq!(
            rows(&list, BUCKET),
            table(&[
                &["Savings", "50", "500.02", "45.50", "25.00", "0.00", "479.52"],
                &["Unallocated", "50", "500.03", "0.00", "0.00", "25.00", "475.03"],
            ]),
            "{}",
            s.name
        );
        let (_, january) = get_as(&viewer_token, "buckets?as_of=2025-01");
        assert_eq!(
            rows(&january, &["bucket", "balance"]),
            table(&[&["Savings", "454.52"], &["Unallocated", "500.03"]])
        );
        assert_eq!(get_as(&viewer_token, "buckets?as_of=soon").0, 422);

        // A loan of 100 to Anna, 40 of it repaid.
        let loan = |kind: &str, amount: &str| json!({ "kind": kind, "counterparty": "Anna", "account": "Checking", "amount": amount, "date": "2025-02-10" });
        assert_eq!(post_as(&viewer_token, "loans", loan("give", "100")).0, 403);
        assert_eq!(post_as(&owner_token, "loans", loan("give", "100")).0, 201);
        let (status, loans) = post_as(&owner_token, "loans", loan("repay", "40"));
        assert_eq!(status, 201, "{}: {loans}", s.name);
        let (status, err) = post_as(&owner_token, "loans", loan("repay", "60.01"));
        assert_eq!((status, err["details"]["field"].as_str()), (422, Some("amount")), "{err}");
        let (_, loans) = get_as(&viewer_token, "loans");
        let columns = ["counterparty", "account", "open", "direction"];
        assert_eq!(rows(&loans, &columns), table(&[&["Anna", "Checking", "60.00", "receivable"]]), "{}", s.name);

        // A goal on the Savings bucket, on the clock's 1 March 2025: 479.52 of
        // 1,000 (0.4795), 520.48 over March to December = 52.05 a month; the
        // window (Sep 2024 – Feb 2025) grew 479.52, 79.92 a month, so
        // 520.48 / 79.92 = 6.5 → 7 months: 1 October 2025.
        let goal = json!({ "name": "Car", "target": "1000", "by": "2025-12-31", "bucket": "Savings" });
        assert_eq!(post_as(&viewer_token, "goals", goal.clone()).0, 403);
        assert_eq!(post_as(&owner_token, "goals", goal).0, 201);
        let both =
            json!({ "name": "X", "target": "1", "by": "2025-12-31", "bucket": "Savings", "accounts": ["Checking"] });
        assert_eq!(post_as(&owner_token, "goals", both).1["details"]["field"], "bucket");
        let (status, goals) = get_as(&viewer_token, "goals");
        assert_eq!(status, 200, "{}: {goals}", s.name);
        let columns = ["goal", "target", "saved", "progress", "required_monthly", "projected_date", "linked"];
        assert_eq!(
            rows(&goals, &columns),
            table(&[&["Car", "1000.00", "479.52", "0.4795", "52.05", "2025-10-01", "bucket Savings"]]),
            "{}",
            s.name
        );
    }
}
