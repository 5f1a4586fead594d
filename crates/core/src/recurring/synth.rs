//! A seeded two-year history with known recurring series mixed with
//! lookalike noise, for scoring [`super::detect`] (`tests/recurring.rs`).
//!
//! Known series, one of each per history, with names, days and amounts
//! drawn from the seed: monthly rent (moved to Monday when the 1st is a
//! weekend), monthly electricity (±7.5 %), a streaming subscription whose
//! price steps up a few months before the as-of date (`price_changed`), a
//! yearly insurance (a few days of jitter), weekly cleaning (±5 %, ±1 day),
//! a fortnightly salary, a quarterly water bill, a phone bill that stopped a
//! month ago (`missed`), a subscription cancelled half a year ago (`ended`),
//! a fee on the last day of each month, and a cloud-storage subscription at
//! a merchant that also sells one-off purchases.
//!
//! Noise: a grocer visited every one to six days with any amount, a café
//! at irregular dates with a fixed price, one-off purchases at many shops, a
//! doctor three times at irregular dates with one fee, and a monthly
//! transfer to savings (a transfer, never a series).
//!
//! Everything is a pure function of the seed (SplitMix64); amounts are
//! integer cents, no floats.

use jiff::ToSpan;
use jiff::civil::{Date, Weekday, date};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Interval, RecurringTx, Status, counterparty_name};
use crate::categorize::model::SplitMix64;
use crate::ids::AccountId;

/// One generated transaction (owned; [`SynthTx::view`] borrows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthTx {
    pub account: AccountId,
    pub date: Date,
    pub amount: Decimal,
    pub counterparty: Option<String>,
    pub description: String,
    pub is_transfer: bool,
}

impl SynthTx {
    pub fn view(&self) -> RecurringTx<'_> {
        RecurringTx {
            account: self.account,
            date: self.date,
            amount: self.amount,
            counterparty: self.counterparty.as_deref(),
            description: &self.description,
            is_transfer: self.is_transfer,
        }
    }
}

/// A series the history was generated with: what a correct detection matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownSeries {
    pub account: AccountId,
    /// As the detector names it ([`counterparty_name`] of the generated text).
    pub counterparty: String,
    pub interval: Interval,
    pub status: Status,
}

/// A generated history, its as-of date and the series in it.
#[derive(Debug, Clone)]
pub struct SynthHistory {
    pub txs: Vec<SynthTx>,
    pub known: Vec<KnownSeries>,
    pub as_of: Date,
}

pub const CHECKING: AccountId = AccountId(Uuid::from_u128(0xc4ec));
pub const CARD: AccountId = AccountId(Uuid::from_u128(0xca4d));

struct Gen {
    rng: SplitMix64,
    txs: Vec<SynthTx>,
    known: Vec<KnownSeries>,
}

impl Gen {
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.rng.below((hi - lo + 1) as usize) as i64
    }

    /// `cents` off by up to ±`permille`/1000, whole cents.
    fn vary(&mut self, cents: i64, permille: i64) -> i64 {
        let p = self.range(-permille, permille);
        cents + cents * p / 1000
    }

    fn push(&mut self, account: AccountId, date: Date, cents: i64, counterparty: Option<&str>, description: &str) {
        self.txs.push(SynthTx {
            account,
            date,
            amount: Decimal::new(cents, 2),
            counterparty: counterparty.map(str::to_string),
            description: description.to_string(),
            is_transfer: false,
        });
    }

    fn known(&mut self, account: AccountId, text: &str, interval: Interval, status: Status) {
        self.known.push(KnownSeries { account, counterparty: counterparty_name(text), interval, status });
    }
}

/// The next weekday on or after `d` (debits move off weekends).
fn business_day(d: Date) -> Date {
    match d.weekday() {
        Weekday::Saturday => d.saturating_add(2.days()),
        Weekday::Sunday => d.saturating_add(1.day()),
        _ => d,
    }
}

/// Day `day` of the month `months` after January 2023, clamped.
fn month_day(months: i64, day: i8) -> Date {
    let first = date(2023, 1, 1).saturating_add(months.months());
    first.saturating_add(i64::from((day - 1).min(first.days_in_month() - 1)).days())
}

const START: Date = date(2023, 1, 1);
/// Two years and a fortnight after the start: the third yearly payment is in.
pub const AS_OF: Date = date(2025, 1, 15);
/// Months from the start to the as-of month (January 2025).
const MONTHS: i64 = 24;

