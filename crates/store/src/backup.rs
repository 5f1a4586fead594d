//! kassa's own backup archive (issue 19): the event log exactly as it is
//! stored, which `restore` replays into an empty database of either
//! backend. The log is the truth; every projection is rebuilt from it.
//!
//! The archive is JSON lines, so it streams both ways and any tool reads it:
//!
//! 1. a header, `{"format":"kassa-backup","version":1,"backend":…,"created_at":…}`;
//! 2. one `{"event":{…}}` line per events row, in position order, with every
//!    column as stored: position, stream, version, type, schema version, the
//!    data text, actor, occurred_at, recorded_at;
//! 3. a manifest, `{"manifest":{"events":…,"streams":…,"last_position":…,"sha256":…}}`,
//!    whose SHA-256 covers every byte before it.
//!
//! Not in it: the projections (rebuilt), the categoriser models (a cache,
//! trained again from the history), and the state server processes share
//! (login limits, idempotent replies, the web import stash), all of which
//! are short-lived. A restore checks the checksum before it writes anything,
//! writes in one transaction, and compares the projections it folded batch
//! by batch with a fresh replay of the whole log before it commits.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};

use jiff::Timestamp;
use jiff::civil::Date;
use kassa_core::RecordedEvent;
use kassa_core::event::EventMeta;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::projection::{PROJECTIONS, decode_event};
use crate::types::{Backend, RebuildStats};

/// The first field of every archive's header.
pub const FORMAT: &str = "kassa-backup";
/// The archive layout this code writes and the newest it reads.
pub const VERSION: u32 = 1;
/// Events read per round trip while backing up, and the most inserted at once.
const PAGE: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// The backend the archive was taken from; it restores into either.
    pub backend: String,
    pub created_at: Timestamp,
}

/// One row of the `events` table as stored. `data` is the stored JSON text
/// (PostgreSQL keeps JSONB, so its text is JSONB's rendering).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    pub position: i64,
    pub stream: String,
    pub version: i64,
    pub event_type: String,
    pub schema_version: u32,
    pub data: String,
    pub actor: String,
    pub occurred_at: Date,
    pub recorded_at: Timestamp,
}

/// The archive's last line: what it holds and the checksum of the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub events: u64,
    pub streams: u64,
    /// 0 for an empty log.
    pub last_position: i64,
    /// SHA-256, lowercase hex, of every byte before the manifest line.
    pub sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Event(RawEvent),
    Manifest(Manifest),
}

/// What a restore wrote and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Restored {
    pub events: u64,
    pub streams: u64,
    pub transactions: u64,
    /// Projection tables found equal to a fresh replay.
    pub projections: usize,
}

/// An archive a restore reads twice: once to check it, once to write it.
pub trait Archive: Read + Seek {}
impl<T: Read + Seek> Archive for T {}

/// The log as a backend reads it inside the backup's one read transaction.
pub(crate) trait RawLog {
    /// The rows after `after`, at most `limit`, in position order.
    fn raw_events(&mut self, after: i64, limit: usize) -> Result<Vec<RawEvent>>;
}

/// What a backend does for a restore inside its one write transaction.
pub(crate) trait RestoreUnit {
    /// How many events the target already holds.
    fn logged_events(&mut self) -> Result<i64>;
    /// Inserts the rows as they are (positions included) with their streams.
    fn insert(&mut self, rows: &[RawEvent]) -> Result<()>;
    /// Folds events into the projections, as a write does.
    fn project(&mut self, events: &[RecordedEvent]) -> Result<()>;
    /// Sets each stream's version, and on PostgreSQL moves the position
    /// sequence past `last_position`, so the next append continues the log.
    fn finish_log(&mut self, streams: &BTreeMap<String, i64>, last_position: i64) -> Result<()>;
    /// Empties the projections and replays the whole log (what `rebuild` does).
    fn replay_all(&mut self, progress: &mut dyn FnMut(u64, u64)) -> Result<RebuildStats>;
    /// Every projection row in a canonical form of the backend's, table by
    /// table in key order (the rows `projection_dump` lists).
    fn dump(&mut self, sink: &mut dyn FnMut(&str, &[u8])) -> Result<()>;
}

