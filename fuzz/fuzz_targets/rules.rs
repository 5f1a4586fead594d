//! Categorisation rule files (`kassa_core::categorize::rules`), TOML and
//! JSON: a file that reads must compile or fail with an error, apply to a
//! transaction without panicking, and write back to a file that reads as
//! the same rules.
#![no_main]

use jiff::civil::date;
use kassa_core::categorize::rules::{export_json, export_toml, import_json, import_toml};
use kassa_core::categorize::{RuleSet, TxView};
use rust_decimal::Decimal;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for rules in [import_toml(text), import_json(text)].into_iter().flatten() {
        if let Ok(set) = RuleSet::compile(&rules) {
            let tx = TxView {
                counterparty: Some("REWE Markt GmbH"),
                ..TxView::new("VISA 4411 REWE SAGT DANKE 12.05 MUENCHEN", Decimal::new(-1250, 2), date(2024, 5, 12))
            };
            let _ = set.apply(&tx);
        }
        if let Ok(toml) = export_toml(&rules) {
            assert_eq!(import_toml(&toml).ok().as_ref(), Some(&rules), "TOML round trip:\n{toml}");
        }
        if let Ok(json) = export_json(&rules) {
            assert_eq!(import_json(&json).ok().as_ref(), Some(&rules), "JSON round trip:\n{json}");
        }
    }
});
