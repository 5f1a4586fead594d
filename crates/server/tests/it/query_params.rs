//! Issue 15, item 9: a query parameter no operation takes is refused with a
//! 422 naming it and the nearest one it does take — on every route, by one
//! check over the served document — instead of being ignored (`?search=`
//! returned the whole register). No error tells an API caller to use a CLI flag.

use reqwest::StatusCode;
use serde_json::Value;

use crate::{Server, checking, databases, test_config, user};

fn get(s: &Server, token: &str, path: &str) -> (StatusCode, Value) {
    let r = s.run(s.http.get(format!("{}{path}", s.base)).bearer_auth(token).send()).expect("send");
    let status = r.status();
    (status, s.run(r.json::<Value>()).unwrap_or(Value::Null))
}

#[test]
fn unknown_query_parameters_are_named_with_the_nearest_known_one() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let (actor, token) = user(&s.app, "ann@example.org", false);
        let book = s.app.list_books(&actor).expect("books")[0].id;
        s.app.create_account(&actor, kassa_core::BookId(book), &checking("Giro")).expect("account");
        let txs = format!("/api/v1/books/{book}/transactions");

        let (st, body) = get(&s, &token, &format!("{txs}?q=rent"));
        assert_eq!(st, StatusCode::OK, "{}: a declared parameter passes: {body}", s.name);

        let (st, body) = get(&s, &token, &format!("{txs}?search=rent"));
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let text = body.to_string();
        assert!(text.contains("unknown parameter search; did you mean q?"), "{text}");

        let (st, body) = get(&s, &token, "/api/v1/books?limit=5");
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.to_string().contains("this operation takes none"), "{body}");

        let (st, body) = get(&s, &token, &format!("/api/v1/books/{book}/reports/monthly?form=2024-01"));
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.to_string().contains("did you mean from?"), "{body}");
    }
}

#[test]
fn a_refusal_names_api_parameters_not_cli_flags() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let (actor, token) = user(&s.app, "ann@example.org", false);
        let book = s.app.list_books(&actor).expect("books")[0].id;
        let (st, body) = get(&s, &token, &format!("/api/v1/books/{book}/reports/balances?currency=CHF"));
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{}: {body}", s.name);
        let text = body.to_string();
        assert!(text.contains("no exchange rates") && !text.contains("kassa ") && !text.contains("--"), "{text}");
    }
}
