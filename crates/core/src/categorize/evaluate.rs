//! Measuring the categoriser: accuracy on a held-out later period, precision
//! and coverage of auto-applied suggestions, and the choice of the
//! auto-apply threshold on a validation split carved from the training period
//! (never from the test set, which would flatter the numbers).
#![allow(clippy::float_arithmetic)] // ratios of counts and confidences, not money

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use jiff::civil::Date;

use super::TxView;
use super::model::{Categorizer, ModelKind};
use super::synth::SynthTx;

/// Auto-applied suggestions must be right at least this often.
pub const TARGET_PRECISION: f64 = 0.97;

/// One validation prediction: its confidence and whether it was right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub confidence: f64,
    pub correct: bool,
}

/// Figures for one category of the test set.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryRow {
    pub category: String,
    pub n_test: usize,
    pub correct: usize,
    pub auto: usize,
    pub auto_correct: usize,
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub kind: ModelKind,
    pub threshold: f64,
    pub n_train: usize,
    pub n_test: usize,
    /// Share of test rows whose top prediction is right.
    pub top1_accuracy: f64,
    /// Share of auto-applied rows (confidence ≥ threshold) that are right.
    pub auto_precision: f64,
    /// Share of test rows auto-applied.
    pub coverage: f64,
    pub per_category: Vec<CategoryRow>,
}

/// Trains the default model on `train` and evaluates it on `test`.
pub fn evaluate(train: &[(TxView<'_>, &str)], test: &[(TxView<'_>, &str)], threshold: f64) -> Report {
    evaluate_kind(ModelKind::default(), train, test, threshold)
}

