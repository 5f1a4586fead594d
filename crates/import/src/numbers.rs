//! Amounts and dates as banks write them: decimal commas, thousands
//! separators of every kind, signs in front, behind or as parentheses,
//! currency symbols glued on; and a dozen date layouts. Everything here is
//! strict — a value that could mean two things is an error, not a guess —
//! because a silently misread amount is worse than a reported one.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use kassa_core::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Which character separates the fraction in an amount column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DecimalMark {
    /// `1,234.56`
    #[default]
    Dot,
    /// `1.234,56`
    Comma,
    /// Decided per value (Saxo mixes `1.83` and `419,22` in one column): the
    /// last `.` or `,` followed by one or two digits is the decimal mark.
    Auto,
}

/// An amount as read: the signed value and the currency written next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount {
    pub value: Decimal,
    pub currency: Option<Currency>,
}

/// Parses a bank amount: `-12,50`, `12,50-`, `(12.50)`, `+ £1,100.00`,
/// `1'234.50`, `€ 12,50`, `12.50 EUR`, `1 234,50` (NBSP / narrow NBSP too).
pub fn parse_amount(raw: &str, mark: DecimalMark) -> Result<Amount, String> {
    parse_amount_with(raw, mark, None)
}

/// [`parse_amount`] that also insists on one thousands separator when the
/// profile names it.
pub fn parse_amount_with(raw: &str, mark: DecimalMark, thousands: Option<char>) -> Result<Amount, String> {
    let mut s = raw.trim_matches(is_space);
    if s.is_empty() {
        return Err("empty amount".into());
    }
    let mut negative = false;
    let mut signs = 0;
    let mut currency: Option<String> = None;
    if s.starts_with('(') && s.ends_with(')') {
        negative = true;
        signs += 1;
        s = &s[1..s.len() - 1];
    }
    // Peel signs, spaces and currency text off both ends until digits remain.
    loop {
        let before = s.len();
        s = s.trim_matches(is_space);
        for (sign, neg) in [('-', true), ('+', false), ('\u{2212}', true)] {
            if let Some(rest) = s.strip_prefix(sign).or_else(|| s.strip_suffix(sign)) {
                s = rest;
                negative |= neg;
                signs += 1;
            }
        }
        let lead: String = s.chars().take_while(|c| is_currency_char(*c)).collect();
        if !lead.is_empty() {
            currency.get_or_insert(lead.clone());
            s = &s[lead.len()..];
        }
        let trail_len: usize = s.chars().rev().take_while(|c| is_currency_char(*c)).map(char::len_utf8).sum();
        if trail_len > 0 {
            currency.get_or_insert(s[s.len() - trail_len..].to_string());
            s = &s[..s.len() - trail_len];
        }
        if s.len() == before {
            break;
        }
    }
    if signs > 1 {
        return Err(format!("amount {raw:?} has more than one sign"));
    }
    if let Some(t) = thousands {
        let decimal = match mark {
            DecimalMark::Dot => Some('.'),
            DecimalMark::Comma => Some(','),
            DecimalMark::Auto => None,
        };
        if let Some(bad) = s.chars().find(|c| is_separator(*c) && *c != t && Some(*c) != decimal) {
            return Err(format!("amount {raw:?}: unexpected separator {bad:?}"));
        }
    }
    let value = parse_number(s, mark).map_err(|e| format!("amount {raw:?}: {e}"))?;
    let currency = match currency {
        Some(text) => currency_from_text(&text).ok_or_else(|| format!("amount {raw:?}: unknown currency {text:?}"))?,
        None => None,
    };
    Ok(Amount { value: if negative { -value } else { value }, currency })
}

/// Whitespace including the no-break spaces used as thousands separators.
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}' || c == '\u{2009}'
}

fn is_currency_char(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '$' | '€' | '£' | '¥' | '₹' | '₽' | '₺' | '₩' | '₪' | '₱' | '₴' | '₫' | '¢')
}

