//! The write path shared by both backends: one unit of work per `execute`,
//! with the backend supplying the SQL and the core supplying the decisions.

use jiff::Timestamp;
use jiff::civil::Date;
use kassa_core::event::book_stream;
use kassa_core::{BookId, Command, Ledger, RecordedEvent, Transaction, TxId};

use crate::error::{Result, StoreError};
use crate::types::{NewEvent, RebuildStats};

/// What a backend does inside one open database transaction.
pub(crate) trait UnitOfWork {
    /// The stream's current version; 0 when it has no events.
    fn stream_version(&mut self, stream: &str) -> Result<i64>;
    /// Book, accounts and categories, from the projections.
    fn load_ledger(&mut self, book: BookId) -> Result<Ledger>;
    fn load_transaction(&mut self, book: BookId, tx: TxId) -> Result<Option<Transaction>>;
    /// Appends after checking (and bumping) the stream version.
    fn append(
        &mut self,
        stream: &str,
        expected: i64,
        events: &[NewEvent],
        recorded_at: Timestamp,
    ) -> Result<Vec<RecordedEvent>>;
    /// Folds events into the projections.
    fn project(&mut self, events: &[RecordedEvent]) -> Result<()>;
}

/// Events read per round trip during rebuild: large enough to amortise the
/// query, small enough to keep memory flat on a multi-million event log.
const REBUILD_PAGE: usize = 20_000;

/// A unit of work that can also page through the whole log, for rebuild.
pub(crate) trait ReplayUnit: UnitOfWork {
    /// The log after `after_position`, at most `limit` events.
    fn read_log(&mut self, after_position: i64, limit: usize) -> Result<Vec<RecordedEvent>>;
}

/// The part of `rebuild` both backends share, once the projections are
/// empty: the whole log, page by page, through the same `project` as every
/// write, reporting (events so far, `total`) after each page.
pub(crate) fn replay(uow: &mut dyn ReplayUnit, total: u64, progress: &mut dyn FnMut(u64, u64)) -> Result<RebuildStats> {
    let mut stats = RebuildStats::default();
    let mut after = 0;
    loop {
        let page = uow.read_log(after, REBUILD_PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.position;
        stats.count(&page);
        uow.project(&page)?;
        progress(stats.events, total);
    }
    Ok(stats)
}

/// Loads state, decides, appends, projects. The caller commits.
pub(crate) fn execute(
    uow: &mut dyn UnitOfWork,
    book: BookId,
    actor: &str,
    cmds: &[Command],
) -> Result<Vec<RecordedEvent>> {
    let stream = book_stream(book);
    let version = uow.stream_version(&stream)?;
    let mut ledger = if version == 0 { Ledger::new() } else { uow.load_ledger(book)? };
    for id in cmds.iter().filter_map(Command::referenced_transaction) {
        if let Some(tx) = uow.load_transaction(book, id)? {
            ledger.insert_loaded_transaction(tx);
        }
    }
    let events = ledger.execute(cmds)?;
    if events.is_empty() {
        return Ok(vec![]);
    }
    let (now, today) = clock();
    let new: Vec<NewEvent> = events
        .into_iter()
        .map(|event| NewEvent { occurred_at: event.business_date().unwrap_or(today), event, actor: actor.to_string() })
        .collect();
    let recorded = uow.append(&stream, version, &new, now)?;
    uow.project(&recorded)?;
    Ok(recorded)
}

/// Runs `attempt` again when another writer appended to the stream between
/// our read of its version and our append: the new state is decided afresh.
pub(crate) fn with_retry<T>(mut attempt: impl FnMut() -> Result<T>) -> Result<T> {
    let mut tries = 0;
    loop {
        match attempt() {
            Err(StoreError::Conflict { .. }) if tries < 8 => tries += 1,
            other => return other,
        }
    }
}

/// The store is an edge, so it may read the clock. Timestamps are cut to
/// microseconds, the precision PostgreSQL keeps, so both backends read back
/// exactly what they wrote.
pub(crate) fn clock() -> (Timestamp, Date) {
    let now = Timestamp::now();
    let micros = now.as_microsecond();
    let now = Timestamp::from_microsecond(micros).unwrap_or(now);
    let today = now.to_zoned(jiff::tz::TimeZone::system()).date();
    (now, today)
}

/// A unit of work that can also answer the import matcher's lookups.
pub(crate) trait ImportUnit: UnitOfWork + crate::import::ImportLookup {}
impl<T: UnitOfWork + crate::import::ImportLookup> ImportUnit for T {}

/// One import in one open database transaction, fed chunk by chunk: each
/// chunk is decided against the ledger (which then forgets the chunk's
/// transactions, so memory stays flat), appended and projected. The caller
/// commits when `feed.commit()` says so, else rolls back.
pub(crate) fn import(
    uow: &mut dyn ImportUnit,
    book: BookId,
    actor: &str,
    feed: &mut dyn crate::import::ImportFeed,
) -> Result<u64> {
    let stream = book_stream(book);
    let mut version = uow.stream_version(&stream)?;
    let mut ledger = if version == 0 { Ledger::new() } else { uow.load_ledger(book)? };
    let mut appended = 0u64;
    let (now, today) = clock();
    while let Some(cmds) = feed.next_chunk(&ledger, uow)? {
        for id in cmds.iter().filter_map(Command::referenced_transaction) {
            if let Some(tx) = uow.load_transaction(book, id)? {
                ledger.insert_loaded_transaction(tx);
            }
        }
        let events = ledger.execute(&cmds)?;
        ledger.forget_transactions();
        if events.is_empty() {
            continue;
        }
        let new: Vec<NewEvent> = events
            .into_iter()
            .map(|event| NewEvent {
                occurred_at: event.business_date().unwrap_or(today),
                event,
                actor: actor.to_string(),
            })
            .collect();
        let recorded = uow.append(&stream, version, &new, now)?;
        version += recorded.len() as i64;
        appended += recorded.len() as u64;
        uow.project(&recorded)?;
    }
    Ok(appended)
}
