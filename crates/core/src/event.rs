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
use crate::categorize::Rule;
use crate::category::Category;
use crate::ids::{AccountId, BookId, CategoryId, OrgId, TxId, UserId};
use crate::import::{
    BatchUndone, ImportBatch, ImportReviews, ImportRows, ProfileSaved, ReviewResolved, TradesImported,
};
use crate::transaction::{CategorySource, Postings, Transaction};
use uuid::Uuid;

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

/// Declares `Event` and its stored names in one list, so a new event type
/// is one line here and cannot be half-added: `type_name`, `data_json` and
/// `from_stored` are generated from the same entries.
macro_rules! events {
    ($($(#[$doc:meta])* $variant:ident($payload:ty) = $name:literal,)*) => {
        /// Every fact kept in the log. Stored as `type_name()` + `data_json()`,
        /// read back by `from_stored`.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Event {
            $($(#[$doc])* $variant($payload),)*
        }

        impl Event {
            /// The type name stored beside the data; stable forever.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Event::$variant(_) => $name,)*
                }
            }

            /// The payload stored in the `data` column, as JSON text written
            /// straight from the payload struct (this is on every append's path).
            pub fn data_json(&self) -> String {
                let json = match self {
                    $(Event::$variant(p) => serde_json::to_string(p),)*
                };
                // Payloads are plain data with string keys: serialising cannot fail.
                json.unwrap_or_default()
            }

            /// Parses version-1 JSON of a stored type into its payload struct.
            fn parse_current(event_type: &str, data: &str) -> Option<Result<Event, serde_json::Error>> {
                match event_type {
                    $($name => Some(serde_json::from_str(data).map(Event::$variant)),)*
                    _ => None,
                }
            }
        }
    };
}

events! {
    BookOpened(Book) = "book_opened",
    AccountOpened(Account) = "account_opened",
    CategoryAdded(Category) = "category_added",
    TransactionRecorded(Transaction) = "transaction_recorded",
    TransactionRecategorized(Recategorized) = "transaction_recategorized",
    TransactionDeleted(Deleted) = "transaction_deleted",
    TransactionAnnotated(Annotated) = "transaction_annotated",
    CategorySuggested(Suggested) = "category_suggested",
    RuleSaved(Rule) = "rule_saved",
    RuleDeleted(RuleDeleted) = "rule_deleted",
    ImportBatchRecorded(ImportBatch) = "import_batch_recorded",
    ImportRowsRecorded(ImportRows) = "import_rows_recorded",
    ImportReviewHeld(ImportReviews) = "import_review_held",
    ImportReviewResolved(ReviewResolved) = "import_review_resolved",
    ImportBatchUndone(BatchUndone) = "import_batch_undone",
    TradesImported(TradesImported) = "trades_imported",
    ImportProfileSaved(ProfileSaved) = "import_profile_saved",
    FxRatesImported(FxRatesImported) = "fx_rates_imported",
    // --- access (issue 7): users, tokens, organisations, book roles; book edits ---
    UserRegistered(UserRegistered) = "user_registered",
    PasswordChanged(PasswordChanged) = "password_changed",
    UserDisabled(UserDisabled) = "user_disabled",
    TokenIssued(TokenIssued) = "token_issued",
    TokenRevoked(TokenRevoked) = "token_revoked",
    OrgCreated(OrgCreated) = "org_created",
    OrgMemberSet(OrgMemberSet) = "org_member_set",
    OrgMemberRemoved(OrgMemberRemoved) = "org_member_removed",
    BookRoleGranted(BookRoleGranted) = "book_role_granted",
    BookRoleRevoked(BookRoleRevoked) = "book_role_revoked",
    BookRenamed(BookRenamed) = "book_renamed",
    BookClosed(BookClosed) = "book_closed",
    AccountRenamed(AccountRenamed) = "account_renamed",
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
    /// Who decided; absent means manual.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<CategorySource>,
    /// The category and source before, so a rule run can be undone exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<CategoryId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_source: Option<CategorySource>,
    /// The rule run that made the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Uuid>,
}

/// Counterparty, tags or notes changed (by a person or a rule run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotated {
    pub tx_id: TxId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty: Option<String>,
    /// The full tag list after the change.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Uuid>,
}

