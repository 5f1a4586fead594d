//! The operations endpoints of `kassa serve` through real HTTP (issue 19),
//! on SQLite and PostgreSQL: `/healthz` and `/readyz` (503 with a reason
//! once a migration is missing), `/metrics` read by a real Prometheus
//! text-format parser (`prometheus-parse`), its access rule (loopback only,
//! or a bearer token), and the log written to a daily file as JSON.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use kassa_store::testing::{self, TempDir, TestDb};
use prometheus_parse::{LineInfo, Scrape, Value};
use reqwest::StatusCode;
use serde_json::json;

const EMAIL: &str = "ops@example.org";
const PASSWORD: &str = "correct horse battery";

/// One `kassa serve` child, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(url: &str, config: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kassa"))
            .args(["--db", url, "--config"])
            .arg(config)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env_remove("KASSA_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kassa serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
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

struct Reply {
    status: StatusCode,
    content_type: String,
    body: String,
}

/// One request on a runtime of its own, with extra headers.
fn send(method: reqwest::Method, url: &str, headers: &[(&str, &str)], body: Option<(&str, Vec<u8>)>) -> Reply {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut req = http.request(method, url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some((ct, bytes)) = body {
            req = req.header("content-type", ct).body(bytes);
        }
        let resp = req.send().await.expect("send");
        let content_type =
            resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        Reply { status: resp.status(), content_type, body: resp.text().await.unwrap() }
    })
}

fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    send(reqwest::Method::GET, &format!("{base}{path}"), headers, None)
}

fn json_of(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

/// The scrape as a real Prometheus text parser reads it; every line of the
/// page must be one the format allows.
fn parse(page: &str) -> Scrape {
    for line in page.lines() {
        assert!(
            !matches!(LineInfo::parse(line), LineInfo::Ignored) || line.starts_with('#'),
            "not Prometheus text format: {line:?}"
        );
    }
    Scrape::parse(page.lines().map(|l| Ok(l.to_string()))).expect("a Prometheus text page")
}

/// The value of the sample named `metric` whose labels include `labels`.
fn sample<'a>(scrape: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<&'a Value> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| &s.value)
}

fn counter(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    match sample(scrape, metric, labels) {
        Some(Value::Counter(v) | Value::Untyped(v) | Value::Gauge(v)) => *v,
        other => panic!("{metric} {labels:?}: {other:?}"),
    }
}

fn write_config(dir: &Path, extra: &str) -> std::path::PathBuf {
    let path = dir.join("kassa.toml");
    std::fs::write(&path, extra).unwrap();
    path
}

