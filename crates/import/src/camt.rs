//! ISO 20022 cash-management reports: camt.052 (account report), camt.053
//! (statement) and camt.054 (debit/credit notification), versions .001.02 to
//! .001.08 and later.
//!
//! Elements are matched by local name with namespaces ignored, which is what
//! makes one reader serve every version: the versions differ mostly in the
//! namespace URI and in a few wrappers (`Sts/Cd` in v8, `Pty/Nm`), which the
//! lookups below try both ways.
//!
//! Hostile input: quick-xml never expands entities, and a DOCTYPE is skipped,
//! so a billion-laughs file stays its own size; nesting deeper than
//! [`MAX_DEPTH`] or a text node over [`MAX_TEXT`] stops the read with an
//! error diagnostic. Memory is therefore bounded by a small multiple of the
//! file size.

use jiff::civil::Date;
use kassa_core::Currency;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use rust_decimal::Decimal;

use crate::decode::decode;
use crate::model::{AccountHint, Diagnostic, Format, ParsedFile, RowStatus, StatementBalance, StatementRow};
use crate::util::{self, LineIndex, MAX_DEPTH, MAX_TEXT, Node};

/// True when the text is a camt.052/053/054 document.
pub fn sniff(text: &str) -> bool {
    let head = util::clip(text, 8192);
    ["BkToCstmrStmt", "BkToCstmrAcctRpt", "BkToCstmrDbtCdtNtfctn"].iter().any(|root| head.contains(root))
        || ["camt.052.", "camt.053.", "camt.054."].iter().any(|ns| head.contains(ns))
}

/// Parses a camt.052/053/054 file. Never fails: problems become diagnostics.
pub fn parse(bytes: &[u8]) -> ParsedFile {
    let decoded = decode(bytes, None);
    let mut out = ParsedFile::new(Format::Camt, decoded.encoding);
    let root = build_tree(&decoded.text, &mut out.diagnostics);
    let mut reports = Vec::new();
    for container in ["BkToCstmrStmt", "BkToCstmrAcctRpt", "BkToCstmrDbtCdtNtfctn"] {
        let mut found = Vec::new();
        root.find_all(container, &mut found);
        for c in found {
            reports.extend(c.children.iter().filter(|n| matches!(n.name.as_str(), "Stmt" | "Rpt" | "Ntfctn")));
        }
    }
    if reports.is_empty() && !out.has_errors() {
        out.diagnostics.push(Diagnostic::error(
            1,
            None,
            "no camt statement, report or notification (Stmt/Rpt/Ntfctn) in the file",
        ));
    }
    for report in reports {
        read_report(report, &mut out);
    }
    out
}

/// Reads the XML into a [`Node`] tree, stopping with an error diagnostic at
/// the first malformed construct or limit hit. What was read before stays.
fn build_tree(text: &str, diags: &mut Vec<Diagnostic>) -> Node {
    let lines = LineIndex::new(text);
    let mut reader = Reader::from_str(text);
    let mut stack = vec![Node::new("#document", 1)];
    let mut warned_entity = false;
    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event();
        crate::work::add(1 + usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX).saturating_sub(pos));
        let line = lines.line(pos);
        match event {
            Ok(Event::Start(e)) => {
                if stack.len() > MAX_DEPTH {
                    diags.push(Diagnostic::error(
                        line,
                        None,
                        format!("elements nested deeper than {MAX_DEPTH} levels; rest of file ignored"),
                    ));
                    break;
                }
                if let Some(top) = stack.last_mut() {
                    top.text.clear();
                }
                stack.push(element(&e, line));
            }
            Ok(Event::Empty(e)) => {
                let node = element(&e, line);
                if let Some(top) = stack.last_mut() {
                    top.text.clear();
                    top.children.push(node);
                }
            }
            Ok(Event::End(_)) => {
                if stack.len() > 1
                    && let Some(node) = stack.pop()
                    && let Some(parent) = stack.last_mut()
                {
                    parent.children.push(node);
                }
            }
            Ok(Event::Text(t)) => {
                if !push_text(&mut stack, &t, line, diags) {
                    break;
                }
            }
            Ok(Event::CData(c)) => {
                if !push_text(&mut stack, &c, line, diags) {
                    break;
                }
            }
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
                if !push_text(&mut stack, &s, line, diags) {
                    break;
                }
            }
            Ok(Event::DocType(_)) => {
                diags.push(Diagnostic::warning(line, None, "DOCTYPE ignored: entities it declares are never expanded"))
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(pos);
                diags.push(Diagnostic::error(
                    lines.line(at),
                    None,
                    format!("malformed XML: {}; rest of file ignored", util::clip(&e.to_string(), 200)),
                ));
                break;
            }
        }
    }
    if stack.len() > 1 && !diags.iter().any(|d| d.severity == crate::Severity::Error) {
        let open = stack.last().map(|n| n.name.clone()).unwrap_or_default();
        diags.push(Diagnostic::error(
            lines.line(text.len()),
            Some(&open),
            format!("file ends inside <{open}>; it is truncated"),
        ));
    }
    while stack.len() > 1 {
        if let Some(node) = stack.pop()
            && let Some(parent) = stack.last_mut()
        {
            parent.children.push(node);
        }
    }
    stack.pop().unwrap_or_default()
}

