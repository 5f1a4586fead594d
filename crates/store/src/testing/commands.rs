//! Command builders for tests: a book, accounts, categories, transactions
//! and transfers in one line each, with the ids and dates tests do not care
//! about filled in. Shared by the store's and the application's tests.

use jiff::civil::Date;
use kassa_core::{
    AccountKind, AccountRef, Amount, BookId, CategoryId, CategoryName, Command, Currency, LedgerDate, NewAccount,
    NewTransaction, NewTransfer, Owner, Section, Status, TxId,
};
use rust_decimal::Decimal;
use uuid::Uuid;

/// A fresh time-ordered id.
pub fn id() -> Uuid {
    Uuid::now_v7()
}

pub fn d(s: &str) -> Date {
    s.parse().unwrap()
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A date in kassa's range, as commands carry it.
pub fn day(s: &str) -> LedgerDate {
    s.parse().unwrap()
}

/// An amount in kassa's range, as commands carry it.
pub fn amount(s: &str) -> Amount {
    s.parse().unwrap()
}

pub fn open_book(book: BookId) -> Command {
    Command::OpenBook { book_id: book, name: format!("book {book}"), owner: Owner::Local }
}

pub fn account(name: &str, currency: Currency) -> Command {
    Command::OpenAccount(NewAccount {
        account_id: kassa_core::AccountId(id()),
        name: name.into(),
        kind: AccountKind::Checking,
        currency,
        iban: None,
        number: None,
        institution: None,
        location: None,
        opened_on: day("2024-01-01"),
    })
}

pub fn category(name: &str, section: Section) -> Command {
    Command::AddCategory { category_id: CategoryId(id()), name: CategoryName::parse(name).unwrap(), section }
}

pub fn tx(account: &str, date: &str, amount: &str, category: Option<&str>) -> Command {
    Command::RecordTransaction(NewTransaction {
        tx_id: TxId(id()),
        account: AccountRef::Name(account.into()),
        date: day(date),
        amount: self::amount(amount),
        description: format!("{account} {amount}"),
        category: category.map(str::to_string),
        counterparty: None,
        tags: vec![],
        notes: None,
        external_id: None,
        status: Status::Booked,
        category_source: None,
    })
}

pub fn transfer(from: &str, to: &str, date: &str, amount: &str, to_amount: Option<&str>) -> Command {
    Command::Transfer(NewTransfer {
        tx_id: TxId(id()),
        from: AccountRef::Name(from.into()),
        to: AccountRef::Name(to.into()),
        date: day(date),
        amount: self::amount(amount),
        to_amount: to_amount.map(self::amount),
        description: "transfer".into(),
        external_id: None,
    })
}
