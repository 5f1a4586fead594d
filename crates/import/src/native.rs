//! kassa's own CSVs (SPEC "Reference data shapes"): `transactions.csv` and
//! `trades.csv`. Unlike bank CSVs these are strict — a wrong header, a missing
//! required field or a bad value is an error naming line and field — and fast:
//! they are how whole books move in and out, so a million rows must stream
//! through in about a second with one reused record buffer and bounded memory.

use std::io::Read;

use jiff::civil::Date;
use kassa_core::Currency;
use kassa_core::money::parse_decimal;
use rust_decimal::Decimal;

use crate::model::{
    AccountHint, Diagnostic, Format, ParsedFile, RowStatus, StatementRow, TradeDetail, TradeRow, TradeSide,
};
use crate::table::MAX_FIELD;

/// `transactions.csv` columns, in the documented order.
pub const TRANSACTION_COLUMNS: [&str; 11] = [
    "external_id",
    "account_ref",
    "date",
    "amount",
    "currency",
    "section",
    "category",
    "description",
    "counterparty_name",
    "counterparty_account",
    "transfer_group_id",
];

/// `trades.csv` columns, in the documented order.
pub const TRADE_COLUMNS: [&str; 10] =
    ["account_ref", "trade_time", "symbol", "isin", "side", "qty", "price", "fees", "currency", "external_id"];

/// A CSV reader over raw bytes with the header checked against `expected`:
/// every column present once, nothing unknown; order is free.
struct Native<R: Read, const N: usize> {
    rdr: csv::Reader<R>,
    rec: csv::ByteRecord,
    /// Field index of each expected column.
    idx: [usize; N],
    names: &'static [&'static str; N],
    started: bool,
    done: bool,
}

impl<R: Read, const N: usize> Native<R, N> {
    fn new(reader: R, names: &'static [&'static str; N]) -> Self {
        let rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(reader);
        Native { rdr, rec: csv::ByteRecord::new(), idx: [0; N], names, started: false, done: false }
    }

    /// Reads the header on first use. `Err` is the diagnostic that ends the file.
    fn start(&mut self) -> Result<(), Diagnostic> {
        self.started = true;
        let ok = self.rdr.read_byte_record(&mut self.rec).map_err(|e| Diagnostic::error(1, None, e.to_string()))?;
        if !ok {
            return Err(Diagnostic::error(1, None, "empty file: expected a header row"));
        }
        let mut seen = [false; N];
        for (i, raw) in self.rec.iter().enumerate() {
            let raw = if i == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
            let name = std::str::from_utf8(raw).unwrap_or("").trim();
            match self.names.iter().position(|n| *n == name) {
                Some(k) if !seen[k] => {
                    seen[k] = true;
                    self.idx[k] = i;
                }
                Some(_) => {
                    return Err(Diagnostic::error(1, Some(name), "column appears twice in the header"));
                }
                None => {
                    let expected = self.names.join(",");
                    return Err(Diagnostic::error(
                        1,
                        Some(name),
                        format!("unknown column; the header must be {expected}"),
                    ));
                }
            }
        }
        if let Some(k) = seen.iter().position(|s| !s) {
            return Err(Diagnostic::error(1, Some(self.names[k]), "column missing from the header"));
        }
        Ok(())
    }

    /// Advances to the next non-empty record; `None` at the end.
    fn advance(&mut self) -> Option<Result<usize, Diagnostic>> {
        if self.done {
            return None;
        }
        if !self.started
            && let Err(d) = self.start()
        {
            self.done = true;
            return Some(Err(d));
        }
        loop {
            match self.rdr.read_byte_record(&mut self.rec) {
                Ok(true) => {
                    crate::work::add(self.rec.as_slice().len() + self.rec.len());
                    if self.rec.len() == 1 && self.rec[0].is_empty() {
                        continue;
                    }
                    return Some(Ok(self.line()));
                }
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    return Some(Err(Diagnostic::error(line, None, e.to_string())));
                }
            }
        }
    }

    /// The record's first line. The reader reports the line where it stood
    /// before skipping blank lines, so the line is also worked out back from
    /// where the record ended, less the newlines inside its fields; the
    /// larger of the two is right except for a last, unterminated record
    /// after blank lines.
    fn line(&self) -> usize {
        let reported = self.rec.position().map_or(0, |p| p.line() as usize);
        let inner = self.rec.as_slice().iter().filter(|b| **b == b'\n').count();
        let from_end = (self.rdr.position().line() as usize).saturating_sub(1 + inner);
        reported.max(from_end)
    }

    /// Field `k` (by expected column) as trimmed UTF-8, at most
    /// [`MAX_FIELD`] bytes long (issue 14: a 200 MB description reached the
    /// database).
    fn field(&self, line: usize, k: usize) -> Result<&str, Diagnostic> {
        let raw = self.rec.get(self.idx[k]).unwrap_or(b"");
        if raw.len() > MAX_FIELD {
            return Err(Diagnostic::error(
                line,
                Some(self.names[k]),
                format!("{} bytes, over the {MAX_FIELD}-byte limit of a field", raw.len()),
            ));
        }
        std::str::from_utf8(raw)
            .map(str::trim)
            .map_err(|_| Diagnostic::error(line, Some(self.names[k]), "not valid UTF-8"))
    }

    fn required(&self, line: usize, k: usize) -> Result<&str, Diagnostic> {
        let v = self.field(line, k)?;
        if v.is_empty() { Err(Diagnostic::error(line, Some(self.names[k]), "required field is empty")) } else { Ok(v) }
    }

    fn optional(&self, line: usize, k: usize) -> Result<Option<String>, Diagnostic> {
        let v = self.field(line, k)?;
        Ok((!v.is_empty()).then(|| v.to_string()))
    }

    fn check_width(&self, line: usize) -> Result<(), Diagnostic> {
        if self.rec.len() != N {
            return Err(Diagnostic::error(line, None, format!("{} fields, expected {N}", self.rec.len())));
        }
        Ok(())
    }
}

