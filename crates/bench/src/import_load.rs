//! `kassa bench import-load`: the load test of issue 14 (finding 9). One
//! user uploads a generated bank CSV of `--rows` rows (500k by default),
//! which the server runs as a background job; meanwhile another user's
//! register page, `GET /api/v1/books/{book}/transactions`, is requested one
//! after another without pause, and each answer's latency is kept. The
//! baseline is the same page sampled for a few seconds before the upload,
//! with nothing else running: the rows print both and their ratio. The goal
//! is p99 ≤ 100 ms during the import, on SQLite and on PostgreSQL.
//!
//! The server is this binary's own `kassa serve` as a child on loopback
//! (`api::Server`), on a scratch database made for the run and dropped (or
//! deleted) after it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use kassa_app::books::{CreateAccount, CreateBook};
use kassa_app::imports::{ImportRequest, Upload};
use kassa_app::{App, Config};
use kassa_core::BookId;
use kassa_store::testing::TempDir;
use serde::Serialize;

use crate::Rng;
use crate::api::Server;

const PASSWORD: &str = "bench-password";
/// How long the page is sampled with nothing else running.
const IDLE: Duration = Duration::from_secs(3);

/// What the load test runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Rows of the uploaded file.
    pub rows: usize,
    /// Rows in the reader's book, whose newest 100 each request reads.
    pub reader_rows: usize,
    /// Also run on this PostgreSQL server (a scratch database is made and dropped).
    pub pg: Option<String>,
    /// Where the server listens during the run.
    pub bind: String,
}

/// One backend's run.
#[derive(Debug, Serialize)]
pub struct Row {
    backend: &'static str,
    rows: usize,
    /// From the upload's first byte to the job's end, seen by polling.
    import_s: String,
    /// Register pages read while the job ran.
    samples: usize,
    idle_p50_ms: String,
    idle_p99_ms: String,
    p50_ms: String,
    p95_ms: String,
    p99_ms: String,
    max_ms: String,
    /// p99 during the import over p99 with nothing else running.
    p99_ratio: String,
    /// Reads that were not a 200: anything but 0 fails the run.
    errors: usize,
    server_peak_rss_mb: String,
}

pub fn run(opts: &Options) -> anyhow::Result<Vec<Row>> {
    let mut rows = vec![];
    let dir = TempDir::new();
    let url = format!("sqlite://{}", dir.path().join("load.db").display());
    rows.push(measure("sqlite", &url, opts)?);
    if let Some(admin) = &opts.pg {
        let database = format!("kassa_bench_{}", uuid::Uuid::now_v7().simple());
        let mut client =
            postgres::Client::connect(admin, postgres::NoTls).with_context(|| format!("connecting to {admin}"))?;
        client.batch_execute(&format!("CREATE DATABASE \"{database}\""))?;
        let url = kassa_store::testing::with_database(admin, &database);
        let result = measure("postgres", &url, opts);
        client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"))?;
        rows.push(result?);
    }
    Ok(rows)
}

/// A user with a book holding the account `Checking`: their token and book.
fn person(app: &App, email: &str) -> anyhow::Result<(String, BookId)> {
    app.add_user("bench", email, PASSWORD, false)?;
    let token = app.login(email, PASSWORD, "bench")?.token;
    let actor = app.authenticate(&token)?;
    let book = BookId(app.create_book(&actor, &CreateBook { name: format!("{email} load"), org_id: None })?.id);
    let checking = CreateAccount {
        name: "Checking".into(),
        kind: "checking".into(),
        currency: "EUR".into(),
        iban: None,
        number: None,
        institution: None,
        location: None,
        opened_on: None,
    };
    app.create_account(&actor, book, &checking)?;
    Ok((token, book))
}

/// A bank CSV of `n` rows over ten years (seeded: the same file every run).
fn statement(n: usize, seed: u64) -> Vec<u8> {
    const SHOPS: [&str; 8] =
        ["REWE Markt", "Coffee Bar", "Stadtwerke", "DB Fernverkehr", "Apotheke", "Bakery", "Kino", "Buchladen"];
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(n * 40);
    out.push_str("Date,Description,Amount\n");
    for i in 0..n {
        let day = rng.below(3650) as i64;
        let date = jiff::civil::date(2015, 1, 1).checked_add(jiff::Span::new().days(day)).unwrap_or_default();
        let shop = SHOPS[rng.below(SHOPS.len() as u64) as usize];
        let cents = rng.below(20_000);
        out.push_str(&format!("{date},{shop} {i},-{}.{:02}\n", cents / 100, cents % 100));
    }
    out.into_bytes()
}

