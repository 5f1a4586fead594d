//! Bank CSVs of unknown layout: detection, the sniffed proposal, and the
//! read with whatever profile is chosen (a built-in by header, else the
//! proposal).
#![no_main]

mod check;

use kassa_import::{csv_bank, detect};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = detect::detect(data);
    let (proposal, _) = csv_bank::propose(data);
    check::parse(data, || csv_bank::parse(data, Some(&proposal)));
    check::parse(data, || csv_bank::read(data, None).parsed);
});
