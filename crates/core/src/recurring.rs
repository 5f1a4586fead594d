//! Recurring payments and subscriptions, found from history (issue 17).
//!
//! [`detect`] is pure: it reads a slice of [`RecurringTx`] views (whatever
//! the store read cheapest) and an "as of" date, and returns every series it
//! can defend. How:
//!
//! 1. Transactions after the as-of date and transfers between own accounts
//!    are left out; the rest are grouped by account, normalised counterparty
//!    (the counterparty if given, else the description, through
//!    [`normalize_merchant`]) and direction (money in or out).
//! 2. In each group, for each [`Interval`], a chain is walked from every
//!    start: the next member is a transaction within the interval's date
//!    tolerance of the expected date (one expected occurrence may be skipped,
//!    a missed payment), preferring the amount closest to the chain's. An
//!    amount may vary by ±7.5 % around its level; a bigger change is a
//!    *price step*, kept only when the next occurrence confirms the new
//!    level (a new stable amount), so one odd charge never becomes a step.
//! 3. A chain is a series when it has at least 3 occurrences, skipped at
//!    most a quarter of its expected dates, and is not a lookalike: the
//!    group's other transactions (outside series already found) must not
//!    repeat its amount more than a quarter as often as the chain has
//!    members (a café at irregular dates with a fixed price), and within its
//!    span must number at most half its members (regular-looking visits
//!    among a grocer's many). The longest chain of a group wins
//!    (ties: fewer skips, then the shorter interval), its members leave the
//!    group and the search repeats, so two subscriptions at one merchant at
//!    different prices are two series.
//!
//! Status, relative to the as-of date: `ended` when several expected
//! occurrences are missing ([`Interval::ended_after`]), `missed` when at
//! least one is (its date passed by more than the tolerance),
//! `price_changed` when the last step is among the last three occurrences,
//! else `active`.
//!
//! A [`SeriesId`] is a hash of account, counterparty, interval and direction
//! (and an ordinal when one group holds several series of one interval), so
//! it survives re-detection and confirm/rename/dismiss events keep pointing
//! at the same series. Money is `Decimal` throughout.

pub mod synth;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use jiff::ToSpan;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::categorize::merchant::normalize_merchant;
use crate::ids::AccountId;

/// One transaction as the detector sees it: the account side of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecurringTx<'a> {
    pub account: AccountId,
    pub date: Date,
    /// Signed, in the account's currency: − money out, + money in.
    pub amount: Decimal,
    pub counterparty: Option<&'a str>,
    pub description: &'a str,
    /// Transfers between own accounts are never a series.
    pub is_transfer: bool,
}

/// How often a series recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Weekly,
    Fortnightly,
    Monthly,
    Quarterly,
    Yearly,
}

