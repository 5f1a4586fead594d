//! Events: the stored truth of a book. Each has a stable type name and a
//! schema version; stored JSON is never rewritten, so a changed shape gets a
//! new version and an upcaster in [`Event::from_stored`].
//!
//! The payloads here are domain values; what the log holds is their stored
//! twins in `event/stored.rs`, converted explicitly both ways, so no serde
//! derive of a domain type decides what is written. The golden fixtures in
//! `tests/data/events/` pin that text byte for byte (`tests/stored_events.rs`).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::access::{
    BookRoleGranted, BookRoleRevoked, OrgCreated, OrgMemberRemoved, OrgMemberSet, PasswordChanged, TokenIssued,
    TokenRevoked, UserDisabled, UserRegistered,
};
use crate::account::Account;
use crate::bucket::{BucketAssigned, BucketMoved, BucketSet};
use crate::budget::{BudgetHeld, BudgetModeSet, BudgetMoved, BudgetSet, CarryoverSet};
use crate::categorize::Rule;
use crate::category::Category;
use crate::goal::GoalSet;
use crate::ids::{AccountId, BookId, CategoryId, OrgId, TxId, UserId};
use crate::import::{
    BatchUndone, ImportBatch, ImportReviews, ImportRows, ProfileSaved, ReviewResolved, TradesImported,
};
use crate::loan::LoanRecorded;
use crate::portfolio::events::{CostMethodSet, InstrumentSet, PricesImported};
use crate::recurring::{RecurringConfirmed, RecurringDismissed, RecurringRenamed};
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

pub mod diff;
mod stored;

/// Declares `Event` and its stored form in one list, so a new event type is
/// one line here and cannot be half-added: each entry names the payload, the
/// `stored` struct it is written as, the stored type name and the schema
/// version written today. `type_name`, `schema_version`, `data_json`,
/// `from_stored` and [`Event::TYPES`] are generated from the same entries.
macro_rules! events {
    ($($(#[$doc:meta])* $variant:ident($payload:ty => $stored:ident) = $name:literal v $version:literal,)*) => {
        /// Every fact kept in the log. Stored as `type_name()` + `data_json()`
        /// at `schema_version()`, read back by `from_stored`.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Event {
            $($(#[$doc])* $variant($payload),)*
        }

        impl Event {
            /// Every stored type name with the schema version written today.
            pub const TYPES: &'static [(&'static str, u32)] = &[$(($name, $version),)*];

            /// The type name stored beside the data; stable forever.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Event::$variant(_) => $name,)*
                }
            }

            /// The schema version written with new events of this type.
            pub fn schema_version(&self) -> u32 {
                match self {
                    $(Event::$variant(_) => $version,)*
                }
            }

            /// The payload stored in the `data` column: JSON text of its
            /// `stored` struct, at the current schema version.
            pub fn data_json(&self) -> String {
                match self {
                    $(Event::$variant(p) => stored::encode::<stored::$stored>(p),)*
                }
            }

            /// Parses JSON of a stored type at its current schema version.
            fn parse_current(event_type: &str, data: &str) -> Option<Result<Event, stored::Invalid>> {
                match event_type {
                    $($name => Some(stored::decode::<stored::$stored>(data).map(Event::$variant)),)*
                    _ => None,
                }
            }
        }
    };
}

