//! The multi-user backend: PostgreSQL. Money is NUMERIC; bulk writes go
//! through `UNNEST` of arrays so a batch of thousands of transactions is a
//! handful of round trips. Concurrent writers are serialised per stream by
//! the row lock on `streams`, and a stale one gets `Conflict`.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use kassa_core::categorize::Rule;
use kassa_core::event::{EventMeta, Suggested};
use kassa_core::{
    Account, AccountId, Book, BookId, Category, CategoryId, CategorySource, Currency, Ledger, Leg, Money, Posting,
    Postings, RecordedEvent, Transaction, TxId,
};
use postgres::types::ToSql;
use postgres::{Client, NoTls};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::projection::{
    BalanceDeltas, BookState, PROJECTIONS, Total, decode_event, leg_name, next_total, register_rows_of_tx,
};
use crate::projector::{self, ProjectionReads, RowOp, RowSink};
use crate::register::{Indexed, tx_rows};
use crate::schema::{MIGRATIONS, render};
use crate::sqlite::{owner_from, owner_parts, status_of, suggestion};
use crate::txn::{Lease, Pinned, RawConn, Tx};
use crate::types::{Backend, BalanceRow, NewEvent, RebuildStats, StoredModel, TxFilter, TxRow};
use crate::unit::{self, UnitOfWork};
use crate::{Store, backup};

mod access;
mod budgets;
mod import;
mod jobs;
mod reports;
mod state;

#[derive(Debug)]
struct Manager {
    config: postgres::Config,
}

/// A pooled client with the statements prepared on it so far.
struct PgConn {
    client: Client,
    prepared: HashMap<String, postgres::Statement>,
    /// The driver does not track transactions begun with plain SQL.
    in_transaction: bool,
}

/// Statements kept per connection; the register's query has a few dozen
/// shapes (one per combination of filters), everything else is one each.
const PREPARED_PER_CONNECTION: usize = 128;

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        Ok(PgConn { client: self.config.connect(NoTls)?, prepared: HashMap::new(), in_transaction: false })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}

type Pooled = r2d2::PooledConnection<Manager>;

#[derive(Debug)]
pub struct PgStore {
    pool: r2d2::Pool<Manager>,
    /// The connection of an open claim ([`crate::state::OpenClaim`]): when
    /// set, every call of this store runs on it, inside its transaction.
    pinned: Option<Pinned<Pooled>>,
}

impl std::ops::Deref for PgConn {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl std::ops::DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

impl RawConn for PgConn {
    fn run(&mut self, sql: &str) -> Result<()> {
        Ok(self.client.batch_execute(sql)?)
    }

    fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    fn set_in_transaction(&mut self, open: bool) {
        self.in_transaction = open;
    }
}

impl PgStore {
    pub fn open(url: &str, options: crate::PoolOptions) -> Result<PgStore> {
        let config: postgres::Config = url.parse().map_err(|_| StoreError::BadUrl(url.to_string()))?;
        let pool = r2d2::Pool::builder()
            .max_size(options.size.max(1))
            .connection_timeout(options.connect_timeout)
            // No round trip to test a connection at every checkout: a
            // connection the server closed is known closed (`has_broken`)
            // and dropped; one that dies unnoticed fails one query and is
            // dropped then.
            .test_on_check_out(false)
            .build(Manager { config })?;
        Ok(PgStore { pool, pinned: None })
    }

    fn conn(&self) -> Result<Conn<'_>> {
        Ok(Conn(match &self.pinned {
            Some(pinned) => pinned.lease(),
            None => Lease::Pooled(self.pool.get()?),
        }))
    }

    /// Runs `f` in one transaction, committing when `f` says so; rerun on
    /// a conflict if `retry`.
    fn write<T>(&self, retry: bool, f: &mut dyn FnMut(&mut Uow<'_>) -> Result<(T, bool)>) -> Result<T> {
        let mut conn = self.conn()?;
        let mut once = || {
            let mut tx = Tx::begin(&mut *conn, "BEGIN")?;
            let (out, commit) = f(&mut Uow { tx: &mut tx })?;
            tx.finish(commit)?;
            Ok(out)
        };
        if retry { unit::with_retry(once) } else { once() }
    }
}

/// A connection checked out of the pool (or the pinned one): a `Client`,
/// plus `prepared`.
struct Conn<'s>(Lease<'s, Pooled>);

impl std::ops::Deref for Conn<'_> {
    type Target = PgConn;
    fn deref(&self) -> &PgConn {
        &self.0
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut PgConn {
        &mut self.0
    }
}

