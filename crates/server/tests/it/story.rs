//! The API story through real HTTP on both backends: first-run registration,
//! login, a book with accounts and transactions, idempotent creates, cursor
//! pages, bad input that writes nothing, logout, login rate limits, the
//! document and the docs.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{PASSWORD, Server, databases, test_config};

struct Client<'a> {
    s: &'a Server,
    token: Option<String>,
}

impl Client<'_> {
    fn send(&self, method: Method, path: &str, body: Option<Value>, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.s.http.request(method, format!("{}{path}", self.s.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.s.run(req.send()).expect("send")
    }

    fn json(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let r = self.send(method, path, body, &[]);
        let status = r.status();
        let text = self.s.run(r.text()).expect("body");
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("json body") })
    }

    fn raw(&self, method: Method, path: &str, body: &'static str) -> (StatusCode, Value) {
        let mut req = self.s.http.request(method, format!("{}{path}", self.s.base)).body(body);
        req = req.header("content-type", "application/json");
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let r = self.s.run(req.send()).expect("send");
        let status = r.status();
        (status, self.s.run(r.json()).expect("json"))
    }
}

fn count(c: &Client, book: &str) -> usize {
    let (_, page) = c.json(Method::GET, &format!("/api/v1/books/{book}/transactions?limit=500"), None);
    page["items"].as_array().expect("items").len()
}

