//! Our own broker files, each with good rows beside broken ones: every
//! broken row is an error naming its line and column, and leaves nothing
//! behind; the good rows around it are read.

use kassa_import::{Format, ParsedFile, Severity, TradeSide, detect::detect};
use rust_decimal::Decimal;

use super::{files_in, fixtures_dir, summary};

fn fixture(name: &str) -> ParsedFile {
    let bytes = std::fs::read(fixtures_dir().join(name)).unwrap();
    assert_eq!(detect(&bytes), Some(Format::Broker), "{name}");
    kassa_import::parse(&bytes, None, None)
}

/// (line, column) of every error.
fn errors(p: &ParsedFile) -> Vec<(usize, String)> {
    p.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.line, d.field.clone().unwrap_or_default()))
        .collect()
}

/// No trade or row comes from a line that has an error.
fn nothing_from_bad_lines(p: &ParsedFile) {
    let bad: Vec<usize> = errors(p).iter().map(|(l, _)| *l).collect();
    for t in &p.trades {
        assert!(!bad.contains(&t.line), "trade from bad line {}", t.line);
    }
    for r in &p.rows {
        assert!(!bad.contains(&r.line), "row from bad line {}", r.line);
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn errs(list: &[(usize, &str)]) -> Vec<(usize, String)> {
    list.iter().map(|(l, f)| (*l, f.to_string())).collect()
}

#[test]
fn fixture_snapshots() {
    for path in files_in(&fixtures_dir()) {
        let p = kassa_import::parse(&std::fs::read(&path).unwrap(), None, None);
        nothing_from_bad_lines(&p);
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(format!("fixture-{stem}"), summary(&p));
    }
}

#[test]
fn degiro_pairs_lines_that_come_before_their_trade() {
    let p = fixture("degiro-bad-rows.csv");
    assert_eq!(errs(&[(7, "Datum"), (8, "Omschrijving"), (9, "Mutatie")]), errors(&p));
    let buy = &p.trades.iter().find(|t| t.side == TradeSide::Buy).unwrap();
    // The cost line above the order (newest first) joins it.
    assert_eq!((buy.quantity, buy.price, buy.fees), (dec("1.5"), dec("1000.3333"), dec("1.00")));
    assert_eq!(buy.detail.cash_amount, Some(dec("-1501.50")));
    let div = p.trades.iter().find(|t| t.side == TradeSide::Dividend).unwrap();
    assert_eq!(
        (div.detail.amount, div.detail.withholding_tax, div.cash_effect()),
        (Some(dec("2.00")), dec("0.30"), dec("1.70"))
    );
    // The ISIN's check digit is wrong (…984); it is reported as written.
    assert_eq!(div.isin.as_deref(), Some("IE00B4L5Y984"));
}

#[test]
fn ibkr_sides_dates_and_prices() {
    let p = fixture("ibkr-bad-rows.csv");
    assert_eq!(errs(&[(3, "Quantity"), (4, "DateTime"), (5, "TradePrice")]), errors(&p));
    assert_eq!(p.trades.len(), 2);
    let small = &p.trades[1];
    assert_eq!(small.quantity.to_string(), "0.12345678");
    assert_eq!(-(small.quantity * small.price + small.fees), small.detail.cash_amount.unwrap());
    assert_eq!(p.trades[0].account.number.as_deref(), Some("U7"));
}

#[test]
fn trading212_fractions_and_unpaired_split() {
    let p = fixture("trading212-bad-rows.csv");
    assert_eq!(errs(&[(3, "No. of shares"), (5, "Action")]), errors(&p));
    assert_eq!(p.trades[0].quantity, dec("0.1234567891"));
    assert_eq!(p.trades[0].detail.cash_amount, Some(dec("-20.57")));
    assert_eq!(p.trades[0].detail.cash_currency.map(|c| c.code()), Some("EUR"));
    assert_eq!(p.rows[0].amount, dec("-10.00"), "a withdrawal is money out");
}

#[test]
fn schwab_rows_need_their_numbers() {
    let p = fixture("schwab-bad-rows.csv");
    assert_eq!(errs(&[(3, "Quantity"), (4, "Price"), (5, "Date")]), errors(&p));
    let sides: Vec<TradeSide> = p.trades.iter().map(|t| t.side).collect();
    assert_eq!(sides, [TradeSide::Buy, TradeSide::Dividend, TradeSide::Fee]);
    assert_eq!(p.trades[0].price, dec("250.1250"));
}

#[test]
fn saxo_signs_and_months() {
    let p = fixture("saxo-bad-rows.csv");
    assert_eq!(errs(&[(3, "Amount"), (4, "Trade Date")]), errors(&p));
    assert_eq!(p.trades[0].fees, dec("1.0040"), "124.46 booked for 10 × 12.3456");
    assert_eq!(p.rows[0].amount, dec("1000.50"), "the decimal mark is read per value");
}

#[test]
fn directa_after_its_header_block() {
    let p = fixture("directa-bad-rows.csv");
    assert_eq!(errs(&[(6, "Quantità"), (7, "Importo euro"), (10, "Importo euro")]), errors(&p));
    let buy = &p.trades[0];
    assert_eq!((buy.quantity, buy.price, buy.detail.cash_amount), (dec("7"), dec("100.01"), Some(dec("-700.07"))));
    let div = &p.trades[1];
    assert_eq!(
        (div.side, div.detail.withholding_tax, div.cash_effect()),
        (TradeSide::Dividend, dec("0.26"), dec("0.74"))
    );
}
