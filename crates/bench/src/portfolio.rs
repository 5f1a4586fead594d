//! A generated portfolio, written both as kassa's `trades.csv` and prices
//! file and as a beancount ledger of the same trades: the data of the
//! beancount cross-check (`crates/cli/tests/beancount.rs`) and of
//! `kassa bench portfolio`, which times `kassa portfolio holdings` and
//! `performance` whole-process beside `bean-query` answering the same
//! holdings question.
//!
//! How the ledger bridges beancount's conventions to kassa's (issue 16):
//! - a buy's fee is in its lot's cost: the posting's total cost
//!   `{{qty*price + fee EUR}}`, and the cash leg pays the same;
//! - a sale's fee comes out of its proceeds: the cash leg receives
//!   `qty*price - fee` and no expense is posted, so the interpolated
//!   `Income:Gains:…` leg is exactly minus kassa's realized P&L;
//! - beancount books a day's transactions in file order, so trades are
//!   written in kassa's booking order (time to the second);
//! - beancount's lot date is a day, and its LIFO sorts lots by that date
//!   with a stable reversed sort, so two lots of one day go oldest first,
//!   where kassa's LIFO takes the later one. Each lot's date is therefore
//!   its rank in booking order (day `n` after 1900-01-01 for the n-th
//!   buy), which beancount's FIFO and LIFO then sort as kassa does; the
//!   lot date enters no figure compared;
//! - each lot carries its trade id as label, so two buys at one unit
//!   cost stay two lots in both;
//! - prices are daily `price` directives, the same rows kassa imports, so
//!   the latest price on or before a date is the same in both.
//!
//! HIFO needs no bridge: beancount sorts by unit cost (the total cost
//! divided at 28 digits, fee included) with a stable reversed sort, so
//! ties go oldest first, as kassa's cross-multiplied comparison does. One
//! difference that moves no cent: beancount keeps a lot's purchase unit
//! cost, kassa compares what is left (`cost / qty`), which after a partial
//! sale differs from it by the 16-place rounding of the share taken, so
//! two lots bought at one unit cost may be taken in the other order; their
//! costs agree far below a cent.

use std::fmt::Write as _;

use jiff::civil::Date;
use kassa_core::portfolio::Isin;
use rust_decimal::Decimal;

use crate::Rng;
use crate::pages::median;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Shape {
    pub seed: u64,
    pub trades: usize,
    pub instruments: usize,
    pub accounts: usize,
    pub first_day: Date,
    pub days: usize,
}

#[derive(Debug, Clone)]
pub struct Instrument {
    pub symbol: String,
    pub isin: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Buy,
    Sell,
}

/// One generated trade, in booking order.
#[derive(Debug, Clone)]
pub struct GenTrade {
    pub id: String,
    pub account: usize,
    pub instrument: usize,
    pub date: Date,
    /// Seconds after midnight, local time (the file writes offset +01:00).
    pub second: u32,
    pub side: Side,
    pub qty: Decimal,
    pub price: Decimal,
    /// `None` is written as an empty field, which kassa reads as 0.
    pub fee: Option<Decimal>,
}

impl GenTrade {
    pub fn fee(&self) -> Decimal {
        self.fee.unwrap_or_default()
    }
}

/// A generated portfolio: trades in booking order and a price for every
/// instrument on every day.
#[derive(Debug, Clone)]
pub struct Generated {
    pub accounts: Vec<String>,
    pub instruments: Vec<Instrument>,
    pub trades: Vec<GenTrade>,
    pub first_day: Date,
    /// `prices[day][instrument]`, day 0 being `first_day`.
    pub prices: Vec<Vec<Decimal>>,
}

