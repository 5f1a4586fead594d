//! PostgreSQL side of users, tokens, organisations, book roles and the API's
//! reads (register pages, audit trail, admin overview, idempotency keys).

use jiff::Timestamp;
use kassa_core::access::Principal;
use kassa_core::event::AccountRenamed;
use kassa_core::risk::Outflows;
use kassa_core::{AccountId, Book, BookId, Event, OrgId, RecordedEvent, TxId, UserId};
use kassa_core::{Amount, Currency, Money};
use postgres::Client;
use postgres::types::ToSql;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Conn, EVENT_COLUMNS, Uow, at_scale, currency, event_row};
use crate::access::{
    AccountFigures, CurrencyMemo, GrantRow, OrgMemberRow, OrgRow, OverviewReads, StoredResponse, StreamUow, TokenRow,
    TxCursor, TxItem, TxPageQuery, UserRow, UserUow, book_role, org_role, principal_from, principal_parts, token_kind,
};
use crate::error::{Result, StoreError};
use crate::projector::AccessOp;
use crate::register::{Dialect, Indexed, page_rows};
use crate::sqlite::owner_from;

impl StreamUow for Uow<'_> {
    fn load_stream(&mut self, stream: &str) -> Result<Vec<Event>> {
        let rows = self.tx.query(&format!("{EVENT_COLUMNS} WHERE stream_id = $1 ORDER BY version"), &[&stream])?;
        rows.iter().map(|r| Ok(event_row(r)?.event)).collect()
    }
}

/// The advisory lock user creations take ("kassa" "usr" in ASCII): any
/// number that nothing else in the database locks.
const USERS_LOCK: i64 = 0x6b61_7373_6175_7372;

impl UserUow for Uow<'_> {
    /// A transaction-scoped advisory lock: released at commit or rollback,
    /// and every statement after it (READ COMMITTED) sees what the previous
    /// holder committed.
    fn lock_users(&mut self) -> Result<()> {
        self.tx.execute("SELECT pg_advisory_xact_lock($1)", &[&USERS_LOCK])?;
        Ok(())
    }

    fn any_user(&mut self) -> Result<bool> {
        Ok(self.tx.query_one("SELECT EXISTS (SELECT 1 FROM users)", &[])?.get(0))
    }

    fn invite_open(&mut self, token: Uuid) -> Result<bool> {
        let sql = "SELECT EXISTS (SELECT 1 FROM tokens WHERE id = $1 AND kind = 'invite' AND NOT revoked)";
        Ok(self.tx.query_one(sql, &[&token])?.get(0))
    }
}

/// `Store::create_user`: one transaction, retried on a conflict.
/// Executes one of the projector's access operations.
pub(super) fn apply(tx: &mut Client, op: AccessOp<'_>) -> Result<()> {
    match op {
        AccessOp::InsertUser(u) => {
            tx.execute(
                "INSERT INTO users (id, email, password_hash, platform_admin, disabled) VALUES ($1, $2, $3, $4, false)",
                &[&u.user_id.0, &u.email, &u.password_hash, &u.platform_admin],
            )?;
        }
        AccessOp::SetPassword(p) => {
            tx.execute("UPDATE users SET password_hash = $1 WHERE id = $2", &[&p.password_hash, &p.user_id.0])?;
        }
        AccessOp::DisableUser(u) => {
            tx.execute("UPDATE users SET disabled = true WHERE id = $1", &[&u.user_id.0])?;
        }
        AccessOp::InsertToken(t) => {
            tx.execute(
                "INSERT INTO tokens (id, user_id, kind, token_hash, expires_at, revoked) VALUES ($1, $2, $3, $4, $5, false)",
                &[&t.token_id, &t.user_id.0, &t.kind.as_str(), &t.token_hash, &t.expires_at],
            )?;
        }
        AccessOp::RevokeToken(t) => {
            tx.execute("UPDATE tokens SET revoked = true WHERE id = $1", &[&t.token_id])?;
        }
        AccessOp::InsertOrg(o) => {
            tx.execute("INSERT INTO orgs (id, name) VALUES ($1, $2)", &[&o.org_id.0, &o.name])?;
        }
        AccessOp::UpsertMember(m) => {
            tx.execute(
                "INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3)
                 ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
                &[&m.org_id.0, &m.user_id.0, &m.role.as_str()],
            )?;
        }
        AccessOp::DeleteMember(m) => {
            tx.execute("DELETE FROM org_members WHERE org_id = $1 AND user_id = $2", &[&m.org_id.0, &m.user_id.0])?;
        }
        AccessOp::UpsertGrant(g) => {
            let (kind, id) = principal_parts(&g.principal);
            tx.execute(
                "INSERT INTO book_grants (book_id, principal_kind, principal_id, role, account_id) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (book_id, principal_kind, principal_id) DO UPDATE SET role = excluded.role, account_id = excluded.account_id",
                &[&g.book_id.0, &kind, &id, &g.role.as_str(), &g.account_id.map(|a| a.0)],
            )?;
        }
        AccessOp::DeleteGrant(r) => {
            let (kind, id) = principal_parts(&r.principal);
            tx.execute(
                "DELETE FROM book_grants WHERE book_id = $1 AND principal_kind = $2 AND principal_id = $3",
                &[&r.book_id.0, &kind, &id],
            )?;
        }
        AccessOp::RenameBook { book, name } => {
            tx.execute("UPDATE books SET name = $1 WHERE id = $2", &[&name, &book.0])?;
        }
        AccessOp::DeleteBook(book_id) => {
            tx.execute("DELETE FROM books WHERE id = $1", &[&book_id.0])?;
        }
        AccessOp::RenameAccount(AccountRenamed { account_id, name }) => {
            tx.execute("UPDATE accounts SET name = $1 WHERE id = $2", &[name, &account_id.0])?;
        }
    }
    Ok(())
}

