//! The one event fold of both backends: every event becomes typed row
//! operations here, and the backends only execute them (SQLite row by row,
//! PostgreSQL in batches). The `match` on [`Event`] is exhaustive with no
//! wildcard, so a new event does not compile until this file says what each
//! projection does with it — the old per-backend folds ended in a catch-all arm and
//! silently ignored anything new.

use jiff::Timestamp;
use kassa_core::access::{
    BookRoleGranted, BookRoleRevoked, OrgCreated, OrgMemberRemoved, OrgMemberSet, PasswordChanged, TokenIssued,
    TokenRevoked, UserDisabled, UserRegistered,
};
use kassa_core::categorize::Rule;
use kassa_core::event::{AccountRenamed, Annotated, AnnotationRestored, Deleted, Recategorized, Suggested};
use kassa_core::import::{
    BatchUndone, ImportBatch, ImportReviews, ImportRows, ProfileSaved, ReviewResolved, TradesImported,
};
use kassa_core::loan::LoanRecorded;
use kassa_core::recurring::SeriesId;
use kassa_core::report::fx::FxRate;
use kassa_core::{
    Account, Book, BookId, Category, CategoryId, CategorySource, Event, RecordedEvent, Transaction, TxId,
};

use crate::budgets::{self, BudgetChange};
use crate::error::Result;
use crate::projection::{BalanceDeltas, book_of};
use crate::recurring::MarkOp;
use crate::reports::FlowDeltas;

