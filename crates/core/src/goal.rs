//! Financial goals (issue 17, seeds 000 and 004), pure: a target amount by
//! a date, linked to accounts or to a bucket, and the figures shown for it.
//!
//! What is saved and how fast it grows come from outside (account balances
//! or a bucket's balance, read by the caller); this module holds the
//! definition and the arithmetic, so the golden examples are tested here
//! without a store:
//! - `progress = saved / target`, kept within 0 and 1;
//! - `required_monthly = (target − saved) / months left`, counting the
//!   current month (January to December is 12), rounded half to even in the
//!   target's minor units; 0 once reached, and the whole rest in a month at
//!   or past the deadline;
//! - the projected date is today plus `ceil((target − saved) / average)`
//!   months, where the average is the trailing 6-month net inflow into what
//!   the goal is linked to; none while that average is ≤ 0.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::{Span, ToSpan};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::event::Event;
use crate::ids::AccountId;
use crate::money::Money;

/// What a goal's savings are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoalLink {
    /// The summed balances of these accounts (in the target's currency).
    Accounts(Vec<AccountId>),
    /// A bucket's balance, by its name.
    Bucket(String),
}

/// The goal `name` (re)defined: `target` by `by`, saved in `link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalSet {
    pub name: String,
    pub target: Money,
    pub by: Date,
    pub link: GoalLink,
}

/// A book's goals, the latest definition of each name (compared
/// case-insensitively), by name.
pub fn goals<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<GoalSet> {
    let mut out: BTreeMap<String, GoalSet> = BTreeMap::new();
    for e in events {
        if let Event::GoalSet(g) = e {
            let key = g.name.trim().to_lowercase();
            let first = out.get(&key).map(|old| old.name.clone());
            let mut g = g.clone();
            // The name as first written, like buckets and counterparties.
            if let Some(first) = first {
                g.name = first;
            }
            out.insert(key, g);
        }
    }
    out.into_values().collect()
}

/// The trailing window the projection averages over.
pub const TRAILING_MONTHS: i64 = 6;

/// The dates whose balances give the trailing average as of `today`: the
/// end of the month before the window and the end of the last whole month
/// (the current month is still running).
pub fn trailing_window(today: Date) -> (Date, Date) {
    let first = today.first_of_month();
    let end = first.yesterday().unwrap_or(first);
    let start_first = first.checked_sub(TRAILING_MONTHS.months()).unwrap_or(first);
    (start_first.yesterday().unwrap_or(start_first), end)
}

/// A goal's figures on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// saved / target, within 0 and 1, to 4 places.
    pub progress: Decimal,
    pub required_monthly: Decimal,
    pub projected: Option<Date>,
}

/// The figures of a goal of `target` by `by`, with `saved` on `today` and a
/// trailing average monthly net inflow of `average`.
pub fn progress(target: Money, by: Date, saved: Decimal, average: Decimal, today: Date) -> Progress {
    let minor = target.currency.minor_units();
    let rest = (target.amount - saved).max(Decimal::ZERO);
    let progress = if target.amount <= Decimal::ZERO {
        Decimal::ONE
    } else {
        (saved / target.amount)
            .clamp(Decimal::ZERO, Decimal::ONE)
            .round_dp_with_strategy(4, RoundingStrategy::MidpointNearestEven)
    };
    let months_left = (month_index(by) - month_index(today) + 1).max(1);
    let required_monthly =
        (rest / Decimal::from(months_left)).round_dp_with_strategy(minor, RoundingStrategy::MidpointNearestEven);
    let projected = (average > Decimal::ZERO).then(|| {
        let months = (rest / average).ceil();
        // A date past the calendar's end (an average of cents against a
        // large target) is no date at all.
        i64::try_from(months).ok().and_then(|m| Span::new().try_months(m).ok()).and_then(|s| today.checked_add(s).ok())
    });
    Progress { progress, required_monthly, projected: projected.flatten() }
}

fn month_index(d: Date) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month())
}
