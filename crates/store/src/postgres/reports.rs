//! PostgreSQL side of the report projections: monthly aggregates, FX rates
//! and the queries that turn them into report facts.

use std::collections::HashMap;
use std::hash::Hash;

use jiff::civil::Date;
use kassa_core::report::fx::FxRate;
use kassa_core::report::{CounterpartyTotal, DailyDelta, FlowTotal, Wanted};
use kassa_core::{AccountId, BookId, Currency, Money};
use postgres::Client;
use postgres::types::{FromSql, ToSql};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{account_name, at_scale, currency};
use crate::error::Result;
use crate::projection::{Total, next_total};
use crate::reports::{FactRows, FlowDeltas, as_of_split, category_of, month_of};

/// Each touched monthly total becomes its new total, computed and
/// range-checked by `next_total` from the rows read here, then written in
/// one batch per table; rows that sum to zero go, so the tables do not
/// depend on batching.
pub(super) fn flush_flows(tx: &mut Client, d: &FlowDeltas) -> Result<()> {
    let flows = d.flows.iter().map(|((b, m, a, c, k), v)| Change {
        key: (b.0, m.to_string(), a.0, *c, k.code()),
        currency: *k,
        change: *v,
        total: Total::Month(*m, *a),
    });
    flush_totals(tx, "monthly_category_totals", ("account_id", "uuid"), flows.collect())?;
    let parties = d.parties.iter().map(|((b, m, p, c, k), v)| Change {
        key: (b.0, m.to_string(), p.clone(), *c, k.code()),
        currency: *k,
        change: *v,
        total: Total::Counterparty(*m, p),
    });
    flush_totals(tx, "monthly_counterparty_totals", ("counterparty", "text"), parties.collect())
}

/// One monthly total a batch changes: its key (book, month, account or
/// counterparty, category, currency), the change, and its name for a refusal.
struct Change<'d, W> {
    key: (Uuid, String, W, Uuid, &'static str),
    currency: Currency,
    change: Decimal,
    total: Total<'d>,
}

/// Reads the existing rows of `changes`' keys from `table`, whose third key
/// column `who` is an account id or a counterparty, and writes each new total.
fn flush_totals<W>(
    tx: &mut Client,
    table: &str,
    (who, who_type): (&str, &str),
    changes: Vec<Change<'_, W>>,
) -> Result<()>
where
    W: ToSql + Sync + for<'r> FromSql<'r> + Eq + Hash + Clone,
{
    if changes.is_empty() {
        return Ok(());
    }
    let unnest =
        format!("UNNEST($1::uuid[], $2::text[], $3::{who_type}[], $4::uuid[], $5::text[]) AS u(b, m, w, c, k)");
    let on =
        format!("x.book_id = u.b AND x.month = u.m AND x.{who} = u.w AND x.category_id = u.c AND x.currency = u.k");
    let keys = Keys::of(changes.iter().map(|c| &c.key));
    let old: HashMap<(Uuid, String, W, Uuid, String), Decimal> = tx
        .query(
            &format!("SELECT x.book_id, x.month, x.{who}, x.category_id, x.currency, x.amount FROM {table} x JOIN {unnest} ON {on}"),
            &[&keys.book, &keys.month, &keys.who, &keys.cat, &keys.cur],
        )?
        .iter()
        .map(|r| ((r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)), r.get(5)))
        .collect();
    let (mut kept, mut gone, mut amounts) = (vec![], vec![], vec![]);
    for c in &changes {
        let (b, m, w, cat, k) = &c.key;
        let before = old.get(&(*b, m.clone(), w.clone(), *cat, (*k).to_string())).copied().unwrap_or_default();
        let before = Money { amount: before, currency: c.currency };
        let change = Money { amount: c.change, currency: c.currency };
        let (next, _) = next_total(before, change, c.total, &mut |a| account_name(tx, a))?;
        if next.is_zero() {
            gone.push(&c.key);
        } else {
            kept.push(&c.key);
            amounts.push(at_scale(next.amount, c.currency));
        }
    }
    let (kept, gone) = (Keys::of(kept.into_iter()), Keys::of(gone.into_iter()));
    tx.execute(
        &format!(
            "INSERT INTO {table} (book_id, month, {who}, category_id, currency, amount)
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::{who_type}[], $4::uuid[], $5::text[], $6::numeric[])
             ON CONFLICT (book_id, month, {who}, category_id, currency) DO UPDATE SET amount = excluded.amount"
        ),
        &[&kept.book, &kept.month, &kept.who, &kept.cat, &kept.cur, &amounts],
    )?;
    tx.execute(
        &format!("DELETE FROM {table} x USING {unnest} WHERE {on}"),
        &[&gone.book, &gone.month, &gone.who, &gone.cat, &gone.cur],
    )?;
    Ok(())
}

