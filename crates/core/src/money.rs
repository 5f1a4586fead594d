//! `Money`: an exact decimal amount in one currency, and kassa's range.
//!
//! Ledger amounts are always whole minor units of their currency (cents for
//! EUR, yen for JPY): that is what banks book, and it lets the SQLite backend
//! store and sum integers without any rounding.
//!
//! **The range.** Every amount kassa records is less than [`LIMIT`] = 10^14
//! in size, in major units of whatever currency (at most
//! 99,999,999,999,999.99 EUR), and so is every account's balance. Why:
//! - it is far beyond any household's or firm's books: a hundred million US
//!   dollars even in a currency at a million units to the dollar;
//! - in minor units it stays below 10^18 even for the four-decimal
//!   currencies (XAU, CLF), so an amount fits SQLite's 64-bit INTEGER nine
//!   times over — and so does its size in the finest unit (four decimals),
//!   which the register's amount filter compares in;
//! - it is the same for every currency, so an edge checks an amount before
//!   it knows the account's currency, and an amount filter, which has none,
//!   is checked the same way: every edge parses through [`Amount`], and
//!   [`Money::new`] and [`crate::Postings::new`] check again behind it.
//!
//! **Sums.** Stores keep sums in 64-bit minor units (SQLite) or NUMERIC
//! (PostgreSQL): an account's balance, a day's change, a month's total. A
//! write computes each new total as old + change with
//! [`Money::checked_add`] and keeps it only if it stays in its range — a
//! balance within [`LIMIT`], any other total within 64-bit minor units
//! ([`Money::minor_units`]), on both backends alike — or refuses the write
//! ([`crate::LedgerError::OutOfRange`]): a total is never capped, wrapped or
//! turned into a float. Sums that are only read (a balance as of a date, a
//! report) are summed in `Decimal`, whose 96 bits hold 10^10 terms of
//! 10^18 minor units each. `tests/money_props.rs` holds these bounds.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::error::ParseError;

/// 10^14: every amount and every balance is less than this in size, in
/// major units (see the module doc for why).
pub const LIMIT: Decimal = Decimal::from_parts(276_447_232, 23_283, 0, false, 0);

/// Whether `amount` is inside kassa's range: less than [`LIMIT`] in size.
pub fn in_range(amount: Decimal) -> bool {
    amount.abs() < LIMIT
}

/// The range a total a store keeps must stay in when a write changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalRange {
    /// An account's balance: kassa's range, as for one amount.
    Balance,
    /// Any other total (a day's change, a month's): 64-bit minor units,
    /// which is what SQLite stores; PostgreSQL is held to the same.
    Stored,
}

impl TotalRange {
    /// Whether `total` may be kept.
    pub fn holds(self, total: Money) -> bool {
        total.minor_units().is_some() && (self == TotalRange::Stored || total.in_range())
    }

    /// The range, as a refusal states it.
    pub fn describe(self) -> &'static str {
        match self {
            TotalRange::Balance => "kassa keeps balances of less than 10^14 in size",
            TotalRange::Stored => "kassa keeps totals within 64-bit minor units",
        }
    }
}

/// A signed decimal inside kassa's range, not yet in a currency: what every
/// edge (API body, web form, CLI flag, import row, amount filter) parses an
/// amount into, and what commands carry, so that no path can hand the
/// ledger an amount nobody checked. The currency's decimals are checked
/// when the ledger makes it [`Money`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(Decimal);

impl Amount {
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    /// `amount` if it is in range.
    pub fn new(amount: Decimal) -> Result<Amount, ParseError> {
        if in_range(amount) { Ok(Amount(amount)) } else { Err(ParseError::AmountRange(amount.to_string())) }
    }

    /// Parses a signed decimal written with a dot, such as `-1234.5`, and
    /// checks its range; a number too long for any decimal is out of range too.
    pub fn parse(s: &str) -> Result<Amount, ParseError> {
        Amount::new(parse_decimal(s)?)
    }

    pub fn get(self) -> Decimal {
        self.0
    }

    /// The same size the other way: the range is symmetric.
    pub fn negated(self) -> Amount {
        Amount(-self.0)
    }
}

impl FromStr for Amount {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Amount, ParseError> {
        Amount::parse(s)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    /// Builds the `Money` of one amount, refusing amounts finer than the
    /// currency's minor unit and amounts outside kassa's range. (Sums are
    /// added up from amounts; see [`Money::checked_add`].)
    pub fn new(amount: Decimal, currency: Currency) -> Result<Money, ParseError> {
        if !in_range(amount) {
            return Err(ParseError::AmountRange(amount.to_string()));
        }
        let allowed = currency.minor_units();
        let normal = amount.normalize();
        if normal.scale() > allowed {
            return Err(ParseError::AmountPrecision {
                amount: amount.to_string(),
                currency: currency.to_string(),
                allowed,
            });
        }
        Ok(Money { amount: rescale(normal, allowed), currency })
    }

    /// Parses a signed decimal written with a dot, such as `-1234.5`.
    pub fn parse(amount: &str, currency: Currency) -> Result<Money, ParseError> {
        Money::new(parse_decimal(amount)?, currency)
    }

    pub fn zero(currency: Currency) -> Money {
        Money { amount: rescale(Decimal::ZERO, currency.minor_units()), currency }
    }

