//! `/buckets` and `/goals` (with its loans) through real HTTP on both
//! backends, on a clock stopped at 2025-03-01: buckets added and money
//! moved with the forms, goals with their rings, required monthly amounts
//! and projected dates, loans given, taken and repaid in part — the figures
//! worked out by hand — and refused edits (percentages over 100, an unknown
//! bucket, a repayment over what is open) shown again with 422 and nothing
//! stored; a viewer sees the figures, no forms, and a forged post is refused.

use kassa_app::Actor;
use kassa_app::books::{CreateAccount, CreateTransaction};
use kassa_core::BookId;
use reqwest::StatusCode;

use crate::security::TestClock;
use crate::web::{client, web_login};
use crate::web_budgets::{bar, eur, marked, viewer};
use crate::web_tools::{get, post};
use crate::{Server, checking, databases, test_config, user};

/// A book on the stopped clock with a Checking and an empty Tagesgeld
/// account, its owner signed in to the pages.
struct Book {
    s: Server,
    book: BookId,
    owner: Actor,
    checking: uuid::Uuid,
    http: reqwest::Client,
    cookie: String,
}

fn book(db: kassa_store::testing::TestDb) -> Book {
    let s = Server::start_with_clock(db, test_config(), TestClock::new());
    let (owner, _) = user(&s.app, "owner@example.org", false);
    let book = BookId(s.app.list_books(&owner).expect("books")[0].id);
    let checking = s.app.create_account(&owner, book, &checking("Checking")).expect("account").id;
    let savings = CreateAccount { kind: "savings".into(), ..crate::checking("Tagesgeld") };
    s.app.create_account(&owner, book, &savings).expect("account");
    let http = client();
    let cookie = web_login(&s, &http, "owner@example.org");
    Book { s, book, owner, checking, http, cookie }
}

impl Book {
    fn page(&self, path: &str) -> String {
        let (status, html) = get(&self.s, &self.http, &self.cookie, &format!("{path}?book={}", self.book.0));
        assert_eq!(status, StatusCode::OK, "{}: GET {path}: {html}", self.s.name);
        html
    }

    /// Posts a form; the status and the redirect target, or the page.
    fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let r = post(&self.s, &self.http, &self.cookie, &format!("{path}?book={}", self.book.0), form);
        (r.status, if r.location.is_empty() { r.body } else { r.location })
    }

    /// Posts a form that must be done, and follows its redirect to the page with `notice`.
    fn done(&self, path: &str, form: &[(&str, &str)], back: &str, code: &str, notice: &str) -> String {
        let (status, to) = self.post(path, form);
        assert_eq!(status, StatusCode::SEE_OTHER, "{}: POST {path}: {to}", self.s.name);
        assert_eq!(to, format!("{back}?book={}&done={code}", self.book.0), "{}", self.s.name);
        let (_, html) = get(&self.s, &self.http, &self.cookie, &to);
        assert!(html.contains(notice), "{}: {notice}: {html}", self.s.name);
        html
    }

    /// Posts a form the app must refuse: the page again, 422, with `says`.
    fn refused(&self, path: &str, form: &[(&str, &str)], says: &str) {
        let (status, html) = self.post(path, form);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: POST {path} {form:?}: {html}", self.s.name);
        assert!(html.contains("role=\"alert\"") && html.contains(says), "{}: {says}: {html}", self.s.name);
        assert!(html.contains("aria-label=\"Plan\""), "{}: the page itself, not an error page", self.s.name);
    }

    fn record(&self, date: &str, amount: &str, category: &str, bucket: Option<&str>) {
        let tx = CreateTransaction {
            account_id: self.checking,
            date: date.into(),
            amount: amount.into(),
            description: category.into(),
            category: Some(category.into()),
            counterparty: None,
            bucket: bucket.map(str::to_string),
        };
        self.s.app.create_transaction(&self.owner, self.book, &tx).expect("transaction");
    }
}

/// A bucket's row: its cells' texts as shown, then its bar.
fn bucket(html: &str, name: &str) -> (Vec<String>, String) {
    let row = marked(html, "data-bucket", name, "</tr>");
    let cells = row
        .split("<td class=\"num")
        .skip(1)
        .map(|c| c[c.find('>').expect("cell") + 1..c.find("</td>").expect("cell end")].to_string());
    (cells.collect(), bar(row))
}

