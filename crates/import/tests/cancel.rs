//! Issue 14: the request timeout did not stop a blocking parse. Every
//! parser, in every shape of input, stops once its cancel flag is set,
//! long before it would have finished ([`kassa_import::work::cancellable`]).

#[path = "common/shapes.rs"]
mod shapes;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use kassa_import::work::{self, Cancelled};
use shapes::SHAPES;

/// Large enough that every shape counts several times `CHECK_EVERY` steps.
const SIZE: usize = 256 * 1024;

#[test]
fn an_unset_flag_changes_nothing() {
    let shape = &SHAPES[0];
    let bytes = shape.build(SIZE);
    let (plain, full) = work::measure(|| shape.parse(&bytes));
    let unset = Arc::new(AtomicBool::new(false));
    let (flagged, steps) = work::measure(|| work::cancellable(&unset, || shape.parse(&bytes)));
    assert_eq!((flagged.map(|p| p.diagnostics.len()), steps), (Ok(plain.diagnostics.len()), full));
}

#[test]
fn every_parser_stops_when_cancelled() {
    let mut failures = Vec::new();
    let mut totals = (0, 0);
    for shape in SHAPES {
        let bytes = shape.build(SIZE);
        let (_, full) = work::measure(|| shape.parse(&bytes));
        let set = Arc::new(AtomicBool::new(true));
        let (out, stopped) = work::measure(|| work::cancellable(&set, || shape.parse(&bytes)));
        let kind = if shape.hostile { "hostile" } else { "plain" };
        eprintln!("{:24} {kind:7} {full:>10} steps in full, {stopped:>10} when cancelled", shape.name);
        // A shape whose input is one record (a single long field) is read in
        // one step and stops right after it; the others stop well before.
        if out != Err(Cancelled) {
            failures.push(format!("{}: ran {stopped} of {full} steps to the end", shape.name));
        }
        totals = (totals.0 + full, totals.1 + stopped);
    }
    assert!(failures.is_empty(), "not cancelled:\n{}", failures.join("\n"));
    assert!(totals.1 * 2 < totals.0, "cancelled parses still ran {} of {} steps", totals.1, totals.0);
    assert_eq!(Cancelled.to_string(), "cancelled: the request that started this work is gone");
}
