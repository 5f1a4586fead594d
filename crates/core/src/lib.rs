//! kassa-core: the pure domain of kassa — exact money, ISO currencies, IBANs,
//! accounts, categories and the double-entry ledger as commands and events.
//!
//! Architecture invariant: nothing here does I/O, reads a clock, draws a
//! random number or uses a float for money. Ids and times are passed in.

// Money is Decimal; a float in the core must say why (model weights do).
#![warn(clippy::float_arithmetic)]

pub mod access;
pub mod account;
pub mod bucket;
pub mod budget;
pub mod categorize;
pub mod category;
pub mod command;
pub mod currency;
pub mod date;
pub mod error;
pub mod event;
pub mod goal;
pub mod iban;
pub mod ids;
pub mod import;
pub mod ledger;
pub mod loan;
pub mod money;
pub mod portfolio;
pub mod recurring;
pub mod report;
pub mod risk;
pub mod transaction;

pub use account::{Account, AccountKind};
pub use category::{Category, CategoryName, Section};
pub use command::{AccountRef, Command, NewAccount, NewTransaction, NewTransfer};
pub use currency::Currency;
pub use date::LedgerDate;
pub use error::{LedgerError, ParseError};
pub use event::{Book, Event, EventMeta, Owner, RecordedEvent};
pub use iban::Iban;
pub use ids::{AccountId, BatchId, BookId, CategoryId, OrgId, ReviewId, TxId, UserId};
pub use ledger::Ledger;
pub use money::{Amount, Money};
pub use transaction::{CategorySource, Leg, Posting, Postings, Status, Transaction};