impl Conn<'_> {
    /// `sql` prepared once per connection: PostgreSQL parses and plans it
    /// once, and every later use is a single round trip (`Client::query`
    /// with a string prepares it anew each time: two round trips and a
    /// plan). For the queries of every API request.
    fn prepared(&mut self, sql: &str) -> Result<postgres::Statement> {
        let conn = &mut **self.0;
        if let Some(st) = conn.prepared.get(sql) {
            return Ok(st.clone());
        }
        let st = conn.client.prepare(sql)?;
        if conn.prepared.len() >= PREPARED_PER_CONNECTION {
            conn.prepared.clear();
        }
        conn.prepared.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn connections(&self) -> usize {
        self.pool.max_size() as usize
    }

    fn migrate(&self) -> Result<Vec<String>> {
        let mut conn = self.conn()?;
        let mut tx = Tx::begin(&mut *conn, "BEGIN")?;
        // One migrator at a time, even with several servers starting at once.
        tx.batch_execute(
            "SELECT pg_advisory_xact_lock(7001);
             CREATE TABLE IF NOT EXISTS kassa_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )?;
        let mut applied = vec![];
        for (version, name, template) in MIGRATIONS {
            let done: bool =
                tx.query_one("SELECT EXISTS (SELECT 1 FROM kassa_migrations WHERE version = $1)", &[version])?.get(0);
            if !done {
                tx.batch_execute(&render(template, Backend::Postgres)?)?;
                tx.execute("INSERT INTO kassa_migrations (version, name) VALUES ($1, $2)", &[version, name])?;
                applied.push(format!("{version:04}_{name}"));
            }
        }
        tx.commit()?;
        Ok(applied)
    }

    fn pending_migrations(&self) -> Result<Vec<String>> {
        let mut conn = self.conn()?;
        let table: bool = conn.query_one("SELECT to_regclass('kassa_migrations') IS NOT NULL", &[])?.get(0);
        let done: Vec<i64> = if table {
            conn.query("SELECT version FROM kassa_migrations", &[])?.iter().map(|r| r.get(0)).collect()
        } else {
            vec![]
        };
        Ok(crate::schema::pending(&done))
    }

    fn read_stream(&self, stream: &str) -> Result<Vec<RecordedEvent>> {
        let mut conn = self.conn()?;
        let rows = conn.query(&format!("{EVENT_COLUMNS} WHERE stream_id = $1 ORDER BY version"), &[&stream])?;
        rows.iter().map(event_row).collect()
    }

    fn tail(&self, limit: usize) -> Result<Vec<RecordedEvent>> {
        let mut conn = self.conn()?;
        let rows = conn.query(&format!("{EVENT_COLUMNS} ORDER BY position DESC LIMIT $1"), &[&(limit as i64)])?;
        let mut out: Vec<RecordedEvent> = rows.iter().map(event_row).collect::<Result<_>>()?;
        out.reverse();
        Ok(out)
    }

    fn books(&self) -> Result<Vec<Book>> {
        let mut conn = self.conn()?;
        let rows = conn.query("SELECT id, name, owner_kind, owner_id FROM books ORDER BY name", &[])?;
        rows.iter()
            .map(|r| {
                let owner: Option<Uuid> = r.get(3);
                Ok(Book { id: BookId(r.get(0)), name: r.get(1), owner: owner_from(r.get(2), owner)? })
            })
            .collect()
    }

    fn ledger(&self, book: BookId) -> Result<Ledger> {
        let mut conn = self.conn()?;
        let mut tx = Tx::begin(&mut *conn, "BEGIN")?;
        Uow { tx: &mut tx }.load_ledger(book)
    }

    fn transactions(&self, book: BookId, f: &TxFilter) -> Result<Vec<TxRow>> {
        let mut conn = self.conn()?;
        let (sql, args) = tx_rows::<access::Postgres>(book, f, Indexed::default());
        let args: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
        let rows = conn.query(&sql, &args)?;
        let mut out = rows
            .iter()
            .map(|r| {
                let currency = currency(r.get(4))?;
                let id: Uuid = r.get(0);
                Ok(TxRow {
                    id: id.to_string(),
                    date: r.get(1),
                    account: r.get(2),
                    amount: at_scale(r.get(3), currency),
                    currency,
                    description: r.get(5),
                    category: r.get(6),
                    counterparty: r.get(7),
                    tags: tags(r.get(14))?,
                    notes: r.get(15),
                    status: r.get(8),
                    external_id: r.get(9),
                    transfer_account: r.get(10),
                    category_source: r.get(11),
                    suggestion: suggestion(r.get(12), r.get(13)),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }

    fn balances(&self, book: BookId, as_of: Option<Date>) -> Result<Vec<BalanceRow>> {
        let mut conn = self.conn()?;
        let rows = conn.query(
            "SELECT a.name, a.currency,
                    CASE WHEN $2::date IS NULL THEN a.balance
                         ELSE COALESCE((SELECT SUM(d.delta) FROM daily_balances d
                                         WHERE d.account_id = a.id AND d.date <= $2::date), 0) END
               FROM accounts a WHERE a.book_id = $1 ORDER BY a.name",
            &[&book.0, &as_of],
        )?;
        rows.iter()
            .map(|r| {
                let currency = currency(r.get(1))?;
                Ok(BalanceRow { account: r.get(0), currency, balance: at_scale(r.get(2), currency) })
            })
            .collect()
    }

    fn rebuild(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<RebuildStats> {
        let mut conn = self.conn()?;
        let mut tx = Tx::begin(&mut *conn, "BEGIN")?;
        let stats = replay_all(&mut tx, progress)?;
        tx.commit()?;
        Ok(stats)
    }

    fn backup_log(&self, out: &mut dyn std::io::Write) -> Result<backup::Manifest> {
        let mut conn = self.conn()?;
        // One snapshot for every page, taking no locks.
        let mut tx = Tx::begin(&mut *conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        let manifest = backup::write(&mut Restoring { tx: &mut tx }, Backend::Postgres, out)?;
        tx.commit()?;
        Ok(manifest)
    }

    fn restore_log(
        &self,
        archive: &mut dyn backup::Archive,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<backup::Restored> {
        let (_, manifest) = backup::verify(archive)?;
        let mut conn = self.conn()?;
        let mut tx = Tx::begin(&mut *conn, "BEGIN")?;
        // No append may slip in between the emptiness check and the commit.
        tx.batch_execute("LOCK TABLE events, streams IN EXCLUSIVE MODE")?;
        let restored = backup::restore(&mut Restoring { tx: &mut tx }, archive, &manifest, progress)?;
        tx.commit()?;
        Ok(restored)
    }

    fn save_model(&self, book: BookId, m: &StoredModel) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO categorizer_models (book_id, trained_at, examples, threshold_permille, model)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (book_id) DO UPDATE SET trained_at = excluded.trained_at, examples = excluded.examples,
                 threshold_permille = excluded.threshold_permille, model = excluded.model",
            &[&book.0, &m.trained_at, &m.examples, &(m.threshold_permille as i16), &m.json],
        )?;
        Ok(())
    }

    fn load_model(&self, book: BookId) -> Result<Option<StoredModel>> {
        let row = self.conn()?.query_opt(
            "SELECT trained_at, examples, threshold_permille::bigint, model FROM categorizer_models WHERE book_id = $1",
            &[&book.0],
        )?;
        Ok(row.map(|r| StoredModel {
            trained_at: r.get(0),
            examples: r.get(1),
            threshold_permille: r.get(2),
            json: r.get(3),
        }))
    }

    fn recurring_history(&self, book: BookId, as_of: Date) -> Result<Vec<crate::recurring::RecurringRow>> {
        crate::recurring::pg_history(&mut *self.conn()?, book, as_of)
    }

    fn recurring_marks(&self, book: BookId) -> Result<Vec<crate::recurring::RecurringMark>> {
        crate::recurring::pg_marks(&mut *self.conn()?, book)
    }

    fn loan_rows(&self, book: BookId) -> Result<Vec<crate::loans::LoanRow>> {
        crate::loans::pg_rows(&mut *self.conn()?, book)
    }

    fn plan_events(&self, book: BookId) -> Result<Vec<kassa_core::Event>> {
        crate::plans::pg_rows(&mut *self.conn()?, book)
    }

    fn prices(&self, book: BookId) -> Result<Vec<kassa_core::portfolio::events::PricePoint>> {
        crate::portfolio::pg_prices(&mut *self.conn()?, book)
    }

    fn prices_as_of(&self, book: BookId, date: Date) -> Result<Vec<kassa_core::portfolio::events::PricePoint>> {
        crate::portfolio::pg_prices_as_of(&mut *self.conn()?, book, date)
    }

    fn cost_methods(&self, book: BookId) -> Result<Vec<(AccountId, kassa_core::portfolio::CostMethod)>> {
        crate::portfolio::pg_methods(&mut *self.conn()?, book)
    }

    fn instruments(&self, book: BookId) -> Result<Vec<crate::InstrumentRow>> {
        crate::portfolio::pg_instruments(&mut *self.conn()?, book)
    }

    fn projection_dump(&self) -> Result<String> {
        let mut conn = self.conn()?;
        let mut out = String::new();
        dump_projections(&mut conn, &mut |table, row| {
            out.push_str(table);
            out.push('|');
            out.push_str(row);
            out.push('\n');
        })?;
        Ok(out)
    }

    fn report_facts(
        &self,
        book: BookId,
        as_of: Option<Date>,
        want: kassa_core::report::Wanted,
    ) -> Result<kassa_core::report::ReportFacts> {
        let mut conn = self.conn()?;
        // REPEATABLE READ: the chart and the aggregates from one snapshot.
        let mut tx = Tx::begin(&mut *conn, "BEGIN ISOLATION LEVEL REPEATABLE READ")?;
        let ledger = Uow { tx: &mut tx }.load_ledger(book)?;
        let rows = reports::fact_rows(&mut tx, book, as_of, want)?;
        tx.commit()?;
        Ok(rows.into_facts(&ledger))
    }

    crate::delegate::store_delegates!();
}

crate::delegate::open_claim!(PgStore);

/// Empties the projections and replays the whole log into them, inside the
/// caller's transaction: `rebuild`, and the check of a restore.
fn replay_all(tx: &mut Client, progress: &mut dyn FnMut(u64, u64)) -> Result<RebuildStats> {
    let total: i64 = tx.query_one("SELECT COUNT(*) FROM events", &[])?.get(0);
    tx.batch_execute(&format!("TRUNCATE {}", PROJECTIONS.map(|(t, _)| t).join(", ")))?;
    // Secondary indexes are built once at the end, not maintained per row.
    let tables = PROJECTIONS.map(|(t, _)| format!("'{t}'")).join(", ");
    let indexes: Vec<(String, String)> = tx
        .query(
            &format!(
                "SELECT indexname, indexdef FROM pg_indexes
                      WHERE schemaname = current_schema() AND indexname IN (
                            SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                             WHERE NOT x.indisprimary AND NOT x.indisunique)
                        AND tablename IN ({tables})"
            ),
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for (name, _) in &indexes {
        tx.batch_execute(&format!("DROP INDEX {name}"))?;
    }
    let stats = unit::replay(&mut Uow { tx: &mut *tx }, total as u64, progress)?;
    for (_, ddl) in &indexes {
        tx.batch_execute(ddl)?;
    }
    Ok(stats)
}

/// Every projection row as PostgreSQL's text of the row, table by table in
/// key order (`sink(table, row)`).
fn dump_projections(conn: &mut Client, sink: &mut dyn FnMut(&str, &str)) -> Result<()> {
    for (table, key) in PROJECTIONS {
        for r in conn.query(&format!("SELECT x::text FROM {table} x ORDER BY {key}"), &[])? {
            sink(table, r.get::<_, &str>(0));
        }
    }
    Ok(())
}

/// The backup's read of the log and the restore's writes, on an open
/// transaction.
struct Restoring<'a> {
    tx: &'a mut Client,
}

impl backup::RawLog for Restoring<'_> {
    fn raw_events(&mut self, after: i64, limit: usize) -> Result<Vec<backup::RawEvent>> {
        let rows = self.tx.query(
            &format!("{EVENT_COLUMNS} WHERE position > $1 ORDER BY position LIMIT $2"),
            &[&after, &(limit as i64)],
        )?;
        Ok(rows
            .iter()
            .map(|r| backup::RawEvent {
                position: r.get(0),
                stream: r.get(1),
                version: r.get(2),
                event_type: r.get(3),
                schema_version: r.get::<_, i32>(4) as u32,
                data: r.get(5),
                actor: r.get(6),
                occurred_at: r.get(7),
                recorded_at: r.get(8),
            })
            .collect())
    }
}

impl backup::RestoreUnit for Restoring<'_> {
    fn logged_events(&mut self) -> Result<i64> {
        Ok(self.tx.query_one("SELECT COUNT(*) FROM events", &[])?.get(0))
    }

    fn insert(&mut self, rows: &[backup::RawEvent]) -> Result<()> {
        let positions: Vec<i64> = rows.iter().map(|e| e.position).collect();
        let streams: Vec<&str> = rows.iter().map(|e| e.stream.as_str()).collect();
        let versions: Vec<i64> = rows.iter().map(|e| e.version).collect();
        let types: Vec<&str> = rows.iter().map(|e| e.event_type.as_str()).collect();
        let schemas: Vec<i32> = rows.iter().map(|e| e.schema_version as i32).collect();
        let data: Vec<&str> = rows.iter().map(|e| e.data.as_str()).collect();
        let actors: Vec<&str> = rows.iter().map(|e| e.actor.as_str()).collect();
        let occurred: Vec<Date> = rows.iter().map(|e| e.occurred_at).collect();
        let recorded: Vec<Timestamp> = rows.iter().map(|e| e.recorded_at).collect();
        // The archive's positions, not the identity's next values.
        self.tx.execute(
            "INSERT INTO events (position, stream_id, version, event_type, schema_version, data, actor, occurred_at,
                                 recorded_at)
             OVERRIDING SYSTEM VALUE
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::int[], $6::text[]::jsonb[],
                                  $7::text[], $8::date[], $9::timestamptz[])",
            &[&positions, &streams, &versions, &types, &schemas, &data, &actors, &occurred, &recorded],
        )?;
        Ok(())
    }

    fn project(&mut self, events: &[RecordedEvent]) -> Result<()> {
        Uow { tx: &mut *self.tx }.project(events)
    }

    fn finish_log(&mut self, streams: &std::collections::BTreeMap<String, i64>, last_position: i64) -> Result<()> {
        let names: Vec<&str> = streams.keys().map(String::as_str).collect();
        let versions: Vec<i64> = streams.values().copied().collect();
        self.tx.execute(
            "INSERT INTO streams (stream_id, version) SELECT * FROM UNNEST($1::text[], $2::bigint[])",
            &[&names, &versions],
        )?;
        if last_position > 0 {
            self.tx.execute("SELECT setval(pg_get_serial_sequence('events', 'position'), $1)", &[&last_position])?;
        }
        Ok(())
    }

    fn replay_all(&mut self, progress: &mut dyn FnMut(u64, u64)) -> Result<RebuildStats> {
        replay_all(self.tx, progress)
    }

    fn dump(&mut self, sink: &mut dyn FnMut(&str, &[u8])) -> Result<()> {
        dump_projections(self.tx, &mut |table, row| sink(table, row.as_bytes()))
    }
}

struct Uow<'a> {
    tx: &'a mut Client,
}

