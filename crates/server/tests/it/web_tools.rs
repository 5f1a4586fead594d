//! The tool pages through real HTTP on both backends: `/import` (upload,
//! dry-run preview, confirm, undo, a bad file), `/reports` (month totals,
//! a recategorise, `known_at`), `/settings` (password, API tokens, book
//! members) and `/admin` (platform admins only).

use kassa_app::books::{AddMember, CreateAccount, TxQuery};
use kassa_app::{Actor, App};
use kassa_core::BookId;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};

use crate::web::{client, web_login};
use crate::{PASSWORD, Server, checking, databases, test_config, user};

const STATEMENT: &[u8] = include_bytes!("../data/sparkasse.csv");
const BAD_STATEMENT: &[u8] = include_bytes!("../data/sparkasse-bad.csv");

/// A page fetched with the session cookie: status and HTML.
pub fn get(s: &Server, http: &reqwest::Client, cookie: &str, path: &str) -> (StatusCode, String) {
    let r = s.run(http.get(format!("{}{path}", s.base)).header("cookie", cookie).send()).expect("get");
    let status = r.status();
    (status, s.run(r.text()).expect("body"))
}

/// A form POST; returns status, `Location` (if any) and body.
pub fn post(s: &Server, http: &reqwest::Client, cookie: &str, path: &str, form: &[(&str, &str)]) -> Reply {
    let r = s.run(http.post(format!("{}{path}", s.base)).header("cookie", cookie).form(form).send()).expect("post");
    reply(s, r)
}

pub struct Reply {
    pub status: StatusCode,
    pub location: String,
    pub body: String,
}

fn reply(s: &Server, r: reqwest::Response) -> Reply {
    let status = r.status();
    let location = r.headers().get(LOCATION).map(|l| l.to_str().expect("ascii").to_string()).unwrap_or_default();
    Reply { status, location, body: s.run(r.text()).expect("body") }
}

