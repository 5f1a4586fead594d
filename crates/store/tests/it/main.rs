//! The store's integration tests: one story, run on SQLite and (when
//! `KASSA_TEST_PG` is set) on PostgreSQL.

mod access;
mod concurrency;
mod loans;
mod portfolio;
mod props;
mod ranges;
mod reports;
mod schema;
mod search;
mod state;
mod story;

pub use kassa_core::{
    AccountKind, AccountRef, BookId, CategoryId, CategoryName, Command, Currency, NewAccount, NewTransaction,
    NewTransfer, Owner, Section, Status, TxId,
};
pub use kassa_store::testing::commands::*;
