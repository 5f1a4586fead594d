//! `kassa demo` end to end, through the real binary: it seeds a fresh
//! database once, finds it again on the second run without adding anything,
//! then serves it; each persona logs in over real HTTP and sees what their
//! role allows. SQLite always, PostgreSQL with `KASSA_TEST_PG`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use jiff::ToSpan;
use serde_json::{Value, json};

use common::Kassa;

/// The `kassa demo` server, killed when the test ends (or fails).
struct Demo {
    child: Child,
    base: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    fn start(k: &Kassa) -> (Demo, Vec<String>) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kassa"))
            .args(["--db", &k.url, "demo", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kassa demo");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("a first line").expect("utf-8");
        let base = first
            .strip_prefix("kassa demo: http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("first line is not the URL: {first:?}"))
            .to_string();
        assert!(!base.ends_with(":0"), "the real port, not 0: {first}");
        let mut banner = vec![];
        for line in lines.by_ref() {
            let line = line.expect("utf-8");
            let done = line.starts_with("Ctrl-C");
            banner.push(line);
            if done {
                break;
            }
        }
        // Keep reading so the server's request log never fills the pipe.
        std::thread::spawn(move || for _ in lines {});
        (Demo { child, base: format!("http://{base}") }, banner)
    }
}

/// A logged-in persona.
struct Session<'a> {
    rt: &'a tokio::runtime::Runtime,
    http: &'a reqwest::Client,
    base: &'a str,
    token: String,
}

impl Session<'_> {
    fn get(&self, path: &str) -> (u16, Value) {
        self.rt.block_on(async {
            let r = self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await.expect("GET");
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        })
    }

    fn ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    fn book(&self, name: &str) -> (String, String) {
        let books = self.ok("/api/v1/books");
        let b =
            books.as_array().unwrap().iter().find(|b| b["name"] == name).unwrap_or_else(|| panic!("{name} in {books}"));
        (b["id"].as_str().unwrap().to_string(), b["role"].as_str().unwrap().to_string())
    }

    /// Every transaction the caller sees in a book, page by page.
    fn transactions(&self, book: &str, query: &str) -> Vec<Value> {
        let mut out = vec![];
        let mut cursor = String::new();
        loop {
            let page = self.ok(&format!("/api/v1/books/{book}/transactions?limit=500{query}{cursor}"));
            out.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => return out,
            }
        }
    }
}

fn login<'a>(rt: &'a tokio::runtime::Runtime, http: &'a reqwest::Client, base: &'a str, email: &str) -> Session<'a> {
    let token = rt.block_on(async {
        let r = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": "demo" }))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status().as_u16(), 200, "login as {email}");
        r.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_string()
    });
    Session { rt, http, base, token }
}

/// What a second seeding would change: users, and per book its import
/// batches and transactions.
fn fingerprint(k: &Kassa) -> Vec<String> {
    let mut out = vec![k.ok(&["user", "list", "-o", "json"])];
    // Several users: the CLI acts as each book's owner.
    for (owner, book) in [
        ("individual@demo.kassa", "Lena Fischer"),
        ("family@demo.kassa", "Weber household"),
        ("company@demo.kassa", "Demo Company GmbH"),
    ] {
        out.push(k.ok(&["--as", owner, "--book", book, "import", "list", "-o", "json"]));
        out.push(k.ok(&["--as", owner, "--book", book, "tx", "list", "--limit", "1000000", "-o", "json"]));
    }
    out
}

