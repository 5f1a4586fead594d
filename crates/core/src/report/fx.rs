//! Exchange rates: read from CSV (one rate per line, or the ECB
//! reference-rates layout), and used to convert report amounts with the
//! nearest rate on or before the date. A missing rate is an error naming
//! the pair and the date, never a silent 1:1.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::date::LedgerDate;
use crate::ledger::convert;
use crate::money::Money;

/// The smallest rate kassa records: 10^-9. The widest real spread between
/// two currencies (a dinar against a rial) is about 10^6 in either
/// direction, so nine orders of magnitude leave room for history and
/// hyperinflations while still refusing a typo that would turn a balance
/// into 10^20 units (issue 14: any rate was accepted).
pub const RATE_MIN: Decimal = Decimal::from_parts(1, 0, 0, false, 9);
/// The largest rate kassa records: 10^9 (see [`RATE_MIN`]).
pub const RATE_MAX: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// Why `rate` is not one kassa records, if it is not: it must lie in
/// [`RATE_MIN`]..=[`RATE_MAX`].
pub fn check_rate(rate: Decimal) -> Result<(), String> {
    if rate <= Decimal::ZERO {
        return Err(format!("rate must be positive, got {rate}"));
    }
    if !(RATE_MIN..=RATE_MAX).contains(&rate) {
        return Err(format!("rate {rate} is outside {RATE_MIN} to {RATE_MAX}"));
    }
    Ok(())
}

/// Why `r` is not a rate kassa records, if it is not: its rate is out of
/// [`check_rate`]'s range, its date out of the ledger's, or it quotes a
/// currency against itself.
pub fn check(r: &FxRate) -> Result<(), String> {
    check_rate(r.rate)?;
    LedgerDate::new(r.date).map_err(|e| e.to_string())?;
    if r.base == r.quote {
        return Err(format!("base and quote are both {}", r.base));
    }
    Ok(())
}

/// `1 base = rate quote` on `date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxRate {
    pub date: Date,
    pub base: Currency,
    pub quote: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FxError {
    #[error("no {from}/{to} exchange rate on or before {date}")]
    MissingRate { from: Currency, to: Currency, date: Date },
    #[error("line {line}, field '{field}': {reason}")]
    Bad { line: usize, field: String, reason: String },
}

/// Rates by pair and date; later imports of the same (pair, date) win.
#[derive(Debug, Clone, Default)]
pub struct FxTable {
    rates: BTreeMap<(Currency, Currency), BTreeMap<Date, Decimal>>,
}

impl FxTable {
    pub fn new<'a>(rates: impl IntoIterator<Item = &'a FxRate>) -> FxTable {
        let mut t = FxTable::default();
        for r in rates {
            t.insert(r);
        }
        t
    }

    pub fn insert(&mut self, r: &FxRate) {
        self.rates.entry((r.base, r.quote)).or_default().insert(r.date, r.rate);
    }

    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }

    fn direct(&self, from: Currency, to: Currency, on: Date) -> Option<Decimal> {
        self.rates.get(&(from, to))?.range(..=on).next_back().map(|(_, r)| *r)
    }

    /// The rate from → to on `on`: direct, inverted, or across a third
    /// currency both are quoted against (the ECB quotes everything in EUR).
    pub fn rate(&self, from: Currency, to: Currency, on: Date) -> Result<Decimal, FxError> {
        if from == to {
            return Ok(Decimal::ONE);
        }
        let one = |a: Currency, b: Currency| {
            self.direct(a, b, on).or_else(|| self.direct(b, a, on).filter(|r| !r.is_zero()).map(|r| Decimal::ONE / r))
        };
        if let Some(r) = one(from, to) {
            return Ok(r);
        }
        let pivots: BTreeSet<Currency> = self.rates.keys().flat_map(|(a, b)| [*a, *b]).collect();
        for p in pivots.into_iter().filter(|p| *p != from && *p != to) {
            if let (Some(a), Some(b)) = (one(from, p), one(p, to)) {
                return Ok(a * b);
            }
        }
        Err(FxError::MissingRate { from, to, date: on })
    }

    /// `m` in `to`, rounded to its minor unit.
    pub fn convert(&self, m: Money, to: Currency, on: Date) -> Result<Money, FxError> {
        if m.currency == to {
            return Ok(m);
        }
        let rate = self.rate(m.currency, to, on)?;
        Ok(Money { amount: convert(m.amount, rate, to), currency: to })
    }
}

