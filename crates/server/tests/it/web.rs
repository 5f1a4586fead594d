//! The web pages through real HTTP on both backends: the login form and
//! its session cookie, redirects for anonymous visitors, the CSRF guard,
//! and a crawl of every page a signed-in user can reach that fails on any
//! reference to another origin.

use std::collections::{BTreeSet, VecDeque};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};

use kassa_app::books::CreateTransaction;
use kassa_core::BookId;
use kassa_server::web::{Nav, PLAN};

use crate::{PASSWORD, Server, checking, databases, test_config, user};

/// A browser-like client that does not follow redirects, so each hop is seen.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// Logs in through the form; returns the `Cookie` header value to send.
pub fn web_login(s: &Server, http: &reqwest::Client, email: &str) -> String {
    let r = s
        .run(
            http.post(format!("{}/login", s.base))
                .form(&[("email", email), ("password", PASSWORD), ("next", "/")])
                .send(),
        )
        .expect("login");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}: login redirects", s.name);
    let cookie = r.headers().get(SET_COOKIE).expect("session cookie").to_str().expect("ascii").to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    cookie.split(';').next().expect("name=value").to_string()
}

/// Every `href`, `src`, `action` and CSS `url(` value of a page, each with
/// whether a crawler may follow it with a GET (form targets may be POST-only).
fn references(html: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for (attr, follow) in [("href=\"", true), ("src=\"", true), ("action=\"", false), ("url(", false)] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find(['"', ')']).unwrap_or(rest.len());
            out.push((rest[..end].to_string(), follow));
        }
    }
    out
}

/// Only the SVG namespace may look like an absolute URL.
fn external(r: &str) -> bool {
    let r = r.trim().to_ascii_lowercase();
    (r.starts_with("http:") || r.starts_with("https:") || r.starts_with("//")) && r != "http://www.w3.org/2000/svg"
}

#[test]
fn login_form_sets_a_session_and_logout_ends_it() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let http = client();
        s.app.add_user("test", "web@example.org", PASSWORD, false).expect("user");

        let r = s.run(http.get(format!("{}/login?next=/reports", s.base)).send()).expect("get");
        assert_eq!(r.status(), StatusCode::OK);
        let csp = r.headers().get(CONTENT_SECURITY_POLICY).expect("csp").to_str().expect("ascii").to_string();
        assert!(csp.contains("default-src 'none'") && csp.contains("style-src 'self'"), "{csp}");
        let html = s.run(r.text()).expect("html");
        assert!(html.contains(r#"name="email""#) && html.contains(r#"name="password""#), "{html}");
        assert!(html.contains(r#"value="/reports""#), "the form keeps where to go next");

        let bad = s
            .run(
                http.post(format!("{}/login", s.base))
                    .form(&[("email", "web@example.org"), ("password", "wrong")])
                    .send(),
            )
            .expect("post");
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED, "{}", s.name);
        assert!(bad.headers().get(SET_COOKIE).is_none());
        assert!(s.run(bad.text()).expect("html").contains("invalid email or password"));

        // Only local paths are followed after login.
        let r = s
            .run(
                http.post(format!("{}/login", s.base))
                    .form(&[("email", "web@example.org"), ("password", PASSWORD), ("next", "//evil.example/")])
                    .send(),
            )
            .expect("post");
        assert_eq!(r.headers().get(LOCATION).expect("location"), "/");

        let cookie = web_login(&s, &http, "web@example.org");
        // The cookie is an API credential too.
        let me = s.run(http.get(format!("{}/api/v1/me", s.base)).header("cookie", &cookie).send()).expect("me");
        assert_eq!(me.status(), StatusCode::OK);

        let out = s.run(http.post(format!("{}/logout", s.base)).header("cookie", &cookie).send()).expect("logout");
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        assert!(out.headers().get(SET_COOKIE).expect("cleared").to_str().expect("ascii").contains("Max-Age=0"));
        let me = s.run(http.get(format!("{}/api/v1/me", s.base)).header("cookie", &cookie).send()).expect("me");
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "logout revoked the session token");
    }
}

#[test]
fn anonymous_pages_redirect_to_login_and_cross_site_posts_are_refused() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let http = client();
        let r = s.run(http.get(format!("{}/?book=x", s.base)).send()).expect("get");
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", s.name);
        assert_eq!(r.headers().get(LOCATION).expect("location"), "/login?next=/%3Fbook%3Dx");

        s.app.add_user("test", "web@example.org", PASSWORD, false).expect("user");
        let cookie = web_login(&s, &http, "web@example.org");
        let forged = s
            .run(
                http.post(format!("{}/logout", s.base))
                    .header("cookie", &cookie)
                    .header("sec-fetch-site", "cross-site")
                    .send(),
            )
            .expect("post");
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "CSRF: a cross-site form post is refused");
        let me = s.run(http.get(format!("{}/api/v1/me", s.base)).header("cookie", &cookie).send()).expect("me");
        assert_eq!(me.status(), StatusCode::OK, "the forged logout did nothing");
    }
}

/// Visits every page reachable by links from `/` (GET only, each path once
/// without its query) and checks each answers 200 with HTML that names no
/// other origin. Returns the paths visited.
pub fn crawl(s: &Server, http: &reqwest::Client, cookie: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/".to_string(), "/static/kassa.css".to_string()]);
    while let Some(url) = queue.pop_front() {
        let path = url.split(['?', '#']).next().unwrap_or("/").to_string();
        if !seen.insert(path.clone()) || seen.len() > 200 {
            continue;
        }
        let r = s.run(http.get(format!("{}{url}", s.base)).header("cookie", cookie).send()).expect("get");
        assert_eq!(r.status(), StatusCode::OK, "{}: GET {url}", s.name);
        let body = s.run(r.text()).expect("body");
        for (reference, follow) in references(&body) {
            assert!(!external(&reference), "{}: {url} refers to another origin: {reference}", s.name);
            if follow && reference.starts_with('/') && !reference.starts_with("/api/") {
                queue.push_back(reference.replace("&amp;", "&"));
            }
        }
    }
    seen
}

#[test]
fn no_page_loads_anything_from_another_origin() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let http = client();
        let (actor, _) = user(&s.app, "web@example.org", true);
        let book = BookId(s.app.list_books(&actor).expect("books")[0].id);
        let account = s.app.create_account(&actor, book, &checking("Checking")).expect("account");
        let tx = CreateTransaction {
            account_id: account.id,
            date: "2024-03-05".into(),
            amount: "-12.50".into(),
            description: "Coffee <b>& cake</b>".into(),
            category: None,
            counterparty: None,
            bucket: None,
        };
        s.app.create_transaction(&actor, book, &tx).expect("transaction");
        let cookie = web_login(&s, &http, "web@example.org");
        let seen = crawl(&s, &http, &cookie);
        // Every page of the navigation is reachable by links, the admin's too.
        let mut expected: Vec<String> = Nav::MAIN.iter().map(|(_, href, _)| href.to_string()).collect();
        // The Budgets area's tabs reach the pages the top bar leaves out.
        let plan = PLAN.iter().map(|(href, _)| href.to_string());
        expected.extend(plan.chain(["/admin".to_string(), format!("/accounts/{}", account.id)]));
        for path in expected {
            assert!(seen.contains(&path), "{}: {path} not reached; crawled {seen:?}", s.name);
        }
    }
}
