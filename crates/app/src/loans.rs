//! Loans between people (issue 17, seed 004): `loan give|take|repay` and
//! `loan list`, for the CLI (plain functions) and the API ([`App`]
//! methods: viewers read, editors and owners write).
//!
//! A loan is neutral: its money is a transaction between the account and
//! the transfer-section category [`LOANS`] (made when the book lacks it),
//! so no report counts it as income or expense, and a `loan_recorded` event
//! in the same write names the counterparty (`kassa_core::loan`). A
//! repayment goes the way the open balance asks — money in when they owe
//! us, out when we owe them — and may not exceed it.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use kassa_core::access::BookRole;
use kassa_core::loan::{LOANS, LoanKind, LoanMove, LoanRecorded, LoanTotals, Loans, OpenLoan, open_totals};
use kassa_core::{
    AccountId, AccountRef, Amount, BookId, CategoryId, CategoryName, Command, Currency, Ledger, LedgerDate,
    LedgerError, NewTransaction, ParseError, Section, TxId,
};
use kassa_store::{Store, StoreError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::clock::new_id;
use crate::{Actor, App, AppError, AppResult};

/// `loan give|take|repay` / `POST …/loans`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordLoan {
    /// give (we lend), take (we borrow) or repay (either way, what is open)
    pub kind: String,
    pub counterparty: String,
    /// The account the money moves on, by name.
    pub account: String,
    /// Positive decimal, in the account's currency.
    pub amount: String,
    /// YYYY-MM-DD
    pub date: String,
}

/// One row of `loan list`: `open` is positive when they owe us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoanView {
    pub counterparty: String,
    pub account: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub open: Decimal,
    /// receivable (they owe us), payable (we owe them) or settled
    pub direction: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub currency: Currency,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub last_date: Date,
}

/// The query of `GET …/loans`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct LoanQuery {
    /// Balances as of the end of this day: YYYY-MM-DD, YYYY-MM or YYYY (default: everything)
    pub as_of: Option<String>,
}

impl LoanQuery {
    pub fn as_of(&self) -> AppResult<Option<Date>> {
        self.as_of.as_deref().map(|s| crate::dates::end(s).map_err(|e| AppError::invalid("as_of", e))).transpose()
    }
}

/// The book's loans as the `loans` projection has them: the events in log
/// order and each loan transaction's moves on our accounts.
pub(crate) struct BookLoans {
    loans: Loans,
    moves: HashMap<TxId, Vec<LoanMove>>,
}

impl BookLoans {
    pub fn read(store: &dyn Store, book: BookId) -> AppResult<BookLoans> {
        let mut loans = Loans::default();
        let mut moves: HashMap<TxId, Vec<LoanMove>> = HashMap::new();
        let mut last = None;
        let mut first: HashMap<TxId, i64> = HashMap::new();
        for r in store.loan_rows(book)? {
            // An event comes once per move of its transaction.
            if last != Some(r.position) {
                loans.record(&LoanRecorded { tx_id: r.tx_id, counterparty: r.counterparty.clone(), kind: r.kind });
                last = Some(r.position);
            }
            // The moves are the transaction's: taken from the first event
            // that names it (two events on one transaction count it twice,
            // as the fold of the log does).
            if let Some(m) = r.moved
                && *first.entry(r.tx_id).or_insert(r.position) == r.position
            {
                moves.entry(r.tx_id).or_default().push(m);
            }
        }
        Ok(BookLoans { loans, moves })
    }

    /// What is open per (counterparty, account) as of `as_of`.
    pub fn open(&self, ledger: &Ledger, as_of: Option<Date>) -> Vec<OpenLoan> {
        let name = |a: AccountId| ledger.account(a).map(|a| a.name.clone()).unwrap_or_default();
        self.loans.open_with(as_of, |tx| self.moves.get(&tx).cloned().unwrap_or_default(), name)
    }

    /// Receivables and payables per currency at the end of each of
    /// `dates`, counting the loans on the accounts `sees` lets through.
    pub fn totals_at(&self, dates: &[Date], sees: impl Fn(AccountId) -> bool) -> Vec<BTreeMap<Currency, LoanTotals>> {
        dates
            .iter()
            .map(|d| {
                // Account names only order the rows; totals do not need them.
                let mut open = self.loans.open_with(
                    Some(*d),
                    |tx| self.moves.get(&tx).cloned().unwrap_or_default(),
                    |_| String::new(),
                );
                open.retain(|l| sees(l.account));
                open_totals(&open)
            })
            .collect()
    }
}

fn open(store: &dyn Store, book: BookId, as_of: Option<Date>) -> AppResult<(Ledger, BookLoans, Vec<OpenLoan>)> {
    let ledger = store.ledger(book)?;
    let loans = BookLoans::read(store, book)?;
    let open = loans.open(&ledger, as_of);
    Ok((ledger, loans, open))
}

/// Every counterparty and account with a loan, settled ones showing 0.
pub fn list(store: &dyn Store, book: BookId, as_of: Option<Date>) -> AppResult<Vec<LoanView>> {
    let (ledger, _, open) = open(store, book, as_of)?;
    Ok(open
        .into_iter()
        .map(|l| {
            let mut amount = l.open;
            amount.rescale(l.currency.minor_units());
            LoanView {
                counterparty: l.counterparty,
                account: ledger.account(l.account).map(|a| a.name.clone()).unwrap_or_default(),
                direction: match amount.cmp(&Decimal::ZERO) {
                    std::cmp::Ordering::Greater => "receivable",
                    std::cmp::Ordering::Less => "payable",
                    std::cmp::Ordering::Equal => "settled",
                }
                .into(),
                open: amount,
                currency: l.currency,
                last_date: l.last_date,
            }
        })
        .collect())
}

