//! kassa-bench: the measurements behind docs/BENCHMARKS.md, each beside a
//! baseline that does the least the same work could cost — bare SQL inserts,
//! sqlite3's own `.import`, the server's static stylesheet.
//!
//! [`ledger`] times the write path, rebuild and import in scratch databases
//! and seeds the HTTP benchmarks' data set; [`reports`] times every report
//! in-process; [`api`] and [`pages`] serve a database from a child process
//! and time it over HTTP. The child is this process's own executable with
//! `serve --bind ADDR` (with `KASSA_DB=URL`), so these two run inside the `kassa` binary.
//! Each benchmark returns its rows; printing them is the caller's.

pub mod api;
pub mod ledger;
pub mod pages;
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