/// Monthly totals' keys as `UNNEST` columns.
struct Keys<W> {
    book: Vec<Uuid>,
    month: Vec<String>,
    who: Vec<W>,
    cat: Vec<Uuid>,
    cur: Vec<&'static str>,
}

impl<W: Clone> Keys<W> {
    fn of<'k>(keys: impl Iterator<Item = &'k (Uuid, String, W, Uuid, &'static str)>) -> Keys<W>
    where
        W: 'k,
    {
        let mut out = Keys { book: vec![], month: vec![], who: vec![], cat: vec![], cur: vec![] };
        for (b, m, w, c, k) in keys {
            out.book.push(*b);
            out.month.push(m.clone());
            out.who.push(w.clone());
            out.cat.push(*c);
            out.cur.push(k);
        }
        out
    }
}

pub(super) fn insert_fx(tx: &mut Client, book: BookId, rates: &[FxRate]) -> Result<()> {
    for r in rates {
        tx.execute(
            "INSERT INTO fx_rates (book_id, base, quote, date, rate) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (book_id, base, quote, date) DO UPDATE SET rate = excluded.rate",
            &[&book.0, &r.base.code(), &r.quote.code(), &r.date, &r.rate],
        )?;
    }
    Ok(())
}

pub(super) fn fx_rates(conn: &mut Client, book: BookId) -> Result<Vec<FxRate>> {
    let rows = conn.query("SELECT base, quote, date, rate FROM fx_rates WHERE book_id = $1", &[&book.0])?;
    rows.iter()
        .map(|r| Ok(FxRate { base: currency(r.get(0))?, quote: currency(r.get(1))?, date: r.get(2), rate: r.get(3) }))
        .collect()
}

pub(super) fn fact_rows(conn: &mut Client, book: BookId, as_of: Option<Date>, want: Wanted) -> Result<FactRows> {
    let split = as_of_split(as_of);
    let before = split.map(|(m, _, _)| m.to_string());
    let mut out = FactRows::default();
    let money = |amount: Decimal, cur: &str| -> Result<Money> {
        let c = currency(cur)?;
        Ok(Money { amount: at_scale(amount, c), currency: c })
    };
    if want.flows {
        for r in conn.query(
            "SELECT month, account_id, category_id, currency, amount FROM monthly_category_totals
              WHERE book_id = $1 AND ($2::text IS NULL OR month < $2)",
            &[&book.0, &before],
        )? {
            out.flows.push(FlowTotal {
                month: month_of(r.get(0))?,
                account: AccountId(r.get(1)),
                category: category_of(r.get(2)),
                amount: money(r.get(4), r.get(3))?,
            });
        }
    }
    if want.counterparties {
        for r in conn.query(
            "SELECT month, counterparty, currency, amount, category_id FROM monthly_counterparty_totals
              WHERE book_id = $1 AND ($2::text IS NULL OR month < $2)",
            &[&book.0, &before],
        )? {
            out.counterparties.push(CounterpartyTotal {
                month: month_of(r.get(0))?,
                counterparty: r.get(1),
                category: category_of(r.get(4)),
                amount: money(r.get(3), r.get(2))?,
            });
        }
    }
    if let Some((month, first, last)) = split.filter(|_| want.flows || want.counterparties) {
        for r in conn.query(
            "SELECT p.account_id, COALESCE(t.category_id, '00000000-0000-0000-0000-000000000000'::uuid), t.counterparty,
                    p.currency, SUM(p.amount)
               FROM transactions t JOIN postings p ON p.tx_id = t.id
              WHERE t.book_id = $1 AND t.date >= $2 AND t.date <= $3 AND NOT t.is_transfer AND p.leg = 'account'
              GROUP BY 1, 2, 3, 4",
            &[&book.0, &first, &last],
        )? {
            let m = money(r.get(4), r.get(3))?;
            out.add_partial(want, month, AccountId(r.get(0)), r.get::<_, Uuid>(1), r.get(2), m);
        }
    }
    if want.daily {
        for r in conn.query(
            "SELECT d.account_id, d.date, d.delta, a.currency FROM accounts a JOIN daily_balances d ON d.account_id = a.id
              WHERE a.book_id = $1 AND ($2::date IS NULL OR d.date <= $2)",
            &[&book.0, &as_of],
        )? {
            out.daily.push(DailyDelta { account: AccountId(r.get(0)), date: r.get(1), amount: money(r.get(2), r.get(3))? });
        }
    }
    Ok(out)
}
