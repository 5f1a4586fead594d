//! PostgreSQL side of the `budgets` projection: amounts as NUMERIC beside
//! their currency.

use kassa_core::budget::PlanRow;
use kassa_core::{BookId, Money};
use postgres::Client;
use rust_decimal::Decimal;

use super::at_scale;
use crate::budgets::{BudgetChange, ReadRow, currency_of, plan_row};
use crate::error::{Result, StoreError};
use crate::projection::{Total, next_total};

pub(super) fn apply(tx: &mut Client, changes: &[BudgetChange]) -> Result<()> {
    for change in changes {
        let (BudgetChange::Replace(r) | BudgetChange::Add(r)) = change;
        let amount = r.amount.map_or(Decimal::ZERO, |m| m.amount);
        let cap = r.cap.map(|m| m.amount);
        let currency = r.currency();
        match change {
            BudgetChange::Replace(_) => {
                tx.execute(
                    "DELETE FROM budgets WHERE book_id = $1 AND kind = $2 AND category_id = $3 AND month = $4",
                    &[&r.book.0, &r.kind, &r.category, &r.month],
                )?;
                tx.execute(
                    "INSERT INTO budgets (book_id, kind, category_id, month, currency, amount, cap, flag)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[&r.book.0, &r.kind, &r.category, &r.month, &currency, &amount, &cap, &r.flag],
                )?;
            }
            BudgetChange::Add(_) => {
                // Summed and range-checked as SQLite's side is, so both
                // backends refuse the same move.
                let change = r.amount.ok_or_else(|| StoreError::Corrupt("a budget move without an amount".into()))?;
                let before: Option<Decimal> = tx
                    .query_opt(
                        "SELECT amount FROM budgets
                         WHERE book_id = $1 AND kind = $2 AND category_id = $3 AND month = $4 AND currency = $5",
                        &[&r.book.0, &r.kind, &r.category, &r.month, &currency],
                    )?
                    .map(|row| row.get(0));
                let before = Money { amount: before.unwrap_or(Decimal::ZERO), currency: change.currency };
                let (next, _) = next_total(before, change, Total::Budget(&r.month), &mut |_| Ok(String::new()))?;
                tx.execute(
                    "INSERT INTO budgets (book_id, kind, category_id, month, currency, amount, cap, flag)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (book_id, kind, category_id, month, currency)
                     DO UPDATE SET amount = excluded.amount",
                    &[&r.book.0, &r.kind, &r.category, &r.month, &currency, &next.amount, &cap, &r.flag],
                )?;
            }
        }
    }
    Ok(())
}

pub(super) fn plan(conn: &mut Client, book: BookId) -> Result<Vec<PlanRow>> {
    let rows = conn.query(
        "SELECT kind, category_id, month, currency, amount, cap, flag FROM budgets WHERE book_id = $1",
        &[&book.0],
    )?;
    rows.iter()
        .map(|r| {
            let cur = currency_of(r.get(3))?;
            let cap: Option<Decimal> = r.get(5);
            plan_row(ReadRow {
                kind: r.get(0),
                category: r.get(1),
                month: r.get(2),
                amount: cur.map(|c| Money { amount: at_scale(r.get(4), c), currency: c }),
                cap: cur.zip(cap).map(|(c, a)| Money { amount: at_scale(a, c), currency: c }),
                flag: r.get(6),
            })
        })
        .collect()
}
