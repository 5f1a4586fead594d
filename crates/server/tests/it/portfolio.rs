//! `GET /books/{book}/portfolio/*` over real HTTP on both backends: a
//! trades.csv upload becomes holdings, sales with their lots, open lots and
//! performance; `method` is a what-if; a bad parameter is 422 naming it; an
//! oversold upload is 422 naming line and field and stores nothing; the
//! instruments the trades made, listed and edited, refusals by field.

use kassa_app::books::{CreateAccount, CreateBook};
use kassa_core::BookId;
use serde_json::Value;

use crate::{Server, checking, databases, multipart, test_config, user};

const TRADES: &[u8] = b"account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id
Depot,2024-01-02T10:00:00+01:00,IWDA,IE00B4L5Y983,BUY,10,100,5,EUR,B1
Depot,2024-02-01T10:00:00+01:00,IWDA,IE00B4L5Y983,BUY,10,90,0,EUR,B2
Depot,2024-04-02T10:00:00+01:00,IWDA,IE00B4L5Y983,SELL,15,130,5,EUR,S1
";

#[test]
fn portfolio_over_http() {
    for db in databases() {
        let s = Server::start(db, test_config());
        let name = s.name;
        let (owner, token) = user(&s.app, "owner@example.org", false);
        let book = BookId(s.app.create_book(&owner, &CreateBook { name: "Home".into(), org_id: None }).unwrap().id);
        let depot = CreateAccount { kind: "brokerage".into(), ..checking("Depot") };
        s.app.create_account(&owner, book, &depot).unwrap();
        let base = format!("{}/api/v1/books/{book}", s.base);
        let upload = |file: &[u8]| {
            let (ct, body) = multipart("b0undary", &[("file", Some("trades.csv"), file)]);
            let resp = s
                .run(
                    s.http
                        .post(format!("{base}/imports"))
                        .bearer_auth(&token)
                        .header("content-type", ct)
                        .body(body)
                        .send(),
                )
                .unwrap();
            let status = resp.status().as_u16();
            (status, s.run(resp.json::<Value>()).unwrap_or(Value::Null))
        };
        let get = |rest: &str| {
            let resp = s.run(s.http.get(format!("{base}{rest}")).bearer_auth(&token).send()).unwrap();
            let status = resp.status().as_u16();
            (status, s.run(resp.json::<Value>()).unwrap_or(Value::Null))
        };
        let (status, out) = upload(TRADES);
        assert_eq!(status, 201, "{name}: {out}");

        let (status, h) = get("/portfolio/holdings");
        assert_eq!(status, 200, "{name}: {h}");
        // FIFO: B1 gone (1005), 5 of B2 taken (450): 5 left at 450.
        assert_eq!((h[0]["qty"].as_str(), h[0]["cost_basis"].as_str()), (Some("5"), Some("450.00")), "{name}: {h}");
        assert_eq!(h[0]["realized_pnl"].as_str(), Some("490.00")); // 1950 - 5 - 1455
        let (_, h) = get("/portfolio/holdings?method=lifo");
        assert_eq!(h[0]["cost_basis"].as_str(), Some("502.50"), "{name}: {h}"); // 5 of B1
        let (_, h) = get("/portfolio/holdings?as_of=2024-03-01");
        assert_eq!(h[0]["qty"].as_str(), Some("20"), "{name}: {h}");

        let (status, sales) = get("/portfolio/sales");
        assert_eq!(status, 200, "{name}");
        let lots: Vec<&str> =
            sales[0]["lots"].as_array().unwrap().iter().map(|l| l["trade"].as_str().unwrap()).collect();
        assert_eq!(lots, ["B1", "B2"], "{name}: {sales}");
        let (_, open) = get("/portfolio/lots");
        assert_eq!(open[0]["trade"].as_str(), Some("B2"), "{name}: {open}");
        let (status, perf) = get("/portfolio/performance?interval=month&to=2024-04-30");
        assert_eq!(status, 200, "{name}: {perf}");
        assert_eq!(perf.as_array().unwrap().len(), 4, "{name}: {perf}");
        // Per instrument: the same rows for the book's one instrument.
        let (status, one) = get("/portfolio/performance?interval=month&to=2024-04-30&instrument=IE00B4L5Y983");
        assert_eq!((status, &one), (200, &perf), "{name}");

        for (rest, field) in [
            ("/portfolio/holdings?method=lofi", "method"),
            ("/portfolio/holdings?as_of=2024-13-01", "as_of"),
            ("/portfolio/performance?interval=week", "interval"),
            ("/portfolio/holdings?account=Nope", "account"),
            ("/portfolio/performance?instrument=MSFT", "instrument"),
        ] {
            let (status, err) = get(rest);
            assert_eq!(status, 422, "{name}: {rest}: {err}");
            assert!(err.to_string().contains(field), "{name}: {rest}: {err}");
        }

        let oversold = b"account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id
Depot,2024-05-02,IWDA,IE00B4L5Y983,SELL,6,130,0,EUR,S2
";
        let (status, err) = upload(oversold);
        assert_eq!(status, 422, "{name}: {err}");
        assert!(err.to_string().contains("only 5 is held"), "{name}: {err}");
        let (_, sales) = get("/portfolio/sales");
        assert_eq!(sales.as_array().unwrap().len(), 1, "{name}: nothing stored");

        // Instruments: the trades made one; a PATCH names it and gives its
        // kind, and the holdings show both.
        let patch = |rest: &str, body: Value| {
            let resp = s.run(s.http.patch(format!("{base}{rest}")).bearer_auth(&token).json(&body).send()).unwrap();
            let status = resp.status().as_u16();
            (status, s.run(resp.json::<Value>()).unwrap_or(Value::Null))
        };
        let (status, list) = get("/instruments");
        assert_eq!(status, 200, "{name}: {list}");
        assert_eq!(
            list,
            serde_json::json!([{ "instrument": "IE00B4L5Y983", "isin": "IE00B4L5Y983", "symbol": "IWDA",
                "name": null, "currency": "EUR", "kind": "other" }]),
            "{name}"
        );
        let (status, one) =
            patch("/instruments/iwda", serde_json::json!({ "kind": "etf", "name": "iShares Core MSCI World" }));
        assert_eq!(
            (status, one["kind"].as_str(), one["name"].as_str()),
            (200, Some("etf"), Some("iShares Core MSCI World"))
        );
        let (_, h) = get("/portfolio/holdings");
        assert_eq!((h[0]["kind"].as_str(), h[0]["name"].as_str()), (Some("etf"), Some("iShares Core MSCI World")));
        // In a EUR book a EUR holding's P&L is all price.
        assert_eq!((h[0]["price_effect"].as_str(), h[0]["currency_effect"].as_str()), (Some("200.00"), Some("0.00")));
        for (rest, body, field) in [
            ("/instruments/MSFT", serde_json::json!({ "kind": "stock" }), "instrument"),
            ("/instruments/IWDA", serde_json::json!({ "kind": "warrant" }), "kind"),
            ("/instruments/IWDA", serde_json::json!({ "name": "" }), "name"),
            ("/instruments/IWDA", serde_json::json!({ "kinds": "etf" }), "kinds"),
        ] {
            let (status, err) = patch(rest, body);
            assert_eq!(status, 422, "{name}: {rest}: {err}");
            assert!(err.to_string().contains(field), "{name}: {rest}: {err}");
        }
        let (_, after) = get("/instruments");
        assert_eq!(after[0]["kind"].as_str(), Some("etf"), "{name}: nothing stored by the refusals");
    }
}

