//! The corpus's broker files.

use kassa_import::{Format, ParsedFile, TradeRow, TradeSide, detect::detect};
use rust_decimal::Decimal;

use super::{corpus_broker, files_in, summary};

#[test]
fn every_corpus_broker_file_snapshots() {
    let Some(dir) = corpus_broker() else { return };
    for path in files_in(&dir) {
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(detect(&bytes), Some(Format::Broker), "{}", path.display());
        let parsed = kassa_import::parse(&bytes, None, None);
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(format!("corpus-{stem}"), summary(&parsed));
    }
}

/// A corpus broker file parsed, or `None` when the corpus is absent.
fn corpus_file(name: &str) -> Option<(Vec<u8>, ParsedFile)> {
    let bytes = std::fs::read(corpus_broker()?.join(name)).unwrap();
    let parsed = kassa_import::parse(&bytes, None, None);
    Some((bytes, parsed))
}

/// What the file's rows and trades do to the account's cash, all currencies together.
fn cash_change(p: &ParsedFile) -> Decimal {
    p.rows.iter().map(|r| r.amount).sum::<Decimal>() + p.trades.iter().map(TradeRow::cash_effect).sum::<Decimal>()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// DEGIRO prints the balance after every line (newest first). From the
/// balance before the oldest line, the rows and trades reach the newest
/// balance, except where DEGIRO's own balance does not follow its lines,
/// each named here.
#[test]
fn degiro_reproduces_its_running_balance() {
    let Some((bytes, p)) = corpus_file("degiro-account-nl.csv") else { return };
    assert!(!p.has_errors(), "{:#?}", p.diagnostics);
    let lines: Vec<csv::StringRecord> =
        csv::ReaderBuilder::new().flexible(true).from_reader(&bytes[..]).records().map(Result::unwrap).collect();
    let comma = |s: &str| dec(&s.replace('.', "").replace(',', "."));
    let (newest, oldest) = (&lines[0], &lines[lines.len() - 1]);
    let opening = comma(&oldest[10]) - comma(&oldest[8]);
    let closing = comma(&newest[10]);
    let drift = [
        // Line 19: "iDEAL storting" of 557.10 after which the balance is 0.
        dec("-1114.20"),
        // Line 14: the withdrawal of 334.35 is printed twice; the balance moves once.
        dec("334.35"),
        // Lines 7, 4 and 2: the money-market fund's conversions cost cents no line shows.
        dec("-0.02"),
        dec("-0.01"),
        dec("-0.01"),
    ];
    assert_eq!(opening + cash_change(&p) + drift.iter().sum::<Decimal>(), closing);
    // Dividends and their tax are one trade each; the order's cost is in its sale.
    let sale = p.trades.iter().find(|t| t.line == 18).unwrap();
    assert_eq!((sale.side, sale.fees, sale.cash_effect()), (TradeSide::Sell, dec("2.00"), dec("334.48")));
    let paired = p.trades.iter().filter(|t| t.side == TradeSide::Dividend && !t.detail.withholding_tax.is_zero());
    assert_eq!(paired.count(), 6);
}

/// Schwab's `Amount` column is every cash movement: the rows and trades
/// move the cash by exactly its sum. (This corpus file's `Transactions
/// Total` footer, -$26,582.91, matches no run of its lines: it is stitched
/// from several exports, so the column, not the footer, is the check.)
#[test]
fn schwab_reproduces_its_amounts() {
    let Some((bytes, p)) = corpus_file("schwab-brokerage-us.csv") else { return };
    assert!(!p.has_errors(), "{:#?}", p.diagnostics);
    let mut amounts = Decimal::ZERO;
    let mut lines = csv::ReaderBuilder::new().flexible(true).from_reader(&bytes[..]);
    for rec in lines.records().map(Result::unwrap) {
        if &rec[0] != "Transactions Total" && !rec[7].is_empty() {
            amounts += dec(&rec[7].replace(['$', ','], ""));
        }
    }
    assert_eq!(cash_change(&p), amounts);
    assert_eq!(amounts, dec("400074.19"));
    // Every buy and sell is quantity × price ± fees, up to the price's
    // rounding to the cent that Schwab prints (half a cent per share).
    for t in p.trades.iter().filter(|t| matches!(t.side, TradeSide::Buy | TradeSide::Sell)) {
        let booked = t.detail.cash_amount.unwrap();
        let formula = match t.side {
            TradeSide::Buy => -(t.quantity * t.price + t.fees),
            _ => t.quantity * t.price - t.fees,
        };
        let slack = t.quantity * dec("0.005") + dec("0.01");
        assert!((formula - booked).abs() <= slack, "line {}: {formula} vs {booked}", t.line);
    }
}

/// IBKR's `NetCash` is quantity × price plus commission, exactly.
#[test]
fn ibkr_net_cash_is_the_formula() {
    let Some((_, p)) = corpus_file("ibkr-flex-trades.csv") else { return };
    assert_eq!(p.trades.len(), 1);
    let t = &p.trades[0];
    assert_eq!(-(t.quantity * t.price + t.fees), t.detail.cash_amount.unwrap());
    assert_eq!(t.trade_time, "2023-04-03T09:58:53");
    assert_eq!(t.detail.fx_rate, Some(dec("0.9127")));
}

/// Saxo's booked amounts are the deal plus its commission; Trading 212's
/// fractional shares keep all ten places.
#[test]
fn saxo_fees_and_trading212_fractions() {
    let Some((_, saxo)) = corpus_file("saxo-mixed-decimal.csv") else { return };
    for t in saxo.trades.iter().filter(|t| t.side == TradeSide::Buy && t.currency.map(|c| c.code()) == Some("USD")) {
        assert_eq!(-(t.quantity * t.price + t.fees), t.detail.cash_amount.unwrap(), "line {}", t.line);
    }
    let Some((_, t212)) = corpus_file("trading212-multicurrency.csv") else { return };
    assert_eq!(t212.trades[0].quantity.to_string(), "0.0290530000");
    let split = t212.trades.iter().find(|t| t.side == TradeSide::Split).unwrap();
    assert_eq!(split.detail.ratio, Some(dec("0.25")));
}
