//! OFX 1.x (SGML), OFX 2.x (XML) and QFX statements: bank and credit-card
//! transactions, balances and investment transactions.
//!
//! One tolerant tokenizer reads both dialects into an element tree instead of
//! rewriting SGML into XML for a strict XML parser: real files mix the two
//! (an XML header over an SGML body, closed and unclosed leaves in one file,
//! a list whose closing tag is missing), and a strict parser would reject
//! exactly the files banks actually send. The rules:
//!
//! * a tag followed by text is a leaf; its `</TAG>`, if any, is skipped;
//! * a closing tag closes everything opened since its opening tag; a closing
//!   tag that matches nothing open is ignored;
//! * entities (`&amp;`, `&#233;`, and one level of double escaping such as
//!   `&amp;lt;`) are decoded; nothing is ever expanded from a DTD.
//!
//! Values are then looked up by descendant name within each statement, which
//! survives aggregates nested one level off.

use std::collections::HashMap;

use jiff::civil::Date;
use kassa_core::Currency;
use rust_decimal::Decimal;

use crate::decode::decode;
use crate::model::{
    AccountHint, Diagnostic, Format, ParsedFile, RowStatus, StatementBalance, StatementRow, TradeRow, TradeSide,
};
use crate::util::{self, MAX_DEPTH, MAX_TEXT, Node};

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
    let root = tokenize(text, start, &mut out.diagnostics);
    let mut reader = Reader { out, securities: securities(&root) };
    reader.statements(&root);
    reader.out
}

