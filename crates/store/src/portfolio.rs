//! The investments' projections on both backends (migrations 0013 and
//! 0017): prices (`prices_imported`), each account's cost method
//! (`cost_method_set`) and the instruments (created by `trades_imported`,
//! named and kinded by `instrument_set`), written by the projector and read
//! back by the portfolio reports. The SQL is written once with `?n`
//! placeholders; PostgreSQL gets them as `$n`.

use kassa_core::import::ImportedTrade;
use kassa_core::portfolio::events::{InstrumentSet, PricePoint};
use kassa_core::portfolio::{CostMethod, InstrumentKind, Isin};
use kassa_core::{AccountId, BookId, Currency};

use crate::error::{Result, StoreError};

/// One change to the investments' projections.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PortfolioOp<'e> {
    Prices(&'e [PricePoint]),
    Method {
        account: AccountId,
        method: CostMethod,
    },
    /// The instruments a batch of trades names, each created when first met.
    Instruments(&'e [ImportedTrade]),
    Instrument(&'e InstrumentSet),
}

/// One row of the `instruments` projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentRow {
    /// What trades, positions and prices name it by: the ISIN when a trade
    /// gives one, else the ticker, upper-cased.
    pub key: String,
    pub isin: Option<Isin>,
    pub symbol: Option<String>,
    pub name: Option<String>,
    pub currency: Currency,
    /// `None` while neither a file nor a user said.
    pub kind: Option<InstrumentKind>,
}

/// An instrument's key, as `kassa_app::portfolio::instrument_key` makes it:
/// trades without an ISIN or symbol (account interest, fees) have none.
fn key_of(t: &ImportedTrade) -> Option<String> {
    let key = t.isin.as_deref().or(t.symbol.as_deref())?.trim().to_ascii_uppercase();
    (!key.is_empty()).then_some(key)
}

/// The ISIN as stored: trimmed and upper-cased, as `Isin::parse` keeps it.
fn isin_text(t: &ImportedTrade) -> Option<String> {
    t.isin.as_deref().map(|i| i.trim().to_ascii_uppercase()).filter(|i| !i.is_empty())
}

const UPSERT_PRICE: &str = "INSERT INTO prices (book_id, symbol, date, price, currency) VALUES (?1, ?2, ?3, ?4, ?5)
  ON CONFLICT (book_id, symbol, date) DO UPDATE SET price = excluded.price, currency = excluded.currency";
const UPSERT_METHOD: &str = "INSERT INTO cost_methods (book_id, account_id, method) VALUES (?1, ?2, ?3)
  ON CONFLICT (book_id, account_id) DO UPDATE SET method = excluded.method";
/// The first trade gives symbol, ISIN and currency; a name or symbol comes
/// from the first trade that has one.
const UPSERT_INSTRUMENT: &str = "INSERT INTO instruments (book_id, instrument, isin, symbol, name, currency)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6)
  ON CONFLICT (book_id, instrument) DO UPDATE SET
    isin = COALESCE(instruments.isin, excluded.isin),
    symbol = COALESCE(instruments.symbol, excluded.symbol),
    name = COALESCE(instruments.name, excluded.name)";
const SET_INSTRUMENT: &str = "UPDATE instruments SET name = COALESCE(?3, name), kind = COALESCE(?4, kind)
  WHERE book_id = ?1 AND instrument = ?2";
const INSTRUMENTS: &str =
    "SELECT instrument, isin, symbol, name, currency, kind FROM instruments WHERE book_id = ?1 ORDER BY instrument";
const PRICES: &str = "SELECT symbol, date, price, currency FROM prices WHERE book_id = ?1 ORDER BY symbol, date";
/// Each symbol's latest price on or before ?2, in [`PRICES`]' order: what
/// a valuation at one date reads instead of every price of every day.
const PRICES_AS_OF: &str = "SELECT p.symbol, p.date, p.price, p.currency
  FROM prices p
  JOIN (SELECT symbol, MAX(date) AS date FROM prices WHERE book_id = ?1 AND date <= ?2 GROUP BY symbol) m
    ON m.symbol = p.symbol AND m.date = p.date
 WHERE p.book_id = ?1
 ORDER BY p.symbol";
const METHODS: &str = "SELECT account_id, method FROM cost_methods WHERE book_id = ?1";

fn pg(sql: &str) -> String {
    sql.replace('?', "$")
}

fn method(text: &str) -> Result<CostMethod> {
    CostMethod::parse(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn price_point(
    symbol: String,
    date: jiff::civil::Date,
    price: rust_decimal::Decimal,
    code: &str,
) -> Result<PricePoint> {
    let currency = Currency::parse(code).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(PricePoint { date, symbol, price, currency })
}

fn instrument_row(
    key: String,
    isin: Option<String>,
    symbol: Option<String>,
    name: Option<String>,
    currency: &str,
    kind: Option<String>,
) -> Result<InstrumentRow> {
    let corrupt = |e: kassa_core::ParseError| StoreError::Corrupt(format!("instrument {key}: {e}"));
    Ok(InstrumentRow {
        isin: isin.as_deref().map(Isin::parse).transpose().map_err(corrupt)?,
        symbol,
        name,
        currency: Currency::parse(currency).map_err(corrupt)?,
        kind: kind.as_deref().map(InstrumentKind::parse).transpose().map_err(corrupt)?,
        key,
    })
}

pub(crate) fn sqlite_apply(tx: &rusqlite::Connection, book: BookId, op: PortfolioOp<'_>) -> Result<()> {
    match op {
        PortfolioOp::Prices(prices) => {
            let mut st = tx.prepare_cached(UPSERT_PRICE)?;
            for p in prices {
                st.execute(rusqlite::params![book.0, p.symbol, p.date, p.price.to_string(), p.currency.code()])?;
            }
        }
        PortfolioOp::Method { account, method } => {
            tx.prepare_cached(UPSERT_METHOD)?.execute(rusqlite::params![book.0, account.0, method.as_str()])?;
        }
        PortfolioOp::Instruments(trades) => {
            let mut st = tx.prepare_cached(UPSERT_INSTRUMENT)?;
            for t in trades {
                if let Some(key) = key_of(t) {
                    st.execute(rusqlite::params![
                        book.0,
                        key,
                        isin_text(t),
                        t.symbol,
                        t.extra.name,
                        t.currency.code()
                    ])?;
                }
            }
        }
        PortfolioOp::Instrument(i) => {
            tx.prepare_cached(SET_INSTRUMENT)?.execute(rusqlite::params![
                book.0,
                i.instrument,
                i.name,
                i.kind.map(InstrumentKind::as_str)
            ])?;
        }
    }
    Ok(())
}

pub(crate) fn sqlite_prices(conn: &rusqlite::Connection, book: BookId) -> Result<Vec<PricePoint>> {
    let mut st = conn.prepare_cached(PRICES)?;
    let mut rows = st.query([book.0])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        let price = crate::sqlite::parse_field(&r.get::<_, String>(2)?)?;
        out.push(price_point(r.get(0)?, r.get(1)?, price, &r.get::<_, String>(3)?)?);
    }
    Ok(out)
}

pub(crate) fn sqlite_prices_as_of(
    conn: &rusqlite::Connection,
    book: BookId,
    date: jiff::civil::Date,
) -> Result<Vec<PricePoint>> {
    let mut st = conn.prepare_cached(PRICES_AS_OF)?;
    let mut rows = st.query(rusqlite::params![book.0, date])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        let price = crate::sqlite::parse_field(&r.get::<_, String>(2)?)?;
        out.push(price_point(r.get(0)?, r.get(1)?, price, &r.get::<_, String>(3)?)?);
    }
    Ok(out)
}

pub(crate) fn sqlite_methods(conn: &rusqlite::Connection, book: BookId) -> Result<Vec<(AccountId, CostMethod)>> {
    let mut st = conn.prepare_cached(METHODS)?;
    let mut rows = st.query([book.0])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        out.push((AccountId(r.get(0)?), method(&r.get::<_, String>(1)?)?));
    }
    Ok(out)
}

