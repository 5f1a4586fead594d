//! Which parser a file needs, from its content — never its name, because
//! banks name files `export(3).csv` and `.sta`, `.txt`, `.940` all mean
//! MT940. Checks run from the most specific signature to the least: the
//! native CSV headers, OFX, QIF, camt XML, MT940 tags, a broker export's
//! header, and last "it sniffs as a table", which makes it a bank CSV.

use crate::decode::decode;
use crate::model::Format;
use crate::native::{TRADE_COLUMNS, TRANSACTION_COLUMNS};

/// The format of `bytes`, or `None` when it is none kassa reads.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    // Only the head decides, except for the CSV table test; 64 KiB is enough
    // for any header and keeps detection cheap on big files.
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let text = decode(head, None).text;
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\n', '\t']);
    let first_line = trimmed.lines().next().unwrap_or("").trim();

    if let Some(f) = native_header(first_line) {
        return Some(f);
    }
    let upper_head: String = trimmed.chars().take(4096).collect::<String>().to_ascii_uppercase();
    if upper_head.contains("OFXHEADER") || upper_head.contains("<OFX>") || upper_head.contains("<?OFX") {
        return Some(Format::Ofx);
    }
    if ["!TYPE:", "!ACCOUNT", "!OPTION", "!CLEAR:"].iter().any(|t| first_line.to_ascii_uppercase().starts_with(t)) {
        return Some(Format::Qif);
    }
    if trimmed.starts_with('<')
        && (text.contains("camt.05")
            || text.contains("BkToCstmrStmt")
            || text.contains("BkToCstmrAcctRpt")
            || text.contains("BkToCstmrDbtCdtNtfctn"))
    {
        return Some(Format::Camt);
    }
    if is_mt940(&text) {
        return Some(Format::Mt940);
    }
    // Broker exports are tables too; their headers are the more specific sign.
    if crate::broker::detect(&text).is_some() {
        return Some(Format::Broker);
    }
    if looks_like_table(&text) {
        return Some(Format::Csv);
    }
    None
}

/// kassa's own headers, in any column order.
fn native_header(line: &str) -> Option<Format> {
    let mut cells: Vec<&str> = line.split(',').map(|c| c.trim().trim_matches('"')).collect();
    cells.sort_unstable();
    let same = |cols: &[&str]| {
        let mut want = cols.to_vec();
        want.sort_unstable();
        want == cells
    };
    if same(&TRANSACTION_COLUMNS) {
        Some(Format::KassaCsv)
    } else if same(&TRADE_COLUMNS) {
        Some(Format::Trades)
    } else {
        None
    }
}

/// MT940: a `:20:` reference tag and a `:25:` account or `:61:` statement
/// line tag at line starts (inside `{4:` blocks or bare).
fn is_mt940(text: &str) -> bool {
    let tag = |t: &str| text.lines().any(|l| l.trim_start_matches(['{', '4', ':']).starts_with(t) || l.starts_with(t));
    let has20 = text.lines().any(|l| l.starts_with(":20:") || l.contains("{4:\n:20:") || l.ends_with(":20:"));
    (has20 || tag(":20:")) && (tag(":25:") || tag(":61:"))
}

/// At least two lines that split into the same number (≥ 2) of fields.
fn looks_like_table(text: &str) -> bool {
    if text.contains('\0') {
        return false;
    }
    let d = crate::sniff::delimiter(text) as u8;
    let recs = crate::table::read_records(text, d, 50);
    let wide: Vec<usize> = recs.iter().map(|r| r.fields.len()).filter(|w| *w >= 2).collect();
    wide.len() >= 2 && wide.iter().any(|w| wide.iter().filter(|x| *x == w).count() >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_content() {
        let cases: &[(&str, Option<Format>)] = &[
            (
                "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,counterparty_account,transfer_group_id\n",
                Some(Format::KassaCsv),
            ),
            ("account_ref,trade_time,symbol,isin,side,qty,price,fees,currency,external_id\n", Some(Format::Trades)),
            ("\n\nOFXHEADER:100\nDATA:OFXSGML\n", Some(Format::Ofx)),
            ("<?xml version=\"1.0\"?>\n<?OFX OFXHEADER=\"200\"?>\n<OFX>", Some(Format::Ofx)),
            ("!Type:Bank\nD1/1/2024\nT-1.00\n^\n", Some(Format::Qif)),
            ("!Account\nNChecking\n^\n", Some(Format::Qif)),
            (
                "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>",
                Some(Format::Camt),
            ),
            (":20:STARTUMS\n:25:12345678/0001\n:28C:1\n:60F:C240101EUR1,00\n", Some(Format::Mt940)),
            ("{1:F01XXX}{2:O940}{4:\n:20:REF\n:25:NL00ASNB\n:61:2401010101C1,00NTRFNONREF\n-}", Some(Format::Mt940)),
            ("Date;Amount\n01.01.2024;1,00\n02.01.2024;2,00\n", Some(Format::Csv)),
            (
                "\u{feff}Conto : X,,\n,,\nData operazione,Data valuta,Tipo operazione,Ticker,Isin,Quantità,Importo euro\n",
                Some(Format::Broker),
            ),
            ("just some words\nnothing tabular here\n", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(detect(text.as_bytes()), *want, "{text:?}");
        }
    }
}