fn find_ofx_root(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find('<') {
        crate::work::add(i + 1);
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
    None
}

/// Builds the element tree from `text[start..]` (see the module comment for
/// the rules). The returned root is a synthetic node holding `<OFX>`.
fn tokenize(text: &str, start: usize, diags: &mut Vec<Diagnostic>) -> Node {
    let bytes = text.as_bytes();
    let mut line = 1 + bytes[..start].iter().filter(|b| **b == b'\n').count();
    let mut counted = start;
    let mut line_at = |pos: usize| {
        crate::work::add(pos - counted);
        line += bytes[counted..pos].iter().filter(|b| **b == b'\n').count();
        counted = pos;
        line
    };
    let mut stack: Vec<Node> = vec![Node::new("#root", 1)];
    let mut pos = start;
    while pos < bytes.len() {
        let Some(lt) = text[pos..].find('<').map(|i| pos + i) else {
            crate::work::add(bytes.len() - pos);
            break;
        };
        crate::work::add(lt + 1 - pos);
        if lt > pos {
            let raw = &text[pos..lt];
            if !raw.trim().is_empty() {
                let ln = line_at(pos);
                add_text(&mut stack, raw, ln, diags);
            }
        }
        let ln = line_at(lt);
        let rest = &text[lt..];
        if rest.starts_with("<!--") {
            pos = rest.find("-->").map_or(bytes.len(), |i| lt + i + 3);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            // DOCTYPE, CDATA-less declarations and processing instructions carry
            // nothing OFX needs; a DOCTYPE is skipped, never interpreted.
            pos = rest.find('>').map_or(bytes.len(), |i| lt + i + 1);
            continue;
        }
        crate::work::add(rest.find('>').unwrap_or(rest.len()));
        let Some(gt) = rest.find('>') else {
            diags.push(Diagnostic::error(ln, None, "unterminated tag at end of file"));
            break;
        };
        // A `<` inside text (`AT&T <br`) has no `>` before the next `<`.
        crate::work::add(rest[1..].find('<').unwrap_or(rest.len() - 1));
        if let Some(next_lt) = rest[1..].find('<')
            && next_lt + 1 < gt
        {
            add_text(&mut stack, &rest[..next_lt + 1], ln, diags);
            pos = lt + next_lt + 1;
            continue;
        }
        let inner = rest[1..gt].trim();
        pos = lt + gt + 1;
        if let Some(name) = inner.strip_prefix('/') {
            close(&mut stack, &tag_name(name));
            continue;
        }
        let self_closing = inner.ends_with('/');
        let name = tag_name(inner.trim_end_matches('/'));
        if name.is_empty() {
            continue;
        }
        // A leaf that already has text is complete: SGML never closes it.
        if stack.len() > 1 && stack.last().is_some_and(|n| !n.text.is_empty()) {
            pop(&mut stack);
        }
        if stack.len() > MAX_DEPTH {
            diags.push(Diagnostic::error(
                ln,
                Some(&name),
                format!("elements nested deeper than {MAX_DEPTH} levels; rest of file ignored"),
            ));
            break;
        }
        let node = Node::new(name, ln);
        if self_closing {
            if let Some(top) = stack.last_mut() {
                top.children.push(node);
            }
        } else {
            stack.push(node);
        }
    }
    while stack.len() > 1 {
        pop(&mut stack);
    }
    stack.pop().unwrap_or_default()
}

fn tag_name(inner: &str) -> String {
    inner.split(|c: char| c.is_whitespace()).next().unwrap_or("").to_ascii_uppercase()
}

fn add_text(stack: &mut [Node], raw: &str, line: usize, diags: &mut Vec<Diagnostic>) {
    let Some(top) = stack.last_mut() else { return };
    if stack_is_root(top) || !top.children.is_empty() {
        // Text between aggregates (or after a closed leaf) belongs to nothing.
        return;
    }
    if top.text.len() + raw.len() > MAX_TEXT {
        diags.push(Diagnostic::error(line, Some(&top.name), format!("value longer than {MAX_TEXT} bytes; ignored")));
        return;
    }
    top.text.push_str(&unescape(raw.trim()));
}

fn stack_is_root(n: &Node) -> bool {
    n.name == "#root"
}

fn pop(stack: &mut Vec<Node>) {
    if stack.len() > 1
        && let Some(node) = stack.pop()
        && let Some(parent) = stack.last_mut()
    {
        parent.children.push(node);
    }
}

/// Closes `name` and everything opened inside it; ignores a stray close tag.
fn close(stack: &mut Vec<Node>, name: &str) {
    if let Some(i) = stack.iter().rposition(|n| n.name == name)
        && i > 0
    {
        while stack.len() > i {
            pop(stack);
        }
    }
}

/// Decodes entities. Banks double-escape (`&amp;lt;`), so a second pass runs
/// when the first produced another entity; never more, so `&amp;amp;amp;`
/// cannot grow work without bound.
fn unescape(s: &str) -> String {
    crate::work::add(s.len());
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

/// SECLIST: UNIQUEID → (ticker, unique id type).
fn securities(root: &Node) -> HashMap<String, String> {
    let mut infos = Vec::new();
    root.find_all("SECINFO", &mut infos);
    infos
        .into_iter()
        .filter_map(|info| {
            let id = info.find_text("UNIQUEID")?;
            let ticker = info.find_text("TICKER")?;
            Some((id.to_string(), ticker.to_string()))
        })
        .collect()
}

struct Reader {
    out: ParsedFile,
    securities: HashMap<String, String>,
}

/// What each statement says about its account.
struct Stmt {
    account: AccountHint,
    currency: Option<Currency>,
}

impl Reader {
    fn statements(&mut self, root: &Node) {
        let mut found = false;
        for kind in ["STMTRS", "CCSTMTRS", "INVSTMTRS"] {
            let mut stmts = Vec::new();
            root.find_all(kind, &mut stmts);
            for stmt in stmts {
                found = true;
                self.statement(stmt);
            }
        }
        if !found {
            let line = root.children.first().map_or(1, |n| n.line);
            self.out.diagnostics.push(Diagnostic::warning(
                line,
                None,
                "no STMTRS, CCSTMTRS or INVSTMTRS statement in the file",
            ));
        }
        self.out.rows.sort_by_key(|r| r.line);
        self.out.trades.sort_by_key(|t| t.line);
    }

    fn statement(&mut self, stmt: &Node) {
        let currency = self.currency_of(stmt, stmt.find("CURDEF"));
        let from = ["BANKACCTFROM", "CCACCTFROM", "INVACCTFROM"].iter().find_map(|n| stmt.find(n));
        let account = AccountHint {
            number: from.and_then(|f| f.find_text("ACCTID")).map(str::to_string),
            account_ref: None,
            institution: from
                .and_then(|f| f.find_text("BANKID").or_else(|| f.find_text("BROKERID")))
                .map(str::to_string),
            currency,
        };
        let ctx = Stmt { account, currency };
        let mut trns = Vec::new();
        stmt.find_all("STMTTRN", &mut trns);
        for trn in trns {
            self.bank_transaction(&ctx, trn);
        }
        if stmt.name == "INVSTMTRS" {
            if let Some(list) = stmt.find("INVTRANLIST") {
                for tx in &list.children {
                    self.investment_transaction(&ctx, tx);
                }
            }
            if let Some(bal) = stmt.find("INVBAL")
                && let Some(cash) = bal.child("AVAILCASH")
            {
                self.balance_value(&ctx, cash, stmt.find("DTASOF"), "available");
            }
        }
        for (tag, kind) in [("LEDGERBAL", "closing"), ("AVAILBAL", "available")] {
            if let Some(bal) = stmt.find(tag) {
                self.balance(&ctx, bal, kind);
            }
        }
    }

    fn currency_of(&mut self, stmt: &Node, cur: Option<&Node>) -> Option<Currency> {
        let cur = cur?;
        let code = cur.text.trim();
        if code.is_empty() {
            return None;
        }
        let parsed = util::currency(code);
        if parsed.is_none() {
            self.out.diagnostics.push(Diagnostic::warning(
                cur.line,
                Some(&cur.name),
                format!("unknown currency {:?} in {}; amounts kept without currency", util::clip(code, 40), stmt.name),
            ));
        }
        parsed
    }

    fn bank_transaction(&mut self, ctx: &Stmt, trn: &Node) {
        let line = trn.line;
        if trn.find_text("CORRECTACTION").is_some_and(|a| a.eq_ignore_ascii_case("DELETE")) {
            self.out.diagnostics.push(Diagnostic::warning(
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
        let currency =
            trn.find("CURRENCY").and_then(|c| c.find_text("CURSYM")).and_then(util::currency).or(ctx.currency);
        self.out.rows.push(StatementRow {
            line,
            account: ctx.account.clone(),
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

    /// INVTRANLIST children: BUY*/SELL*/REINVEST become trades; INCOME and the
    /// other cash-only entries become rows; share transfers and splits, which
    /// move no cash and are no trade, are reported and skipped.
    fn investment_transaction(&mut self, ctx: &Stmt, tx: &Node) {
        let name = tx.name.as_str();
        let side = match name {
            "BUYSTOCK" | "BUYMF" | "BUYDEBT" | "BUYOPT" | "BUYOTHER" | "REINVEST" => Some(TradeSide::Buy),
            "SELLSTOCK" | "SELLMF" | "SELLDEBT" | "SELLOPT" | "SELLOTHER" => Some(TradeSide::Sell),
            _ => None,
        };
        if let Some(side) = side {
            self.trade(ctx, tx, side);
            return;
        }
        match name {
            "INVBANKTRAN" | "DTSTART" | "DTEND" => {}
            "INCOME" | "INVEXPENSE" | "MARGININTEREST" | "RETOFCAP" => {
                self.cash_from_investment(ctx, tx);
            }
            _ => self.out.diagnostics.push(Diagnostic::warning(
                tx.line,
                Some(name),
                format!("{name} moves no cash and is not a trade; not imported"),
            )),
        }
    }

    fn trade(&mut self, ctx: &Stmt, tx: &Node, side: TradeSide) {
        let line = tx.line;
        let inv = tx.find("INVTRAN");
        let Some(date) = self.date(tx, "DTTRADE", true) else {
            return;
        };
        let Some(units) = self.amount(tx, "UNITS", true) else {
            return;
        };
        let Some(price) = self.amount(tx, "UNITPRICE", true) else {
            return;
        };
        let mut fees = Decimal::ZERO;
        for tag in ["COMMISSION", "FEES", "TAXES", "LOAD"] {
            if let Some(v) = self.amount(tx, tag, false) {
                fees += v;
            }
        }
        let (symbol, isin) = self.security(tx);
        let currency =
            tx.find("CURRENCY").and_then(|c| c.find_text("CURSYM")).and_then(util::currency).or(ctx.currency);
        self.out.trades.push(TradeRow {
            line,
            account: ctx.account.clone(),
            trade_time: tx.find_text("DTTRADE").map(iso_time).unwrap_or_else(|| date.to_string()),
            date,
            symbol,
            isin,
            side,
            quantity: units.abs(),
            price,
            fees,
            currency,
            external_id: inv.and_then(|i| i.find_text("FITID")).map(str::to_string),
        });
    }

    fn security(&self, tx: &Node) -> (Option<String>, Option<String>) {
        let Some(secid) = tx.find("SECID") else {
            return (None, None);
        };
        let id = secid.find_text("UNIQUEID");
        let kind = secid.find_text("UNIQUEIDTYPE").unwrap_or("");
        let isin = id.filter(|_| kind.eq_ignore_ascii_case("ISIN")).map(str::to_string);
        // No ticker in SECLIST: the CUSIP/ISIN itself is the best symbol we have.
        let symbol = id.map(|id| self.securities.get(id).cloned().unwrap_or_else(|| id.to_string()));
        (symbol, isin)
    }

    fn cash_from_investment(&mut self, ctx: &Stmt, tx: &Node) {
        let line = tx.line;
        let Some(date) = self.date(tx, "DTTRADE", true) else {
            return;
        };
        let Some(amount) = self.amount(tx, "TOTAL", true) else {
            return;
        };
        let (symbol, _) = self.security(tx);
        let value_date = self.date(tx, "DTSETTLE", false);
        let kind = tx.find_text("INCOMETYPE").unwrap_or(tx.name.as_str());
        let memo = tx.find_text("MEMO").unwrap_or("");
        let label = match symbol {
            Some(s) => format!("{kind} {s}"),
            None => kind.to_string(),
        };
        self.out.rows.push(StatementRow {
            line,
            account: ctx.account.clone(),
            date,
            value_date,
            amount,
            currency: ctx.currency,
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
            self.out.diagnostics.push(Diagnostic::warning(
                at.line,
                Some(&at.name),
                "balance without amount or date; skipped",
            ));
            return;
        }
        let (Some(value), Some(date)) = (util::decimal(amount_text), ofx_date(date_text)) else {
            self.out.diagnostics.push(Diagnostic::warning(
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
        self.out.balances.push(StatementBalance {
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
                self.out.diagnostics.push(Diagnostic::error(
                    node.line,
                    Some(tag),
                    format!("{} without {tag}; row skipped", node.name),
                ));
            }
            return None;
        }
        let value = util::decimal(text);
        if value.is_none() {
            self.out.diagnostics.push(Diagnostic::error(
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
                self.out.diagnostics.push(Diagnostic::error(
                    node.line,
                    Some(tag),
                    format!("{} without {tag}; row skipped", node.name),
                ));
            }
            return None;
        }
        let value = ofx_date(text);
        if value.is_none() && required {
            self.out.diagnostics.push(Diagnostic::error(
                found.map_or(node.line, |n| n.line),
                Some(tag),
                format!("not a date: {:?}; row skipped", util::clip(text, 40)),
            ));
        }
        value
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

    fn tree(s: &str) -> Node {
        let mut d = vec![];
        let root = tokenize(s, 0, &mut d);
        assert!(d.is_empty(), "{d:?}");
        root
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
