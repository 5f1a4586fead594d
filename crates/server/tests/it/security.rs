//! The red team's findings of issue 14 as regression tests, through real
//! HTTP on both backends: password policy on every path, registration
//! under parallel requests, the login redirect, the login limits, caching,
//! what a spender sees, flash messages, grants to organisations and what
//! a stranger can learn about which emails have accounts.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use jiff::Timestamp;
use jiff::civil::Date;
use kassa_app::books::{AddMember, CreateBook};
use kassa_app::orgs::CreateOrg;
use kassa_app::{Clock, PasswordCost, Registration};
use kassa_core::BookId;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, LOCATION, RETRY_AFTER};
use serde_json::{Value, json};

use crate::web::{client, web_login};
use crate::{PASSWORD, Server, checking, databases, test_config, user};

/// A clock the test moves by hand, so waiting out a delay takes no time.
#[derive(Debug)]
pub struct TestClock(Mutex<Timestamp>);

impl TestClock {
    pub fn new() -> Arc<TestClock> {
        Arc::new(TestClock(Mutex::new("2025-03-01T09:00:00Z".parse().expect("timestamp"))))
    }

    fn advance(&self, secs: i64) {
        let mut now = self.0.lock().expect("clock");
        *now = now.checked_add(jiff::SignedDuration::from_secs(secs)).expect("later");
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock")
    }

    fn today(&self) -> Date {
        self.now().to_zoned(jiff::tz::TimeZone::UTC).date()
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// An API call without a token: status, JSON body and `Retry-After`.
fn call(s: &Server, path: &str, body: Value) -> (StatusCode, Value, Option<String>) {
    let r = s.run(s.http.post(format!("{}/api/v1{path}", s.base)).json(&body).send()).expect("send");
    let status = r.status();
    let retry = r.headers().get(RETRY_AFTER).map(|v| v.to_str().expect("ascii").to_string());
    (status, s.run(r.json()).unwrap_or(Value::Null), retry)
}

fn login(s: &Server, email: &str, password: &str) -> (StatusCode, Value, Option<String>) {
    call(s, "/auth/login", json!({"email": email, "password": password}))
}

fn bearer(s: &Server, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = s.http.request(method, format!("{}/api/v1{path}", s.base)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = s.run(req.send()).expect("send");
    let status = r.status();
    (status, s.run(r.json()).unwrap_or(Value::Null))
}

/// `bodies` posted to `/api/v1/auth/register` all at once; their statuses.
fn register_in_parallel(s: &Server, bodies: Vec<Value>) -> Vec<StatusCode> {
    let sends: Vec<_> =
        bodies.into_iter().map(|b| s.http.post(format!("{}/api/v1/auth/register", s.base)).json(&b).send()).collect();
    s.run(async move {
        let tasks: Vec<_> = sends.into_iter().map(tokio::spawn).collect();
        let mut statuses = vec![];
        for t in tasks {
            statuses.push(t.await.expect("task").expect("send").status());
        }
        statuses
    })
}

/// Hashes costly enough that a request spends a while between reading
/// who exists and writing, as it does in production: the window a race needs.
fn racy_config(registration: Registration) -> kassa_app::Config {
    kassa_app::Config { registration, password_cost: PasswordCost { memory_kib: 8192, iterations: 1 }, ..test_config() }
}

// --- finding 6: one password policy -------------------------------------------

#[test]
fn an_empty_password_is_refused_on_every_path_that_sets_one() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let http = client();
        s.app.add_user("test", "pw@example.org", PASSWORD, false).expect("user");
        let cookie = web_login(&s, &http, "pw@example.org");

        let form = [("current_password", PASSWORD), ("new_password", "")];
        let r = s
            .run(http.post(format!("{}/settings/password", s.base)).header("cookie", &cookie).form(&form).send())
            .expect("post");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}: the web change took an empty password", s.name);
        assert!(s.run(r.text()).expect("html").contains("new_password: must be at least 8 characters"), "{}", s.name);
        assert_eq!(login(&s, "pw@example.org", "").0, StatusCode::UNAUTHORIZED, "{}", s.name);
        assert_eq!(login(&s, "pw@example.org", PASSWORD).0, StatusCode::OK, "{}: the old one still works", s.name);

        let short = json!({"email": "new@example.org", "password": "short"});
        assert_eq!(call(&s, "/auth/register", short).0, StatusCode::UNPROCESSABLE_ENTITY, "{}", s.name);
        assert!(s.app.add_user("test", "cli@example.org", "", false).is_err(), "{}: user add", s.name);
        assert!(s.app.reset_password("test", "pw@example.org", "").is_err(), "{}: password reset", s.name);
    }
}

