//! The cap on diagnostics per file (issue 14): in every format, a file of
//! 100k bad rows yields the first 1000 diagnostics and one last line
//! counting the rest, an error, so the file is still refused. The count is
//! checked against what one more bad row adds (measured on a small file of
//! the same shape, where the collector still counts every one).

use kassa_import::diagnostics::MAX_PER_FILE;
use kassa_import::{Format, Severity};

/// A file: a head, `n` bad rows, a tail.
struct Bad {
    format: Format,
    head: &'static str,
    row: &'static str,
    tail: &'static str,
}

impl Bad {
    fn file(&self, n: usize) -> Vec<u8> {
        let mut out = self.head.to_string();
        (0..n).for_each(|_| out.push_str(self.row));
        out.push_str(self.tail);
        out.into_bytes()
    }

    /// Diagnostics reported for `n` bad rows, shown or not.
    fn total(&self, n: usize) -> usize {
        kassa_import::parse(&self.file(n), Some(self.format), None).diagnostics.total()
    }
}

const ROWS: usize = 100_000;

fn check(bad: &Bad) {
    let per_row = bad.total(301) - bad.total(300);
    assert!(per_row >= 1, "{:?}: a bad row must be reported", bad.format);
    let expected = bad.total(300) + per_row * (ROWS - 300);
    let parsed = kassa_import::parse(&bad.file(ROWS), Some(bad.format), None);
    let d = &parsed.diagnostics;
    assert_eq!(d.len(), MAX_PER_FILE + 1, "{:?}", bad.format);
    assert_eq!(d.total(), expected, "{:?}", bad.format);
    let last = &d[MAX_PER_FILE];
    assert_eq!(last.message, format!("{} more diagnostics not shown", expected - MAX_PER_FILE), "{:?}", bad.format);
    assert_eq!(last.severity, Severity::Error, "{:?}: cut errors still refuse the file", bad.format);
    assert!(parsed.has_errors(), "{:?}", bad.format);
    // Who counts the lines and adds what was not listed has the true count.
    let (errors, warnings) = d.uncounted();
    let listed = d.len();
    assert_eq!(listed + errors + warnings, expected, "{:?}", bad.format);
}

const GOOD_CSV: &str = "Date,Description,Amount\n2024-01-01,Coffee,-3.40\n2024-01-02,Bakery,-2.10\n\
2024-01-03,Payroll,2500.00\n2024-01-04,Rent,-900.00\n2024-01-05,Books,-12.00\n";

#[test]
fn csv_keeps_a_thousand_and_counts_the_rest() {
    check(&Bad { format: Format::Csv, head: GOOD_CSV, row: "2024-01-06,Shop,12x\n", tail: "" });
}

#[test]
fn ofx_keeps_a_thousand_and_counts_the_rest() {
    check(&Bad {
        format: Format::Ofx,
        head: "OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR\
<BANKACCTFROM><BANKID>1<ACCTID>2</BANKACCTFROM><BANKTRANLIST>\n",
        row: "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240105<TRNAMT>12x<NAME>Shop</STMTTRN>\n",
        tail: "</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n",
    });
}

#[test]
fn qif_keeps_a_thousand_and_counts_the_rest() {
    check(&Bad { format: Format::Qif, head: "!Type:Bank\n", row: "D01/05/2024\nT12x\nPShop\n^\n", tail: "" });
}

#[test]
fn camt_keeps_a_thousand_and_counts_the_rest() {
    check(&Bad {
        format: Format::Camt,
        head: "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\
<BkToCstmrStmt><Stmt><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\n",
        row: "<Ntry><Amt Ccy=\"EUR\">12x</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2024-01-05</Dt></BookgDt></Ntry>\n",
        tail: "</Stmt></BkToCstmrStmt></Document>\n",
    });
}

#[test]
fn mt940_keeps_a_thousand_and_counts_the_rest() {
    check(&Bad {
        format: Format::Mt940,
        head: ":20:STARTUMS\n:25:NL81ASNB9999999999\n:28C:1\n:60F:C240101EUR1,00\n",
        row: ":61:2413450105D12,00NTRFNONREF\n:86:Shop\n",
        tail: ":62F:C240131EUR1,00\n",
    });
}
