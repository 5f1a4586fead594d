//! Issue 14, findings 1 and 5, through real HTTP on both backends: an
//! amount or a date outside kassa's range is refused with a 422 naming the
//! field — for a spender as for the owner, in bodies and in filters — and
//! nothing it could have broken breaks: balances, the register, every
//! report, the home page, deletion and rebuild keep answering, and sums at
//! the edge of the range are exact on PostgreSQL as on SQLite.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::web::{client, web_login};
use crate::{Server, databases, test_config, user};

/// A book whose owner and spender both hold a token, with the spender's account.
struct Book {
    s: Server,
    owner: String,
    spender: String,
    book: String,
    account: String,
}

impl Book {
    fn new(s: Server) -> Book {
        let (actor, owner) = user(&s.app, "owner@example.org", false);
        let (_, spender) = user(&s.app, "spender@example.org", false);
        let book = s.app.list_books(&actor).expect("books")[0].id.to_string();
        let mut b = Book { s, owner, spender, book, account: String::new() };
        let (st, acc) = b.api(
            &b.owner,
            Method::POST,
            "/accounts",
            json!({"name": "Giro", "kind": "checking", "currency": "EUR", "opened_on": "2020-01-01"}),
        );
        assert_eq!(st, StatusCode::CREATED, "{acc}");
        b.account = acc["id"].as_str().expect("id").to_string();
        let grant = json!({"email": "spender@example.org", "role": "spender", "account_id": b.account});
        let (st, v) = b.api(&b.owner, Method::POST, "/members", grant);
        assert!(st.is_success(), "{st} {v}");
        b
    }

