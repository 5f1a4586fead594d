//! SWIFT MT940 customer statements: several statements per file, `:61:`
//! movements with their `:86:` details (free text, the German `?NN`
//! subfields with SEPA tags, or the Dutch `/NAME/…/REMI/…` style), and the
//! opening, closing, available and forward balances.
//!
//! Banks bend the standard in many small ways (SWIFT block wrappers, preamble
//! lines, blank lines inside fields, a funds-code letter after the D/C mark,
//! entry dates across the new year), so the reader is a line-based tag
//! splitter with a hand-written `:61:` parser rather than a strict grammar.

use std::sync::LazyLock;

use jiff::civil::Date;
use kassa_core::Currency;
use regex::Regex;
use rust_decimal::Decimal;

use crate::Diagnostics;
use crate::decode::{Decoded, decode, normalise};
use crate::model::{AccountHint, Diagnostic, Format, ParsedFile, RowStatus, StatementBalance, StatementRow};
use crate::util::{self, MAX_TEXT};

static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^:(\d{2}[A-Z]?):").expect("static regex"));

/// True when the text has the tags every MT940 statement carries.
pub fn sniff(text: &str) -> bool {
    let head = util::clip(text, 16384);
    let has = |tag: &str| {
        head.lines().any(|l| {
            let l = l.rfind("{4:").map_or(l, |i| &l[i + 3..]);
            l.trim_start().starts_with(tag)
        })
    };
    // MT942 interim reports have no opening balance, but a floor limit
    // (`:34F:`) and a timestamp (`:13D:`).
    has(":20:") && has(":25:") && (has(":60F:") || has(":60M:") || has(":34F:") || has(":13D:"))
}

/// Parses an MT940 file. Never fails: problems become diagnostics.
pub fn parse(bytes: &[u8]) -> ParsedFile {
    // MT940 declares no charset; old Central European exports use DOS CP852.
    let decoded = match util::dos_text(bytes) {
        Some(text) => Decoded { text: normalise(text), encoding: "IBM852" },
        None => decode(bytes, None),
    };
    let mut out = ParsedFile::new(Format::Mt940, decoded.encoding);
    // Fields are read as they end and dropped (issue 14: holding every field
    // of the file took 17× its size); the splitter's diagnostics come first.
    let mut diags = Diagnostics::new();
    let mut st = Statement::default();
    let mut pending: Option<(StatementRow, bool)> = None;
    let mut any = false;
    split_fields(&decoded.text, &mut diags, |f| {
        any = true;
        crate::work::add(f.value.len() + 1);
        if f.tag != "86"
            && let Some((row, _)) = pending.take()
        {
            out.rows.push(row);
        }
        match f.tag.as_str() {
            "20" => st = Statement::default(),
            "25" => st.account = account(&f.value),
            "60F" | "60M" => {
                let kind = if f.tag == "60M" { "intermediate opening" } else { "opening" };
                if let Some(b) = balance(f, &st, kind, &mut out.diagnostics) {
                    st.currency = b.currency.or(st.currency);
                    st.account.currency = st.account.currency.or(st.currency);
                    out.balances.push(b);
                }
            }
            "62F" => push_balance(f, &st, "closing", &mut out),
            // A statement split over several messages: not its end.
            "62M" => push_balance(f, &st, "intermediate", &mut out),
            "64" => push_balance(f, &st, "available", &mut out),
            "65" => push_balance(f, &st, "forward", &mut out),
            "61" => pending = movement(f, &st, &mut out.diagnostics).map(|r| (r, false)),
            "86" => match pending.as_mut() {
                Some((row, seen86)) if !*seen86 => {
                    *seen86 = true;
                    apply_details(row, &f.value);
                }
                // Statement-level information (after :62F:, or a second :86:).
                _ => {}
            },
            // MT942's floor limit names the currency its rows are in.
            "34F" => {
                st.currency = st.currency.or_else(|| f.value.trim().get(0..3).and_then(util::currency));
                st.account.currency = st.account.currency.or(st.currency);
            }
            "21" | "28" | "28C" | "13" | "13D" | "90D" | "90C" => {}
            other => out.diagnostics.push(Diagnostic::warning(
                f.line,
                Some(other),
                format!(":{other}: is not an MT940 field; skipped"),
            )),
        }
    });
    if let Some((row, _)) = pending.take() {
        out.rows.push(row);
    }
    out.diagnostics.prepend(diags);
    if !any {
        out.diagnostics.push(Diagnostic::error(1, None, "no MT940 fields (:20:, :61:…) in the file"));
    }
    out
}

