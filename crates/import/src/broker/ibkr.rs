//! Interactive Brokers flex query, trades section: one execution per row,
//! `DateTime` as `20230403;095853`, signed `Quantity` (negative sells),
//! `IBCommission` negative, `NetCash` the cash the execution moved.

use kassa_core::portfolio::InstrumentKind;
use rust_decimal::Decimal;

use super::{Reader, Row, not_negative, positive, trade};
use crate::model::{AccountHint, Diagnostic, ParsedFile, TradeSide};
use crate::numbers::DecimalMark::Dot;
use crate::util;

pub(super) struct Ibkr;

/// `20230403;095853`, `20230403,095853`, `20230403 095853` or `20230403`:
/// the date and the ISO 8601 time text.
fn date_time(s: &str) -> Option<(jiff::civil::Date, String)> {
    let s = s.trim();
    let (d, t) = s.split_once([';', ',', ' ']).unwrap_or((s, ""));
    let date = crate::ofx::ofx_date(d).filter(|_| d.len() == 8)?;
    let t = t.trim();
    let time = match t.len() {
        0 => date.to_string(),
        6 if t.bytes().all(|b| b.is_ascii_digit()) => format!("{date}T{}:{}:{}", &t[0..2], &t[2..4], &t[4..6]),
        _ => return None,
    };
    Some((date, time))
}

impl Reader for Ibkr {
    fn row(&mut self, row: &Row, out: &mut ParsedFile) -> Result<(), Diagnostic> {
        let raw = row.raw("datetime");
        // Some flex queries leave DateTime out and keep only TradeDate.
        let (date, time) =
            date_time(raw).or_else(|| if raw.is_empty() { date_time(row.raw("tradedate")) } else { None }).ok_or_else(
                || row.error("DateTime", format!("not a date: {:?} (expected YYYYMMDD;HHMMSS)", super::clip(raw))),
            )?;
        let side = match row.raw("buy/sell").to_ascii_uppercase().as_str() {
            "BUY" => TradeSide::Buy,
            "SELL" => TradeSide::Sell,
            other => {
                return Err(row.error("Buy/Sell", format!("expected BUY or SELL, found {:?}", super::clip(other))));
            }
        };
        if row.raw("assetclass").eq_ignore_ascii_case("CASH") {
            // A currency conversion: its two legs are cash, and the flex
            // trades section writes only one of them.
            out.diagnostics.push(Diagnostic::warning(
                row.line,
                Some("AssetClass"),
                "currency conversion (AssetClass CASH): import the cash report for it; not imported",
            ));
            return Ok(());
        }
        let qty = row.req("quantity", Dot)?;
        // Sells are written negative; a sign against the side is a broken row.
        let signed_ok = if side == TradeSide::Buy { qty > Decimal::ZERO } else { qty < Decimal::ZERO };
        if !signed_ok {
            return Err(row.error("Quantity", format!("Quantity {qty} does not fit the side {}", side.as_str())));
        }
        let price = not_negative(row, "TradePrice", row.req("tradeprice", Dot)?)?;
        let commission = row.num("ibcommission", Dot)?.unwrap_or_default();
        let taxes = row.num("taxes", Dot)?.unwrap_or_default();
        let currency = row.currency("currencyprimary")?;
        let mut t = trade(row, date, time, side);
        t.quantity = positive(row, "Quantity", qty.abs())?;
        t.price = price;
        // IBKR writes what it charged as negative cash; a fee is positive.
        t.fees = -(commission + taxes);
        t.currency = currency;
        t.symbol = row.text("symbol");
        t.isin = row.text("isin");
        t.external_id = row.text("tradeid").or_else(|| row.text("transactionid"));
        t.account = AccountHint { number: row.text("clientaccountid"), currency, ..AccountHint::default() };
        t.detail.name = row.text("description");
        t.detail.kind = asset_kind(row.text("assetclass").as_deref(), row.text("subcategory").as_deref());
        t.detail.cash_amount = row.num("netcash", Dot)?;
        t.detail.fx_rate = row.num("fxratetobase", Dot)?;
        if let Some(c) = row.text("ibcommissioncurrency").filter(|c| Some(c.as_str()) != currency.map(|c| c.code())) {
            out.diagnostics.push(Diagnostic::warning(
                row.line,
                Some("IBCommissionCurrency"),
                format!("commission charged in {} while the trade is in another currency", util::clip(&c, 8)),
            ));
        }
        out.trades.push(t);
        Ok(())
    }
}

/// The kind IBKR's `AssetClass` (and for shares its `SubCategory`) states;
/// options, futures and the like are none of kassa's kinds.
fn asset_kind(class: Option<&str>, sub: Option<&str>) -> Option<InstrumentKind> {
    match class?.to_ascii_uppercase().as_str() {
        "STK" if sub.is_some_and(|s| s.eq_ignore_ascii_case("ETF")) => Some(InstrumentKind::Etf),
        "STK" => Some(InstrumentKind::Stock),
        "BOND" | "BILL" => Some(InstrumentKind::Bond),
        "FUND" => Some(InstrumentKind::Fund),
        "CRYPTO" => Some(InstrumentKind::Crypto),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_classes_state_kinds() {
        assert_eq!(asset_kind(Some("STK"), Some("ETF")), Some(InstrumentKind::Etf));
        assert_eq!(asset_kind(Some("STK"), Some("COMMON")), Some(InstrumentKind::Stock));
        assert_eq!(asset_kind(Some("BOND"), None), Some(InstrumentKind::Bond));
        assert_eq!(asset_kind(Some("OPT"), None), None);
        assert_eq!(asset_kind(None, Some("ETF")), None);
    }

    #[test]
    fn flex_date_times() {
        let (d, t) = date_time("20230403;095853").unwrap();
        assert_eq!((d.to_string(), t.as_str()), ("2023-04-03".to_string(), "2023-04-03T09:58:53"));
        assert_eq!(date_time("20230403").unwrap().1, "2023-04-03");
        assert!(date_time("20230431;095853").is_none());
        assert!(date_time("2023043;095853").is_none());
    }
}