fn measure(backend: &'static str, url: &str, opts: &Options) -> anyhow::Result<Row> {
    let store: Arc<dyn kassa_store::Store> = Arc::from(kassa_store::open(url)?);
    store.migrate()?;
    let app = App::new(store, Config::default());
    let (importer, import_book) = person(&app, "importer@example.org")?;
    let (reader, read_book) = person(&app, "reader@example.org")?;
    let actor = app.authenticate(&reader)?;
    let history = Upload { name: "history.csv".into(), bytes: statement(opts.reader_rows, 2) };
    let req = ImportRequest { account: Some("Checking".into()), ..ImportRequest::default() };
    app.import(&actor, read_book, &[history], &req)?;
    drop(app);

    let server = Server::start(url, &opts.bind)?;
    let addr = opts.bind.as_str();
    let page = format!("/api/v1/books/{read_book}/transactions?limit=100");
    let read = |errors: &mut usize| -> anyhow::Result<f64> {
        let started = Instant::now();
        let (status, _) = request(addr, "GET", &page, &reader, &[], &[])?;
        *errors += usize::from(status != 200);
        Ok(started.elapsed().as_secs_f64() * 1000.0)
    };
    let mut errors = 0;
    let mut idle = vec![];
    let warm = Instant::now();
    while warm.elapsed() < IDLE {
        idle.push(read(&mut errors)?);
    }

    let bytes = statement(opts.rows, 1);
    eprintln!("{backend}: uploading {} rows ({:.1} MB)", opts.rows, bytes.len() as f64 / 1e6);
    let boundary = "kassa-bench-import-load";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"account\"\r\n\r\nChecking\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"load.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    drop(bytes);
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let headers = [("Content-Type", content_type.as_str()), ("Prefer", "respond-async")];
    let started = Instant::now();
    let (status, reply) =
        request(addr, "POST", &format!("/api/v1/books/{import_book}/imports"), &importer, &headers, &body)?;
    drop(body);
    if status != 202 {
        bail!("the upload was answered {status}, not 202: {reply}");
    }
    let job: serde_json::Value = serde_json::from_str(&reply).context("the job is not JSON")?;
    let location = format!("/api/v1/jobs/{}", job["id"].as_str().context("no job id")?);

    // Reads one after another; the job is polled every quarter second
    // between them (those polls are not counted).
    let mut during = vec![];
    let mut polled = Instant::now();
    let done = loop {
        during.push(read(&mut errors)?);
        if polled.elapsed() >= Duration::from_millis(250) {
            polled = Instant::now();
            let (_, text) = request(addr, "GET", &location, &importer, &[], &[])?;
            let job: serde_json::Value = serde_json::from_str(&text).context("the job is not JSON")?;
            if matches!(job["state"].as_str(), Some("done" | "failed")) {
                break job;
            }
        }
    };
    let import = started.elapsed();
    if done["state"] != "done" {
        bail!("the import job failed: {}", done["error"]);
    }
    let read_rows = done["result"][0]["rows"].as_u64().unwrap_or(0);
    if read_rows != opts.rows as u64 || done["result"][0]["error_count"] != 0 {
        bail!("the job read {read_rows} rows of {}: {}", opts.rows, done["result"][0]);
    }
    if errors > 0 {
        bail!("{errors} register reads failed during the run");
    }
    let rss = crate::api::peak_rss_kib(server.pid())? as f64 / 1024.0;
    drop(server);
    let (idle_p99, p99) = (percentile(&mut idle, 99.0), percentile(&mut during, 99.0));
    Ok(Row {
        backend,
        rows: opts.rows,
        import_s: format!("{:.1}", import.as_secs_f64()),
        samples: during.len(),
        idle_p50_ms: format!("{:.2}", percentile(&mut idle, 50.0)),
        idle_p99_ms: format!("{idle_p99:.2}"),
        p50_ms: format!("{:.2}", percentile(&mut during, 50.0)),
        p95_ms: format!("{:.2}", percentile(&mut during, 95.0)),
        p99_ms: format!("{p99:.2}"),
        max_ms: format!("{:.2}", percentile(&mut during, 100.0)),
        p99_ratio: format!("{:.1}", p99 / idle_p99.max(0.001)),
        errors,
        server_peak_rss_mb: format!("{rss:.1}"),
    })
}

/// The nearest-rank percentile `p` of `v` (sorted in place).
fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// One HTTP/1.1 request on a connection of its own: the status and body.
fn request(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> anyhow::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut reply = Vec::new();
    s.read_to_end(&mut reply)?;
    let reply = String::from_utf8_lossy(&reply);
    let (head, body) = reply.split_once("\r\n\r\n").context("no HTTP reply")?;
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).context("no HTTP status")?;
    Ok((status, body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&mut v, 50.0), 50.0);
        assert_eq!(percentile(&mut v, 99.0), 99.0);
        assert_eq!(percentile(&mut v, 100.0), 100.0);
        assert_eq!(percentile(&mut [7.0], 99.0), 7.0);
    }

    #[test]
    fn the_statement_has_its_rows_and_is_the_same_every_time() {
        let s = statement(1000, 1);
        assert_eq!(s.iter().filter(|&&b| b == b'\n').count(), 1001);
        assert_eq!(s, statement(1000, 1));
    }
}