fn element(e: &BytesStart<'_>, line: usize) -> Node {
    let local = e.local_name();
    let mut node = Node::new(local.as_ref(), line);
    for attr in e.attributes().flatten() {
        if attr.key.local_name().as_ref() == "Ccy"
            && let Ok(v) = attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
        {
            node.attrs.push(("Ccy".to_string(), v.into_owned()));
        }
    }
    node
}

/// Appends text to the open leaf; false (with an error) when it grows past
/// [`MAX_TEXT`].
fn push_text(stack: &mut [Node], s: &str, line: usize, diags: &mut Vec<Diagnostic>) -> bool {
    let Some(top) = stack.last_mut() else {
        return true;
    };
    if !top.children.is_empty() {
        return true;
    }
    if top.text.len() + s.len() > MAX_TEXT {
        diags.push(Diagnostic::error(
            line,
            Some(&top.name),
            format!("text longer than {MAX_TEXT} bytes; rest of file ignored"),
        ));
        return false;
    }
    top.text.push_str(s);
    true
}

/// References banks write when they have none.
fn meaningful(s: &str) -> bool {
    !s.is_empty() && !s.eq_ignore_ascii_case("NONREF") && !s.eq_ignore_ascii_case("NOTPROVIDED")
}

struct Ctx {
    account: AccountHint,
    currency: Option<Currency>,
}

fn read_report(report: &Node, out: &mut ParsedFile) {
    let acct = report.child("Acct");
    let currency = acct.and_then(|a| a.text_at(&["Ccy"])).and_then(util::currency);
    let account = AccountHint {
        number: acct
            .and_then(|a| a.text_at(&["Id", "IBAN"]).or_else(|| a.text_at(&["Id", "Othr", "Id"])))
            .map(str::to_string),
        account_ref: None,
        institution: acct
            .and_then(|a| a.path(&["Svcr", "FinInstnId"]))
            .and_then(|f| f.text_at(&["BICFI"]).or_else(|| f.text_at(&["BIC"])))
            .map(str::to_string),
        currency,
    };
    let ctx = Ctx { account, currency };
    for bal in report.children_named("Bal") {
        balance(&ctx, bal, out);
    }
    for ntry in report.children_named("Ntry") {
        entry(&ctx, ntry, out);
    }
}