/// Generates `shape`: buys and sells spread over the days (several a day
/// when there are more trades than days, so same-day and same-instrument
/// trades occur), fractional quantities to 3 places, fees or an empty fee
/// column, partial sales and full closes, never more sold than held.
/// Half the trades pay the day's price exactly, so equal unit costs (HIFO
/// ties) occur too.
pub fn generate(shape: &Shape) -> Generated {
    let mut rng = Rng::new(shape.seed);
    let instruments = (0..shape.instruments).map(instrument).collect::<Vec<_>>();
    let accounts = (0..shape.accounts).map(|a| format!("Depot {}", a + 1)).collect::<Vec<_>>();

    // Daily prices in cents: a random walk of at most ±2 % a day, kept above 1.00.
    let mut cents: Vec<i64> = (0..shape.instruments).map(|_| 2_000 + rng.below(30_000) as i64).collect();
    let mut prices = Vec::with_capacity(shape.days);
    for _ in 0..shape.days {
        for c in &mut cents {
            let step = (*c * (rng.below(401) as i64 - 200)) / 10_000;
            *c = (*c + step).max(100);
        }
        prices.push(cents.iter().map(|c| Decimal::new(*c, 2)).collect::<Vec<_>>());
    }

    let mut days: Vec<usize> = (0..shape.trades).map(|_| rng.below(shape.days as u64) as usize).collect();
    days.sort_unstable();
    let mut held = vec![vec![Decimal::ZERO; shape.instruments]; shape.accounts];
    let mut trades = Vec::with_capacity(shape.trades);
    let mut second = 0;
    for (i, &day) in days.iter().enumerate() {
        // Same-day trades keep increasing times: 09:00 plus a few minutes each.
        second =
            if i > 0 && days[i - 1] == day { (second + 60 * (1 + rng.below(10) as u32)).min(86_399) } else { 9 * 3600 };
        let (account, instrument) =
            (rng.below(shape.accounts as u64) as usize, rng.below(shape.instruments as u64) as usize);
        let position = &mut held[account][instrument];
        let day_price = prices[day][instrument];
        let price = if rng.below(2) == 0 {
            day_price
        } else {
            // Within ±1 % of the day's price, to the cent.
            (day_price * Decimal::new(9_900 + rng.below(201) as i64, 4)).round_dp(2)
        };
        let fee = match rng.below(4) {
            0 => None,
            _ => Some(Decimal::new(rng.below(1_000) as i64, 2)),
        };
        let sell = !position.is_zero() && rng.below(5) < 2;
        let (side, qty) = if sell {
            // A full close one time in four, else a part, to 3 places.
            let part = if rng.below(4) == 0 {
                *position
            } else {
                (*position * Decimal::new(1 + rng.below(999) as i64, 3)).round_dp(3).max(Decimal::new(1, 3))
            };
            (Side::Sell, part.min(*position))
        } else {
            (Side::Buy, Decimal::new(1 + rng.below(50_000) as i64, 3))
        };
        match side {
            Side::Buy => *position += qty,
            Side::Sell => *position -= qty,
        }
        let date = add_days(shape.first_day, day);
        trades.push(GenTrade { id: format!("T{i}"), account, instrument, date, second, side, qty, price, fee });
    }
    Generated { accounts, instruments, trades, first_day: shape.first_day, prices }
}

/// Instrument `n`: ticker `K001`…, an ISIN under the made-up prefix XS with
/// the check digit that makes it valid.
fn instrument(n: usize) -> Instrument {
    let body = format!("XS{:09}", 100_000_000 + n);
    let isin = (0..10)
        .map(|d| format!("{body}{d}"))
        .find(|s| Isin::parse(s).is_ok())
        .expect("one check digit fits any ISIN body");
    Instrument { symbol: format!("K{:03}", n + 1), isin }
}

fn add_days(d: Date, n: usize) -> Date {
    d.checked_add(jiff::Span::new().days(n as i64)).expect("generated dates stay in range")
}

impl Generated {
    pub fn last_day(&self) -> Date {
        add_days(self.first_day, self.prices.len().saturating_sub(1))
    }

    /// The trades as kassa's `trades.csv`.
    pub fn trades_csv(&self) -> String {
        let mut out = String::from("account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id\n");
        for t in &self.trades {
            let i = &self.instruments[t.instrument];
            let (h, m, s) = (t.second / 3600, t.second / 60 % 60, t.second % 60);
            let side = if t.side == Side::Buy { "BUY" } else { "SELL" };
            let fee = t.fee.map(|f| f.to_string()).unwrap_or_default();
            let _ = writeln!(
                out,
                "{},{}T{h:02}:{m:02}:{s:02}+01:00,{},{},{side},{},{},{fee},EUR,{}",
                self.accounts[t.account], t.date, i.symbol, i.isin, t.qty, t.price, t.id
            );
        }
        out
    }

    /// Every daily price as `kassa prices import` reads them.
    pub fn prices_csv(&self) -> String {
        let mut out = String::from("date,symbol,price,currency\n");
        for (day, row) in self.prices.iter().enumerate() {
            let date = add_days(self.first_day, day);
            for (i, p) in row.iter().enumerate() {
                let _ = writeln!(out, "{date},{},{p},EUR", self.instruments[i].symbol);
            }
        }
        out
    }