/// The book's open loans per currency as of `as_of`: receivables and
/// payables, what net worth adds to and takes from the account balances.
pub fn open_loan_totals(
    store: &dyn Store,
    book: BookId,
    as_of: Option<Date>,
) -> AppResult<BTreeMap<Currency, LoanTotals>> {
    let (_, _, open) = open(store, book, as_of)?;
    Ok(open_totals(&open))
}

/// Records a loan; the new transaction's id. Refused with nothing stored
/// for a bad field, an unknown account, a repayment with nothing open or
/// of more than is open, or a `Loans` category outside the transfer section.
pub fn record(store: &dyn Store, actor: &str, book: BookId, input: &RecordLoan) -> AppResult<TxId> {
    let kind = LoanKind::parse(&input.kind).ok_or_else(|| {
        AppError::invalid("kind", format!("unknown kind '{}' (expected give, take or repay)", input.kind))
    })?;
    let counterparty = input.counterparty.trim();
    if counterparty.is_empty() || counterparty.len() > 200 {
        return Err(AppError::invalid("counterparty", "must be 1 to 200 characters"));
    }
    let amount = Amount::parse(&input.amount).map_err(|e| AppError::invalid("amount", e))?;
    if amount.get() <= Decimal::ZERO {
        return Err(AppError::invalid("amount", format!("must be positive, got {}", amount.get())));
    }
    let date = LedgerDate::parse(&input.date).map_err(|e| AppError::invalid("date", e))?;
    let (ledger, loans, open) = open(store, book, None)?;
    let account = ledger.resolve_account(&AccountRef::Name(input.account.clone()))?;
    let counterparty = loans.loans.spelling(counterparty).to_string();
    let signed = match kind {
        LoanKind::Give => -amount.get(),
        LoanKind::Take => amount.get(),
        LoanKind::Repay => {
            let now = open
                .iter()
                .find(|l| l.account == account.id && l.counterparty == counterparty)
                .map_or(Decimal::ZERO, |l| l.open);
            if now.is_zero() {
                return Err(AppError::invalid(
                    "counterparty",
                    format!("nothing is open with '{counterparty}' on '{}' to repay", account.name),
                ));
            }
            if amount.get() > now.abs() {
                let mut open = now.abs();
                open.rescale(account.currency.minor_units());
                return Err(AppError::invalid(
                    "amount",
                    format!("{amount} is more than the {open} open with '{counterparty}' on '{}'", account.name),
                ));
            }
            // They pay us back into the account, or we pay them out of it.
            if now > Decimal::ZERO { amount.get() } else { -amount.get() }
        }
    };
    let signed = Amount::new(signed).map_err(|e| AppError::invalid("amount", e))?;
    let mut cmds = vec![];
    match ledger.categories().find(|c| c.name.as_str().eq_ignore_ascii_case(LOANS)) {
        Some(c) if c.section != Section::Transfer => {
            return Err(AppError::Refused {
                code: "loans_category",
                message: format!(
                    "the category '{}' is in the {} section; loans are neutral and need it in the transfer section",
                    c.name, c.section
                ),
            });
        }
        Some(_) => {}
        None => cmds.push(Command::AddCategory {
            category_id: CategoryId(new_id()),
            name: CategoryName::parse(LOANS).map_err(|e| AppError::Internal(e.to_string()))?,
            section: Section::Transfer,
        }),
    }
    let tx_id = TxId(new_id());
    let description = match (kind, signed.get() < Decimal::ZERO) {
        (LoanKind::Give, _) => format!("Loan to {counterparty}"),
        (LoanKind::Take, _) => format!("Loan from {counterparty}"),
        (LoanKind::Repay, true) => format!("Loan repaid to {counterparty}"),
        (LoanKind::Repay, false) => format!("Loan repaid by {counterparty}"),
    };
    cmds.push(Command::RecordTransaction(NewTransaction {
        tx_id,
        account: AccountRef::Id(account.id),
        date,
        amount: signed,
        description,
        category: Some(LOANS.into()),
        counterparty: Some(counterparty.clone()),
        tags: vec![],
        notes: None,
        external_id: None,
        status: kassa_core::transaction::Status::Booked,
        category_source: None,
    }));
    cmds.push(Command::RecordLoan { tx_id, counterparty, kind });
    store.execute(book, actor, &cmds).map_err(|e| match e {
        // Too many decimals for the account's currency.
        StoreError::Ledger(LedgerError::Parse(p @ ParseError::AmountPrecision { .. })) => {
            AppError::invalid("amount", p)
        }
        e => e.into(),
    })?;
    Ok(tx_id)
}

impl App {
    /// The book's loans; viewers and up.
    pub fn loans(&self, actor: &Actor, book: BookId, as_of: Option<Date>) -> AppResult<Vec<LoanView>> {
        self.access(actor, book)?.require(BookRole::Viewer)?;
        list(self.store.as_ref(), book, as_of)
    }

    /// Records a loan; editors and owners. The loans as they now stand.
    pub fn record_loan(&self, actor: &Actor, book: BookId, input: &RecordLoan) -> AppResult<Vec<LoanView>> {
        self.access(actor, book)?.require(BookRole::Editor)?;
        record(self.store.as_ref(), &actor.tag(), book, input)?;
        list(self.store.as_ref(), book, None)
    }
}