pub(crate) fn sqlite_instruments(conn: &rusqlite::Connection, book: BookId) -> Result<Vec<InstrumentRow>> {
    let mut st = conn.prepare_cached(INSTRUMENTS)?;
    let mut rows = st.query([book.0])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        out.push(instrument_row(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, &r.get::<_, String>(4)?, r.get(5)?)?);
    }
    Ok(out)
}

pub(crate) fn pg_apply(tx: &mut postgres::Client, book: BookId, op: PortfolioOp<'_>) -> Result<()> {
    match op {
        PortfolioOp::Prices(prices) => {
            let sql = pg(UPSERT_PRICE);
            for p in prices {
                tx.execute(&sql, &[&book.0, &p.symbol, &p.date, &p.price, &p.currency.code()])?;
            }
        }
        PortfolioOp::Method { account, method } => {
            tx.execute(&pg(UPSERT_METHOD), &[&book.0, &account.0, &method.as_str()])?;
        }
        PortfolioOp::Instruments(trades) => {
            let sql = pg(UPSERT_INSTRUMENT);
            for t in trades {
                if let Some(key) = key_of(t) {
                    tx.execute(&sql, &[&book.0, &key, &isin_text(t), &t.symbol, &t.extra.name, &t.currency.code()])?;
                }
            }
        }
        PortfolioOp::Instrument(i) => {
            tx.execute(&pg(SET_INSTRUMENT), &[&book.0, &i.instrument, &i.name, &i.kind.map(InstrumentKind::as_str)])?;
        }
    }
    Ok(())
}

pub(crate) fn pg_prices(conn: &mut postgres::Client, book: BookId) -> Result<Vec<PricePoint>> {
    conn.query(&pg(PRICES), &[&book.0])?.iter().map(|r| price_point(r.get(0), r.get(1), r.get(2), r.get(3))).collect()
}

pub(crate) fn pg_prices_as_of(
    conn: &mut postgres::Client,
    book: BookId,
    date: jiff::civil::Date,
) -> Result<Vec<PricePoint>> {
    conn.query(&pg(PRICES_AS_OF), &[&book.0, &date])?
        .iter()
        .map(|r| price_point(r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

pub(crate) fn pg_methods(conn: &mut postgres::Client, book: BookId) -> Result<Vec<(AccountId, CostMethod)>> {
    conn.query(&pg(METHODS), &[&book.0])?.iter().map(|r| Ok((AccountId(r.get(0)), method(r.get(1))?))).collect()
}

pub(crate) fn pg_instruments(conn: &mut postgres::Client, book: BookId) -> Result<Vec<InstrumentRow>> {
    conn.query(&pg(INSTRUMENTS), &[&book.0])?
        .iter()
        .map(|r| instrument_row(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect()
}
