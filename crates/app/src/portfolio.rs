//! Investments (issue 16): a book's stored trades turned into the core's
//! lot engine input, per brokerage account, and the listings `kassa
//! portfolio holdings|sales|lots|performance` and the API print: rounded on
//! output only (half-even, 2 places for money, 6 for quantities).
//!
//! Prices: what a trade paid is the instrument's price that day unless a
//! price was imported for it, so a holding without any price file is still
//! valued at its last trade.

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use kassa_core::import::ImportedTrade;
use kassa_core::portfolio::events::PricePoint;
use kassa_core::portfolio::returns::{Interval, PerfPoint, performance};
use kassa_core::portfolio::{
    CostMethod, FxSplit, InstrumentKind, Isin, Portfolio, PortfolioError, PriceBook, Quantity, Trade, TradeKind,
    booking_order, round_money, round_qty,
};
use kassa_core::report::Wanted;
use kassa_core::{Account, AccountId, BookId, Currency};
use kassa_store::Store;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::{AppError, AppResult};

/// What every listing takes: `--account`, `--as-of`, `--method`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortfolioQuery {
    /// An account name; every brokerage account with trades when absent.
    pub account: Option<String>,
    pub as_of: Option<Date>,
    /// A what-if override of each account's own method.
    pub method: Option<CostMethod>,
    /// Only the trades of this instrument (its symbol or ISIN): returns,
    /// value and P&L per instrument, its dividends counted.
    pub instrument: Option<String>,
}

/// One row of `kassa portfolio holdings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HoldingRow {
    pub account: String,
    pub symbol: Option<String>,
    pub isin: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub cost_basis: Decimal,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub price: Option<Decimal>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub price_date: Option<Date>,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub market_value: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unrealized_pnl: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub realized_pnl: Decimal,
    // The columns after issue 16's contract, appended so its order stays.
    /// The instrument's name: as set by `kassa instrument set`, else the
    /// first a file gave.
    pub name: Option<String>,
    /// stock, etf, fund, bond, crypto or other (also while nobody said).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: InstrumentKind,
    /// The book's main currency, which the columns below are in; they are
    /// empty when a rate the holding needs is missing
    /// ([`kassa_core::portfolio::FxSplit`] defines them).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub base_currency: Option<Currency>,
    /// What the open lots cost, each at the rate of the day it was bought.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub cost_basis_base: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub market_value_base: Option<Decimal>,
    /// `price_effect + currency_effect`, exactly as printed.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub unrealized_pnl_base: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub price_effect: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub currency_effect: Option<Decimal>,
}

/// One row of `kassa instrument list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstrumentRow {
    /// What trades and prices name it by: the ISIN when a trade gives one,
    /// else the ticker, upper-cased.
    pub instrument: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub isin: Option<Isin>,
    pub symbol: Option<String>,
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub currency: Currency,
    /// stock, etf, fund, bond, crypto or other (also while nobody said).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: InstrumentKind,
}

impl From<kassa_store::InstrumentRow> for InstrumentRow {
    fn from(r: kassa_store::InstrumentRow) -> InstrumentRow {
        InstrumentRow {
            instrument: r.key,
            isin: r.isin,
            symbol: r.symbol,
            name: r.name,
            currency: r.currency,
            kind: r.kind.unwrap_or(InstrumentKind::Other),
        }
    }
}

/// One row of `kassa portfolio sales`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaleRow {
    pub external_id: String,
    pub account: String,
    pub symbol: Option<String>,
    /// Not in the listing's columns (issue 16's contract); the web page
    /// names the instrument by it when there is no symbol.
    #[serde(skip)]
    pub isin: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: Date,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub proceeds: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub fee: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub cost: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub realized_pnl: Decimal,
    pub lots: Vec<SaleLot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaleLot {
    pub trade: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub cost: Decimal,
}

/// One row of `kassa portfolio lots`: an open lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LotRow {
    pub account: String,
    pub symbol: Option<String>,
    pub isin: Option<String>,
    pub trade: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub opened: Date,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub cost: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit_cost: Decimal,
}

/// One row of `kassa portfolio performance`; returns as fractions (0.05 is
/// 5 %), TWR cumulative from `from`, MWR annualised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PerformanceRow {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: Date,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub value: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub invested: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub twr: Decimal,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub mwr: Option<Decimal>,
}

/// What the trades and the book's instruments say about one, by key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Instrument {
    symbol: Option<String>,
    isin: Option<String>,
    /// The name set for it, else the first a trade gives it (broker
    /// exports name the product).
    name: Option<String>,
    currency: Currency,
    kind: InstrumentKind,
}

