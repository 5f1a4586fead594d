//! Envelope budgets with Actual Budget's arithmetic, pure: a [`Plan`] (what
//! was budgeted, carried over, held) and [`Actuals`] (the month-by-month
//! income and spending sums of the report aggregates) in, one month's
//! figures out.
//!
//! For an envelope `c` and a month `m`, all in the budget's currency:
//! - `spent(c,m)`: the month's flows of `c` (expenses negative, refunds
//!   positive) and of its descendants that are not envelopes themselves;
//! - `leftover(c,m) = budgeted(c,m) + spent(c,m) + carry(c,m)`;
//! - `carry(c,m)`: `leftover(c,m-1)` if `c`'s carryover flag is on in
//!   `m-1`, else `max(0, leftover(c,m-1))`. As in Actual, the flag belongs
//!   to the month being rolled over and holds from the month it is set in
//!   onward, until set again. A cap (`--up-to X`, of the month's budget or
//!   of the carryover setting in effect, the budget's first) lets at most
//!   `X` of a positive leftover carry in; the excess goes to the next
//!   month's `to_budget`;
//! - `overspent_last(m)`: the sum of `min(0, leftover(c,m-1))` over
//!   envelopes whose flag is off in `m-1`;
//! - `to_budget(m) = income(m) + to_budget(m-1) + held(m-1) +
//!   overspent_last(m) + over_cap(m) - Σ budgeted(c,m) - held(m)`.
//!
//! Envelopes are the expense categories that have a budget or a carryover
//! setting in some month up to `m`. Spending in a category with no envelope
//! among itself and its ancestors still has to be paid for, so it gets a
//! row of its own (budgeted 0, carryover off): its overspending comes out of
//! the next month's `to_budget` as Actual's would. Flows of income
//! categories are `income`; transfer categories and uncategorised flows are
//! neither (categorise them to count).
//!
//! From these definitions, for every month: `Σ available + to_budget + held
//! = cumulative income + cumulative spent` — whatever the flags and caps,
//! since a negative leftover that does not carry is charged to `to_budget`
//! and a capped excess is credited to it. The property tests check it.
//!
//! In tracking mode (per book) there is no rollover: `carried_in` is 0,
//! `available = budgeted + spent`, `to_budget = income(m) - Σ budgeted`,
//! nothing is held.
//!
//! Currency: budgets are kept in the book's main currency, the currency of
//! its first-opened account ([`main_currency`]). Flows, budgets and holds in
//! another currency are converted with the book's FX rates at the month's
//! last day (the nearest earlier rate, as reports do); a missing rate is an
//! [`FxError`] naming the pair and the date.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::account::Account;
use crate::category::{Category, CategoryName, Section};
use crate::currency::Currency;
use crate::ids::CategoryId;
use crate::money::Money;
use crate::report::fx::{FxError, FxTable};
use crate::report::{Month, ReportFacts};

/// Envelopes with rollover, or plain budget-versus-spent per month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetMode {
    #[default]
    Envelope,
    Tracking,
}

impl BudgetMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            BudgetMode::Envelope => "envelope",
            BudgetMode::Tracking => "tracking",
        }
    }

    pub fn parse(s: &str) -> Option<BudgetMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "envelope" => Some(BudgetMode::Envelope),
            "tracking" => Some(BudgetMode::Tracking),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------
// Event payloads.

/// `category` is budgeted `amount` in every month `from..=through`,
/// replacing what was there; `cap` limits what of each month's leftover
/// carries into the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetSet {
    pub category: CategoryId,
    pub from: Month,
    pub through: Month,
    pub amount: Money,
    pub cap: Option<Money>,
}

/// From `month` on, `category`'s leftovers carry over in full (`on`) or
/// only when positive, at most `cap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarryoverSet {
    pub category: CategoryId,
    pub month: Month,
    pub on: bool,
    pub cap: Option<Money>,
}

/// `amount` of `from`'s budget in `month` goes to `to`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetMoved {
    pub from: CategoryId,
    pub to: CategoryId,
    pub month: Month,
    pub amount: Money,
}

/// `amount` of `month`'s money to budget is held back for the next month
/// (replacing what was held).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetHeld {
    pub month: Month,
    pub amount: Money,
}

/// The book's budgets are envelopes or tracking from now on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetModeSet {
    pub mode: BudgetMode,
}

// ---------------------------------------------------------------------------
// Inputs.

