//! What the dashboard pages need beyond the API's one-resource calls: the
//! home page's figures, accounts with their balance histories, and one
//! category for many transactions at once. The rules are those of
//! `books`: the caller's access first, and a spender's figures cut to the
//! accounts they may use.
//!
//! Figures come from `Store::report_facts` (monthly and daily aggregates),
//! never from replaying or listing a book's transactions, so a page costs
//! the same on a thousand rows as on a million.

use std::collections::BTreeMap;

use jiff::civil::Date;
use kassa_core::access::BookRole;
use kassa_core::loan::LoanTotals;
use kassa_core::report::{self, CashflowLine, Interval, Month, Period, ReportFacts, Scope, TopBy, TopLine, Wanted};
use kassa_core::{AccountId, AccountKind, BookId, Currency, TxId};
use rust_decimal::Decimal;

use super::books::{BookAccess, TxQuery, TxView};
use super::loans::BookLoans;
use super::portfolio::{SecuritiesValue, securities_value};
use super::{Actor, App, AppError, AppResult};

/// The most transactions one bulk categorisation may name (a register page's largest size).
pub const BULK_LIMIT: usize = 500;

/// How far back the home page looks for transactions still without a category.
const UNCATEGORIZED_DAYS: i64 = 90;

/// At most this many "far above average" categories are pointed out.
const TREND_ALERTS: usize = 3;

/// How many months of history the net worth and balance charts show.
const HISTORY_MONTHS: u32 = 36;

/// One account and its balance at the end of today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLine {
    pub id: AccountId,
    pub name: String,
    pub kind: AccountKind,
    pub currency: Currency,
    pub institution: Option<String>,
    pub location: Option<String>,
    /// The account's money: for a brokerage account, its cash.
    pub balance: Decimal,
    /// What the securities held in it are worth today (0 for accounts
    /// without trades), in the account's currency.
    pub securities: Decimal,
}

impl AccountLine {
    /// What the account is worth: its balance plus its securities.
    pub fn value(&self) -> Decimal {
        self.balance + self.securities
    }
}

/// The accounts of one kind, with their totals per currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountGroup {
    pub kind: AccountKind,
    pub accounts: Vec<AccountLine>,
    pub totals: Vec<(Currency, Decimal)>,
}

/// The accounts a caller sees, grouped by kind in the order of
/// `AccountKind::ALL`, and what they add up to per currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accounts {
    pub groups: Vec<AccountGroup>,
    /// Net worth now, per currency: every account's value summed, plus
    /// what others owe us on loans, minus what we owe them (`loans`).
    pub totals: Vec<(Currency, Decimal)>,
    /// Open loans on those accounts per currency (currencies with any).
    pub loans: Vec<(Currency, LoanTotals)>,
    /// Securities left out of the values for want of an exchange rate:
    /// (instrument currency, account currency).
    pub missing_rates: Vec<(Currency, Currency)>,
}

/// Balances at month ends (and today) in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub currency: Currency,
    pub points: Vec<(Date, Decimal)>,
}

/// Something on the home page that wants attention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    /// An asset account below zero.
    Overdrawn { account: AccountId, name: String, balance: Decimal, currency: Currency },
    /// Transactions without a category since `since`; `more` when there are
    /// more than `count` (the count stops at a page).
    Uncategorized { count: usize, more: bool, since: Date },
    /// Imported rows held until someone decides what they are.
    ReviewWaiting { count: usize },
    /// An expense category this month far above its trailing twelve-month mean.
    AboveAverage { category: String, currency: Currency, amount: Decimal, average: Decimal, change_pct: String },
    /// Securities quoted in `from` held in a `to` account, with no rate
    /// between the two: they are left out of net worth.
    MissingRate { from: Currency, to: Currency },
}

