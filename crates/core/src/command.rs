//! Commands: what a user, an import or the API asks the ledger to do. They
//! are checked by [`crate::ledger::Ledger::decide`], which turns them into
//! events or refuses them.

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::account::AccountKind;
use crate::budget::BudgetMode;
use crate::categorize::Rule;
use crate::category::{CategoryName, Section};
use crate::currency::Currency;
use crate::date::LedgerDate;
use crate::event::Owner;
use crate::iban::Iban;
use crate::ids::{AccountId, BookId, CategoryId, TxId};
use crate::import::{
    BatchUndone, ImportBatch, ImportReviews, ImportRows, ProfileSaved, ReviewResolved, TradesImported,
};
use crate::loan::LoanKind;
use crate::money::{Amount, Money};
use crate::recurring::SeriesId;
use crate::report::Month;
use crate::transaction::{CategorySource, Status};

/// An account named the way the caller knows it: the CLI by name, the API by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRef {
    Id(AccountId),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub account_id: AccountId,
    pub name: String,
    pub kind: AccountKind,
    pub currency: Currency,
    pub iban: Option<Iban>,
    pub number: Option<String>,
    pub institution: Option<String>,
    pub location: Option<String>,
    pub opened_on: LedgerDate,
}

/// One amount on one account, with a category or none. Amounts and dates
/// in commands are checked types, so every edge has checked them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTransaction {
    pub tx_id: TxId,
    pub account: AccountRef,
    pub date: LedgerDate,
    /// Signed: + money in, − money out; in the account's currency.
    pub amount: Amount,
    pub description: String,
    pub category: Option<String>,
    pub counterparty: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub external_id: Option<String>,
    pub status: Status,
    /// Where `category` came from; `None` with a category means manual.
    pub category_source: Option<CategorySource>,
}

