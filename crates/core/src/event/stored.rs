//! The stored event format, on its own: a serde twin (`Stored…`) of every
//! event payload and of every domain type inside one, with explicit
//! conversions — domain → stored cannot fail, stored → domain checks
//! everything the domain constructors check (postings balance, currencies are
//! ISO codes, IBANs pass mod-97, category names are well formed, rule
//! conditions have one operator).
//!
//! It exists so that the event log depends on nothing but this file. Domain
//! types keep their serde derives for the API and rule files, and may be
//! refactored freely: what is written and read back is these structs, whose
//! shape is pinned byte for byte by the golden fixtures in
//! `crates/core/tests/data/events/` (`tests/stored_events.rs`).
//!
//! A change of shape is a new schema version, never an edit in place:
//! 1. copy the current struct into the `v<N>` module below (it is now only
//!    read) with a `From` conversion to the new struct;
//! 2. change the struct here and bump the entry's `v <N>` in `events!`;
//! 3. add the (type, old version) arm to [`upcast`];
//! 4. `KASSA_BLESS=1 cargo test -p kassa-core --test stored_events` writes
//!    the new version's fixtures; the old ones stay and must upcast to them.
//!
//! `transaction_recategorized` v1 → v2 (`previous` → `previous_category`) is
//! the worked example.
//!
//! Ids, dates, timestamps and decimals are written with the uuid, jiff and
//! rust_decimal string forms (`"0193…"`, `"2025-03-01"`,
//! `"2025-03-08T09:30:00Z"`, `"-42.17"`), which those crates document as
//! stable; everything else is spelled out here.

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{
    BookRole, BookRoleGranted, BookRoleRevoked, OrgCreated, OrgMemberRemoved, OrgMemberSet, OrgRole, PasswordChanged,
    Principal, TokenIssued, TokenKind, TokenRevoked, UserDisabled, UserRegistered,
};
use crate::account::{Account, AccountKind};
use crate::bucket::{BucketAssigned, BucketMoved, BucketSet};
use crate::budget::{BudgetHeld, BudgetMode, BudgetModeSet, BudgetMoved, BudgetSet, CarryoverSet};
use crate::categorize::{Action, Condition, Field, Op, Predicate, Rule};
use crate::category::{Category, CategoryName, Section};
use crate::currency::Currency;
use crate::date::LedgerDate;
use crate::event::{
    AccountRenamed, Annotated, AnnotationRestored, Book, BookClosed, BookRenamed, Deleted, FxRatesImported, Owner,
    Recategorized, RuleDeleted, Suggested,
};
use crate::goal::{GoalLink, GoalSet};
use crate::iban::Iban;
use crate::ids::{AccountId, BatchId, BookId, CategoryId, OrgId, ReviewId, TxId, UserId};
use crate::import::{
    BatchUndone, Fingerprint, ImportBatch, ImportCounts, ImportReviews, ImportRows, ImportedRow, ImportedTrade,
    ProfileSaved, ReviewItem, ReviewKind, ReviewOutcome, ReviewResolved, TradeExtra, TradesImported,
};
use crate::loan::{LoanKind, LoanRecorded};
use crate::money::Money;
use crate::portfolio::events::{CostMethodSet, InstrumentSet, PricePoint, PricesImported};
use crate::portfolio::{CostMethod, InstrumentKind};
use crate::recurring::{RecurringConfirmed, RecurringDismissed, RecurringRenamed, SeriesId};
use crate::report::Month;
use crate::report::fx::FxRate;
use crate::transaction::{CategorySource, Leg, Posting, Postings, Status, Transaction};

/// Why stored data is not a valid domain value (the JSON itself parsed).
pub type Invalid = String;

/// A stored payload and the domain payload it stands for.
pub(crate) trait Stored: Serialize + DeserializeOwned {
    type Domain;
    fn from_domain(d: &Self::Domain) -> Self;
    fn into_domain(self) -> Result<Self::Domain, Invalid>;
}

/// Parses stored JSON of one payload type and converts it to the domain.
pub(crate) fn decode<S: Stored>(data: &str) -> Result<S::Domain, Invalid> {
    serde_json::from_str::<S>(data).map_err(|e| e.to_string())?.into_domain()
}

/// The payload's stored JSON text.
pub(crate) fn encode<S: Stored>(d: &S::Domain) -> String {
    // Stored structs are plain data with string keys: serialising cannot fail.
    serde_json::to_string(&S::from_domain(d)).unwrap_or_default()
}

