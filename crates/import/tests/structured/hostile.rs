//! Hostile input, generated in the test (never stored): billion laughs,
//! 10,000-deep nesting, a 50 MB single line and a run of `<` without `>`,
//! for every parser. Each must return quickly with an error diagnostic
//! instead of panicking or growing memory without bound.

use std::time::{Duration, Instant};

use kassa_import::{ParsedFile, Severity, work};

type Parse = fn(&[u8]) -> ParsedFile;

fn has_error(p: &ParsedFile) -> bool {
    p.diagnostics.iter().any(|d| d.severity == Severity::Error)
}

/// Debug builds on a shared 2-core machine: generous, but far below what an
/// exponential or quadratic blow-up would take.
const BUDGET: Duration = Duration::from_secs(60);

#[test]
fn camt_billion_laughs_is_not_expanded() {
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE Document [\n<!ENTITY lol \"lol\">\n");
    for i in 1..=9 {
        let prev = if i == 1 { "lol".to_string() } else { format!("lol{}", i - 1) };
        xml.push_str(&format!("<!ENTITY lol{i} \"{}\">\n", format!("&{prev};").repeat(10)));
    }
    xml.push_str(
        "]>\n<Document><BkToCstmrStmt><Stmt><Acct><Id><IBAN>X</IBAN></Id></Acct>\
         <Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
         <BookgDt><Dt>2024-01-01</Dt></BookgDt><AddtlNtryInf>&lol9;</AddtlNtryInf></Ntry>\
         </Stmt></BkToCstmrStmt></Document>",
    );
    let start = Instant::now();
    let p = kassa_import::camt::parse(xml.as_bytes());
    assert!(start.elapsed() < BUDGET);
    assert_eq!(p.rows.len(), 1);
    // The reference stays as written: nothing was expanded.
    assert_eq!(p.rows[0].description, "&lol9;");
    assert!(p.diagnostics.iter().any(|d| d.message.contains("DOCTYPE")));
}

#[test]
fn ofx_billion_laughs_is_not_expanded() {
    let text = "OFXHEADER:100\n<!DOCTYPE OFX [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n\
                <OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD<BANKTRANLIST><STMTTRN><TRNAMT>1\
                <DTPOSTED>20240101<FITID>1<NAME>&b;</STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>";
    let p = kassa_import::ofx::parse(text.as_bytes());
    assert_eq!(p.rows.len(), 1);
    assert_eq!(p.rows[0].counterparty.as_deref(), Some("&b;"));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 10_000;
    let camt = format!(
        "<Document><BkToCstmrStmt>{}{}</BkToCstmrStmt></Document>",
        "<Stmt>".repeat(depth),
        "</Stmt>".repeat(depth)
    );
    let p = kassa_import::camt::parse(camt.as_bytes());
    assert!(has_error(&p), "{:?}", p.diagnostics);
    assert!(p.diagnostics.iter().any(|d| d.message.contains("nested deeper")));

    let ofx = format!("OFXHEADER:100\n<OFX>{}", "<STMTRS>".repeat(depth));
    let p = kassa_import::ofx::parse(ofx.as_bytes());
    assert!(p.diagnostics.iter().any(|d| d.message.contains("nested deeper")));
}

/// 50 MB of one line, for every format; the value is the kind of text each
/// parser would otherwise keep (an element's text, a field, a record).
#[test]
fn fifty_megabyte_single_line() {
    let big = "A".repeat(50 * 1024 * 1024);
    let cases: [(&str, Parse, String); 4] = [
        (
            "camt",
            kassa_import::camt::parse,
            format!(
                "<Document><BkToCstmrStmt><Stmt><Ntry><AddtlNtryInf>{big}</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>"
            ),
        ),
        (
            "ofx",
            kassa_import::ofx::parse,
            format!(
                "OFXHEADER:100\n<OFX><STMTRS><BANKTRANLIST><STMTTRN><MEMO>{big}</STMTTRN></BANKTRANLIST></STMTRS></OFX>"
            ),
        ),
        ("qif", kassa_import::qif::parse, format!("!Type:Bank\nD1/1/24\nT1.00\nM{big}\n^\n")),
        (
            "mt940",
            kassa_import::mt940::parse,
            format!(":20:X\n:25:Y\n:60F:C240101EUR1,00\n:61:240101C1,00NTRF\n:86:{big}\n:62F:C240101EUR2,00\n"),
        ),
    ];
    for (name, parse, text) in cases {
        let start = Instant::now();
        let p = parse(text.as_bytes());
        let took = start.elapsed();
        eprintln!("{name}: 50 MB line parsed in {took:?}");
        assert!(took < BUDGET, "{name} took {took:?}");
        assert!(has_error(&p), "{name}: {:?}", p.diagnostics);
        let longest = p.rows.iter().map(|r| r.description.len()).max().unwrap_or(0);
        assert!(longest <= 1 << 20, "{name} kept a {longest}-byte description");
    }
}

/// Issue 14, finding 2: 400,000 `<` and one `>` at the end. Each `<` used to
/// search the rest of the file for its `>` (400 KB took 7.6 s, 800 KB 30 s);
/// counted as work, that was 8·10¹⁰ bytes scanned. Now each byte is looked
/// at a few times.
#[test]
fn ofx_open_angles_are_scanned_once() {
    let text = format!("OFXHEADER:100\n\n<OFX><X/>{}>", "<".repeat(400_000));
    let (p, steps) = work::measure(|| kassa_import::ofx::parse(text.as_bytes()));
    assert!(steps < 20 * text.len() as u64, "{steps} steps for {} bytes", text.len());
    assert!(p.rows.is_empty());
    assert!(p.diagnostics.iter().any(|d| d.message.contains("no STMTRS")), "{:?}", p.diagnostics);
}
