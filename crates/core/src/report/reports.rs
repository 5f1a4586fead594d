//! The reports themselves. Each takes [`ReportFacts`] and options and returns
//! rows; amounts are per currency unless a [`Convert`] is given.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use rust_decimal::prelude::MathematicalOps;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::fx::{FxError, FxTable};
use super::{Month, ReportFacts};
use crate::category::{CategoryName, Section};
use crate::currency::Currency;
use crate::ids::CategoryId;
use crate::money::Money;

/// Convert every amount into `to` with `table` (nearest earlier rate).
#[derive(Debug, Clone, Copy)]
pub struct Convert<'a> {
    pub table: &'a FxTable,
    pub to: Currency,
}

fn conv(fx: Option<Convert>, m: Money, on: Date) -> Result<Money, FxError> {
    match fx {
        Some(c) => c.table.convert(m, c.to, on),
        None => Ok(m),
    }
}

/// Sums per key and currency, exactly.
type Sums<K> = BTreeMap<(K, Currency), Decimal>;

fn add<K: Ord>(sums: &mut Sums<K>, key: K, m: Money) {
    *sums.entry((key, m.currency)).or_default() += m.amount;
}

fn at_scale(mut d: Decimal, c: Currency) -> Decimal {
    d.rescale(c.minor_units());
    d
}

// --- balances ---------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Account,
    Kind,
    Location,
    Institution,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceLine {
    pub group: String,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
}

/// Balances (the facts are already cut at the as-of date), grouped, with a
/// `Total` line per currency. `on` dates the conversion.
pub fn balances(f: &ReportFacts, by: GroupBy, fx: Option<Convert>, on: Date) -> Result<Vec<BalanceLine>, FxError> {
    let mut per_account: BTreeMap<_, Money> = f.accounts.iter().map(|a| (a.id, Money::zero(a.currency))).collect();
    for d in &f.daily {
        if let Some(b) = per_account.get_mut(&d.account) {
            b.amount += d.amount.amount;
        }
    }
    let mut sums: Sums<String> = BTreeMap::new();
    let mut total: Sums<()> = BTreeMap::new();
    for a in &f.accounts {
        let m = conv(fx, per_account[&a.id], on)?;
        let group = match by {
            GroupBy::Account => a.name.clone(),
            GroupBy::Kind => a.kind.to_string(),
            GroupBy::Location => a.location.clone().unwrap_or_else(|| "(none)".into()),
            GroupBy::Institution => a.institution.clone().unwrap_or_else(|| "(none)".into()),
        };
        add(&mut sums, group, m);
        add(&mut total, (), m);
    }
    let mut rows: Vec<BalanceLine> = sums
        .into_iter()
        .map(|((group, currency), b)| BalanceLine { group, currency, balance: at_scale(b, currency) })
        .collect();
    rows.extend(total.into_iter().map(|(((), currency), b)| BalanceLine {
        group: "Total".into(),
        currency,
        balance: at_scale(b, currency),
    }));
    Ok(rows)
}

// --- net worth --------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    Week,
    Month,
    Year,
}

impl Interval {
    /// The last day of the period that contains `d`.
    pub fn period_end(&self, d: Date) -> Date {
        match self {
            Interval::Day => d,
            Interval::Week => {
                let ahead = 7 - i64::from(d.weekday().to_monday_one_offset());
                d.checked_add(jiff::Span::new().days(ahead)).unwrap_or(d)
            }
            Interval::Month => d.last_of_month(),
            Interval::Year => jiff::civil::date(d.year(), 12, 31),
        }
    }