/// One change to the projection tables, in the order the backend must make it.
#[derive(Debug)]
pub(crate) enum RowOp<'e> {
    InsertBook {
        book: BookId,
        opened: &'e Book,
    },
    InsertAccount {
        book: BookId,
        account: &'e Account,
    },
    InsertCategory {
        book: BookId,
        category: &'e Category,
    },
    /// The transaction, its postings and its register rows.
    InsertTransaction {
        book: BookId,
        tx: &'e Transaction,
        position: i64,
    },
    /// The category of a transaction, its income/expense posting and its
    /// register rows; its open suggestion goes.
    UpdateCategory {
        tx_id: TxId,
        category: Option<CategoryId>,
        source: Option<CategorySource>,
    },
    /// Counterparty (when given), notes (when given) and tags of a transaction
    /// and the counterparty of its register rows. With `replace`, counterparty
    /// and notes are set as given, `None` clearing them.
    Annotate {
        tx_id: TxId,
        counterparty: Option<&'e str>,
        notes: Option<&'e str>,
        tags: &'e [String],
        replace: bool,
    },
    /// The transaction's rows everywhere, and a tombstone in the import index.
    DeleteTransaction {
        tx_id: TxId,
    },
    UpsertSuggestion {
        book: BookId,
        suggested: &'e Suggested,
    },
    UpsertRule {
        book: BookId,
        rule: &'e Rule,
    },
    DeleteRule {
        book: BookId,
        rule_id: &'e str,
    },
    UpsertFxRates {
        book: BookId,
        rates: &'e [FxRate],
    },
    /// Prices, cost methods and instruments (`crate::portfolio`).
    Portfolio {
        book: BookId,
        op: crate::portfolio::PortfolioOp<'e>,
    },
    /// The user's word on a recurring series.
    MarkRecurring {
        book: BookId,
        series_id: SeriesId,
        op: MarkOp<'e>,
    },
    /// A row of `loans`: the event's log position, the loan.
    InsertLoan {
        book: BookId,
        position: i64,
        loan: &'e LoanRecorded,
    },
    /// A row of `plan_events`: a bucket or goal event as stored.
    InsertPlanEvent {
        book: BookId,
        position: i64,
        event: &'e Event,
    },
    Import(ImportRow<'e>),
    Access(AccessOp<'e>),
    /// Rows of the `budgets` projection, in order.
    Budget(Vec<BudgetChange>),
    /// The batch's sums: monthly category and counterparty totals.
    AddFlows(&'e FlowDeltas),
    /// The batch's sums: daily balance changes and account balances.
    AddBalances(&'e BalanceDeltas),
}

/// An import event's operation, with the book and the log position and
/// time it was recorded at (kept on the batch and review rows).
#[derive(Debug)]
pub(crate) struct ImportRow<'e> {
    pub book: BookId,
    pub position: i64,
    pub recorded_at: Timestamp,
    pub op: ImportOp<'e>,
}

/// The import projections' rows (batches, index, review, trades, profiles).
#[derive(Debug)]
pub(crate) enum ImportOp<'e> {
    InsertBatch(&'e ImportBatch),
    InsertIndexLines(&'e ImportRows),
    InsertReviews(&'e ImportReviews),
    /// Removes the review item and indexes the line as the resolution says.
    ResolveReview(&'e ReviewResolved),
    /// Removes the batch's index lines, review items and trades; marks it undone.
    UndoBatch(&'e BatchUndone),
    InsertTrades(&'e TradesImported),
    UpsertProfile(&'e ProfileSaved),
}

/// Users, tokens, organisations, book grants and the edits of books and accounts.
#[derive(Debug)]
pub(crate) enum AccessOp<'e> {
    InsertUser(&'e UserRegistered),
    SetPassword(&'e PasswordChanged),
    DisableUser(&'e UserDisabled),
    InsertToken(&'e TokenIssued),
    RevokeToken(&'e TokenRevoked),
    InsertOrg(&'e OrgCreated),
    UpsertMember(&'e OrgMemberSet),
    DeleteMember(&'e OrgMemberRemoved),
    UpsertGrant(&'e BookRoleGranted),
    DeleteGrant(&'e BookRoleRevoked),
    RenameBook { book: BookId, name: &'e str },
    DeleteBook(BookId),
    RenameAccount(&'e AccountRenamed),
}

/// What the fold reads back: the stored transaction before a change, for the
/// flow and balance deltas a recategorisation, annotation or deletion makes.
/// It must see the operations already applied in this fold.
pub(crate) trait ProjectionReads {
    fn load_transaction(&mut self, book: BookId, tx: TxId) -> Result<Option<Transaction>>;
}

/// A backend's side of the fold: reads, and executes row operations.
pub(crate) trait RowSink: ProjectionReads {
    fn apply(&mut self, op: RowOp<'_>) -> Result<()>;
}

/// Folds `events` into the projections through `sink`. The summed deltas
/// are applied last, once per batch, so each aggregate row is touched once.
pub(crate) fn project(sink: &mut dyn RowSink, events: &[RecordedEvent]) -> Result<()> {
    let mut deltas = BalanceDeltas::default();
    let mut flows = FlowDeltas::default();
    for re in events {
        let stream_book = book_of(&re.stream);
        // A book's events only project on a `book-…` stream, as written.
        macro_rules! book {
            () => {
                match stream_book {
                    Some(book) => book,
                    None => continue,
                }
            };
        }
        let import =
            |book, op| RowOp::Import(ImportRow { book, position: re.position, recorded_at: re.meta.recorded_at, op });
        let op = match &re.event {
            Event::BookOpened(opened) => RowOp::InsertBook { book: book!(), opened },
            Event::AccountOpened(account) => RowOp::InsertAccount { book: book!(), account },
            Event::CategoryAdded(category) => RowOp::InsertCategory { book: book!(), category },
            Event::TransactionRecorded(tx) => {
                let book = book!();
                deltas.add(tx, 1)?;
                flows.add(book, tx, 1)?;
                RowOp::InsertTransaction { book, tx, position: re.position }
            }
            Event::TransactionRecategorized(Recategorized { tx_id, category, source, postings, .. }) => {
                let book = book!();
                if let Some(old) = sink.load_transaction(book, *tx_id)? {
                    flows.add(book, &old, -1)?;
                    flows.add(book, &Transaction { postings: postings.clone(), ..old }, 1)?;
                }
                RowOp::UpdateCategory { tx_id: *tx_id, category: *category, source: *source }
            }
            Event::TransactionAnnotated(Annotated { tx_id, counterparty, tags, notes, .. }) => {
                let book = book!();
                // A new counterparty moves the amount between counterparty totals.
                if counterparty.is_some()
                    && let Some(old) = sink.load_transaction(book, *tx_id)?
                {
                    flows.add(book, &old, -1)?;
                    flows.add(book, &Transaction { counterparty: counterparty.clone(), ..old }, 1)?;
                }
                RowOp::Annotate {
                    tx_id: *tx_id,
                    counterparty: counterparty.as_deref(),
                    notes: notes.as_deref(),
                    tags,
                    replace: false,
                }
            }
            Event::TransactionAnnotationRestored(AnnotationRestored { tx_id, counterparty, tags, notes, .. }) => {
                let book = book!();
                if let Some(old) = sink.load_transaction(book, *tx_id)?
                    && old.counterparty != *counterparty
                {
                    flows.add(book, &old, -1)?;
                    flows.add(book, &Transaction { counterparty: counterparty.clone(), ..old }, 1)?;
                }
                RowOp::Annotate {
                    tx_id: *tx_id,
                    counterparty: counterparty.as_deref(),
                    notes: notes.as_deref(),
                    tags,
                    replace: true,
                }
            }
            Event::TransactionDeleted(Deleted { tx_id }) => {
                let book = book!();
                if let Some(t) = sink.load_transaction(book, *tx_id)? {
                    deltas.add(&t, -1)?;
                    flows.add(book, &t, -1)?;
                }
                RowOp::DeleteTransaction { tx_id: *tx_id }
            }
            Event::CategorySuggested(suggested) => RowOp::UpsertSuggestion { book: book!(), suggested },
            Event::RuleSaved(rule) => RowOp::UpsertRule { book: book!(), rule },
            Event::RuleDeleted(r) => RowOp::DeleteRule { book: book!(), rule_id: &r.rule_id },
            Event::FxRatesImported(fx) => RowOp::UpsertFxRates { book: book!(), rates: &fx.rates },
            Event::PricesImported(p) => {
                RowOp::Portfolio { book: book!(), op: crate::portfolio::PortfolioOp::Prices(&p.prices) }
            }
            Event::CostMethodSet(c) => RowOp::Portfolio {
                book: book!(),
                op: crate::portfolio::PortfolioOp::Method { account: c.account_id, method: c.method },
            },
            Event::InstrumentSet(i) => {
                RowOp::Portfolio { book: book!(), op: crate::portfolio::PortfolioOp::Instrument(i) }
            }
            Event::ImportBatchRecorded(b) => import(book!(), ImportOp::InsertBatch(b)),
            Event::ImportRowsRecorded(r) => import(book!(), ImportOp::InsertIndexLines(r)),
            Event::ImportReviewHeld(r) => import(book!(), ImportOp::InsertReviews(r)),
            Event::ImportReviewResolved(r) => import(book!(), ImportOp::ResolveReview(r)),
            Event::ImportBatchUndone(u) => import(book!(), ImportOp::UndoBatch(u)),
            Event::TradesImported(t) => {
                let book = book!();
                // The instruments the trades name, created as they are first met.
                sink.apply(RowOp::Portfolio { book, op: crate::portfolio::PortfolioOp::Instruments(&t.trades) })?;
                import(book, ImportOp::InsertTrades(t))
            }
            Event::ImportProfileSaved(p) => import(book!(), ImportOp::UpsertProfile(p)),
            Event::UserRegistered(u) => RowOp::Access(AccessOp::InsertUser(u)),
            Event::PasswordChanged(p) => RowOp::Access(AccessOp::SetPassword(p)),
            Event::UserDisabled(u) => RowOp::Access(AccessOp::DisableUser(u)),
            Event::TokenIssued(t) => RowOp::Access(AccessOp::InsertToken(t)),
            Event::TokenRevoked(t) => RowOp::Access(AccessOp::RevokeToken(t)),
            Event::OrgCreated(o) => RowOp::Access(AccessOp::InsertOrg(o)),
            Event::OrgMemberSet(m) => RowOp::Access(AccessOp::UpsertMember(m)),
            Event::OrgMemberRemoved(m) => RowOp::Access(AccessOp::DeleteMember(m)),
            Event::BookRoleGranted(g) => RowOp::Access(AccessOp::UpsertGrant(g)),
            Event::BookRoleRevoked(r) => RowOp::Access(AccessOp::DeleteGrant(r)),
            Event::BookRenamed(r) => RowOp::Access(AccessOp::RenameBook { book: book!(), name: &r.name }),
            Event::BookClosed(c) => RowOp::Access(AccessOp::DeleteBook(c.book_id)),
            Event::AccountRenamed(r) => RowOp::Access(AccessOp::RenameAccount(r)),
            Event::BudgetSet(b) => RowOp::Budget(budgets::set(book!(), b)),
            Event::BudgetCarryoverSet(c) => RowOp::Budget(budgets::carryover(book!(), c)),
            Event::BudgetMoved(m) => RowOp::Budget(budgets::moved(book!(), m)),
            Event::BudgetHeld(h) => RowOp::Budget(budgets::held(book!(), h)),
            Event::BudgetModeSet(m) => RowOp::Budget(budgets::mode(book!(), m)),
            Event::RecurringConfirmed(r) => {
                RowOp::MarkRecurring { book: book!(), series_id: r.series_id, op: MarkOp::Confirm }
            }
            Event::RecurringDismissed(r) => {
                RowOp::MarkRecurring { book: book!(), series_id: r.series_id, op: MarkOp::Dismiss }
            }
            Event::RecurringRenamed(r) => {
                RowOp::MarkRecurring { book: book!(), series_id: r.series_id, op: MarkOp::Rename(&r.name) }
            }
            // Kept as stored for the folds of `kassa_core::bucket::Buckets`
            // and `kassa_core::goal::goals` (`plan_events`, see ARCHITECTURE.md).
            Event::BucketSet(_) | Event::BucketMoved(_) | Event::BucketAssigned(_) | Event::GoalSet(_) => {
                RowOp::InsertPlanEvent { book: book!(), position: re.position, event: &re.event }
            }
            Event::LoanRecorded(loan) => RowOp::InsertLoan { book: book!(), position: re.position, loan },
        };
        sink.apply(op)?;
    }
    sink.apply(RowOp::AddFlows(&flows))?;
    sink.apply(RowOp::AddBalances(&deltas))
}

#[cfg(test)]
mod tests {
    /// The point of this file: a new event must not compile until the fold
    /// says what it does, which a wildcard arm would quietly undo.
    #[test]
    fn the_fold_has_no_wildcard_arm() {
        let src = include_str!("projector.rs");
        assert!(!src.contains(concat!("_", " =>")), "a wildcard arm in projector.rs");
    }
}