/// One account's trades, in booking order, and what they name.
struct AccountTrades {
    account: Account,
    /// The account's own method, or the query's what-if.
    method: CostMethod,
    trades: Vec<Trade>,
    instruments: BTreeMap<String, Instrument>,
}

/// The key trades and prices name an instrument by: its ISIN when the row
/// has one (tickers differ between exchanges), else its symbol; `""` for
/// account-level interest and fees.
pub fn instrument_key(isin: Option<&str>, symbol: Option<&str>) -> String {
    isin.or(symbol).map(|s| s.trim().to_ascii_uppercase()).unwrap_or_default()
}

/// The instant of a `trade_time`: with its offset when written, else read
/// as UTC; the order it gives is what FIFO and LIFO go by.
pub fn trade_instant(text: &str, date: Date) -> Timestamp {
    if let Ok(t) = text.parse::<Timestamp>() {
        return t;
    }
    let civil = text.parse::<DateTime>().unwrap_or_else(|_| date.to_datetime(jiff::civil::Time::midnight()));
    civil.to_zoned(TimeZone::UTC).as_ref().map_or(Timestamp::UNIX_EPOCH, Zoned::timestamp)
}

/// A stored trade as the lot engine's input; `id` names it in lots and
/// errors (its broker id when it has one).
pub fn to_trade(t: &ImportedTrade, id: String) -> Result<Trade, String> {
    let qty = || Quantity::new(t.quantity).map_err(|e| e.to_string());
    let x = &t.extra;
    let kind = match t.side.as_str() {
        "BUY" => TradeKind::Buy { qty: qty()?, price: t.price, fee: t.fees },
        "SELL" => TradeKind::Sell { qty: qty()?, price: t.price, fee: t.fees, lots: vec![] },
        "DIVIDEND" => TradeKind::Dividend {
            gross: x.amount.unwrap_or(t.quantity * t.price),
            withholding: x.withholding_tax.unwrap_or_default(),
        },
        "INTEREST" => TradeKind::Interest { amount: x.amount.unwrap_or(t.quantity * t.price) },
        // A fee row's amount moves cash out; `fees` is its size when the row
        // has no amount.
        "FEE" => TradeKind::Fee { amount: x.amount.unwrap_or(-t.fees) },
        // A split row without a ratio writes it as its quantity.
        "SPLIT" => TradeKind::Split { ratio: x.ratio.unwrap_or(t.quantity) },
        "TRANSFER_IN" => {
            TradeKind::TransferIn { qty: qty()?, cost: x.cost_basis.unwrap_or(t.quantity * t.price + t.fees) }
        }
        "TRANSFER_OUT" => TradeKind::TransferOut { qty: qty()?, lots: vec![] },
        other => return Err(format!("unknown trade side '{other}'")),
    };
    Ok(Trade {
        id,
        at: trade_instant(&t.trade_time, t.date),
        date: t.date,
        instrument: instrument_key(t.isin.as_deref(), t.symbol.as_deref()),
        kind,
    })
}

/// Names trades without a broker id by date and their place among the
/// account's trades: stable as long as the history before them is.
pub fn trade_id(t: &ImportedTrade, n: usize) -> String {
    t.external_id.clone().unwrap_or_else(|| format!("{}#{n}", t.date))
}

/// The selected accounts' trades, the prices, and the book's main currency.
struct Loaded {
    accounts: Vec<AccountTrades>,
    prices: PriceBook,
    base: Option<Currency>,
}

/// Which imported prices a listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prices {
    /// Every day's: values over time.
    All,
    /// What a valuation at the query's date can use.
    AsOf,
    /// None: sales and lots value nothing.
    None,
}

