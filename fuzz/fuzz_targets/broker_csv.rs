//! Broker cash statements: arbitrary bytes read with every built-in broker
//! profile (DEGIRO, Directa, Saxo, Schwab), whose layouts have the fewest
//! checks on what a row must hold (`skip_empty_amount`, auto decimal marks).
#![no_main]

mod check;

use std::sync::LazyLock;

use kassa_import::csv_bank;
use kassa_import::profile::{Profile, builtin_profiles};

static BROKERS: LazyLock<Vec<Profile>> = LazyLock::new(|| {
    let names = ["DEGIRO (NL)", "Directa SIM (IT)", "Saxo Bank", "Charles Schwab (US)"];
    let found: Vec<Profile> = builtin_profiles().into_iter().filter(|p| names.contains(&p.name.as_str())).collect();
    assert_eq!(found.len(), names.len(), "a broker profile was renamed");
    found
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for p in BROKERS.iter() {
        check::parse(data, || csv_bank::parse(data, Some(p)));
    }
});
