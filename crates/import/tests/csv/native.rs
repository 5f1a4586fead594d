//! kassa's native transactions.csv and trades.csv: strict, line- and
//! field-exact errors, streaming.

use kassa_import::native::{TransactionsReader, parse_trades, parse_transactions};
use kassa_import::{Format, TradeSide};

const TX_HEADER: &str = "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,counterparty_account,transfer_group_id\n";
const TR_HEADER: &str = "account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id\n";

fn errors(p: &kassa_import::ParsedFile) -> Vec<(usize, Option<String>)> {
    p.diagnostics.iter().map(|d| (d.line, d.field.clone())).collect()
}

#[test]
fn transactions_read() {
    let text = format!(
        "{TX_HEADER}t1,checking,2024-01-05,-12.50,EUR,expense,Groceries,\"Lidl, Berlin\",Lidl,DE89370400440532013000,\n\
         t2,checking,2024-01-06,100,EUR,transfer,,Savings,,,g1\n\
         t3,savings,2024-01-06,-100,EUR,transfer,,Savings,,,g1\n"
    );
    let p = parse_transactions(text.as_bytes());
    assert_eq!(p.format, Format::KassaCsv);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.rows.len(), 3);
    let r = &p.rows[0];
    assert_eq!((r.line, r.date.to_string(), r.amount.to_string()), (2, "2024-01-05".into(), "-12.50".into()));
    assert_eq!(r.account.account_ref.as_deref(), Some("checking"));
    assert_eq!(r.section.as_deref(), Some("expense"));
    assert_eq!(r.category.as_deref(), Some("Groceries"));
    assert_eq!(r.description, "Lidl, Berlin");
    assert_eq!(r.counterparty_account.as_deref(), Some("DE89370400440532013000"));
    assert_eq!(p.rows[2].transfer_group.as_deref(), Some("g1"));
}

#[test]
fn transactions_errors_name_line_and_field() {
    let text = format!(
        "{TX_HEADER}t1,,2024-01-05,-12.50,EUR,expense,,x,,,\n\
         t2,a,2024-02-30,1,EUR,,,x,,,\n\
         t3,a,2024-01-05,1;5,EUR,,,x,,,\n\
         \n\
         t4,a,2024-01-05,1,EURO,,,x,,,\n\
         t5,a,2024-01-05,1,EUR,fun,,x,,,\n\
         t6,a,2024-01-05,1,EUR\n\
         t7,a,2024-01-05,1.5,EUR,income,,ok,,,\n"
    );
    let p = parse_transactions(text.as_bytes());
    assert_eq!(
        errors(&p),
        [
            (2, Some("account_ref".into())),
            (3, Some("date".into())),
            (4, Some("amount".into())),
            (6, Some("currency".into())),
            (7, Some("section".into())),
            (8, None),
        ]
    );
    assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [9]);
}

#[test]
fn wrong_headers() {
    let p = parse_transactions(b"id,account,date,amount\n1,a,2024-01-01,1\n");
    assert_eq!(errors(&p), [(1, Some("id".into()))]);
    assert!(p.rows.is_empty());
    let p = parse_transactions(TX_HEADER.replace(",transfer_group_id", "").as_bytes());
    assert_eq!(errors(&p), [(1, Some("transfer_group_id".into()))]);
    let p = parse_transactions(b"");
    assert_eq!(p.diagnostics.len(), 1);
}

#[test]
fn streaming_reader_yields_one_at_a_time() {
    let mut text = String::from(TX_HEADER);
    for i in 0..1000 {
        text.push_str(&format!("t{i},a,2024-01-05,{i}.01,EUR,,,x,,,\n"));
    }
    let mut reader = TransactionsReader::new(text.as_bytes());
    let first = reader.next().unwrap().unwrap();
    assert_eq!(first.line, 2);
    assert_eq!(reader.count(), 999);
}

#[test]
fn trades_read_and_validate() {
    let text = format!(
        "{TR_HEADER}broker,2024-01-05T09:30:00+01:00,VWRL,IE00B3RBWM25,BUY,10,101.25,1.50,EUR,x1\n\
         broker,2024-01-06,AAPL,US0378331005,sell,2.5,190,,USD,\n\
         broker,2024-01-06,AAPL,US0378331006,SELL,1,190,0,USD,\n\
         broker,2024-01-06,AAPL,,HOLD,1,190,0,USD,\n\
         broker,2024-01-06,AAPL,,BUY,-1,190,0,USD,\n\
         broker,06.01.2024,AAPL,,BUY,1,190,0,USD,\n\
         broker,2024-01-06,,,BUY,1,190,0,USD,\n"
    );
    let p = parse_trades(text.as_bytes());
    assert_eq!(p.format, Format::Trades);
    assert_eq!(p.trades.len(), 2);
    let t = &p.trades[0];
    assert_eq!(
        (t.side, t.quantity.to_string(), t.price.to_string(), t.fees.to_string()),
        (TradeSide::Buy, "10".into(), "101.25".into(), "1.50".into())
    );
    assert_eq!(t.date.to_string(), "2024-01-05");
    assert_eq!(p.trades[1].side, TradeSide::Sell);
    assert_eq!(
        errors(&p),
        [
            (4, Some("isin".into())),
            (5, Some("side".into())),
            (6, Some("qty".into())),
            (7, Some("trade_time".into())),
            (8, Some("symbol".into())),
        ]
    );
    assert!(p.diagnostics[0].message.contains("check digit should be 5"));
}
