//! OFX 1.x (SGML), OFX 2.x (XML) and QFX statements: bank and credit-card
//! transactions, balances and investment transactions.
//!
//! One tolerant tokenizer reads both dialects instead of rewriting SGML into
//! XML for a strict XML parser: real files mix the two (an XML header over an
//! SGML body, closed and unclosed leaves in one file, a list whose closing tag
//! is missing), and a strict parser would reject exactly the files banks
//! actually send. The rules:
//!
//! * a tag followed by text is a leaf; its `</TAG>`, if any, is skipped;
//! * a closing tag closes everything opened since its opening tag; a closing
//!   tag that matches nothing open is ignored;
//! * entities (`&amp;`, `&#233;`, and one level of double escaping such as
//!   `&amp;lt;`) are decoded; nothing is ever expanded from a DTD.
//!
//! The tokenizer streams: it holds only the open elements and reports each
//! opening, text and closing to a [`Sink`]. The statement reader builds an
//! element tree only for what one entry needs — a transaction, an investment
//! transaction, a balance, the account — reads it and drops it, so memory
//! follows the largest entry, not the file (issue 14: a tree of the whole
//! file took 36× its size). Each scan goes forward from where the last one
//! stopped, so the work is linear in the file (a `<` used to search the rest
//! of the file for its `>`, which made 800 KB of `<` take 30 s).
//!
//! Values are looked up by descendant name within each entry, which survives
//! aggregates nested one level off.

use std::collections::HashMap;

use jiff::civil::Date;
use kassa_core::{AccountKind, Currency};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::Diagnostics;
use crate::decode::decode;
use crate::model::{
    AccountHint, Diagnostic, Format, ParsedFile, RowStatus, StatementBalance, StatementRow, TradeDetail, TradeRow,
    TradeSide,
};
use crate::util::{self, Capture, LineCounter, MAX_DEPTH, MAX_NAME, MAX_NODES, MAX_TEXT, Node};
use crate::work;

/// True when the text looks like OFX or QFX: an SGML header or an `<OFX>` root
/// near the start.
pub fn sniff(text: &str) -> bool {
    let head = util::clip(text, 4096).to_ascii_uppercase();
    head.contains("OFXHEADER") || head.contains("<OFX>")
}

/// Parses an OFX/QFX file. Never fails: problems become diagnostics.
pub fn parse(bytes: &[u8]) -> ParsedFile {
    let decoded = decode(bytes, None);
    let mut out = ParsedFile::new(Format::Ofx, decoded.encoding);
    let text = decoded.text.as_str();
    let Some(start) = find_ofx_root(text) else {
        out.diagnostics.push(Diagnostic::error(1, None, "no <OFX> element: not an OFX file"));
        return out;
    };
    // The SECLIST that names an investment statement's securities follows
    // the statement, so a first pass collects it (its diagnostics are the
    // second pass's too, and dropped).
    let mut securities = Securities::default();
    tokenize(text, start, &mut securities, &mut Diagnostics::new());
    let mut statements = Statements { securities: securities.found, org: securities.org, ..Statements::default() };
    tokenize(text, start, &mut statements, &mut out.diagnostics);
    statements.finish(&mut out);
    out
}

fn find_ofx_root(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'<', &bytes[from..]) {
        work::add(i + 1);
        let at = from + i;
        let rest = &bytes[at + 1..];
        if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"OFX") {
            let next = rest.get(3).copied();
            if matches!(next, Some(b'>' | b' ' | b'\t' | b'\n') | None) {
                return Some(at);
            }
        }
        from = at + 1;
    }
    work::add(bytes.len() - from);
    None
}

/// What the tokenizer reports, in document order. Depth 1 is a child of the
/// document; an element's events all come at its own depth.
trait Sink {
    fn open(&mut self, name: &str, line: usize, depth: usize);
    /// Text (entities decoded) of the element open at `depth`.
    fn text(&mut self, text: &str, depth: usize);
    fn close(&mut self, depth: usize);
}

/// An open element as the tokenizer tracks it: enough to apply the SGML
/// rules, nothing of its content.
struct Frame {
    name: String,
    /// Bytes of text it holds (`0`: none, so it is not a finished leaf).
    text: usize,
    /// A child has closed inside it: later text belongs to nothing.
    children: bool,
}