fn user_row(r: &postgres::Row) -> UserRow {
    UserRow {
        id: UserId(r.get(0)),
        email: r.get(1),
        password_hash: r.get(2),
        platform_admin: r.get(3),
        disabled: r.get(4),
    }
}

const USER_COLUMNS: &str = "SELECT id, email, password_hash, platform_admin, disabled FROM users";

pub(super) fn user(c: &mut Client, id: UserId) -> Result<Option<UserRow>> {
    Ok(c.query_opt(&format!("{USER_COLUMNS} WHERE id = $1"), &[&id.0])?.as_ref().map(user_row))
}

pub(super) fn user_by_email(c: &mut Client, email: &str) -> Result<Option<UserRow>> {
    Ok(c.query_opt(&format!("{USER_COLUMNS} WHERE email = $1"), &[&email])?.as_ref().map(user_row))
}

pub(super) fn users(c: &mut Client) -> Result<Vec<UserRow>> {
    Ok(c.query(&format!("{USER_COLUMNS} ORDER BY email"), &[])?.iter().map(user_row).collect())
}

const TOKEN_COLUMNS: &str = "SELECT t.id, t.user_id, t.kind, t.expires_at, t.revoked, u.disabled, u.platform_admin
                               FROM tokens t JOIN users u ON u.id = t.user_id";

fn token_row(r: &postgres::Row) -> TokenRow {
    TokenRow {
        token_id: r.get(0),
        user_id: UserId(r.get(1)),
        kind: token_kind(r.get(2)),
        expires_at: r.get::<_, Timestamp>(3),
        revoked: r.get(4),
        user_disabled: r.get(5),
        platform_admin: r.get(6),
    }
}

pub(super) fn token_by_hash(c: &mut Client, hash: &str) -> Result<Option<TokenRow>> {
    Ok(c.query_opt(&format!("{TOKEN_COLUMNS} WHERE t.token_hash = $1"), &[&hash])?.as_ref().map(token_row))
}

pub(super) fn user_tokens(c: &mut Client, user: UserId) -> Result<Vec<TokenRow>> {
    Ok(c.query(&format!("{TOKEN_COLUMNS} WHERE t.user_id = $1 ORDER BY t.id"), &[&user.0])?
        .iter()
        .map(token_row)
        .collect())
}

pub(super) fn orgs(c: &mut Client) -> Result<Vec<OrgRow>> {
    Ok(c.query("SELECT id, name FROM orgs ORDER BY name, id", &[])?
        .iter()
        .map(|r| OrgRow { id: OrgId(r.get(0)), name: r.get(1) })
        .collect())
}

pub(super) fn org_members(c: &mut Client, org: Option<OrgId>, user: Option<UserId>) -> Result<Vec<OrgMemberRow>> {
    let rows = c.query(
        "SELECT m.org_id, m.user_id, u.email, m.role FROM org_members m JOIN users u ON u.id = m.user_id
          WHERE ($1::uuid IS NULL OR m.org_id = $1) AND ($2::uuid IS NULL OR m.user_id = $2) ORDER BY u.email",
        &[&org.map(|o| o.0), &user.map(|u| u.0)],
    )?;
    Ok(rows
        .iter()
        .map(|r| OrgMemberRow {
            org_id: OrgId(r.get(0)),
            user_id: UserId(r.get(1)),
            email: r.get(2),
            role: org_role(r.get(3)),
        })
        .collect())
}

