//! Decoded CSV text to records with the line each starts on, shared by the
//! sniffer, the profile matcher and the bank-CSV parser. Always `flexible`:
//! bank exports have ragged rows (LiveBank), junk lines and footers of any
//! width, and rejecting them wholesale would lose the rows around them.
//! Records stream, and one longer than [`MAX_RECORD`] is measured, not kept.

/// Longest record kept, counting its fields' bytes and one per field
/// (issue 14: a 200 MB line became one row with a 200 MB description, read
/// whole into memory several times over). Bank CSV lines are well under
/// 2 KiB; a longer record is reported with its length and not kept.
pub(crate) const MAX_RECORD: usize = 64 * 1024;

/// Longest field a row takes: a bank CSV's text cell (description,
/// counterparty, reference…) is cut to it with a warning, a native CSV's
/// field past it is an error; an amount or a date this long is an error in
/// both. Real values are a few hundred bytes.
pub(crate) const MAX_FIELD: usize = 4096;

/// One CSV record and the 1-based line of the decoded text it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub line: usize,
    /// Empty when the record was too long to keep.
    pub fields: Vec<String>,
    pub too_long: Option<TooLong>,
}

/// What is known of a record past [`MAX_RECORD`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooLong {
    pub bytes: usize,
    /// Index and length of its longest field.
    pub field: usize,
    pub field_bytes: usize,
}

impl Record {
    pub fn get(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", String::as_str)
    }

    /// True when every cell is empty or whitespace (never for a record too
    /// long to keep).
    pub fn is_blank(&self) -> bool {
        self.too_long.is_none() && self.fields.iter().all(|f| f.trim().is_empty())
    }

    pub fn non_empty(&self) -> usize {
        self.fields.iter().filter(|f| !f.trim().is_empty()).count()
    }
}

/// The records of a text, one at a time, with bounded buffers: the
/// `csv-core` state machine the `csv` crate runs, fed the whole text, so
/// records split exactly as `csv::Reader` (flexible, no header) splits them.
pub(crate) struct Records<'t> {
    text: &'t [u8],
    core: csv_core::Reader,
    pos: usize,
    out: Vec<u8>,
    ends: Vec<usize>,
    done: bool,
}

impl<'t> Records<'t> {
    pub fn new(text: &'t str, delimiter: u8) -> Records<'t> {
        Records {
            text: text.as_bytes(),
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            pos: 0,
            out: vec![0; 1024],
            ends: vec![0; 64],
            done: false,
        }
    }

    /// Measures a record past [`MAX_RECORD`] whose first `ends` field ends
    /// are read, reading the rest of it (unless `complete`) into scratch
    /// space: only its length and its longest field are kept. `csv-core`
    /// counts ends from the record's start whatever buffer it is given.
    fn measure(&mut self, ends: usize, complete: bool) -> TooLong {
        let mut long = TooLong { bytes: 0, field: 0, field_bytes: 0 };
        let (mut fields, mut prev) = (0, 0);
        let mut take = |ends: &[usize]| {
            for &e in ends {
                if e - prev > long.field_bytes {
                    long.field = fields;
                    long.field_bytes = e - prev;
                }
                fields += 1;
                prev = e;
            }
        };
        take(&self.ends[..ends]);
        let mut done = complete;
        while !done {
            let (res, nin, _, nend) = self.core.read_record(&self.text[self.pos..], &mut self.out, &mut self.ends);
            self.pos += nin;
            crate::work::add(nin + nend);
            take(&self.ends[..nend]);
            done = matches!(res, csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End);
        }
        long.bytes = prev + fields;
        long
    }
}

impl Iterator for Records<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        use csv_core::ReadRecordResult as R;
        if self.done {
            return None;
        }
        // Where `csv::Reader` reports the record: the line and byte it stood
        // on before skipping blank lines.
        let (mut line, byte) = (self.core.line() as usize, self.pos);
        let (mut outlen, mut endlen) = (0, 0);
        let too_long = loop {
            let (res, nin, nout, nend) =
                self.core.read_record(&self.text[self.pos..], &mut self.out[outlen..], &mut self.ends[endlen..]);
            self.pos += nin;
            outlen += nout;
            endlen += nend;
            crate::work::add(nin + nend);
            match res {
                R::InputEmpty => {}
                R::OutputFull if self.out.len() < MAX_RECORD => self.out.resize(self.out.len() * 2, 0),
                R::OutputEndsFull if self.ends.len() < MAX_RECORD => self.ends.resize(self.ends.len() * 2, 0),
                R::OutputFull | R::OutputEndsFull => break Some(self.measure(endlen, false)),
                R::Record if outlen + endlen > MAX_RECORD => break Some(self.measure(endlen, true)),
                R::Record => break None,
                R::End => {
                    self.done = true;
                    return None;
                }
            }
        };
        line += self.text.get(byte..).unwrap_or(&[]).iter().take_while(|b| **b == b'\n').count();
        let mut fields = Vec::new();
        if too_long.is_none() {
            let mut start = 0;
            for &end in &self.ends[..endlen] {
                let raw = &self.out[start..end];
                // Fields split at ASCII bytes of valid UTF-8 text are valid UTF-8.
                fields.push(String::from_utf8_lossy(raw).into_owned());
                start = end;
            }
        }
        Some(Record { line, fields, too_long })
    }
}

/// Reads up to `limit` records.
pub(crate) fn read_records(text: &str, delimiter: u8, limit: usize) -> Vec<Record> {
    Records::new(text, delimiter).take(limit).collect()
}

/// Header text as compared: trimmed, BOM and quotes removed, lower case,
/// inner whitespace collapsed.
pub(crate) fn norm_header(s: &str) -> String {
    crate::work::add(s.len());
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '"' || c == '\u{a0}');
    // Some banks mark the header line as a comment: `#Data operacji;#Opis`.
    let s = s.strip_prefix('#').filter(|rest| !rest.is_empty()).unwrap_or(s);
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