fn load(store: &dyn Store, book: BookId, q: &PortfolioQuery, wants: Prices) -> AppResult<Loaded> {
    let facts = store.report_facts(book, None, Wanted { flows: false, counterparties: false, daily: false })?;
    let base = kassa_core::budget::main_currency(&facts.accounts);
    let catalog: std::collections::HashMap<String, kassa_store::InstrumentRow> =
        store.instruments(book)?.into_iter().map(|i| (i.key.clone(), i)).collect();
    let accounts: BTreeMap<AccountId, &Account> = facts.accounts.iter().map(|a| (a.id, a)).collect();
    if let Some(name) = &q.account
        && !accounts.values().any(|a| a.name.eq_ignore_ascii_case(name))
    {
        return Err(AppError::invalid("account", format!("unknown account '{name}'")));
    }
    let mut by_account: BTreeMap<AccountId, Vec<ImportedTrade>> = BTreeMap::new();
    for t in store.trades(book)? {
        by_account.entry(t.account_id).or_default().push(t);
    }
    let methods: BTreeMap<AccountId, CostMethod> = store.cost_methods(book)?.into_iter().collect();
    let mut wanted: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut prices = PriceBook::default();
    let mut out = vec![];
    for (id, stored) in by_account {
        let Some(account) = accounts.get(&id) else { continue };
        if q.account.as_ref().is_some_and(|n| !account.name.eq_ignore_ascii_case(n)) {
            continue;
        }
        let mut trades = Vec::with_capacity(stored.len());
        let mut instruments = BTreeMap::new();
        // Trade ids count the account's trades, so the filter comes after
        // numbering them.
        let selected = |t: &ImportedTrade| {
            q.instrument.as_deref().is_none_or(|want| {
                [t.symbol.as_deref(), t.isin.as_deref()]
                    .into_iter()
                    .flatten()
                    .any(|n| n.eq_ignore_ascii_case(want.trim()))
            })
        };
        for (n, t) in stored.iter().enumerate().filter(|(_, t)| selected(t)) {
            let trade = to_trade(t, trade_id(t, n)).map_err(|e| AppError::Internal(format!("stored trade: {e}")))?;
            match trade.kind {
                TradeKind::Buy { .. } | TradeKind::Sell { .. } => {
                    prices.insert_fallback(&trade.instrument, t.date, t.price)
                }
                TradeKind::Split { ratio } => prices.insert_split(&trade.instrument, t.date, ratio),
                _ => {}
            }
            // Looked up before it is inserted: a key cloned per trade was
            // 100,000 allocations for 50 instruments.
            if !instruments.contains_key(&trade.instrument) {
                let known = catalog.get(&trade.instrument);
                let i = Instrument {
                    symbol: t.symbol.clone(),
                    isin: t.isin.clone(),
                    name: known.and_then(|k| k.name.clone()),
                    currency: t.currency,
                    kind: known.and_then(|k| k.kind).unwrap_or(InstrumentKind::Other),
                };
                instruments.insert(trade.instrument.clone(), i);
            }
            if let Some(i) = instruments.get_mut(&trade.instrument)
                && i.name.is_none()
            {
                i.name.clone_from(&t.extra.name);
            }
            trades.push(trade);
        }
        booking_order(&mut trades);
        // A price file names a ticker or an ISIN; either finds the instrument,
        // under any name an account's trades give it.
        for (key, i) in &instruments {
            let names = [i.symbol.as_deref(), i.isin.as_deref()].into_iter().flatten();
            wanted.entry(key.clone()).or_default().extend(names.map(str::to_ascii_uppercase));
        }
        let method = q.method.or(methods.get(&id).copied()).unwrap_or_default();
        if trades.is_empty() && q.instrument.is_some() {
            continue;
        }
        out.push(AccountTrades { account: (*account).clone(), trades, instruments, method });
    }
    let imported = match wants {
        Prices::All => store.prices(book)?,
        // Only the latest ≤ D of each name can be what a valuation at D
        // uses: the largest date among an instrument's names is kept, and
        // so is every name priced on it (`kassa bench portfolio`: 182,500
        // prices read for 50).
        Prices::AsOf => store.prices_as_of(book, as_of(q, &out))?,
        Prices::None => vec![],
    };
    // Imported prices by the name they give, upper-cased, as positions in
    // the file's order: each instrument looks its ticker and ISIN up once
    // (a scan of every price per instrument and account took seconds on
    // 50 instruments of daily prices, `kassa bench portfolio`).
    let mut named: std::collections::HashMap<String, Vec<usize>> = std::collections::HashMap::new();
    for (n, p) in imported.iter().enumerate() {
        named.entry(p.symbol.to_ascii_uppercase()).or_default().push(n);
    }
    // After every trade price: an imported price overrules one, never the reverse.
    for (key, names) in &wanted {
        let mut rows: Vec<usize> = names.iter().flat_map(|n| named.get(n).into_iter().flatten().copied()).collect();
        // The file's order, so a later row for the same day still wins.
        rows.sort_unstable();
        rows.dedup();
        for p in rows.into_iter().map(|n| &imported[n]) {
            prices.insert(key, p.date, p.price);
        }
    }
    if let Some(want) = &q.instrument
        && out.is_empty()
    {
        return Err(AppError::invalid("instrument", format!("no trades of '{want}' (give its symbol or ISIN)")));
    }
    Ok(Loaded { accounts: out, prices, base })
}

/// The selected accounts, each with its trades booked; the prices; the date
/// they are valued at; the book's main currency.
type Replayed = (Vec<(AccountTrades, Portfolio)>, PriceBook, Date, Option<Currency>);