/// Reads `text[start..]` by the rules in the module comment, reporting to
/// `sink`. Every scan starts where the previous one ended.
fn tokenize(text: &str, start: usize, sink: &mut impl Sink, diags: &mut Diagnostics) {
    let bytes = text.as_bytes();
    // Whether a `<` has any `>` after it, without searching the rest of the
    // file from every `<`.
    let last_gt = memchr::memrchr(b'>', bytes);
    work::add(bytes.len() - last_gt.unwrap_or(0));
    let mut lines = LineCounter::new(text);
    let mut stack = vec![Frame { name: String::new(), text: 0, children: false }];
    let mut pos = start;
    while pos < bytes.len() {
        let Some(lt) = memchr::memchr(b'<', &bytes[pos..]).map(|i| pos + i) else {
            work::add(bytes.len() - pos);
            break;
        };
        work::add(lt + 1 - pos);
        if lt > pos {
            let raw = &text[pos..lt];
            if !raw.trim().is_empty() {
                let ln = lines.line(pos);
                add_text(&mut stack, raw, ln, sink, diags);
            }
        }
        let ln = lines.line(lt);
        let rest = &bytes[lt..];
        if rest.starts_with(b"<!--") {
            let end = memchr::memmem::find(rest, b"-->");
            work::add(end.map_or(rest.len(), |i| i + 3));
            pos = end.map_or(bytes.len(), |i| lt + i + 3);
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            // DOCTYPE, CDATA-less declarations and processing instructions carry
            // nothing OFX needs; a DOCTYPE is skipped, never interpreted.
            let end = memchr::memchr(b'>', rest);
            work::add(end.map_or(rest.len(), |i| i + 1));
            pos = end.map_or(bytes.len(), |i| lt + i + 1);
            continue;
        }
        if last_gt.is_none_or(|g| g < lt) {
            diags.push(Diagnostic::error(ln, None, "unterminated tag at end of file"));
            break;
        }
        // A `<` inside text (`AT&T <br`) meets another `<` before any `>`.
        let stop = lt + 1 + memchr::memchr2(b'<', b'>', &rest[1..]).unwrap_or(rest.len() - 1);
        work::add(stop - lt);
        if bytes.get(stop) != Some(&b'>') {
            add_text(&mut stack, &text[lt..stop], ln, sink, diags);
            pos = stop;
            continue;
        }
        let inner = text[lt + 1..stop].trim();
        work::add(inner.len());
        pos = stop + 1;
        if let Some(name) = inner.strip_prefix('/') {
            close(&mut stack, &tag_name(name), sink);
            continue;
        }
        let self_closing = inner.ends_with('/');
        let name = tag_name(inner.trim_end_matches('/'));
        if name.is_empty() {
            continue;
        }
        // A leaf that already has text is complete: SGML never closes it.
        if stack.len() > 1 && stack.last().is_some_and(|f| f.text > 0) {
            pop(&mut stack, sink);
        }
        if stack.len() > MAX_DEPTH {
            diags.push(Diagnostic::error(
                ln,
                Some(&name),
                format!("elements nested deeper than {MAX_DEPTH} levels; rest of file ignored"),
            ));
            break;
        }
        let depth = stack.len();
        sink.open(&name, ln, depth);
        if self_closing {
            sink.close(depth);
            if let Some(top) = stack.last_mut() {
                top.children = true;
            }
        } else {
            stack.push(Frame { name, text: 0, children: false });
        }
    }
    while stack.len() > 1 {
        pop(&mut stack, sink);
    }
}

fn tag_name(inner: &str) -> String {
    let name = inner.split(|c: char| c.is_whitespace()).next().unwrap_or("");
    util::clip(name, MAX_NAME).to_ascii_uppercase()
}

fn add_text(stack: &mut [Frame], raw: &str, line: usize, sink: &mut impl Sink, diags: &mut Diagnostics) {
    let depth = stack.len() - 1;
    let Some(top) = stack.last_mut() else { return };
    if depth == 0 || top.children {
        // Text between aggregates (or after a closed leaf) belongs to nothing.
        return;
    }
    if top.text + raw.len() > MAX_TEXT {
        diags.push(Diagnostic::error(line, Some(&top.name), format!("value longer than {MAX_TEXT} bytes; ignored")));
        return;
    }
    let value = unescape(raw.trim());
    top.text += value.len();
    sink.text(&value, depth);
}

fn pop(stack: &mut Vec<Frame>, sink: &mut impl Sink) {
    if stack.len() > 1 {
        sink.close(stack.len() - 1);
        stack.pop();
        if let Some(parent) = stack.last_mut() {
            parent.children = true;
        }
    }
}

/// Closes `name` and everything opened inside it; ignores a stray close tag.
fn close(stack: &mut Vec<Frame>, name: &str, sink: &mut impl Sink) {
    work::add(stack.len());
    if let Some(i) = stack.iter().rposition(|f| f.name == name)
        && i > 0
    {
        while stack.len() > i {
            pop(stack, sink);
        }
    }
}

/// Decodes entities. Banks double-escape (`&amp;lt;`), so a second pass runs
/// when the first produced another entity; never more, so `&amp;amp;amp;`
/// cannot grow work without bound.
fn unescape(s: &str) -> String {
    work::add(s.len());
    let once = unescape_once(s);
    if once.contains('&') && once != s { unescape_once(&once) } else { once }
}

fn unescape_once(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..].find(|c: char| c == ';' || c == '&' || c.is_whitespace()).map(|j| j + 1);
        let decoded = match end {
            Some(e) if rest.as_bytes()[e] == b';' && e <= 10 => entity(&rest[1..e]).map(|c| (c, e + 1)),
            _ => None,
        };
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code).filter(|c| *c != '\0')
        }
    }
}

/// What a SECLIST says about one security.
#[derive(Debug, Clone, Default)]
struct Security {
    ticker: Option<String>,
    name: Option<String>,
}

/// Securities by UNIQUEID.
type SecList = HashMap<String, Security>;

