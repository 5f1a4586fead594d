//! An instrument: what a trade buys or sells. Imports create them on the fly
//! from what the file says (ISIN, symbol, name, currency).

use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::error::ParseError;
use crate::portfolio::Isin;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstrumentKind {
    Stock,
    Etf,
    Fund,
    Bond,
    Crypto,
    Other,
}

impl InstrumentKind {
    pub const ALL: [InstrumentKind; 6] = [
        InstrumentKind::Stock,
        InstrumentKind::Etf,
        InstrumentKind::Fund,
        InstrumentKind::Bond,
        InstrumentKind::Crypto,
        InstrumentKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InstrumentKind::Stock => "stock",
            InstrumentKind::Etf => "etf",
            InstrumentKind::Fund => "fund",
            InstrumentKind::Bond => "bond",
            InstrumentKind::Crypto => "crypto",
            InstrumentKind::Other => "other",
        }
    }

    /// The kind an instrument's name states outright, as a word of it
    /// ("VANGUARD FTSE ALL-WORLD UCITS ETF", "MORGAN STANLEY EUR LIQUIDITY
    /// FUND"); `None` when it states none. Not a guess from the issuer or
    /// the ticker: a file that says nothing leaves the kind unknown.
    pub fn stated_in(name: &str) -> Option<InstrumentKind> {
        let words: Vec<String> =
            name.split(|c: char| !c.is_ascii_alphanumeric()).map(str::to_ascii_uppercase).collect();
        let has = |w: &str| words.iter().any(|x| x == w);
        if has("ETF") {
            Some(InstrumentKind::Etf)
        } else if has("FUND") {
            Some(InstrumentKind::Fund)
        } else if has("BOND") {
            Some(InstrumentKind::Bond)
        } else {
            None
        }
    }

    pub fn parse(s: &str) -> Result<InstrumentKind, ParseError> {
        InstrumentKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseError::InstrumentKind(s.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instrument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isin: Option<Isin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticker: Option<String>,
    pub name: String,
    pub currency: Currency,
    pub kind: InstrumentKind,
}

impl Instrument {
    /// The key trades and prices name the instrument by: its ISIN when it
    /// has one (tickers differ between exchanges), else its ticker.
    pub fn key(&self) -> String {
        match (&self.isin, &self.ticker) {
            (Some(i), _) => i.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => self.name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_by_name() {
        for k in InstrumentKind::ALL {
            assert_eq!(InstrumentKind::parse(&k.as_str().to_uppercase()), Ok(k));
        }
        assert!(InstrumentKind::parse("warrant").is_err());
    }

    #[test]
    fn names_state_kinds_as_words() {
        assert_eq!(InstrumentKind::stated_in("Vanguard FTSE All-World UCITS ETF"), Some(InstrumentKind::Etf));
        assert_eq!(InstrumentKind::stated_in("MORGAN STANLEY EUR LIQUIDITY FUND"), Some(InstrumentKind::Fund));
        assert_eq!(InstrumentKind::stated_in("SPDR S&P 500 ETF"), Some(InstrumentKind::Etf));
        // A word, not a part of one.
        assert_eq!(InstrumentKind::stated_in("Fundsmith Equity"), None);
        assert_eq!(InstrumentKind::stated_in("Cisco Systems"), None);
    }

    #[test]
    fn the_key_prefers_the_isin() {
        let mut i = Instrument {
            isin: Some(Isin::parse("US0378331005").unwrap()),
            ticker: Some("AAPL".into()),
            name: "Apple".into(),
            currency: Currency::parse("USD").unwrap(),
            kind: InstrumentKind::Stock,
        };
        assert_eq!(i.key(), "US0378331005");
        i.isin = None;
        assert_eq!(i.key(), "AAPL");
    }
}
