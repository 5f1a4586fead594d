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