/// `YYYY-MM-DD` exactly, without going through a general parser.
fn iso_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<i32> {
        b[r].iter().try_fold(0i32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + i32::from(c - b'0')))
    };
    Date::new(n(0..4)? as i16, n(5..7)? as i8, n(8..10)? as i8).ok()
}

fn currency(line: usize, field: &str, v: &str) -> Result<Currency, Diagnostic> {
    Currency::parse(v).map_err(|_| Diagnostic::error(line, Some(field), format!("{v:?} is not an ISO 4217 currency")))
}

fn decimal(line: usize, field: &str, v: &str) -> Result<Decimal, Diagnostic> {
    parse_decimal(v)
        .map_err(|_| Diagnostic::error(line, Some(field), format!("{v:?} is not a plain decimal (e.g. -12.50)")))
}

/// Streams `transactions.csv`: one row or one diagnostic at a time.
#[derive(Debug)]
pub struct TransactionsReader<R: Read> {
    inner: Native<R, 11>,
}

impl<R: Read, const N: usize> std::fmt::Debug for Native<R, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Native").field("started", &self.started).field("done", &self.done).finish_non_exhaustive()
    }
}

impl<R: Read> TransactionsReader<R> {
    pub fn new(reader: R) -> Self {
        TransactionsReader { inner: Native::new(reader, &TRANSACTION_COLUMNS) }
    }

    fn row(&self, line: usize) -> Result<StatementRow, Diagnostic> {
        let n = &self.inner;
        n.check_width(line)?;
        let account_ref = n.required(line, 1)?;
        let date_s = n.required(line, 2)?;
        let date = iso_date(date_s)
            .ok_or_else(|| Diagnostic::error(line, Some("date"), format!("{date_s:?} is not a date (YYYY-MM-DD)")))?;
        let amount = decimal(line, "amount", n.required(line, 3)?)?;
        let cur = currency(line, "currency", n.required(line, 4)?)?;
        let section = n.optional(line, 5)?;
        if let Some(s) = &section
            && !matches!(s.as_str(), "income" | "expense" | "transfer")
        {
            return Err(Diagnostic::error(
                line,
                Some("section"),
                format!("{s:?}: expected income, expense or transfer"),
            ));
        }
        Ok(StatementRow {
            line,
            account: AccountHint {
                account_ref: Some(account_ref.to_string()),
                currency: Some(cur),
                ..AccountHint::default()
            },
            date,
            value_date: None,
            amount,
            currency: Some(cur),
            description: n.field(line, 7)?.to_string(),
            counterparty: n.optional(line, 8)?,
            counterparty_account: n.optional(line, 9)?,
            external_id: n.optional(line, 0)?,
            status: RowStatus::Booked,
            category: n.optional(line, 6)?,
            section,
            transfer_group: n.optional(line, 10)?,
            balance_after: None,
        })
    }
}