    /// The beancount account of a security position; one commodity each.
    pub fn bean_account(&self, account: usize, instrument: usize) -> String {
        format!("Assets:{}:{}", bean_name(&self.accounts[account]), self.instruments[instrument].symbol)
    }

    /// The income account of a position's realized gains.
    pub fn bean_gains(&self, account: usize, instrument: usize) -> String {
        format!("Income:Gains:{}:{}", bean_name(&self.accounts[account]), self.instruments[instrument].symbol)
    }

    /// The same trades and prices as a beancount ledger whose security
    /// accounts book by `method` (`FIFO`, `LIFO` or `HIFO`); the module's
    /// comment says how each convention is bridged.
    pub fn beancount(&self, method: &str) -> String {
        let open = "1900-01-01";
        // EUR shown to 12 places: bean-query prints at the display precision,
        // and the comparison rounds to the cent itself.
        let mut out = String::from(
            "option \"operating_currency\" \"EUR\"\noption \"display_precision\" \"EUR:0.000000000001\"\n",
        );
        for a in 0..self.accounts.len() {
            let _ = writeln!(out, "{open} open Assets:{}:Cash EUR", bean_name(&self.accounts[a]));
            for i in 0..self.instruments.len() {
                let _ = writeln!(
                    out,
                    "{open} open {} {} \"{method}\"",
                    self.bean_account(a, i),
                    self.instruments[i].symbol
                );
                let _ = writeln!(out, "{open} open {} EUR", self.bean_gains(a, i));
            }
        }
        let mut lots = 0;
        let mut day = 0;
        for t in &self.trades {
            // Each day's prices before its trades (beancount orders a day's
            // directives by kind anyway); prices dated after the last trade follow it.
            while add_days(self.first_day, day) <= t.date {
                self.write_prices(&mut out, day);
                day += 1;
            }
            let cash = format!("Assets:{}:Cash", bean_name(&self.accounts[t.account]));
            let symbol = &self.instruments[t.instrument].symbol;
            let gross = t.qty * t.price;
            let _ = writeln!(out, "{} * \"{}\"", t.date, t.id);
            match t.side {
                Side::Buy => {
                    lots += 1;
                    let cost = gross + t.fee();
                    let lot_date = add_days(jiff::civil::date(1900, 1, 1), lots);
                    let account = self.bean_account(t.account, t.instrument);
                    let _ =
                        writeln!(out, "  {account}  {} {symbol} {{{{{cost} EUR, {lot_date}, \"{}\"}}}}", t.qty, t.id);
                    let _ = writeln!(out, "  {cash}  {} EUR", -cost);
                }
                Side::Sell => {
                    let _ = writeln!(out, "  {}  {} {symbol} {{}}", self.bean_account(t.account, t.instrument), -t.qty);
                    let _ = writeln!(out, "  {cash}  {} EUR", gross - t.fee());
                    let _ = writeln!(out, "  {}", self.bean_gains(t.account, t.instrument));
                }
            }
        }
        while day < self.prices.len() {
            self.write_prices(&mut out, day);
            day += 1;
        }
        out
    }

    fn write_prices(&self, out: &mut String, day: usize) {
        let date = add_days(self.first_day, day);
        for (i, p) in self.prices[day].iter().enumerate() {
            let _ = writeln!(out, "{date} price {} {p} EUR", self.instruments[i].symbol);
        }
    }
}

/// An account name as one beancount account component ("Depot 1" → "Depot-1").
fn bean_name(name: &str) -> String {
    name.replace(' ', "-")
}

/// One timed command of `kassa bench portfolio`.
#[derive(Debug, serde::Serialize)]
pub struct Row {
    step: &'static str,
    runs: usize,
    /// What the command printed: holdings rows, performance points, or
    /// the generated data's size for the setup steps.
    rows: usize,
    median_ms: String,
    min_ms: String,
    /// bean-query's median over this step's (its own row: 1; blank for setup).
    bean_query_over_this: String,
}

/// What `kassa bench portfolio` generates and how often it times each command.
#[derive(Debug, Clone)]
pub struct Options {
    pub shape: Shape,
    pub runs: usize,
    pub bean_runs: usize,
    pub bean_query: String,
}

