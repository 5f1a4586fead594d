//! End-to-end tests in a real browser: Debian's headless Chromium, driven
//! through chromedriver, against the real `kassa` binary. Skipped (loudly)
//! when Chromium is not installed, unless `KASSA_REQUIRE_BROWSER=1`.
//! With `KASSA_SCREENSHOTS=<dir>` (relative to the workspace root) they also
//! save screenshots of every page they visit there; that is how
//! `docs/screenshots` is made.

#[path = "browser/harness.rs"]
mod harness;

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

use harness::{Browser, Server, browser_available};
use rust_decimal::Decimal;

const EMAIL: &str = "e2e@example.org";
const PASSWORD: &str = "correct horse battery";
/// Three card payments in June 2025 whose descriptions start with `KASSA-E2E`.
const IMPORT_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/browser-import.csv");
const IMPORT_MONTH: &str = "2025-06";

/// Logs in through the form and lands on the home page.
async fn log_in(b: &Browser, email: &str, password: &str) {
    b.open("/login").await;
    b.fill("#email", email).await;
    b.fill("#password", password).await;
    b.submit("form[action='/login'] button[type=submit]").await;
    b.arrived("/").await;
}

/// The demo served, and a browser logged in to it as `email`; `None` when
/// the browser tests are skipped.
async fn demo_as(email: &str) -> Option<(Server, Browser)> {
    if !browser_available() {
        return None;
    }
    let server = Server::demo();
    let b = Browser::start(&server).await;
    log_in(&b, email, "demo").await;
    Some((server, b))
}

async fn log_out(b: &Browser) {
    b.submit("form.logout button[type=submit]").await;
    b.arrived("/login").await;
}

/// The page's one `h1`.
async fn heading(b: &Browser) -> String {
    let all = b.texts("h1").await;
    if all.len() != 1 {
        b.fail(format!("expected one h1, found {all:?}")).await;
    }
    all.into_iter().next().unwrap()
}