/// `/investments` over real HTTP on both backends: a USD share, a EUR ETF and
/// pounds without a rate in a EUR book. The allocation donuts group by
/// instrument, by kind and by currency, in euros where the rates are known
/// (the pounds in a donut of their own); each holding shows its kind and,
/// in euros, its price and currency effect (the core's golden figures:
/// 456.78 and −3.93), or a dash without a rate.
#[test]
fn investments_page_groups_by_instrument_kind_and_currency() {
    const TRADES: &[u8] = b"account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id
Depot,2025-01-10T10:00:00Z,AAPL,US0378331005,BUY,10,100,5,USD,B1
Depot,2025-02-10T10:00:00Z,AAPL,US0378331005,BUY,5,120,0,USD,B2
Depot,2025-03-01T10:00:00Z,AAPL,US0378331005,SELL,3,130,0,USD,S1
Depot,2025-01-15T10:00:00Z,IWDA,IE00B4L5Y983,BUY,2,80,0,EUR,B3
Depot,2025-01-20T10:00:00Z,VOD,,BUY,100,0.70,0,GBP,B4
";
    const RATES: &str =
        "date,base,quote,rate\n2025-01-10,USD,EUR,0.90\n2025-02-10,USD,EUR,0.95\n2025-04-01,USD,EUR,0.92\n";
    const PRICES: &str = "date,symbol,price,currency\n2025-04-01,AAPL,150,USD\n2025-04-01,IWDA,85,EUR\n";
    for db in databases() {
        let s = Server::start(db, test_config());
        let name = s.name;
        let (owner, _) = user(&s.app, "owner@example.org", false);
        let book = BookId(s.app.list_books(&owner).unwrap()[0].id);
        let depot = CreateAccount { kind: "brokerage".into(), ..checking("Depot") };
        s.app.create_account(&owner, book, &depot).unwrap();
        let upload = kassa_app::imports::Upload { name: "trades.csv".into(), bytes: TRADES.to_vec() };
        s.app.import(&owner, book, &[upload], &kassa_app::imports::ImportRequest::default()).unwrap();
        let store = s.app.store.as_ref();
        kassa_app::reports::import_fx_rates(store, book, "test", RATES).unwrap();
        kassa_app::portfolio::import_prices(store, "test", book, "prices.csv", PRICES).unwrap();
        let etf = kassa_app::instruments::InstrumentEdit { kind: Some("etf".into()), ..Default::default() };
        s.app.set_instrument(&owner, book, "IWDA", &etf).unwrap();

        let http = crate::web::client();
        let cookie = crate::web::web_login(&s, &http, "owner@example.org");
        let (status, html) =
            crate::web_tools::get(&s, &http, &cookie, &format!("/investments?book={}&as_of=2025-04-01", book.0));
        assert_eq!(status, reqwest::StatusCode::OK, "{name}: {html}");
        for title in [
            "Allocation by instrument (EUR)",
            "Allocation by kind (EUR)",
            "Allocation by currency (EUR)",
            "Allocation by instrument (GBP)",
        ] {
            assert!(html.contains(title), "{name}: no donut '{title}'");
        }
        assert!(!html.contains("Allocation by kind (USD)"), "{name}: the dollars are in euros");
        let row = |symbol: &str| {
            let start = html.find(&format!("<th scope=\"row\">{symbol}")).unwrap_or_else(|| panic!("{symbol}: {html}"));
            html[start..start + html[start..].find("</tr>").unwrap()].to_string()
        };
        let aapl = row("AAPL");
        assert!(aapl.contains("other") && aapl.contains("456.78") && aapl.contains("3.93"), "{name}: {aapl}");
        assert!(row("IWDA").contains("etf"), "{name}");
        assert_eq!(row("VOD").matches("no exchange rate").count(), 2, "{name}");
    }
}
