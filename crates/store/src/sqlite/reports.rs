//! SQLite side of the report projections: monthly aggregates, FX rates and
//! the queries that turn them into report facts.

use jiff::civil::Date;
use kassa_core::report::fx::FxRate;
use kassa_core::report::{CounterpartyTotal, DailyDelta, FlowTotal, Wanted};
use kassa_core::{AccountId, BookId, Money};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{account_name, currency, parse_field, wide_sum, wide_total};
use crate::access::wide_amount;
use crate::error::Result;
use crate::projection::{Total, next_total};
use crate::reports::{FactRows, FlowDeltas, as_of_split, category_of, month_of};

/// Each touched monthly total becomes its new total, computed and
/// range-checked by `next_total`; rows that sum to zero go, so the table
/// does not depend on batching.
pub(super) fn flush_flows(tx: &Connection, d: &FlowDeltas) -> Result<()> {
    if d.is_empty() {
        return Ok(());
    }
    let mut read = tx.prepare_cached(
        "SELECT amount_minor FROM monthly_category_totals
          WHERE book_id = ?1 AND month = ?2 AND account_id = ?3 AND category_id = ?4 AND currency = ?5",
    )?;
    let mut up = tx.prepare_cached(
        "INSERT INTO monthly_category_totals (book_id, month, account_id, category_id, currency, amount_minor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (book_id, month, account_id, category_id, currency)
         DO UPDATE SET amount_minor = excluded.amount_minor",
    )?;
    let mut delete = tx.prepare_cached(
        "DELETE FROM monthly_category_totals
          WHERE book_id = ?1 AND month = ?2 AND account_id = ?3 AND category_id = ?4 AND currency = ?5",
    )?;
    for ((book, month, acc, cat, cur), amount) in &d.flows {
        let key = params![book.0, month.to_string(), acc.0, cat, cur.code()];
        let old = read.query_row(key, |r| r.get::<_, i64>(0)).optional()?.unwrap_or(0);
        let change = Money { amount: *amount, currency: *cur };
        let total = Total::Month(*month, *acc);
        let (next, minor) =
            next_total(Money::from_minor_units(old, *cur), change, total, &mut |a| account_name(tx, a))?;
        if next.is_zero() {
            delete.execute(key)?;
        } else {
            up.execute(params![book.0, month.to_string(), acc.0, cat, cur.code(), minor])?;
        }
    }
    let mut read = tx.prepare_cached(
        "SELECT amount_minor FROM monthly_counterparty_totals
          WHERE book_id = ?1 AND month = ?2 AND counterparty = ?3 AND category_id = ?4 AND currency = ?5",
    )?;
    let mut up = tx.prepare_cached(
        "INSERT INTO monthly_counterparty_totals (book_id, month, counterparty, category_id, currency, amount_minor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (book_id, month, counterparty, category_id, currency)
         DO UPDATE SET amount_minor = excluded.amount_minor",
    )?;
    let mut delete = tx.prepare_cached(
        "DELETE FROM monthly_counterparty_totals
          WHERE book_id = ?1 AND month = ?2 AND counterparty = ?3 AND category_id = ?4 AND currency = ?5",
    )?;
    for ((book, month, cp, cat, cur), amount) in &d.parties {
        let key = params![book.0, month.to_string(), cp, cat, cur.code()];
        let old = read.query_row(key, |r| r.get::<_, i64>(0)).optional()?.unwrap_or(0);
        let change = Money { amount: *amount, currency: *cur };
        let total = Total::Counterparty(*month, cp);
        let (next, minor) =
            next_total(Money::from_minor_units(old, *cur), change, total, &mut |a| account_name(tx, a))?;
        if next.is_zero() {
            delete.execute(key)?;
        } else {
            up.execute(params![book.0, month.to_string(), cp, cat, cur.code(), minor])?;
        }
    }
    Ok(())
}

pub(super) fn insert_fx(tx: &Connection, book: BookId, rates: &[FxRate]) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO fx_rates (book_id, base, quote, date, rate) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (book_id, base, quote, date) DO UPDATE SET rate = excluded.rate",
    )?;
    for r in rates {
        st.execute(params![book.0, r.base.code(), r.quote.code(), r.date, r.rate.to_string()])?;
    }
    Ok(())
}