/// Each selected account with its trades booked up to the query's date.
fn replayed(store: &dyn Store, book: BookId, q: &PortfolioQuery, wants: Prices) -> AppResult<Replayed> {
    let Loaded { accounts, prices, base } = load(store, book, q, wants)?;
    let date = as_of(q, &accounts);
    let booked = accounts
        .into_iter()
        .map(|a| {
            let p = Portfolio::replay(a.method, &a.trades, q.as_of).map_err(refused)?;
            Ok((a, p))
        })
        .collect::<AppResult<_>>()?;
    Ok((booked, prices, date, base))
}

fn refused(e: PortfolioError) -> AppError {
    AppError::Refused { code: "portfolio", message: e.to_string() }
}

fn as_of(q: &PortfolioQuery, accounts: &[AccountTrades]) -> Date {
    q.as_of.unwrap_or_else(|| last_date(accounts))
}

fn last_date(accounts: &[AccountTrades]) -> Date {
    accounts.iter().flat_map(|a| a.trades.iter().map(|t| t.date)).max().unwrap_or(kassa_core::date::FIRST)
}

/// Every position at `as_of` (default: the last trade's date), also in the
/// book's main currency with its unrealized P&L split into price and
/// currency effect.
pub fn holdings(store: &dyn Store, book: BookId, q: &PortfolioQuery) -> AppResult<Vec<HoldingRow>> {
    let (booked, prices, date, base) = replayed(store, book, q, Prices::AsOf)?;
    let fx = kassa_core::report::fx::FxTable::new(&store.fx_rates(book)?);
    let mut rows = vec![];
    for (a, p) in &booked {
        for h in p.holdings(&prices, date) {
            let Some(i) = a.instruments.get(&h.instrument) else { continue };
            if h.instrument.is_empty() {
                continue;
            }
            let rate = |on: Date| base.and_then(|to| fx.rate(i.currency, to, on).ok());
            let split = match (rate(date), p.positions.get(&h.instrument)) {
                (Some(now), Some(pos)) => FxSplit::of(pos, h.market_value, now, rate),
                _ => None,
            };
            // Rounded each on its own, the effects could miss the total by
            // a cent: the currency effect is what the rounded total leaves.
            let unrealized_base = split.map(|s| round_money(s.unrealized));
            let price_effect = split.map(|s| round_money(s.price_effect));
            rows.push(HoldingRow {
                account: a.account.name.clone(),
                symbol: i.symbol.clone(),
                isin: i.isin.clone(),
                name: i.name.clone(),
                kind: i.kind,
                base_currency: split.and(base),
                cost_basis_base: split.map(|s| round_money(s.cost)),
                market_value_base: split.map(|s| round_money(s.market_value)),
                unrealized_pnl_base: unrealized_base,
                price_effect,
                currency_effect: unrealized_base.zip(price_effect).map(|(u, p)| u - p),
                currency: i.currency,
                qty: round_qty(h.qty),
                cost_basis: round_money(h.cost_basis),
                price: h.price,
                price_date: h.price_date,
                market_value: round_money(h.market_value),
                unrealized_pnl: round_money(h.unrealized),
                realized_pnl: round_money(h.realized),
            });
        }
    }
    Ok(rows)
}

/// What each brokerage account's securities are worth at each of `dates`,
/// in the account's own currency: the net worth and balance figures add it
/// to the account's cash (issue 16: a brokerage account's balance is its
/// cash, its value cash plus holdings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecuritiesValue {
    /// By account, per date asked for, the value per currency, each rounded
    /// to its minor units: the account's currency, and any currency its
    /// holdings are quoted in that has no rate into it (they still count,
    /// in their own currency, rather than vanish).
    pub values: BTreeMap<AccountId, Vec<BTreeMap<Currency, Decimal>>>,
    /// The pairs without a rate: `(instrument currency, account currency,
    /// first date)`, once per pair.
    pub missing_rates: Vec<(Currency, Currency, Date)>,
}

impl SecuritiesValue {
    /// The value of `account`'s securities at the `n`th date, per currency.
    pub fn at(&self, account: AccountId, n: usize) -> impl Iterator<Item = (Currency, Decimal)> + '_ {
        self.values.get(&account).and_then(|v| v.get(n)).into_iter().flat_map(|m| m.iter().map(|(c, d)| (*c, *d)))
    }
}