// --- finding 8: registration races --------------------------------------------

#[test]
fn one_invitation_registers_one_user_however_many_try_at_once() {
    for db in databases() {
        let s = Server::start(db, racy_config(Registration::Invite));
        let (admin, _) = user(&s.app, "root@example.org", true);
        let code = s.app.invite(&admin).expect("invite").token;
        let bodies = (0..10)
            .map(|i| json!({"email": format!("guest{i}@example.org"), "password": PASSWORD, "invite": code}))
            .collect();
        let statuses = register_in_parallel(&s, bodies);
        let created = statuses.iter().filter(|st| **st == StatusCode::CREATED).count();
        assert_eq!(created, 1, "{}: {statuses:?}", s.name);
        assert_eq!(s.app.list_users().expect("users").len(), 2, "{}", s.name);
    }
}

#[test]
fn on_an_empty_server_parallel_registrations_make_one_platform_admin() {
    for db in databases() {
        let s = Server::start(db, racy_config(Registration::Closed));
        let bodies = (0..10).map(|i| json!({"email": format!("first{i}@example.org"), "password": PASSWORD})).collect();
        let statuses = register_in_parallel(&s, bodies);
        let created = statuses.iter().filter(|st| **st == StatusCode::CREATED).count();
        assert_eq!(created, 1, "{}: {statuses:?}", s.name);
        let users = s.app.list_users().expect("users");
        assert_eq!(users.iter().filter(|u| u.platform_admin).count(), 1, "{}: {users:?}", s.name);
        assert_eq!(users.len(), 1, "{}: registration is closed after the first", s.name);
    }
}

#[test]
fn parallel_registrations_of_one_email_make_one_user() {
    for db in databases() {
        let s = Server::start(db, racy_config(Registration::Open));
        s.app.add_user("test", "root@example.org", PASSWORD, true).expect("admin");
        let bodies = (0..6).map(|_| json!({"email": "twin@example.org", "password": PASSWORD})).collect();
        let statuses = register_in_parallel(&s, bodies);
        assert_eq!(statuses.iter().filter(|st| **st == StatusCode::CREATED).count(), 1, "{}: {statuses:?}", s.name);
        assert!(statuses.iter().all(|st| *st == StatusCode::CREATED || *st == StatusCode::CONFLICT), "{statuses:?}");
    }
}

// --- finding 10: the redirect after login ---------------------------------------

#[test]
fn login_follows_only_same_origin_paths() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let http = client();
        s.app.add_user("test", "web@example.org", PASSWORD, false).expect("user");
        let after = |next: &str| {
            let form = [("email", "web@example.org"), ("password", PASSWORD), ("next", next)];
            let r = s.run(http.post(format!("{}/login", s.base)).form(&form).send()).expect("post");
            let to = r.headers().get(LOCATION).map(|l| l.as_bytes().to_vec());
            (r.status(), to.map(|t| String::from_utf8_lossy(&t).into_owned()))
        };
        for evil in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "/ /evil.example",
            "/\u{0}/evil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(after(evil), (StatusCode::SEE_OTHER, Some("/".to_string())), "{}: next={evil:?}", s.name);
        }
        assert_eq!(after("/reports?book=1&x=%2F%2F"), (StatusCode::SEE_OTHER, Some("/reports?book=1&x=%2F%2F".into())));

        let r = s.run(http.get(format!("{}/login?next=/%09/evil.example", s.base)).send()).expect("get");
        let html = s.run(r.text()).expect("html");
        assert!(html.contains(r#"name="next" value="/""#), "{}: the form keeps only a safe path\n{html}", s.name);
    }
}

