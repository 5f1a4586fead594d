//! Charles Schwab's brokerage transactions: `MM/DD/YYYY` (or
//! `MM/DD/YYYY as of MM/DD/YYYY`), amounts as `-$1,259.59`, newest first,
//! and a `Transactions Total` footer. A dividend that is reinvested is two
//! rows: the `Reinvest Dividend` (cash in) and the `Reinvest Shares` buy of
//! the same amount. Corporate actions that swap one security for another
//! (reverse split, merger, name change, conversion) are a row per security
//! with a signed quantity and no cash: the old one transfers out and the new
//! one in. `Stock Split` gives the shares the split added, not its ratio.

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::{Reader, Row, cash, not_negative, positive, trade};
use crate::model::{Diagnostic, ParsedFile, TradeSide};
use crate::numbers::DecimalMark::Dot;
use crate::util;

pub(super) struct Schwab;

/// `MM/DD/YYYY`, ignoring an `as of …` tail (the date the action took
/// effect; the first date is when Schwab booked it).
fn mdy(s: &str) -> Option<Date> {
    let s = s.split(" as of ").next()?.trim();
    let mut p = s.split('/');
    let (m, d, y) = (p.next()?, p.next()?, p.next()?);
    if p.next().is_some() || y.len() != 4 {
        return None;
    }
    util::ymd(util::digits(y)?, util::digits(m)?, util::digits(d)?)
}

/// What an `Action` is.
enum Kind {
    Trade(TradeSide),
    /// Securities moving without cash, in or out by the quantity's sign.
    Securities,
    /// Income on an instrument: dividends, capital-gain distributions.
    Income(TradeSide),
    Fee,
    Split,
    Cash,
}

fn kind(action: &str) -> Kind {
    let a = action.to_ascii_lowercase();
    match a.as_str() {
        "buy" | "reinvest shares" | "buy to open" | "buy to close" => Kind::Trade(TradeSide::Buy),
        "sell" | "sell short" | "sell to open" | "sell to close" => Kind::Trade(TradeSide::Sell),
        "stock split" => Kind::Split,
        "credit interest" | "bank interest" | "bond interest" | "interest" => Kind::Income(TradeSide::Interest),
        "adr mgmt fee" | "foreign tax paid" | "service fee" | "misc fee" => Kind::Fee,
        "journaled shares" | "reverse split" | "name change" | "conversion" | "stock merger" | "spin-off"
        | "stock div dist" | "security transfer" => Kind::Securities,
        _ if a.contains("div") || a.contains("cap gain") => Kind::Income(TradeSide::Dividend),
        _ => Kind::Cash,
    }
}

impl Reader for Schwab {
    fn row(&mut self, row: &Row, out: &mut ParsedFile) -> Result<(), Diagnostic> {
        if row.raw("date").eq_ignore_ascii_case("transactions total") {
            // The footer: a check on the rows, not a row (the tests sum against it).
            return Ok(());
        }
        let date = row.date("date", mdy, "MM/DD/YYYY")?;
        let action = row.text("action").unwrap_or_default();
        let amount = row.num("amount", Dot)?;
        let quantity = row.num("quantity", Dot)?;
        let mut t = trade(row, date, date.to_string(), TradeSide::Buy);
        t.symbol = row.text("symbol");
        t.detail.name = row.text("description");
        let kind = kind(&action);
        // A row of an instrument that is not a trade but has cash needs one.
        let needs_amount = |what: &str| amount.ok_or_else(|| row.error("Amount", format!("{what} without an Amount")));
        match kind {
            Kind::Trade(side) => {
                t.side = side;
                let Some(q) = quantity else {
                    return Err(row.error("Quantity", format!("{action} without a Quantity")));
                };
                t.quantity = positive(row, "Quantity", q)?;
                t.price = not_negative(row, "Price", row.req("price", Dot)?)?;
                t.fees = not_negative(row, "Fees & Comm", row.num("fees & comm", Dot)?.unwrap_or_default())?;
                t.detail.cash_amount = amount;
            }
            Kind::Securities => {
                let Some(q) = quantity.filter(|q| !q.is_zero()) else {
                    return Err(row.error("Quantity", format!("{action} without a Quantity")));
                };
                t.side = if q > Decimal::ZERO { TradeSide::TransferIn } else { TradeSide::TransferOut };
                t.quantity = q.abs();
                t.price = not_negative(row, "Price", row.num("price", Dot)?.unwrap_or_default())?;
                if action.eq_ignore_ascii_case("stock div dist") {
                    // New shares paid as a dividend cost nothing.
                    t.detail.cost_basis = Some(Decimal::ZERO);
                }
            }
            Kind::Split => {
                t.side = TradeSide::Split;
                t.quantity = positive(row, "Quantity", quantity.unwrap_or_default())?;
            }
            Kind::Income(side) if t.symbol.is_some() || side == TradeSide::Interest => {
                let v = needs_amount(&action)?;
                t.side = side;
                t.detail.amount = Some(v);
                t.detail.cash_amount = Some(v);
            }
            Kind::Fee if t.symbol.is_some() => {
                let v = needs_amount(&action)?;
                t.side = TradeSide::Fee;
                t.detail.amount = Some(v);
                t.detail.cash_amount = Some(v);
            }
            // Transfers, wires, advisor fees, cash in lieu: cash only.
            _ => {
                let Some(v) = amount else {
                    out.diagnostics.push(super::moves_no_cash(row, "Amount", &action));
                    return Ok(());
                };
                let text = util::join_distinct(
                    [action.as_str(), t.symbol.as_deref().unwrap_or(""), t.detail.name.as_deref().unwrap_or("")],
                    " ",
                );
                out.rows.push(cash(row, date, v, None, text));
                return Ok(());
            }
        }
        out.trades.push(t);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_with_as_of() {
        assert_eq!(mdy("07/15/2024 as of 07/12/2024"), Some(jiff::civil::date(2024, 7, 15)));
        assert_eq!(mdy("02/30/2024"), None);
        assert_eq!(mdy("Transactions Total"), None);
    }
}
