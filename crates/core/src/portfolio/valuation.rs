//! Valuation at a date: the latest price dated on or before it, times the
//! quantity the trades dated on or before it leave open.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::portfolio::Portfolio;

/// Prices by instrument key and date; a later insert for the same key wins
/// (the rule `kassa prices import` promises for a file's rows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceBook {
    prices: BTreeMap<String, BTreeMap<Date, Decimal>>,
    /// Splits by instrument: date → ratio (new shares per old), so that a
    /// price quoted before a split values the shares after it.
    splits: BTreeMap<String, BTreeMap<Date, Decimal>>,
}

impl PriceBook {
    pub fn insert(&mut self, instrument: &str, date: Date, price: Decimal) {
        self.prices.entry(instrument.to_string()).or_default().insert(date, price);
    }

    /// Inserts only where no price is known for that day: trade prices fill
    /// the gaps a price file leaves, never overrule it.
    pub fn insert_fallback(&mut self, instrument: &str, date: Date, price: Decimal) {
        self.prices.entry(instrument.to_string()).or_default().entry(date).or_insert(price);
    }

    /// A split of `ratio` new shares per old one, effective on `date`:
    /// prices dated before it are per old share.
    pub fn insert_split(&mut self, instrument: &str, date: Date, ratio: Decimal) {
        if !ratio.is_zero() {
            *self.splits.entry(instrument.to_string()).or_default().entry(date).or_insert(Decimal::ONE) *= ratio;
        }
    }

    /// The latest price dated on or before `date`, per share as of `date`:
    /// a price from before a split (dated after the price, on or before
    /// `date`) is divided by its ratio, so 10 shares at 100 that split 2:1
    /// are worth 20 at 50 until a new price is known.
    pub fn latest(&self, instrument: &str, date: Date) -> Option<(Date, Decimal)> {
        let (on, price) = self.prices.get(instrument)?.range(..=date).next_back().map(|(d, p)| (*d, *p))?;
        let ratio: Decimal = self
            .splits
            .get(instrument)
            .into_iter()
            .flat_map(|s| s.range(on.tomorrow().unwrap_or(on)..=date).map(|(_, r)| *r))
            .product();
        Some((on, if ratio == Decimal::ONE { price } else { price / ratio }))
    }

    pub fn series(&self, instrument: &str) -> impl Iterator<Item = (Date, Decimal)> + '_ {
        self.prices.get(instrument).into_iter().flat_map(|m| m.iter().map(|(d, p)| (*d, *p)))
    }
}

/// One instrument's row in `kassa portfolio holdings`, unrounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holding {
    pub instrument: String,
    pub qty: Decimal,
    pub cost_basis: Decimal,
    pub price: Option<Decimal>,
    pub price_date: Option<Date>,
    /// `qty * price`; at cost when no price is known (a holding is never
    /// worth nothing just because no price was imported).
    pub market_value: Decimal,
    /// `qty * price - cost_basis`; 0 when qty is 0 or no price is known.
    pub unrealized: Decimal,
    pub realized: Decimal,
    pub dividends: Decimal,
}

impl Portfolio {
    /// Every position (open, or closed with realized P&L or dividends) valued
    /// at `as_of`. The portfolio must be replayed up to `as_of`.
    pub fn holdings(&self, prices: &PriceBook, as_of: Date) -> Vec<Holding> {
        self.positions
            .iter()
            .map(|(key, p)| {
                let (qty, cost) = (p.qty(), p.cost());
                let quote = prices.latest(key, as_of);
                let (market_value, unrealized) = match quote {
                    Some((_, price)) if !qty.is_zero() => (qty * price, qty * price - cost),
                    _ => (cost, Decimal::ZERO),
                };
                Holding {
                    instrument: key.clone(),
                    qty,
                    cost_basis: cost,
                    price: quote.map(|q| q.1),
                    price_date: quote.map(|q| q.0),
                    market_value,
                    unrealized,
                    realized: p.realized,
                    dividends: p.dividends,
                }
            })
            .collect()
    }

    /// What the open positions are worth at `date`.
    pub fn market_value(&self, prices: &PriceBook, date: Date) -> Decimal {
        self.positions
            .iter()
            .map(|(key, p)| {
                let qty = p.qty();
                match prices.latest(key, date) {
                    Some((_, price)) if !qty.is_zero() => qty * price,
                    _ => p.cost(),
                }
            })
            .sum()
    }
}

/// A holding valued in another currency (the book's base currency), its
/// unrealized P&L split into what the price did and what the exchange rate
/// did. With `qty` held at price `P_now`, open lots `i` of cost `c_i` (in
/// the instrument's currency, fees included) opened on `d_i`, `C = Σ c_i`,
/// `FX_now` the rate on the valuation date and `FX_i` the rate on `d_i`:
///
/// - `cost = Σ c_i · FX_i`, what the lots cost in the base currency when
///   they were bought;
/// - `market_value = qty · P_now · FX_now`;
/// - `price_effect = (qty · P_now − C) · FX_now`, the unrealized P&L in the
///   instrument's currency at today's rate: for one lot,
///   `(P_now − P_cost) · qty · FX_now` with `P_cost = c / qty`;
/// - `currency_effect = Σ c_i · (FX_now − FX_i) = C · FX_now − cost`, what
///   the cost gained or lost by the rate moving since each lot was bought;
/// - `unrealized = price_effect + currency_effect = market_value − cost`.
///
/// A holding with no price is valued at cost (`qty · P_now` is `C`), so its
/// price effect is 0 and all its unrealized P&L is the currency's. A holding
/// in the base currency has rates of 1: no currency effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FxSplit {
    pub cost: Decimal,
    pub market_value: Decimal,
    pub unrealized: Decimal,
    pub price_effect: Decimal,
    pub currency_effect: Decimal,
}

impl FxSplit {
    /// `position` valued at `market_value` (in its own currency), converted
    /// at `rate_now` today and at `rate_on(d)` for a lot opened on `d`;
    /// `None` when a lot's date has no rate.
    pub fn of(
        position: &crate::portfolio::Position,
        market_value: Decimal,
        rate_now: Decimal,
        rate_on: impl Fn(Date) -> Option<Decimal>,
    ) -> Option<FxSplit> {
        let mut cost = Decimal::ZERO;
        let mut own_cost = Decimal::ZERO;
        for lot in &position.lots {
            cost += lot.cost * rate_on(lot.date)?;
            own_cost += lot.cost;
        }
        let price_effect = (market_value - own_cost) * rate_now;
        let currency_effect = own_cost * rate_now - cost;
        Some(FxSplit {
            cost,
            market_value: market_value * rate_now,
            // The sum, so the two effects add up to it by construction.
            unrealized: price_effect + currency_effect,
            price_effect,
            currency_effect,
        })
    }
}
