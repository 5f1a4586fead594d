//! The investments' own events: prices imported (`kassa prices import`) and
//! an account's cost-basis method (`kassa account set --cost-method`).
//! Trades themselves are `trades_imported` (`crate::import`).

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::ids::AccountId;
use crate::portfolio::CostMethod;

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
