//! Helpers the structured-format parsers (OFX, QIF, camt, MT940) share: a
//! small element tree with bounded depth and size, byte-offset → line lookup, and the
//! date / amount / currency conversions that turn file text into model values.

use jiff::civil::Date;
use kassa_core::Currency;
use rust_decimal::Decimal;

/// Deepest element nesting any parser accepts. Real OFX and camt files stay
/// under 15 levels; a limit keeps hostile input from exhausting the stack or
/// memory.
pub(crate) const MAX_DEPTH: usize = 64;

/// Longest text (one element's content, one line) a parser accepts. Real
/// values are a few hundred bytes; anything this long is garbage or an attack.
pub(crate) const MAX_TEXT: usize = 1 << 20;

/// One element of an OFX or camt document: local name, the attributes that
/// matter, its trimmed text and its children. Built by a [`Capture`] from
/// the format's own event stream; everything above reads it through the
/// lookups below.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
    /// 1-based line of the opening tag.
    pub line: usize,
}

impl Node {
    pub fn new(name: impl Into<String>, line: usize) -> Node {
        Node { name: name.into(), line, ..Node::default() }
    }

    /// The first direct child with this name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        crate::work::add(self.children.len());
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        crate::work::add(self.children.len());
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a chain of direct children.
    pub fn path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, name| node.child(name))
    }

    /// Trimmed, non-empty text at `path`.
    pub fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.path(path).map(|n| n.text.trim()).filter(|t| !t.is_empty())
    }

    /// The first descendant (pre-order, not `self`) with this name. OFX files
    /// in the wild nest leaves in odd places (an unclosed list swallowing the
    /// balance after it), so OFX looks things up by descendant, not by path.
    pub fn find(&self, name: &str) -> Option<&Node> {
        for c in &self.children {
            crate::work::add(1);
            if c.name == name {
                return Some(c);
            }
            if let Some(found) = c.find(name) {
                return Some(found);
            }
        }
        None
    }

    /// Trimmed, non-empty text of the first descendant named `name`.
    pub fn find_text(&self, name: &str) -> Option<&str> {
        self.find(name).map(|n| n.text.trim()).filter(|t| !t.is_empty())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Longest element name kept: OFX and camt names are under 30 bytes, and
/// a name is copied into every open element, node and diagnostic that
/// mentions it, so a 64 MB tag name must not be.
pub(crate) const MAX_NAME: usize = 128;

/// Most elements one captured subtree keeps. A statement entry has a few
/// dozen; past the limit the rest of the subtree is skipped, so no element
/// of a hostile file can make its parser hold more than this many nodes.
pub(crate) const MAX_NODES: usize = 10_000;

/// Builds the subtree of one element from the events inside it. The
/// streaming parsers (OFX, camt) keep only the subtrees a statement entry
/// needs, one at a time, instead of the whole document; a capture keeps at
/// most [`MAX_NODES`] elements, the first in document order.
#[derive(Debug)]
pub(crate) struct Capture {
    stack: Vec<Node>,
    nodes: usize,
    /// How deep the events are inside elements past the limit.
    skipping: usize,
    /// True once an element was skipped for the limit.
    pub overflowed: bool,
}

impl Capture {
    pub fn new(root: Node) -> Capture {
        Capture { stack: vec![root], nodes: 1, skipping: 0, overflowed: false }
    }

    /// An element opened inside the innermost open one.
    pub fn open(&mut self, node: Node) {
        if self.skipping > 0 || self.nodes >= MAX_NODES {
            self.skipping += 1;
            self.overflowed = true;
            return;
        }
        self.nodes += 1;
        self.stack.push(node);
    }

    /// The innermost open element, unless it is one past the limit.
    pub fn top(&mut self) -> Option<&mut Node> {
        if self.skipping > 0 { None } else { self.stack.last_mut() }
    }

    /// Text of the innermost open element.
    pub fn text(&mut self, s: &str) {
        if let Some(top) = self.top() {
            top.text.push_str(s);
        }
    }

    /// Closes the innermost open element; returns the root when that was it.
    pub fn close(&mut self) -> Option<Node> {
        if self.skipping > 0 {
            self.skipping -= 1;
            return None;
        }
        let node = self.stack.pop()?;
        match self.stack.last_mut() {
            Some(parent) => {
                parent.children.push(node);
                None
            }
            None => Some(node),
        }
    }
}

/// The 1-based line of byte offsets asked for in (mostly) increasing order:
/// it counts the newlines between the previous offset and the next, so it
/// holds no table of line starts (which cost 8 bytes per line of a file
/// made of newlines) and its work is the distance it moves.
#[derive(Debug)]
pub(crate) struct LineCounter<'t> {
    bytes: &'t [u8],
    pos: usize,
    line: usize,
}