/// A `multipart/form-data` upload as a browser sends the import form.
fn upload(s: &Server, http: &reqwest::Client, cookie: &str, files: &[(&str, &[u8])], fields: &[(&str, &str)]) -> Reply {
    let boundary = "kassa-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n\
                 Content-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let r = s
        .run(
            http.post(format!("{}/import", s.base))
                .header("cookie", cookie)
                .header(CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                .body(body)
                .send(),
        )
        .expect("upload");
    reply(s, r)
}

/// An owner with an EUR account `Giro` in their personal book.
fn owner(s: &Server, email: &str, admin: bool) -> (Actor, BookId) {
    let (actor, _) = user(&s.app, email, admin);
    let book = BookId(s.app.list_books(&actor).expect("books")[0].id);
    let giro = CreateAccount { opened_on: Some("2026-01-01".into()), ..checking("Giro") };
    s.app.create_account(&actor, book, &giro).expect("account");
    (actor, book)
}

fn stored(app: &App, actor: &Actor, book: BookId) -> usize {
    app.transactions(actor, book, &TxQuery::default()).expect("transactions").items.len()
}

#[test]
fn import_previews_then_confirms_and_undoes() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let http = client();
        let (actor, book) = owner(&s, "imp@example.org", false);
        let cookie = web_login(&s, &http, "imp@example.org");

        let (status, page) = get(&s, &http, &cookie, "/import");
        assert_eq!(status, StatusCode::OK, "{}", s.name);
        assert!(page.contains(r#"type="file" multiple"#) && page.contains("Nothing imported"), "{page}");

        let r = upload(&s, &http, &cookie, &[("sparkasse.csv", STATEMENT)], &[("account", "Giro"), ("format", "auto")]);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}: {}", s.name, r.body);
        let preview = r.location;
        assert!(preview.starts_with("/import/"), "{preview}");
        let (status, page) = get(&s, &http, &cookie, &preview);
        assert_eq!(status, StatusCode::OK, "{}: {page}", s.name);
        assert!(page.contains("nothing has been stored yet"), "{page}");
        assert!(page.contains("<dt>Format</dt><dd>csv</dd>"), "{page}");
        assert!(page.contains("Sparkasse (DE)") && page.contains("recognised by its header"), "the mapping: {page}");
        for (what, n) in [("Rows", 3), ("New", 3), ("Duplicates", 0), ("Needs review", 0), ("Errors", 0)] {
            assert!(page.contains(&format!("<dt>{what}</dt><dd>{n}</dd>")), "{}: {what} = {n}: {page}", s.name);
        }
        assert_eq!(stored(&s.app, &actor, book), 0, "{}: a preview stores nothing", s.name);

        // Another user cannot see or confirm this upload.
        user(&s.app, "other@example.org", false);
        let other = web_login(&s, &http, "other@example.org");
        assert_eq!(get(&s, &http, &other, &preview).0, StatusCode::NOT_FOUND);
        assert_eq!(post(&s, &http, &other, &format!("{preview}/confirm"), &[]).status, StatusCode::NOT_FOUND);
        // Nor, as a viewer of the book, upload into it.
        let grant = AddMember {
            email: Some("other@example.org".into()),
            org_id: None,
            role: "viewer".into(),
            account_id: None,
        };
        s.app.add_member(&actor, book, &grant).expect("grant");
        let viewer = format!("{other}; kassa_book={}", book.0);
        let r = upload(&s, &http, &viewer, &[("sparkasse.csv", STATEMENT)], &[("account", "Giro")]);
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", s.name);
        assert!(get(&s, &http, &viewer, "/import").1.contains("Your role on this book cannot import"));

        let r = post(&s, &http, &cookie, &format!("{preview}/confirm"), &[]);
        assert_eq!(
            (r.status, r.location.as_str()),
            (StatusCode::SEE_OTHER, preview.as_str()),
            "{}: {}",
            s.name,
            r.body
        );
        assert_eq!(stored(&s.app, &actor, book), 3, "{}", s.name);
        let (_, page) = get(&s, &http, &cookie, &preview);
        assert!(page.contains("Import result") && page.contains("<dt>New</dt><dd>3</dd>"), "{page}");
        // A second confirm (a double click, a reload) imports nothing more.
        assert_eq!(post(&s, &http, &cookie, &format!("{preview}/confirm"), &[]).status, StatusCode::NOT_FOUND);
        assert_eq!(stored(&s.app, &actor, book), 3);

        let batch = s.app.import_batches(&actor, book).expect("batches").remove(0);
        let (_, page) = get(&s, &http, &cookie, "/import");
        let undo = format!("/import/batches/{}/undo?book={}", batch.id, book.0);
        assert!(page.contains(&undo) && page.contains("sparkasse.csv"), "{page}");
        let r = post(&s, &http, &cookie, &undo, &[]);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}: {}", s.name, r.body);
        let (_, page) = get(&s, &http, &cookie, &r.location);
        assert!(page.contains("3 transaction(s) removed") && page.contains(">undone<"), "{page}");
        assert_eq!(stored(&s.app, &actor, book), 0, "{}: undo removed the batch", s.name);
    }
}