// --- finding 11: login limits --------------------------------------------------

#[test]
fn successful_logins_do_not_use_up_the_address_limit() {
    for db in databases() {
        let s = Server::start(db, kassa_app::Config { login_attempts_per_ip: 3, ..test_config() });
        s.app.add_user("test", "busy@example.org", PASSWORD, false).expect("user");
        for i in 0..6 {
            assert_eq!(login(&s, "busy@example.org", PASSWORD).0, StatusCode::OK, "{}: login {i}", s.name);
        }
        for i in 0..3 {
            assert_eq!(login(&s, "nobody@example.org", "x").0, StatusCode::UNAUTHORIZED, "{}: failure {i}", s.name);
        }
        assert_eq!(login(&s, "busy@example.org", PASSWORD).0, StatusCode::TOO_MANY_REQUESTS, "{}", s.name);
    }
}

#[test]
fn wrong_passwords_slow_an_account_down_instead_of_locking_it() {
    for db in databases() {
        let clock = TestClock::new();
        let config = kassa_app::Config { login_failures_per_account: 3, ..test_config() };
        let s = Server::start_with_clock(db, config, clock.clone());
        s.app.add_user("test", "owner@example.org", PASSWORD, false).expect("user");
        let attempt = |password: &str| {
            let (st, _, retry) = login(&s, "owner@example.org", password);
            (st, retry)
        };
        for i in 0..3 {
            assert_eq!(attempt("wrong").0, StatusCode::UNAUTHORIZED, "{}: free failure {i}", s.name);
        }
        // Now each further try waits, 1 s at first, doubling per failure.
        assert_eq!(attempt("wrong"), (StatusCode::TOO_MANY_REQUESTS, Some("1".into())), "{}", s.name);
        assert_eq!(attempt(PASSWORD), (StatusCode::TOO_MANY_REQUESTS, Some("1".into())), "{}", s.name);
        clock.advance(1);
        assert_eq!(attempt("wrong").0, StatusCode::UNAUTHORIZED, "{}: the wait is over", s.name);
        assert_eq!(attempt(PASSWORD), (StatusCode::TOO_MANY_REQUESTS, Some("2".into())), "{}", s.name);
        clock.advance(2);
        // The owner is in after seconds, not after a 15 minute lockout.
        assert_eq!(attempt(PASSWORD).0, StatusCode::OK, "{}", s.name);
        for i in 0..3 {
            assert_eq!(attempt("wrong").0, StatusCode::UNAUTHORIZED, "{}: a success starts over ({i})", s.name);
        }
    }
}

#[test]
fn the_backoff_is_capped() {
    for db in databases() {
        let clock = TestClock::new();
        let config = kassa_app::Config { login_failures_per_account: 1, ..test_config() };
        let s = Server::start_with_clock(db, config, clock.clone());
        let mut waits = vec![];
        for _ in 0..14 {
            let (st, _, retry) = login(&s, "target@example.org", "wrong");
            assert_eq!((st, retry), (StatusCode::UNAUTHORIZED, None), "{}: {waits:?}", s.name);
            let (st, _, retry) = login(&s, "target@example.org", "wrong");
            assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "{}: {waits:?}", s.name);
            let wait: i64 = retry.expect("Retry-After").parse().expect("seconds");
            waits.push(wait);
            clock.advance(wait);
        }
        assert_eq!(waits[..4], [1, 2, 4, 8], "{}", s.name);
        assert_eq!(*waits.iter().max().expect("waits"), 300, "{}: {waits:?}", s.name);
    }
}

