//! The ledger aggregate: `decide` checks a command against the current state
//! and returns the events it causes; `apply` folds an event into the state.
//! Everything a book promises (names unique, amounts in the account's
//! currency, every transaction balanced) is enforced in `decide`.
//!
//! A `Ledger` built by a store for one command holds the book, its accounts
//! and categories, and only the transactions the command references; one
//! folded from the whole log (tests, exports) holds every transaction.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::account::Account;
use crate::bucket::{BucketAssigned, BucketMoved, BucketSet, UNALLOCATED};
use crate::budget::{BudgetHeld, BudgetModeSet, BudgetMoved, BudgetSet, CarryoverSet};
use crate::categorize::{Action, Rule, RuleSet};
use crate::category::{Category, CategoryName, Section};
use crate::command::{AccountRef, Command, NewTransaction, NewTransfer};
use crate::currency::Currency;
use crate::error::{LedgerError, ParseError};
use crate::event::{
    AccountRenamed, Annotated, AnnotationRestored, Book, BookClosed, BookRenamed, Deleted, Event, FxRatesImported,
    Recategorized, RuleDeleted, Suggested,
};
use crate::goal::{GoalLink, GoalSet};
use crate::ids::{AccountId, CategoryId, TxId};
use crate::import::ReviewOutcome;
use crate::loan::LoanRecorded;
use crate::money::{Amount, Money};
use crate::portfolio::events::{CostMethodSet, InstrumentSet, PricesImported};
use crate::recurring::{RecurringConfirmed, RecurringDismissed, RecurringRenamed};
use crate::transaction::{CategorySource, Leg, Posting, Postings, Transaction};

