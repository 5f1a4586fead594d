//! Investments, pure: instruments identified by a checked [`Isin`], exact
//! [`Quantity`]s, the lot engine that books buys, sales, splits and
//! transfers under five cost-basis methods ([`lots`]), valuation at a date and
//! returns (TTWROR and XIRR, [`returns`]).
//!
//! The conventions are issue 16's, and the golden tests in each module are
//! computed by hand from them: a buy's fee is in the lot's cost, a sale's fee
//! comes out of its proceeds, a partly sold lot gives up cost pro rata, FIFO
//! and LIFO order by trade time to the second (ties keep input order), HIFO
//! takes the highest unit cost first (ties oldest first), average pools every
//! lot. Arithmetic is exact `Decimal`; rounding (half-even, 2 places for
//! money, 6 for quantities) happens only in [`round_money`] /
//! [`round_qty`], which the edges call when they print.

pub mod events;
pub mod instrument;
pub mod isin;
pub mod lots;
pub mod quantity;
pub mod returns;
pub mod valuation;

pub use instrument::{Instrument, InstrumentKind};
pub use isin::Isin;
pub use lots::{
    CostMethod, Lot, LotPick, LotTake, Portfolio, PortfolioError, Position, Sale, Trade, TradeKind, booking_order,
};
pub use quantity::Quantity;
pub use returns::{DayFlow, Interval, PerfPoint, performance, ttwror, xirr};
pub use valuation::{FxSplit, Holding, PriceBook};

use rust_decimal::{Decimal, RoundingStrategy};

/// Money as printed: 2 places, half-even, always both written (`555.00`).
pub fn round_money(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven).normalize_zero();
    r.rescale(2);
    r
}

/// A quantity as printed: 6 places, half-even, without trailing zeros.
pub fn round_qty(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(6, RoundingStrategy::MidpointNearestEven).normalize().normalize_zero()
}

/// `-0.00` prints as `0.00`: a negative zero is an artefact of rounding a tiny
/// negative residue, never a figure anyone booked.
trait NormalizeZero {
    fn normalize_zero(self) -> Self;
}

impl NormalizeZero for Decimal {
    fn normalize_zero(mut self) -> Decimal {
        if self.is_zero() {
            self.set_sign_positive(true);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros_free::d;

    #[test]
    fn rounding_is_half_even() {
        assert_eq!(round_money(d("2.345")).to_string(), "2.34");
        assert_eq!(round_money(d("2.355")).to_string(), "2.36");
        assert_eq!(round_money(d("-0.001")).to_string(), "0.00");
        assert_eq!(round_money(d("555")).to_string(), "555.00");
        assert_eq!(round_qty(d("5.000")).to_string(), "5");
        assert_eq!(round_qty(d("0.1234565")).to_string(), "0.123456");
        assert_eq!(round_qty(d("0.1234575")).to_string(), "0.123458");
    }
}

/// `d("1.5")` for tests: a decimal literal without a macro crate.
#[cfg(test)]
mod rust_decimal_macros_free {
    pub fn d(s: &str) -> rust_decimal::Decimal {
        s.parse().expect("test decimal")
    }
}

#[cfg(test)]
mod golden;
