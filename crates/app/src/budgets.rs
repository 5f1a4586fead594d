//! Envelope budgets (issue 17): a month's budget from the budget projection
//! and the monthly report aggregates (never the postings, so a book of
//! millions of transactions reads a few thousand rows), and every edit —
//! set, carryover, move, hold, copy, fill, mode — turned into budget
//! commands. [`show`] and [`edit`] take a book directly, for the CLI;
//! [`App::budget`] and [`App::edit_budget`] check the caller first:
//! viewers read, editors and owners write.
//!
//! Amounts are in the book's main currency (`kassa_core::budget`); flows in
//! other currencies are converted with the book's FX rates.

use kassa_core::access::BookRole;
use kassa_core::budget::{
    Actuals, BudgetMode, EnvelopeLine, MonthBudget, Plan, Template, copy_last, fill, main_currency, month_budget,
};
use kassa_core::money::parse_decimal;
use kassa_core::report::fx::FxTable;
use kassa_core::report::{Month, Wanted};
use kassa_core::{BookId, CategoryId, Command, Currency, Ledger, Money};
use kassa_store::Store;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Actor, App, AppError, AppResult};

/// One month of a book's budget. Signs as on the accounts: `spent` is
/// negative for spending, `overspent_last_month` ≤ 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetView {
    /// `YYYY-MM`
    pub month: String,
    /// `envelope` or `tracking`
    pub mode: String,
    /// The book's main currency, which every amount is in.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub income: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub budgeted: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub spent: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub to_budget: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub overspent_last_month: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub held: Decimal,
    pub categories: Vec<BudgetLineView>,
}

/// One envelope's month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetLineView {
    pub category: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub budgeted: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub spent: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub carried_in: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub available: Decimal,
    /// Whether this month's leftover rolls over in full (negative too).
    pub carryover: bool,
}

/// A budget edit of one month, as the API's body and the CLI's flags give it;
/// fields are text so a bad one is named in the error.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum BudgetEdit {
    /// Budget `amount` for the category this month (through `through`),
    /// carrying at most `up_to` into the next.
    Set { category: String, amount: String, through: Option<String>, up_to: Option<String> },
    /// From this month on, carry leftovers in full (`on`) or only when
    /// positive, at most `up_to`.
    Carryover { category: String, on: bool, up_to: Option<String> },
    /// Move budget between two categories this month.
    Move { from: String, to: String, amount: String },
    /// Hold this much of this month's money to budget for the next.
    Hold { amount: String },
    /// Last month's budgets, again.
    Copy,
    /// Budgets from a template: `last`, `average:N` or `goal:AMOUNT`, for
    /// `categories` (all that spent, when empty; a goal needs them).
    Fill {
        from: String,
        #[serde(default)]
        categories: Vec<String>,
    },
    /// `envelope` or `tracking`, for the whole book.
    Mode { mode: String },
}

/// `PUT /budgets/{month}`: one category's budget.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetBudget {
    pub category: String,
    /// Not negative, in the book's main currency.
    pub amount: String,
    /// The last month (`YYYY-MM`) to budget the same amount in.
    pub through: Option<String>,
    /// Carry at most this much of each month's leftover into the next.
    pub up_to: Option<String>,
}

impl From<SetBudget> for BudgetEdit {
    fn from(b: SetBudget) -> BudgetEdit {
        BudgetEdit::Set { category: b.category, amount: b.amount, through: b.through, up_to: b.up_to }
    }
}

/// `YYYY-MM`, or an error naming `field`.
pub fn parse_month(field: &str, s: &str) -> AppResult<Month> {
    s.parse::<Month>().map_err(|_| AppError::invalid(field, format!("invalid month '{s}' (expected YYYY-MM)")))
}

/// The month's budget of `book`.
pub fn show(store: &dyn Store, book: BookId, month: Month) -> AppResult<BudgetView> {
    let facts = store.report_facts(book, None, Wanted::FLOWS)?;
    let main = budget_currency(facts.accounts.iter())?;
    let fx = FxTable::new(&store.fx_rates(book)?);
    let plan = plan(store, book, main, &fx)?;
    let actuals = Actuals::from_facts(&facts, main, &fx).map_err(refused_fx)?;
    Ok(view(month_budget(&facts.categories, &plan, &actuals, month), main))
}

/// Applies `change` to `month` of `book` as `actor` (an event tag); returns
/// how many budget events it wrote. Nothing is written unless all of it is
/// accepted.
pub fn edit(store: &dyn Store, actor: &str, book: BookId, month: Month, change: &BudgetEdit) -> AppResult<usize> {
    let cmds = commands(store, book, month, change)?;
    Ok(if cmds.is_empty() { 0 } else { store.execute(book, actor, &cmds)?.len() })
}