fn balance(ctx: &Ctx, bal: &Node, out: &mut ParsedFile) {
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
fn signed_amount(node: &Node, ctx: &Ctx, out: &mut ParsedFile) -> Option<(Decimal, Option<Currency>)> {
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

fn entry(ctx: &Ctx, ntry: &Node, out: &mut ParsedFile) {
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
    let mut txs = Vec::new();
    for d in ntry.children_named("NtryDtls") {
        txs.extend(d.children_named("TxDtls"));
    }
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
    if txs.len() > 1
        && let Some(parts) = batch_amounts(&txs, amount, currency, ctx)
    {
        for (i, (tx, part)) in txs.iter().zip(parts).enumerate() {
            let d = Details { node: Some(tx) };
            let (counterparty, counterparty_account) = d.counterparty(part.is_sign_positive());
            let mut description = d.description();
            if description.is_empty() {
                description = entry_info.clone().unwrap_or_default();
            }
            out.rows.push(StatementRow {
                line: tx.line,
                amount: part,
                description,
                counterparty,
                counterparty_account,
                external_id: match entry_ref {
                    Some(r) => Some(format!("{r}/{}", i + 1)),
                    None => d.reference(),
                },
                ..base.clone()
            });
        }
        return;
    }
    if txs.len() > 1 {
        let has_amounts = txs.iter().any(|t| tx_amount(t).is_some());
        if has_amounts {
            out.diagnostics.push(Diagnostic::warning(
                ntry.line,
                Some("Ntry/NtryDtls"),
                format!(
                    "the {} transaction details do not add up to the entry amount {amount}; kept as one row",
                    txs.len()
                ),
            ));
        }
    }
    let single = (txs.len() == 1).then(|| txs[0]);
    let d = Details { node: single };
    let (counterparty, counterparty_account) = d.counterparty(amount.is_sign_positive());
    let mut description = d.description();
    if description.is_empty() {
        description = entry_info.unwrap_or_default();
    }
    if description.is_empty() && txs.len() > 1 {
        let all: Vec<String> =
            txs.iter().map(|t| Details { node: Some(t) }.description()).filter(|s| !s.is_empty()).collect();
        description = util::clip(&all.join("; "), 4096).to_string();
    }
    out.rows.push(StatementRow {
        description,
        counterparty,
        counterparty_account,
        external_id: entry_ref.map(str::to_string).or_else(|| d.reference()),
        ..base
    });
}

/// A TxDtls's own amount (`Amt`, else `AmtDtls/TxAmt/Amt`) with its currency
/// and indicator.
fn tx_amount(tx: &Node) -> Option<(Decimal, Option<&str>, Option<&str>)> {
    let amt = tx.child("Amt").or_else(|| tx.path(&["AmtDtls", "TxAmt", "Amt"]))?;
    let value = util::decimal(amt.text.trim())?;
    Some((value, amt.attr("Ccy"), tx.text_at(&["CdtDbtInd"])))
}

/// Signed amounts for a batch's transactions, only when every one has an
/// amount in the entry's currency and together they make the entry amount:
/// splitting otherwise would change what the account moved.
fn batch_amounts(
    txs: &[&Node],
    entry_amount: Decimal,
    entry_currency: Option<Currency>,
    ctx: &Ctx,
) -> Option<Vec<Decimal>> {
    let entry_sign = if entry_amount.is_sign_negative() { Decimal::NEGATIVE_ONE } else { Decimal::ONE };
    let mut parts = Vec::with_capacity(txs.len());
    for tx in txs {
        let (value, ccy, ind) = tx_amount(tx)?;
        let ccy = ccy.and_then(util::currency).or(ctx.currency);
        if ccy != entry_currency {
            return None;
        }
        let sign = match ind {
            Some("CRDT") => Decimal::ONE,
            Some("DBIT") => Decimal::NEGATIVE_ONE,
            _ => entry_sign,
        };
        parts.push(value * sign);
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

    #[test]
    fn entities_are_not_expanded() {
        let xml = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<Document><BkToCstmrStmt><Stmt><Ntry><AddtlNtryInf>&lol2; &amp; &#233;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>"#;
        let mut d = vec![];
        let root = build_tree(xml, &mut d);
        let info = root.find("AddtlNtryInf").map(|n| n.text.as_str());
        assert_eq!(info, Some("&lol2; & é"));
        assert!(d.iter().all(|d| d.severity == crate::Severity::Warning), "{d:?}");
    }
}
