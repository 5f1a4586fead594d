//! ISO 20022 cash-management reports: camt.052 (account report), camt.053
//! (statement) and camt.054 (debit/credit notification), versions .001.02 to
//! .001.08 and later.
//!
//! Elements are matched by local name with namespaces ignored, which is what
//! makes one reader serve every version: the versions differ mostly in the
//! namespace URI and in a few wrappers (`Sts/Cd` in v8, `Pty/Nm`), which the
//! lookups below try both ways.
//!
//! The reader streams (issue 14: a tree of the whole document took 36× the
//! file's size): quick-xml's events are followed with only the open elements
//! kept, and an element tree is built only for one account, one balance or
//! one entry at a time — an entry without its transaction details, each of
//! which is reduced to the few values the entry needs as it closes. The one
//! case that needs every detail again, a batch entry split into one row per
//! detail, reads the entry's own bytes a second time instead of keeping the
//! details. Parts are read in document order, which is the schema's: the
//! account before the balances before the entries.
//!
//! Hostile input: quick-xml never expands entities, and a DOCTYPE is skipped,
//! so a billion-laughs file stays its own size; nesting deeper than
//! [`MAX_DEPTH`], a text node over [`MAX_TEXT`] or an element of more than
//! [`MAX_NODES`] elements is cut with a diagnostic.

use jiff::civil::Date;
use kassa_core::Currency;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use rust_decimal::Decimal;

use crate::Diagnostics;
use crate::decode::decode;
use crate::model::{AccountHint, Diagnostic, Format, ParsedFile, RowStatus, StatementBalance, StatementRow};
use crate::util::{self, Capture, LineCounter, MAX_DEPTH, MAX_NAME, MAX_NODES, MAX_TEXT, Node};
use crate::work;

/// True when the text is a camt.052/053/054 document.
pub fn sniff(text: &str) -> bool {
    let head = util::clip(text, 8192);
    ["BkToCstmrStmt", "BkToCstmrAcctRpt", "BkToCstmrDbtCdtNtfctn"].iter().any(|root| head.contains(root))
        || ["camt.052.", "camt.053.", "camt.054."].iter().any(|ns| head.contains(ns))
}

/// The containers of reports, in the order their output is listed.
const CONTAINERS: [&str; 3] = ["BkToCstmrStmt", "BkToCstmrAcctRpt", "BkToCstmrDbtCdtNtfctn"];

/// Parses a camt.052/053/054 file. Never fails: problems become diagnostics.
pub fn parse(bytes: &[u8]) -> ParsedFile {
    let decoded = decode(bytes, None);
    let mut out = ParsedFile::new(Format::Camt, decoded.encoding);
    let text = decoded.text.as_str();
    let mut reports = Reports { text, ..Reports::default() };
    walk(text, 1, &mut reports, &mut out.diagnostics);
    if !reports.found && !out.has_errors() {
        out.diagnostics.push(Diagnostic::error(
            1,
            None,
            "no camt statement, report or notification (Stmt/Rpt/Ntfctn) in the file",
        ));
    }
    for part in reports.containers {
        util::append(&mut out.rows, part.rows);
        util::append(&mut out.balances, part.balances);
        out.diagnostics.append(part.diagnostics);
    }
    out
}

