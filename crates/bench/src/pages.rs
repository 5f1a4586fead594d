//! `kassa bench pages`: how fast each web page answers on the demo data.
//! It seeds (or reuses) the demo in the database `--db` names, serves it
//! from this binary as a child process, logs each persona in and times
//! every page one request at a time — what one person clicking sees. The
//! baseline beside each page is the static stylesheet from the same server:
//! the cost of one HTTP request that reads no data.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::api::Server;

/// One page as one persona sees it.
#[derive(Debug, Serialize)]
pub struct Row {
    persona: &'static str,
    page: String,
    kib: String,
    median_ms: String,
    p95_ms: String,
    max_ms: String,
    /// The page's median over the stylesheet's.
    vs_static: String,
}

/// Who looks at which pages: each persona's own view of the dashboard.
const VISITS: &[(&str, &[&str])] = &[
    (
        "individual@demo.kassa",
        &[
            "/",
            "/accounts",
            "/accounts/{account}",
            "/transactions",
            "/transactions?q=rewe",
            "/import",
            "/reports?view=monthly",
            "/reports?view=yearly",
            "/reports?view=history",
            "/reports?view=cashflow",
            "/reports?view=trends",
            "/budgets",
            "/buckets",
            "/goals",
            "/recurring",
            "/settings",
        ],
    ),
    ("family@demo.kassa", &["/", "/accounts", "/transactions", "/reports?view=cashflow"]),
    ("company@demo.kassa", &["/", "/accounts", "/transactions", "/budgets", "/recurring", "/settings"]),
    ("alex@demo.kassa", &["/", "/transactions"]),
    ("admin@demo.kassa", &["/admin"]),
];

/// Seeds (or reuses) the demo in the database `url` names, serves it on
/// `bind` and times every page `runs` times after one warm-up request.
pub fn run(url: &str, runs: usize, bind: &str) -> anyhow::Result<Vec<Row>> {
    let app = kassa_demo::ensure(url)?;
    drop(app);
    let server = Server::start(url, bind)?;
    let (css, baseline) = time(bind, "/static/kassa.css", None, runs)?;
    let floor = median(&baseline);
    let mut rows = vec![row("anonymous", "/static/kassa.css", css, &baseline, floor)];
    let (bytes, login) = time(bind, "/login", None, runs)?;
    rows.push(row("anonymous", "/login", bytes, &login, floor));
    for (persona, pages) in VISITS {
        let token = login_token(bind, persona)?;
        let main = main_book(bind, &token)?;
        for page in *pages {
            let path = match &main {
                Some((book, account)) => {
                    let sep = if page.contains('?') { '&' } else { '?' };
                    format!("{}{sep}book={book}", page.replace("{account}", account))
                }
                // The platform admin's own book is empty: only /admin is visited.
                None => page.to_string(),
            };
            let (bytes, times) = time(bind, &path, Some(&token), runs)?;
            rows.push(row(short(persona), page, bytes, &times, floor));
        }
    }
    drop(server);
    Ok(rows)
}

fn short(persona: &'static str) -> &'static str {
    persona.split('@').next().unwrap_or(persona)
}

fn row(persona: &'static str, page: &str, bytes: usize, times: &[f64], floor: f64) -> Row {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let p95 = sorted[((sorted.len() * 95).div_ceil(100)).saturating_sub(1)];
    Row {
        persona,
        page: page.to_string(),
        kib: format!("{:.1}", bytes as f64 / 1024.0),
        median_ms: format!("{:.1}", median(times)),
        p95_ms: format!("{p95:.1}"),
        max_ms: format!("{:.1}", sorted.last().copied().unwrap_or_default()),
        vs_static: format!("{:.1}", median(times) / floor),
    }
}

/// The middle of `times` (the upper one of an even count).
pub(crate) fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// One request on a fresh connection, as a browser's first one: the status
/// line and body, or an error naming the page.
fn request(addr: &str, method: &str, path: &str, token: Option<&str>, body: &str) -> anyhow::Result<String> {
    let mut s = TcpStream::connect(addr)?;
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    let (head, body) = reply.split_once("\r\n\r\n").with_context(|| format!("{method} {path}: no HTTP reply"))?;
    if !head.starts_with("HTTP/1.1 200") {
        bail!("{method} {path}: {}", head.lines().next().unwrap_or_default());
    }
    Ok(body.to_string())
}

/// Times `runs` GETs of `path` after one warm-up: (body bytes, ms each).
pub(crate) fn time(addr: &str, path: &str, token: Option<&str>, runs: usize) -> anyhow::Result<(usize, Vec<f64>)> {
    let bytes = request(addr, "GET", path, token, "")?.len();
    let mut times = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        request(addr, "GET", path, token, "")?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((bytes, times))
}

fn login_token(addr: &str, email: &str) -> anyhow::Result<String> {
    login(addr, email, kassa_demo::PASSWORD)
}

/// An API token for `email`, logged in with `password`.
pub(crate) fn login(addr: &str, email: &str, password: &str) -> anyhow::Result<String> {
    let body = serde_json::json!({ "email": email, "password": password }).to_string();
    let reply: serde_json::Value = serde_json::from_str(&request(addr, "POST", "/api/v1/auth/login", None, &body)?)?;
    reply["token"].as_str().map(str::to_string).with_context(|| format!("no token for {email}"))
}

/// The persona's biggest book (a company owner's personal book is empty)
/// and its first account: `?book=` for every page, the id for `/accounts/{id}`;
/// `None` when no book of theirs has an account.
fn main_book(addr: &str, token: &str) -> anyhow::Result<Option<(String, String)>> {
    let books: serde_json::Value = serde_json::from_str(&request(addr, "GET", "/api/v1/books", Some(token), "")?)?;
    let mut best: Option<(usize, String, String)> = None;
    for book in books.as_array().context("no book list")? {
        let id = book["id"].as_str().context("a book without id")?;
        let path = format!("/api/v1/books/{id}/accounts");
        let accounts: Vec<serde_json::Value> = serde_json::from_str(&request(addr, "GET", &path, Some(token), "")?)?;
        let first = accounts.first().and_then(|a| a["id"].as_str());
        if let Some(account) = first.filter(|_| best.as_ref().is_none_or(|b| accounts.len() > b.0)) {
            best = Some((accounts.len(), id.to_string(), account.to_string()));
        }
    }
    Ok(best.map(|(_, book, account)| (book, account)))
}
