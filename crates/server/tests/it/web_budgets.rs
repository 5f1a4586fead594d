//! `/budgets`, `/recurring` and the home page's budget card and next
//! payments through real HTTP on both backends, on a clock stopped at
//! 2025-03-01: the figures worked out by hand, the bars' widths and
//! colours, the edits (inline set, copy, fill), bad input named by field
//! with nothing stored, confirm / dismiss, and what a viewer may do.

use kassa_app::Actor;
use kassa_app::books::{AddMember, CreateTransaction};
use kassa_core::{BookId, Currency};
use kassa_server::charts::money;
use reqwest::StatusCode;

use crate::security::TestClock;
use crate::web::{client, web_login};
use crate::web_tools::{get, post};
use crate::{Server, checking, databases, test_config, user};

/// A book on a stopped clock, its id and its owner signed in to the pages.
struct Book {
    s: Server,
    book: BookId,
    owner: Actor,
    http: reqwest::Client,
    cookie: String,
}

/// Income, groceries in January and February, five categories spent from
/// on 2025-03-01 ("today"), and a gym paid on the 1st since October.
fn book(db: kassa_store::testing::TestDb) -> Book {
    let s = Server::start_with_clock(db, test_config(), TestClock::new());
    let (owner, _) = user(&s.app, "owner@example.org", false);
    let book = BookId(s.app.list_books(&owner).expect("books")[0].id);
    let account = s.app.create_account(&owner, book, &checking("Checking")).expect("account").id;
    let mut rows = vec![
        ("2025-01-25", "1000.00", Some("Salary"), "ACME"),
        ("2025-01-10", "-120.00", Some("Groceries"), "REWE"),
        ("2025-02-03", "-40.00", Some("Groceries"), "REWE"),
        ("2025-03-01", "500.00", Some("Salary"), "ACME"),
        ("2025-03-01", "-45.00", Some("Groceries"), "REWE"),
        ("2025-03-01", "-80.00", Some("Transport:Fuel"), "Aral"),
        ("2025-03-01", "-30.00", Some("Travel"), "DB"),
        ("2025-03-01", "-5.00", Some("Shopping"), "Kiosk"),
    ];
    for date in ["2024-10-01", "2024-11-01", "2024-12-01", "2025-01-01", "2025-02-01"] {
        rows.push((date, "-29.90", None, "McFit"));
    }
    for (date, amount, category, counterparty) in rows {
        let tx = CreateTransaction {
            account_id: account,
            date: date.into(),
            amount: amount.into(),
            description: format!("SEPA LASTSCHRIFT {counterparty}"),
            category: category.map(str::to_string),
            counterparty: Some(counterparty.into()),
            bucket: None,
        };
        s.app.create_transaction(&owner, book, &tx).expect("transaction");
    }
    let http = client();
    let cookie = web_login(&s, &http, "owner@example.org");
    Book { s, book, owner, http, cookie }
}

pub fn eur(amount: &str) -> String {
    money(amount.parse().expect("decimal"), Currency::EUR)
}

impl Book {
    fn page(&self, path: &str) -> String {
        let (status, html) = get(&self.s, &self.http, &self.cookie, path);
        assert_eq!(status, StatusCode::OK, "{}: GET {path}: {html}", self.s.name);
        html
    }

    fn budgets(&self, month: &str) -> String {
        self.page(&format!("/budgets?month={month}&book={}", self.book.0))
    }

    /// Posts a budget form of `month`; returns the status and the page or redirect target.
    fn edit(&self, action: &str, month: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let mut form = vec![("month", month)];
        form.extend_from_slice(fields);
        let r = post(&self.s, &self.http, &self.cookie, &format!("/budgets/{action}?book={}", self.book.0), &form);
        (r.status, if r.location.is_empty() { r.body } else { r.location })
    }

    /// Sets a budget and follows the redirect back to the month.
    fn set(&self, month: &str, category: &str, amount: &str) -> String {
        let (status, to) = self.edit("set", month, &[("category", category), ("amount", amount)]);
        assert_eq!(status, StatusCode::SEE_OTHER, "{}: {to}", self.s.name);
        assert_eq!(to, format!("/budgets?month={month}&book={}&done=set", self.book.0));
        self.page(&to)
    }
}

/// The table row of `category` on a page.
fn row<'a>(html: &'a str, category: &str) -> &'a str {
    marked(html, "data-category", category, "</tr>")
}