impl Interval {
    pub const ALL: [Interval; 5] =
        [Interval::Weekly, Interval::Fortnightly, Interval::Monthly, Interval::Quarterly, Interval::Yearly];

    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Weekly => "weekly",
            Interval::Fortnightly => "fortnightly",
            Interval::Monthly => "monthly",
            Interval::Quarterly => "quarterly",
            Interval::Yearly => "yearly",
        }
    }

    /// How far an occurrence may be from its expected date, one interval
    /// after the previous occurrence: weekends and
    /// bank holidays move a debit by up to three days, and a card renewal
    /// or a yearly bill drifts by more.
    pub fn tolerance_days(self) -> i64 {
        match self {
            Interval::Weekly => 2,
            Interval::Fortnightly => 3,
            Interval::Monthly => 4,
            Interval::Quarterly => 6,
            Interval::Yearly => 10,
        }
    }

    /// Missing expected occurrences from which a series counts as ended
    /// (fewer is `missed`): three for the short intervals, two for quarterly
    /// and yearly, where three would mean years of silence.
    pub fn ended_after(self) -> u32 {
        match self {
            Interval::Weekly | Interval::Fortnightly | Interval::Monthly => 3,
            Interval::Quarterly | Interval::Yearly => 2,
        }
    }

    fn months(self) -> Option<i64> {
        match self {
            Interval::Weekly | Interval::Fortnightly => None,
            Interval::Monthly => Some(1),
            Interval::Quarterly => Some(3),
            Interval::Yearly => Some(12),
        }
    }

    /// `date` moved on by `n` intervals, by the calendar (Jan 31 + 1 month is
    /// the end of February).
    fn add(self, date: Date, n: i64) -> Date {
        let span = match self.months() {
            None if self == Interval::Weekly => (7 * n).days(),
            None => (14 * n).days(),
            Some(m) => (m * n).months(),
        };
        date.saturating_add(span)
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a series stands on the as-of date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Missed,
    PriceChanged,
    Ended,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Missed => "missed",
            Status::PriceChanged => "price_changed",
            Status::Ended => "ended",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A series' stable id: 64 bits of SHA-256, written as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesId(pub u64);

impl SeriesId {
    /// The id of the `ordinal`-th (0-based, by first date) series of one
    /// account, counterparty, interval and direction.
    pub fn of(account: AccountId, counterparty: &str, interval: Interval, income: bool, ordinal: usize) -> SeriesId {
        let mut h = Sha256::new();
        h.update(account.0.as_bytes());
        h.update(counterparty.as_bytes());
        h.update([0]);
        h.update(interval.as_str().as_bytes());
        h.update([u8::from(income)]);
        if ordinal > 0 {
            h.update(ordinal.to_le_bytes());
        }
        let digest = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        SeriesId(u64::from_be_bytes(first))
    }
}

impl fmt::Display for SeriesId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl FromStr for SeriesId {
    type Err = String;
    fn from_str(s: &str) -> Result<SeriesId, String> {
        let s = s.trim();
        if s.len() != 16 {
            return Err(format!("'{s}' is not a recurring series id (16 hex digits)"));
        }
        u64::from_str_radix(s, 16)
            .map(SeriesId)
            .map_err(|_| format!("'{s}' is not a recurring series id (16 hex digits)"))
    }
}

/// One detected series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub id: SeriesId,
    pub account: AccountId,
    /// The normalised counterparty.
    pub counterparty: String,
    pub interval: Interval,
    /// Paid on the last day of the month (monthly, quarterly, yearly).
    pub month_end: bool,
    /// The typical amount now: the median of the current price level.
    pub amount: Decimal,
    pub amount_min: Decimal,
    pub amount_max: Decimal,
    pub first_date: Date,
    pub last_date: Date,
    pub next_date: Date,
    pub next_amount: Decimal,
    pub occurrences: usize,
    /// Price steps seen (a step to a new stable amount).
    pub price_steps: usize,
    pub status: Status,
}

/// The user confirmed a detected series: it is theirs, not a guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringConfirmed {
    pub series_id: SeriesId,
}

/// The user dismissed a detected series: it leaves the list for good
/// (re-detection finds it under the same id and keeps it hidden).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringDismissed {
    pub series_id: SeriesId,
}

/// The name the user gave a series, shown instead of the counterparty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringRenamed {
    pub series_id: SeriesId,
    pub name: String,
}

/// Amounts may be off by this much (±7.5 %) around their level.
const AMOUNT_TOLERANCE: Decimal = Decimal::from_parts(75, 0, 0, false, 3);
/// Slack for amounts rounded to whole cents at the band's edge.
const ROUNDING: Decimal = Decimal::from_parts(1, 0, 0, false, 2);
/// A price step this many occurrences ago or less is reported as `price_changed`.
const RECENT_STEP: usize = 3;
/// At most this many price steps in one series; more is noise.
const MAX_STEPS: usize = 2;

