//! The store side of users, tokens, organisations and book roles (ADR 004):
//! row shapes read by the server, and the generic write path for aggregates
//! that are not a book — load the stream, decide, append with the expected
//! version, project, all inside the caller's database transaction.

use jiff::Timestamp;
use jiff::civil::Date;
use kassa_core::access::{BookRole, OrgRole, Principal, TokenKind};
use kassa_core::risk::{self, Outflows};
use kassa_core::{AccountId, AccountKind, Amount, BookId, Currency, Event, OrgId, RecordedEvent, TxId, UserId};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::types::NewEvent;
use crate::unit::{UnitOfWork, clock};

/// What `Store::execute_stream` asks of its caller: given the stream's
/// events so far, the new events (or a refusal). Pure functions from
/// `kassa_core::access` are what go here.
pub type Decide<'a> = &'a (dyn Fn(&[Event]) -> Result<Vec<Event>> + Sync);

/// A backend's unit of work plus reading one stream inside it.
pub(crate) trait StreamUow: UnitOfWork {
    fn load_stream(&mut self, stream: &str) -> Result<Vec<Event>>;
}

pub(crate) fn execute_stream(
    uow: &mut dyn StreamUow,
    stream: &str,
    actor: &str,
    decide: Decide<'_>,
) -> Result<Vec<RecordedEvent>> {
    let version = uow.stream_version(stream)?;
    let history = if version == 0 { vec![] } else { uow.load_stream(stream)? };
    let events = decide(&history)?;
    if events.is_empty() {
        return Ok(vec![]);
    }
    let (now, today) = clock();
    let new: Vec<NewEvent> = events
        .into_iter()
        .map(|event| NewEvent { occurred_at: event.business_date().unwrap_or(today), event, actor: actor.to_string() })
        .collect();
    let recorded = uow.append(stream, version, &new, now)?;
    uow.project(&recorded)?;
    Ok(recorded)
}

/// What the decision to create a user rested on, checked again by
/// `Store::create_user` inside its transaction, under the lock every user
/// creation takes: if it no longer holds, nothing is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserExpect {
    /// There was no user yet (the first one becomes platform admin).
    pub first: bool,
    /// The invitation (a token id) this registration uses up is unused.
    pub invite: Option<uuid::Uuid>,
}

/// One stream of a multi-stream write and how its new events are decided.
pub type StreamWrite<'a> = (&'a str, Decide<'a>);

/// A backend's unit of work that can create a user atomically.
pub(crate) trait UserUow: StreamUow {
    /// Takes the lock that orders user creations, held until the
    /// transaction ends: of two creations, the second sees the first.
    fn lock_users(&mut self) -> Result<()>;
    fn any_user(&mut self) -> Result<bool>;
    /// The invitation exists and is not revoked.
    fn invite_open(&mut self, token: uuid::Uuid) -> Result<bool>;
}

