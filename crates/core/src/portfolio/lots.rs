//! The lot engine: a brokerage account's trades, applied in time order, give
//! its open lots, its sales (each with the lots it consumed) and its realized
//! P&L under one [`CostMethod`].
//!
//! Why lots are kept even under the average method: a what-if report can
//! replay the same trades under FIFO, and the `lots` listing shows what the
//! pool is made of. Average takes from every lot pro rata, so the pool's cost
//! is what the method defines (`pool_cost * q / pool_qty`) and the lots still
//! add up to it.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error::ParseError;
use crate::portfolio::Quantity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CostMethod {
    #[default]
    Fifo,
    Lifo,
    Hifo,
    Average,
    /// A sale names its lots ([`LotPick`]); a sale that names none is booked
    /// FIFO, as brokers (and the IRS) do absent a specific identification.
    Specific,
}

impl CostMethod {
    pub const ALL: [CostMethod; 5] =
        [CostMethod::Fifo, CostMethod::Lifo, CostMethod::Hifo, CostMethod::Average, CostMethod::Specific];

    pub fn as_str(self) -> &'static str {
        match self {
            CostMethod::Fifo => "fifo",
            CostMethod::Lifo => "lifo",
            CostMethod::Hifo => "hifo",
            CostMethod::Average => "average",
            CostMethod::Specific => "specific",
        }
    }

    pub fn parse(s: &str) -> Result<CostMethod, ParseError> {
        CostMethod::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseError::CostMethod(s.to_string()))
    }
}

impl fmt::Display for CostMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sale's choice of one lot (by the trade that opened it) and how much of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotPick {
    pub trade: String,
    pub qty: Quantity,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeKind {
    Buy {
        qty: Quantity,
        price: Decimal,
        fee: Decimal,
    },
    /// `lots` is read only under [`CostMethod::Specific`].
    Sell {
        qty: Quantity,
        price: Decimal,
        fee: Decimal,
        lots: Vec<LotPick>,
    },
    /// Cash per share; `withholding` is kept back from `gross`.
    Dividend {
        gross: Decimal,
        withholding: Decimal,
    },
    /// Cash interest (signed as it moves the account's cash).
    Interest {
        amount: Decimal,
    },
    /// A fee not tied to a trade (signed as it moves cash: negative).
    Fee {
        amount: Decimal,
    },
    /// New units per old unit: 2 for a 2-for-1, 0.1 for a 1-for-10 reverse.
    Split {
        ratio: Decimal,
    },
    TransferIn {
        qty: Quantity,
        cost: Decimal,
    },
    TransferOut {
        qty: Quantity,
        lots: Vec<LotPick>,
    },
}

/// One trade or corporate action on one instrument of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    /// The trade's reference (the broker's id, or one kassa gave it); lots are
    /// named by the id of the trade that opened them.
    pub id: String,
    /// When it happened; lots order by this, to the second.
    pub at: Timestamp,
    /// The calendar date written in the trade's time, in its own offset.
    pub date: Date,
    /// The instrument's key ([`crate::portfolio::Instrument::key`]).
    pub instrument: String,
    pub kind: TradeKind,
}

impl Trade {
    /// How the trade moves the account's cash: `-(qty*price + fee)` for a buy,
    /// `qty*price - fee` for a sale, `gross - withholding` for a dividend, the
    /// amount for interest and fees, nothing for splits and transfers.
    pub fn cash(&self) -> Decimal {
        match &self.kind {
            TradeKind::Buy { qty, price, fee } => -(qty.get() * price + fee),
            TradeKind::Sell { qty, price, fee, .. } => qty.get() * price - fee,
            TradeKind::Dividend { gross, withholding } => gross - withholding,
            TradeKind::Interest { amount } | TradeKind::Fee { amount } => *amount,
            TradeKind::Split { .. } | TradeKind::TransferIn { .. } | TradeKind::TransferOut { .. } => Decimal::ZERO,
        }
    }
}

/// An open lot: what is left of one buy (or transfer in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lot {
    pub trade: String,
    pub opened: Timestamp,
    pub date: Date,
    pub qty: Decimal,
    pub cost: Decimal,
}

impl Lot {
    pub fn unit_cost(&self) -> Decimal {
        if self.qty.is_zero() { Decimal::ZERO } else { self.cost / self.qty }
    }
}