/// Pass one: every SECINFO aggregate, UNIQUEID → TICKER and SECNAME, and
/// the sign-on's `<FI><ORG>`, the institution's name.
#[derive(Default)]
struct Securities {
    found: SecList,
    capture: Option<Capture>,
    /// Inside an `<ORG>` element (outside any SECINFO).
    in_org: bool,
    org: Option<String>,
}

impl Sink for Securities {
    fn open(&mut self, name: &str, line: usize, _depth: usize) {
        self.in_org = false;
        match &mut self.capture {
            Some(c) => c.open(Node::new(name, line)),
            None if name == "SECINFO" => self.capture = Some(Capture::new(Node::new(name, line))),
            None => self.in_org = name == "ORG" && self.org.is_none(),
        }
    }

    fn text(&mut self, text: &str, _depth: usize) {
        if let Some(c) = &mut self.capture {
            c.text(text);
        } else if self.in_org && !text.trim().is_empty() {
            self.org = Some(util::clip(text.trim(), MAX_NAME_TEXT).to_string());
        }
    }

    fn close(&mut self, _depth: usize) {
        self.in_org = false;
        if let Some(info) = self.capture.as_mut().and_then(Capture::close) {
            self.capture = None;
            if let Some(id) = info.find_text("UNIQUEID") {
                let text = |tag| info.find_text(tag).map(str::to_string);
                self.found.insert(id.to_string(), Security { ticker: text("TICKER"), name: text("SECNAME") });
            }
        }
    }
}

/// The longest institution name kept from `<ORG>`: a name, not a text.
const MAX_NAME_TEXT: usize = 80;

/// The statement aggregates, in the order their output is listed.
const KINDS: [&str; 3] = ["STMTRS", "CCSTMTRS", "INVSTMTRS"];
const INVESTMENT: usize = 2;

/// Parts of a statement read from their first occurrence anywhere inside it.
/// The last two matter to investment statements only.
const FIRSTS: [&str; 8] =
    ["CURDEF", "BANKACCTFROM", "CCACCTFROM", "INVACCTFROM", "LEDGERBAL", "AVAILBAL", "INVBAL", "DTASOF"];
const CURDEF: usize = 0;
const LEDGERBAL: usize = 4;
const AVAILBAL: usize = 5;
const INVBAL: usize = 6;
const DTASOF: usize = 7;

/// What a captured subtree is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A STMTTRN (not one inside another).
    Transaction,
    /// A child of the statement's first INVTRANLIST.
    Investment,
    /// The first element named `FIRSTS[i]`.
    First(usize),
}

struct Entry {
    role: Role,
    capture: Capture,
}

/// The statement being read. Rows are made as their transactions close and
/// get the account and currency when the statement closes, wherever inside
/// it those were written.
struct Statement {
    kind: usize,
    depth: usize,
    firsts: [Option<Node>; 8],
    seen: [bool; 8],
    /// Depth of the open first INVTRANLIST, whose children are transactions.
    list: Option<usize>,
    list_seen: bool,
    transactions: Out,
    investments: Out,
}

/// Pass two: statements, each entry as a subtree of its own.
#[derive(Default)]
struct Statements {
    securities: SecList,
    statement: Option<Statement>,
    entries: Vec<Entry>,
    /// Output per statement kind.
    kinds: [Out; 3],
    /// The sign-on's institution name (pass one found it).
    org: Option<String>,
    found: bool,
    first_line: Option<usize>,
}

impl Sink for Statements {
    fn open(&mut self, name: &str, line: usize, depth: usize) {
        if depth == 1 && self.first_line.is_none() {
            self.first_line = Some(line);
        }
        let Some(st) = &mut self.statement else {
            if let Some(kind) = KINDS.iter().position(|k| *k == name) {
                self.found = true;
                self.statement = Some(Statement {
                    kind,
                    depth,
                    firsts: Default::default(),
                    seen: [false; 8],
                    list: None,
                    list_seen: false,
                    transactions: Out::default(),
                    investments: Out::default(),
                });
            }
            return;
        };
        work::add(self.entries.len());
        for e in &mut self.entries {
            e.capture.open(Node::new(name, line));
        }
        let in_transaction = self.entries.iter().any(|e| e.role == Role::Transaction);
        let mut start = |role| self.entries.push(Entry { role, capture: Capture::new(Node::new(name, line)) });
        if name == "STMTTRN" && !in_transaction {
            start(Role::Transaction);
        }
        if st.list.is_some_and(|d| d + 1 == depth) {
            start(Role::Investment);
        }
        if name == "INVTRANLIST" && st.kind == INVESTMENT && !st.list_seen {
            st.list_seen = true;
            st.list = Some(depth);
        }
        if let Some(i) = FIRSTS.iter().position(|f| *f == name)
            && !st.seen[i]
            && (i < INVBAL || st.kind == INVESTMENT)
        {
            st.seen[i] = true;
            start(Role::First(i));
        }
    }

    fn text(&mut self, text: &str, _depth: usize) {
        for e in &mut self.entries {
            e.capture.text(text);
        }
    }

