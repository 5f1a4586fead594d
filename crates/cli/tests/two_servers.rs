//! Two `kassa serve` processes on one PostgreSQL database (issue 13): the
//! same `Idempotency-Key` sent to both at once makes one write and gets the
//! same reply twice; failed logins count across both; a logout through one
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

/// A reply: status, body text, whether it was replayed.
type Reply = (StatusCode, String, bool);

/// Sends one request on a runtime of its own (each test thread has one).
fn send(base: &str, method: Method, path: &str, token: Option<&str>, body: Value, key: Option<&str>) -> Reply {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let http = reqwest::Client::builder().no_proxy().build().expect("client");
        let mut req = http.request(method.clone(), format!("{base}{path}"));
        if method != Method::GET {
            req = req.json(&body);
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let resp = req.send().await.expect("send");
        let replayed = resp.headers().contains_key("idempotent-replayed");
        (resp.status(), resp.text().await.expect("body"), replayed)
    })
}

fn json_of(reply: &Reply) -> Value {
    serde_json::from_str(&reply.1).unwrap_or_else(|e| panic!("{e}: {}", reply.1))
}

fn login(base: &str, password: &str) -> Reply {
    send(base, Method::POST, "/api/v1/auth/login", None, json!({"email": EMAIL, "password": password}), None)
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

    let t = login(&a, PASSWORD);
    assert_eq!(t.0, StatusCode::OK, "{}", t.1);
    let token = json_of(&t)["token"].as_str().expect("token").to_string();
    let books = json_of(&send(&a, Method::GET, "/api/v1/books", Some(&token), json!(null), None));
    let book = books[0]["id"].as_str().expect("book").to_string();
    let account = json!({"name": "Checking", "kind": "checking", "currency": "EUR"});
    let acc = send(&a, Method::POST, &format!("/api/v1/books/{book}/accounts"), Some(&token), account, None);
    assert_eq!(acc.0, StatusCode::CREATED, "{}", acc.1);
    let account = json_of(&acc)["id"].as_str().expect("account").to_string();

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
                std::thread::spawn(move || {
                    barrier.wait();
                    send(&base, Method::POST, &path, Some(&token), body, Some(&key))
                })
            })
            .collect();
        let replies: Vec<Reply> = threads.into_iter().map(|t| t.join().expect("thread")).collect();
        assert_eq!(replies[0].0, StatusCode::CREATED, "round {round}: {}", replies[0].1);
        assert_eq!((replies[0].0, &replies[0].1), (replies[1].0, &replies[1].1), "round {round}: the same reply");
        assert_eq!(replies.iter().filter(|r| r.2).count(), 1, "round {round}: one made, one replayed");
    }
    let page =
        send(&b, Method::GET, &format!("/api/v1/books/{book}/transactions?limit=100"), Some(&token), json!(null), None);
    assert_eq!(json_of(&page)["items"].as_array().expect("items").len(), rounds, "one transaction per key");
    let trail =
        send(&b, Method::GET, &format!("/api/v1/events?book={book}&limit=1000"), Some(&token), json!(null), None);
    let recorded = json_of(&trail)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["type"] == "transaction_recorded")
        .count();
    assert_eq!(recorded, rounds, "one event per key: {}", trail.1);

    // A logout through one server is honoured by the other well within its
    // cache's 2 s: the access epoch moved.
    assert_eq!(send(&b, Method::GET, "/api/v1/me", Some(&token), json!(null), None).0, StatusCode::OK);
    assert_eq!(
        send(&a, Method::POST, "/api/v1/auth/logout", Some(&token), json!(null), None).0,
        StatusCode::NO_CONTENT
    );
    let start = Instant::now();
    while send(&b, Method::GET, "/api/v1/me", Some(&token), json!(null), None).0 != StatusCode::UNAUTHORIZED {
        assert!(start.elapsed() < Duration::from_millis(1500), "server B still takes the revoked token");
        std::thread::sleep(Duration::from_millis(20));
    }

    // Five failures, alternating between the servers, lock the account on both.
    for i in 0..5 {
        let base = if i % 2 == 0 { &a } else { &b };
        assert_eq!(login(base, "wrong password").0, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    for base in [&a, &b] {
        let r = login(base, PASSWORD);
        assert_eq!(r.0, StatusCode::TOO_MANY_REQUESTS, "{base}: {}", r.1);
    }
}
