//! The investments' own events: prices imported (`kassa prices import`),
//! an account's cost-basis method (`kassa account set --cost-method`) and an
//! instrument's name and kind (`kassa instrument set`, and imports that
//! learn a kind from the file).
//! Trades themselves are `trades_imported` (`crate::import`).

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::ids::AccountId;
use crate::portfolio::{CostMethod, InstrumentKind};

/// One instrument's closing price on one day. `symbol` is what the price
/// file names: a ticker or an ISIN, matched against the trades' either.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricePoint {
    pub date: Date,
    pub symbol: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    pub currency: Currency,
}

/// `prices_imported`: a later price for the same symbol and day replaces an
/// earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricesImported {
    pub prices: Vec<PricePoint>,
}

/// `cost_method_set`: how the account's sales take their lots from now on
/// (every report replays its trades under it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostMethodSet {
    pub account_id: AccountId,
    pub method: CostMethod,
}

/// `instrument_set`: an instrument's name and kind, by its key (the ISIN when
/// its trades give one, else the ticker, upper-cased: what trades and
/// positions name it by, `kassa_app::portfolio::instrument_key`). `None`
/// leaves that field as it was. Imports write it for an instrument whose
/// kind the file states and the book does not know yet; `kassa instrument
/// set` for any instrument, and its word is never overwritten by an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentSet {
    pub instrument: String,
    pub name: Option<String>,
    pub kind: Option<InstrumentKind>,
}