/// What a sale (or transfer out) took from one lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotTake {
    pub trade: String,
    pub qty: Decimal,
    pub cost: Decimal,
}

/// A sale with the lots it consumed. For a transfer out, `proceeds` is the
/// cost that left and `realized` is 0: nothing was sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sale {
    pub trade: String,
    pub instrument: String,
    pub date: Date,
    pub qty: Decimal,
    pub proceeds: Decimal,
    pub fee: Decimal,
    pub cost: Decimal,
    pub realized: Decimal,
    pub lots: Vec<LotTake>,
}

/// One instrument in one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    /// Open lots in the order they were opened.
    pub lots: Vec<Lot>,
    pub realized: Decimal,
    /// Dividends net of withholding tax.
    pub dividends: Decimal,
}

impl Position {
    pub fn qty(&self) -> Decimal {
        self.lots.iter().map(|l| l.qty).sum()
    }

    pub fn cost(&self) -> Decimal {
        self.lots.iter().map(|l| l.cost).sum()
    }
}

/// Why a trade cannot be booked; each names the trade (and the field) so the
/// import can point at the file's line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PortfolioError {
    #[error("trade {trade}: sells {asked} of {instrument} but only {held} is held (no short selling)")]
    Oversell { trade: String, instrument: String, held: Decimal, asked: Decimal },
    #[error("trade {trade}: {field} must not be negative, got {value}")]
    Negative { trade: String, field: &'static str, value: Decimal },
    #[error("trade {trade}: split ratio must be positive, got {ratio}")]
    BadRatio { trade: String, ratio: Decimal },
    #[error("trade {trade}: names lot {lot}, which is not open")]
    UnknownLot { trade: String, lot: String },
    #[error("trade {trade}: takes {asked} from lot {lot}, which holds {held}")]
    LotTooSmall { trade: String, lot: String, held: Decimal, asked: Decimal },
    #[error("trade {trade}: its lots add up to {named}, but it sells {sold}")]
    PicksDontAddUp { trade: String, named: Decimal, sold: Decimal },
}

impl PortfolioError {
    /// The id of the trade that was refused.
    pub fn trade(&self) -> &str {
        match self {
            PortfolioError::Oversell { trade, .. }
            | PortfolioError::Negative { trade, .. }
            | PortfolioError::BadRatio { trade, .. }
            | PortfolioError::UnknownLot { trade, .. }
            | PortfolioError::LotTooSmall { trade, .. }
            | PortfolioError::PicksDontAddUp { trade, .. } => trade,
        }
    }

    /// The `trades.csv` column at fault.
    pub fn field(&self) -> &'static str {
        match self {
            PortfolioError::Oversell { .. }
            | PortfolioError::LotTooSmall { .. }
            | PortfolioError::PicksDontAddUp { .. }
            | PortfolioError::UnknownLot { .. } => "qty",
            PortfolioError::Negative { field, .. } => field,
            PortfolioError::BadRatio { .. } => "ratio",
        }
    }
}

/// One account's investments under one method.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Portfolio {
    pub method: CostMethod,
    /// By instrument key.
    pub positions: BTreeMap<String, Position>,
    pub sales: Vec<Sale>,
    pub transfers_out: Vec<Sale>,
    /// Interest and account fees, which belong to no instrument.
    pub interest: Decimal,
    pub fees: Decimal,
    /// The sum of every trade's [`Trade::cash`].
    pub cash: Decimal,
}

/// Puts trades in booking order: by time to the second, ties in the order
/// given (the file's order, so same-second trades keep it).
pub fn booking_order(trades: &mut [Trade]) {
    trades.sort_by_key(|t| t.at.as_second());
}

impl Portfolio {
    pub fn new(method: CostMethod) -> Portfolio {
        Portfolio { method, ..Portfolio::default() }
    }

