//! The authorization matrix: every operation of the OpenAPI document (the
//! route table) × every kind of caller → the expected status. An operation
//! without a row here, or a row without an operation, fails the test.

use kassa_app::books::{AddMember, CreateBook, CreateTransaction};
use kassa_app::buckets::AddBucket;
use kassa_app::imports::{ImportRequest, Upload};
use kassa_app::orgs::{AddOrgMember, CreateOrg};
use kassa_app::{Actor, App};
use kassa_core::BookId;
use kassa_core::access::{BookRole, OrgRole};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{PASSWORD, Server, checking, databases, multipart, test_config, user};

const PERSONAS: [&str; 8] =
    ["anonymous", "other", "viewer", "editor", "owner", "spender", "org_admin", "platform_admin"];

/// (method, path, expected status per persona in `PERSONAS` order)
const MATRIX: &[(&str, &str, [u16; 8])] = &[
    //                                                         anon other view  edit  own  spend orgad admin
    ("POST", "/api/v1/auth/login", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/auth/logout", [401, 204, 204, 204, 204, 204, 204, 204]),
    ("POST", "/api/v1/auth/register", [201, 201, 201, 201, 201, 201, 201, 201]),
    ("GET", "/api/v1/me", [401, 200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/admin/invites", [401, 403, 403, 403, 403, 403, 403, 201]),
    ("GET", "/api/v1/admin/overview", [401, 403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/api/v1/books", [401, 200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/books", [401, 201, 201, 201, 201, 201, 201, 201]),
    ("GET", "/api/v1/books/{book}", [401, 404, 200, 200, 200, 200, 404, 404]),
    ("PATCH", "/api/v1/books/{book}", [401, 404, 403, 403, 200, 403, 404, 404]),
    ("DELETE", "/api/v1/books/{book}", [401, 404, 403, 403, 204, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/accounts", [401, 404, 200, 200, 200, 200, 404, 404]),
    ("POST", "/api/v1/books/{book}/accounts", [401, 404, 403, 201, 201, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/accounts/{id}", [401, 404, 200, 200, 200, 200, 404, 404]),
    ("PATCH", "/api/v1/books/{book}/accounts/{id}", [401, 404, 403, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/transactions", [401, 404, 200, 200, 200, 200, 404, 404]),
    ("POST", "/api/v1/books/{book}/transactions", [401, 404, 403, 201, 201, 201, 404, 404]),
    ("GET", "/api/v1/books/{book}/transactions/{id}", [401, 404, 200, 200, 200, 200, 404, 404]),
    ("PATCH", "/api/v1/books/{book}/transactions/{id}", [401, 404, 403, 200, 200, 403, 404, 404]),
    ("DELETE", "/api/v1/books/{book}/transactions/{id}", [401, 404, 403, 204, 204, 403, 404, 404]),
    ("POST", "/api/v1/books/{book}/transfers", [401, 404, 403, 201, 201, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/categories", [401, 404, 200, 200, 200, 200, 404, 404]),
    ("POST", "/api/v1/books/{book}/categories", [401, 404, 403, 201, 201, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/members", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("POST", "/api/v1/books/{book}/members", [401, 404, 403, 403, 201, 403, 404, 404]),
    ("DELETE", "/api/v1/books/{book}/members/{member}", [401, 404, 403, 403, 204, 403, 404, 404]),
    ("GET", "/api/v1/orgs", [401, 200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/orgs", [401, 201, 201, 201, 201, 201, 201, 201]),
    ("GET", "/api/v1/orgs/{org}/members", [401, 404, 404, 200, 404, 404, 200, 404]),
    ("POST", "/api/v1/orgs/{org}/members", [401, 404, 404, 403, 404, 404, 201, 404]),
    ("DELETE", "/api/v1/orgs/{org}/members/{user}", [401, 404, 404, 403, 404, 404, 204, 404]),
    ("GET", "/api/v1/events", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/imports", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("POST", "/api/v1/books/{book}/imports", [401, 404, 403, 201, 201, 403, 404, 404]),
    ("POST", "/api/v1/books/{book}/imports/{id}/undo", [401, 404, 403, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/imports/review", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("POST", "/api/v1/books/{book}/imports/review/{id}", [401, 404, 403, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/reports/{name}", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/budgets/{month}", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("PUT", "/api/v1/books/{book}/budgets/{month}", [401, 404, 403, 200, 200, 403, 404, 404]),
    ("POST", "/api/v1/books/{book}/budgets/{month}/edits", [401, 404, 403, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/portfolio/holdings", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/portfolio/sales", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/portfolio/lots", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/portfolio/performance", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/instruments", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("PATCH", "/api/v1/books/{book}/instruments/{instrument}", [401, 404, 403, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/suggestions", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/recurring", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("POST", "/api/v1/books/{book}/recurring/{id}/confirm", [401, 404, 403, 200, 200, 403, 404, 404]),
    ("POST", "/api/v1/books/{book}/recurring/{id}/dismiss", [401, 404, 403, 200, 200, 403, 404, 404]),
    ("POST", "/api/v1/books/{book}/recurring/{id}/rename", [401, 404, 403, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/buckets", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("POST", "/api/v1/books/{book}/buckets", [401, 404, 403, 201, 201, 403, 404, 404]),
    ("POST", "/api/v1/books/{book}/buckets/moves", [401, 404, 403, 201, 201, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/loans", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("POST", "/api/v1/books/{book}/loans", [401, 404, 403, 201, 201, 403, 404, 404]),
    ("GET", "/api/v1/books/{book}/goals", [401, 404, 200, 200, 200, 403, 404, 404]),
    ("POST", "/api/v1/books/{book}/goals", [401, 404, 403, 201, 201, 403, 404, 404]),
    ("GET", "/api/v1/jobs", [401, 200, 200, 200, 200, 200, 200, 200]),
    // The book owner's job: nobody else's, not even a platform admin's.
    ("GET", "/api/v1/jobs/{id}", [401, 404, 404, 404, 200, 404, 404, 404]),
];

/// The users of the matrix, made once per database.
struct People {
    actors: Vec<Option<Actor>>,
    emails: Vec<String>,
    org: Uuid,
}

/// One book as every persona sees it: owner's, with the grants.
#[derive(Clone, Copy)]
struct Target {
    book: BookId,
    account: Uuid,
    other_account: Uuid,
    tx: Uuid,
    /// An import batch and a review item, for the rows that need them.
    batch: Option<Uuid>,
    review: Option<Uuid>,
    /// A monthly rent on `Savings`: a recurring series' id.
    series: [u8; 16],
    /// A background import the owner started.
    job: Uuid,
}

/// A bank statement for the account `Spending`: a new row, and one that may
/// be the hand-typed coffee of the target book (held for review).
const STATEMENT: &[u8] = b"Date,Description,Amount\n2024-03-04,Bakery,-2.10\n2024-03-06,COFFEE BAR 42,-12.50\n";

/// One buy in `Savings`, whose instrument the instrument rows edit.
const TRADES: &[u8] = b"account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id\n\
    Savings,2024-03-04T10:00:00Z,AAPL,US0378331005,BUY,1,170,0,EUR,T1\n";

fn people(app: &App) -> People {
    let mut actors = vec![None];
    let mut emails = vec![String::new()];
    for p in &PERSONAS[1..] {
        let email = format!("{p}@example.org");
        let (actor, _) = user(app, &email, *p == "platform_admin");
        actors.push(Some(actor));
        emails.push(email);
    }
    let org_admin = actors[6].expect("org admin");
    let org = app.create_org(&org_admin, &CreateOrg { name: "Acme".into() }).expect("org").id;
    let add = AddOrgMember { email: emails[3].clone(), role: OrgRole::Member.as_str().into() };
    app.add_org_member(&org_admin, kassa_core::OrgId(org), &add).expect("org member");
    People { actors, emails, org }
}

fn target(app: &App, p: &People, with_import: bool) -> Target {
    let owner = p.actors[4].expect("owner");
    let name = format!("book {}", Uuid::now_v7());
    let book = BookId(app.create_book(&owner, &CreateBook { name, org_id: None }).expect("book").id);
    let a1 = app.create_account(&owner, book, &checking("Spending")).expect("a1").id;
    let a2 = app.create_account(&owner, book, &checking("Savings")).expect("a2").id;
    for (i, role) in [(2, BookRole::Viewer), (3, BookRole::Editor), (5, BookRole::Spender)] {
        let grant = AddMember {
            email: Some(p.emails[i].clone()),
            org_id: None,
            role: role.as_str().into(),
            account_id: (role == BookRole::Spender).then_some(a1),
        };
        app.add_member(&owner, book, &grant).expect("grant");
    }
    let tx = |account_id| CreateTransaction {
        account_id,
        date: "2024-03-05".into(),
        amount: "-12.50".into(),
        description: "Coffee".into(),
        category: None,
        counterparty: None,
        bucket: None,
    };
    let t1 = app.create_transaction(&owner, book, &tx(a1)).expect("t1").id;
    for month in 1..=3 {
        let rent = CreateTransaction {
            date: format!("2024-{month:02}-01"),
            amount: "-500.00".into(),
            counterparty: Some("Landlord".into()),
            ..tx(a2)
        };
        app.create_transaction(&owner, book, &rent).expect("rent");
    }
    let found = app.recurring(&owner, book, None).expect("recurring");
    let series = found[0].id.as_bytes().try_into().expect("16 hex digits");
    app.create_transaction(&owner, book, &tx(a2)).expect("t2");
    // A bucket to move money to.
    let rainy = AddBucket { name: "Rainy day".into(), percent: "5".into(), ..AddBucket::default() };
    app.add_bucket(&owner, book, &rainy).expect("bucket");
    let (mut batch, mut review) = (None, None);
    if with_import {
        let upload = Upload { name: "statement.csv".into(), bytes: STATEMENT.to_vec() };
        let opts = ImportRequest { account: Some("Spending".into()), ..ImportRequest::default() };
        let imported = app.import(&owner, book, &[upload], &opts).expect("import");
        batch = imported[0].batch.as_deref().map(|b| b.parse().expect("batch id"));
        review = app.import_reviews(&owner, book).expect("reviews").first().map(|r| r.id.parse().expect("review id"));
        // A trade, for the instrument it creates.
        let trades = Upload { name: "trades.csv".into(), bytes: TRADES.to_vec() };
        app.import(&owner, book, &[trades], &ImportRequest::default()).expect("trades");
    }
    let upload = Upload { name: "statement.csv".into(), bytes: STATEMENT.to_vec() };
    let opts = ImportRequest { account: Some("Spending".into()), dry_run: true, ..ImportRequest::default() };
    let job = app.start_import_job(&owner, book, vec![upload], opts, Box::new(()), None).expect("job").id;
    Target { book, account: a1, other_account: a2, tx: t1, batch, review, series, job }
}

fn fill(path: &str, t: &Target, p: &People) -> String {
    let id = if path.starts_with("/api/v1/jobs/") {
        t.job.to_string()
    } else if path.contains("/recurring/") {
        String::from_utf8_lossy(&t.series).into_owned()
    } else if path.contains("/accounts/") {
        t.account.to_string()
    } else if path.contains("/imports/review/") {
        t.review.expect("a review item").to_string()
    } else if path.contains("/imports/") {
        t.batch.expect("a batch").to_string()
    } else {
        t.tx.to_string()
    };
    let mut out = path
        .replace("{book}", &t.book.to_string())
        .replace("{id}", &id)
        .replace("{member}", &p.actors[2].expect("viewer").user_id.to_string())
        .replace("{org}", &p.org.to_string())
        .replace("{user}", &p.actors[3].expect("editor").user_id.to_string())
        .replace("{name}", "monthly")
        .replace("{instrument}", "AAPL")
        .replace("{month}", "2024-03");
    if path == "/api/v1/events" {
        out.push_str(&format!("?book={}", t.book));
    }
    out
}

enum Payload {
    Json(Value),
    /// Content-Type and body of a multipart upload.
    Form(String, Vec<u8>),
}

fn body(method: &str, path: &str, t: &Target, p: &People) -> Option<Payload> {
    let unique = Uuid::now_v7().simple().to_string();
    if (method, path) == ("POST", "/api/v1/books/{book}/imports") {
        let parts: &[(&str, Option<&str>, &[u8])] = &[
            ("file", Some("statement.csv"), b"Date,Description,Amount\n2024-03-08,Bus,-2.80\n"),
            ("account", None, b"Spending"),
        ];
        let (ct, bytes) = multipart(&unique, parts);
        return Some(Payload::Form(ct, bytes));
    }
    let b = match (method, path) {
        ("POST", "/api/v1/auth/login") => json!({ "email": p.emails[4], "password": PASSWORD }),
        ("POST", "/api/v1/auth/register") => json!({ "email": format!("{unique}@example.org"), "password": PASSWORD }),
        ("POST", "/api/v1/books") | ("PATCH", "/api/v1/books/{book}") => json!({ "name": unique }),
        ("POST", "/api/v1/books/{book}/accounts") => json!({ "name": unique, "kind": "cash", "currency": "EUR" }),
        ("PATCH", "/api/v1/books/{book}/accounts/{id}") => json!({ "name": unique }),
        ("POST", "/api/v1/books/{book}/transactions") => json!({
            "account_id": t.account, "date": "2024-03-06", "amount": "-3.20", "description": "Bus"
        }),
        ("PATCH", "/api/v1/books/{book}/transactions/{id}") => json!({ "category": "Groceries" }),
        ("POST", "/api/v1/books/{book}/transfers") => json!({
            "from_account_id": t.account, "to_account_id": t.other_account, "date": "2024-03-07", "amount": "5.00"
        }),
        ("POST", "/api/v1/books/{book}/categories") => {
            json!({ "name": format!("Misc:{unique}"), "section": "expense" })
        }
        ("POST", "/api/v1/books/{book}/members") => json!({ "email": p.emails[1], "role": "viewer" }),
        ("POST", "/api/v1/orgs") => json!({ "name": unique }),
        ("POST", "/api/v1/orgs/{org}/members") => json!({ "email": p.emails[2], "role": "member" }),
        ("POST", "/api/v1/books/{book}/imports/review/{id}") => json!({ "resolution": "accept" }),
        ("PUT", "/api/v1/books/{book}/budgets/{month}") => json!({ "category": "Groceries", "amount": "200.00" }),
        ("POST", "/api/v1/books/{book}/budgets/{month}/edits") => json!({ "action": "hold", "amount": "50.00" }),
        ("POST", "/api/v1/books/{book}/recurring/{id}/rename") => json!({ "name": unique }),
        ("PATCH", "/api/v1/books/{book}/instruments/{instrument}") => json!({ "kind": "stock", "name": unique }),
        ("POST", "/api/v1/books/{book}/buckets") => json!({ "name": unique, "percent": "10" }),
        ("POST", "/api/v1/books/{book}/buckets/moves") => {
            json!({ "from": "Unallocated", "to": "Rainy day", "amount": "1.00", "date": "2024-03-08" })
        }
        ("POST", "/api/v1/books/{book}/loans") => json!({
            "kind": "give", "counterparty": "Anna", "account": "Spending", "amount": "5.00", "date": "2024-03-08"
        }),
        ("POST", "/api/v1/books/{book}/goals") => {
            json!({ "name": unique, "target": "500", "by": "2024-12-31", "accounts": ["Savings"] })
        }
        (_, _) => return None,
    };
    Some(Payload::Json(b))
}

async fn call(s: &Server, method: &str, url: &str, token: Option<&str>, body: Option<Payload>) -> u16 {
    let mut req = s.http.request(Method::from_bytes(method.as_bytes()).expect("method"), format!("{}{url}", s.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    match body {
        Some(Payload::Json(b)) => req = req.json(&b),
        Some(Payload::Form(ct, bytes)) => req = req.header("content-type", ct).body(bytes),
        None => {}
    }
    req.send().await.expect("send").status().as_u16()
}

#[test]
fn every_documented_operation_has_a_row_and_every_row_an_operation() {
    let doc = serde_json::to_value(kassa_server::openapi()).expect("doc");
    let mut documented = vec![];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "patch", "put", "delete"] {
            if item.get(method).is_some() {
                documented.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    documented.sort();
    let mut rows: Vec<(String, String)> = MATRIX.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    rows.sort();
    let missing: Vec<_> = documented.iter().filter(|d| !rows.contains(d)).collect();
    let stale: Vec<_> = rows.iter().filter(|r| !documented.contains(r)).collect();
    assert!(missing.is_empty(), "operations without a row in MATRIX: {missing:?}");
    assert!(stale.is_empty(), "rows in MATRIX for operations that do not exist: {stale:?}");
}

#[test]
fn every_endpoint_answers_every_caller_as_the_matrix_says() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let people = people(&s.app);
        let shared = target(&s.app, &people, true);
        let mut failures = vec![];
        for (method, path, expected) in MATRIX {
            for (i, persona) in PERSONAS.iter().enumerate() {
                // Writes get a fresh book, organisation membership and token,
                // so one cell's success cannot change the next cell's answer.
                let fresh = *method != "GET";
                let imports = path.contains("/imports/") || path.contains("/instruments/");
                let t = if fresh { target(&s.app, &people, imports) } else { shared };
                if fresh && path.starts_with("/api/v1/orgs/{org}/members") {
                    let admin = people.actors[6].expect("org admin");
                    let org = kassa_core::OrgId(people.org);
                    let add = AddOrgMember { email: people.emails[3].clone(), role: "member".into() };
                    s.app.add_org_member(&admin, org, &add).expect("re-add member");
                    let _ = s.app.remove_org_member(&admin, org, people.actors[2].expect("viewer").user_id.0);
                }
                let token =
                    people.actors[i].map(|_| s.app.login(&people.emails[i], PASSWORD, "matrix").expect("login").token);
                let url = fill(path, &t, &people);
                let got = s.run(call(&s, method, &url, token.as_deref(), body(method, path, &t, &people)));
                if got != expected[i] {
                    failures
                        .push(format!("{}: {method} {path} as {persona}: expected {}, got {got}", s.name, expected[i]));
                }
            }
        }
        assert!(failures.is_empty(), "authorization matrix differs:\n{}", failures.join("\n"));
    }
}
