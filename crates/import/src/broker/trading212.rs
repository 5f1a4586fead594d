//! Trading 212's history export: one action per row, share counts to ten
//! places, the price in the instrument's currency and `Total` in the
//! account's. Later exports moved `Notes` and `ID` in front of the numbers
//! without changing the header of a file that already had rows, so a row
//! whose `No. of shares` is empty and whose `Price / share` is an id is read
//! in that later order. A split is a `Stock split close` of the old holding
//! and a `Stock split open` of the new one.

use jiff::civil::Date;
use kassa_core::Currency;
use rust_decimal::Decimal;

use super::{Reader, Row, cash, iso_prefix, not_negative, positive, trade};
use crate::model::{Diagnostic, ParsedFile, TradeRow, TradeSide};
use crate::numbers::DecimalMark::Dot;

#[derive(Default)]
pub(super) struct Trading212 {
    /// A `Stock split close` waiting for its `Stock split open`.
    split_close: Option<TradeRow>,
}

/// Where the numbers of a row are.
struct Cells<'a> {
    shares: &'a str,
    price: &'a str,
    price_currency: &'a str,
    total: &'a str,
    total_currency: &'a str,
    withholding: &'a str,
    withholding_currency: &'a str,
    id: &'a str,
}

fn cells<'a>(row: &'a Row) -> Cells<'a> {
    let shifted = row.raw("no. of shares").is_empty()
        && !row.raw("price / share").is_empty()
        && !row.raw("price / share").starts_with(|c: char| c.is_ascii_digit());
    match row.cols.index("name").filter(|_| shifted) {
        // Name, Notes, ID, No. of shares, Price / share, its currency,
        // Exchange rate, Result, its currency, Total, its currency,
        // Withholding tax, its currency.
        Some(n) => Cells {
            id: row.at(n + 2),
            shares: row.at(n + 3),
            price: row.at(n + 4),
            price_currency: row.at(n + 5),
            total: row.at(n + 9),
            total_currency: row.at(n + 10),
            withholding: row.at(n + 11),
            withholding_currency: row.at(n + 12),
        },
        None => Cells {
            id: row.raw("id"),
            shares: row.raw("no. of shares"),
            price: row.raw("price / share"),
            price_currency: row.raw("currency (price / share)"),
            total: row.raw("total"),
            total_currency: row.raw("currency (total)"),
            withholding: row.raw("withholding tax"),
            withholding_currency: row.raw("currency (withholding tax)"),
        },
    }
}

/// A price in pence (`GBX`, `GBp`) as pounds: kassa's currencies are ISO 4217.
fn price_in(row: &Row, price: Decimal, code: &str) -> Result<(Decimal, Option<Currency>), Diagnostic> {
    if code.eq_ignore_ascii_case("GBX") {
        return Ok((price / Decimal::ONE_HUNDRED, Currency::parse("GBP").ok()));
    }
    Ok((price, super::currency_in(row, "Currency (Price / share)", code)?))
}