    /// The amount in minor units (cents), or `None` when it does not fit in
    /// 64 bits: never capped, since a capped balance is a wrong one. Exact
    /// for every amount `new` accepts (below 10^18 minor units) and for every
    /// total a store keeps (which it checks with this).
    pub fn minor_units(&self) -> Option<i64> {
        let scaled = self.amount.checked_mul(Decimal::from(10i64.pow(self.currency.minor_units())))?;
        scaled.trunc().to_i64()
    }

    pub fn from_minor_units(units: i64, currency: Currency) -> Money {
        Money { amount: Decimal::new(units, currency.minor_units()), currency }
    }

    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Whether this is inside kassa's range, as an amount or a balance must be.
    pub fn in_range(&self) -> bool {
        in_range(self.amount)
    }

    /// The sum of two amounts in one currency, or `None` when the currencies
    /// differ or `Decimal` would overflow: folding balances never panics.
    pub fn checked_add(&self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        Some(Money { amount: self.amount.checked_add(other.amount)?, currency: self.currency })
    }

    pub fn negated(&self) -> Money {
        Money { amount: rescale(-self.amount, self.currency.minor_units()), currency: self.currency }
    }
}

/// Parses a plain decimal: optional sign, digits, at most one dot. Thousands
/// separators and decimal commas are the importers' business, not this one's.
/// Well-formed digits too many for a `Decimal` are [`ParseError::AmountRange`]:
/// the number is fine, only too large. The range itself is [`Amount`]'s check.
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
    let d = normalised.parse::<Decimal>().map_err(|_| ParseError::AmountRange(t.to_string()))?;
    // `Decimal` rounds decimals past its 28th digit without a word, which
    // would take "1.0000000000000000000000000000001" as 1.00: no currency
    // has that many decimals, so such a text is refused, never rounded.
    let written = body.split_once('.').map_or(0, |(_, f)| f.trim_end_matches('0').len());
    if written > d.normalize().scale() as usize {
        return Err(ParseError::AmountPrecision { amount: t.to_string(), currency: "any currency".into(), allowed: 4 });
    }
    Ok(d)
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
        assert_eq!(eur("-1234.56").unwrap().minor_units(), Some(-123456));
        assert_eq!(Money::parse("1500", Currency::JPY).unwrap().amount.to_string(), "1500");
    }

    #[test]
    fn rejects_malformed_and_too_precise_amounts() {
        for bad in ["1.2.3", "", "abc", "1,5", "--1", "1e5", ".", "+"] {
            assert!(matches!(eur(bad), Err(ParseError::Amount(_))), "{bad} accepted");
        }
        assert!(matches!(eur("0.001"), Err(ParseError::AmountPrecision { .. })));
        assert!(eur("0.010").is_ok());
    }

    #[test]
    fn minor_units_round_trip() {
        for units in [0, 1, -1, 123456, -987654321, i64::from(i32::MAX)] {
            let m = Money::from_minor_units(units, Currency::EUR);
            assert_eq!(m.minor_units(), Some(units));
        }
    }

    #[test]
    fn the_range_is_below_ten_to_the_fourteen_in_every_currency() {
        assert_eq!(LIMIT, Decimal::from(100_000_000_000_000_i64));
        assert_eq!(eur("99999999999999.99").unwrap().minor_units(), Some(9_999_999_999_999_999));
        assert!(eur("-99999999999999.99").is_ok());
        for (out, code) in [("100000000000000", "EUR"), ("-100000000000000.00", "EUR"), ("100000000000000", "JPY")] {
            let err = Money::parse(out, Currency::parse(code).unwrap());
            assert_eq!(err, Err(ParseError::AmountRange(out.to_string())), "{out} {code}");
        }
        // The finding's values: capped by SQLite, then overflowing Decimal.
        for out in ["100000000000000000.00", "792281625142643375935439503.35", "79228162514264337593543950335"] {
            assert!(matches!(Amount::parse(out), Err(ParseError::AmountRange(_))), "{out}");
        }
        // Too many digits for any Decimal is out of range, not malformed.
        assert_eq!(
            Amount::parse("-792281625142643375935439503350"),
            Err(ParseError::AmountRange("-792281625142643375935439503350".into()))
        );
        assert!(matches!(Amount::parse("1.2.3"), Err(ParseError::Amount(_))));
    }

    #[test]
    fn decimals_past_what_a_decimal_holds_are_refused_not_rounded() {
        let long = "1.0000000000000000000000000000001";
        assert!(matches!(eur(long), Err(ParseError::AmountPrecision { .. })), "was taken as 1.00 EUR");
        assert!(matches!(Amount::parse(long), Err(ParseError::AmountPrecision { .. })));
        assert_eq!(eur("1.000000000000000000000000000000000").unwrap().amount.to_string(), "1.00");
    }

    #[test]
    fn minor_units_are_never_capped() {
        let huge = Money { amount: Decimal::MAX, currency: Currency::EUR };
        assert_eq!(huge.minor_units(), None, "Decimal::MAX in cents overflows Decimal");
        let past_i64 = Money { amount: Decimal::from(i64::MAX), currency: Currency::JPY };
        assert_eq!(past_i64.checked_add(Money::from_minor_units(1, Currency::JPY)).and_then(|m| m.minor_units()), None);
        assert_eq!(huge.checked_add(huge), None);
        assert_eq!(huge.checked_add(Money::zero(Currency::USD)), None, "no sums across currencies");
    }
}
