//! Sniffing on small hand-made fixtures, one convention each, and the
//! profile type's TOML round trip.

use kassa_import::csv_bank;
use kassa_import::numbers::DecimalMark;
use kassa_import::profile::{Profile, SignConvention, match_profile};
use kassa_import::{RowStatus, Severity};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/csv/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// (line, date, amount, description) of every row.
fn rows(bytes: &[u8]) -> Vec<(usize, String, String, String)> {
    let p = csv_bank::parse(bytes, None);
    p.rows.iter().map(|r| (r.line, r.date.to_string(), r.amount.to_string(), r.description.clone())).collect()
}

#[test]
fn debit_credit_columns_with_junk_before_and_after() {
    let bytes = fixture("debit-credit-junk.csv");
    let (p, _) = csv_bank::propose(&bytes);
    assert_eq!(p.sign, SignConvention::DebitCreditColumns);
    assert_eq!(p.delimiter, Some(';'));
    assert_eq!(p.decimal, DecimalMark::Comma);
    assert_eq!(p.date_format.to_string(), "DD.MM.YYYY");
    assert_eq!((p.columns.debit.as_deref(), p.columns.credit.as_deref()), (Some("Soll"), Some("Haben")));
    assert_eq!(p.columns.counterparty.as_deref(), Some("Empfänger"));
    let parsed = csv_bank::parse(&bytes, Some(&p));
    let got: Vec<String> =
        parsed.rows.iter().map(|r| format!("{} {} {:?}", r.date, r.amount, r.balance_after)).collect();
    assert_eq!(
        got,
        ["2024-03-01 -1234.56 Some(8765.44)", "2024-03-05 3000.00 Some(11765.44)", "2024-03-31 -4.90 Some(11760.54)"]
    );
    // Junk before the header: one warning; the totals and the footer after
    // the table: a warning each, no rows, no errors.
    let warnings: Vec<usize> =
        parsed.diagnostics.iter().filter(|d| d.severity == Severity::Warning).map(|d| d.line).collect();
    assert_eq!(warnings, [1, 9, 10]);
    assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
}

#[test]
fn indicator_column_and_compact_dates() {
    let bytes = fixture("indicator-dk.csv");
    let (p, _) = csv_bank::propose(&bytes);
    assert_eq!(p.sign, SignConvention::Indicator);
    assert_eq!(p.columns.debit_values, ["Af"]);
    assert_eq!(p.columns.credit_values, ["Bij"]);
    assert_eq!(p.date_format.to_string(), "YYYYMMDD");
    let got: Vec<String> = rows(&bytes).into_iter().map(|r| format!("{} {} {}", r.1, r.2, r.3)).collect();
    assert_eq!(got, ["2024-01-05 -12.50 Boodschappen", "2024-01-06 2500.00 Salaris januari", "2024-01-07 -3.20 Kiosk"]);
}

#[test]
fn apostrophe_thousands_and_two_digit_years() {
    let bytes = fixture("apostrophe-2digit.csv");
    let (p, _) = csv_bank::propose(&bytes);
    assert_eq!(p.date_format.to_string(), "DD.MM.YY");
    let got: Vec<String> = rows(&bytes).into_iter().map(|r| format!("{} {}", r.1, r.2)).collect();
    // 99 is before the pivot, so 1999.
    assert_eq!(got, ["2024-01-03 -1850.00", "2024-01-15 6200.50", "1999-12-31 -0.10"]);
}

#[test]
fn headerless_file_by_values() {
    let bytes = fixture("headerless.csv");
    let (p, _) = csv_bank::propose(&bytes);
    assert!(!p.has_header);
    assert_eq!(p.delimiter, Some('|'));
    assert_eq!(p.columns.amount.as_deref(), Some("#5"));
    assert_eq!(p.columns.currency.as_deref(), Some("#6"));
    assert_eq!(p.columns.account.as_deref(), Some("#2"));
    assert_eq!(p.columns.counterparty_account.as_deref(), Some("#3"));
    assert_eq!(p.columns.description, ["#7"]);
    let parsed = csv_bank::parse(&bytes, Some(&p));
    assert_eq!(parsed.rows.len(), 3);
    assert_eq!(parsed.rows[0].line, 1);
    assert_eq!(parsed.rows[0].currency.map(|c| c.code().to_string()).as_deref(), Some("EUR"));
}

