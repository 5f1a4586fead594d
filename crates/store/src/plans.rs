//! The `plan_events` projection on both backends (migration 0016): the
//! book's bucket and goal events (`bucket_set`, `bucket_moved`,
//! `bucket_assigned`, `goal_set`) as stored, by log position, so what
//! folds them (`kassa_core::bucket::Buckets`, `kassa_core::goal::goals`)
//! reads those few events instead of replaying the book's whole log. They
//! are decoded through the one upcasting point, `decode_event`, like the log.

use kassa_core::{BookId, Event};

use crate::error::Result;
use crate::projection::decode_event;

const INSERT: &str =
    "INSERT INTO plan_events (book_id, position, event_type, schema_version, data) VALUES (?1, ?2, ?3, ?4, ?5)";
const ROWS: &str =
    "SELECT position, event_type, schema_version, DATA FROM plan_events WHERE book_id = ?1 ORDER BY position";

pub(crate) fn sqlite_insert(tx: &rusqlite::Connection, book: BookId, position: i64, event: &Event) -> Result<()> {
    tx.prepare_cached(INSERT)?.execute(rusqlite::params![
        book.0,
        position,
        event.type_name(),
        event.schema_version(),
        event.data_json()
    ])?;
    Ok(())
}

pub(crate) fn sqlite_rows(conn: &rusqlite::Connection, book: BookId) -> Result<Vec<Event>> {
    let mut st = conn.prepare_cached(&ROWS.replace("DATA", "data"))?;
    let mut rows = st.query([book.0])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let (position, event_type, version, data): (i64, String, u32, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        out.push(decode_event(position, &event_type, version, &data)?);
    }
    Ok(out)
}

pub(crate) fn pg_insert(tx: &mut postgres::Client, book: BookId, position: i64, event: &Event) -> Result<()> {
    let version = i32::try_from(event.schema_version()).unwrap_or(i32::MAX);
    let data: serde_json::Value =
        serde_json::from_str(&event.data_json()).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
    tx.execute(&INSERT.replace('?', "$"), &[&book.0, &position, &event.type_name(), &version, &data])?;
    Ok(())
}

pub(crate) fn pg_rows(conn: &mut postgres::Client, book: BookId) -> Result<Vec<Event>> {
    conn.query(&ROWS.replace("DATA", "data::text").replace('?', "$"), &[&book.0])?
        .iter()
        .map(|r| {
            let version: i32 = r.get(2);
            decode_event(r.get(0), r.get(1), u32::try_from(version).unwrap_or(0), r.get(3))
        })
        .collect()
}