/// Reads an event stored at an older schema version of its type, converting
/// it step by step to the current stored struct. `None` when no upcaster
/// knows this (type, version).
pub(crate) fn upcast(event_type: &str, schema_version: u32, data: &str) -> Option<Result<super::Event, Invalid>> {
    use super::Event;
    match (event_type, schema_version) {
        ("transaction_recategorized", 1) => Some(
            serde_json::from_str::<v1::StoredRecategorized>(data)
                .map_err(|e| e.to_string())
                .and_then(|v1| StoredRecategorized::from(v1).into_domain())
                .map(Event::TransactionRecategorized),
        ),
        // v1 had today's shape; only the meaning of `amount` changed.
        ("rule_saved", 1) => {
            Some(decode::<StoredRule>(data).map(|r| Event::RuleSaved(crate::categorize::rules::read_v1(r))))
        }
        // v2 is v3 without `set_bucket`: the same shape, no meaning changed.
        ("rule_saved", 2) => Some(decode::<StoredRule>(data).map(Event::RuleSaved)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Small values.

fn currency(code: &str) -> Result<Currency, Invalid> {
    Currency::parse(code).map_err(|e| e.to_string())
}

/// A business date the ledger would take: an account's opening, a
/// transaction's date (events written before kassa had a range may hold others).
fn in_range(d: Date) -> Result<Date, Invalid> {
    LedgerDate::new(d).map(LedgerDate::get).map_err(|e| e.to_string())
}

fn fingerprint(hex: &str) -> Result<Fingerprint, Invalid> {
    Fingerprint::from_hex(hex).ok_or_else(|| format!("bad fingerprint {hex:?}: expected 32 hex digits"))
}

fn ids<T>(v: &[T], f: impl Fn(&T) -> Uuid) -> Vec<Uuid> {
    v.iter().map(f).collect()
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_true(b: &bool) -> bool {
    *b
}

fn yes() -> bool {
    true
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Generates a stored enum of unit variants (written as snake_case strings)
/// with its two conversions, which are total both ways.
macro_rules! stored_unit_enum {
    ($(#[$meta:meta])* $stored:ident <=> $domain:ty { $($variant:ident),* $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        $(#[$meta])*
        pub enum $stored {
            $($variant,)*
        }

        impl From<$domain> for $stored {
            fn from(d: $domain) -> Self {
                match d {
                    $(<$domain>::$variant => $stored::$variant,)*
                }
            }
        }

        impl From<$stored> for $domain {
            fn from(s: $stored) -> Self {
                match s {
                    $($stored::$variant => <$domain>::$variant,)*
                }
            }
        }
    };
}

stored_unit_enum!(#[serde(rename_all = "snake_case")] StoredAccountKind <=> AccountKind {
    Checking, Savings, Cash, CreditCard, Loan, Brokerage,
});
stored_unit_enum!(#[serde(rename_all = "lowercase")] StoredSection <=> Section { Income, Expense, Transfer });
stored_unit_enum!(#[serde(rename_all = "lowercase")] StoredStatus <=> Status { Pending, Booked });
stored_unit_enum!(#[serde(rename_all = "lowercase")] StoredCategorySource <=> CategorySource {
    Manual, Import, Rule, Model,
});
stored_unit_enum!(#[serde(rename_all = "snake_case")] StoredReviewKind <=> ReviewKind {
    PossibleDuplicate, PendingPosted, Transfer,
});
stored_unit_enum!(#[serde(rename_all = "snake_case")] StoredBookRole <=> BookRole { Spender, Viewer, Editor, Owner });
stored_unit_enum!(#[serde(rename_all = "snake_case")] StoredOrgRole <=> OrgRole { Member, Admin });
stored_unit_enum!(#[serde(rename_all = "snake_case")] StoredTokenKind <=> TokenKind { Session, Invite });
stored_unit_enum!(#[serde(rename_all = "snake_case")] StoredField <=> Field {
    Description, Counterparty, Amount, Magnitude, Account, Date, Currency,
});

fn source(s: Option<CategorySource>) -> Option<StoredCategorySource> {
    s.map(Into::into)
}

// ---------------------------------------------------------------------------
// Books, accounts, categories.

/// `{"kind":"local"}`, `{"kind":"user","id":…}`, `{"kind":"organisation","id":…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum StoredOwner {
    Local,
    User(Uuid),
    Organisation(Uuid),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBook {
    pub id: Uuid,
    pub name: String,
    pub owner: StoredOwner,
}

impl Stored for StoredBook {
    type Domain = Book;
    fn from_domain(b: &Book) -> Self {
        let owner = match b.owner {
            Owner::Local => StoredOwner::Local,
            Owner::User(u) => StoredOwner::User(u.0),
            Owner::Organisation(o) => StoredOwner::Organisation(o.0),
        };
        StoredBook { id: b.id.0, name: b.name.clone(), owner }
    }
    fn into_domain(self) -> Result<Book, Invalid> {
        let owner = match self.owner {
            StoredOwner::Local => Owner::Local,
            StoredOwner::User(u) => Owner::User(UserId(u)),
            StoredOwner::Organisation(o) => Owner::Organisation(OrgId(o)),
        };
        Ok(Book { id: BookId(self.id), name: self.name, owner })
    }
}

/// Optional fields are written as `null` (this type never skipped them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAccount {
    pub id: Uuid,
    pub name: String,
    pub kind: StoredAccountKind,
    pub currency: String,
    pub iban: Option<String>,
    pub number: Option<String>,
    pub institution: Option<String>,
    pub location: Option<String>,
    pub opened_on: Date,
}

impl Stored for StoredAccount {
    type Domain = Account;
    fn from_domain(a: &Account) -> Self {
        StoredAccount {
            id: a.id.0,
            name: a.name.clone(),
            kind: a.kind.into(),
            currency: a.currency.code().to_string(),
            iban: a.iban.as_ref().map(|i| i.as_str().to_string()),
            number: a.number.clone(),
            institution: a.institution.clone(),
            location: a.location.clone(),
            opened_on: a.opened_on,
        }
    }
    fn into_domain(self) -> Result<Account, Invalid> {
        Ok(Account {
            id: AccountId(self.id),
            name: self.name,
            kind: self.kind.into(),
            currency: currency(&self.currency)?,
            iban: self.iban.map(|i| Iban::parse(&i).map_err(|e| e.to_string())).transpose()?,
            number: self.number,
            institution: self.institution,
            location: self.location,
            opened_on: in_range(self.opened_on)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCategory {
    pub id: Uuid,
    pub name: String,
    pub section: StoredSection,
}

impl Stored for StoredCategory {
    type Domain = Category;
    fn from_domain(c: &Category) -> Self {
        StoredCategory { id: c.id.0, name: c.name.as_str().to_string(), section: c.section.into() }
    }
    fn into_domain(self) -> Result<Category, Invalid> {
        let name = CategoryName::parse(&self.name).map_err(|e| e.to_string())?;
        Ok(Category { id: CategoryId(self.id), name, section: self.section.into() })
    }
}

// ---------------------------------------------------------------------------
// Transactions.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredLegKind {
    Account,
    Category,
    Uncategorized,
    Conversion,
}

/// `{"leg":"account","id":…,"amount":"-12.34","currency":"EUR"}`; `id` only
/// on account and category legs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPosting {
    pub leg: StoredLegKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: String,
}

impl StoredPosting {
    fn from_domain(p: &Posting) -> Self {
        let (leg, id) = match p.leg {
            Leg::Account(a) => (StoredLegKind::Account, Some(a.0)),
            Leg::Category(c) => (StoredLegKind::Category, Some(c.0)),
            Leg::Uncategorized => (StoredLegKind::Uncategorized, None),
            Leg::Conversion => (StoredLegKind::Conversion, None),
        };
        StoredPosting { leg, id, amount: p.amount.amount, currency: p.amount.currency.code().to_string() }
    }

    fn into_domain(self) -> Result<Posting, Invalid> {
        let leg = match (self.leg, self.id) {
            (StoredLegKind::Account, Some(id)) => Leg::Account(AccountId(id)),
            (StoredLegKind::Category, Some(id)) => Leg::Category(CategoryId(id)),
            (StoredLegKind::Uncategorized, _) => Leg::Uncategorized,
            (StoredLegKind::Conversion, _) => Leg::Conversion,
            _ => return Err("an account or category posting needs an id".into()),
        };
        let amount = Money::new(self.amount, currency(&self.currency)?).map_err(|e| e.to_string())?;
        Ok(Posting { leg, amount })
    }
}

fn stored_postings(p: &Postings) -> Vec<StoredPosting> {
    p.as_slice().iter().map(StoredPosting::from_domain).collect()
}

/// Through [`Postings::new`]: stored JSON cannot smuggle in an unbalanced
/// transaction.
fn postings(stored: Vec<StoredPosting>) -> Result<Postings, Invalid> {
    let list = stored.into_iter().map(StoredPosting::into_domain).collect::<Result<Vec<_>, _>>()?;
    Postings::new(list).map_err(|e| e.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTransaction {
    pub id: Uuid,
    pub date: Date,
    pub description: String,
    pub postings: Vec<StoredPosting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Absent in the oldest events: booked.
    #[serde(default = "booked")]
    pub status: StoredStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_source: Option<StoredCategorySource>,
}

fn booked() -> StoredStatus {
    StoredStatus::Booked
}

impl Stored for StoredTransaction {
    type Domain = Transaction;
    fn from_domain(t: &Transaction) -> Self {
        StoredTransaction {
            id: t.id.0,
            date: t.date,
            description: t.description.clone(),
            postings: stored_postings(&t.postings),
            counterparty: t.counterparty.clone(),
            tags: t.tags.clone(),
            notes: t.notes.clone(),
            external_id: t.external_id.clone(),
            status: t.status.into(),
            category_source: source(t.category_source),
        }
    }
    fn into_domain(self) -> Result<Transaction, Invalid> {
        Ok(Transaction {
            id: TxId(self.id),
            date: in_range(self.date)?,
            description: self.description,
            postings: postings(self.postings)?,
            counterparty: self.counterparty,
            tags: self.tags,
            notes: self.notes,
            external_id: self.external_id,
            status: self.status.into(),
            category_source: self.category_source.map(Into::into),
        })
    }
}

/// `transaction_recategorized` v2: `previous` of v1 is `previous_category`,
/// beside `previous_source`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecategorized {
    pub tx_id: Uuid,
    pub category: Option<Uuid>,
    pub postings: Vec<StoredPosting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<StoredCategorySource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_category: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_source: Option<StoredCategorySource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Uuid>,
}

impl Stored for StoredRecategorized {
    type Domain = Recategorized;
    fn from_domain(r: &Recategorized) -> Self {
        StoredRecategorized {
            tx_id: r.tx_id.0,
            category: r.category.map(|c| c.0),
            postings: stored_postings(&r.postings),
            source: source(r.source),
            previous_category: r.previous.map(|c| c.0),
            previous_source: source(r.previous_source),
            run: r.run,
        }
    }
    fn into_domain(self) -> Result<Recategorized, Invalid> {
        Ok(Recategorized {
            tx_id: TxId(self.tx_id),
            category: self.category.map(CategoryId),
            postings: postings(self.postings)?,
            source: self.source.map(Into::into),
            previous: self.previous_category.map(CategoryId),
            previous_source: self.previous_source.map(Into::into),
            run: self.run,
        })
    }
}

/// Older stored shapes, kept only to be read and converted forward.
pub(crate) mod v1 {
    use super::*;

    /// `transaction_recategorized` v1. `previous` was the category before
    /// the change; next to `previous_source` the bare name read as "the
    /// previous everything", so v2 calls it `previous_category`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct StoredRecategorized {
        pub tx_id: Uuid,
        pub category: Option<Uuid>,
        pub postings: Vec<StoredPosting>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source: Option<StoredCategorySource>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub previous: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub previous_source: Option<StoredCategorySource>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub run: Option<Uuid>,
    }

    impl From<StoredRecategorized> for super::StoredRecategorized {
        fn from(v1: StoredRecategorized) -> Self {
            super::StoredRecategorized {
                tx_id: v1.tx_id,
                category: v1.category,
                postings: v1.postings,
                source: v1.source,
                previous_category: v1.previous,
                previous_source: v1.previous_source,
                run: v1.run,
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDeleted {
    pub tx_id: Uuid,
}

impl Stored for StoredDeleted {
    type Domain = Deleted;
    fn from_domain(d: &Deleted) -> Self {
        StoredDeleted { tx_id: d.tx_id.0 }
    }
    fn into_domain(self) -> Result<Deleted, Invalid> {
        Ok(Deleted { tx_id: TxId(self.tx_id) })
    }
}

/// `tags` is always written (the full list after the change, maybe empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAnnotated {
    pub tx_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Uuid>,
}

impl Stored for StoredAnnotated {
    type Domain = Annotated;
    fn from_domain(a: &Annotated) -> Self {
        StoredAnnotated {
            tx_id: a.tx_id.0,
            counterparty: a.counterparty.clone(),
            tags: a.tags.clone(),
            notes: a.notes.clone(),
            run: a.run,
        }
    }
    fn into_domain(self) -> Result<Annotated, Invalid> {
        Ok(Annotated {
            tx_id: TxId(self.tx_id),
            counterparty: self.counterparty,
            tags: self.tags,
            notes: self.notes,
            run: self.run,
        })
    }
}

/// `transaction_annotation_restored`: every field written, `null` included,
/// since `null` here means "cleared", not "unchanged".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAnnotationRestored {
    pub tx_id: Uuid,
    pub counterparty: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub run: Uuid,
}

impl Stored for StoredAnnotationRestored {
    type Domain = AnnotationRestored;
    fn from_domain(a: &AnnotationRestored) -> Self {
        StoredAnnotationRestored {
            tx_id: a.tx_id.0,
            counterparty: a.counterparty.clone(),
            tags: a.tags.clone(),
            notes: a.notes.clone(),
            run: a.run,
        }
    }
    fn into_domain(self) -> Result<AnnotationRestored, Invalid> {
        Ok(AnnotationRestored {
            tx_id: TxId(self.tx_id),
            counterparty: self.counterparty,
            tags: self.tags,
            notes: self.notes,
            run: self.run,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSuggested {
    pub tx_id: Uuid,
    pub category: Uuid,
    pub confidence_permille: u16,
}

impl Stored for StoredSuggested {
    type Domain = Suggested;
    fn from_domain(s: &Suggested) -> Self {
        StoredSuggested { tx_id: s.tx_id.0, category: s.category.0, confidence_permille: s.confidence_permille }
    }
    fn into_domain(self) -> Result<Suggested, Invalid> {
        Ok(Suggested {
            tx_id: TxId(self.tx_id),
            category: CategoryId(self.category),
            confidence_permille: self.confidence_permille,
        })
    }
}

// ---------------------------------------------------------------------------
// Rules.

/// A rule operand. Always written as text; a number is read too, as the
/// text it spells (no float is ever made from it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StoredScalar {
    Text(String),
    Number(serde_json::Number),
}

impl StoredScalar {
    fn into_text(self) -> String {
        match self {
            StoredScalar::Text(s) => s,
            StoredScalar::Number(n) => n.to_string(),
        }
    }
}

/// A condition tree node: exactly one of `all` / `any` / `not`, or a leaf
/// with `field`, one operator and maybe `case_sensitive`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCondition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<StoredCondition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<StoredCondition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<StoredCondition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<StoredField>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<StoredScalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_with: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_with: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<StoredScalar>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub between: Option<(StoredScalar, StoredScalar)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<StoredScalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<StoredScalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ge: Option<StoredScalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub le: Option<StoredScalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_inflow: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_outflow: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_sensitive: Option<bool>,
}

impl StoredCondition {
    fn from_domain(c: &Condition) -> Self {
        let text = |s: &String| StoredScalar::Text(s.clone());
        let mut s = StoredCondition::default();
        match c {
            Condition::All(list) => s.all = Some(list.iter().map(StoredCondition::from_domain).collect()),
            Condition::Any(list) => s.any = Some(list.iter().map(StoredCondition::from_domain).collect()),
            Condition::Not(inner) => s.not = Some(Box::new(StoredCondition::from_domain(inner))),
            Condition::Leaf(p) => {
                s.field = Some(p.field.into());
                s.case_sensitive = p.case_sensitive.then_some(true);
                match &p.op {
                    Op::Contains(v) => s.contains = Some(v.clone()),
                    Op::Equals(v) => s.equals = Some(text(v)),
                    Op::StartsWith(v) => s.starts_with = Some(v.clone()),
                    Op::EndsWith(v) => s.ends_with = Some(v.clone()),
                    Op::Regex(v) => s.regex = Some(v.clone()),
                    Op::OneOf(v) => s.one_of = Some(v.iter().map(text).collect()),
                    Op::Between(a, b) => s.between = Some((text(a), text(b))),
                    Op::Gt(v) => s.gt = Some(text(v)),
                    Op::Lt(v) => s.lt = Some(text(v)),
                    Op::Ge(v) => s.ge = Some(text(v)),
                    Op::Le(v) => s.le = Some(text(v)),
                    Op::IsInflow => s.is_inflow = Some(true),
                    Op::IsOutflow => s.is_outflow = Some(true),
                }
            }
        }
        s
    }

    fn into_domain(self) -> Result<Condition, Invalid> {
        let StoredCondition {
            all,
            any,
            not,
            field,
            contains,
            equals,
            starts_with,
            ends_with,
            regex,
            one_of,
            between,
            gt,
            lt,
            ge,
            le,
            is_inflow,
            is_outflow,
            case_sensitive,
        } = self;
        let list =
            |l: Vec<StoredCondition>| l.into_iter().map(StoredCondition::into_domain).collect::<Result<Vec<_>, _>>();
        let mut groups: Vec<Condition> = Vec::new();
        if let Some(l) = all {
            groups.push(Condition::All(list(l)?));
        }
        if let Some(l) = any {
            groups.push(Condition::Any(list(l)?));
        }
        if let Some(inner) = not {
            groups.push(Condition::Not(Box::new(inner.into_domain()?)));
        }
        let flag = |name: &str, v: Option<bool>| match v {
            Some(false) => Err(format!("condition: '{name}: false' is not a stored operator")),
            other => Ok(other == Some(true)),
        };
        let mut ops: Vec<(&str, Op)> = Vec::new();
        let text = StoredScalar::into_text;
        let mut push = |name, op: Option<Op>| {
            if let Some(op) = op {
                ops.push((name, op));
            }
        };
        push("contains", contains.map(Op::Contains));
        push("equals", equals.map(|v| Op::Equals(text(v))));
        push("starts_with", starts_with.map(Op::StartsWith));
        push("ends_with", ends_with.map(Op::EndsWith));
        push("regex", regex.map(Op::Regex));
        push("one_of", one_of.map(|v| Op::OneOf(v.into_iter().map(text).collect())));
        push("between", between.map(|(a, b)| Op::Between(text(a), text(b))));
        push("gt", gt.map(|v| Op::Gt(text(v))));
        push("lt", lt.map(|v| Op::Lt(text(v))));
        push("ge", ge.map(|v| Op::Ge(text(v))));
        push("le", le.map(|v| Op::Le(text(v))));
        if flag("is_inflow", is_inflow)? {
            ops.push(("is_inflow", Op::IsInflow));
        }
        if flag("is_outflow", is_outflow)? {
            ops.push(("is_outflow", Op::IsOutflow));
        }
        match (groups.len(), ops.len()) {
            (0, 1) => {
                let (name, op) = ops.remove(0);
                let field = match (field, &op) {
                    (Some(f), _) => f.into(),
                    // As in rule files: the flow tests are about the amount.
                    (None, Op::IsInflow | Op::IsOutflow) => Field::Amount,
                    (None, _) => return Err(format!("condition: operator '{name}' has no 'field'")),
                };
                Ok(Condition::Leaf(Predicate { field, op, case_sensitive: case_sensitive == Some(true) }))
            }
            (1, 0) if field.is_none() && case_sensitive.is_none() => Ok(groups.remove(0)),
            (0, 0) => Err("condition: empty (no all/any/not and no operator)".into()),
            (_, 0) if groups.len() > 1 => Err("condition: more than one of all/any/not".into()),
            (_, 0) => Err("condition: all/any/not with a 'field' or 'case_sensitive'".into()),
            (0, _) => {
                let names: Vec<&str> = ops.iter().map(|(n, _)| *n).collect();
                Err(format!("condition: one operator expected, found {}", names.join(", ")))
            }
            _ => Err("condition: both a group (all/any/not) and an operator".into()),
        }
    }
}

/// `{"set_category":"Groceries"}`, `{"add_tags":[…]}`, `{"mark_transfer":true}`…
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredAction {
    SetCategory(String),
    SetCounterparty(String),
    AddTags(Vec<String>),
    MarkTransfer(bool),
    SetNotes(String),
    /// Since `rule_saved` v3.
    SetBucket(String),
}

impl StoredAction {
    fn from_domain(a: &Action) -> Self {
        match a {
            Action::SetCategory(s) => StoredAction::SetCategory(s.clone()),
            Action::SetCounterparty(s) => StoredAction::SetCounterparty(s.clone()),
            Action::AddTags(t) => StoredAction::AddTags(t.clone()),
            Action::MarkTransfer(b) => StoredAction::MarkTransfer(*b),
            Action::SetNotes(s) => StoredAction::SetNotes(s.clone()),
            Action::SetBucket(s) => StoredAction::SetBucket(s.clone()),
        }
    }

    fn into_domain(self) -> Action {
        match self {
            StoredAction::SetCategory(s) => Action::SetCategory(s),
            StoredAction::SetCounterparty(s) => Action::SetCounterparty(s),
            StoredAction::AddTags(t) => Action::AddTags(t),
            StoredAction::MarkTransfer(b) => Action::MarkTransfer(b),
            StoredAction::SetNotes(s) => Action::SetNotes(s),
            StoredAction::SetBucket(s) => Action::SetBucket(s),
        }
    }
}

/// `rule_saved`: written with the defaults left out (`position` 0, `enabled`
/// true, `stop_processing` false, an empty `id`), as the rule file does.
/// v2: `amount` tests are signed; v1's compared magnitudes and are read
/// through [`crate::categorize::rules::read_v1`] (same shape). v3: the
/// `set_bucket` action; v2 had every other action spelt as today, so it is
/// read as it stands (the bump makes an older kassa refuse a v3 rule it
/// could not run, instead of failing on an unknown action).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRule {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub position: i64,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub stop_processing: bool,
    pub when: StoredCondition,
    pub then: Vec<StoredAction>,
}

impl Stored for StoredRule {
    type Domain = Rule;
    fn from_domain(r: &Rule) -> Self {
        StoredRule {
            id: r.id.clone(),
            name: r.name.clone(),
            position: r.position,
            enabled: r.enabled,
            stop_processing: r.stop_processing,
            when: StoredCondition::from_domain(&r.conditions),
            then: r.actions.iter().map(StoredAction::from_domain).collect(),
        }
    }
    fn into_domain(self) -> Result<Rule, Invalid> {
        let conditions = self.when.into_domain().map_err(|e| format!("rule '{}': {e}", self.name))?;
        Ok(Rule {
            id: self.id,
            name: self.name,
            position: self.position,
            enabled: self.enabled,
            stop_processing: self.stop_processing,
            conditions,
            actions: self.then.into_iter().map(StoredAction::into_domain).collect(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRuleDeleted {
    pub rule_id: String,
}

impl Stored for StoredRuleDeleted {
    type Domain = RuleDeleted;
    fn from_domain(r: &RuleDeleted) -> Self {
        StoredRuleDeleted { rule_id: r.rule_id.clone() }
    }
    fn into_domain(self) -> Result<RuleDeleted, Invalid> {
        Ok(RuleDeleted { rule_id: self.rule_id })
    }
}

// ---------------------------------------------------------------------------
// Imports.

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredImportCounts {
    pub rows: u64,
    pub new: u64,
    pub duplicates: u64,
    pub needs_review: u64,
    pub deleted: u64,
    pub errors: u64,
    pub transfers: u64,
    pub trades: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredImportBatch {
    pub batch_id: Uuid,
    pub file_name: String,
    pub sha256: String,
    pub format: String,
    pub counts: StoredImportCounts,
}

impl Stored for StoredImportBatch {
    type Domain = ImportBatch;
    fn from_domain(b: &ImportBatch) -> Self {
        let c = &b.counts;
        StoredImportBatch {
            batch_id: b.batch_id.0,
            file_name: b.file_name.clone(),
            sha256: b.sha256.clone(),
            format: b.format.clone(),
            counts: StoredImportCounts {
                rows: c.rows,
                new: c.new,
                duplicates: c.duplicates,
                needs_review: c.needs_review,
                deleted: c.deleted,
                errors: c.errors,
                transfers: c.transfers,
                trades: c.trades,
            },
        }
    }
    fn into_domain(self) -> Result<ImportBatch, Invalid> {
        let c = self.counts;
        Ok(ImportBatch {
            batch_id: BatchId(self.batch_id),
            file_name: self.file_name,
            sha256: self.sha256,
            format: self.format,
            counts: ImportCounts {
                rows: c.rows,
                new: c.new,
                duplicates: c.duplicates,
                needs_review: c.needs_review,
                deleted: c.deleted,
                errors: c.errors,
                transfers: c.transfers,
                trades: c.trades,
            },
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredImportedRow {
    pub tx_id: Uuid,
    pub account_id: Uuid,
    pub date: Date,
    /// 32 hex digits.
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub pending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredImportRows {
    pub batch_id: Uuid,
    pub rows: Vec<StoredImportedRow>,
}

impl Stored for StoredImportRows {
    type Domain = ImportRows;
    fn from_domain(r: &ImportRows) -> Self {
        let rows = r
            .rows
            .iter()
            .map(|row| StoredImportedRow {
                tx_id: row.tx_id.0,
                account_id: row.account_id.0,
                date: row.date,
                fingerprint: row.fingerprint.to_string(),
                external_id: row.external_id.clone(),
                pending: row.pending,
            })
            .collect();
        StoredImportRows { batch_id: r.batch_id.0, rows }
    }
    fn into_domain(self) -> Result<ImportRows, Invalid> {
        let rows = self
            .rows
            .into_iter()
            .map(|row| {
                Ok(ImportedRow {
                    tx_id: TxId(row.tx_id),
                    account_id: AccountId(row.account_id),
                    date: row.date,
                    fingerprint: fingerprint(&row.fingerprint)?,
                    external_id: row.external_id,
                    pending: row.pending,
                })
            })
            .collect::<Result<_, Invalid>>()?;
        Ok(ImportRows { batch_id: BatchId(self.batch_id), rows })
    }
}

/// Amounts here are the file's, not yet `Money` (no currency check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReviewItem {
    pub review_id: Uuid,
    pub kind: StoredReviewKind,
    pub account_id: Uuid,
    pub date: Date,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub pending: bool,
    pub fingerprint: String,
    pub matched: Vec<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_account: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub to_amount: Option<Decimal>,
    pub source: String,
}

impl StoredReviewItem {
    fn from_domain(i: &ReviewItem) -> Self {
        StoredReviewItem {
            review_id: i.review_id.0,
            kind: i.kind.into(),
            account_id: i.account_id.0,
            date: i.date,
            amount: i.amount,
            description: i.description.clone(),
            counterparty: i.counterparty.clone(),
            external_id: i.external_id.clone(),
            category: i.category.clone(),
            pending: i.pending,
            fingerprint: i.fingerprint.to_string(),
            matched: ids(&i.matched, |t| t.0),
            to_account: i.to_account.map(|a| a.0),
            to_amount: i.to_amount,
            source: i.source.clone(),
        }
    }

    fn into_domain(self) -> Result<ReviewItem, Invalid> {
        Ok(ReviewItem {
            review_id: ReviewId(self.review_id),
            kind: self.kind.into(),
            account_id: AccountId(self.account_id),
            date: self.date,
            amount: self.amount,
            description: self.description,
            counterparty: self.counterparty,
            external_id: self.external_id,
            category: self.category,
            pending: self.pending,
            fingerprint: fingerprint(&self.fingerprint)?,
            matched: self.matched.into_iter().map(TxId).collect(),
            to_account: self.to_account.map(AccountId),
            to_amount: self.to_amount,
            source: self.source,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredImportReviews {
    pub batch_id: Uuid,
    pub items: Vec<StoredReviewItem>,
}

impl Stored for StoredImportReviews {
    type Domain = ImportReviews;
    fn from_domain(r: &ImportReviews) -> Self {
        StoredImportReviews {
            batch_id: r.batch_id.0,
            items: r.items.iter().map(StoredReviewItem::from_domain).collect(),
        }
    }
    fn into_domain(self) -> Result<ImportReviews, Invalid> {
        let items = self.items.into_iter().map(StoredReviewItem::into_domain).collect::<Result<_, _>>()?;
        Ok(ImportReviews { batch_id: BatchId(self.batch_id), items })
    }
}

/// `{"outcome":"recorded","tx_id":…}`, `{"outcome":"duplicate","of":…}`,
/// `{"outcome":"dismissed"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum StoredReviewOutcome {
    Recorded { tx_id: Uuid },
    Duplicate { of: Uuid },
    Dismissed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReviewResolved {
    pub review_id: Uuid,
    pub batch_id: Uuid,
    pub item: StoredReviewItem,
    pub resolution: StoredReviewOutcome,
}

impl Stored for StoredReviewResolved {
    type Domain = ReviewResolved;
    fn from_domain(r: &ReviewResolved) -> Self {
        let resolution = match r.resolution {
            ReviewOutcome::Recorded { tx_id } => StoredReviewOutcome::Recorded { tx_id: tx_id.0 },
            ReviewOutcome::Duplicate { of } => StoredReviewOutcome::Duplicate { of: of.0 },
            ReviewOutcome::Dismissed => StoredReviewOutcome::Dismissed,
        };
        StoredReviewResolved {
            review_id: r.review_id.0,
            batch_id: r.batch_id.0,
            item: StoredReviewItem::from_domain(&r.item),
            resolution,
        }
    }
    fn into_domain(self) -> Result<ReviewResolved, Invalid> {
        let resolution = match self.resolution {
            StoredReviewOutcome::Recorded { tx_id } => ReviewOutcome::Recorded { tx_id: TxId(tx_id) },
            StoredReviewOutcome::Duplicate { of } => ReviewOutcome::Duplicate { of: TxId(of) },
            StoredReviewOutcome::Dismissed => ReviewOutcome::Dismissed,
        };
        Ok(ReviewResolved {
            review_id: ReviewId(self.review_id),
            batch_id: BatchId(self.batch_id),
            item: self.item.into_domain()?,
            resolution,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBatchUndone {
    pub batch_id: Uuid,
}

impl Stored for StoredBatchUndone {
    type Domain = BatchUndone;
    fn from_domain(b: &BatchUndone) -> Self {
        StoredBatchUndone { batch_id: b.batch_id.0 }
    }
    fn into_domain(self) -> Result<BatchUndone, Invalid> {
        Ok(BatchUndone { batch_id: BatchId(self.batch_id) })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredImportedTrade {
    pub account_id: Uuid,
    pub trade_time: String,
    pub date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isin: Option<String>,
    pub side: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub fees: Decimal,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    // Added to v1 without a version bump: every field is optional and
    // absent from the events written before, which read as they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub withholding_tax: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub ratio: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub cost_basis: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTradesImported {
    pub batch_id: Uuid,
    pub trades: Vec<StoredImportedTrade>,
}

impl Stored for StoredTradesImported {
    type Domain = TradesImported;
    fn from_domain(t: &TradesImported) -> Self {
        let trades = t
            .trades
            .iter()
            .map(|t| StoredImportedTrade {
                account_id: t.account_id.0,
                trade_time: t.trade_time.clone(),
                date: t.date,
                symbol: t.symbol.clone(),
                isin: t.isin.clone(),
                side: t.side.clone(),
                quantity: t.quantity,
                price: t.price,
                fees: t.fees,
                currency: t.currency.code().to_string(),
                external_id: t.external_id.clone(),
                name: t.extra.name.clone(),
                amount: t.extra.amount,
                withholding_tax: t.extra.withholding_tax,
                ratio: t.extra.ratio,
                cost_basis: t.extra.cost_basis,
            })
            .collect();
        StoredTradesImported { batch_id: t.batch_id.0, trades }
    }
    fn into_domain(self) -> Result<TradesImported, Invalid> {
        let trades = self
            .trades
            .into_iter()
            .map(|t| {
                Ok(ImportedTrade {
                    account_id: AccountId(t.account_id),
                    trade_time: t.trade_time,
                    date: t.date,
                    symbol: t.symbol,
                    isin: t.isin,
                    side: t.side,
                    quantity: t.quantity,
                    price: t.price,
                    fees: t.fees,
                    currency: currency(&t.currency)?,
                    external_id: t.external_id,
                    extra: TradeExtra {
                        name: t.name,
                        amount: t.amount,
                        withholding_tax: t.withholding_tax,
                        ratio: t.ratio,
                        cost_basis: t.cost_basis,
                    },
                })
            })
            .collect::<Result<_, Invalid>>()?;
        Ok(TradesImported { batch_id: BatchId(self.batch_id), trades })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProfileSaved {
    pub name: String,
    pub toml: String,
}

impl Stored for StoredProfileSaved {
    type Domain = ProfileSaved;
    fn from_domain(p: &ProfileSaved) -> Self {
        StoredProfileSaved { name: p.name.clone(), toml: p.toml.clone() }
    }
    fn into_domain(self) -> Result<ProfileSaved, Invalid> {
        Ok(ProfileSaved { name: self.name, toml: self.toml })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFxRate {
    pub date: Date,
    pub base: String,
    pub quote: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFxRatesImported {
    pub rates: Vec<StoredFxRate>,
}

impl Stored for StoredFxRatesImported {
    type Domain = FxRatesImported;
    fn from_domain(f: &FxRatesImported) -> Self {
        let rates = f
            .rates
            .iter()
            .map(|r| StoredFxRate {
                date: r.date,
                base: r.base.code().to_string(),
                quote: r.quote.code().to_string(),
                rate: r.rate,
            })
            .collect();
        StoredFxRatesImported { rates }
    }
    fn into_domain(self) -> Result<FxRatesImported, Invalid> {
        let rates = self
            .rates
            .into_iter()
            .map(|r| Ok(FxRate { date: r.date, base: currency(&r.base)?, quote: currency(&r.quote)?, rate: r.rate }))
            .collect::<Result<_, Invalid>>()?;
        Ok(FxRatesImported { rates })
    }
}

// ---------------------------------------------------------------------------
// Access (users, tokens, organisations, book roles) and book edits.

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredUserRegistered {
    pub user_id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub platform_admin: bool,
}

impl Stored for StoredUserRegistered {
    type Domain = UserRegistered;
    fn from_domain(u: &UserRegistered) -> Self {
        StoredUserRegistered {
            user_id: u.user_id.0,
            email: u.email.clone(),
            password_hash: u.password_hash.clone(),
            platform_admin: u.platform_admin,
        }
    }
    fn into_domain(self) -> Result<UserRegistered, Invalid> {
        Ok(UserRegistered {
            user_id: UserId(self.user_id),
            email: self.email,
            password_hash: self.password_hash,
            platform_admin: self.platform_admin,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPasswordChanged {
    pub user_id: Uuid,
    pub password_hash: String,
}

impl Stored for StoredPasswordChanged {
    type Domain = PasswordChanged;
    fn from_domain(p: &PasswordChanged) -> Self {
        StoredPasswordChanged { user_id: p.user_id.0, password_hash: p.password_hash.clone() }
    }
    fn into_domain(self) -> Result<PasswordChanged, Invalid> {
        Ok(PasswordChanged { user_id: UserId(self.user_id), password_hash: self.password_hash })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredUserDisabled {
    pub user_id: Uuid,
}

impl Stored for StoredUserDisabled {
    type Domain = UserDisabled;
    fn from_domain(u: &UserDisabled) -> Self {
        StoredUserDisabled { user_id: u.user_id.0 }
    }
    fn into_domain(self) -> Result<UserDisabled, Invalid> {
        Ok(UserDisabled { user_id: UserId(self.user_id) })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTokenIssued {
    pub token_id: Uuid,
    pub user_id: Uuid,
    pub kind: StoredTokenKind,
    pub token_hash: String,
    pub expires_at: Timestamp,
}

impl Stored for StoredTokenIssued {
    type Domain = TokenIssued;
    fn from_domain(t: &TokenIssued) -> Self {
        StoredTokenIssued {
            token_id: t.token_id,
            user_id: t.user_id.0,
            kind: t.kind.into(),
            token_hash: t.token_hash.clone(),
            expires_at: t.expires_at,
        }
    }
    fn into_domain(self) -> Result<TokenIssued, Invalid> {
        Ok(TokenIssued {
            token_id: self.token_id,
            user_id: UserId(self.user_id),
            kind: self.kind.into(),
            token_hash: self.token_hash,
            expires_at: self.expires_at,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTokenRevoked {
    pub token_id: Uuid,
}

impl Stored for StoredTokenRevoked {
    type Domain = TokenRevoked;
    fn from_domain(t: &TokenRevoked) -> Self {
        StoredTokenRevoked { token_id: t.token_id }
    }
    fn into_domain(self) -> Result<TokenRevoked, Invalid> {
        Ok(TokenRevoked { token_id: self.token_id })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOrgCreated {
    pub org_id: Uuid,
    pub name: String,
}

impl Stored for StoredOrgCreated {
    type Domain = OrgCreated;
    fn from_domain(o: &OrgCreated) -> Self {
        StoredOrgCreated { org_id: o.org_id.0, name: o.name.clone() }
    }
    fn into_domain(self) -> Result<OrgCreated, Invalid> {
        Ok(OrgCreated { org_id: OrgId(self.org_id), name: self.name })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOrgMemberSet {
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub role: StoredOrgRole,
}

impl Stored for StoredOrgMemberSet {
    type Domain = OrgMemberSet;
    fn from_domain(m: &OrgMemberSet) -> Self {
        StoredOrgMemberSet { org_id: m.org_id.0, user_id: m.user_id.0, role: m.role.into() }
    }
    fn into_domain(self) -> Result<OrgMemberSet, Invalid> {
        Ok(OrgMemberSet { org_id: OrgId(self.org_id), user_id: UserId(self.user_id), role: self.role.into() })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOrgMemberRemoved {
    pub org_id: Uuid,
    pub user_id: Uuid,
}

impl Stored for StoredOrgMemberRemoved {
    type Domain = OrgMemberRemoved;
    fn from_domain(m: &OrgMemberRemoved) -> Self {
        StoredOrgMemberRemoved { org_id: m.org_id.0, user_id: m.user_id.0 }
    }
    fn into_domain(self) -> Result<OrgMemberRemoved, Invalid> {
        Ok(OrgMemberRemoved { org_id: OrgId(self.org_id), user_id: UserId(self.user_id) })
    }
}

/// `{"kind":"user","id":…}` or `{"kind":"organisation","id":…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum StoredPrincipal {
    User(Uuid),
    Organisation(Uuid),
}

impl From<Principal> for StoredPrincipal {
    fn from(p: Principal) -> Self {
        match p {
            Principal::User(u) => StoredPrincipal::User(u.0),
            Principal::Organisation(o) => StoredPrincipal::Organisation(o.0),
        }
    }
}

impl From<StoredPrincipal> for Principal {
    fn from(p: StoredPrincipal) -> Self {
        match p {
            StoredPrincipal::User(u) => Principal::User(UserId(u)),
            StoredPrincipal::Organisation(o) => Principal::Organisation(OrgId(o)),
        }
    }
}

/// `account_id` is always written, `null` for roles other than spender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBookRoleGranted {
    pub book_id: Uuid,
    pub principal: StoredPrincipal,
    pub role: StoredBookRole,
    pub account_id: Option<Uuid>,
}

impl Stored for StoredBookRoleGranted {
    type Domain = BookRoleGranted;
    fn from_domain(g: &BookRoleGranted) -> Self {
        StoredBookRoleGranted {
            book_id: g.book_id.0,
            principal: g.principal.into(),
            role: g.role.into(),
            account_id: g.account_id.map(|a| a.0),
        }
    }
    fn into_domain(self) -> Result<BookRoleGranted, Invalid> {
        Ok(BookRoleGranted {
            book_id: BookId(self.book_id),
            principal: self.principal.into(),
            role: self.role.into(),
            account_id: self.account_id.map(AccountId),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBookRoleRevoked {
    pub book_id: Uuid,
    pub principal: StoredPrincipal,
}

impl Stored for StoredBookRoleRevoked {
    type Domain = BookRoleRevoked;
    fn from_domain(r: &BookRoleRevoked) -> Self {
        StoredBookRoleRevoked { book_id: r.book_id.0, principal: r.principal.into() }
    }
    fn into_domain(self) -> Result<BookRoleRevoked, Invalid> {
        Ok(BookRoleRevoked { book_id: BookId(self.book_id), principal: self.principal.into() })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBookRenamed {
    pub name: String,
}

impl Stored for StoredBookRenamed {
    type Domain = BookRenamed;
    fn from_domain(b: &BookRenamed) -> Self {
        StoredBookRenamed { name: b.name.clone() }
    }
    fn into_domain(self) -> Result<BookRenamed, Invalid> {
        Ok(BookRenamed { name: self.name })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBookClosed {
    pub book_id: Uuid,
}

impl Stored for StoredBookClosed {
    type Domain = BookClosed;
    fn from_domain(b: &BookClosed) -> Self {
        StoredBookClosed { book_id: b.book_id.0 }
    }
    fn into_domain(self) -> Result<BookClosed, Invalid> {
        Ok(BookClosed { book_id: BookId(self.book_id) })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAccountRenamed {
    pub account_id: Uuid,
    pub name: String,
}

impl Stored for StoredAccountRenamed {
    type Domain = AccountRenamed;
    fn from_domain(a: &AccountRenamed) -> Self {
        StoredAccountRenamed { account_id: a.account_id.0, name: a.name.clone() }
    }
    fn into_domain(self) -> Result<AccountRenamed, Invalid> {
        Ok(AccountRenamed { account_id: AccountId(self.account_id), name: self.name })
    }
}

// ---------------------------------------------------------------------------
// Budgets (issue 17). Months are `"YYYY-MM"`; amounts a decimal and a
// currency code, checked against the currency's minor units on read.

fn month(s: &str) -> Result<Month, Invalid> {
    s.parse::<Month>().map_err(|_| format!("bad month {s:?}: expected YYYY-MM"))
}

fn money(amount: Decimal, code: &str) -> Result<Money, Invalid> {
    Money::new(amount, currency(code)?).map_err(|e| e.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBudgetSet {
    pub category_id: Uuid,
    pub from: String,
    pub through: String,
    pub amount: Decimal,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<Decimal>,
}

impl Stored for StoredBudgetSet {
    type Domain = BudgetSet;
    fn from_domain(b: &BudgetSet) -> Self {
        StoredBudgetSet {
            category_id: b.category.0,
            from: b.from.to_string(),
            through: b.through.to_string(),
            amount: b.amount.amount,
            currency: b.amount.currency.code().to_string(),
            cap: b.cap.map(|c| c.amount),
        }
    }
    fn into_domain(self) -> Result<BudgetSet, Invalid> {
        Ok(BudgetSet {
            category: CategoryId(self.category_id),
            from: month(&self.from)?,
            through: month(&self.through)?,
            amount: money(self.amount, &self.currency)?,
            cap: self.cap.map(|c| money(c, &self.currency)).transpose()?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCarryoverSet {
    pub category_id: Uuid,
    pub month: String,
    pub on: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

impl Stored for StoredCarryoverSet {
    type Domain = CarryoverSet;
    fn from_domain(c: &CarryoverSet) -> Self {
        StoredCarryoverSet {
            category_id: c.category.0,
            month: c.month.to_string(),
            on: c.on,
            cap: c.cap.map(|m| m.amount),
            currency: c.cap.map(|m| m.currency.code().to_string()),
        }
    }
    fn into_domain(self) -> Result<CarryoverSet, Invalid> {
        let cap = match (self.cap, self.currency.as_deref()) {
            (Some(amount), Some(code)) => Some(money(amount, code)?),
            (None, _) => None,
            (Some(_), None) => return Err("a carryover cap needs a currency".into()),
        };
        Ok(CarryoverSet { category: CategoryId(self.category_id), month: month(&self.month)?, on: self.on, cap })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBudgetMoved {
    pub from_category_id: Uuid,
    pub to_category_id: Uuid,
    pub month: String,
    pub amount: Decimal,
    pub currency: String,
}

impl Stored for StoredBudgetMoved {
    type Domain = BudgetMoved;
    fn from_domain(b: &BudgetMoved) -> Self {
        StoredBudgetMoved {
            from_category_id: b.from.0,
            to_category_id: b.to.0,
            month: b.month.to_string(),
            amount: b.amount.amount,
            currency: b.amount.currency.code().to_string(),
        }
    }
    fn into_domain(self) -> Result<BudgetMoved, Invalid> {
        Ok(BudgetMoved {
            from: CategoryId(self.from_category_id),
            to: CategoryId(self.to_category_id),
            month: month(&self.month)?,
            amount: money(self.amount, &self.currency)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBudgetHeld {
    pub month: String,
    pub amount: Decimal,
    pub currency: String,
}

impl Stored for StoredBudgetHeld {
    type Domain = BudgetHeld;
    fn from_domain(b: &BudgetHeld) -> Self {
        StoredBudgetHeld {
            month: b.month.to_string(),
            amount: b.amount.amount,
            currency: b.amount.currency.code().to_string(),
        }
    }
    fn into_domain(self) -> Result<BudgetHeld, Invalid> {
        Ok(BudgetHeld { month: month(&self.month)?, amount: money(self.amount, &self.currency)? })
    }
}

stored_unit_enum!(#[serde(rename_all = "snake_case")] StoredBudgetMode <=> BudgetMode { Envelope, Tracking });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBudgetModeSet {
    pub mode: StoredBudgetMode,
}

impl Stored for StoredBudgetModeSet {
    type Domain = BudgetModeSet;
    fn from_domain(b: &BudgetModeSet) -> Self {
        StoredBudgetModeSet { mode: b.mode.into() }
    }
    fn into_domain(self) -> Result<BudgetModeSet, Invalid> {
        Ok(BudgetModeSet { mode: self.mode.into() })
    }
}

// Recurring payments: the series id as its 16 hex digits.

fn series_id(text: &str) -> Result<SeriesId, Invalid> {
    text.parse()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecurringConfirmed {
    pub series_id: String,
}

impl Stored for StoredRecurringConfirmed {
    type Domain = RecurringConfirmed;
    fn from_domain(r: &RecurringConfirmed) -> Self {
        StoredRecurringConfirmed { series_id: r.series_id.to_string() }
    }
    fn into_domain(self) -> Result<RecurringConfirmed, Invalid> {
        Ok(RecurringConfirmed { series_id: series_id(&self.series_id)? })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecurringDismissed {
    pub series_id: String,
}

impl Stored for StoredRecurringDismissed {
    type Domain = RecurringDismissed;
    fn from_domain(r: &RecurringDismissed) -> Self {
        StoredRecurringDismissed { series_id: r.series_id.to_string() }
    }
    fn into_domain(self) -> Result<RecurringDismissed, Invalid> {
        Ok(RecurringDismissed { series_id: series_id(&self.series_id)? })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecurringRenamed {
    pub series_id: String,
    pub name: String,
}

impl Stored for StoredRecurringRenamed {
    type Domain = RecurringRenamed;
    fn from_domain(r: &RecurringRenamed) -> Self {
        StoredRecurringRenamed { series_id: r.series_id.to_string(), name: r.name.clone() }
    }
    fn into_domain(self) -> Result<RecurringRenamed, Invalid> {
        if self.name.trim().is_empty() {
            return Err("a recurring series' name must not be empty".into());
        }
        Ok(RecurringRenamed { series_id: series_id(&self.series_id)?, name: self.name })
    }
}

// ---------------------------------------------------------------------------
// Investments (issue 16).

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPricePoint {
    pub date: Date,
    pub symbol: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPricesImported {
    pub prices: Vec<StoredPricePoint>,
}

impl Stored for StoredPricesImported {
    type Domain = PricesImported;
    fn from_domain(p: &PricesImported) -> Self {
        let prices = p
            .prices
            .iter()
            .map(|p| StoredPricePoint {
                date: p.date,
                symbol: p.symbol.clone(),
                price: p.price,
                currency: p.currency.code().to_string(),
            })
            .collect();
        StoredPricesImported { prices }
    }
    fn into_domain(self) -> Result<PricesImported, Invalid> {
        let prices = self
            .prices
            .into_iter()
            .map(|p| {
                Ok(PricePoint { date: p.date, symbol: p.symbol, price: p.price, currency: currency(&p.currency)? })
            })
            .collect::<Result<_, Invalid>>()?;
        Ok(PricesImported { prices })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCostMethodSet {
    pub account_id: Uuid,
    pub method: String,
}

impl Stored for StoredCostMethodSet {
    type Domain = CostMethodSet;
    fn from_domain(c: &CostMethodSet) -> Self {
        StoredCostMethodSet { account_id: c.account_id.0, method: c.method.as_str().to_string() }
    }
    fn into_domain(self) -> Result<CostMethodSet, Invalid> {
        let method = CostMethod::parse(&self.method).map_err(|e| e.to_string())?;
        Ok(CostMethodSet { account_id: AccountId(self.account_id), method })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredInstrumentSet {
    pub instrument: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl Stored for StoredInstrumentSet {
    type Domain = InstrumentSet;
    fn from_domain(i: &InstrumentSet) -> Self {
        StoredInstrumentSet {
            instrument: i.instrument.clone(),
            name: i.name.clone(),
            kind: i.kind.map(|k| k.as_str().to_string()),
        }
    }
    fn into_domain(self) -> Result<InstrumentSet, Invalid> {
        if self.instrument.trim().is_empty() {
            return Err("an instrument's key must not be empty".into());
        }
        if self.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err("an instrument's name must not be empty".into());
        }
        let kind = self.kind.as_deref().map(InstrumentKind::parse).transpose().map_err(|e| e.to_string())?;
        Ok(InstrumentSet { instrument: self.instrument, name: self.name, kind })
    }
}

// Buckets: names as the user wrote them, dates as business dates.

fn bucket_name(name: String) -> Result<String, Invalid> {
    if name.trim().is_empty() { Err("a bucket's name must not be empty".into()) } else { Ok(name) }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBucketSet {
    pub name: String,
    pub percent: Decimal,
    pub income_category_ids: Vec<Uuid>,
    pub account_ids: Vec<Uuid>,
    pub from: Date,
}

impl Stored for StoredBucketSet {
    type Domain = BucketSet;
    fn from_domain(b: &BucketSet) -> Self {
        StoredBucketSet {
            name: b.name.clone(),
            percent: b.percent,
            income_category_ids: ids(&b.income_categories, |c| c.0),
            account_ids: ids(&b.accounts, |a| a.0),
            from: b.from,
        }
    }
    fn into_domain(self) -> Result<BucketSet, Invalid> {
        if self.percent.is_sign_negative() || self.percent > Decimal::ONE_HUNDRED {
            return Err(format!("a bucket's percentage must be within 0 to 100, got {}", self.percent));
        }
        Ok(BucketSet {
            name: bucket_name(self.name)?,
            percent: self.percent,
            income_categories: self.income_category_ids.into_iter().map(CategoryId).collect(),
            accounts: self.account_ids.into_iter().map(AccountId).collect(),
            from: in_range(self.from)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBucketMoved {
    pub from: String,
    pub to: String,
    pub amount: Decimal,
    pub currency: String,
    pub date: Date,
}

impl Stored for StoredBucketMoved {
    type Domain = BucketMoved;
    fn from_domain(m: &BucketMoved) -> Self {
        StoredBucketMoved {
            from: m.from.clone(),
            to: m.to.clone(),
            amount: m.amount.amount,
            currency: m.amount.currency.code().to_string(),
            date: m.date,
        }
    }
    fn into_domain(self) -> Result<BucketMoved, Invalid> {
        Ok(BucketMoved {
            from: bucket_name(self.from)?,
            to: bucket_name(self.to)?,
            amount: money(self.amount, &self.currency)?,
            date: in_range(self.date)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBucketAssigned {
    pub tx_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
}

impl Stored for StoredBucketAssigned {
    type Domain = BucketAssigned;
    fn from_domain(a: &BucketAssigned) -> Self {
        StoredBucketAssigned { tx_id: a.tx_id.0, bucket: a.bucket.clone() }
    }
    fn into_domain(self) -> Result<BucketAssigned, Invalid> {
        Ok(BucketAssigned { tx_id: TxId(self.tx_id), bucket: self.bucket.map(bucket_name).transpose()? })
    }
}

// Loans: the transaction and who it is with; the kind by name.

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLoanRecorded {
    pub tx_id: Uuid,
    pub counterparty: String,
    pub kind: String,
}

impl Stored for StoredLoanRecorded {
    type Domain = LoanRecorded;
    fn from_domain(l: &LoanRecorded) -> Self {
        StoredLoanRecorded { tx_id: l.tx_id.0, counterparty: l.counterparty.clone(), kind: l.kind.as_str().into() }
    }
    fn into_domain(self) -> Result<LoanRecorded, Invalid> {
        if self.counterparty.trim().is_empty() {
            return Err("a loan's counterparty must not be empty".into());
        }
        let kind = LoanKind::parse(&self.kind).ok_or_else(|| format!("unknown loan kind '{}'", self.kind))?;
        Ok(LoanRecorded { tx_id: TxId(self.tx_id), counterparty: self.counterparty, kind })
    }
}

// Goals: the target as amount and currency, linked to accounts or a bucket
// (exactly one of the two is present).

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredGoalSet {
    pub name: String,
    pub target: Decimal,
    pub currency: String,
    pub by: Date,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_ids: Vec<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
}

impl Stored for StoredGoalSet {
    type Domain = GoalSet;
    fn from_domain(g: &GoalSet) -> Self {
        let (account_ids, bucket) = match &g.link {
            GoalLink::Accounts(a) => (ids(a, |a| a.0), None),
            GoalLink::Bucket(b) => (vec![], Some(b.clone())),
        };
        StoredGoalSet {
            name: g.name.clone(),
            target: g.target.amount,
            currency: g.target.currency.code().to_string(),
            by: g.by,
            account_ids,
            bucket,
        }
    }
    fn into_domain(self) -> Result<GoalSet, Invalid> {
        if self.name.trim().is_empty() {
            return Err("a goal's name must not be empty".into());
        }
        let link = match (self.account_ids.is_empty(), self.bucket) {
            (false, None) => GoalLink::Accounts(self.account_ids.into_iter().map(AccountId).collect()),
            (true, Some(b)) => GoalLink::Bucket(bucket_name(b)?),
            _ => return Err("a goal is linked to accounts or to one bucket".into()),
        };
        Ok(GoalSet { name: self.name, target: money(self.target, &self.currency)?, by: in_range(self.by)?, link })
    }
}