/// Values every brokerage account of `accounts` that has trades at each of
/// `dates` (ascending): one pass over its trades in booking order, under
/// its own cost method (a holding without any price is counted at cost,
/// which the method decides). Holdings in another currency are converted
/// at the book's rate of each date.
pub fn securities_value(
    store: &dyn Store,
    book: BookId,
    accounts: &[Account],
    dates: &[Date],
) -> AppResult<SecuritiesValue> {
    let mut out = SecuritiesValue::default();
    let seen: std::collections::BTreeSet<AccountId> = accounts.iter().map(|a| a.id).collect();
    let Loaded { accounts: booked, prices, .. } = load(store, book, &PortfolioQuery::default(), Prices::All)?;
    let booked: Vec<AccountTrades> = booked.into_iter().filter(|a| seen.contains(&a.account.id)).collect();
    if booked.is_empty() {
        return Ok(out);
    }
    let fx = kassa_core::report::fx::FxTable::new(&store.fx_rates(book)?);
    let mut missing = std::collections::BTreeSet::new();
    for a in booked {
        let to = a.account.currency;
        let mut p = Portfolio::new(a.method);
        let mut next = a.trades.iter().peekable();
        let mut values = Vec::with_capacity(dates.len());
        for &date in dates {
            while let Some(t) = next.next_if(|t| t.date <= date) {
                p.apply(t).map_err(|e| AppError::Internal(format!("stored trade: {e}")))?;
            }
            let mut total: BTreeMap<Currency, Decimal> = BTreeMap::new();
            for h in p.holdings(&prices, date).iter().filter(|h| !h.qty.is_zero()) {
                let from = a.instruments.get(&h.instrument).map_or(to, |i| i.currency);
                match fx.rate(from, to, date) {
                    Ok(rate) => *total.entry(to).or_default() += h.market_value * rate,
                    Err(_) => {
                        *total.entry(from).or_default() += h.market_value;
                        if missing.insert((from, to)) {
                            out.missing_rates.push((from, to, date));
                        }
                    }
                }
            }
            for (c, v) in total.iter_mut() {
                *v = v.round_dp_with_strategy(c.minor_units(), rust_decimal::RoundingStrategy::MidpointNearestEven);
            }
            values.push(total);
        }
        out.values.insert(a.account.id, values);
    }
    Ok(out)
}

/// Every sale up to `as_of`, with the lots it consumed.
pub fn sales(store: &dyn Store, book: BookId, q: &PortfolioQuery) -> AppResult<Vec<SaleRow>> {
    let (booked, ..) = replayed(store, book, q, Prices::None)?;
    let mut rows = vec![];
    for (a, p) in &booked {
        for s in &p.sales {
            rows.push(SaleRow {
                external_id: s.trade.clone(),
                account: a.account.name.clone(),
                symbol: a.instruments.get(&s.instrument).and_then(|i| i.symbol.clone()),
                isin: a.instruments.get(&s.instrument).and_then(|i| i.isin.clone()),
                date: s.date,
                qty: round_qty(s.qty),
                proceeds: round_money(s.proceeds),
                fee: round_money(s.fee),
                cost: round_money(s.cost),
                realized_pnl: round_money(s.realized),
                lots: s
                    .lots
                    .iter()
                    .map(|l| SaleLot { trade: l.trade.clone(), qty: round_qty(l.qty), cost: round_money(l.cost) })
                    .collect(),
            });
        }
    }
    Ok(rows)
}

/// Every open lot at `as_of`.
pub fn lots(store: &dyn Store, book: BookId, q: &PortfolioQuery) -> AppResult<Vec<LotRow>> {
    let (booked, ..) = replayed(store, book, q, Prices::None)?;
    let mut rows = vec![];
    for (a, p) in &booked {
        for (key, pos) in &p.positions {
            let i = a.instruments.get(key);
            for l in &pos.lots {
                rows.push(LotRow {
                    account: a.account.name.clone(),
                    symbol: i.and_then(|i| i.symbol.clone()),
                    isin: i.and_then(|i| i.isin.clone()),
                    trade: l.trade.clone(),
                    opened: l.date,
                    qty: round_qty(l.qty),
                    cost: round_money(l.cost),
                    unit_cost: round_money(l.unit_cost()),
                });
            }
        }
    }
    Ok(rows)
}

/// `--from` / `--to` / `--interval` of `kassa portfolio performance`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerformanceQuery {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub interval: Interval,
}