/// `Store::create_user` inside the backend's transaction: lock, check
/// `expect`, then every write as `execute_stream` would do it.
pub(crate) fn create_user(
    uow: &mut impl UserUow,
    actor: &str,
    expect: &UserExpect,
    writes: &[StreamWrite<'_>],
) -> Result<Vec<RecordedEvent>> {
    uow.lock_users()?;
    if expect.first && uow.any_user()? {
        return Err(StoreError::Stale("another user was created first"));
    }
    if let Some(invite) = expect.invite
        && !uow.invite_open(invite)?
    {
        return Err(StoreError::Stale("the invitation was used meanwhile"));
    }
    let mut recorded = vec![];
    for (stream, decide) in writes {
        recorded.extend(execute_stream(uow, stream, actor, *decide)?);
    }
    Ok(recorded)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    #[serde(skip)]
    pub password_hash: String,
    pub platform_admin: bool,
    pub disabled: bool,
}

/// A token looked up by its hash, with what authentication needs of its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub token_id: uuid::Uuid,
    pub user_id: UserId,
    pub kind: TokenKind,
    pub expires_at: Timestamp,
    pub revoked: bool,
    pub user_disabled: bool,
    pub platform_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgRow {
    pub id: OrgId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgMemberRow {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub email: String,
    pub role: OrgRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantRow {
    pub book_id: BookId,
    pub principal: Principal,
    pub role: BookRole,
    pub account_id: Option<AccountId>,
}

/// Filters and cursor of one page of an account register, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxPageQuery {
    pub account: Option<AccountId>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub category: Option<String>,
    pub search: Option<String>,
    pub tx: Option<TxId>,
    /// Rows strictly older than this position.
    pub before: Option<TxCursor>,
    /// Rows strictly newer than this position, nearest first, still
    /// returned newest first: the page before a page, for paging back.
    pub after: Option<TxCursor>,
    /// Only rows whose amount is at least / at most this in size (either
    /// sign). In kassa's range, so its size in the finest unit the SQLite
    /// register compares in (four decimals) stays below 10^18.
    pub min_amount: Option<Amount>,
    pub max_amount: Option<Amount>,
    /// Only transactions without a category (transfers between own accounts need none).
    pub uncategorized: bool,
    pub limit: usize,
}

/// Where a row sits in the newest-first order: (date, transaction id,
/// posting). Ids are UUIDv7, so within a day the newest recorded comes
/// first; and (account, date, tx_id, seq) is an index order on both
/// backends, so a page is an index range scan that stops after `limit` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxCursor {
    pub date: Date,
    pub tx: uuid::Uuid,
    pub seq: i32,
}

impl TxPageQuery {
    /// The SQL direction of the page's index scan: backwards unless paging back.
    pub(crate) fn scan_order(&self) -> &'static str {
        if self.after.is_some() { "ASC" } else { "DESC" }
    }

    /// Rows read in scan order, newest first again.
    pub(crate) fn newest_first(&self, mut rows: Vec<TxItem>) -> Vec<TxItem> {
        if self.after.is_some() {
            rows.reverse();
        }
        rows
    }
}

impl TxCursor {
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.date, self.tx.simple(), self.seq)
    }

    pub fn decode(s: &str) -> Option<TxCursor> {
        let mut it = s.split('.');
        let c =
            TxCursor { date: it.next()?.parse().ok()?, tx: it.next()?.parse().ok()?, seq: it.next()?.parse().ok()? };
        it.next().is_none().then_some(c)
    }
}

/// One register line: a transaction seen from one of its accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxItem {
    pub id: TxId,
    pub account_id: AccountId,
    pub account: String,
    pub date: Date,
    pub amount: Decimal,
    pub currency: Currency,
    pub description: String,
    pub category: Option<String>,
    pub counterparty: Option<String>,
    pub status: String,
    pub transfer_account: Option<String>,
    pub cursor: TxCursor,
}

/// Currency codes of consecutive register rows, parsed once per run of one
/// code: a page is nearly always in one currency.
#[derive(Debug, Default)]
pub(crate) struct CurrencyMemo(Option<Currency>);

impl CurrencyMemo {
    pub(crate) fn parse(&mut self, code: &str) -> Result<Currency> {
        match self.0 {
            Some(c) if c.code() == code => Ok(c),
            _ => {
                let c = Currency::parse(code).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                self.0 = Some(c);
                Ok(c)
            }
        }
    }
}

/// Cross-tenant figures for the platform admin: counts and sums only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Overview {
    pub users: i64,
    pub organisations: i64,
    pub books: i64,
    /// (currency, account kind, total)
    pub balances: Vec<(Currency, String, Decimal)>,
    /// (category name, currency, total spent), largest first, at most ten.
    pub top_expenses: Vec<(String, Currency, Decimal)>,
    /// Asset accounts with a negative balance.
    pub overdrawn_accounts: i64,
    /// Outflows over five times their account's average outflow and at least
    /// 1,000 in major units of their currency (`kassa_core::risk`).
    pub large_outflows: i64,
}