fn archive_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Archive(e.to_string())
}

/// A writer that hashes what passes through it.
struct Hashing<'a> {
    out: &'a mut dyn Write,
    sha: Sha256,
}

impl Hashing<'_> {
    fn line(&mut self, value: &impl Serialize) -> Result<()> {
        let mut text = serde_json::to_vec(value).map_err(archive_error)?;
        text.push(b'\n');
        self.sha.update(&text);
        self.out.write_all(&text).map_err(|e| archive_error(format!("cannot write: {e}")))
    }
}

/// Writes the whole log as an archive. The caller holds one read
/// transaction around it, so the archive is one consistent state of the log.
pub(crate) fn write(log: &mut dyn RawLog, backend: Backend, out: &mut dyn Write) -> Result<Manifest> {
    let mut hashing = Hashing { out, sha: Sha256::new() };
    let backend = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    hashing.line(&Header {
        format: FORMAT.into(),
        version: VERSION,
        backend: backend.into(),
        created_at: crate::unit::clock().0,
    })?;
    let mut streams = HashSet::new();
    let (mut events, mut last_position) = (0u64, 0i64);
    loop {
        let page = log.raw_events(last_position, PAGE)?;
        let Some(last) = page.last() else { break };
        last_position = last.position;
        events += page.len() as u64;
        for row in page {
            if !streams.contains(&row.stream) {
                streams.insert(row.stream.clone());
            }
            hashing.line(&Line::Event(row))?;
        }
    }
    let Hashing { out, sha } = hashing;
    let manifest =
        Manifest { events, streams: streams.len() as u64, last_position, sha256: hex::encode(sha.finalize()) };
    let mut text = serde_json::to_vec(&Line::Manifest(manifest.clone())).map_err(archive_error)?;
    text.push(b'\n');
    out.write_all(&text).and_then(|()| out.flush()).map_err(|e| archive_error(format!("cannot write: {e}")))?;
    Ok(manifest)
}

