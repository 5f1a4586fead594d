//! SQLite side of users, tokens, organisations, book roles and the API's
//! reads (register pages, audit trail, admin overview, idempotency keys).

use std::sync::OnceLock;

use jiff::Timestamp;
use kassa_core::access::Principal;
use kassa_core::event::AccountRenamed;
use kassa_core::risk::Outflows;
use kassa_core::{AccountId, Amount, Book, BookId, Currency, Event, Money, OrgId, RecordedEvent, TxId, UserId};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

use super::{EVENT_COLUMNS, Uow, blob, currency, event_row, owner_from, wide_sum, wide_total};
use crate::access::{
    AccountFigures, CurrencyMemo, GrantRow, OrgMemberRow, OrgRow, OverviewReads, StoredResponse, StreamUow, TokenRow,
    TxCursor, TxItem, TxPageQuery, UserRow, UserUow, book_role, org_role, principal_from, principal_parts, token_kind,
    wide_amount,
};
use crate::error::{Result, StoreError};
use crate::projector::AccessOp;
use crate::register::{Dialect, Indexed, MIN_INDEXED_SEARCH, page_rows, trigram_phrase};

impl StreamUow for Uow<'_> {
    fn load_stream(&mut self, stream: &str) -> Result<Vec<Event>> {
        let mut st = self.tx.prepare_cached(&format!("{EVENT_COLUMNS} WHERE s.name = ?1 ORDER BY e.version"))?;
        let rows = st.query_map([stream], event_row)?;
        rows.map(|r| Ok(r??.event)).collect()
    }
}

impl UserUow for Uow<'_> {
    /// `BEGIN IMMEDIATE` already holds SQLite's one write lock for the
    /// whole transaction: user creations queue on it.
    fn lock_users(&mut self) -> Result<()> {
        Ok(())
    }

    fn any_user(&mut self) -> Result<bool> {
        Ok(self.tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM users)")?.query_row([], |r| r.get(0))?)
    }

    fn invite_open(&mut self, token: Uuid) -> Result<bool> {
        let sql = "SELECT EXISTS (SELECT 1 FROM tokens WHERE id = ?1 AND kind = 'invite' AND NOT revoked)";
        Ok(self.tx.prepare_cached(sql)?.query_row([token], |r| r.get(0))?)
    }
}