/// Like [`evaluate`] for a chosen model kind.
pub fn evaluate_kind(
    kind: ModelKind,
    train: &[(TxView<'_>, &str)],
    test: &[(TxView<'_>, &str)],
    threshold: f64,
) -> Report {
    let model = Categorizer::train(kind, train.iter().copied());
    let mut report = evaluate_model(&model, test, threshold);
    report.n_train = train.len();
    report
}

/// Evaluates an already trained model.
pub fn evaluate_model(model: &Categorizer, test: &[(TxView<'_>, &str)], threshold: f64) -> Report {
    let mut rows: BTreeMap<&str, CategoryRow> = BTreeMap::new();
    let (mut correct, mut auto, mut auto_correct) = (0, 0, 0);
    for (tx, truth) in test {
        let row = rows.entry(truth).or_insert_with(|| CategoryRow {
            category: (*truth).to_owned(),
            n_test: 0,
            correct: 0,
            auto: 0,
            auto_correct: 0,
        });
        row.n_test += 1;
        let Some(p) = model.predict(tx) else { continue };
        let right = p.category == *truth;
        let applied = p.confidence >= threshold;
        correct += usize::from(right);
        auto += usize::from(applied);
        auto_correct += usize::from(right && applied);
        row.correct += usize::from(right);
        row.auto += usize::from(applied);
        row.auto_correct += usize::from(right && applied);
    }
    Report {
        kind: model.kind(),
        threshold,
        n_train: model.examples() as usize,
        n_test: test.len(),
        top1_accuracy: ratio(correct, test.len()),
        auto_precision: if auto == 0 { 1.0 } else { ratio(auto_correct, auto) },
        coverage: ratio(auto, test.len()),
        per_category: rows.into_values().collect(),
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The lowest confidence threshold at which auto-applied predictions on the
/// validation set are right at least [`TARGET_PRECISION`] of the time. At
/// least 20 rows (or 2 %) must be above it, so that one lucky prediction at the
/// bottom does not set the bar. Returns 1.0 (apply only certainties) when no
/// threshold reaches the target.
pub fn choose_threshold(validation: &[Scored]) -> f64 {
    choose_threshold_for(validation, TARGET_PRECISION)
}

/// [`choose_threshold`] with an explicit precision target.
pub fn choose_threshold_for(validation: &[Scored], target: f64) -> f64 {
    let mut sorted: Vec<Scored> = validation.to_vec();
    // Descending confidence: prefix k = "all rows with confidence ≥ c_k".
    sorted.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let min_support = 20.max(validation.len() / 50);
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

/// Scores `validation` with `model`.
pub fn score(model: &Categorizer, validation: &[(TxView<'_>, &str)]) -> Vec<Scored> {
    validation
        .iter()
        .filter_map(|(tx, truth)| {
            let p = model.predict(tx)?;
            Some(Scored { confidence: p.confidence, correct: p.category == *truth })
        })
        .collect()
}

/// Calibrates the threshold inside a training period: the last
/// `validation_share` of `train` (in the given order, which should be
/// chronological) is held out, a model is trained on the rest, and the
/// threshold is chosen on its predictions for the held-out part.
pub fn calibrate(kind: ModelKind, train: &[(TxView<'_>, &str)], validation_share: f64) -> f64 {
    let cut = ((train.len() as f64) * (1.0 - validation_share)) as usize;
    let (fit, validation) = train.split_at(cut.min(train.len()));
    let model = Categorizer::train(kind, fit.iter().copied());
    choose_threshold(&score(&model, validation))
}

/// A full benchmark on a generated history: one report per model kind plus
/// how new the test period is.
#[derive(Debug, Clone, PartialEq)]
pub struct Benchmark {
    pub split: Date,
    pub reports: Vec<Report>,
    /// Share of distinct test merchants never seen in training.
    pub unseen_merchant_share: f64,
    /// Share of test rows whose merchant was never seen in training.
    pub unseen_row_share: f64,
    /// Top-1 accuracy of each kind (same order as `reports`) on those rows.
    pub unseen_accuracy: Vec<f64>,
}

/// Splits `history` at `split` (test = on or after), calibrates each kind's
/// threshold on the last 15 % of the training period, retrains on the whole
/// training period and evaluates on the test period.
pub fn benchmark(history: &[SynthTx], split: Date, kinds: &[ModelKind]) -> Benchmark {
    let pairs = |rows: &[&SynthTx]| -> Vec<(SynthTx, String)> {
        rows.iter().map(|t| ((*t).clone(), t.category.clone())).collect()
    };
    let train_rows: Vec<&SynthTx> = history.iter().filter(|t| t.date < split).collect();
    let test_rows: Vec<&SynthTx> = history.iter().filter(|t| t.date >= split).collect();
    let train_owned = pairs(&train_rows);
    let test_owned = pairs(&test_rows);
    let train: Vec<(TxView<'_>, &str)> = train_owned.iter().map(|(t, c)| (t.view(), c.as_str())).collect();
    let test: Vec<(TxView<'_>, &str)> = test_owned.iter().map(|(t, c)| (t.view(), c.as_str())).collect();

    let seen: HashSet<&str> = train_rows.iter().map(|t| t.merchant.as_str()).collect();
    let test_merchants: HashSet<&str> = test_rows.iter().map(|t| t.merchant.as_str()).collect();
    let unseen_merchants = test_merchants.iter().filter(|m| !seen.contains(*m)).count();
    let unseen_idx: Vec<usize> =
        (0..test_rows.len()).filter(|&i| !seen.contains(test_rows[i].merchant.as_str())).collect();

    let mut reports = Vec::new();
    let mut unseen_accuracy = Vec::new();
    for &kind in kinds {
        let threshold = calibrate(kind, &train, 0.15);
        let model = Categorizer::train(kind, train.iter().copied());
        let mut report = evaluate_model(&model, &test, threshold);
        report.n_train = train.len();
        let right =
            unseen_idx.iter().filter(|&&i| model.predict(&test[i].0).is_some_and(|p| p.category == test[i].1)).count();
        unseen_accuracy.push(ratio(right, unseen_idx.len()));
        reports.push(report);
    }
    Benchmark {
        split,
        reports,
        unseen_merchant_share: ratio(unseen_merchants, test_merchants.len()),
        unseen_row_share: ratio(unseen_idx.len(), test_rows.len()),
        unseen_accuracy,
    }
}

impl fmt::Display for Report {
    /// A plain-text table: the headline figures, then per category.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: train {} / test {}, threshold {:.3}: top-1 {:.3}, auto precision {:.3}, coverage {:.3}",
            self.kind.name(),
            self.n_train,
            self.n_test,
            self.threshold,
            self.top1_accuracy,
            self.auto_precision,
            self.coverage
        )?;
        writeln!(f, "  {:<36} {:>6} {:>8} {:>8} {:>8}", "category", "n", "top-1", "auto", "auto ok")?;
        for row in &self.per_category {
            writeln!(
                f,
                "  {:<36} {:>6} {:>8.3} {:>8.3} {:>8.3}",
                row.category,
                row.n_test,
                ratio(row.correct, row.n_test),
                ratio(row.auto, row.n_test),
                if row.auto == 0 { 1.0 } else { ratio(row.auto_correct, row.auto) },
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for Benchmark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "split {}: {:.1} % of test merchants ({:.1} % of test rows) unseen in training",
            self.split,
            self.unseen_merchant_share * 100.0,
            self.unseen_row_share * 100.0
        )?;
        writeln!(
            f,
            "{:<22} {:>10} {:>8} {:>10} {:>10} {:>10}",
            "model", "threshold", "top-1", "auto prec", "coverage", "unseen top-1"
        )?;
        for (r, u) in self.reports.iter().zip(&self.unseen_accuracy) {
            writeln!(
                f,
                "{:<22} {:>10.3} {:>8.3} {:>10.3} {:>10.3} {:>10.3}",
                r.kind.name(),
                r.threshold,
                r.top1_accuracy,
                r.auto_precision,
                r.coverage,
                u
            )?;
        }
        Ok(())
    }
}
