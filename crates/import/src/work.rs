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

use std::cell::Cell;

thread_local! {
    static STEPS: Cell<u64> = const { Cell::new(0) };
}

/// Records `n` steps of work on this thread.
#[inline]
pub(crate) fn add(n: usize) {
    STEPS.with(|s| s.set(s.get().wrapping_add(n as u64)));
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
}