impl unit::ReplayUnit for Uow<'_> {
    fn read_log(&mut self, after_position: i64, limit: usize) -> Result<Vec<RecordedEvent>> {
        read_log(self.tx, after_position, limit)
    }
}

impl UnitOfWork for Uow<'_> {
    /// Locks the stream's row while reading it, so concurrent `execute`s on
    /// one book queue here instead of all deciding and all but one failing.
    fn stream_version(&mut self, stream: &str) -> Result<i64> {
        let row = self.tx.query_opt("SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE", &[&stream])?;
        Ok(row.map(|r| r.get(0)).unwrap_or(0))
    }

    fn load_ledger(&mut self, book: BookId) -> Result<Ledger> {
        let tx = &mut *self.tx;
        let Some(r) = tx.query_opt("SELECT name, owner_kind, owner_id FROM books WHERE id = $1", &[&book.0])? else {
            return Ok(Ledger::new());
        };
        let owner: Option<Uuid> = r.get(2);
        let mut state = BookState {
            book: Book { id: book, name: r.get(0), owner: owner_from(r.get(1), owner)? },
            accounts: vec![],
            categories: vec![],
            rules: vec![],
        };
        for r in tx.query(
            "SELECT id, name, kind, currency, iban, number, institution, location, opened_on FROM accounts WHERE book_id = $1",
            &[&book.0],
        )? {
            state.accounts.push(Account {
                id: AccountId(r.get(0)),
                name: r.get(1),
                kind: parse_field(r.get(2))?,
                currency: currency(r.get(3))?,
                iban: r.get::<_, Option<&str>>(4).map(parse_field).transpose()?,
                number: r.get(5),
                institution: r.get(6),
                location: r.get(7),
                opened_on: r.get(8),
            });
        }
        for r in tx.query("SELECT id, name, section FROM categories WHERE book_id = $1", &[&book.0])? {
            state.categories.push(Category {
                id: CategoryId(r.get(0)),
                name: parse_field(r.get(1))?,
                section: parse_field(r.get(2))?,
            });
        }
        for r in tx.query("SELECT data::text FROM rules WHERE book_id = $1", &[&book.0])? {
            let rule: Rule = serde_json::from_str(r.get(0)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            state.rules.push(rule);
        }
        Ok(state.into_ledger())
    }

    fn load_transaction(&mut self, book: BookId, id: TxId) -> Result<Option<Transaction>> {
        load_transaction(self.tx, book, id)
    }

    fn append(
        &mut self,
        stream: &str,
        expected: i64,
        events: &[NewEvent],
        recorded_at: Timestamp,
    ) -> Result<Vec<RecordedEvent>> {
        let tx = &mut *self.tx;
        let new_version = expected + events.len() as i64;
        let bumped = if expected == 0 {
            tx.execute(
                "INSERT INTO streams (stream_id, version) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&stream, &new_version],
            )?
        } else {
            tx.execute(
                "UPDATE streams SET version = $1 WHERE stream_id = $2 AND version = $3",
                &[&new_version, &stream, &expected],
            )?
        };
        if bumped == 0 {
            let actual = stream_version(tx, stream)?;
            return Err(StoreError::Conflict { stream: stream.to_string(), expected, actual });
        }
        let versions: Vec<i64> = (1..=events.len() as i64).map(|i| expected + i).collect();
        let types: Vec<&str> = events.iter().map(|e| e.event.type_name()).collect();
        let schemas: Vec<i32> = events.iter().map(|e| e.event.schema_version() as i32).collect();
        let data: Vec<String> = events.iter().map(|e| e.event.data_json()).collect();
        let actors: Vec<&str> = events.iter().map(|e| e.actor.as_str()).collect();
        let occurred: Vec<Date> = events.iter().map(|e| e.occurred_at).collect();
        let rows = tx.query(
            "INSERT INTO events (stream_id, version, event_type, schema_version, data, actor, occurred_at, recorded_at)
             SELECT $1, v, t, s, d, a, o, $8
               FROM UNNEST($2::bigint[], $3::text[], $4::int[], $5::text[]::jsonb[], $6::text[], $7::date[]) AS u(v, t, s, d, a, o)
             RETURNING version, position",
            &[&stream, &versions, &types, &schemas, &data, &actors, &occurred, &recorded_at],
        )?;
        let positions: HashMap<i64, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        events
            .iter()
            .zip(&versions)
            .map(|(e, v)| {
                Ok(RecordedEvent {
                    position: *positions
                        .get(v)
                        .ok_or_else(|| StoreError::Corrupt(format!("no position for version {v}")))?,
                    stream: stream.to_string(),
                    version: *v,
                    meta: EventMeta { actor: e.actor.clone(), occurred_at: e.occurred_at, recorded_at },
                    event: e.event.clone(),
                })
            })
            .collect()
    }

    fn project(&mut self, events: &[RecordedEvent]) -> Result<()> {
        projector::project(&mut Sink { tx: self.tx, batch: TxBatch::default() }, events)
    }
}