#[test]
fn ambiguous_day_month_is_reported() {
    let bytes = fixture("us-ambiguous.csv");
    let (p, notes) = csv_bank::propose(&bytes);
    assert!(notes.iter().any(|n| n.message.contains("ambiguous")), "{notes:?}");
    let parsed = csv_bank::parse(&bytes, Some(&p));
    assert_eq!(parsed.rows[0].amount.to_string(), "-4.50");
}

#[test]
fn bad_rows_name_line_and_column() {
    let parsed = csv_bank::parse(&fixture("bad-rows.csv"), None);
    let errs: Vec<(usize, Option<String>)> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.line, d.field.clone()))
        .collect();
    assert_eq!(errs, [(3, Some("Date".into())), (5, Some("Amount".into()))]);
    // "12,34" unquoted is two cells; the amount cell "12" reads fine and the
    // extra cell is ignored, which is why ragged rows are allowed at all.
    let lines: Vec<usize> = parsed.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 4, 6]);
}

#[test]
fn pending_rows() {
    let text = "Type,Product,Started Date,Completed Date,Description,Amount,Fee,Currency,State,Balance\n\
                CARD_PAYMENT,Current,2024-01-13 11:21:43,,store,-44.57,0.00,EUR,PENDING,\n\
                CARD_PAYMENT,Current,2024-01-12 11:21:43,2024-01-12 11:30:00,cafe,-3.00,0.50,EUR,COMPLETED,10.00\n\
                CARD_PAYMENT,Current,2024-01-12 11:21:43,2024-01-12 11:30:00,nope,-3.00,0.00,EUR,DECLINED,10.00\n";
    assert_eq!(match_profile(text).map(|p| p.name.as_str()), Some("Revolut"));
    let p = csv_bank::parse(text.as_bytes(), None);
    let got: Vec<String> = p.rows.iter().map(|r| format!("{} {} {:?}", r.date, r.amount, r.status)).collect();
    assert_eq!(got, ["2024-01-13 -44.57 Pending", "2024-01-12 -3.50 Booked"]);
    assert_eq!(p.rows[0].status, RowStatus::Pending);
}

#[test]
fn profile_toml_round_trip() {
    let text = r##"
name = "My bank"
encoding = "windows-1250"
delimiter = ";"
skip_lines = 3
date_format = "DD.MM.YYYY"
decimal = "comma"
thousands = "."
currency = "CZK"
sign = "indicator"
continuation_rows = true
skip_empty_amount = true
signature = ["Datum", "Částka"]

[columns]
date = "Datum"
date_fallback = "Datum 2"
value_date = "Valuta"
amount = "Částka"
fee = "Poplatek"
indicator = "D/C"
debit_values = ["D"]
credit_values = ["C"]
description = ["Popis", "#9"]
counterparty = "Protistrana"
counterparty_account = "Účet"
account = "Můj účet"
external_id = "ID"
currency = "Měna"
balance = "Zůstatek"
status = "Stav"
pending_values = ["Čeká"]
category = ["Kategorie"]

[row_kinds]
column = "Typ"
skip = ["X"]
opening_balance = ["O"]
closing_balance = ["Z"]
"##;
    let p = Profile::from_toml(text).unwrap();
    assert_eq!(Profile::from_toml(&p.to_toml()).unwrap(), p);
    assert_eq!(p.thousands, Some('.'));
    assert_eq!(p.columns.description, ["Popis", "#9"]);
    // A profile that cannot work is refused with a reason.
    let err = Profile::from_toml(
        "name = \"x\"\ndate_format = \"DD.MM.YYYY\"\nsign = \"debit_credit_columns\"\n[columns]\ndate = \"D\"\n",
    );
    assert!(err.unwrap_err().contains("debit"));
    let err =
        Profile::from_toml("name = \"x\"\ndate_format = \"DD.QQ.YYYY\"\n[columns]\ndate = \"D\"\namount = \"A\"\n");
    assert!(err.unwrap_err().contains("date format"));
}

#[test]
fn a_saved_profile_is_used_as_given() {
    let (mut p, _) = csv_bank::propose(&fixture("apostrophe-2digit.csv"));
    p.sign = SignConvention::Inverted;
    let parsed = csv_bank::parse(&fixture("apostrophe-2digit.csv"), Some(&p));
    assert_eq!(parsed.rows[0].amount.to_string(), "1850.00");
}