    fn close(&mut self, depth: usize) {
        let Some(st) = &mut self.statement else { return };
        work::add(self.entries.len());
        let mut i = 0;
        while i < self.entries.len() {
            let Some(node) = self.entries[i].capture.close() else {
                i += 1;
                continue;
            };
            let entry = self.entries.remove(i);
            let out = match entry.role {
                Role::Transaction => &mut st.transactions,
                Role::Investment | Role::First(_) => &mut st.investments,
            };
            if entry.capture.overflowed {
                out.diagnostics.push(Diagnostic::warning(
                    node.line,
                    Some(&node.name),
                    format!("{} holds more than {MAX_NODES} elements; the rest are ignored", node.name),
                ));
            }
            match entry.role {
                Role::Transaction => out.bank_transaction(&node),
                Role::Investment => out.investment_transaction(&self.securities, &node),
                Role::First(f) => st.firsts[f] = Some(node),
            }
        }
        if st.list == Some(depth) {
            st.list = None;
        }
        if st.depth == depth
            && let Some(st) = self.statement.take()
        {
            let kind = st.kind;
            self.kinds[kind].append(st.finish(self.org.as_deref()));
        }
    }
}

impl Statements {
    fn finish(self, file: &mut ParsedFile) {
        if !self.found {
            file.diagnostics.push(Diagnostic::warning(
                self.first_line.unwrap_or(1),
                None,
                "no STMTRS, CCSTMTRS or INVSTMTRS statement in the file",
            ));
        }
        for out in self.kinds {
            util::append(&mut file.rows, out.rows);
            util::append(&mut file.trades, out.trades);
            util::append(&mut file.balances, out.balances);
            file.diagnostics.append(out.diagnostics);
        }
        file.rows.sort_by_key(|r| r.line);
        file.trades.sort_by_key(|t| t.line);
    }
}

/// What each statement says about its account.
struct Stmt {
    account: AccountHint,
    currency: Option<Currency>,
}

impl Statement {
    /// The statement's output in the order of its parts: the currency, the
    /// transactions, the investment transactions, the balances. `org` is the
    /// institution's name from the sign-on.
    fn finish(self, org: Option<&str>) -> Out {
        let mut out = Out::default();
        let firsts = &self.firsts;
        let currency = out.currency_of(KINDS[self.kind], firsts[CURDEF].as_ref());
        let from = firsts[1..4].iter().find_map(Option::as_ref);
        let account = AccountHint {
            number: from.and_then(|f| f.find_text("ACCTID")).map(str::to_string),
            account_ref: None,
            institution: from
                .and_then(|f| f.find_text("BANKID").or_else(|| f.find_text("BROKERID")))
                .map(str::to_string),
            currency,
            bank: org.map(str::to_string),
            name: None,
            kind: account_kind(self.kind, from.and_then(|f| f.find_text("ACCTTYPE"))),
        };
        let ctx = Stmt { account, currency };
        out.append(self.transactions);
        out.append(self.investments);
        if let Some(bal) = &firsts[INVBAL]
            && let Some(cash) = bal.child("AVAILCASH")
        {
            out.balance_value(&ctx, cash, firsts[DTASOF].as_ref(), "available");
        }
        for (i, kind) in [(LEDGERBAL, "closing"), (AVAILBAL, "available")] {
            if let Some(bal) = &firsts[i] {
                out.balance(&ctx, bal, kind);
            }
        }
        for row in &mut out.rows {
            row.account = ctx.account.clone();
            row.currency = row.currency.or(ctx.currency);
            // Investment statements write cash to 4 places (issue 15: Fidelity's
            // `115.8331`); an account holds its currency's minor units, so the
            // row is booked rounded, half to even, and says so.
            if let Some(c) = row.currency
                && row.amount.normalize().scale() > c.minor_units()
            {
                let booked = row.amount.round_dp_with_strategy(c.minor_units(), RoundingStrategy::MidpointNearestEven);
                out.diagnostics.push(Diagnostic::warning(
                    row.line,
                    Some("amount"),
                    format!("{} has more decimals than {c} has; booked as {booked}", row.amount),
                ));
                row.amount = booked;
            }
        }
        for trade in &mut out.trades {
            trade.account = ctx.account.clone();
            trade.currency = trade.currency.or(ctx.currency);
        }
        out
    }
}

/// The account kind a statement describes: a credit-card statement is a
/// card, an investment statement a brokerage account; a bank statement's
/// `ACCTTYPE` says the rest (a CREDITLINE is a card's revolving credit).
fn account_kind(statement: usize, acct_type: Option<&str>) -> Option<AccountKind> {
    match (KINDS[statement], acct_type.map(|t| t.trim().to_ascii_uppercase())) {
        ("CCSTMTRS", _) => Some(AccountKind::CreditCard),
        ("INVSTMTRS", _) => Some(AccountKind::Brokerage),
        (_, Some(t)) => match t.as_str() {
            "CHECKING" => Some(AccountKind::Checking),
            "SAVINGS" | "MONEYMRKT" | "CD" => Some(AccountKind::Savings),
            "CREDITLINE" => Some(AccountKind::CreditCard),
            _ => None,
        },
        _ => None,
    }
}

/// Rows, trades, balances and diagnostics of one part of the file, kept
/// apart until the part ends so the file's output keeps a fixed order: per
/// statement kind, and within a statement the order of [`Statement::finish`].
#[derive(Default)]
struct Out {
    rows: Vec<StatementRow>,
    trades: Vec<TradeRow>,
    balances: Vec<StatementBalance>,
    diagnostics: Diagnostics,
}

