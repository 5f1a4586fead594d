//! Recurring series on both backends: the history detection reads (the
//! register, transfers left out) and the `recurring_series` projection of
//! the user's confirm, dismiss and rename events. The SQL is written once
//! with `?n` placeholders; PostgreSQL gets them as `$n`.

use jiff::civil::Date;
use kassa_core::recurring::SeriesId;
use kassa_core::{AccountId, BookId, Money};
use rust_decimal::Decimal;

use crate::error::{Result, StoreError};

/// One register row as recurring detection reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringRow {
    pub account: AccountId,
    pub date: Date,
    /// Signed, in the account's currency.
    pub amount: Decimal,
    /// The counterparty, or the description when there is none.
    pub text: String,
}

/// What the user said about one series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringMark {
    pub series_id: SeriesId,
    pub confirmed: bool,
    pub dismissed: bool,
    pub name: Option<String>,
}

/// One change to `recurring_series`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum MarkOp<'e> {
    /// Confirming undoes a dismissal and dismissing a confirmation: the
    /// user's latest word counts.
    Confirm,
    Dismiss,
    Rename(&'e str),
}

const HISTORY: &str = "SELECT account_id, date, currency, AMOUNT, COALESCE(counterparty, description) FROM register
  WHERE book_id = ?1 AND date <= ?2 AND NOT is_transfer";
const MARKS: &str = "SELECT series_id, confirmed, dismissed, name FROM recurring_series WHERE book_id = ?1";

fn upsert(op: MarkOp<'_>) -> &'static str {
    match op {
        MarkOp::Confirm => {
            "INSERT INTO recurring_series (book_id, series_id, confirmed, dismissed) VALUES (?1, ?2, TRUE, FALSE)
             ON CONFLICT (book_id, series_id) DO UPDATE SET confirmed = TRUE, dismissed = FALSE"
        }
        MarkOp::Dismiss => {
            "INSERT INTO recurring_series (book_id, series_id, confirmed, dismissed) VALUES (?1, ?2, FALSE, TRUE)
             ON CONFLICT (book_id, series_id) DO UPDATE SET confirmed = FALSE, dismissed = TRUE"
        }
        MarkOp::Rename(_) => {
            "INSERT INTO recurring_series (book_id, series_id, confirmed, dismissed, name) VALUES (?1, ?2, FALSE, FALSE, ?3)
             ON CONFLICT (book_id, series_id) DO UPDATE SET name = excluded.name"
        }
    }
}

fn pg(sql: &str) -> String {
    sql.replace('?', "$")
}

fn series_id(text: &str) -> Result<SeriesId> {
    text.parse().map_err(StoreError::Corrupt)
}

pub(crate) fn sqlite_history(conn: &rusqlite::Connection, book: BookId, as_of: Date) -> Result<Vec<RecurringRow>> {
    let mut st = conn.prepare_cached(&HISTORY.replace("AMOUNT", "amount_minor"))?;
    let mut rows = st.query(rusqlite::params![book.0, as_of])?;
    let mut out = Vec::new();
    // Currencies repeat: parse each code once.
    let mut last: Option<(String, kassa_core::Currency)> = None;
    while let Some(r) = rows.next()? {
        let code = r.get_ref(2)?.as_str().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let currency = match &last {
            Some((c, cur)) if c == code => *cur,
            _ => {
                let cur = crate::sqlite::currency(code)?;
                last = Some((code.to_string(), cur));
                cur
            }
        };
        out.push(RecurringRow {
            account: AccountId(r.get(0)?),
            date: r.get(1)?,
            amount: Money::from_minor_units(r.get(3)?, currency).amount,
            text: r.get(4)?,
        });
    }
    Ok(out)
}

pub(crate) fn sqlite_marks(conn: &rusqlite::Connection, book: BookId) -> Result<Vec<RecurringMark>> {
    let mut st = conn.prepare_cached(MARKS)?;
    let mut rows = st.query([book.0])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(RecurringMark {
            series_id: series_id(&r.get::<_, String>(0)?)?,
            confirmed: r.get(1)?,
            dismissed: r.get(2)?,
            name: r.get(3)?,
        });
    }
    Ok(out)
}

pub(crate) fn sqlite_apply(tx: &rusqlite::Connection, book: BookId, id: SeriesId, op: MarkOp<'_>) -> Result<()> {
    let mut st = tx.prepare_cached(upsert(op))?;
    match op {
        MarkOp::Rename(name) => st.execute(rusqlite::params![book.0, id.to_string(), name])?,
        MarkOp::Confirm | MarkOp::Dismiss => st.execute(rusqlite::params![book.0, id.to_string()])?,
    };
    Ok(())
}

pub(crate) fn pg_history(conn: &mut postgres::Client, book: BookId, as_of: Date) -> Result<Vec<RecurringRow>> {
    let rows = conn.query(&pg(&HISTORY.replace("AMOUNT", "amount")), &[&book.0, &as_of])?;
    Ok(rows
        .iter()
        .map(|r| RecurringRow { account: AccountId(r.get(0)), date: r.get(1), amount: r.get(3), text: r.get(4) })
        .collect())
}

pub(crate) fn pg_marks(conn: &mut postgres::Client, book: BookId) -> Result<Vec<RecurringMark>> {
    conn.query(&pg(MARKS), &[&book.0])?
        .iter()
        .map(|r| {
            Ok(RecurringMark {
                series_id: series_id(r.get(0))?,
                confirmed: r.get(1),
                dismissed: r.get(2),
                name: r.get(3),
            })
        })
        .collect()
}

pub(crate) fn pg_apply(tx: &mut postgres::Client, book: BookId, id: SeriesId, op: MarkOp<'_>) -> Result<()> {
    let sql = pg(upsert(op));
    let id = id.to_string();
    match op {
        MarkOp::Rename(name) => tx.execute(&sql, &[&book.0, &id, &name])?,
        MarkOp::Confirm | MarkOp::Dismiss => tx.execute(&sql, &[&book.0, &id])?,
    };
    Ok(())
}
