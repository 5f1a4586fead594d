//! Directa SIM's movements (Italian): a block of account facts before the
//! header, `DD-MM-YYYY`, dot decimals, `Importo euro` the cash booked.
//! A buy (`Acquisto`) or sale (`Vendita`) gives the quantity and the amount
//! with commission, not the price: the price is the amount over the
//! quantity, and the amount stays exact as the trade's cash. ETF distributions
//! (`Provento etf`) and bond coupons (`Cedola obb.`) come with the tax
//! withheld from them on the next line (`Rit.provento etf`, `Rit.cedola obb.`).

use rust_decimal::Decimal;

use super::{Moment, Reader, Row, cash, dmy_dash, positive, trade};
use crate::model::{Diagnostic, ParsedFile, TradeSide};
use crate::numbers::DecimalMark::Dot;

/// Places a derived price keeps (well past any quoted price).
const PRICE_DP: u32 = 10;

#[derive(Default)]
pub(super) struct Directa {
    moment: Moment,
}

impl Reader for Directa {
    fn row(&mut self, row: &Row, out: &mut ParsedFile) -> Result<(), Diagnostic> {
        let date = row.date("data operazione", dmy_dash, "DD-MM-YYYY")?;
        let value_date = row.opt_date("data valuta", dmy_dash, "DD-MM-YYYY")?;
        let kind = row.text("tipo operazione").unwrap_or_default();
        let amount = row.num("importo euro", Dot)?;
        let Some(amount) = amount.filter(|_| !kind.is_empty()) else {
            out.diagnostics.push(Diagnostic::warning(
                row.line,
                Some("Tipo operazione"),
                "row without an operation type or amount; skipped",
            ));
            return Ok(());
        };
        let isin = row.text("isin");
        self.moment.at(format!("{date} {}", isin.as_deref().unwrap_or("")), out);
        let mut t = trade(row, date, date.to_string(), TradeSide::Buy);
        t.isin = isin;
        t.symbol = row.text("ticker");
        t.detail.name = row.text("descrizione");
        t.currency = row.currency("divisa")?;
        t.external_id = row.text("riferimento ordine");
        let lower = kind.to_lowercase();
        let withheld = lower.starts_with("rit.");
        let income = lower.trim_start_matches("rit.");
        if lower == "acquisto" || lower == "vendita" {
            t.side = if lower == "acquisto" { TradeSide::Buy } else { TradeSide::Sell };
            let q = positive(row, "Quantità", row.req("quantità", Dot)?)?;
            let wrong_sign = if t.side == TradeSide::Buy { amount > Decimal::ZERO } else { amount < Decimal::ZERO };
            if wrong_sign {
                return Err(row.error("Importo euro", format!("Importo euro {amount} has the wrong sign for {kind}")));
            }
            t.quantity = q;
            t.price = (amount.abs() / q).round_dp(PRICE_DP);
            t.detail.cash_amount = Some(amount);
            self.moment.trades.push(t);
        } else if income.starts_with("provento") || income.starts_with("dividend") {
            t.side = TradeSide::Dividend;
            if withheld { self.moment.add_tax(t, amount) } else { self.moment.add_income(t, amount) }
        } else if t.isin.is_some() && (income.starts_with("cedola") || income.starts_with("coupon")) {
            t.side = TradeSide::Interest;
            if withheld { self.moment.add_tax(t, amount) } else { self.moment.add_income(t, amount) }
        } else {
            // Transfers in, capital-gains tax, stamp duty: cash only.
            let mut r = cash(row, date, amount, t.currency, kind);
            r.value_date = value_date;
            out.rows.push(r);
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut ParsedFile) {
        self.moment.flush(out);
    }
}