/// `Some(None)`: a known symbol that names no single currency (`$`);
/// `Some(Some(c))`: a currency; `None`: not a currency at all.
fn currency_from_text(text: &str) -> Option<Option<Currency>> {
    let code = match text {
        "€" => "EUR",
        "£" => "GBP",
        "¥" => "JPY",
        "₹" => "INR",
        "₽" => "RUB",
        "₺" => "TRY",
        "₩" => "KRW",
        "₪" => "ILS",
        "₴" => "UAH",
        "₫" => "VND",
        "₱" => "PHP",
        "US$" => "USD",
        "S$" | "SG$" => "SGD",
        "A$" | "AU$" => "AUD",
        "C$" | "CA$" => "CAD",
        "NZ$" => "NZD",
        "HK$" => "HKD",
        "R$" => "BRL",
        "Kč" | "Kc" => "CZK",
        "zł" => "PLN",
        "Ft" => "HUF",
        "Fr." | "Fr" => "CHF",
        "$" => return Some(None),
        other => other,
    };
    Currency::parse(&code.to_ascii_uppercase()).ok().map(Some)
}

/// Digits with separators, no sign: applies the decimal mark and checks that
/// every thousands group has three digits (so `1.5` under a comma mark is an
/// error, not fifteen).
fn parse_number(s: &str, mark: DecimalMark) -> Result<Decimal, String> {
    if s.is_empty() || !s.chars().any(|c| c.is_ascii_digit()) {
        return Err("no digits".into());
    }
    if let Some(bad) = s.chars().find(|c| !(c.is_ascii_digit() || is_separator(*c))) {
        return Err(format!("unexpected character {bad:?}"));
    }
    let decimal_at = match mark {
        DecimalMark::Dot => s.rfind('.'),
        DecimalMark::Comma => s.rfind(','),
        DecimalMark::Auto => auto_decimal(s),
    };
    let (int_part, frac_part) = match decimal_at {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    if !frac_part.chars().all(|c| c.is_ascii_digit()) {
        return Err("separator after the decimal mark".into());
    }
    if decimal_at.is_some() && frac_part.is_empty() {
        return Err("decimal mark without digits".into());
    }
    let mut digits = String::with_capacity(s.len());
    let groups: Vec<&str> = int_part.split(is_separator).collect();
    if groups.len() > 1 {
        let first_ok = (1..=3).contains(&groups[0].len());
        if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
            return Err("thousands separators in the wrong places".into());
        }
        let seps: Vec<char> = int_part.chars().filter(|c| is_separator(*c)).collect();
        if seps.windows(2).any(|w| w[0] != w[1]) {
            return Err("mixed thousands separators".into());
        }
        if decimal_at.map(|i| s[i..].starts_with(seps[0])).unwrap_or(false) {
            return Err("same character used as decimal mark and thousands separator".into());
        }
    }
    for g in groups {
        digits.push_str(g);
    }
    if digits.is_empty() {
        digits.push('0');
    }
    if !frac_part.is_empty() {
        digits.push('.');
        digits.push_str(frac_part);
    }
    Decimal::from_str(&digits).map_err(|e| e.to_string())
}