/// The part of `html` from the element whose `attr` is `value` to the next `end`.
pub fn marked<'a>(html: &'a str, attr: &str, value: &str, end: &str) -> &'a str {
    let start = html.find(&format!("{attr}=\"{value}\"")).unwrap_or_else(|| panic!("{attr}={value}: {html}"));
    let stop = html[start..].find(end).unwrap_or_else(|| panic!("{end} after {attr}={value}")) + start;
    &html[start..stop]
}

/// Grants `email` (a new user) the viewer's role on the book; their page cookie, on that book.
pub fn viewer(s: &Server, http: &reqwest::Client, owner: &Actor, book: BookId, email: &str) -> String {
    user(&s.app, email, false);
    let grant = AddMember { email: Some(email.into()), org_id: None, role: "viewer".into(), account_id: None };
    s.app.add_member(owner, book, &grant).expect("grant");
    format!("{}; kassa_book={}", web_login(s, http, email), book.0)
}

/// A row's bar: its class and the filled part's width, as `class width`.
pub fn bar(row: &str) -> String {
    let after = |key: &str| {
        let rest = &row[row.find(key).unwrap_or_else(|| panic!("{key} in {row}")) + key.len()..];
        rest[..rest.find('"').expect("quote")].to_string()
    };
    format!("{} {}", after("class=\"budget-bar "), after("class=\"fill\" width=\""))
}

#[test]
fn the_budget_page_shows_the_month_and_its_edits_move_the_bars() {
    for db in databases() {
        let b = book(db);
        let jan = b.budgets("2025-01");
        assert!(jan.contains("<h1>Budget for January 2025</h1>"), "{}: {jan}", b.s.name);
        assert!(jan.contains(&format!("id=\"to-budget\" class=\"pos\">{}", eur("1000.00"))), "{}: {jan}", b.s.name);
        let groceries = row(&jan, "Groceries");
        assert!(groceries.contains(&eur("-120.00")), "{groceries}");
        assert_eq!(bar(groceries), "over 100", "{}: spent with nothing budgeted", b.s.name);
        assert!(jan.contains("month=2024-12&#38;book=") && jan.contains("month=2025-02&#38;book="), "prev/next");
        assert!(jan.contains("<option value=\"Travel\">"), "{}: another category can be budgeted", b.s.name);
        assert!(!jan.contains("<option value=\"Salary\">"), "{}: only expense categories", b.s.name);

        // 120 of 150 is 80 %: amber; 30 left, and 1000 − 150 to budget.
        let jan = b.set("2025-01", "Groceries", "150");
        assert!(jan.contains("Budget saved."), "{}", b.s.name);
        let groceries = row(&jan, "Groceries");
        assert!(groceries.contains("value=\"150.00\"") && groceries.contains(&eur("30.00")), "{groceries}");
        assert_eq!(bar(groceries), "near 80", "{}", b.s.name);
        assert!(jan.contains(&eur("850.00")), "{}", b.s.name);
        // 120 of 100: red, 20 over.
        let jan = b.set("2025-01", "Groceries", "100");
        assert_eq!(bar(row(&jan, "Groceries")), "over 100", "{}", b.s.name);
        assert!(row(&jan, "Groceries").contains(&eur("-20.00")) && jan.contains(&eur("900.00")), "{}", b.s.name);

        // Bad input: the page again with the field named, and nothing stored.
        for (category, amount, says) in [
            ("Groceries", "-1", "amount: "),
            ("Groceries", "lots", "amount: "),
            ("Salary", "10", "category: &#39;Salary&#39; is in the income section"),
            ("Grocries", "10", "Grocries"),
        ] {
            let (status, html) = b.edit("set", "2025-01", &[("category", category), ("amount", amount)]);
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {category} {amount}: {html}", b.s.name);
            assert!(html.contains("role=\"alert\"") && html.contains(says), "{}: {says}: {html}", b.s.name);
        }
        let (status, html) = b.edit("set", "2025-13", &[("category", "Groceries"), ("amount", "5")]);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", b.s.name);
        assert!(html.contains("month: invalid month &#39;2025-13&#39;"), "{}: {html}", b.s.name);
        let (status, html) = get(&b.s, &b.http, &b.cookie, "/budgets?month=January");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", b.s.name);
        assert!(html.contains("month: invalid month"), "{}: {html}", b.s.name);
        assert!(row(&b.budgets("2025-01"), "Groceries").contains("value=\"100.00\""), "{}: unchanged", b.s.name);

        // February: January's 20 overspent comes out of to budget (900 − 20),
        // and Groceries starts from zero; copying January budgets 100 (780 left).
        let feb = b.budgets("2025-02");
        assert!(feb.contains(&eur("880.00")) && feb.contains(&eur("-20.00")), "{}: {feb}", b.s.name);
        let (status, to) = b.edit("copy", "2025-02", &[]);
        assert_eq!(status, StatusCode::SEE_OTHER, "{}: {to}", b.s.name);
        let feb = b.page(&to);
        assert!(feb.contains("budgets copied"), "{}", b.s.name);
        let groceries = row(&feb, "Groceries");
        assert!(groceries.contains("value=\"100.00\"") && groceries.contains(&eur("60.00")), "{groceries}");
        assert_eq!(bar(groceries), "under 40", "{}", b.s.name);
        assert!(feb.contains(&eur("780.00")), "{}", b.s.name);

        // March from a template: the average of January and February's
        // groceries is (120 + 40) / 2 = 80; last month's is 40.
        let (status, to) = b.edit("fill", "2025-03", &[("template", "average"), ("months", "2")]);
        assert_eq!(status, StatusCode::SEE_OTHER, "{}: {to}", b.s.name);
        let mar = b.page(&to);
        assert!(mar.contains("filled from the template"), "{}", b.s.name);
        assert!(row(&mar, "Groceries").contains("value=\"80.00\""), "{}: {}", b.s.name, row(&mar, "Groceries"));
        b.edit("fill", "2025-03", &[("template", "last")]);
        assert!(row(&b.budgets("2025-03"), "Groceries").contains("value=\"40.00\""), "{}", b.s.name);
        let (status, html) = b.edit("fill", "2025-03", &[("template", "average"), ("months", "0")]);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", b.s.name);
        assert!(html.contains("months: a whole number"), "{}: {html}", b.s.name);
        assert!(row(&b.budgets("2025-03"), "Groceries").contains("value=\"40.00\""), "{}: unchanged", b.s.name);

        // Without ?month= the page shows the clock's month.
        assert!(b.page("/budgets").contains("<h1>Budget for March 2025</h1>"), "{}", b.s.name);
    }
}

