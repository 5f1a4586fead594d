//! QIF (Quicken Interchange Format): bank, cash, credit-card and asset /
//! liability registers, investment registers, `!Account` blocks; splits and
//! transfers.
//!
//! QIF dates carry no order marker, so the day/month order is decided once
//! per file: a first component above 12 means day-first, a second above 12
//! means month-first, otherwise Quicken's US month-first is assumed. The
//! caller can override it with [`parse_with`].
//!
//! Splits keep the record's total as the row amount (the bank moved that sum
//! once; three rows would break duplicate matching against the bank's own
//! statement) and list the split categories in the description.

use std::sync::LazyLock;

use jiff::civil::Date;
use kassa_core::AccountKind;
use regex::Regex;
use rust_decimal::Decimal;

use crate::Diagnostics;
use crate::decode::decode;
use crate::model::{
    AccountHint, Diagnostic, Format, ParsedFile, RowStatus, StatementBalance, StatementRow, TradeDetail, TradeRow,
    TradeSide,
};
use crate::util::{self, MAX_TEXT};

/// How to read `a/b/y` dates, whose order QIF does not record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateOrder {
    /// Decide from the file: a component above 12 settles it; else month-first.
    #[default]
    Auto,
    /// `M/D/Y`, Quicken's US default.
    MonthFirst,
    /// `D/M/Y`, as European exports write.
    DayFirst,
}

/// True when the first non-blank line is a QIF header.
pub fn sniff(text: &str) -> bool {
    text.lines().map(str::trim).find(|l| !l.is_empty()).is_some_and(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("!type:") || l.starts_with("!account") || l.starts_with("!option:")
    })
}

/// Parses a QIF file, deciding the date order from its content.
pub fn parse(bytes: &[u8]) -> ParsedFile {
    parse_with(bytes, DateOrder::Auto)
}

/// Parses a QIF file with the date order the caller chose.
///
/// Records are read one at a time and dropped (issue 14: holding every
/// field of the file took 26× its size); deciding the date order needs every
/// date first, so for [`DateOrder::Auto`] a first pass reads only those.
pub fn parse_with(bytes: &[u8], order: DateOrder) -> ParsedFile {
    let decoded = decode(bytes, None);
    let text = decoded.text.as_str();
    let mut out = ParsedFile::new(Format::Qif, decoded.encoding);
    let day_first = match order {
        DateOrder::MonthFirst => false,
        DateOrder::DayFirst => true,
        DateOrder::Auto => {
            let mut guess = DayFirst::default();
            split_records(text, &mut Diagnostics::new(), |rec| guess.see(rec));
            guess.day_first()
        }
    };
    // The splitter's diagnostics come before the records' own.
    let mut diags = Diagnostics::new();
    split_records(text, &mut diags, |rec| match rec.section {
        Section::Register => register_record(rec, day_first, &mut out),
        Section::Invst => investment_record(rec, day_first, &mut out),
        Section::Skipped => {}
    });
    out.diagnostics.prepend(diags);
    out
}

/// Most fields one record keeps; real records have a few dozen (a split
/// adds three), so past this the rest up to its `^` is garbage.
const MAX_FIELDS: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Bank, Cash, CCard, Oth A, Oth L: one cash movement per record.
    Register,
    Invst,
    /// Category, class, memorized, security and price lists, `!Account` blocks.
    Skipped,
}

#[derive(Debug)]
struct Record {
    section: Section,
    line: usize,
    account: Option<String>,
    /// The register's kind, from its `!Type:` header.
    kind: Option<AccountKind>,
    fields: Vec<Field>,
}

#[derive(Debug)]
struct Field {
    code: char,
    value: String,
    line: usize,
}

impl Record {
    fn get(&self, code: char) -> Option<&Field> {
        crate::work::add(self.fields.len());
        self.fields.iter().find(|f| f.code == code)
    }

    fn text(&self, code: char) -> Option<&str> {
        self.get(code).map(|f| f.value.trim()).filter(|v| !v.is_empty())
    }
}