impl Reader for Trading212 {
    fn row(&mut self, row: &Row, out: &mut ParsedFile) -> Result<(), Diagnostic> {
        let action = row.text("action").unwrap_or_default();
        let stamp = row.raw("time");
        let date: Date = row.date("time", iso_prefix, "YYYY-MM-DD HH:MM:SS")?;
        let time = stamp.replacen(' ', "T", 1);
        let c = cells(row);
        let total = row.num_in("Total", c.total, Dot)?;
        let total_currency = super::currency_in(row, "Currency (Total)", c.total_currency)?;
        let lower = action.to_lowercase();
        let side = if lower.ends_with(" buy") {
            TradeSide::Buy
        } else if lower.ends_with(" sell") {
            TradeSide::Sell
        } else if lower.starts_with("dividend") {
            TradeSide::Dividend
        } else if lower.starts_with("interest") || lower == "lending interest" {
            TradeSide::Interest
        } else if lower == "stock split close" || lower == "stock split open" {
            TradeSide::Split
        } else if lower == "transfer out" {
            TradeSide::TransferOut
        } else if lower == "transfer in" || lower == "stock distribution" {
            TradeSide::TransferIn
        } else {
            // Deposits, withdrawals, currency conversions, card spending.
            let Some(amount) = total else {
                return Err(row.error("Total", format!("{:?} without a Total", super::clip(&action))));
            };
            let amount = if lower.contains("withdrawal") { -amount.abs() } else { amount };
            let mut r = cash(row, date, amount, total_currency, action);
            r.external_id = Some(c.id.to_string()).filter(|s| !s.is_empty());
            out.rows.push(r);
            return Ok(());
        };
        let mut t = trade(row, date, time, side);
        t.isin = row.text("isin");
        t.symbol = row.text("ticker");
        t.detail.name = row.text("name");
        t.external_id = Some(c.id.to_string()).filter(|s| !s.is_empty());
        let shares = row.num_in("No. of shares", c.shares, Dot)?;
        let price = row.num_in("Price / share", c.price, Dot)?;
        if let Some(p) = price {
            let (p, cur) = price_in(row, not_negative(row, "Price / share", p)?, c.price_currency)?;
            t.price = p;
            t.currency = cur;
        }
        t.currency = t.currency.or(total_currency);
        match side {
            TradeSide::Buy | TradeSide::Sell | TradeSide::TransferIn | TradeSide::TransferOut | TradeSide::Split => {
                let Some(q) = shares else {
                    return Err(row.error("No. of shares", "No. of shares is empty"));
                };
                t.quantity = positive(row, "No. of shares", q)?;
            }
            _ => t.quantity = not_negative(row, "No. of shares", shares.unwrap_or_default())?,
        }
        match side {
            TradeSide::Buy => t.detail.cash_amount = total.map(|v| -v.abs()),
            TradeSide::Sell => t.detail.cash_amount = total.map(|v| v.abs()),
            TradeSide::Dividend => {
                t.detail.cash_amount = total;
                if let Some(w) = row.num_in("Withholding tax", c.withholding, Dot)? {
                    let wc = super::currency_in(row, "Currency (Withholding tax)", c.withholding_currency)?;
                    if wc.is_some() && wc != t.currency {
                        out.diagnostics.push(Diagnostic::warning(
                            row.line,
                            Some("Withholding tax"),
                            format!(
                                "withholding tax in {} on a dividend in {}; kept as written",
                                wc.map_or("?", |c| c.code()),
                                t.currency.map_or("?", |c| c.code())
                            ),
                        ));
                    }
                    t.detail.withholding_tax = w.abs();
                }
            }
            TradeSide::Interest => {
                t.detail.amount = total;
                t.detail.cash_amount = total;
            }
            TradeSide::TransferIn => t.detail.cost_basis = Some(t.quantity * t.price),
            _ => {}
        }
        if t.detail.cash_amount.is_some() && t.currency != total_currency {
            t.detail.cash_currency = total_currency;
        }
        if side == TradeSide::Split {
            return self.split(row, t, lower == "stock split close", out);
        }
        out.trades.push(t);
        Ok(())
    }

    fn finish(&mut self, out: &mut ParsedFile) {
        if let Some(close) = self.split_close.take() {
            out.diagnostics.push(Diagnostic::error(
                close.line,
                Some("Action"),
                "Stock split close without the Stock split open of the same ISIN after it",
            ));
        }
    }
}

impl Trading212 {
    /// Pairs a split's close and open: the ratio is the new share count
    /// over the old.
    fn split(&mut self, row: &Row, t: TradeRow, close: bool, out: &mut ParsedFile) -> Result<(), Diagnostic> {
        if close {
            if let Some(old) = self.split_close.replace(t) {
                out.diagnostics.push(Diagnostic::error(
                    old.line,
                    Some("Action"),
                    "Stock split close without the Stock split open of the same ISIN after it",
                ));
            }
            return Ok(());
        }
        let mut split = match self.split_close.take() {
            Some(old) if old.isin == t.isin => old,
            other => {
                if let Some(old) = other {
                    out.diagnostics.push(Diagnostic::error(
                        old.line,
                        Some("Action"),
                        "Stock split close without the Stock split open of the same ISIN after it",
                    ));
                }
                return Err(
                    row.error("Action", "Stock split open without the Stock split close of the same ISIN before it")
                );
            }
        };
        split.detail.ratio = Some(t.quantity / split.quantity);
        split.quantity = Decimal::ZERO;
        split.price = Decimal::ZERO;
        split.detail.cash_amount = None;
        split.detail.cash_currency = None;
        out.trades.push(split);
        Ok(())
    }
}