#[test]
fn demo_seeds_once_then_serves_every_persona() {
    for (_db, k) in common::databases() {
        let first = k.run(&["demo", "--seed-only"]);
        let stderr = String::from_utf8_lossy(&first.stderr);
        assert!(first.status.success(), "kassa demo --seed-only: {stderr}");
        assert!(stderr.contains("seeded"), "{stderr}");
        let before = fingerprint(&k);

        let again = k.run(&["demo", "--seed-only"]);
        let stderr = String::from_utf8_lossy(&again.stderr);
        assert!(again.status.success() && stderr.contains("reusing"), "second run: {stderr}");
        assert_eq!(fingerprint(&k), before, "a second run added or changed something");

        let (demo, banner) = Demo::start(&k);
        for email in ["individual@", "family@", "partner@", "company@", "alex@", "sam@", "admin@"] {
            assert!(banner.iter().any(|l| l.contains(email)), "{email} missing from {banner:?}");
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let http = reqwest::Client::builder().no_proxy().build().expect("client");
        let today = jiff::Zoned::now().date();

        // The individual: three years over five accounts, one a depot, mostly categorised.
        let lena = login(&rt, &http, &demo.base, "individual@demo.kassa");
        let (book, role) = lena.book("Lena Fischer");
        assert_eq!(role, "owner");
        let accounts = lena.ok(&format!("/api/v1/books/{book}/accounts"));
        let accounts = accounts.as_array().unwrap();
        assert!(accounts.len() >= 4, "{accounts:?}");
        assert!(accounts.iter().any(|a| a["kind"] == "brokerage"), "{accounts:?}");
        let txs = lena.transactions(&book, "");
        let dates: Vec<jiff::civil::Date> = txs.iter().map(|t| t["date"].as_str().unwrap().parse().unwrap()).collect();
        let (oldest, newest) = (dates.iter().min().unwrap(), dates.iter().max().unwrap());
        assert!(*oldest <= today.saturating_sub(3.years()).saturating_add(7.days()), "oldest {oldest}");
        assert!(*newest >= today.saturating_sub(7.days()), "newest {newest}");
        let used: std::collections::BTreeSet<&str> = txs.iter().map(|t| t["account"].as_str().unwrap()).collect();
        assert!(used.len() >= 4, "{used:?}");
        let filed = txs.iter().filter(|t| !t["category"].is_null() || !t["transfer_account"].is_null()).count();
        assert!(filed * 10 >= txs.len() * 9, "{filed} of {} categorised or transfers", txs.len());
        assert!(filed < txs.len(), "some rows are left for the user to categorise");

        // The family: a shared book, and wallets that say where they are.
        let jonas = login(&rt, &http, &demo.base, "family@demo.kassa");
        let (household, role) = jonas.book("Weber household");
        assert_eq!(role, "owner");
        let members = jonas.ok(&format!("/api/v1/books/{household}/members"));
        assert!(
            members.as_array().unwrap().iter().any(|m| m["name"] == "partner@demo.kassa" && m["role"] == "editor"),
            "{members}"
        );
        let wallets = jonas.ok(&format!("/api/v1/books/{household}/accounts"));
        let located = wallets.as_array().unwrap().iter().filter(|a| a["kind"] == "cash" && a["location"].is_string());
        assert!(located.count() >= 3, "{wallets}");
        let anna = login(&rt, &http, &demo.base, "partner@demo.kassa");
        let (shared, role) = anna.book("Weber household");
        assert_eq!((shared.as_str(), role.as_str()), (household.as_str(), "editor"));
        assert!(anna.transactions(&household, "").len() > 500);

        // The company: the owner sees every account; an employee only their card.
        let boss = login(&rt, &http, &demo.base, "company@demo.kassa");
        let (company, role) = boss.book("Demo Company GmbH");
        assert_eq!(role, "owner");
        let all = boss.transactions(&company, "");
        let accounts: std::collections::BTreeSet<&str> = all.iter().map(|t| t["account"].as_str().unwrap()).collect();
        assert!(accounts.contains("Card Alex") && accounts.contains("Geschaeftskonto"), "{accounts:?}");
        let operating = boss.ok(&format!("/api/v1/books/{company}/accounts"));
        let operating = operating.as_array().unwrap().iter().find(|a| a["name"] == "Geschaeftskonto").unwrap();
        let alex = login(&rt, &http, &demo.base, "alex@demo.kassa");
        let (seen, role) = alex.book("Demo Company GmbH");
        assert_eq!((seen.as_str(), role.as_str()), (company.as_str(), "spender"));
        let mine = alex.transactions(&company, "");
        assert!(!mine.is_empty() && mine.iter().all(|t| t["account"] == "Card Alex"), "alex sees other accounts");
        assert!(mine.len() < all.len());
        let cards = alex.ok(&format!("/api/v1/books/{company}/accounts"));
        assert_eq!(cards.as_array().unwrap().len(), 1, "{cards}");
        let (status, _) =
            alex.get(&format!("/api/v1/books/{company}/transactions?account={}", operating["id"].as_str().unwrap()));
        assert_eq!(status, 404, "a spender must not see the operating account");
        assert_eq!(boss.get("/api/v1/admin/overview").0, 403);

        // The admin: the overview, with the overdrawn payroll account flagged.
        let admin = login(&rt, &http, &demo.base, "admin@demo.kassa");
        let overview = admin.ok("/api/v1/admin/overview");
        assert_eq!(overview["users"], 7, "{overview}");
        assert!(overview["risk_flags"]["overdrawn_accounts"].as_i64().unwrap() >= 1, "{overview}");
        drop(demo);
    }
}

#[test]
fn demo_refuses_a_database_with_other_data() {
    for (_db, k) in common::databases() {
        k.ok(&["init"]);
        let err = k.err(&["demo", "--seed-only"]);
        assert!(err.contains("already holds data"), "{err}");
    }
}
