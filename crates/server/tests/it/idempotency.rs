//! `Idempotency-Key` at its edges (issue 14, finding 7): nothing is kept
//! for callers without a credential, nothing for replies that carry a
//! secret, and nothing for a request that wrote nothing.

use reqwest::Method;
use serde_json::json;
use sha2::Digest;

use crate::*;

/// Sends `body` to `path` under `key`, with `token` as bearer if given.
fn post(s: &Server, path: &str, body: serde_json::Value, key: &str, token: Option<&str>) -> reqwest::StatusCode {
    let mut req = s.http.request(Method::POST, format!("{}{path}", s.base)).json(&body).header("idempotency-key", key);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    s.run(req.send()).expect("send").status()
}

#[test]
fn keys_are_kept_only_for_writes_of_callers_with_a_credential() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let (_, token) = user(&s.app, "owner@example.org", true);
        let scope = hex::encode(sha2::Sha256::digest(token.as_bytes()));
        let anonymous = hex::encode(sha2::Sha256::digest(b""));
        let kept = |scope: &str, key: &str| s.app.store.idempotent_get(scope, key).expect("read").is_some();

        // Anonymous requests: 200 keyed posts with no credential keep nothing.
        for i in 0..200 {
            let st = post(&s, "/api/v1/books", json!({"name": format!("b{i}")}), &format!("anon-{i}"), None);
            assert_eq!(st, reqwest::StatusCode::UNAUTHORIZED, "{}", s.name);
        }
        for i in 0..200 {
            assert!(!kept("anonymous", &format!("anon-{i}")) && !kept(&anonymous, &format!("anon-{i}")), "{}", s.name);
        }

        // A login's reply is a session token: never stored, key or not.
        let login = json!({"email": "owner@example.org", "password": PASSWORD});
        assert_eq!(post(&s, "/api/v1/auth/login", login, "login-1", Some(&token)), reqwest::StatusCode::OK);
        assert!(!kept(&scope, "login-1"), "{}: a login reply holds a token", s.name);

        // A request that wrote nothing (refused) keeps nothing either…
        let bad = json!({"name": ""});
        assert!(post(&s, "/api/v1/books", bad, "create-1", Some(&token)).is_client_error(), "{}", s.name);
        assert!(!kept(&scope, "create-1"), "{}", s.name);
        // …so the key is still free for the request the caller meant.
        let good = json!({"name": "Household"});
        assert_eq!(post(&s, "/api/v1/books", good, "create-1", Some(&token)), reqwest::StatusCode::CREATED);
        assert!(kept(&scope, "create-1"), "{}: a write keeps its reply", s.name);
    }
}