/// Executes the projector's operations, recorded transactions batched into
/// one `UNNEST` insert per table until any other operation (or a read) needs
/// them written; the projector's last operations are the delta flushes, so
/// nothing stays behind.
struct Sink<'a> {
    tx: &'a mut Client,
    batch: TxBatch,
}

impl ProjectionReads for Sink<'_> {
    fn load_transaction(&mut self, book: BookId, id: TxId) -> Result<Option<Transaction>> {
        self.batch.flush(self.tx)?;
        load_transaction(self.tx, book, id)
    }
}

impl RowSink for Sink<'_> {
    fn apply(&mut self, op: RowOp<'_>) -> Result<()> {
        if !matches!(op, RowOp::InsertTransaction { .. }) {
            self.batch.flush(self.tx)?;
        }
        let tx = &mut *self.tx;
        match op {
            RowOp::InsertTransaction { book, tx, position } => self.batch.push(book, tx, position),
            RowOp::InsertBook { book, opened: b } => {
                let (kind, owner) = owner_parts(&b.owner);
                tx.execute(
                    "INSERT INTO books (id, name, owner_kind, owner_id) VALUES ($1, $2, $3, $4)",
                    &[&book.0, &b.name, &kind, &owner],
                )?;
            }
            RowOp::InsertAccount { book, account: a } => {
                tx.execute(
                    "INSERT INTO accounts (id, book_id, name, kind, currency, iban, number, institution, location, opened_on)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    &[
                        &a.id.0,
                        &book.0,
                        &a.name,
                        &a.kind.as_str(),
                        &a.currency.code(),
                        &a.iban.as_ref().map(|i| i.to_string()),
                        &a.number,
                        &a.institution,
                        &a.location,
                        &a.opened_on,
                    ],
                )?;
            }
            RowOp::InsertCategory { book, category: c } => {
                tx.execute(
                    "INSERT INTO categories (id, book_id, name, section) VALUES ($1, $2, $3, $4)",
                    &[&c.id.0, &book.0, &c.name.as_str(), &c.section.as_str()],
                )?;
            }
            RowOp::UpdateCategory { tx_id, category, source } => {
                let cat = category.map(|c| c.0);
                let leg = if category.is_some() { "category" } else { "uncategorized" };
                tx.execute(
                    "UPDATE transactions SET category_id = $1, category_source = $2 WHERE id = $3",
                    &[&cat, &source.map(|s| s.as_str()), &tx_id.0],
                )?;
                tx.execute("DELETE FROM suggestions WHERE tx_id = $1", &[&tx_id.0])?;
                tx.execute(
                    "UPDATE postings SET leg = $1, category_id = $2 WHERE tx_id = $3 AND leg IN ('category', 'uncategorized')",
                    &[&leg, &cat, &tx_id.0],
                )?;
                tx.execute(
                    &format!("UPDATE register SET category_id = $1 WHERE {}", register_rows_of_tx("", "$2")),
                    &[&cat, &tx_id.0],
                )?;
            }
            RowOp::DeleteTransaction { tx_id } => {
                tx.execute(&format!("DELETE FROM register WHERE {}", register_rows_of_tx("", "$1")), &[&tx_id.0])?;
                tx.execute("DELETE FROM postings WHERE tx_id = $1", &[&tx_id.0])?;
                tx.execute("DELETE FROM transactions WHERE id = $1", &[&tx_id.0])?;
                tx.execute("DELETE FROM suggestions WHERE tx_id = $1", &[&tx_id.0])?;
                import::tombstone(tx, tx_id)?;
            }
            RowOp::Annotate { tx_id, counterparty, notes, tags, replace } => {
                let tags = (!tags.is_empty()).then(|| serde_json::json!(tags));
                tx.execute(
                    if replace {
                        "UPDATE transactions SET counterparty = $1, notes = $2, tags = $3 WHERE id = $4"
                    } else {
                        "UPDATE transactions SET counterparty = COALESCE($1, counterparty), notes = COALESCE($2, notes),
                                             tags = $3 WHERE id = $4"
                    },
                    &[&counterparty, &notes, &tags, &tx_id.0],
                )?;
                if counterparty.is_some() || replace {
                    tx.execute(
                        &format!("UPDATE register SET counterparty = $1 WHERE {}", register_rows_of_tx("", "$2")),
                        &[&counterparty, &tx_id.0],
                    )?;
                }
            }
            RowOp::UpsertSuggestion { book, suggested: Suggested { tx_id, category, confidence_permille } } => {
                tx.execute(
                    "INSERT INTO suggestions (tx_id, book_id, category_id, confidence_permille) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (tx_id) DO UPDATE SET category_id = excluded.category_id,
                                                      confidence_permille = excluded.confidence_permille",
                    &[&tx_id.0, &book.0, &category.0, &(*confidence_permille as i16)],
                )?;
            }
            RowOp::UpsertRule { book, rule } => {
                let data = serde_json::to_value(rule).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                tx.execute(
                    "INSERT INTO rules (book_id, id, position, data) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (book_id, id) DO UPDATE SET position = excluded.position, data = excluded.data",
                    &[&book.0, &rule.id, &rule.position, &data],
                )?;
            }
            RowOp::DeleteRule { book, rule_id } => {
                tx.execute("DELETE FROM rules WHERE book_id = $1 AND id = $2", &[&book.0, &rule_id])?;
            }
            RowOp::UpsertFxRates { book, rates } => reports::insert_fx(tx, book, rates)?,
            RowOp::MarkRecurring { book, series_id, op } => crate::recurring::pg_apply(tx, book, series_id, op)?,
            RowOp::InsertLoan { book, position, loan } => crate::loans::pg_insert(tx, book, position, loan)?,
            RowOp::InsertPlanEvent { book, position, event } => crate::plans::pg_insert(tx, book, position, event)?,
            RowOp::Portfolio { book, op } => crate::portfolio::pg_apply(tx, book, op)?,
            RowOp::Import(row) => import::apply(tx, row)?,
            RowOp::Access(op) => access::apply(tx, op)?,
            RowOp::Budget(changes) => budgets::apply(tx, &changes)?,
            RowOp::AddFlows(flows) => reports::flush_flows(tx, flows)?,
            RowOp::AddBalances(deltas) => flush_deltas(tx, deltas)?,
        }
        Ok(())
    }
}

