//! IBANs, checked with the ISO 13616 mod-97 rule and kept in electronic form
//! (upper case, no spaces).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ParseError;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iban(String);

impl Iban {
    pub fn parse(input: &str) -> Result<Iban, ParseError> {
        let err = |reason| ParseError::Iban {
            value: input.to_string(),
            reason,
        };
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if !(15..=34).contains(&s.len()) {
            return Err(err("length must be 15 to 34 characters"));
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(err("only letters and digits are allowed"));
        }
        let b = s.as_bytes();
        if !b[0].is_ascii_alphabetic()
            || !b[1].is_ascii_alphabetic()
            || !b[2].is_ascii_digit()
            || !b[3].is_ascii_digit()
        {
            return Err(err("must start with a country code and two check digits"));
        }
        // Move the first four characters to the end, letters become 10..35, and
        // the whole number must be 1 mod 97; folded digit by digit to stay in u32.
        let rem = s[4..].chars().chain(s[..4].chars()).fold(0u32, |acc, c| {
            let v = c.to_digit(36).unwrap_or(0);
            if v >= 10 {
                (acc * 100 + v) % 97
            } else {
                (acc * 10 + v) % 97
            }
        });
        if rem != 1 {
            return Err(err("check digits do not match (mod 97)"));
        }
        Ok(Iban(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn country(&self) -> &str {
        &self.0[..2]
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Iban {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Iban {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Iban::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_ibans_in_any_spacing() {
        for ok in [
            "DE89 3704 0044 0532 0130 00",
            "GB82WEST12345698765432",
            "no9386011117947",
            "CH9300762011623852957",
        ] {
            assert!(Iban::parse(ok).is_ok(), "{ok} rejected");
        }
        assert_eq!(
            Iban::parse("de89 3704 0044 0532 0130 00").unwrap().as_str(),
            "DE89370400440532013000"
        );
    }

    #[test]
    fn rejects_bad_check_digits_and_shapes() {
        for bad in [
            "DE88370400440532013000",
            "DE8937040044053201300!",
            "12893704004405320130",
            "DE89",
        ] {
            assert!(Iban::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