/// `1,234.56 EUR` or `−12.50 EUR` as the number it shows.
fn amount(text: &str) -> Decimal {
    let number = text.trim().trim_end_matches(|c: char| c.is_ascii_uppercase()).trim();
    Decimal::from_str(&number.replace('−', "-").replace(',', "")).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// The EUR figures of the monthly report for one month, by row label.
async fn month_report(b: &Browser, month: &str) -> HashMap<String, Decimal> {
    b.open(&format!("/reports?view=monthly&from={month}&to={month}")).await;
    let rows = b
        .js(r#"
            const table = [...document.querySelectorAll('table.report')]
                .find(t => t.caption && t.caption.textContent.includes('EUR'));
            return table ? [...table.tBodies[0].rows]
                .filter(r => r.cells.length > 1)
                .map(r => [r.cells[0].textContent.trim(), r.cells[1].textContent.trim()]) : null;
        "#)
        .await;
    let Some(rows) = rows.as_array() else { b.fail("no EUR table in the monthly report").await };
    rows.iter().map(|r| (r[0].as_str().unwrap().to_string(), amount(r[1].as_str().unwrap()))).collect()
}

/// The `dt` → `dd` pairs of the import counts on the page.
async fn import_counts(b: &Browser) -> HashMap<String, String> {
    let pairs = b
        .js("return [...document.querySelectorAll('dl.counts > div')]
                 .map(d => [d.querySelector('dt').textContent.trim(), d.querySelector('dd').textContent.trim()])")
        .await;
    pairs
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn logging_in_through_the_form() {
    if !browser_available() {
        return;
    }
    let server = Server::serve(&[(EMAIL, PASSWORD)]);
    let b = Browser::start(&server).await;

    // A page behind the login sends the browser to the form, remembering where it was going.
    b.go("/settings").await;
    b.arrived("/login?next=/settings").await;
    b.screenshot("login", true).await;

    b.fill("#email", EMAIL).await;
    b.fill("#password", "not the password").await;
    b.submit("form[action='/login'] button[type=submit]").await;
    b.arrived("/login").await;
    let alert = b.text("p.alert[role=alert]").await;
    if alert.is_empty() {
        b.fail("a wrong password shows no error").await;
    }
    if b.cookie("kassa_session").await.is_some() {
        b.fail("a wrong password set a session cookie").await;
    }
    // The form keeps the email and where to go next, not the password.
    let email = b.find("#email").await;
    assert_eq!(b.check(email.value().await, "read #email").await.as_deref(), Some(EMAIL));
    let password = b.find("#password").await;
    assert_eq!(b.check(password.value().await, "read #password").await.as_deref(), Some(""));

    b.fill("#password", PASSWORD).await;
    b.submit("form[action='/login'] button[type=submit]").await;
    b.arrived("/settings").await;
    assert_eq!(heading(&b).await, "Settings");
    if b.cookie("kassa_session").await.is_none() {
        b.fail("logging in set no session cookie").await;
    }
    log_out(&b).await;
    b.go("/settings").await;
    b.arrived("/login?next=/settings").await;
}

/// The check every page passes is not vacuous: it sees a reference to
/// another origin, a request to one, and a blocked inline style.
#[tokio::test]
async fn the_origin_check_sees_what_it_should() {
    if !browser_available() {
        return;
    }
    let server = Server::serve(&[]);
    let b = Browser::start(&server).await;
    b.open("/login").await;
    assert_eq!(b.strays().await, (Vec::new(), Vec::new()));
    b.js("const a = document.createElement('a'); a.href = 'https://cdn.example.org/x.js'; document.body.append(a);
          const img = document.createElement('img'); img.src = 'http://127.0.0.2:9/pixel.png'; document.body.append(img);
          document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">inline</p>');")
        .await;
    // The image request is refused by the CSP before it is made; wait for the report.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (foreign, csp) = loop {
        let (foreign, csp) = b.strays().await;
        if csp.len() >= 2 || Instant::now() > deadline {
            break (foreign, csp);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(foreign.contains(&"https://cdn.example.org/x.js".to_string()), "{foreign:?}");
    assert!(foreign.contains(&"http://127.0.0.2:9/pixel.png".to_string()), "{foreign:?}");
    assert!(csp.iter().any(|v| v.starts_with("img-src http://127.0.0.2:9/pixel.png")), "{csp:?}");
    assert!(csp.iter().any(|v| v.starts_with("style-src-attr inline")), "{csp:?}");
}

/// The issue's story: log in, see the home chart, import a CSV through the
/// page, find its rows in /transactions, recategorise one, see the report
/// change.
#[tokio::test]
async fn import_find_recategorise_and_see_the_report_change() {
    let Some((_server, b)) = demo_as("individual@demo.kassa").await else { return };

    // The net worth chart: an SVG line through the months of the history.
    let line = b.find("section[aria-labelledby=nw-title] figure.chart svg path.kc-line").await;
    let d = b.check(line.attr("d").await, "read the chart's path").await.unwrap_or_default();
    if d.matches('L').count() < 12 {
        b.fail(format!("the net worth line has too few points: {d:.80}")).await;
    }

    // Upload, preview (nothing stored yet), confirm.
    b.open("/import").await;
    let files = b.find("#files").await;
    b.check(files.send_keys(IMPORT_FILE).await, "choose the file").await;
    b.choose("#opt-account", "DKB Visa").await;
    b.submit("form[action='/import'] button[type=submit]").await;
    let preview = b.arrived_under("/import/").await;
    assert_eq!(heading(&b).await, "Import preview");
    let counts = import_counts(&b).await;
    for (what, want) in [("Format", "csv"), ("Rows", "3"), ("New", "3"), ("Duplicates", "0"), ("Errors", "0")] {
        if counts.get(what).map(String::as_str) != Some(want) {
            b.fail(format!("the preview should count {what} = {want}: {counts:?}")).await;
        }
    }
    b.screenshot("import-preview", false).await;
    b.submit("form[action$='/confirm'] button[type=submit]").await;
    b.arrived_under("/import/").await;
    // A large import may still run when the page answers; this one is small,
    // but the page may say so once: look again, a bounded number of times.
    for _ in 0..20 {
        if heading(&b).await == "Import result" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        b.open(&preview).await;
    }
    assert_eq!(heading(&b).await, "Import result");
    let counts = import_counts(&b).await;
    if counts.get("New").map(String::as_str) != Some("3") {
        b.fail(format!("the import should store 3 new rows: {counts:?}")).await;
    }
    b.screenshot("import-result", false).await;

    // The rows are found by searching their description.
    b.open("/transactions").await;
    b.fill("form[role=search] input[name=q]", "KASSA-E2E").await;
    b.submit("form[role=search] button[type=submit]").await;
    let search = b.arrived_under("/transactions?").await;
    let found = b.texts("table.register tbody tr td:nth-child(3)").await;
    for want in ["Zebra Bakery", "Okapi Bookshop", "Quokka Cinema"] {
        if !found.iter().any(|d| d.contains(want)) {
            b.fail(format!("searching KASSA-E2E should find {want}: {found:?}")).await;
        }
    }
    if found.len() != 3 {
        b.fail(format!("searching KASSA-E2E should find exactly the 3 imported rows: {found:?}")).await;
    }

    // Recategorise the bakery payment through its inline control.
    let select = "select[aria-label^='Category of 2025-06-03 KASSA-E2E Zebra Bakery']";
    let old = b.js(&format!("return document.querySelector(\"{select}\").value")).await;
    let old = old.as_str().unwrap_or_default().to_string();
    let new = if old == "Travel" { "Shopping" } else { "Travel" };
    let before = month_report(&b, IMPORT_MONTH).await;
    b.open(&search).await;
    b.leaving().await;
    b.choose(select, new).await;
    b.arrived_under("/transactions?").await;
    let flash = b.text("p.ok[role=status]").await;
    if !flash.contains(new) {
        b.fail(format!("recategorising should say the row is now in {new}: {flash:?}")).await;
    }
    let now = b.js(&format!("return document.querySelector(\"{select}\").value")).await;
    assert_eq!(now.as_str(), Some(new), "the row's control shows its new category");

    // The monthly report moves the 12.50 from the old category to the new.
    let after = month_report(&b, IMPORT_MONTH).await;
    let figure = |report: &HashMap<String, Decimal>, category: &str| report.get(category).copied().unwrap_or_default();
    let paid = Decimal::new(-1250, 2);
    assert_eq!(figure(&after, new) - figure(&before, new), paid, "{new}: before {before:?}, after {after:?}");
    if !old.is_empty() {
        assert_eq!(figure(&after, &old) - figure(&before, &old), -paid, "{old}: before {before:?}, after {after:?}");
        assert_eq!(figure(&after, "Total expense"), figure(&before, "Total expense"), "the total stays");
    }
}

/// Every page, as each kind of user sees it, with the origin and CSP checks
/// of the harness; with `KASSA_SCREENSHOTS`, the README's screenshots.
#[tokio::test]
async fn every_page_stays_on_its_own_origin() {
    let Some((_server, b)) = demo_as("individual@demo.kassa").await else { return };
    assert_eq!(heading(&b).await, "Lena Fischer");
    b.screenshot("home", true).await;
    b.screenshot_dark("home").await;

    b.open("/accounts").await;
    assert_eq!(heading(&b).await, "Accounts");
    b.screenshot("accounts", false).await;
    let first = b.find("main a[href^='/accounts/']").await;
    let first = b.check(first.attr("href").await, "read an account link").await.unwrap();
    b.open(&first).await;
    b.find("main figure.chart svg").await;
    b.screenshot("account", true).await;

    for (path, title, name, phone) in [
        ("/transactions", "Transactions", "transactions", true),
        ("/recurring", "Recurring payments", "recurring", false),
        ("/buckets", "Buckets", "buckets", false),
        ("/goals", "Goals and loans", "goals", false),
        ("/import", "Import", "import", false),
        ("/settings", "Settings", "settings", false),
    ] {
        b.open(path).await;
        assert_eq!(heading(&b).await, title, "{path}");
        b.screenshot(name, phone).await;
    }

    b.open("/reports").await;
    let tabs = b.js("return [...document.querySelectorAll('nav.tabs a')].map(a => a.getAttribute('href'))").await;
    let tabs: Vec<String> = tabs.as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect();
    assert!(tabs.len() >= 5, "report views: {tabs:?}");
    for tab in tabs {
        let view = tab.split(['?', '&']).find_map(|kv| kv.strip_prefix("view=")).expect("a view= link").to_string();
        b.open(&tab).await;
        assert_eq!(heading(&b).await, "Reports", "{tab}");
        b.find("main .chart svg").await;
        b.screenshot(&format!("reports-{view}"), view == "monthly").await;
    }

    // Only platform admins see the admin page.
    b.open("/admin").await;
    assert_eq!(heading(&b).await, "403 Forbidden");
    b.open("/").await;
    log_out(&b).await;
    log_in(&b, "admin@demo.kassa", "demo").await;
    b.open("/admin").await;
    assert_eq!(heading(&b).await, "Platform overview");
    b.screenshot("admin", false).await;
}

/// `/investments` on the demo: the holdings add up to the page's market
/// value, which is what the depot's line on /accounts adds to its cash;
/// the sale lists the lots it took; a what-if method and a date before
/// the sale change what the page shows.
#[tokio::test]
async fn investments_show_holdings_at_market_and_what_if_methods() {
    let Some((_server, b)) = demo_as("individual@demo.kassa").await else { return };
    b.open("/investments").await;
    assert_eq!(heading(&b).await, "Investments");
    b.find("main .chart svg").await;
    b.screenshot("investments", false).await;
    let column = |table: &str, n: usize| {
        format!("return [...document.querySelectorAll('#{table} tbody tr')].map(r => r.cells[{n}].textContent.trim())")
    };
    let values = b.js(&column("holdings", 5)).await;
    let values: Vec<Decimal> = values.as_array().unwrap().iter().map(|v| amount(v.as_str().unwrap())).collect();
    assert!(values.len() >= 2, "{values:?}");
    let total = amount(&b.text(".stats div:first-child dd").await);
    assert_eq!(values.iter().sum::<Decimal>(), total);
    let lots = b.texts("#sales tbody td ul li").await;
    assert!(!lots.is_empty() && lots.iter().all(|l| l.contains(" × ")), "{lots:?}");

    // The depot is worth its cash plus these securities.
    b.open("/accounts").await;
    let depot = b.text("tr:has(a[href^='/accounts/']) .sub").await;
    let (cash, securities) =
        depot.strip_prefix("cash ").and_then(|s| s.split_once(" · securities ")).unwrap_or_else(|| panic!("{depot:?}"));
    assert_eq!(amount(securities), total, "{depot}");
    let line = b
        .js("return [...document.querySelectorAll('main tr')].find(r => r.textContent.includes('Depot')).cells[4].firstChild.textContent")
        .await;
    assert_eq!(amount(line.as_str().unwrap()), amount(cash) + total);

    // A what-if method moves P&L between realized and unrealized, never
    // their sum, and the form keeps the method chosen.
    let pnl = async |b: &Browser| {
        amount(&b.text(".stats div:nth-child(3) dd").await) + amount(&b.text(".stats div:nth-child(4) dd").await)
    };
    b.open("/investments").await;
    let own = pnl(&b).await;
    for method in ["fifo", "lifo", "hifo", "average"] {
        b.open(&format!("/investments?method={method}")).await;
        assert_eq!(pnl(&b).await, own, "{method}");
        let chosen = b.js("return document.querySelector('#i-method').value").await;
        assert_eq!(chosen.as_str(), Some(method));
    }
    b.open("/investments?as_of=2023-01-01").await;
    assert!(b.texts("#sales tbody tr").await.is_empty());
    b.open("/investments?method=lofi").await;
    assert!(b.text("p.alert.error").await.contains("lofi"));
}

/// One envelope's bar on `/budgets` as the browser draws it: its classes,
/// the filled part's rendered width as a share of the track's, and the
/// "available" cell; `None` when the category has no row.
async fn envelope(b: &Browser, category: &str) -> Option<(String, f64, Decimal)> {
    let script = format!(
        "const row = [...document.querySelectorAll('table.budget tbody tr')].find(r => r.dataset.category === {});
         if (!row) return null;
         const svg = row.querySelector('svg.budget-bar');
         const width = (sel) => svg.querySelector(sel).getBoundingClientRect().width;
         return [svg.getAttribute('class'), width('rect.fill') / width('rect.track'), row.cells[4].textContent.trim()];",
        serde_json::to_string(category).unwrap()
    );
    let found = b.js(&script).await;
    let found = found.as_array()?;
    Some((found[0].as_str()?.to_string(), found[1].as_f64()?, amount(found[2].as_str()?)))
}

/// The issue's budget story: budget a category on `/budgets`, spend from
/// it, reload, and see its bar grow and turn amber, then red; raise the
/// budget inline and see it shrink back.
#[tokio::test]
async fn a_budget_bar_moves_as_money_is_spent() {
    // The company's accounts are all in euros; Lena's pounds would need exchange rates.
    let Some((_server, b)) = demo_as("company@demo.kassa").await else { return };
    b.open("/budgets").await;
    if !heading(&b).await.starts_with("Budget for ") {
        b.fail("/budgets should be headed with its month").await;
    }
    // A category nothing was budgeted for or spent from this month.
    let category = b.js("return document.querySelector('#new-category').value").await;
    let category = category.as_str().unwrap_or_default().to_string();
    let month = b.js("return document.querySelector('#b-month').value").await.as_str().unwrap_or_default().to_string();
    b.fill("#new-amount", "100").await;
    b.submit("form.budget-new button[type=submit]").await;
    let page = b.arrived_under(&format!("/budgets?month={month}&")).await;
    if !b.text("p.ok[role=status]").await.contains("Budget saved.") {
        b.fail("setting a budget should say it was saved").await;
    }
    let Some((class, share, available)) = envelope(&b, &category).await else {
        b.fail(format!("{category} has no row after budgeting it")).await
    };
    assert_eq!((class.as_str(), share, available), ("budget-bar under", 0.0, Decimal::new(100, 0)), "{category}");
    b.screenshot("budgets", true).await;

    // The pages have no form to type a transaction in (bank files are the
    // web's way in): the API records it, with the browser's own session.
    let book = b
        .js("return new URL(document.querySelector(\"form[action^='/budgets/set']\").action).searchParams.get('book')")
        .await;
    let book = book.as_str().unwrap_or_default().to_string();
    let session = format!("kassa_session={}", b.cookie("kassa_session").await.expect("signed in"));
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let accounts: serde_json::Value = http
        .get(b.url(&format!("/api/v1/books/{book}/accounts")))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let giro = accounts.as_array().unwrap().iter().find(|a| a["kind"] == "checking").expect("a checking account");
    let spend = |amount: &'static str| {
        let body = serde_json::json!({"account_id": giro["id"], "date": format!("{month}-01"), "amount": amount,
            "description": "KASSA-E2E envelope", "category": category});
        http.post(b.url(&format!("/api/v1/books/{book}/transactions"))).header("cookie", &session).json(&body).send()
    };

    // 85 of 100: amber, the bar 85 % long.
    assert_eq!(spend("-85.00").await.unwrap().status().as_u16(), 201);
    b.open(&page).await;
    let (class, share, available) = envelope(&b, &category).await.expect("the row");
    assert_eq!((class.as_str(), available), ("budget-bar near", Decimal::new(15, 0)), "{category}");
    assert!((share - 0.85).abs() < 0.01, "{category}: the bar should be 85 % long, is {share}");

    // 115 of 100: red, the bar full.
    assert_eq!(spend("-30.00").await.unwrap().status().as_u16(), 201);
    b.open(&page).await;
    let (class, share, available) = envelope(&b, &category).await.expect("the row");
    assert_eq!((class.as_str(), available), ("budget-bar over", Decimal::new(-15, 0)), "{category}");
    assert!((share - 1.0).abs() < 0.01, "{category}: an overspent bar is full, is {share}");

    // Raising the budget inline to 200: 115 of 200, back to green.
    let input = format!("tr[data-category={}] input[name=amount]", serde_json::to_string(&category).unwrap());
    b.fill(&input, "200").await;
    b.submit(&format!(
        "tr[data-category={}] form.budget-set button[type=submit]",
        serde_json::to_string(&category).unwrap()
    ))
    .await;
    b.arrived_under(&format!("/budgets?month={month}&")).await;
    let (class, share, available) = envelope(&b, &category).await.expect("the row");
    assert_eq!((class.as_str(), available), ("budget-bar under", Decimal::new(85, 0)), "{category}");
    assert!((share - 0.575).abs() < 0.01, "{category}: the bar should be 57.5 % long, is {share}");
}

/// Issue 19 item 4: a recategorisation made on /transactions shows on
/// /events with who made it and the diff "category: old → new".
#[tokio::test]
async fn a_recategorisation_shows_on_events_with_its_actor_and_diff() {
    let Some((_server, b)) = demo_as("individual@demo.kassa").await else { return };
    b.open("/transactions").await;
    let select = "table.register tbody select[aria-label^='Category of']";
    let old = b.js(&format!("return document.querySelector(\"{select}\").value")).await;
    let old = old.as_str().unwrap_or_default().to_string();
    let new = if old == "Travel" { "Shopping" } else { "Travel" };
    b.leaving().await;
    b.choose(select, new).await;
    b.arrived_under("/transactions").await;

    b.open("/events?type=transaction_recategorized").await;
    assert_eq!(heading(&b).await, "Events");
    let actor = b.text("table#events tbody tr:first-child td.actor").await;
    if !actor.contains("individual@demo.kassa") || !actor.contains("user:") {
        b.fail(format!("the newest recategorisation should name its actor: {actor:?}")).await;
    }
    let diff = b.text("table#events tbody tr:first-child td.diff").await;
    let before = if old.is_empty() { "(none)" } else { old.as_str() };
    let want = format!("category: {before} → {new}");
    if !diff.contains(&want) {
        b.fail(format!("the newest recategorisation should show {want:?}: {diff:?}")).await;
    }
    b.screenshot("events", false).await;
}