fn commands(store: &dyn Store, book: BookId, month: Month, change: &BudgetEdit) -> AppResult<Vec<Command>> {
    let ledger = store.ledger(book)?;
    let main = budget_currency(ledger.accounts())?;
    let money = |field: &str, s: &str| -> AppResult<Money> {
        let amount = parse_decimal(s).map_err(|e| AppError::invalid(field, e))?;
        Money::new(amount, main).map_err(|e| AppError::invalid(field, e))
    };
    let cap = |s: &Option<String>| s.as_deref().map(|s| money("up_to", s)).transpose();
    Ok(match change {
        BudgetEdit::Set { category, amount, through, up_to } => vec![Command::SetBudget {
            category: category.clone(),
            from: month,
            through: through.as_deref().map(|t| parse_month("through", t)).transpose()?.unwrap_or(month),
            amount: money("amount", amount)?,
            cap: cap(up_to)?,
        }],
        BudgetEdit::Carryover { category, on, up_to } => {
            vec![Command::SetCarryover { category: category.clone(), month, on: *on, cap: cap(up_to)? }]
        }
        BudgetEdit::Move { from, to, amount } => {
            vec![Command::MoveBudget { from: from.clone(), to: to.clone(), month, amount: money("amount", amount)? }]
        }
        BudgetEdit::Hold { amount } => vec![Command::HoldBudget { month, amount: money("amount", amount)? }],
        BudgetEdit::Copy => {
            let fx = FxTable::new(&store.fx_rates(book)?);
            set_each(&ledger, month, main, copy_last(&plan(store, book, main, &fx)?, month, main))?
        }
        BudgetEdit::Fill { from, categories } => {
            let template = Template::parse(from).ok_or_else(|| {
                AppError::invalid(
                    "from",
                    format!("unknown template '{from}' (expected last, average:N or goal:AMOUNT)"),
                )
            })?;
            let only = categories.iter().map(|c| ledger.resolve_category(c)).collect::<Result<Vec<CategoryId>, _>>()?;
            if matches!(template, Template::Goal(_)) && only.is_empty() {
                return Err(AppError::invalid("categories", "a goal needs the categories it is for"));
            }
            let facts = store.report_facts(book, None, Wanted::FLOWS)?;
            let fx = FxTable::new(&store.fx_rates(book)?);
            let plan = plan(store, book, main, &fx)?;
            let actuals = Actuals::from_facts(&facts, main, &fx).map_err(refused_fx)?;
            let only = (!only.is_empty()).then_some(only.as_slice());
            set_each(&ledger, month, main, fill(&facts.categories, &plan, &actuals, month, template, only, main))?
        }
        BudgetEdit::Mode { mode } => vec![Command::SetBudgetMode {
            mode: BudgetMode::parse(mode).ok_or_else(|| {
                AppError::invalid("mode", format!("unknown mode '{mode}' (expected envelope or tracking)"))
            })?,
        }],
    })
}

/// One `SetBudget` of `month` per (category, amount).
fn set_each(
    ledger: &Ledger,
    month: Month,
    main: Currency,
    amounts: Vec<(CategoryId, Decimal)>,
) -> AppResult<Vec<Command>> {
    amounts
        .into_iter()
        .filter_map(|(c, amount)| ledger.category(c).map(|cat| (cat.name.to_string(), amount)))
        .map(|(category, amount)| {
            Ok(Command::SetBudget {
                category,
                from: month,
                through: month,
                amount: Money::new(amount, main).map_err(|e| AppError::Internal(e.to_string()))?,
                cap: None,
            })
        })
        .collect()
}

fn budget_currency<'a>(accounts: impl Iterator<Item = &'a kassa_core::Account>) -> AppResult<Currency> {
    main_currency(accounts).ok_or_else(|| AppError::Refused {
        code: "no_accounts",
        message: "the book has no accounts: budgets are in the currency of its first account".into(),
    })
}

fn plan(store: &dyn Store, book: BookId, main: Currency, fx: &FxTable) -> AppResult<Plan> {
    Plan::from_rows(&store.budget_plan(book)?, main, fx).map_err(refused_fx)
}

fn refused_fx(e: kassa_core::report::fx::FxError) -> AppError {
    AppError::Refused { code: "missing_rate", message: format!("{e} (import a rates file first)") }
}

fn view(b: MonthBudget, currency: Currency) -> BudgetView {
    let scale = |mut d: Decimal| {
        d.rescale(currency.minor_units());
        d
    };
    let line = |l: EnvelopeLine| BudgetLineView {
        category: l.name.to_string(),
        budgeted: scale(l.budgeted),
        spent: scale(l.spent),
        carried_in: scale(l.carried_in),
        available: scale(l.available),
        carryover: l.carryover,
    };
    BudgetView {
        month: b.month.to_string(),
        mode: b.mode.as_str().to_string(),
        currency,
        income: scale(b.income),
        budgeted: scale(b.budgeted),
        spent: scale(b.spent),
        to_budget: scale(b.to_budget),
        overspent_last_month: scale(b.overspent_last_month),
        held: scale(b.held),
        categories: b.categories.into_iter().map(line).collect(),
    }
}

impl App {
    /// A month's budget, for viewers, editors and owners (a spender sees
    /// only their accounts, so no book-wide figures).
    pub fn budget(&self, actor: &Actor, book: BookId, month: Month) -> AppResult<BudgetView> {
        self.access(actor, book)?.require(BookRole::Viewer)?;
        show(self.store.as_ref(), book, month)
    }

    /// A budget edit by an editor or owner; the month's budget after it.
    pub fn edit_budget(&self, actor: &Actor, book: BookId, month: Month, change: &BudgetEdit) -> AppResult<BudgetView> {
        self.access(actor, book)?.require(BookRole::Editor)?;
        edit(self.store.as_ref(), &actor.tag(), book, month, change)?;
        show(self.store.as_ref(), book, month)
    }
}