#[derive(Debug)]
struct Field {
    tag: String,
    /// The value, continuation lines joined with `\n`.
    value: String,
    line: usize,
}

/// Splits the text into tagged fields, dropping SWIFT block wrappers
/// (`{1:…}{2:…}{4:` … `-}`), message trailers (`-`, `-XXX`) and preamble
/// lines. Each field goes to `emit` once the next one starts (or the text ends).
fn split_fields(text: &str, diags: &mut Diagnostics, mut emit: impl FnMut(&Field)) {
    let mut last: Option<Field> = None;
    let mut open = false;
    let mut warned = false;
    for (i, raw) in text.lines().enumerate() {
        crate::work::add(raw.len() + 1);
        let line = i + 1;
        if raw.len() > MAX_TEXT {
            diags.push(Diagnostic::error(line, None, format!("line longer than {MAX_TEXT} bytes; ignored")));
            open = false;
            continue;
        }
        let mut l = raw;
        if l.starts_with('{') {
            match l.find("{4:") {
                Some(at) => l = &l[at + 3..],
                None => continue,
            }
        }
        let t = l.trim();
        if t.is_empty() {
            continue;
        }
        if t == "-"
            || t.starts_with("-}")
            || (t.starts_with('-') && t.len() <= 4 && t[1..].bytes().all(|b| b.is_ascii_uppercase()))
        {
            open = false;
            continue;
        }
        if let Some(m) = TAG.captures(l) {
            let tag = m[1].to_string();
            let value = l[m[0].len()..].to_string();
            if let Some(done) = last.replace(Field { tag, value, line }) {
                emit(&done);
            }
            open = true;
        } else if open && let Some(f) = last.as_mut() {
            if f.value.len() + l.len() > MAX_TEXT {
                diags.push(Diagnostic::error(line, Some(&f.tag), "field longer than the limit; rest ignored"));
                open = false;
                continue;
            }
            f.value.push('\n');
            f.value.push_str(l);
        } else if !warned {
            warned = true;
            diags.push(Diagnostic::warning(
                line,
                None,
                format!("text outside any field skipped: {:?}", util::clip(t, 40)),
            ));
        }
    }
    if let Some(done) = last {
        emit(&done);
    }
}

#[derive(Debug, Default)]
struct Statement {
    account: AccountHint,
    currency: Option<Currency>,
}

/// `:25:` as IBAN / account, `BLZ/account` or `BIC/account/currency`.
fn account(value: &str) -> AccountHint {
    let v = value.trim();
    let parts: Vec<&str> = v.split('/').map(str::trim).collect();
    match parts.as_slice() {
        [bank, number, rest @ ..] if !bank.is_empty() && !number.is_empty() => AccountHint {
            number: Some((*number).to_string()),
            institution: Some((*bank).to_string()),
            currency: rest.first().and_then(|c| util::currency(c)),
            // A BIC (not a German BLZ, all digits) names the bank for a new
            // account: "RZBAHUHB ··4567" rather than a bare number.
            bank: is_bic(bank).then(|| (*bank).to_string()),
            ..AccountHint::default()
        },
        _ => AccountHint { number: (!v.is_empty()).then(|| v.to_string()), ..AccountHint::default() },
    }
}

