//! The embedded backend: one SQLite file in WAL mode. Writers take the lock
//! up front (`BEGIN IMMEDIATE`), so a unit of work never deadlocks halfway.
//! Rows are narrow — 16-byte UUID blobs, integer stream keys, integer minor
//! units — because the bytes written per transaction bound the write speed.

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;
use kassa_core::categorize::Rule;
use kassa_core::event::{EventMeta, Suggested};
use kassa_core::{
    Account, AccountId, Book, BookId, Category, CategoryId, CategorySource, Currency, Ledger, Leg, Money, Owner,
    Posting, Postings, RecordedEvent, Status, Transaction, TxId,
};
use rusqlite::config::DbConfig;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use uuid::Uuid;

use crate::access::wide_amount;
use crate::error::{Result, StoreError};
use crate::projection::{
    BalanceDeltas, BookState, PROJECTIONS, Total, decode_event, leg_name, next_total, register_rows_of_tx,
};
use crate::projector::{self, ProjectionReads, RowOp, RowSink};
use crate::register::tx_rows;
use crate::schema::{MIGRATIONS, render};
use crate::txn::{Lease, Pinned, RawConn, Tx};
use crate::types::{Backend, BalanceRow, NewEvent, RebuildStats, StoredModel, Suggestion, TxFilter, TxRow};
use crate::unit::{self, UnitOfWork};
use crate::{Store, backup};

/// The write lock up front: two writers never both read and then one fails.
const IMMEDIATE: &str = "BEGIN IMMEDIATE";

mod access;
mod budgets;
mod import;
mod jobs;
mod reports;
mod state;

#[derive(Debug)]
struct Manager {
    path: String,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = rusqlite::Error;

    fn connect(&self) -> Result<Connection, rusqlite::Error> {
        let conn = Connection::open(&self.path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        // WAL lets readers run beside the one writer; NORMAL sync is durable
        // across application crashes and loses at most the last commit on
        // power loss, the usual trade for an embedded database.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        // Checkpoint every ~64 MiB of WAL rather than every 4 MiB: index pages
        // touched by many commits are copied back to the database once.
        conn.pragma_update(None, "wal_autocheckpoint", 16_384)?;
        conn.set_prepared_statement_cache_capacity(64);
        // Plans that do not depend on the values bound. Without this, SQLite
        // marks a statement for re-preparation whenever a parameter could
        // sway its plan (an `=` it filters on, a LIMIT), and the statement
        // cache clears the bindings of every statement it takes back, which
        // expires such a statement: every cached query was compiled anew on
        // each use, a quarter of the server's CPU on a register page.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), rusqlite::Error> {
        conn.execute_batch("")
    }

    fn has_broken(&self, _: &mut Connection) -> bool {
        false
    }
}

type Pooled = r2d2::PooledConnection<Manager>;

#[derive(Debug)]
pub struct SqliteStore {
    pool: r2d2::Pool<Manager>,
    /// The connection of an open claim ([`crate::state::OpenClaim`]): when
    /// set, every call of this store runs on it, inside its transaction.
    pinned: Option<Pinned<Pooled>>,
}

impl RawConn for Connection {
    fn run(&mut self, sql: &str) -> Result<()> {
        Ok(self.execute_batch(sql)?)
    }

    fn in_transaction(&self) -> bool {
        !self.is_autocommit()
    }