impl<R: Read> Iterator for TransactionsReader<R> {
    type Item = Result<StatementRow, Diagnostic>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.inner.advance()? {
            Ok(line) => Some(self.row(line)),
            Err(d) => Some(Err(d)),
        }
    }
}

/// Streams `trades.csv`: one trade or one diagnostic at a time.
#[derive(Debug)]
pub struct TradesReader<R: Read> {
    inner: Native<R, 10>,
}

impl<R: Read> TradesReader<R> {
    pub fn new(reader: R) -> Self {
        TradesReader { inner: Native::new(reader, &TRADE_COLUMNS) }
    }

    fn trade(&self, line: usize) -> Result<TradeRow, Diagnostic> {
        let n = &self.inner;
        n.check_width(line)?;
        let account_ref = n.required(line, 0)?;
        let time = n.required(line, 1)?;
        let date = trade_date(time).ok_or_else(|| {
            Diagnostic::error(line, Some("trade_time"), format!("{time:?} is not an ISO 8601 date or date-time"))
        })?;
        let symbol = n.optional(line, 2)?;
        let isin = n.optional(line, 3)?;
        if let Some(i) = &isin
            && let Err(e) = check_isin(i)
        {
            return Err(Diagnostic::error(line, Some("isin"), e));
        }
        if symbol.is_none() && isin.is_none() {
            return Err(Diagnostic::error(line, Some("symbol"), "a trade needs a symbol or an ISIN"));
        }
        // DIVIDEND, SPLIT and the transfers extend the seed's BUY/SELL
        // (issue 16): a dividend's qty × price is its gross (shares ×
        // amount per share) and its fees the tax withheld; a split's qty is
        // its ratio, new shares per old one; TRANSFER_IN brings qty shares
        // that cost qty × price + fees where they were bought (how opening
        // positions are stated), TRANSFER_OUT sends qty away at their cost.
        // None of the three moves cash but the dividend.
        let side = match n.required(line, 4)? {
            s if s.eq_ignore_ascii_case("BUY") => TradeSide::Buy,
            s if s.eq_ignore_ascii_case("SELL") => TradeSide::Sell,
            s if s.eq_ignore_ascii_case("DIVIDEND") => TradeSide::Dividend,
            s if s.eq_ignore_ascii_case("SPLIT") => TradeSide::Split,
            s if s.eq_ignore_ascii_case("TRANSFER_IN") => TradeSide::TransferIn,
            s if s.eq_ignore_ascii_case("TRANSFER_OUT") => TradeSide::TransferOut,
            s => {
                return Err(Diagnostic::error(
                    line,
                    Some("side"),
                    format!("{s:?}: expected BUY, SELL, DIVIDEND, SPLIT, TRANSFER_IN or TRANSFER_OUT"),
                ));
            }
        };
        let quantity = decimal(line, "qty", n.required(line, 5)?)?;
        if quantity <= Decimal::ZERO {
            return Err(Diagnostic::error(
                line,
                Some("qty"),
                "quantity must be positive (the side says the direction)",
            ));
        }
        let price = decimal(line, "price", n.required(line, 6)?)?;
        if price < Decimal::ZERO {
            return Err(Diagnostic::error(line, Some("price"), "price must not be negative"));
        }
        let fees = match n.field(line, 7)? {
            "" => Decimal::ZERO,
            v => decimal(line, "fees", v)?,
        };
        if fees < Decimal::ZERO {
            return Err(Diagnostic::error(line, Some("fees"), "fees must not be negative"));
        }
        let cur = currency(line, "currency", n.required(line, 8)?)?;
        let (fees, detail) = match side {
            TradeSide::Dividend => (Decimal::ZERO, TradeDetail { withholding_tax: fees, ..TradeDetail::default() }),
            TradeSide::Split => (fees, TradeDetail { ratio: Some(quantity), ..TradeDetail::default() }),
            TradeSide::TransferIn => {
                (Decimal::ZERO, TradeDetail { cost_basis: Some(quantity * price + fees), ..TradeDetail::default() })
            }
            _ => (fees, TradeDetail::default()),
        };
        Ok(TradeRow {
            line,
            account: AccountHint {
                account_ref: Some(account_ref.to_string()),
                currency: Some(cur),
                ..AccountHint::default()
            },
            trade_time: time.to_string(),
            date,
            symbol,
            isin,
            side,
            quantity,
            price,
            fees,
            currency: Some(cur),
            external_id: n.optional(line, 9)?,
            detail,
        })
    }
}

