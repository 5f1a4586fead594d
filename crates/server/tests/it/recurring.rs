//! `GET /books/{book}/recurring` and its confirm, rename and dismiss over
//! real HTTP on both backends: what is found, who may change it, and that
//! a dismissed series stays away.

use kassa_app::books::{AddMember, CreateBook, CreateTransaction, CreateTransfer};
use kassa_core::BookId;
use serde_json::json;

use crate::{Server, checking, databases, get, post, test_config, user};

#[test]
fn recurring_is_listed_for_viewers_and_changed_by_editors() {
    for db in databases() {
        let s = Server::start(db, test_config());
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
        let savings = s.app.create_account(&owner, book, &checking("Savings")).unwrap().id;
        for month in 1..=6 {
            let date = format!("2024-{month:02}-03");
            let gym = CreateTransaction {
                account_id: checking_id,
                date: date.clone(),
                amount: "-29.90".into(),
                description: "SEPA LASTSCHRIFT MITGLIEDSBEITRAG".into(),
                category: None,
                counterparty: Some("McFit".into()),
                bucket: None,
            };
            s.app.create_transaction(&owner, book, &gym).unwrap();
            let save = CreateTransfer {
                from_account_id: checking_id,
                to_account_id: savings,
                date,
                amount: "100.00".into(),
                to_amount: None,
                description: Some("Savings".into()),
            };
            s.app.transfer(&owner, book, &save).unwrap();
        }
        let base = format!("{}/api/v1/books/{book}/recurring", s.base);
        let (status, list) = s.run(get(&s, &format!("{base}?as_of=2024-06-10"), &viewer_token));
        assert_eq!(status, 200, "{}: {list}", s.name);
        let rows = list.as_array().unwrap();
        assert_eq!(rows.len(), 1, "{}: the transfer is no series: {list}", s.name);
        let r = &rows[0];
        assert_eq!(
            (r["counterparty"].as_str(), r["account"].as_str(), r["interval"].as_str(), r["amount"].as_str()),
            (Some("MCFIT"), Some("Checking"), Some("monthly"), Some("-29.90")),
            "{}",
            s.name
        );
        assert_eq!((r["next_date"].as_str(), r["status"].as_str()), (Some("2024-07-03"), Some("active")));
        let id = r["id"].as_str().unwrap().to_string();

        let (status, _) = s.run(post(&s, &format!("{base}/{id}/confirm"), &viewer_token, None));
        assert_eq!(status, 403, "{}: viewers only read", s.name);
        let (status, view) = s.run(post(&s, &format!("{base}/{id}/confirm"), &owner_token, None));
        assert_eq!((status, view["confirmed"].as_bool()), (200, Some(true)), "{}: {view}", s.name);
        let (status, view) =
            s.run(post(&s, &format!("{base}/{id}/rename"), &owner_token, Some(json!({ "name": "Gym" }))));
        assert_eq!((status, view["counterparty"].as_str()), (200, Some("Gym")), "{}: {view}", s.name);
        let (status, _) = s.run(post(&s, &format!("{base}/{id}/rename"), &owner_token, Some(json!({ "name": " " }))));
        assert_eq!(status, 422, "{}", s.name);
        let (status, _) = s.run(post(&s, &format!("{base}/0123456789abcdef/dismiss"), &owner_token, None));
        assert_eq!(status, 404, "{}", s.name);
        let (status, _) = s.run(get(&s, &format!("{base}?as_of=June"), &viewer_token));
        assert_eq!(status, 422, "{}", s.name);

        let (status, _) = s.run(post(&s, &format!("{base}/{id}/dismiss"), &owner_token, None));
        assert_eq!(status, 200, "{}", s.name);
        let (_, list) = s.run(get(&s, &format!("{base}?as_of=2024-06-10"), &viewer_token));
        assert_eq!(list.as_array().map(Vec::len), Some(0), "{}: dismissed is hidden: {list}", s.name);
    }
}