/// Every series in `txs` as of `as_of`, sorted by account, counterparty
/// and interval.
pub fn detect(txs: &[RecurringTx<'_>], as_of: Date) -> Vec<Series> {
    // The normaliser is the costly part; the same text recurs, so each
    // distinct text is normalised once.
    let mut names: HashMap<&str, String> = HashMap::new();
    let mut groups: HashMap<(AccountId, String, bool), Vec<Occ>> = HashMap::new();
    for t in txs {
        if t.is_transfer || t.date > as_of || t.amount.is_zero() {
            continue;
        }
        let text = t.counterparty.filter(|c| !c.trim().is_empty()).unwrap_or(t.description);
        let name = names.entry(text).or_insert_with(|| counterparty_name(text)).clone();
        if name.is_empty() {
            continue;
        }
        let income = t.amount.is_sign_positive();
        groups.entry((t.account, name, income)).or_default().push(Occ { date: t.date, amount: t.amount.abs() });
    }
    let mut out = Vec::new();
    for ((account, counterparty, income), mut occs) in groups {
        if occs.len() < 3 {
            continue;
        }
        occs.sort_by_key(|o| (o.date, o.amount));
        let mut found = detect_group(&occs);
        found.sort_by_key(|c| occs[c.members[0]].date);
        let mut ordinals: HashMap<Interval, usize> = HashMap::new();
        for chain in found {
            let ordinal = ordinals.entry(chain.interval).or_default();
            let id = SeriesId::of(account, &counterparty, chain.interval, income, *ordinal);
            *ordinal += 1;
            out.push(summarise(id, account, &counterparty, income, &occs, &chain, as_of));
        }
    }
    out.sort_by(|a, b| {
        (a.account, &a.counterparty, a.interval, a.first_date).cmp(&(
            b.account,
            &b.counterparty,
            b.interval,
            b.first_date,
        ))
    });
    out
}

/// The name a series is grouped and shown by.
pub fn counterparty_name(text: &str) -> String {
    normalize_merchant(text).unwrap_or_else(|| text.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase())
}

/// One transaction of a group, amount made positive.
#[derive(Debug, Clone, Copy)]
struct Occ {
    date: Date,
    amount: Decimal,
}

/// A chain of a group's occurrences (indexes, in date order).
#[derive(Debug, Clone)]
struct Chain {
    interval: Interval,
    members: Vec<usize>,
    /// Where each price level starts, as positions in `members` (0 first).
    levels: Vec<usize>,
    skips: usize,
}

impl Chain {
    fn score(&self) -> (usize, std::cmp::Reverse<usize>, std::cmp::Reverse<Interval>) {
        (self.members.len(), std::cmp::Reverse(self.skips), std::cmp::Reverse(self.interval))
    }
}

/// The series of one group: the best valid chain, then again without its
/// members, until none is left.
fn detect_group(occs: &[Occ]) -> Vec<Chain> {
    let mut free: Vec<bool> = vec![true; occs.len()];
    let mut found: Vec<Chain> = Vec::new();
    loop {
        let live: Vec<usize> = (0..occs.len()).filter(|&i| free[i]).collect();
        if live.len() < 3 {
            break;
        }
        let mut best: Option<Chain> = None;
        for interval in Interval::ALL {
            // A start inside a chain already walked for this interval only
            // finds a shorter copy of it (valid or not): skipped, which keeps
            // a group near linear (a café's hundreds of fixed-price visits).
            let mut covered = vec![false; live.len()];
            for s in 0..live.len() {
                if covered[s] {
                    continue;
                }
                let chain = walk(occs, &live, s, interval);
                for &m in &chain.members {
                    if let Ok(p) = live.binary_search(&m) {
                        covered[p] = true;
                    }
                }
                if !valid(occs, &chain, &found) {
                    continue;
                }
                if best.as_ref().is_none_or(|b| chain.score() > b.score()) {
                    best = Some(chain);
                }
            }
        }
        let Some(chain) = best else { break };
        for &m in &chain.members {
            free[m] = false;
        }
        found.push(chain);
    }
    found
}

/// The amounts of one price level, summed up so a walk extends it in O(1).
#[derive(Debug, Clone, Copy)]
struct Band {
    lo: Decimal,
    hi: Decimal,
    n: usize,
}

impl Band {
    fn new(x: Decimal) -> Band {
        Band { lo: x, hi: x, n: 1 }
    }

    fn of(level: &[Decimal]) -> Band {
        let mut b = Band::new(level[0]);
        for &x in &level[1..] {
            b.push(x);
        }
        b
    }

    fn push(&mut self, x: Decimal) {
        self.lo = self.lo.min(x);
        self.hi = self.hi.max(x);
        self.n += 1;
    }

    fn middle(&self) -> Decimal {
        (self.lo + self.hi) / Decimal::TWO
    }

    /// Is `x` within ±7.5 % of this level? A level that has repeated one
    /// exact amount is a fixed price: any other amount is a step (12.99 →
    /// 13.99 is a price change, not variation).
    fn admits(&self, x: Decimal) -> bool {
        if self.n >= 2 && self.lo == self.hi {
            return x == self.lo;
        }
        let (lo, hi) = (self.lo.min(x), self.hi.max(x));
        // Amounts within ±7.5 % of one level are at most 15 % of it apart.
        hi - lo <= (hi + lo) * AMOUNT_TOLERANCE + ROUNDING
    }
}

fn median(xs: &[Decimal]) -> Decimal {
    let mut v = xs.to_vec();
    v.sort();
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / Decimal::TWO }
}

