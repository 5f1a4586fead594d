//! The application layer's integration tests: the import and
//! categorisation services over a real store, on SQLite and (when
//! `KASSA_TEST_PG` is set) on PostgreSQL.

mod buckets;
mod categorize;
#[path = "../../../../testing/corpus.rs"]
mod corpus;
mod create_accounts;
mod import;
mod import_props;

pub use kassa_core::{
    AccountKind, AccountRef, BookId, CategoryId, CategoryName, Command, Currency, NewAccount, NewTransaction,
    NewTransfer, Owner, Section, Status, TxId,
};
pub use kassa_store::testing::commands::*;