/// Value, invested, TWR and MWR of the selected accounts together.
pub fn performance_rows(
    store: &dyn Store,
    book: BookId,
    q: &PortfolioQuery,
    range: &PerformanceQuery,
) -> AppResult<Vec<PerformanceRow>> {
    let Loaded { accounts, prices, .. } = load(store, book, q, Prices::All)?;
    // One engine over every account: each account's positions keep their
    // own lots by prefixing the instrument with the account.
    let mut all = vec![];
    let mut keyed = PriceBook::default();
    for a in &accounts {
        for key in a.instruments.keys() {
            for (d, p) in prices.series(key) {
                keyed.insert(&format!("{}/{key}", a.account.id.0), d, p);
            }
        }
        all.extend(
            a.trades.iter().map(|t| Trade { instrument: format!("{}/{}", a.account.id.0, t.instrument), ..t.clone() }),
        );
    }
    booking_order(&mut all);
    for t in &all {
        if let TradeKind::Split { ratio } = t.kind {
            keyed.insert_split(&t.instrument, t.date, ratio);
        }
    }
    let Some(first) = all.iter().map(|t| t.date).min() else { return Ok(vec![]) };
    let from = range.from.unwrap_or(first);
    let to = range.to.or(q.as_of).unwrap_or_else(|| last_date(&accounts));
    if to < from {
        return Err(AppError::invalid("to", format!("{to} is before {from}")));
    }
    // Value and returns do not depend on the method; `invested` (the cost
    // of what is held) does: the what-if's, else the accounts' when they
    // agree, else FIFO.
    let mut methods = accounts.iter().map(|a| a.method);
    let first_method = methods.next().unwrap_or_default();
    let method = if methods.all(|m| m == first_method) { first_method } else { CostMethod::Fifo };
    let points = performance(&all, method, &keyed, from, to, range.interval).map_err(refused)?;
    Ok(points.into_iter().map(row).collect())
}

fn row(p: PerfPoint) -> PerformanceRow {
    PerformanceRow {
        date: p.date,
        value: round_money(p.value),
        invested: round_money(p.invested),
        twr: round_qty(p.twr),
        mwr: p.mwr.map(round_qty),
    }
}

/// A trade row's own faults, before it is stored: an ISIN whose check digit
/// fails, a negative price or fee. `(field, message)`.
pub(crate) fn check_row(t: &kassa_import::TradeRow) -> Result<(), (&'static str, String)> {
    if let Some(isin) = t.isin.as_deref().filter(|s| !s.trim().is_empty()) {
        Isin::parse(isin).map_err(|e| ("isin", e.to_string()))?;
    }
    if t.price.is_sign_negative() && !t.price.is_zero() {
        return Err(("price", format!("price must not be negative, got {}", t.price)));
    }
    if t.fees.is_sign_negative() && !t.fees.is_zero() {
        return Err(("fees", format!("fees must not be negative, got {}", t.fees)));
    }
    Ok(())
}

/// What an import's trades meet before they are stored: the book's trades
/// so far, for re-import (the broker id first, then a fingerprint with an
/// occurrence counter, so two identical buys minutes apart stay two, and a
/// trade two files of one account both carry is booked once) and
/// for the quantity check (no sale of more than is held, stored and new
/// trades together in booking order).
///
/// The stored trades are read before the import's write transaction; two
/// imports of the same trades at the same moment could both pass. An import
/// of a person's own files is not raced in practice.
#[derive(Debug, Default)]
pub(crate) struct TradeGate {
    stored: BTreeMap<AccountId, Vec<ImportedTrade>>,
    external: std::collections::HashSet<(AccountId, String)>,
    /// Stored trades per fingerprint, and those seen in this file so far.
    stored_fp: std::collections::HashMap<(AccountId, String), usize>,
    seen_fp: std::collections::HashMap<(AccountId, String), usize>,
    new: Vec<(usize, ImportedTrade)>,
}

/// What a trade is, whichever file says it: its date (sources disagree on
/// the time: a broker's statement has the execution time, a hand-kept
/// trades.csv often none), instrument, kind and size. Fees are left out
/// because brokers book them apart (DEGIRO writes its costs as lines of
/// their own) while a trades.csv folds them into the trade, so the same
/// buy from the two files must still meet.
fn fingerprint(t: &ImportedTrade) -> String {
    let size = match t.side.as_str() {
        "DIVIDEND" | "INTEREST" | "FEE" => t.extra.amount.unwrap_or(t.quantity * t.price).normalize().to_string(),
        "SPLIT" => t.extra.ratio.unwrap_or(t.quantity).normalize().to_string(),
        _ => format!("{}@{}", t.quantity.normalize(), t.price.normalize()),
    };
    format!("{}|{}|{}|{size}", t.date, instrument_key(t.isin.as_deref(), t.symbol.as_deref()), t.side)
}