#[derive(Debug, Clone)]
pub struct Home {
    pub month: Month,
    pub accounts: Accounts,
    /// Net worth at the month ends of the last three years and today.
    pub history: Vec<History>,
    /// This month's money in, out and net, per currency.
    pub month_flows: Vec<CashflowLine>,
    /// This month's spending by expense category, largest first, per currency.
    pub spending: Vec<TopLine>,
    /// The newest transactions.
    pub recent: Vec<TxView>,
    pub alerts: Vec<Alert>,
}

/// One account's page: the account and its balance over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountDetail {
    pub account: AccountLine,
    pub history: Vec<(Date, Decimal)>,
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

impl App {
    /// Report facts cut to the accounts the caller sees. Counterparty sums
    /// are not per account, so a spender gets none.
    fn visible_facts(&self, access: &BookAccess, want: Wanted) -> AppResult<ReportFacts> {
        let mut f = self.store.report_facts(access.book.id, None, want)?;
        if access.role == BookRole::Spender {
            f.accounts.retain(|a| access.sees_account(a.id));
            f.flows.retain(|fl| access.sees_account(fl.account));
            f.daily.retain(|d| access.sees_account(d.account));
            f.counterparties.clear();
        }
        Ok(f)
    }

    /// Every account the caller sees with its balance today, grouped by kind.
    pub fn account_overview(&self, actor: &Actor, book: BookId, today: Date) -> AppResult<Accounts> {
        let access = self.access(actor, book)?;
        let f = self.visible_facts(&access, Wanted::DAILY)?;
        let held = self.securities(book, &f, &[today])?;
        let loans = self.loans_at(book, &f, &[today])?.pop().unwrap_or_default();
        Ok(accounts_of(&f, today, &held, &loans))
    }

    /// Open loans on the facts' accounts at each of `dates` (the `loans`
    /// projection, no replay).
    fn loans_at(
        &self,
        book: BookId,
        f: &ReportFacts,
        dates: &[Date],
    ) -> AppResult<Vec<BTreeMap<Currency, LoanTotals>>> {
        let loans = BookLoans::read(self.store.as_ref(), book)?;
        Ok(loans.totals_at(dates, |a| f.accounts.iter().any(|x| x.id == a)))
    }

    /// What the securities in the facts' accounts are worth at `dates`.
    fn securities(&self, book: BookId, f: &ReportFacts, dates: &[Date]) -> AppResult<SecuritiesValue> {
        securities_value(self.store.as_ref(), book, &f.accounts, dates)
    }

    /// One account with its balance at each month end of the last three years.
    pub fn account_detail(&self, actor: &Actor, book: BookId, id: AccountId, today: Date) -> AppResult<AccountDetail> {
        let access = self.access(actor, book)?;
        let not_found = || AppError::NotFound("account".into());
        if !access.sees_account(id) {
            return Err(not_found());
        }
        let mut f = self.visible_facts(&access, Wanted::DAILY)?;
        f.accounts.retain(|a| a.id == id);
        f.daily.retain(|d| d.account == id);
        let held = self.securities(book, &f, &[today])?;
        // One account's page shows its own value, no loans beside it.
        let account = accounts_of(&f, today, &held, &BTreeMap::new())
            .groups
            .into_iter()
            .flat_map(|g| g.accounts)
            .next()
            .ok_or_else(not_found)?;
        let history = self.histories(book, &f, today, false)?.into_iter().next().map(|h| h.points).unwrap_or_default();
        Ok(AccountDetail { account, history })
    }

