//! Our own small files for what the corpus lacks: several MT940 statements
//! with a year wrap, a camt batch of three and a pending entry, QIF splits and
//! transfers, OFX 2.x XML with two statements, an OFX investment statement.

use jiff::civil::date;
use kassa_import::{ParsedFile, RowStatus, Severity, TradeSide};
use rust_decimal::Decimal;

use super::summary::summarize;
use crate::{files_in, fixtures_dir, parser_for};

fn parse_fixture(dir: &str, name: &str) -> ParsedFile {
    let bytes = std::fs::read(fixtures_dir().join(dir).join(name)).expect("fixture exists");
    parser_for(dir).expect("known format")(&bytes)
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("test decimal")
}

fn errors(p: &ParsedFile) -> Vec<(usize, Option<&str>)> {
    p.diagnostics.iter().filter(|d| d.severity == Severity::Error).map(|d| (d.line, d.field.as_deref())).collect()
}

#[test]
fn fixture_snapshots() {
    for dir in ["ofx", "qif", "camt", "mt940"] {
        let parse = parser_for(dir).expect("known format");
        for path in files_in(&fixtures_dir().join(dir)) {
            let bytes = std::fs::read(&path).expect("fixture readable");
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
            insta::assert_yaml_snapshot!(format!("fixture__{dir}__{name}"), summarize(&parse(&bytes)));
        }
    }
}

#[test]
fn mt940_two_statements_with_year_wrap() {
    let p = parse_fixture("mt940", "two-statements-wrap.sta");
    assert_eq!(p.rows.len(), 4, "{:#?}", p.diagnostics);
    let wrap = &p.rows[0];
    // Value date 2 Jan 2024, booked 31 Dec 2023.
    assert_eq!((wrap.date, wrap.value_date), (date(2023, 12, 31), Some(date(2024, 1, 2))));
    assert_eq!(wrap.amount, dec("-25.50"));
    assert_eq!(wrap.external_id.as_deref(), Some("B2401020001"));
    assert_eq!(wrap.counterparty.as_deref(), Some("Jan Jansen Verhuur"));
    assert_eq!(wrap.counterparty_account.as_deref(), Some("NL20INGB0001234567"));
    assert_eq!(wrap.description, "Huur januari");
    assert_eq!(p.rows[1].amount, dec("100"));
    assert_eq!(p.rows[1].external_id, None);
    // RD: reversal of a debit is money back in.
    assert_eq!(p.rows[2].amount, dec("4.50"));
    let sepa = &p.rows[3];
    assert_eq!(sepa.account.number.as_deref(), Some("0532013000"));
    assert_eq!(sepa.account.institution.as_deref(), Some("37040044"));
    assert_eq!(sepa.description, "Strom Januar 2024");
    assert_eq!(sepa.counterparty.as_deref(), Some("Stadtwerke Musterstadt GmbH"));
    assert_eq!(sepa.amount, dec("-12.34"));
    // The impossible value date 23-13-29 is an error naming line and field.
    assert_eq!(errors(&p), vec![(13, Some("61"))]);
    let kinds: Vec<&str> = p.balances.iter().map(|b| b.kind.as_str()).collect();
    // `:62M:` and `:60M:` are a statement's intermediate balances, not its ends.
    assert_eq!(kinds, ["opening", "intermediate", "intermediate opening", "closing", "available", "forward"]);
    // Statement 1: 1000 - 25.50 + 100 + 4.50 = 1079 (the bad row is not in it).
    assert_eq!(p.balances[1].amount, dec("1079.00"));
}