    /// Books `trades` (in [`booking_order`]) dated on or before `as_of`.
    pub fn replay<'a>(
        method: CostMethod,
        trades: impl IntoIterator<Item = &'a Trade>,
        as_of: Option<Date>,
    ) -> Result<Portfolio, PortfolioError> {
        let mut p = Portfolio::new(method);
        for t in trades {
            if as_of.is_none_or(|d| t.date <= d) {
                p.apply(t)?;
            }
        }
        Ok(p)
    }

    /// Books one trade; on error nothing changed.
    pub fn apply(&mut self, t: &Trade) -> Result<(), PortfolioError> {
        let non_negative = |field: &'static str, value: Decimal| {
            if value.is_sign_negative() && !value.is_zero() {
                Err(PortfolioError::Negative { trade: t.id.clone(), field, value })
            } else {
                Ok(())
            }
        };
        match &t.kind {
            TradeKind::Buy { qty, price, fee } => {
                non_negative("price", *price)?;
                non_negative("fees", *fee)?;
                self.open(t, qty.get(), qty.get() * price + fee);
            }
            TradeKind::TransferIn { qty, cost } => {
                non_negative("cost_basis", *cost)?;
                self.open(t, qty.get(), *cost);
            }
            TradeKind::Sell { qty, price, fee, lots } => {
                non_negative("price", *price)?;
                non_negative("fees", *fee)?;
                let takes = self.take(t, qty.get(), lots)?;
                let cost: Decimal = takes.iter().map(|l| l.cost).sum();
                let proceeds = qty.get() * price;
                let realized = proceeds - fee - cost;
                self.positions.entry(t.instrument.clone()).or_default().realized += realized;
                self.sales.push(Sale {
                    trade: t.id.clone(),
                    instrument: t.instrument.clone(),
                    date: t.date,
                    qty: qty.get(),
                    proceeds,
                    fee: *fee,
                    cost,
                    realized,
                    lots: takes,
                });
            }
            TradeKind::TransferOut { qty, lots } => {
                let takes = self.take(t, qty.get(), lots)?;
                let cost: Decimal = takes.iter().map(|l| l.cost).sum();
                self.transfers_out.push(Sale {
                    trade: t.id.clone(),
                    instrument: t.instrument.clone(),
                    date: t.date,
                    qty: qty.get(),
                    proceeds: cost,
                    fee: Decimal::ZERO,
                    cost,
                    realized: Decimal::ZERO,
                    lots: takes,
                });
            }
            TradeKind::Split { ratio } => {
                if *ratio <= Decimal::ZERO {
                    return Err(PortfolioError::BadRatio { trade: t.id.clone(), ratio: *ratio });
                }
                // Cost stays; the unit cost divides by the ratio with it.
                if let Some(p) = self.positions.get_mut(&t.instrument) {
                    for lot in &mut p.lots {
                        lot.qty *= ratio;
                    }
                }
            }
            TradeKind::Dividend { gross, withholding } => {
                non_negative("withholding_tax", *withholding)?;
                self.positions.entry(t.instrument.clone()).or_default().dividends += gross - withholding;
            }
            TradeKind::Interest { amount } => self.interest += amount,
            TradeKind::Fee { amount } => self.fees += amount,
        }
        self.cash += t.cash();
        Ok(())
    }

    fn open(&mut self, t: &Trade, qty: Decimal, cost: Decimal) {
        let lot = Lot { trade: t.id.clone(), opened: t.at, date: t.date, qty, cost };
        self.positions.entry(t.instrument.clone()).or_default().lots.push(lot);
    }

    /// Takes `qty` out of the instrument's lots by the method, all or nothing.
    fn take(&mut self, t: &Trade, qty: Decimal, picks: &[LotPick]) -> Result<Vec<LotTake>, PortfolioError> {
        let method = self.method;
        let pos = self.positions.entry(t.instrument.clone()).or_default();
        let held = pos.qty();
        if qty > held {
            return Err(PortfolioError::Oversell {
                trade: t.id.clone(),
                instrument: t.instrument.clone(),
                held,
                asked: qty,
            });
        }
        let n = pos.lots.len();
        let takes = match method {
            CostMethod::Average => take_average(&mut pos.lots, qty, held),
            CostMethod::Specific if !picks.is_empty() => take_picked(t, &mut pos.lots, qty, picks)?,
            CostMethod::Fifo | CostMethod::Specific => take_in_order(&mut pos.lots, qty, 0..n),
            CostMethod::Lifo => take_in_order(&mut pos.lots, qty, (0..n).rev()),
            CostMethod::Hifo => {
                let mut order: Vec<usize> = (0..n).collect();
                // Highest unit cost first, compared cross-multiplied so no
                // division rounds; the stable sort keeps ties oldest first.
                order.sort_by(|&a, &b| {
                    let (la, lb) = (&pos.lots[a], &pos.lots[b]);
                    (lb.cost * la.qty).cmp(&(la.cost * lb.qty))
                });
                take_in_order(&mut pos.lots, qty, order)
            }
        };
        pos.lots.retain(|l| !l.qty.is_zero());
        Ok(takes)
    }
}

