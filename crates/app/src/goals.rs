//! Goals (issue 17, seeds 000 and 004): `goal add` and `goal list`, for the
//! CLI (plain functions) and the API ([`App`] methods: viewers read,
//! editors and owners write).
//!
//! What a goal has saved is the summed balance of its accounts, or its
//! bucket's balance, on "today" (the app's clock, or the CLI's `--as-of`);
//! the trailing average is the growth of the same figure over the six whole
//! months before today's (`kassa_core::goal::trailing_window`). The
//! arithmetic is `kassa_core::goal::progress`.

use jiff::civil::Date;
use kassa_core::access::BookRole;
use kassa_core::bucket::Buckets;
use kassa_core::goal::{GoalLink, GoalSet, TRAILING_MONTHS, goals, progress, trailing_window};
use kassa_core::money::parse_decimal;
use kassa_core::report::{DailyDelta, Wanted};
use kassa_core::{AccountRef, BookId, Command, Currency, LedgerDate, Money};
use kassa_store::Store;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::buckets::BookLog;
use crate::{Actor, App, AppError, AppResult};

/// `goal add` / `POST …/goals`: accounts or a bucket, not both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddGoal {
    pub name: String,
    /// Positive decimal, in the accounts' currency (a bucket's: the book's main one).
    pub target: String,
    /// YYYY-MM-DD
    pub by: String,
    /// Account names whose balances are the savings.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// A bucket whose balance is the savings.
    #[serde(default)]
    pub bucket: Option<String>,
}

/// One row of `goal list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoalView {
    pub goal: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub target: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub saved: Decimal,
    /// saved / target, from 0 to 1.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub progress: Decimal,
    /// (target − saved) / months left including this one.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub required_monthly: Decimal,
    /// When the trailing 6-month average inflow reaches the target; null
    /// while that average is ≤ 0.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub projected_date: Option<Date>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub currency: Currency,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub by: Date,
    /// The linked accounts' names, or `bucket NAME`.
    pub linked: String,
}

/// The query of `GET …/goals`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct GoalQuery {
    /// The day the figures are for, YYYY-MM-DD (default: today)
    pub as_of: Option<String>,
}

impl GoalQuery {
    pub fn as_of(&self) -> AppResult<Option<Date>> {
        self.as_of.as_deref().map(|s| crate::dates::end(s).map_err(|e| AppError::invalid("as_of", e))).transpose()
    }
}

/// Defines a goal (again, under the same name, replaces it). Refused with
/// nothing stored for a bad field, an unknown account or bucket, accounts
/// in different currencies, or both or neither of accounts and bucket.
pub fn add(store: &dyn Store, actor: &str, book: BookId, input: &AddGoal) -> AppResult<()> {
    let name = input.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(AppError::invalid("name", "must be 1 to 200 characters"));
    }
    let ledger = store.ledger(book)?;
    let amount = parse_decimal(&input.target).map_err(|e| AppError::invalid("target", e))?;
    if amount <= Decimal::ZERO {
        return Err(AppError::invalid("target", format!("must be positive, got {amount}")));
    }
    let by = LedgerDate::parse(&input.by).map_err(|e| AppError::invalid("by", e))?;
    let (currency, bucket) = match (input.accounts.as_slice(), &input.bucket) {
        ([], None) => return Err(AppError::invalid("accounts", "a goal needs accounts or a bucket")),
        ([_, ..], Some(_)) => return Err(AppError::invalid("bucket", "a goal has accounts or a bucket, not both")),
        ([first, rest @ ..], None) => {
            let first = ledger.resolve_account(&AccountRef::Name(first.clone()))?;
            for other in rest {
                let a = ledger.resolve_account(&AccountRef::Name(other.clone()))?;
                if a.currency != first.currency {
                    return Err(AppError::invalid(
                        "accounts",
                        format!(
                            "'{}' is in {} and '{}' in {}: one goal, one currency",
                            first.name, first.currency, a.name, a.currency
                        ),
                    ));
                }
            }
            (first.currency, None)
        }
        ([], Some(b)) => {
            let b = crate::buckets::definitions(store, book)?.known(b).map_err(|e| AppError::invalid("bucket", e))?;
            (crate::buckets::main_currency_of(&ledger)?, Some(b))
        }
    };
    let target = Money::new(amount, currency).map_err(|e| AppError::invalid("target", e))?;
    let accounts = input.accounts.iter().cloned().map(AccountRef::Name).collect();
    store.execute(book, actor, &[Command::SetGoal { name: name.to_string(), target, by, accounts, bucket }])?;
    Ok(())
}

