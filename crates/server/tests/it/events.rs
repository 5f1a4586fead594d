//! The audit trail over real HTTP on both backends (issue 19 item 4):
//! `GET /api/v1/events` with its filters, keyset paging newest first, the
//! diff of a recategorisation, a viewer of one book not seeing another's
//! events, and refusals naming the field; `/events` shows the same.

use kassa_app::books::{AddMember, CreateBook, CreateCategory, CreateTransaction};
use kassa_core::BookId;
use serde_json::{Value, json};

use crate::{Server, checking, databases, get, test_config, user};

fn book(s: &Server, owner: &kassa_app::Actor, name: &str) -> BookId {
    BookId(s.app.create_book(owner, &CreateBook { name: name.into(), org_id: None }).unwrap().id)
}

fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().expect("items").clone()
}

#[test]
fn events_are_filtered_paged_diffed_and_kept_to_readable_books() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let (owner, token) = user(&s.app, "owner@example.org", false);
        let (_, viewer_token) = user(&s.app, "viewer@example.org", false);
        let (_, admin_token) = user(&s.app, "admin@example.org", true);
        let a = book(&s, &owner, "Home");
        let b = book(&s, &owner, "Secret");
        s.app
            .add_member(
                &owner,
                a,
                &AddMember {
                    email: Some("viewer@example.org".into()),
                    org_id: None,
                    role: "viewer".into(),
                    account_id: None,
                },
            )
            .unwrap();
        let account = s.app.create_account(&owner, a, &checking("Checking")).unwrap().id;
        for name in ["Food", "Fun"] {
            s.app.create_category(&owner, a, &CreateCategory { name: name.into(), section: "expense".into() }).unwrap();
        }
        let t = CreateTransaction {
            account_id: account,
            date: "2024-03-01".into(),
            amount: "-4.20".into(),
            description: "Bakery <b>".into(),
            category: Some("Food".into()),
            counterparty: None,
            bucket: None,
        };
        let tx = s.app.create_transaction(&owner, a, &t).unwrap().id;
        s.app.create_account(&owner, b, &checking("Hidden")).unwrap();

        let url = format!("{}/api/v1/books/{a}/transactions/{tx}", s.base);
        let patched = s.run(s.http.patch(&url).bearer_auth(&token).json(&json!({"category": "Fun"})).send()).unwrap();
        assert_eq!(patched.status().as_u16(), 200, "{}", s.name);

        let events = |q: &str, token: &str| s.run(get(&s, &format!("{}/api/v1/events?{q}", s.base), token));
        let (status, page) = events("type=transaction_recategorized", &viewer_token);
        assert_eq!(status, 200, "{}: {page}", s.name);
        let recat = items(&page);
        assert_eq!(recat.len(), 1, "{}: {page}", s.name);
        let e = &recat[0];
        assert_eq!(e["actor"], format!("user:{}", owner.user_id), "{}: {e}", s.name);
        assert_eq!(e["stream"], format!("book-{a}"), "{}: {e}", s.name);
        assert_eq!(e["schema_version"], 2, "{}: {e}", s.name);
        assert_eq!(e["diff"], json!([{"field": "category", "before": "Food", "after": "Fun"}]), "{}: {e}", s.name);
        for key in ["position", "version", "occurred_at", "recorded_at", "data"] {
            assert!(!e[key].is_null(), "{}: {key} in {e}", s.name);
        }

        // The viewer reads book A's streams (and their own book's), never B's;
        // the owner and the admin see book B too.
        let (_, all) = events("limit=1000", &viewer_token);
        let streams: Vec<String> = items(&all).iter().map(|e| e["stream"].as_str().unwrap().to_string()).collect();
        assert!(
            streams.iter().any(|st| st.ends_with(&a.to_string()))
                && !streams.iter().any(|st| st.ends_with(&b.to_string())),
            "{}: {streams:?}",
            s.name
        );
        let (status, _) = events(&format!("book={b}"), &viewer_token);
        assert_eq!(status, 404, "{}: another's book is not found", s.name);
        let (status, _) = events(&format!("stream=book-{b}"), &viewer_token);
        assert_eq!(status, 404, "{}: another's stream is not found", s.name);
        let (_, owners) = events(&format!("book={b}"), &token);
        assert!(items(&owners).iter().any(|e| e["type"] == "account_opened"), "{}: {owners}", s.name);
        let (_, admins) = events("type=user_registered&limit=1000", &admin_token);
        assert_eq!(items(&admins).len(), 3, "{}: the admin sees every stream: {admins}", s.name);
        assert!(
            items(&admins).iter().all(|e| e["data"]["password_hash"] == "[redacted]"),
            "{}: no password hash is shown: {admins}",
            s.name
        );
        let (_, none) = events("type=user_registered", &token);
        assert!(items(&none).is_empty(), "{}: user streams are not a book's: {none}", s.name);

        // Filters by stream, actor and day.
        let (_, by_stream) = events(&format!("stream=book-acl-{a}"), &token);
        assert!(
            !items(&by_stream).is_empty()
                && items(&by_stream).iter().all(|e| e["type"].as_str().unwrap().starts_with("book_role")),
            "{}: {by_stream}",
            s.name
        );
        let (_, by_actor) = events(&format!("book={a}&actor=user:{}", owner.user_id), &token);
        assert_eq!(
            items(&by_actor).len(),
            items(&events(&format!("book={a}&limit=1000"), &token).1).len(),
            "{}",
            s.name
        );
        let (_, nobody) = events(&format!("book={a}&actor=user:nobody"), &token);
        assert!(items(&nobody).is_empty(), "{}: {nobody}", s.name);
        let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
        let (_, on_day) = events(&format!("book={a}&from={today}&to={today}"), &token);
        assert!(!items(&on_day).is_empty(), "{}: {on_day}", s.name);
        let (_, before) = events(&format!("book={a}&to=2020-01-01"), &token);
        assert!(items(&before).is_empty(), "{}: {before}", s.name);

        // Paging newest first, one at a time, there and back.
        let (_, full) = events(&format!("book={a}&limit=1000"), &token);
        let positions: Vec<i64> = items(&full).iter().map(|e| e["position"].as_i64().unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] > w[1]), "{}: newest first: {positions:?}", s.name);
        assert!(full["next_cursor"].is_null() && full["prev_cursor"].is_null(), "{}: {full}", s.name);
        let mut seen = vec![];
        let mut q = format!("book={a}&limit=2");
        loop {
            let (status, page) = events(&q, &token);
            assert_eq!(status, 200, "{}: {page}", s.name);
            seen.extend(items(&page).iter().map(|e| e["position"].as_i64().unwrap()));
            match page["next_cursor"].as_str() {
                Some(c) => q = format!("book={a}&limit=2&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen, positions, "{}: the pages add up to the whole", s.name);
        let (_, second) = events(&format!("book={a}&limit=2&cursor={}", positions[1]), &token);
        let back = second["prev_cursor"].as_str().expect("a way back");
        let (_, first) = events(&format!("book={a}&limit=2&newer={back}"), &token);
        let firsts: Vec<i64> = items(&first).iter().map(|e| e["position"].as_i64().unwrap()).collect();
        assert_eq!(firsts, positions[..2], "{}: {first}", s.name);
        assert!(first["prev_cursor"].is_null(), "{}: nothing newer than the first page: {first}", s.name);

        // Refusals name the field.
        for (q, field) in [
            ("from=2024-13-01", "from"),
            ("to=yesterday", "to"),
            ("from=2024-03-02&to=2024-03-01", "to"),
            ("limit=0", "limit"),
            ("cursor=abc", "cursor"),
            ("newer=-1", "newer"),
            ("actors=x", "actors"),
        ] {
            let (status, body) = events(q, &token);
            assert_eq!(status, 422, "{}: {q}: {body}", s.name);
            assert_eq!(body["details"]["field"], field, "{}: {q}: {body}", s.name);
        }

        // The page: the recategorisation with its actor and diff, escaped.
        let page = |q: &str, token: &str| {
            let r = s
                .run(
                    s.http
                        .get(format!("{}/events?{q}", s.base))
                        .header("Cookie", format!("kassa_session={token}"))
                        .send(),
                )
                .unwrap();
            (r.status().as_u16(), s.run(r.text()).unwrap())
        };
        let (status, html) = page("type=transaction_recategorized", &viewer_token);
        assert_eq!(status, 200, "{}: {html}", s.name);
        assert!(html.contains("category: Food → Fun"), "{}: {html}", s.name);
        assert!(html.contains(&format!("user:{}", owner.user_id)), "{}", s.name);
        assert!(html.contains("owner@example.org"), "{}: the actor by email", s.name);
        assert!(!html.contains(&format!("book-{b}")), "{}: book B's streams are not listed", s.name);
        let (_, html) = page(&format!("stream=book-{a}&type=transaction_recorded"), &viewer_token);
        assert!(html.contains("description: Bakery &#60;b&#62;") && !html.contains("Bakery <b>"), "{}: {html}", s.name);
        let (_, html) = page("from=nonsense", &viewer_token);
        assert!(html.contains("role=\"alert\"") && html.contains("from"), "{}: {html}", s.name);
        let (_, html) = page("limit=1", &viewer_token);
        assert!(html.contains("rel=\"next\""), "{}: an older link: {html}", s.name);
    }
}