/// `kassa bench portfolio`: generates `shape` into a fresh SQLite database
/// through this binary (`import trades.csv`, `prices import`), then times
/// whole processes of this binary — `portfolio holdings --as-of D` and
/// `portfolio performance`, each `-o json`, D the last generated day —
/// beside `bean-query` answering the same holdings question (units, cost
/// and value per position at D) on the same trades as a FIFO ledger.
pub fn run(opts: &Options) -> anyhow::Result<Vec<Row>> {
    use anyhow::Context;
    let g = generate(&opts.shape);
    let dir = kassa_store::testing::TempDir::new();
    let (trades, prices, ledger) =
        (dir.path().join("trades.csv"), dir.path().join("prices.csv"), dir.path().join("fifo.beancount"));
    std::fs::write(&trades, g.trades_csv())?;
    std::fs::write(&prices, g.prices_csv())?;
    std::fs::write(&ledger, g.beancount("FIFO"))?;
    let exe = std::env::current_exe().context("finding this binary")?;
    let url = format!("sqlite://{}", dir.path().join("kassa.db").display());
    let kassa = |args: &[&str]| -> anyhow::Result<String> {
        let out = std::process::Command::new(&exe).args(["--db", &url]).args(args).env_remove("KASSA_BOOK").output()?;
        anyhow::ensure!(out.status.success(), "kassa {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        Ok(String::from_utf8(out.stdout)?)
    };
    kassa(&["init"])?;
    for a in &g.accounts {
        kassa(&["account", "add", a, "--kind", "brokerage", "--currency", "EUR"])?;
    }
    let mut rows = vec![];
    let (import, _) = timed(1, || kassa(&["import", trades.to_str().unwrap_or_default()]))?;
    rows.push(("import trades.csv (setup)", import, g.trades.len()));
    let (load, _) = timed(1, || kassa(&["prices", "import", prices.to_str().unwrap_or_default()]))?;
    rows.push(("prices import (setup)", load, g.prices.len() * g.instruments.len()));

    let date = g.last_day().to_string();
    let (held, out) = timed(opts.runs, || kassa(&["portfolio", "holdings", "--as-of", &date, "-o", "json"]))?;
    let n = serde_json::from_str::<Vec<serde_json::Value>>(&out)?.len();
    rows.push(("kassa portfolio holdings --as-of D", held, n));
    let (perf, out) = timed(opts.runs, || kassa(&["portfolio", "performance", "-o", "json"]))?;
    rows.push(("kassa portfolio performance", perf, serde_json::from_str::<Vec<serde_json::Value>>(&out)?.len()));
    let query = format!(
        "SELECT account, sum(number(units(position))), sum(number(cost(position))), \
         sum(number(value(position, {date}))) WHERE date <= {date} AND account ~ '^Assets:.*:K' GROUP BY account"
    );
    let (bean, out) = timed(opts.bean_runs, || {
        let out = std::process::Command::new(&opts.bean_query)
            .args(["-f", "csv"])
            .arg(&ledger)
            .arg(&query)
            .output()
            .with_context(|| format!("running {} (pip install beanquery)", opts.bean_query))?;
        anyhow::ensure!(out.status.success(), "bean-query: {}", String::from_utf8_lossy(&out.stderr));
        Ok(String::from_utf8(out.stdout)?)
    })?;
    let bean_median = median(&bean);
    rows.push(("bean-query, the same holdings", bean, out.lines().count().saturating_sub(1)));

    Ok(rows
        .into_iter()
        .map(|(step, times, n)| Row {
            step,
            runs: times.len(),
            rows: n,
            median_ms: format!("{:.1}", median(&times)),
            min_ms: format!("{:.1}", times.iter().copied().fold(f64::INFINITY, f64::min)),
            // A setup step answers no question bean-query is asked.
            bean_query_over_this: if step.ends_with("(setup)") {
                String::new()
            } else {
                format!("{:.1}", bean_median / median(&times))
            },
        })
        .collect())
}

/// Runs `f` `runs` times (at least once): the milliseconds of each and the last output.
fn timed(runs: usize, mut f: impl FnMut() -> anyhow::Result<String>) -> anyhow::Result<(Vec<f64>, String)> {
    let mut times = vec![];
    let mut last = String::new();
    for _ in 0..runs.max(1) {
        let started = std::time::Instant::now();
        last = f()?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((times, last))
}