fn cells(want: &[&str]) -> Vec<String> {
    want.iter().map(|c| c.to_string()).collect()
}

#[test]
fn the_bucket_page_lists_the_buckets_and_its_forms_add_and_move_with_refusals_storing_nothing() {
    for db in databases() {
        let b = book(db);
        let empty = b.page("/buckets");
        assert!(empty.contains("No buckets yet") && empty.contains("aria-current=\"page\">Buckets<"), "{empty}");
        assert!(!empty.contains("action=\"/buckets/move"), "{}: nothing to move between yet", b.s.name);
        b.done(
            "/buckets/add",
            &[("name", "Savings"), ("percent", "50"), ("income_category", "")],
            "/buckets",
            "added",
            "Bucket saved.",
        );
        // 50 + 60 is over 100: the page again, naming both, and no Rent.
        b.refused("/buckets/add", &[("name", "Rent"), ("percent", "60")], "Rent 60 %, Savings 50 %");
        b.refused("/buckets/add", &[("name", "Rent"), ("percent", "ten")], "percent: ");
        b.refused("/buckets/add", &[("name", "Rent"), ("percent", "10"), ("income_category", "Salry")], "Salry");
        assert!(!b.page("/buckets").contains("data-bucket=\"Rent\""), "{}: nothing stored", b.s.name);

        // 1000.05 of salary: Savings 500.025 → 500.02 (half to even), Unallocated 500.03;
        // 45.50 of groceries spent from Savings, and 425 moved into it.
        b.record("2025-01-31", "1000.05", "Salary", None);
        b.record("2025-01-31", "-45.50", "Groceries", Some("Savings"));
        let form = [("from", "Unallocated"), ("to", "Savings"), ("amount", "425"), ("date", "2025-02-01")];
        b.done("/buckets/move", &form, "/buckets", "moved", "Money moved between the buckets.");
        for (to, amount, says) in
            [("Nope", "5", "to: "), ("Savings", "lots", "amount: "), ("Savings", "0.001", "amount: ")]
        {
            b.refused(
                "/buckets/move",
                &[("from", "Unallocated"), ("to", to), ("amount", amount), ("date", "2025-02-01")],
                says,
            );
        }
        // Savings: 500.02 − 45.50 + 425 = 879.52, more than it was given
        // (175.9 %): a full bar. Unallocated: 500.03 − 425 = 75.03, 15.005 %
        // of what it was given: amber from 20 % down.
        let html = b.page("/buckets");
        assert_eq!(
            bucket(&html, "Savings"),
            (
                cells(&["50 %", &eur("500.02"), &eur("45.50"), &eur("425.00"), &eur("0.00"), &eur("879.52")]),
                "under 100".to_string()
            ),
            "{}",
            b.s.name
        );
        assert!(html.contains("Savings: balance 175 % of allocated"), "{}", b.s.name);
        assert_eq!(
            bucket(&html, "Unallocated"),
            (
                cells(&["50 %", &eur("500.03"), &eur("0.00"), &eur("0.00"), &eur("425.00"), &eur("75.03")]),
                "near 15".to_string()
            ),
            "{}",
            b.s.name
        );
        assert!(html.contains("Unallocated: balance 15 % of allocated"), "{}", b.s.name);
        assert!(html.contains("<option value=\"Salary\">"), "{}: income categories may feed a bucket", b.s.name);
        assert!(!html.contains("<option value=\"Groceries\">"), "{}: only income ones", b.s.name);

        // At the end of January the move had not happened: 500.02 − 45.50.
        let (_, january) = get(&b.s, &b.http, &b.cookie, &format!("/buckets?as_of=2025-01&book={}", b.book.0));
        assert!(january.contains("Your buckets as of 2025-01-31"), "{}: {january}", b.s.name);
        assert_eq!(bucket(&january, "Savings").0[3], eur("0.00"), "{}: no move yet", b.s.name);
        assert_eq!(bucket(&january, "Savings").0[5], eur("454.52"), "{}", b.s.name);
        assert_eq!(bucket(&january, "Unallocated").0[5], eur("500.03"), "{}", b.s.name);
        let (status, html) = get(&b.s, &b.http, &b.cookie, "/buckets?as_of=soon");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", b.s.name);
        assert!(html.contains("as_of: "), "{}: {html}", b.s.name);

        // Spending more than it holds overdraws Unallocated: a red bar.
        b.record("2025-02-15", "-100.00", "Groceries", Some("Unallocated"));
        let (cells, bar) = bucket(&b.page("/buckets"), "Unallocated");
        assert_eq!((cells[5].as_str(), bar.as_str()), (eur("-24.97").as_str(), "over 100"), "{}", b.s.name);
    }
}

