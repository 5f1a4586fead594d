//! Recurring detection scored on generated two-year histories
//! (`kassa_core::recurring::synth`) with known series and lookalike noise.
//!
//! A detected series is **correct** when a known series has the same
//! account, the same normalised counterparty and the same interval; each
//! known series is matched at most once. Precision is correct detections
//! over all detections, recall matched known series over all known series,
//! both summed over every seed. The status of a correct detection is scored
//! separately (share of matched series whose status equals the known one).

use kassa_core::recurring::{RecurringTx, detect, synth};

const SEEDS: u64 = 50;

#[test]
fn detection_is_scored_over_fifty_seeds() {
    let (mut detected, mut correct, mut known, mut status_right) = (0usize, 0usize, 0usize, 0usize);
    let mut worst: Vec<String> = Vec::new();
    for seed in 0..SEEDS {
        let h = synth::history(seed);
        let views: Vec<RecurringTx<'_>> = h.txs.iter().map(synth::SynthTx::view).collect();
        let found = detect(&views, h.as_of);
        let mut unmatched = h.known.clone();
        detected += found.len();
        known += h.known.len();
        for s in &found {
            let hit = unmatched
                .iter()
                .position(|k| k.account == s.account && k.counterparty == s.counterparty && k.interval == s.interval);
            match hit {
                Some(i) => {
                    let k = unmatched.remove(i);
                    correct += 1;
                    if k.status == s.status {
                        status_right += 1;
                    } else {
                        worst.push(format!(
                            "seed {seed}: {} {} status {} (known {})",
                            s.counterparty, s.interval, s.status, k.status
                        ));
                    }
                }
                None => worst.push(format!(
                    "seed {seed}: spurious {} {} x{} {}",
                    s.counterparty, s.interval, s.occurrences, s.amount
                )),
            }
        }
        for k in unmatched {
            worst.push(format!("seed {seed}: missed {} {}", k.counterparty, k.interval));
        }
    }
    let precision = correct as f64 / detected.max(1) as f64;
    let recall = correct as f64 / known.max(1) as f64;
    let status = status_right as f64 / correct.max(1) as f64;
    println!(
        "recurring over {SEEDS} seeds: {detected} detected, {known} known, {correct} correct; \
         precision {precision:.3}, recall {recall:.3}, status accuracy {status:.3}"
    );
    for w in worst.iter().take(40) {
        println!("  {w}");
    }
    assert!(precision >= 0.95, "precision {precision:.3}");
    assert!(recall >= 0.90, "recall {recall:.3}");
}