// --- finding 14: smaller gaps -------------------------------------------------

#[test]
fn html_pages_are_not_kept_by_caches() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let http = client();
        s.app.add_user("test", "web@example.org", PASSWORD, false).expect("user");
        let cookie = web_login(&s, &http, "web@example.org");
        for path in ["/login", "/", "/settings", "/transactions", "/reports"] {
            let r = s.run(http.get(format!("{}{path}", s.base)).header("cookie", &cookie).send()).expect("get");
            let cache = r.headers().get(CACHE_CONTROL).map(|v| v.to_str().expect("ascii").to_string());
            assert_eq!(cache.as_deref(), Some("no-store"), "{}: GET {path}", s.name);
        }
        let r = s.run(http.get(format!("{}/static/kassa.css", s.base)).send()).expect("css");
        assert_ne!(r.headers().get(CACHE_CONTROL).expect("cache").to_str().expect("ascii"), "no-store");
    }
}

#[test]
fn a_spender_does_not_see_the_names_of_accounts_they_cannot_use() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let (owner, token) = user(&s.app, "owner@example.org", false);
        let book = BookId(s.app.list_books(&owner).expect("books")[0].id);
        let giro = s.app.create_account(&owner, book, &checking("Giro")).expect("giro");
        let secret = s.app.create_account(&owner, book, &checking("Secret Stash")).expect("stash");
        let transfer =
            json!({"from_account_id": giro.id, "to_account_id": secret.id, "date": "2024-02-01", "amount": "50"});
        let (st, _) =
            bearer(&s, &token, reqwest::Method::POST, &format!("/books/{}/transfers", book.0), Some(transfer));
        assert_eq!(st, StatusCode::CREATED, "{}", s.name);
        let (_, spender_token) = user(&s.app, "kid@example.org", false);
        let grant = AddMember {
            email: Some("kid@example.org".into()),
            org_id: None,
            role: "spender".into(),
            account_id: Some(giro.id),
        };
        s.app.add_member(&owner, book, &grant).expect("grant");

        let (st, page) =
            bearer(&s, &spender_token, reqwest::Method::GET, &format!("/books/{}/transactions", book.0), None);
        assert_eq!(st, StatusCode::OK, "{}", s.name);
        let items = page["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{}: {page}", s.name);
        assert!(!page.to_string().contains("Secret Stash"), "{}: {page}", s.name);
        assert!(items[0]["transfer_account"].is_string(), "{}: still marked as a transfer: {page}", s.name);
        let id = items[0]["id"].as_str().expect("id");
        let (_, one) =
            bearer(&s, &spender_token, reqwest::Method::GET, &format!("/books/{}/transactions/{id}", book.0), None);
        assert!(!one.to_string().contains("Secret Stash"), "{}: {one}", s.name);

        let http = client();
        let cookie = web_login(&s, &http, "kid@example.org");
        for path in [
            format!("/transactions?book={}", book.0),
            format!("/accounts/{}?book={}", giro.id, book.0),
            format!("/?book={}", book.0),
        ] {
            let r = s.run(http.get(format!("{}{path}", s.base)).header("cookie", &cookie).send()).expect("get");
            assert_eq!(r.status(), StatusCode::OK, "{}: {path}", s.name);
            let html = s.run(r.text()).expect("html");
            assert!(!html.contains("Secret Stash"), "{}: {path}\n{html}", s.name);
        }
    }
}