#[test]
fn camt_batch_of_three_and_pending() {
    let p = parse_fixture("camt", "camt052-v08-batch-pending.xml");
    let amounts: Vec<Decimal> = p.rows.iter().map(|r| r.amount).collect();
    assert_eq!(amounts, [dec("-100.00"), dec("-150.25"), dec("-50.00"), dec("-40.00")]);
    let ids: Vec<Option<&str>> = p.rows.iter().map(|r| r.external_id.as_deref()).collect();
    assert_eq!(ids, [Some("BATCH-0301-7/1"), Some("BATCH-0301-7/2"), Some("BATCH-0301-7/3"), Some("CARD-99812")]);
    assert_eq!(p.rows[0].counterparty.as_deref(), Some("Anna Schmidt"));
    assert_eq!(p.rows[0].counterparty_account.as_deref(), Some("DE02120300000000202051"));
    assert_eq!(p.rows[0].description, "Lohn Maerz Teil 1");
    assert_eq!(p.rows[2].counterparty.as_deref(), Some("Cem & Co"));
    assert_eq!(p.rows[2].description, "Aushilfe");
    let pending = &p.rows[3];
    assert_eq!(pending.status, RowStatus::Pending);
    assert_eq!(pending.date, date(2024, 3, 2), "no booking date: the value date");
    assert_eq!(pending.counterparty.as_deref(), Some("Tankstelle Nord"));
    let errs = errors(&p);
    assert_eq!(errs.len(), 2, "{:#?}", p.diagnostics);
    assert_eq!(errs[0].1, Some("Ntry/BookgDt"));
    assert_eq!(errs[1].1, Some("Ntry/Amt"));
    // 1000 - 300.25 = 699.75: the interim booked balance leaves out the
    // pending card payment.
    assert_eq!(p.balances[1].amount, dec("699.75"));
}

#[test]
fn qif_splits_transfers_and_day_first() {
    let p = parse_fixture("qif", "splits-transfer-dmy.qif");
    assert_eq!(p.rows.len(), 3, "{:#?}", p.diagnostics);
    let split = &p.rows[0];
    assert_eq!(split.date, date(2024, 1, 31));
    assert_eq!(split.amount, dec("-1234.56"));
    assert_eq!(split.category, None);
    assert_eq!(split.description, "Supermarket - Weekly shop [split: Groceries Food -1000.00; Household -234.56]");
    assert_eq!(split.account.account_ref.as_deref(), Some("Checking"));
    let transfer = &p.rows[1];
    assert_eq!(transfer.date, date(2024, 2, 1));
    assert_eq!(transfer.section.as_deref(), Some("transfer"));
    assert_eq!(transfer.category.as_deref(), Some("Savings"));
    let card = &p.rows[2];
    assert_eq!(card.account.account_ref.as_deref(), Some("Visa"));
    assert_eq!(card.category.as_deref(), Some("Dining:Coffee"));
    assert_eq!(errors(&p), vec![(32, Some("T")), (35, Some("D"))]);
}

#[test]
fn qif_date_order_override() {
    let bytes = b"!Type:Bank\nD01/02/2024\nT-1.00\n^\n";
    let auto = kassa_import::qif::parse(bytes);
    assert_eq!(auto.rows[0].date, date(2024, 1, 2), "US month-first by default");
    let eu = kassa_import::qif::parse_with(bytes, kassa_import::qif::DateOrder::DayFirst);
    assert_eq!(eu.rows[0].date, date(2024, 2, 1));
}

#[test]
fn ofx_v2_xml_two_statements() {
    let p = parse_fixture("ofx", "v2-xml-bank-and-card.ofx");
    assert_eq!(p.rows.len(), 4, "{:#?}", p.diagnostics);
    let rent = &p.rows[0];
    assert_eq!(rent.date, date(2024, 1, 5), "civil date as written, zone not applied");
    assert_eq!(rent.value_date, Some(date(2024, 1, 6)));
    assert_eq!(rent.counterparty.as_deref(), Some("Landlord & Sons LLC"));
    assert_eq!(rent.description, "Landlord & Sons LLC - January rent");
    assert_eq!(rent.account.institution.as_deref(), Some("021000021"));
    let card = &p.rows[2];
    assert_eq!(card.account.number.as_deref(), Some("4111111111111111"));
    assert_eq!(card.currency.map(|c| c.to_string()).as_deref(), Some("EUR"));
    assert_eq!(errors(&p), vec![(49, Some("DTPOSTED")), (56, Some("TRNAMT"))]);
    assert_eq!(p.balances.len(), 3);
}