impl Out {
    fn append(&mut self, other: Out) {
        util::append(&mut self.rows, other.rows);
        util::append(&mut self.trades, other.trades);
        util::append(&mut self.balances, other.balances);
        self.diagnostics.append(other.diagnostics);
    }

    fn currency_of(&mut self, stmt: &str, cur: Option<&Node>) -> Option<Currency> {
        let cur = cur?;
        let code = cur.text.trim();
        if code.is_empty() {
            return None;
        }
        let parsed = util::currency(code);
        if parsed.is_none() {
            self.diagnostics.push(Diagnostic::warning(
                cur.line,
                Some(&cur.name),
                format!("unknown currency {:?} in {stmt}; amounts kept without currency", util::clip(code, 40)),
            ));
        }
        parsed
    }

    /// A STMTTRN as a row; account and statement currency come later.
    fn bank_transaction(&mut self, trn: &Node) {
        let line = trn.line;
        if trn.find_text("CORRECTACTION").is_some_and(|a| a.eq_ignore_ascii_case("DELETE")) {
            self.diagnostics.push(Diagnostic::warning(
                line,
                Some("CORRECTACTION"),
                "correction deleting an earlier transaction; not imported",
            ));
            return;
        }
        let Some(amount) = self.amount(trn, "TRNAMT", true) else {
            return;
        };
        let Some(date) = self.date(trn, "DTPOSTED", true) else {
            return;
        };
        let value_date = self.date(trn, "DTAVAIL", false);
        let name = trn.find("PAYEE").and_then(|p| p.find_text("NAME")).or_else(|| trn.find_text("NAME"));
        let memo = trn.find_text("MEMO");
        let currency = trn.find("CURRENCY").and_then(|c| c.find_text("CURSYM")).and_then(util::currency);
        self.rows.push(StatementRow {
            line,
            account: AccountHint::default(),
            date,
            value_date,
            amount,
            currency,
            description: util::join_distinct([name.unwrap_or(""), memo.unwrap_or("")], " - "),
            counterparty: name.map(str::to_string),
            counterparty_account: None,
            external_id: trn.find_text("FITID").map(str::to_string),
            status: RowStatus::Booked,
            category: None,
            section: None,
            transfer_group: None,
            balance_after: None,
        });
    }

    /// INVTRANLIST children. BUY*/SELL* are trades; REINVEST is the income
    /// and the buy it paid for; INCOME is a dividend (DIV, CGLONG, CGSHORT,
    /// MISC) or interest; INVEXPENSE a fee on the instrument; SPLIT and
    /// TRANSFER move shares and no cash. RETOFCAP and MARGININTEREST, cash
    /// with no trade kind of their own, become rows; INVBANKTRAN's STMTTRN
    /// is read as a bank transaction.
    fn investment_transaction(&mut self, securities: &SecList, tx: &Node) {
        let name = tx.name.as_str();
        let side = match name {
            "BUYSTOCK" | "BUYMF" | "BUYDEBT" | "BUYOPT" | "BUYOTHER" => Some(TradeSide::Buy),
            "SELLSTOCK" | "SELLMF" | "SELLDEBT" | "SELLOPT" | "SELLOTHER" => Some(TradeSide::Sell),
            _ => None,
        };
        if let Some(side) = side {
            if let Some(t) = self.trade(securities, tx, side) {
                self.trades.push(t);
            }
            return;
        }
        match name {
            "INVBANKTRAN" | "DTSTART" | "DTEND" => {}
            "REINVEST" => self.reinvest(securities, tx),
            "INCOME" => {
                if let Some(t) = self.income(securities, tx) {
                    self.trades.push(t);
                }
            }
            "INVEXPENSE" => self.expense(securities, tx),
            "SPLIT" => self.split(securities, tx),
            "TRANSFER" => self.transfer(securities, tx),
            "MARGININTEREST" | "RETOFCAP" => self.cash_from_investment(securities, tx),
            _ => self.diagnostics.push(Diagnostic::warning(
                tx.line,
                Some(name),
                format!("{name} is no trade kassa reads; not imported"),
            )),
        }
    }

    /// The date, time, security and id every investment transaction has.
    fn base(&mut self, securities: &SecList, tx: &Node, side: TradeSide) -> Option<TradeRow> {
        let date = self.date(tx, "DTTRADE", true)?;
        let sec = security(securities, tx);
        let currency = tx
            .find("CURRENCY")
            .or_else(|| tx.find("ORIGCURRENCY"))
            .and_then(|c| c.find_text("CURSYM"))
            .and_then(util::currency);
        Some(TradeRow {
            line: tx.line,
            account: AccountHint::default(),
            trade_time: tx.find_text("DTTRADE").map(iso_time).unwrap_or_else(|| date.to_string()),
            date,
            symbol: sec.symbol,
            isin: sec.isin,
            side,
            quantity: Decimal::ZERO,
            price: Decimal::ZERO,
            fees: Decimal::ZERO,
            currency,
            external_id: tx.find("INVTRAN").and_then(|i| i.find_text("FITID")).map(str::to_string),
            detail: TradeDetail { name: sec.name, ..TradeDetail::default() },
        })
    }

