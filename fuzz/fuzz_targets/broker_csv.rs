//! Broker exports: arbitrary bytes read by the broker parsers (IBKR flex,
//! DEGIRO, Trading 212, Schwab, Saxo, Directa), each behind its header so
//! the fuzzer reaches the rows, and by every built-in broker cash profile
//! (DEGIRO, Directa, Saxo, Schwab), whose layouts have the fewest checks on
//! what a row must hold (`skip_empty_amount`, auto decimal marks).
#![no_main]

mod check;

use std::sync::LazyLock;

use kassa_import::broker;
use kassa_import::csv_bank;
use kassa_import::profile::{Profile, builtin_profiles};

static BROKERS: LazyLock<Vec<Profile>> = LazyLock::new(|| {
    let names = ["DEGIRO (NL)", "Directa SIM (IT)", "Saxo Bank", "Charles Schwab (US)"];
    let found: Vec<Profile> = builtin_profiles().into_iter().filter(|p| names.contains(&p.name.as_str())).collect();
    assert_eq!(found.len(), names.len(), "a broker profile was renamed");
    found
});

/// One header per broker parser; the input's first byte picks one, the
/// rest is the body.
const HEADERS: [&str; 6] = [
    "CurrencyPrimary,Symbol,DateTime,Quantity,TradePrice,Buy/Sell,IBCommission,NetCash,FXRateToBase,AssetClass\n",
    "Datum,Tijd,Valutadatum,Product,ISIN,Omschrijving,FX,Mutatie,,Saldo,,Order Id\n",
    "Action,Time,ISIN,Ticker,Name,No. of shares,Price / share,Currency (Price / share),Exchange rate,Result,\
Currency (Result),Total,Currency (Total),Withholding tax,Currency (Withholding tax),Notes,ID\n",
    "Date,Action,Symbol,Description,Quantity,Price,Fees & Comm,Amount\n",
    "Client ID,Trade Date,Value Date,Type,Instrument,Instrument ISIN,Instrument currency,Exchange Description,\
Instrument Symbol,Event,Amount,Order ID,Conversion Rate\n",
    "Data operazione,Data valuta,Tipo operazione,Ticker,Isin,Protocollo,Descrizione,Quantità,Importo euro,\
Importo Divisa,Divisa,Riferimento ordine\n",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for p in BROKERS.iter() {
        check::parse(data, || csv_bank::parse(data, Some(p)));
    }
    check::parse(data, || broker::parse(data));
    if let Some((pick, body)) = data.split_first() {
        let mut input = HEADERS[usize::from(*pick) % HEADERS.len()].as_bytes().to_vec();
        input.extend_from_slice(body);
        check::parse(&input, || broker::parse(&input));
    }
});
