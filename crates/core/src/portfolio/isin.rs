//! ISINs (ISO 6166): two letters of country, nine alphanumerics, one Luhn
//! check digit over the letters-as-numbers expansion. A US (or CA) ISIN wraps
//! a CUSIP, whose own check digit is checked too: a typo that happens to keep
//! the ISIN's Luhn sum is still caught by the CUSIP's weighting.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ParseError;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Isin(String);

impl Isin {
    pub fn parse(input: &str) -> Result<Isin, ParseError> {
        let err = |reason| ParseError::Isin { value: input.to_string(), reason };
        let s = input.trim().to_ascii_uppercase();
        if s.len() != 12 || !s.is_ascii() {
            return Err(err("must be 12 characters"));
        }
        let b = s.as_bytes();
        if !b[0].is_ascii_alphabetic() || !b[1].is_ascii_alphabetic() {
            return Err(err("must start with a two-letter country code"));
        }
        if !b[2..11].iter().all(u8::is_ascii_alphanumeric) {
            return Err(err("characters 3 to 11 must be letters or digits"));
        }
        if !b[11].is_ascii_digit() {
            return Err(err("the last character must be the check digit"));
        }
        if luhn_check_digit(&s[..11]) != b[11] - b'0' {
            return Err(err("check digit does not match"));
        }
        if matches!(&s[..2], "US" | "CA") && cusip_check_digit(&s[2..10]) != b[10].wrapping_sub(b'0') {
            return Err(err("the embedded CUSIP's check digit does not match"));
        }
        Ok(Isin(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The ISIN check digit of its first eleven characters: letters become two
/// digits (A = 10 … Z = 35), then Luhn from the right, doubling the rightmost.
pub(crate) fn luhn_check_digit(body: &str) -> u8 {
    let digits: Vec<u32> = body
        .chars()
        .flat_map(|c| {
            let v = c.to_digit(36).unwrap_or(0);
            if v >= 10 { vec![v / 10, v % 10] } else { vec![v] }
        })
        .collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// The CUSIP check digit of its first eight characters: every second value
/// doubled, digits of each value summed (the "modulus 10 double add double").
pub(crate) fn cusip_check_digit(body: &str) -> u8 {
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let v = match c {
                '*' => 36,
                '@' => 37,
                '#' => 38,
                c => c.to_digit(36).unwrap_or(0),
            };
            let v = if i % 2 == 1 { v * 2 } else { v };
            v / 10 + v % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl fmt::Display for Isin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Isin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Isin {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Isin::parse(s)
    }
}

impl Serialize for Isin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Isin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Isin::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<&str, &str>) {
        let got = Isin::parse(input).map(|i| i.to_string()).map_err(|e| e.to_string());
        match expect {
            Ok(v) => assert_eq!(got, Ok(v.to_string()), "{input}"),
            Err(reason) => assert!(got.as_ref().is_err_and(|e| e.contains(reason)), "{input}: {got:?}"),
        }
    }

    #[test]
    fn real_isins_pass() {
        check("US0378331005", Ok("US0378331005")); // Apple
        check("IE00B4L5Y983", Ok("IE00B4L5Y983")); // iShares Core MSCI World
        check("DE0007164600", Ok("DE0007164600")); // SAP
        check("us5949181045", Ok("US5949181045")); // Microsoft, lower case
        check("AU0000XVGZA3", Ok("AU0000XVGZA3")); // letters inside
        check("GB0002634946", Ok("GB0002634946")); // BAE Systems
    }

    #[test]
    fn bad_isins_fail_with_their_reason() {
        check("US0378331006", Err("check digit does not match"));
        check("IE00B4L5Y98", Err("12 characters"));
        check("1E00B4L5Y983", Err("country code"));
        check("IE00B4L5Y98X", Err("check digit"));
        check("IE00B4-5Y983", Err("letters or digits"));
    }

    #[test]
    fn a_us_isin_must_carry_a_valid_cusip() {
        // Apple's CUSIP 037833100 with its check digit changed to 9, and the
        // ISIN's own check digit recomputed so only the CUSIP is wrong.
        let body = "US037833109";
        let isin = format!("{body}{}", luhn_check_digit(body));
        assert_eq!(cusip_check_digit("03783310"), 0);
        check(&isin, Err("CUSIP"));
        // The same trick outside North America passes: no CUSIP there.
        let body = "DE037833109";
        let isin = format!("{body}{}", luhn_check_digit(body));
        check(&isin, Ok(&isin));
    }
}