/// The window an occurrence `n` intervals after `prev` may fall in. A date
/// near a month's end also reaches that month's end, so a last-day-of-month
/// series walks through February (28th + 1 month is only the 28th).
fn window(prev: Date, interval: Interval, n: i64) -> (Date, Date) {
    let expected = interval.add(prev, n);
    let tol = interval.tolerance_days();
    let mut hi = expected;
    if interval.months().is_some() && prev.days_in_month() - prev.day() <= 3 {
        hi = expected.last_of_month();
    }
    (expected.saturating_sub(tol.days()), hi.saturating_add(tol.days()))
}

/// The chain that starts at `live[start]`, walked forward.
fn walk(occs: &[Occ], live: &[usize], start: usize, interval: Interval) -> Chain {
    let mut members = vec![live[start]];
    // Positions in `live` of the members, to search on from.
    let mut at = vec![start];
    let mut levels = vec![0];
    let mut skips = 0;
    // A step waits for the next occurrence to confirm its new level.
    let mut pending_step = false;
    // After a refused step, no step at or before this position again.
    let mut no_step_until = start;
    let mut band = Band::new(occs[live[start]].amount);
    // The band before a pending step, for when the step is refused.
    let mut before_step = band;
    'walk: loop {
        let (prev, pos) = (occs[members[members.len() - 1]], at[at.len() - 1]);
        let typical = band.middle();
        for n in 1..=2 {
            let (lo, hi) = window(prev.date, interval, n);
            let from = pos + 1 + live[pos + 1..].partition_point(|&i| occs[i].date < lo);
            let mut in_level: Option<usize> = None;
            let mut other: Option<usize> = None;
            for p in from..live.len() {
                let o = occs[live[p]];
                if o.date > hi {
                    break;
                }
                let closer = |q: Option<usize>| {
                    q.is_none_or(|q: usize| (o.amount - typical).abs() < (occs[live[q]].amount - typical).abs())
                };
                if band.admits(o.amount) {
                    if closer(in_level) {
                        in_level = Some(p);
                    }
                } else if p > no_step_until && closer(other) {
                    other = Some(p);
                }
            }
            let step_allowed = !pending_step && band.n >= 2 && levels.len() <= MAX_STEPS;
            let (chosen, step) = match (in_level, other) {
                (Some(p), _) => (p, false),
                (None, Some(p)) if step_allowed => (p, true),
                _ => continue,
            };
            let amount = occs[live[chosen]].amount;
            if step {
                levels.push(members.len());
                before_step = band;
                band = Band::new(amount);
            } else {
                band.push(amount);
            }
            pending_step = step;
            members.push(live[chosen]);
            at.push(chosen);
            skips += (n - 1) as usize;
            continue 'walk;
        }
        if !pending_step {
            break;
        }
        // The step was one odd charge: drop it and walk on from before it.
        members.pop();
        no_step_until = at.pop().unwrap_or(start);
        levels.pop();
        band = before_step;
        pending_step = false;
    }
    Chain { interval, members, levels, skips }
}