#[test]
fn a_household_uses_the_api() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let name = s.name;
        let mut c = Client { s: &s, token: None };

        // First run: the first registration makes the platform admin.
        let (st, me) = c.json(
            Method::POST,
            "/api/v1/auth/register",
            Some(json!({"email": "Ann@Example.org", "password": PASSWORD})),
        );
        assert_eq!(st, StatusCode::CREATED, "{name}: {me}");
        assert_eq!(me["email"], "ann@example.org");
        assert_eq!(me["platform_admin"], true);

        let (st, err) = c.json(
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"email": "ann@example.org", "password": "wrong password"})),
        );
        assert_eq!((st, err["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")), "{name}");
        let (st, login) =
            c.json(Method::POST, "/api/v1/auth/login", Some(json!({"email": "ann@example.org", "password": PASSWORD})));
        assert_eq!(st, StatusCode::OK, "{name}: {login}");
        assert!(login["expires_at"].as_str().is_some());
        c.token = Some(login["token"].as_str().expect("token").to_string());

        // Every user has a personal book.
        let (_, books) = c.json(Method::GET, "/api/v1/books", None);
        assert_eq!(books.as_array().expect("books").len(), 1, "{name}");
        let (st, book) = c.json(Method::POST, "/api/v1/books", Some(json!({"name": "Household"})));
        assert_eq!(st, StatusCode::CREATED, "{name}: {book}");
        let b = book["id"].as_str().expect("id").to_string();
        let (st, acc) = c.json(
            Method::POST,
            &format!("/api/v1/books/{b}/accounts"),
            Some(json!({"name": "Checking", "kind": "checking", "currency": "EUR", "opened_on": "2024-01-01"})),
        );
        assert_eq!(st, StatusCode::CREATED, "{name}: {acc}");
        let a = acc["id"].as_str().expect("id").to_string();

        // Idempotency-Key: a repeated create is replayed, not repeated.
        let tx = json!({"account_id": a, "date": "2024-02-03", "amount": "-42.10", "description": "Groceries", "category": "Groceries"});
        let first = c.send(
            Method::POST,
            &format!("/api/v1/books/{b}/transactions"),
            Some(tx.clone()),
            &[("Idempotency-Key", "k1")],
        );
        assert_eq!(first.status(), StatusCode::CREATED, "{name}");
        let first: Value = s.run(first.json()).expect("json");
        let again = c.send(
            Method::POST,
            &format!("/api/v1/books/{b}/transactions"),
            Some(tx.clone()),
            &[("Idempotency-Key", "k1")],
        );
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(again.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap_or("")), Some("true"));
        let again: Value = s.run(again.json()).expect("json");
        assert_eq!(first["id"], again["id"], "{name}");
        assert_eq!(first["amount"], "-42.10");
        let other = c.send(
            Method::POST,
            &format!("/api/v1/books/{b}/transactions"),
            Some(json!({"account_id": a, "date": "2024-02-04", "amount": "1", "description": "x"})),
            &[("Idempotency-Key", "k1")],
        );
        assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}: same key, other body");
        assert_eq!(count(&c, &b), 1);

        // Cursor pages, newest first, filtered by account and month.
        for day in 1..=25 {
            let body = json!({"account_id": a, "date": format!("2024-03-{day:02}"), "amount": "-1.00", "description": format!("day {day}")});
            assert_eq!(
                c.json(Method::POST, &format!("/api/v1/books/{b}/transactions"), Some(body)).0,
                StatusCode::CREATED
            );
        }
        let mut seen = vec![];
        let mut cursor = String::new();
        loop {
            let (st, page) = c.json(
                Method::GET,
                &format!("/api/v1/books/{b}/transactions?account={a}&from=2024-03-01&to=2024-03-31&limit=10{cursor}"),
                None,
            );
            assert_eq!(st, StatusCode::OK, "{name}: {page}");
            seen.extend(
                page["items"].as_array().expect("items").iter().map(|t| t["date"].as_str().unwrap_or("").to_string()),
            );
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 25, "{name}");
        assert_eq!(seen.first().map(String::as_str), Some("2024-03-25"));
        assert!(seen.windows(2).all(|w| w[0] >= w[1]));

        // Bad input: a 4xx naming the field, and nothing written.
        let before = count(&c, &b);
        let path = format!("/api/v1/books/{b}/transactions");
        let (st, e) = c.raw(Method::POST, "/api/v1/books", "{\"name\": ");
        assert_eq!((st, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed_json")), "{name}");
        let (st, e) = c.json(
            Method::POST,
            &path,
            Some(json!({"account_id": a, "date": "2024-02-30", "amount": "1", "description": "x"})),
        );
        assert_eq!(
            (st, e["details"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("date")),
            "{name}: {e}"
        );
        let (st, e) = c.json(
            Method::POST,
            &path,
            Some(json!({"account_id": a, "date": "2024-02-03", "amount": "1.2.3", "description": "x"})),
        );
        assert_eq!(
            (st, e["details"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("amount")),
            "{name}: {e}"
        );
        let (st, e) = c.json(
            Method::POST,
            &path,
            Some(json!({"account_id": a, "date": "2024-02-03", "amount": 5, "description": "x"})),
        );
        assert_eq!((st, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field")), "{name}: {e}");
        let (st, e) = c.json(
            Method::POST,
            &path,
            Some(json!({"account_id": a, "date": "2024-02-03", "amount": "1", "description": "x", "category": "Nope"})),
        );
        assert_eq!(
            (st, e["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_category")),
            "{name}: {e}"
        );
        let (st, _) = c.json(
            Method::POST,
            &path,
            Some(json!({"account_id": uuid::Uuid::now_v7(), "date": "2024-02-03", "amount": "1", "description": "x"})),
        );
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        let (st, _) = c.json(Method::GET, &format!("/api/v1/books/{}/accounts", uuid::Uuid::now_v7()), None);
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = c.json(Method::GET, "/api/v1/books/not-a-uuid", None);
        assert_eq!(st, StatusCode::NOT_FOUND);
        assert_eq!(count(&c, &b), before, "{name}: a refused request wrote something");

        // The platform admin's overview is aggregates only.
        let (st, o) = c.json(Method::GET, "/api/v1/admin/overview", None);
        assert_eq!(st, StatusCode::OK, "{name}: {o}");
        assert_eq!(o["users"], 1);
        assert!(o["balances"].as_array().expect("balances").iter().any(|r| r["total"] == "-67.10"), "{name}: {o}");

        // An organisation's members see its books.
        s.app.add_user("test", "bob@example.org", PASSWORD, false).expect("bob");
        let (_, org) = c.json(Method::POST, "/api/v1/orgs", Some(json!({"name": "Firm"})));
        let org = org["id"].as_str().expect("org").to_string();
        let (st, _) = c.json(
            Method::POST,
            &format!("/api/v1/orgs/{org}/members"),
            Some(json!({"email": "bob@example.org", "role": "member"})),
        );
        assert_eq!(st, StatusCode::CREATED);
        let (st, _) =
            c.json(Method::POST, &format!("/api/v1/books/{b}/members"), Some(json!({"org_id": org, "role": "editor"})));
        assert_eq!(st, StatusCode::CREATED);
        let bob_token = s.app.login("bob@example.org", PASSWORD, "test").expect("login").token;
        let bob = Client { s: &s, token: Some(bob_token) };
        let (st, seen) = bob.json(Method::GET, &format!("/api/v1/books/{b}"), None);
        assert_eq!((st, seen["role"].as_str()), (StatusCode::OK, Some("editor")), "{name}");

        // Headers: request id, security headers, gzip when asked.
        let r = c.send(Method::GET, "/api/v1/openapi.json", None, &[("accept-encoding", "gzip")]);
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().contains_key("x-request-id"));
        assert_eq!(r.headers().get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]));
        assert_eq!(r.headers().get("content-encoding").map(|v| v.as_bytes()), Some(&b"gzip"[..]));
        let docs = c.send(Method::GET, "/api/docs/", None, &[]);
        assert_eq!(docs.status(), StatusCode::OK, "{name}: docs");
        let (st, e) = c.json(Method::GET, "/api/v1/nothing-here", None);
        assert_eq!((st, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));

        // Logout revokes the token.
        assert_eq!(c.json(Method::POST, "/api/v1/auth/logout", None).0, StatusCode::NO_CONTENT);
        assert_eq!(c.json(Method::GET, "/api/v1/me", None).0, StatusCode::UNAUTHORIZED);
    }
}

#[test]
fn logins_are_rate_limited_per_account_and_per_address() {
    for db in databases() {
        let mut config = test_config();
        config.login_attempts_per_ip = 8;
        let s = Server::start(db, config);
        s.app.add_user("test", "eve@example.org", PASSWORD, false).expect("user");
        let c = Client { s: &s, token: None };
        let attempt = |password: &str| {
            c.json(Method::POST, "/api/v1/auth/login", Some(json!({"email": "eve@example.org", "password": password})))
                .0
        };
        for _ in 0..5 {
            assert_eq!(attempt("wrong password"), StatusCode::UNAUTHORIZED);
        }
        // The account is locked: even the right password gets 429 now.
        assert_eq!(attempt(PASSWORD), StatusCode::TOO_MANY_REQUESTS, "{}", s.name);
        let other =
            |email: &str| c.json(Method::POST, "/api/v1/auth/login", Some(json!({"email": email, "password": "x"}))).0;
        assert_eq!(other("a@example.org"), StatusCode::UNAUTHORIZED);
        assert_eq!(other("b@example.org"), StatusCode::UNAUTHORIZED);
        // Eight attempts from this address in the window: the ninth is refused.
        assert_eq!(other("c@example.org"), StatusCode::TOO_MANY_REQUESTS, "{}", s.name);
    }
}

#[test]
fn registration_follows_the_policy() {
    for db in databases() {
        let mut config = test_config();
        config.registration = kassa_app::Registration::Invite;
        let s = Server::start(db, config);
        let admin = s.app.add_user("test", "root@example.org", PASSWORD, true).expect("admin");
        let token = s.app.login("root@example.org", PASSWORD, "t").expect("login").token;
        let _ = admin;
        let c = Client { s: &s, token: None };
        let (st, e) = c.json(
            Method::POST,
            "/api/v1/auth/register",
            Some(json!({"email": "x@example.org", "password": PASSWORD})),
        );
        assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("registration_closed")), "{}", s.name);
        let admin = Client { s: &s, token: Some(token) };
        let (st, invite) = admin.json(Method::POST, "/api/v1/admin/invites", None);
        assert_eq!(st, StatusCode::CREATED);
        let code = invite["token"].as_str().expect("code");
        let body = json!({"email": "x@example.org", "password": PASSWORD, "invite": code});
        assert_eq!(c.json(Method::POST, "/api/v1/auth/register", Some(body.clone())).0, StatusCode::CREATED);
        let body = json!({"email": "y@example.org", "password": PASSWORD, "invite": code});
        assert_eq!(
            c.json(Method::POST, "/api/v1/auth/register", Some(body)).0,
            StatusCode::UNPROCESSABLE_ENTITY,
            "an invite is used once"
        );
    }
}
