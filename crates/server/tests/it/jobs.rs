//! Background import jobs (issue 14, finding 9) through real HTTP on both
//! backends: 202 with `Location`, polled to done with the balances a
//! synchronous import gives; a large upload becomes a job by itself; jobs
//! are their owner's; a failing job stores nothing and says why; a restart
//! fails the jobs a dead process left; on SQLite a second writer during a
//! job is told which job holds the database, while readers go on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kassa_app::books::CreateBook;
use kassa_app::{App, SystemClock};
use kassa_core::BookId;
use kassa_store::jobs::{JobRow, JobState};
use kassa_store::testing::TestDb;
use reqwest::{StatusCode, header};
use serde_json::Value;

use crate::{Server, checking, databases, multipart, test_config, user};

const STATEMENT: &[u8] = include_bytes!("../data/statement.csv");
const BAD: &[u8] = include_bytes!("../data/bad.csv");

/// A server with `limits` (the fixture's own: `Server::start` serves the defaults).
fn serve(db: TestDb, limits: kassa_server::HttpLimits) -> Server {
    let store: Arc<dyn kassa_store::Store> = Arc::from(kassa_store::open(&db.url).expect("open"));
    let app = App::with_clock(store, test_config(), Arc::new(SystemClock));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let served = app.clone();
    rt.spawn(async move {
        let proxies = kassa_server::Proxies::default();
        kassa_server::serve(listener, served, limits, proxies, std::future::pending()).await.expect("serve");
    });
    let http = reqwest::Client::builder().no_proxy().build().expect("client");
    Server { base, app, http, name: db.name, rt, _db: db }
}

/// A user with a book holding the account `Checking`.
struct Owner {
    token: String,
    book: BookId,
}

fn owner(s: &Server, email: &str) -> Owner {
    let (actor, token) = user(&s.app, email, false);
    let book =
        BookId(s.app.create_book(&actor, &CreateBook { name: format!("{email}'s"), org_id: None }).expect("book").id);
    s.app.create_account(&actor, book, &checking("Checking")).expect("account");
    Owner { token, book }
}