    fn set_in_transaction(&mut self, _: bool) {}
}

impl SqliteStore {
    pub fn open(path: &str, options: crate::PoolOptions) -> Result<SqliteStore> {
        let memory = path == ":memory:";
        if !memory && let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::BadUrl(format!("{path}: {e}")))?;
        }
        // An in-memory database exists once per connection, so it gets one.
        let size = if memory { 1 } else { options.size.max(1) };
        let pool = r2d2::Pool::builder().max_size(size).build(Manager { path: path.to_string() })?;
        Ok(SqliteStore { pool, pinned: None })
    }

    fn conn(&self) -> Result<Lease<'_, Pooled>> {
        Ok(match &self.pinned {
            Some(pinned) => pinned.lease(),
            None => Lease::Pooled(self.pool.get()?),
        })
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE`: the write lock
    /// is taken up front, so two writers never both read and then one
    /// fails), committing when `f` says so; rerun on a conflict if `retry`.
    fn write<T>(&self, retry: bool, f: &mut dyn FnMut(&mut Uow<'_>) -> Result<(T, bool)>) -> Result<T> {
        let mut conn = self.conn()?;
        let mut once = || {
            let tx = Tx::begin(&mut **conn, IMMEDIATE)?;
            let (out, commit) = f(&mut Uow { tx: &tx })?;
            tx.finish(commit)?;
            Ok(out)
        };
        if retry { unit::with_retry(once) } else { once() }
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn connections(&self) -> usize {
        self.pool.max_size() as usize
    }

    fn migrate(&self) -> Result<Vec<String>> {
        let mut conn = self.conn()?;
        let tx = Tx::begin(&mut **conn, IMMEDIATE)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS kassa_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )?;
        let mut applied = vec![];
        for (version, name, template) in MIGRATIONS {
            let done: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM kassa_migrations WHERE version = ?1)", [version], |r| {
                    r.get(0)
                })?;
            if !done {
                tx.execute_batch(&render(template, Backend::Sqlite)?)?;
                tx.execute(
                    "INSERT INTO kassa_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                    params![version, name, Timestamp::now().to_string()],
                )?;
                applied.push(format!("{version:04}_{name}"));
            }
        }
        tx.commit()?;
        Ok(applied)
    }

    fn pending_migrations(&self) -> Result<Vec<String>> {
        let conn = self.conn()?;
        let table: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kassa_migrations')",
            [],
            |r| r.get(0),
        )?;
        let done: Vec<i64> = if table {
            let mut q = conn.prepare("SELECT version FROM kassa_migrations")?;
            q.query_map([], |r| r.get(0))?.collect::<std::result::Result<_, _>>()?
        } else {
            vec![]
        };
        Ok(crate::schema::pending(&done))
    }

    fn read_stream(&self, stream: &str) -> Result<Vec<RecordedEvent>> {
        let conn = self.conn()?;
        let mut st = conn.prepare_cached(&format!("{EVENT_COLUMNS} WHERE s.name = ?1 ORDER BY e.version"))?;
        let rows = st.query_map([stream], event_row)?;
        rows.map(|r| r?).collect()
    }

    fn tail(&self, limit: usize) -> Result<Vec<RecordedEvent>> {
        let conn = self.conn()?;
        let mut st = conn.prepare_cached(&format!("{EVENT_COLUMNS} ORDER BY e.position DESC LIMIT ?1"))?;
        let rows = st.query_map([limit as i64], event_row)?;
        let mut out: Vec<RecordedEvent> = rows.map(|r| r?).collect::<Result<_>>()?;
        out.reverse();
        Ok(out)
    }

    fn books(&self) -> Result<Vec<Book>> {
        let conn = self.conn()?;
        let mut st = conn.prepare_cached("SELECT id, name, owner_kind, owner_id FROM books ORDER BY name")?;
        let rows = st.query_map([], |r| {
            Ok((r.get::<_, Uuid>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<Uuid>>(3)?))
        })?;
        rows.map(|r| {
            let (id, name, kind, owner) = r?;
            Ok(Book { id: BookId(id), name, owner: owner_from(&kind, owner)? })
        })
        .collect()
    }

    fn ledger(&self, book: BookId) -> Result<Ledger> {
        let mut conn = self.conn()?;
        let tx = Tx::begin(&mut **conn, "BEGIN")?;
        Uow { tx: &tx }.load_ledger(book)
    }

    fn transactions(&self, book: BookId, f: &TxFilter) -> Result<Vec<TxRow>> {
        let conn = self.conn()?;
        let indexed = access::indexed(&conn, book, f.search.as_deref(), None, None)?;
        let (sql, args) = tx_rows::<access::Sqlite>(book, f, indexed);
        let mut st = conn.prepare(&sql)?;
        let mut rows = st.query(params_from_iter(args.iter()))?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            let currency = currency(&r.get::<_, String>(4)?)?;
            out.push(TxRow {
                id: r.get::<_, Uuid>(0)?.to_string(),
                date: r.get(1)?,
                account: r.get(2)?,
                amount: Money::from_minor_units(r.get(3)?, currency).amount,
                currency,
                description: r.get(5)?,
                category: r.get(6)?,
                counterparty: r.get(7)?,
                tags: tags(r.get(14)?)?,
                notes: r.get(15)?,
                status: r.get(8)?,
                external_id: r.get(9)?,
                transfer_account: r.get(10)?,
                category_source: r.get(11)?,
                suggestion: suggestion(r.get(12)?, r.get(13)?),
            });
        }
        out.reverse();
        Ok(out)
    }

    fn balances(&self, book: BookId, as_of: Option<Date>) -> Result<Vec<BalanceRow>> {
        let conn = self.conn()?;
        // Without a date nothing joins and the stored balance is the answer.
        let mut st = conn.prepare_cached(&format!(
            "SELECT a.name, a.currency, a.balance_minor, {}
               FROM accounts a LEFT JOIN daily_balances d ON d.account_id = a.id AND d.date <= ?2
              WHERE a.book_id = ?1 GROUP BY a.id ORDER BY a.name",
            wide_sum("d.delta_minor")
        ))?;
        let rows = st.query_map(params![book.0, as_of], |r| {
            let minor = match as_of {
                None => i128::from(r.get::<_, i64>(2)?),
                Some(_) => wide_total(r.get(3)?, r.get(4)?),
            };
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, minor))
        })?;
        rows.map(|r| {
            let (account, cur, minor) = r?;
            let currency = currency(&cur)?;
            Ok(BalanceRow { account, currency, balance: wide_amount(minor, currency)? })
        })
        .collect()
    }

    fn rebuild(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<RebuildStats> {
        let mut conn = self.conn()?;
        let tx = Tx::begin(&mut **conn, IMMEDIATE)?;
        let stats = replay_all(&tx, progress)?;
        tx.commit()?;
        Ok(stats)
    }

    fn backup_log(&self, out: &mut dyn std::io::Write) -> Result<backup::Manifest> {
        let mut conn = self.conn()?;
        // A deferred read transaction: its first read fixes the snapshot
        // (WAL), and writers go on beside it.
        let tx = Tx::begin(&mut **conn, "BEGIN")?;
        let manifest = backup::write(&mut Restoring { tx: &tx, streams: HashMap::new() }, Backend::Sqlite, out)?;
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
        let tx = Tx::begin(&mut **conn, IMMEDIATE)?;
        let restored =
            backup::restore(&mut Restoring { tx: &tx, streams: HashMap::new() }, archive, &manifest, progress)?;
        tx.commit()?;
        Ok(restored)
    }

    fn save_model(&self, book: BookId, m: &StoredModel) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO categorizer_models (book_id, trained_at, examples, threshold_permille, model)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (book_id) DO UPDATE SET trained_at = excluded.trained_at, examples = excluded.examples,
                 threshold_permille = excluded.threshold_permille, model = excluded.model",
            params![book.0, m.trained_at.to_string(), m.examples, m.threshold_permille, m.json],
        )?;
        Ok(())
    }

    fn load_model(&self, book: BookId) -> Result<Option<StoredModel>> {
        let row = self
            .conn()?
            .query_row(
                "SELECT trained_at, examples, threshold_permille, model FROM categorizer_models WHERE book_id = ?1",
                [book.0],
                |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        row.map(|(at, examples, threshold_permille, json)| {
            let trained_at = at.parse().map_err(|e: jiff::Error| StoreError::Corrupt(e.to_string()))?;
            Ok(StoredModel { trained_at, examples, threshold_permille, json })
        })
        .transpose()
    }

    fn recurring_history(&self, book: BookId, as_of: Date) -> Result<Vec<crate::recurring::RecurringRow>> {
        crate::recurring::sqlite_history(&*self.conn()?, book, as_of)
    }

    fn recurring_marks(&self, book: BookId) -> Result<Vec<crate::recurring::RecurringMark>> {
        crate::recurring::sqlite_marks(&*self.conn()?, book)
    }

    fn loan_rows(&self, book: BookId) -> Result<Vec<crate::loans::LoanRow>> {
        crate::loans::sqlite_rows(&*self.conn()?, book)
    }

    fn plan_events(&self, book: BookId) -> Result<Vec<kassa_core::Event>> {
        crate::plans::sqlite_rows(&*self.conn()?, book)
    }

    fn prices(&self, book: BookId) -> Result<Vec<kassa_core::portfolio::events::PricePoint>> {
        crate::portfolio::sqlite_prices(&*self.conn()?, book)
    }

    fn prices_as_of(&self, book: BookId, date: Date) -> Result<Vec<kassa_core::portfolio::events::PricePoint>> {
        crate::portfolio::sqlite_prices_as_of(&*self.conn()?, book, date)
    }

    fn cost_methods(&self, book: BookId) -> Result<Vec<(AccountId, kassa_core::portfolio::CostMethod)>> {
        crate::portfolio::sqlite_methods(&*self.conn()?, book)
    }

    fn instruments(&self, book: BookId) -> Result<Vec<crate::InstrumentRow>> {
        crate::portfolio::sqlite_instruments(&*self.conn()?, book)
    }

    fn projection_dump(&self) -> Result<String> {
        let conn = self.conn()?;
        let mut out = String::new();
        dump_projections(&conn, true, &mut |table, row| {
            out.push_str(table);
            out.push_str(&String::from_utf8_lossy(row));
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
        // One read transaction: the chart and the aggregates from one snapshot.
        let tx = Tx::begin(&mut **conn, "BEGIN")?;
        let ledger = Uow { tx: &tx }.load_ledger(book)?;
        Ok(reports::fact_rows(&tx, book, as_of, want)?.into_facts(&ledger))
    }

    crate::delegate::store_delegates!();
}

crate::delegate::open_claim!(SqliteStore);

/// Empties the projections and replays the whole log into them, inside the
/// caller's write transaction: `rebuild`, and the check of a restore.
fn replay_all(tx: &Connection, progress: &mut dyn FnMut(u64, u64)) -> Result<RebuildStats> {
    let total: i64 = tx.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?;
    // The search index and its triggers (migration 0020) go first, so
    // that clearing and replaying `transactions` does not keep it row by
    // row; it is filled once at the end, like the secondary indexes.
    let triggers = search_triggers(tx)?;
    for (name, _) in &triggers {
        tx.execute(&format!("DROP TRIGGER {name}"), [])?;
    }
    tx.execute_batch(CLEAR_SEARCH)?;
    for (table, _) in PROJECTIONS {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    // Secondary indexes are dropped and built once at the end: a bulk
    // build is several times faster than maintaining them row by row.
    let indexes = secondary_indexes(tx)?;
    for (name, _) in &indexes {
        tx.execute(&format!("DROP INDEX {name}"), [])?;
    }
    let stats = unit::replay(&mut Uow { tx }, total as u64, progress)?;
    for (_, sql) in &indexes {
        tx.execute(sql, [])?;
    }
    tx.execute_batch(FILL_SEARCH)?;
    for (_, sql) in &triggers {
        tx.execute(sql, [])?;
    }
    Ok(stats)
}

/// Every projection row, table by table in key order (`sink(table, row)`):
/// as `|`-separated column values for `projection_dump` when `text`, else in
/// a tagged binary form that a restore's digest hashes several times faster
/// (formatting every blob dominated its check).
fn dump_projections(conn: &Connection, text: bool, sink: &mut dyn FnMut(&str, &[u8])) -> Result<()> {
    use rusqlite::types::ValueRef;
    let mut line = Vec::new();
    for (table, key) in PROJECTIONS {
        let mut st = conn.prepare(&format!("SELECT * FROM {table} ORDER BY {key}"))?;
        let n = st.column_count();
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            line.clear();
            for i in 0..n {
                let value = r.get_ref(i)?;
                if text {
                    line.push(b'|');
                    line.extend_from_slice(format!("{value:?}").as_bytes());
                    continue;
                }
                let (tag, bytes): (u8, std::borrow::Cow<'_, [u8]>) = match value {
                    ValueRef::Null => (0, (&[][..]).into()),
                    ValueRef::Integer(v) => (1, v.to_le_bytes().to_vec().into()),
                    ValueRef::Real(v) => (2, v.to_le_bytes().to_vec().into()),
                    ValueRef::Text(t) => (3, t.into()),
                    ValueRef::Blob(b) => (4, b.into()),
                };
                line.push(tag);
                line.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
                line.extend_from_slice(&bytes);
            }
            sink(table, &line);
        }
    }
    Ok(())
}

/// The backup's read of the log and the restore's writes, on an open
/// transaction; `streams` maps the stream names restored so far to their keys.
struct Restoring<'a> {
    tx: &'a Connection,
    streams: HashMap<String, i64>,
}

impl backup::RawLog for Restoring<'_> {
    fn raw_events(&mut self, after: i64, limit: usize) -> Result<Vec<backup::RawEvent>> {
        let mut st = self.tx.prepare_cached(
            "SELECT e.position, s.name, e.version, e.event_type, e.schema_version, e.data, e.actor, e.occurred_at,
                    e.recorded_at
               FROM events e JOIN streams s ON s.id = e.stream WHERE e.position > ?1 ORDER BY e.position LIMIT ?2",
        )?;
        let rows = st.query_map(params![after, limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get::<_, String>(8)?,
            ))
        })?;
        rows.map(|row| {
            let (position, stream, version, event_type, schema_version, data, actor, occurred_at, recorded) = row?;
            let recorded_at = recorded
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("event at position {position}: recorded_at: {e}")))?;
            Ok(backup::RawEvent {
                position,
                stream,
                version,
                event_type,
                schema_version,
                data,
                actor,
                occurred_at,
                recorded_at,
            })
        })
        .collect()
    }
}

impl backup::RestoreUnit for Restoring<'_> {
    fn logged_events(&mut self) -> Result<i64> {
        Ok(self.tx.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?)
    }

    fn insert(&mut self, rows: &[backup::RawEvent]) -> Result<()> {
        let mut st = self.tx.prepare_cached(
            "INSERT INTO events (position, stream, version, event_type, schema_version, data, actor, occurred_at,
                                 recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for e in rows {
            let key = match self.streams.get(&e.stream) {
                Some(key) => *key,
                None => {
                    self.tx.execute("INSERT INTO streams (name, version) VALUES (?1, 0)", [&e.stream])?;
                    let key = self.tx.last_insert_rowid();
                    self.streams.insert(e.stream.clone(), key);
                    key
                }
            };
            // recorded_at as `append` writes it, so the text is the one stored.
            st.execute(params![
                e.position,
                key,
                e.version,
                e.event_type,
                e.schema_version,
                e.data,
                e.actor,
                e.occurred_at,
                e.recorded_at.to_string()
            ])?;
        }
        Ok(())
    }

    fn project(&mut self, events: &[RecordedEvent]) -> Result<()> {
        Uow { tx: self.tx }.project(events)
    }

    /// AUTOINCREMENT keeps the largest position in `sqlite_sequence` by
    /// itself, so only the stream versions are left.
    fn finish_log(&mut self, streams: &std::collections::BTreeMap<String, i64>, _: i64) -> Result<()> {
        let mut st = self.tx.prepare_cached("UPDATE streams SET version = ?1 WHERE name = ?2")?;
        for (name, version) in streams {
            st.execute(params![version, name])?;
        }
        Ok(())
    }

    fn replay_all(&mut self, progress: &mut dyn FnMut(u64, u64)) -> Result<RebuildStats> {
        replay_all(self.tx, progress)
    }

    fn dump(&mut self, sink: &mut dyn FnMut(&str, &[u8])) -> Result<()> {
        dump_projections(self.tx, false, sink)
    }
}

/// Name and DDL of the explicit indexes on projection tables (not the ones
/// behind primary keys and UNIQUE constraints, which have no SQL).
fn secondary_indexes(conn: &Connection) -> Result<Vec<(String, String)>> {
    let tables = PROJECTIONS.map(|(t, _)| format!("'{t}'")).join(", ");
    let mut st = conn.prepare(&format!(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({tables})"
    ))?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The triggers that keep the search index (migration 0020), name and SQL.
fn search_triggers(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut st =
        conn.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'tx_search_%'")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const CLEAR_SEARCH: &str = "DELETE FROM tx_search_keys; INSERT INTO tx_search (tx_search) VALUES ('delete-all');";

/// The search index of every transaction, as migration 0020 first fills it.
const FILL_SEARCH: &str = "INSERT INTO tx_search_keys (tx_id) SELECT id FROM transactions;
     INSERT INTO tx_search (rowid, description, counterparty)
     SELECT k.id, t.description, t.counterparty FROM tx_search_keys k JOIN transactions t ON t.id = k.tx_id;";

/// A unit of work on an open SQLite transaction.
struct Uow<'a> {
    tx: &'a Connection,
}

impl unit::ReplayUnit for Uow<'_> {
    fn read_log(&mut self, after_position: i64, limit: usize) -> Result<Vec<RecordedEvent>> {
        read_log(self.tx, after_position, limit)
    }
}

impl UnitOfWork for Uow<'_> {
    fn stream_version(&mut self, stream: &str) -> Result<i64> {
        stream_version(self.tx, stream)
    }

    fn load_ledger(&mut self, book: BookId) -> Result<Ledger> {
        let tx = self.tx;
        let found = tx
            .query_row("SELECT name, owner_kind, owner_id FROM books WHERE id = ?1", [book.0], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<Uuid>>(2)?))
            })
            .optional()?;
        let Some((name, kind, owner)) = found else {
            return Ok(Ledger::new());
        };
        let mut state = BookState {
            book: Book { id: book, name, owner: owner_from(&kind, owner)? },
            accounts: vec![],
            categories: vec![],
            rules: vec![],
        };
        let mut st = tx.prepare_cached(
            "SELECT id, name, kind, currency, iban, number, institution, location, opened_on FROM accounts WHERE book_id = ?1",
        )?;
        let mut rows = st.query([book.0])?;
        while let Some(r) = rows.next()? {
            state.accounts.push(Account {
                id: AccountId(r.get(0)?),
                name: r.get(1)?,
                kind: parse_field(&r.get::<_, String>(2)?)?,
                currency: currency(&r.get::<_, String>(3)?)?,
                iban: r.get::<_, Option<String>>(4)?.map(|s| parse_field(&s)).transpose()?,
                number: r.get(5)?,
                institution: r.get(6)?,
                location: r.get(7)?,
                opened_on: r.get(8)?,
            });
        }
        let mut st = tx.prepare_cached("SELECT id, name, section FROM categories WHERE book_id = ?1")?;
        let mut rows = st.query([book.0])?;
        while let Some(r) = rows.next()? {
            state.categories.push(Category {
                id: CategoryId(r.get(0)?),
                name: parse_field(&r.get::<_, String>(1)?)?,
                section: parse_field(&r.get::<_, String>(2)?)?,
            });
        }
        let mut st = tx.prepare_cached("SELECT data FROM rules WHERE book_id = ?1")?;
        let mut rows = st.query([book.0])?;
        while let Some(r) = rows.next()? {
            let rule: Rule =
                serde_json::from_str(&r.get::<_, String>(0)?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            state.rules.push(rule);
        }
        Ok(state.into_ledger())
    }

    fn load_transaction(&mut self, book: BookId, id: TxId) -> Result<Option<Transaction>> {
        let tx = self.tx;
        let head = tx
            .query_row(
                "SELECT date, description, counterparty, tags, notes, external_id, status, category_source
                   FROM transactions WHERE id = ?1 AND book_id = ?2",
                [id.0, book.0],
                |r| {
                    Ok((
                        r.get::<_, Date>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Option<String>>(7)?,
                    ))
                },
            )
            .optional()?;
        let Some((date, description, counterparty, tags_column, notes, external_id, status, source)) = head else {
            return Ok(None);
        };
        let mut st = tx.prepare_cached(
            "SELECT leg, account_id, category_id, currency, amount_minor FROM postings WHERE tx_id = ?1 ORDER BY seq",
        )?;
        let mut rows = st.query([id.0])?;
        let mut postings = vec![];
        while let Some(r) = rows.next()? {
            let leg = leg_of(&r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)?;
            let cur = currency(&r.get::<_, String>(3)?)?;
            postings.push(Posting { leg, amount: Money::from_minor_units(r.get(4)?, cur) });
        }
        Ok(Some(Transaction {
            id,
            date,
            description,
            postings: Postings::new(postings)?,
            counterparty,
            tags: tags(tags_column)?,
            notes,
            external_id,
            status: status_of(&status),
            category_source: source.as_deref().and_then(CategorySource::parse),
        }))
    }

    fn append(
        &mut self,
        stream: &str,
        expected: i64,
        events: &[NewEvent],
        recorded_at: Timestamp,
    ) -> Result<Vec<RecordedEvent>> {
        let tx = self.tx;
        let new_version = expected + events.len() as i64;
        let stream_key: Option<i64> = if expected == 0 {
            let inserted = tx
                .prepare_cached("INSERT INTO streams (name, version) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING")?
                .execute(params![stream, new_version])?;
            (inserted == 1).then(|| tx.last_insert_rowid())
        } else {
            tx.prepare_cached("UPDATE streams SET version = ?1 WHERE name = ?2 AND version = ?3 RETURNING id")?
                .query_row(params![new_version, stream, expected], |r| r.get(0))
                .optional()?
        };
        let Some(stream_key) = stream_key else {
            let actual = stream_version(tx, stream)?;
            return Err(StoreError::Conflict { stream: stream.to_string(), expected, actual });
        };
        let mut st = tx.prepare_cached(
            "INSERT INTO events (stream, version, event_type, schema_version, data, actor, occurred_at, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let recorded = recorded_at.to_string();
        let mut out = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            let version = expected + 1 + i as i64;
            let data = e.event.data_json();
            st.execute(params![
                stream_key,
                version,
                e.event.type_name(),
                e.event.schema_version(),
                data,
                e.actor,
                e.occurred_at,
                recorded,
            ])?;
            out.push(RecordedEvent {
                position: tx.last_insert_rowid(),
                stream: stream.to_string(),
                version,
                meta: EventMeta { actor: e.actor.clone(), occurred_at: e.occurred_at, recorded_at },
                event: e.event.clone(),
            });
        }
        Ok(out)
    }

    fn project(&mut self, events: &[RecordedEvent]) -> Result<()> {
        projector::project(self, events)
    }
}

impl ProjectionReads for Uow<'_> {
    fn load_transaction(&mut self, book: BookId, id: TxId) -> Result<Option<Transaction>> {
        UnitOfWork::load_transaction(self, book, id)
    }
}

/// Row by row, each statement prepared once per connection and cached.
impl RowSink for Uow<'_> {
    fn apply(&mut self, op: RowOp<'_>) -> Result<()> {
        let tx = self.tx;
        match op {
            RowOp::InsertBook { book, opened: bk } => {
                let (kind, owner) = owner_parts(&bk.owner);
                tx.prepare_cached("INSERT INTO books (id, name, owner_kind, owner_id) VALUES (?1, ?2, ?3, ?4)")?
                    .execute(params![book.0, bk.name, kind, owner])?;
            }
            RowOp::InsertAccount { book, account: a } => {
                tx.prepare_cached(
                    "INSERT INTO accounts (id, book_id, name, kind, currency, iban, number, institution, location, opened_on)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?
                .execute(params![
                    a.id.0,
                    book.0,
                    a.name,
                    a.kind.as_str(),
                    a.currency.code(),
                    a.iban.as_ref().map(|i| i.as_str()),
                    a.number,
                    a.institution,
                    a.location,
                    a.opened_on
                ])?;
            }
            RowOp::InsertCategory { book, category: c } => {
                tx.prepare_cached("INSERT INTO categories (id, book_id, name, section) VALUES (?1, ?2, ?3, ?4)")?
                    .execute(params![c.id.0, book.0, c.name.as_str(), c.section.as_str()])?;
            }
            RowOp::InsertTransaction { book, tx: t, position } => {
                let tags = (!t.tags.is_empty()).then(|| serde_json::to_string(&t.tags).unwrap_or_default());
                tx.prepare_cached(
                    "INSERT INTO transactions (id, book_id, date, description, category_id, counterparty, tags, notes,
                                               external_id, status, is_transfer, position, category_source)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )?
                .execute(params![
                    t.id.0,
                    book.0,
                    t.date,
                    t.description,
                    t.postings.category().map(|c| c.0),
                    t.counterparty,
                    tags,
                    t.notes,
                    t.external_id,
                    t.status.as_str(),
                    t.postings.is_transfer(),
                    position,
                    t.category_source.map(|c| c.as_str())
                ])?;
                let mut st = tx.prepare_cached(
                    "INSERT INTO postings (tx_id, seq, book_id, date, leg, account_id, category_id, currency, amount_minor)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?;
                let mut register = tx.prepare_cached(
                    "INSERT INTO register (account_id, date, tx_id, seq, book_id, currency, amount_minor, description,
                                           category_id, counterparty, status, is_transfer)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )?;
                for (seq, p) in t.postings.as_slice().iter().enumerate() {
                    let (account, category) = leg_ids(&p.leg);
                    st.execute(params![
                        t.id.0,
                        seq as i64,
                        book.0,
                        t.date,
                        leg_name(&p.leg),
                        account,
                        category,
                        p.amount.currency.code(),
                        p.amount.minor_units()
                    ])?;
                    if account.is_some() {
                        register.execute(params![
                            account,
                            t.date,
                            t.id.0,
                            seq as i64,
                            book.0,
                            p.amount.currency.code(),
                            p.amount.minor_units(),
                            t.description,
                            t.postings.category().map(|c| c.0),
                            t.counterparty,
                            t.status.as_str(),
                            t.postings.is_transfer()
                        ])?;
                    }
                }
            }
            RowOp::UpdateCategory { tx_id, category, source } => {
                let cat = category.map(|c| c.0);
                let leg = if category.is_some() { "category" } else { "uncategorized" };
                tx.prepare_cached("UPDATE transactions SET category_id = ?1, category_source = ?2 WHERE id = ?3")?
                    .execute(params![cat, source.map(|s| s.as_str()), tx_id.0])?;
                tx.prepare_cached("DELETE FROM suggestions WHERE tx_id = ?1")?.execute([tx_id.0])?;
                tx.prepare_cached(
                    "UPDATE postings SET leg = ?1, category_id = ?2
                      WHERE tx_id = ?3 AND leg IN ('category', 'uncategorized')",
                )?
                .execute(params![leg, cat, tx_id.0])?;
                tx.prepare_cached(&format!(
                    "UPDATE register SET category_id = ?1 WHERE {}",
                    register_rows_of_tx("", "?2")
                ))?
                .execute(params![cat, tx_id.0])?;
            }
            RowOp::DeleteTransaction { tx_id } => {
                tx.prepare_cached(&format!("DELETE FROM register WHERE {}", register_rows_of_tx("", "?1")))?
                    .execute(params![tx_id.0])?;
                tx.prepare_cached("DELETE FROM postings WHERE tx_id = ?1")?.execute([tx_id.0])?;
                tx.prepare_cached("DELETE FROM transactions WHERE id = ?1")?.execute([tx_id.0])?;
                tx.prepare_cached("DELETE FROM suggestions WHERE tx_id = ?1")?.execute([tx_id.0])?;
                import::tombstone(tx, tx_id)?;
            }
            RowOp::Annotate { tx_id, counterparty, notes, tags, replace } => {
                let tags = (!tags.is_empty()).then(|| serde_json::to_string(tags).unwrap_or_default());
                tx.prepare_cached(if replace {
                    "UPDATE transactions SET counterparty = ?1, notes = ?2, tags = ?3 WHERE id = ?4"
                } else {
                    "UPDATE transactions SET counterparty = COALESCE(?1, counterparty), notes = COALESCE(?2, notes),
                                             tags = ?3 WHERE id = ?4"
                })?
                .execute(params![counterparty, notes, tags, tx_id.0])?;
                if counterparty.is_some() || replace {
                    tx.prepare_cached(&format!(
                        "UPDATE register SET counterparty = ?1 WHERE {}",
                        register_rows_of_tx("", "?2")
                    ))?
                    .execute(params![counterparty, tx_id.0])?;
                }
            }
            RowOp::UpsertSuggestion { book, suggested: Suggested { tx_id, category, confidence_permille } } => {
                tx.prepare_cached(
                    "INSERT INTO suggestions (tx_id, book_id, category_id, confidence_permille) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (tx_id) DO UPDATE SET category_id = excluded.category_id,
                                                      confidence_permille = excluded.confidence_permille",
                )?
                .execute(params![tx_id.0, book.0, category.0, confidence_permille])?;
            }
            RowOp::UpsertRule { book, rule } => {
                let data = serde_json::to_string(rule).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                tx.prepare_cached(
                    "INSERT INTO rules (book_id, id, position, data) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (book_id, id) DO UPDATE SET position = excluded.position, data = excluded.data",
                )?
                .execute(params![book.0, rule.id, rule.position, data])?;
            }
            RowOp::DeleteRule { book, rule_id } => {
                tx.prepare_cached("DELETE FROM rules WHERE book_id = ?1 AND id = ?2")?
                    .execute(params![book.0, rule_id])?;
            }
            RowOp::UpsertFxRates { book, rates } => reports::insert_fx(tx, book, rates)?,
            RowOp::MarkRecurring { book, series_id, op } => crate::recurring::sqlite_apply(tx, book, series_id, op)?,
            RowOp::InsertLoan { book, position, loan } => crate::loans::sqlite_insert(tx, book, position, loan)?,
            RowOp::InsertPlanEvent { book, position, event } => crate::plans::sqlite_insert(tx, book, position, event)?,
            RowOp::Portfolio { book, op } => crate::portfolio::sqlite_apply(tx, book, op)?,
            RowOp::Import(row) => import::apply(tx, row)?,
            RowOp::Access(op) => access::apply(tx, op)?,
            RowOp::Budget(changes) => budgets::apply(tx, &changes)?,
            RowOp::AddFlows(flows) => reports::flush_flows(tx, flows)?,
            RowOp::AddBalances(deltas) => flush_deltas(tx, deltas)?,
        }
        Ok(())
    }
}

/// Each touched (account, day) row and account balance becomes its new
/// total, computed and range-checked by `next_total`; a day whose changes
/// cancel out (a deletion) leaves no row, so the table is the same however
/// the events were batched.
fn flush_deltas(tx: &Connection, deltas: &BalanceDeltas) -> Result<()> {
    if deltas.is_empty() {
        return Ok(());
    }
    let mut read = tx.prepare_cached("SELECT delta_minor FROM daily_balances WHERE account_id = ?1 AND date = ?2")?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO daily_balances (account_id, date, delta_minor) VALUES (?1, ?2, ?3)
         ON CONFLICT (account_id, date) DO UPDATE SET delta_minor = excluded.delta_minor",
    )?;
    let mut delete = tx.prepare_cached("DELETE FROM daily_balances WHERE account_id = ?1 AND date = ?2")?;
    for ((acc, date), m) in &deltas.daily {
        let old = read.query_row(params![acc.0, date], |r| r.get::<_, i64>(0)).optional()?.unwrap_or(0);
        let old = Money::from_minor_units(old, m.currency);
        let (next, minor) = next_total(old, *m, Total::Day(*acc, *date), &mut |a| account_name(tx, a))?;
        if next.is_zero() {
            delete.execute(params![acc.0, date])?;
        } else {
            upsert.execute(params![acc.0, date, minor])?;
        }
    }
    let mut read = tx.prepare_cached("SELECT balance_minor FROM accounts WHERE id = ?1")?;
    let mut write = tx.prepare_cached("UPDATE accounts SET balance_minor = ?1 WHERE id = ?2")?;
    for (acc, m) in &deltas.totals {
        let old = Money::from_minor_units(read.query_row([acc.0], |r| r.get(0))?, m.currency);
        let (_, minor) = next_total(old, *m, Total::Balance(*acc), &mut |a| account_name(tx, a))?;
        write.execute(params![minor, acc.0])?;
    }
    Ok(())
}

/// An account's name, for a refusal that names it.
pub(super) fn account_name(conn: &Connection, id: AccountId) -> Result<String> {
    Ok(conn.prepare_cached("SELECT name FROM accounts WHERE id = ?1")?.query_row([id.0], |r| r.get(0))?)
}

const EVENT_COLUMNS: &str =
    "SELECT e.position, s.name, e.version, e.event_type, e.schema_version, e.data, e.actor, e.occurred_at, e.recorded_at
       FROM events e JOIN streams s ON s.id = e.stream";

fn read_log(conn: &Connection, after: i64, limit: usize) -> Result<Vec<RecordedEvent>> {
    let mut st = conn.prepare_cached(&format!("{EVENT_COLUMNS} WHERE e.position > ?1 ORDER BY e.position LIMIT ?2"))?;
    let rows = st.query_map(params![after, limit as i64], event_row)?;
    rows.map(|r| r?).collect()
}

fn stream_version(conn: &Connection, stream: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT version FROM streams WHERE name = ?1")?
        .query_row([stream], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Reads one events row; decoding errors surface as `Corrupt`, not panics.
fn event_row(r: &Row<'_>) -> rusqlite::Result<Result<RecordedEvent>> {
    let event_type: String = r.get(3)?;
    let schema_version: u32 = r.get(4)?;
    let data: String = r.get(5)?;
    let recorded: String = r.get(8)?;
    let (position, stream, version, actor, occurred_at) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(6)?, r.get(7)?);
    Ok((|| {
        let event = decode_event(position, &event_type, schema_version, &data)?;
        let recorded_at = recorded.parse::<Timestamp>().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(RecordedEvent { position, stream, version, meta: EventMeta { actor, occurred_at, recorded_at }, event })
    })())
}

pub(crate) fn suggestion(category: Option<String>, permille: Option<i64>) -> Option<Suggestion> {
    Some(Suggestion { category: category?, confidence: permille? as f64 / 1000.0 })
}

fn blob(id: Uuid) -> Value {
    Value::Blob(id.as_bytes().to_vec())
}

fn leg_ids(leg: &Leg) -> (Option<Uuid>, Option<Uuid>) {
    match leg {
        Leg::Account(a) => (Some(a.0), None),
        Leg::Category(c) => (None, Some(c.0)),
        Leg::Uncategorized | Leg::Conversion => (None, None),
    }
}

fn leg_of(name: &str, account: Option<Uuid>, category: Option<Uuid>) -> Result<Leg> {
    Ok(match (name, account, category) {
        ("account", Some(a), _) => Leg::Account(AccountId(a)),
        ("category", _, Some(c)) => Leg::Category(CategoryId(c)),
        ("uncategorized", _, _) => Leg::Uncategorized,
        ("conversion", _, _) => Leg::Conversion,
        (other, _, _) => return Err(StoreError::Corrupt(format!("posting leg '{other}'"))),
    })
}

pub(crate) fn owner_parts(owner: &Owner) -> (&'static str, Option<Uuid>) {
    match owner {
        Owner::Local => ("local", None),
        Owner::User(u) => ("user", Some(u.0)),
        Owner::Organisation(o) => ("organisation", Some(o.0)),
    }
}

pub(crate) fn owner_from(kind: &str, id: Option<Uuid>) -> Result<Owner> {
    Ok(match (kind, id) {
        ("local", _) => Owner::Local,
        ("user", Some(id)) => Owner::User(kassa_core::UserId(id)),
        ("organisation", Some(id)) => Owner::Organisation(kassa_core::OrgId(id)),
        _ => return Err(StoreError::Corrupt(format!("book owner {kind}"))),
    })
}

pub(crate) fn status_of(s: &str) -> Status {
    if s == "pending" { Status::Pending } else { Status::Booked }
}

pub(crate) fn currency(s: &str) -> Result<Currency> {
    Currency::parse(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn parse_field<T: std::str::FromStr>(s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| StoreError::Corrupt(e.to_string()))
}

/// What [`wide_sum`] splits each value at.
const WIDE: i64 = 1_000_000_000;

/// `SUM(expr)` as two sums that cannot overflow 64 bits: of `expr / 10^9`
/// and of `expr % 10^9`, to be joined by [`wide_total`]. SQLite's own SUM
/// stops with "integer overflow" once a sum passes 2^63 — two totals near
/// the edge of their range, or a few dozen amounts near kassa's limit. Every
/// stored value is below 2^63, so each part of a row is below 10^10 in size
/// and a part's sum overflows only past 9 × 10^8 rows, more than any one
/// account or month holds.
pub(crate) fn wide_sum(expr: &str) -> String {
    format!("COALESCE(SUM(({expr}) / {WIDE}), 0), COALESCE(SUM(({expr}) % {WIDE}), 0)")
}

/// The exact sum of a [`wide_sum`]'s two columns.
pub(crate) fn wide_total(high: i64, low: i64) -> i128 {
    i128::from(high) * i128::from(WIDE) + i128::from(low)
}

pub(crate) fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A transaction's `tags` column (a JSON array, NULL when empty).
fn tags(column: Option<String>) -> Result<Vec<String>> {
    Ok(column
        .map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?
        .unwrap_or_default())
}