/// `Store::create_user`: one write transaction, retried on a conflict.
/// Executes one of the projector's access operations.
pub(super) fn apply(tx: &Connection, op: AccessOp<'_>) -> Result<()> {
    match op {
        AccessOp::InsertUser(u) => {
            tx.prepare_cached(
                "INSERT INTO users (id, email, password_hash, platform_admin, disabled) VALUES (?1, ?2, ?3, ?4, 0)",
            )?
            .execute(params![u.user_id.0, u.email, u.password_hash, u.platform_admin])?;
        }
        AccessOp::SetPassword(p) => {
            tx.prepare_cached("UPDATE users SET password_hash = ?1 WHERE id = ?2")?
                .execute(params![p.password_hash, p.user_id.0])?;
        }
        AccessOp::DisableUser(u) => {
            tx.prepare_cached("UPDATE users SET disabled = 1 WHERE id = ?1")?.execute([u.user_id.0])?;
        }
        AccessOp::InsertToken(t) => {
            tx.prepare_cached(
                "INSERT INTO tokens (id, user_id, kind, token_hash, expires_at, revoked) VALUES (?1, ?2, ?3, ?4, ?5, 0)",
            )?
            .execute(params![t.token_id, t.user_id.0, t.kind.as_str(), t.token_hash, t.expires_at.to_string()])?;
        }
        AccessOp::RevokeToken(t) => {
            tx.prepare_cached("UPDATE tokens SET revoked = 1 WHERE id = ?1")?.execute([t.token_id])?;
        }
        AccessOp::InsertOrg(o) => {
            tx.prepare_cached("INSERT INTO orgs (id, name) VALUES (?1, ?2)")?.execute(params![o.org_id.0, o.name])?;
        }
        AccessOp::UpsertMember(m) => {
            tx.prepare_cached(
                "INSERT INTO org_members (org_id, user_id, role) VALUES (?1, ?2, ?3)
                 ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
            )?
            .execute(params![m.org_id.0, m.user_id.0, m.role.as_str()])?;
        }
        AccessOp::DeleteMember(m) => {
            tx.prepare_cached("DELETE FROM org_members WHERE org_id = ?1 AND user_id = ?2")?
                .execute(params![m.org_id.0, m.user_id.0])?;
        }
        AccessOp::UpsertGrant(g) => {
            let (kind, id) = principal_parts(&g.principal);
            tx.prepare_cached(
                "INSERT INTO book_grants (book_id, principal_kind, principal_id, role, account_id) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (book_id, principal_kind, principal_id) DO UPDATE SET role = excluded.role, account_id = excluded.account_id",
            )?
            .execute(params![g.book_id.0, kind, id, g.role.as_str(), g.account_id.map(|a| a.0)])?;
        }
        AccessOp::DeleteGrant(r) => {
            let (kind, id) = principal_parts(&r.principal);
            tx.prepare_cached(
                "DELETE FROM book_grants WHERE book_id = ?1 AND principal_kind = ?2 AND principal_id = ?3",
            )?
            .execute(params![r.book_id.0, kind, id])?;
        }
        AccessOp::RenameBook { book, name } => {
            tx.prepare_cached("UPDATE books SET name = ?1 WHERE id = ?2")?.execute(params![name, book.0])?;
        }
        AccessOp::DeleteBook(book_id) => {
            tx.prepare_cached("DELETE FROM books WHERE id = ?1")?.execute([book_id.0])?;
        }
        AccessOp::RenameAccount(AccountRenamed { account_id, name }) => {
            tx.prepare_cached("UPDATE accounts SET name = ?1 WHERE id = ?2")?.execute(params![name, account_id.0])?;
        }
    }
    Ok(())
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: UserId(r.get(0)?),
        email: r.get(1)?,
        password_hash: r.get(2)?,
        platform_admin: r.get(3)?,
        disabled: r.get(4)?,
    })
}

const USER_COLUMNS: &str = "SELECT id, email, password_hash, platform_admin, disabled FROM users";

pub(super) fn user(conn: &Connection, id: UserId) -> Result<Option<UserRow>> {
    Ok(conn.prepare_cached(&format!("{USER_COLUMNS} WHERE id = ?1"))?.query_row([id.0], user_row).optional()?)
}

pub(super) fn user_by_email(conn: &Connection, email: &str) -> Result<Option<UserRow>> {
    Ok(conn.prepare_cached(&format!("{USER_COLUMNS} WHERE email = ?1"))?.query_row([email], user_row).optional()?)
}