pub(super) fn book(c: &mut Client, id: BookId) -> Result<Option<Book>> {
    let row = c.query_opt("SELECT name, owner_kind, owner_id FROM books WHERE id = $1", &[&id.0])?;
    row.map(|r| Ok(Book { id, name: r.get(0), owner: owner_from(r.get(1), r.get(2))? })).transpose()
}

pub(super) fn book_grants(c: &mut Client, book: Option<BookId>, principals: &[Principal]) -> Result<Vec<GrantRow>> {
    let ids: Vec<Uuid> = principals.iter().map(|p| principal_parts(p).1).collect();
    let rows = c.query(
        "SELECT book_id, principal_kind, principal_id, role, account_id FROM book_grants
          WHERE ($1::uuid IS NULL OR book_id = $1) AND (cardinality($2::uuid[]) = 0 OR principal_id = ANY($2))
          ORDER BY book_id, principal_kind, principal_id",
        &[&book.map(|b| b.0), &ids],
    )?;
    rows.iter()
        .map(|r| {
            Ok(GrantRow {
                book_id: BookId(r.get(0)),
                principal: principal_from(r.get(1), r.get(2)),
                role: book_role(r.get(3))?,
                account_id: r.get::<_, Option<Uuid>>(4).map(AccountId),
            })
        })
        .collect()
}

pub(super) fn tx_page(c: &mut Conn, book: BookId, q: &TxPageQuery) -> Result<Vec<TxItem>> {
    // The page first, then its categories: joined on the (at most `limit`)
    // rows of the page, the lookups are memoised per category instead of
    // made for every row.
    let (page, args) = page_rows::<Postgres>(book, q, Indexed::default());
    let dir = q.scan_order();
    let sql = format!(
        "SELECT pg.tx_id, pg.account_id, pg.account, pg.date, pg.amount, pg.currency, pg.description, c.name,
                pg.counterparty, pg.status, pg.seq, pg.transfer_account
           FROM ({page}) pg
           LEFT JOIN categories c ON c.id = pg.category_id
          ORDER BY pg.date {dir}, pg.tx_id {dir}, pg.seq {dir}"
    );
    let args: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
    let statement = c.prepared(&sql)?;
    let rows = c.query(&statement, &args)?;
    let mut currencies = CurrencyMemo::default();
    let items = rows
        .iter()
        .map(|r| {
            let cur = currencies.parse(r.get(5))?;
            let date = r.get(3);
            Ok(TxItem {
                id: TxId(r.get(0)),
                account_id: AccountId(r.get(1)),
                account: r.get(2),
                date,
                amount: at_scale(r.get(4), cur),
                currency: cur,
                description: r.get(6),
                category: r.get(7),
                counterparty: r.get(8),
                status: r.get(9),
                transfer_account: r.get(11),
                cursor: TxCursor { date, tx: r.get(0), seq: r.get(10) },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(q.newest_first(items))
}

/// PostgreSQL's register SQL: `$N` parameters, `lower()` and `ILIKE`,
/// amounts as NUMERIC.
pub(super) struct Postgres;

impl Dialect for Postgres {
    type Arg = Box<dyn ToSql + Sync>;
    const NOT_TRANSFER: &'static str = "NOT r.is_transfer";
    const AMOUNT: &'static str = "r.amount";
    const CONFIDENCE: &'static str = "s.confidence_permille::bigint";

    fn placeholder(n: usize) -> String {
        format!("${n}")
    }
    fn uuid(v: Uuid) -> Self::Arg {
        Box::new(v)
    }
    fn date(v: jiff::civil::Date) -> Self::Arg {
        Box::new(v)
    }
    fn text(v: String) -> Self::Arg {
        Box::new(v)
    }
    fn int(v: i64) -> Self::Arg {
        Box::new(v)
    }
    fn seq(v: i32) -> Self::Arg {
        Box::new(v)
    }
    fn name_is_or_under(exact: &str, children: &str) -> String {
        format!("(lower(name) = lower({exact}) OR name ILIKE {children})")
    }
    fn contains(column: &str, p: &str) -> String {
        format!("{column} ILIKE {p}")
    }
    fn amount_size(bound: Amount, _lower: bool) -> (&'static str, Self::Arg) {
        ("abs(r.amount)", Box::new(bound.get()))
    }
    fn indexed_rows(_: Option<&str>, _: Option<Amount>, _: Option<Amount>) -> Option<String> {
        None
    }
}

pub(super) fn read_stream_page(c: &mut Client, stream: &str, after: i64, limit: usize) -> Result<Vec<RecordedEvent>> {
    let rows = c.query(
        &format!("{EVENT_COLUMNS} WHERE stream_id = $1 AND version > $2 ORDER BY version LIMIT $3"),
        &[&stream, &after, &(limit as i64)],
    )?;
    rows.iter().map(event_row).collect()
}

/// The admin overview's reads; the judgements are `access::overview`'s.
/// Amounts are NUMERIC major units here and become minor units on the way out.
pub(super) struct OverviewSql<'c>(pub &'c mut Client);

impl OverviewReads for OverviewSql<'_> {
    fn count(&mut self, sql: &str) -> Result<i64> {
        Ok(self.0.query_one(sql, &[])?.get(0))
    }

    fn account_figures(&mut self) -> Result<Vec<AccountFigures>> {
        let rows = self.0.query(
            "SELECT a.id, a.currency, a.kind, a.balance, COALESCE(SUM(-r.amount), 0), COUNT(r.account_id)
               FROM accounts a JOIN books b ON b.id = a.book_id
               LEFT JOIN register r ON r.account_id = a.id AND r.amount < 0
              GROUP BY a.id",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                let cur = currency(r.get(1))?;
                // The sum of a currency's amounts at its scale is its minor units.
                let minor = |d: Decimal| at_scale(d, cur).mantissa();
                let balance = i64::try_from(minor(r.get(3)))
                    .map_err(|_| StoreError::Corrupt(format!("a balance of {} {cur}", r.get::<_, Decimal>(3))))?;
                Ok(AccountFigures {
                    id: AccountId(r.get(0)),
                    currency: cur,
                    kind: r.get(2),
                    balance,
                    outflows: Outflows { total: minor(r.get(4)), count: r.get(5) },
                })
            })
            .collect()
    }

    fn outflows_at_most(&mut self, cur: Currency, ceiling: i64) -> Result<Vec<(AccountId, i64)>> {
        let ceiling = Money::from_minor_units(ceiling, cur).amount;
        let rows = self.0.query(
            "SELECT r.account_id, r.amount FROM register r JOIN books b ON b.id = r.book_id
              WHERE r.currency = $1 AND r.amount <= $2",
            &[&cur.code(), &ceiling],
        )?;
        rows.iter()
            .map(|r| {
                let amount = Money { amount: at_scale(r.get(1), cur), currency: cur };
                let minor =
                    amount.minor_units().ok_or_else(|| StoreError::Corrupt(format!("an amount of {amount}")))?;
                Ok((AccountId(r.get(0)), minor))
            })
            .collect()
    }

    fn top_expenses(&mut self) -> Result<Vec<(String, Currency, Decimal)>> {
        let rows = self.0.query(
            "SELECT c.name, p.currency, SUM(p.amount) AS spent FROM postings p
               JOIN categories c ON c.id = p.category_id JOIN books b ON b.id = p.book_id
              WHERE p.leg = 'category' AND c.section = 'expense'
              GROUP BY c.name, p.currency ORDER BY spent DESC, c.name LIMIT 10",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                let cur = currency(r.get(1))?;
                Ok((r.get(0), cur, at_scale(r.get::<_, Decimal>(2), cur)))
            })
            .collect()
    }
}