#[test]
fn ofx_investment_trades_and_income() {
    let p = parse_fixture("ofx", "investment-seclist.ofx");
    let sides: Vec<TradeSide> = p.trades.iter().map(|t| t.side).collect();
    use TradeSide::*;
    assert_eq!(sides, [Buy, Sell, Dividend, Dividend, Buy, TransferIn], "{:#?}", p.diagnostics);
    let buy = &p.trades[0];
    assert_eq!(buy.symbol.as_deref(), Some("AAPL"));
    assert_eq!(buy.detail.name.as_deref(), Some("Apple Inc."));
    assert_eq!(buy.isin, None);
    assert_eq!((buy.quantity, buy.price, buy.fees), (dec("10"), dec("185.50"), dec("5.00")));
    assert_eq!(buy.trade_time, "2024-01-05T14:30:00-05:00");
    let sell = &p.trades[1];
    assert_eq!((sell.symbol.as_deref(), sell.isin.as_deref()), (Some("IWDA"), Some("IE00B4L5Y983")));
    assert_eq!(sell.quantity, dec("3.5"));
    assert_eq!(p.trades[2].detail.amount, Some(dec("2.40")), "INCOME DIV is a dividend");
    // REINVEST: the dividend in and the units bought with it out.
    assert_eq!((p.trades[3].cash_effect(), p.trades[4].cash_effect()), (dec("12.00"), dec("-12.00")));
    assert_eq!(p.trades[4].quantity, dec("0.133"));
    assert_eq!(p.trades[5].quantity, dec("5"), "TRANSFER IN moves shares");
    let amounts: Vec<Decimal> = p.rows.iter().map(|r| r.amount).collect();
    assert_eq!(amounts, [dec("5000.00")]);
    assert_eq!(errors(&p).len(), 1);
    assert_eq!(p.balances.len(), 1);
}

/// Every investment transaction kind, 4-decimal UNITS, UNITPRICE and TOTAL
/// kept exact, securities named by the SECLIST, and the statement's cash
/// balance reproduced from its rows and trades.
#[test]
fn ofx_investment_every_kind() {
    let p = parse_fixture("ofx", "investment-every-kind.ofx");
    use TradeSide::*;
    let got: Vec<(TradeSide, Option<&str>)> = p.trades.iter().map(|t| (t.side, t.symbol.as_deref())).collect();
    let want = [
        (Buy, Some("VTI")),
        (Buy, Some("IE00B4L5Y983")),
        (Sell, Some("VTI")),
        (Dividend, Some("VTI")),
        (Interest, None),
        (Dividend, Some("IE00B4L5Y983")),
        (Dividend, Some("VTI")),
        (Buy, Some("VTI")),
        (Fee, Some("VTI")),
        (Split, Some("VTI")),
        (TransferIn, Some("AAPL")),
        (TransferOut, Some("IE00B4L5Y983")),
    ];
    assert_eq!(got, want, "{:#?}", p.diagnostics);
    let buy = &p.trades[0];
    assert_eq!((buy.quantity, buy.price, buy.fees), (dec("12.3456"), dec("201.1234"), dec("1.2500")));
    assert_eq!(buy.detail.cash_amount, Some(dec("-2484.2390")));
    assert_eq!(buy.detail.name.as_deref(), Some("Vanguard Total Stock Market ETF"));
    assert_eq!(buy.isin, None, "a CUSIP is no ISIN");
    assert_eq!(p.trades[1].detail.name.as_deref(), Some("iShares Core MSCI World"));
    assert_eq!(p.trades[1].isin.as_deref(), Some("IE00B4L5Y983"));
    let div = &p.trades[3];
    assert_eq!((div.detail.amount, div.detail.withholding_tax), (Some(dec("18.1234")), dec("2.7185")));
    assert_eq!(p.trades[6].detail.amount, Some(dec("21.0420")), "REINVEST CGLONG is income");
    assert_eq!(p.trades[9].detail.ratio, Some(dec("4")));
    assert_eq!(p.trades[10].detail.cost_basis, Some(dec("1050.8750")), "7 units at 150.1250");
    // RETOFCAP is cash; the buy at a negative price is refused by name.
    assert_eq!(p.rows.iter().map(|r| r.amount).collect::<Vec<_>>(), [dec("10000.0000"), dec("1.5000")]);
    let bad: Vec<_> = p.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert_eq!(bad.len(), 1, "{bad:#?}");
    assert_eq!(bad[0].field.as_deref(), Some("UNITPRICE"));
    let cash: Decimal =
        p.rows.iter().map(|r| r.amount).sum::<Decimal>() + p.trades.iter().map(|t| t.cash_effect()).sum::<Decimal>();
    assert_eq!(p.balances[0].kind, "available");
    assert_eq!(cash, p.balances[0].amount);
}

