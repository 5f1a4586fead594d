//! Prints the categoriser evaluation on a generated three-year, six-country
//! history split at the last three months, and times training on 100k rows.
//!
//! `cargo run --release -p kassa-core --example categorize_eval [seed] [months] [tx_per_month] [--csv DIR]`
//! (`--csv` also writes train.csv / test.csv for an outside baseline).
//!
//! `… --example categorize_eval -- --split [seed]` is the time-based split of
//! issue 15 on both generators: train on the first 24 months, test on the
//! next 6, unseen merchants reported apart.

// An evaluation program, not core: it times itself and writes its results.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use kassa_core::categorize::evaluate::{benchmark, calibrate, evaluate_model};
use kassa_core::categorize::holdout::{self, HoldoutConfig};
use kassa_core::categorize::policy::Policy;
use kassa_core::categorize::synth::{SynthConfig, generate};
use kassa_core::categorize::{Categorizer, ModelKind};

/// Train on 24 months, test on the next 6, for both generators.
fn time_split(seed: u64) {
    let months = |start: jiff::civil::Date, n: i64| start.saturating_add(jiff::Span::new().months(n));
    let first = generate(&SynthConfig { seed, months: 30, ..SynthConfig::default() });
    let start = SynthConfig::default().start;
    let second = holdout::generate(&HoldoutConfig { seed, months: 30, ..HoldoutConfig::default() });
    let start2 = HoldoutConfig::default().start;
    for (name, history, start) in
        [("synth (first generator)", &first, start), ("holdout (second generator)", &second, start2)]
    {
        let started = Instant::now();
        let bench = benchmark(history, months(start, 24), months(start, 30), &ModelKind::ALL);
        println!("{name}: {} transactions, seed {seed}", history.len());
        println!("{bench}(took {:.1?})", started.elapsed());
        // The same model under the single global threshold kassa used before
        // issue 15 (no class thresholds, no bar for unseen merchants).
        let (split, end) = (months(start, 24), months(start, 30));
        let train: Vec<_> =
            history.iter().filter(|t| t.date < split).map(|t| (t.view(), t.category.as_str())).collect();
        let test: Vec<_> = history
            .iter()
            .filter(|t| t.date >= split && t.date < end)
            .map(|t| (t.view(), t.category.as_str()))
            .collect();
        let kind = ModelKind::default();
        let single = Policy::single(calibrate(kind, &train, 0.15).global);
        let seen: std::collections::HashSet<&str> =
            history.iter().filter(|t| t.date < split).map(|t| t.merchant.as_str()).collect();
        let unseen: Vec<bool> = history
            .iter()
            .filter(|t| t.date >= split && t.date < end)
            .map(|t| !seen.contains(t.merchant.as_str()))
            .collect();
        let r = evaluate_model(&Categorizer::train(kind, train.iter().copied()), &test, &single, Some(&unseen));
        println!(
            "logistic regression, one global threshold {:.3}: prec {:.3} cover {:.3}; unseen merchants: prec {:.3} cover {:.3}\n",
            r.threshold, r.auto_precision, r.coverage, r.unseen.auto_precision, r.unseen.coverage
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).is_some_and(|a| a == "--split") {
        time_split(args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1));
        return;
    }
    let seed = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    let months: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(36);
    let per_month: u32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(830);
    let cfg = SynthConfig { seed, months, tx_per_month: per_month, ..SynthConfig::default() };
    let history = generate(&cfg);
    // Test = the last three months.
    let split = jiff::civil::date(2022, 1, 1).saturating_add(jiff::Span::new().months(i64::from(months) - 3));
    println!("history: {} transactions, {} months, seed {seed}", history.len(), cfg.months);

    if let Some(pos) = args.iter().position(|a| a == "--csv") {
        let dir = std::path::PathBuf::from(args.get(pos + 1).map_or("/tmp", String::as_str));
        write_csv(&dir.join("train.csv"), history.iter().filter(|t| t.date < split));
        write_csv(&dir.join("test.csv"), history.iter().filter(|t| t.date >= split));
        println!("wrote {}/train.csv and test.csv", dir.display());
    }

    if args.iter().any(|a| a == "--stats") {
        use std::collections::HashSet;
        let seen: HashSet<&str> = history.iter().filter(|t| t.date < split).map(|t| t.merchant.as_str()).collect();
        let test: HashSet<&str> = history.iter().filter(|t| t.date >= split).map(|t| t.merchant.as_str()).collect();
        let unseen = test.iter().filter(|m| !seen.contains(*m)).count();
        println!("unseen test merchants: {unseen} of {}", test.len());
        return;
    }
    let started = Instant::now();
    let bench = benchmark(&history, split, jiff::civil::Date::MAX, &ModelKind::ALL);
    println!("{bench}");
    println!("(benchmark incl. calibration took {:.1?})\n", started.elapsed());
    for r in &bench.reports {
        if r.kind == ModelKind::default() {
            println!("{r}");
        }
    }

    if months < 36 {
        return;
    }
    let big = generate(&SynthConfig { seed, months: 60, tx_per_month: 1700, ..SynthConfig::default() });
    let pairs: Vec<_> = big.iter().take(100_000).map(|t| (t.view(), t.category.as_str())).collect();
    for kind in ModelKind::ALL {
        let started = Instant::now();
        let model = Categorizer::train(kind, pairs.iter().copied());
        let took = started.elapsed();
        let json = model.to_json();
        println!(
            "training {} on {} rows: {:.2?}; saved model {} kB",
            kind.name(),
            pairs.len(),
            took,
            json.len() / 1000
        );
    }
}

fn write_csv<'a>(path: &std::path::Path, rows: impl Iterator<Item = &'a kassa_core::categorize::synth::SynthTx>) {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("date,description,counterparty,amount,currency,account,category,merchant\n");
    for t in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            t.date,
            quote(&t.description),
            quote(t.counterparty.as_deref().unwrap_or("")),
            t.amount,
            t.currency,
            quote(&t.account),
            quote(&t.category),
            quote(&t.merchant)
        ));
    }
    if let Err(e) = std::fs::write(path, out) {
        eprintln!("cannot write {}: {e}", path.display());
    }
}
