//! Recurring payments and subscriptions (issue 17): the book's history read
//! from the store, the pure detector of `kassa_core::recurring` run over it,
//! and the user's confirm, rename and dismiss applied. One listing for the
//! local operator (`kassa recurring`) and for the API (actor-checked here:
//! viewers read, editors and owners write).

use std::collections::HashMap;

use jiff::civil::Date;
use kassa_core::access::BookRole;
use kassa_core::recurring::{RecurringTx, SeriesId, detect};
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

/// The book's series as of `as_of`, dismissed ones left out unless asked for.
fn series(store: &dyn Store, book: BookId, as_of: Date, dismissed: bool) -> Result<Vec<RecurringView>, StoreError> {
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
            Some(RecurringView {
                id: s.id.to_string(),
                counterparty: mark.and_then(|m| m.name.clone()).unwrap_or(s.counterparty),
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
            })
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