/// What [`walk`] reports, in document order. The document's children are at
/// depth 1; `pos` is the byte offset where the event starts or ends.
trait Handler {
    fn start(&mut self, e: &BytesStart<'_>, line: usize, depth: usize, pos: usize);
    /// Text of the innermost open element, by the rules of [`walk`].
    fn text(&mut self, s: &str);
    fn end(&mut self, depth: usize, pos: usize);
}

/// An open element: no content, only what the text rules need.
struct Frame {
    name: String,
    text: usize,
    /// A child has ended inside it: later text belongs to nothing.
    children: bool,
}

/// Reads `text` (whose first line is `first_line` of the file) and reports
/// to `h`, stopping with an error diagnostic at the first malformed
/// construct or limit hit; the elements still open then end there. An
/// element's text is what it holds before its first child (a child clears
/// it), as a tree reader would keep it. Returns where the read stopped.
fn walk(text: &str, first_line: usize, h: &mut impl Handler, diags: &mut Diagnostics) -> usize {
    let mut lines = LineCounter::new(text);
    let mut reader = Reader::from_str(text);
    let mut frames = vec![Frame { name: "#document".into(), text: 0, children: false }];
    let mut warned_entity = false;
    let offset = |p: u64| usize::try_from(p).unwrap_or(usize::MAX);
    let mut stop = text.len();
    loop {
        let pos = offset(reader.buffer_position());
        let event = reader.read_event();
        let end = offset(reader.buffer_position());
        work::add(1 + end.saturating_sub(pos));
        let line = lines.line(pos) + first_line - 1;
        let text_of = |s: &str, frames: &mut Vec<Frame>, h: &mut dyn FnMut(&str)| -> Result<(), Diagnostic> {
            let Some(top) = frames.last_mut() else { return Ok(()) };
            if top.children {
                return Ok(());
            }
            if top.text + s.len() > MAX_TEXT {
                return Err(Diagnostic::error(
                    line,
                    Some(&top.name),
                    format!("text longer than {MAX_TEXT} bytes; rest of file ignored"),
                ));
            }
            top.text += s.len();
            h(s);
            Ok(())
        };
        let pushed = match event {
            Ok(Event::Start(e)) => {
                if frames.len() > MAX_DEPTH {
                    diags.push(Diagnostic::error(
                        line,
                        None,
                        format!("elements nested deeper than {MAX_DEPTH} levels; rest of file ignored"),
                    ));
                    stop = pos;
                    break;
                }
                if let Some(top) = frames.last_mut() {
                    top.text = 0;
                }
                h.start(&e, line, frames.len(), pos);
                frames.push(Frame { name: name_of(&e), text: 0, children: false });
                Ok(())
            }
            Ok(Event::Empty(e)) => {
                if let Some(top) = frames.last_mut() {
                    top.text = 0;
                    top.children = true;
                }
                h.start(&e, line, frames.len(), pos);
                h.end(frames.len(), end);
                Ok(())
            }
            Ok(Event::End(_)) => {
                if frames.len() > 1 {
                    h.end(frames.len() - 1, end);
                    frames.pop();
                    if let Some(parent) = frames.last_mut() {
                        parent.children = true;
                    }
                }
                Ok(())
            }
            Ok(Event::Text(t)) => text_of(&t, &mut frames, &mut |s| h.text(s)),
            Ok(Event::CData(c)) => text_of(&c, &mut frames, &mut |s| h.text(s)),
            Ok(Event::GeneralRef(r)) => {
                let resolved = match &*r {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => r.resolve_char_ref().ok().flatten(),
                };
                let s = match resolved {
                    Some(c) => c.to_string(),
                    None => {
                        if !warned_entity {
                            warned_entity = true;
                            diags.push(Diagnostic::warning(
                                line,
                                None,
                                format!("entity &{}; is not expanded; kept as written", util::clip(&r, 40)),
                            ));
                        }
                        format!("&{};", util::clip(&r, 40))
                    }
                };
                text_of(&s, &mut frames, &mut |s| h.text(s))
            }
            Ok(Event::DocType(_)) => {
                diags.push(Diagnostic::warning(line, None, "DOCTYPE ignored: entities it declares are never expanded"));
                Ok(())
            }
            Ok(Event::Eof) => break,
            Ok(_) => Ok(()),
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(pos);
                diags.push(Diagnostic::error(
                    lines.line(at) + first_line - 1,
                    None,
                    format!("malformed XML: {}; rest of file ignored", util::clip(&e.to_string(), 200)),
                ));
                stop = pos;
                break;
            }
        };
        if let Err(d) = pushed {
            diags.push(d);
            stop = pos;
            break;
        }
    }
    if frames.len() > 1 && !diags.iter().any(|d| d.severity == crate::Severity::Error) {
        let open = frames.last().map(|f| f.name.clone()).unwrap_or_default();
        diags.push(Diagnostic::error(
            lines.line(text.len()) + first_line - 1,
            Some(&open),
            format!("file ends inside <{open}>; it is truncated"),
        ));
    }
    while frames.len() > 1 {
        h.end(frames.len() - 1, stop);
        frames.pop();
    }
    stop
}