/// A chain is a series when it is long and regular enough and no lookalike.
fn valid(occs: &[Occ], chain: &Chain, found: &[Chain]) -> bool {
    let n = chain.members.len();
    if n < 3 || chain.skips * 4 > n {
        return false;
    }
    let levels: Vec<Vec<Decimal>> = level_amounts(occs, chain);
    let bands: Vec<Band> = levels.iter().map(|l| Band::of(l)).collect();
    // A second series of a group must be another price: the same amounts
    // again are the leftovers of the first (the other half of a weekly one).
    let last_level = levels.last().map(Vec::as_slice).unwrap_or_default();
    for f in found {
        let theirs = level_amounts(occs, f);
        if theirs.iter().any(|l| Band::of(l).admits(median(last_level))) {
            return false;
        }
    }
    // Members of series already found are accounted for, not noise.
    let found_member = |i: usize| found.iter().any(|f| f.members.binary_search(&i).is_ok());
    // Within the span, by index range first: the cheap test that refuses
    // most noise before the whole group is read.
    let (lo, hi) = (chain.members[0], chain.members[n - 1]);
    let others = (lo..=hi).filter(|&i| !found_member(i)).count() - n;
    if others * 2 > n {
        return false;
    }
    let same_amount = (0..occs.len())
        .filter(|&i| chain.members.binary_search(&i).is_err() && !found_member(i))
        .filter(|&i| bands.iter().any(|b| b.admits(occs[i].amount)))
        .count();
    same_amount * 4 <= n
}

fn level_amounts(occs: &[Occ], chain: &Chain) -> Vec<Vec<Decimal>> {
    let mut out = Vec::new();
    for (k, &start) in chain.levels.iter().enumerate() {
        let end = chain.levels.get(k + 1).copied().unwrap_or(chain.members.len());
        out.push(chain.members[start..end].iter().map(|&i| occs[i].amount).collect());
    }
    out
}

/// The day a month-based series falls on in the month of `around`: its
/// usual day of the month, clamped to the month's length.
fn on_day(around: Date, day: i8, month_end: bool) -> Date {
    if month_end {
        return around.last_of_month();
    }
    let first = around.first_of_month();
    first.saturating_add(i64::from((day - 1).min(around.days_in_month() - 1)).days())
}