/// One row of a book's budget projection, as a store reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanRow {
    Budget { category: CategoryId, month: Month, amount: Money, cap: Option<Money> },
    Carryover { category: CategoryId, month: Month, on: bool, cap: Option<Money> },
    Held { month: Month, amount: Money },
    Mode(BudgetMode),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Budgeted {
    pub amount: Decimal,
    pub cap: Option<Decimal>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Carryover {
    pub on: bool,
    pub cap: Option<Decimal>,
}

/// A book's budgets in its main currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub mode: BudgetMode,
    pub budgets: BTreeMap<(CategoryId, Month), Budgeted>,
    /// Settings by the month they take effect.
    pub carryover: BTreeMap<(CategoryId, Month), Carryover>,
    pub held: BTreeMap<Month, Decimal>,
}

const EARLIEST: Month = Month { year: i16::MIN, month: 1 };

impl Plan {
    /// The plan of a book's projection rows, amounts converted into `main`.
    pub fn from_rows(rows: &[PlanRow], main: Currency, fx: &FxTable) -> Result<Plan, FxError> {
        let to_main = |m: &Money, month: Month| -> Result<Decimal, FxError> {
            if m.currency == main { Ok(m.amount) } else { Ok(fx.convert(*m, main, month.last_day())?.amount) }
        };
        let mut plan = Plan::default();
        for row in rows {
            match row {
                PlanRow::Budget { category, month, amount, cap } => {
                    let b = plan.budgets.entry((*category, *month)).or_default();
                    b.amount += to_main(amount, *month)?;
                    if let Some(c) = cap {
                        b.cap = Some(to_main(c, *month)?);
                    }
                }
                PlanRow::Carryover { category, month, on, cap } => {
                    let cap = cap.as_ref().map(|c| to_main(c, *month)).transpose()?;
                    plan.carryover.insert((*category, *month), Carryover { on: *on, cap });
                }
                PlanRow::Held { month, amount } => *plan.held.entry(*month).or_default() += to_main(amount, *month)?,
                PlanRow::Mode(mode) => plan.mode = *mode,
            }
        }
        Ok(plan)
    }

    /// How `c`'s leftover of month `m` rolls into `m+1`: the flag in effect
    /// and the cap (the month's budget's, else the setting's).
    fn rollover(&self, c: CategoryId, m: Month) -> (bool, Option<Decimal>) {
        let setting = self.carryover.range((c, EARLIEST)..=(c, m)).next_back().map(|(_, s)| s);
        let cap = self.budgets.get(&(c, m)).and_then(|b| b.cap).or(setting.and_then(|s| s.cap));
        (setting.is_some_and(|s| s.on), cap)
    }
}

/// Income and spending per month, in the main currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actuals {
    /// Expense-category flows by (month, category): spending negative.
    pub spent: BTreeMap<(Month, CategoryId), Decimal>,
    /// Income-category flows by month.
    pub income: BTreeMap<Month, Decimal>,
}

impl Actuals {
    /// The budget's view of the report aggregates: each flow row converted
    /// into `main` at its month's last day, then summed.
    pub fn from_facts(facts: &ReportFacts, main: Currency, fx: &FxTable) -> Result<Actuals, FxError> {
        let sections: HashMap<CategoryId, Section> = facts.categories.iter().map(|c| (c.id, c.section)).collect();
        let mut out = Actuals::default();
        for f in &facts.flows {
            let Some(section) = f.category.and_then(|c| sections.get(&c)) else { continue };
            let amount = if f.amount.currency == main {
                f.amount.amount
            } else {
                fx.convert(f.amount, main, f.month.last_day())?.amount
            };
            match (section, f.category) {
                (Section::Income, _) => *out.income.entry(f.month).or_default() += amount,
                (Section::Expense, Some(c)) => *out.spent.entry((f.month, c)).or_default() += amount,
                _ => {}
            }
        }
        Ok(out)
    }
}

/// The book's main currency: that of its first-opened account (opening
/// date, then id, which is minted in time order).
pub fn main_currency<'a>(accounts: impl IntoIterator<Item = &'a Account>) -> Option<Currency> {
    accounts.into_iter().min_by_key(|a| (a.opened_on, a.id)).map(|a| a.currency)
}

// ---------------------------------------------------------------------------
// Output.

/// One envelope's month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeLine {
    pub category: CategoryId,
    pub name: CategoryName,
    pub budgeted: Decimal,
    pub spent: Decimal,
    pub carried_in: Decimal,
    pub available: Decimal,
    /// Whether this month's leftover rolls over in full.
    pub carryover: bool,
}

/// One month of a book's budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthBudget {
    pub month: Month,
    pub mode: BudgetMode,
    pub income: Decimal,
    pub budgeted: Decimal,
    pub spent: Decimal,
    pub to_budget: Decimal,
    /// ≤ 0: last month's negative leftovers that did not carry.
    pub overspent_last_month: Decimal,
    pub held: Decimal,
    /// By name.
    pub categories: Vec<EnvelopeLine>,
}