#[test]
fn flash_messages_come_from_fixed_codes_not_from_the_url() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let (owner, _) = user(&s.app, "web@example.org", false);
        let book = BookId(s.app.list_books(&owner).expect("books")[0].id);
        let account = s.app.create_account(&owner, book, &checking("Giro")).expect("account");
        let http = client();
        let cookie = web_login(&s, &http, "web@example.org");
        let spoof = "Your+account+is+suspended.+Call+%2B1+555+0100";
        for page in [format!("/transactions?book={}", book.0), format!("/accounts/{}?book={}", account.id, book.0)] {
            for key in ["done", "error"] {
                let path = format!("{page}&{key}={spoof}");
                let r = s.run(http.get(format!("{}{path}", s.base)).header("cookie", &cookie).send()).expect("get");
                assert_eq!(r.status(), StatusCode::OK, "{}: {path}", s.name);
                let html = s.run(r.text()).expect("html");
                assert!(!html.contains("account is suspended"), "{}: {path} shows the URL's text", s.name);
            }
        }
    }
}

#[test]
fn a_book_is_shared_only_with_organisations_its_owner_administers() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let (ann, ann_token) = user(&s.app, "ann@example.org", false);
        let (bob, bob_token) = user(&s.app, "bob@example.org", false);
        let theirs = s.app.create_org(&bob, &CreateOrg { name: "Bob's firm".into() }).expect("org");
        let book = s.app.create_book(&ann, &CreateBook { name: "Ann's".into(), org_id: None }).expect("book");
        let path = format!("/books/{}/members", book.id);
        let grant = json!({"org_id": theirs.id, "role": "viewer"});
        let (st, e) = bearer(&s, &ann_token, reqwest::Method::POST, &path, Some(grant.clone()));
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{}: {e}", s.name);
        let (_, books) = bearer(&s, &bob_token, reqwest::Method::GET, "/books", None);
        assert!(!books.to_string().contains("Ann's"), "{}: {books}", s.name);

        // An organisation Ann administers may be given the book.
        let ours = s.app.create_org(&ann, &CreateOrg { name: "Ann's firm".into() }).expect("org");
        let grant = json!({"org_id": ours.id, "role": "viewer"});
        assert_eq!(bearer(&s, &ann_token, reqwest::Method::POST, &path, Some(grant)).0, StatusCode::CREATED);
    }
}

#[test]
fn unknown_emails_and_wrong_passwords_get_the_same_answer() {
    for db in databases() {
        let s = Server::start(db, test_config());
        s.app.add_user("test", "known@example.org", PASSWORD, false).expect("user");
        s.app.add_user("test", "gone@example.org", PASSWORD, false).expect("user");
        s.app.disable_user("test", "gone@example.org").expect("disable");
        let (st, wrong, _) = login(&s, "known@example.org", "not the password");
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        for (email, password) in
            [("unknown@example.org", "not the password"), ("not an email", "x"), ("gone@example.org", PASSWORD)]
        {
            let (st, other, _) = login(&s, email, password);
            assert_eq!(
                (st, &other["code"], &other["message"]),
                (StatusCode::UNAUTHORIZED, &wrong["code"], &wrong["message"]),
                "{}: {email}",
                s.name
            );
        }
    }
}

#[test]
fn probing_which_emails_have_accounts_through_grants_is_limited() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let (owner, token) = user(&s.app, "owner@example.org", false);
        let book = s.app.list_books(&owner).expect("books")[0].id;
        let path = format!("/books/{book}/members");
        let grant = |email: &str| {
            bearer(&s, &token, reqwest::Method::POST, &path, Some(json!({"email": email, "role": "viewer"}))).0
        };
        for i in 0..10 {
            let st = grant(&format!("guess{i}@example.org"));
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{}: guess {i}", s.name);
        }
        assert_eq!(grant("guess10@example.org"), StatusCode::TOO_MANY_REQUESTS, "{}", s.name);
        // Over the limit a known email gets the same answer, or the answer would tell them apart.
        user(&s.app, "friend@example.org", false);
        assert_eq!(grant("friend@example.org"), StatusCode::TOO_MANY_REQUESTS, "{}", s.name);
    }
}