/// A SWIFT BIC: four letters of bank, two of country, two of location,
/// optionally three of branch.
fn is_bic(s: &str) -> bool {
    let b = s.as_bytes();
    matches!(b.len(), 8 | 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// `YYMMDD` with SWIFT's century window (80–99 are the 1900s), a day
/// past the month's end (30 February, which some banks
/// write for month-end interest) read as its last day; `true` when clamped.
/// A month outside 1–12 or a day outside 1–31 is still no date.
fn yymmdd_clamped(s: &str) -> Option<(Date, bool)> {
    if s.len() != 6 || !s.is_ascii() {
        return None;
    }
    let yy = util::digits(&s[0..2])?;
    clamp_ymd(if yy >= 80 { 1900 + yy } else { 2000 + yy }, util::digits(&s[2..4])?, util::digits(&s[4..6])?)
}

fn clamp_ymd(y: i64, m: i64, d: i64) -> Option<(Date, bool)> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let month_start = util::ymd(y, m, 1)?;
    let last = i64::from(month_start.days_in_month());
    Some((util::ymd(y, m, d.min(last))?, d > last))
}

/// `1000,50` (SWIFT's decimal comma; `15000,` is valid).
fn swift_amount(s: &str) -> Option<Decimal> {
    if s.is_empty() || s.matches(',').count() > 1 || !s.bytes().all(|b| b.is_ascii_digit() || b == b',') {
        return None;
    }
    let t = s.replace(',', ".");
    util::decimal(t.trim_end_matches('.'))
}

fn balance(f: &Field, st: &Statement, kind: &str, diags: &mut Diagnostics) -> Option<StatementBalance> {
    let v = f.value.trim();
    let parsed = (|| {
        let sign = match v.get(0..1)? {
            "C" => Decimal::ONE,
            "D" => Decimal::NEGATIVE_ONE,
            _ => return None,
        };
        let (date, _) = yymmdd_clamped(v.get(1..7)?)?;
        let currency = util::currency(v.get(7..10)?)?;
        let amount = swift_amount(v.get(10..)?)?;
        Some((sign * amount, date, currency))
    })();
    let Some((amount, date, currency)) = parsed else {
        diags.push(Diagnostic::error(
            f.line,
            Some(&f.tag),
            format!("unreadable balance {:?}; skipped", util::clip(v, 40)),
        ));
        return None;
    };
    Some(StatementBalance {
        account: AccountHint { currency: st.account.currency.or(Some(currency)), ..st.account.clone() },
        date,
        amount,
        currency: Some(currency),
        kind: kind.to_string(),
    })
}

fn push_balance(f: &Field, st: &Statement, kind: &str, out: &mut ParsedFile) {
    if let Some(b) = balance(f, st, kind, &mut out.diagnostics) {
        out.balances.push(b);
    }
}

/// `:61:` — `YYMMDD[MMDD](C|D|RC|RD)[funds]amount(N|F|S)xxx ref[//bankref]`
/// and, on the following lines, supplementary details.
fn movement(f: &Field, st: &Statement, diags: &mut Diagnostics) -> Option<StatementRow> {
    let mut lines = f.value.lines().peekable();
    let mut first = lines.next().unwrap_or("").trim().to_string();
    // Some banks wrap the fixed part: the amount (and what follows) sits on
    // the next line when the first ends at the debit/credit mark.
    if first.trim_end_matches(|c: char| c.is_ascii_alphabetic()).bytes().all(|b| b.is_ascii_digit() || b == b' ')
        && lines.peek().is_some_and(|n| n.trim_start().starts_with(|c: char| c.is_ascii_digit()))
    {
        first.push_str(lines.next().unwrap_or("").trim());
    }
    let first = first.as_str();
    let supplementary = util::collapse_ws(&lines.collect::<Vec<_>>().join(" "));
    let err = |diags: &mut Diagnostics, what: &str| {
        diags.push(Diagnostic::error(
            f.line,
            Some("61"),
            format!("{what} in {:?}; movement skipped", util::clip(first, 60)),
        ));
    };
    if !first.is_ascii() {
        err(diags, "non-ASCII characters in the fixed part");
        return None;
    }
    let clamped = |diags: &mut Diagnostics, what: &str, d: Date| {
        diags.push(Diagnostic::warning(
            f.line,
            Some("61"),
            format!("{what} does not exist; read as {d}, the last day of its month"),
        ));
    };
    let Some((value_date, was_clamped)) = first.get(0..6).and_then(yymmdd_clamped) else {
        err(diags, "no valid value date (YYMMDD)");
        return None;
    };
    if was_clamped {
        clamped(diags, &format!("value date {:?}", &first[0..6]), value_date);
    }
    let mut rest = &first[6..];
    let mut entry_date = None;
    if rest.len() >= 4 && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit) && &rest[..4] != "0000" {
        let (mm, dd) = (util::digits(&rest[0..2]).unwrap_or(0), util::digits(&rest[2..4]).unwrap_or(0));
        // The entry date has no year: booked in late December for a January
        // value date (or the reverse) crosses the year boundary.
        let year = i64::from(value_date.year())
            + match (value_date.month(), mm) {
                (1, 12) => -1,
                (12, 1) => 1,
                _ => 0,
            };
        match clamp_ymd(year, mm, dd) {
            Some((d, was)) => {
                if was {
                    clamped(diags, &format!("entry date {:?}", &rest[0..4]), d);
                }
                entry_date = Some(d);
            }
            None => {
                err(diags, "invalid entry date (MMDD)");
                return None;
            }
        }
        rest = &rest[4..];
    } else if rest.len() >= 4 && (rest.starts_with("    ") || rest.starts_with("0000")) {
        // An entry date left blank or zeroed: the value date stands.
        rest = &rest[4..];
    }
    let (sign, mark_len) = if rest.starts_with("RC") {
        (Decimal::NEGATIVE_ONE, 2)
    } else if rest.starts_with("RD") {
        (Decimal::ONE, 2)
    } else if rest.starts_with('C') || rest.starts_with("EC") {
        (Decimal::ONE, if rest.starts_with('E') { 2 } else { 1 })
    } else if rest.starts_with('D') || rest.starts_with("ED") {
        (Decimal::NEGATIVE_ONE, if rest.starts_with('E') { 2 } else { 1 })
    } else {
        err(diags, "no debit/credit mark (C, D, RC, RD)");
        return None;
    };
    rest = &rest[mark_len..];
    // Optional funds code: the third letter of the currency code.
    if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
        rest = &rest[1..];
    }
    let amount_len = rest.find(|c: char| !(c.is_ascii_digit() || c == ',')).unwrap_or(rest.len());
    let Some(amount) = swift_amount(&rest[..amount_len]) else {
        err(diags, "no valid amount");
        return None;
    };
    rest = &rest[amount_len..];
    // Transaction type (N/F/S + three characters), then the references.
    let refs = rest.get(4..).unwrap_or("");
    let (_customer_ref, bank_ref) = match refs.split_once("//") {
        Some((c, b)) => (c.trim(), Some(b.trim())),
        None => (refs.trim(), None),
    };
    let external_id = bank_ref.filter(|b| !b.is_empty() && !b.eq_ignore_ascii_case("NONREF")).map(str::to_string);
    Some(StatementRow {
        line: f.line,
        account: st.account.clone(),
        date: entry_date.unwrap_or(value_date),
        value_date: Some(value_date),
        amount: sign * amount,
        currency: st.currency,
        description: supplementary,
        counterparty: None,
        counterparty_account: None,
        external_id,
        status: RowStatus::Booked,
        category: None,
        section: None,
        transfer_group: None,
        balance_after: None,
    })
}

