//! The server's integration tests: real HTTP on port 0, against SQLite and
//! (with `KASSA_TEST_PG`) PostgreSQL.

mod buckets;
mod budgets;
mod categorize;
mod events;
mod idempotency;
mod imports;
mod jobs;
mod matrix;
mod portfolio;
mod query_params;
mod ranges;
mod recurring;
mod revocation;
mod security;
mod story;
mod web;
mod web_budgets;
mod web_pages;
mod web_plan;
mod web_tools;

use std::sync::Arc;
use std::time::Duration;

use kassa_app::{Actor, App, Clock, Config, PasswordCost, Registration, SystemClock};
use kassa_store::testing::{self, TestDb};

/// A running server on a fresh database, with the runtime it runs on.
/// The synchronous PostgreSQL client must not be used on a runtime thread,
/// so tests are plain `#[test]`s that drive the runtime with `run`.
#[allow(missing_debug_implementations)]
pub struct Server {
    // Field order is drop order: the runtime (and the clones of `app` its
    // tasks hold) goes first, so the store's last reference is dropped here,
    // off the runtime, where the synchronous PostgreSQL client may block.
    rt: tokio::runtime::Runtime,
    pub base: String,
    pub app: App,
    pub http: reqwest::Client,
    pub name: &'static str,
    _db: TestDb,
}

pub fn test_config() -> Config {
    Config {
        registration: Registration::Open,
        // Cheap hashes: the tests make dozens of users.
        password_cost: PasswordCost { memory_kib: 64, iterations: 1 },
        login_attempts_per_ip: 100_000,
        login_window: Duration::from_secs(600),
        ..Config::default()
    }
}

impl Server {
    pub fn start(db: TestDb, config: Config) -> Server {
        Server::start_with_clock(db, config, Arc::new(SystemClock))
    }

    /// A server whose application reads "now" from `clock` (rate limit tests move it).
    pub fn start_with_clock(db: TestDb, config: Config, clock: Arc<dyn Clock>) -> Server {
        Server::start_behind(db, config, clock, kassa_server::Proxies::default())
    }

    /// A server that believes the forwarding headers of `proxies`.
    pub fn start_behind(db: TestDb, config: Config, clock: Arc<dyn Clock>, proxies: kassa_server::Proxies) -> Server {
        let store: Arc<dyn kassa_store::Store> = Arc::from(kassa_store::open(&db.url).expect("open"));
        let app = App::with_clock(store, config, clock);
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let served = app.clone();
        rt.spawn(async move {
            kassa_server::serve(listener, served, kassa_server::HttpLimits::default(), proxies, std::future::pending())
                .await
                .expect("serve");
        });
        let http = reqwest::Client::builder().no_proxy().build().expect("client");
        Server { base, app, http, name: db.name, rt, _db: db }
    }

    pub fn run<T>(&self, f: impl Future<Output = T>) -> T {
        self.rt.block_on(f)
    }
}

pub fn databases() -> Vec<TestDb> {
    testing::all()
}

pub const PASSWORD: &str = "correct horse battery";

/// Adds a user and logs them in; returns the actor and a bearer token.
pub fn user(app: &App, email: &str, admin: bool) -> (Actor, String) {
    let u = app.add_user("test", email, PASSWORD, admin).expect("add user");
    let token = app.login(email, PASSWORD, "test").expect("login").token;
    (app.authenticate(&token).expect("authenticate"), {
        let _ = u;
        token
    })
}

/// A `multipart/form-data` body with `boundary`: its Content-Type and bytes.
/// Parts are (name, file name for a file part, content).
pub fn multipart(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let mut body = vec![];
    for (name, file, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(f) = file {
            body.extend_from_slice(format!("; filename=\"{f}\"\r\nContent-Type: text/csv").as_bytes());
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A EUR checking account opened on 2024-01-01.
pub fn checking(name: &str) -> kassa_app::books::CreateAccount {
    kassa_app::books::CreateAccount {
        name: name.into(),
        kind: "checking".into(),
        currency: "EUR".into(),
        iban: None,
        number: None,
        institution: None,
        location: None,
        opened_on: Some("2024-01-01".into()),
    }
}

/// A GET with a bearer token: the status and the JSON body (null when none).
pub async fn get(s: &Server, url: &str, token: &str) -> (u16, serde_json::Value) {
    let resp = s.http.get(url).bearer_auth(token).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(serde_json::Value::Null))
}

/// A POST with a bearer token and an optional JSON body: status and JSON reply.
pub async fn post(s: &Server, url: &str, token: &str, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
    let mut req = s.http.post(url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(serde_json::Value::Null))
}