fn summarise(
    id: SeriesId,
    account: AccountId,
    counterparty: &str,
    income: bool,
    occs: &[Occ],
    chain: &Chain,
    as_of: Date,
) -> Series {
    let dates: Vec<Date> = chain.members.iter().map(|&i| occs[i].date).collect();
    let amounts: Vec<Decimal> = chain.members.iter().map(|&i| occs[i].amount).collect();
    let levels = level_amounts(occs, chain);
    let current = levels.last().map(Vec::as_slice).unwrap_or(&amounts);
    let interval = chain.interval;
    let last_date = *dates.last().unwrap_or(&as_of);
    let month_based = interval.months().is_some();
    let month_end = month_based && dates.iter().filter(|d| d.day() == d.days_in_month()).count() * 2 > dates.len();
    let mut days: Vec<i8> = dates.iter().map(|d| d.day()).collect();
    days.sort();
    // The lower median: a late debit should not move the expected day on.
    let usual_day = days[(days.len() - 1) / 2];
    // The next expected date: from the last occurrence, on the usual day.
    let next = |from: Date| {
        let plain = interval.add(from, 1);
        if !month_based {
            return plain;
        }
        [plain.saturating_sub(1.month()), plain, plain.saturating_add(1.month())]
            .into_iter()
            .map(|m| on_day(m, usual_day, month_end))
            .filter(|d| *d > from)
            .min_by_key(|d| (d.since(plain).map(|s| s.get_days().abs()).unwrap_or(i32::MAX), *d))
            .unwrap_or(plain)
    };
    let next_date = next(last_date);
    let tol = interval.tolerance_days();
    let mut missing = 0u32;
    let mut expected = next_date;
    while expected.saturating_add(tol.days()) < as_of && missing < interval.ended_after() {
        missing += 1;
        expected = next(expected);
    }
    let steps = chain.levels.len() - 1;
    let status = if missing >= interval.ended_after() {
        Status::Ended
    } else if missing > 0 {
        Status::Missed
    } else if steps > 0 && current.len() <= RECENT_STEP {
        Status::PriceChanged
    } else {
        Status::Active
    };
    let sign = |x: Decimal| if income { x } else { -x };
    let typical = sign(median(current));
    let (lo, hi) =
        (amounts.iter().min().copied().unwrap_or_default(), amounts.iter().max().copied().unwrap_or_default());
    let (amount_min, amount_max) = if income { (lo, hi) } else { (-hi, -lo) };
    Series {
        id,
        account,
        counterparty: counterparty.to_string(),
        interval,
        month_end,
        amount: typical,
        amount_min,
        amount_max,
        first_date: dates[0],
        last_date,
        next_date,
        next_amount: typical,
        occurrences: dates.len(),
        price_steps: steps,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use uuid::Uuid;

    const ACC: AccountId = AccountId(Uuid::from_u128(1));

    fn tx(d: Date, cents: i64, who: &'static str) -> RecurringTx<'static> {
        RecurringTx {
            account: ACC,
            date: d,
            amount: Decimal::new(cents, 2),
            counterparty: Some(who),
            description: "",
            is_transfer: false,
        }
    }

    fn one(txs: &[RecurringTx<'_>], as_of: Date) -> Series {
        let found = detect(txs, as_of);
        assert_eq!(found.len(), 1, "{found:#?}");
        found.into_iter().next().unwrap()
    }

    fn every(start: Date, interval: Interval, n: i64, cents: i64) -> Vec<RecurringTx<'static>> {
        (0..n).map(|k| tx(interval.add(start, k), cents, "Netflix")).collect()
    }

    #[test]
    fn each_interval_is_found_with_its_next_date() {
        let start = date(2024, 1, 10);
        for (interval, n, next) in [
            (Interval::Weekly, 8, date(2024, 3, 6)),
            (Interval::Fortnightly, 6, date(2024, 4, 3)),
            (Interval::Monthly, 6, date(2024, 7, 10)),
            (Interval::Quarterly, 4, date(2025, 1, 10)),
            (Interval::Yearly, 3, date(2027, 1, 10)),
        ] {
            let txs = every(start, interval, n, -1299);
            let last = interval.add(start, n - 1);
            let s = one(&txs, last.saturating_add(1.day()));
            assert_eq!((s.interval, s.occurrences, s.next_date), (interval, n as usize, next), "{interval}");
            assert_eq!((s.amount, s.amount_min, s.amount_max), (Decimal::new(-1299, 2), s.amount, s.amount));
            assert_eq!((s.status, s.counterparty.as_str(), s.last_date), (Status::Active, "NETFLIX", last));
        }
    }

    #[test]
    fn dates_a_few_days_off_and_amounts_within_seven_and_a_half_percent_are_one_series() {
        // A day early to three late: consecutive dates up to four days off the interval.
        let jitter = [0, 3, -1, 3, 0, -1, 2, 3];
        let amounts = [10_000, 10_700, 9_300, 10_500, 9_260, 10_740, 9_900, 10_200];
        let txs: Vec<_> = (0..8)
            .map(|k| {
                tx(
                    Interval::Monthly.add(date(2024, 1, 15), k).saturating_add(jitter[k as usize].days()),
                    -amounts[k as usize],
                    "Stadtwerke",
                )
            })
            .collect();
        let s = one(&txs, date(2024, 8, 20));
        assert_eq!((s.interval, s.occurrences, s.status), (Interval::Monthly, 8, Status::Active));
        assert_eq!((s.amount_min, s.amount_max), (Decimal::new(-10_740, 2), Decimal::new(-9_260, 2)));
        assert_eq!(s.next_date, date(2024, 9, 15));
        // Ten percent off is beyond the band: the odd one is left out.
        let mut odd = txs.clone();
        odd[3].amount = Decimal::new(-12_500, 2);
        let s = one(&odd, date(2024, 8, 20));
        assert_eq!((s.occurrences, s.price_steps), (7, 0));
    }

    #[test]
    fn a_price_step_to_a_new_stable_amount_is_price_changed_not_a_new_series() {
        let mut txs = every(date(2024, 1, 5), Interval::Monthly, 10, -1299);
        for t in &mut txs[8..] {
            t.amount = Decimal::new(-1399, 2);
        }
        let s = one(&txs, date(2024, 10, 6));
        assert_eq!((s.occurrences, s.price_steps, s.status), (10, 1, Status::PriceChanged));
        assert_eq!(
            (s.amount, s.next_amount, s.amount_min, s.amount_max),
            (Decimal::new(-1399, 2), Decimal::new(-1399, 2), Decimal::new(-1399, 2), Decimal::new(-1299, 2))
        );
        // Long after the step the series is simply active at its new price.
        let mut later = txs.clone();
        later.extend((10..14).map(|k| tx(Interval::Monthly.add(date(2024, 1, 5), k), -1399, "Netflix")));
        assert_eq!(one(&later, date(2025, 2, 6)).status, Status::Active);
        // One odd last charge is no step: it stays out until confirmed.
        let mut once = every(date(2024, 1, 5), Interval::Monthly, 10, -1299);
        once[9].amount = Decimal::new(-1999, 2);
        let s = one(&once, date(2024, 10, 6));
        assert_eq!((s.occurrences, s.price_steps), (9, 0));
    }

    #[test]
    fn missed_when_the_next_date_passed_by_more_than_the_tolerance_and_ended_after_several() {
        let txs = every(date(2024, 1, 5), Interval::Monthly, 6, -999);
        // Next expected 2024-07-05, tolerance four days.
        assert_eq!(one(&txs, date(2024, 7, 9)).status, Status::Active);
        assert_eq!(one(&txs, date(2024, 7, 10)).status, Status::Missed);
        assert_eq!(one(&txs, date(2024, 9, 9)).status, Status::Missed);
        assert_eq!(one(&txs, date(2024, 9, 10)).status, Status::Ended);
        let yearly = every(date(2020, 3, 1), Interval::Yearly, 3, -20_000);
        assert_eq!(one(&yearly, date(2023, 3, 20)).status, Status::Missed);
        assert_eq!(one(&yearly, date(2024, 3, 20)).status, Status::Ended);
    }

    #[test]
    fn last_day_of_month_walks_through_february() {
        let txs: Vec<_> =
            (0..6).map(|k| tx(date(2024, 1, 1).saturating_add(k.months()).last_of_month(), -5000, "Kita")).collect();
        let s = one(&txs, date(2024, 7, 1));
        assert!(s.month_end);
        assert_eq!((s.occurrences, s.last_date, s.next_date), (6, date(2024, 6, 30), date(2024, 7, 31)));
    }

    #[test]
    fn transfers_short_runs_and_later_dates_are_not_series() {
        let mut txs = every(date(2024, 1, 5), Interval::Monthly, 6, -20_000);
        for t in &mut txs {
            t.is_transfer = true;
        }
        assert!(detect(&txs, date(2024, 7, 1)).is_empty());
        let two = every(date(2024, 1, 5), Interval::Monthly, 2, -999);
        assert!(detect(&two, date(2024, 7, 1)).is_empty());
        // As of March only two of the six had happened.
        let six = every(date(2024, 1, 5), Interval::Monthly, 6, -999);
        assert!(detect(&six, date(2024, 2, 10)).is_empty());
    }

    #[test]
    fn the_id_survives_re_detection_and_round_trips_as_text() {
        let txs = every(date(2024, 1, 5), Interval::Monthly, 6, -999);
        let a = one(&txs[..4], date(2024, 4, 6)).id;
        let b = one(&txs, date(2024, 6, 6)).id;
        assert_eq!(a, b);
        assert_eq!(a.to_string().parse::<SeriesId>(), Ok(a));
        assert!("nope".parse::<SeriesId>().is_err());
    }

    #[test]
    fn a_fixed_price_at_irregular_dates_is_a_lookalike() {
        let gaps = [1, 4, 9, 2, 7, 3, 8, 5, 6, 2, 9, 1, 7, 4, 3, 8, 6, 5, 2, 9];
        let mut d = date(2024, 1, 1);
        let mut txs = vec![];
        for g in gaps {
            txs.push(tx(d, -320, "Cafe Kosmos"));
            d = d.saturating_add(i64::from(g).days());
        }
        assert!(detect(&txs, d).is_empty(), "{:#?}", detect(&txs, d));
    }
}