/// Reads `:86:` into the row: description, counterparty and its account.
fn apply_details(row: &mut StatementRow, value: &str) {
    let first = value.trim_start();
    let structured = first.starts_with('?')
        || (first.len() > 3 && first.as_bytes()[..3].iter().all(u8::is_ascii_digit) && first[3..].starts_with('?'));
    let d = if structured {
        german(value)
    } else {
        let text = join_lines(value);
        if text.starts_with('/') && (text.contains("/NAME/") || text.contains("/REMI/") || text.contains("/TRTP/")) {
            dutch(&text)
        } else {
            Details { description: util::collapse_ws(&text), ..Details::default() }
        }
    };
    if !d.description.is_empty() {
        row.description = if row.description.is_empty() || d.description.contains(&row.description) {
            d.description
        } else {
            util::join_distinct([row.description.as_str(), d.description.as_str()], " ")
        };
    }
    row.counterparty = d.counterparty.or(row.counterparty.take());
    row.counterparty_account = d.account.or(row.counterparty_account.take());
}

#[derive(Debug, Default)]
struct Details {
    description: String,
    counterparty: Option<String>,
    account: Option<String>,
}

/// Lines of free text. SWIFT lines are at most 65 characters, the first one
/// counting its `:86:` tag; a line filling the width was cut mid-word and
/// joins without a space, a shorter (or space-padded) one ended a word.
fn join_lines(value: &str) -> String {
    let mut out = String::new();
    for (i, l) in value.lines().enumerate() {
        let width = l.chars().count() + if i == 0 { 4 } else { 0 };
        let full = width >= 65 && !l.ends_with(' ');
        out.push_str(l.trim_end());
        if !full {
            out.push(' ');
        }
    }
    out.trim().to_string()
}