/// Shapes real banks send that other parsers' suites carry: an amount on
/// the line after `:61:`, 30 February, `:62M:`/`:60M:` intermediate
/// balances, an absent or blank entry date. Every row is kept.
#[test]
fn mt940_wrapped_amount_feb30_intermediate_balances_and_no_entry_date() {
    let p = parse_fixture("mt940", "edges-wrap-feb30-62m.sta");
    let got: Vec<(Option<&str>, Decimal, jiff::civil::Date)> =
        p.rows.iter().map(|r| (r.external_id.as_deref(), r.amount, r.date)).collect();
    assert_eq!(
        got,
        [
            (Some("WRAP-1"), dec("-25.00"), date(2024, 2, 27)),
            (Some("FEB30"), dec("100.00"), date(2024, 2, 29)),
            (Some("EMPTY-ENTRY"), dec("-10.00"), date(2024, 3, 1)),
            (Some("BLANK-ENTRY"), dec("-5.00"), date(2024, 3, 2)),
        ],
        "{:#?}",
        p.diagnostics
    );
    assert_eq!(p.rows[0].description, "Amount wrapped onto the next line");
    assert_eq!(errors(&p), vec![], "{:#?}", p.diagnostics);
    // The clamped date is said, on its line.
    assert!(p.diagnostics.iter().any(|d| d.line == 8 && d.message.contains("2024-02-29")), "{:#?}", p.diagnostics);
    let kinds: Vec<&str> = p.balances.iter().map(|b| b.kind.as_str()).collect();
    assert_eq!(kinds, ["opening", "intermediate", "intermediate opening", "closing"]);
    let sum: Decimal = p.rows.iter().map(|r| r.amount).sum();
    assert_eq!(dec("500.00") + sum, p.balances[3].amount);
}

/// A 1998 statement in Deutsche Mark: the rows keep DEM, whatever the
/// account's currency is today.
#[test]
fn mt940_old_statement_in_dem() {
    let p = parse_fixture("mt940", "dem-1998.sta");
    assert_eq!(errors(&p), vec![], "{:#?}", p.diagnostics);
    let dem = kassa_core::Currency::parse("DEM").expect("DEM is a currency");
    let got: Vec<(Decimal, Option<kassa_core::Currency>)> = p.rows.iter().map(|r| (r.amount, r.currency)).collect();
    assert_eq!(got, [(dec("-150.00"), Some(dem)), (dec("49.50"), Some(dem))]);
    assert_eq!(p.balances.last().map(|b| b.amount), Some(dec("1899.50")));
}

/// MT942 interim reports: no `:60F:`, a floor limit `:34F:`, a timestamp
/// `:13D:` and the `:90D:`/`:90C:` counts; sniffed and read like MT940.
#[test]
fn mt942_interim_report() {
    let bytes = std::fs::read(fixtures_dir().join("mt940/mt942-interim.sta")).unwrap();
    assert_eq!(kassa_import::detect::detect(&bytes), Some(kassa_import::Format::Mt940));
    assert!(kassa_import::mt940::sniff(&String::from_utf8_lossy(&bytes)));
    let p = kassa_import::mt940::parse(&bytes);
    assert_eq!(errors(&p), vec![], "{:#?}", p.diagnostics);
    let amounts: Vec<Decimal> = p.rows.iter().map(|r| r.amount).collect();
    assert_eq!(amounts, [dec("-42.10"), dec("7.90")]);
    assert_eq!(p.rows[0].counterparty.as_deref(), Some("Bakker BV"));
    assert!(p.rows.iter().all(|r| r.currency == kassa_core::Currency::parse("EUR").ok()), "{:?}", p.rows);
}