    /// Everything the home page shows, as of `today`.
    pub fn home(&self, actor: &Actor, book: BookId, today: Date) -> AppResult<Home> {
        let access = self.access(actor, book)?;
        let f = self.visible_facts(&access, Wanted { flows: true, counterparties: false, daily: true })?;
        let month = Month::of(today);
        let scope = Scope { from: Some(month), to: Some(month), depth: None };
        let loans = self.loans_at(book, &f, &[today])?.pop().unwrap_or_default();
        let accounts = accounts_of(&f, today, &self.securities(book, &f, &[today])?, &loans);
        let month_flows = report::cashflow(&f, Period::Month, scope, None).map_err(internal)?;
        let spending = report::top(&f, TopBy::Category, scope, usize::MAX, None).map_err(internal)?;
        let recent = self.transactions(actor, book, &TxQuery { limit: Some(10), ..TxQuery::default() })?.items;

        let mut alerts: Vec<Alert> = accounts
            .groups
            .iter()
            .filter(|g| !g.kind.is_liability())
            .flat_map(|g| &g.accounts)
            .filter(|a| a.balance.is_sign_negative() && !a.balance.is_zero())
            .map(|a| Alert::Overdrawn { account: a.id, name: a.name.clone(), balance: a.balance, currency: a.currency })
            .collect();
        let since = today.checked_sub(jiff::Span::new().days(UNCATEGORIZED_DAYS)).map_err(internal)?;
        let open = self.transactions(
            actor,
            book,
            &TxQuery { uncategorized: Some(true), from: Some(since.to_string()), ..TxQuery::default() },
        )?;
        if !open.items.is_empty() {
            alerts.push(Alert::Uncategorized { count: open.items.len(), more: open.next_cursor.is_some(), since });
        }
        if access.role >= BookRole::Viewer {
            let count = self.import_reviews(actor, book)?.len();
            if count > 0 {
                alerts.push(Alert::ReviewWaiting { count });
            }
        }
        // Spending is negative, so `average − amount` is how much more went
        // out than usual; a category new this month has no average to exceed.
        let mut above: Vec<(Decimal, Alert)> = report::trends(&f, month, None, None)
            .map_err(internal)?
            .into_iter()
            .filter(|t| t.section == "expense" && t.flag == "high")
            .filter_map(|t| {
                let alert = Alert::AboveAverage {
                    change_pct: t.change_pct?,
                    category: t.category,
                    currency: t.currency,
                    amount: -t.amount,
                    average: -t.average,
                };
                Some((t.average - t.amount, alert))
            })
            .collect();
        above.sort_by_key(|(excess, _)| std::cmp::Reverse(*excess));
        alerts.extend(above.into_iter().take(TREND_ALERTS).map(|(_, a)| a));
        alerts.extend(accounts.missing_rates.iter().map(|&(from, to)| Alert::MissingRate { from, to }));
        let history = self.histories(book, &f, today, true)?;
        Ok(Home { month, history, accounts, month_flows, spending, recent, alerts })
    }

    /// Gives every transaction in `ids` the category `category` (none when
    /// `None`) in one write: all of them, or — when any is unknown to the
    /// caller or refused — none. Returns how many were named.
    pub fn recategorize_many(
        &self,
        actor: &Actor,
        book: BookId,
        ids: &[TxId],
        category: Option<String>,
    ) -> AppResult<usize> {
        let access = self.access(actor, book)?;
        if ids.is_empty() {
            return Err(AppError::invalid("tx", "choose at least one transaction"));
        }
        if ids.len() > BULK_LIMIT {
            return Err(AppError::invalid("tx", format!("at most {BULK_LIMIT} transactions at once")));
        }
        for &id in ids {
            self.transaction_seen(&access, id)?;
        }
        access.require(BookRole::Editor)?;
        let category = category.filter(|c| !c.trim().is_empty());
        crate::categorize::correct_many(self.store.as_ref(), book, &actor.tag(), ids, category)?;
        Ok(ids.len())
    }
}