impl TradeGate {
    pub(crate) fn new(stored: Vec<ImportedTrade>) -> TradeGate {
        let mut gate = TradeGate::default();
        for t in stored {
            if let Some(id) = &t.external_id {
                gate.external.insert((t.account_id, id.clone()));
            }
            *gate.stored_fp.entry((t.account_id, fingerprint(&t))).or_default() += 1;
            gate.stored.entry(t.account_id).or_default().push(t);
        }
        gate
    }

    /// Whether `t` is already in the book; counts it as seen either way.
    pub(crate) fn is_duplicate(&mut self, t: &ImportedTrade) -> bool {
        let fp = (t.account_id, fingerprint(t));
        let seen = self.seen_fp.entry(fp.clone()).or_default();
        *seen += 1;
        // A known broker id settles it; an unknown one may still be a trade
        // another file of the same account brought (the broker's statement
        // and a trades.csv), which the occurrence count finds.
        if let Some(id) = &t.external_id
            && self.external.contains(&(t.account_id, id.clone()))
        {
            return true;
        }
        *seen <= self.stored_fp.get(&fp).copied().unwrap_or(0)
    }

    pub(crate) fn admit(&mut self, line: usize, t: ImportedTrade) {
        self.new.push((line, t));
    }

    /// Each account's stored and new trades booked together: `(line, field,
    /// message)` for every new trade that cannot be.
    pub(crate) fn check(&self) -> Vec<(usize, &'static str, String)> {
        let mut errors = vec![];
        let accounts: std::collections::BTreeSet<AccountId> = self.new.iter().map(|(_, t)| t.account_id).collect();
        for account in accounts {
            let stored = self.stored.get(&account).map_or(&[][..], Vec::as_slice);
            let mut trades = vec![];
            for (n, t) in stored.iter().enumerate() {
                if let Ok(tr) = to_trade(t, format!("stored {}", trade_id(t, n))) {
                    trades.push(tr);
                }
            }
            let mut lines = BTreeMap::new();
            for (line, t) in self.new.iter().filter(|(_, t)| t.account_id == account) {
                match to_trade(t, format!("line {line}")) {
                    Ok(tr) => {
                        lines.insert(tr.id.clone(), *line);
                        trades.push(tr);
                    }
                    Err(e) => errors.push((*line, "qty", e)),
                }
            }
            booking_order(&mut trades);
            let mut p = Portfolio::new(CostMethod::Fifo);
            for t in &trades {
                if let Err(e) = p.apply(t) {
                    // A stored trade that no longer books was pushed out by a
                    // new one dated before it: the first new line is named.
                    let line = lines.get(e.trade()).or_else(|| lines.values().next()).copied().unwrap_or(0);
                    errors.push((line, e.field(), e.to_string()));
                    break;
                }
            }
        }
        errors
    }
}

/// Parses a prices file, `date,symbol,price,currency` with a header; a later
/// row for the same symbol and day wins. Every bad row is named
/// `file:line: field: message`, and then nothing is stored.
pub fn parse_prices(file: &str, text: &str) -> AppResult<Vec<PricePoint>> {
    let mut errors = vec![];
    let mut by_key: BTreeMap<(String, Date), PricePoint> = BTreeMap::new();
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case("date,symbol,price,currency") => {}
        _ => {
            return Err(AppError::invalid("file", format!("{file}:1: expected the header date,symbol,price,currency")));
        }
    }
    for (i, line) in lines {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if cols.len() != 4 {
            errors.push(format!("{file}:{n}: expected 4 columns, got {}", cols.len()));
            continue;
        }
        let point = (|| {
            let date = kassa_core::LedgerDate::parse(cols[0]).map_err(|e| format!("date: {e}"))?.get();
            if cols[1].is_empty() {
                return Err("symbol: must not be empty".to_string());
            }
            let price: Decimal = cols[2].parse().map_err(|_| format!("price: invalid number '{}'", cols[2]))?;
            if price < Decimal::ZERO {
                return Err(format!("price: must not be negative, got {price}"));
            }
            let currency = Currency::parse(cols[3]).map_err(|e| format!("currency: {e}"))?;
            Ok(PricePoint { date, symbol: cols[1].to_string(), price, currency })
        })();
        match point {
            Ok(p) => {
                by_key.insert((p.symbol.to_ascii_uppercase(), p.date), p);
            }
            Err(e) => errors.push(format!("{file}:{n}: {e}")),
        }
    }
    if !errors.is_empty() {
        let count = errors.len();
        errors.truncate(10);
        return Err(AppError::invalid("file", format!("{count} bad row(s), nothing stored: {}", errors.join("; "))));
    }
    Ok(by_key.into_values().collect())
}