#[test]
fn the_goal_page_shows_rings_required_amounts_and_projected_dates_and_records_loans() {
    for db in databases() {
        let b = book(db);
        b.done("/buckets/add", &[("name", "Savings"), ("percent", "50")], "/buckets", "added", "Bucket saved.");
        b.record("2025-01-31", "1000.05", "Salary", None);
        b.record("2025-01-31", "-45.50", "Groceries", Some("Savings"));
        let form = [("from", "Unallocated"), ("to", "Savings"), ("amount", "425"), ("date", "2025-02-01")];
        b.done("/buckets/move", &form, "/buckets", "moved", "Money moved");

        let empty = b.page("/goals");
        assert!(empty.contains("No goals yet") && empty.contains("No loans"), "{}: {empty}", b.s.name);
        assert!(empty.contains("value=\"bucket:Savings\"") && empty.contains("value=\"account:Tagesgeld\""));
        let car = [("name", "Car"), ("target", "1000"), ("by", "2025-12-31"), ("saved_in", "bucket:Savings")];
        b.done("/goals/add", &car, "/goals", "goal", "Goal saved.");
        let holiday = [("name", "Holiday"), ("target", "500"), ("by", "2025-06-30"), ("saved_in", "account:Tagesgeld")];
        b.done("/goals/add", &holiday, "/goals", "goal", "Goal saved.");
        let bad = |field: &'static str, value: &'static str| {
            car.iter().map(|&(k, v)| if k == field { (k, value) } else { (k, v) }).collect::<Vec<_>>()
        };
        b.refused("/goals/add", &bad("target", "-5"), "target: must be positive");
        b.refused("/goals/add", &bad("by", "soon"), "by: ");
        b.refused("/goals/add", &bad("saved_in", "bucket:Nope"), "bucket: ");
        b.refused("/goals/add", &bad("saved_in", "Savings"), "saved_in: choose an account or a bucket");

        let html = b.page("/goals");
        assert_eq!(html.matches("<li class=\"goal\"").count(), 2, "{}: the refused ones are not stored", b.s.name);
        // Car: 879.52 of 1,000 saved (0.8795); 120.48 over March to December
        // is 12.048 → 12.05 a month; Savings grew 879.52 over September to
        // February, 146.59 a month, so 120.48 is reached within a month.
        let car = marked(&html, "data-goal", "Car", "</li>");
        for want in [
            "aria-label=\"Car: 87 % saved\"",
            "stroke-dasharray=\"87.95 100\"",
            &eur("879.52"),
            &eur("1000.00"),
            &eur("12.05"),
            "2025-04-01",
            "bucket Savings, by 2025-12-31",
        ] {
            assert!(car.contains(want), "{}: {want} in {car}", b.s.name);
        }
        // Holiday: nothing in Tagesgeld; 500 over March to June is 125 a
        // month, and an average of 0 reaches nothing.
        let holiday = marked(&html, "data-goal", "Holiday", "</li>");
        for want in [
            "aria-label=\"Holiday: 0 % saved\"",
            "stroke-dasharray=\"0 100\"",
            &eur("125.00"),
            "not at the current pace",
            "Tagesgeld, by 2025-06-30",
        ] {
            assert!(holiday.contains(want), "{}: {want} in {holiday}", b.s.name);
        }

        // 100 lent to Anna, 40 of it repaid; 30 borrowed from Ben.
        let loan = |kind: &'static str, who: &'static str, amount: &'static str| {
            [("kind", kind), ("counterparty", who), ("account", "Checking"), ("amount", amount), ("date", "2025-02-10")]
        };
        b.done("/goals/loan", &loan("give", "Anna", "100"), "/goals", "loan", "Loan recorded.");
        b.done("/goals/loan", &loan("repay", "Anna", "40"), "/goals", "loan", "Loan recorded.");
        b.refused("/goals/loan", &loan("repay", "Anna", "60.01"), "is more than the 60.00 open with &#39;Anna&#39;");
        b.refused("/goals/loan", &loan("repay", "Ben", "5"), "nothing is open with &#39;Ben&#39;");
        b.refused("/goals/loan", &loan("lend", "Ben", "5"), "kind: unknown kind");
        b.done("/goals/loan", &loan("take", "Ben", "30"), "/goals", "loan", "Loan recorded.");
        let html = b.page("/goals");
        let anna = marked(&html, "data-loan", "Anna", "</tr>");
        assert!(anna.contains("Checking") && anna.contains(&eur("60.00")) && anna.contains(">receivable<"), "{anna}");
        let ben = marked(&html, "data-loan", "Ben", "</tr>");
        assert!(ben.contains(&eur("-30.00")) && ben.contains(">payable<"), "{}: {ben}", b.s.name);
        assert_eq!(html.matches("<tr data-loan=").count(), 2, "{}", b.s.name);
        // Loans are neutral: the Car goal's bucket got nothing from them.
        assert!(marked(&html, "data-goal", "Car", "</li>").contains(&eur("879.52")), "{}", b.s.name);
    }
}

