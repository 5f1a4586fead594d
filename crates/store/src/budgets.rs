//! Backend-neutral side of the `budgets` projection (migration 0010): the
//! rows each budget event changes, and the projection's rows read back as
//! the core's [`PlanRow`]s. The backends only run the SQL.

use kassa_core::budget::{BudgetHeld, BudgetMode, BudgetModeSet, BudgetMoved, BudgetSet, CarryoverSet, PlanRow};
use kassa_core::report::Month;
use kassa_core::{BookId, CategoryId, Currency, Money};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::reports::month_of;

/// One row's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BudgetChange {
    /// Every row of (book, kind, category, month) goes, this one takes their place.
    Replace(BudgetRow),
    /// `amount` is added to the row with the same key (created at 0).
    Add(BudgetRow),
}

/// A row of `budgets`, as the projector writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BudgetRow {
    pub book: BookId,
    pub kind: &'static str,
    /// The nil UUID for rows of no category (held, mode).
    pub category: Uuid,
    /// `""` for the mode.
    pub month: String,
    pub amount: Option<Money>,
    pub cap: Option<Money>,
    pub flag: bool,
}

impl BudgetRow {
    /// The currency code of the row's amounts, `""` without any.
    pub fn currency(&self) -> &'static str {
        self.amount.or(self.cap).map_or("", |m| m.currency.code())
    }
}

const BUDGET: &str = "budget";
const CARRYOVER: &str = "carryover";
const HELD: &str = "held";
const MODE: &str = "mode";

fn row(book: BookId, kind: &'static str, category: Option<CategoryId>, month: Option<Month>) -> BudgetRow {
    BudgetRow {
        book,
        kind,
        category: category.map_or(Uuid::nil(), |c| c.0),
        month: month.map_or(String::new(), |m| m.to_string()),
        amount: None,
        cap: None,
        flag: false,
    }
}

/// A budget for each month of `from..=through`.
pub(crate) fn set(book: BookId, b: &BudgetSet) -> Vec<BudgetChange> {
    let mut out = vec![];
    let mut m = b.from;
    while m <= b.through {
        let r = BudgetRow { amount: Some(b.amount), cap: b.cap, ..row(book, BUDGET, Some(b.category), Some(m)) };
        out.push(BudgetChange::Replace(r));
        m = m.next();
    }
    out
}

pub(crate) fn carryover(book: BookId, c: &CarryoverSet) -> Vec<BudgetChange> {
    let r = BudgetRow { cap: c.cap, flag: c.on, ..row(book, CARRYOVER, Some(c.category), Some(c.month)) };
    vec![BudgetChange::Replace(r)]
}

/// A move takes from one month's budget and adds to another's; the caps stay.
pub(crate) fn moved(book: BookId, m: &BudgetMoved) -> Vec<BudgetChange> {
    let add =
        |c, amount| BudgetChange::Add(BudgetRow { amount: Some(amount), ..row(book, BUDGET, Some(c), Some(m.month)) });
    vec![add(m.from, m.amount.negated()), add(m.to, m.amount)]
}

pub(crate) fn held(book: BookId, h: &BudgetHeld) -> Vec<BudgetChange> {
    vec![BudgetChange::Replace(BudgetRow { amount: Some(h.amount), ..row(book, HELD, None, Some(h.month)) })]
}

pub(crate) fn mode(book: BookId, m: &BudgetModeSet) -> Vec<BudgetChange> {
    vec![BudgetChange::Replace(BudgetRow { flag: m.mode == BudgetMode::Tracking, ..row(book, MODE, None, None) })]
}

/// A `budgets` row as a backend selected it, amounts already in `Money`
/// when the row has a currency.
pub(crate) struct ReadRow {
    pub kind: String,
    pub category: Uuid,
    pub month: String,
    pub amount: Option<Money>,
    pub cap: Option<Money>,
    pub flag: bool,
}

/// The currency of a row read back, `None` for `""`.
pub(crate) fn currency_of(code: &str) -> Result<Option<Currency>> {
    if code.is_empty() {
        return Ok(None);
    }
    Currency::parse(code).map(Some).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn plan_row(r: ReadRow) -> Result<PlanRow> {
    let amount = || r.amount.ok_or_else(|| StoreError::Corrupt(format!("budget row '{}' without a currency", r.kind)));
    Ok(match r.kind.as_str() {
        BUDGET => PlanRow::Budget {
            category: CategoryId(r.category),
            month: month_of(&r.month)?,
            amount: amount()?,
            cap: r.cap,
        },
        CARRYOVER => {
            PlanRow::Carryover { category: CategoryId(r.category), month: month_of(&r.month)?, on: r.flag, cap: r.cap }
        }
        HELD => PlanRow::Held { month: month_of(&r.month)?, amount: amount()? },
        MODE => PlanRow::Mode(if r.flag { BudgetMode::Tracking } else { BudgetMode::Envelope }),
        other => return Err(StoreError::Corrupt(format!("unknown budget row kind '{other}'"))),
    })
}
