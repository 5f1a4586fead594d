//! ISO 4217 currencies: the code and how many minor units (decimals) it has.
//!
//! A `Currency` can only be made from a code in the ISO table, so an amount in
//! "EUX" cannot exist anywhere behind the edge that parsed it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ParseError;

/// An ISO 4217 currency: its position in the sorted table, so `code` and
/// `minor_units` are an array index and ordering is alphabetical.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(u16);

/// (code, minor units) for every active ISO 4217 currency, the precious metals
/// and the SDR (some brokers report in them), and the national currencies the
/// euro replaced (LTL, DEM, FRF…), because old statements are still imported.
/// Sorted by code, so lookups are a binary search.
const TABLE: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("ATS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BEF", 0),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CYP", 2),
    ("CZK", 2),
    ("DEM", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EEK", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ESP", 0),
    ("ETB", 2),
    ("EUR", 2),
    ("FIM", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("FRF", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GRD", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HRK", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("IEP", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("ITL", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LTL", 2),
    ("LUF", 0),
    ("LVL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MTL", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NLG", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PTE", 0),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SIT", 2),
    ("SKK", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XAG", 4),
    ("XAU", 4),
    ("XCD", 2),
    ("XCG", 2),
    ("XDR", 4),
    ("XOF", 0),
    ("XPD", 4),
    ("XPF", 0),
    ("XPT", 4),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

impl Currency {
    pub const EUR: Currency = Currency::known("EUR");
    pub const USD: Currency = Currency::known("USD");
    pub const GBP: Currency = Currency::known("GBP");
    pub const CHF: Currency = Currency::known("CHF");
    pub const NOK: Currency = Currency::known("NOK");
    pub const JPY: Currency = Currency::known("JPY");

    /// Finds a code at compile time; a typo here fails the build.
    const fn known(code: &str) -> Currency {
        let mut i = 0;
        while i < TABLE.len() {
            let c = TABLE[i].0.as_bytes();
            let w = code.as_bytes();
            if c[0] == w[0] && c[1] == w[1] && c[2] == w[2] {
                return Currency(i as u16);
            }
            i += 1;
        }
        panic!("not an ISO 4217 code in the table")
    }

    /// Parses an ISO 4217 code, case-insensitively, surrounding blanks ignored.
    pub fn parse(code: &str) -> Result<Currency, ParseError> {
        let code = code.trim();
        let upper = code.to_ascii_uppercase();
        match TABLE.binary_search_by(|(c, _)| c.cmp(&upper.as_str())) {
            Ok(i) => Ok(Currency(i as u16)),
            Err(_) => Err(ParseError::Currency(code.to_string())),
        }
    }

    /// The ISO code, borrowed from the static table.
    pub fn code(&self) -> &'static str {
        TABLE[usize::from(self.0)].0
    }

    /// Digits after the decimal point in this currency's smallest unit.
    pub fn minor_units(&self) -> u32 {
        u32::from(TABLE[usize::from(self.0)].1)
    }

    /// Every code kassa knows, for help texts and property tests.
    pub fn all() -> impl Iterator<Item = Currency> {
        (0..TABLE.len() as u16).map(Currency)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn parses_known_codes_and_rejects_others() {
        assert_eq!(Currency::parse("eur").unwrap(), Currency::EUR);
        assert_eq!(Currency::parse(" NOK ").unwrap().code(), "NOK");
        assert_eq!(Currency::parse("JPY").unwrap().minor_units(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().minor_units(), 3);
        for bad in ["EUX", "", "EU", "EURO", "€"] {
            assert!(Currency::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