pub(super) fn fx_rates(conn: &Connection, book: BookId) -> Result<Vec<FxRate>> {
    let mut st = conn.prepare_cached("SELECT base, quote, date, rate FROM fx_rates WHERE book_id = ?1")?;
    let mut rows = st.query([book.0])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        out.push(FxRate {
            base: currency(&r.get::<_, String>(0)?)?,
            quote: currency(&r.get::<_, String>(1)?)?,
            date: r.get(2)?,
            rate: parse_field(&r.get::<_, String>(3)?)?,
        });
    }
    Ok(out)
}

pub(super) fn fact_rows(conn: &Connection, book: BookId, as_of: Option<Date>, want: Wanted) -> Result<FactRows> {
    let split = as_of_split(as_of);
    let before = split.map(|(m, _, _)| m.to_string());
    let mut out = FactRows::default();
    if want.flows {
        let mut st = conn.prepare_cached(
            "SELECT month, account_id, category_id, currency, amount_minor FROM monthly_category_totals
              WHERE book_id = ?1 AND (?2 IS NULL OR month < ?2)",
        )?;
        let mut rows = st.query(params![book.0, before])?;
        while let Some(r) = rows.next()? {
            let cur = currency(&r.get::<_, String>(3)?)?;
            out.flows.push(FlowTotal {
                month: month_of(&r.get::<_, String>(0)?)?,
                account: AccountId(r.get(1)?),
                category: category_of(r.get(2)?),
                amount: Money::from_minor_units(r.get(4)?, cur),
            });
        }
    }
    if want.counterparties {
        let mut st = conn.prepare_cached(
            "SELECT month, counterparty, currency, amount_minor, category_id FROM monthly_counterparty_totals
              WHERE book_id = ?1 AND (?2 IS NULL OR month < ?2)",
        )?;
        let mut rows = st.query(params![book.0, before])?;
        while let Some(r) = rows.next()? {
            let cur = currency(&r.get::<_, String>(2)?)?;
            out.counterparties.push(CounterpartyTotal {
                month: month_of(&r.get::<_, String>(0)?)?,
                counterparty: r.get(1)?,
                category: category_of(r.get(4)?),
                amount: Money::from_minor_units(r.get(3)?, cur),
            });
        }
    }
    if let Some((month, first, last)) = split.filter(|_| want.flows || want.counterparties) {
        let mut st = conn.prepare_cached(&format!(
            "SELECT p.account_id, COALESCE(t.category_id, zeroblob(16)), t.counterparty, p.currency, {}
               FROM transactions t JOIN postings p ON p.tx_id = t.id
              WHERE t.book_id = ?1 AND t.date >= ?2 AND t.date <= ?3 AND t.is_transfer = 0 AND p.leg = 'account'
              GROUP BY 1, 2, 3, 4",
            wide_sum("p.amount_minor")
        ))?;
        let mut rows = st.query(params![book.0, first, last])?;
        while let Some(r) = rows.next()? {
            let cur = currency(&r.get::<_, String>(3)?)?;
            let m = Money { amount: wide_amount(wide_total(r.get(4)?, r.get(5)?), cur)?, currency: cur };
            out.add_partial(want, month, AccountId(r.get(0)?), r.get::<_, Uuid>(1)?, r.get(2)?, m);
        }
    }
    if want.daily {
        let mut st = conn.prepare_cached(
            "SELECT d.account_id, d.date, d.delta_minor, a.currency FROM accounts a JOIN daily_balances d ON d.account_id = a.id
              WHERE a.book_id = ?1 AND (?2 IS NULL OR d.date <= ?2)",
        )?;
        let mut rows = st.query(params![book.0, as_of])?;
        while let Some(r) = rows.next()? {
            let cur = currency(&r.get::<_, String>(3)?)?;
            out.daily.push(DailyDelta {
                account: AccountId(r.get(0)?),
                date: r.get(1)?,
                amount: Money::from_minor_units(r.get(2)?, cur),
            });
        }
    }
    Ok(out)
}