fn add_user(url: &str) {
    let mut add = Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(["--db", url, "user", "add", EMAIL, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(PASSWORD.as_bytes()).unwrap();
    assert!(add.wait().unwrap().success());
}

/// Logs in, opens an account and imports a CSV of `rows` rows through the
/// API, so the import metrics have something to count.
fn import_through_the_api(base: &str, rows: usize) {
    let login = send(
        reqwest::Method::POST,
        &format!("{base}/api/v1/auth/login"),
        &[],
        Some(("application/json", json!({"email": EMAIL, "password": PASSWORD}).to_string().into_bytes())),
    );
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let token = json_of(&login)["token"].as_str().unwrap().to_string();
    let auth = format!("Bearer {token}");
    let books = json_of(&get(base, "/api/v1/books", &[("authorization", &auth)]));
    let book = books[0]["id"].as_str().unwrap().to_string();
    let account = send(
        reqwest::Method::POST,
        &format!("{base}/api/v1/books/{book}/accounts"),
        &[("authorization", &auth)],
        Some((
            "application/json",
            json!({"name": "Checking", "kind": "checking", "currency": "EUR"}).to_string().into_bytes(),
        )),
    );
    assert_eq!(account.status, StatusCode::CREATED, "{}", account.body);
    let mut csv = String::from("Date,Description,Amount,Currency\n");
    for i in 0..rows {
        csv.push_str(&format!("2024-05-{:02},Ops shop {i},-{}.50,EUR\n", 1 + i % 28, 1 + i));
    }
    let boundary = "ops-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ops.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"account\"\r\n\r\nChecking\r\n--{boundary}--\r\n"
    )
    .into_bytes();
    body.shrink_to_fit();
    let ct = format!("multipart/form-data; boundary={boundary}");
    let imported = send(
        reqwest::Method::POST,
        &format!("{base}/api/v1/books/{book}/imports"),
        &[("authorization", &auth)],
        Some((&ct, body)),
    );
    assert!(imported.status.is_success(), "{}: {}", imported.status, imported.body);
}

fn databases() -> Vec<TestDb> {
    std::iter::once(testing::sqlite()).chain(testing::postgres()).collect()
}

/// Removes the newest migration's row from the migration ledger, as a
/// database restored from an older kassa would look.
fn forget_last_migration(db: &TestDb) {
    let sql = "DELETE FROM kassa_migrations WHERE version = (SELECT MAX(version) FROM kassa_migrations)";
    let out = if db.name == "sqlite" {
        Command::new("sqlite3").arg(db.url.strip_prefix("sqlite://").unwrap()).arg(sql).output()
    } else {
        Command::new("psql").args([db.url.as_str(), "-qc", sql]).output()
    }
    .expect("sqlite3 / psql");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn health_readiness_metrics_and_logs_through_real_http() {
    for db in databases() {
        let dir = TempDir::new();
        let logs = dir.path().join("logs");
        let config =
            write_config(dir.path(), &format!("[log]\nformat = \"json\"\ndir = {:?}\n", logs.display().to_string()));
        add_user(&db.url);
        let server = Server::start(&db.url, &config);
        let base = &server.base;

        let health = get(base, "/healthz", &[]);
        assert_eq!((health.status, json_of(&health)), (StatusCode::OK, json!({"status": "ok"})), "{}", db.name);
        let ready = get(base, "/readyz", &[]);
        assert_eq!((ready.status, json_of(&ready)), (StatusCode::OK, json!({"status": "ready"})), "{}", db.name);
        for _ in 0..4 {
            assert_eq!(get(base, "/healthz", &[]).status, StatusCode::OK);
        }
        assert_eq!(get(base, "/no/such/page/123", &[]).status, StatusCode::NOT_FOUND);
        import_through_the_api(base, 25);

        let page = get(base, "/metrics", &[]);
        assert_eq!(page.status, StatusCode::OK, "{}: {}", db.name, page.body);
        assert!(page.content_type.starts_with("text/plain; version=0.0.4"), "{}", page.content_type);
        let scrape = parse(&page.body);
        let healthz = [("route", "/healthz"), ("method", "GET"), ("status", "200")];
        assert_eq!(counter(&scrape, "kassa_http_requests_total", &healthz), 5.0, "{}", db.name);
        // Route templates, never paths with ids; unmatched paths in one series.
        let imports = [("route", "/api/v1/books/:book/imports"), ("method", "POST")];
        assert_eq!(counter(&scrape, "kassa_http_requests_total", &imports), 1.0);
        assert_eq!(counter(&scrape, "kassa_http_requests_total", &[("route", "unmatched"), ("status", "404")]), 1.0);
        assert!(!page.body.contains("/no/such/page"), "a raw path became a label");
        match sample(&scrape, "kassa_http_request_duration_seconds", &[("route", "/healthz")]) {
            Some(Value::Histogram(buckets)) => {
                assert!(buckets.len() > 5, "{buckets:?}");
                let last = buckets.iter().map(|b| b.count).fold(0.0, f64::max);
                assert_eq!(last, 5.0, "every /healthz request in the +Inf bucket: {buckets:?}");
            }
            other => panic!("no latency histogram for /healthz: {other:?}"),
        }
        assert_eq!(counter(&scrape, "kassa_import_rows_total", &[("outcome", "stored")]), 25.0, "{}", db.name);
        assert!(
            matches!(
                sample(&scrape, "kassa_import_duration_seconds", &[("outcome", "stored")]),
                Some(Value::Histogram(_))
            ),
            "{}",
            page.body
        );
        let position = counter(&scrape, "kassa_event_log_position", &[]);
        let newest = testing_newest_position(&db);
        assert_eq!(position, newest as f64, "{}", db.name);

        // A missing migration: not ready, and why.
        forget_last_migration(&db);
        let ready = get(base, "/readyz", &[]);
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{}", db.name);
        let reason = json_of(&ready);
        assert_eq!(reason["status"], "not_ready");
        assert!(reason["reason"].as_str().unwrap().contains("migrations are not applied: 00"), "{reason}");
        assert_eq!(get(base, "/healthz", &[]).status, StatusCode::OK, "alive all the same");
        drop(server);

        // The log went to today's file too, one JSON object per line.
        let files: Vec<_> = std::fs::read_dir(&logs).unwrap().map(|e| e.unwrap().path()).collect();
        let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(name, format!("kassa.{today}.log"));
        let text = std::fs::read_to_string(&files[0]).unwrap();
        let lines: Vec<serde_json::Value> =
            text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
        // At `info` the request log holds the failures: the 503 of /readyz.
        assert!(
            lines.iter().any(|l| l["span"]["uri"] == "/readyz" && l["level"] == "ERROR"),
            "the failed /readyz is not in the log file: {text}"
        );
    }
}

fn testing_newest_position(db: &TestDb) -> i64 {
    db.store.tail(1).unwrap().last().map_or(0, |e| e.position)
}

#[test]
fn metrics_answer_loopback_or_the_configured_token_only() {
    let db = testing::sqlite();
    let dir = TempDir::new();
    // A trusted proxy on loopback forwarding a client from elsewhere: that
    // client is judged, not the proxy's loopback address.
    let config = write_config(dir.path(), "[server]\ntrusted_proxies = [\"127.0.0.1\"]\n");
    let server = Server::start(&db.url, &config);
    assert_eq!(get(&server.base, "/metrics", &[]).status, StatusCode::OK);
    let forwarded = get(&server.base, "/metrics", &[("x-forwarded-for", "203.0.113.7")]);
    assert_eq!(forwarded.status, StatusCode::FORBIDDEN, "{}", forwarded.body);
    assert!(forwarded.body.contains("metrics_token"), "{}", forwarded.body);
    assert_eq!(get(&server.base, "/healthz", &[("x-forwarded-for", "203.0.113.7")]).status, StatusCode::OK);
    drop(server);

    let config = write_config(dir.path(), "[server]\nmetrics_token = \"s3cret-scrape-token\"\n");
    let server = Server::start(&db.url, &config);
    let none = get(&server.base, "/metrics", &[]);
    assert_eq!(none.status, StatusCode::UNAUTHORIZED, "a token is asked for even on loopback: {}", none.body);
    let wrong = get(&server.base, "/metrics", &[("authorization", "Bearer s3cret-scrape-tokem")]);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let right = get(&server.base, "/metrics", &[("authorization", "Bearer s3cret-scrape-token")]);
    assert_eq!(right.status, StatusCode::OK);
    parse(&right.body);
    // `--print-config` never shows it.
    let printed = Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(["--db", &db.url, "--config"])
        .arg(&config)
        .args(["serve", "--print-config"])
        .output()
        .unwrap();
    let printed = String::from_utf8(printed.stdout).unwrap();
    assert!(printed.contains("metrics_token = \"[redacted]\"") && !printed.contains("s3cret"), "{printed}");
}
