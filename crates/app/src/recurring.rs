//! Recurring payments and subscriptions (issue 17): the book's history read
//! from the store, the pure detector of `kassa_core::recurring` run over it,
//! and the user's confirm, rename and dismiss applied. One listing for the
//! local operator (`kassa recurring`) and for the API (actor-checked here:
//! viewers read, editors and owners write), and the payments the series
//! are expected to make next, for the web's calendar strip and home page.

use std::collections::HashMap;

use jiff::ToSpan;
use jiff::civil::Date;
use kassa_core::access::BookRole;
use kassa_core::recurring::{Interval, RecurringTx, Series, SeriesId, Status, detect};
use kassa_core::{BookId, Command};
use kassa_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::local::{Local, LocalError, LocalResult};
use crate::{Actor, App, AppError, AppResult};

/// One series as listed: the columns of `kassa recurring list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecurringView {
    /// Stable across re-detection: 16 hex digits.
    pub id: String,
    /// The user's name for the series, else the normalised counterparty.
    pub counterparty: String,
    /// The account's name.
    pub account: String,
    /// weekly, fortnightly, monthly, quarterly or yearly
    pub interval: String,
    /// The typical amount at the current price, signed (− money out), a decimal.
    pub amount: String,
    pub amount_min: String,
    pub amount_max: String,
    pub currency: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub last_date: Date,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub next_date: Date,
    pub next_amount: String,
    pub occurrences: usize,
    /// active, missed, price_changed or ended
    pub status: String,
    /// The user confirmed the series.
    pub confirmed: bool,
}

/// What the user says about a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    Confirm,
    Dismiss,
    Rename(String),
}

/// The query of `GET …/recurring`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RecurringQuery {
    /// Status relative to this date, and only payments up to it, YYYY-MM-DD (default: today)
    pub as_of: Option<String>,
}

impl RecurringQuery {
    pub fn as_of(&self) -> AppResult<Option<Date>> {
        self.as_of
            .as_deref()
            .map(|s| s.trim().parse::<Date>().map_err(|_| AppError::invalid("as_of", "expected YYYY-MM-DD")))
            .transpose()
    }
}

/// The body of `POST …/recurring/{id}/rename`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RenameRecurring {
    pub name: String,
}

/// One payment a series is expected to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upcoming {
    pub date: Date,
    /// The series' id, counterparty, account, amount (signed) and currency
    /// as listed.
    pub series: RecurringView,
}

/// The book's series as listed, and their expected payments in a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringOverview {
    pub series: Vec<RecurringView>,
    /// By date, then counterparty.
    pub upcoming: Vec<Upcoming>,
}

/// The dates from `from` to `to` (both included) a series expects a
/// payment on: its next date, then one interval after another, counted from
/// the next date (so a 31st does not drift to the 28th after February) and
/// kept on month ends for a month-end series. A missed series may still
/// pay; an ended one expects nothing.
pub fn expected_dates(s: &Series, from: Date, to: Date) -> Vec<Date> {
    let mut out = vec![];
    if s.status == Status::Ended {
        return out;
    }
    for n in 0i64.. {
        let span = match s.interval {
            Interval::Weekly => (7 * n).days(),
            Interval::Fortnightly => (14 * n).days(),
            Interval::Monthly => n.months(),
            Interval::Quarterly => (3 * n).months(),
            Interval::Yearly => (12 * n).months(),
        };
        let mut d = s.next_date.saturating_add(span);
        if s.month_end {
            d = d.last_of_month();
        }
        // `saturating_add` stops at the calendar's end, which is after any `to`.
        if d > to {
            break;
        }
        if d >= from {
            out.push(d);
        }
    }
    out
}

/// The book's series as of `as_of`, dismissed ones left out unless asked for.
fn series(store: &dyn Store, book: BookId, as_of: Date, dismissed: bool) -> Result<Vec<RecurringView>, StoreError> {
    Ok(detected(store, book, as_of, dismissed)?.into_iter().map(|(_, v)| v).collect())
}

