//! The `loans` projection on both backends (migration 0016): a row per
//! `loan_recorded` event, read back joined to the loan transactions'
//! postings on our accounts, so open balances need no replay of the log.
//! The SQL is written once with `?n` placeholders; PostgreSQL gets `$n`.

use jiff::civil::Date;
use kassa_core::loan::{LoanKind, LoanMove, LoanRecorded};
use kassa_core::{AccountId, BookId, Currency, Money, TxId};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::{Result, StoreError};

/// One loan event with one of its transaction's moves on our accounts
/// (`None` when the transaction was deleted), in log order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanRow {
    /// The event's place in the log.
    pub position: i64,
    pub tx_id: TxId,
    pub counterparty: String,
    pub kind: LoanKind,
    pub moved: Option<LoanMove>,
}

const INSERT: &str = "INSERT INTO loans (book_id, position, tx_id, counterparty, kind) VALUES (?1, ?2, ?3, ?4, ?5)";
const ROWS: &str = "SELECT l.tx_id, l.counterparty, l.kind, p.account_id, p.currency, p.AMOUNT, p.date, l.position
  FROM loans l LEFT JOIN postings p ON p.tx_id = l.tx_id AND p.account_id IS NOT NULL
 WHERE l.book_id = ?1 ORDER BY l.position, p.seq";

fn pg(sql: &str) -> String {
    sql.replace('?', "$")
}

fn kind(text: &str) -> Result<LoanKind> {
    LoanKind::parse(text).ok_or_else(|| StoreError::Corrupt(format!("loan kind '{text}'")))
}

fn row(
    position: i64,
    tx_id: Uuid,
    counterparty: String,
    kind_text: &str,
    account: Option<Uuid>,
    money: impl FnOnce() -> Result<Option<Money>>,
    date: Option<Date>,
) -> Result<LoanRow> {
    let moved = match (account, money()?, date) {
        (Some(a), Some(amount), Some(date)) => Some(LoanMove { account: AccountId(a), amount, date }),
        _ => None,
    };
    Ok(LoanRow { position, tx_id: TxId(tx_id), counterparty, kind: kind(kind_text)?, moved })
}

fn currency(code: &str) -> Result<Currency> {
    Currency::parse(code).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn sqlite_insert(tx: &rusqlite::Connection, book: BookId, position: i64, l: &LoanRecorded) -> Result<()> {
    tx.prepare_cached(INSERT)?.execute(rusqlite::params![
        book.0,
        position,
        l.tx_id.0,
        l.counterparty,
        l.kind.as_str()
    ])?;
    Ok(())
}

pub(crate) fn sqlite_rows(conn: &rusqlite::Connection, book: BookId) -> Result<Vec<LoanRow>> {
    let mut st = conn.prepare_cached(&ROWS.replace("AMOUNT", "amount_minor"))?;
    let mut rows = st.query([book.0])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let code: Option<String> = r.get(4)?;
        let minor: Option<i64> = r.get(5)?;
        let money = || -> Result<Option<Money>> {
            Ok(match (code, minor) {
                (Some(c), Some(m)) => Some(Money::from_minor_units(m, currency(&c)?)),
                _ => None,
            })
        };
        out.push(row(r.get(7)?, r.get(0)?, r.get(1)?, &r.get::<_, String>(2)?, r.get(3)?, money, r.get(6)?)?);
    }
    Ok(out)
}

pub(crate) fn pg_insert(tx: &mut postgres::Client, book: BookId, position: i64, l: &LoanRecorded) -> Result<()> {
    tx.execute(&pg(INSERT), &[&book.0, &position, &l.tx_id.0, &l.counterparty, &l.kind.as_str()])?;
    Ok(())
}

pub(crate) fn pg_rows(conn: &mut postgres::Client, book: BookId) -> Result<Vec<LoanRow>> {
    conn.query(&pg(&ROWS.replace("AMOUNT", "amount")), &[&book.0])?
        .iter()
        .map(|r| {
            let code: Option<String> = r.get(4);
            let amount: Option<Decimal> = r.get(5);
            let money = || -> Result<Option<Money>> {
                Ok(match (code, amount) {
                    (Some(c), Some(a)) => {
                        Some(Money::new(a, currency(&c)?).map_err(|e| StoreError::Corrupt(e.to_string()))?)
                    }
                    _ => None,
                })
            };
            row(r.get(7), r.get(0), r.get(1), r.get(2), r.get(3), money, r.get(6))
        })
        .collect()
}