#[test]
fn a_viewer_sees_buckets_goals_and_loans_without_forms_and_forged_posts_are_refused() {
    for db in databases() {
        let b = book(db);
        b.done("/buckets/add", &[("name", "Savings"), ("percent", "50")], "/buckets", "added", "Bucket saved.");
        b.record("2025-01-31", "200.00", "Salary", None);
        let car = [("name", "Car"), ("target", "1000"), ("by", "2025-12-31"), ("saved_in", "bucket:Savings")];
        b.done("/goals/add", &car, "/goals", "goal", "Goal saved.");
        let loan = [
            ("kind", "give"),
            ("counterparty", "Anna"),
            ("account", "Checking"),
            ("amount", "100"),
            ("date", "2025-02-10"),
        ];
        b.done("/goals/loan", &loan, "/goals", "loan", "Loan recorded.");
        let viewer = viewer(&b.s, &b.http, &b.owner, b.book, "viewer@example.org");

        let (status, buckets) = get(&b.s, &b.http, &viewer, "/buckets");
        assert_eq!(status, StatusCode::OK, "{}", b.s.name);
        assert_eq!(bucket(&buckets, "Savings").0[5], eur("100.00"), "{}: a viewer sees the figures", b.s.name);
        let (status, goals) = get(&b.s, &b.http, &viewer, "/goals");
        assert_eq!(status, StatusCode::OK, "{}", b.s.name);
        assert!(marked(&goals, "data-goal", "Car", "</li>").contains("Car: 10 % saved"), "{}: {goals}", b.s.name);
        assert!(marked(&goals, "data-loan", "Anna", "</tr>").contains(&eur("100.00")), "{}", b.s.name);
        for html in [&buckets, &goals] {
            assert!(
                !html.contains("method=\"post\" action=\"/buckets") && !html.contains("action=\"/goals/"),
                "{html}"
            );
        }

        let forms: [(&str, &[(&str, &str)]); 4] = [
            ("/buckets/add", &[("name", "Fun"), ("percent", "10")]),
            ("/buckets/move", &[("from", "Unallocated"), ("to", "Savings"), ("amount", "5"), ("date", "2025-02-01")]),
            ("/goals/add", &[("name", "Boat"), ("target", "5"), ("by", "2025-12-31"), ("saved_in", "bucket:Savings")]),
            ("/goals/loan", &loan),
        ];
        for (path, form) in forms {
            let r = post(&b.s, &b.http, &viewer, path, form);
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}: a viewer's POST {path}", b.s.name);
            // The owner's own session, from another site: refused before it reaches the app.
            let forged = b.s.run(
                b.http
                    .post(format!("{}{path}?book={}", b.s.base, b.book.0))
                    .header("cookie", &b.cookie)
                    .header("sec-fetch-site", "cross-site")
                    .form(form)
                    .send(),
            );
            assert_eq!(forged.expect("post").status(), StatusCode::FORBIDDEN, "{}: cross-site POST {path}", b.s.name);
        }
        assert_eq!(get(&b.s, &b.http, &viewer, "/buckets").1, buckets, "{}: nothing stored", b.s.name);
        let goals_now = b.page("/goals");
        assert!(
            !goals_now.contains("data-goal=\"Boat\"") && !goals_now.contains("data-bucket=\"Fun\""),
            "{}",
            b.s.name
        );
        assert!(marked(&goals_now, "data-loan", "Anna", "</tr>").contains(&eur("100.00")), "{}: one loan", b.s.name);
    }
}