#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub book: Option<Book>,
    accounts: BTreeMap<AccountId, Account>,
    categories: BTreeMap<CategoryId, Category>,
    transactions: HashMap<TxId, Transaction>,
    /// Each rule with the order it was first saved in, which breaks ties
    /// of equal positions (rules saved before positions were explicit).
    rules: BTreeMap<String, (u64, Rule)>,
    rules_saved: u64,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Folds a sequence of events (a stream, in version order) into a ledger.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Ledger {
        let mut ledger = Ledger::new();
        for e in events {
            ledger.apply(e);
        }
        ledger
    }

    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    pub fn categories(&self) -> impl Iterator<Item = &Category> {
        self.categories.values()
    }

    pub fn transactions(&self) -> impl Iterator<Item = &Transaction> {
        self.transactions.values()
    }

    /// The book's categorisation rules in the order they run: by position,
    /// then in the order they were first saved (never by id: issue 15 found
    /// a rule file's order lost that way).
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        let mut rules: Vec<&(u64, Rule)> = self.rules.values().collect();
        rules.sort_by_key(|(saved, r)| (r.position, *saved));
        rules.into_iter().map(|(_, r)| r)
    }

    pub fn account(&self, id: AccountId) -> Option<&Account> {
        self.accounts.get(&id)
    }

    pub fn category(&self, id: CategoryId) -> Option<&Category> {
        self.categories.get(&id)
    }

    pub fn transaction(&self, id: TxId) -> Option<&Transaction> {
        self.transactions.get(&id)
    }

    /// Adds a transaction the store loaded from its projections, so a command
    /// that references it can be decided without replaying the stream.
    pub fn insert_loaded_transaction(&mut self, tx: Transaction) {
        self.transactions.insert(tx.id, tx);
    }

    pub fn decide(&self, cmd: &Command) -> Result<Vec<Event>, LedgerError> {
        if !matches!(cmd, Command::OpenBook { .. }) && self.book.is_none() {
            return Err(LedgerError::NoBook);
        }
        match cmd {
            Command::OpenBook { book_id, name, owner } => {
                if self.book.is_some() {
                    return Err(LedgerError::BookExists);
                }
                let name = non_empty(name)?;
                Ok(vec![Event::BookOpened(Book { id: *book_id, name, owner: *owner })])
            }
            Command::OpenAccount(a) => {
                let name = non_empty(&a.name)?;
                if self.accounts.values().any(|x| x.name.eq_ignore_ascii_case(&name)) {
                    return Err(LedgerError::DuplicateAccount(name));
                }
                Ok(vec![Event::AccountOpened(Account {
                    id: a.account_id,
                    name,
                    kind: a.kind,
                    currency: a.currency,
                    iban: a.iban.clone(),
                    number: a.number.clone(),
                    institution: a.institution.clone(),
                    location: a.location.clone(),
                    opened_on: a.opened_on.get(),
                })])
            }
            Command::AddCategory { category_id, name, section } => {
                if self.categories.values().any(|c| c.name.as_str().eq_ignore_ascii_case(name.as_str())) {
                    return Err(LedgerError::DuplicateCategory(name.to_string()));
                }
                Ok(vec![Event::CategoryAdded(Category { id: *category_id, name: name.clone(), section: *section })])
            }
            Command::RecordTransaction(t) => self.decide_record(t),
            Command::Transfer(t) => self.decide_transfer(t),
            Command::Recategorize { tx_id, category } => {
                self.decide_categorize(*tx_id, category.as_deref(), CategorySource::Manual, None)
            }
            Command::Categorize { tx_id, category, source, run } => {
                self.decide_categorize(*tx_id, category.as_deref(), *source, *run)
            }
            Command::Annotate { tx_id, counterparty, add_tags, notes, run } => {
                let tx = self.known_transaction(*tx_id)?;
                let counterparty = clean(counterparty).filter(|c| tx.counterparty.as_ref() != Some(c));
                let notes = clean(notes).filter(|n| tx.notes.as_ref() != Some(n));
                let mut tags = tx.tags.clone();
                for t in add_tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
                    if !tags.iter().any(|x| x == t) {
                        tags.push(t.to_string());
                    }
                }
                if counterparty.is_none() && notes.is_none() && tags == tx.tags {
                    return Ok(vec![]);
                }
                Ok(vec![Event::TransactionAnnotated(Annotated { tx_id: *tx_id, counterparty, tags, notes, run: *run })])
            }
            Command::RestoreAnnotation { tx_id, counterparty, tags, notes, run } => {
                let tx = self.known_transaction(*tx_id)?;
                let (counterparty, notes) = (clean(counterparty), clean(notes));
                if tx.counterparty == counterparty && tx.notes == notes && &tx.tags == tags {
                    return Ok(vec![]);
                }
                Ok(vec![Event::TransactionAnnotationRestored(AnnotationRestored {
                    tx_id: *tx_id,
                    counterparty,
                    tags: tags.clone(),
                    notes,
                    run: *run,
                })])
            }
            Command::Suggest { tx_id, category, confidence_permille } => {
                let tx = self.known_transaction(*tx_id)?;
                let category = self.resolve_category(category)?;
                if tx.postings.category() == Some(category) {
                    return Ok(vec![]);
                }
                let confidence_permille = (*confidence_permille).min(1000);
                Ok(vec![Event::CategorySuggested(Suggested { tx_id: *tx_id, category, confidence_permille })])
            }
            Command::SaveRule(rule) => {
                RuleSet::compile(std::slice::from_ref(rule)).map_err(|e| LedgerError::InvalidRule(e.to_string()))?;
                for action in &rule.actions {
                    if let Action::SetCategory(c) = action {
                        self.resolve_category(c)?;
                    }
                }
                if self.rules.get(&rule.id).map(|(_, r)| r) == Some(rule) {
                    return Ok(vec![]);
                }
                Ok(vec![Event::RuleSaved(rule.clone())])
            }
            Command::DeleteRule { rule_id } => {
                if !self.rules.contains_key(rule_id) {
                    return Err(LedgerError::UnknownRule(rule_id.clone()));
                }
                Ok(vec![Event::RuleDeleted(RuleDeleted { rule_id: rule_id.clone() })])
            }
            Command::DeleteTransaction { tx_id } => {
                if !self.transactions.contains_key(tx_id) {
                    return Err(LedgerError::UnknownTransaction(tx_id.to_string()));
                }
                Ok(vec![Event::TransactionDeleted(Deleted { tx_id: *tx_id })])
            }
            Command::RecordImportRows(r) => {
                for row in &r.rows {
                    self.account_by_id(row.account_id)?;
                    if !self.transactions.contains_key(&row.tx_id) {
                        return Err(LedgerError::UnknownTransaction(row.tx_id.to_string()));
                    }
                }
                Ok(vec![Event::ImportRowsRecorded(r.clone())])
            }
            Command::HoldForReview(r) => {
                for item in &r.items {
                    self.account_by_id(item.account_id)?;
                }
                Ok(vec![Event::ImportReviewHeld(r.clone())])
            }
            Command::FinishImport(b) => Ok(vec![Event::ImportBatchRecorded(b.clone())]),
            Command::ResolveReview(r) => {
                if let ReviewOutcome::Recorded { tx_id } = r.resolution
                    && !self.transactions.contains_key(&tx_id)
                {
                    return Err(LedgerError::UnknownTransaction(tx_id.to_string()));
                }
                Ok(vec![Event::ImportReviewResolved(r.clone())])
            }
            Command::UndoImport(u) => Ok(vec![Event::ImportBatchUndone(u.clone())]),
            Command::ImportTrades(t) => {
                for tr in &t.trades {
                    self.account_by_id(tr.account_id)?;
                }
                Ok(vec![Event::TradesImported(t.clone())])
            }
            Command::SaveProfile(p) => {
                non_empty(&p.name)?;
                Ok(vec![Event::ImportProfileSaved(p.clone())])
            }
            Command::ImportFxRates { rates } => {
                // The CSV reader checks the same; this guards every other
                // caller (and replays nothing the reader would refuse).
                for r in rates {
                    if let Err(why) = crate::report::fx::check(r) {
                        return Err(LedgerError::BadFxRate(format!(
                            "{} {}/{} {}: {why}",
                            r.date, r.base, r.quote, r.rate
                        )));
                    }
                }
                if rates.is_empty() {
                    return Ok(vec![]);
                }
                Ok(vec![Event::FxRatesImported(FxRatesImported { rates: rates.clone() })])
            }
            Command::ImportPrices { prices } => {
                if let Some(p) = prices.iter().find(|p| p.price < Decimal::ZERO || p.symbol.trim().is_empty()) {
                    return Err(LedgerError::BadPrice(format!("{} '{}' {}", p.date, p.symbol, p.price)));
                }
                if prices.is_empty() {
                    return Ok(vec![]);
                }
                Ok(vec![Event::PricesImported(PricesImported { prices: prices.clone() })])
            }
            Command::SetCostMethod { account_id, method } => {
                if !self.accounts.contains_key(account_id) {
                    return Err(LedgerError::UnknownAccount { name: account_id.to_string(), did_you_mean: None });
                }
                Ok(vec![Event::CostMethodSet(CostMethodSet { account_id: *account_id, method: *method })])
            }
            Command::SetInstrument(InstrumentSet { instrument, name, kind }) => {
                let instrument = non_empty(instrument)?;
                let name = name.as_deref().map(non_empty).transpose()?;
                if name.is_none() && kind.is_none() {
                    return Ok(vec![]);
                }
                Ok(vec![Event::InstrumentSet(InstrumentSet { instrument, name, kind: *kind })])
            }
            Command::RenameBook { name } => {
                let name = non_empty(name)?;
                Ok(vec![Event::BookRenamed(BookRenamed { name })])
            }
            Command::CloseBook => {
                let id = self.book.as_ref().map(|b| b.id).ok_or(LedgerError::NoBook)?;
                Ok(vec![Event::BookClosed(BookClosed { book_id: id })])
            }
            Command::RenameAccount { account_id, name } => {
                let name = non_empty(name)?;
                let account = self.resolve_account(&AccountRef::Id(*account_id))?;
                if account.name == name {
                    return Ok(vec![]);
                }
                if self.accounts.values().any(|x| x.id != *account_id && x.name.eq_ignore_ascii_case(&name)) {
                    return Err(LedgerError::DuplicateAccount(name));
                }
                Ok(vec![Event::AccountRenamed(AccountRenamed { account_id: *account_id, name })])
            }
            Command::SetBudget { category, from, through, amount, cap } => {
                let category = self.budget_category(category, "category")?;
                not_negative("amount", amount)?;
                if let Some(cap) = cap {
                    not_negative("up_to", cap)?;
                }
                if through < from {
                    return Err(bad_budget("through", format!("{through} is before {from}")));
                }
                let span = (i32::from(through.year) - i32::from(from.year)) * 12 + i32::from(through.month)
                    - i32::from(from.month);
                // Each month becomes a projection row: a typo of a year should not write thousands.
                if span >= MAX_BUDGET_MONTHS {
                    return Err(bad_budget("through", format!("at most {MAX_BUDGET_MONTHS} months at once")));
                }
                Ok(vec![Event::BudgetSet(BudgetSet {
                    category,
                    from: *from,
                    through: *through,
                    amount: *amount,
                    cap: *cap,
                })])
            }
            Command::SetCarryover { category, month, on, cap } => {
                let category = self.budget_category(category, "category")?;
                if let Some(cap) = cap {
                    not_negative("up_to", cap)?;
                }
                Ok(vec![Event::BudgetCarryoverSet(CarryoverSet { category, month: *month, on: *on, cap: *cap })])
            }
            Command::MoveBudget { from, to, month, amount } => {
                let from = self.budget_category(from, "from")?;
                let to = self.budget_category(to, "to")?;
                if from == to {
                    return Err(bad_budget("to", "must differ from 'from'".into()));
                }
                if amount.amount <= Decimal::ZERO {
                    return Err(bad_budget("amount", format!("must be positive, got {}", amount.amount)));
                }
                Ok(vec![Event::BudgetMoved(BudgetMoved { from, to, month: *month, amount: *amount })])
            }
            Command::HoldBudget { month, amount } => {
                not_negative("amount", amount)?;
                Ok(vec![Event::BudgetHeld(BudgetHeld { month: *month, amount: *amount })])
            }
            Command::SetBudgetMode { mode } => Ok(vec![Event::BudgetModeSet(BudgetModeSet { mode: *mode })]),
            Command::SetBucket { name, percent, income_categories, accounts, from } => {
                let name = non_empty(name)?;
                if name.eq_ignore_ascii_case(UNALLOCATED) {
                    return Err(bad_budget(
                        "name",
                        format!("'{UNALLOCATED}' is the rest of every income, not a bucket"),
                    ));
                }
                if percent.is_sign_negative() || *percent > Decimal::ONE_HUNDRED {
                    return Err(bad_budget("percent", format!("must be within 0 to 100, got {percent}")));
                }
                let income_categories = income_categories
                    .iter()
                    .map(|c| {
                        let id = self.resolve_category(c)?;
                        let c = &self.categories[&id];
                        if c.section != Section::Income {
                            return Err(bad_budget(
                                "income_category",
                                format!("'{}' is in the {} section; buckets are fed by income", c.name, c.section),
                            ));
                        }
                        Ok(id)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let accounts =
                    accounts.iter().map(|a| self.resolve_account(a).map(|a| a.id)).collect::<Result<Vec<_>, _>>()?;
                Ok(vec![Event::BucketSet(BucketSet {
                    name,
                    percent: *percent,
                    income_categories,
                    accounts,
                    from: from.get(),
                })])
            }
            Command::MoveBucket { from, to, amount, date } => {
                let (from, to) = (non_empty(from)?, non_empty(to)?);
                if from.eq_ignore_ascii_case(&to) {
                    return Err(bad_budget("to", "must differ from 'from'".into()));
                }
                if amount.amount <= Decimal::ZERO {
                    return Err(bad_budget("amount", format!("must be positive, got {}", amount.amount)));
                }
                Ok(vec![Event::BucketMoved(BucketMoved { from, to, amount: *amount, date: date.get() })])
            }
            Command::AssignBucket { tx_id, bucket } => {
                self.known_transaction(*tx_id)?;
                let bucket = bucket.as_deref().map(non_empty).transpose()?;
                Ok(vec![Event::BucketAssigned(BucketAssigned { tx_id: *tx_id, bucket })])
            }
            Command::RecordLoan { tx_id, counterparty, kind } => {
                self.known_transaction(*tx_id)?;
                let counterparty = non_empty(counterparty)?;
                Ok(vec![Event::LoanRecorded(LoanRecorded { tx_id: *tx_id, counterparty, kind: *kind })])
            }
            Command::SetGoal { name, target, by, accounts, bucket } => {
                let name = non_empty(name)?;
                if target.amount <= Decimal::ZERO {
                    return Err(bad_budget("target", format!("must be positive, got {}", target.amount)));
                }
                let link = match (accounts.is_empty(), bucket) {
                    (false, None) => {
                        let accounts =
                            accounts.iter().map(|a| self.resolve_account(a)).collect::<Result<Vec<_>, _>>()?;
                        if let Some(a) = accounts.iter().find(|a| a.currency != target.currency) {
                            return Err(bad_budget(
                                "account",
                                format!("'{}' is in {}, the goal's target in {}", a.name, a.currency, target.currency),
                            ));
                        }
                        GoalLink::Accounts(accounts.iter().map(|a| a.id).collect())
                    }
                    (true, Some(b)) => GoalLink::Bucket(non_empty(b)?),
                    _ => return Err(bad_budget("account", "a goal is linked to accounts or to one bucket".into())),
                };
                Ok(vec![Event::GoalSet(GoalSet { name, target: *target, by: by.get(), link })])
            }
            Command::ConfirmRecurring { series_id } => {
                Ok(vec![Event::RecurringConfirmed(RecurringConfirmed { series_id: *series_id })])
            }
            Command::DismissRecurring { series_id } => {
                Ok(vec![Event::RecurringDismissed(RecurringDismissed { series_id: *series_id })])
            }
            Command::RenameRecurring { series_id, name } => {
                let name = non_empty(name)?;
                Ok(vec![Event::RecurringRenamed(RecurringRenamed { series_id: *series_id, name })])
            }
        }
    }

    /// An expense category by name, for a budget command's `field`.
    fn budget_category(&self, name: &str, field: &'static str) -> Result<CategoryId, LedgerError> {
        let id = self.resolve_category(name)?;
        let c = &self.categories[&id];
        if c.section != Section::Expense {
            return Err(bad_budget(
                field,
                format!("'{}' is in the {} section; only expense categories have budgets", c.name, c.section),
            ));
        }
        Ok(id)
    }

    fn known_transaction(&self, id: TxId) -> Result<&Transaction, LedgerError> {
        self.transaction(id).ok_or_else(|| LedgerError::UnknownTransaction(id.to_string()))
    }

    /// Sets a category from `source`. A manual category is never replaced
    /// by anything but another manual choice; transfers have none.
    fn decide_categorize(
        &self,
        tx_id: TxId,
        category: Option<&str>,
        source: CategorySource,
        run: Option<uuid::Uuid>,
    ) -> Result<Vec<Event>, LedgerError> {
        let tx = self.known_transaction(tx_id)?;
        let category = category.map(|c| self.resolve_category(c)).transpose()?;
        let current = tx.postings.category();
        let manual_kept = source != CategorySource::Manual && tx.category_source == Some(CategorySource::Manual);
        // Confirming the same category by hand still records it as manual.
        let unchanged = current == category && (source != CategorySource::Manual || tx.category_source == Some(source));
        if tx.postings.is_transfer() || manual_kept || unchanged {
            return Ok(vec![]);
        }
        Ok(vec![Event::TransactionRecategorized(Recategorized {
            tx_id,
            category,
            postings: tx.postings.recategorized(category),
            source: category.map(|_| source),
            previous: current,
            previous_source: tx.category_source,
            run,
        })])
    }

    fn account_by_id(&self, id: AccountId) -> Result<&Account, LedgerError> {
        self.resolve_account(&AccountRef::Id(id))
    }

    /// Drops the transactions this ledger holds. A long import decides chunk
    /// by chunk and only ever references transactions of the current chunk,
    /// so memory stays flat however big the file is.
    pub fn forget_transactions(&mut self) {
        self.transactions.clear();
    }

    fn decide_record(&self, t: &NewTransaction) -> Result<Vec<Event>, LedgerError> {
        if self.transactions.contains_key(&t.tx_id) {
            return Err(LedgerError::DuplicateTransaction(t.tx_id.to_string()));
        }
        let account = self.resolve_account(&t.account)?;
        let amount = Money::new(t.amount.get(), account.currency)?;
        if amount.is_zero() {
            return Err(LedgerError::ZeroAmount);
        }
        let category = t.category.as_deref().map(|c| self.resolve_category(c)).transpose()?;
        let other = category.map_or(Leg::Uncategorized, Leg::Category);
        let postings = Postings::new(vec![
            Posting { leg: Leg::Account(account.id), amount },
            Posting { leg: other, amount: amount.negated() },
        ])?;
        Ok(vec![Event::TransactionRecorded(Transaction {
            id: t.tx_id,
            date: t.date.get(),
            description: t.description.trim().to_string(),
            postings,
            counterparty: clean(&t.counterparty),
            tags: t.tags.clone(),
            notes: clean(&t.notes),
            external_id: clean(&t.external_id),
            status: t.status,
            category_source: category.map(|_| t.category_source.unwrap_or(CategorySource::Manual)),
        })])
    }

    fn decide_transfer(&self, t: &NewTransfer) -> Result<Vec<Event>, LedgerError> {
        let from = self.resolve_account(&t.from)?;
        let to = self.resolve_account(&t.to)?;
        if from.id == to.id {
            return Err(LedgerError::TransferToSelf(from.name.clone()));
        }
        let amount = t.amount.get();
        if amount <= Decimal::ZERO {
            return Err(LedgerError::TransferNotPositive(amount.to_string()));
        }
        let sent = Money::new(amount, from.currency)?;
        let mut postings = vec![Posting { leg: Leg::Account(from.id), amount: sent.negated() }];
        let to_amount = t.to_amount.map(Amount::get);
        if from.currency == to.currency {
            if let Some(x) = to_amount.filter(|x| *x != amount) {
                // Both are in range, so their difference is (at most 2 × 10^14).
                return Err(LedgerError::Unbalanced {
                    currency: from.currency.to_string(),
                    sum: (x - amount).to_string(),
                });
            }
            postings.push(Posting { leg: Leg::Account(to.id), amount: sent });
        } else {
            let Some(to_amount) = to_amount else {
                return Err(LedgerError::TransferNeedsRate {
                    from: from.name.clone(),
                    from_currency: from.currency.to_string(),
                    to: to.name.clone(),
                    to_currency: to.currency.to_string(),
                });
            };
            if to_amount <= Decimal::ZERO {
                return Err(LedgerError::TransferNotPositive(to_amount.to_string()));
            }
            let received = Money::new(to_amount, to.currency)?;
            postings.push(Posting { leg: Leg::Conversion, amount: sent });
            postings.push(Posting { leg: Leg::Conversion, amount: received.negated() });
            postings.push(Posting { leg: Leg::Account(to.id), amount: received });
        }
        Ok(vec![Event::TransactionRecorded(Transaction {
            id: t.tx_id,
            date: t.date.get(),
            description: t.description.trim().to_string(),
            postings: Postings::new(postings)?,
            counterparty: None,
            tags: vec![],
            notes: None,
            external_id: clean(&t.external_id),
            status: Default::default(),
            category_source: None,
        })])
    }

    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::BookOpened(b) => self.book = Some(b.clone()),
            Event::AccountOpened(a) => {
                self.accounts.insert(a.id, a.clone());
            }
            Event::CategoryAdded(c) => {
                self.categories.insert(c.id, c.clone());
            }
            Event::TransactionRecorded(t) => {
                self.transactions.insert(t.id, t.clone());
            }
            Event::TransactionRecategorized(Recategorized { tx_id, postings, source, .. }) => {
                if let Some(t) = self.transactions.get_mut(tx_id) {
                    t.postings = postings.clone();
                    t.category_source = *source;
                }
            }
            Event::TransactionAnnotated(a) => {
                if let Some(t) = self.transactions.get_mut(&a.tx_id) {
                    if a.counterparty.is_some() {
                        t.counterparty.clone_from(&a.counterparty);
                    }
                    if a.notes.is_some() {
                        t.notes.clone_from(&a.notes);
                    }
                    t.tags.clone_from(&a.tags);
                }
            }
            Event::TransactionAnnotationRestored(a) => {
                if let Some(t) = self.transactions.get_mut(&a.tx_id) {
                    t.counterparty.clone_from(&a.counterparty);
                    t.notes.clone_from(&a.notes);
                    t.tags.clone_from(&a.tags);
                }
            }
            Event::CategorySuggested(_) => {}
            Event::RuleSaved(r) => {
                let saved = self.rules.get(&r.id).map_or(self.rules_saved, |(saved, _)| *saved);
                self.rules_saved += 1;
                self.rules.insert(r.id.clone(), (saved, r.clone()));
            }
            Event::RuleDeleted(d) => {
                self.rules.remove(&d.rule_id);
            }
            Event::TransactionDeleted(Deleted { tx_id }) => {
                self.transactions.remove(tx_id);
            }
            // Import bookkeeping lives in the store's import projections.
            Event::ImportBatchRecorded(_)
            | Event::ImportRowsRecorded(_)
            | Event::ImportReviewHeld(_)
            | Event::ImportReviewResolved(_)
            | Event::ImportBatchUndone(_)
            | Event::TradesImported(_)
            | Event::ImportProfileSaved(_) => {}
            // Rates are read by reports, not by the ledger's decisions.
            Event::FxRatesImported(_) => {}
            // Prices and cost methods are read by the portfolio reports.
            Event::PricesImported(_) | Event::CostMethodSet(_) | Event::InstrumentSet(_) => {}
            Event::BookRenamed(BookRenamed { name }) => {
                if let Some(b) = self.book.as_mut() {
                    b.name = name.clone();
                }
            }
            // A closed book is no book: later commands get `NoBook`.
            Event::BookClosed(_) => *self = Ledger::new(),
            Event::AccountRenamed(AccountRenamed { account_id, name }) => {
                if let Some(a) = self.accounts.get_mut(account_id) {
                    a.name = name.clone();
                }
            }
            // Budgets are read from their projection, never by decisions.
            Event::BudgetSet(_)
            | Event::BudgetCarryoverSet(_)
            | Event::BudgetMoved(_)
            | Event::BudgetHeld(_)
            | Event::BudgetModeSet(_) => {}
            // The user's word on recurring series lives in its projection.
            Event::RecurringConfirmed(_) | Event::RecurringDismissed(_) | Event::RecurringRenamed(_) => {}
            // Buckets are folded from the log by `bucket::Buckets`.
            Event::BucketSet(_) | Event::BucketMoved(_) | Event::BucketAssigned(_) => {}
            // Loans and goals are folded from the log by `loan::Loans` and `goal::goals`.
            Event::LoanRecorded(_) | Event::GoalSet(_) => {}
            // Access events live in their own streams (ADR 004).
            _ => {}
        }
    }

    /// Decides and applies commands in order; the first refusal stops the
    /// batch. The store runs this inside one database transaction, so a
    /// refused batch writes nothing.
    pub fn execute(&mut self, cmds: &[Command]) -> Result<Vec<Event>, LedgerError> {
        let mut out = Vec::new();
        for cmd in cmds {
            for e in self.decide(cmd)? {
                self.apply(&e);
                out.push(e);
            }
        }
        Ok(out)
    }

    pub fn resolve_account(&self, r: &AccountRef) -> Result<&Account, LedgerError> {
        match r {
            AccountRef::Id(id) => self
                .accounts
                .get(id)
                .ok_or_else(|| LedgerError::UnknownAccount { name: id.to_string(), did_you_mean: None }),
            AccountRef::Name(name) => {
                let name = name.trim();
                self.accounts
                    .values()
                    .find(|a| a.name == name)
                    .or_else(|| self.accounts.values().find(|a| a.name.eq_ignore_ascii_case(name)))
                    .ok_or_else(|| LedgerError::UnknownAccount {
                        name: name.to_string(),
                        did_you_mean: nearest(name, self.accounts.values().map(|a| a.name.as_str())),
                    })
            }
        }
    }

    pub fn resolve_category(&self, name: &str) -> Result<CategoryId, LedgerError> {
        let parsed = CategoryName::parse(name)?;
        self.categories
            .values()
            .find(|c| c.name == parsed)
            .or_else(|| self.categories.values().find(|c| c.name.as_str().eq_ignore_ascii_case(parsed.as_str())))
            .map(|c| c.id)
            .ok_or_else(|| LedgerError::UnknownCategory {
                name: parsed.to_string(),
                did_you_mean: nearest(parsed.as_str(), self.categories.values().map(|c| c.name.as_str())),
            })
    }

    /// Balance of every account from the transactions this ledger holds,
    /// counting postings dated on or before `as_of` when given.
    pub fn balances(&self, as_of: Option<Date>) -> BTreeMap<AccountId, Money> {
        let mut out: BTreeMap<AccountId, Money> =
            self.accounts.values().map(|a| (a.id, Money::zero(a.currency))).collect();
        for t in self.transactions.values().filter(|t| as_of.is_none_or(|d| t.date <= d)) {
            for (acc, m) in t.postings.accounts() {
                if let Some(b) = out.get_mut(&acc) {
                    b.amount += m.amount;
                }
            }
        }
        out
    }
}

