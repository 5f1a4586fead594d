//! The home, accounts and transactions pages through real HTTP on both
//! backends: the figures a user sees, the register's filters and paging,
//! and what the category forms change — and refuse.

use jiff::civil::Date;
use kassa_core::Currency;
use kassa_server::charts::money;
use kassa_store::testing::TestDb;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};

use crate::web::{client, web_login};
use crate::{PASSWORD, Server, databases, test_config, user};

/// A book with three accounts and six transactions, four of them this month.
struct Fixture {
    book: String,
    token: String,
    giro: String,
    visa: String,
    /// Transaction ids by description.
    tx: Vec<(&'static str, String)>,
    first: Date,
}

/// Every description the fixture records, newest first as the register lists them.
const ALL: [&str; 6] = ["Cinema tickets", "REWE groceries", "Rent", "ACME salary", "Bank interest", "Opening deposit"];

impl Fixture {
    fn id(&self, description: &str) -> &str {
        &self.tx.iter().find(|(d, _)| *d == description).expect("known description").1
    }
}

fn api(s: &Server, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = s.http.request(method, format!("{}/api/v1{path}", s.base)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = s.run(req.send()).expect("send");
    let status = r.status();
    let text = s.run(r.text()).expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn create(s: &Server, token: &str, path: &str, body: Value) -> String {
    let (st, v) = api(s, token, reqwest::Method::POST, path, Some(body));
    assert!(st.is_success(), "{}: POST {path}: {st} {v}", s.name);
    v["id"].as_str().expect("id").to_string()
}

fn fixture(s: &Server) -> Fixture {
    let (actor, token) = user(&s.app, "owner@example.org", false);
    let book = s.app.list_books(&actor).expect("books")[0].id.to_string();
    let account = |name: &str, kind: &str| {
        let body = json!({"name": name, "kind": kind, "currency": "EUR", "institution": "Testbank", "opened_on": "2020-01-01"});
        create(s, &token, &format!("/books/{book}/accounts"), body)
    };
    let (giro, savings, visa) =
        (account("Giro", "checking"), account("Savings", "savings"), account("Visa", "credit_card"));
    let first = jiff::Zoned::now().date().first_of_month();
    let old = first.checked_sub(jiff::Span::new().days(40)).expect("date");
    let rows = [
        ("Opening deposit", &giro, old, "2000.00", Some("Other Income"), None),
        ("Bank interest", &savings, old, "500.00", Some("Interest"), None),
        ("ACME salary", &giro, first, "3000.00", Some("Salary"), Some("ACME GmbH")),
        ("Rent", &giro, first, "-1000.00", Some("Housing:Rent"), Some("Landlord")),
        ("REWE groceries", &giro, first, "-120.50", Some("Groceries"), Some("REWE")),
        ("Cinema tickets", &visa, first, "-79.90", None, None),
    ];
    let tx = rows
        .iter()
        .map(|(description, account, date, amount, category, counterparty)| {
            let body = json!({"account_id": account, "date": date.to_string(), "amount": amount,
                "description": description, "category": category, "counterparty": counterparty});
            (*description, create(s, &token, &format!("/books/{book}/transactions"), body))
        })
        .collect();
    Fixture { book, token, giro, visa, tx, first }
}

/// A server with the fixture, and its owner signed in to the pages.
fn signed_in(db: TestDb) -> (Server, Fixture, reqwest::Client, String) {
    let s = Server::start(db, test_config());
    let f = fixture(&s);
    let http = client();
    let cookie = web_login(&s, &http, "owner@example.org");
    (s, f, http, cookie)
}

fn eur(amount: &str) -> String {
    money(amount.parse().expect("decimal"), Currency::EUR)
}

/// A page's HTML, asserting it answered 200.
fn get(s: &Server, http: &reqwest::Client, cookie: &str, path: &str) -> String {
    let r = s.run(http.get(format!("{}{path}", s.base)).header("cookie", cookie).send()).expect("get");
    assert_eq!(r.status(), StatusCode::OK, "{}: GET {path}", s.name);
    s.run(r.text()).expect("html")
}

/// Posts a form (pairs may repeat a name); returns the status and the redirect target.
fn post(s: &Server, http: &reqwest::Client, cookie: &str, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let r = s.run(http.post(format!("{}{path}", s.base)).header("cookie", cookie).form(form).send()).expect("post");
    let to = r.headers().get(LOCATION).map(|l| l.to_str().expect("ascii").to_string()).unwrap_or_default();
    (r.status(), to)
}

/// The fixture's descriptions a page shows, in the order it shows them.
fn rows(html: &str) -> Vec<&'static str> {
    let mut found: Vec<(usize, &'static str)> =
        ALL.iter().filter_map(|d| html.find(&format!(">{d}")).map(|i| (i, *d))).collect();
    found.sort();
    found.into_iter().map(|(_, d)| d).collect()
}

/// The `href` of the link with `rel`, unescaped (askama writes `&` as `&#38;`).
fn link(html: &str, rel: &str) -> Option<String> {
    let end = html.find(&format!("rel=\"{rel}\""))?;
    let start = html[..end].rfind("href=\"")? + 6;
    Some(html[start..end].trim_end().trim_end_matches('"').replace("&#38;", "&"))
}

fn category(s: &Server, f: &Fixture, description: &str) -> Value {
    let path = format!("/books/{}/transactions/{}", f.book, f.id(description));
    let (st, v) = api(s, &f.token, reqwest::Method::GET, &path, None);
    assert_eq!(st, StatusCode::OK, "{}", s.name);
    v["category"].clone()
}

#[test]
fn home_and_accounts_show_balances_month_totals_and_charts() {
    for db in databases() {
        let (s, f, http, cookie) = signed_in(db);

        let home = get(&s, &http, &cookie, "/");
        // Net worth: 3,879.50 on the giro, 500.00 saved, 79.90 owed on the card.
        assert!(home.contains(&eur("4299.60")), "{}: net worth\n{home}", s.name);
        assert!(home.contains(&eur("3000.00")), "{}: this month's income", s.name);
        assert!(home.contains(&eur("-1200.40")), "{}: this month's expenses", s.name);
        assert!(home.contains(&eur("1799.60")), "{}: this month's net", s.name);
        assert!(home.contains(&eur("3879.50")) && home.contains(&eur("-79.90")), "{}: account balances", s.name);
        let charts = home.matches("<svg").count() - home.matches("<svg class=\"budget-bar").count();
        assert_eq!(charts, 2, "{}: the net worth chart and the spending donut, besides the budget bars", s.name);
        assert!(home.contains("Net worth in EUR"), "{}: the chart is labelled", s.name);
        assert!(home.contains(">Housing:Rent</a>") && home.contains(">Groceries</a>"), "{}: biggest expenses", s.name);
        assert!(home.contains("1 transaction since"), "{}: the uncategorised alert", s.name);
        assert!(!home.contains("overdrawn"), "{}: a credit card below zero is not overdrawn", s.name);
        assert_eq!(rows(&home)[..2], ["Cinema tickets", "REWE groceries"], "{}: recent transactions", s.name);

        let accounts = get(&s, &http, &cookie, "/accounts");
        for (name, balance) in [("Giro", "3879.50"), ("Savings", "500.00"), ("Visa", "-79.90")] {
            assert!(accounts.contains(&format!(">{name}</a>")), "{}: {name} listed", s.name);
            assert!(accounts.contains(&eur(balance)), "{}: {name}'s balance", s.name);
        }
        assert!(accounts.contains("Credit cards") && accounts.contains("Testbank"), "{}", s.name);

        let giro = get(&s, &http, &cookie, &format!("/accounts/{}", f.giro));
        assert_eq!(rows(&giro), ["REWE groceries", "Rent", "ACME salary", "Opening deposit"], "{}", s.name);
        assert!(giro.contains("<svg") && giro.contains("Balance of Giro"), "{}: balance history chart", s.name);
        for html in [&home, &accounts, &giro] {
            assert!(!html.replace("http://www.w3.org/2000/svg", "").contains("http"), "{}: only own URLs", s.name);
        }

        // Overdrawing the giro raises the alert.
        create(
            &s,
            &f.token,
            &format!("/books/{}/transactions", f.book),
            json!({"account_id": f.giro, "date": f.first.to_string(), "amount": "-5000.00", "description": "Car"}),
        );
        let home = get(&s, &http, &cookie, "/");
        assert!(home.contains(&format!("Giro is overdrawn: {}", eur("-1120.50"))), "{}: {home}", s.name);

        // Anna borrows 200 from the giro, we borrow 50 from Bob into
        // savings: the accounts are worth 4,299.60 − 5,000 − 200 + 50 =
        // −850.40, Anna owes 200 and we owe Bob 50, so net worth stays
        // −850.40 + 200 − 50 = −700.40 (a loan makes or loses nothing).
        for (kind, who, account, amount) in [("give", "Anna", "Giro", "200"), ("take", "Bob", "Savings", "50")] {
            let body = json!({"kind": kind, "counterparty": who, "account": account, "amount": amount,
                              "date": f.first.to_string()});
            let (st, v) = api(&s, &f.token, reqwest::Method::POST, &format!("/books/{}/loans", f.book), Some(body));
            assert!(st.is_success(), "{}: {st} {v}", s.name);
        }
        for path in ["/", "/accounts"] {
            let html = get(&s, &http, &cookie, path);
            for (label, amount) in
                [("Accounts", "-850.40"), ("Receivables", "200.00"), ("Payables", "50.00"), ("Net worth", "-700.40")]
            {
                let line = format!(
                    "<dt>{label}</dt><dd class=\"{}\">{}</dd>",
                    if amount.starts_with('-') { "neg" } else { "pos" },
                    eur(amount)
                );
                assert!(html.contains(&line), "{}: {path} shows {line}\n{html}", s.name);
            }
        }
        let path = format!("/books/{}/reports/networth?interval=month&from={}", f.book, f.first);
        let (st, report) = api(&s, &f.token, reqwest::Method::GET, &path, None);
        assert_eq!(st, StatusCode::OK, "{}: {report}", s.name);
        let last: Vec<(String, String)> = report["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .rev()
            .take(3)
            .map(|r| (r["account"].as_str().unwrap().to_string(), r["balance"].as_str().unwrap().to_string()))
            .collect();
        let want = [("Net worth", "-700.40"), ("Payables", "50.00"), ("Receivables", "200.00")]
            .map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(last, want, "{}: {report}", s.name);
    }
}

#[test]
fn an_empty_book_gets_a_welcome_that_links_to_import() {
    for db in databases() {
        let s = Server::start(db, test_config());
        s.app.add_user("test", "new@example.org", PASSWORD, false).expect("user");
        let http = client();
        let cookie = web_login(&s, &http, "new@example.org");
        for path in ["/", "/accounts"] {
            let html = get(&s, &http, &cookie, path);
            assert!(html.contains("This book is still empty") && html.contains("href=\"/import\""), "{}", s.name);
        }
        assert!(get(&s, &http, &cookie, "/transactions").contains("No transactions here."), "{}", s.name);
    }
}

#[test]
fn the_register_filters_by_account_category_text_date_and_amount() {
    for db in databases() {
        let (s, f, http, cookie) = signed_in(db);
        let page = |query: &str| get(&s, &http, &cookie, &format!("/transactions?book={}&{query}", f.book));

        assert_eq!(rows(&page("")), ALL, "{}", s.name);
        assert_eq!(rows(&page(&format!("account={}", f.visa))), ["Cinema tickets"], "{}", s.name);
        assert_eq!(rows(&page("category=Groceries")), ["REWE groceries"], "{}", s.name);
        assert_eq!(rows(&page("category=housing")), ["Rent"], "{}: a parent names its children", s.name);
        assert_eq!(rows(&page("q=acme")), ["ACME salary"], "{}: counterparty text", s.name);
        assert_eq!(rows(&page("q=groc")), ["REWE groceries"], "{}: description text", s.name);
        let this_month = format!("from={}&to={}", f.first, jiff::Zoned::now().date());
        assert_eq!(rows(&page(&this_month)), ALL[..4], "{}", s.name);
        assert_eq!(
            rows(&page("min_amount=100&max_amount=1000")),
            ["REWE groceries", "Rent", "Bank interest"],
            "{}: by size, either sign, bounds included",
            s.name
        );
        assert_eq!(rows(&page("min_amount=120.51")), ["Rent", "ACME salary", "Bank interest", "Opening deposit"]);
        assert_eq!(rows(&page("uncategorized=true")), ["Cinema tickets"], "{}", s.name);
        // Empty fields of the GET form are no filter.
        assert_eq!(rows(&page("q=&account=&category=&from=&to=&min_amount=&max_amount=")), ALL, "{}", s.name);

        let bad = page("min_amount=-5");
        assert!(bad.contains("min_amount: is compared"), "{}: the refusal names the field", s.name);
        assert!(rows(&bad).is_empty(), "{}: a refused filter shows no rows", s.name);
        assert!(page("from=2024-02-30").contains("from: invalid date"), "{}", s.name);
    }
}

#[test]
fn the_register_pages_forward_and_back_across_boundaries() {
    for db in databases() {
        let (s, f, http, cookie) = signed_in(db);

        let first = get(&s, &http, &cookie, &format!("/transactions?book={}&limit=2", f.book));
        assert_eq!(rows(&first), ALL[..2], "{}", s.name);
        assert_eq!(link(&first, "prev"), None, "{}: the newest page has no newer one", s.name);
        let second = get(&s, &http, &cookie, &link(&first, "next").expect("older link"));
        assert_eq!(rows(&second), ALL[2..4], "{}", s.name);
        let third = get(&s, &http, &cookie, &link(&second, "next").expect("older link"));
        assert_eq!(rows(&third), ALL[4..], "{}", s.name);
        assert_eq!(link(&third, "next"), None, "{}: the oldest page has no older one", s.name);

        let back = get(&s, &http, &cookie, &link(&third, "prev").expect("newer link"));
        assert_eq!(rows(&back), ALL[2..4], "{}", s.name);
        let front = get(&s, &http, &cookie, &link(&back, "prev").expect("newer link"));
        assert_eq!(rows(&front), ALL[..2], "{}", s.name);
        assert_eq!(link(&front, "prev"), None, "{}: back at the newest page", s.name);
        assert!(link(&front, "next").is_some(), "{}", s.name);

        // Paging keeps the filters.
        let giro = format!("/transactions?book={}&account={}&limit=3", f.book, f.giro);
        let page = get(&s, &http, &cookie, &giro);
        let older = link(&page, "next").expect("older link");
        assert!(older.contains(&format!("account={}", f.giro)), "{older}");
        assert_eq!(rows(&get(&s, &http, &cookie, &older)), ["Opening deposit"], "{}", s.name);
    }
}

#[test]
fn categorising_inline_and_in_bulk_changes_the_transactions() {
    for db in databases() {
        let (s, f, http, cookie) = signed_in(db);
        let back = format!("/transactions?book={}&q=e", f.book);

        let html = get(&s, &http, &cookie, &back);
        let inline = format!("action=\"/transactions/{}/category?book={}\"", f.id("Cinema tickets"), f.book);
        assert!(html.contains(&inline) && html.contains("data-autosubmit"), "{}: a form per row", s.name);
        assert!(html.contains("data-select-all"), "{}: bulk selection", s.name);

        let path = format!("/transactions/{}/category?book={}", f.id("Cinema tickets"), f.book);
        let (st, to) = post(&s, &http, &cookie, &path, &[("category", "Entertainment"), ("next", &back)]);
        assert_eq!(st, StatusCode::SEE_OTHER, "{}", s.name);
        assert!(to.starts_with(&format!("{back}&done=")), "{to}");
        assert_eq!(category(&s, &f, "Cinema tickets"), "Entertainment", "{}", s.name);
        assert!(get(&s, &http, &cookie, &to).contains("is now in Entertainment."), "{}: the flash", s.name);

        // Clearing the category: the empty option.
        post(&s, &http, &cookie, &path, &[("category", ""), ("next", &back)]);
        assert_eq!(category(&s, &f, "Cinema tickets"), Value::Null, "{}", s.name);

        let bulk = format!("/transactions/category?book={}", f.book);
        let ticked =
            [("tx", f.id("Cinema tickets")), ("tx", f.id("REWE groceries")), ("category", "Shopping"), ("next", &back)];
        let (st, to) = post(&s, &http, &cookie, &bulk, &ticked);
        assert_eq!(st, StatusCode::SEE_OTHER, "{}", s.name);
        assert!(get(&s, &http, &cookie, &to).contains("2 transactions now in Shopping."), "{}", s.name);
        assert_eq!(category(&s, &f, "Cinema tickets"), "Shopping", "{}", s.name);
        assert_eq!(category(&s, &f, "REWE groceries"), "Shopping", "{}", s.name);
        assert_eq!(category(&s, &f, "Rent"), "Housing:Rent", "{}: unticked rows stay", s.name);

        // Nothing ticked, or an unknown category: a message, and nothing changes.
        let (st, to) = post(&s, &http, &cookie, &bulk, &[("category", "Travel"), ("next", &back)]);
        assert_eq!(st, StatusCode::SEE_OTHER, "{}", s.name);
        assert!(get(&s, &http, &cookie, &to).contains("choose at least one transaction"), "{}", s.name);
        let unknown = [("tx", f.id("Rent")), ("tx", f.id("Cinema tickets")), ("category", "Nope"), ("next", &back)];
        let (st, to) = post(&s, &http, &cookie, &bulk, &unknown);
        assert_eq!(st, StatusCode::SEE_OTHER, "{}", s.name);
        assert!(to.contains("error="), "{to}");
        assert_eq!(category(&s, &f, "Rent"), "Housing:Rent", "{}: all or nothing", s.name);
        assert_eq!(category(&s, &f, "Cinema tickets"), "Shopping", "{}", s.name);
    }
}

#[test]
fn a_viewer_gets_no_category_controls_and_a_forged_post_is_refused() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let f = fixture(&s);
        user(&s.app, "viewer@example.org", false);
        let path = format!("/books/{}/members", f.book);
        let (st, v) = api(
            &s,
            &f.token,
            reqwest::Method::POST,
            &path,
            Some(json!({"email": "viewer@example.org", "role": "viewer"})),
        );
        assert!(st.is_success(), "{}: {v}", s.name);
        let http = client();
        let cookie = web_login(&s, &http, "viewer@example.org");

        let html = get(&s, &http, &cookie, &format!("/transactions?book={}", f.book));
        assert_eq!(rows(&html), ALL, "{}: a viewer sees every row", s.name);
        assert!(!html.contains("/category?book="), "{}: no category forms", s.name);
        assert!(!html.contains("data-select-all") && !html.contains("name=\"category\" form="), "{}", s.name);
        assert!(get(&s, &http, &cookie, &format!("/?book={}", f.book)).contains(&eur("4299.60")), "{}", s.name);

        let inline = format!("/transactions/{}/category?book={}", f.id("Rent"), f.book);
        let (st, _) = post(&s, &http, &cookie, &inline, &[("category", "Travel")]);
        assert_eq!(st, StatusCode::FORBIDDEN, "{}", s.name);
        let bulk = format!("/transactions/category?book={}", f.book);
        let (st, _) = post(&s, &http, &cookie, &bulk, &[("tx", f.id("Rent")), ("category", "Travel")]);
        assert_eq!(st, StatusCode::FORBIDDEN, "{}", s.name);
        assert_eq!(category(&s, &f, "Rent"), "Housing:Rent", "{}: nothing changed", s.name);

        // Someone without a role on the book learns nothing about it.
        user(&s.app, "stranger@example.org", false);
        let cookie = web_login(&s, &http, "stranger@example.org");
        let (st, _) = post(&s, &http, &cookie, &inline, &[("category", "Travel")]);
        assert_eq!(st, StatusCode::NOT_FOUND, "{}", s.name);
    }
}

#[test]
fn amount_bounds_compare_in_each_currencys_own_units() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let (actor, token) = user(&s.app, "fx@example.org", false);
        let book = s.app.list_books(&actor).expect("books")[0].id.to_string();
        for (currency, amount) in [("JPY", "-1500"), ("BHD", "-1.250"), ("EUR", "-1500.00")] {
            let body = json!({"name": currency, "kind": "checking", "currency": currency, "opened_on": "2020-01-01"});
            let account = create(&s, &token, &format!("/books/{book}/accounts"), body);
            let body = json!({"account_id": account, "date": "2024-05-01", "amount": amount, "description": currency});
            create(&s, &token, &format!("/books/{book}/transactions"), body);
        }
        let found = |query: &str| -> Vec<String> {
            let path = format!("/books/{book}/transactions?{query}");
            let (st, page) = api(&s, &token, reqwest::Method::GET, &path, None);
            assert_eq!(st, StatusCode::OK, "{}: {query}: {page}", s.name);
            let mut names: Vec<String> = page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|t| t["currency"].as_str().unwrap_or("").into())
                .collect();
            names.sort();
            names
        };
        assert_eq!(found("min_amount=1500"), ["EUR", "JPY"], "{}", s.name);
        assert_eq!(found("min_amount=1.25&max_amount=1.25"), ["BHD"], "{}", s.name);
        assert_eq!(found("min_amount=1.2501"), ["EUR", "JPY"], "{}", s.name);
        assert_eq!(found("max_amount=1.2499"), Vec::<String>::new(), "{}", s.name);
        assert_eq!(found("max_amount=1499.999"), ["BHD"], "{}", s.name);
        let (st, err) = api(
            &s,
            &token,
            reqwest::Method::GET,
            &format!("/books/{book}/transactions?min_amount=3&max_amount=2"),
            None,
        );
        assert_eq!((st, err["details"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("max_amount")));
    }
}

