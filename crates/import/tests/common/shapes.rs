//! Generated inputs for the parser complexity tests and the memory
//! measurement (`examples/parser_memory.rs`): each shape is a head, a unit
//! repeated to reach the wanted size, and a tail. Hostile shapes (issue 14:
//! many `<` without `>`, many empty elements, one endless line or field, runs
//! of quotes, deep nesting) sit beside normal ones (many ordinary rows), one
//! set per parser entry point. Everything is written here; nothing is copied
//! from bank files.

use kassa_import::Format;

/// One generated input.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub name: &'static str,
    pub format: Format,
    /// True for the shapes issue 14 calls hostile; false for ordinary files
    /// at scale, whose memory is mostly the rows they produce.
    pub hostile: bool,
    pub head: &'static str,
    pub unit: &'static str,
    pub tail: &'static str,
}

impl Shape {
    /// The input at about `size` bytes (never less than head and tail).
    pub fn build(&self, size: usize) -> Vec<u8> {
        let fixed = self.head.len() + self.tail.len();
        let n = size.saturating_sub(fixed) / self.unit.len();
        let mut out = Vec::with_capacity(fixed + n * self.unit.len());
        out.extend_from_slice(self.head.as_bytes());
        for _ in 0..n {
            out.extend_from_slice(self.unit.as_bytes());
        }
        out.extend_from_slice(self.tail.as_bytes());
        out
    }

    pub fn parse(&self, bytes: &[u8]) -> kassa_import::ParsedFile {
        kassa_import::parse(bytes, Some(self.format), None)
    }
}

const OFX_BANK: &str = "OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR\
<BANKACCTFROM><BANKID>1<ACCTID>2</BANKACCTFROM><BANKTRANLIST>\n";
const OFX_BANK_END: &str = "</BANKTRANLIST><LEDGERBAL><BALAMT>1.00<DTASOF>20240131</LEDGERBAL>\
</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n";
const CAMT_STMT: &str = "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\
<BkToCstmrStmt><Stmt><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\n";
const CAMT_END: &str = "</Stmt></BkToCstmrStmt></Document>\n";
const CAMT_ENTRY: &str = "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\
<BkToCstmrStmt><Stmt><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\n\
<Ntry><Amt Ccy=\"EUR\">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2024-01-01</Dt></BookgDt><NtryDtls>\n";
const CAMT_ENTRY_END: &str = "</NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>\n";
const MT940_HEAD: &str = ":20:STARTUMS\n:25:NL81ASNB9999999999\n:28C:1\n:60F:C240101EUR1,00\n";
const KASSA_HEADER: &str = "external_id,account_ref,date,amount,currency,section,category,description,\
counterparty_name,counterparty_account,transfer_group_id\n";
const TRADES_HEADER: &str = "account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id\n";
const DEGIRO_HEADER: &str = "Datum,Tijd,Valutadatum,Product,ISIN,Omschrijving,FX,Mutatie,,Saldo,,Order Id\n";