impl<R: Read> Iterator for TradesReader<R> {
    type Item = Result<TradeRow, Diagnostic>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.inner.advance()? {
            Ok(line) => Some(self.trade(line)),
            Err(d) => Some(Err(d)),
        }
    }
}

/// The civil date of an ISO 8601 trade time: a date, a local date-time, or a
/// timestamp with `Z` / offset (its date as written, not converted to UTC —
/// the exchange's day is the trade's day).
fn trade_date(s: &str) -> Option<Date> {
    if s.len() == 10 {
        return iso_date(s);
    }
    let date = iso_date(s.get(..10)?)?;
    let rest = &s[10..];
    if !rest.starts_with(['T', ' ']) {
        return None;
    }
    let ok = s.parse::<jiff::Timestamp>().is_ok()
        || s.parse::<jiff::civil::DateTime>().is_ok()
        || s.parse::<jiff::Zoned>().is_ok();
    ok.then_some(date)
}

/// ISO 6166: two letters, nine alphanumerics, a check digit — Luhn over the
/// code with letters spelled as numbers (A=10 … Z=35).
pub fn check_isin(isin: &str) -> Result<(), String> {
    let b = isin.as_bytes();
    let shape = b.len() == 12
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..11].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && b[11].is_ascii_digit();
    if !shape {
        return Err(format!("{isin:?} is not an ISIN (2 letters, 9 letters/digits, 1 check digit)"));
    }
    let mut digits: Vec<u8> = Vec::with_capacity(24);
    for &c in &b[..11] {
        if c.is_ascii_digit() {
            digits.push(c - b'0');
        } else {
            let v = c - b'A' + 10;
            digits.push(v / 10);
            digits.push(v % 10);
        }
    }
    // Luhn: double every second digit from the right of the payload.
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                d
            }
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    if check == u32::from(b[11] - b'0') { Ok(()) } else { Err(format!("{isin:?}: check digit should be {check}")) }
}

/// Parses a whole `transactions.csv`.
pub fn parse_transactions(bytes: &[u8]) -> ParsedFile {
    let mut out = ParsedFile::new(Format::KassaCsv, "UTF-8");
    for item in TransactionsReader::new(bytes) {
        match item {
            Ok(r) => out.rows.push(r),
            Err(d) => out.diagnostics.push(d),
        }
    }
    out
}

/// Parses a whole `trades.csv`.
pub fn parse_trades(bytes: &[u8]) -> ParsedFile {
    let mut out = ParsedFile::new(Format::Trades, "UTF-8");
    for item in TradesReader::new(bytes) {
        match item {
            Ok(t) => out.trades.push(t),
            Err(d) => out.diagnostics.push(d),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isins() {
        for good in ["US0378331005", "IE00B3RBWM25", "NL0010408704", "US9229087690", "DE000A3GK2N1", "IE00B4L5Y983"] {
            assert_eq!(check_isin(good), Ok(()), "{good}");
        }
        for bad in ["US0378331006", "US037833100", "us0378331005", "IE00B3RBWM2X"] {
            assert!(check_isin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn trade_times() {
        assert!(trade_date("2024-01-05").is_some());
        assert!(trade_date("2024-01-05T09:30:00").is_some());
        assert!(trade_date("2024-01-05T09:30:00Z").is_some());
        assert!(trade_date("2024-01-05T09:30:00+01:00").is_some());
        assert!(trade_date("2024-01-05 09:30").is_some());
        assert!(trade_date("2024-13-05").is_none());
        assert!(trade_date("05.01.2024").is_none());
        assert!(trade_date("2024-01-05Tnope").is_none());
    }
}