/// The chart as budgets see it: expense categories and where each one's
/// spending lands in a month.
struct Chart<'a> {
    expense: BTreeMap<CategoryId, &'a Category>,
    by_name: HashMap<&'a CategoryName, CategoryId>,
    /// The first month each category is an envelope.
    envelope_from: BTreeMap<CategoryId, Month>,
}

impl<'a> Chart<'a> {
    fn new(categories: &'a [Category], plan: &Plan) -> Chart<'a> {
        let expense: BTreeMap<CategoryId, &Category> =
            categories.iter().filter(|c| c.section == Section::Expense).map(|c| (c.id, c)).collect();
        let by_name = expense.values().map(|c| (&c.name, c.id)).collect();
        let mut envelope_from: BTreeMap<CategoryId, Month> = BTreeMap::new();
        for (c, m) in plan.budgets.keys().chain(plan.carryover.keys()).filter(|(c, _)| expense.contains_key(c)) {
            envelope_from.entry(*c).and_modify(|f| *f = (*f).min(*m)).or_insert(*m);
        }
        Chart { expense, by_name, envelope_from }
    }

    fn is_envelope(&self, c: CategoryId, m: Month) -> bool {
        self.envelope_from.get(&c).is_some_and(|f| *f <= m)
    }

    /// The nearest envelope among `c` and its ancestors in `m`, else `c`.
    fn row_of(&self, c: CategoryId, m: Month) -> CategoryId {
        let mut name = self.expense.get(&c).map(|cat| cat.name.clone());
        while let Some(n) = name {
            if let Some(id) = self.by_name.get(&n).filter(|id| self.is_envelope(**id, m)) {
                return *id;
            }
            name = n.parent();
        }
        c
    }
}

/// The budget of `month`, from the first month anything happened.
pub fn month_budget(categories: &[Category], plan: &Plan, actuals: &Actuals, month: Month) -> MonthBudget {
    let chart = Chart::new(categories, plan);
    let tracking = plan.mode == BudgetMode::Tracking;
    let start = chart
        .envelope_from
        .values()
        .copied()
        .chain(actuals.spent.keys().map(|(m, _)| *m))
        .chain(actuals.income.keys().copied())
        .chain(plan.held.keys().copied())
        .min()
        .map_or(month, |m| m.min(month));
    // Each row's leftover of the month before, and that month's totals.
    let mut leftovers: BTreeMap<CategoryId, Decimal> = BTreeMap::new();
    let (mut prev_to_budget, mut prev_held) = (Decimal::ZERO, Decimal::ZERO);
    let mut k = start;
    loop {
        let (mut overspent, mut over_cap) = (Decimal::ZERO, Decimal::ZERO);
        let mut carried: BTreeMap<CategoryId, Decimal> = BTreeMap::new();
        for (&c, &left) in &leftovers {
            let carry = if tracking {
                Decimal::ZERO
            } else {
                let (on, cap) = plan.rollover(c, k.prev());
                if !on && left < Decimal::ZERO {
                    overspent += left;
                }
                let base = if on { left } else { left.max(Decimal::ZERO) };
                match cap {
                    Some(cap) if base > cap => {
                        over_cap += base - cap;
                        cap
                    }
                    _ => base,
                }
            };
            carried.insert(c, carry);
        }
        let mut spent: BTreeMap<CategoryId, Decimal> = BTreeMap::new();
        for ((_, c), s) in actuals.spent.range((k, CategoryId(uuid::Uuid::nil()))..).take_while(|((m, _), _)| *m == k) {
            if chart.expense.contains_key(c) {
                *spent.entry(chart.row_of(*c, k)).or_default() += *s;
            }
        }
        let rows: BTreeSet<CategoryId> = leftovers
            .keys()
            .chain(spent.keys())
            .copied()
            .chain(chart.envelope_from.keys().copied().filter(|c| chart.is_envelope(*c, k)))
            .collect();
        let mut lines = Vec::new();
        let (mut total_budgeted, mut total_spent) = (Decimal::ZERO, Decimal::ZERO);
        leftovers.clear();
        for c in rows {
            let budgeted = plan.budgets.get(&(c, k)).map_or(Decimal::ZERO, |b| b.amount);
            let s = spent.get(&c).copied().unwrap_or_default();
            let carried_in = carried.get(&c).copied().unwrap_or_default();
            let available = budgeted + s + carried_in;
            total_budgeted += budgeted;
            total_spent += s;
            leftovers.insert(c, available);
            if k == month
                && let Some(cat) = chart.expense.get(&c)
                && (chart.is_envelope(c, k) || [budgeted, s, carried_in, available].iter().any(|x| !x.is_zero()))
            {
                lines.push(EnvelopeLine {
                    category: c,
                    name: cat.name.clone(),
                    budgeted,
                    spent: s,
                    carried_in,
                    available,
                    carryover: !tracking && plan.rollover(c, k).0,
                });
            }
        }
        let income = actuals.income.get(&k).copied().unwrap_or_default();
        let held = if tracking { Decimal::ZERO } else { plan.held.get(&k).copied().unwrap_or_default() };
        let to_budget = if tracking {
            income - total_budgeted
        } else {
            income + prev_to_budget + prev_held + overspent + over_cap - total_budgeted - held
        };
        if k >= month {
            lines.sort_by(|a, b| a.name.cmp(&b.name));
            return MonthBudget {
                month,
                mode: plan.mode,
                income,
                budgeted: total_budgeted,
                spent: total_spent,
                to_budget,
                overspent_last_month: if tracking { Decimal::ZERO } else { overspent },
                held,
                categories: lines,
            };
        }
        (prev_to_budget, prev_held) = (to_budget, held);
        k = k.next();
    }
}

// ---------------------------------------------------------------------------
// Templates.

/// Where `kassa budget fill` takes each envelope's amount from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// What was spent last month.
    Last,
    /// The mean spending of the last `n` months (n ≥ 1).
    Average(u32),
    /// Enough for the envelope to hold this much at the end of the month,
    /// given what carried in and what was spent so far.
    Goal(Decimal),
}

