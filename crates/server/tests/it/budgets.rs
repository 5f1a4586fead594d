//! Budgets over HTTP on both backends: PUT a month's budget, edits (move,
//! hold, carryover), GET the month with the figures computed by hand, bad
//! input named by field, and the roles.

use kassa_app::books::{AddMember, CreateBook, CreateTransaction};
use kassa_core::BookId;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{Server, checking, databases, test_config, user};

fn call(s: &Server, method: Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = s.http.request(method, format!("{}{path}", s.base)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = s.run(req.send()).expect("send");
    let status = r.status().as_u16();
    (status, s.run(r.json()).unwrap_or(Value::Null))
}

fn line<'a>(v: &'a Value, category: &str) -> &'a Value {
    v["categories"].as_array().expect("categories").iter().find(|l| l["category"] == category).expect(category)
}

#[test]
fn budgets_over_http() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let (owner, token) = user(&s.app, "owner@example.org", false);
        let (_, viewer_token) = user(&s.app, "viewer@example.org", false);
        let book = s.app.create_book(&owner, &CreateBook { name: "Home".into(), org_id: None }).expect("book").id;
        let book_id = BookId(book);
        let add = AddMember {
            email: Some("viewer@example.org".into()),
            org_id: None,
            role: "viewer".into(),
            account_id: None,
        };
        s.app.add_member(&owner, book_id, &add).expect("viewer");
        let account = s.app.create_account(&owner, book_id, &checking("Checking")).expect("account").id;
        for (date, amount, category) in
            [("2025-01-25", "1000", "Salary"), ("2025-01-10", "-120", "Groceries"), ("2025-02-03", "-40", "Groceries")]
        {
            let t = CreateTransaction {
                account_id: account,
                date: date.into(),
                amount: amount.into(),
                description: "x".into(),
                category: Some(category.into()),
                counterparty: None,
                bucket: None,
            };
            s.app.create_transaction(&owner, book_id, &t).expect("tx");
        }
        let month = |m: &str| format!("/api/v1/books/{book}/budgets/{m}");

        let (st, jan) =
            call(&s, Method::PUT, &month("2025-01"), &token, Some(json!({"category": "Groceries", "amount": "100"})));
        assert_eq!(st, 200, "{}: {jan}", s.name);
        let (st, _) = call(
            &s,
            Method::PUT,
            &month("2025-01"),
            &token,
            Some(json!({"category": "Eating Out", "amount": "50", "up_to": "20"})),
        );
        assert_eq!(st, 200);
        let edits = month("2025-01") + "/edits";
        for edit in [
            json!({"action": "move", "from": "Eating Out", "to": "Groceries", "amount": "10"}),
            json!({"action": "hold", "amount": "200"}),
        ] {
            let (st, body) = call(&s, Method::POST, &edits, &token, Some(edit));
            assert_eq!(st, 200, "{body}");
        }
        let (st, body) = call(
            &s,
            Method::POST,
            &(month("2025-02") + "/edits"),
            &token,
            Some(json!({"action": "carryover", "category": "Groceries", "on": true})),
        );
        assert_eq!(st, 200, "{body}");

        // Jan: Groceries 100 + 10 = 110, spent 120: -10. Eating Out 50 - 10 = 40,
        // nothing spent: 40 (carries at most 20). to_budget = 1000 - 150 - 200 = 650.
        let (st, jan) = call(&s, Method::GET, &month("2025-01"), &viewer_token, None);
        assert_eq!(st, 200);
        assert_eq!(
            [
                &line(&jan, "Groceries")["budgeted"],
                &line(&jan, "Groceries")["available"],
                &line(&jan, "Eating Out")["available"]
            ],
            ["110.00", "-10.00", "40.00"]
        );
        assert_eq!([&jan["to_budget"], &jan["held"], &jan["income"]], ["650.00", "200.00", "1000.00"]);
        // Feb: Groceries does not carry -10 (carryover is on from Feb only):
        // overspent_last = -10; 0 - 40 = -40. Eating Out carries 20, the
        // other 20 goes to budget: to_budget = 650 + 200 - 10 + 20 = 860.
        let (_, feb) = call(&s, Method::GET, &month("2025-02"), &viewer_token, None);
        assert_eq!(
            [&line(&feb, "Groceries")["available"], &line(&feb, "Eating Out")["carried_in"]],
            ["-40.00", "20.00"]
        );
        assert_eq!([&feb["overspent_last_month"], &feb["to_budget"], &feb["spent"]], ["-10.00", "860.00", "-40.00"]);
        assert_eq!(line(&feb, "Groceries")["carryover"], true);

        // Bad input: a 422 naming the field; nothing written.
        for (body, field, code) in [
            (json!({"category": "Groceries", "amount": "-1"}), Some("amount"), "invalid_field"),
            (json!({"category": "Salary", "amount": "1"}), Some("category"), "invalid_field"),
            (json!({"category": "Grocries", "amount": "1"}), None, "unknown_category"),
            (json!({"category": "Groceries", "amount": "1", "through": "2025-13"}), Some("through"), "invalid_field"),
        ] {
            let (st, err) = call(&s, Method::PUT, &month("2025-03"), &token, Some(body));
            assert_eq!(st, 422, "{err}");
            assert_eq!(err["code"], code, "{err}");
            if let Some(f) = field {
                assert_eq!(err["details"]["field"], f, "{err}");
            }
        }
        let (st, err) = call(&s, Method::GET, &month("2025-13"), &token, None);
        assert_eq!((st, &err["details"]["field"]), (422, &json!("month")), "{err}");
        let (_, mar) = call(&s, Method::GET, &month("2025-03"), &token, None);
        assert_eq!(mar["budgeted"], "0.00", "a refused budget was stored");

        // A viewer reads but does not write.
        let (st, _) = call(
            &s,
            Method::PUT,
            &month("2025-03"),
            &viewer_token,
            Some(json!({"category": "Groceries", "amount": "1"})),
        );
        assert_eq!(st, 403);
    }
}