/// The most months one `budget set --through` may cover.
const MAX_BUDGET_MONTHS: i32 = 120;

fn bad_budget(field: &'static str, reason: String) -> LedgerError {
    LedgerError::BadBudget { field, reason }
}

fn not_negative(field: &'static str, m: &Money) -> Result<(), LedgerError> {
    if m.amount < Decimal::ZERO {
        return Err(bad_budget(field, format!("must not be negative, got {}", m.amount)));
    }
    Ok(())
}

/// Converts `amount` at `rate` into `to`, rounded to its minor unit, half away
/// from zero as banks do.
pub fn convert(amount: Decimal, rate: Decimal, to: Currency) -> Decimal {
    (amount * rate).round_dp_with_strategy(to.minor_units(), RoundingStrategy::MidpointAwayFromZero)
}

fn non_empty(s: &str) -> Result<String, ParseError> {
    let t = s.trim();
    if t.is_empty() { Err(ParseError::EmptyName(s.to_string())) } else { Ok(t.to_string()) }
}

fn clean(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// The most similar existing name, if any is close enough to be a typo.
pub fn nearest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_lowercase();
    candidates
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    //! Given some events, when a command is decided, then these events (or this refusal).
    use super::*;
    use crate::account::AccountKind;
    use crate::category::Section;
    use crate::command::NewAccount;
    use crate::date::LedgerDate;
    use crate::event::Owner;
    use crate::ids::BookId;
    use crate::transaction::Status;
    use uuid::Uuid;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn given() -> Ledger {
        let mut l = Ledger::new();
        let cmds = [
            Command::OpenBook { book_id: BookId(id(1)), name: "personal".into(), owner: Owner::Local },
            account(2, "Checking", Currency::EUR),
            account(3, "Dollars", Currency::USD),
            Command::AddCategory {
                category_id: CategoryId(id(4)),
                name: CategoryName::parse("Eating Out:Coffee").unwrap(),
                section: Section::Expense,
            },
        ];
        l.execute(&cmds).unwrap();
        l
    }

    fn account(n: u128, name: &str, currency: Currency) -> Command {
        Command::OpenAccount(NewAccount {
            account_id: AccountId(id(n)),
            name: name.into(),
            kind: AccountKind::Checking,
            currency,
            iban: None,
            number: None,
            institution: None,
            location: None,
            opened_on: day(2024, 1, 1),
        })
    }

    fn day(y: i16, m: i8, d: i8) -> LedgerDate {
        LedgerDate::new(jiff::civil::date(y, m, d)).unwrap()
    }

    fn expense(n: u128, amount: &str, category: Option<&str>) -> Command {
        Command::RecordTransaction(NewTransaction {
            tx_id: TxId(id(n)),
            account: AccountRef::Name("checking".into()),
            date: day(2024, 2, 3),
            amount: amount.parse().unwrap(),
            description: " Coffee ".into(),
            category: category.map(str::to_string),
            counterparty: Some("  ".into()),
            tags: vec![],
            notes: None,
            external_id: None,
            status: Status::Booked,
            category_source: None,
        })
    }

    fn postings(events: &[Event]) -> Vec<(Leg, String)> {
        match events {
            [Event::TransactionRecorded(t)] => {
                t.postings.as_slice().iter().map(|p| (p.leg, p.amount.to_string())).collect()
            }
            other => panic!("expected one TransactionRecorded, got {other:?}"),
        }
    }

    #[test]
    fn an_expense_is_two_postings() {
        let events = given().decide(&expense(10, "-12.34", Some("eating out:coffee"))).unwrap();
        assert_eq!(
            postings(&events),
            vec![
                (Leg::Account(AccountId(id(2))), "-12.34 EUR".to_string()),
                (Leg::Category(CategoryId(id(4))), "12.34 EUR".to_string())
            ]
        );
        let Event::TransactionRecorded(t) = &events[0] else { unreachable!() };
        assert_eq!((t.description.as_str(), &t.counterparty), ("Coffee", &None), "text is trimmed, blanks dropped");
    }

    #[test]
    fn a_transfer_between_currencies_balances_through_conversion() {
        let cmd = Command::Transfer(NewTransfer {
            tx_id: TxId(id(11)),
            from: AccountRef::Name("Checking".into()),
            to: AccountRef::Name("Dollars".into()),
            date: day(2024, 3, 1),
            amount: "100".parse().unwrap(),
            to_amount: Amount::new(convert("100".parse().unwrap(), "1.08355".parse().unwrap(), Currency::USD)).ok(),
            description: "fx".into(),
            external_id: None,
        });
        assert_eq!(
            postings(&given().decide(&cmd).unwrap()),
            vec![
                (Leg::Account(AccountId(id(2))), "-100.00 EUR".to_string()),
                (Leg::Conversion, "100.00 EUR".to_string()),
                (Leg::Conversion, "-108.36 USD".to_string()),
                (Leg::Account(AccountId(id(3))), "108.36 USD".to_string()),
            ]
        );
    }

    #[test]
    fn recategorising_moves_the_category_leg_and_deleting_removes() {
        let mut l = given();
        l.execute(&[expense(10, "-3.40", None)]).unwrap();
        let events =
            l.decide(&Command::Recategorize { tx_id: TxId(id(10)), category: Some("Eating Out:Coffee".into()) });
        let [Event::TransactionRecategorized(Recategorized { category, postings, source, .. })] = &events.unwrap()[..]
        else {
            panic!()
        };
        assert_eq!(*category, Some(CategoryId(id(4))));
        assert_eq!(*source, Some(CategorySource::Manual));
        assert_eq!(postings.category(), Some(CategoryId(id(4))));
        // Same category again is no change, so no event.
        l.execute(&[Command::Recategorize { tx_id: TxId(id(10)), category: Some("Eating Out:Coffee".into()) }])
            .unwrap();
        let again =
            l.decide(&Command::Recategorize { tx_id: TxId(id(10)), category: Some("Eating Out:Coffee".into()) });
        assert_eq!(again.unwrap(), vec![]);
        l.execute(&[Command::DeleteTransaction { tx_id: TxId(id(10)) }]).unwrap();
        assert!(l.transaction(TxId(id(10))).is_none());
        assert_eq!(l.balances(None)[&AccountId(id(2))].amount.to_string(), "0.00");
    }

    fn categorize(n: u128, category: &str, source: CategorySource) -> Command {
        Command::Categorize { tx_id: TxId(id(n)), category: Some(category.into()), source, run: Some(id(77)) }
    }

    #[test]
    fn a_manual_category_always_wins() {
        let mut l = given();
        l.execute(&[Command::AddCategory {
            category_id: CategoryId(id(5)),
            name: CategoryName::parse("Groceries").unwrap(),
            section: Section::Expense,
        }])
        .unwrap();
        l.execute(&[expense(10, "-3.40", None)]).unwrap();
        // A rule may set it, and records what it replaced so the run can be undone.
        let events = l.execute(&[categorize(10, "Groceries", CategorySource::Rule)]).unwrap();
        let [Event::TransactionRecategorized(r)] = &events[..] else { panic!("{events:?}") };
        assert_eq!((r.source, r.previous, r.run), (Some(CategorySource::Rule), None, Some(id(77))));
        // A person overrides it; after that neither rules nor the model may.
        l.execute(&[Command::Recategorize { tx_id: TxId(id(10)), category: Some("Eating Out:Coffee".into()) }])
            .unwrap();
        for source in [CategorySource::Rule, CategorySource::Model, CategorySource::Import] {
            assert_eq!(l.decide(&categorize(10, "Groceries", source)).unwrap(), vec![]);
        }
        let t = l.transaction(TxId(id(10))).unwrap();
        assert_eq!((t.postings.category(), t.category_source), (Some(CategoryId(id(4))), Some(CategorySource::Manual)));
        // A manual transaction recorded with a category starts out manual.
        let events = l.decide(&expense(11, "-1", Some("Groceries"))).unwrap();
        let [Event::TransactionRecorded(t)] = &events[..] else { panic!() };
        assert_eq!(t.category_source, Some(CategorySource::Manual));
    }

    #[test]
    fn rules_are_checked_before_they_are_saved() {
        use crate::categorize::{Action, Condition, Field, Op, Rule};
        let l = given();
        let rule = |category: &str, pattern: Op| {
            Rule::new("r", Condition::leaf(Field::Description, pattern), vec![Action::SetCategory(category.into())])
        };
        assert!(l.decide(&Command::SaveRule(rule("Eating Out:Coffee", Op::Contains("cafe".into())))).is_ok());
        let unknown = l.decide(&Command::SaveRule(rule("Eating Out:Cofee", Op::Contains("x".into())))).unwrap_err();
        assert!(unknown.to_string().contains("did you mean 'Eating Out:Coffee'"), "{unknown}");
        let bad = l.decide(&Command::SaveRule(rule("Eating Out:Coffee", Op::Regex("(".into())))).unwrap_err();
        assert!(matches!(bad, LedgerError::InvalidRule(_)), "{bad}");
        assert!(matches!(l.decide(&Command::DeleteRule { rule_id: "nope".into() }), Err(LedgerError::UnknownRule(_))));
    }

    #[test]
    fn refusals_name_the_bad_value() {
        let l = given();
        let cases: Vec<(Command, &str)> = vec![
            (expense(10, "0", None), "must not be zero"),
            (expense(10, "1.001", None), "more decimals than EUR allows (2)"),
            (
                expense(10, "1", Some("Eating Out:Cofee")),
                "unknown category 'Eating Out:Cofee' (did you mean 'Eating Out:Coffee'?)",
            ),
            (account(20, "CHECKING", Currency::EUR), "'CHECKING' already exists"),
            (Command::OpenBook { book_id: BookId(id(1)), name: "x".into(), owner: Owner::Local }, "already exists"),
            (Command::DeleteTransaction { tx_id: TxId(id(99)) }, "unknown transaction"),
        ];
        for (cmd, want) in cases {
            let err = l.decide(&cmd).unwrap_err().to_string();
            assert!(err.contains(want), "'{err}' lacks '{want}'");
        }
        assert_eq!(Ledger::new().decide(&expense(10, "1", None)), Err(LedgerError::NoBook));
    }
}