/// The history of one seed.
pub fn history(seed: u64) -> SynthHistory {
    let mut g = Gen { rng: SplitMix64(seed ^ 0x7ecc_0771_5eed), txs: Vec::new(), known: Vec::new() };
    let pick = |g: &mut Gen, xs: &[&'static str]| xs[g.rng.below(xs.len())];

    // Rent, on the 1st (a Monday when that is a weekend), fixed.
    let landlord = pick(&mut g, &["Hausverwaltung Schmidt GmbH", "Wohnbau Nord eG", "Immobilien Keller KG"]);
    let rent = g.range(80_000, 160_000);
    for m in 0..=MONTHS {
        g.push(CHECKING, business_day(month_day(m, 1)), -rent, Some(landlord), "SEPA DAUERAUFTRAG MIETE");
    }
    g.known(CHECKING, landlord, Interval::Monthly, Status::Active);

    // Electricity, mid-month, ±7.5 % and up to three days late.
    let power = pick(&mut g, &["Stadtwerke Muenchen", "E.ON Energie Deutschland GmbH", "Vattenfall Europe Sales"]);
    let bill = g.range(6_000, 14_000);
    let day = g.range(10, 20) as i8;
    for m in 0..=MONTHS {
        let cents = g.vary(bill, 75);
        let d = month_day(m, day).saturating_add(g.range(0, 3).days());
        if d <= AS_OF {
            g.push(CHECKING, d, -cents, Some(power), "SEPA LASTSCHRIFT ABSCHLAG STROM");
        }
    }
    g.known(CHECKING, power, Interval::Monthly, Status::Active);

    // Streaming on the card, exact price, one step up (5–30 %) 2–3 payments ago.
    let stream = pick(&mut g, &["NETFLIX.COM", "SPOTIFY AB", "DISNEY PLUS"]);
    let mut price = g.range(799, 1599);
    let step_at = MONTHS - g.range(1, 2);
    let day = g.range(3, 12) as i8;
    for m in 0..=MONTHS {
        if m == step_at {
            price += price * g.range(50, 300) / 1000;
        }
        let d = month_day(m, day);
        if d <= AS_OF {
            g.push(CARD, d, -price, None, &format!("VISA 4411 {stream} {:02}.{:02}", d.day(), d.month()));
        }
    }
    g.known(CARD, &format!("VISA 4411 {stream}"), Interval::Monthly, Status::PriceChanged);

    // Yearly insurance, early January, a few days of jitter.
    let insurer = pick(&mut g, &["HUK-COBURG", "ALLIANZ VERSICHERUNGS-AG", "DEVK Versicherungen"]);
    let premium = g.range(20_000, 90_000);
    let day = g.range(3, 8);
    for y in 0..3 {
        let d = START.saturating_add(y.years()).saturating_add((day - 1 + g.range(-2, 3)).days());
        g.push(CHECKING, d, -premium, Some(insurer), "SEPA LASTSCHRIFT BEITRAG KFZ");
    }
    g.known(CHECKING, insurer, Interval::Yearly, Status::Active);

    // Weekly cleaning, ±5 %, a day either way.
    let cleaner = pick(&mut g, &["Putzperle Reinigung", "Clean Home Service", "Maria Lopez"]);
    let fee = g.range(4_000, 9_000);
    let mut d = START.saturating_add(g.range(0, 6).days());
    while d <= AS_OF.saturating_sub(2.days()) {
        let cents = g.vary(fee, 50);
        let on = d.saturating_add(g.range(-1, 1).days());
        g.push(CHECKING, on, -cents, Some(cleaner), "UEBERWEISUNG REINIGUNG");
        d = d.saturating_add(7.days());
    }
    g.known(CHECKING, cleaner, Interval::Weekly, Status::Active);

    // A fortnightly salary, exact, on Fridays.
    let employer = pick(&mut g, &["ACME Logistics GmbH", "Nordlicht Software AG", "Baeckerei Huber"]);
    let pay = g.range(120_000, 260_000);
    let mut d = date(2023, 1, 6).saturating_add((7 * g.range(0, 1)).days());
    while d <= AS_OF {
        g.push(CHECKING, d, pay, Some(employer), "LOHN GEHALT");
        d = d.saturating_add(14.days());
    }
    g.known(CHECKING, employer, Interval::Fortnightly, Status::Active);

    // A quarterly water bill, ±7.5 %, up to three days late.
    let water = pick(&mut g, &["Berliner Wasserbetriebe", "Hamburg Wasser", "Wasserverband Ost"]);
    let bill = g.range(5_000, 20_000);
    let offset = g.range(0, 1);
    for q in 0..8 {
        let cents = g.vary(bill, 75);
        let d = month_day(3 * q + offset, 20).saturating_add(g.range(0, 3).days());
        g.push(CHECKING, d, -cents, Some(water), "SEPA LASTSCHRIFT WASSER");
    }
    g.known(CHECKING, water, Interval::Quarterly, Status::Active);

    // A phone bill whose last payment (November) was followed by nothing.
    let phone = pick(&mut g, &["TELEKOM DEUTSCHLAND", "VODAFONE GMBH", "O2 TELEFONICA"]);
    let bill = g.range(1_999, 5_999);
    let day = g.range(1, 5) as i8;
    for m in 0..(MONTHS - 1) {
        g.push(CARD, month_day(m, day), -bill, None, &format!("MASTERCARD {phone} RECHNUNG"));
    }
    g.known(CARD, &format!("MASTERCARD {phone} RECHNUNG"), Interval::Monthly, Status::Missed);

    // A gym cancelled after a year and a half.
    let gym = pick(&mut g, &["McFit", "FitX Deutschland", "Urban Sports Club"]);
    let fee = g.range(1_990, 4_990);
    let day = g.range(1, 28) as i8;
    for m in 0..g.range(12, 17) {
        g.push(CHECKING, month_day(m, day), -fee, Some(gym), "SEPA LASTSCHRIFT MITGLIEDSBEITRAG");
    }
    g.known(CHECKING, gym, Interval::Monthly, Status::Ended);

    // A fee on the last day of every month.
    let kita = pick(&mut g, &["Kita Sonnenschein", "Musikschule Allegro", "Sportverein Blau-Weiss"]);
    let fee = g.range(3_000, 40_000);
    for m in 0..MONTHS {
        let d = month_day(m, 1).last_of_month();
        g.push(CHECKING, d, -fee, Some(kita), "SEPA LASTSCHRIFT BEITRAG");
    }
    g.known(CHECKING, kita, Interval::Monthly, Status::Active);

    // Cloud storage at a merchant that also sells one-offs at other prices.
    let store = pick(&mut g, &["APPLE.COM/BILL", "GOOGLE *Services", "AMAZON DIGITAL"]);
    let sub = g.rng.pick(&[99, 299, 999]);
    let day = g.range(5, 25) as i8;
    for m in 0..=MONTHS {
        if month_day(m, day) <= AS_OF {
            g.push(CARD, month_day(m, day), -sub, None, &format!("VISA 4411 {store}"));
        }
    }
    for _ in 0..g.range(3, 8) {
        let d = START.saturating_add(g.range(0, 740).days());
        let cents = g.rng.pick(&[49, 199, 449, 1499, 2999, 5999]);
        g.push(CARD, d, -cents, None, &format!("VISA 4411 {store}"));
    }
    g.known(CARD, &format!("VISA 4411 {store}"), Interval::Monthly, Status::Active);

    // --- noise ---
    // The grocer, every one to six days, any amount.
    let grocer = pick(&mut g, &["REWE", "EDEKA", "ALDI SUED", "LIDL"]);
    let mut d = START;
    while d <= AS_OF {
        let cents = g.range(500, 15_000);
        g.push(
            CARD,
            d,
            -cents,
            None,
            &format!("VISA 4411 {grocer} SAGT DANKE {:02}.{:02} MUENCHEN", d.day(), d.month()),
        );
        d = d.saturating_add(g.range(1, 6).days());
    }
    // A café at irregular dates, always the same coffee.
    let coffee = g.rng.pick(&[290, 320, 360]);
    let mut d = START.saturating_add(g.range(0, 5).days());
    while d <= AS_OF {
        g.push(CARD, d, -coffee, None, "VISA 4411 CAFE KOSMOS");
        d = d.saturating_add(g.range(1, 9).days());
    }
    // One-off purchases.
    let shops = [
        "MEDIAMARKT",
        "IKEA",
        "ZALANDO",
        "THALIA",
        "DOUGLAS",
        "SATURN",
        "H&M",
        "DECATHLON",
        "OBI",
        "TCHIBO",
        "ROSSMANN",
        "DM DROGERIE",
        "C&A",
        "HORNBACH",
        "FLIXBUS",
        "DB VERTRIEB",
        "LUFTHANSA",
        "BOOKING.COM",
    ];
    for _ in 0..g.range(25, 40) {
        let shop = g.rng.pick(&shops);
        let d = START.saturating_add(g.range(0, 745).days());
        let cents = g.range(500, 40_000);
        g.push(CARD, d, -cents, None, &format!("VISA 4411 {shop}"));
    }
    // A doctor three times, irregular, one fee.
    let doctor_fee = g.range(3_000, 9_000);
    for _ in 0..3 {
        let d = START.saturating_add(g.range(0, 745).days());
        g.push(CHECKING, d, -doctor_fee, Some("Praxis Dr. Weber"), "RECHNUNG");
    }
    // A monthly transfer to savings: a transfer is never a series.
    for m in 0..MONTHS {
        g.txs.push(SynthTx {
            account: CHECKING,
            date: month_day(m, 2),
            amount: Decimal::new(-20_000, 2),
            counterparty: Some("Tagesgeld".into()),
            description: "UMBUCHUNG TAGESGELD".into(),
            is_transfer: true,
        });
    }

    g.txs.sort_by_key(|t| t.date);
    SynthHistory { txs: g.txs, known: g.known, as_of: AS_OF }
}
