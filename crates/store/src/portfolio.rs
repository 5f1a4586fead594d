//! The investments' projections on both backends (migration 0013): prices
//! (`prices_imported`) and each account's cost method (`cost_method_set`),
//! written by the projector and read back by the portfolio reports. The SQL
//! is written once with `?n` placeholders; PostgreSQL gets them as `$n`.

use kassa_core::portfolio::CostMethod;
use kassa_core::portfolio::events::PricePoint;
use kassa_core::{AccountId, BookId};

use crate::error::{Result, StoreError};

/// One change to the investments' projections.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PortfolioOp<'e> {
    Prices(&'e [PricePoint]),
    Method { account: AccountId, method: CostMethod },
}

const UPSERT_PRICE: &str = "INSERT INTO prices (book_id, symbol, date, price, currency) VALUES (?1, ?2, ?3, ?4, ?5)
  ON CONFLICT (book_id, symbol, date) DO UPDATE SET price = excluded.price, currency = excluded.currency";
const UPSERT_METHOD: &str = "INSERT INTO cost_methods (book_id, account_id, method) VALUES (?1, ?2, ?3)
  ON CONFLICT (book_id, account_id) DO UPDATE SET method = excluded.method";
const PRICES: &str = "SELECT symbol, date, price, currency FROM prices WHERE book_id = ?1 ORDER BY symbol, date";
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
    let currency = kassa_core::Currency::parse(code).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(PricePoint { date, symbol, price, currency })
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

pub(crate) fn sqlite_methods(conn: &rusqlite::Connection, book: BookId) -> Result<Vec<(AccountId, CostMethod)>> {
    let mut st = conn.prepare_cached(METHODS)?;
    let mut rows = st.query([book.0])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        out.push((AccountId(r.get(0)?), method(&r.get::<_, String>(1)?)?));
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
    }
    Ok(())
}

pub(crate) fn pg_prices(conn: &mut postgres::Client, book: BookId) -> Result<Vec<PricePoint>> {
    conn.query(&pg(PRICES), &[&book.0])?.iter().map(|r| price_point(r.get(0), r.get(1), r.get(2), r.get(3))).collect()
}

pub(crate) fn pg_methods(conn: &mut postgres::Client, book: BookId) -> Result<Vec<(AccountId, CostMethod)>> {
    conn.query(&pg(METHODS), &[&book.0])?.iter().map(|r| Ok((AccountId(r.get(0)), method(r.get(1))?))).collect()
}