static SUBFIELD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\?(\d{2})").expect("static regex"));
static SEPA_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|COAM|OAMT|IBAN|BIC)\+").expect("static regex")
});

/// The German `GVC?00text?20purpose…?30BLZ?31account?32name` layout. Lines
/// break anywhere (even inside `?2`/`2`), so they are joined without a gap.
fn german(value: &str) -> Details {
    let joined: String = value.lines().collect();
    let marks: Vec<(usize, usize, u32)> = SUBFIELD
        .captures_iter(&joined)
        .filter_map(|c| {
            let m = c.get(0)?;
            Some((m.start(), m.end(), c[1].parse().ok()?))
        })
        .collect();
    let mut purpose = String::new();
    let mut name = String::new();
    let mut booking_text = String::new();
    let mut account = None;
    for (i, (_, end, code)) in marks.iter().enumerate() {
        let stop = marks.get(i + 1).map_or(joined.len(), |m| m.0);
        let v = &joined[*end..stop];
        match code {
            0 => booking_text = v.trim().to_string(),
            20..=29 | 60..=63 => {
                // Purpose lines are cut at 27 characters; a shorter one ended
                // a word.
                purpose.push_str(v);
                if v.chars().count() < 27 {
                    purpose.push(' ');
                }
            }
            31 => account = Some(v.trim().to_string()).filter(|a| !a.is_empty()),
            32 | 33 => name.push_str(v),
            _ => {}
        }
    }
    let (free, tags) = sepa_tags(&purpose);
    let description = tags
        .iter()
        .find(|(t, _)| *t == "SVWZ")
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
        .or_else(|| (!free.is_empty()).then(|| free.clone()))
        .unwrap_or(booking_text);
    let name = util::collapse_ws(&name);
    Details { description: util::collapse_ws(&description), counterparty: (!name.is_empty()).then_some(name), account }
}

/// Splits `EREF+…SVWZ+…` into the text before the first tag and the tags.
fn sepa_tags(purpose: &str) -> (String, Vec<(&'static str, String)>) {
    let found: Vec<(usize, usize, &'static str)> = SEPA_TAG
        .captures_iter(purpose)
        .filter_map(|c| {
            let m = c.get(0)?;
            let tag = ["EREF", "KREF", "MREF", "CRED", "DEBT", "SVWZ", "ABWA", "ABWE", "COAM", "OAMT", "IBAN", "BIC"]
                .into_iter()
                .find(|t| *t == &c[1])?;
            Some((m.start(), m.end(), tag))
        })
        .collect();
    let free = util::collapse_ws(&purpose[..found.first().map_or(purpose.len(), |f| f.0)]);
    let tags = found
        .iter()
        .enumerate()
        .map(|(i, (_, end, tag))| {
            let stop = found.get(i + 1).map_or(purpose.len(), |n| n.0);
            (*tag, util::collapse_ws(&purpose[*end..stop]))
        })
        .collect();
    (free, tags)
}

static DUTCH_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"/(TRTP|IBAN|BIC|NAME|REMI|EREF|MARF|CSID|ORDP|BENM|ID|ADDR|CNTP|RTRN|ISDT|PREF|SWOC|ULTB|ULTD|PURP|CDTRREF|CDTRREFTP|CD|ISSR)/")
        .expect("static regex")
});