/// Places a pro rata share of cost is kept to. A division rounds somewhere;
/// rounding it here, far below a printed cent, keeps every later sum exact
/// (costs stay well inside Decimal's 28 digits), so cost in = cost out + open
/// cost holds to the last digit.
const SHARE_PLACES: u32 = 16;

fn pro_rata(x: Decimal, part: Decimal, whole: Decimal) -> Decimal {
    (x * part / whole).round_dp(SHARE_PLACES)
}

/// One lot's share of `q`: all of its cost when it goes whole, else pro rata.
fn take_from(lot: &mut Lot, q: Decimal) -> LotTake {
    let cost = if q == lot.qty { lot.cost } else { pro_rata(lot.cost, q, lot.qty) };
    lot.qty -= q;
    lot.cost -= cost;
    LotTake { trade: lot.trade.clone(), qty: q, cost }
}

fn take_in_order(lots: &mut [Lot], qty: Decimal, order: impl IntoIterator<Item = usize>) -> Vec<LotTake> {
    let mut left = qty;
    let mut takes = vec![];
    for i in order {
        if left.is_zero() {
            break;
        }
        let q = left.min(lots[i].qty);
        if q.is_zero() {
            continue;
        }
        takes.push(take_from(&mut lots[i], q));
        left -= q;
    }
    takes
}

/// `pool_cost * q / pool_qty`. The sale's takes show each lot's share pro
/// rata (the last lot takes the remainder, so they add up exactly), and what
/// is left becomes one lot, the pool: a pro rata quantity left in every lot
/// would round at 28 digits and the pool would no longer hold exactly what
/// was bought minus what was sold.
fn take_average(lots: &mut Vec<Lot>, qty: Decimal, held: Decimal) -> Vec<LotTake> {
    if qty == held {
        return lots.iter_mut().map(|l| take_from(l, l.qty)).collect();
    }
    let pool_cost: Decimal = lots.iter().map(|l| l.cost).sum();
    let share = pro_rata(pool_cost, qty, held);
    let (mut q_left, mut c_left) = (qty, share);
    let n = lots.len();
    let takes = lots
        .iter()
        .enumerate()
        .map(|(i, lot)| {
            let (q, c) = if i + 1 == n {
                (q_left, c_left)
            } else {
                (pro_rata(lot.qty, qty, held), pro_rata(lot.cost, qty, held))
            };
            q_left -= q;
            c_left -= c;
            LotTake { trade: lot.trade.clone(), qty: q, cost: c }
        })
        .collect();
    let first = &lots[0];
    let pool = Lot {
        trade: POOL.to_string(),
        opened: first.opened,
        date: first.date,
        qty: held - qty,
        cost: pool_cost - share,
    };
    *lots = vec![pool];
    takes
}

/// The name of the lot the average method leaves after a partial sale.
pub const POOL: &str = "pool";

fn take_picked(t: &Trade, lots: &mut [Lot], qty: Decimal, picks: &[LotPick]) -> Result<Vec<LotTake>, PortfolioError> {
    let named: Decimal = picks.iter().map(|p| p.qty.get()).sum();
    if named != qty {
        return Err(PortfolioError::PicksDontAddUp { trade: t.id.clone(), named, sold: qty });
    }
    // Check every pick before touching a lot: all or nothing.
    let mut wanted: BTreeMap<&str, Decimal> = BTreeMap::new();
    for p in picks {
        *wanted.entry(p.trade.as_str()).or_default() += p.qty.get();
    }
    for (lot, asked) in &wanted {
        let held = lots.iter().find(|l| l.trade == *lot).map(|l| l.qty);
        match held {
            None => return Err(PortfolioError::UnknownLot { trade: t.id.clone(), lot: lot.to_string() }),
            Some(held) if held < *asked => {
                return Err(PortfolioError::LotTooSmall {
                    trade: t.id.clone(),
                    lot: lot.to_string(),
                    held,
                    asked: *asked,
                });
            }
            Some(_) => {}
        }
    }
    Ok(picks
        .iter()
        .map(|p| {
            let lot = lots.iter_mut().find(|l| l.trade == p.trade).expect("checked above");
            take_from(lot, p.qty.get())
        })
        .collect())
}