#[test]
fn a_bad_file_names_line_and_field_and_stores_nothing() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let http = client();
        let (actor, book) = owner(&s, "bad@example.org", false);
        let cookie = web_login(&s, &http, "bad@example.org");

        let r = upload(
            &s,
            &http,
            &cookie,
            &[("sparkasse.csv", STATEMENT), ("sparkasse-bad.csv", BAD_STATEMENT)],
            &[("account", "Giro")],
        );
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}: {}", s.name, r.body);
        let preview = r.location;
        let (_, page) = get(&s, &http, &cookie, &preview);
        assert!(page.contains("sparkasse-bad.csv:4:Betrag"), "{}: file:line:field: {page}", s.name);
        assert!(page.contains("<dt>Errors</dt><dd class=\"neg\">1</dd>"), "{page}");

        let r = post(&s, &http, &cookie, &format!("{preview}/confirm"), &[]);
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", s.name);
        assert!(r.body.contains("Nothing was imported") && r.body.contains("sparkasse-bad.csv"), "{}", r.body);
        assert_eq!(stored(&s.app, &actor, book), 0, "{}: neither file was stored", s.name);

        // The files wait: with "skip bad rows" the good ones go in.
        let r =
            post(&s, &http, &cookie, &format!("{preview}/options"), &[("account", "Giro"), ("skip_bad_rows", "on")]);
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = post(&s, &http, &cookie, &format!("{preview}/confirm"), &[]);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}: {}", s.name, r.body);
        // The good file's three rows; the bad file's two good rows are the same rows again.
        assert_eq!(stored(&s.app, &actor, book), 3, "{}", s.name);

        let r = upload(&s, &http, &cookie, &[], &[("account", "Giro")]);
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("files: choose at least one file"), "{}", r.body);
    }
}

#[test]
fn settings_change_the_password_tokens_and_members() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let http = client();
        let (_, book) = owner(&s, "set@example.org", false);
        user(&s.app, "friend@example.org", false);
        let cookie = web_login(&s, &http, "set@example.org");
        let other_session = web_login(&s, &http, "set@example.org");

        let (status, page) = get(&s, &http, &cookie, "/settings");
        assert_eq!(status, StatusCode::OK, "{}: {page}", s.name);
        assert!(page.contains("set@example.org") && page.contains("this browser"), "{page}");

        // An API token: its secret is shown once and works on the API.
        let r = post(&s, &http, &cookie, "/settings/tokens", &[("days", "30")]);
        assert_eq!(r.status, StatusCode::OK);
        let secret = r.body.split("value=\"kassa_").nth(1).and_then(|t| t.split('"').next()).expect("secret shown");
        let bearer = format!("Bearer kassa_{secret}");
        let me = |auth: &str| {
            s.run(http.get(format!("{}/api/v1/me", s.base)).header("authorization", auth).send()).expect("me").status()
        };
        assert_eq!(me(&bearer), StatusCode::OK, "{}", s.name);
        let (_, page) = get(&s, &http, &cookie, "/settings");
        assert!(!page.contains(secret), "the secret is not shown again");
        let r = post(&s, &http, &cookie, "/settings/tokens", &[("days", "9999")]);
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("days: must be between 1 and 366"), "{}", r.body);

        // Revoke it: the page lists tokens newest first, so it is the first revoke button.
        let revoke = page.split("action=\"/settings/tokens/").nth(1).and_then(|t| t.split('"').next()).expect("revoke");
        let r = post(&s, &http, &cookie, &format!("/settings/tokens/{revoke}"), &[]);
        assert_eq!(
            (r.status, r.location.as_str()),
            (StatusCode::SEE_OTHER, format!("/settings?done=revoked&book={}", book.0).as_str())
        );
        assert_eq!(me(&bearer), StatusCode::UNAUTHORIZED, "{}: the revoked token is refused", s.name);
        let (_, page) = get(&s, &http, &cookie, &r.location);
        assert!(page.contains("Token revoked."), "{page}");

        // Grant a role by email, see it listed, revoke it.
        let r = post(
            &s,
            &http,
            &cookie,
            &format!("/settings/members?book={}", book.0),
            &[("email", "friend@example.org"), ("role", "viewer"), ("account_id", "")],
        );
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}: {}", s.name, r.body);
        let (_, page) = get(&s, &http, &cookie, &r.location);
        assert!(page.contains("Role granted.") && page.contains("<td>friend@example.org</td>"), "{page}");
        let friend = s.app.store.user_by_email("friend@example.org").expect("lookup").expect("friend");
        let r = post(&s, &http, &cookie, &format!("/settings/members/{}/remove?book={}", friend.id.0, book.0), &[]);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}: {}", s.name, r.body);
        let (_, page) = get(&s, &http, &cookie, &r.location);
        assert!(page.contains("Member removed.") && !page.contains("<td>friend@example.org</td>"), "{page}");
        let r = post(
            &s,
            &http,
            &cookie,
            &format!("/settings/members?book={}", book.0),
            &[("email", "nobody@example.org"), ("role", "viewer")],
        );
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("email: no such user"), "{}", r.body);

        // The password: a wrong current one is refused; the change revokes the other session.
        let wrong = [("current_password", "not it at all"), ("new_password", "a new long password")];
        let r = post(&s, &http, &cookie, "/settings/password", &wrong);
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("current_password: the current password is wrong"), "{}", r.body);
        let right = [("current_password", PASSWORD), ("new_password", "a new long password")];
        let r = post(&s, &http, &cookie, "/settings/password", &right);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}: {}", s.name, r.body);
        assert_eq!(get(&s, &http, &cookie, "/settings").0, StatusCode::OK, "this browser stays signed in");
        assert_eq!(get(&s, &http, &other_session, "/settings").0, StatusCode::SEE_OTHER, "the other session ended");
        let login = |password: &str| {
            s.run(
                http.post(format!("{}/login", s.base))
                    .form(&[("email", "set@example.org"), ("password", password)])
                    .send(),
            )
            .expect("login")
            .status()
        };
        assert_eq!(login(PASSWORD), StatusCode::UNAUTHORIZED, "{}: the old password fails", s.name);
        assert_eq!(login("a new long password"), StatusCode::SEE_OTHER, "{}: the new one works", s.name);
    }
}