/// Transaction, posting and register rows waiting for one `UNNEST` insert
/// each.
#[derive(Default)]
struct TxBatch {
    id: Vec<Uuid>,
    book: Vec<Uuid>,
    date: Vec<Date>,
    description: Vec<String>,
    category: Vec<Option<Uuid>>,
    category_source: Vec<Option<&'static str>>,
    counterparty: Vec<Option<String>>,
    tags: Vec<Option<serde_json::Value>>,
    notes: Vec<Option<String>>,
    external_id: Vec<Option<String>>,
    status: Vec<&'static str>,
    transfer: Vec<bool>,
    position: Vec<i64>,
    p_tx: Vec<Uuid>,
    p_seq: Vec<i32>,
    p_book: Vec<Uuid>,
    p_date: Vec<Date>,
    p_leg: Vec<&'static str>,
    p_account: Vec<Option<Uuid>>,
    p_category: Vec<Option<Uuid>>,
    p_currency: Vec<&'static str>,
    p_amount: Vec<Decimal>,
    /// The register's rows: indexes of account postings into the `p_`
    /// columns and of their transactions into the transaction columns.
    r_posting: Vec<usize>,
    r_tx: Vec<usize>,
}

impl TxBatch {
    fn push(&mut self, book: BookId, t: &Transaction, position: i64) {
        self.id.push(t.id.0);
        self.book.push(book.0);
        self.date.push(t.date);
        self.description.push(t.description.clone());
        self.category.push(t.postings.category().map(|c| c.0));
        self.category_source.push(t.category_source.map(|c| c.as_str()));
        self.counterparty.push(t.counterparty.clone());
        self.tags.push((!t.tags.is_empty()).then(|| serde_json::json!(t.tags)));
        self.notes.push(t.notes.clone());
        self.external_id.push(t.external_id.clone());
        self.status.push(t.status.as_str());
        self.transfer.push(t.postings.is_transfer());
        self.position.push(position);
        for (seq, p) in t.postings.as_slice().iter().enumerate() {
            let (account, category) = match p.leg {
                Leg::Account(a) => (Some(a.0), None),
                Leg::Category(c) => (None, Some(c.0)),
                Leg::Uncategorized | Leg::Conversion => (None, None),
            };
            if account.is_some() {
                self.r_posting.push(self.p_tx.len());
                self.r_tx.push(self.id.len() - 1);
            }
            self.p_tx.push(t.id.0);
            self.p_seq.push(seq as i32);
            self.p_book.push(book.0);
            self.p_date.push(t.date);
            self.p_leg.push(leg_name(&p.leg));
            self.p_account.push(account);
            self.p_category.push(category);
            self.p_currency.push(p.amount.currency.code());
            self.p_amount.push(p.amount.amount);
        }
    }

