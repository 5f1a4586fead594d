//! Bank CSVs of any layout: read through a [`Profile`] — the caller's saved
//! one, a built-in matched by the header, or a sniffed proposal. A row that
//! cannot be read becomes an error naming its line and column and is left
//! out; lines that are not rows at all (titles, totals, disclaimers) are
//! skipped with a warning, so nothing disappears without a trace.

use jiff::civil::Date;
use kassa_core::Currency;
use rust_decimal::Decimal;

use crate::Diagnostics;
use crate::decode::decode;
use crate::model::{AccountHint, Diagnostic, Format, ParsedFile, RowStatus, StatementBalance, StatementRow};
use crate::numbers::parse_amount_with;
use crate::preamble::{self, Preamble};
use crate::profile::{Profile, SignConvention, match_profile};
use crate::sniff;
use crate::table::{self, MAX_FIELD, MAX_RECORD, Record, clean, norm_header};

/// A parse together with the profile it was read with, so a caller can show
/// (and save) the mapping that was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvImport {
    pub profile: Profile,
    /// `true` when no built-in matched and the layout was sniffed.
    pub sniffed: bool,
    pub parsed: ParsedFile,
}

/// Parses a bank CSV. With `None`, a built-in profile is chosen by the
/// header, and failing that the layout is sniffed.
pub fn parse(bytes: &[u8], profile: Option<&Profile>) -> ParsedFile {
    read(bytes, profile).parsed
}

/// [`parse`], also returning the profile that was used.
pub fn read(bytes: &[u8], profile: Option<&Profile>) -> CsvImport {
    let (profile, sniffed, diagnostics) = choose(bytes, profile);
    let mut parsed = parse_with(bytes, &profile);
    parsed.diagnostics.prepend(diagnostics.into());
    CsvImport { profile, sniffed, parsed }
}

/// The profile [`read`] takes for a file without reading its rows: the
/// given one, else the built-in matched by the header, else a sniffed
/// proposal (`true`, with notes on what the sniffer was unsure about).
/// An import preview shows it as the mapping that will be used.
pub fn choose(bytes: &[u8], profile: Option<&Profile>) -> (Profile, bool, Vec<Diagnostic>) {
    if let Some(p) = profile {
        return (p.clone(), false, vec![]);
    }
    let decoded = decode(bytes, None);
    if let Some(p) = match_profile(&decoded.text) {
        return (p.clone(), false, vec![]);
    }
    let (p, notes) = sniff::propose_text(&decoded.text, decoded.encoding);
    (p, true, notes)
}

/// The "unknown layout" flow: a proposed profile for the user to confirm or
/// edit, and what the sniffer was unsure about.
pub fn propose(bytes: &[u8]) -> (Profile, Vec<Diagnostic>) {
    let decoded = decode(bytes, None);
    sniff::propose_text(&decoded.text, decoded.encoding)
}

/// Column indexes resolved against the header.
struct Cols {
    date: usize,
    date_fallback: Option<usize>,
    value_date: Option<usize>,
    amount: Option<usize>,
    debit: Option<usize>,
    credit: Option<usize>,
    fee: Option<usize>,
    indicator: Option<usize>,
    description: Vec<usize>,
    counterparty: Option<usize>,
    counterparty_account: Option<usize>,
    account: Option<usize>,
    external_id: Option<usize>,
    currency: Option<usize>,
    balance: Option<usize>,
    status: Option<usize>,
    category: Vec<usize>,
    kind: Option<usize>,
}

/// Finds a column by header name or `#N` position. A file without a
/// header (`None`) has only positions, `#1` to `#N`.
fn resolve(header: Option<&[String]>, name: &str) -> Result<usize, String> {
    if let Some(n) = name.strip_prefix('#').and_then(|n| n.parse::<usize>().ok()) {
        return if n >= 1 { Ok(n - 1) } else { Err(format!("column {name:?}: positions start at #1")) };
    }
    let want = norm_header(name);
    let found = match header {
        Some(header) => header.iter().position(|h| norm_header(h) == want),
        None => want
            .strip_prefix('#')
            .and_then(|n| n.parse::<usize>().ok().filter(|k| *k >= 1 && k.to_string() == n))
            .map(|k| k - 1),
    };
    found.ok_or_else(|| format!("column {name:?} not found in the header"))
}