    /// A request under the book; `Value::Null` sends no body.
    fn api(&self, token: &str, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        let mut req = self.s.http.request(method, format!("{}/api/v1/books/{}{path}", self.s.base, self.book));
        req = req.bearer_auth(token);
        if !body.is_null() {
            req = req.json(&body);
        }
        let r = self.s.run(req.send()).expect("send");
        let status = r.status();
        let text = self.s.run(r.text()).expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn post_tx(&self, token: &str, date: &str, amount: &str) -> (StatusCode, Value) {
        let body = json!({"account_id": self.account, "date": date, "amount": amount, "description": "edge"});
        self.api(token, Method::POST, "/transactions", body)
    }

    fn get(&self, token: &str, path: &str) -> Value {
        let (st, v) = self.api(token, Method::GET, path, Value::Null);
        assert_eq!(st, StatusCode::OK, "{}: GET {path}: {v}", self.s.name);
        v
    }

    fn balance(&self, token: &str) -> String {
        let accounts = self.get(token, "/accounts");
        let giro = accounts.as_array().expect("accounts").iter().find(|a| a["name"] == "Giro").expect("Giro");
        giro["balance"].as_str().expect("balance").to_string()
    }

    /// Every place the finding saw answer 500 answers 200, for both callers.
    fn everything_answers(&self) {
        for token in [&self.owner, &self.spender] {
            self.get(token, "/accounts");
            self.get(token, "/transactions");
        }
        for name in ["balances", "networth", "monthly", "yearly?year=2024", "history", "cashflow", "top", "trends"] {
            self.get(&self.owner, &format!("/reports/{name}"));
        }
        let http = client();
        // Reports need the whole book, which a spender does not see.
        for (email, pages) in [
            ("owner@example.org", &["/", "/accounts", "/transactions", "/reports"][..]),
            ("spender@example.org", &["/", "/accounts", "/transactions"][..]),
        ] {
            let cookie = web_login(&self.s, &http, email);
            for page in pages {
                let r = self.s.run(http.get(format!("{}{page}", self.s.base)).header("cookie", &cookie).send());
                assert_eq!(r.expect("get").status(), StatusCode::OK, "{}: {email} GET {page}", self.s.name);
            }
        }
    }
}

/// A 422 whose details name `field`, as every validation error does.
fn refused(reply: (StatusCode, Value), field: &str, name: &str) {
    let (st, v) = reply;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {field}: {v}");
    assert_eq!(v["code"], "invalid_field", "{name}: {v}");
    assert_eq!(v["details"]["field"], field, "{name}: {v}");
}

#[test]
fn out_of_range_amounts_are_refused_naming_the_field_and_break_nothing() {
    for db in databases() {
        let b = Book::new(Server::start(db, test_config()));
        let name = b.s.name;
        // What the finding posted, as a spender and as the owner: SQLite
        // capped the first at 92233720368547758.07 and a second turned the
        // balance into a float; the others overflowed rust_decimal.
        for amount in [
            "100000000000000000.00",
            "-100000000000000000.00",
            "792281625142643375935439503.35",
            "79228162514264337593543950335",
            "100000000000000.00",
        ] {
            for token in [&b.spender, &b.owner] {
                refused(b.post_tx(token, "2024-05-01", amount), "amount", name);
            }
        }
        // The largest amount in range goes in, exactly.
        let (st, tx) = b.post_tx(&b.spender, "2024-05-01", "99999999999999.99");
        assert_eq!((st, tx["amount"].as_str()), (StatusCode::CREATED, Some("99999999999999.99")), "{name}: {tx}");
        assert_eq!(b.balance(&b.owner), "99999999999999.99", "{name}");

        // Filters go through the same check.
        for field in ["min_amount", "max_amount"] {
            let path = format!("/transactions?{field}=79228162514264337593543950335");
            refused(b.api(&b.owner, Method::GET, &path, Value::Null), field, name);
        }
        let path = "/transactions?min_amount=99999999999999.99";
        assert_eq!(b.get(&b.owner, path)["items"].as_array().map(Vec::len), Some(1), "{name}");

        // A transfer's amounts too.
        let (st, savings) = b.api(
            &b.owner,
            Method::POST,
            "/accounts",
            json!({"name": "Savings", "kind": "savings", "currency": "EUR", "opened_on": "2020-01-01"}),
        );
        assert_eq!(st, StatusCode::CREATED, "{name}: {savings}");
        let transfer = |amount: &str, to_amount: Option<&str>| {
            let body = json!({"from_account_id": b.account, "to_account_id": savings["id"], "date": "2024-05-02",
                "amount": amount, "to_amount": to_amount});
            b.api(&b.owner, Method::POST, "/transfers", body)
        };
        refused(transfer("100000000000000000.00", None), "amount", name);
        refused(transfer("1.00", Some("79228162514264337593543950335")), "to_amount", name);

        b.everything_answers();
        // Deleting works, and rebuild reproduces the balance.
        let id = tx["id"].as_str().expect("id");
        let (st, v) = b.api(&b.owner, Method::DELETE, &format!("/transactions/{id}"), Value::Null);
        assert_eq!(st, StatusCode::NO_CONTENT, "{name}: {v}");
        b.s.app.store.rebuild(&mut |_, _| {}).expect("rebuild");
        assert_eq!(b.balance(&b.spender), "0.00", "{name}");
    }
}

#[test]
fn a_sum_that_would_leave_the_range_is_refused_and_sums_inside_it_are_exact() {
    for db in databases() {
        let b = Book::new(Server::start(db, test_config()));
        let name = b.s.name;
        // Two amounts in range whose sum is not: the second is refused,
        // naming the amount, and the balance stays what it was.
        assert_eq!(b.post_tx(&b.spender, "2024-05-01", "99999999999999.99").0, StatusCode::CREATED, "{name}");
        let (st, v) = b.post_tx(&b.spender, "2024-05-01", "0.01");
        refused((st, v.clone()), "amount", name);
        assert!(v["message"].as_str().is_some_and(|m| m.contains("Giro")), "{name}: names the account: {v}");
        refused(b.post_tx(&b.spender, "2024-06-01", "99999999999999.99"), "amount", name);
        assert_eq!(b.balance(&b.owner), "99999999999999.99", "{name}");

        // Near the edge, every figure is to the cent, on both backends.
        for amount in ["-99999999999999.99", "-99999999999999.99", "99999999999999.98", "0.01"] {
            assert_eq!(b.post_tx(&b.spender, "2024-05-02", amount).0, StatusCode::CREATED, "{name}: {amount}");
        }
        assert_eq!(b.balance(&b.owner), "0.00", "{name}");
        assert_eq!(b.post_tx(&b.owner, "2024-04-30", "-99999999999999.99").0, StatusCode::CREATED, "{name}");
        assert_eq!(b.balance(&b.owner), "-99999999999999.99", "{name}");
        let report = b.get(&b.owner, "/reports/networth?interval=month&from=2024-04-01&to=2024-05-31");
        let worth: Vec<&str> = report["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .filter(|r| r["account"] == "Net worth")
            .map(|r| r["balance"].as_str().expect("balance"))
            .collect();
        assert_eq!(worth, ["-99999999999999.99", "-99999999999999.99"], "{name}: {report}");
        b.everything_answers();
        b.s.app.store.rebuild(&mut |_, _| {}).expect("rebuild");
        assert_eq!(b.balance(&b.spender), "-99999999999999.99", "{name}");
    }
}

#[test]
fn extreme_dates_are_refused_naming_the_field_and_reports_keep_answering() {
    for db in databases() {
        let b = Book::new(Server::start(db, test_config()));
        let name = b.s.name;
        for date in ["-000001-12-31", "9999-12-31", "1899-12-31", "2201-01-01"] {
            for token in [&b.spender, &b.owner] {
                refused(b.post_tx(token, date, "-1.00"), "date", name);
            }
        }
        // The first and last day of the range are taken, and every report
        // and page answers with them in the book.
        for date in ["1900-01-01", "2200-12-31"] {
            let (st, v) = b.post_tx(&b.spender, date, "-1.00");
            assert_eq!(st, StatusCode::CREATED, "{name}: {date}: {v}");
        }
        b.everything_answers();
        for path in
            ["/reports/monthly?from=1900-01&to=1900-12", "/reports/trends?month=2200-12", "/reports/yearly?year=1900"]
        {
            b.get(&b.owner, path);
        }

        // Dates in queries and other bodies go through the same check.
        let opened = json!({"name": "Old", "kind": "cash", "currency": "EUR", "opened_on": "9999-12-31"});
        refused(b.api(&b.owner, Method::POST, "/accounts", opened), "opened_on", name);
        for (path, field) in [
            ("/transactions?from=-000001-01-01", "from"),
            ("/transactions?to=9999-12-31", "to"),
            ("/reports/networth?as_of=9999-12-31", "as_of"),
            ("/reports/networth?from=0001-01-01", "from"),
            ("/reports/monthly?from=9999-01", "from"),
            ("/reports/yearly?year=9999", "year"),
            ("/reports/trends?month=1899-12", "month"),
            ("/reports/top?period=9999", "period"),
        ] {
            refused(b.api(&b.owner, Method::GET, path, Value::Null), field, name);
        }
    }
}
