//! kassa's own `transactions.csv` and `trades.csv`, whole and streamed: the
//! two must agree row for row.
#![no_main]

mod check;

use kassa_import::native;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let whole = check::parse(data, || native::parse_transactions(data));
    let streamed = native::TransactionsReader::new(data).filter(Result::is_ok).count();
    assert_eq!(whole.rows.len(), streamed);
    let whole = check::parse(data, || native::parse_trades(data));
    let streamed = native::TradesReader::new(data).filter(Result::is_ok).count();
    assert_eq!(whole.trades.len(), streamed);
});