fn resolve_all(p: &Profile, header: Option<&[String]>) -> Result<Cols, String> {
    let c = &p.columns;
    let one = |o: &Option<String>| o.as_deref().map(|n| resolve(header, n)).transpose();
    let many = |v: &[String]| v.iter().map(|n| resolve(header, n)).collect::<Result<Vec<_>, _>>();
    Ok(Cols {
        date: resolve(header, &c.date)?,
        date_fallback: one(&c.date_fallback)?,
        value_date: one(&c.value_date)?,
        amount: one(&c.amount)?,
        debit: one(&c.debit)?,
        credit: one(&c.credit)?,
        fee: one(&c.fee)?,
        indicator: one(&c.indicator)?,
        description: many(&c.description)?,
        counterparty: one(&c.counterparty)?,
        counterparty_account: one(&c.counterparty_account)?,
        account: one(&c.account)?,
        external_id: one(&c.external_id)?,
        currency: one(&c.currency)?,
        balance: one(&c.balance)?,
        status: one(&c.status)?,
        category: many(&c.category)?,
        kind: p.row_kinds.as_ref().map(|k| resolve(header, &k.column)).transpose()?,
    })
}

fn eq_any(value: &str, list: &[String]) -> bool {
    crate::work::add(list.len());
    let v = value.trim();
    list.iter().any(|x| x.trim().eq_ignore_ascii_case(v) || x.trim().to_lowercase() == v.to_lowercase())
}

/// Cell `i` as row text, cut to [`MAX_FIELD`] (noted in `cut`): a bank's
/// text cell longer than that is noise, and amounts and dates are never cut
/// (one this long is an error, see [`short`]).
fn text(r: &Record, i: usize, cut: &mut Vec<usize>) -> String {
    let mut s = clean(r.get(i));
    if s.len() > MAX_FIELD {
        cut.push(i);
        s.truncate(crate::util::clip(&s, MAX_FIELD).len());
    }
    s
}

fn opt(r: &Record, i: Option<usize>, cut: &mut Vec<usize>) -> Option<String> {
    i.map(|i| text(r, i, cut)).filter(|s| !s.is_empty())
}

fn join(r: &Record, cols: &[usize], cut: &mut Vec<usize>) -> String {
    let parts: Vec<String> = cols.iter().map(|i| text(r, *i, cut)).filter(|s| !s.is_empty()).collect();
    parts.join(" / ")
}

/// A money or date cell too long to be one: an error naming it, before any
/// parser quotes it whole in a message.
fn short(r: &Record, i: usize, what: &str) -> Result<(), RowError> {
    let len = r.get(i).trim().len();
    if len > MAX_FIELD {
        return Err(RowError::Field(i, format!("{len} bytes is too long for {what} (limit {MAX_FIELD})")));
    }
    Ok(())
}

/// Non-blank records before the table, reported as one warning, and what
/// they say about the account.
#[derive(Default)]
struct Skipped {
    count: usize,
    first: usize,
    last: usize,
    preamble: Preamble,
}

impl Skipped {
    fn skip(&mut self, records: &mut dyn Iterator<Item = Record>, n: usize) {
        for r in records.take(n).filter(|r| !r.is_blank()) {
            if self.count == 0 {
                self.first = r.line;
            }
            self.count += 1;
            self.last = r.line;
            self.preamble.read(&r);
        }
    }
}