impl<'t> LineCounter<'t> {
    pub fn new(text: &'t str) -> LineCounter<'t> {
        LineCounter { bytes: text.as_bytes(), pos: 0, line: 1 }
    }

    /// One plus the newlines before `offset`.
    pub fn line(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.bytes.len());
        let newlines = |b: &[u8]| b.iter().filter(|c| **c == b'\n').count();
        if offset >= self.pos {
            self.line += newlines(&self.bytes[self.pos..offset]);
        } else {
            self.line -= newlines(&self.bytes[offset..self.pos]);
        }
        crate::work::add(offset.abs_diff(self.pos));
        self.pos = offset;
        self.line
    }
}

/// Moves `from` onto the end of `to`, without copying when `to` is empty:
/// output gathered per part of a file is joined at the end, and a copy of
/// the rows would be one more file-sized allocation at the peak.
pub(crate) fn append<T>(to: &mut Vec<T>, from: Vec<T>) {
    if to.is_empty() {
        *to = from;
    } else {
        to.extend(from);
    }
}

/// A civil date, or `None` when the calendar has no such day.
pub(crate) fn ymd(year: i64, month: i64, day: i64) -> Option<Date> {
    let (y, m, d) = (i16::try_from(year).ok()?, i8::try_from(month).ok()?, i8::try_from(day).ok()?);
    Date::new(y, m, d).ok()
}

/// `YYYY-MM-DD` at the start of `s` (camt's `Dt`, `DtTm` and `2017-04-01+02:00`).
pub(crate) fn iso_date_prefix(s: &str) -> Option<Date> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 10 || !b[..10].is_ascii() || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    ymd(digits(&s[0..4])?, digits(&s[5..7])?, digits(&s[8..10])?)
}

/// All-ASCII-digit text as a number (no sign, no blanks).
pub(crate) fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A plain decimal: optional sign, digits, one optional dot.
pub(crate) fn decimal(s: &str) -> Option<Decimal> {
    kassa_core::money::parse_decimal(s).ok()
}

pub(crate) fn currency(s: &str) -> Option<Currency> {
    let s = s.trim();
    if s.is_empty() { None } else { Currency::parse(s).ok() }
}

/// Whitespace runs (including newlines) become one space; ends trimmed.
pub(crate) fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Joins the non-empty parts with `sep`, dropping a part the previous one
/// already contains (banks often repeat the payee in the memo).
pub(crate) fn join_distinct<'a>(parts: impl IntoIterator<Item = &'a str>, sep: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for p in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
        if let Some(pos) = out.iter().position(|q| p.contains(q)) {
            out[pos] = p;
        } else if !out.iter().any(|q| q.contains(p)) {
            out.push(p);
        }
    }
    out.join(sep)
}