events! {
    BookOpened(Book => StoredBook) = "book_opened" v 1,
    AccountOpened(Account => StoredAccount) = "account_opened" v 1,
    CategoryAdded(Category => StoredCategory) = "category_added" v 1,
    TransactionRecorded(Transaction => StoredTransaction) = "transaction_recorded" v 1,
    /// v2 renamed `previous` to `previous_category`.
    TransactionRecategorized(Recategorized => StoredRecategorized) = "transaction_recategorized" v 2,
    TransactionDeleted(Deleted => StoredDeleted) = "transaction_deleted" v 1,
    TransactionAnnotated(Annotated => StoredAnnotated) = "transaction_annotated" v 1,
    /// Undo of a rule run's annotation (issue 15).
    TransactionAnnotationRestored(AnnotationRestored => StoredAnnotationRestored) = "transaction_annotation_restored" v 1,
    CategorySuggested(Suggested => StoredSuggested) = "category_suggested" v 1,
    /// v2: `amount` conditions are signed (v1's are read as `magnitude`).
    RuleSaved(Rule => StoredRule) = "rule_saved" v 3,
    RuleDeleted(RuleDeleted => StoredRuleDeleted) = "rule_deleted" v 1,
    ImportBatchRecorded(ImportBatch => StoredImportBatch) = "import_batch_recorded" v 1,
    ImportRowsRecorded(ImportRows => StoredImportRows) = "import_rows_recorded" v 1,
    ImportReviewHeld(ImportReviews => StoredImportReviews) = "import_review_held" v 1,
    ImportReviewResolved(ReviewResolved => StoredReviewResolved) = "import_review_resolved" v 1,
    ImportBatchUndone(BatchUndone => StoredBatchUndone) = "import_batch_undone" v 1,
    TradesImported(TradesImported => StoredTradesImported) = "trades_imported" v 1,
    ImportProfileSaved(ProfileSaved => StoredProfileSaved) = "import_profile_saved" v 1,
    FxRatesImported(FxRatesImported => StoredFxRatesImported) = "fx_rates_imported" v 1,
    // --- access (issue 7): users, tokens, organisations, book roles; book edits ---
    UserRegistered(UserRegistered => StoredUserRegistered) = "user_registered" v 1,
    PasswordChanged(PasswordChanged => StoredPasswordChanged) = "password_changed" v 1,
    UserDisabled(UserDisabled => StoredUserDisabled) = "user_disabled" v 1,
    TokenIssued(TokenIssued => StoredTokenIssued) = "token_issued" v 1,
    TokenRevoked(TokenRevoked => StoredTokenRevoked) = "token_revoked" v 1,
    OrgCreated(OrgCreated => StoredOrgCreated) = "org_created" v 1,
    OrgMemberSet(OrgMemberSet => StoredOrgMemberSet) = "org_member_set" v 1,
    OrgMemberRemoved(OrgMemberRemoved => StoredOrgMemberRemoved) = "org_member_removed" v 1,
    BookRoleGranted(BookRoleGranted => StoredBookRoleGranted) = "book_role_granted" v 1,
    BookRoleRevoked(BookRoleRevoked => StoredBookRoleRevoked) = "book_role_revoked" v 1,
    BookRenamed(BookRenamed => StoredBookRenamed) = "book_renamed" v 1,
    BookClosed(BookClosed => StoredBookClosed) = "book_closed" v 1,
    AccountRenamed(AccountRenamed => StoredAccountRenamed) = "account_renamed" v 1,
    // --- budgets (issue 17) ---
    BudgetSet(BudgetSet => StoredBudgetSet) = "budget_set" v 1,
    BudgetCarryoverSet(CarryoverSet => StoredCarryoverSet) = "budget_carryover_set" v 1,
    BudgetMoved(BudgetMoved => StoredBudgetMoved) = "budget_moved" v 1,
    BudgetHeld(BudgetHeld => StoredBudgetHeld) = "budget_held" v 1,
    BudgetModeSet(BudgetModeSet => StoredBudgetModeSet) = "budget_mode_set" v 1,
    // --- recurring payments (issue 17): the user's word on a detected series ---
    RecurringConfirmed(RecurringConfirmed => StoredRecurringConfirmed) = "recurring_confirmed" v 1,
    RecurringDismissed(RecurringDismissed => StoredRecurringDismissed) = "recurring_dismissed" v 1,
    RecurringRenamed(RecurringRenamed => StoredRecurringRenamed) = "recurring_renamed" v 1,
    // --- investments (issue 16): prices and each account's cost method ---
    PricesImported(PricesImported => StoredPricesImported) = "prices_imported" v 1,
    CostMethodSet(CostMethodSet => StoredCostMethodSet) = "cost_method_set" v 1,
    InstrumentSet(InstrumentSet => StoredInstrumentSet) = "instrument_set" v 1,
    // --- buckets (issue 17): definitions, moves and spending taken from one ---
    BucketSet(BucketSet => StoredBucketSet) = "bucket_set" v 1,
    BucketMoved(BucketMoved => StoredBucketMoved) = "bucket_moved" v 1,
    BucketAssigned(BucketAssigned => StoredBucketAssigned) = "bucket_assigned" v 1,
    // --- loans and goals (issue 17): who a neutral loan transaction is with; savings targets ---
    LoanRecorded(LoanRecorded => StoredLoanRecorded) = "loan_recorded" v 1,
    GoalSet(GoalSet => StoredGoalSet) = "goal_set" v 1,
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

/// A rule run's annotation taken back: counterparty, tags and notes are set
/// to exactly these values again (`None` clears), as they were before `run`.
/// Its own event because [`Annotated`] can only set, never clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotationRestored {
    pub tx_id: TxId,
    pub counterparty: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    /// The run whose change this undoes.
    pub run: Uuid,
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

    /// The schema version written today for a stored type name, `None` for
    /// a name this code does not know.
    pub fn current_schema_version(event_type: &str) -> Option<u32> {
        Event::TYPES.iter().find(|(name, _)| *name == event_type).map(|(_, v)| *v)
    }

    /// Reads an event back from its stored type, schema version and JSON
    /// text. The current version is parsed straight into its stored struct
    /// (rebuild reads millions); an older one goes through the upcasters in
    /// `stored::upcast`. An unknown type, a version newer than this code or
    /// one no upcaster knows, JSON of the wrong shape and data the domain
    /// refuses (unbalanced postings, an unknown currency…) are all a
    /// [`DecodeError`], never a panic.
    pub fn from_stored(event_type: &str, schema_version: u32, data: &str) -> Result<Event, DecodeError> {
        let err = |reason: String| DecodeError { event_type: event_type.to_string(), schema_version, reason };
        let Some(current) = Event::current_schema_version(event_type) else {
            return Err(err(format!("unknown event type '{event_type}'")));
        };
        let event = if schema_version == current {
            Event::parse_current(event_type, data)
        } else if schema_version > current {
            return Err(err(format!("schema version {schema_version} is newer than this code knows (v{current})")));
        } else {
            stored::upcast(event_type, schema_version, data)
        };
        match event {
            Some(event) => event.map_err(err),
            None => Err(err(format!("no upcaster from schema version {schema_version} to v{current}"))),
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
            Event::TransactionAnnotationRestored(AnnotationRestored {
                tx_id: TxId(id),
                counterparty: None,
                tags: vec![],
                notes: Some("n".into()),
                run: id,
            }),
            Event::TransactionDeleted(Deleted { tx_id: TxId(id) }),
        ];
        for e in events {
            let back = Event::from_stored(e.type_name(), e.schema_version(), &e.data_json()).unwrap();
            assert_eq!(back, e);
        }
        assert!(Event::from_stored("no_such_event", 1, "{}").is_err());
        assert!(Event::from_stored("book_opened", 9, "{}").is_err());
    }

    /// Events written before kassa had a range read back as an error that
    /// names the value, never as a domain value the code could not build.
    #[test]
    fn stored_amounts_and_dates_outside_the_range_are_refused() {
        let tx = |date: &str, amount: &str, negated: &str| {
            format!(
                r#"{{"id":"0193b7c4-2f30-7b77-ad4c-3e5f60718207","date":"{date}","description":"d","postings":[{{"leg":"uncategorized","amount":"{amount}","currency":"EUR"}},{{"leg":"conversion","amount":"{negated}","currency":"EUR"}}]}}"#
            )
        };
        for (data, value) in [
            (tx("2024-05-01", "100000000000000000.00", "-100000000000000000.00"), "100000000000000000.00"),
            (
                tx("2024-05-01", "792281625142643375935439503.35", "-792281625142643375935439503.35"),
                "792281625142643375935439503.35",
            ),
            (tx("-000001-12-31", "1.00", "-1.00"), "-000001-12-31"),
            (tx("9999-12-31", "1.00", "-1.00"), "9999-12-31"),
        ] {
            let err = Event::from_stored("transaction_recorded", 1, &data).unwrap_err().to_string();
            assert!(err.contains(value) && err.contains("out of range"), "{err}");
        }
        let account = r#"{"id":"0193a1f2-8011-7c02-8e11-41b7d0c9e502","name":"a","kind":"cash","currency":"EUR","iban":null,"number":null,"institution":null,"location":null,"opened_on":"9999-12-31"}"#;
        let err = Event::from_stored("account_opened", 1, account).unwrap_err().to_string();
        assert!(err.contains("9999-12-31") && err.contains("out of range"), "{err}");
    }
}
