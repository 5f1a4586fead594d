//! SQLite side of the `budgets` projection: amounts in integer minor units
//! beside their currency; a move's sum is made in `Decimal` and checked
//! against an amount's range (`projection::next_total`) before it is written.

use kassa_core::budget::PlanRow;
use kassa_core::{BookId, Money};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::budgets::{BudgetChange, ReadRow, currency_of, plan_row};
use crate::error::{Result, StoreError};
use crate::projection::{Total, next_total};

pub(super) fn apply(tx: &Connection, changes: &[BudgetChange]) -> Result<()> {
    for change in changes {
        let (BudgetChange::Replace(r) | BudgetChange::Add(r)) = change;
        // Budget amounts are range-checked money, so they always fit.
        let minor = |m: Money| m.minor_units().ok_or_else(|| StoreError::Corrupt(format!("a budget of {m}")));
        let amount = r.amount.map_or(Ok(0), minor)?;
        let cap = r.cap.map(minor).transpose()?;
        match change {
            BudgetChange::Replace(_) => {
                tx.prepare_cached(
                    "DELETE FROM budgets WHERE book_id = ?1 AND kind = ?2 AND category_id = ?3 AND month = ?4",
                )?
                .execute(params![r.book.0, r.kind, r.category, r.month])?;
                tx.prepare_cached(
                    "INSERT INTO budgets (book_id, kind, category_id, month, currency, amount_minor, cap_minor, flag)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    r.book.0,
                    r.kind,
                    r.category,
                    r.month,
                    r.currency(),
                    amount,
                    cap,
                    r.flag
                ])?;
            }
            BudgetChange::Add(_) => {
                // The sum is made and range-checked here, never by SQL,
                // whose integer addition turns into a float past 2^63.
                let before: Option<i64> = tx
                    .prepare_cached(
                        "SELECT amount_minor FROM budgets
                         WHERE book_id = ?1 AND kind = ?2 AND category_id = ?3 AND month = ?4 AND currency = ?5",
                    )?
                    .query_row(params![r.book.0, r.kind, r.category, r.month, r.currency()], |row| row.get(0))
                    .optional()?;
                let change = r.amount.ok_or_else(|| StoreError::Corrupt("a budget move without an amount".into()))?;
                let before = Money::from_minor_units(before.unwrap_or(0), change.currency);
                let (_, next) = next_total(before, change, Total::Budget(&r.month), &mut |_| Ok(String::new()))?;
                tx.prepare_cached(
                    "INSERT INTO budgets (book_id, kind, category_id, month, currency, amount_minor, cap_minor, flag)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (book_id, kind, category_id, month, currency)
                     DO UPDATE SET amount_minor = excluded.amount_minor",
                )?
                .execute(params![
                    r.book.0,
                    r.kind,
                    r.category,
                    r.month,
                    r.currency(),
                    next,
                    cap,
                    r.flag
                ])?;
            }
        }
    }
    Ok(())
}

pub(super) fn plan(conn: &Connection, book: BookId) -> Result<Vec<PlanRow>> {
    let mut st = conn.prepare_cached(
        "SELECT kind, category_id, month, currency, amount_minor, cap_minor, flag FROM budgets WHERE book_id = ?1",
    )?;
    let mut rows = st.query([book.0])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        let cur = currency_of(&r.get::<_, String>(3)?)?;
        let (amount, cap): (i64, Option<i64>) = (r.get(4)?, r.get(5)?);
        out.push(plan_row(ReadRow {
            kind: r.get(0)?,
            category: r.get::<_, Uuid>(1)?,
            month: r.get(2)?,
            amount: cur.map(|c| Money::from_minor_units(amount, c)),
            cap: cur.zip(cap).map(|(c, units)| Money::from_minor_units(units, c)),
            flag: r.get(6)?,
        })?);
    }
    Ok(out)
}