/// Headers, records and the account each record belongs to: each record
/// goes to `emit` as it ends.
fn split_records(text: &str, diags: &mut Diagnostics, mut emit: impl FnMut(&Record)) {
    let emit = &mut emit;
    let mut st = Splitter::default();
    for (i, raw) in text.lines().enumerate() {
        crate::work::add(raw.len() + 1);
        let line = i + 1;
        if raw.len() > MAX_TEXT {
            diags.push(Diagnostic::error(line, None, format!("line longer than {MAX_TEXT} bytes; ignored")));
            continue;
        }
        let l = raw.trim();
        if l.is_empty() {
            continue;
        }
        if l.starts_with('!') {
            if !st.fields.is_empty() {
                diags.push(Diagnostic::warning(
                    st.start,
                    None,
                    "record not ended by ^ before the next header; read anyway",
                ));
                st.finish(emit);
            }
            st.header(l, line, diags);
            continue;
        }
        if st.section.is_none() && !st.warned_headerless {
            st.warned_headerless = true;
            diags.push(Diagnostic::warning(line, None, "records before any !Type header; read as a bank register"));
        }
        if l == "^" {
            st.finish(emit);
            continue;
        }
        if st.fields.is_empty() {
            st.start = line;
        }
        if st.fields.len() >= MAX_FIELDS {
            if !st.overflowed {
                st.overflowed = true;
                diags.push(Diagnostic::error(
                    line,
                    None,
                    format!(
                        "the record of line {} has more than {MAX_FIELDS} fields; the rest up to its ^ are ignored",
                        st.start
                    ),
                ));
            }
            continue;
        }
        let mut chars = raw.trim_start().chars();
        let code = chars.next().unwrap_or(' ').to_ascii_uppercase();
        st.fields.push(Field { code, value: chars.as_str().trim_end().to_string(), line });
    }
    if !st.fields.is_empty() {
        diags.push(Diagnostic::warning(st.start, None, "last record not ended by ^; read anyway"));
        st.finish(emit);
    }
}

#[derive(Debug, Default)]
struct Splitter {
    section: Option<Section>,
    /// Inside an `!Account` block, whose records name an account.
    in_account_block: bool,
    /// `!Option:AutoSwitch`: the `!Account` block lists all accounts and
    /// does not switch the current one.
    autoswitch: bool,
    account: Option<String>,
    kind: Option<AccountKind>,
    fields: Vec<Field>,
    start: usize,
    /// The record's fields passed [`MAX_FIELDS`].
    overflowed: bool,
    warned_headerless: bool,
}

impl Splitter {
    fn header(&mut self, l: &str, line: usize, diags: &mut Diagnostics) {
        let header = l.to_ascii_lowercase();
        self.in_account_block = false;
        if header.starts_with("!option") || header.starts_with("!clear") {
            if header.contains("autoswitch") {
                self.autoswitch = header.starts_with("!option");
            }
            diags.push(Diagnostic::warning(line, None, format!("{} skipped", util::clip(l, 60))));
        } else if header.starts_with("!account") {
            self.in_account_block = true;
            self.section = Some(Section::Skipped);
        } else if let Some(kind) = header.strip_prefix("!type:") {
            self.kind = match kind.trim() {
                "bank" => Some(AccountKind::Checking),
                "cash" => Some(AccountKind::Cash),
                "ccard" => Some(AccountKind::CreditCard),
                "oth l" => Some(AccountKind::Loan),
                "invst" => Some(AccountKind::Brokerage),
                // "Oth A" (an asset such as a house) has no kind of its own.
                _ => None,
            };
            self.section = Some(match kind.trim() {
                "bank" | "cash" | "ccard" | "oth a" | "oth l" => Section::Register,
                "invst" => Section::Invst,
                _ => {
                    diags.push(Diagnostic::warning(line, None, format!("{} list skipped", util::clip(l, 60))));
                    Section::Skipped
                }
            });
        } else {
            diags.push(Diagnostic::warning(
                line,
                None,
                format!("unknown header {:?}; its records are skipped", util::clip(l, 60)),
            ));
            self.section = Some(Section::Skipped);
        }
    }