/// The model's guess, below the threshold for applying it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggested {
    pub tx_id: TxId,
    pub category: CategoryId,
    /// Confidence in thousandths (0..=1000), kept integral so events hold no floats.
    pub confidence_permille: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDeleted {
    pub rule_id: String,
}

/// The transaction no longer counts; the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    pub tx_id: TxId,
}

/// Exchange rates the book converts reports with; a later rate for the
/// same pair and date replaces an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxRatesImported {
    pub rates: Vec<crate::report::fx::FxRate>,
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

    /// The payload as a JSON value, for display.
    pub fn data(&self) -> serde_json::Value {
        serde_json::from_str(&self.data_json()).unwrap_or(serde_json::Value::Null)
    }

    /// Reads an event back from its stored type, schema version and JSON
    /// text, straight into the payload struct (rebuild reads millions).
    /// Old schema versions are upcast here; today every type is at version 1.
    pub fn from_stored(event_type: &str, schema_version: u32, data: &str) -> Result<Event, DecodeError> {
        let err = |reason: String| DecodeError { event_type: event_type.to_string(), schema_version, reason };
        if schema_version != 1 {
            return Err(err("unknown schema version".into()));
        }
        match Event::parse_current(event_type, data) {
            Some(event) => event.map_err(|e| err(e.to_string())),
            None => Err(err(format!("unknown event type '{event_type}'"))),
        }
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
#[derive(Debug, Clone, PartialEq, Eq)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Currency, Leg, Money, Posting, Status};
    use uuid::Uuid;

    /// One event of every type survives the trip through its stored form.
    #[test]
    fn every_event_type_round_trips() {
        let id = Uuid::from_u128(7);
        let postings = Postings::new(vec![
            Posting { leg: Leg::Uncategorized, amount: Money::parse("1.00", Currency::EUR).unwrap() },
            Posting { leg: Leg::Conversion, amount: Money::parse("-1.00", Currency::EUR).unwrap() },
        ])
        .unwrap();
        let events = vec![
            Event::BookOpened(Book { id: BookId(id), name: "b".into(), owner: Owner::Local }),
            Event::AccountOpened(Account {
                id: AccountId(id),
                name: "a".into(),
                kind: crate::AccountKind::Cash,
                currency: Currency::EUR,
                iban: None,
                number: None,
                institution: None,
                location: Some("wallet".into()),
                opened_on: jiff::civil::date(2024, 1, 1),
            }),
            Event::CategoryAdded(Category {
                id: CategoryId(id),
                name: crate::CategoryName::parse("A:B").unwrap(),
                section: crate::Section::Expense,
            }),
            Event::TransactionRecorded(Transaction {
                id: TxId(id),
                date: jiff::civil::date(2024, 1, 2),
                description: "d".into(),
                postings: postings.clone(),
                counterparty: Some("c".into()),
                tags: vec!["t".into()],
                notes: None,
                external_id: Some("x".into()),
                status: Status::Pending,
                category_source: Some(CategorySource::Import),
            }),
            Event::TransactionRecategorized(Recategorized {
                tx_id: TxId(id),
                category: None,
                postings,
                source: Some(CategorySource::Rule),
                previous: Some(CategoryId(id)),
                previous_source: None,
                run: Some(id),
            }),
            Event::TransactionAnnotated(Annotated {
                tx_id: TxId(id),
                counterparty: Some("REWE".into()),
                tags: vec!["food".into()],
                notes: None,
                run: None,
            }),
            Event::CategorySuggested(Suggested { tx_id: TxId(id), category: CategoryId(id), confidence_permille: 812 }),
            Event::RuleSaved(Rule::new(
                "Groceries",
                crate::categorize::Condition::leaf(
                    crate::categorize::Field::Description,
                    crate::categorize::Op::Contains("rewe".into()),
                ),
                vec![crate::categorize::Action::SetCategory("A:B".into())],
            )),
            Event::RuleDeleted(RuleDeleted { rule_id: "groceries".into() }),
            Event::TransactionDeleted(Deleted { tx_id: TxId(id) }),
        ];
        for e in events {
            let back = Event::from_stored(e.type_name(), e.schema_version(), &e.data_json()).unwrap();
            assert_eq!(back, e);
        }
        assert!(Event::from_stored("no_such_event", 1, "{}").is_err());
        assert!(Event::from_stored("book_opened", 9, "{}").is_err());
    }
}
