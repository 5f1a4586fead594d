//! `kassa_import::camt::parse` on arbitrary bytes.
#![no_main]

mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    check::parse(data, || kassa_import::camt::parse(data));
});