/// As [`series`], each view beside the series it lists.
fn detected(
    store: &dyn Store,
    book: BookId,
    as_of: Date,
    dismissed: bool,
) -> Result<Vec<(Series, RecurringView)>, StoreError> {
    let ledger = store.ledger(book)?;
    let accounts: HashMap<_, _> = ledger.accounts().map(|a| (a.id, a)).collect();
    let rows = store.recurring_history(book, as_of)?;
    // The store left transfers out already.
    let views: Vec<RecurringTx<'_>> = rows
        .iter()
        .map(|r| RecurringTx {
            account: r.account,
            date: r.date,
            amount: r.amount,
            counterparty: None,
            description: &r.text,
            is_transfer: false,
        })
        .collect();
    let marks: HashMap<SeriesId, _> = store.recurring_marks(book)?.into_iter().map(|m| (m.series_id, m)).collect();
    Ok(detect(&views, as_of)
        .into_iter()
        .filter_map(|s| {
            let mark = marks.get(&s.id);
            if !dismissed && mark.is_some_and(|m| m.dismissed) {
                return None;
            }
            let account = accounts.get(&s.account);
            let view = RecurringView {
                id: s.id.to_string(),
                counterparty: mark.and_then(|m| m.name.clone()).unwrap_or_else(|| s.counterparty.clone()),
                account: account.map(|a| a.name.clone()).unwrap_or_else(|| s.account.to_string()),
                interval: s.interval.as_str().into(),
                amount: s.amount.to_string(),
                amount_min: s.amount_min.to_string(),
                amount_max: s.amount_max.to_string(),
                currency: account.map(|a| a.currency.to_string()).unwrap_or_default(),
                last_date: s.last_date,
                next_date: s.next_date,
                next_amount: s.next_amount.to_string(),
                occurrences: s.occurrences,
                status: s.status.as_str().into(),
                confirmed: mark.is_some_and(|m| m.confirmed),
            };
            Some((s, view))
        })
        .collect())
}

/// The command for `mark` on series `id`, if detection (as of `today`,
/// dismissed series included) knows the id; `None` otherwise.
fn command(store: &dyn Store, book: BookId, id: &str, today: Date, mark: Mark) -> Result<Option<Command>, StoreError> {
    let Ok(series_id) = id.parse::<SeriesId>() else { return Ok(None) };
    if !series(store, book, today, true)?.iter().any(|s| s.id == id.trim()) {
        return Ok(None);
    }
    Ok(Some(match mark {
        Mark::Confirm => Command::ConfirmRecurring { series_id },
        Mark::Dismiss => Command::DismissRecurring { series_id },
        Mark::Rename(name) => Command::RenameRecurring { series_id, name },
    }))
}

impl Local<'_> {
    /// The book's series as of `as_of` (default today), dismissed ones hidden.
    pub fn recurring(&self, book: BookId, as_of: Option<Date>) -> LocalResult<Vec<RecurringView>> {
        Ok(series(self.store, book, as_of.unwrap_or_else(|| self.clock.today()), false)?)
    }

    /// Confirms, dismisses or renames a series the book's history shows today.
    pub fn mark_recurring(&self, book: BookId, id: &str, mark: Mark) -> LocalResult<()> {
        let cmd = command(self.store, book, id, self.clock.today(), mark)?
            .ok_or_else(|| LocalError::Book(format!("no recurring series '{id}'; see `kassa recurring list`")))?;
        self.store.execute(book, self.actor, &[cmd])?;
        Ok(())
    }
}

impl App {
    /// The book's series as of `as_of` (default today); viewers and up.
    pub fn recurring(&self, actor: &Actor, book: BookId, as_of: Option<Date>) -> AppResult<Vec<RecurringView>> {
        self.access(actor, book)?.require(BookRole::Viewer)?;
        Ok(series(self.store.as_ref(), book, as_of.unwrap_or_else(|| self.clock.today()), false)?)
    }

    /// The book's series as of `today` and the payments they expect from
    /// `today` through `days` days later; viewers and up.
    pub fn recurring_overview(
        &self,
        actor: &Actor,
        book: BookId,
        today: Date,
        days: i64,
    ) -> AppResult<RecurringOverview> {
        self.access(actor, book)?.require(BookRole::Viewer)?;
        let to = today.saturating_add(days.days());
        let found = detected(self.store.as_ref(), book, today, false)?;
        let mut upcoming: Vec<Upcoming> = found
            .iter()
            .flat_map(|(s, v)| {
                expected_dates(s, today, to).into_iter().map(|date| Upcoming { date, series: v.clone() })
            })
            .collect();
        upcoming.sort_by(|a, b| (a.date, &a.series.counterparty).cmp(&(b.date, &b.series.counterparty)));
        Ok(RecurringOverview { series: found.into_iter().map(|(_, v)| v).collect(), upcoming })
    }