fn is_separator(c: char) -> bool {
    matches!(c, '.' | ',' | '\'' | '\u{2019}' | ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

/// For `Auto`: the last `.`/`,` is the decimal mark unless it is followed by
/// exactly three digits and is the only one of its kind (then it groups
/// thousands, as in `1,234`). `5.000` reads as five thousand, as banks mean it.
fn auto_decimal(s: &str) -> Option<usize> {
    let i = s.rfind(['.', ','])?;
    let c = s.as_bytes()[i];
    let other = if c == b'.' { ',' } else { '.' };
    if s[..i].contains(other) {
        return Some(i);
    }
    let repeated = s[..i].contains(c as char);
    let after = s.len() - i - 1;
    if repeated || after == 3 { None } else { Some(i) }
}

/// A date layout. Written in profiles as its pattern, e.g. `"DD.MM.YYYY"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateFormat {
    pub order: DateOrder,
    /// Separator between the parts; `None` for `YYYYMMDD`.
    pub sep: Option<char>,
    /// Two-digit years (pivot: 00–69 → 2000–2069, 70–99 → 1970–1999, as
    /// POSIX `strptime %y` does; bank exports with two-digit years are recent).
    pub short_year: bool,
    /// Month written as a name (`Jan`, `Dez`, `janv.`).
    pub month_name: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateOrder {
    Dmy,
    Mdy,
    Ymd,
}

/// Every layout kassa recognises, in the order sniffing tries them.
pub const DATE_FORMATS: &[&str] = &[
    "YYYY-MM-DD",
    "DD.MM.YYYY",
    "DD/MM/YYYY",
    "MM/DD/YYYY",
    "DD-MM-YYYY",
    "MM-DD-YYYY",
    "YYYYMMDD",
    "YYYY.MM.DD",
    "YYYY/MM/DD",
    "YYYY:MM:DD",
    "DD.MM.YY",
    "DD/MM/YY",
    "MM/DD/YY",
    "DD-MM-YY",
    "DD MMM YYYY",
    "MMM DD YYYY",
];

impl FromStr for DateFormat {
    type Err = String;

    fn from_str(p: &str) -> Result<DateFormat, String> {
        let p = p.trim();
        let bad = || format!("unknown date format {p:?}; known: {}", DATE_FORMATS.join(", "));
        if p == "YYYYMMDD" {
            return Ok(DateFormat { order: DateOrder::Ymd, sep: None, short_year: false, month_name: false });
        }
        let parts: Vec<&str> = p.split(|c: char| !c.is_ascii_alphabetic()).filter(|s| !s.is_empty()).collect();
        if parts.len() != 3 {
            return Err(bad());
        }
        let month_name = parts.contains(&"MMM");
        let sep = if month_name { Some(' ') } else { p.chars().find(|c| !c.is_ascii_alphabetic()) };
        let short_year = parts.contains(&"YY");
        let order = match (parts[0], parts[1], parts[2]) {
            ("DD", "MM" | "MMM", "YYYY" | "YY") => DateOrder::Dmy,
            ("MM" | "MMM", "DD", "YYYY" | "YY") => DateOrder::Mdy,
            ("YYYY", "MM", "DD") => DateOrder::Ymd,
            _ => return Err(bad()),
        };
        Ok(DateFormat { order, sep, short_year, month_name })
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let y = if self.short_year { "YY" } else { "YYYY" };
        let m = if self.month_name { "MMM" } else { "MM" };
        let Some(sep) = self.sep else {
            return f.write_str("YYYYMMDD");
        };
        let parts = match self.order {
            DateOrder::Dmy => [("DD"), m, y],
            DateOrder::Mdy => [m, "DD", y],
            DateOrder::Ymd => [y, m, "DD"],
        };
        write!(f, "{}{sep}{}{sep}{}", parts[0], parts[1], parts[2])
    }
}

impl Serialize for DateFormat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DateFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One token of a date: a run of digits or a run of letters, with the
/// separator text that came before it.
struct Tok<'a> {
    sep: &'a str,
    text: &'a str,
}

fn tokens(s: &str, max: usize) -> (Vec<Tok<'_>>, &str) {
    let mut out = Vec::with_capacity(max);
    let mut i = 0;
    let b = s.as_bytes();
    while out.len() < max && i < s.len() {
        let sep_start = i;
        while i < s.len() && !s[i..].starts_with(|c: char| c.is_alphanumeric()) {
            i += s[i..].chars().next().map_or(1, char::len_utf8);
        }
        let start = i;
        if i < s.len() && b[i].is_ascii_digit() {
            while i < s.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        } else {
            while i < s.len() && s[i..].starts_with(|c: char| c.is_alphabetic()) {
                i += s[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
        if start == i {
            break;
        }
        out.push(Tok { sep: &s[sep_start..start], text: &s[start..i] });
    }
    (out, &s[i..])
}

impl DateFormat {
    /// Parses `raw` (a time after the date is allowed and ignored).
    pub fn parse(&self, raw: &str) -> Result<Date, String> {
        let s = raw.trim_matches(is_space);
        let err = || format!("{s:?} is not a date in the format {self}");
        let (y, m, d, rest) = if self.sep.is_none() {
            let digits: &str = &s[..s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len())];
            if digits.len() != 8 {
                return Err(err());
            }
            let n = |r: std::ops::Range<usize>| digits[r].parse::<i32>().map_err(|_| err());
            (n(0..4)?, n(4..6)?, n(6..8)?, &s[8..])
        } else {
            let (toks, rest) = tokens(s, 3);
            if toks.len() != 3 || !toks[0].sep.is_empty() {
                return Err(err());
            }
            for t in &toks[1..] {
                let sep = t.sep.trim_matches(is_space);
                let ok = if self.month_name {
                    matches!(sep, "" | "-" | "." | "/" | ",") && t.sep.len() <= 3
                } else {
                    t.sep.len() == self.sep.map_or(0, char::len_utf8) && t.sep.starts_with(self.sep.unwrap_or(' '))
                };
                if !ok {
                    return Err(err());
                }
            }
            let [a, b, c] = [toks[0].text, toks[1].text, toks[2].text];
            let (yt, mt, dt) = match self.order {
                DateOrder::Dmy => (c, b, a),
                DateOrder::Mdy => (c, a, b),
                DateOrder::Ymd => (a, b, c),
            };
            let month =
                if self.month_name { month_number(mt).ok_or_else(err)? } else { num(mt, 1, 2).ok_or_else(err)? };
            let day = num(dt, 1, 2).ok_or_else(err)?;
            let year = if self.short_year {
                let y = num(yt, 2, 2).ok_or_else(err)?;
                if y < 70 { 2000 + y } else { 1900 + y }
            } else {
                num(yt, 4, 4).ok_or_else(err)?
            };
            (year, month, day, rest)
        };
        // What may follow the date: nothing, the trailing dot of Hungarian
        // dates, or a time ("2022-01-02 12:16:54", "2020-01-01T13:00:00").
        let rest_ok = rest.is_empty()
            || rest == "."
            || rest.starts_with(" as of ")
            || ((rest.starts_with([' ', 'T', ';', ',']) || rest.starts_with(". "))
                && rest.trim_start_matches(['.', ' ', 'T', ';', ',']).starts_with(|c: char| c.is_ascii_digit()));
        if !rest_ok {
            return Err(err());
        }
        if !(1900..=2100).contains(&y) {
            return Err(format!("{s:?}: year {y} is out of range"));
        }
        Date::new(y as i16, m as i8, d as i8).map_err(|_| format!("{s:?} is not a valid date"))
    }
}

fn num(t: &str, min: usize, max: usize) -> Option<i32> {
    if t.len() < min || t.len() > max || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Month names and abbreviations in the languages of kassa's banks.
fn month_number(name: &str) -> Option<i32> {
    let n = name.to_lowercase();
    const MONTHS: [&[&str]; 12] = [
        &["jan", "january", "januar", "janvier", "janv", "enero", "ene", "gennaio", "gen", "januari", "jänner", "jän"],
        &["feb", "february", "februar", "février", "févr", "fev", "febrero", "febbraio", "februari"],
        &["mar", "march", "märz", "mär", "mrz", "mars", "marzo", "maart", "mrt"],
        &["apr", "april", "avril", "avr", "abril", "abr", "aprile"],
        &["may", "mai", "mayo", "maggio", "mag", "mei"],
        &["jun", "june", "juni", "juin", "junio", "giugno", "giu"],
        &["jul", "july", "juli", "juillet", "juil", "julio", "luglio", "lug"],
        &["aug", "august", "août", "aout", "agosto", "ago", "augustus"],
        &["sep", "sept", "september", "septembre", "septiembre", "settembre", "set"],
        &["oct", "october", "oktober", "okt", "octobre", "octubre", "ottobre", "ott"],
        &["nov", "november", "novembre", "noviembre"],
        &["dec", "december", "dezember", "dez", "décembre", "déc", "diciembre", "dic", "dicembre"],
    ];
    MONTHS.iter().position(|names| names.contains(&n.as_str())).map(|i| i as i32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(s: &str, mark: DecimalMark) -> String {
        match parse_amount(s, mark) {
            Ok(a) => match a.currency {
                Some(c) => format!("{} {}", a.value, c.code()),
                None => a.value.to_string(),
            },
            Err(_) => "ERR".into(),
        }
    }

    #[test]
    fn amounts() {
        use DecimalMark::*;
        let cases: &[(&str, DecimalMark, &str)] = &[
            ("12.50", Dot, "12.50"),
            ("-12,50", Comma, "-12.50"),
            ("12,50-", Comma, "-12.50"),
            ("(12.50)", Dot, "-12.50"),
            ("+5257,28", Comma, "5257.28"),
            ("5.000,00", Comma, "5000.00"),
            ("1,234,567.89", Dot, "1234567.89"),
            ("1'234.50", Dot, "1234.50"),
            ("11'373.94", Dot, "11373.94"),
            ("1 234,50", Comma, "1234.50"),
            ("1\u{a0}234,50", Comma, "1234.50"),
            ("1\u{202f}234,50", Comma, "1234.50"),
            ("€ 12,50", Comma, "12.50 EUR"),
            ("12.50 EUR", Dot, "12.50 EUR"),
            ("£1,183.23", Dot, "1183.23 GBP"),
            ("+ £1,100.00", Dot, "1100.00 GBP"),
            ("- $12.01", Dot, "-12.01"),
            ("-$1,259.59", Dot, "-1259.59"),
            ("-.46", Dot, "-0.46"),
            ("2500", Comma, "2500"),
            ("1290", Dot, "1290"),
            ("1.83", Auto, "1.83"),
            ("419,22", Auto, "419.22"),
            ("-5,2", Auto, "-5.2"),
            ("1.234,56", Auto, "1234.56"),
            ("1,234.56", Auto, "1234.56"),
            ("1.234", Auto, "1234"),
            // Strictness: these could be misread, so they are errors.
            ("1.5", Comma, "ERR"),
            ("12,5,0", Comma, "ERR"),
            ("1.234.5", Dot, "ERR"),
            ("--5", Dot, "ERR"),
            ("abc", Dot, "ERR"),
            ("", Dot, "ERR"),
            ("12.50 XYZ", Dot, "ERR"),
            ("1,2.3", Dot, "ERR"),
        ];
        for (input, mark, want) in cases {
            assert_eq!(&amount(input, *mark), want, "{input:?} with {mark:?}");
        }
    }

    #[test]
    fn dates() {
        let cases: &[(&str, &str, &str)] = &[
            ("DD.MM.YYYY", "05.01.2024", "2024-01-05"),
            ("DD.MM.YYYY", "5.1.2024", "2024-01-05"),
            ("DD.MM.YY", "22.02.18", "2018-02-22"),
            ("DD.MM.YY", "01.01.69", "2069-01-01"),
            ("DD.MM.YY", "01.01.70", "1970-01-01"),
            ("MM/DD/YYYY", "10/31/2023", "2023-10-31"),
            ("DD/MM/YYYY", "24/03/2022", "2022-03-24"),
            ("YYYY-MM-DD", "2024-01-05", "2024-01-05"),
            ("YYYY-MM-DD", "2022-01-02 12:16:54", "2022-01-02"),
            ("YYYY-MM-DD", "2020-01-01T13:00:00", "2020-01-01"),
            ("YYYYMMDD", "20230403", "2023-04-03"),
            ("YYYYMMDD", "20230403;095853", "2023-04-03"),
            ("MM/DD/YYYY", "07/15/2024 as of 07/12/2024", "2024-07-15"),
            ("DD-MM-YYYY", "21-06-2019", "2019-06-21"),
            ("YYYY.MM.DD", "2024.01.05.", "2024-01-05"),
            ("YYYY:MM:DD", "2012:03:01", "2012-03-01"),
            ("DD MMM YYYY", "05 Jan 2024", "2024-01-05"),
            ("DD MMM YYYY", "12-Dec-2019", "2019-12-12"),
            ("DD MMM YYYY", "02-Apr-2025", "2025-04-02"),
            ("DD MMM YYYY", "3. März 2024", "2024-03-03"),
            ("MMM DD YYYY", "Jan 5, 2024", "2024-01-05"),
            // Errors
            ("DD.MM.YYYY", "31.02.2024", "ERR"),
            ("DD.MM.YYYY", "2024-01-05", "ERR"),
            ("MM/DD/YYYY", "24/03/2022", "ERR"),
            ("YYYY/MM/DD", "1111/11/11", "ERR"),
            ("YYYY-MM-DD", "2013-07-03-08.21.36", "ERR"),
            ("DD.MM.YYYY", "05.01.24", "ERR"),
            ("DD MMM YYYY", "Pending", "ERR"),
            ("YYYYMMDD", "2023043", "ERR"),
        ];
        for (fmt, input, want) in cases {
            let f: DateFormat = fmt.parse().unwrap();
            assert_eq!(f.to_string(), *fmt);
            let got = f.parse(input).map(|d| d.to_string()).unwrap_or_else(|_| "ERR".into());
            assert_eq!(&got, want, "{input:?} as {fmt}");
        }
    }

    #[test]
    fn every_listed_format_round_trips() {
        for p in DATE_FORMATS {
            assert_eq!(p.parse::<DateFormat>().unwrap().to_string(), *p);
        }
    }
}