/// One account of an open book as the admin overview reads it, in minor units.
#[derive(Debug, Clone)]
pub(crate) struct AccountFigures {
    pub id: AccountId,
    pub currency: Currency,
    pub kind: String,
    pub balance: i64,
    pub outflows: Outflows,
}

/// What the admin overview asks of a backend. The SQL only selects and sums;
/// what counts as overdrawn or large is `kassa_core::risk`'s judgement,
/// applied in [`overview`] the same way for both backends.
pub(crate) trait OverviewReads {
    /// `SELECT COUNT(*) …`, the same text on both backends.
    fn count(&mut self, sql: &str) -> Result<i64>;
    /// Every account of an open book, with its outflows summed from the register.
    fn account_figures(&mut self) -> Result<Vec<AccountFigures>>;
    /// Register rows of open books in `currency` of at most `ceiling` minor units.
    fn outflows_at_most(&mut self, currency: Currency, ceiling: i64) -> Result<Vec<(AccountId, i64)>>;
    /// (category name, currency, total spent), largest first, at most ten.
    fn top_expenses(&mut self) -> Result<Vec<(String, Currency, Decimal)>>;
}

pub(crate) fn overview(r: &mut dyn OverviewReads) -> Result<Overview> {
    let accounts = r.account_figures()?;
    // Summed across every book: wider than one balance.
    let mut balances: std::collections::BTreeMap<(&str, &str), (Currency, i128)> = Default::default();
    let mut overdrawn = 0;
    let mut by_id = std::collections::HashMap::new();
    for a in &accounts {
        balances.entry((a.currency.code(), &a.kind)).or_insert((a.currency, 0)).1 += i128::from(a.balance);
        let kind: AccountKind =
            a.kind.parse().map_err(|e: kassa_core::ParseError| StoreError::Corrupt(e.to_string()))?;
        overdrawn += i64::from(risk::is_overdrawn(kind, a.balance));
        by_id.insert(a.id, a.outflows);
    }
    let currencies: std::collections::BTreeMap<&str, Currency> =
        accounts.iter().map(|a| (a.currency.code(), a.currency)).collect();
    let mut large = 0;
    for cur in currencies.into_values() {
        for (account, amount) in r.outflows_at_most(cur, risk::large_outflow_ceiling(cur))? {
            let stats = by_id.get(&account).copied().unwrap_or_default();
            large += i64::from(risk::is_large_outflow(amount, cur, stats));
        }
    }
    Ok(Overview {
        users: r.count("SELECT COUNT(*) FROM users")?,
        organisations: r.count("SELECT COUNT(*) FROM orgs")?,
        books: r.count("SELECT COUNT(*) FROM books")?,
        balances: balances
            .into_iter()
            .map(|((_, kind), (cur, minor))| Ok((cur, kind.to_string(), wide_amount(minor, cur)?)))
            .collect::<Result<_>>()?,
        top_expenses: r.top_expenses()?,
        overdrawn_accounts: overdrawn,
        large_outflows: large,
    })
}

/// A sum wider than 64 bits of minor units as a decimal of `currency`.
/// `Decimal` holds 96 bits, which no sum of stored balances or amounts
/// reaches short of 2^32 rows at the edge of the range; an error, not a
/// panic, if one did.
pub(crate) fn wide_amount(minor: i128, currency: Currency) -> Result<Decimal> {
    Decimal::try_from_i128_with_scale(minor, currency.minor_units())
        .map_err(|e| StoreError::Corrupt(format!("a sum of {minor} minor units of {currency}: {e}")))
}

/// A stored reply to a create, replayed for a repeated `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
}

pub(crate) fn principal_parts(p: &Principal) -> (&'static str, uuid::Uuid) {
    match p {
        Principal::User(u) => ("user", u.0),
        Principal::Organisation(o) => ("organisation", o.0),
    }
}

