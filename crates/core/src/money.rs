//! `Money`: an exact decimal amount in one currency.
//!
//! Ledger amounts are always whole minor units of their currency (cents for
//! EUR, yen for JPY): that is what banks book, and it lets the SQLite backend
//! store and sum integers without any rounding.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::error::ParseError;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    /// Builds `Money`, refusing amounts finer than the currency's minor unit.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Money, ParseError> {
        let allowed = currency.minor_units();
        let normal = amount.normalize();
        if normal.scale() > allowed {
            return Err(ParseError::AmountPrecision {
                amount: amount.to_string(),
                currency: currency.to_string(),
                allowed,
            });
        }
        Ok(Money {
            amount: rescale(normal, allowed),
            currency,
        })
    }

    /// Parses a signed decimal written with a dot, such as `-1234.5`.
    pub fn parse(amount: &str, currency: Currency) -> Result<Money, ParseError> {
        Money::new(parse_decimal(amount)?, currency)
    }

    pub fn zero(currency: Currency) -> Money {
        Money {
            amount: rescale(Decimal::ZERO, currency.minor_units()),
            currency,
        }
    }

    /// The amount in minor units (cents); exact because of the check in `new`.
    pub fn minor_units(&self) -> i64 {
        let scaled = self.amount * Decimal::from(10i64.pow(self.currency.minor_units()));
        i64::try_from(scaled.trunc()).unwrap_or(if scaled.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
    }

    pub fn from_minor_units(units: i64, currency: Currency) -> Money {
        Money {
            amount: Decimal::new(units, currency.minor_units()),
            currency,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    pub fn negated(&self) -> Money {
        Money {
            amount: rescale(-self.amount, self.currency.minor_units()),
            currency: self.currency,
        }
    }
}

/// Parses a plain decimal: optional sign, digits, at most one dot. Thousands
/// separators and decimal commas are the importers' business, not this one's.
pub fn parse_decimal(s: &str) -> Result<Decimal, ParseError> {
    let t = s.trim();
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let well_formed = !body.is_empty()
        && body.chars().all(|c| c.is_ascii_digit() || c == '.')
        && body.matches('.').count() <= 1
        && body.chars().any(|c| c.is_ascii_digit());
    if !well_formed {
        return Err(ParseError::Amount(s.to_string()));
    }
    let normalised = t.strip_prefix('+').unwrap_or(t);
    normalised
        .parse::<Decimal>()
        .map_err(|_| ParseError::Amount(s.to_string()))
}

/// `Decimal::rescale` that leaves -0 as 0, so "0.00" never prints as "-0.00".
fn rescale(mut d: Decimal, scale: u32) -> Decimal {
    if d.is_zero() {
        d = Decimal::ZERO;
    }
    d.rescale(scale);
    d
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(s: &str) -> Result<Money, ParseError> {
        Money::parse(s, Currency::EUR)
    }

    #[test]
    fn parses_and_prints_at_currency_scale() {
        assert_eq!(eur("12.3").unwrap().amount.to_string(), "12.30");
        assert_eq!(eur("+5").unwrap().amount.to_string(), "5.00");
        assert_eq!(eur("-0.00").unwrap().amount.to_string(), "0.00");
        assert_eq!(eur("-1234.56").unwrap().minor_units(), -123456);
        assert_eq!(
            Money::parse("1500", Currency::JPY)
                .unwrap()
                .amount
                .to_string(),
            "1500"
        );
    }

    #[test]
    fn rejects_malformed_and_too_precise_amounts() {
        for bad in ["1.2.3", "", "abc", "1,5", "--1", "1e5", ".", "+"] {
            assert!(
                matches!(eur(bad), Err(ParseError::Amount(_))),
                "{bad} accepted"
            );
        }
        assert!(matches!(
            eur("0.001"),
            Err(ParseError::AmountPrecision { .. })
        ));
        assert!(eur("0.010").is_ok());
    }

    #[test]
    fn minor_units_round_trip() {
        for units in [0, 1, -1, 123456, -987654321, i64::from(i32::MAX)] {
            let m = Money::from_minor_units(units, Currency::EUR);
            assert_eq!(m.minor_units(), units);
        }
    }
}
