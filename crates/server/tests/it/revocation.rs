//! The server remembers who a token is and what its holder may do in a book
//! for a moment (`Config::access_cache_ttl`). These tests show that every
//! access change made through the server still takes effect on the very next
//! request — logout, a password reset, disabling a user, a role lowered or
//! removed, leaving an organisation, a renamed book — and that a change made
//! by another process on the same database is seen within the TTL, and at
//! the cache's next read of the access epoch (`Config::access_epoch_interval`).

use std::sync::Arc;
use std::time::Duration;

use kassa_app::books::{AddMember, CreateBook, PatchBook};
use kassa_app::orgs::{AddOrgMember, CreateOrg};
use kassa_app::{App, Config};
use kassa_core::{BookId, OrgId};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{PASSWORD, Server, databases, test_config, user};

fn call(s: &Server, token: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = s.http.request(method, format!("{}{path}", s.base)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = s.run(req.send()).expect("send");
    let status = r.status();
    let text = s.run(r.text()).expect("body");
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("json body") })
}

fn get(s: &Server, token: &str, path: &str) -> StatusCode {
    call(s, token, Method::GET, path, None).0
}

fn grant(email: &str, role: &str) -> AddMember {
    AddMember { email: Some(email.into()), org_id: None, role: role.into(), account_id: None }
}

#[test]
fn access_changes_take_effect_on_the_next_request() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let name = s.name;
        let (ann, ann_token) = user(&s.app, "ann@example.org", false);
        let (bob, bob_token) = user(&s.app, "bob@example.org", false);
        let book = s.app.create_book(&ann, &CreateBook { name: "Shared".into(), org_id: None }).expect("book");
        let id = BookId(book.id);
        let page = format!("/api/v1/books/{}/transactions", book.id);
        let categories = format!("/api/v1/books/{}/categories", book.id);
        let category = |n: &str| Some(json!({"name": n, "section": "expense"}));

        // A refusal is not remembered: a grant shows at once.
        assert_eq!(get(&s, &bob_token, &page), StatusCode::NOT_FOUND, "{name}");
        s.app.add_member(&ann, id, &grant("bob@example.org", "editor")).expect("grant");
        assert_eq!(get(&s, &bob_token, &page), StatusCode::OK, "{name}");
        let (st, _) = call(&s, &bob_token, Method::POST, &categories, category("Snacks"));
        assert_eq!(st, StatusCode::CREATED, "{name}");

        // Lowered to viewer: the next write is refused.
        s.app.add_member(&ann, id, &grant("bob@example.org", "viewer")).expect("lower");
        let (st, _) = call(&s, &bob_token, Method::POST, &categories, category("Sweets"));
        assert_eq!(st, StatusCode::FORBIDDEN, "{name}: a lowered role still wrote");

        // A renamed book shows its new name.
        s.app.rename_book(&ann, id, &PatchBook { name: "Household".into() }).expect("rename");
        let (_, seen) = call(&s, &bob_token, Method::GET, &format!("/api/v1/books/{}", book.id), None);
        assert_eq!(seen["name"], "Household", "{name}");

        // Removed: the book is gone for him.
        s.app.remove_member(&ann, id, bob.user_id.0).expect("remove");
        assert_eq!(get(&s, &bob_token, &page), StatusCode::NOT_FOUND, "{name}: a removed member still reads");

        // Through an organisation: leaving it ends the access it gave.
        let org = s.app.create_org(&ann, &CreateOrg { name: "Firm".into() }).expect("org");
        let add = AddOrgMember { email: "bob@example.org".into(), role: "member".into() };
        s.app.add_org_member(&ann, OrgId(org.id), &add).expect("org member");
        let to_org = AddMember { email: None, org_id: Some(org.id), role: "viewer".into(), account_id: None };
        s.app.add_member(&ann, id, &to_org).expect("org grant");
        assert_eq!(get(&s, &bob_token, &page), StatusCode::OK, "{name}");
        s.app.remove_org_member(&ann, OrgId(org.id), bob.user_id.0).expect("leave");
        assert_eq!(get(&s, &bob_token, &page), StatusCode::NOT_FOUND, "{name}: a former org member still reads");

        // Disabled: his token stops working.
        assert_eq!(get(&s, &bob_token, "/api/v1/me"), StatusCode::OK);
        s.app.disable_user("test", "bob@example.org").expect("disable");
        assert_eq!(get(&s, &bob_token, "/api/v1/me"), StatusCode::UNAUTHORIZED, "{name}: a disabled user's token");

        // Logout: the token is dead on the next request.
        assert_eq!(get(&s, &ann_token, &page), StatusCode::OK);
        assert_eq!(call(&s, &ann_token, Method::POST, "/api/v1/auth/logout", None).0, StatusCode::NO_CONTENT);
        assert_eq!(get(&s, &ann_token, &page), StatusCode::UNAUTHORIZED, "{name}: a logged-out token");
    }
}

#[test]
fn a_password_reset_ends_every_session() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let name = s.name;
        let (cy, first) = user(&s.app, "cy@example.org", false);
        let second = s.app.login("cy@example.org", PASSWORD, "test").expect("login").token;
        for t in [&first, &second] {
            assert_eq!(get(&s, t, "/api/v1/me"), StatusCode::OK, "{name}");
        }

        s.app.reset_password("admin", "cy@example.org", "a brand new password").expect("reset");

        for t in [&first, &second] {
            assert_eq!(get(&s, t, "/api/v1/me"), StatusCode::UNAUTHORIZED, "{name}: a token from before the reset");
        }
        assert!(s.app.login("cy@example.org", PASSWORD, "test").is_err(), "{name}: the old password");
        let fresh = s.app.login("cy@example.org", "a brand new password", "test").expect("new password").token;
        assert_eq!(get(&s, &fresh, "/api/v1/me"), StatusCode::OK, "{name}");
        // Each revocation is an event of its token's stream, like a logout.
        let tokens = s.app.store.user_tokens(cy.user_id).expect("tokens");
        assert_eq!(tokens.iter().filter(|t| t.revoked).count(), 2, "{name}");
        assert_eq!(tokens.len(), 3, "{name}");
    }
}

/// A user disabled by another process on the same database (`kassa user
/// disable` from a shell: its own store) loses access within `wait`.
fn disabled_elsewhere_is_seen(config: Config, wait: Duration, how: &str) {
    for db in databases() {
        let s = Server::start(db, config.clone());
        let name = s.name;
        let (_, token) = user(&s.app, "dee@example.org", false);
        assert_eq!(get(&s, &token, "/api/v1/me"), StatusCode::OK);

        let shell = App::new(Arc::from(kassa_store::open(&s._db.url).expect("open")), test_config());
        shell.disable_user("shell", "dee@example.org").expect("disable");
        std::thread::sleep(wait);
        assert_eq!(get(&s, &token, "/api/v1/me"), StatusCode::UNAUTHORIZED, "{name}: {how}");
    }
}

#[test]
fn another_process_is_seen_within_the_ttl() {
    let ttl = Duration::from_millis(300);
    disabled_elsewhere_is_seen(
        Config { access_cache_ttl: ttl, ..test_config() },
        ttl + Duration::from_millis(50),
        "stale after the TTL",
    );
}

#[test]
fn another_process_is_seen_at_the_next_epoch_read_long_before_the_ttl() {
    // The other process's write bumps the access epoch in its transaction.
    let interval = Duration::from_millis(50);
    let config =
        Config { access_cache_ttl: Duration::from_secs(3600), access_epoch_interval: interval, ..test_config() };
    disabled_elsewhere_is_seen(config, interval + Duration::from_millis(50), "seen through the epoch");
}
