//! Listings in three forms: an aligned table for people, JSON and CSV for
//! programs. Rows are anything `Serialize`; their field order is the column
//! order, and decimal strings are right-aligned with thousands separators in
//! the table only (JSON and CSV keep the exact decimal string).

use clap::ValueEnum;
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use kassa_app::csv::{CsvWriter, value_text};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Columns whose values are money: aligned right, grouped in thousands.
const MONEY_COLUMNS: &[&str] = &[
    "amount",
    "balance",
    "in",
    "out",
    "net",
    "average",
    // buckets, loans and goals
    "allocated",
    "moved_in",
    "moved_out",
    "open",
    "target",
    "saved",
    "required_monthly",
];

pub fn print<T: Serialize>(rows: &[T], format: Format) -> anyhow::Result<()> {
    let values: Vec<Value> = rows.iter().map(serde_json::to_value).collect::<Result<_, _>>()?;
    let out = render(&values, format)?;
    write_stdout(&out)
}

/// Writes to standard output; a reader that went away (`kassa … | head`)
/// ends the listing quietly instead of panicking as `print!` does.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

pub fn render(rows: &[Value], format: Format) -> anyhow::Result<String> {
    let headers: Vec<String> = match rows.first() {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => vec![],
    };
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(rows)? + "\n",
        Format::Csv => {
            // kassa-app's writer: no cell reaches a spreadsheet as a formula.
            let mut w = CsvWriter::new(vec![]);
            if !headers.is_empty() {
                w.record(&headers)?;
            }
            for r in rows {
                w.values(r, &headers)?;
            }
            String::from_utf8(w.into_inner()?)?
        }
        Format::Table => {
            if rows.is_empty() {
                return Ok("(none)\n".into());
            }
            let mut t = Table::new();
            t.load_style(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled);
            t.set_header(&headers);
            // A money column by name holds numbers: the sankey's `target`
            // is an account, a goal's a sum.
            let money: Vec<bool> = headers
                .iter()
                .map(|h| {
                    MONEY_COLUMNS.contains(&h.as_str())
                        && rows.iter().all(|r| {
                            let text = value_text(&r[h]);
                            text.is_empty() || text.parse::<rust_decimal::Decimal>().is_ok()
                        })
                })
                .collect();
            for r in rows {
                t.add_row(headers.iter().zip(&money).map(|(h, &money)| {
                    let text = value_text(&r[h]);
                    if money { group_thousands(&text) } else { shorten(text) }
                }));
            }
            for (i, _) in money.iter().enumerate().filter(|(_, m)| **m) {
                if let Some(c) = t.column_mut(i) {
                    c.set_cell_alignment(CellAlignment::Right);
                }
            }
            format!("{t}\n")
        }
    })
}

/// Table cells stay readable; JSON and CSV always carry the whole value.
const MAX_CELL: usize = 72;

fn shorten(text: String) -> String {
    match text.char_indices().nth(MAX_CELL) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// `-1234567.50` → `-1,234,567.50`; anything that is not a plain decimal is
/// returned unchanged.
pub fn group_thousands(s: &str) -> String {
    let (sign, body) = s.strip_prefix('-').map_or(("", s), |b| ("-", b));
    let (int, frac) = body.split_once('.').map_or((body, None), |(i, f)| (i, Some(f)));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        for (input, want) in
            [("0.00", "0.00"), ("-3.40", "-3.40"), ("1234.5", "1,234.5"), ("-1234567", "-1,234,567"), ("abc", "abc")]
        {
            assert_eq!(group_thousands(input), want);
        }
    }

    #[test]
    fn csv_and_json_keep_field_order_and_exact_strings() {
        let rows = vec![serde_json::json!({"account": "A", "currency": "EUR", "balance": "1234.50"})];
        assert_eq!(render(&rows, Format::Csv).unwrap(), "account,currency,balance\nA,EUR,1234.50\n");
        assert!(render(&rows, Format::Table).unwrap().contains("1,234.50"));
        assert!(render(&rows, Format::Json).unwrap().contains("\"balance\": \"1234.50\""));
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        let rows = vec![serde_json::json!({"description": "=HYPERLINK(\"x\")", "amount": "-12.50"})];
        assert_eq!(render(&rows, Format::Csv).unwrap(), "description,amount\n\"'=HYPERLINK(\"\"x\"\")\",-12.50\n");
    }
}