/// A server behind a proxy on 127.0.0.1 (the tests' own address).
fn behind_a_proxy(db: kassa_store::testing::TestDb, config: kassa_app::Config, secure_cookies: bool) -> Server {
    let proxies = kassa_server::Proxies { trusted: vec!["127.0.0.1/32".parse().expect("net")], secure_cookies };
    Server::start_behind(db, config, Arc::new(kassa_app::SystemClock), proxies)
}

/// A failed API login as a proxy forwards it: its status.
fn forwarded_failure(s: &Server, forwarded_for: &str, n: usize) -> StatusCode {
    let body = json!({"email": format!("nobody{n}@example.org"), "password": "wrong"});
    let req = s.http.post(format!("{}/api/v1/auth/login", s.base)).header("x-forwarded-for", forwarded_for).json(&body);
    s.run(req.send()).expect("send").status()
}

#[test]
fn behind_a_trusted_proxy_the_address_limit_counts_the_real_client() {
    for db in databases() {
        let s = behind_a_proxy(db, kassa_app::Config { login_attempts_per_ip: 2, ..test_config() }, false);
        assert_eq!(forwarded_failure(&s, "203.0.113.5", 0), StatusCode::UNAUTHORIZED, "{}", s.name);
        assert_eq!(forwarded_failure(&s, "203.0.113.5", 1), StatusCode::UNAUTHORIZED, "{}", s.name);
        assert_eq!(forwarded_failure(&s, "203.0.113.5", 2), StatusCode::TOO_MANY_REQUESTS, "{}", s.name);
        // Another client behind the same proxy is not held back by the first.
        assert_eq!(forwarded_failure(&s, "203.0.113.6", 3), StatusCode::UNAUTHORIZED, "{}", s.name);
        // Nor can the first pick a fresh address: the proxy appends the real one.
        assert_eq!(forwarded_failure(&s, "198.51.100.9, 203.0.113.5", 4), StatusCode::TOO_MANY_REQUESTS, "{}", s.name);
    }
    for db in databases() {
        // From a peer that is not a trusted proxy the header is the client's own word.
        let s = Server::start(db, kassa_app::Config { login_attempts_per_ip: 2, ..test_config() });
        assert_eq!(forwarded_failure(&s, "203.0.113.1", 0), StatusCode::UNAUTHORIZED, "{}", s.name);
        assert_eq!(forwarded_failure(&s, "203.0.113.2", 1), StatusCode::UNAUTHORIZED, "{}", s.name);
        assert_eq!(forwarded_failure(&s, "203.0.113.3", 2), StatusCode::TOO_MANY_REQUESTS, "{}", s.name);
    }
}

#[test]
fn session_cookies_are_secure_when_the_browser_came_over_https() {
    let set_cookie = |s: &Server, proto: Option<&str>| {
        s.app.add_user("test", "c@example.org", PASSWORD, false).ok();
        let form = [("email", "c@example.org"), ("password", PASSWORD)];
        let mut req = client().post(format!("{}/login", s.base)).form(&form);
        if let Some(p) = proto {
            req = req.header("x-forwarded-proto", p);
        }
        let r = s.run(req.send()).expect("login");
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", s.name);
        r.headers().get(reqwest::header::SET_COOKIE).expect("cookie").to_str().expect("ascii").to_string()
    };
    for db in databases() {
        let s = behind_a_proxy(db, test_config(), false);
        assert!(set_cookie(&s, Some("https")).ends_with("; Secure"), "{}", s.name);
        assert!(!set_cookie(&s, Some("http")).contains("Secure"), "{}", s.name);
        assert!(!set_cookie(&s, None).contains("Secure"), "{}", s.name);
    }
    for db in databases() {
        let s = Server::start(db, test_config());
        assert!(!set_cookie(&s, Some("https")).contains("Secure"), "{}: an untrusted peer's header", s.name);
    }
    for db in databases() {
        let s = behind_a_proxy(db, test_config(), true);
        assert!(set_cookie(&s, None).ends_with("; Secure"), "{}: server.secure_cookies", s.name);
    }
}
