//! What every parser target checks besides not panicking: the output is
//! bounded by the input, and so is the work (the parsers' own counter, so a
//! quadratic path on some input fails as a finding, not as a slow run).

use kassa_import::{ParsedFile, work};

/// Steps of work per input byte (plus a fixed allowance for tiny inputs)
/// past which a parse counts as superlinear: real parses take under 64.
const STEPS_PER_BYTE: u64 = 256;

pub fn parse(data: &[u8], f: impl FnOnce() -> ParsedFile) -> ParsedFile {
    let (p, steps) = work::measure(f);
    let len = data.len();
    let items = p.rows.len() + p.trades.len() + p.balances.len() + p.diagnostics.len();
    assert!(items <= 4 * len + 8, "{items} items from {len} bytes");
    let bound = STEPS_PER_BYTE * (len as u64 + 256);
    assert!(steps <= bound, "{steps} steps for {len} bytes (bound {bound})");
    p
}
