//! When the categoriser may apply a prediction without asking, and when it
//! only suggests: one [`Policy`] per trained model, calibrated on held-out
//! rows of the training period, saved with the model and used by every
//! caller (run, dry run, review, import, evaluation) through
//! [`Policy::judge`], so they cannot disagree about a row.
//!
//! Why more than one threshold (issue 15): a single calibrated threshold of
//! 0.203 let a confident-looking 0.512 "Spaeti → Health" through. Classes
//! differ — a confidence of 0.5 is reliable for "Rent" and not for
//! "Health" — so each predicted class gets its own threshold where the
//! validation rows support one. A merchant the history never had is the
//! riskiest case (only its words and amount speak for it), so it must clear
//! a separate, higher bar: without strong evidence kassa abstains and
//! suggests.
#![allow(clippy::float_arithmetic)] // confidences and ratios, not money

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::TxView;
use super::merchant::normalize_merchant;

/// Auto-applied suggestions must be right at least this often.
pub const TARGET_PRECISION: f64 = 0.97;

/// Fewest validation predictions of a class that may set its own threshold.
pub const MIN_CLASS_SUPPORT: usize = 12;

/// The lowest bar for a merchant never seen, whatever validation says: only
/// strong evidence applies a category to a new shop.
pub const UNSEEN_FLOOR: f64 = 0.9;

/// Thresholds per class, for unseen merchants, and the merchants seen.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Policy {
    /// Where a class has no threshold of its own.
    pub global: f64,
    #[serde(default)]
    pub per_class: BTreeMap<String, f64>,
    /// At least this for a merchant not in `merchants`.
    pub unseen: f64,
    /// Normalised merchant keys ([`merchant_key`]) of the training history.
    #[serde(default)]
    pub merchants: BTreeSet<String>,
}

/// What [`Policy::judge`] decided for one prediction, and why.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Verdict {
    pub apply: bool,
    /// The bar the confidence had to reach.
    pub threshold: f64,
    /// Whether the merchant occurs in the training history.
    pub known_merchant: bool,
}

/// The key a transaction's merchant is recognised by: the normalised
/// counterparty, else the normalised description.
pub fn merchant_key(tx: &TxView<'_>) -> Option<String> {
    tx.counterparty.and_then(normalize_merchant).or_else(|| normalize_merchant(tx.description))
}

impl Policy {
    /// A policy of one threshold and no merchant knowledge: what a model
    /// saved before policies existed is judged by.
    pub fn single(threshold: f64) -> Self {
        Policy { global: threshold, per_class: BTreeMap::new(), unseen: threshold, merchants: BTreeSet::new() }
    }

    /// The bar for `class` on a known merchant.
    pub fn threshold(&self, class: &str) -> f64 {
        self.per_class.get(class).copied().unwrap_or(self.global)
    }

    /// Whether a prediction of `class` at `confidence` for `tx` is applied.
    pub fn judge(&self, tx: &TxView<'_>, class: &str, confidence: f64) -> Verdict {
        let known_merchant = self.merchants.is_empty() || merchant_key(tx).is_some_and(|m| self.merchants.contains(&m));
        let threshold = if known_merchant { self.threshold(class) } else { self.threshold(class).max(self.unseen) };
        Verdict { apply: confidence >= threshold, threshold, known_merchant }
    }
}

/// One validation prediction: its confidence and whether it was right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub confidence: f64,
    pub correct: bool,
}

/// The lowest confidence threshold at which predictions at or above it are
/// right at least `target` of the time, with at least `min_support` rows
/// above it so that one lucky prediction at the bottom does not set the bar.
/// 1.0 (apply only certainties) when no threshold reaches the target.
pub fn lowest_threshold(validation: &[Scored], target: f64, min_support: usize) -> f64 {
    let mut sorted: Vec<Scored> = validation.to_vec();
    // Descending confidence: prefix k = "all rows with confidence ≥ c_k".
    sorted.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let mut right = 0usize;
    let mut best = 1.0;
    for (k, s) in sorted.iter().enumerate() {
        right += usize::from(s.correct);
        let n = k + 1;
        // Only cut between distinct confidences.
        if sorted.get(k + 1).is_some_and(|next| next.confidence == s.confidence) {
            continue;
        }
        if n >= min_support && right as f64 >= target * n as f64 {
            best = s.confidence;
        }
    }
    best
}

/// One validation row as calibration sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub predicted: String,
    pub confidence: f64,
    pub correct: bool,
    pub known_merchant: bool,
}

