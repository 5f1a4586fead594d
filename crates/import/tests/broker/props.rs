//! Properties over generated broker files: fractional quantities come back
//! exactly as written, and the cash the trades move is the cash the file
//! books, however a broker orders the lines that belong together.

use std::fmt::Write;

use kassa_import::{TradeRow, TradeSide};
use proptest::prelude::*;
use rust_decimal::Decimal;

const T212: &str = "Action,Time,ISIN,Ticker,Name,No. of shares,Price / share,Currency (Price / share),\
Exchange rate,Result,Currency (Result),Total,Currency (Total),Withholding tax,Currency (Withholding tax),Notes,ID\n";
const DEGIRO: &str = "Datum,Tijd,Valutadatum,Product,ISIN,Omschrijving,FX,Mutatie,,Saldo,,Order Id\n";

/// A share count with up to ten places, as Trading 212 writes it.
fn shares() -> impl Strategy<Value = Decimal> {
    (1u64..10_000_000_000_000, 0u32..=10).prop_map(|(m, scale)| Decimal::new(m as i64, scale))
}

fn cents() -> impl Strategy<Value = Decimal> {
    (1i64..10_000_000).prop_map(|c| Decimal::new(c, 2))
}

fn comma(d: Decimal) -> String {
    d.to_string().replace('.', ",")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn trading212_quantities_and_totals_are_exact(
        rows in proptest::collection::vec((shares(), cents(), cents(), any::<bool>()), 1..40)
    ) {
        let mut file = T212.to_string();
        for (i, (q, price, total, buy)) in rows.iter().enumerate() {
            let action = if *buy { "Market buy" } else { "Market sell" };
            writeln!(file, "{action},2024-01-01 10:00:{:02},US0378331005,AAPL,\"Apple\",{q},{price},USD,1.1,,EUR,{total},EUR,,,,ID{i}", i % 60).unwrap();
        }
        let p = kassa_import::parse(file.as_bytes(), None, None);
        prop_assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        prop_assert_eq!(p.trades.len(), rows.len());
        let mut booked = Decimal::ZERO;
        for (t, (q, _, total, buy)) in p.trades.iter().zip(&rows) {
            prop_assert_eq!(t.quantity.to_string(), q.to_string());
            booked += if *buy { -*total } else { *total };
        }
        prop_assert_eq!(p.trades.iter().map(TradeRow::cash_effect).sum::<Decimal>(), booked);
    }

    /// DEGIRO's dividend and its tax, and an order and its cost line, join
    /// whichever comes first.
    #[test]
    fn degiro_pairs_in_either_order(
        pairs in proptest::collection::vec((cents(), cents(), any::<bool>(), any::<bool>()), 1..30)
    ) {
        let mut file = DEGIRO.to_string();
        let mut booked = Decimal::ZERO;
        for (i, (gross, small, tax_first, order)) in pairs.iter().enumerate() {
            let tax = (*small / Decimal::from(10)).round_dp(2).max(Decimal::new(1, 2));
            let time = format!("{:02}:{:02}", i / 60, i % 60);
            let (first, second) = if *order {
                let buy = format!("15-03-2024,{time},,ETF,IE00B4L5Y983,\"Koop 2 @ {} EUR\",,EUR,\"-{}\",EUR,\"0\",o{i}", comma(*gross), comma(*gross * Decimal::TWO));
                let cost = format!("15-03-2024,{time},,ETF,IE00B4L5Y983,DEGIRO transactiekosten,,EUR,\"-{}\",EUR,\"0\",o{i}", comma(tax));
                booked -= *gross * Decimal::TWO + tax;
                (cost, buy)
            } else {
                let div = format!("15-03-2024,{time},,ETF,IE00B4L5Y983,Dividend,,EUR,\"{}\",EUR,\"0\",", comma(*gross));
                let wht = format!("15-03-2024,{time},,ETF,IE00B4L5Y983,Dividendbelasting,,EUR,\"-{}\",EUR,\"0\",", comma(tax));
                booked += *gross - tax;
                (wht, div)
            };
            let (a, b) = if *tax_first { (first, second) } else { (second, first) };
            writeln!(file, "{a}\n{b}").unwrap();
        }
        let p = kassa_import::parse(file.as_bytes(), None, None);
        prop_assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        prop_assert_eq!(p.trades.len(), pairs.len(), "one trade per pair");
        for t in &p.trades {
            prop_assert!(matches!(t.side, TradeSide::Buy | TradeSide::Dividend));
            prop_assert!(!t.fees.is_zero() || !t.detail.withholding_tax.is_zero());
        }
        prop_assert_eq!(p.trades.iter().map(TradeRow::cash_effect).sum::<Decimal>(), booked);
    }
}