/// The local name, clipped to [`MAX_NAME`].
fn name_of(e: &BytesStart<'_>) -> String {
    util::clip(e.local_name().as_ref(), MAX_NAME).to_string()
}

fn element(e: &BytesStart<'_>, line: usize) -> Node {
    let mut node = Node::new(name_of(e), line);
    for attr in e.attributes().flatten() {
        work::add(1);
        if attr.key.local_name().as_ref() == "Ccy"
            && let Ok(v) = attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
        {
            node.attrs.push(("Ccy".to_string(), v.into_owned()));
        }
    }
    node
}

/// Opens `e` inside a capture, clearing the text its parent held so far.
fn open_in(capture: &mut Capture, e: &BytesStart<'_>, line: usize) {
    if let Some(top) = capture.top() {
        top.text.clear();
    }
    capture.open(element(e, line));
}

/// Output of one container kind.
#[derive(Default)]
struct Part {
    rows: Vec<StatementRow>,
    balances: Vec<StatementBalance>,
    diagnostics: Diagnostics,
}

/// The entry being read: its tree without the transaction details, and
/// what the details it has seen add up to.
struct OpenEntry {
    depth: usize,
    start: usize,
    capture: Capture,
    /// Depth of an open `NtryDtls` directly inside the entry.
    dtls: Option<usize>,
    detail: Option<Capture>,
    seen: Seen,
}

/// A transaction detail's amount, currency and the sign its credit/debit
/// indicator gives.
type TxAmount = (Decimal, Option<Currency>, Option<Decimal>);

/// What an entry's transaction details add up to, without keeping them.
#[derive(Default)]
struct Seen {
    count: usize,
    /// Each detail's amount while every one has one (a batch can only be
    /// split then).
    amounts: Option<Vec<TxAmount>>,
    any_amount: bool,
    /// The details of the first one, for an entry with exactly one.
    first: Option<TxInfo>,
    /// Their descriptions joined with "; ", kept to just past 4096 bytes.
    all: String,
}

/// A transaction detail reduced to what a row takes from it.
struct TxInfo {
    debtor: (Option<String>, Option<String>),
    creditor: (Option<String>, Option<String>),
    description: String,
    reference: Option<String>,
}

impl TxInfo {
    fn of(tx: &Node) -> TxInfo {
        let d = Details { node: Some(tx) };
        TxInfo {
            debtor: d.counterparty(true),
            creditor: d.counterparty(false),
            description: d.description(),
            reference: d.reference(),
        }
    }
}

impl Seen {
    fn add(&mut self, tx: &Node) {
        self.count += 1;
        let amount = tx_amount(tx);
        self.any_amount |= amount.is_some();
        self.amounts = match (self.amounts.take(), amount) {
            (None, Some(a)) if self.count == 1 => Some(vec![a]),
            (Some(mut v), Some(a)) => {
                v.push(a);
                Some(v)
            }
            _ => None,
        };
        let info = TxInfo::of(tx);
        if !info.description.is_empty() && self.all.len() <= 4096 {
            if !self.all.is_empty() {
                self.all.push_str("; ");
            }
            self.all.push_str(&info.description);
        }
        if self.count == 1 {
            self.first = Some(info);
        }
    }
}