/// Stores a prices file's prices; how many.
pub fn import_prices(store: &dyn Store, actor: &str, book: BookId, file: &str, text: &str) -> AppResult<usize> {
    let prices = parse_prices(file, text)?;
    let n = prices.len();
    store.execute(book, actor, &[kassa_core::Command::ImportPrices { prices }])?;
    Ok(n)
}

/// `kassa account set NAME --cost-method M`.
pub fn set_cost_method(
    store: &dyn Store,
    actor: &str,
    book: BookId,
    account: &str,
    method: CostMethod,
) -> AppResult<()> {
    let ledger = store.ledger(book)?;
    let id = ledger.resolve_account(&kassa_core::AccountRef::Name(account.to_string()))?.id;
    store.execute(book, actor, &[kassa_core::Command::SetCostMethod { account_id: id, method }])?;
    Ok(())
}

/// The query of `GET …/portfolio/*`: what the CLI's flags say.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PortfolioParams {
    /// Only this account, by name
    pub account: Option<String>,
    /// Only this instrument, by symbol or ISIN
    pub instrument: Option<String>,
    /// Count trades and prices dated up to this day, YYYY-MM-DD (default: the last trade's)
    pub as_of: Option<String>,
    /// What-if: fifo, lifo, hifo, average or specific
    pub method: Option<String>,
    /// performance: first day, YYYY-MM-DD
    pub from: Option<String>,
    /// performance: last day, YYYY-MM-DD
    pub to: Option<String>,
    /// performance: day, month (default), year or whole
    pub interval: Option<String>,
}

fn date_param(field: &str, v: &Option<String>) -> AppResult<Option<Date>> {
    v.as_deref()
        .map(|s| {
            kassa_core::LedgerDate::parse(s.trim())
                .map(kassa_core::LedgerDate::get)
                .map_err(|e| AppError::invalid(field, e))
        })
        .transpose()
}

impl PortfolioParams {
    pub fn query(&self) -> AppResult<PortfolioQuery> {
        let method =
            self.method.as_deref().map(CostMethod::parse).transpose().map_err(|e| AppError::invalid("method", e))?;
        Ok(PortfolioQuery {
            account: self.account.clone(),
            as_of: date_param("as_of", &self.as_of)?,
            method,
            instrument: self.instrument.clone(),
        })
    }

    pub fn range(&self) -> AppResult<PerformanceQuery> {
        let interval = match self.interval.as_deref().map(str::trim) {
            None | Some("month") => Interval::Month,
            Some("day") => Interval::Day,
            Some("year") => Interval::Year,
            Some("whole") => Interval::Whole,
            Some(other) => {
                return Err(AppError::invalid("interval", format!("'{other}': expected day, month, year or whole")));
            }
        };
        Ok(PerformanceQuery { from: date_param("from", &self.from)?, to: date_param("to", &self.to)?, interval })
    }
}

/// A portfolio listing of `book` for a viewer (or better) of it.
type Listing<T> = fn(&dyn Store, BookId, &PortfolioParams) -> AppResult<Vec<T>>;

impl crate::App {
    fn portfolio_read<T>(
        &self,
        actor: &crate::Actor,
        book: BookId,
        p: &PortfolioParams,
        f: Listing<T>,
    ) -> AppResult<Vec<T>> {
        self.access(actor, book)?.require(kassa_core::access::BookRole::Viewer)?;
        f(self.store.as_ref(), book, p)
    }

    /// Holdings of the book's brokerage accounts; viewers and up.
    pub fn portfolio_holdings(
        &self,
        actor: &crate::Actor,
        book: BookId,
        p: &PortfolioParams,
    ) -> AppResult<Vec<HoldingRow>> {
        self.portfolio_read(actor, book, p, |s, b, p| holdings(s, b, &p.query()?))
    }

    /// Sales with their lots; viewers and up.
    pub fn portfolio_sales(&self, actor: &crate::Actor, book: BookId, p: &PortfolioParams) -> AppResult<Vec<SaleRow>> {
        self.portfolio_read(actor, book, p, |s, b, p| sales(s, b, &p.query()?))
    }

    /// Open lots; viewers and up.
    pub fn portfolio_lots(&self, actor: &crate::Actor, book: BookId, p: &PortfolioParams) -> AppResult<Vec<LotRow>> {
        self.portfolio_read(actor, book, p, |s, b, p| lots(s, b, &p.query()?))
    }

    /// Value, invested and returns over time; viewers and up.
    pub fn portfolio_performance(
        &self,
        actor: &crate::Actor,
        book: BookId,
        p: &PortfolioParams,
    ) -> AppResult<Vec<PerformanceRow>> {
        self.portfolio_read(actor, book, p, |s, b, p| performance_rows(s, b, &p.query()?, &p.range()?))
    }
}
