//! The one reading of a date a person types, for the CLI's flags and the
//! API's query parameters alike: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, each a
//! span of days. A range's start takes the span's first day, its end the
//! last, so `--from 2024 --to 2024` is the whole year and `--as-of 2024-03`
//! the end of March. `--known-at` takes such a date (the end of its last
//! day, UTC) or an RFC 3339 timestamp.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use kassa_core::LedgerDate;
use kassa_core::report::Month;

/// What every date input says it takes, in its errors and help texts.
pub const EXPECTED: &str = "YYYY-MM-DD, YYYY-MM or YYYY";

/// The first and last day `s` covers, both in kassa's date range.
pub fn span(s: &str) -> Result<(Date, Date), String> {
    let t = s.trim();
    let bad = || format!("invalid date '{t}' (expected {EXPECTED})");
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = t.split('-').collect();
    let (first, last) = match parts.as_slice() {
        [y] if digits(y, 4) => {
            let year: i16 = y.parse().map_err(|_| bad())?;
            (Month { year, month: 1 }, Month { year, month: 12 })
        }
        [y, m] if digits(y, 4) && digits(m, 2) => {
            let m: Month = t.parse().map_err(|_| bad())?;
            (m, m)
        }
        [y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2) => {
            let day: Date = t.parse().map_err(|_| bad())?;
            let day = LedgerDate::new(day).map_err(|e| e.to_string())?.get();
            return Ok((day, day));
        }
        _ => return Err(bad()),
    };
    // Checked before a date is made: a year past jiff's range would panic.
    for m in [first, last] {
        m.in_range().map_err(|e| e.to_string())?;
    }
    Ok((first.first_day(), last.last_day()))
}

/// A range's start: the first day of what `s` names.
pub fn start(s: &str) -> Result<Date, String> {
    span(s).map(|(a, _)| a)
}

/// A range's end, or an "as of" day: the last day of what `s` names.
pub fn end(s: &str) -> Result<Date, String> {
    span(s).map(|(_, b)| b)
}

/// The month a range of months starts with.
pub fn start_month(s: &str) -> Result<Month, String> {
    start(s).map(Month::of)
}

/// The month a range of months ends with (also a report's one month).
pub fn end_month(s: &str) -> Result<Month, String> {
    end(s).map(Month::of)
}

/// A moment of recording: an RFC 3339 timestamp, a date-time taken as
/// UTC, or a date (`span`) meaning the end of its last day, UTC.
pub fn moment(s: &str) -> Result<Timestamp, String> {
    let t = s.trim();
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    let utc = |dt: DateTime| dt.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp()).map_err(|e| e.to_string());
    if t.contains('T') {
        let dt: DateTime = t.parse().map_err(|_| {
            format!("invalid timestamp '{t}' (expected RFC 3339 such as 2026-05-01T12:00:00Z, or {EXPECTED})")
        })?;
        return utc(dt);
    }
    // A date out of kassa's range keeps its own reason.
    let day = end(t).map_err(|e| match e.starts_with("invalid date") {
        true => {
            format!("invalid date or timestamp '{t}' (expected {EXPECTED}, or RFC 3339 such as 2026-05-01T12:00:00Z)")
        }
        false => e,
    })?;
    utc(day.at(23, 59, 59, 999_999_999))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_year_a_month_or_a_day_is_a_span_of_days() {
        assert_eq!(span("2024"), Ok((date(2024, 1, 1), date(2024, 12, 31))));
        assert_eq!(span("2024-02"), Ok((date(2024, 2, 1), date(2024, 2, 29))));
        assert_eq!(span(" 2024-03-05 "), Ok((date(2024, 3, 5), date(2024, 3, 5))));
        assert_eq!(end_month("2024"), Ok(Month { year: 2024, month: 12 }));
        assert_eq!(start_month("2024-03-05"), Ok(Month { year: 2024, month: 3 }));
    }

    #[test]
    fn what_is_not_a_date_is_refused_with_the_forms_it_takes() {
        for bad in ["", "24", "2024-3", "2024-13", "2024-02-30", "03/05/2024", "20240305", "9999"] {
            let e = span(bad).unwrap_err();
            assert!(e.contains("YYYY") || e.contains("range"), "{bad}: {e}");
        }
    }

    #[test]
    fn known_at_takes_a_timestamp_a_date_time_or_a_date() {
        let at = |s: &str| moment(s).unwrap().to_string();
        assert_eq!(at("2026-05-01T12:00:00Z"), "2026-05-01T12:00:00Z");
        assert_eq!(at("2026-05-01T12:00:00+02:00"), "2026-05-01T10:00:00Z");
        assert_eq!(at("2026-05-01T12:00"), "2026-05-01T12:00:00Z");
        assert_eq!(at("2026-05-01"), "2026-05-01T23:59:59.999999999Z");
        assert_eq!(at("2026-05"), "2026-05-31T23:59:59.999999999Z");
        assert!(moment("yesterday").unwrap_err().contains("RFC 3339"));
    }
}