/// The first pass: containers, their reports, and each report's account,
/// balances and entries as they close.
#[derive(Default)]
struct Reports<'t> {
    text: &'t str,
    /// Depth and kind of the open container.
    container: Option<(usize, usize)>,
    /// Depth of the open report, and its account.
    report: Option<(usize, Ctx)>,
    acct_seen: bool,
    acct: Option<Capture>,
    bal: Option<Capture>,
    entry: Option<OpenEntry>,
    containers: [Part; 3],
    found: bool,
}

impl Handler for Reports<'_> {
    fn start(&mut self, e: &BytesStart<'_>, line: usize, depth: usize, pos: usize) {
        let name = e.local_name();
        let name = name.as_ref();
        let Some((cdepth, _)) = self.container else {
            if let Some(kind) = CONTAINERS.iter().position(|c| *c == name) {
                self.container = Some((depth, kind));
            }
            return;
        };
        let Some((rdepth, _)) = &self.report else {
            if depth == cdepth + 1 && matches!(name, "Stmt" | "Rpt" | "Ntfctn") {
                self.found = true;
                self.report = Some((depth, Ctx::default()));
                self.acct_seen = false;
            }
            return;
        };
        if depth == rdepth + 1 {
            match name {
                "Acct" if !self.acct_seen => {
                    self.acct_seen = true;
                    self.acct = Some(Capture::new(element(e, line)));
                }
                "Bal" => self.bal = Some(Capture::new(element(e, line))),
                "Ntry" => {
                    self.entry = Some(OpenEntry {
                        depth,
                        start: pos,
                        capture: Capture::new(element(e, line)),
                        dtls: None,
                        detail: None,
                        seen: Seen::default(),
                    })
                }
                _ => {}
            }
            return;
        }
        for c in [&mut self.acct, &mut self.bal].into_iter().flatten() {
            open_in(c, e, line);
        }
        if let Some(en) = &mut self.entry {
            if let Some(d) = &mut en.detail {
                open_in(d, e, line);
            } else if en.dtls.is_some_and(|d| d + 1 == depth) && name == "TxDtls" {
                en.detail = Some(Capture::new(element(e, line)));
            } else {
                if depth == en.depth + 1 && name == "NtryDtls" {
                    en.dtls = Some(depth);
                }
                open_in(&mut en.capture, e, line);
            }
        }
    }

    fn text(&mut self, s: &str) {
        for c in [&mut self.acct, &mut self.bal].into_iter().flatten() {
            c.text(s);
        }
        if let Some(en) = &mut self.entry {
            en.detail.as_mut().unwrap_or(&mut en.capture).text(s);
        }
    }

    fn end(&mut self, depth: usize, pos: usize) {
        if let Some(acct) = self.acct.as_mut().and_then(Capture::close) {
            self.acct = None;
            if let Some((_, ctx)) = &mut self.report {
                *ctx = Ctx::of(&acct);
            }
        }
        let (report, part) = match (&self.report, self.container) {
            (Some((_, ctx)), Some((_, kind))) => (ctx, &mut self.containers[kind]),
            _ => {
                self.end_container(depth);
                return;
            }
        };
        if let Some(bal) = finished(&mut self.bal, part) {
            balance(report, &bal, part);
        }
        if let Some(en) = &mut self.entry {
            if en.detail.is_some() {
                if let Some(tx) = finished(&mut en.detail, part) {
                    en.seen.add(&tx);
                }
            } else {
                if en.dtls == Some(depth) {
                    en.dtls = None;
                }
                if let Some(ntry) = en.capture.close()
                    && let Some(en) = self.entry.take()
                {
                    if en.capture.overflowed {
                        cut(&ntry, part);
                    }
                    entry(report, &ntry, en.seen, &self.text[en.start..pos], part);
                }
            }
        }
        if self.report.as_ref().is_some_and(|(d, _)| *d == depth) {
            self.report = None;
        }
        self.end_container(depth);
    }
}