/// Reads the file with a given profile. Records stream: only the first 60
/// are held while the header is looked for.
pub fn parse_with(bytes: &[u8], p: &Profile) -> ParsedFile {
    let decoded = decode(bytes, p.encoding.as_deref());
    let mut out = ParsedFile::new(Format::Csv, decoded.encoding);
    let text = decoded.text;
    let delim = p.delimiter.unwrap_or_else(|| sniff::delimiter(&text));
    let mut records = table::Records::new(&text, delim as u8).peekable();
    let Some(first_line) = records.peek().map(|r| r.line) else {
        out.diagnostics.push(Diagnostic::error(1, None, "the file has no CSV rows"));
        return out;
    };
    let mut skipped = Skipped::default();
    // Records read past the header while looking for it.
    let mut after_header: Vec<Record> = Vec::new();
    let header: Option<Record> = if p.has_header {
        let found = match p.skip_lines {
            Some(n) => {
                skipped.skip(&mut records, n);
                records.next()
            }
            None => {
                let head: Vec<Record> = records.by_ref().take(60).collect();
                p.find_header(&head).and_then(|i| {
                    let mut head = head.into_iter();
                    skipped.skip(&mut head, i);
                    let found = head.next();
                    after_header = head.collect();
                    found
                })
            }
        };
        if found.is_none() {
            let want = p.named_columns().join(", ");
            out.diagnostics.push(Diagnostic::error(
                first_line,
                None,
                format!("no header row with the columns of profile {:?} ({want})", p.name),
            ));
            return out;
        }
        found
    } else {
        skipped.skip(&mut records, p.skip_lines.unwrap_or(0));
        None
    };
    if skipped.count > 0 {
        out.diagnostics.push(Diagnostic::warning(
            skipped.first,
            None,
            format!("skipped {} line(s) before the table (lines {}–{})", skipped.count, skipped.first, skipped.last),
        ));
    }
    // The file's account: the preamble's facts, then the profile's bank
    // and kind; rows that name their own account keep it.
    let mut file_account = skipped.preamble.hint();
    file_account.bank = file_account.bank.or_else(|| p.bank.clone());
    file_account.kind = p.account_kind;
    let header_cells = header.as_ref().map(|h| h.fields.as_slice());
    let cols = match resolve_all(p, header_cells) {
        Ok(c) => c,
        Err(e) => {
            let line = header.as_ref().map_or(1, |h| h.line);
            out.diagnostics.push(Diagnostic::error(line, None, format!("profile {:?}: {e}", p.name)));
            return out;
        }
    };
    let name_of = |i: usize| {
        header_cells.and_then(|h| h.get(i)).map(|h| clean(h)).filter(|h| !h.is_empty()).unwrap_or(format!("#{}", i + 1))
    };
    let mut undated: Vec<usize> = Vec::new();
    // Errors on rows whose date cell has no digit at all ("Summe", "Ende der
    // Umsatzliste", empty) or that are short of cells: if no row follows
    // them, they were the footer.
    let mut footer: Vec<usize> = Vec::new();
    let mut cut: Vec<usize> = Vec::new();
    for r in after_header.into_iter().chain(records) {
        if let Some(long) = r.too_long {
            // It may have been a transaction: never taken for a footer.
            footer.clear();
            out.diagnostics.push(Diagnostic::error(
                r.line,
                Some(&name_of(long.field)),
                format!(
                    "a record of {} bytes, over the {MAX_RECORD}-byte limit (this field alone is {} bytes); row skipped",
                    long.bytes, long.field_bytes
                ),
            ));
            continue;
        }
        if r.is_blank() {
            continue;
        }
        cut.clear();
        if let Some(k) = p.row_kinds.as_ref().zip(cols.kind) {
            let (kinds, ki) = k;
            let v = clean(r.get(ki));
            if eq_any(&v, &kinds.skip) {
                continue;
            }
            let kind = if eq_any(&v, &kinds.opening_balance) {
                Some("opening")
            } else if eq_any(&v, &kinds.closing_balance) {
                Some("closing")
            } else {
                None
            };
            if let Some(kind) = kind {
                match read_balance(p, &cols, &r, kind, &mut cut) {
                    Ok(mut b) => {
                        preamble::fill(&mut b.account, &file_account);
                        out.balances.push(b);
                    }
                    Err((field, msg)) => out.diagnostics.push(Diagnostic::warning(r.line, Some(&name_of(field)), msg)),
                }
                note_cut(&mut out, &r, &cut, &name_of);
                continue;
            }
        }
        match read_row(p, &cols, &r, &mut cut) {
            Ok(Some((mut row, has_date))) => {
                footer.clear();
                preamble::fill(&mut row.account, &file_account);
                if !has_date {
                    undated.push(out.rows.len());
                }
                out.rows.push(row);
            }
            Ok(None) => {
                let text = join(&r, &cols.description, &mut cut);
                if p.continuation_rows
                    && !text.is_empty()
                    && let Some(prev) = out.rows.last_mut()
                {
                    continue_description(prev, &text, &r, &cols, &name_of, &mut out.diagnostics);
                    note_cut(&mut out, &r, &cut, &name_of);
                    continue;
                }
                let what = if clean(r.get(cols.date)).is_empty() {
                    "no date and no amount: not a transaction row, skipped"
                } else {
                    "no amount: moves no cash, skipped"
                };
                out.diagnostics.push(Diagnostic::warning(r.line, None, what));
                continue;
            }
            Err(RowError::Field(field, msg)) => {
                // A short record ("Total;123,45" under five columns) is a
                // totals line as much as one with no date.
                let short = header_cells.is_some_and(|h| r.fields.len() < h.len());
                if short || !r.get(cols.date).chars().any(|c| c.is_ascii_digit()) {
                    footer.push(out.diagnostics.len());
                }
                out.diagnostics.push(Diagnostic::error(r.line, Some(&name_of(field)), msg));
                continue;
            }
            Err(RowError::Balance(field, msg)) => {
                out.diagnostics.push(Diagnostic::warning(r.line, Some(&name_of(field)), msg));
            }
        }
        note_cut(&mut out, &r, &cut, &name_of);
    }
    for i in footer {
        // One cut by the cap is counted in the "more" line as it was.
        let Some(d) = out.diagnostics.get_mut(i) else { continue };
        d.severity = crate::model::Severity::Warning;
        d.message = format!("after the last row, not a transaction (footer or totals), skipped: {}", d.message);
    }
    date_pending_rows(&mut out, &undated, &name_of(cols.date));
    out
}