/// Balances at the end of `today` from the daily changes, grouped by kind.
/// `held` values the securities at one date, today; `loans` are the open
/// loans on the facts' accounts then.
fn accounts_of(
    f: &ReportFacts,
    today: Date,
    held: &SecuritiesValue,
    loans: &BTreeMap<Currency, LoanTotals>,
) -> Accounts {
    let mut balance: BTreeMap<AccountId, Decimal> = BTreeMap::new();
    for d in f.daily.iter().filter(|d| d.date <= today) {
        *balance.entry(d.account).or_default() += d.amount.amount;
    }
    let mut totals: BTreeMap<Currency, Decimal> = BTreeMap::new();
    let groups = AccountKind::ALL
        .iter()
        .filter_map(|&kind| {
            let mut accounts: Vec<AccountLine> = f
                .accounts
                .iter()
                .filter(|a| a.kind == kind)
                .map(|a| {
                    let mut b = balance.get(&a.id).copied().unwrap_or_default();
                    b.rescale(a.currency.minor_units());
                    AccountLine {
                        id: a.id,
                        name: a.name.clone(),
                        kind,
                        currency: a.currency,
                        institution: a.institution.clone(),
                        location: a.location.clone(),
                        balance: b,
                        securities: held.at(a.id, 0).filter(|(c, _)| *c == a.currency).map(|(_, v)| v).sum(),
                    }
                })
                .collect();
            if accounts.is_empty() {
                return None;
            }
            accounts.sort_by(|a, b| a.name.cmp(&b.name));
            let mut group: BTreeMap<Currency, Decimal> = BTreeMap::new();
            for a in &accounts {
                *group.entry(a.currency).or_default() += a.value();
                *totals.entry(a.currency).or_default() += a.value();
                // Securities with no rate into the account's currency.
                for (c, v) in held.at(a.id, 0).filter(|(c, _)| *c != a.currency) {
                    *group.entry(c).or_default() += v;
                    *totals.entry(c).or_default() += v;
                }
            }
            Some(AccountGroup { kind, accounts, totals: group.into_iter().collect() })
        })
        .collect();
    let missing_rates = held.missing_rates.iter().map(|&(from, to, _)| (from, to)).collect();
    let loans: Vec<(Currency, LoanTotals)> =
        loans.iter().filter(|(_, t)| !t.receivable.is_zero() || !t.payable.is_zero()).map(|(c, t)| (*c, *t)).collect();
    for (c, t) in &loans {
        *totals.entry(*c).or_default() += t.net();
    }
    Accounts { groups, totals: totals.into_iter().collect(), loans, missing_rates }
}

impl App {
    /// The net worth of the facts' accounts per currency at each month end
    /// of the last three years (from the first transaction, when later) and
    /// today, securities at their value on each date.
    /// With `with_loans`, open loans on those accounts count too (net
    /// worth); without, the accounts alone (an account's own history).
    fn histories(&self, book: BookId, f: &ReportFacts, today: Date, with_loans: bool) -> AppResult<Vec<History>> {
        let Some(first) = f.first_date().filter(|d| *d <= today) else { return Ok(vec![]) };
        let from = first.max(Month::of(today).minus(HISTORY_MONTHS).last_day());
        let lines = report::networth(f, Interval::Month, Some(from), Some(today), None).map_err(internal)?;
        let mut per_currency: BTreeMap<Currency, BTreeMap<Date, Decimal>> = BTreeMap::new();
        // Each date lists its accounts, then the net worth per currency: the
        // later line wins, so an account that happens to be called "Net worth"
        // cannot stand in for the sum.
        for l in lines.iter().filter(|l| l.account == "Net worth") {
            per_currency.entry(l.currency).or_default().insert(l.date, l.balance);
        }
        let dates: Vec<Date> = per_currency
            .values()
            .flat_map(|p| p.keys().copied())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let held = self.securities(book, f, &dates)?;
        for a in &f.accounts {
            for (n, date) in dates.iter().enumerate() {
                for (currency, value) in held.at(a.id, n) {
                    *per_currency.entry(currency).or_default().entry(*date).or_default() += value;
                }
            }
        }
        if with_loans {
            for (date, totals) in dates.iter().zip(self.loans_at(book, f, &dates)?) {
                for (currency, t) in totals.into_iter().filter(|(_, t)| !t.net().is_zero()) {
                    *per_currency.entry(currency).or_default().entry(*date).or_default() += t.net();
                }
            }
        }
        Ok(per_currency
            .into_iter()
            .map(|(currency, points)| History { currency, points: points.into_iter().collect() })
            .collect())
    }
}
