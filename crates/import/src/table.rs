//! Decoded CSV text to records with the line each starts on, shared by the
//! sniffer, the profile matcher and the bank-CSV parser. Always `flexible`:
//! bank exports have ragged rows (LiveBank), junk lines and footers of any
//! width, and rejecting them wholesale would lose the rows around them.

/// One CSV record and the 1-based line of the decoded text it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

impl Record {
    pub fn get(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", String::as_str)
    }

    /// True when every cell is empty or whitespace.
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }

    pub fn non_empty(&self) -> usize {
        self.fields.iter().filter(|f| !f.trim().is_empty()).count()
    }
}

/// Reads up to `limit` records.
pub(crate) fn read_records(text: &str, delimiter: u8, limit: usize) -> Vec<Record> {
    let mut rdr =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut rec = csv::StringRecord::new();
    while out.len() < limit {
        match rdr.read_record(&mut rec) {
            Ok(true) => {
                crate::work::add(rec.as_slice().len() + rec.len());
                // The reader reports where it stood before skipping blank
                // lines; step over them so the line is the record's own.
                let (mut line, byte) = rec.position().map_or((0, 0), |p| (p.line() as usize, p.byte() as usize));
                line += text.as_bytes().get(byte..).unwrap_or(&[]).iter().take_while(|b| **b == b'\n').count();
                out.push(Record { line, fields: rec.iter().map(str::to_string).collect() });
            }
            // The input is already valid UTF-8 text and `flexible` accepts any
            // width, so the reader has nothing left to complain about.
            Ok(false) | Err(_) => break,
        }
    }
    out
}

/// Header text as compared: trimmed, BOM and quotes removed, lower case,
/// inner whitespace collapsed.
pub(crate) fn norm_header(s: &str) -> String {
    crate::work::add(s.len());
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '"' || c == '\u{a0}');
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// A cell as a row value: trimmed, whitespace runs collapsed (fixed-width
/// padding inside Amex and OCBC texts), Excel's `'…'` text quoting and stray
/// quote characters (Rabobank's broken first field) removed.
pub(crate) fn clean(s: &str) -> String {
    crate::work::add(s.len());
    let mut t = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}');
    if t.len() >= 2 && t.starts_with('\'') && t.ends_with('\'') {
        t = &t[1..t.len() - 1];
    } else if let Some(rest) = t.strip_prefix('\'')
        && !rest.contains('\'')
    {
        t = rest;
    }
    if t.starts_with('"') != t.ends_with('"') {
        t = t.trim_matches('"');
    }
    let mut out = String::with_capacity(t.len());
    for (i, w) in t.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Lower case with the accents of European languages removed, for matching
/// header names against keyword lists ("Dátum" → "datum").
pub(crate) fn fold(s: &str) -> String {
    norm_header(s)
        .chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ą' | 'ā' => 'a',
            'ç' | 'č' | 'ć' => 'c',
            'ď' => 'd',
            'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ė' | 'ě' | 'ē' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'į' | 'ī' => 'i',
            'ł' | 'ľ' | 'ĺ' => 'l',
            'ñ' | 'ń' | 'ň' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ő' | 'ø' => 'o',
            'ř' => 'r',
            'š' | 'ś' => 's',
            'ť' => 't',
            'ù' | 'ú' | 'û' | 'ü' | 'ű' | 'ů' | 'ų' | 'ū' => 'u',
            'ý' | 'ÿ' => 'y',
            'ž' | 'ź' | 'ż' => 'z',
            'ß' => 's',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning() {
        assert_eq!(clean("  L'OLILO     LONDON   GBR "), "L'OLILO LONDON GBR");
        assert_eq!(clean("'Kosten gebruik'"), "Kosten gebruik");
        assert_eq!(clean("NL77RABO0311467415\""), "NL77RABO0311467415");
        assert_eq!(fold(" Tranzakció Dátuma "), "tranzakcio datum".replace("datum", "datuma"));
    }

    #[test]
    fn records_know_their_lines() {
        let r = read_records("a;b\n\"x\ny\";2\n\nc;d\n", b';', 10);
        let lines: Vec<usize> = r.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![1, 2, 5]);
        assert_eq!(r[1].fields, vec!["x\ny", "2"]);
    }
}