pub(super) fn idempotent_get(c: &mut Client, scope: &str, key: &str) -> Result<Option<StoredResponse>> {
    Ok(c.query_opt(
        "SELECT fingerprint, status, body FROM idempotency_keys WHERE scope = $1 AND key = $2",
        &[&scope, &key],
    )?
    .map(|r| StoredResponse { fingerprint: r.get(0), status: r.get::<_, i32>(1) as u16, body: r.get(2) }))
}

pub(super) fn event_log(c: &mut Client, q: &crate::access::EventLogQuery) -> Result<Vec<RecordedEvent>> {
    let (filter, args) =
        crate::access::event_log_filter::<Postgres>(q, "e.stream_id", |p| format!("CAST({p}::text AS timestamptz)"));
    let args: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
    let rows = c.query(&format!("{EVENT_COLUMNS} e{filter}"), &args)?;
    Ok(crate::access::newest_first(q, rows.iter().map(event_row).collect::<Result<_>>()?))
}

pub(super) fn stream_versions(c: &mut Client, names: Option<&[String]>) -> Result<Vec<(String, i64)>> {
    let rows = match names {
        None => c.query("SELECT stream_id, version FROM streams ORDER BY stream_id", &[])?,
        Some(ns) => c.query(
            "SELECT stream_id, version FROM streams WHERE stream_id = ANY($1) ORDER BY stream_id",
            &[&ns.to_vec()],
        )?,
    };
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
