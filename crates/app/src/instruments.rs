//! Instruments (issue 16): what a book's trades buy and sell, as the
//! `instruments` projection keeps them — created by the trades, named and
//! given a kind by `instrument_set` — listed by `kassa instrument list` and
//! `GET …/instruments`, edited by `kassa instrument set` and `PATCH
//! …/instruments/{instrument}`. An import states a kind only for an
//! instrument whose kind nobody gave yet ([`KindsLearned`]).

use std::collections::HashMap;

use kassa_core::access::BookRole;
use kassa_core::import::ImportedTrade;
use kassa_core::portfolio::events::InstrumentSet;
use kassa_core::portfolio::{InstrumentKind, Isin};
use kassa_core::{BookId, Command};
use kassa_store::Store;
use serde::Deserialize;

use crate::portfolio::{InstrumentRow, instrument_key};
use crate::{AppError, AppResult};

/// Every instrument of the book, by key.
pub fn list(store: &dyn Store, book: BookId) -> AppResult<Vec<InstrumentRow>> {
    Ok(store.instruments(book)?.into_iter().map(InstrumentRow::from).collect())
}

/// The body of `PATCH …/instruments/{instrument}`, and `kassa instrument
/// set`'s flags: what is given changes, the rest stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InstrumentEdit {
    /// The instrument's name, 1 to 200 characters
    pub name: Option<String>,
    /// stock, etf, fund, bond, crypto or other
    pub kind: Option<String>,
}

/// The one instrument `which` names: an ISIN (check digit and all), else a
/// key or ticker, any case. A ticker two instruments share (one listed
/// with its ISIN, one without) is refused with both keys named.
fn resolve(rows: &[InstrumentRow], which: &str) -> AppResult<InstrumentRow> {
    let which = which.trim();
    let found: Vec<&InstrumentRow> = match Isin::parse(which) {
        Ok(isin) => rows.iter().filter(|r| r.isin.as_ref() == Some(&isin)).collect(),
        Err(_) => rows
            .iter()
            .filter(|r| {
                r.instrument.eq_ignore_ascii_case(which)
                    || r.symbol.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(which))
            })
            .collect(),
    };
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let names = rows.iter().flat_map(|r| std::iter::once(r.instrument.as_str()).chain(r.symbol.as_deref()));
            let hint = kassa_core::ledger::nearest(which, names).map(|n| format!(" (did you mean '{n}'?)"));
            Err(AppError::invalid("instrument", format!("unknown instrument '{which}'{}", hint.unwrap_or_default())))
        }
        many => {
            let keys: Vec<&str> = many.iter().map(|r| r.instrument.as_str()).collect();
            Err(AppError::invalid(
                "instrument",
                format!("'{which}' names {} instruments ({}): give the ISIN", keys.len(), keys.join(", ")),
            ))
        }
    }
}

/// Sets the name and/or kind of the instrument `which` names; the row as
/// it is now. Nothing is stored when a field is refused.
pub fn set(
    store: &dyn Store,
    actor: &str,
    book: BookId,
    which: &str,
    edit: &InstrumentEdit,
) -> AppResult<InstrumentRow> {
    let name = edit.name.as_deref().map(str::trim);
    if name.is_some_and(|n| n.is_empty() || n.chars().count() > 200) {
        return Err(AppError::invalid("name", "must be 1 to 200 characters"));
    }
    let kind = edit.kind.as_deref().map(InstrumentKind::parse).transpose().map_err(|e| AppError::invalid("kind", e))?;
    if name.is_none() && kind.is_none() {
        return Err(AppError::invalid("kind", "give a name or a kind to set"));
    }
    let row = resolve(&list(store, book)?, which)?;
    let cmd = InstrumentSet { instrument: row.instrument.clone(), name: name.map(str::to_string), kind };
    store.execute(book, actor, &[Command::SetInstrument(cmd)])?;
    Ok(InstrumentRow { name: name.map(str::to_string).or(row.name), kind: kind.unwrap_or(row.kind), ..row })
}

/// What an import learns about instruments' kinds: a file that states a
/// kind (IBKR's asset class, a name that says "ETF" or "FUND") sets it for
/// an instrument whose kind nobody gave yet — never over one somebody set.
#[derive(Debug, Default)]
pub(crate) struct KindsLearned {
    /// The book's instruments before the import: whether each has a kind.
    known: HashMap<String, bool>,
}

impl KindsLearned {
    /// From the book's instruments as they are before the import.
    pub(crate) fn new(instruments: Vec<kassa_store::InstrumentRow>) -> KindsLearned {
        KindsLearned { known: instruments.into_iter().map(|i| (i.key, i.kind.is_some())).collect() }
    }

    /// The command that gives `trade`'s instrument the kind its file
    /// states, once per instrument; it must follow the trade's own
    /// `ImportTrades`, which creates the instrument.
    pub(crate) fn learn(&mut self, trade: &ImportedTrade, stated: Option<InstrumentKind>) -> Option<Command> {
        let key = instrument_key(trade.isin.as_deref(), trade.symbol.as_deref());
        let kind = stated.or_else(|| trade.extra.name.as_deref().and_then(InstrumentKind::stated_in))?;
        if key.is_empty() || self.known.get(&key).copied().unwrap_or(false) {
            return None;
        }
        self.known.insert(key.clone(), true);
        Some(Command::SetInstrument(InstrumentSet { instrument: key, name: None, kind: Some(kind) }))
    }
}

impl crate::App {
    /// The book's instruments; viewers and up.
    pub fn instruments(&self, actor: &crate::Actor, book: BookId) -> AppResult<Vec<InstrumentRow>> {
        self.access(actor, book)?.require(BookRole::Viewer)?;
        list(self.store.as_ref(), book)
    }

    /// Names an instrument or gives its kind; editors and owners.
    pub fn set_instrument(
        &self,
        actor: &crate::Actor,
        book: BookId,
        which: &str,
        edit: &InstrumentEdit,
    ) -> AppResult<InstrumentRow> {
        self.access(actor, book)?.require(BookRole::Editor)?;
        set(self.store.as_ref(), &actor.tag(), book, which, edit)
    }
}