#[test]
fn a_viewer_sees_budgets_and_series_but_gets_no_forms_and_a_forged_post_is_refused() {
    for db in databases() {
        let b = book(db);
        let viewer = viewer(&b.s, &b.http, &b.owner, b.book, "viewer@example.org");

        let (status, html) = get(&b.s, &b.http, &viewer, "/budgets?month=2025-01");
        assert_eq!(status, StatusCode::OK, "{}", b.s.name);
        assert!(row(&html, "Groceries").contains(&eur("-120.00")), "{}: a viewer sees the figures", b.s.name);
        assert!(!html.contains("action=\"/budgets/"), "{}: no edit forms: {html}", b.s.name);
        let r = post(
            &b.s,
            &b.http,
            &viewer,
            "/budgets/set",
            &[("month", "2025-01"), ("category", "Groceries"), ("amount", "5")],
        );
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", b.s.name);
        assert_eq!(
            post(&b.s, &b.http, &viewer, "/budgets/copy", &[("month", "2025-02")]).status,
            StatusCode::FORBIDDEN
        );
        assert!(row(&b.budgets("2025-01"), "Groceries").contains("value=\"0.00\""), "{}: nothing stored", b.s.name);

        let (status, html) = get(&b.s, &b.http, &viewer, "/recurring");
        assert_eq!(status, StatusCode::OK, "{}", b.s.name);
        assert!(html.contains(">MCFIT"), "{}: {html}", b.s.name);
        assert!(!html.contains("/confirm") && !html.contains("/dismiss"), "{}: no buttons", b.s.name);
        let id = series_id(&html);
        let r = post(&b.s, &b.http, &viewer, &format!("/recurring/{id}/dismiss"), &[]);
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", b.s.name);
        assert!(b.page("/recurring").contains(">MCFIT"), "{}: still listed", b.s.name);
    }
}

fn series_id(html: &str) -> String {
    let start = html.find("data-series=\"").expect("a series row") + 13;
    html[start..start + 16].to_string()
}