/// Cuts text to at most `max` bytes on a char boundary, for messages that
/// quote the offending input.
pub(crate) fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// IBM code page 852 (DOS Central European), bytes 0x80–0xFF. encoding_rs
/// follows the WHATWG list, which has no DOS code pages, yet MT940 files from
/// Central European banks still come in them.
const CP852: [char; 128] = [
    '\u{00c7}', '\u{00fc}', '\u{00e9}', '\u{00e2}', '\u{00e4}', '\u{016f}', '\u{0107}', '\u{00e7}', '\u{0142}',
    '\u{00eb}', '\u{0150}', '\u{0151}', '\u{00ee}', '\u{0179}', '\u{00c4}', '\u{0106}', '\u{00c9}', '\u{0139}',
    '\u{013a}', '\u{00f4}', '\u{00f6}', '\u{013d}', '\u{013e}', '\u{015a}', '\u{015b}', '\u{00d6}', '\u{00dc}',
    '\u{0164}', '\u{0165}', '\u{0141}', '\u{00d7}', '\u{010d}', '\u{00e1}', '\u{00ed}', '\u{00f3}', '\u{00fa}',
    '\u{0104}', '\u{0105}', '\u{017d}', '\u{017e}', '\u{0118}', '\u{0119}', '\u{00ac}', '\u{017a}', '\u{010c}',
    '\u{015f}', '\u{00ab}', '\u{00bb}', '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{00c1}',
    '\u{00c2}', '\u{011a}', '\u{015e}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255d}', '\u{017b}', '\u{017c}',
    '\u{2510}', '\u{2514}', '\u{2534}', '\u{252c}', '\u{251c}', '\u{2500}', '\u{253c}', '\u{0102}', '\u{0103}',
    '\u{255a}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256c}', '\u{00a4}', '\u{0111}',
    '\u{0110}', '\u{010e}', '\u{00cb}', '\u{010f}', '\u{0147}', '\u{00cd}', '\u{00ce}', '\u{011b}', '\u{2518}',
    '\u{250c}', '\u{2588}', '\u{2584}', '\u{0162}', '\u{016e}', '\u{2580}', '\u{00d3}', '\u{00df}', '\u{00d4}',
    '\u{0143}', '\u{0144}', '\u{0148}', '\u{0160}', '\u{0161}', '\u{0154}', '\u{00da}', '\u{0155}', '\u{0170}',
    '\u{00fd}', '\u{00dd}', '\u{0163}', '\u{00b4}', '\u{00ad}', '\u{02dd}', '\u{02db}', '\u{02c7}', '\u{02d8}',
    '\u{00a7}', '\u{00f7}', '\u{00b8}', '\u{00b0}', '\u{00a8}', '\u{02d9}', '\u{0171}', '\u{0158}', '\u{0159}',
    '\u{25a0}', '\u{00a0}',
];

/// Reads `bytes` as CP852 when they are not UTF-8 and their high bytes look
/// like DOS text: letters such as á é í ó ö ü sit at 0x80–0xAF there, while in
/// the Windows and ISO code pages nearly all letters are at 0xC0 and above.
/// Also right for German DOS text (CP437/850 share ä ö ü ß Ä Ö Ü with 852).
pub(crate) fn dos_text(bytes: &[u8]) -> Option<String> {
    if std::str::from_utf8(bytes).is_ok() {
        return None;
    }
    let high = bytes.iter().filter(|b| **b >= 0x80).count();
    let low_block = bytes.iter().filter(|b| (0x80..=0xAF).contains(*b)).count();
    if high < 3 || low_block * 3 < high * 2 {
        return None;
    }
    Some(
        bytes
            .iter()
            .map(|b| match b {
                0x80.. => CP852[usize::from(b - 0x80)],
                _ => char::from(*b),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_counter() {
        let mut lines = LineCounter::new("ab\ncd\n\nef");
        assert_eq!([lines.line(0), lines.line(2), lines.line(3), lines.line(6), lines.line(7)], [1, 1, 2, 3, 4]);
        assert_eq!([lines.line(2), lines.line(99)], [1, 4]);
    }

    #[test]
    fn dates() {
        assert_eq!(iso_date_prefix("2017-04-01+02:00"), Some(jiff::civil::date(2017, 4, 1)));
        assert_eq!(iso_date_prefix("2015-12-31T01:12:39"), Some(jiff::civil::date(2015, 12, 31)));
        assert_eq!(iso_date_prefix("2015-02-30"), None);
        assert_eq!(iso_date_prefix("2015-1-30"), None);
        // Found by the mutation fuzzer: a multi-byte char across byte 10.
        assert_eq!(iso_date_prefix("2015-12-3é"), None);
    }

    #[test]
    fn joins() {
        assert_eq!(join_distinct(["Check #1", "Check #1"], " - "), "Check #1");
        assert_eq!(join_distinct(["TRANSFER", "TRANSFER FROM X"], " - "), "TRANSFER FROM X");
        assert_eq!(join_distinct(["A", "", "B"], " - "), "A - B");
        assert_eq!(clip("é", 1), "");
    }

    #[test]
    fn dos_code_page() {
        assert_eq!(dos_text(b"j\xa2v\xa0\xa1r\xa0sa, \x94sszevont").as_deref(), Some("jóváírása, összevont"));
        assert_eq!(dos_text("jóváírása".as_bytes()), None);
        // Latin-1 "Müller Café Crème": letters above 0xC0.
        assert_eq!(dos_text(b"M\xfcller Caf\xe9 Cr\xe8me"), None);
    }
}