/// The `<tr>` of a report table whose row header is `label`.
fn row<'a>(page: &'a str, label: &str) -> &'a str {
    let start =
        page.find(&format!("<th scope=\"row\">{label}</th>")).unwrap_or_else(|| panic!("no row {label}: {page}"));
    let end = page[start..].find("</tr>").map_or(page.len(), |e| start + e);
    &page[start..end]
}

#[test]
fn reports_show_month_totals_follow_a_recategorise_and_travel_in_time() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let http = client();
        let (actor, book) = owner(&s, "rep@example.org", false);
        let cookie = web_login(&s, &http, "rep@example.org");
        let giro = s.app.accounts(&actor, book).expect("accounts")[0].id;
        let coffee = kassa_app::books::CreateTransaction {
            account_id: giro,
            date: "2026-03-01".into(),
            amount: "-10.00".into(),
            description: "Coffee".into(),
            category: Some("Eating Out:Coffee".into()),
            counterparty: None,
            bucket: None,
        };
        s.app.create_transaction(&actor, book, &coffee).expect("coffee");
        std::thread::sleep(std::time::Duration::from_millis(20));
        let before_import = jiff::Timestamp::now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let file = kassa_app::imports::Upload { name: "sparkasse.csv".into(), bytes: STATEMENT.to_vec() };
        let req = kassa_app::imports::ImportRequest { account: Some("Giro".into()), ..Default::default() };
        s.app.import(&actor, book, &[file], &req).expect("import");

        let march = format!("/reports?view=monthly&from=2026-03&to=2026-03&book={}", book.0);
        let (status, page) = get(&s, &http, &cookie, &march);
        assert_eq!(status, StatusCode::OK, "{}: {page}", s.name);
        assert!(page.contains("<svg"), "a chart: {page}");
        assert!(row(&page, "Eating Out:Coffee").contains("−10.00 EUR"), "{}", s.name);
        assert!(row(&page, "Uncategorized").contains("2,396.30 EUR"), "{}", s.name);
        assert!(row(&page, "Net").contains("2,386.30 EUR"), "{}", s.name);

        // Recategorise the groceries through the API; the page follows.
        let rewe = s
            .app
            .transactions(&actor, book, &TxQuery { q: Some("REWE".into()), ..TxQuery::default() })
            .expect("find")
            .items
            .remove(0);
        let token = s.app.login("rep@example.org", PASSWORD, "test").expect("token").token;
        let patched = s
            .run(
                http.patch(format!("{}/api/v1/books/{}/transactions/{}", s.base, book.0, rewe.id))
                    .bearer_auth(token)
                    .json(&serde_json::json!({ "category": "Groceries" }))
                    .send(),
            )
            .expect("patch");
        assert_eq!(patched.status(), StatusCode::OK, "{}", s.name);
        let (_, page) = get(&s, &http, &cookie, &march);
        assert!(row(&page, "Groceries").contains("−42.50 EUR"), "{}", s.name);
        assert!(row(&page, "Uncategorized").contains("2,438.80 EUR"), "{}", s.name);
        assert!(row(&page, "Net").contains("2,386.30 EUR"), "the net stays: {}", s.name);

        // Known at a moment before the import: only the coffee.
        let then = format!("{march}&known_at={before_import}");
        let (status, page) = get(&s, &http, &cookie, &then);
        assert_eq!(status, StatusCode::OK, "{}: {page}", s.name);
        assert!(row(&page, "Net").contains("−10.00 EUR"), "{}: {page}", s.name);
        assert!(!page.contains("<th scope=\"row\">Uncategorized</th>"), "{}", s.name);
        assert!(page.contains(&format!("value=\"{before_import}\"")), "the form keeps the moment");
        // The tabs keep the time travel.
        assert!(
            page.contains(&format!(
                "/reports?view=cashflow&#38;known_at={}",
                before_import.to_string().replace(':', "%3A")
            )),
            "{page}"
        );

        for view in ["yearly&year=2026", "history", "cashflow&from=2026-01&to=2026-03", "trends&month=2026-03"] {
            let (status, page) = get(&s, &http, &cookie, &format!("/reports?view={view}"));
            assert_eq!(status, StatusCode::OK, "{}: {view}: {page}", s.name);
            assert!(page.contains("<svg") && page.contains("<table class=\"report\">"), "{view}: {page}");
        }
        let (_, page) = get(&s, &http, &cookie, "/reports?view=cashflow&from=2026-03&to=2026-03");
        assert!(
            page.contains("Where the money went") && row(&page, "Giro → Groceries").contains("42.50 EUR"),
            "{page}"
        );

        let (status, page) = get(&s, &http, &cookie, "/reports?as_of=yesterday");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", s.name);
        assert!(
            page.contains("as_of: invalid date &#39;yesterday&#39; (expected YYYY-MM-DD, YYYY-MM or YYYY)"),
            "{page}"
        );
    }
}

#[test]
fn admin_is_for_platform_admins_only() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let http = client();
        owner(&s, "root@example.org", true);
        owner(&s, "plain@example.org", false);
        let admin = web_login(&s, &http, "root@example.org");
        let plain = web_login(&s, &http, "plain@example.org");

        let (status, page) = get(&s, &http, &admin, "/admin");
        assert_eq!(status, StatusCode::OK, "{}: {page}", s.name);
        assert!(page.contains("<dt>Users</dt><dd>2</dd>") && page.contains("<dt>Books</dt><dd>2</dd>"), "{page}");
        assert!(page.contains("Balances in EUR by account kind"), "{page}");
        let (_, home) = get(&s, &http, &admin, "/settings");
        assert!(home.contains("href=\"/admin\""), "admins see the link");

        let (status, page) = get(&s, &http, &plain, "/admin");
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", s.name);
        assert!(page.contains("only a platform admin"), "{page}");
        let (_, home) = get(&s, &http, &plain, "/settings");
        assert!(!home.contains("href=\"/admin\""), "others do not");
    }
}