impl Reports<'_> {
    fn end_container(&mut self, depth: usize) {
        if self.container.is_some_and(|(d, _)| d == depth) {
            self.container = None;
        }
    }
}

/// Closes the innermost element of `capture`; when that was its root, the
/// capture ends and its tree is returned (with a warning when it was cut).
fn finished(capture: &mut Option<Capture>, part: &mut Part) -> Option<Node> {
    let node = capture.as_mut().and_then(Capture::close)?;
    if capture.take().is_some_and(|c| c.overflowed) {
        cut(&node, part);
    }
    Some(node)
}

/// A warning that `node` lost elements past the limit.
fn cut(node: &Node, part: &mut Part) {
    part.diagnostics.push(Diagnostic::warning(
        node.line,
        Some(&node.name),
        format!("{} holds more than {MAX_NODES} elements; the rest are ignored", node.name),
    ));
}

/// References banks write when they have none.
fn meaningful(s: &str) -> bool {
    !s.is_empty() && !s.eq_ignore_ascii_case("NONREF") && !s.eq_ignore_ascii_case("NOTPROVIDED")
}

/// A report's account, as its `Acct` says.
#[derive(Default)]
struct Ctx {
    account: AccountHint,
    currency: Option<Currency>,
}

impl Ctx {
    fn of(acct: &Node) -> Ctx {
        let currency = acct.text_at(&["Ccy"]).and_then(util::currency);
        let account = AccountHint {
            number: acct.text_at(&["Id", "IBAN"]).or_else(|| acct.text_at(&["Id", "Othr", "Id"])).map(str::to_string),
            account_ref: None,
            institution: acct
                .path(&["Svcr", "FinInstnId"])
                .and_then(|f| f.text_at(&["BICFI"]).or_else(|| f.text_at(&["BIC"])))
                .map(str::to_string),
            currency,
            bank: acct.text_at(&["Svcr", "FinInstnId", "Nm"]).map(str::to_string),
            name: acct.text_at(&["Nm"]).map(str::to_string),
            kind: None,
        };
        Ctx { account, currency }
    }
}

fn balance(ctx: &Ctx, bal: &Node, out: &mut Part) {
    let code =
        bal.path(&["Tp", "CdOrPrtry"]).and_then(|c| c.text_at(&["Cd"]).or_else(|| c.text_at(&["Prtry"]))).unwrap_or("");
    let kind = match code {
        "OPBD" | "PRCD" => "opening",
        "CLBD" | "ITBD" => "closing",
        "OPAV" | "CLAV" | "ITAV" => "available",
        "FWAV" => "forward",
        _ => {
            out.diagnostics.push(Diagnostic::warning(
                bal.line,
                Some("Bal/Tp"),
                format!("balance type {:?} not used; skipped", util::clip(code, 20)),
            ));
            return;
        }
    };
    let Some((amount, currency)) = signed_amount(bal, ctx, out) else {
        return;
    };
    let Some(date) = date_of(bal.child("Dt")) else {
        out.diagnostics.push(Diagnostic::error(bal.line, Some("Bal/Dt"), "balance without a readable date; skipped"));
        return;
    };
    out.balances.push(StatementBalance {
        account: ctx.account.clone(),
        date,
        amount,
        currency,
        kind: kind.to_string(),
    });
}

