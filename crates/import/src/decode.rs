//! Bytes to text. Order of evidence: a byte-order mark, then the charset the
//! file declares (OFX `CHARSET:`/`ENCODING:`, XML `encoding="…"`), then what
//! the caller says (a CSV profile), then valid UTF-8, then a statistical guess.
//!
//! Line endings are normalised (`\r\r\n`, `\r\n` and lone `\r` all become
//! `\n`) and control bytes other than tab and newline are dropped, so parsers
//! count lines the way a text editor shows them.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Text decoded from a file, with the name of the encoding it was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// Decodes `bytes`, preferring `declared` (a label such as "ISO-8859-1",
/// "windows-1250", "1252" or "UTF-8") over guessing when there is no BOM.
pub fn decode(bytes: &[u8], declared: Option<&str>) -> Decoded {
    let (encoding, body) = match Encoding::for_bom(bytes) {
        Some((enc, bom_len)) => (enc, &bytes[bom_len..]),
        None => (choose(bytes, declared), bytes),
    };
    let (text, _) = encoding.decode_without_bom_handling(body);
    Decoded { text: normalise(text.into_owned()), encoding: encoding.name() }
}

fn choose(bytes: &[u8], declared: Option<&str>) -> &'static Encoding {
    if let Some(enc) = declared.and_then(label_to_encoding) {
        // A file that says UTF-8 but is not (common in OFX) is read by guessing.
        if enc != UTF_8 || std::str::from_utf8(bytes).is_ok() {
            return enc;
        }
    }
    if let Some(enc) = sniff_declaration(bytes).and_then(|l| label_to_encoding(&l))
        && (enc != UTF_8 || std::str::from_utf8(bytes).is_ok())
    {
        return enc;
    }
    if let Some(enc) = utf16_without_bom(bytes) {
        return enc;
    }
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

/// Maps the labels banks write to an encoding: WHATWG labels, plus OFX's bare
/// code page numbers (`CHARSET:1252`) and `CP1250`-style names.
fn label_to_encoding(label: &str) -> Option<&'static Encoding> {
    let l = label.trim().trim_matches('"').to_ascii_lowercase();
    if l.is_empty() || l == "none" {
        return None;
    }
    if let Some(enc) = Encoding::for_label(l.as_bytes()) {
        return Some(enc);
    }
    let digits = l.trim_start_matches("cp").trim_start_matches("windows-").trim_start_matches("ms");
    match digits {
        "1250" | "1251" | "1252" | "1253" | "1254" | "1255" | "1256" | "1257" | "1258" => {
            Encoding::for_label(format!("windows-{digits}").as_bytes())
        }
        "437" | "850" => Some(WINDOWS_1252),
        _ => None,
    }
}

/// Finds a charset the file declares in its first kilobyte: an XML declaration
/// or an OFX SGML header (`CHARSET:` or, for OFX 2 in SGML form, `ENCODING:`).
fn sniff_declaration(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(1024)];
    let head = String::from_utf8_lossy(head);
    if let Some(i) = head.find("encoding=") {
        let rest = &head[i + "encoding=".len()..];
        let quote = rest.chars().next()?;
        if quote == '"' || quote == '\'' {
            let end = rest[1..].find(quote)?;
            return Some(rest[1..1 + end].to_string());
        }
    }
    let mut charset = None;
    let mut encoding = None;
    for line in head.lines() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("CHARSET:") {
            charset = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("ENCODING:") {
            encoding = Some(v.trim().to_string());
        }
    }
    // OFX 1.x: ENCODING:USASCII + CHARSET:1252 means code page 1252; ENCODING:UTF-8 wins.
    match (encoding.as_deref(), charset) {
        (Some(e), _) if e.eq_ignore_ascii_case("UTF-8") || e.eq_ignore_ascii_case("UNICODE") => Some("utf-8".into()),
        (_, Some(c)) => Some(c),
        _ => None,
    }
}

