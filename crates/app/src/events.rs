//! The audit trail (`/events`, `GET /api/v1/events`): pages of the event
//! log, newest first, filtered by book or stream, type, actor and day, with
//! each event's readable diff. A caller sees the streams of the books they
//! may read (their ledger and their access list); a platform admin sees
//! every stream.

use std::collections::HashMap;

use kassa_core::access::{BookRole, acl_stream};
use kassa_core::event::book_stream;
use kassa_core::event::diff::{Change, diff, redacted};
use kassa_core::{BookId, RecordedEvent};
use kassa_store::access::EventLogQuery;
use serde::{Deserialize, Serialize};

use super::{Actor, App, AppError, AppResult, dates};

/// The filters of an event-log page, as the API and the web take them.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct EventFilter {
    /// A book id: its ledger and access-list streams
    pub book: Option<uuid::Uuid>,
    /// One stream by name, e.g. `book-<id>`
    pub stream: Option<String>,
    /// An event type, e.g. `transaction_recategorized`
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Who caused it, e.g. `user:<id>`
    pub actor: Option<String>,
    /// Recorded on or after this day (UTC): YYYY-MM-DD, YYYY-MM or YYYY
    pub from: Option<String>,
    /// Recorded on or before this day (UTC): YYYY-MM-DD, YYYY-MM or YYYY
    pub to: Option<String>,
    /// From a page's `next_cursor`: the older events after it
    pub cursor: Option<String>,
    /// From a page's `prev_cursor`: the newer events before it
    pub newer: Option<String>,
    /// Page size, 1..=1000 (default 100)
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventView {
    pub position: i64,
    pub stream: String,
    pub version: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub schema_version: u32,
    pub data: serde_json::Value,
    pub actor: String,
    pub occurred_at: String,
    pub recorded_at: String,
    /// What it changed: each field with its value before (absent when the
    /// event created it) and after
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub diff: Vec<Change>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamView {
    pub stream: String,
    /// `book`, `book-acl`, `user`, `token`, `org`
    #[serde(rename = "type")]
    pub stream_type: String,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventPage {
    /// Newest first
    pub items: Vec<EventView>,
    /// Pass as `cursor` for the older events; absent on the last page
    pub next_cursor: Option<String>,
    /// Pass as `newer` for the newer events; absent on the first page
    pub prev_cursor: Option<String>,
}

/// A stream's kind: its name without the id it ends in.
pub fn stream_type(stream: &str) -> &str {
    // `get`, not indexing: a name with multibyte characters must not panic.
    let cut = stream.len().saturating_sub(37);
    match (stream.get(..cut), stream.get(cut..)) {
        (Some(kind), Some(id))
            if !kind.is_empty() && id.starts_with('-') && uuid::Uuid::parse_str(&id[1..]).is_ok() =>
        {
            kind
        }
        _ => stream,
    }
}

impl App {
    /// The streams `actor` may read the events of; `None` is every stream.
    fn readable_streams(&self, actor: &Actor) -> AppResult<Option<Vec<String>>> {
        if actor.platform_admin {
            return Ok(None);
        }
        let mut out = vec![];
        for b in self.store.books()? {
            if self.access(actor, b.id).is_ok_and(|a| a.require(BookRole::Viewer).is_ok()) {
                out.extend([book_stream(b.id), acl_stream(b.id)]);
            }
        }
        Ok(Some(out))
    }

    /// The streams the filter asks for, within what `actor` may read: a
    /// book or a stream it may not read is "not found", as everywhere.
    fn filtered_streams(&self, actor: &Actor, f: &EventFilter) -> AppResult<Option<Vec<String>>> {
        let mut streams = match f.book {
            Some(book) => {
                self.access(actor, BookId(book))?.require(BookRole::Viewer)?;
                Some(vec![book_stream(BookId(book)), acl_stream(BookId(book))])
            }
            None => self.readable_streams(actor)?,
        };
        if let Some(s) = f.stream.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            if streams.as_ref().is_some_and(|all| !all.iter().any(|a| a == s)) {
                return Err(AppError::NotFound("stream".into()));
            }
            streams = Some(vec![s.to_string()]);
        }
        Ok(streams)
    }

    /// The streams of the event-log view with their type and version.
    pub fn event_streams(&self, actor: &Actor) -> AppResult<Vec<StreamView>> {
        let names = self.readable_streams(actor)?;
        Ok(self
            .store
            .stream_versions(names.as_deref())?
            .into_iter()
            .map(|(stream, version)| StreamView { stream_type: stream_type(&stream).to_string(), stream, version })
            .collect())
    }

    /// One page of the audit trail.
    pub fn events(&self, actor: &Actor, f: &EventFilter) -> AppResult<EventPage> {
        let limit = f.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 1000"));
        }
        let position = |field: &str, c: &Option<String>| {
            c.as_deref()
                .map(|c| {
                    c.parse::<i64>()
                        .ok()
                        .filter(|p| *p > 0)
                        .ok_or_else(|| AppError::invalid(field, "not a cursor from this API"))
                })
                .transpose()
        };
        let day = |field: &str, s: &Option<String>, read: fn(&str) -> Result<jiff::civil::Date, String>| {
            s.as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| read(s).map_err(|e| AppError::invalid(field, e)))
                .transpose()
        };
        let text = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        let q = EventLogQuery {
            streams: self.filtered_streams(actor, f)?,
            event_type: text(&f.event_type),
            actor: text(&f.actor),
            from: day("from", &f.from, dates::start)?,
            to: day("to", &f.to, dates::end)?,
            before: position("cursor", &f.cursor)?,
            after: position("newer", &f.newer)?,
            limit: limit as usize + 1,
        };
        if let (Some(from), Some(to)) = (q.from, q.to)
            && from > to
        {
            return Err(AppError::invalid("to", "must not be before from"));
        }
        let mut rows = self.store.event_log(&q)?;
        let more = rows.len() > limit as usize;
        if more {
            // The extra row is the oldest in `before` order, the newest in `after` order.
            if q.after.is_some() {
                rows.remove(0);
            } else {
                rows.pop();
            }
        }
        let items = self.with_diffs(rows)?;
        let (first, last) = (items.first().map(|e| e.position), items.last().map(|e| e.position));
        let (older, newer) = if q.after.is_some() { (true, more) } else { (more, q.before.is_some()) };
        Ok(EventPage {
            next_cursor: last.filter(|_| older).map(|p| p.to_string()),
            prev_cursor: first.filter(|_| newer).map(|p| p.to_string()),
            items,
        })
    }

    /// Each event with its diff against the earlier events of its stream,
    /// each stream read once, up to the newest version on the page.
    fn with_diffs(&self, rows: Vec<RecordedEvent>) -> AppResult<Vec<EventView>> {
        let mut newest: HashMap<&str, i64> = HashMap::new();
        for r in &rows {
            let v = newest.entry(r.stream.as_str()).or_default();
            *v = (*v).max(r.version);
        }
        let mut history = HashMap::new();
        for (stream, version) in newest {
            let events: Vec<_> =
                self.store.read_stream_page(stream, 0, version as usize)?.into_iter().map(|e| e.event).collect();
            history.insert(stream.to_string(), events);
        }
        Ok(rows
            .iter()
            .map(|e| {
                let earlier = &history[&e.stream][..(e.version - 1) as usize];
                EventView {
                    position: e.position,
                    stream: e.stream.clone(),
                    version: e.version,
                    event_type: e.event.type_name().into(),
                    schema_version: e.event.schema_version(),
                    data: redacted(e.event.data()),
                    actor: e.meta.actor.clone(),
                    occurred_at: e.meta.occurred_at.to_string(),
                    recorded_at: e.meta.recorded_at.to_string(),
                    diff: diff(earlier, &e.event),
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::stream_type;

    #[test]
    fn a_stream_type_is_its_name_without_the_id() {
        let id = "0b9a4d36-8f0e-4a51-9a7e-3c2d1e0f9a8b";
        assert_eq!(stream_type(&format!("book-{id}")), "book");
        assert_eq!(stream_type(&format!("book-acl-{id}")), "book-acl");
        assert_eq!(stream_type(&format!("token-{id}")), "token");
        assert_eq!(stream_type("system"), "system");
        assert_eq!(stream_type(&format!("ü{id}")), format!("ü{id}"));
    }
}