pub(super) fn users(conn: &Connection) -> Result<Vec<UserRow>> {
    let mut st = conn.prepare_cached(&format!("{USER_COLUMNS} ORDER BY email"))?;
    let rows = st.query_map([], user_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const TOKEN_COLUMNS: &str = "SELECT t.id, t.user_id, t.kind, t.expires_at, t.revoked, u.disabled, u.platform_admin
                               FROM tokens t JOIN users u ON u.id = t.user_id";

fn token_row(r: &rusqlite::Row<'_>) -> Result<TokenRow> {
    Ok(TokenRow {
        token_id: r.get(0)?,
        user_id: UserId(r.get(1)?),
        kind: token_kind(&r.get::<_, String>(2)?),
        expires_at: r.get::<_, String>(3)?.parse::<Timestamp>().map_err(|e| StoreError::Corrupt(e.to_string()))?,
        revoked: r.get(4)?,
        user_disabled: r.get(5)?,
        platform_admin: r.get(6)?,
    })
}

pub(super) fn token_by_hash(conn: &Connection, hash: &str) -> Result<Option<TokenRow>> {
    let mut st = conn.prepare_cached(&format!("{TOKEN_COLUMNS} WHERE t.token_hash = ?1"))?;
    let mut rows = st.query([hash])?;
    rows.next()?.map(token_row).transpose()
}

pub(super) fn user_tokens(conn: &Connection, user: UserId) -> Result<Vec<TokenRow>> {
    let mut st = conn.prepare_cached(&format!("{TOKEN_COLUMNS} WHERE t.user_id = ?1 ORDER BY t.id"))?;
    let mut rows = st.query([user.0])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        out.push(token_row(r)?);
    }
    Ok(out)
}

pub(super) fn orgs(conn: &Connection) -> Result<Vec<OrgRow>> {
    let mut st = conn.prepare_cached("SELECT id, name FROM orgs ORDER BY name, id")?;
    let rows = st.query_map([], |r| Ok(OrgRow { id: OrgId(r.get(0)?), name: r.get(1)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn org_members(conn: &Connection, org: Option<OrgId>, user: Option<UserId>) -> Result<Vec<OrgMemberRow>> {
    let mut st = conn.prepare_cached(
        "SELECT m.org_id, m.user_id, u.email, m.role FROM org_members m JOIN users u ON u.id = m.user_id
          WHERE (?1 IS NULL OR m.org_id = ?1) AND (?2 IS NULL OR m.user_id = ?2) ORDER BY u.email",
    )?;
    let rows = st.query_map(params![org.map(|o| o.0), user.map(|u| u.0)], |r| {
        Ok(OrgMemberRow {
            org_id: OrgId(r.get(0)?),
            user_id: UserId(r.get(1)?),
            email: r.get(2)?,
            role: org_role(&r.get::<_, String>(3)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn book(conn: &Connection, id: BookId) -> Result<Option<Book>> {
    let row = conn
        .prepare_cached("SELECT name, owner_kind, owner_id FROM books WHERE id = ?1")?
        .query_row([id.0], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<Uuid>>(2)?)))
        .optional()?;
    row.map(|(name, kind, owner)| Ok(Book { id, name, owner: owner_from(&kind, owner)? })).transpose()
}

pub(super) fn book_grants(conn: &Connection, book: Option<BookId>, principals: &[Principal]) -> Result<Vec<GrantRow>> {
    let mut sql =
        String::from("SELECT book_id, principal_kind, principal_id, role, account_id FROM book_grants WHERE 1 = 1");
    let mut args: Vec<Value> = vec![];
    if let Some(b) = book {
        args.push(blob(b.0));
        sql.push_str(&format!(" AND book_id = ?{}", args.len()));
    }
    if !principals.is_empty() {
        let ids: Vec<String> = principals
            .iter()
            .map(|p| {
                args.push(blob(principal_parts(p).1));
                format!("?{}", args.len())
            })
            .collect();
        sql.push_str(&format!(" AND principal_id IN ({})", ids.join(", ")));
    }
    sql.push_str(" ORDER BY book_id, principal_kind, principal_id");
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(params_from_iter(args.iter()))?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        out.push(GrantRow {
            book_id: BookId(r.get(0)?),
            principal: principal_from(&r.get::<_, String>(1)?, r.get(2)?),
            role: book_role(&r.get::<_, String>(3)?)?,
            account_id: r.get::<_, Option<Uuid>>(4)?.map(AccountId),
        });
    }
    Ok(out)
}

pub(super) fn tx_page(conn: &Connection, book: BookId, q: &TxPageQuery) -> Result<Vec<TxItem>> {
    let indexed = indexed(conn, book, q.search.as_deref(), q.min_amount, q.max_amount)?;
    let (sql, args) = page_rows::<Sqlite>(book, q, indexed);
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(params_from_iter(args.iter()))?;
    let mut out = Vec::with_capacity(q.limit);
    let mut currencies = CurrencyMemo::default();
    // Category names are looked up once per category on the page, not
    // joined: a join looked one up for every row, a third of the query.
    let mut category_name = conn.prepare_cached("SELECT name FROM categories WHERE id = ?1")?;
    let mut names: Vec<(Uuid, Option<String>)> = vec![];
    while let Some(r) = rows.next()? {
        let category = match r.get::<_, Option<Uuid>>(7)? {
            None => None,
            Some(id) => match names.iter().find(|(known, _)| *known == id) {
                Some((_, name)) => name.clone(),
                None => {
                    let name: Option<String> = category_name.query_row([id], |r| r.get(0)).optional()?;
                    names.push((id, name.clone()));
                    name
                }
            },
        };
        let cur = currencies.parse(r.get_ref(5)?.as_str().map_err(|e| StoreError::Corrupt(e.to_string()))?)?;
        let date = r.get(3)?;
        out.push(TxItem {
            id: TxId(r.get(0)?),
            account_id: AccountId(r.get(1)?),
            account: r.get(2)?,
            date,
            amount: Money::from_minor_units(r.get(4)?, cur).amount,
            currency: cur,
            description: r.get(6)?,
            category,
            counterparty: r.get(8)?,
            status: r.get(9)?,
            transfer_account: r.get(11)?,
            cursor: TxCursor { date, tx: r.get(0)?, seq: r.get(10)? },
        });
    }
    Ok(q.newest_first(out))
}

/// The digits after the point of the currency with the smallest minor unit.
fn finest_scale() -> u32 {
    Currency::all().map(|c| c.minor_units()).max().unwrap_or(2)
}

/// `amount_minor` counts each currency's own minor units, so a bound on
/// an amount's size compares in the finest unit any currency has: this is
/// the size of the register's `r.amount_minor` in that unit.
fn amount_size() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let finest = finest_scale();
        let mut sql = String::from("abs(r.amount_minor) * CASE r.currency");
        for c in Currency::all().filter(|c| c.minor_units() != 2) {
            sql.push_str(&format!(" WHEN '{}' THEN {}", c.code(), 10_i64.pow(finest - c.minor_units())));
        }
        sql.push_str(&format!(" ELSE {} END", 10_i64.pow(finest - 2)));
        sql
    })
}

/// A bound in the finest unit, rounded so that no amount is wrongly let in:
/// up for a lower bound, down for an upper one. In kassa's range, a bound
/// and every row's size are below 10^18 finest units, so neither this nor
/// `amount_size`'s product overflows 64 bits.
fn in_finest_units(bound: Amount, lower: bool) -> i64 {
    let scaled = bound.get() * Decimal::from(10_i64.pow(finest_scale()));
    let rounded = if lower { scaled.ceil() } else { scaled.floor() };
    rounded.to_i64().unwrap_or(if rounded.is_sign_negative() { i64::MIN } else { i64::MAX })
}

/// SQLite's register SQL: `?N` parameters, `COLLATE NOCASE` and `LIKE`
/// (case-blind for ASCII), amounts as integers in minor units.
pub(super) struct Sqlite;

impl Dialect for Sqlite {
    type Arg = Value;
    const NOT_TRANSFER: &'static str = "r.is_transfer = 0";
    const AMOUNT: &'static str = "r.amount_minor";
    const CONFIDENCE: &'static str = "s.confidence_permille";

    fn placeholder(n: usize) -> String {
        format!("?{n}")
    }
    fn uuid(v: Uuid) -> Value {
        blob(v)
    }
    fn date(v: jiff::civil::Date) -> Value {
        Value::Text(v.to_string())
    }
    fn text(v: String) -> Value {
        Value::Text(v)
    }
    fn int(v: i64) -> Value {
        Value::Integer(v)
    }
    fn seq(v: i32) -> Value {
        Value::Integer(i64::from(v))
    }
    fn name_is_or_under(exact: &str, children: &str) -> String {
        format!("(name = {exact} COLLATE NOCASE OR name LIKE {children} ESCAPE '\\')")
    }
    fn contains(column: &str, p: &str) -> String {
        format!("{column} LIKE {p} ESCAPE '\\'")
    }
    fn amount_size(bound: Amount, lower: bool) -> (&'static str, Value) {
        (amount_size(), Value::Integer(in_finest_units(bound, lower)))
    }
    fn indexed_rows(phrase: Option<&str>, min: Option<Amount>, max: Option<Amount>) -> Option<String> {
        match phrase {
            Some(p) => Some(format!(
                "SELECT p.account_id, p.date, p.tx_id, p.seq
                   FROM {SEARCH_INDEX} CROSS JOIN postings p ON p.tx_id = k.tx_id
                  WHERE tx_search MATCH {p} AND p.account_id IS NOT NULL"
            )),
            None => (min.is_some() || max.is_some()).then(|| sized_rows(min, max)),
        }
    }
}

/// The search index and the transactions of its rows (migration 0020).
const SEARCH_INDEX: &str = "tx_search s CROSS JOIN tx_search_keys k ON k.id = s.rowid";

/// At most this many rows found by an index are looked up one by one; a
/// filter that matches more is dense enough in the book that the
/// page-order scan meets a page of them sooner.
const INDEXED_LIMIT: i64 = 10_000;

/// Which of `search` and the size bounds are better answered from their
/// index (migration 0020) than by scanning the book in page order: those
/// whose index finds at most [`INDEXED_LIMIT`] rows. A search needs a text
/// long enough for trigrams; the search index is the database's, so a text
/// common in other books only costs this one the scan it had before.
pub(super) fn indexed(
    conn: &Connection,
    book: BookId,
    search: Option<&str>,
    min: Option<Amount>,
    max: Option<Amount>,
) -> Result<Indexed> {
    let few = |sql: &str, args: &[&dyn rusqlite::ToSql]| -> Result<bool> {
        let found: i64 = conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM (SELECT 1 FROM ({sql}) LIMIT {})", INDEXED_LIMIT + 1))?
            .query_row(args, |r| r.get(0))?;
        Ok(found <= INDEXED_LIMIT)
    };
    let search = match search.filter(|s| s.chars().count() >= MIN_INDEXED_SEARCH) {
        Some(text) => {
            few(&format!("SELECT k.tx_id FROM {SEARCH_INDEX} WHERE tx_search MATCH ?1"), &[&trigram_phrase(text)])?
        }
        None => false,
    };
    let amount = (min.is_some() || max.is_some()) && few(&sized_rows(min, max), &[&book.0])?;
    Ok(Indexed { search, amount })
}

/// The book's (parameter 1) register rows, key columns, whose size is
/// within the bounds: for each number of minor units, the ranges of the
/// size index `(book_id, currency, abs(amount_minor))` of its currencies,
/// one seek per currency, so rows of other currencies are never read.
fn sized_rows(min: Option<Amount>, max: Option<Amount>) -> String {
    let mut by_units: std::collections::BTreeMap<u32, Vec<String>> = Default::default();
    for c in Currency::all() {
        by_units.entry(c.minor_units()).or_default().push(format!("'{}'", c.code()));
    }
    let mut branches = vec![];
    for (units, codes) in &by_units {
        let scale = Decimal::from(10_i64.pow(*units));
        // The bounds in the currencies' own minor units, rounded so that no
        // row within them is left out; the exact test stays in the query.
        let minor = |b: Amount, lower: bool| {
            let scaled = b.get() * scale;
            (if lower { scaled.ceil() } else { scaled.floor() }).to_i64().unwrap_or(i64::MAX)
        };
        let mut sql = format!(
            "SELECT account_id, date, tx_id, seq FROM register WHERE book_id = ?1 AND currency IN ({})",
            codes.join(", ")
        );
        if let Some(b) = min {
            sql.push_str(&format!(" AND abs(amount_minor) >= {}", minor(b, true)));
        }
        if let Some(b) = max {
            sql.push_str(&format!(" AND abs(amount_minor) <= {}", minor(b, false)));
        }
        branches.push(sql);
    }
    branches.join(" UNION ALL ")
}

pub(super) fn read_stream_page(
    conn: &Connection,
    stream: &str,
    after: i64,
    limit: usize,
) -> Result<Vec<RecordedEvent>> {
    let mut st = conn
        .prepare_cached(&format!("{EVENT_COLUMNS} WHERE s.name = ?1 AND e.version > ?2 ORDER BY e.version LIMIT ?3"))?;
    let rows = st.query_map(params![stream, after, limit as i64], event_row)?;
    rows.map(|r| r?).collect()
}

/// The admin overview's reads; the judgements are `access::overview`'s.
pub(super) struct OverviewSql<'c>(pub &'c Connection);

impl OverviewReads for OverviewSql<'_> {
    fn count(&mut self, sql: &str) -> Result<i64> {
        Ok(self.0.query_row(sql, [], |r| r.get(0))?)
    }

    fn account_figures(&mut self) -> Result<Vec<AccountFigures>> {
        let mut st = self.0.prepare(&format!(
            "SELECT a.id, a.currency, a.kind, a.balance_minor, {}, COUNT(r.account_id)
               FROM accounts a JOIN books b ON b.id = a.book_id
               LEFT JOIN register r ON r.account_id = a.id AND r.amount_minor < 0
              GROUP BY a.id",
            wide_sum("-r.amount_minor")
        ))?;
        let mut rows = st.query([])?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            out.push(AccountFigures {
                id: AccountId(r.get(0)?),
                currency: currency(&r.get::<_, String>(1)?)?,
                kind: r.get(2)?,
                balance: r.get(3)?,
                outflows: Outflows { total: wide_total(r.get(4)?, r.get(5)?), count: r.get(6)? },
            });
        }
        Ok(out)
    }

    fn outflows_at_most(&mut self, cur: Currency, ceiling: i64) -> Result<Vec<(AccountId, i64)>> {
        let mut st = self.0.prepare(
            "SELECT r.account_id, r.amount_minor FROM register r JOIN books b ON b.id = r.book_id
              WHERE r.currency = ?1 AND r.amount_minor <= ?2",
        )?;
        let rows = st.query_map(params![cur.code(), ceiling], |r| Ok((AccountId(r.get(0)?), r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn top_expenses(&mut self) -> Result<Vec<(String, Currency, Decimal)>> {
        // Summed wide, so ranked here: the two parts do not order by themselves.
        let mut st = self.0.prepare(&format!(
            "SELECT c.name, p.currency, {} FROM postings p
               JOIN categories c ON c.id = p.category_id JOIN books b ON b.id = p.book_id
              WHERE p.leg = 'category' AND c.section = 'expense'
              GROUP BY c.name, p.currency",
            wide_sum("p.amount_minor")
        ))?;
        let mut rows = st.query([])?;
        let mut spent: Vec<(String, String, i128)> = vec![];
        while let Some(r) = rows.next()? {
            spent.push((r.get(0)?, r.get(1)?, wide_total(r.get(2)?, r.get(3)?)));
        }
        spent.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        spent
            .into_iter()
            .take(10)
            .map(|(name, cur, minor)| {
                let cur = currency(&cur)?;
                Ok((name, cur, wide_amount(minor, cur)?))
            })
            .collect()
    }
}

pub(super) fn idempotent_get(conn: &Connection, scope: &str, key: &str) -> Result<Option<StoredResponse>> {
    Ok(conn
        .prepare_cached("SELECT fingerprint, status, body FROM idempotency_keys WHERE scope = ?1 AND key = ?2")?
        .query_row([scope, key], |r| Ok(StoredResponse { fingerprint: r.get(0)?, status: r.get(1)?, body: r.get(2)? }))
        .optional()?)
}

pub(super) fn event_log(conn: &Connection, q: &crate::access::EventLogQuery) -> Result<Vec<RecordedEvent>> {
    let (filter, args) = crate::access::event_log_filter::<Sqlite>(q, "s.name", |p| p.to_string());
    let mut st = conn.prepare(&format!("{EVENT_COLUMNS}{filter}"))?;
    let rows = st.query_map(params_from_iter(args), event_row)?;
    Ok(crate::access::newest_first(q, rows.map(|r| r?).collect::<Result<_>>()?))
}

pub(super) fn stream_versions(conn: &Connection, names: Option<&[String]>) -> Result<Vec<(String, i64)>> {
    let (filter, args): (String, Vec<Value>) = match names {
        None => (String::new(), vec![]),
        Some(ns) => (
            format!(" WHERE name IN ({})", (1..=ns.len()).map(Sqlite::placeholder).collect::<Vec<_>>().join(", ")),
            ns.iter().cloned().map(Value::Text).collect(),
        ),
    };
    if names.is_some_and(<[String]>::is_empty) {
        return Ok(vec![]);
    }
    let mut st = conn.prepare(&format!("SELECT name, version FROM streams{filter} ORDER BY name"))?;
    let rows = st.query_map(params_from_iter(args), |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