pub const SHAPES: &[Shape] = &[
    // --- OFX/QFX ---
    Shape {
        name: "ofx-open-angles",
        format: Format::Ofx,
        hostile: true,
        head: "OFXHEADER:100\n\n<OFX><X/>",
        unit: "<",
        tail: ">",
    },
    Shape {
        name: "ofx-empty-elements",
        format: Format::Ofx,
        hostile: true,
        head: "OFXHEADER:100\n\n<OFX>",
        unit: "<a/>",
        tail: "</OFX>",
    },
    Shape {
        name: "ofx-sgml-leaves",
        format: Format::Ofx,
        hostile: true,
        head: "OFXHEADER:100\n\n<OFX>",
        unit: "<A>x\n",
        tail: "</OFX>",
    },
    Shape {
        name: "ofx-deep",
        format: Format::Ofx,
        hostile: true,
        head: "OFXHEADER:100\n\n<OFX>",
        unit: "<A>",
        tail: "",
    },
    Shape {
        name: "ofx-entities",
        format: Format::Ofx,
        hostile: true,
        head: "OFXHEADER:100\n\n<OFX><STMTRS><BANKTRANLIST><STMTTRN><MEMO>",
        unit: "&amp;",
        tail: "</STMTTRN></BANKTRANLIST></STMTRS></OFX>",
    },
    Shape {
        name: "ofx-empty-transactions",
        format: Format::Ofx,
        hostile: true,
        head: OFX_BANK,
        unit: "<STMTTRN></STMTTRN>",
        tail: OFX_BANK_END,
    },
    Shape {
        name: "ofx-rows",
        format: Format::Ofx,
        hostile: false,
        head: OFX_BANK,
        unit: "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240105<TRNAMT>-12.50<FITID>F1<NAME>Shop<MEMO>Card payment</STMTTRN>\n",
        tail: OFX_BANK_END,
    },
    // --- camt.05x ---
    Shape {
        name: "camt-empty-elements",
        format: Format::Camt,
        hostile: true,
        head: CAMT_STMT,
        unit: "<a/>",
        tail: CAMT_END,
    },
    Shape {
        name: "camt-empty-in-entry",
        format: Format::Camt,
        hostile: true,
        head: CAMT_ENTRY,
        unit: "<a/>",
        tail: CAMT_ENTRY_END,
    },
    Shape {
        name: "camt-empty-details",
        format: Format::Camt,
        hostile: true,
        head: CAMT_ENTRY,
        unit: "<TxDtls/>",
        tail: CAMT_ENTRY_END,
    },
    Shape { name: "camt-open-angles", format: Format::Camt, hostile: true, head: CAMT_STMT, unit: "<", tail: ">" },
    Shape { name: "camt-deep", format: Format::Camt, hostile: true, head: CAMT_STMT, unit: "<a>", tail: "" },
    Shape {
        name: "camt-batch-split",
        format: Format::Camt,
        hostile: false,
        head: CAMT_ENTRY,
        unit: "<TxDtls><Amt Ccy=\"EUR\">0.00</Amt><RmtInf><Ustrd>Part</Ustrd></RmtInf></TxDtls>\n",
        tail: CAMT_ENTRY_END,
    },
    Shape {
        name: "camt-rows",
        format: Format::Camt,
        hostile: false,
        head: CAMT_STMT,
        unit: "<Ntry><Amt Ccy=\"EUR\">12.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-01-05</Dt>\
</BookgDt><NtryDtls><TxDtls><RmtInf><Ustrd>Card payment</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n",
        tail: CAMT_END,
    },
    // --- QIF ---
    Shape {
        name: "qif-fields",
        format: Format::Qif,
        hostile: true,
        head: "!Type:Bank\nD01/05/2024\nT-1.00\n",
        unit: "MX\n",
        tail: "^\n",
    },
    Shape {
        name: "qif-splits",
        format: Format::Qif,
        hostile: true,
        head: "!Type:Bank\nD01/05/2024\nT-1.00\n",
        unit: "SFood\n$-1.00\n",
        tail: "^\n",
    },
    Shape {
        name: "qif-long-line",
        format: Format::Qif,
        hostile: true,
        head: "!Type:Bank\nD01/05/2024\nT-1.00\nM",
        unit: "A",
        tail: "\n^\n",
    },
    Shape {
        name: "qif-rows",
        format: Format::Qif,
        hostile: false,
        head: "!Type:Bank\n",
        unit: "D01/05/2024\nT-12.50\nPShop\nMCard payment\n^\n",
        tail: "",
    },
    // --- MT940 ---
    Shape {
        name: "mt940-continuations",
        format: Format::Mt940,
        hostile: true,
        head: ":20:STARTUMS\n:25:NL81ASNB9999999999\n:60F:C240101EUR1,00\n:61:2401010101C1,00NTRFNONREF\n:86:",
        unit: "x\n",
        tail: ":62F:C240101EUR2,00\n",
    },
    Shape {
        name: "mt940-long-line",
        format: Format::Mt940,
        hostile: true,
        head: ":20:STARTUMS\n:25:NL81ASNB9999999999\n:60F:C240101EUR1,00\n:61:2401010101C1,00NTRFNONREF\n:86:",
        unit: "A",
        tail: "\n:62F:C240101EUR2,00\n",
    },
    Shape {
        name: "mt940-empty-fields",
        format: Format::Mt940,
        hostile: true,
        head: MT940_HEAD,
        unit: ":28C:\n",
        tail: "",
    },
    Shape {
        name: "mt940-rows",
        format: Format::Mt940,
        hostile: false,
        head: MT940_HEAD,
        unit: ":61:2401050105D12,50NTRFNONREF//B1\n:86:/TRTP/SEPA/NAME/Shop/REMI/Card payment\n",
        tail: ":62F:C240131EUR1,00\n",
    },
    // --- bank CSV (sniffed or a built-in profile) ---
    Shape {
        name: "csv-long-field",
        format: Format::Csv,
        hostile: true,
        head: "Date;Amount;Description\n02.01.2024;2,00;x\n01.01.2024;1,00;",
        unit: "A",
        tail: "\n",
    },
    Shape {
        name: "csv-quotes",
        format: Format::Csv,
        hostile: true,
        head: "Date;Amount;Description\n02.01.2024;2,00;x\n01.01.2024;1,00;\"",
        unit: "\"\"",
        tail: "\"\n",
    },
    Shape {
        name: "csv-open-quote",
        format: Format::Csv,
        hostile: true,
        head: "Date;Amount;Description\n02.01.2024;2,00;x\n01.01.2024;1,00;\"",
        unit: "x;y\n",
        tail: "",
    },
    Shape {
        name: "csv-columns",
        format: Format::Csv,
        hostile: true,
        head: "Date;Amount\n01.01.2024;1,00\n02.01.2024;2,00",
        unit: ";",
        tail: "\n",
    },
    Shape {
        name: "csv-blank-lines",
        format: Format::Csv,
        hostile: true,
        head: "Date;Amount;Description\n01.01.2024;1,00;x\n02.01.2024;2,00;y\n",
        unit: "\n",
        tail: "",
    },
    Shape {
        name: "csv-continuations",
        format: Format::Csv,
        hostile: true,
        head: "Transaction date,Value date,Description,Withdrawals (SGD),Deposits (SGD)\n\
05/01/2024,05/01/2024,Shop,12.50,\n",
        unit: ",,more text,,\n",
        tail: "",
    },
    Shape {
        name: "csv-pending",
        format: Format::Csv,
        hostile: true,
        head: "Date Processed,Description,Amount,\n",
        unit: "Pending,Shop,£1.00,\n",
        tail: "12 Dec 2019,Shop,£1.00,\n",
    },
    Shape {
        name: "csv-rows",
        format: Format::Csv,
        hostile: false,
        head: "Date;Amount;Description\n",
        unit: "05.01.2024;-12,50;Card payment shop\n",
        tail: "",
    },
    // --- broker CSV (a built-in broker profile) ---
    Shape {
        name: "broker-long-field",
        format: Format::Csv,
        hostile: true,
        head: DEGIRO_HEADER,
        unit: "A",
        tail: ",Dividend,,EUR,\"0,19\",EUR,\"13,88\",\n",
    },
    Shape {
        name: "broker-rows",
        format: Format::Csv,
        hostile: false,
        head: DEGIRO_HEADER,
        unit: "27-12-2019,08:14,27-12-2019,VANECK AEX,NL0009272749,Dividend,,EUR,\"0,19\",EUR,\"13,88\",\n",
        tail: "",
    },
    // --- broker exports read as trades ---
    Shape {
        name: "broker-degiro-trades",
        format: Format::Broker,
        hostile: false,
        head: DEGIRO_HEADER,
        unit: "21-06-2019,16:43,21-06-2019,VANECK ESG EW,NL0010408704,DEGIRO transactiekosten,,EUR,\"-2,00\",EUR,\"334,35\",c4e0\n\
21-06-2019,16:43,21-06-2019,VANECK ESG EW,NL0010408704,\"Verkoop 4 @ 84,12 EUR\",,EUR,\"336,48\",EUR,\"336,48\",c4e0\n\
27-12-2019,08:14,27-12-2019,VANECK AEX,NL0009272749,Dividend,,EUR,\"0,19\",EUR,\"13,88\",\n\
27-12-2019,08:14,27-12-2019,VANECK AEX,NL0009272749,Dividendbelasting,,EUR,\"-0,03\",EUR,\"13,69\",\n",
        tail: "",
    },
    Shape {
        // One moment of orders and costs with no order id to join by.
        name: "broker-degiro-one-moment",
        format: Format::Broker,
        hostile: true,
        head: DEGIRO_HEADER,
        unit: "21-06-2019,16:43,,P,NL0010408704,\"Koop 4 @ 84,12 EUR\",,EUR,\"-336,48\",EUR,\"1\",\n\
21-06-2019,16:43,,P,NL0010408704,DEGIRO transactiekosten,,EUR,\"-2,00\",EUR,\"1\",\n",
        tail: "",
    },
    Shape {
        name: "broker-trades-long-field",
        format: Format::Broker,
        hostile: true,
        head: "Date,Action,Symbol,Description,Quantity,Price,Fees & Comm,Amount\n01/02/2023,Buy,VTI,",
        unit: "A",
        tail: ",1,$1.00,,-$1.00\n",
    },
    Shape {
        name: "broker-ibkr-rows",
        format: Format::Broker,
        hostile: false,
        head: "CurrencyPrimary,Symbol,DateTime,Quantity,TradePrice,Buy/Sell,IBCommission,NetCash,TradeID\n",
        unit: "USD,VTI,20230403;095853,17,204.3473,BUY,-1,-3474.9041,1234567890\n",
        tail: "",
    },
    Shape {
        name: "broker-trading212-rows",
        format: Format::Broker,
        hostile: false,
        head: "Action,Time,ISIN,Ticker,Name,No. of shares,Price / share,Currency (Price / share),Exchange rate,\
Result,Currency (Result),Total,Currency (Total),Withholding tax,Currency (Withholding tax),Notes,ID\n",
        unit: "Market buy,2023-12-18 14:30:03.613,US17275R1023,CSCO,\"Cisco\",0.0290530000,49.96,USD,1.09303,,EUR,\
1.33,EUR,,,,EOF7504196256\n",
        tail: "",
    },
    Shape {
        name: "broker-schwab-rows",
        format: Format::Broker,
        hostile: false,
        head: "Date,Action,Symbol,Description,Quantity,Price,Fees & Comm,Amount\n",
        unit: "10/31/2023,Reinvest Dividend,SPY,SPDR S&P 500 ETF,,,,$694.48\n\
11/01/2023,Reinvest Shares,SPY,SPDR S&P 500 ETF,1.6531,$420.10,,-$694.48\n",
        tail: "",
    },
    Shape {
        name: "broker-saxo-rows",
        format: Format::Broker,
        hostile: false,
        head: "Client ID,Trade Date,Value Date,Type,Instrument,Instrument ISIN,Instrument currency,\
Exchange Description,Instrument Symbol,Event,Amount,Order ID,Conversion Rate\n",
        unit: ",30-Dec-2024,31-Dec-2024,Trade,NVIDIA Corp.,US67066G1040,USD,NASDAQ,NVDA:xnas,Buy 3 @ 134.85 USD,\
\"-405,55\",,1\n",
        tail: "",
    },
    Shape {
        name: "broker-directa-rows",
        format: Format::Broker,
        hostile: false,
        head: "\u{feff}Conto : X,,,,,,,,,,,\n,,,,,,,,,,,\nData operazione,Data valuta,Tipo operazione,Ticker,Isin,\
Protocollo,Descrizione,Quantità,Importo euro,Importo Divisa,Divisa,Riferimento ordine\n",
        unit: "27-12-2024,27-12-2024,Provento etf,IEMB,IE00B2NPKV68,Y,ISHARES EM,0,20.95,0,EUR,\n\
27-12-2024,27-12-2024,Rit.provento etf,IEMB,IE00B2NPKV68,Y,ISHARES EM,0,-3.57,0,EUR,\n\
02-12-2024,04-12-2024,Acquisto,ICOV,IE00B3B8Q275,,ETF COVERED BOND ISH,3,-431.04,0,EUR,X\n",
        tail: "",
    },
    // --- kassa's native CSVs ---
    Shape {
        name: "kassa-csv-long-field",
        format: Format::KassaCsv,
        hostile: true,
        head: "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,\
counterparty_account,transfer_group_id\ntx,checking,2024-01-05,-12.50,EUR,expense,Groceries,",
        unit: "A",
        tail: ",Shop,,\n",
    },
    Shape {
        name: "kassa-csv-quotes",
        format: Format::KassaCsv,
        hostile: true,
        head: "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,\
counterparty_account,transfer_group_id\ntx,checking,2024-01-05,-12.50,EUR,expense,Groceries,\"",
        unit: "\"\"",
        tail: "\",Shop,,\n",
    },
    Shape {
        name: "kassa-csv-rows",
        format: Format::KassaCsv,
        hostile: false,
        head: KASSA_HEADER,
        unit: "tx,checking,2024-01-05,-12.50,EUR,expense,Groceries,Card payment,Shop,,\n",
        tail: "",
    },
    Shape {
        name: "trades-long-field",
        format: Format::Trades,
        hostile: true,
        head: "account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id\n\
broker,2024-01-05T09:30:00,",
        unit: "V",
        tail: ",IE00B4L5Y983,BUY,1,100.00,1.00,EUR,\n",
    },
    Shape {
        name: "trades-rows",
        format: Format::Trades,
        hostile: false,
        head: TRADES_HEADER,
        unit: "broker,2024-01-05T09:30:00,IWDA,IE00B4L5Y983,BUY,1,100.00,1.00,EUR,\n",
        tail: "",
    },
];