    /// A required number that must not be below zero.
    fn not_negative(&mut self, tx: &Node, tag: &str) -> Option<Decimal> {
        let v = self.amount(tx, tag, true)?;
        if v < Decimal::ZERO {
            self.diagnostics.push(Diagnostic::error(
                tx.find(tag).map_or(tx.line, |n| n.line),
                Some(tag),
                format!("{tag} must not be negative: {v}; row skipped"),
            ));
            return None;
        }
        Some(v)
    }

    fn trade(&mut self, securities: &SecList, tx: &Node, side: TradeSide) -> Option<TradeRow> {
        let mut t = self.base(securities, tx, side)?;
        let units = self.amount(tx, "UNITS", true)?;
        let price = self.not_negative(tx, "UNITPRICE")?;
        for tag in ["COMMISSION", "FEES", "TAXES", "LOAD"] {
            if let Some(v) = self.amount(tx, tag, false) {
                t.fees += v;
            }
        }
        // Sells are written with negative or positive UNITS; a buy of fewer than no shares is broken.
        if units.is_zero() || (side == TradeSide::Buy && units < Decimal::ZERO) {
            self.diagnostics.push(Diagnostic::error(
                tx.find("UNITS").map_or(tx.line, |n| n.line),
                Some("UNITS"),
                format!("UNITS of a buy must be above zero: {units}; row skipped"),
            ));
            return None;
        }
        t.quantity = units.abs();
        t.price = price;
        // TOTAL is the cash the trade moved, exact to the file's places.
        t.detail.cash_amount = self.amount(tx, "TOTAL", false);
        Some(t)
    }

    /// REINVEST: the income (cash in) and the buy it paid for (cash out).
    fn reinvest(&mut self, securities: &SecList, tx: &Node) {
        let Some(income) = self.income(securities, tx) else { return };
        let Some(mut buy) = self.trade(securities, tx, TradeSide::Buy) else { return };
        buy.detail.cash_amount = income.detail.amount.map(|a| -a);
        self.trades.push(income);
        self.trades.push(buy);
    }

    /// INCOME (and the income half of REINVEST): TOTAL gross, WITHHOLDING
    /// kept back.
    fn income(&mut self, securities: &SecList, tx: &Node) -> Option<TradeRow> {
        let kind = tx.find_text("INCOMETYPE").unwrap_or("DIV").to_ascii_uppercase();
        let side = if kind == "INTEREST" { TradeSide::Interest } else { TradeSide::Dividend };
        let mut t = self.base(securities, tx, side)?;
        // REINVEST writes the income as the (negative) price of the shares.
        let total = self.amount(tx, "TOTAL", true)?.abs();
        t.detail.amount = Some(total);
        t.detail.withholding_tax = self.amount(tx, "WITHHOLDING", false).unwrap_or_default().abs();
        Some(t)
    }

    /// INVEXPENSE: a fee on the instrument, TOTAL out of the cash.
    fn expense(&mut self, securities: &SecList, tx: &Node) {
        let Some(mut t) = self.base(securities, tx, TradeSide::Fee) else { return };
        let Some(total) = self.amount(tx, "TOTAL", true) else { return };
        t.detail.amount = Some(-total.abs());
        self.trades.push(t);
    }

    /// SPLIT: NUMERATOR new shares for DENOMINATOR old ones.
    fn split(&mut self, securities: &SecList, tx: &Node) {
        let Some(mut t) = self.base(securities, tx, TradeSide::Split) else { return };
        let (Some(num), Some(den)) = (self.not_negative(tx, "NUMERATOR"), self.not_negative(tx, "DENOMINATOR")) else {
            return;
        };
        if num.is_zero() || den.is_zero() {
            self.diagnostics.push(Diagnostic::error(
                tx.line,
                Some(if num.is_zero() { "NUMERATOR" } else { "DENOMINATOR" }),
                format!("split {num}:{den} has a zero side; row skipped"),
            ));
            return;
        }
        t.detail.ratio = Some(num / den);
        self.trades.push(t);
    }

    /// TRANSFER: shares in or out (TFERACTION), AVGCOSTBASIS per unit.
    fn transfer(&mut self, securities: &SecList, tx: &Node) {
        let action = tx.find_text("TFERACTION").unwrap_or("").to_ascii_uppercase();
        let side = match action.as_str() {
            "IN" => TradeSide::TransferIn,
            "OUT" => TradeSide::TransferOut,
            _ => {
                self.diagnostics.push(Diagnostic::error(
                    tx.line,
                    Some("TFERACTION"),
                    format!("TFERACTION must be IN or OUT, found {:?}; row skipped", util::clip(&action, 40)),
                ));
                return;
            }
        };
        let Some(mut t) = self.base(securities, tx, side) else { return };
        let Some(units) = self.amount(tx, "UNITS", true) else { return };
        t.quantity = units.abs();
        if let Some(price) = self.amount(tx, "UNITPRICE", false) {
            t.price = price;
        }
        if let Some(avg) = self.amount(tx, "AVGCOSTBASIS", false) {
            t.detail.cost_basis = Some(avg * t.quantity);
        }
        self.trades.push(t);
    }