/// The Dutch `/TRTP/SEPA OVERBOEKING/IBAN/NL…/BIC/…/NAME/…/REMI/…` layout.
fn dutch(text: &str) -> Details {
    let keys: Vec<(usize, usize, String)> = DUTCH_KEY
        .captures_iter(text)
        .filter_map(|c| {
            let m = c.get(0)?;
            Some((m.start(), m.end(), c[1].to_string()))
        })
        .collect();
    let mut d = Details::default();
    let mut remi = String::new();
    let mut i = 0;
    while i < keys.len() {
        let (_, end, key) = &keys[i];
        // A key's value runs to the next key; a value can itself be empty.
        let stop = keys.get(i + 1).map_or(text.len(), |n| n.0);
        let value = text[*end..stop].trim().trim_end_matches('/').trim();
        match key.as_str() {
            "NAME" if d.counterparty.is_none() && !value.is_empty() => d.counterparty = Some(util::collapse_ws(value)),
            "IBAN" if d.account.is_none() && !value.is_empty() => d.account = Some(value.to_string()),
            "REMI" => {
                remi = value.trim_start_matches("USTD//").trim_start_matches("STRD/").to_string();
            }
            "CNTP" => {
                // /CNTP/IBAN/BIC/NAME/CITY/
                let parts: Vec<&str> = text[*end..stop].split('/').collect();
                if d.account.is_none() {
                    d.account = parts.first().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
                }
                if d.counterparty.is_none() {
                    d.counterparty = parts.get(2).map(|s| util::collapse_ws(s)).filter(|s| !s.is_empty());
                }
            }
            _ => {}
        }
        i += 1;
    }
    d.description = util::collapse_ws(&remi);
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn field(v: &str) -> Field {
        Field { tag: "61".into(), value: v.into(), line: 1 }
    }

    #[test]
    fn movement_forms() {
        let st = Statement::default();
        let mut d = Diagnostics::new();
        let r = movement(&field("0709070904CR50990,05NTRFNONREF//0724710333343453"), &st, &mut d).unwrap();
        assert_eq!(
            (r.date, r.value_date, r.amount),
            (date(2007, 9, 4), Some(date(2007, 9, 7)), Decimal::new(5099005, 2))
        );
        assert_eq!(r.external_id.as_deref(), Some("0724710333343453"));
        let r = movement(&field("180417DF14790,00N031\nBankon belüli"), &st, &mut d).unwrap();
        assert_eq!(
            (r.date, r.amount, r.description.as_str()),
            (date(2018, 4, 17), Decimal::new(-1479000, 2), "Bankon belüli")
        );
        let r = movement(&field("2401021231RD5,NTRFNONREF"), &st, &mut d).unwrap();
        assert_eq!((r.date, r.amount), (date(2023, 12, 31), Decimal::new(5, 0)));
        let r = movement(&field("2312310102C1,00NTRF"), &st, &mut d).unwrap();
        assert_eq!(r.date, date(2024, 1, 2));
        assert!(d.is_empty());
        assert!(movement(&field("231301C1,00NTRF"), &st, &mut d).is_none());
        assert!(movement(&field("230101X1,00NTRF"), &st, &mut d).is_none());
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn german_subfields() {
        let d = german(
            "166?00GUTSCHRIFT?100399?20EREF+EndToEndId TFNR 22 004?21 00001?22\nSVWZ+Verw CTSc-01 BC-PPP TF?23Nr 22 004?30DRESDEFF508?31DE1450880\n0500194785000?32KARL?33        KAUFMANN?70Empfaenger",
        );
        assert_eq!(d.description, "Verw CTSc-01 BC-PPP TFNr 22 004");
        assert_eq!(d.counterparty.as_deref(), Some("KARL KAUFMANN"));
        assert_eq!(d.account.as_deref(), Some("DE14508800500194785000"));
    }

    #[test]
    fn dutch_layout() {
        let d = dutch(
            "/TRTP/SEPA OVERBOEKING/IBAN/NL91ABNA0417164300/BIC/ABNANL2A/NAME/J. Jansen/REMI/Huur januari/EREF/NOTPROVIDED",
        );
        assert_eq!(d.counterparty.as_deref(), Some("J. Jansen"));
        assert_eq!(d.account.as_deref(), Some("NL91ABNA0417164300"));
        assert_eq!(d.description, "Huur januari");
    }

    #[test]
    fn sniffing() {
        assert!(sniff(":20:X\n:25:NL81ASNB9999999999\n:28C:1\n:60F:C200101EUR1,00\n"));
        assert!(sniff("{1:F01X}{2:O940}{4:\n:20:X\n:25:Y\n:60F:C200101EUR1,00\n-}"));
        assert!(!sniff("!Type:Bank"));
    }
}
