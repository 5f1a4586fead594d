//! `Quantity`: how many units of an instrument, exact. A savings plan buys
//! 0.123456789 shares and sells them again to the last digit, so a quantity is
//! a `Decimal` (28 significant digits), never a float, and stored as text.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::ParseError;

/// Places a quantity may carry: at least 8 for crypto's satoshis and funds'
/// fractional units; 12 keeps a split ratio's result exact for any
/// realistic ratio.
pub const MAX_PLACES: u32 = 12;

/// A positive number of units, at most [`MAX_PLACES`] decimal places.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Quantity(Decimal);

impl Quantity {
    pub fn new(d: Decimal) -> Result<Quantity, ParseError> {
        if d <= Decimal::ZERO || d.normalize().scale() > MAX_PLACES {
            return Err(ParseError::Quantity(d.to_string()));
        }
        Ok(Quantity(d.normalize()))
    }

    pub fn parse(s: &str) -> Result<Quantity, ParseError> {
        let d: Decimal = s.trim().parse().map_err(|_| ParseError::Quantity(s.to_string()))?;
        Quantity::new(d)
    }

    pub fn get(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl TryFrom<String> for Quantity {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Quantity::parse(&s)
    }
}

impl From<Quantity> for String {
    fn from(q: Quantity) -> String {
        q.0.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractional_quantities_round_trip_exactly() {
        for s in ["0.123456789", "0.00000001", "12.5", "1000000", "0.000000000001"] {
            let q = Quantity::parse(s).unwrap();
            assert_eq!(q.to_string(), s);
            let json = serde_json::to_string(&q).unwrap();
            assert_eq!(serde_json::from_str::<Quantity>(&json).unwrap(), q);
        }
        assert_eq!(Quantity::parse("1.500").unwrap().to_string(), "1.5");
    }

    #[test]
    fn zero_negative_and_too_fine_are_refused() {
        for s in ["0", "-1", "abc", "0.0000000000001", ""] {
            assert!(Quantity::parse(s).is_err(), "{s}");
        }
    }
}