    fn flush(&mut self, tx: &mut Client) -> Result<()> {
        if self.id.is_empty() {
            return Ok(());
        }
        tx.execute(
            "INSERT INTO transactions (id, book_id, date, description, category_id, counterparty, tags, notes, external_id, status, is_transfer, position, category_source)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::date[], $4::text[], $5::uuid[], $6::text[], $7::jsonb[], $8::text[], $9::text[], $10::text[], $11::bool[], $12::bigint[], $13::text[])",
            &[
                &self.id,
                &self.book,
                &self.date,
                &self.description,
                &self.category,
                &self.counterparty,
                &self.tags,
                &self.notes,
                &self.external_id,
                &self.status,
                &self.transfer,
                &self.position,
                &self.category_source,
            ],
        )?;
        tx.execute(
            "INSERT INTO postings (tx_id, seq, book_id, date, leg, account_id, category_id, currency, amount)
             SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::uuid[], $4::date[], $5::text[], $6::uuid[], $7::uuid[], $8::text[], $9::numeric[])",
            &[
                &self.p_tx,
                &self.p_seq,
                &self.p_book,
                &self.p_date,
                &self.p_leg,
                &self.p_account,
                &self.p_category,
                &self.p_currency,
                &self.p_amount,
            ],
        )?;
        // Built from the batch, not by joining the tables just written: with
        // the statistics of a table still filling, PostgreSQL hashed the
        // whole of `transactions` for every batch.
        let (rp, rt) = (&self.r_posting, &self.r_tx);
        tx.execute(
            "INSERT INTO register (account_id, date, tx_id, seq, book_id, currency, amount, description, category_id,
                                   counterparty, status, is_transfer)
             SELECT * FROM UNNEST($1::uuid[], $2::date[], $3::uuid[], $4::int[], $5::uuid[], $6::text[], $7::numeric[],
                                  $8::text[], $9::uuid[], $10::text[], $11::text[], $12::bool[])",
            &[
                &rp.iter().map(|i| self.p_account[*i]).collect::<Vec<_>>(),
                &rp.iter().map(|i| self.p_date[*i]).collect::<Vec<_>>(),
                &rp.iter().map(|i| self.p_tx[*i]).collect::<Vec<_>>(),
                &rp.iter().map(|i| self.p_seq[*i]).collect::<Vec<_>>(),
                &rp.iter().map(|i| self.p_book[*i]).collect::<Vec<_>>(),
                &rp.iter().map(|i| self.p_currency[*i]).collect::<Vec<_>>(),
                &rp.iter().map(|i| self.p_amount[*i]).collect::<Vec<_>>(),
                &rt.iter().map(|i| self.description[*i].as_str()).collect::<Vec<_>>(),
                &rt.iter().map(|i| self.category[*i]).collect::<Vec<_>>(),
                &rt.iter().map(|i| self.counterparty[*i].as_deref()).collect::<Vec<_>>(),
                &rt.iter().map(|i| self.status[*i]).collect::<Vec<_>>(),
                &rt.iter().map(|i| self.transfer[*i]).collect::<Vec<_>>(),
            ],
        )?;
        *self = TxBatch::default();
        Ok(())
    }
}