pub(crate) fn principal_from(kind: &str, id: uuid::Uuid) -> Principal {
    if kind == "organisation" { Principal::Organisation(OrgId(id)) } else { Principal::User(UserId(id)) }
}

pub(crate) fn token_kind(s: &str) -> TokenKind {
    if s == "invite" { TokenKind::Invite } else { TokenKind::Session }
}

pub(crate) fn org_role(s: &str) -> OrgRole {
    OrgRole::parse(s).unwrap_or(OrgRole::Member)
}

pub(crate) fn book_role(s: &str) -> Result<BookRole> {
    BookRole::parse(s).ok_or_else(|| StoreError::Corrupt(format!("book role '{s}'")))
}

/// Filters and cursor of one page of the event log (the audit trail),
/// newest first, keyset-paged by log position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventLogQuery {
    /// Only these streams; `None` is every stream (a platform admin's view).
    pub streams: Option<Vec<String>>,
    pub event_type: Option<String>,
    pub actor: Option<String>,
    /// Recorded on or after / on or before this day (UTC), both inclusive.
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Events strictly older than this position.
    pub before: Option<i64>,
    /// Events strictly newer than this position, nearest first, still
    /// returned newest first: the page before a page.
    pub after: Option<i64>,
    pub limit: usize,
}

/// The `WHERE … ORDER BY … LIMIT …` of an event-log page and its arguments,
/// for both backends: `stream` is the stream-name column and `at` turns a
/// placeholder bound to RFC 3339 text into something comparable with
/// `recorded_at`.
pub(crate) fn event_log_filter<D: crate::register::Dialect>(
    q: &EventLogQuery,
    stream: &str,
    at: fn(&str) -> String,
) -> (String, Vec<D::Arg>) {
    let mut args = vec![];
    let mut conds = vec![];
    let bind = |args: &mut Vec<D::Arg>, a: D::Arg| {
        args.push(a);
        D::placeholder(args.len())
    };
    if let Some(streams) = &q.streams {
        if streams.is_empty() {
            conds.push("FALSE".to_string());
        } else {
            let ps: Vec<String> = streams.iter().map(|s| bind(&mut args, D::text(s.clone()))).collect();
            conds.push(format!("{stream} IN ({})", ps.join(", ")));
        }
    }
    if let Some(t) = &q.event_type {
        conds.push(format!("e.event_type = {}", bind(&mut args, D::text(t.clone()))));
    }
    if let Some(a) = &q.actor {
        conds.push(format!("e.actor = {}", bind(&mut args, D::text(a.clone()))));
    }
    // Day bounds as RFC 3339 instants: SQLite's text compares in time order
    // because every stored value is UTC ("Z").
    if let Some(d) = q.from {
        conds.push(format!("e.recorded_at >= {}", at(&bind(&mut args, D::text(format!("{d}T00:00:00Z"))))));
    }
    if let Some(d) = q.to.and_then(|d| d.tomorrow().ok()) {
        conds.push(format!("e.recorded_at < {}", at(&bind(&mut args, D::text(format!("{d}T00:00:00Z"))))));
    }
    if let Some(p) = q.before {
        conds.push(format!("e.position < {}", bind(&mut args, D::int(p))));
    }
    let order = if let Some(p) = q.after {
        conds.push(format!("e.position > {}", bind(&mut args, D::int(p))));
        "ASC"
    } else {
        "DESC"
    };
    let limit = bind(&mut args, D::int(q.limit as i64));
    let filter = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    (format!("{filter} ORDER BY e.position {order} LIMIT {limit}"), args)
}

/// Puts a page read in `after` order (oldest first) back to newest first.
pub(crate) fn newest_first(q: &EventLogQuery, mut rows: Vec<RecordedEvent>) -> Vec<RecordedEvent> {
    if q.after.is_some() {
        rows.reverse();
    }
    rows
}