/// Reads one line, `\n` included; empty at the end.
fn next_line(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> Result<usize> {
    buf.clear();
    r.read_until(b'\n', buf).map_err(|e| archive_error(format!("cannot read: {e}")))
}

/// Checks an archive without writing anything: its last line is a manifest,
/// the SHA-256 of everything before it matches, the header is one this code
/// reads, and the manifest's counts are what the lines hold. The checksum is
/// judged before anything else is believed, so a damaged byte anywhere is
/// reported as damage.
pub fn verify(archive: &mut dyn Read) -> Result<(Header, Manifest)> {
    let mut r = BufReader::with_capacity(1 << 16, archive);
    let mut sha = Sha256::new();
    let (mut first, mut previous, mut buf) = (None::<Vec<u8>>, None::<Vec<u8>>, Vec::new());
    let mut lines = 0u64;
    let mut streams = HashSet::new();
    let (mut events, mut last_position, mut unreadable) = (0u64, 0i64, None::<String>);
    while next_line(&mut r, &mut buf)? > 0 {
        if let Some(p) = previous.take() {
            sha.update(&p);
            if first.is_none() {
                first = Some(p);
            } else {
                match serde_json::from_slice::<Line>(&p) {
                    Ok(Line::Event(row)) => {
                        events += 1;
                        last_position = row.position;
                        streams.insert(row.stream);
                    }
                    Ok(Line::Manifest(_)) => {
                        unreadable = unreadable.or(Some(format!("line {}: a second manifest", lines)))
                    }
                    Err(e) => unreadable = unreadable.or(Some(format!("line {lines}: {e}"))),
                }
            }
        }
        previous = Some(std::mem::take(&mut buf));
        lines += 1;
    }
    let last = previous.unwrap_or_default();
    let manifest = match (last.ends_with(b"\n"), serde_json::from_slice::<Line>(&last)) {
        (true, Ok(Line::Manifest(m))) if lines >= 2 => m,
        _ => {
            return Err(archive_error(format!(
                "truncated or damaged: its last line (line {lines}) is not a manifest — the archive was cut short \
                 or is not a kassa backup"
            )));
        }
    };
    let actual = hex::encode(sha.finalize());
    if actual != manifest.sha256 {
        return Err(archive_error(format!(
            "checksum mismatch: the manifest says sha256 {} but the contents hash to {actual} — the archive is damaged",
            manifest.sha256
        )));
    }
    let header = header(first.as_deref().unwrap_or_default())?;
    if let Some(e) = unreadable {
        return Err(archive_error(e));
    }
    let held = (events, streams.len() as u64, last_position);
    if held != (manifest.events, manifest.streams, manifest.last_position) {
        return Err(archive_error(format!(
            "the manifest counts {} events in {} streams up to position {}, but the archive holds {} in {} up to {}",
            manifest.events, manifest.streams, manifest.last_position, held.0, held.1, held.2
        )));
    }
    Ok((header, manifest))
}

fn header(line: &[u8]) -> Result<Header> {
    let header: Header =
        serde_json::from_slice(line).map_err(|e| archive_error(format!("line 1 is not a kassa backup header: {e}")))?;
    if header.format != FORMAT {
        return Err(archive_error(format!("line 1: format {:?} is not {FORMAT:?}", header.format)));
    }
    if header.version > VERSION {
        return Err(archive_error(format!(
            "line 1: archive version {} is newer than this kassa reads ({VERSION}); upgrade kassa",
            header.version
        )));
    }
    Ok(header)
}

/// Restores a verified archive into the open transaction of `unit`: refuses a
/// target that holds events, inserts the rows as they were written (a batch
/// per original write: one stream, one `recorded_at`) and folds each into the
/// projections, then replays the whole log into emptied projections and
/// fails unless both folds agree, table by table. The caller commits.
pub(crate) fn restore(
    unit: &mut dyn RestoreUnit,
    archive: &mut dyn Archive,
    manifest: &Manifest,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Restored> {
    let held = unit.logged_events()?;
    if held > 0 {
        return Err(StoreError::NotEmpty(held));
    }
    archive.seek(SeekFrom::Start(0)).map_err(|e| archive_error(format!("cannot read: {e}")))?;
    let mut r = BufReader::with_capacity(1 << 16, archive);
    let mut sha = Sha256::new();
    let mut buf = Vec::new();
    next_line(&mut r, &mut buf)?;
    sha.update(&buf);
    header(&buf)?;
    let mut streams: BTreeMap<String, i64> = BTreeMap::new();
    let (mut batch, mut last_position, mut events) = (Vec::<RawEvent>::new(), 0i64, 0u64);
    let mut line_no = 1u64;
    loop {
        line_no += 1;
        if next_line(&mut r, &mut buf)? == 0 {
            return Err(archive_error(format!("line {line_no}: the archive changed while it was restored")));
        }
        let row = match serde_json::from_slice::<Line>(&buf) {
            Ok(Line::Event(row)) => row,
            Ok(Line::Manifest(_)) => break,
            Err(e) => return Err(archive_error(format!("line {line_no}: {e}"))),
        };
        sha.update(&buf);
        let version = streams.entry(row.stream.clone()).or_insert(0);
        if row.position <= last_position || row.version != *version + 1 {
            return Err(archive_error(format!(
                "line {line_no}: event at position {} (version {} of {}) does not follow position {last_position} \
                 (version {version})",
                row.position, row.version, row.stream
            )));
        }
        *version = row.version;
        last_position = row.position;
        let same_write = batch.last().is_none_or(|b| b.stream == row.stream && b.recorded_at == row.recorded_at);
        if !same_write || batch.len() >= PAGE {
            events += flush(unit, &mut batch)?;
            progress(events, manifest.events);
        }
        batch.push(row);
    }
    events += flush(unit, &mut batch)?;
    progress(events, manifest.events);
    if hex::encode(sha.finalize()) != manifest.sha256 || events != manifest.events {
        return Err(archive_error("the archive changed while it was restored"));
    }
    unit.finish_log(&streams, last_position)?;
    let folded = digest(unit)?;
    let stats = unit.replay_all(&mut |_, _| {})?;
    let replayed = digest(unit)?;
    for (table, _) in PROJECTIONS {
        let (was, now) = (folded.get(table), replayed.get(table));
        if was != now {
            let rows = |d: Option<&(u64, String)>| d.map_or(0, |(n, _)| *n);
            return Err(StoreError::Corrupt(format!(
                "after the restore, projection {table} ({} rows) differs from a fresh replay of the log ({} rows); \
                 nothing was restored",
                rows(was),
                rows(now)
            )));
        }
    }
    Ok(Restored {
        events,
        streams: streams.len() as u64,
        transactions: stats.transactions,
        projections: PROJECTIONS.len(),
    })
}

/// Inserts and projects one batch; returns its size.
fn flush(unit: &mut dyn RestoreUnit, batch: &mut Vec<RawEvent>) -> Result<u64> {
    if batch.is_empty() {
        return Ok(0);
    }
    unit.insert(batch)?;
    let decoded = batch.drain(..).map(recorded).collect::<Result<Vec<_>>>()?;
    unit.project(&decoded)?;
    Ok(decoded.len() as u64)
}

fn recorded(row: RawEvent) -> Result<RecordedEvent> {
    let event = decode_event(row.position, &row.event_type, row.schema_version, &row.data)?;
    Ok(RecordedEvent {
        position: row.position,
        stream: row.stream,
        version: row.version,
        meta: EventMeta { actor: row.actor, occurred_at: row.occurred_at, recorded_at: row.recorded_at },
        event,
    })
}

/// Rows and SHA-256 per projection table: two folds agree when these do,
/// without holding a dump of every table in memory.
fn digest(unit: &mut dyn RestoreUnit) -> Result<BTreeMap<String, (u64, String)>> {
    let mut sums: BTreeMap<String, (u64, Sha256)> = BTreeMap::new();
    unit.dump(&mut |table, row| {
        let (rows, sha) = sums.entry(table.to_string()).or_insert_with(|| (0, Sha256::new()));
        *rows += 1;
        sha.update((row.len() as u64).to_le_bytes());
        sha.update(row);
    })?;
    Ok(sums.into_iter().map(|(t, (rows, sha))| (t, (rows, hex::encode(sha.finalize())))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rows(Vec<RawEvent>);

    impl RawLog for Rows {
        fn raw_events(&mut self, after: i64, limit: usize) -> Result<Vec<RawEvent>> {
            Ok(self.0.iter().filter(|e| e.position > after).take(limit).cloned().collect())
        }
    }

    fn row(position: i64, stream: &str, version: i64) -> RawEvent {
        RawEvent {
            position,
            stream: stream.into(),
            version,
            event_type: "book_opened".into(),
            schema_version: 1,
            data: r#"{"x": "é"}"#.into(),
            actor: "cli".into(),
            occurred_at: jiff::civil::date(2024, 1, 2),
            recorded_at: "2026-12-06T20:00:00.123456Z".parse().unwrap(),
        }
    }

    fn archive(rows: Vec<RawEvent>) -> (Vec<u8>, Manifest) {
        let mut out = vec![];
        let m = write(&mut Rows(rows), Backend::Sqlite, &mut out).unwrap();
        (out, m)
    }

    #[test]
    fn an_archive_verifies_and_counts_what_it_holds() {
        let (bytes, m) = archive(vec![row(1, "a", 1), row(2, "b", 1), row(5, "a", 2)]);
        assert_eq!((m.events, m.streams, m.last_position), (3, 2, 5));
        let (h, read) = verify(&mut bytes.as_slice()).unwrap();
        assert_eq!((h.format.as_str(), h.version, read), (FORMAT, VERSION, m));
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.lines().count(), 5);
        assert!(text.lines().nth(1).unwrap().contains(r#""data":"{\"x\": \"é\"}""#), "{text}");
    }

    #[test]
    fn every_flipped_byte_and_every_cut_is_refused() {
        let (bytes, _) = archive(vec![row(1, "a", 1), row(2, "a", 2)]);
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(verify(&mut bad.as_slice()).is_err(), "byte {i} flipped was accepted");
        }
        for len in 0..bytes.len() {
            let e = verify(&mut &bytes[..len]).unwrap_err().to_string();
            assert!(e.contains("truncated") || e.contains("checksum"), "{len}: {e}");
        }
    }
}
