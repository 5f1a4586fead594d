//! A count of the work the parsers do, so tests can check that it grows
//! linearly with the input instead of timing it (issue 14: a quadratic OFX
//! tokenizer took 30 s on 800 KB). Every loop whose length depends on the
//! input adds what it scans (bytes) or visits (elements, records, fields);
//! library calls that scan (`str::find`, the CSV and XML readers) add the
//! bytes they were given or consumed. The unit is abstract — "steps" — and
//! only its growth matters.
//!
//! The count is per thread, so tests running in parallel do not see each
//! other's work, and it costs one thread-local add per loop iteration.
//!
//! The same count makes parsing cancellable ([`cancellable`]): the places
//! that count work are exactly the loops that can run long, so every
//! [`CHECK_EVERY`] steps the count looks at the thread's cancel flag and,
//! when it is set, unwinds out of the parser. The server sets the flag when
//! a request's future is dropped (its timeout fired, the client left), so a
//! blocking parse no longer runs on after its request is gone (issue 14).
//! Unwinding needs no parser to know about cancelling; parsers own only
//! local state, and a store transaction the unwind passes through rolls
//! back on drop, so nothing half-done survives it.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    static STEPS: Cell<u64> = const { Cell::new(0) };
    static CANCEL: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// How many steps pass between two looks at the cancel flag: 2^16, so a
/// look costs nothing measurable and a cancelled parse stops within about
/// 64 KB of further input.
pub const CHECK_EVERY: u64 = 1 << 16;

/// Records `n` steps of work on this thread.
#[inline]
pub(crate) fn add(n: usize) {
    let (before, after) = STEPS.with(|s| {
        let before = s.get();
        s.set(before.wrapping_add(n as u64));
        (before, s.get())
    });
    if before / CHECK_EVERY != after / CHECK_EVERY {
        stop_if_cancelled();
    }
}

#[cold]
fn stop_if_cancelled() {
    let cancelled = CANCEL.with(|c| c.borrow().as_ref().is_some_and(|f| f.load(Ordering::Relaxed)));
    if cancelled {
        // `resume_unwind`, not `panic!`: no panic hook runs, nothing is
        // logged as a crash; `cancellable` catches exactly this payload.
        resume_unwind(Box::new(Cancelled));
    }
}

/// A parse stopped because its cancel flag was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cancelled: the request that started this work is gone")]
pub struct Cancelled;

/// Runs `f` on this thread with `flag` as its cancel flag: once the flag is
/// set, the next look at it (within [`CHECK_EVERY`] steps of parsing)
/// stops `f` and this returns [`Cancelled`]. A panic other than the
/// cancel goes on unwinding.
pub fn cancellable<T>(flag: &Arc<AtomicBool>, f: impl FnOnce() -> T) -> Result<T, Cancelled> {
    let outer = CANCEL.with(|c| c.replace(Some(flag.clone())));
    let out = catch_unwind(AssertUnwindSafe(f));
    CANCEL.with(|c| *c.borrow_mut() = outer);
    match out {
        Ok(t) => Ok(t),
        Err(payload) if payload.is::<Cancelled>() => Err(Cancelled),
        Err(payload) => resume_unwind(payload),
    }
}

/// Runs `f` and returns its result with the steps of work it recorded.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = STEPS.with(Cell::get);
    let out = f();
    (out, STEPS.with(Cell::get).wrapping_sub(before))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_inside() {
        add(5);
        let ((), steps) = measure(|| add(3));
        assert_eq!(steps, 3);
    }

    #[test]
    fn a_set_flag_stops_the_work_at_the_next_look() {
        let flag = Arc::new(AtomicBool::new(false));
        let mut done = 0;
        let out = cancellable(&flag, || {
            for i in 0..4 * CHECK_EVERY {
                if i == CHECK_EVERY {
                    flag.store(true, Ordering::Relaxed);
                }
                add(1);
                done += 1;
            }
        });
        assert_eq!(out, Err(Cancelled));
        assert!(done > CHECK_EVERY && done <= 2 * CHECK_EVERY + 1, "{done} steps ran");
        // The flag belonged to that call only.
        let again = cancellable(&Arc::new(AtomicBool::new(false)), || (0..4 * CHECK_EVERY).for_each(|_| add(1)));
        assert_eq!(again, Ok(()));
    }

    #[test]
    fn other_panics_go_on_unwinding() {
        let flag = Arc::new(AtomicBool::new(false));
        let r = catch_unwind(|| cancellable(&flag, || panic!("boom")));
        assert!(r.is_err());
    }
}
