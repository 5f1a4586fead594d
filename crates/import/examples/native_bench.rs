//! Times `native::parse_transactions` and the streaming reader on a generated
//! 1,000,000-row transactions.csv. Run with `cargo run --release --example native_bench`.

use std::time::Instant;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let mut text = String::from(
        "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,counterparty_account,transfer_group_id\n",
    );
    for i in 0..n {
        let day = i % 28 + 1;
        let month = i % 12 + 1;
        let cents = (i * 7919) % 100_000;
        text.push_str(&format!(
            "tx-{i},checking,2024-{month:02}-{day:02},-{}.{:02},EUR,expense,Groceries,Card payment {i} at shop,Shop {},DE89370400440532013000,\n",
            cents / 100,
            cents % 100,
            i % 97
        ));
    }
    let mb = text.len() / 1_000_000;
    let t = Instant::now();
    let parsed = kassa_import::native::parse_transactions(text.as_bytes());
    let whole = t.elapsed();
    assert_eq!(parsed.rows.len(), n);
    assert!(parsed.diagnostics.is_empty());
    drop(parsed);
    let t = Instant::now();
    let count = kassa_import::native::TransactionsReader::new(text.as_bytes()).filter(Result::is_ok).count();
    let streamed = t.elapsed();
    assert_eq!(count, n);
    println!("{n} rows, {mb} MB: parse_transactions {whole:.2?}, streaming {streamed:.2?}");
}
