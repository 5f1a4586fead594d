//! Feature extraction for the categoriser: a transaction becomes a sparse
//! vector of hashed features (the "hashing trick"), so the model's size is
//! bounded by [`DIM`] whatever the vocabulary, and new merchants need no
//! vocabulary rebuild.
//!
//! Features, each in its own namespace so equal strings in different roles do
//! not collide on purpose:
//! * `m`  the normalised merchant as one feature (identity of the shop),
//! * `mw` words of the merchant name,
//! * `w`  cleaned word tokens of the description and counterparty,
//! * `g`  character 3–5-grams of those tokens, padded with `^`/`$` — these carry
//!   unseen merchants ("STADTAPOTHEKE" shares "apot" with every pharmacy),
//! * `a`  amount sign, and sign × log₂-magnitude bucket,
//! * `acct` account, `acct×sign`, `cur` currency,
//! * `wd` weekday and `dom` day-of-month bucket (rent on the 1st, salary at
//!   month end).
//!
//! Hashing is FNV-1a 64 written here (std's `DefaultHasher` is not specified to
//! be stable across Rust releases, and a saved model must keep meaning the same).
#![allow(clippy::float_arithmetic)] // feature weights are model inputs, not money

use rust_decimal::prelude::ToPrimitive;

use super::TxView;
use super::merchant::normalize;

/// Bits of the hashing space.
pub const HASH_BITS: u32 = 18;
/// Size of the hashing space (2^18 = 262,144 slots).
pub const DIM: usize = 1 << HASH_BITS;

/// Relative weight of one character n-gram: there are ~3 per character, so at
/// full weight they would drown the word and merchant features.
const GRAM_WEIGHT: f32 = 0.35;

/// One non-zero entry of a feature vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Feature {
    pub index: u32,
    pub value: f32,
}

/// FNV-1a 64 over namespace, a separator, and text; folded to [`HASH_BITS`].
pub fn hash(namespace: &str, text: &str) -> u32 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    for &b in namespace.as_bytes().iter().chain(&[0xff]).chain(text.as_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(PRIME);
    }
    // Fold the high bits in: FNV's low bits alone mix poorly for short keys.
    let folded = h ^ (h >> 29) ^ (h >> 47);
    (folded as u32) & ((1 << HASH_BITS) - 1)
}

/// Calls `emit(namespace, text, weight)` for every feature of `tx`. The one
/// definition behind both [`extract`] (hashed) and [`describe`] (readable).
pub fn visit(tx: &TxView<'_>, mut emit: impl FnMut(&str, &str, f32)) {
    let norm = normalize(tx.description);
    if let Some(m) = &norm.merchant {
        emit("m", m, 1.0);
        for w in m.split(' ') {
            emit("mw", w, 0.5);
        }
    }
    let cp_tokens = tx.counterparty.map(|c| normalize(c).tokens).unwrap_or_default();
    for tok in norm.tokens.iter().chain(&cp_tokens) {
        if tok.chars().count() < 2 {
            continue;
        }
        emit("w", tok, 1.0);
        grams(tok, |g| emit("g", g, GRAM_WEIGHT));
    }
    let sign = if tx.amount.is_sign_negative() { "out" } else { "in" };
    emit("a", sign, 1.0);
    let magnitude = tx.amount.abs().to_f64().unwrap_or(0.0);
    // Buckets of half an octave: 10 → 6, 100 → 13, 1000 → 19.
    let bucket = if magnitude < 1.0 { 0 } else { (magnitude.log2() * 2.0) as i32 };
    emit("a", &format!("{sign} {bucket}"), 1.0);
    emit("acct", tx.account, 0.5);
    emit("acct", &format!("{} {sign}", tx.account), 0.5);
    emit("cur", tx.currency, 0.3);
    let weekday = tx.date.weekday().to_monday_zero_offset();
    emit("wd", WEEKDAYS[weekday as usize], 0.3);
    let dom = match tx.date.day() {
        1..=3 => "1-3",
        4..=10 => "4-10",
        11..=20 => "11-20",
        21..=26 => "21-26",
        _ => "27-31",
    };
    emit("dom", dom, 0.3);
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Character 3–5-grams of `^token$`.
fn grams(token: &str, mut f: impl FnMut(&str)) {
    let padded = format!("^{token}$");
    if padded.is_ascii() {
        let b = padded.as_str();
        for n in 3..=5 {
            for start in 0..b.len().saturating_sub(n - 1) {
                f(&b[start..start + n]);
            }
        }
    } else {
        let idx: Vec<usize> = padded.char_indices().map(|(i, _)| i).chain([padded.len()]).collect();
        let chars = idx.len() - 1;
        for n in 3..=5 {
            for start in 0..chars.saturating_sub(n - 1) {
                f(&padded[idx[start]..idx[start + n]]);
            }
        }
    }
}

/// The hashed feature vector of `tx`: sorted by index, duplicates summed.
pub fn extract(tx: &TxView<'_>) -> Vec<Feature> {
    let mut out: Vec<Feature> = Vec::with_capacity(160);
    visit(tx, |ns, text, value| out.push(Feature { index: hash(ns, text), value }));
    out.sort_unstable_by_key(|f| f.index);
    out.dedup_by(|next, kept| {
        if next.index == kept.index {
            kept.value += next.value;
            true
        } else {
            false
        }
    });
    out
}

/// Readable names for the hashed indices of `tx`, for evidence. The first
/// name wins when two features share a slot.
pub fn describe(tx: &TxView<'_>) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = Vec::new();
    visit(tx, |ns, text, _| {
        let index = hash(ns, text);
        if !out.iter().any(|(i, _)| *i == index) {
            let label = match ns {
                "m" => format!("merchant \"{text}\""),
                "mw" => format!("merchant word \"{text}\""),
                "w" => format!("word \"{text}\""),
                "g" => format!("fragment \"{text}\""),
                "a" => format!("amount {text}"),
                "acct" => format!("account {text}"),
                "cur" => format!("currency {text}"),
                "wd" => format!("weekday {text}"),
                "dom" => format!("day of month {text}"),
                _ => format!("{ns} {text}"),
            };
            out.push((index, label));
        }
    });
    out
}
