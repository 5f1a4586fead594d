//! PostgreSQL side of the report projections: monthly aggregates, FX rates
//! and the queries that turn them into report facts.

use jiff::civil::Date;
use kassa_core::report::fx::FxRate;
use kassa_core::report::{CounterpartyTotal, DailyDelta, FlowTotal, Wanted};
use kassa_core::{AccountId, BookId, Money};
use postgres::Client;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{at_scale, currency};
use crate::error::Result;
use crate::reports::{FactRows, FlowDeltas, as_of_split, category_of, month_of};

pub(super) fn flush_flows(tx: &mut Client, d: &FlowDeltas) -> Result<()> {
    if d.is_empty() {
        return Ok(());
    }
    let mut book = vec![];
    let mut month = vec![];
    let mut acc = vec![];
    let mut cat = vec![];
    let mut cur = vec![];
    let mut amount = vec![];
    for ((b, m, a, c, k), v) in &d.flows {
        book.push(b.0);
        month.push(m.to_string());
        acc.push(a.0);
        cat.push(*c);
        cur.push(k.code());
        amount.push(*v);
    }
    tx.execute(
        "INSERT INTO monthly_category_totals (book_id, month, account_id, category_id, currency, amount)
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::numeric[])
         ON CONFLICT (book_id, month, account_id, category_id, currency)
         DO UPDATE SET amount = monthly_category_totals.amount + excluded.amount",
        &[&book, &month, &acc, &cat, &cur, &amount],
    )?;
    tx.execute(
        "DELETE FROM monthly_category_totals x USING UNNEST($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[])
                AS u(b, m, a, c, k)
          WHERE x.book_id = u.b AND x.month = u.m AND x.account_id = u.a AND x.category_id = u.c
            AND x.currency = u.k AND x.amount = 0",
        &[&book, &month, &acc, &cat, &cur],
    )?;
    let (mut book, mut month, mut cp, mut cat, mut cur, mut amount) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    for ((b, m, p, c, k), v) in &d.parties {
        book.push(b.0);
        month.push(m.to_string());
        cp.push(p.clone());
        cat.push(*c);
        cur.push(k.code());
        amount.push(*v);
    }
    tx.execute(
        "INSERT INTO monthly_counterparty_totals (book_id, month, counterparty, category_id, currency, amount)
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::numeric[])
         ON CONFLICT (book_id, month, counterparty, category_id, currency)
         DO UPDATE SET amount = monthly_counterparty_totals.amount + excluded.amount",
        &[&book, &month, &cp, &cat, &cur, &amount],
    )?;
    tx.execute(
        "DELETE FROM monthly_counterparty_totals x
          USING UNNEST($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[]) AS u(b, m, p, c, k)
          WHERE x.book_id = u.b AND x.month = u.m AND x.counterparty = u.p AND x.category_id = u.c
            AND x.currency = u.k AND x.amount = 0",
        &[&book, &month, &cp, &cat, &cur],
    )?;
    Ok(())
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