/// Warnings for the text cells of `r` cut to [`MAX_FIELD`].
fn note_cut(out: &mut ParsedFile, r: &Record, cut: &[usize], name_of: &dyn Fn(usize) -> String) {
    for &i in cut {
        out.diagnostics.push(Diagnostic::warning(
            r.line,
            Some(&name_of(i)),
            format!("{} bytes of text, cut to the first {MAX_FIELD}", clean(r.get(i)).len()),
        ));
    }
}

/// Appends a continuation row's text to the row before it, up to
/// [`MAX_FIELD`]: past it the text is cut once, with a warning, and later
/// continuation lines of that row are left out.
fn continue_description(
    prev: &mut StatementRow,
    text: &str,
    r: &Record,
    cols: &Cols,
    name_of: &dyn Fn(usize) -> String,
    diags: &mut Diagnostics,
) {
    if prev.description.len() >= MAX_FIELD {
        return;
    }
    crate::work::add(text.len());
    if !prev.description.is_empty() {
        prev.description.push(' ');
    }
    prev.description.push_str(text);
    if prev.description.len() > MAX_FIELD {
        let keep = crate::util::clip(&prev.description, MAX_FIELD).len();
        prev.description.truncate(keep);
        let field = cols.description.first().map_or_else(|| "description".to_string(), |&i| name_of(i));
        diags.push(Diagnostic::warning(
            r.line,
            Some(&field),
            format!(
                "the description of the row on line {} passes {MAX_FIELD} bytes here: cut, and later continuation lines left out",
                prev.line
            ),
        ));
    }
}

/// Pending rows whose date column says only "Pending" (Amex) get the newest
/// booked date: the model needs a date, and the bank will send the real one
/// when the row books (the caller matches pending rows to booked ones).
fn date_pending_rows(out: &mut ParsedFile, undated: &[usize], date_col: &str) {
    // `undated` is in row order: one walk pairs it with the rows.
    let mut next_undated = undated.iter().peekable();
    let newest = out
        .rows
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            crate::work::add(1);
            let dated = next_undated.peek() != Some(&i);
            if !dated {
                next_undated.next();
            }
            dated
        })
        .map(|(_, r)| r.date)
        .max();
    let mut drop = Vec::new();
    for &i in undated {
        let line = out.rows[i].line;
        match newest {
            Some(d) => {
                out.rows[i].date = d;
                out.diagnostics.push(Diagnostic::warning(
                    line,
                    Some(date_col),
                    format!("pending row without a date: dated {d}, the newest booked date in the file"),
                ));
            }
            None => {
                drop.push(i);
                out.diagnostics.push(Diagnostic::error(line, Some(date_col), "pending row without a date"));
            }
        }
    }
    for i in drop.into_iter().rev() {
        out.rows.remove(i);
    }
    out.diagnostics.sort_by_line();
}

