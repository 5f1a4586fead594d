//! Returns. Time-weighted (TTWROR as Portfolio Performance defines it):
//! daily periods, `1 + r = (MVE + CFout) / (MVB + CFin)`, inflows counted at
//! the start of the day and outflows at its end, chained. Money-weighted:
//! XIRR, the rate that discounts every flow (Actual/365) to zero.
//!
//! XIRR is the one float here: the rate is the root of a polynomial with
//! fractional exponents, which no exact arithmetic reaches; the flows are
//! exact Decimals and only the rate is solved in `f64` and handed back as a
//! Decimal rounded to 8 places. A rate is no money.
#![allow(clippy::float_arithmetic)]

use jiff::civil::Date;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use crate::portfolio::{CostMethod, Portfolio, PortfolioError, PriceBook, Trade, TradeKind};

/// One day of a time-weighted return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayFlow {
    /// Market value at the day's end.
    pub mve: Decimal,
    /// Money put in (buys at cost incl. fee, transfers in at cost).
    pub cf_in: Decimal,
    /// Money taken out (sale proceeds net of fee, dividends net of tax).
    pub cf_out: Decimal,
}

/// The day's growth factor, or `None` when nothing was invested in it.
fn day_factor(mvb: Decimal, d: &DayFlow) -> Option<Decimal> {
    let base = mvb + d.cf_in;
    (!base.is_zero()).then(|| (d.mve + d.cf_out) / base)
}

/// The chained time-weighted return over `days`, starting from `mvb`.
pub fn ttwror(mvb: Decimal, days: &[DayFlow]) -> Decimal {
    let mut mvb = mvb;
    let mut factor = Decimal::ONE;
    for d in days {
        if let Some(f) = day_factor(mvb, d) {
            factor *= f;
        }
        mvb = d.mve;
    }
    factor - Decimal::ONE
}

/// XIRR of `flows` (negative: money in, positive: money out or the final
/// value). `None` when the flows have no sign change (no rate exists).
pub fn xirr(flows: &[(Date, Decimal)]) -> Option<Decimal> {
    xirr_from(flows, 0.1)
}

fn xirr_from(flows: &[(Date, Decimal)], guess: f64) -> Option<Decimal> {
    let first = flows.iter().map(|f| f.0).min()?;
    let pts: Vec<(f64, f64)> = flows
        .iter()
        .filter(|f| !f.1.is_zero())
        .map(|(d, c)| ((*d - first).get_days() as f64 / 365.0, c.to_f64().unwrap_or(0.0)))
        .collect();
    if !(pts.iter().any(|p| p.1 < 0.0) && pts.iter().any(|p| p.1 > 0.0)) {
        return None;
    }
    let npv = |r: f64| pts.iter().map(|(t, c)| c * (1.0 + r).powf(-t)).sum::<f64>();
    let dnpv = |r: f64| pts.iter().map(|(t, c)| -t * c * (1.0 + r).powf(-t - 1.0)).sum::<f64>();
    // Newton from the guess converges in a few steps on ordinary flows;
    // bisection on a widening bracket catches the rest.
    let mut r = guess;
    for _ in 0..50 {
        let (f, df) = (npv(r), dnpv(r));
        if !f.is_finite() || !df.is_finite() || df == 0.0 {
            break;
        }
        let next = r - f / df;
        if next <= -1.0 || !next.is_finite() {
            break;
        }
        if (next - r).abs() < 1e-12 {
            return to_rate(next);
        }
        r = next;
    }
    let (mut lo, mut hi) = (-0.999_999_999, 1.0);
    while npv(lo).signum() == npv(hi).signum() {
        hi *= 2.0;
        if hi > 1e9 {
            return None;
        }
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if npv(mid).signum() == npv(lo).signum() { lo = mid } else { hi = mid }
    }
    to_rate((lo + hi) / 2.0)
}

fn to_rate(r: f64) -> Option<Decimal> {
    Decimal::try_from(r).ok().map(|d| d.round_dp(8))
}

/// How often `performance` reports a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    Day,
    Month,
    Year,
    /// Only the last day.
    Whole,
}

/// One row of `kassa portfolio performance`, cumulative from the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PerfPoint {
    pub date: Date,
    pub value: Decimal,
    /// The cost basis of what is held.
    pub invested: Decimal,
    pub twr: Decimal,
    pub mwr: Option<Decimal>,
}

/// Value, invested, TTWROR and XIRR from `from` to `to`, one point per
/// `interval` end (and at `to`). `trades` must be in booking order; a single
/// instrument's trades give that instrument's returns.
pub fn performance(
    trades: &[Trade],
    method: CostMethod,
    prices: &PriceBook,
    from: Date,
    to: Date,
    interval: Interval,
) -> Result<Vec<PerfPoint>, PortfolioError> {
    let mut p = Portfolio::new(method);
    let mut next = 0;
    while next < trades.len() && trades[next].date < from {
        p.apply(&trades[next])?;
        next += 1;
    }
    let start = from.yesterday().unwrap_or(from);
    let mut mvb = p.market_value(prices, start);
    // Flows summed per day keep XIRR's work bounded by days, not trades.
    let mut flows: Vec<(Date, Decimal)> = vec![];
    if !mvb.is_zero() {
        flows.push((from, -mvb));
    }
    let mut factor = Decimal::ONE;
    let mut guess = 0.1;
    let mut out = vec![];
    let mut day = from;
    while day <= to {
        let mut d = DayFlow { mve: Decimal::ZERO, cf_in: Decimal::ZERO, cf_out: Decimal::ZERO };
        while next < trades.len() && trades[next].date <= day {
            let t = &trades[next];
            p.apply(t)?;
            match &t.kind {
                TradeKind::Buy { .. } => d.cf_in -= t.cash(),
                TradeKind::TransferIn { cost, .. } => d.cf_in += cost,
                TradeKind::Sell { .. } | TradeKind::Dividend { .. } => d.cf_out += t.cash(),
                TradeKind::TransferOut { .. } => d.cf_out += p.transfers_out.last().map_or(Decimal::ZERO, |s| s.cost),
                TradeKind::Split { .. } | TradeKind::Interest { .. } | TradeKind::Fee { .. } => {}
            }
            next += 1;
        }
        d.mve = p.market_value(prices, day);
        if let Some(f) = day_factor(mvb, &d) {
            factor *= f;
        }
        mvb = d.mve;
        let net = d.cf_out - d.cf_in;
        if !net.is_zero() {
            flows.push((day, net));
        }
        let tomorrow = day.tomorrow().ok();
        let is_end = day == to
            || match interval {
                Interval::Day => true,
                Interval::Month => tomorrow.is_some_and(|t| t.day() == 1),
                Interval::Year => tomorrow.is_some_and(|t| t.day() == 1 && t.month() == 1),
                Interval::Whole => false,
            };
        if is_end {
            let mut with_end = flows.clone();
            with_end.push((day, d.mve));
            let mwr = xirr_from(&with_end, guess);
            if let Some(r) = mwr.and_then(|r| r.to_f64()) {
                guess = r;
            }
            let invested = p.positions.values().map(|x| x.cost()).sum();
            out.push(PerfPoint { date: day, value: d.mve, invested, twr: factor - Decimal::ONE, mwr });
        }
        match tomorrow {
            Some(t) => day = t,
            None => break,
        }
    }
    Ok(out)
}