#[test]
fn the_recurring_page_lists_series_on_a_calendar_strip_and_confirms_and_dismisses_them() {
    for db in databases() {
        let b = book(db);
        let html = b.page("/recurring");
        assert!(html.contains("<h1>Recurring payments</h1>"), "{}", b.s.name);
        let id = series_id(&html);
        let series = &html[html.find("data-series=").expect("row")..];
        let series = &series[..series.find("</tr>").expect("row end")];
        for want in [">MCFIT", "Checking", "monthly", &eur("-29.90"), "2025-02-01", "2025-03-01", ">active<"] {
            assert!(series.contains(want), "{}: {want} in {series}", b.s.name);
        }
        // 30 days from today, the gym due today and nothing else.
        assert_eq!(html.matches("<li class=\"day").count(), 30, "{}", b.s.name);
        assert!(html.contains("data-date=\"2025-03-01\"") && html.contains("data-date=\"2025-03-30\""));
        assert!(!html.contains("data-date=\"2025-03-31\""), "{}", b.s.name);
        assert_eq!(html.matches(" due\"").count(), 1, "{}: one day with a payment", b.s.name);
        let today = &html[html.find("data-date=\"2025-03-01\"").expect("today")..];
        assert!(today[..today.find("</li>\n").expect("day end")].contains("MCFIT"), "{}: {today}", b.s.name);

        let r = post(&b.s, &b.http, &b.cookie, &format!("/recurring/{id}/confirm?book={}", b.book.0), &[]);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", b.s.name);
        let html = b.page(&r.location);
        assert!(html.contains("Series confirmed.") && html.contains("<span class=\"tag\">confirmed</span>"));
        assert!(!html.contains(&format!("/recurring/{id}/confirm")), "{}: confirmed once", b.s.name);

        let r = post(&b.s, &b.http, &b.cookie, &format!("/recurring/{id}/dismiss?book={}", b.book.0), &[]);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", b.s.name);
        let html = b.page(&r.location);
        assert!(html.contains("Series dismissed") && !html.contains("MCFIT"), "{}: {html}", b.s.name);
        let r = post(&b.s, &b.http, &b.cookie, "/recurring/0123456789abcdef/dismiss", &[]);
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", b.s.name);
    }
}

#[test]
fn the_home_page_shows_the_budget_card_and_the_next_payments() {
    for db in databases() {
        let b = book(db);
        for (category, amount) in [("Transport:Fuel", "60"), ("Travel", "20"), ("Groceries", "50"), ("Shopping", "100")]
        {
            b.set("2025-03", category, amount);
        }
        let home = b.page("/");
        let card = &home[home.find("id=\"budget-title\"").expect("the budget card")..];
        let card = &card[..card.find("</section>").expect("card end")];
        // January's 1000, less the 120 and 40 groceries overspent without a
        // budget (charged to the month after), plus March's 500, less the 230
        // budgeted in March.
        assert!(card.contains(&eur("1110.00")), "{}: to budget: {card}", b.s.name);
        // Fuel is 20 over, Travel 10, Groceries has used 90 %; Shopping only 5 %.
        let watched: Vec<&str> = card.match_indices("<tr data-category=\"").map(|(i, _)| &card[i + 19..]).collect();
        let names: Vec<&str> = watched.iter().map(|w| &w[..w.find('"').expect("quote")]).collect();
        assert_eq!(names, ["Transport:Fuel", "Travel", "Groceries"], "{}: {card}", b.s.name);
        assert_eq!(bar(row(card, "Groceries")), "near 90", "{}", b.s.name);
        assert_eq!(bar(row(card, "Travel")), "over 100", "{}", b.s.name);

        let next = &home[home.find("id=\"next-title\"").expect("next payments")..];
        let next = &next[..next.find("</section>").expect("card end")];
        assert!(next.contains("2025-03-01") && next.contains("MCFIT") && next.contains(&eur("-29.90")), "{next}");
    }
}

#[test]
fn a_book_without_the_rates_it_needs_says_so_on_the_budget_page_and_the_home_card() {
    for db in databases() {
        let b = book(db);
        let pounds = kassa_app::books::CreateAccount { currency: "GBP".into(), ..checking("Revolut GBP") };
        let pounds = b.s.app.create_account(&b.owner, b.book, &pounds).expect("account").id;
        let tx = CreateTransaction {
            account_id: pounds,
            date: "2025-02-10".into(),
            amount: "-12.00".into(),
            description: "Tube".into(),
            category: Some("Travel".into()),
            counterparty: None,
            bucket: None,
        };
        b.s.app.create_transaction(&b.owner, b.book, &tx).expect("transaction");
        let page = b.budgets("2025-03");
        assert!(page.contains("no GBP/EUR exchange rate"), "{}: {page}", b.s.name);
        assert!(page.contains("<h1>Budget for March 2025</h1>") && !page.contains("<table"), "{}", b.s.name);
        let home = b.page("/");
        let card = &home[home.find("id=\"budget-title\"").expect("the budget card")..];
        assert!(card[..card.find("</section>").expect("card end")].contains("no GBP/EUR exchange rate"), "{card}");
    }
}
