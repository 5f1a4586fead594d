//! Issue 14, finding 4: length limits on CSV records and fields. A line or
//! a field past its limit is a diagnostic naming its line and field — never
//! a row that holds it, and never an amount or a date cut short.

use kassa_import::{Diagnostic, Severity, csv_bank, native};

const HEADER: &str = "Date;Amount;Description\n02.01.2024;2,00;coffee\n";

fn only(p: &kassa_import::ParsedFile, severity: Severity) -> Vec<&Diagnostic> {
    p.diagnostics.iter().filter(|d| d.severity == severity).collect()
}

/// The finding's file (a 200 MB line stored as one row with a 200 MB
/// description) at a hundredth of its size.
#[test]
fn a_two_megabyte_line_is_an_error_naming_line_and_field() {
    let text = format!("{HEADER}01.01.2024;1,00;{}\n", "A".repeat(2 << 20));
    let p = csv_bank::parse(text.as_bytes(), None);
    let descriptions: Vec<usize> = p.rows.iter().map(|r| r.description.len()).collect();
    assert_eq!(descriptions, vec![6], "only the coffee row is read");
    let errors = only(&p, Severity::Error);
    assert_eq!(errors.len(), 1, "{:?}", p.diagnostics);
    assert_eq!((errors[0].line, errors[0].field.as_deref()), (3, Some("Description")));
    assert!(errors[0].message.contains("2097152 bytes"), "{}", errors[0].message);
}

#[test]
fn a_long_text_cell_is_cut_with_a_warning() {
    let text = format!("{HEADER}01.01.2024;1,00;{}\n", "é".repeat(3000));
    let p = csv_bank::parse(text.as_bytes(), None);
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.rows[1].description.len(), 4096);
    assert!(p.rows[1].description.chars().all(|c| c == 'é'));
    let warnings = only(&p, Severity::Warning);
    let cut = warnings.iter().find(|d| d.message.contains("cut")).expect("a warning about the cut");
    assert_eq!((cut.line, cut.field.as_deref()), (3, Some("Description")));
    assert!(cut.message.contains("6000 bytes"), "{}", cut.message);
}

#[test]
fn a_long_amount_is_an_error_not_cut() {
    let text = format!("{HEADER}01.01.2024;1{},00;tea\n", "0".repeat(5000));
    let p = csv_bank::parse(text.as_bytes(), None);
    assert_eq!(p.rows.len(), 1, "the long amount's row is left out");
    let errors = only(&p, Severity::Error);
    assert_eq!((errors[0].line, errors[0].field.as_deref()), (3, Some("Amount")));
    assert!(errors[0].message.contains("too long for an amount"), "{}", errors[0].message);
    assert!(errors[0].message.len() < 200, "the message does not quote the value");
}

#[test]
fn continuation_rows_stop_at_the_text_limit() {
    let head = "Transaction date,Value date,Description,Withdrawals (SGD),Deposits (SGD)\n\
                05/01/2024,05/01/2024,Shop,12.50,\n";
    let text = format!("{head}{}", ",,more text,,\n".repeat(1000));
    let p = csv_bank::parse(text.as_bytes(), None);
    assert_eq!(p.rows.len(), 1);
    assert_eq!(p.rows[0].description.len(), 4096);
    let cut: Vec<&Diagnostic> =
        only(&p, Severity::Warning).into_iter().filter(|d| d.message.contains("passes")).collect();
    assert_eq!(cut.len(), 1, "one warning, where the limit was passed");
    assert_eq!(cut[0].field.as_deref(), Some("Description"));
}

#[test]
fn native_fields_past_the_limit_are_errors() {
    let header = "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,\
                  counterparty_account,transfer_group_id\n";
    let text = format!("{header}t1,checking,2024-01-05,-1.00,EUR,expense,,{},Shop,,\n", "A".repeat(5000));
    let p = native::parse_transactions(text.as_bytes());
    assert!(p.rows.is_empty());
    let d = &p.diagnostics[0];
    assert_eq!((d.line, d.field.as_deref(), d.severity), (2, Some("description"), Severity::Error));
    assert!(d.message.contains("5000 bytes"), "{}", d.message);
}