enum RowError {
    /// The row cannot be read: an error, the row is left out.
    Field(usize, String),
    /// Only the running balance is unreadable: a warning, the row is kept.
    Balance(usize, String),
}

fn amount_cell(p: &Profile, r: &Record, i: usize) -> Result<Option<(Decimal, Option<Currency>)>, RowError> {
    let cell = r.get(i).trim();
    if cell.is_empty() {
        return Ok(None);
    }
    short(r, i, "an amount")?;
    parse_amount_with(cell, p.decimal, p.thousands)
        .map(|a| Some((a.value, a.currency)))
        .map_err(|e| RowError::Field(i, e))
}

/// The signed amount and the currency written next to it; `None` when every
/// amount cell is empty.
fn read_amount(p: &Profile, c: &Cols, r: &Record) -> Result<Option<(Decimal, Option<Currency>)>, RowError> {
    let base = match p.sign {
        SignConvention::Signed | SignConvention::Inverted => {
            let a = c.amount.map(|i| amount_cell(p, r, i)).transpose()?.flatten();
            if p.sign == SignConvention::Inverted { a.map(|(v, cur)| (-v, cur)) } else { a }
        }
        SignConvention::DebitCreditColumns => {
            let d = c.debit.map(|i| amount_cell(p, r, i)).transpose()?.flatten();
            let k = c.credit.map(|i| amount_cell(p, r, i)).transpose()?.flatten();
            match (d, k) {
                (None, None) => None,
                (d, k) => {
                    let cur = d.and_then(|x| x.1).or(k.and_then(|x| x.1));
                    let v = k.map_or(Decimal::ZERO, |x| x.0.abs()) - d.map_or(Decimal::ZERO, |x| x.0.abs());
                    Some((v, cur))
                }
            }
        }
        SignConvention::Indicator => {
            let a = c.amount.map(|i| amount_cell(p, r, i)).transpose()?.flatten();
            match a {
                None => None,
                Some((v, cur)) => {
                    let ii = c.indicator.unwrap_or(0);
                    short(r, ii, "a debit/credit marker")?;
                    let ind = clean(r.get(ii));
                    let cols = &p.columns;
                    let debit = if eq_any(&ind, &cols.debit_values) {
                        true
                    } else if eq_any(&ind, &cols.credit_values) || cols.credit_values.is_empty() {
                        // Only debit markers listed: every other value is a credit.
                        false
                    } else if cols.debit_values.is_empty() {
                        true
                    } else {
                        return Err(RowError::Field(ii, format!("{ind:?} is neither a debit nor a credit marker")));
                    };
                    Some((if debit { -v.abs() } else { v.abs() }, cur))
                }
            }
        }
    };
    let Some((mut v, cur)) = base else {
        return Ok(None);
    };
    if let Some(fi) = c.fee
        && let Some((fee, _)) = amount_cell(p, r, fi)?
    {
        v -= fee.abs();
    }
    Ok(Some((v, cur)))
}

