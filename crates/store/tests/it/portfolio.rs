//! The investments' store reads on both backends: the `instruments`
//! projection filled by migration 0017 from the trades of a database that
//! already holds some equals the one the fold keeps, and `prices_as_of`
//! gives each symbol's latest price on or before a day.

use kassa_core::import::{ImportedTrade, TradeExtra, TradesImported};
use kassa_core::portfolio::InstrumentKind;
use kassa_core::portfolio::events::{InstrumentSet, PricePoint};
use kassa_core::{AccountRef, BatchId, BookId, Command, Currency};
use kassa_store::{Store, testing};
use rust_decimal::Decimal;

use crate::*;

fn buy(store: &dyn Store, book: BookId, isin: Option<&str>, symbol: &str, name: Option<&str>) -> Command {
    let account = store.ledger(book).unwrap().resolve_account(&AccountRef::Name("Depot".into())).unwrap().id;
    let trade = ImportedTrade {
        account_id: account,
        trade_time: "2024-03-01T10:00:00Z".into(),
        date: d("2024-03-01"),
        symbol: Some(symbol.into()),
        isin: isin.map(str::to_string),
        side: "BUY".into(),
        quantity: Decimal::ONE,
        price: Decimal::TEN,
        fees: Decimal::ZERO,
        currency: Currency::EUR,
        external_id: None,
        extra: TradeExtra { name: name.map(str::to_string), ..TradeExtra::default() },
    };
    Command::ImportTrades(TradesImported { batch_id: BatchId(id()), trades: vec![trade] })
}

#[test]
fn migration_0017_fills_the_instruments_of_existing_trades_as_the_fold_does() {
    for db in testing::all() {
        let book = BookId(id());
        let s = db.store.as_ref();
        s.execute(book, "test", &[open_book(book), account("Depot", Currency::EUR)]).unwrap();
        let trades = [
            buy(s, book, Some("IE00B4L5Y983"), "IWDA", None),
            buy(s, book, Some("ie00b4l5y983"), "IWDA", Some("iShares Core MSCI World")),
            buy(s, book, None, "btc", Some("Bitcoin")),
        ];
        s.execute(book, "test", &trades).unwrap();
        let rows = s.instruments(book).unwrap();
        let seen: Vec<(&str, Option<&str>, Option<&str>)> =
            rows.iter().map(|r| (r.key.as_str(), r.symbol.as_deref(), r.name.as_deref())).collect();
        // One row per key, upper-cased; the first name a trade gives.
        assert_eq!(
            seen,
            [("BTC", Some("btc"), Some("Bitcoin")), ("IE00B4L5Y983", Some("IWDA"), Some("iShares Core MSCI World"))],
            "{}",
            db.name
        );
        let kept = s.projection_dump().unwrap();
        let undo = "DROP TABLE instruments; DELETE FROM kassa_migrations WHERE version = 17;";
        if db.name == "sqlite" {
            let path = db.url.strip_prefix("sqlite://").unwrap();
            rusqlite::Connection::open(path).unwrap().execute_batch(undo).unwrap();
        } else {
            postgres::Client::connect(&db.url, postgres::NoTls).unwrap().batch_execute(undo).unwrap();
        }
        assert_eq!(s.migrate().unwrap(), vec!["0017_instruments".to_string()], "{}", db.name);
        assert_eq!(s.projection_dump().unwrap(), kept, "{}", db.name);

        // A kind set, then a name: each keeps the other; an unknown key changes nothing.
        let set = |instrument: &str, name: Option<&str>, kind| {
            let i = InstrumentSet { instrument: instrument.into(), name: name.map(str::to_string), kind };
            s.execute(book, "test", &[Command::SetInstrument(i)]).unwrap();
        };
        set("BTC", None, Some(InstrumentKind::Crypto));
        set("BTC", Some("Bitcoin (spot)"), None);
        set("NOPE", Some("Nothing"), None);
        let rows = s.instruments(book).unwrap();
        assert_eq!((rows[0].name.as_deref(), rows[0].kind), (Some("Bitcoin (spot)"), Some(InstrumentKind::Crypto)));
        assert_eq!((rows.len(), rows[1].kind), (2, None), "{}", db.name);
    }
}

#[test]
fn prices_as_of_are_each_symbols_latest_on_or_before_the_day() {
    for db in testing::all() {
        let book = BookId(id());
        let s = db.store.as_ref();
        let p = |date: &str, symbol: &str, price: i64| PricePoint {
            date: d(date),
            symbol: symbol.into(),
            price: Decimal::new(price, 2),
            currency: Currency::EUR,
        };
        let prices = vec![
            p("2024-03-01", "IWDA", 10_000),
            p("2024-03-04", "IWDA", 10_100),
            p("2024-03-08", "IWDA", 10_200),
            p("2024-03-02", "AAPL", 17_000),
            p("2024-03-09", "AAPL", 17_500),
        ];
        s.execute(book, "test", &[open_book(book), Command::ImportPrices { prices }]).unwrap();
        let at = |date: &str| -> Vec<(String, String, String)> {
            s.prices_as_of(book, d(date))
                .unwrap()
                .into_iter()
                .map(|p| (p.symbol, p.date.to_string(), p.price.to_string()))
                .collect()
        };
        let row = |s: &str, d: &str, p: &str| (s.to_string(), d.to_string(), p.to_string());
        assert_eq!(
            at("2024-03-07"),
            [row("AAPL", "2024-03-02", "170.00"), row("IWDA", "2024-03-04", "101.00")],
            "{}",
            db.name
        );
        assert_eq!(at("2024-03-01"), [row("IWDA", "2024-03-01", "100.00")], "{}", db.name);
        assert_eq!(at("2024-02-29"), [], "{}", db.name);
        assert_eq!(at("2024-12-31").len(), 2, "{}", db.name);
    }
}