/// Each touched (account, day) row and account balance becomes its new
/// total, computed and range-checked by `next_total` from the rows read
/// here, then written in one batch; a day whose changes cancel out leaves no
/// row, however the events were batched. Totals are written at their
/// currency's scale, so a replay that batches differently (rebuild) writes
/// the same NUMERIC text (0.00, never 0).
fn flush_deltas(tx: &mut Client, deltas: &BalanceDeltas) -> Result<()> {
    if deltas.is_empty() {
        return Ok(());
    }
    let accounts: Vec<Uuid> = deltas.daily.keys().map(|(a, _)| a.0).collect();
    let dates: Vec<Date> = deltas.daily.keys().map(|(_, d)| *d).collect();
    let old: HashMap<(Uuid, Date), Decimal> = tx
        .query(
            "SELECT d.account_id, d.date, d.delta FROM daily_balances d
               JOIN UNNEST($1::uuid[], $2::date[]) AS u(a, dt) ON d.account_id = u.a AND d.date = u.dt",
            &[&accounts, &dates],
        )?
        .iter()
        .map(|r| ((r.get(0), r.get(1)), r.get(2)))
        .collect();
    let (mut kept, mut gone) = (Keyed::default(), Keyed::default());
    for ((acc, date), m) in &deltas.daily {
        let before = Money { amount: old.get(&(acc.0, *date)).copied().unwrap_or_default(), currency: m.currency };
        let (next, _) = next_total(before, *m, Total::Day(*acc, *date), &mut |a| account_name(tx, a))?;
        let to = if next.is_zero() { &mut gone } else { &mut kept };
        to.push(acc.0, *date, at_scale(next.amount, m.currency));
    }
    tx.execute(
        "INSERT INTO daily_balances (account_id, date, delta)
         SELECT * FROM UNNEST($1::uuid[], $2::date[], $3::numeric[])
         ON CONFLICT (account_id, date) DO UPDATE SET delta = excluded.delta",
        &[&kept.accounts, &kept.dates, &kept.amounts],
    )?;
    tx.execute(
        "DELETE FROM daily_balances d USING UNNEST($1::uuid[], $2::date[]) AS u(a, dt)
          WHERE d.account_id = u.a AND d.date = u.dt",
        &[&gone.accounts, &gone.dates],
    )?;
    let ids: Vec<Uuid> = deltas.totals.keys().map(|a| a.0).collect();
    let old: HashMap<Uuid, Decimal> = tx
        .query("SELECT id, balance FROM accounts WHERE id = ANY($1)", &[&ids])?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut balances = vec![];
    for (acc, m) in &deltas.totals {
        let before = Money { amount: old.get(&acc.0).copied().unwrap_or_default(), currency: m.currency };
        let (next, _) = next_total(before, *m, Total::Balance(*acc), &mut |a| account_name(tx, a))?;
        balances.push(at_scale(next.amount, m.currency));
    }
    tx.execute(
        "UPDATE accounts a SET balance = u.b FROM UNNEST($1::uuid[], $2::numeric[]) AS u(id, b) WHERE a.id = u.id",
        &[&ids, &balances],
    )?;
    Ok(())
}

