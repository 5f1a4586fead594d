//! The dispatcher as the import service calls it: the format detected from
//! the content, then that format's parser.
#![no_main]

mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    check::parse(data, || kassa_import::parse(data, None, None));
});