fn read(s: &Server, r: reqwest::Response) -> (StatusCode, header::HeaderMap, Value) {
    let (status, headers) = (r.status(), r.headers().clone());
    let text = s.run(r.text()).expect("body");
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn upload(s: &Server, o: &Owner, file: &[u8], prefer_async: bool) -> (StatusCode, header::HeaderMap, Value) {
    let (ct, body) =
        multipart("b0undary", &[("file", Some("statement.csv"), file), ("account", None, b"Checking".as_slice())]);
    let mut req = s
        .http
        .post(format!("{}/api/v1/books/{}/imports", s.base, o.book))
        .bearer_auth(&o.token)
        .header("content-type", ct)
        .body(body);
    if prefer_async {
        req = req.header("prefer", "respond-async");
    }
    read(s, s.run(req.send()).expect("send"))
}

fn get(s: &Server, token: &str, path: &str) -> (StatusCode, Value) {
    let (st, _, v) = read(s, s.run(s.http.get(format!("{}{path}", s.base)).bearer_auth(token).send()).expect("send"));
    (st, v)
}

/// Polls the job at `location` until it has ended.
fn finished(s: &Server, token: &str, location: &str) -> Value {
    let start = Instant::now();
    loop {
        let (st, job) = get(s, token, location);
        assert_eq!(st, StatusCode::OK, "{}: {job}", s.name);
        if matches!(job["state"].as_str(), Some("done" | "failed")) {
            return job;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{}: the job never ended: {job}", s.name);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The book's accounts with their balances, by name.
fn balances(s: &Server, o: &Owner) -> Vec<(String, String)> {
    let (st, accounts) = get(s, &o.token, &format!("/api/v1/books/{}/accounts", o.book));
    assert_eq!(st, StatusCode::OK, "{accounts}");
    let mut out: Vec<(String, String)> = accounts
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| (a["name"].as_str().unwrap_or("").into(), a["balance"].to_string()))
        .collect();
    out.sort();
    out
}

fn events(s: &Server, o: &Owner) -> usize {
    let (st, page) = get(s, &o.token, &format!("/api/v1/events?book={}&limit=1000", o.book));
    assert_eq!(st, StatusCode::OK, "{page}");
    page["items"].as_array().expect("items").len()
}

#[test]
fn an_async_upload_is_a_job_polled_to_the_balances_of_a_synchronous_import() {
    for db in databases() {
        let s = serve(db, kassa_server::HttpLimits::default());
        let name = s.name;
        let (sync, job_owner) = (owner(&s, "sync@example.org"), owner(&s, "job@example.org"));
        let (st, _, out) = upload(&s, &sync, STATEMENT, false);
        assert_eq!(st, StatusCode::CREATED, "{name}: {out}");

        let (st, headers, job) = upload(&s, &job_owner, STATEMENT, true);
        assert_eq!(st, StatusCode::ACCEPTED, "{name}: {job}");
        let location = headers[header::LOCATION].to_str().expect("location").to_string();
        assert_eq!(location, format!("/api/v1/jobs/{}", job["id"].as_str().expect("id")), "{name}");
        assert_eq!(job["kind"], "import", "{name}");
        assert_eq!(headers["preference-applied"], "respond-async", "{name}");
        assert!(matches!(job["state"].as_str(), Some("queued" | "running" | "done")), "{name}: {job}");
        assert_eq!(job["rows_total"], 5, "{name}: the estimate counts the file's rows: {job}");

        let done = finished(&s, &job_owner.token, &location);
        assert_eq!(done["state"], "done", "{name}: {done}");
        assert_eq!(done["rows_done"], 5, "{name}: {done}");
        assert!(done["error"].is_null() && done["finished_at"].is_string(), "{name}: {done}");
        let result = &done["result"][0];
        assert_eq!((result["new"].as_u64(), result["file"].as_str()), (Some(5), Some("statement.csv")), "{name}");
        assert_eq!((result["new"].clone(), result["rows"].clone()), (out[0]["new"].clone(), out[0]["rows"].clone()));
        assert_eq!(balances(&s, &job_owner), balances(&s, &sync), "{name}: a job imports what a request does");

        let (st, list) = get(&s, &job_owner.token, "/api/v1/jobs");
        assert_eq!(st, StatusCode::OK, "{name}: {list}");
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{name}: {list}");
        assert_eq!(list[0]["id"], done["id"], "{name}");
    }
}

#[test]
fn a_large_upload_becomes_a_job_by_itself() {
    for db in databases() {
        // Five rows are "large" at a threshold of four.
        let limits = kassa_server::HttpLimits { import_job_rows: 4, ..kassa_server::HttpLimits::default() };
        let s = serve(db, limits);
        let o = owner(&s, "ann@example.org");
        let (st, headers, job) = upload(&s, &o, STATEMENT, false);
        assert_eq!(st, StatusCode::ACCEPTED, "{}: {job}", s.name);
        assert!(!headers.contains_key("preference-applied"), "{}: not asked for", s.name);
        let done = finished(&s, &o.token, headers[header::LOCATION].to_str().expect("location"));
        assert_eq!(done["result"][0]["new"], 5, "{}: {done}", s.name);

        // Below both thresholds an upload is answered in its request.
        let limits = kassa_server::HttpLimits { import_job_bytes: STATEMENT.len(), ..limits };
        assert!(!kassa_server::jobs::large(
            &[kassa_app::imports::Upload { name: "a.csv".into(), bytes: STATEMENT[..60].to_vec() }],
            &limits
        ));
    }
}

#[test]
fn a_job_is_its_owners_alone() {
    for db in databases() {
        let s = serve(db, kassa_server::HttpLimits::default());
        let (ann, bob) = (owner(&s, "ann@example.org"), owner(&s, "bob@example.org"));
        let (st, headers, _) = upload(&s, &ann, STATEMENT, true);
        assert_eq!(st, StatusCode::ACCEPTED, "{}", s.name);
        let location = headers[header::LOCATION].to_str().expect("location").to_string();
        finished(&s, &ann.token, &location);
        let (st, body) = get(&s, &bob.token, &location);
        assert_eq!(st, StatusCode::NOT_FOUND, "{}: another user's job is not there: {body}", s.name);
        let (st, list) = get(&s, &bob.token, "/api/v1/jobs");
        assert_eq!((st, list), (StatusCode::OK, serde_json::json!([])), "{}", s.name);
        let (st, _) = get(&s, "not-a-token", &location);
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{}", s.name);
    }
}

#[test]
fn a_failing_job_stores_nothing_and_says_why() {
    for db in databases() {
        let s = serve(db, kassa_server::HttpLimits::default());
        let o = owner(&s, "ann@example.org");
        let before = events(&s, &o);
        let (st, headers, _) = upload(&s, &o, BAD, true);
        assert_eq!(st, StatusCode::ACCEPTED, "{}", s.name);
        let done = finished(&s, &o.token, headers[header::LOCATION].to_str().expect("location"));
        assert_eq!(done["state"], "failed", "{}: {done}", s.name);
        assert!(done["result"].is_null(), "{}: {done}", s.name);
        assert_eq!(done["error"]["code"], "bad_rows", "{}: {done}", s.name);
        let message = done["error"]["message"].as_str().expect("message");
        assert!(
            message.contains("statement.csv") && message.contains(":3:"),
            "{}: names file and line: {message}",
            s.name
        );
        assert_eq!(done["error"]["details"]["rows"][0]["line"], 3, "{}: {done}", s.name);
        assert_eq!(events(&s, &o), before, "{}: nothing stored", s.name);
        assert_eq!(balances(&s, &o), [("Checking".to_string(), "\"0.00\"".to_string())], "{}", s.name);
    }
}

/// A job row as a process that died while running it leaves it.
fn orphan(db: &TestDb, user: kassa_core::UserId, book: BookId, beat: jiff::Timestamp) -> uuid::Uuid {
    let id = kassa_app::clock::new_id();
    let row = JobRow {
        id,
        user,
        book,
        kind: "import".into(),
        state: JobState::Queued,
        rows_done: 0,
        rows_total: Some(790_000),
        result: None,
        created_at: beat,
        started_at: None,
        finished_at: None,
        heartbeat_at: beat,
    };
    db.store.job_create(&row).expect("job");
    assert!(db.store.job_start(id, beat).expect("start"));
    id
}

#[test]
fn a_restart_fails_the_jobs_a_dead_process_left() {
    for db in databases() {
        let name = db.name;
        // The user and book exist before the "restart".
        let before =
            App::with_clock(Arc::from(kassa_store::open(&db.url).expect("open")), test_config(), Arc::new(SystemClock));
        let (actor, token) = user(&before, "ann@example.org", false);
        let book = BookId(
            before.create_book(&actor, &CreateBook { name: "Household".into(), org_id: None }).expect("book").id,
        );
        drop(before);
        let (o, me) = (Owner { token, book }, actor.user_id);
        let long_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(600);
        let dead = orphan(&db, me, o.book, long_ago);
        // On PostgreSQL a job beating a moment ago may be another live
        // server's: it is left alone there. On SQLite no other process can
        // be running a job the starting server could not see.
        let alive = orphan(&db, me, o.book, jiff::Timestamp::now());

        let s = serve(db, kassa_server::HttpLimits::default());
        let (st, job) = get(&s, &o.token, &format!("/api/v1/jobs/{dead}"));
        assert_eq!(st, StatusCode::OK, "{name}: {job}");
        assert_eq!(job["state"], "failed", "{name}: {job}");
        assert_eq!(job["error"]["code"], "interrupted", "{name}: {job}");
        assert!(job["error"]["message"].as_str().unwrap_or("").contains("nothing of it was stored"), "{name}: {job}");
        let (_, job) = get(&s, &o.token, &format!("/api/v1/jobs/{alive}"));
        let expected = if name == "sqlite" { "failed" } else { "running" };
        assert_eq!(job["state"], expected, "{name}: {job}");
    }
}

/// A statement of `n` rows.
fn statement(n: usize) -> Vec<u8> {
    let mut out = String::from("Date,Description,Amount\n");
    for i in 0..n {
        out.push_str(&format!("2024-{:02}-{:02},Shop {i},-{}.{:02}\n", 1 + i % 12, 1 + i % 28, i % 90, i % 100));
    }
    out.into_bytes()
}

/// While a job runs on SQLite, another user's write is answered at once
/// with 503 `busy` naming the job, and their reads go on. The test's own
/// connection takes SQLite's lock as soon as the job is accepted: the job
/// cannot end (it must write its outcome) until the test lets go, so it
/// holds the write gate as long as the test needs, whichever step it is in.
#[test]
fn a_writer_during_a_job_is_told_which_job_holds_the_database() {
    for db in databases() {
        let lock = (db.name == "sqlite").then(|| {
            let path = db.url.strip_prefix("sqlite://").expect("path").to_string();
            let c = rusqlite::Connection::open(path).expect("open");
            c.busy_timeout(Duration::from_secs(60)).expect("busy timeout");
            c
        });
        let s = serve(db, kassa_server::HttpLimits::default());
        let name = s.name;
        let (ann, bob) = (owner(&s, "ann@example.org"), owner(&s, "bob@example.org"));
        let (st, headers, job) = upload(&s, &ann, &statement(2000), true);
        assert_eq!(st, StatusCode::ACCEPTED, "{name}: {job}");
        if let Some(c) = &lock {
            c.execute_batch("BEGIN IMMEDIATE").expect("lock");
        }
        let location = headers[header::LOCATION].to_str().expect("location").to_string();
        let (ct, body) = multipart("b0undary", &[("file", Some("s.csv"), STATEMENT), ("account", None, b"Checking")]);
        let second = s
            .http
            .post(format!("{}/api/v1/books/{}/imports", s.base, bob.book))
            .bearer_auth(&bob.token)
            .header("content-type", ct)
            .body(body);
        let started = Instant::now();
        let (st, headers, busy) = read(&s, s.run(second.send()).expect("send"));
        if let Some(lock) = &lock {
            assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{name}: {busy}");
            assert!(started.elapsed() < Duration::from_secs(3), "{name}: answered at once, not after write_wait");
            assert_eq!(busy["code"], "busy", "{name}: {busy}");
            let message = busy["message"].as_str().expect("message");
            assert!(message.contains(job["id"].as_str().expect("id")), "{name}: names the job: {message}");
            assert!(message.starts_with("busy, retry in "), "{name}: {message}");
            assert!(headers.contains_key(header::RETRY_AFTER), "{name}");
            assert_eq!(busy["details"]["job"], job["id"], "{name}");
            // Readers never wait for the writer.
            let (st, page) = get(&s, &bob.token, &format!("/api/v1/books/{}/transactions", bob.book));
            assert_eq!(st, StatusCode::OK, "{name}: {page}");
            let (st, running) = get(&s, &ann.token, &location);
            assert_eq!(st, StatusCode::OK, "{name}: {running}");
            assert!(matches!(running["state"].as_str(), Some("queued" | "running")), "{name}: {running}");
            lock.execute_batch("ROLLBACK").expect("unlock");
        } else {
            // PostgreSQL runs writers side by side.
            assert_eq!(st, StatusCode::CREATED, "{name}: {busy}");
        }
        let done = finished(&s, &ann.token, &location);
        assert_eq!(done["state"], "done", "{name}: {done}");
        // The gate is free again.
        let (st, _, out) = upload(&s, &bob, STATEMENT, false);
        assert_eq!(st, StatusCode::CREATED, "{name}: {out}");
    }
}

/// On the web, confirming a large upload starts a job and follows it on
/// `/import/jobs/{id}`, which reloads itself until the job has ended and
/// then links to the result the preview's page shows.
#[test]
fn a_large_web_import_follows_its_job_page_to_the_result() {
    for db in databases() {
        let limits = kassa_server::HttpLimits { import_job_rows: 4, ..kassa_server::HttpLimits::default() };
        let s = serve(db, limits);
        let name = s.name;
        let o = owner(&s, "ann@example.org");
        let http = crate::web::client();
        let cookie = crate::web::web_login(&s, &http, "ann@example.org");
        let post = |path: &str, ct: Option<String>, body: Vec<u8>| {
            let mut req = http.post(format!("{}{path}", s.base)).header("cookie", &cookie).body(body);
            if let Some(ct) = ct {
                req = req.header("content-type", ct);
            }
            s.run(req.send()).expect("send")
        };
        let (ct, body) =
            multipart("b0undary", &[("files", Some("statement.csv"), STATEMENT), ("account", None, b"Checking")]);
        let r = post(&format!("/import?book={}", o.book), Some(ct), body);
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{name}: the upload goes to its preview");
        let preview = r.headers()[header::LOCATION].to_str().expect("location").to_string();
        let r = post(&format!("{preview}/confirm"), None, vec![]);
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{name}");
        let page = r.headers()[header::LOCATION].to_str().expect("location").to_string();
        assert!(page.starts_with("/import/jobs/") && page.ends_with(&format!("?upload={}", &preview[8..])), "{page}");

        let start = Instant::now();
        let html = loop {
            let r = s.run(http.get(format!("{}{page}", s.base)).header("cookie", &cookie).send()).expect("get");
            assert_eq!(r.status(), StatusCode::OK, "{name}");
            let html = s.run(r.text()).expect("html");
            if !html.contains(r#"http-equiv="refresh""#) {
                break html;
            }
            assert!(html.contains("reloads itself"), "{name}: a running job's page says it reloads: {html}");
            assert!(start.elapsed() < Duration::from_secs(60), "{name}: the job never ended");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(html.contains("Imported: 5 rows"), "{name}: {html}");
        assert!(html.contains(&format!(r#"href="{preview}""#)), "{name}: links to the result: {html}");
        let r = s.run(http.get(format!("{}{preview}", s.base)).header("cookie", &cookie).send()).expect("get");
        let result = s.run(r.text()).expect("html");
        assert!(result.contains("Import result"), "{name}: the stash has the job's outcome: {result}");
        assert_eq!(balances(&s, &o), [("Checking".to_string(), "\"4950.10\"".to_string())], "{name}");
    }
}