/// `Amt` with `CdtDbtInd` as a signed decimal and its currency; an error
/// diagnostic (and `None`) when either is missing or unreadable.
fn signed_amount(node: &Node, ctx: &Ctx, out: &mut Part) -> Option<(Decimal, Option<Currency>)> {
    let amt = node.child("Amt");
    let text = amt.map(|a| a.text.trim()).unwrap_or("");
    let Some(value) = util::decimal(text).filter(|v| !v.is_sign_negative()) else {
        out.diagnostics.push(Diagnostic::error(
            amt.map_or(node.line, |a| a.line),
            Some(&format!("{}/Amt", node.name)),
            format!("not an amount: {:?}; skipped", util::clip(text, 40)),
        ));
        return None;
    };
    let sign = match node.text_at(&["CdtDbtInd"]) {
        Some("CRDT") => Decimal::ONE,
        Some("DBIT") => Decimal::NEGATIVE_ONE,
        other => {
            out.diagnostics.push(Diagnostic::error(
                node.line,
                Some(&format!("{}/CdtDbtInd", node.name)),
                format!("credit/debit indicator {:?} is neither CRDT nor DBIT; skipped", other.unwrap_or("")),
            ));
            return None;
        }
    };
    let currency = amt.and_then(|a| a.attr("Ccy")).and_then(util::currency).or(ctx.currency);
    Some((value * sign, currency))
}

/// A `Dt`/`DtTm` choice (`<BookgDt><Dt>…</Dt></BookgDt>`); the civil date as
/// written, offset not applied.
fn date_of(choice: Option<&Node>) -> Option<Date> {
    let c = choice?;
    c.text_at(&["Dt"]).or_else(|| c.text_at(&["DtTm"])).and_then(util::iso_date_prefix)
}

/// One transaction's details, from a TxDtls (or the entry alone).
struct Details<'a> {
    node: Option<&'a Node>,
}

impl Details<'_> {
    /// The other party: the debtor of money coming in, the creditor of money
    /// going out. v8 wraps the name in `Pty`.
    fn counterparty(&self, incoming: bool) -> (Option<String>, Option<String>) {
        let (party, acct) = if incoming { ("Dbtr", "DbtrAcct") } else { ("Cdtr", "CdtrAcct") };
        let Some(parties) = self.node.and_then(|n| n.child("RltdPties")) else {
            return (None, None);
        };
        let name =
            parties.text_at(&[party, "Nm"]).or_else(|| parties.text_at(&[party, "Pty", "Nm"])).map(util::collapse_ws);
        let account = parties
            .text_at(&[acct, "Id", "IBAN"])
            .or_else(|| parties.text_at(&[acct, "Id", "Othr", "Id"]))
            .map(str::to_string);
        (name, account)
    }

    fn description(&self) -> String {
        let Some(n) = self.node else {
            return String::new();
        };
        if let Some(rmt) = n.child("RmtInf") {
            let ustrd: Vec<&str> =
                rmt.children_named("Ustrd").map(|u| u.text.trim()).filter(|t| !t.is_empty()).collect();
            if !ustrd.is_empty() {
                return util::collapse_ws(&ustrd.join(" "));
            }
        }
        if let Some(info) = n.text_at(&["AddtlTxInf"]) {
            return util::collapse_ws(info);
        }
        let mut strd = Vec::new();
        if let Some(rmt) = n.child("RmtInf") {
            for s in rmt.children_named("Strd") {
                for t in [s.text_at(&["CdtrRefInf", "Ref"]), s.text_at(&["AddtlRmtInf"])].into_iter().flatten() {
                    strd.push(t);
                }
            }
        }
        util::collapse_ws(&strd.join(" "))
    }

    fn reference(&self) -> Option<String> {
        let refs = self.node?.child("Refs")?;
        ["AcctSvcrRef", "TxId", "EndToEndId", "InstrId"]
            .iter()
            .filter_map(|k| refs.text_at(&[k]))
            .chain(refs.path(&["Prtry"]).and_then(|p| p.text_at(&["Ref"])))
            .find(|r| meaningful(r))
            .map(str::to_string)
    }
}

