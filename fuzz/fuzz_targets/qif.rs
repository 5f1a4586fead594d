//! `kassa_import::qif::parse` on arbitrary bytes, and with each fixed
//! day/month order.
#![no_main]

mod check;

use kassa_import::qif::{self, DateOrder};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    check::parse(data, || qif::parse(data));
    check::parse(data, || qif::parse_with(data, DateOrder::DayFirst));
});
