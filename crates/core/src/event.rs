//! Events: the stored truth of a book. Each has a stable type name and a
//! schema version; stored JSON is never rewritten, so a changed shape gets a
//! new version and an upcaster in [`Event::from_stored`].

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::access::{
    BookRoleGranted, BookRoleRevoked, OrgCreated, OrgMemberRemoved, OrgMemberSet, PasswordChanged, TokenIssued,
    TokenRevoked, UserDisabled, UserRegistered,
};
use crate::account::Account;
use crate::category::Category;
use crate::ids::{AccountId, BookId, CategoryId, OrgId, TxId, UserId};
use crate::transaction::{Postings, Transaction};

/// Who owns a book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Owner {
    /// The operator of a single-user installation (the CLI before any user exists).
    Local,
    User(UserId),
    Organisation(OrgId),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Book {
    pub id: BookId,
    pub name: String,
    pub owner: Owner,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Event {
    BookOpened(Book),
    AccountOpened(Account),
    CategoryAdded(Category),
    TransactionRecorded(Transaction),
    TransactionRecategorized(Recategorized),
    TransactionDeleted(Deleted),
    // --- access (issue 7): users, tokens, organisations, book roles; book edits ---
    UserRegistered(UserRegistered),
    PasswordChanged(PasswordChanged),
    UserDisabled(UserDisabled),
    TokenIssued(TokenIssued),
    TokenRevoked(TokenRevoked),
    OrgCreated(OrgCreated),
    OrgMemberSet(OrgMemberSet),
    OrgMemberRemoved(OrgMemberRemoved),
    BookRoleGranted(BookRoleGranted),
    BookRoleRevoked(BookRoleRevoked),
    BookRenamed(BookRenamed),
    BookClosed(BookClosed),
    AccountRenamed(AccountRenamed),
}

/// The book's new name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookRenamed {
    pub name: String,
}

/// The book is closed: it leaves every listing and refuses commands; its
/// events stay in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookClosed {
    pub book_id: BookId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRenamed {
    pub account_id: AccountId,
    pub name: String,
}

/// The income/expense leg now points at another category (or none); the
/// event carries the resulting postings so projections need no lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recategorized {
    pub tx_id: TxId,
    pub category: Option<CategoryId>,
    pub postings: Postings,
}

/// The transaction no longer counts; the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    pub tx_id: TxId,
}

/// Why stored event data could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("cannot read stored event {event_type} v{schema_version}: {reason}")]
pub struct DecodeError {
    pub event_type: String,
    pub schema_version: u32,
    pub reason: String,
}

impl Event {
    /// The type name stored beside the data; stable forever.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::BookOpened(_) => "book_opened",
            Event::AccountOpened(_) => "account_opened",
            Event::CategoryAdded(_) => "category_added",
            Event::TransactionRecorded(_) => "transaction_recorded",
            Event::TransactionRecategorized(_) => "transaction_recategorized",
            Event::TransactionDeleted(_) => "transaction_deleted",
            Event::UserRegistered(_) => "user_registered",
            Event::PasswordChanged(_) => "password_changed",
            Event::UserDisabled(_) => "user_disabled",
            Event::TokenIssued(_) => "token_issued",
            Event::TokenRevoked(_) => "token_revoked",
            Event::OrgCreated(_) => "org_created",
            Event::OrgMemberSet(_) => "org_member_set",
            Event::OrgMemberRemoved(_) => "org_member_removed",
            Event::BookRoleGranted(_) => "book_role_granted",
            Event::BookRoleRevoked(_) => "book_role_revoked",
            Event::BookRenamed(_) => "book_renamed",
            Event::BookClosed(_) => "book_closed",
            Event::AccountRenamed(_) => "account_renamed",
        }
    }

    /// The schema version written with new events of this type.
    pub fn schema_version(&self) -> u32 {
        1
    }

    /// The business date the event is about, when it has one of its own.
    pub fn business_date(&self) -> Option<Date> {
        match self {
            Event::AccountOpened(a) => Some(a.opened_on),
            Event::TransactionRecorded(t) => Some(t.date),
            _ => None,
        }
    }

    /// The payload stored in the `data` column, as JSON text written
    /// straight from the payload struct (this is on every append's path).
    pub fn data_json(&self) -> String {
        let json = match self {
            Event::BookOpened(p) => serde_json::to_string(p),
            Event::AccountOpened(p) => serde_json::to_string(p),
            Event::CategoryAdded(p) => serde_json::to_string(p),
            Event::TransactionRecorded(p) => serde_json::to_string(p),
            Event::TransactionRecategorized(p) => serde_json::to_string(p),
            Event::TransactionDeleted(p) => serde_json::to_string(p),
            Event::UserRegistered(p) => serde_json::to_string(p),
            Event::PasswordChanged(p) => serde_json::to_string(p),
            Event::UserDisabled(p) => serde_json::to_string(p),
            Event::TokenIssued(p) => serde_json::to_string(p),
            Event::TokenRevoked(p) => serde_json::to_string(p),
            Event::OrgCreated(p) => serde_json::to_string(p),
            Event::OrgMemberSet(p) => serde_json::to_string(p),
            Event::OrgMemberRemoved(p) => serde_json::to_string(p),
            Event::BookRoleGranted(p) => serde_json::to_string(p),
            Event::BookRoleRevoked(p) => serde_json::to_string(p),
            Event::BookRenamed(p) => serde_json::to_string(p),
            Event::BookClosed(p) => serde_json::to_string(p),
            Event::AccountRenamed(p) => serde_json::to_string(p),
        };
        // Payloads are plain data with string keys: serialising cannot fail.
        json.unwrap_or_default()
    }

    /// The payload as a JSON value, for display.
    pub fn data(&self) -> serde_json::Value {
        serde_json::from_str(&self.data_json()).unwrap_or(serde_json::Value::Null)
    }

    /// Reads an event back from its stored parts. Old schema versions are
    /// upcast here; today every type is at version 1.
    pub fn from_stored(event_type: &str, schema_version: u32, data: serde_json::Value) -> Result<Event, DecodeError> {
        let err = |reason: String| DecodeError { event_type: event_type.to_string(), schema_version, reason };
        if schema_version != 1 {
            return Err(err("unknown schema version".into()));
        }
        let tagged = serde_json::json!({ "type": event_type, "data": data });
        serde_json::from_value(tagged).map_err(|e| err(e.to_string()))
    }
}

/// Who did it and when, carried by every stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMeta {
    /// `user:<id>`, `cli:<login>`, `import:<batch>`…: whoever caused the event.
    pub actor: String,
    /// The business date (a transaction's date), or the day it was recorded.
    pub occurred_at: Date,
    /// When the store accepted it.
    pub recorded_at: Timestamp,
}

/// An event as it sits in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedEvent {
    /// Global order of the whole log, 1-based.
    pub position: i64,
    pub stream: String,
    /// The event's number in its stream, 1-based.
    pub version: i64,
    pub meta: EventMeta,
    pub event: Event,
}

/// The stream that holds a book's events.
pub fn book_stream(book: BookId) -> String {
    format!("book-{book}")
}