/// The (account, day, amount) columns of one `UNNEST` write.
#[derive(Default)]
struct Keyed {
    accounts: Vec<Uuid>,
    dates: Vec<Date>,
    amounts: Vec<Decimal>,
}

impl Keyed {
    fn push(&mut self, account: Uuid, date: Date, amount: Decimal) {
        self.accounts.push(account);
        self.dates.push(date);
        self.amounts.push(amount);
    }
}

/// An account's name, for a refusal that names it.
pub(super) fn account_name(tx: &mut Client, id: AccountId) -> Result<String> {
    Ok(tx.query_one("SELECT name FROM accounts WHERE id = $1", &[&id.0])?.get(0))
}

fn load_transaction(tx: &mut Client, book: BookId, id: TxId) -> Result<Option<Transaction>> {
    let Some(h) = tx.query_opt(
        "SELECT date, description, counterparty, tags, notes, external_id, status, category_source FROM transactions WHERE id = $1 AND book_id = $2",
        &[&id.0, &book.0],
    )?
    else {
        return Ok(None);
    };
    let mut postings = vec![];
    for r in tx.query(
        "SELECT leg, account_id, category_id, currency, amount FROM postings WHERE tx_id = $1 ORDER BY seq",
        &[&id.0],
    )? {
        let leg = match (r.get::<_, &str>(0), r.get::<_, Option<Uuid>>(1), r.get::<_, Option<Uuid>>(2)) {
            ("account", Some(a), _) => Leg::Account(AccountId(a)),
            ("category", _, Some(c)) => Leg::Category(CategoryId(c)),
            ("uncategorized", _, _) => Leg::Uncategorized,
            ("conversion", _, _) => Leg::Conversion,
            (other, _, _) => return Err(StoreError::Corrupt(format!("posting leg '{other}'"))),
        };
        let cur = currency(r.get(3))?;
        let amount = Money::new(r.get(4), cur).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        postings.push(Posting { leg, amount });
    }
    Ok(Some(Transaction {
        id,
        date: h.get(0),
        description: h.get(1),
        postings: Postings::new(postings)?,
        counterparty: h.get(2),
        tags: tags(h.get(3))?,
        notes: h.get(4),
        external_id: h.get(5),
        status: status_of(h.get(6)),
        category_source: h.get::<_, Option<&str>>(7).and_then(CategorySource::parse),
    }))
}

const EVENT_COLUMNS: &str = "SELECT position, stream_id, version, event_type, schema_version, data::text, actor, occurred_at, recorded_at FROM events";

fn read_log(conn: &mut Client, after: i64, limit: usize) -> Result<Vec<RecordedEvent>> {
    let rows = conn.query(
        &format!("{EVENT_COLUMNS} WHERE position > $1 ORDER BY position LIMIT $2"),
        &[&after, &(limit as i64)],
    )?;
    rows.iter().map(event_row).collect()
}

fn stream_version(tx: &mut Client, stream: &str) -> Result<i64> {
    Ok(tx.query_opt("SELECT version FROM streams WHERE stream_id = $1", &[&stream])?.map(|r| r.get(0)).unwrap_or(0))
}

fn event_row(r: &postgres::Row) -> Result<RecordedEvent> {
    let schema: i32 = r.get(4);
    let event = decode_event(r.get(0), r.get(3), schema as u32, r.get(5))?;
    Ok(RecordedEvent {
        position: r.get(0),
        stream: r.get(1),
        version: r.get(2),
        meta: EventMeta { actor: r.get(6), occurred_at: r.get(7), recorded_at: r.get(8) },
        event,
    })
}

/// The amount at its currency's scale, so "0" from an empty SUM prints "0.00".
pub(crate) fn at_scale(amount: Decimal, currency: Currency) -> Decimal {
    let mut a = amount;
    a.rescale(currency.minor_units());
    a
}

pub(crate) fn currency(s: &str) -> Result<Currency> {
    Currency::parse(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn parse_field<T: std::str::FromStr>(s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| StoreError::Corrupt(e.to_string()))
}

/// A transaction's `tags` column (a JSON array, NULL when empty).
fn tags(column: Option<serde_json::Value>) -> Result<Vec<String>> {
    Ok(column
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?
        .unwrap_or_default())
}
