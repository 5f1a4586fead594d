//! DEGIRO's account statement (Dutch): `30-12-2019,15:58`, comma decimals,
//! newest line first. The amount and the balance sit in the unnamed columns
//! after `Mutatie` and `Saldo`, which hold their currencies. An order is a
//! `Koop`/`Verkoop N @ P CUR` line plus its `transactiekosten` line under the
//! same order id; a dividend is a `Dividend` line plus its
//! `Dividendbelasting` line at the same moment. Money-market-fund
//! conversions (`Conversie geldmarktfonds: Koop N @ P`) move units into or
//! out of the fund DEGIRO parks cash in, with no cash line of their own:
//! they are share transfers at their price, so the cash stays what the
//! statement says.

use rust_decimal::Decimal;

use super::{Moment, Reader, Row, at_price, cash, dmy_dash, positive, trade};
use crate::model::{Diagnostic, ParsedFile, TradeSide};
use crate::numbers::DecimalMark::Comma;

#[derive(Default)]
pub(super) struct Degiro {
    moment: Moment,
}

impl Reader for Degiro {
    fn row(&mut self, row: &Row, out: &mut ParsedFile) -> Result<(), Diagnostic> {
        let date = row.date("datum", dmy_dash, "DD-MM-YYYY")?;
        let value_date = row.opt_date("valutadatum", dmy_dash, "DD-MM-YYYY")?;
        let clock = row.raw("tijd");
        let time = if clock.is_empty() { date.to_string() } else { format!("{date}T{clock}") };
        let at = |col: &str, by: usize| row.cols.index(col).map_or("", |i| row.at(i + by));
        let amount = row.num_in("Mutatie", at("mutatie", 1), Comma)?;
        let currency = super::currency_in(row, "Mutatie", at("mutatie", 0))?;
        let balance = row.num_in("Saldo", at("saldo", 1), Comma)?;
        let description = row.text("omschrijving").unwrap_or_default();
        let order = row.text("order id");
        let isin = row.text("isin");
        self.moment.at(format!("{date} {clock}"), out);

        let mut t = trade(row, date, time, TradeSide::Buy);
        t.isin = isin.clone();
        t.currency = currency;
        t.detail.name = row.text("product");
        let lower = description.to_lowercase();
        if let Some(deal) = at_price(&description, Comma) {
            t.side = deal.side;
            t.quantity = positive(row, "Omschrijving", deal.quantity)?;
            t.price = super::not_negative(row, "Omschrijving", deal.price)?;
            t.currency = deal.currency.or(currency);
            if lower.contains("geldmarktfonds") {
                t.side = if deal.side == TradeSide::Buy { TradeSide::TransferIn } else { TradeSide::TransferOut };
                t.detail.cost_basis = Some(deal.quantity * deal.price);
                t.detail.cash_amount = Some(Decimal::ZERO);
            } else {
                let Some(amount) = amount else {
                    return Err(row.error("Mutatie", format!("{description:?} without an amount")));
                };
                t.external_id = order;
                t.detail.cash_amount = Some(amount);
                if deal.currency.is_some() && deal.currency != currency {
                    t.detail.cash_currency = currency;
                }
            }
            if t.side == TradeSide::Buy || t.side == TradeSide::Sell {
                self.moment.add_order(t);
            } else {
                self.moment.trades.push(t);
            }
            return Ok(());
        }
        let Some(amount) = amount else {
            out.diagnostics.push(super::moves_no_cash(row, "Mutatie", &description));
            return Ok(());
        };
        match lower.as_str() {
            "dividend" | "kapitaalsuitkering" => {
                t.side = TradeSide::Dividend;
                self.moment.add_income(t, amount);
            }
            "dividendbelasting" => {
                t.side = TradeSide::Dividend;
                self.moment.add_tax(t, amount);
            }
            "rente" | "interest" => {
                t.side = TradeSide::Interest;
                t.detail.amount = Some(amount);
                t.detail.cash_amount = Some(amount);
                self.moment.trades.push(t);
            }
            _ if lower.contains("transactiekosten") || lower.contains("transaction fee") => {
                t.side = TradeSide::Fee;
                t.external_id = order;
                t.detail.amount = Some(amount);
                t.detail.cash_amount = Some(amount);
                self.moment.add_order_cost(t);
            }
            // Deposits, withdrawals, connection fees, currency conversions.
            _ => {
                let mut r = cash(row, date, amount, currency, description);
                r.value_date = value_date;
                r.external_id = order;
                r.balance_after = balance;
                out.rows.push(r);
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut ParsedFile) {
        self.moment.flush(out);
    }
}
