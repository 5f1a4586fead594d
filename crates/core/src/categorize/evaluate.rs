//! Measuring the categoriser: accuracy on a held-out later period, precision
//! and coverage of auto-applied suggestions, and the choice of the
//! auto-apply threshold on a validation split carved from the training period
//! (never from the test set, which would flatter the numbers).
#![allow(clippy::float_arithmetic)] // ratios of counts and confidences, not money

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use jiff::civil::Date;

use super::TxView;
use super::model::{Categorizer, ModelKind};
pub use super::policy::{Policy, Scored, TARGET_PRECISION};
use super::policy::{Validated, calibrate_policy, lowest_threshold, merchant_key};
use super::synth::SynthTx;

/// Figures for one category of the test set.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryRow {
    pub category: String,
    pub n_test: usize,
    pub correct: usize,
    pub auto: usize,
    pub auto_correct: usize,
}

/// Top-1, auto-applied precision and coverage over some test rows.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figures {
    pub n: usize,
    /// Share of rows whose top prediction is right.
    pub top1: f64,
    /// Share of auto-applied rows that are right (1.0 when none is applied).
    pub auto_precision: f64,
    /// Share of rows auto-applied.
    pub coverage: f64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    n: usize,
    correct: usize,
    auto: usize,
    auto_correct: usize,
}

impl Tally {
    fn add(&mut self, right: bool, applied: bool) {
        self.n += 1;
        self.correct += usize::from(right);
        self.auto += usize::from(applied);
        self.auto_correct += usize::from(right && applied);
    }

    fn figures(self) -> Figures {
        Figures {
            n: self.n,
            top1: ratio(self.correct, self.n),
            auto_precision: if self.auto == 0 { 1.0 } else { ratio(self.auto_correct, self.auto) },
            coverage: ratio(self.auto, self.n),
        }
    }
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub kind: ModelKind,
    /// The policy's global threshold (classes and unseen merchants may have higher ones).
    pub threshold: f64,
    pub n_train: usize,
    pub n_test: usize,
    /// Share of test rows whose top prediction is right.
    pub top1_accuracy: f64,
    /// Share of auto-applied rows (those [`Policy::judge`] applies) that are right.
    pub auto_precision: f64,
    /// Share of test rows auto-applied.
    pub coverage: f64,
    /// The same figures on rows whose merchant occurs in training, and on the others.
    pub seen: Figures,
    pub unseen: Figures,
    pub per_category: Vec<CategoryRow>,
}

/// Trains the default model on `train` and evaluates it on `test`.
pub fn evaluate(train: &[(TxView<'_>, &str)], test: &[(TxView<'_>, &str)], policy: &Policy) -> Report {
    evaluate_kind(ModelKind::default(), train, test, policy)
}

