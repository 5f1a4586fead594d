//! Every corpus file detects to its own format, by content.

use kassa_import::Format;
use kassa_import::detect::detect;

use super::corpus_files;

#[test]
fn every_corpus_file() {
    let expect = [
        ("csv", Format::Csv),
        ("broker", Format::Broker),
        ("ofx", Format::Ofx),
        ("qfx", Format::Ofx),
        ("qif", Format::Qif),
        ("camt", Format::Camt),
        ("mt940", Format::Mt940),
    ];
    for (sub, want) in expect {
        for path in corpus_files(sub) {
            let got = detect(&std::fs::read(&path).unwrap());
            assert_eq!(got, Some(want), "{}", path.display());
        }
    }
}

#[test]
fn native_files() {
    let t = b"external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,counterparty_account,transfer_group_id\n";
    assert_eq!(detect(t), Some(Format::KassaCsv));
    let t = b"\xEF\xBB\xBFaccount_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id\nx,2024-01-01,A,,BUY,1,1,0,EUR,\n";
    assert_eq!(detect(t), Some(Format::Trades));
}