/// Money moved between two own accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTransfer {
    pub tx_id: TxId,
    pub from: AccountRef,
    pub to: AccountRef,
    pub date: LedgerDate,
    /// Positive, in the source account's currency.
    pub amount: Amount,
    /// What arrives, in the target account's currency; required when the
    /// currencies differ, must be absent or equal to `amount` otherwise.
    pub to_amount: Option<Amount>,
    pub description: String,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    OpenBook {
        book_id: BookId,
        name: String,
        owner: Owner,
    },
    OpenAccount(NewAccount),
    AddCategory {
        category_id: CategoryId,
        name: CategoryName,
        section: Section,
    },
    RecordTransaction(NewTransaction),
    Transfer(NewTransfer),
    /// A person sets (or clears) the category: source manual.
    Recategorize {
        tx_id: TxId,
        category: Option<String>,
    },
    DeleteTransaction {
        tx_id: TxId,
    },
    /// Rules, the model or an import set the category; a manual category is
    /// left alone. `run` groups the changes of one rule run so it can be undone.
    Categorize {
        tx_id: TxId,
        category: Option<String>,
        source: CategorySource,
        run: Option<Uuid>,
    },
    /// Counterparty, extra tags, notes (rule actions, edits).
    Annotate {
        tx_id: TxId,
        counterparty: Option<String>,
        add_tags: Vec<String>,
        notes: Option<String>,
        run: Option<Uuid>,
    },
    /// Undo of a rule run's annotation: counterparty, tags and notes become
    /// exactly these again (`None` clears).
    RestoreAnnotation {
        tx_id: TxId,
        counterparty: Option<String>,
        tags: Vec<String>,
        notes: Option<String>,
        run: Uuid,
    },
    /// The model's guess below the auto-apply threshold, kept for review.
    Suggest {
        tx_id: TxId,
        category: String,
        confidence_permille: u16,
    },
    /// Adds or replaces (by id) a categorisation rule.
    SaveRule(Rule),
    DeleteRule {
        rule_id: String,
    },
    /// The import index lines of transactions recorded earlier in the same batch.
    RecordImportRows(ImportRows),
    /// Rows an import holds back for review.
    HoldForReview(ImportReviews),
    /// Closes an import: file, hash, format and counts.
    FinishImport(ImportBatch),
    ResolveReview(ReviewResolved),
    /// Follows the `DeleteTransaction`s of the batch's transactions.
    UndoImport(BatchUndone),
    ImportTrades(TradesImported),
    SaveProfile(ProfileSaved),
    /// Store exchange rates for reports in another currency.
    ImportFxRates {
        rates: Vec<crate::report::fx::FxRate>,
    },
    /// Store instrument prices (`kassa prices import`).
    ImportPrices {
        prices: Vec<crate::portfolio::events::PricePoint>,
    },
    /// The account's cost-basis method from now on.
    SetCostMethod {
        account_id: AccountId,
        method: crate::portfolio::CostMethod,
    },
    /// An instrument's name and kind (`kassa instrument set`; imports that
    /// learn a kind from the file).
    SetInstrument(crate::portfolio::events::InstrumentSet),
    RenameBook {
        name: String,
    },
    /// Closes the book: it refuses every later command.
    CloseBook,
    RenameAccount {
        account_id: AccountId,
        name: String,
    },
    /// Budget an expense category (`crate::budget`) in every month
    /// `from..=through`; amounts in the book's main currency.
    SetBudget {
        category: String,
        from: Month,
        through: Month,
        amount: Money,
        cap: Option<Money>,
    },
    SetCarryover {
        category: String,
        month: Month,
        on: bool,
        cap: Option<Money>,
    },
    MoveBudget {
        from: String,
        to: String,
        month: Month,
        amount: Money,
    },
    HoldBudget {
        month: Month,
        amount: Money,
    },
    SetBudgetMode {
        mode: BudgetMode,
    },
    /// From `from` on, the bucket `name` takes `percent` of the incomes in
    /// `income_categories` or on `accounts` (`crate::bucket`). The caller
    /// checked the total against the book's other buckets: that needs the
    /// bucket definitions of the log, which decisions do not load.
    SetBucket {
        name: String,
        percent: Decimal,
        income_categories: Vec<String>,
        accounts: Vec<AccountRef>,
        from: LedgerDate,
    },
    /// A neutral move between two buckets the caller found known.
    MoveBucket {
        from: String,
        to: String,
        amount: Money,
        date: LedgerDate,
    },
    /// The transaction's spending comes from `bucket` (a known one), or from none.
    AssignBucket {
        tx_id: TxId,
        bucket: Option<String>,
    },
    /// The transaction `tx_id` (recorded in the same batch) gives, takes or
    /// repays a loan with `counterparty` (`crate::loan`). The caller
    /// checked a repayment against what is open: that needs the log.
    RecordLoan {
        tx_id: TxId,
        counterparty: String,
        kind: LoanKind,
    },
    /// Defines (or redefines) the goal `name` (`crate::goal`); a bucket
    /// link names a bucket the caller found known.
    SetGoal {
        name: String,
        target: Money,
        by: LedgerDate,
        accounts: Vec<AccountRef>,
        bucket: Option<String>,
    },
    /// The user's word on a detected recurring series (the caller checked
    /// that the series exists: detection needs the history, not the ledger).
    ConfirmRecurring {
        series_id: SeriesId,
    },
    DismissRecurring {
        series_id: SeriesId,
    },
    RenameRecurring {
        series_id: SeriesId,
        name: String,
    },
}

impl Command {
    /// Existing transactions the command needs to see, so a store can load
    /// just those into the ledger it decides against.
    pub fn referenced_transaction(&self) -> Option<TxId> {
        match self {
            Command::Recategorize { tx_id, .. }
            | Command::DeleteTransaction { tx_id }
            | Command::Categorize { tx_id, .. }
            | Command::Annotate { tx_id, .. }
            | Command::RestoreAnnotation { tx_id, .. }
            | Command::Suggest { tx_id, .. }
            | Command::AssignBucket { tx_id, .. }
            | Command::RecordLoan { tx_id, .. } => Some(*tx_id),
            _ => None,
        }
    }
}
