//! Two `kassa serve` processes on one PostgreSQL database (issue 13): the
//! same `Idempotency-Key` sent to both at once makes one write and gets the
//! same reply twice; a web import previewed through one is confirmed
//! through the other; failed logins count across both; a logout through one
//! is honoured by the other before its access cache would have expired.
//! Needs `KASSA_TEST_PG` (skipped loudly without, required under
//! `KASSA_REQUIRE_PG=1`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier, mpsc};
use std::time::{Duration, Instant};

use kassa_store::testing;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const EMAIL: &str = "ann@example.org";
const PASSWORD: &str = "correct horse battery";

/// One `kassa serve` child, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(url: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kassa"))
            .args(["--db", url, "serve", "--bind", "127.0.0.1:0"])
            .env("KASSA_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kassa serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        // Read to the end, so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("kassa listening on ") {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_string());
                }
            }
        });
        let base = rx.recv_timeout(Duration::from_secs(60)).expect("kassa serve did not start");
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a request got back.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reply {
    status: StatusCode,
    body: String,
    /// Whether it carried `Idempotent-Replayed`.
    replayed: bool,
    location: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A request's parts beyond method and URL.
#[derive(Default, Clone)]
struct Extra {
    token: Option<String>,
    cookie: Option<String>,
    key: Option<String>,
    /// Content type and bytes.
    body: Option<(String, Vec<u8>)>,
}

/// Sends one request on a runtime of its own (each test thread has one),
/// following no redirect.
fn send(base: &str, method: Method, path: &str, extra: Extra) -> Reply {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let http =
            reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let mut req = http.request(method, format!("{base}{path}"));
        if let Some((content_type, bytes)) = extra.body {
            req = req.header("content-type", content_type).body(bytes);
        }
        if let Some(t) = extra.token {
            req = req.bearer_auth(t);
        }
        if let Some(c) = extra.cookie {
            req = req.header("cookie", c);
        }
        if let Some(k) = extra.key {
            req = req.header("idempotency-key", k);
        }
        let resp = req.send().await.expect("send");
        let replayed = resp.headers().contains_key("idempotent-replayed");
        let location = resp.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string();
        Reply { status: resp.status(), replayed, location, body: resp.text().await.expect("body") }
    })
}

/// An API call as `token`, with a JSON body unless it is null.
fn api(base: &str, method: Method, path: &str, token: Option<&str>, body: Value) -> Reply {
    let body = (!body.is_null()).then(|| ("application/json".to_string(), body.to_string().into_bytes()));
    send(base, method, path, Extra { token: token.map(str::to_string), body, ..Extra::default() })
}

fn login(base: &str, password: &str) -> Reply {
    api(base, Method::POST, "/api/v1/auth/login", None, json!({"email": EMAIL, "password": password}))
}

/// A logged-in session's web cookie.
fn session(base: &str) -> String {
    let t = login(base, PASSWORD);
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    format!("kassa_session={}", t.json()["token"].as_str().expect("token"))
}