/// The book's goals with their figures on `today`. The definitions are
/// the `plan_events` projection and account goals read the daily balance
/// changes; only a goal linked to a bucket folds the book's log, since a
/// bucket's balance is computed from the transactions as they stand.
pub fn list(store: &dyn Store, book: BookId, today: Date) -> AppResult<Vec<GoalView>> {
    let defined = goals(&store.plan_events(book)?);
    let ledger = store.ledger(book)?;
    let log = match defined.iter().any(|g| matches!(g.link, GoalLink::Bucket(_))) {
        true => Some(BookLog::read(store, book)?),
        false => None,
    };
    let buckets = log.as_ref().map(BookLog::buckets);
    let daily = store.report_facts(book, None, Wanted::DAILY)?.daily;
    let (start, end) = trailing_window(today);
    Ok(defined
        .into_iter()
        .map(|g| {
            let on = |d: Date| saved(&daily, log.as_ref().zip(buckets.as_ref()), &g, d);
            let average = (on(end) - on(start)) / Decimal::from(TRAILING_MONTHS);
            let saved = on(today);
            let p = progress(g.target, g.by, saved, average, today);
            let scale = |mut d: Decimal| {
                d.rescale(g.target.currency.minor_units());
                d
            };
            GoalView {
                linked: match &g.link {
                    GoalLink::Accounts(ids) => ids
                        .iter()
                        .filter_map(|a| ledger.account(*a).map(|a| a.name.clone()))
                        .collect::<Vec<_>>()
                        .join(", "),
                    GoalLink::Bucket(b) => format!("bucket {b}"),
                },
                goal: g.name,
                target: scale(g.target.amount),
                saved: scale(saved),
                progress: p.progress.normalize(),
                required_monthly: scale(p.required_monthly),
                projected_date: p.projected,
                currency: g.target.currency,
                by: g.by,
            }
        })
        .collect())
}

/// What the goal has saved at the end of `d`: its accounts' summed balance
/// (from the daily balance changes), or its bucket's balance in the
/// target's currency (from the folded log, present when a goal has a bucket).
fn saved(daily: &[DailyDelta], log: Option<(&BookLog, &Buckets)>, g: &GoalSet, d: Date) -> Decimal {
    match (&g.link, log) {
        (GoalLink::Accounts(ids), _) => {
            daily.iter().filter(|c| c.date <= d && ids.contains(&c.account)).map(|c| c.amount.amount).sum()
        }
        (GoalLink::Bucket(b), Some((log, buckets))) => buckets
            .list(&log.ledger, Some(d), g.target.currency)
            .into_iter()
            .filter(|r| r.bucket.eq_ignore_ascii_case(b) && r.currency == g.target.currency)
            .map(|r| r.balance)
            .sum(),
        (GoalLink::Bucket(_), None) => Decimal::ZERO,
    }
}

impl App {
    /// The book's goals on `as_of` (default today); viewers and up.
    pub fn goals(&self, actor: &Actor, book: BookId, as_of: Option<Date>) -> AppResult<Vec<GoalView>> {
        self.access(actor, book)?.require(BookRole::Viewer)?;
        list(self.store.as_ref(), book, as_of.unwrap_or_else(|| self.clock.today()))
    }

    /// Defines a goal; editors and owners. The goals as they now stand.
    pub fn add_goal(&self, actor: &Actor, book: BookId, input: &AddGoal) -> AppResult<Vec<GoalView>> {
        self.access(actor, book)?.require(BookRole::Editor)?;
        add(self.store.as_ref(), &actor.tag(), book, input)?;
        list(self.store.as_ref(), book, self.clock.today())
    }
}