/// UTF-16 without a BOM shows as every other byte zero in ASCII-heavy text.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(512) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even_zero = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let odd_zero = sample.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    if odd_zero * 10 >= pairs * 9 && even_zero == 0 {
        Some(UTF_16LE)
    } else if even_zero * 10 >= pairs * 9 && odd_zero == 0 {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// One newline convention, no stray control characters — in place, so a
/// text decoded from another charset is not copied once more (the input,
/// its decoding and a copy of it were 3× a file's size before any parsing).
pub(crate) fn normalise(text: String) -> String {
    crate::work::add(text.len());
    let changes = |b: &u8| matches!(b, b'\r' | 0x00..=0x08 | 0x0b..=0x1f | 0x7f | 0xc2);
    if !text.as_bytes().iter().any(changes) {
        return text;
    }
    let mut bytes = text.into_bytes();
    let (mut read, mut write) = (0, 0);
    while read < bytes.len() {
        let b = bytes[read];
        read += 1;
        match b {
            b'\r' => {
                while bytes.get(read) == Some(&b'\r') {
                    read += 1;
                }
                if bytes.get(read) == Some(&b'\n') {
                    read += 1;
                }
                bytes[write] = b'\n';
                write += 1;
            }
            b'\n' | b'\t' => {
                bytes[write] = b;
                write += 1;
            }
            // C0 controls and DEL; C1 controls (U+0080–U+009F) are 0xC2 0x80–0x9F.
            0x00..=0x1f | 0x7f => {}
            0xc2 if matches!(bytes.get(read), Some(0x80..=0x9f)) => read += 1,
            _ => {
                bytes[write] = b;
                write += 1;
            }
        }
    }
    bytes.truncate(write);
    // Whole characters were dropped, so the bytes are still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boms_win() {
        let d = decode(b"\xEF\xBB\xBFa;b\r\n", Some("windows-1252"));
        assert_eq!((d.text.as_str(), d.encoding), ("a;b\n", "UTF-8"));
        let d = decode(b"\xFF\xFEa\x00\xe9\x00", None);
        assert_eq!((d.text.as_str(), d.encoding), ("a\u{e9}", "UTF-16LE"));
    }

    #[test]
    fn declared_charsets_are_honoured() {
        let d = decode(b"OFXHEADER:100\nENCODING:USASCII\nCHARSET:1252\n\n<NAME>Caf\xe9", None);
        assert_eq!(d.encoding, "windows-1252");
        assert!(d.text.ends_with("Café"));
        let d = decode(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xe9</a>", None);
        assert!(d.text.contains("<a>é</a>"));
        let d = decode(b"M\xfcller;1,00", Some("latin1"));
        assert_eq!(d.text, "Müller;1,00");
    }

    #[test]
    fn utf8_then_guess() {
        assert_eq!(decode("Žluťoučký kůň".as_bytes(), None).encoding, "UTF-8");
        // Czech in windows-1250 (the ceska-sporitelna case).
        let (bytes, _, _) = encoding_rs::WINDOWS_1250.encode("Platba kartou, Žluťoučký kůň úpěl ďábelské ódy, Praha");
        let d = decode(&bytes, None);
        assert!(d.text.contains("Žluťoučký"), "{} {}", d.encoding, d.text);
    }

    #[test]
    fn line_endings_and_control_bytes() {
        assert_eq!(decode(b"a\r\r\nb\rc\nd\x00\x1a", None).text, "a\nb\nc\nd");
        // C1 controls go too; the no-break space (also 0xC2 …) stays.
        assert_eq!(decode("a\u{85}b\u{9f}\u{a0}c\r".as_bytes(), None).text, "ab\u{a0}c\n");
        // Decoded from windows-1252 (an owned text, normalised in place),
        // whose unassigned 0x81 is the C1 control U+0081.
        assert_eq!(decode(b"caf\xe9\r\n\x81x", Some("windows-1252")).text, "caf\u{e9}\nx");
    }
}
