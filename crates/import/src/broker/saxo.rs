//! Saxo Bank's account statement: `02-Apr-2025` (Dutch month names too),
//! the deal in the `Event` column (`Sell 3 @ 139.74 USD`, `Koop 1.5 @ 110.01
//! EUR`), and amounts whose decimal mark changes from row to row (`1.83`,
//! `"419,22"`). `Amount` is the cash booked; on a deal in the account's
//! currency what it exceeds `quantity × price` by is the commission.

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::{Reader, Row, at_price, cash, positive, trade};
use crate::model::{Diagnostic, ParsedFile, TradeSide};
use crate::numbers::DecimalMark::Auto;
use crate::util;

pub(super) struct Saxo;

/// `DD-Mon-YYYY` with English or Dutch month abbreviations, any case.
fn dmy_month(s: &str) -> Option<Date> {
    let mut p = s.trim().split('-');
    let (d, m, y) = (p.next()?, p.next()?, p.next()?);
    if p.next().is_some() || y.len() != 4 {
        return None;
    }
    let month = match m.to_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" | "mrt" => 3,
        "apr" => 4,
        "may" | "mei" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" | "okt" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    util::ymd(util::digits(y)?, month, util::digits(d)?)
}

impl Reader for Saxo {
    fn row(&mut self, row: &Row, out: &mut ParsedFile) -> Result<(), Diagnostic> {
        let date = row.date("trade date", dmy_month, "DD-Mon-YYYY")?;
        let value_date = row.opt_date("value date", dmy_month, "DD-Mon-YYYY")?;
        let event = row.text("event").unwrap_or_default();
        let amount = row.req("amount", Auto)?;
        let currency = row.currency("instrument currency")?;
        let rate = row.num("conversion rate", Auto)?;
        let mut t = trade(row, date, date.to_string(), TradeSide::Buy);
        t.isin = row.text("instrument isin");
        // `VWRA:xlon`: the ticker and the venue's MIC.
        t.symbol = row.text("instrument symbol").map(|s| s.split(':').next().unwrap_or(&s).to_string());
        t.detail.name = row.text("instrument");
        t.external_id = row.text("order id");
        t.currency = currency;
        t.detail.cash_amount = Some(amount);
        if let Some(deal) = at_price(&event, Auto) {
            t.side = deal.side;
            t.quantity = positive(row, "Event", deal.quantity)?;
            t.price = super::not_negative(row, "Event", deal.price)?;
            t.currency = deal.currency.or(currency);
            let wrong_sign = if deal.side == TradeSide::Buy { amount > Decimal::ZERO } else { amount < Decimal::ZERO };
            if wrong_sign {
                return Err(row.error("Amount", format!("Amount {amount} has the wrong sign for {event:?}")));
            }
            let same_currency = rate.is_none_or(|r| r == Decimal::ONE);
            if same_currency {
                let fee = deal.quantity * deal.price - amount.abs();
                let fee = if deal.side == TradeSide::Buy { -fee } else { fee };
                if fee < Decimal::ZERO {
                    out.diagnostics.push(Diagnostic::warning(
                        row.line,
                        Some("Amount"),
                        format!("Amount {amount} is short of {event:?} by {}; the booked amount is kept", -fee),
                    ));
                } else {
                    t.fees = fee;
                }
            } else {
                t.detail.fx_rate = rate;
            }
        } else if event.to_lowercase().contains("dividend") && t.isin.is_some() {
            t.side = TradeSide::Dividend;
            t.detail.amount = Some(amount);
        } else if event.to_lowercase().contains("interest") {
            t.side = TradeSide::Interest;
            t.detail.amount = Some(amount);
        } else {
            // Deposits, withdrawals, custody fees, conversions.
            let text = util::join_distinct([event.as_str(), row.raw("type")], " - ");
            let mut r = cash(row, date, amount, currency, text);
            r.value_date = value_date;
            out.rows.push(r);
            return Ok(());
        }
        out.trades.push(t);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_names() {
        assert_eq!(dmy_month("02-Apr-2025"), Some(jiff::civil::date(2025, 4, 2)));
        assert_eq!(dmy_month("16-jan-2025"), Some(jiff::civil::date(2025, 1, 16)));
        assert_eq!(dmy_month("31-Apr-2025"), None);
    }
}