    /// Confirms, dismisses or renames a series; editors and owners. The
    /// reply is the series as it now stands (a dismissed one included).
    pub fn mark_recurring(&self, actor: &Actor, book: BookId, id: &str, mark: Mark) -> AppResult<RecurringView> {
        self.access(actor, book)?.require(BookRole::Editor)?;
        if let Mark::Rename(name) = &mark
            && (name.trim().is_empty() || name.trim().len() > 200)
        {
            return Err(AppError::invalid("name", "must be 1 to 200 characters"));
        }
        let today = self.clock.today();
        let store = self.store.as_ref();
        let cmd =
            command(store, book, id, today, mark)?.ok_or_else(|| AppError::NotFound("recurring series".into()))?;
        self.store.execute(book, &actor.tag(), &[cmd])?;
        series(store, book, today, true)?
            .into_iter()
            .find(|s| s.id == id.trim())
            .ok_or_else(|| AppError::NotFound("recurring series".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kassa_core::AccountId;
    use rust_decimal::Decimal;

    fn series(interval: Interval, next: &str, month_end: bool, status: Status) -> Series {
        let next_date: Date = next.parse().unwrap();
        Series {
            id: SeriesId(1),
            account: AccountId(uuid::Uuid::nil()),
            counterparty: "X".into(),
            interval,
            month_end,
            amount: Decimal::new(-999, 2),
            amount_min: Decimal::new(-999, 2),
            amount_max: Decimal::new(-999, 2),
            first_date: next_date,
            last_date: next_date,
            next_date,
            next_amount: Decimal::new(-999, 2),
            occurrences: 3,
            price_steps: 0,
            status,
        }
    }

    fn dates(s: &Series, from: &str, to: &str) -> Vec<String> {
        expected_dates(s, from.parse().unwrap(), to.parse().unwrap()).iter().map(Date::to_string).collect()
    }

    #[test]
    fn expected_dates_step_by_the_calendar_from_the_next_date() {
        let weekly = series(Interval::Weekly, "2025-03-03", false, Status::Active);
        assert_eq!(
            dates(&weekly, "2025-03-01", "2025-03-30"),
            ["2025-03-03", "2025-03-10", "2025-03-17", "2025-03-24"]
        );
        let fortnightly = series(Interval::Fortnightly, "2025-03-03", false, Status::PriceChanged);
        assert_eq!(dates(&fortnightly, "2025-03-04", "2025-03-31"), ["2025-03-17", "2025-03-31"]);
        // The 31st comes back after a short month; a month-end series stays on month ends.
        let monthly = series(Interval::Monthly, "2025-01-31", false, Status::Active);
        assert_eq!(dates(&monthly, "2025-01-01", "2025-03-31"), ["2025-01-31", "2025-02-28", "2025-03-31"]);
        let month_end = series(Interval::Monthly, "2025-02-28", true, Status::Active);
        assert_eq!(dates(&month_end, "2025-02-01", "2025-04-30"), ["2025-02-28", "2025-03-31", "2025-04-30"]);
        // February 1st to March 1st is 28 days: two payments in a 30-day strip.
        let first = series(Interval::Monthly, "2026-02-01", false, Status::Active);
        assert_eq!(dates(&first, "2026-02-01", "2026-03-03"), ["2026-02-01", "2026-03-01"]);
        let quarterly = series(Interval::Quarterly, "2025-01-15", false, Status::Active);
        assert_eq!(
            dates(&quarterly, "2025-01-01", "2025-12-31"),
            ["2025-01-15", "2025-04-15", "2025-07-15", "2025-10-15"]
        );
        let yearly = series(Interval::Yearly, "2024-02-29", false, Status::Active);
        assert_eq!(
            dates(&yearly, "2025-01-01", "2028-12-31"),
            ["2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29"]
        );
        // A missed payment is in the past; the ones after it may still come.
        let missed = series(Interval::Monthly, "2025-02-10", false, Status::Missed);
        assert_eq!(dates(&missed, "2025-03-01", "2025-03-30"), ["2025-03-10"]);
        let ended = series(Interval::Monthly, "2025-03-10", false, Status::Ended);
        assert!(dates(&ended, "2025-03-01", "2025-03-30").is_empty());
    }
}