    fn cash_from_investment(&mut self, securities: &SecList, tx: &Node) {
        let line = tx.line;
        let Some(date) = self.date(tx, "DTTRADE", true) else {
            return;
        };
        let Some(amount) = self.amount(tx, "TOTAL", true) else {
            return;
        };
        let symbol = security(securities, tx).symbol;
        let value_date = self.date(tx, "DTSETTLE", false);
        let kind = tx.name.as_str();
        let memo = tx.find_text("MEMO").unwrap_or("");
        let label = match symbol {
            Some(s) => format!("{kind} {s}"),
            None => kind.to_string(),
        };
        self.rows.push(StatementRow {
            line,
            account: AccountHint::default(),
            date,
            value_date,
            amount,
            // The statement's currency, set when it closes.
            currency: None,
            description: util::join_distinct([label.as_str(), memo], " - "),
            counterparty: None,
            counterparty_account: None,
            external_id: tx.find_text("FITID").map(str::to_string),
            status: RowStatus::Booked,
            category: None,
            section: None,
            transfer_group: None,
            balance_after: None,
        });
    }

    fn balance(&mut self, ctx: &Stmt, bal: &Node, kind: &str) {
        let amount = bal.find("BALAMT");
        self.balance_value_opt(ctx, bal, amount, bal.find("DTASOF"), kind);
    }

    fn balance_value(&mut self, ctx: &Stmt, amount: &Node, asof: Option<&Node>, kind: &str) {
        self.balance_value_opt(ctx, amount, Some(amount), asof, kind);
    }

    fn balance_value_opt(&mut self, ctx: &Stmt, at: &Node, amount: Option<&Node>, asof: Option<&Node>, kind: &str) {
        let amount_text = amount.map(|n| n.text.trim()).unwrap_or("");
        let date_text = asof.map(|n| n.text.trim()).unwrap_or("");
        if amount_text.is_empty() || date_text.is_empty() {
            // A balance is a check, not data: an empty one loses nothing.
            self.diagnostics.push(Diagnostic::warning(
                at.line,
                Some(&at.name),
                "balance without amount or date; skipped",
            ));
            return;
        }
        let (Some(value), Some(date)) = (util::decimal(amount_text), ofx_date(date_text)) else {
            self.diagnostics.push(Diagnostic::warning(
                at.line,
                Some(&at.name),
                format!(
                    "unreadable balance {:?} as of {:?}; skipped",
                    util::clip(amount_text, 40),
                    util::clip(date_text, 40)
                ),
            ));
            return;
        };
        self.balances.push(StatementBalance {
            account: ctx.account.clone(),
            date,
            amount: value,
            currency: ctx.currency,
            kind: kind.to_string(),
        });
    }

    /// The decimal in descendant `tag`; an error diagnostic when `required`
    /// and missing, and always when present but unreadable.
    fn amount(&mut self, node: &Node, tag: &str, required: bool) -> Option<Decimal> {
        let found = node.find(tag);
        let text = found.map(|n| n.text.trim()).unwrap_or("");
        if text.is_empty() {
            if required {
                self.diagnostics.push(Diagnostic::error(
                    node.line,
                    Some(tag),
                    format!("{} without {tag}; row skipped", node.name),
                ));
            }
            return None;
        }
        let value = util::decimal(text);
        if value.is_none() {
            self.diagnostics.push(Diagnostic::error(
                found.map_or(node.line, |n| n.line),
                Some(tag),
                format!("not a number: {:?}; row skipped", util::clip(text, 40)),
            ));
        }
        value
    }

    fn date(&mut self, node: &Node, tag: &str, required: bool) -> Option<Date> {
        let found = node.find(tag);
        let text = found.map(|n| n.text.trim()).unwrap_or("");
        if text.is_empty() {
            if required {
                self.diagnostics.push(Diagnostic::error(
                    node.line,
                    Some(tag),
                    format!("{} without {tag}; row skipped", node.name),
                ));
            }
            return None;
        }
        let value = ofx_date(text);
        if value.is_none() && required {
            self.diagnostics.push(Diagnostic::error(
                found.map_or(node.line, |n| n.line),
                Some(tag),
                format!("not a date: {:?}; row skipped", util::clip(text, 40)),
            ));
        }
        value
    }
}

/// What a transaction's SECID names.
struct SecurityRef {
    /// The SECLIST ticker, else the id itself (a CUSIP is the best symbol there is).
    symbol: Option<String>,
    /// The id when UNIQUEIDTYPE says ISIN, as written (check digits are the
    /// instrument's business, not the parser's).
    isin: Option<String>,
    name: Option<String>,
}

fn security(securities: &SecList, tx: &Node) -> SecurityRef {
    let Some(secid) = tx.find("SECID") else {
        return SecurityRef { symbol: None, isin: None, name: None };
    };
    let id = secid.find_text("UNIQUEID");
    let kind = secid.find_text("UNIQUEIDTYPE").unwrap_or("");
    let known = id.and_then(|id| securities.get(id));
    SecurityRef {
        symbol: known.and_then(|s| s.ticker.clone()).or_else(|| id.map(str::to_string)),
        isin: id.filter(|_| kind.eq_ignore_ascii_case("ISIN")).map(str::to_string),
        name: known.and_then(|s| s.name.clone()),
    }
}