/// Like [`evaluate`] for a chosen model kind.
pub fn evaluate_kind(
    kind: ModelKind,
    train: &[(TxView<'_>, &str)],
    test: &[(TxView<'_>, &str)],
    policy: &Policy,
) -> Report {
    let model = Categorizer::train(kind, train.iter().copied());
    let mut report = evaluate_model(&model, test, policy, None);
    report.n_train = train.len();
    report
}

/// Evaluates an already trained model under `policy`. `unseen[i]` says
/// whether test row `i`'s merchant is new (a generator knows the truth);
/// without it the policy's own merchant keys decide.
pub fn evaluate_model(
    model: &Categorizer,
    test: &[(TxView<'_>, &str)],
    policy: &Policy,
    unseen: Option<&[bool]>,
) -> Report {
    let mut rows: BTreeMap<&str, CategoryRow> = BTreeMap::new();
    let (mut all, mut seen, mut new) = (Tally::default(), Tally::default(), Tally::default());
    for (i, (tx, truth)) in test.iter().enumerate() {
        let row = rows.entry(truth).or_insert_with(|| CategoryRow {
            category: (*truth).to_owned(),
            n_test: 0,
            correct: 0,
            auto: 0,
            auto_correct: 0,
        });
        row.n_test += 1;
        let (right, applied, known) = match model.predict(tx) {
            Some(p) => {
                let v = policy.judge(tx, &p.category, p.confidence);
                (p.category == *truth, v.apply, v.known_merchant)
            }
            None => (false, false, false),
        };
        let is_new = unseen.map_or(!known, |u| u[i]);
        all.add(right, applied);
        if is_new {
            new.add(right, applied)
        } else {
            seen.add(right, applied)
        }
        row.correct += usize::from(right);
        row.auto += usize::from(applied);
        row.auto_correct += usize::from(right && applied);
    }
    let f = all.figures();
    Report {
        kind: model.kind(),
        threshold: policy.global,
        n_train: model.examples() as usize,
        n_test: test.len(),
        top1_accuracy: f.top1,
        auto_precision: f.auto_precision,
        coverage: f.coverage,
        seen: seen.figures(),
        unseen: new.figures(),
        per_category: rows.into_values().collect(),
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The lowest confidence threshold at which auto-applied predictions on the
/// validation set are right at least [`TARGET_PRECISION`] of the time, with
/// at least 20 rows (or 2 %) above it.
pub fn choose_threshold(validation: &[Scored]) -> f64 {
    choose_threshold_for(validation, TARGET_PRECISION)
}

/// [`choose_threshold`] with an explicit precision target.
pub fn choose_threshold_for(validation: &[Scored], target: f64) -> f64 {
    lowest_threshold(validation, target, 20.max(validation.len() / 50))
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

/// The merchant keys of some transactions.
pub fn merchants<'a>(txs: impl IntoIterator<Item = &'a TxView<'a>>) -> BTreeSet<String> {
    txs.into_iter().filter_map(merchant_key).collect()
}

/// Calibrates the auto-apply policy inside a training period: the last
/// `validation_share` of `train` (in the given order, which should be
/// chronological) is held out, a model is trained on the rest, and the
/// thresholds are chosen on its predictions for the held-out part — per
/// class, and separately for merchants the rest never had. The policy's
/// merchant list is the whole of `train`'s, for the model trained on all of it.
pub fn calibrate(kind: ModelKind, train: &[(TxView<'_>, &str)], validation_share: f64) -> Policy {
    let cut = ((train.len() as f64) * (1.0 - validation_share)) as usize;
    let (fit, validation) = train.split_at(cut.min(train.len()));
    let model = Categorizer::train(kind, fit.iter().copied());
    let known = merchants(fit.iter().map(|(t, _)| t));
    let rows: Vec<Validated> = validation
        .iter()
        .filter_map(|(tx, truth)| {
            let p = model.predict(tx)?;
            Some(Validated {
                correct: p.category == *truth,
                confidence: p.confidence,
                known_merchant: merchant_key(tx).is_some_and(|m| known.contains(&m)),
                predicted: p.category,
            })
        })
        .collect();
    calibrate_policy(&rows, merchants(train.iter().map(|(t, _)| t)))
}

/// A full benchmark on a generated history: one report per model kind plus
/// how new the test period is.
#[derive(Debug, Clone, PartialEq)]
pub struct Benchmark {
    pub split: Date,
    /// The test period ends before this day.
    pub end: Date,
    pub reports: Vec<Report>,
    /// Share of distinct test merchants never seen in training.
    pub unseen_merchant_share: f64,
    /// Share of test rows whose merchant was never seen in training.
    pub unseen_row_share: f64,
}

/// A time-based split of `history`: train on the days before `split`, test
/// on `split` up to (not including) `end`. Each kind's policy is calibrated
/// on the last 15 % of the training period, the model retrained on all of
/// it, and the test rows judged by that policy; "unseen" uses the
/// generator's true merchant identity, not the model's guess of it.
pub fn benchmark(history: &[SynthTx], split: Date, end: Date, kinds: &[ModelKind]) -> Benchmark {
    let train_rows: Vec<&SynthTx> = history.iter().filter(|t| t.date < split).collect();
    let test_rows: Vec<&SynthTx> = history.iter().filter(|t| t.date >= split && t.date < end).collect();
    let train: Vec<(TxView<'_>, &str)> = train_rows.iter().map(|t| (t.view(), t.category.as_str())).collect();
    let test: Vec<(TxView<'_>, &str)> = test_rows.iter().map(|t| (t.view(), t.category.as_str())).collect();

    let seen: HashSet<&str> = train_rows.iter().map(|t| t.merchant.as_str()).collect();
    let test_merchants: HashSet<&str> = test_rows.iter().map(|t| t.merchant.as_str()).collect();
    let unseen_merchants = test_merchants.iter().filter(|m| !seen.contains(*m)).count();
    let unseen: Vec<bool> = test_rows.iter().map(|t| !seen.contains(t.merchant.as_str())).collect();

    let mut reports = Vec::new();
    for &kind in kinds {
        let policy = calibrate(kind, &train, 0.15);
        let model = Categorizer::train(kind, train.iter().copied());
        let mut report = evaluate_model(&model, &test, &policy, Some(&unseen));
        report.n_train = train.len();
        reports.push(report);
    }
    Benchmark {
        split,
        end,
        reports,
        unseen_merchant_share: ratio(unseen_merchants, test_merchants.len()),
        unseen_row_share: ratio(unseen.iter().filter(|u| **u).count(), test_rows.len()),
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
            "train before {}, test {} to {}: {:.1} % of test merchants ({:.1} % of test rows) unseen in training",
            self.split,
            self.split,
            self.end,
            self.unseen_merchant_share * 100.0,
            self.unseen_row_share * 100.0
        )?;
        writeln!(
            f,
            "{:<20} {:>6} | {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6}",
            "model", "thresh", "top-1", "prec", "cover", "seen:1", "prec", "cover", "new:1", "prec", "cover"
        )?;
        for r in &self.reports {
            writeln!(
                f,
                "{:<20} {:>6.3} | {:>6.3} {:>6.3} {:>6.3} | {:>6.3} {:>6.3} {:>6.3} | {:>6.3} {:>6.3} {:>6.3}",
                r.kind.name(),
                r.threshold,
                r.top1_accuracy,
                r.auto_precision,
                r.coverage,
                r.seen.top1,
                r.seen.auto_precision,
                r.seen.coverage,
                r.unseen.top1,
                r.unseen.auto_precision,
                r.unseen.coverage,
            )?;
        }
        Ok(())
    }
}