/// Parses rates from CSV text. Two layouts:
/// - `date,base,quote,rate` (a header naming those columns, in any order);
/// - the ECB reference rates: `Date,USD,JPY,…` with one column per currency
///   quoted against EUR; `N/A` and empty cells are skipped.
pub fn parse_rates_csv(text: &str) -> Result<Vec<FxRate>, FxError> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else { return Ok(vec![]) };
    let cols: Vec<String> = split(header).iter().map(|c| c.to_ascii_lowercase()).collect();
    let find = |name: &str| cols.iter().position(|c| c == name);
    let bad =
        |line: usize, field: &str, reason: String| FxError::Bad { line: line + 1, field: field.to_string(), reason };
    let date_of = |line: usize, s: &str| -> Result<Date, FxError> {
        let d = s.parse::<Date>().map_err(|_| bad(line, "date", format!("'{s}' is not a date (YYYY-MM-DD)")))?;
        LedgerDate::new(d).map(LedgerDate::get).map_err(|e| bad(line, "date", e.to_string()))
    };
    let rate_of = |line: usize, field: &str, s: &str| -> Result<Decimal, FxError> {
        let r: Decimal = s.parse().map_err(|_| bad(line, field, format!("'{s}' is not a number")))?;
        check_rate(r).map_err(|reason| bad(line, field, reason))?;
        Ok(r)
    };
    let mut out = vec![];
    if let (Some(d), Some(b), Some(q), Some(r)) = (find("date"), find("base"), find("quote"), find("rate")) {
        for (n, line) in lines {
            let f = split(line);
            let get = |i: usize, name: &str| f.get(i).copied().ok_or_else(|| bad(n, name, "missing".into()));
            let cur = |i: usize, name: &str| -> Result<Currency, FxError> {
                let s = get(i, name)?;
                Currency::parse(s).map_err(|e| bad(n, name, e.to_string()))
            };
            let (base, quote) = (cur(b, "base")?, cur(q, "quote")?);
            if base == quote {
                return Err(bad(n, "quote", format!("base and quote are both {base}")));
            }
            out.push(FxRate {
                date: date_of(n, get(d, "date")?)?,
                base,
                quote,
                rate: rate_of(n, "rate", get(r, "rate")?)?,
            });
        }
        return Ok(out);
    }
    if cols.first().map(String::as_str) != Some("date") {
        return Err(bad(0, "header", "expected columns date,base,quote,rate or the ECB layout Date,USD,JPY,…".into()));
    }
    let header_fields = split(header);
    let mut quotes = vec![];
    for (i, name) in header_fields.iter().enumerate().skip(1) {
        if name.is_empty() {
            continue; // the ECB file ends every line with a comma
        }
        quotes.push((i, Currency::parse(name).map_err(|e| bad(0, name, e.to_string()))?, name.to_string()));
    }
    for (n, line) in lines {
        let f = split(line);
        let date = date_of(n, f.first().copied().unwrap_or(""))?;
        for (i, quote, name) in &quotes {
            match f.get(*i).copied() {
                None | Some("") | Some("N/A") => {}
                Some(s) => out.push(FxRate { date, base: Currency::EUR, quote: *quote, rate: rate_of(n, name, s)? }),
            }
        }
    }
    Ok(out)
}

