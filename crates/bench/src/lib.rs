//! kassa-bench: the measurements behind docs/BENCHMARKS.md, each beside a
//! baseline that does the least the same work could cost — bare SQL inserts,
//! sqlite3's own `.import`, the server's static stylesheet.
//!
//! [`ledger`] times the write path, rebuild and import in scratch databases
//! and seeds the HTTP benchmarks' data set; [`reports`] times every report
//! in-process; [`api`] and [`pages`] serve a database from a child process
//! and time it over HTTP. The child is this process's own executable with
//! `serve --bind ADDR` (with `KASSA_DB=URL`), so these two run inside the `kassa` binary.
//! [`import_load`] serves the same way while one user's 500k-row upload
//! runs as a job and another's register page is sampled.
//! [`portfolio`] generates trades for kassa and beancount alike and times
//! the portfolio listings whole-process beside `bean-query`. [`budgets`]
//! times the budget month, `/budgets` and recurring detection on a big book.
//! Each benchmark returns its rows; printing them is the caller's.

pub mod api;
pub mod budgets;
pub mod filters;
pub mod import_load;
pub mod ledger;
pub mod pages;
pub mod portfolio;
pub mod reports;

use indicatif::{ProgressBar, ProgressStyle};

/// The progress bar of a long run on stderr: a benchmark's steps, and the
/// binary's own rebuild and large imports.
pub fn progress_bar(label: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(label.to_string());
    bar
}

/// The benchmarks' seeded generator (xorshift64): the same data every run,
/// without a dependency for it.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`; xorshift must not start at 0.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform enough in `0..n` for test data (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        (self.next_u64() >> 11) % n
    }
}