/// The web import form with one file, as a browser sends it.
fn import_form(name: &str, bytes: &[u8], account: &str) -> (String, Vec<u8>) {
    let boundary = "two-servers-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(
        format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"account\"\r\n\r\n{account}\r\n--{boundary}--\r\n")
            .as_bytes(),
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn two_servers_on_one_postgres_share_their_state() {
    let Some(db) = testing::postgres() else { return };
    let mut add = Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(["--db", &db.url, "user", "add", EMAIL, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("kassa user add");
    add.stdin.take().expect("stdin").write_all(PASSWORD.as_bytes()).expect("password");
    assert!(add.wait().expect("user add").success());
    let servers = [Server::start(&db.url), Server::start(&db.url)];
    let (a, b) = (servers[0].base.clone(), servers[1].base.clone());

    let cookie = session(&a);
    let token = cookie.trim_start_matches("kassa_session=").to_string();
    let books = api(&a, Method::GET, "/api/v1/books", Some(&token), json!(null)).json();
    let book = books[0]["id"].as_str().expect("book").to_string();
    let account = json!({"name": "Checking", "kind": "checking", "currency": "EUR"});
    let acc = api(&a, Method::POST, &format!("/api/v1/books/{book}/accounts"), Some(&token), account);
    assert_eq!(acc.status, StatusCode::CREATED, "{}", acc.body);
    let account = acc.json()["id"].as_str().expect("account").to_string();
    let count = |base: &str| {
        let page =
            api(base, Method::GET, &format!("/api/v1/books/{book}/transactions?limit=100"), Some(&token), json!(null));
        page.json()["items"].as_array().expect("items").len()
    };

    // The same key to both servers at once, a few times over: one write
    // each time, and the same reply from both.
    let rounds = 5;
    for round in 0..rounds {
        let barrier = Arc::new(Barrier::new(2));
        let body = json!({"account_id": account, "date": "2024-02-03", "amount": format!("-{round}.50"), "description": "Race"});
        let path = format!("/api/v1/books/{book}/transactions");
        let key = format!("race-{round}");
        let threads: Vec<_> = [a.clone(), b.clone()]
            .into_iter()
            .map(|base| {
                let (barrier, body, path, key, token) =
                    (barrier.clone(), body.clone(), path.clone(), key.clone(), token.clone());
                let body = Some(("application/json".to_string(), body.to_string().into_bytes()));
                let extra = Extra { token: Some(token), key: Some(key), body, ..Extra::default() };
                std::thread::spawn(move || {
                    barrier.wait();
                    send(&base, Method::POST, &path, extra)
                })
            })
            .collect();
        let replies: Vec<Reply> = threads.into_iter().map(|t| t.join().expect("thread")).collect();
        assert_eq!(replies[0].status, StatusCode::CREATED, "round {round}: {}", replies[0].body);
        let same = |r: &Reply| (r.status, r.body.clone());
        assert_eq!(same(&replies[0]), same(&replies[1]), "round {round}: the same reply");
        assert_eq!(replies.iter().filter(|r| r.replayed).count(), 1, "round {round}: one made, one replayed");
    }
    assert_eq!(count(&b), rounds, "one transaction per key");
    let trail = api(&b, Method::GET, &format!("/api/v1/events?book={book}&limit=1000"), Some(&token), json!(null));
    let recorded =
        trail.json()["items"].as_array().expect("items").iter().filter(|e| e["type"] == "transaction_recorded").count();
    assert_eq!(recorded, rounds, "one event per key: {}", trail.body);

    // A web import previewed through one server is confirmed through the other.
    let form = import_form("shop.csv", include_bytes!("data/browser-import.csv"), "Checking");
    let web = |cookie: &str, body| Extra { cookie: Some(cookie.to_string()), body, ..Extra::default() };
    let up = send(&a, Method::POST, "/import", web(&cookie, Some(form)));
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    let preview = send(&b, Method::GET, &up.location, web(&cookie, None));
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("nothing has been stored yet"), "{}", preview.body);
    let confirm = send(&b, Method::POST, &format!("{}/confirm", up.location), web(&cookie, None));
    assert_eq!(confirm.status, StatusCode::SEE_OTHER, "{}", confirm.body);
    assert_eq!(count(&a), rounds + 3, "the file's three rows");
    let again = send(&a, Method::POST, &format!("{}/confirm", up.location), web(&cookie, None));
    assert_eq!(again.status, StatusCode::NOT_FOUND, "a second confirm, on the first server, imports nothing");

    // A logout through one server is honoured by the other well within its
    // cache's 2 s: the access epoch moved.
    let me = |base: &str| api(base, Method::GET, "/api/v1/me", Some(&token), json!(null)).status;
    assert_eq!(me(&b), StatusCode::OK);
    assert_eq!(api(&a, Method::POST, "/api/v1/auth/logout", Some(&token), json!(null)).status, StatusCode::NO_CONTENT);
    let start = Instant::now();
    while me(&b) != StatusCode::UNAUTHORIZED {
        assert!(start.elapsed() < Duration::from_millis(1500), "server B still takes the revoked token");
        std::thread::sleep(Duration::from_millis(20));
    }

    // Five failures, alternating between the servers, lock the account on both.
    for i in 0..5 {
        let base = if i % 2 == 0 { &a } else { &b };
        assert_eq!(login(base, "wrong password").status, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    for base in [&a, &b] {
        let r = login(base, PASSWORD);
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{base}: {}", r.body);
    }
}