fn split(line: &str) -> Vec<&str> {
    line.split(',').map(|f| f.trim().trim_matches('"').trim()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn ecb_layout_and_nearest_earlier_rate() {
        let rates =
            parse_rates_csv("Date,USD,JPY,GBP,\n2024-01-03,1.0919,N/A,0.86,\n2024-01-02,1.0956,155.93,0.8679,\n")
                .unwrap();
        assert_eq!(rates.len(), 5);
        let t = FxTable::new(&rates);
        let usd = Money::parse("109.56", Currency::USD).unwrap();
        // Saturday 2024-01-06 uses Wednesday's rate; USD→EUR inverts EUR/USD.
        assert_eq!(t.convert(usd, Currency::EUR, d("2024-01-06")).unwrap().to_string(), "100.34 EUR");
        assert_eq!(t.rate(Currency::EUR, Currency::USD, d("2024-01-02")).unwrap().to_string(), "1.0956");
        // GBP→USD crosses through EUR.
        let gbp = Money::parse("86.79", Currency::GBP).unwrap();
        assert_eq!(t.convert(gbp, Currency::USD, d("2024-01-02")).unwrap().to_string(), "109.56 USD");
        let err = t.convert(usd, Currency::EUR, d("2024-01-01")).unwrap_err();
        assert_eq!(err.to_string(), "no USD/EUR exchange rate on or before 2024-01-01");
        let err = t.rate(Currency::JPY, Currency::CHF, d("2024-01-05")).unwrap_err();
        assert_eq!(err.to_string(), "no JPY/CHF exchange rate on or before 2024-01-05");
    }

    #[test]
    fn plain_layout_and_errors_name_line_and_field() {
        let ok = parse_rates_csv("date,base,quote,rate\n2024-02-01,USD,CHF,0.86\n").unwrap();
        assert_eq!(ok[0].rate.to_string(), "0.86");
        for (text, want) in [
            ("date,base,quote,rate\n2024-02-01,USD,CHF,x\n", "line 2, field 'rate': 'x' is not a number"),
            ("date,base,quote,rate\n2024-02-31,USD,CHF,1\n", "line 2, field 'date'"),
            ("date,base,quote,rate\n2024-02-01,USD,XXQ,1\n", "line 2, field 'quote'"),
            ("date,base,quote,rate\n2024-02-01,USD,CHF,-1\n", "rate must be positive"),
            ("date,base,quote,rate\n2024-02-01,USD,CHF,0\n", "line 2, field 'rate': rate must be positive"),
            (
                "date,base,quote,rate\n2024-02-01,USD,CHF,1000000001\n",
                "line 2, field 'rate': rate 1000000001 is outside",
            ),
            ("date,base,quote,rate\n2024-02-01,USD,CHF,0.0000000009\n", "line 2, field 'rate': rate 0.0000000009"),
            ("date,base,quote,rate\n2024-02-01,USD,CHF,79228162514264337593543950335\n", "line 2, field 'rate'"),
            ("date,base,quote,rate\n1899-12-31,USD,CHF,1\n", "line 2, field 'date'"),
            ("Date,USD\n2201-01-01,1.1\n", "line 2, field 'date'"),
            ("Date,USD\n2024-01-01,1e12\n", "line 2, field 'USD'"),
            ("when,what\n", "line 1, field 'header'"),
            ("Date,USD\n2024-01-01,abc\n", "line 2, field 'USD'"),
        ] {
            let err = parse_rates_csv(text).unwrap_err().to_string();
            assert!(err.contains(want), "{err} lacks {want}");
        }
    }

    #[test]
    fn the_range_edges_are_accepted() {
        let ok =
            parse_rates_csv("date,base,quote,rate\n1900-01-01,USD,CHF,0.000000001\n2200-12-31,USD,CHF,1000000000\n")
                .unwrap();
        assert_eq!(ok.iter().map(|r| r.rate).collect::<Vec<_>>(), [RATE_MIN, RATE_MAX]);
        assert!(ok.iter().all(|r| check(r).is_ok()));
    }
}