/// One entry as one row — or, for a batch whose details carry amounts that
/// add up to the entry's, one row per detail, read again from `span`.
fn entry(ctx: &Ctx, ntry: &Node, seen: Seen, span: &str, out: &mut Part) {
    let status_text = ntry.text_at(&["Sts", "Cd"]).or_else(|| ntry.text_at(&["Sts"])).unwrap_or("BOOK");
    let status = match status_text {
        "BOOK" => RowStatus::Booked,
        "PDNG" | "FUTR" => RowStatus::Pending,
        other => {
            out.diagnostics.push(Diagnostic::warning(
                ntry.line,
                Some("Ntry/Sts"),
                format!("entry with status {:?} is information only; skipped", util::clip(other, 20)),
            ));
            return;
        }
    };
    let Some((amount, currency)) = signed_amount(ntry, ctx, out) else {
        return;
    };
    let booked = date_of(ntry.child("BookgDt"));
    let value_date = date_of(ntry.child("ValDt"));
    let Some(date) = booked.or(value_date) else {
        out.diagnostics.push(Diagnostic::error(
            ntry.line,
            Some("Ntry/BookgDt"),
            "entry without a readable booking or value date; skipped",
        ));
        return;
    };
    let entry_ref = ntry.text_at(&["AcctSvcrRef"]).or_else(|| ntry.text_at(&["NtryRef"])).filter(|r| meaningful(r));
    let entry_info = ntry.text_at(&["AddtlNtryInf"]).map(util::collapse_ws);
    let base = StatementRow {
        line: ntry.line,
        account: ctx.account.clone(),
        date,
        value_date,
        amount,
        currency,
        description: String::new(),
        counterparty: None,
        counterparty_account: None,
        external_id: None,
        status,
        category: None,
        section: None,
        transfer_group: None,
        balance_after: None,
    };
    if seen.count > 1
        && let Some(parts) = seen.amounts.as_deref().and_then(|a| batch_amounts(a, amount, currency, ctx))
    {
        let mut split =
            Split { parts: &parts, done: 0, entry_ref, entry_info, base, in_dtls: false, detail: None, out };
        walk(span, ntry.line, &mut split, &mut Diagnostics::new());
        return;
    }
    if seen.count > 1 && seen.any_amount {
        out.diagnostics.push(Diagnostic::warning(
            ntry.line,
            Some("Ntry/NtryDtls"),
            format!(
                "the {} transaction details do not add up to the entry amount {amount}; kept as one row",
                seen.count
            ),
        ));
    }
    let single = if seen.count == 1 { seen.first } else { None };
    let (counterparty, counterparty_account) = match &single {
        Some(tx) if amount.is_sign_positive() => tx.debtor.clone(),
        Some(tx) => tx.creditor.clone(),
        None => (None, None),
    };
    let mut description = single.as_ref().map(|tx| tx.description.clone()).unwrap_or_default();
    if description.is_empty() {
        description = entry_info.unwrap_or_default();
    }
    if description.is_empty() && seen.count > 1 {
        description = util::clip(&seen.all, 4096).to_string();
    }
    out.rows.push(StatementRow {
        description,
        counterparty,
        counterparty_account,
        external_id: entry_ref.map(str::to_string).or_else(|| single.and_then(|tx| tx.reference)),
        ..base
    });
}

/// The second read of a batch entry: a row per transaction detail, with
/// the detail's share of the amount.
struct Split<'a> {
    parts: &'a [Decimal],
    done: usize,
    entry_ref: Option<&'a str>,
    entry_info: Option<String>,
    base: StatementRow,
    in_dtls: bool,
    detail: Option<Capture>,
    out: &'a mut Part,
}