    fn finish(&mut self, emit: &mut impl FnMut(&Record)) {
        let fields = std::mem::take(&mut self.fields);
        self.overflowed = false;
        if fields.is_empty() {
            return;
        }
        if self.in_account_block {
            let name =
                fields.iter().find(|f| f.code == 'N').map(|f| f.value.trim().to_string()).filter(|n| !n.is_empty());
            if !self.autoswitch && name.is_some() {
                self.account = name;
            }
            return;
        }
        emit(&Record {
            section: self.section.unwrap_or(Section::Register),
            line: self.start,
            account: self.account.clone(),
            kind: self.kind,
            fields,
        });
    }
}

/// A date as written, before the day/month order is known.
#[derive(Debug, Clone, Copy)]
enum RawDate {
    /// `YYYY-MM-DD`: unambiguous.
    Ymd(i64, i64, i64),
    /// `DD.MM.YYYY`: the dotted form is day-first everywhere it is used.
    Dmy(i64, i64, i64),
    /// `a/b/y`, `a/b'y`, `a-b-y`: order decided per file.
    Either(i64, i64, i64),
}

static DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,4})([/.\-])(\d{1,2})(['/.\-])(\d{1,4})$").expect("static regex"));

fn raw_date(s: &str) -> Option<RawDate> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let c = DATE.captures(&compact)?;
    let a = &c[1];
    let b: i64 = c[3].parse().ok()?;
    let y_text = &c[5];
    let mut y: i64 = y_text.parse().ok()?;
    if a.len() == 4 {
        // 2024-01-05 or 2024/01/05; the third part is the day.
        return (y_text.len() <= 2).then_some(RawDate::Ymd(a.parse().ok()?, b, y));
    }
    if a.len() > 2 {
        return None;
    }
    let a: i64 = a.parse().ok()?;
    match (&c[4], y_text.len()) {
        // Quicken's apostrophe marks a year from 2000 on: 1/ 1'00, 5/20' 5.
        ("'", 1 | 2) => y += 2000,
        (_, 1 | 2) => y += if y < 50 { 2000 } else { 1900 },
        (_, 4) => {}
        _ => return None,
    }
    Some(if &c[2] == "." { RawDate::Dmy(a, b, y) } else { RawDate::Either(a, b, y) })
}

/// The file's day/month order from its `a/b/y` dates, one record at a time:
/// day-first once a first component is above 12, unless a second component
/// above 12 (in a record that is no day-first proof) settles month-first.
#[derive(Debug, Default)]
struct DayFirst {
    day_first: bool,
    month_first: bool,
}

impl DayFirst {
    fn see(&mut self, rec: &Record) {
        if self.month_first || rec.section == Section::Skipped {
            return;
        }
        if let Some(RawDate::Either(a, b, _)) = rec.text('D').and_then(raw_date) {
            if a > 12 {
                self.day_first = true;
            } else if b > 12 {
                self.month_first = true;
            }
        }
    }

    fn day_first(&self) -> bool {
        self.day_first && !self.month_first
    }
}

fn resolve(raw: RawDate, day_first: bool) -> Option<Date> {
    match raw {
        RawDate::Ymd(y, m, d) | RawDate::Dmy(d, m, y) => util::ymd(y, m, d),
        RawDate::Either(a, b, y) if day_first => util::ymd(y, b, a),
        RawDate::Either(a, b, y) => util::ymd(y, a, b),
    }
}

fn date_of(rec: &Record, day_first: bool, diags: &mut Diagnostics) -> Option<Date> {
    let Some(field) = rec.get('D') else {
        diags.push(Diagnostic::error(rec.line, Some("D"), "record without a date; skipped"));
        return None;
    };
    let date = raw_date(&field.value).and_then(|r| resolve(r, day_first));
    if date.is_none() {
        diags.push(Diagnostic::error(
            field.line,
            Some("D"),
            format!("not a date: {:?}; record skipped", util::clip(field.value.trim(), 40)),
        ));
    }
    date
}

/// `1,234.56`, `-20,000.00`, `1.234,56` and `12,5` (decimal comma when a comma
/// is followed by one or two digits and there is no dot).
pub(crate) fn qif_amount(s: &str) -> Option<Decimal> {
    let t: String = s.trim().chars().filter(|c| !c.is_whitespace() && *c != '$').collect();
    let normalised = match (t.rfind('.'), t.rfind(',')) {
        (Some(dot), Some(comma)) if comma > dot => t.replace('.', "").replace(',', "."),
        (_, Some(comma))
            if t.matches(',').count() == 1 && !t.contains('.') && (1..=2).contains(&(t.len() - comma - 1)) =>
        {
            t.replace(',', ".")
        }
        _ => t.replace(',', ""),
    };
    util::decimal(&normalised)
}

fn amount_field(rec: &Record, codes: &[char], diags: &mut Diagnostics, required: bool) -> Option<Decimal> {
    let field = codes.iter().find_map(|c| rec.get(*c).filter(|f| !f.value.trim().is_empty()));
    let Some(field) = field else {
        if required {
            diags.push(Diagnostic::error(rec.line, Some(&codes[0].to_string()), "record without an amount; skipped"));
        }
        return None;
    };
    let value = qif_amount(&field.value);
    if value.is_none() {
        diags.push(Diagnostic::error(
            field.line,
            Some(&field.code.to_string()),
            format!("not an amount: {:?}; record skipped", util::clip(field.value.trim(), 40)),
        ));
    }
    value
}

/// `[Savings]` or `[Savings]/class` → transfer to "Savings"; `Food:Lunch/class`
/// → category "Food:Lunch".
fn category(l: &str) -> (Option<String>, bool) {
    let l = l.trim();
    if let Some(rest) = l.strip_prefix('[')
        && let Some(end) = rest.find(']')
    {
        let name = rest[..end].trim();
        return ((!name.is_empty()).then(|| name.to_string()), true);
    }
    let cat = l.split('/').next().unwrap_or("").trim();
    if cat.is_empty() || cat.eq_ignore_ascii_case("--Split--") { (None, false) } else { (Some(cat.to_string()), false) }
}

fn hint(rec: &Record) -> AccountHint {
    AccountHint { account_ref: rec.account.clone(), kind: rec.kind, ..AccountHint::default() }
}

fn register_record(rec: &Record, day_first: bool, out: &mut ParsedFile) {
    let diags = &mut out.diagnostics;
    let date = date_of(rec, day_first, diags);
    let mut splits: Vec<(String, String, Option<Decimal>)> = Vec::new();
    let mut split_error = false;
    for f in &rec.fields {
        crate::work::add(f.value.len() + 1);
        match f.code {
            'S' => splits.push((f.value.trim().to_string(), String::new(), None)),
            'E' => {
                if let Some(s) = splits.last_mut() {
                    s.1 = f.value.trim().to_string();
                }
            }
            '$' => match (splits.last_mut(), qif_amount(&f.value)) {
                (Some(s), Some(v)) => s.2 = Some(v),
                (_, None) => {
                    split_error = true;
                    diags.push(Diagnostic::error(
                        f.line,
                        Some("$"),
                        format!("not an amount: {:?}; record skipped", util::clip(f.value.trim(), 40)),
                    ));
                }
                (None, Some(_)) => {}
            },
            _ => {}
        }
    }
    let split_sum: Option<Decimal> = if splits.is_empty() { None } else { splits.iter().map(|s| s.2).sum() };
    let has_total = rec.get('T').or(rec.get('U')).is_some_and(|f| !f.value.trim().is_empty());
    let amount = if has_total || split_sum.is_none() { amount_field(rec, &['T', 'U'], diags, true) } else { split_sum };
    let (Some(date), Some(amount)) = (date, amount) else {
        return;
    };
    if split_error {
        return;
    }
    if let Some(sum) = split_sum
        && sum != amount
    {
        diags.push(Diagnostic::warning(
            rec.line,
            Some("$"),
            format!("splits add up to {sum}, the record total is {amount}; the total is kept"),
        ));
    }
    let payee = rec.text('P');
    let memo = rec.text('M');
    let (category, transfer) = rec.text('L').map(category).unwrap_or((None, false));
    if transfer && payee.is_some_and(|p| p.eq_ignore_ascii_case("Opening Balance")) {
        // Quicken writes an account's starting balance as a "transfer" to the
        // account itself; it is a balance, not a movement.
        out.balances.push(StatementBalance {
            account: hint(rec),
            date,
            amount,
            currency: None,
            kind: "opening".to_string(),
        });
        return;
    }
    let mut description = util::join_distinct([payee.unwrap_or(""), memo.unwrap_or("")], " - ");
    if !splits.is_empty() {
        let parts: Vec<String> = splits
            .iter()
            .map(|(cat, memo, amt)| {
                let amt = amt.map(|a| a.to_string()).unwrap_or_default();
                util::join_distinct([cat.as_str(), memo.as_str(), amt.as_str()], " ")
            })
            .collect();
        if !description.is_empty() {
            description.push(' ');
        }
        description.push_str(&format!("[split: {}]", parts.join("; ")));
    }
    out.rows.push(StatementRow {
        line: rec.line,
        account: hint(rec),
        date,
        value_date: None,
        amount,
        currency: None,
        description,
        counterparty: payee.map(str::to_string),
        counterparty_account: None,
        external_id: None,
        status: RowStatus::Booked,
        category,
        section: transfer.then(|| "transfer".to_string()),
        transfer_group: None,
        balance_after: None,
    });
}

fn investment_record(rec: &Record, day_first: bool, out: &mut ParsedFile) {
    let action = rec.text('N').unwrap_or("");
    let lower = action.to_ascii_lowercase();
    let base = lower.strip_suffix('x').unwrap_or(&lower);
    let transfers_cash = lower.ends_with('x') && lower != "reinvx";
    let (side, cash_sign) = match base {
        "buy" | "cvrshrt" | "shrsin" | "reinvdiv" | "reinvint" | "reinvlg" | "reinvsh" | "reinvmd" => {
            (Some(TradeSide::Buy), None)
        }
        "sell" | "shtsell" | "shrsout" => (Some(TradeSide::Sell), None),
        "div" | "intinc" | "cglong" | "cgshort" | "cgmid" | "miscinc" | "rtrncap" | "xin" | "contrib" => {
            (None, Some(Decimal::ONE))
        }
        "miscexp" | "margint" | "xout" | "withdrw" => (None, Some(Decimal::NEGATIVE_ONE)),
        _ => (None, None),
    };
    if side.is_none() && cash_sign.is_none() {
        out.diagnostics.push(Diagnostic::warning(
            rec.get('N').map_or(rec.line, |f| f.line),
            Some("N"),
            format!("investment action {:?} moves no cash and is not a trade; skipped", util::clip(action, 40)),
        ));
        return;
    }
    let Some(date) = date_of(rec, day_first, &mut out.diagnostics) else {
        return;
    };
    let memo = rec.text('M').unwrap_or("");
    let security = rec.text('Y');
    if let Some(side) = side {
        let Some(quantity) = amount_field(rec, &['Q'], &mut out.diagnostics, true) else {
            return;
        };
        let fees = amount_field(rec, &['O'], &mut out.diagnostics, false).unwrap_or_default();
        let total = amount_field(rec, &['T', 'U'], &mut out.diagnostics, false);
        let price = match amount_field(rec, &['I'], &mut out.diagnostics, false) {
            Some(p) => p,
            None => match total {
                Some(t) if !quantity.is_zero() => {
                    out.diagnostics.push(Diagnostic::warning(
                        rec.line,
                        Some("I"),
                        "no price; taken as total / quantity",
                    ));
                    (t / quantity).round_dp(8)
                }
                _ => {
                    out.diagnostics.push(Diagnostic::error(
                        rec.line,
                        Some("I"),
                        "trade without price or total; skipped",
                    ));
                    return;
                }
            },
        };
        if base == "shrsin" || base == "shrsout" {
            out.diagnostics.push(Diagnostic::warning(
                rec.line,
                Some("N"),
                format!("{action} (shares moved in or out without cash) read as a {side:?} trade"),
            ));
        }
        out.trades.push(TradeRow {
            line: rec.line,
            account: hint(rec),
            trade_time: date.to_string(),
            date,
            symbol: security.map(str::to_string),
            isin: None,
            side,
            quantity: quantity.abs(),
            price,
            fees,
            currency: None,
            external_id: None,
            detail: TradeDetail::default(),
        });
        return;
    }
    let Some(total) = amount_field(rec, &['T', 'U', '$'], &mut out.diagnostics, true) else {
        return;
    };
    let amount = total.abs() * cash_sign.unwrap_or(Decimal::ONE);
    let (category, transfer) = rec.text('L').map(category).unwrap_or((None, false));
    let label = match security {
        Some(s) => format!("{action} {s}"),
        None => action.to_string(),
    };
    out.rows.push(StatementRow {
        line: rec.line,
        account: hint(rec),
        date,
        value_date: None,
        amount,
        currency: None,
        description: util::join_distinct([label.as_str(), rec.text('P').unwrap_or(""), memo], " - "),
        counterparty: rec.text('P').map(str::to_string),
        counterparty_account: None,
        external_id: None,
        status: RowStatus::Booked,
        category,
        section: (transfer || transfers_cash).then(|| "transfer".to_string()),
        transfer_group: None,
        balance_after: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn d(s: &str, day_first: bool) -> Option<Date> {
        raw_date(s).and_then(|r| resolve(r, day_first))
    }

    #[test]
    fn date_forms() {
        assert_eq!(d("5/20' 5", false), Some(date(2005, 5, 20)));
        assert_eq!(d("1/ 1'00", false), Some(date(2000, 1, 1)));
        assert_eq!(d(" 1/ 5'24", false), Some(date(2024, 1, 5)));
        assert_eq!(d("1/5/99", false), Some(date(1999, 1, 5)));
        assert_eq!(d("01/05/2024", false), Some(date(2024, 1, 5)));
        assert_eq!(d("01/05/2024", true), Some(date(2024, 5, 1)));
        assert_eq!(d("23/10/2013", true), Some(date(2013, 10, 23)));
        assert_eq!(d("05.01.2024", false), Some(date(2024, 1, 5)));
        assert_eq!(d("2024-01-05", true), Some(date(2024, 1, 5)));
        assert_eq!(d("2/30/2024", false), None);
        assert_eq!(d("13/13/2024", true), None);
        assert_eq!(d("yesterday", false), None);
    }

    #[test]
    fn amounts() {
        assert_eq!(qif_amount("-20,000.00"), Some(Decimal::new(-2_000_000, 2)));
        assert_eq!(qif_amount("1.234,56"), Some(Decimal::new(123_456, 2)));
        assert_eq!(qif_amount("12,5"), Some(Decimal::new(125, 1)));
        assert_eq!(qif_amount("1,234"), Some(Decimal::new(1234, 0)));
        assert_eq!(qif_amount("abc"), None);
    }

    #[test]
    fn categories() {
        assert_eq!(category("[My Cc]"), (Some("My Cc".into()), true));
        assert_eq!(category("[Savings]/Trip"), (Some("Savings".into()), true));
        assert_eq!(category("Food:Lunch/Trip"), (Some("Food:Lunch".into()), false));
        assert_eq!(category("--Split--"), (None, false));
    }

    #[test]
    fn sniffing() {
        assert!(sniff("\n!Type:Bank\nD1/1/24\n"));
        assert!(sniff("!Account\nNChecking\n"));
        assert!(!sniff("OFXHEADER:100"));
    }
}
