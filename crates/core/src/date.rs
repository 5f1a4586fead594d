//! `LedgerDate`: a business date inside kassa's range, [`FIRST`] to [`LAST`]
//! (1900-01-01 to 2200-12-31).
//!
//! jiff takes any year from −9999 to 9999, but not every such date survives
//! the rest of kassa: `-000001-12-31` is no `YYYY-MM` month to SQLite's text
//! columns, so the monthly reports could not read their own aggregates back,
//! and `9999-12-31` has no month after it for a net worth period to end in.
//! Within 1900–2200 every report's arithmetic — a month on, a year back, a
//! week's start, the twelve months a trend looks back — stays among
//! four-digit years far inside jiff's range, so dates sort as text on both
//! backends. The range still holds old statements (the euro replaced its
//! currencies in 1999–2023; a family's records go back a lifetime) and
//! plans decades ahead (a mortgage's last instalment).
//!
//! Every edge that takes a date for the ledger (API bodies and filters,
//! report parameters, CLI flags, import rows) parses through
//! [`LedgerDate::parse`] or checks with [`LedgerDate::new`]; commands carry a
//! `LedgerDate`, and stored events are checked again when they are read.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, date};

use crate::error::ParseError;

/// The first day kassa takes.
pub const FIRST: Date = date(1900, 1, 1);
/// The last day kassa takes.
pub const LAST: Date = date(2200, 12, 31);

/// A date from [`FIRST`] to [`LAST`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LedgerDate(Date);

impl LedgerDate {
    /// `d` if it is in range.
    pub fn new(d: Date) -> Result<LedgerDate, ParseError> {
        if (FIRST..=LAST).contains(&d) { Ok(LedgerDate(d)) } else { Err(ParseError::DateRange(d.to_string())) }
    }

    /// A date written in the code, checked when it is compiled (like
    /// `Currency::known`): a year outside the range fails the build of a
    /// `const`. The range is whole years, so the year decides.
    pub const fn known(year: i16, month: i8, day: i8) -> LedgerDate {
        assert!(1900 <= year && year <= 2200, "not a date in kassa's range");
        LedgerDate(date(year, month, day))
    }

    /// Parses `YYYY-MM-DD` (surrounding blanks ignored) and checks the range.
    pub fn parse(s: &str) -> Result<LedgerDate, ParseError> {
        let d = s.trim().parse::<Date>().map_err(|_| ParseError::Date(s.to_string()))?;
        LedgerDate::new(d).map_err(|_| ParseError::DateRange(s.trim().to_string()))
    }

    pub fn get(self) -> Date {
        self.0
    }
}

impl From<LedgerDate> for Date {
    fn from(d: LedgerDate) -> Date {
        d.0
    }
}

impl FromStr for LedgerDate {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<LedgerDate, ParseError> {
        LedgerDate::parse(s)
    }
}

impl fmt::Display for LedgerDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for LedgerDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_1900_to_2200_inclusive() {
        for ok in ["1900-01-01", " 2024-02-29 ", "2200-12-31"] {
            assert_eq!(LedgerDate::parse(ok).unwrap().to_string(), ok.trim());
        }
        for out in ["1899-12-31", "2201-01-01", "-000001-12-31", "9999-12-31", "0001-01-01"] {
            assert_eq!(LedgerDate::parse(out), Err(ParseError::DateRange(out.to_string())), "{out}");
        }
        for bad in ["2024-02-30", "2024-13-01", "", "yesterday"] {
            assert!(matches!(LedgerDate::parse(bad), Err(ParseError::Date(_))), "{bad}");
        }
        const EDGES: [LedgerDate; 2] = [LedgerDate::known(1900, 1, 1), LedgerDate::known(2200, 12, 31)];
        assert_eq!(EDGES.map(LedgerDate::get), [FIRST, LAST]);
    }

    #[test]
    fn report_arithmetic_on_the_range_ends_stays_inside_jiff() {
        // A year either way of each end is what the reports step (trends
        // look back twelve months; a period ends a month or a year on).
        for d in [FIRST, LAST] {
            for span in [jiff::Span::new().years(1), jiff::Span::new().months(13), jiff::Span::new().weeks(1)] {
                assert!(d.checked_add(span).is_ok() && d.checked_sub(span).is_ok(), "{d} ± {span}");
            }
        }
    }
}