impl Handler for Split<'_> {
    fn start(&mut self, e: &BytesStart<'_>, line: usize, depth: usize, _pos: usize) {
        // The entry is at depth 1 of its own text.
        let name = e.local_name();
        match &mut self.detail {
            Some(d) => open_in(d, e, line),
            None if depth == 2 && name.as_ref() == "NtryDtls" => self.in_dtls = true,
            None if depth == 3 && self.in_dtls && name.as_ref() == "TxDtls" => {
                self.detail = Some(Capture::new(element(e, line)));
            }
            None => {}
        }
    }

    fn text(&mut self, s: &str) {
        if let Some(d) = &mut self.detail {
            d.text(s);
        }
    }

    fn end(&mut self, depth: usize, _pos: usize) {
        if self.detail.is_none() {
            if depth == 2 {
                self.in_dtls = false;
            }
            return;
        }
        let Some(tx) = self.detail.as_mut().and_then(Capture::close) else { return };
        self.detail = None;
        let Some(&part) = self.parts.get(self.done) else { return };
        self.done += 1;
        let d = Details { node: Some(&tx) };
        let (counterparty, counterparty_account) = d.counterparty(part.is_sign_positive());
        let mut description = d.description();
        if description.is_empty() {
            description = self.entry_info.clone().unwrap_or_default();
        }
        self.out.rows.push(StatementRow {
            line: tx.line,
            amount: part,
            description,
            counterparty,
            counterparty_account,
            external_id: match self.entry_ref {
                Some(r) => Some(format!("{r}/{}", self.done)),
                None => d.reference(),
            },
            ..self.base.clone()
        });
    }
}

/// A TxDtls's own amount (`Amt`, else `AmtDtls/TxAmt/Amt`) with its currency
/// and the sign its indicator gives.
fn tx_amount(tx: &Node) -> Option<TxAmount> {
    let amt = tx.child("Amt").or_else(|| tx.path(&["AmtDtls", "TxAmt", "Amt"]))?;
    let value = util::decimal(amt.text.trim())?;
    let sign = match tx.text_at(&["CdtDbtInd"]) {
        Some("CRDT") => Some(Decimal::ONE),
        Some("DBIT") => Some(Decimal::NEGATIVE_ONE),
        _ => None,
    };
    Some((value, amt.attr("Ccy").and_then(util::currency), sign))
}

/// Signed amounts for a batch's transactions, only when every one has an
/// amount in the entry's currency and together they make the entry amount:
/// splitting otherwise would change what the account moved.
fn batch_amounts(
    txs: &[TxAmount],
    entry_amount: Decimal,
    entry_currency: Option<Currency>,
    ctx: &Ctx,
) -> Option<Vec<Decimal>> {
    let entry_sign = if entry_amount.is_sign_negative() { Decimal::NEGATIVE_ONE } else { Decimal::ONE };
    let mut parts = Vec::with_capacity(txs.len());
    for (value, ccy, sign) in txs {
        if ccy.or(ctx.currency) != entry_currency {
            return None;
        }
        parts.push(value * sign.unwrap_or(entry_sign));
    }
    (parts.iter().copied().sum::<Decimal>() == entry_amount).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert!(sniff("<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">"));
        assert!(sniff("<Document><BkToCstmrAcctRpt>"));
        assert!(!sniff("<OFX>"));
    }

    /// The whole document as one tree.
    struct Tree(Capture);

    impl Handler for Tree {
        fn start(&mut self, e: &BytesStart<'_>, line: usize, _depth: usize, _pos: usize) {
            open_in(&mut self.0, e, line);
        }
        fn text(&mut self, s: &str) {
            self.0.text(s);
        }
        fn end(&mut self, _depth: usize, _pos: usize) {
            self.0.close();
        }
    }

    #[test]
    fn entities_are_not_expanded() {
        let xml = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<Document><BkToCstmrStmt><Stmt><Ntry><AddtlNtryInf>&lol2; &amp; &#233;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>"#;
        let mut d = Diagnostics::new();
        let mut tree = Tree(Capture::new(Node::new("#document", 1)));
        walk(xml, 1, &mut tree, &mut d);
        let root = tree.0.close().expect("the document");
        let info = root.find("AddtlNtryInf").map(|n| n.text.as_str());
        assert_eq!(info, Some("&lol2; & é"));
        assert!(d.iter().all(|d| d.severity == crate::Severity::Warning), "{d:?}");
    }
}