    fn next_day(d: Date) -> Date {
        d.tomorrow().unwrap_or(d)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetWorthLine {
    pub date: Date,
    /// An account's name, or `Net worth`.
    pub account: String,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
}

/// The balance of every account and the net worth at the end of each period
/// between `from` and `to` (the last period ends at `to`).
pub fn networth(
    f: &ReportFacts,
    interval: Interval,
    from: Option<Date>,
    to: Option<Date>,
    fx: Option<Convert>,
) -> Result<Vec<NetWorthLine>, FxError> {
    let (Some(first), Some(last)) = (from.or(f.first_date()), to.or(f.last_date())) else { return Ok(vec![]) };
    let mut daily: Vec<_> = f.daily.iter().collect();
    daily.sort_by_key(|d| d.date);
    let mut running: BTreeMap<_, Money> = f.accounts.iter().map(|a| (a.id, Money::zero(a.currency))).collect();
    let mut accounts: Vec<_> = f.accounts.iter().collect();
    accounts.sort_by(|a, b| a.name.cmp(&b.name));
    let mut rows = vec![];
    let mut i = 0;
    let mut end = interval.period_end(first).min(last);
    loop {
        while i < daily.len() && daily[i].date <= end {
            if let Some(b) = running.get_mut(&daily[i].account) {
                b.amount += daily[i].amount.amount;
            }
            i += 1;
        }
        let mut net: Sums<()> = BTreeMap::new();
        for a in &accounts {
            let m = conv(fx, running[&a.id], end)?;
            add(&mut net, (), m);
            rows.push(NetWorthLine {
                date: end,
                account: a.name.clone(),
                currency: m.currency,
                balance: at_scale(m.amount, m.currency),
            });
        }
        for (((), currency), b) in net {
            rows.push(NetWorthLine {
                date: end,
                account: "Net worth".into(),
                currency,
                balance: at_scale(b, currency),
            });
        }
        if end >= last {
            break;
        }
        end = interval.period_end(Interval::next_day(end)).min(last);
    }
    Ok(rows)
}

// --- income and expense by category ------------------------------------------

/// Months or years as the columns of a profit / loss report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month,
    Year,
}

impl Period {
    fn label(&self, m: Month) -> String {
        match self {
            Period::Month => m.to_string(),
            Period::Year => format!("{:04}", m.year),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryLine {
    /// `YYYY-MM`, or `YYYY` for reports by years.
    pub period: String,
    /// `income`, `expense`, `uncategorized`, or `net`.
    pub section: String,
    /// A category (rolled up to `depth`), `Total`, or `Net`.
    pub category: String,
    pub currency: Currency,
    /// Signed as on the accounts: income positive, expenses negative.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// Which slice of months and how deep the category tree goes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope {
    pub from: Option<Month>,
    pub to: Option<Month>,
    /// Roll `A:B:C` up to its first `depth` segments.
    pub depth: Option<usize>,
}

impl Scope {
    fn contains(&self, m: Month) -> bool {
        self.from.is_none_or(|f| m >= f) && self.to.is_none_or(|t| m <= t)
    }
}

struct Names {
    by_id: BTreeMap<CategoryId, (CategoryName, Section)>,
}

const UNCATEGORIZED: &str = "Uncategorized";

impl Names {
    fn new(f: &ReportFacts) -> Names {
        Names { by_id: f.categories.iter().map(|c| (c.id, (c.name.clone(), c.section))).collect() }
    }

    /// Section and rolled-up name; `None` for transfer categories.
    fn of(&self, id: Option<CategoryId>, depth: Option<usize>) -> Option<(&'static str, String)> {
        let Some(id) = id else { return Some(("uncategorized", UNCATEGORIZED.into())) };
        let (name, section) = self.by_id.get(&id)?;
        let name = depth.map_or_else(|| name.to_string(), |d| name.truncated(d).to_string());
        match section {
            Section::Income => Some(("income", name)),
            Section::Expense => Some(("expense", name)),
            Section::Transfer => None,
        }
    }
}

fn section_rank(s: &str) -> u8 {
    match s {
        "income" => 0,
        "expense" => 1,
        "uncategorized" => 2,
        _ => 3,
    }
}

/// Income and expense per category and period, a `Total` per section and a
/// `Net` (profit or loss) per period and currency. Transfers are left out:
/// transfers between own accounts, and categories in the transfer section.
pub fn category_totals(
    f: &ReportFacts,
    period: Period,
    scope: Scope,
    fx: Option<Convert>,
) -> Result<Vec<CategoryLine>, FxError> {
    let names = Names::new(f);
    let mut cells: Sums<(String, u8, String, String)> = BTreeMap::new();
    for fl in f.flows.iter().filter(|fl| scope.contains(fl.month)) {
        let Some((section, category)) = names.of(fl.category, scope.depth) else { continue };
        let m = conv(fx, fl.amount, fl.month.last_day())?;
        let p = period.label(fl.month);
        add(&mut cells, (p.clone(), section_rank(section), section.to_string(), category), m);
        add(&mut cells, (p.clone(), section_rank(section), section.to_string(), "\u{10FFFF}Total".into()), m);
        add(&mut cells, (p, section_rank("net"), "net".into(), "Net".into()), m);
    }
    Ok(cells
        .into_iter()
        .map(|(((period, _, section, category), currency), amount)| CategoryLine {
            period,
            section,
            category: category.trim_start_matches('\u{10FFFF}').to_string(),
            currency,
            amount: at_scale(amount, currency),
        })
        .collect())
}

// --- cash flow -----------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CashflowLine {
    pub period: String,
    pub currency: Currency,
    #[serde(rename = "in", with = "rust_decimal::serde::str")]
    pub inflow: Decimal,
    #[serde(rename = "out", with = "rust_decimal::serde::str")]
    pub outflow: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub net: Decimal,
}

/// One edge of a Sankey diagram: income category → account → expense category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SankeyEdge {
    pub source: String,
    pub target: String,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// Money in, out and net per period. A (month, account, category) sum that is
/// positive counts as in, a negative one as out: a refund inside a month
/// reduces that month's spending rather than counting as income.
pub fn cashflow(
    f: &ReportFacts,
    period: Period,
    scope: Scope,
    fx: Option<Convert>,
) -> Result<Vec<CashflowLine>, FxError> {
    let names = Names::new(f);
    let mut cells: BTreeMap<(String, Currency), (Decimal, Decimal)> = BTreeMap::new();
    for fl in f.flows.iter().filter(|fl| scope.contains(fl.month)) {
        if names.of(fl.category, None).is_none() {
            continue;
        }
        let m = conv(fx, fl.amount, fl.month.last_day())?;
        let cell = cells.entry((period.label(fl.month), m.currency)).or_default();
        if m.amount.is_sign_positive() { cell.0 += m.amount } else { cell.1 += m.amount }
    }
    Ok(cells
        .into_iter()
        .map(|((period, currency), (i, o))| CashflowLine {
            period,
            currency,
            inflow: at_scale(i, currency),
            outflow: at_scale(o, currency),
            net: at_scale(i + o, currency),
        })
        .collect())
}

/// The flows of the scope as Sankey edges: money that came into an account
/// from a category is an edge category → account, money that left is an
/// edge account → category; amounts are positive.
pub fn sankey(f: &ReportFacts, scope: Scope, fx: Option<Convert>) -> Result<Vec<SankeyEdge>, FxError> {
    let names = Names::new(f);
    let mut edges: Sums<(String, String)> = BTreeMap::new();
    for fl in f.flows.iter().filter(|fl| scope.contains(fl.month)) {
        let Some((_, category)) = names.of(fl.category, scope.depth) else { continue };
        let Some(account) = f.account(fl.account) else { continue };
        let m = conv(fx, fl.amount, fl.month.last_day())?;
        let key = if m.amount.is_sign_positive() {
            (category, account.name.clone())
        } else {
            (account.name.clone(), category)
        };
        add(&mut edges, key, Money { amount: m.amount.abs(), currency: m.currency });
    }
    let mut rows: Vec<SankeyEdge> = edges
        .into_iter()
        .filter(|(_, a)| !a.is_zero())
        .map(|(((source, target), currency), amount)| SankeyEdge {
            source,
            target,
            currency,
            amount: at_scale(amount, currency),
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.currency, b.amount, &a.source, &a.target).cmp(&(b.currency, a.amount, &b.source, &b.target))
    });
    Ok(rows)
}

// --- top ---------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopBy {
    Category,
    Counterparty,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopLine {
    pub rank: usize,
    pub name: String,
    pub currency: Currency,
    /// Net spending, negative.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Percent of the currency's spending in the list's population.
    #[serde(with = "rust_decimal::serde::str")]
    pub share: Decimal,
}

/// Where the money went: expense categories (or counterparties) with the
/// largest net spending, per currency, at most `limit` each.
pub fn top(
    f: &ReportFacts,
    by: TopBy,
    scope: Scope,
    limit: usize,
    fx: Option<Convert>,
) -> Result<Vec<TopLine>, FxError> {
    let names = Names::new(f);
    let mut sums: Sums<String> = BTreeMap::new();
    match by {
        TopBy::Category => {
            for fl in f.flows.iter().filter(|fl| scope.contains(fl.month)) {
                if let Some(("expense" | "uncategorized", name)) = names.of(fl.category, scope.depth) {
                    add(&mut sums, name, conv(fx, fl.amount, fl.month.last_day())?)
                }
            }
        }
        TopBy::Counterparty => {
            for c in f.counterparties.iter().filter(|c| scope.contains(c.month)) {
                if let Some(("expense" | "uncategorized", _)) = names.of(c.category, None) {
                    add(&mut sums, c.counterparty.clone(), conv(fx, c.amount, c.month.last_day())?);
                }
            }
        }
    }
    let mut by_currency: BTreeMap<Currency, Vec<(String, Decimal)>> = BTreeMap::new();
    for ((name, currency), amount) in sums {
        if amount.is_sign_negative() && !amount.is_zero() {
            by_currency.entry(currency).or_default().push((name, amount));
        }
    }
    let mut rows = vec![];
    for (currency, mut list) in by_currency {
        let total: Decimal = list.iter().map(|(_, a)| *a).sum();
        list.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        for (i, (name, amount)) in list.into_iter().take(limit).enumerate() {
            let mut share = (amount / total * Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
            share.rescale(1);
            rows.push(TopLine { rank: i + 1, name, currency, amount: at_scale(amount, currency), share });
        }
    }
    Ok(rows)
}

// --- trends ------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrendLine {
    pub month: Month,
    pub section: String,
    pub category: String,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Mean of the 12 months before, counting months without activity as 0.
    #[serde(with = "rust_decimal::serde::str")]
    pub average: Decimal,
    /// `amount − average`, in percent of |average| (empty when the average is 0).
    pub change_pct: Option<String>,
    /// `high` / `low` when the month is more than two standard deviations and
    /// more than 25 % away from the average; else empty.
    pub flag: String,
}

/// The standard deviation of `xs` about `mean`. A category summed over
/// several accounts near the edge of kassa's range has deviations whose
/// squares overflow `Decimal` (10^14 squared is already 10^28): those are
/// scaled down by the largest deviation before squaring, which loses only
/// digits far below what a trend's flag compares.
fn std_dev(xs: &[Decimal], mean: Decimal) -> Decimal {
    let n = Decimal::from(xs.len().max(1));
    let rms = |scale: Decimal| {
        let squares = xs.iter().try_fold(Decimal::ZERO, |sum, x| {
            let d = (*x - mean) / scale;
            sum.checked_add(d.checked_mul(d)?)
        })?;
        (squares / n).sqrt()
    };
    if let Some(sd) = rms(Decimal::ONE) {
        return sd;
    }
    let scale = xs.iter().map(|x| (*x - mean).abs()).max().unwrap_or(Decimal::ONE);
    // Scaled, every deviation is at most 1 and so is their root mean square.
    rms(scale).map_or(Decimal::ZERO, |sd| sd * scale)
}

/// Each category's `month` against its trailing twelve-month average.
pub fn trends(
    f: &ReportFacts,
    month: Month,
    depth: Option<usize>,
    fx: Option<Convert>,
) -> Result<Vec<TrendLine>, FxError> {
    let names = Names::new(f);
    let start = month.minus(12);
    let mut series: BTreeMap<(String, String, Currency), BTreeMap<Month, Decimal>> = BTreeMap::new();
    for fl in f.flows.iter().filter(|fl| fl.month >= start && fl.month <= month) {
        let Some((section, category)) = names.of(fl.category, depth) else { continue };
        let m = conv(fx, fl.amount, fl.month.last_day())?;
        *series.entry((section.to_string(), category, m.currency)).or_default().entry(fl.month).or_default() +=
            m.amount;
    }
    let twelve = Decimal::from(12);
    let mut rows = vec![];
    for ((section, category, currency), by_month) in series {
        let amount = by_month.get(&month).copied().unwrap_or_default();
        let past: Vec<Decimal> = (1..=12).map(|k| by_month.get(&month.minus(k)).copied().unwrap_or_default()).collect();
        let mean = past.iter().sum::<Decimal>() / twelve;
        let sd = std_dev(&past, mean);
        let diff = amount - mean;
        let far = diff.abs() > sd * Decimal::TWO && diff.abs() * Decimal::from(4) > mean.abs();
        // Spending is negative: a month that spends more is "high".
        let flag = match (far, section.as_str(), diff.is_sign_negative()) {
            (false, _, _) => "",
            (true, "income", true) | (true, "expense" | "uncategorized", false) => "low",
            _ => "high",
        };
        // Relative to the average's own sign, so + is "more of it" in every
        // section: 10 % more spent reads +10 %, as 10 % more earned does.
        let change_pct = (!mean.is_zero()).then(|| {
            (diff / mean * Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
                .to_string()
        });
        rows.push(TrendLine {
            month,
            section,
            category,
            currency,
            amount: at_scale(amount, currency),
            average: at_scale(
                mean.round_dp_with_strategy(currency.minor_units(), RoundingStrategy::MidpointAwayFromZero),
                currency,
            ),
            change_pct,
            flag: flag.to_string(),
        });
    }
    rows.sort_by(|a, b| {
        (section_rank(&a.section), &a.category, a.currency).cmp(&(section_rank(&b.section), &b.category, b.currency))
    });
    Ok(rows)
}

/// Every month in which the facts have flows, for reports that default to the latest.
pub fn months(f: &ReportFacts) -> BTreeSet<Month> {
    f.flows.iter().map(|fl| fl.month).collect()
}
