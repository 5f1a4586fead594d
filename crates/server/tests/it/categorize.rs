//! Categorisation over real HTTP on both backends (issue 15): a transaction
//! created through the API meets the book's rules and gets a merchant like
//! an imported one, and `GET /books/{book}/suggestions` carries each
//! proposal's evidence.

use kassa_app::books::{CreateBook, CreateTransaction};
use kassa_core::categorize::{Action, Condition, Field, Op, Rule};
use kassa_core::{BookId, Command, Section};
use kassa_store::testing::commands::{category, tx};
use serde_json::{Value, json};

use crate::{Server, checking, databases, test_config, user};

#[test]
fn api_transactions_are_categorised_and_suggestions_show_their_evidence() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let (owner, token) = user(&s.app, "owner@example.org", false);
        let book = BookId(s.app.create_book(&owner, &CreateBook { name: "Home".into(), org_id: None }).unwrap().id);
        let account = s.app.create_account(&owner, book, &checking("Checking")).unwrap().id;
        let cafe = Rule::new(
            "Cafe",
            Condition::leaf(Field::Description, Op::Contains("cafe".into())),
            vec![Action::SetCategory("Coffee".into())],
        );
        s.app.store.execute(book, "t", &[category("Coffee", Section::Expense), Command::SaveRule(cafe)]).unwrap();

        let base = format!("{}/api/v1/books/{book}", s.base);
        let body = json!({"account_id": account, "date": "2024-03-01", "amount": "-3.10",
            "description": "VISA 4411 CAFE CENTRAL 0042 WIEN"});
        let (status, created) = s.run(post(&s, &format!("{base}/transactions"), &token, body));
        assert_eq!(status, 201, "{}: {created}", s.name);
        assert_eq!(
            (created["category"].as_str(), created["counterparty"].as_str()),
            (Some("Coffee"), Some("CAFE CENTRAL")),
            "{}: a rule categorised it and the merchant was read from the text: {created}",
            s.name
        );

        // A categorised history the model trains on, then rows it has to judge.
        for i in 0..40 {
            let (description, cat, amount) = if i % 2 == 0 {
                (format!("REWE SAGT DANKE {i}"), "Groceries", "-42.10")
            } else {
                (format!("BACKWERK {i:04} BERLIN"), "Coffee", "-2.80")
            };
            let t = CreateTransaction {
                account_id: account,
                date: format!("2024-02-{:02}", 1 + i / 2),
                amount: amount.into(),
                description,
                category: Some(cat.into()),
                counterparty: None,
                bucket: None,
            };
            s.app.create_transaction(&owner, book, &t).unwrap();
        }
        let mut rewe = tx("Checking", "2024-03-02", "-39.90", None);
        if let Command::RecordTransaction(t) = &mut rewe {
            t.description = "REWE SAGT DANKE 77".into();
        }
        s.app.store.execute(book, "t", &[rewe]).unwrap();

        let (status, list) = s.run(get(&s, &format!("{base}/suggestions"), &token));
        assert_eq!(status, 200, "{}: {list}", s.name);
        let rows = list.as_array().unwrap();
        let row = rows.iter().find(|r| r["description"] == "REWE SAGT DANKE 77").expect("the new row is judged");
        assert_eq!(row["to"], "Groceries", "{}: {row}", s.name);
        let kinds: Vec<&str> = row["evidence"].as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
        assert_eq!(kinds.first(), Some(&"confidence"), "{}: {row}", s.name);
        assert!(kinds.contains(&"similar") && kinds.contains(&"token"), "{}: {row}", s.name);
        let similar = row["evidence"].as_array().unwrap().iter().find(|e| e["kind"] == "similar").unwrap();
        assert_eq!((similar["merchant"].as_str(), similar["count"].as_u64()), (Some("REWE"), Some(20)), "{}", s.name);
        assert!(matches!(row["by"].as_str(), Some("model" | "suggestion")), "{}: {row}", s.name);
    }
}

async fn get(s: &Server, url: &str, token: &str) -> (u16, Value) {
    let resp = s.http.get(url).bearer_auth(token).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

async fn post(s: &Server, url: &str, token: &str, body: Value) -> (u16, Value) {
    let resp = s.http.post(url).bearer_auth(token).json(&body).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}
