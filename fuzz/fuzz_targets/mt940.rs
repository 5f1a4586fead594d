//! `kassa_import::mt940::parse` on arbitrary bytes.
#![no_main]

mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    check::parse(data, || kassa_import::mt940::parse(data));
});