/// The civil date an OFX datetime was written with:
/// `YYYYMMDD[HHMMSS[.XXX]][[-5:EST]]`. The zone is not applied: the bank's own
/// calendar day is the one its statement shows.
pub(crate) fn ofx_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if s.len() < 8 || !s.as_bytes()[..8].is_ascii() {
        return None;
    }
    let tail = &s[8..];
    if tail.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    util::ymd(util::digits(&s[0..4])?, util::digits(&s[4..6])?, util::digits(&s[6..8])?)
}

/// An OFX datetime as ISO 8601 text, with its offset when it has one
/// (`20240105120000.000[-5:EST]` → `2024-01-05T12:00:00-05:00`).
fn iso_time(s: &str) -> String {
    let s = s.trim();
    let (stamp, zone) = match s.find('[') {
        Some(i) => (&s[..i], Some(s[i + 1..].trim_end_matches(']'))),
        None => (s, None),
    };
    let b = stamp.as_bytes();
    if b.len() < 8 || !b[..8].iter().all(u8::is_ascii_digit) {
        return s.to_string();
    }
    let mut out = format!("{}-{}-{}", &stamp[0..4], &stamp[4..6], &stamp[6..8]);
    if b.len() >= 14 && b[8..14].iter().all(u8::is_ascii_digit) {
        out.push_str(&format!("T{}:{}:{}", &stamp[8..10], &stamp[10..12], &stamp[12..14]));
        let offset = zone.and_then(|z| z.split(':').next()).and_then(offset_text);
        if let Some(o) = offset {
            out.push_str(&o);
        }
    }
    out
}

/// `-5` → `-05:00`, `+5.30` / `5.5` → `+05:30`.
fn offset_text(h: &str) -> Option<String> {
    let (sign, body) = match h.strip_prefix('-') {
        Some(b) => ('-', b),
        None => ('+', h.strip_prefix('+').unwrap_or(h)),
    };
    let (hours, minutes) = match body.split_once('.') {
        Some((hh, frac)) => {
            let mins = match frac {
                "5" | "50" => 30,
                "75" => 45,
                "25" => 15,
                _ => frac.parse::<u32>().ok().filter(|m| *m < 60)?,
            };
            (hh.parse::<u32>().ok()?, mins)
        }
        None => (body.parse::<u32>().ok()?, 0),
    };
    (hours <= 14).then(|| format!("{sign}{hours:02}:{minutes:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole document as one tree, as a capture under a synthetic root.
    struct Tree(Capture);

    impl Sink for Tree {
        fn open(&mut self, name: &str, line: usize, _depth: usize) {
            self.0.open(Node::new(name, line));
        }
        fn text(&mut self, text: &str, _depth: usize) {
            self.0.text(text);
        }
        fn close(&mut self, _depth: usize) {
            self.0.close();
        }
    }

    fn tree(s: &str) -> Node {
        let mut d = Diagnostics::new();
        let mut t = Tree(Capture::new(Node::new("#root", 1)));
        tokenize(s, 0, &mut t, &mut d);
        assert!(d.is_empty(), "{d:?}");
        t.0.close().expect("the root")
    }

    #[test]
    fn sgml_leaves_close_themselves() {
        let root = tree("<OFX><A><B>1<C>2</A><D>x</D>");
        let ofx = &root.children[0];
        assert_eq!(ofx.children.len(), 2);
        let a = &ofx.children[0];
        assert_eq!((a.children[0].text.as_str(), a.children[1].text.as_str()), ("1", "2"));
        assert_eq!(ofx.children[1].text, "x");
    }

    #[test]
    fn entities() {
        assert_eq!(unescape("B.C. HYDRO &amp; POWER"), "B.C. HYDRO & POWER");
        assert_eq!(unescape("TPAY &amp;lt;DEFTPYMT&amp;gt;"), "TPAY <DEFTPYMT>");
        assert_eq!(unescape("AT&T &#233;&#xE9; &bogus; &"), "AT&T éé &bogus; &");
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(ofx_date("20240105120000.000[-5:EST]"), Some(jiff::civil::date(2024, 1, 5)));
        assert_eq!(ofx_date("20240230"), None);
        assert_eq!(ofx_date("2024010"), None);
        // Found by the mutation fuzzer: a multi-byte char across byte 4.
        assert_eq!(ofx_date("202é0105"), None);
        assert_eq!(iso_time("20240105120000.000[-5:EST]"), "2024-01-05T12:00:00-05:00");
        assert_eq!(iso_time("20240105120000[5.30:IST]"), "2024-01-05T12:00:00+05:30");
        assert_eq!(iso_time("20240105"), "2024-01-05");
    }

    #[test]
    fn sniffing() {
        assert!(sniff("OFXHEADER:100\nDATA:OFXSGML"));
        assert!(sniff("<?xml version=\"1.0\"?><?OFX OFXHEADER=\"200\"?><OFX>"));
        assert!(!sniff("!Type:Bank\nD1/1/24"));
    }
}