/// One data record to a row. `Ok(None)`: no date and no amount (a footer,
/// a spacer or a continuation line). The bool says whether the row had a date.
/// Text cells cut to [`MAX_FIELD`] are noted in `cut`.
fn read_row(p: &Profile, c: &Cols, r: &Record, cut: &mut Vec<usize>) -> Result<Option<(StatementRow, bool)>, RowError> {
    let cols = &p.columns;
    let mut date_cell = clean(r.get(c.date));
    let mut date_col = c.date;
    if date_cell.is_empty()
        && let Some(fb) = c.date_fallback
    {
        date_cell = clean(r.get(fb));
        date_col = fb;
    }
    let amount = read_amount(p, c, r)?;
    if date_cell.is_empty() && amount.is_none() {
        return Ok(None);
    }
    let mut status = RowStatus::Booked;
    if let Some(s) = opt(r, c.status, cut)
        && eq_any(&s, &cols.pending_values)
    {
        status = RowStatus::Pending;
    }
    let date = if eq_any(&date_cell, &cols.pending_values) {
        status = RowStatus::Pending;
        None
    } else if date_cell.is_empty() {
        return Err(RowError::Field(date_col, "no date".into()));
    } else {
        short(r, date_col, "a date")?;
        Some(p.date_format.parse(&date_cell).map_err(|e| RowError::Field(date_col, e))?)
    };
    let Some((amount, symbol_currency)) = amount else {
        if p.skip_empty_amount {
            return Ok(None);
        }
        let col = c.amount.or(c.debit).unwrap_or(c.date);
        return Err(RowError::Field(col, "no amount".into()));
    };
    if let Some(vd) = c.value_date {
        short(r, vd, "a date")?;
    }
    let value_date = match opt(r, c.value_date, cut) {
        Some(v) => Some(p.date_format.parse(&v).map_err(|e| RowError::Field(c.value_date.unwrap_or(0), e))?),
        None => None,
    };
    if let Some(ci) = c.currency {
        short(r, ci, "a currency")?;
    }
    let currency =
        match opt(r, c.currency, cut) {
            Some(code) => Some(Currency::parse(&code.to_ascii_uppercase()).map_err(|_| {
                RowError::Field(c.currency.unwrap_or(0), format!("{code:?} is not an ISO 4217 currency"))
            })?),
            None => symbol_currency.or(p.currency),
        };
    let balance_after = match c.balance {
        Some(bi) if r.get(bi).trim().len() > MAX_FIELD => {
            let len = r.get(bi).trim().len();
            return Err(RowError::Balance(
                bi,
                format!("running balance ignored: {len} bytes is too long for an amount"),
            ));
        }
        Some(bi) if !r.get(bi).trim().is_empty() => match parse_amount_with(r.get(bi), p.decimal, p.thousands) {
            Ok(a) => Some(a.value),
            Err(e) => {
                return Err(RowError::Balance(bi, format!("running balance ignored: {e}")));
            }
        },
        _ => None,
    };
    let category = join(r, &c.category, cut);
    let row = StatementRow {
        line: r.line,
        account: AccountHint { number: opt(r, c.account, cut), currency, ..AccountHint::default() },
        date: date.unwrap_or(Date::constant(1970, 1, 1)),
        value_date,
        amount,
        currency,
        description: match join(r, &c.description, cut) {
            // Payee only (Knab transfers without a message): the payee is the text.
            d if d.is_empty() => opt(r, c.counterparty, &mut Vec::new()).unwrap_or_default(),
            d => d,
        },
        counterparty: opt(r, c.counterparty, cut),
        counterparty_account: opt(r, c.counterparty_account, cut),
        external_id: opt(r, c.external_id, cut),
        status,
        category: (!category.is_empty()).then_some(category),
        section: None,
        transfer_group: None,
        balance_after,
    };
    Ok(Some((row, date.is_some())))
}

fn read_balance(
    p: &Profile,
    c: &Cols,
    r: &Record,
    kind: &str,
    cut: &mut Vec<usize>,
) -> Result<StatementBalance, (usize, String)> {
    let field = |e: RowError| match e {
        RowError::Field(i, e) | RowError::Balance(i, e) => (i, e),
    };
    short(r, c.date, "a date").map_err(field)?;
    let date = p.date_format.parse(&clean(r.get(c.date))).map_err(|e| (c.date, e))?;
    let (amount, sym) = match read_amount(p, c, r) {
        Ok(Some(a)) => a,
        Ok(None) => {
            return Err((c.amount.unwrap_or(c.date), "balance row without an amount".into()));
        }
        Err(e) => return Err(field(e)),
    };
    if let Some(ci) = c.currency {
        short(r, ci, "a currency").map_err(field)?;
    }
    let currency = match opt(r, c.currency, cut) {
        Some(code) => Some(Currency::parse(&code.to_ascii_uppercase()).map_err(|_| {
            (c.currency.unwrap_or(0), format!("balance ignored: {code:?} is not an ISO 4217 currency"))
        })?),
        None => sym.or(p.currency),
    };
    Ok(StatementBalance {
        account: AccountHint { number: opt(r, c.account, cut), currency, ..AccountHint::default() },
        date,
        amount,
        currency,
        kind: kind.to_string(),
    })
}