#[test]
fn the_home_points_out_a_category_far_above_its_average() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let (actor, token) = user(&s.app, "trend@example.org", false);
        let book = s.app.list_books(&actor).expect("books")[0].id.to_string();
        let body = json!({"name": "Giro", "kind": "checking", "currency": "EUR", "opened_on": "2020-01-01"});
        let giro = create(&s, &token, &format!("/books/{book}/accounts"), body);
        let first = jiff::Zoned::now().date().first_of_month();
        let record = |date: Date, amount: String, category: &str| {
            let body = json!({"account_id": giro, "date": date.to_string(), "amount": amount,
                "description": category, "category": category});
            create(&s, &token, &format!("/books/{book}/transactions"), body);
        };
        for k in 1..=12 {
            let date = first.checked_sub(jiff::Span::new().months(k)).expect("date");
            record(date, format!("-{}.00", 95 + k % 3 * 5), "Groceries");
        }
        record(first, "-400.00".into(), "Groceries");
        record(first, "-300.00".into(), "Travel");
        let http = client();
        let cookie = web_login(&s, &http, "trend@example.org");
        let home = get(&s, &http, &cookie, "/");
        assert!(home.contains(&format!("Groceries: {} spent this month", eur("400.00"))), "{}: {home}", s.name);
        assert!(home.contains(&format!("above the monthly average of {}", eur("100.00"))), "{}", s.name);
        assert!(
            !home.contains(&format!("Travel: {} spent", eur("300.00"))),
            "{}: a category new this month has no average to exceed",
            s.name
        );
    }
}