/// Calibrates a policy from validation predictions: the global threshold
/// over all rows; per class, over that class's predictions on known
/// merchants (where there are at least [`MIN_CLASS_SUPPORT`]), never below
/// the global one when the class alone cannot prove itself; for unseen
/// merchants over their rows, at least [`UNSEEN_FLOOR`]. `merchants` are
/// the keys the final model is trained on.
pub fn calibrate_policy(rows: &[Validated], merchants: BTreeSet<String>) -> Policy {
    let scored = |f: &dyn Fn(&Validated) -> bool| -> Vec<Scored> {
        rows.iter().filter(|r| f(r)).map(|r| Scored { confidence: r.confidence, correct: r.correct }).collect()
    };
    let all = scored(&|_| true);
    let global = lowest_threshold(&all, TARGET_PRECISION, 20.max(all.len() / 50));
    let mut per_class = BTreeMap::new();
    let classes: BTreeSet<&str> = rows.iter().map(|r| r.predicted.as_str()).collect();
    for class in classes {
        let mine = scored(&|r| r.known_merchant && r.predicted == class);
        if mine.len() >= MIN_CLASS_SUPPORT {
            per_class.insert(class.to_string(), lowest_threshold(&mine, TARGET_PRECISION, MIN_CLASS_SUPPORT / 2));
        }
    }
    let unseen_rows = scored(&|r| !r.known_merchant);
    let unseen = lowest_threshold(&unseen_rows, TARGET_PRECISION, 20).max(UNSEEN_FLOOR);
    Policy { global, per_class, unseen, merchants }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn s(confidence: f64, correct: bool) -> Scored {
        Scored { confidence, correct }
    }

    #[test]
    fn lowest_threshold_keeps_precision_with_support() {
        let mut v: Vec<Scored> = (0..40).map(|i| s(0.9 + f64::from(i) / 1000.0, true)).collect();
        v.extend((0..3).map(|i| s(0.5 + f64::from(i) / 100.0, false)));
        // At 0.52, 40 of 41 are right (0.976); at 0.51, 40 of 42 (0.952).
        assert!((lowest_threshold(&v, 0.97, 20) - 0.52).abs() < 1e-9);
        assert_eq!(lowest_threshold(&v[..5], 0.97, 20), 1.0, "too few rows: apply only certainties");
    }

    /// Issue 15: a global threshold of 0.203 auto-applied "Spaeti → Health"
    /// at 0.512. A merchant the history never had must clear the unseen bar.
    #[test]
    fn an_unseen_merchant_at_middling_confidence_is_only_suggested() {
        let policy = Policy {
            global: 0.203,
            per_class: BTreeMap::new(),
            unseen: UNSEEN_FLOOR,
            merchants: ["REWE".to_string(), "APOTHEKE AM MARKT".to_string()].into(),
        };
        let day = jiff::civil::date(2025, 3, 1);
        let spaeti = TxView::new("KARTENZAHLUNG SPAETI AM ECK BERLIN", Decimal::new(-450, 2), day);
        let v = policy.judge(&spaeti, "Health", 0.512);
        assert_eq!((v.apply, v.known_merchant), (false, false), "{v:?}");
        assert!(policy.judge(&spaeti, "Health", 0.95).apply, "strong evidence still applies");
        let rewe = TxView::new("VISA 4411 REWE SAGT DANKE", Decimal::new(-2000, 2), day);
        assert!(policy.judge(&rewe, "Groceries", 0.512).apply, "a known merchant clears the class bar");
    }

    #[test]
    fn classes_get_their_own_bar_and_unseen_merchants_a_higher_one() {
        let row = |predicted: &str, confidence: f64, correct: bool, known_merchant: bool| Validated {
            predicted: predicted.into(),
            confidence,
            correct,
            known_merchant,
        };
        let mut rows = vec![];
        for i in 0..40 {
            let c = 0.3 + f64::from(i) / 100.0;
            rows.push(row("Rent", c, true, true));
            // Health is right only above 0.6.
            rows.push(row("Health", c, c > 0.6, true));
            rows.push(row("Health", c, c > 0.5, false));
        }
        let p = calibrate_policy(&rows, BTreeSet::new());
        assert!(p.threshold("Rent") <= 0.31, "{p:?}");
        assert!(p.threshold("Health") > 0.6, "{p:?}");
        assert!(p.unseen >= UNSEEN_FLOOR, "{p:?}");
    }
}