impl Template {
    /// `last`, `average:N` or `goal:AMOUNT`.
    pub fn parse(s: &str) -> Option<Template> {
        let s = s.trim();
        match s.split_once(':') {
            None if s.eq_ignore_ascii_case("last") => Some(Template::Last),
            Some((k, n)) if k.eq_ignore_ascii_case("average") => {
                n.trim().parse().ok().filter(|n| *n >= 1).map(Template::Average)
            }
            Some((k, x)) if k.eq_ignore_ascii_case("goal") => {
                crate::money::parse_decimal(x).ok().filter(|x| *x >= Decimal::ZERO).map(Template::Goal)
            }
            _ => None,
        }
    }
}

/// The budgets a template proposes for `month`: for the `only` categories
/// when given, else for every row that spent in the months it looks at (a
/// goal needs `only`). Amounts are never negative (a refund-only month asks
/// for nothing) and are rounded to the currency's minor units.
pub fn fill(
    categories: &[Category],
    plan: &Plan,
    actuals: &Actuals,
    month: Month,
    template: Template,
    only: Option<&[CategoryId]>,
    currency: Currency,
) -> Vec<(CategoryId, Decimal)> {
    let wanted = |c: &CategoryId| only.is_none_or(|o| o.contains(c));
    let round = |d: Decimal| {
        d.max(Decimal::ZERO).round_dp_with_strategy(currency.minor_units(), RoundingStrategy::MidpointAwayFromZero)
    };
    let spending = |months: u32| {
        let mut sums: BTreeMap<CategoryId, Decimal> = BTreeMap::new();
        for i in 1..=months {
            for line in month_budget(categories, plan, actuals, month.minus(i)).categories {
                if !line.spent.is_zero() || only.is_some() {
                    *sums.entry(line.category).or_default() -= line.spent;
                }
            }
        }
        sums
    };
    let mut out: Vec<(CategoryId, Decimal)> = match template {
        Template::Last => spending(1).into_iter().map(|(c, s)| (c, round(s))).collect(),
        Template::Average(n) => spending(n).into_iter().map(|(c, s)| (c, round(s / Decimal::from(n)))).collect(),
        Template::Goal(goal) => {
            let now = month_budget(categories, plan, actuals, month);
            only.unwrap_or_default()
                .iter()
                .map(|c| {
                    let line = now.categories.iter().find(|l| l.category == *c);
                    let (carried, spent) = line.map_or((Decimal::ZERO, Decimal::ZERO), |l| (l.carried_in, l.spent));
                    (*c, round(goal - carried - spent))
                })
                .collect()
        }
    };
    out.retain(|(c, _)| wanted(c));
    out
}

/// Last month's budgets, to copy into `month`, in the currency's minor
/// units (a budget kept in another currency was converted).
pub fn copy_last(plan: &Plan, month: Month, currency: Currency) -> Vec<(CategoryId, Decimal)> {
    let last = month.prev();
    plan.budgets
        .iter()
        .filter(|((_, m), _)| *m == last)
        .map(|((c, _), b)| {
            (*c, b.amount.round_dp_with_strategy(currency.minor_units(), RoundingStrategy::MidpointAwayFromZero))
        })
        .collect()
}
