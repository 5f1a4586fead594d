//! Brokers' own CSV exports read as trades: IBKR flex queries, DEGIRO's
//! account statement, Trading 212's history, Schwab's transactions, Saxo's
//! account statement and Directa's movements. Buys, sells, dividends (with
//! the tax withheld from them), interest, instrument fees, splits and share
//! transfers become [`TradeRow`]s; cash-only lines (deposits, withdrawals,
//! currency conversions, fees tied to no instrument) stay [`StatementRow`]s,
//! so the brokerage account's cash comes out right: a file's rows plus its
//! trades' [`TradeRow::cash_effect`]s reproduce the broker's own running
//! balance or total wherever it prints one.
//!
//! A layout is recognised by its header row, wherever it sits among the
//! first records (Directa writes a block of account facts before it) and
//! with or without a BOM. Records stream from the decoded text one at a
//! time; only a broker's lines of one moment are held back, so that the tax
//! or fee lines it writes beside a dividend or an order join it.

mod degiro;
mod directa;
mod ibkr;
mod saxo;
mod schwab;
mod trading212;

use jiff::civil::Date;
use kassa_core::{AccountKind, Currency};
use rust_decimal::Decimal;

use crate::decode::decode;
use crate::model::{
    AccountHint, Diagnostic, Format, ParsedFile, RowStatus, StatementRow, TradeDetail, TradeRow, TradeSide,
};
use crate::numbers::{DecimalMark, parse_amount};
use crate::table::{self, MAX_FIELD, Record, Records};
use crate::util;

/// The brokers whose exports kassa reads as trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broker {
    Ibkr,
    Degiro,
    Trading212,
    Schwab,
    Saxo,
    Directa,
}

/// Header cells that identify each layout (compared as [`table::norm_header`]
/// writes them), most specific first.
const LAYOUTS: [(Broker, &[&str]); 6] = [
    (Broker::Ibkr, &["currencyprimary", "symbol", "datetime", "quantity", "tradeprice", "buy/sell"]),
    (Broker::Trading212, &["action", "time", "isin", "ticker", "no. of shares", "price / share"]),
    (Broker::Degiro, &["datum", "tijd", "product", "isin", "omschrijving", "mutatie", "saldo"]),
    (Broker::Directa, &["data operazione", "tipo operazione", "ticker", "isin", "quantità", "importo euro"]),
    (Broker::Saxo, &["trade date", "value date", "type", "instrument", "event", "amount"]),
    (Broker::Schwab, &["date", "action", "symbol", "description", "quantity", "price", "fees & comm", "amount"]),
];

/// How many records the header may be preceded by.
const HEADER_WITHIN: usize = 40;

impl Broker {
    /// The firm, as a new account's name shows it.
    pub fn bank(self) -> &'static str {
        match self {
            Broker::Ibkr => "Interactive Brokers",
            other => other.name(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Broker::Ibkr => "IBKR flex",
            Broker::Degiro => "DEGIRO",
            Broker::Trading212 => "Trading 212",
            Broker::Schwab => "Charles Schwab",
            Broker::Saxo => "Saxo Bank",
            Broker::Directa => "Directa SIM",
        }
    }
}

/// The broker layout of a decoded text, its delimiter and the index of its
/// header record.
fn find_layout(text: &str) -> Option<(Broker, u8, usize)> {
    for delim in [b',', b';'] {
        for (i, rec) in Records::new(text, delim).take(HEADER_WITHIN).enumerate() {
            if rec.fields.len() < 4 {
                continue;
            }
            let have: Vec<String> = rec.fields.iter().map(|f| table::norm_header(f)).collect();
            if let Some((b, _)) = LAYOUTS.iter().find(|(_, sig)| sig.iter().all(|s| have.iter().any(|h| h == s))) {
                return Some((*b, delim, i));
            }
        }
    }
    None
}

/// The broker whose export `text` is, judged by its header.
pub fn detect(text: &str) -> Option<Broker> {
    find_layout(text).map(|(b, _, _)| b)
}

/// Reads a broker export. Never fails: problems become diagnostics naming
/// the line and column.
pub fn parse(bytes: &[u8]) -> ParsedFile {
    let decoded = decode(bytes, None);
    let mut out = ParsedFile::new(Format::Broker, decoded.encoding);
    let text = decoded.text.as_str();
    let Some((broker, delim, header_at)) = find_layout(text) else {
        out.diagnostics.push(Diagnostic::error(
            1,
            None,
            "no broker export header (IBKR flex, DEGIRO, Trading 212, Schwab, Saxo, Directa) in the first lines",
        ));
        return out;
    };
    let mut records = Records::new(text, delim);
    let Some(header) = records.by_ref().nth(header_at) else {
        return out;
    };
    let cols = Cols::new(&header.fields);
    let mut reader: Box<dyn Reader> = match broker {
        Broker::Ibkr => Box::new(ibkr::Ibkr),
        Broker::Degiro => Box::<degiro::Degiro>::default(),
        Broker::Trading212 => Box::<trading212::Trading212>::default(),
        Broker::Schwab => Box::new(schwab::Schwab),
        Broker::Saxo => Box::new(saxo::Saxo),
        Broker::Directa => Box::<directa::Directa>::default(),
    };
    for rec in records {
        if let Some(long) = rec.too_long {
            out.diagnostics.push(Diagnostic::error(
                rec.line,
                None,
                format!("record of {} bytes is longer than any {} line; skipped", long.bytes, broker.name()),
            ));
            continue;
        }
        if rec.is_blank() {
            continue;
        }
        let row = Row { line: rec.line, rec: &rec, cols: &cols };
        if let Err(d) = reader.row(&row, &mut out) {
            out.diagnostics.push(d);
        }
    }
    reader.finish(&mut out);
    // Every line of a broker's export is on one brokerage account at that
    // broker; a Schwab (US) account is in dollars though its file writes
    // only "$", so a new account can be opened in the right currency.
    let currency = (broker == Broker::Schwab).then_some(Currency::USD);
    for hint in out.rows.iter_mut().map(|r| &mut r.account).chain(out.trades.iter_mut().map(|t| &mut t.account)) {
        hint.bank = Some(broker.bank().to_string());
        hint.kind = Some(AccountKind::Brokerage);
        hint.currency = hint.currency.or(currency);
    }
    // Held-back groups come out after later single rows; the file's order is the line order.
    out.trades.sort_by_key(|t| t.line);
    out.rows.sort_by_key(|r| r.line);
    out
}

/// One broker's row reader.
trait Reader {
    /// Reads one data record into `out`, or says why it can't.
    fn row(&mut self, row: &Row, out: &mut ParsedFile) -> Result<(), Diagnostic>;
    /// Emits whatever is still held back at the end of the file.
    fn finish(&mut self, _out: &mut ParsedFile) {}
}

/// Header cells to column indexes (the first of duplicate names wins).
struct Cols {
    names: Vec<String>,
    /// As the file writes them, for diagnostics.
    written: Vec<String>,
}

impl Cols {
    fn new(header: &[String]) -> Cols {
        Cols {
            names: header.iter().map(|h| table::norm_header(h)).collect(),
            written: header.iter().map(|h| table::clean(h.trim_start_matches('\u{feff}'))).collect(),
        }
    }

    fn index(&self, name: &str) -> Option<usize> {
        let name = table::norm_header(name);
        self.names.iter().position(|n| *n == name)
    }

    /// Column `name` as the file's header spells it.
    fn written(&self, name: &str) -> String {
        self.index(name).map_or_else(|| name.to_string(), |i| self.written[i].clone())
    }
}

/// A data record with its header.
pub(crate) struct Row<'r> {
    pub line: usize,
    rec: &'r Record,
    cols: &'r Cols,
}

impl Row<'_> {
    /// The cell at position `i`, trimmed and cut to [`MAX_FIELD`].
    fn at(&self, i: usize) -> &str {
        util::clip(self.rec.get(i).trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}'), MAX_FIELD)
    }

    /// The cell under header `col` ("" when the file has no such column).
    fn raw(&self, col: &str) -> &str {
        self.cols.index(col).map_or("", |i| self.at(i))
    }

    /// The cell under `col` as text, `None` when empty.
    fn text(&self, col: &str) -> Option<String> {
        Some(table::clean(self.raw(col))).filter(|s| !s.is_empty())
    }

    /// An error in column `col`, named as the file's header spells it.
    fn error(&self, col: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.line, Some(&self.cols.written(col)), message)
    }

    /// The number in column `col`, `None` when the cell is empty.
    fn num(&self, col: &str, mark: DecimalMark) -> Result<Option<Decimal>, Diagnostic> {
        self.num_in(col, self.raw(col), mark)
    }

    fn num_in(&self, col: &str, raw: &str, mark: DecimalMark) -> Result<Option<Decimal>, Diagnostic> {
        if raw.is_empty() {
            return Ok(None);
        }
        parse_amount(raw, mark).map(|a| Some(a.value)).map_err(|e| self.error(col, e))
    }

    /// The number in column `col`, which must not be empty.
    fn req(&self, col: &str, mark: DecimalMark) -> Result<Decimal, Diagnostic> {
        self.num(col, mark)?.ok_or_else(|| self.error(col, format!("{} is empty", self.cols.written(col))))
    }

    /// The date in `col`, read by `read`; `what` names the layout expected.
    fn date(&self, col: &str, read: fn(&str) -> Option<Date>, what: &str) -> Result<Date, Diagnostic> {
        let raw = self.raw(col);
        read(raw).ok_or_else(|| self.error(col, format!("not a date: {:?} (expected {what})", clip(raw))))
    }

    /// An optional date in `col`: empty is `None`, unreadable an error.
    fn opt_date(&self, col: &str, read: fn(&str) -> Option<Date>, what: &str) -> Result<Option<Date>, Diagnostic> {
        if self.raw(col).is_empty() { Ok(None) } else { self.date(col, read, what).map(Some) }
    }

    /// The currency code in `col`, `None` when empty; unknown codes are an error.
    fn currency(&self, col: &str) -> Result<Option<Currency>, Diagnostic> {
        currency_in(self, col, self.raw(col))
    }
}

fn currency_in(row: &Row, col: &str, code: &str) -> Result<Option<Currency>, Diagnostic> {
    let code = code.trim().trim_matches('"');
    if code.is_empty() {
        return Ok(None);
    }
    util::currency(code).map(Some).ok_or_else(|| row.error(col, format!("{col}: unknown currency {:?}", clip(code))))
}

/// The warning for a line that moves no cash and is no trade: skipped,
/// nothing lost.
fn moves_no_cash(row: &Row, col: &str, what: &str) -> Diagnostic {
    Diagnostic::warning(row.line, Some(&row.cols.written(col)), format!("{:?} moves no cash; skipped", clip(what)))
}

/// Quoted input in messages is cut short.
fn clip(s: &str) -> &str {
    util::clip(s, 60)
}

/// Checks that a quantity or price is not below zero where none can be.
fn not_negative(row: &Row, col: &str, v: Decimal) -> Result<Decimal, Diagnostic> {
    if v < Decimal::ZERO { Err(row.error(col, format!("{col} must not be negative: {v}"))) } else { Ok(v) }
}

/// A quantity that must be above zero (a buy, a sell, a transfer).
fn positive(row: &Row, col: &str, v: Decimal) -> Result<Decimal, Diagnostic> {
    if v <= Decimal::ZERO {
        Err(row.error(col, format!("{} must be above zero: {v}", row.cols.written(col))))
    } else {
        Ok(v)
    }
}

/// A trade row of `side` with nothing but its place and time filled in.
fn trade(row: &Row, date: Date, trade_time: String, side: TradeSide) -> TradeRow {
    TradeRow {
        line: row.line,
        account: AccountHint::default(),
        trade_time,
        date,
        symbol: None,
        isin: None,
        side,
        quantity: Decimal::ZERO,
        price: Decimal::ZERO,
        fees: Decimal::ZERO,
        currency: None,
        external_id: None,
        detail: TradeDetail::default(),
    }
}

/// A cash-only row (deposit, withdrawal, conversion, account fee).
fn cash(row: &Row, date: Date, amount: Decimal, currency: Option<Currency>, description: String) -> StatementRow {
    StatementRow {
        line: row.line,
        account: AccountHint::default(),
        date,
        value_date: None,
        amount,
        currency,
        description,
        counterparty: None,
        counterparty_account: None,
        external_id: None,
        status: RowStatus::Booked,
        category: None,
        section: None,
        transfer_group: None,
        balance_after: None,
    }
}

/// What `Buy 3 @ 139.74 USD` (Saxo, DEGIRO, in English or Dutch) says.
struct AtPrice {
    side: TradeSide,
    quantity: Decimal,
    price: Decimal,
    currency: Option<Currency>,
}

/// Reads `<Buy|Sell|Koop|Verkoop> QTY @ PRICE CUR`, anywhere after a prefix
/// such as DEGIRO's `Conversie geldmarktfonds: `.
fn at_price(text: &str, mark: DecimalMark) -> Option<AtPrice> {
    let (left, right) = text.split_once(" @ ")?;
    let mut words = left.rsplitn(2, ' ');
    let qty = words.next()?;
    let verb = words.next()?.rsplit([' ', ':']).next()?.to_lowercase();
    let side = match verb.as_str() {
        "buy" | "koop" | "kauf" | "achat" => TradeSide::Buy,
        "sell" | "verkoop" | "verkauf" | "vente" => TradeSide::Sell,
        _ => return None,
    };
    let mut right = right.split_whitespace();
    let price = parse_amount(right.next()?, mark).ok()?.value;
    let currency = right.next().and_then(util::currency);
    let quantity = parse_amount(qty, mark).ok()?.value;
    Some(AtPrice { side, quantity, price, currency })
}

/// `DD-MM-YYYY` (DEGIRO, Directa).
fn dmy_dash(s: &str) -> Option<Date> {
    let mut p = s.trim().split('-');
    let (d, m, y) = (p.next()?, p.next()?, p.next()?);
    if p.next().is_some() || y.len() != 4 {
        return None;
    }
    util::ymd(util::digits(y)?, util::digits(m)?, util::digits(d)?)
}

/// `YYYY-MM-DD` followed by anything (a time).
fn iso_prefix(s: &str) -> Option<Date> {
    util::iso_date_prefix(s)
}

/// Most lines one moment holds back.
const MAX_MOMENT: usize = 64;

/// Trades of one moment of a statement, held until the moment ends so that
/// the lines a broker writes beside a trade join it: the tax withheld from a
/// dividend or coupon (DEGIRO `Dividendbelasting`, Directa `Rit.provento`)
/// and an order's costs (DEGIRO `transactiekosten`).
#[derive(Default)]
struct Moment {
    key: String,
    trades: Vec<TradeRow>,
    /// Cost lines whose order has not come yet.
    costs: Vec<TradeRow>,
}

impl Moment {
    /// Starts moment `key`, emitting the previous one if it differs. A
    /// moment past [`MAX_MOMENT`] lines is emitted too: real ones are a
    /// handful of lines, and joining searches the moment.
    fn at(&mut self, key: String, out: &mut ParsedFile) {
        if key != self.key || self.trades.len() + self.costs.len() >= MAX_MOMENT {
            self.flush(out);
            self.key = key;
        }
    }

    fn flush(&mut self, out: &mut ParsedFile) {
        out.trades.append(&mut self.trades);
        out.trades.append(&mut self.costs);
    }

    /// Income of `side` on `isin` already in this moment (its tax line may
    /// have come first).
    fn income(&mut self, side: TradeSide, isin: &Option<String>) -> Option<&mut TradeRow> {
        crate::work::add(self.trades.len());
        self.trades.iter_mut().find(|t| t.side == side && t.isin == *isin && t.detail.amount.is_some())
    }

    /// Adds a dividend or coupon of gross `amount`, joining its tax line.
    fn add_income(&mut self, mut t: TradeRow, amount: Decimal) {
        if let Some(held) = self.income(t.side, &t.isin) {
            held.detail.amount = Some(held.detail.amount.unwrap_or_default() + amount);
            held.detail.cash_amount = Some(held.detail.cash_amount.unwrap_or_default() + amount);
            held.line = held.line.min(t.line);
            held.detail.name = held.detail.name.take().or(t.detail.name);
            return;
        }
        t.detail.amount = Some(amount);
        t.detail.cash_amount = Some(amount);
        self.trades.push(t);
    }

    /// Adds tax `amount` (negative: withheld) to the income it belongs to;
    /// alone it is an income of 0 with that tax withheld.
    fn add_tax(&mut self, mut t: TradeRow, amount: Decimal) {
        if let Some(held) = self.income(t.side, &t.isin) {
            held.detail.withholding_tax -= amount;
            held.detail.cash_amount = Some(held.detail.cash_amount.unwrap_or_default() + amount);
            return;
        }
        t.detail.amount = Some(Decimal::ZERO);
        t.detail.withholding_tax = -amount;
        t.detail.cash_amount = Some(amount);
        self.trades.push(t);
    }

    /// Adds a buy or sell, with the cost lines of its order already held.
    fn add_order(&mut self, mut t: TradeRow) {
        crate::work::add(self.costs.len());
        let mut i = 0;
        while i < self.costs.len() {
            if t.external_id.is_some() && self.costs[i].external_id == t.external_id {
                let cost = self.costs.swap_remove(i);
                join_cost(&mut t, cost.detail.cash_amount.unwrap_or_default());
            } else {
                i += 1;
            }
        }
        self.trades.push(t);
    }

    /// Adds an order's cost line `fee` (a [`TradeSide::Fee`] with its order
    /// id and negative `cash_amount`) to the buy or sell of that order, or
    /// holds it until the order's line comes; alone it stays a fee on the
    /// instrument.
    fn add_order_cost(&mut self, fee: TradeRow) {
        crate::work::add(self.trades.len());
        let order = fee.external_id.clone();
        let held = self
            .trades
            .iter_mut()
            .find(|t| matches!(t.side, TradeSide::Buy | TradeSide::Sell) && order.is_some() && t.external_id == order);
        match held {
            Some(t) => join_cost(t, fee.detail.cash_amount.unwrap_or_default()),
            None => self.costs.push(fee),
        }
    }
}

/// A cost line of `amount` (negative) becomes part of the trade's fees.
fn join_cost(t: &mut TradeRow, amount: Decimal) {
    t.fees -= amount;
    t.detail.cash_amount = Some(t.detail.cash_amount.unwrap_or_default() + amount);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_price_reads_both_languages() {
        let a = at_price("Conversie geldmarktfonds: Koop 0,000016 @ 9.961,4715 EUR", DecimalMark::Comma).unwrap();
        assert_eq!(
            (a.side, a.quantity, a.price),
            (TradeSide::Buy, "0.000016".parse().unwrap(), "9961.4715".parse().unwrap())
        );
        assert_eq!(a.currency.map(|c| c.code()), Some("EUR"));
        let s = at_price("Sell 3 @ 139.74 USD", DecimalMark::Auto).unwrap();
        assert_eq!((s.side, s.quantity), (TradeSide::Sell, Decimal::from(3)));
        assert!(at_price("Dividend", DecimalMark::Auto).is_none());
        assert!(at_price("Hold 3 @ 1 USD", DecimalMark::Auto).is_none());
    }

    #[test]
    fn header_after_junk_and_bom() {
        let text = "\u{feff}Conto : X,,\nData estrazione : 1,,\n,,\nData operazione,Data valuta,Tipo operazione,Ticker,Isin,Quantità,Importo euro\n";
        assert_eq!(detect(text), Some(Broker::Directa));
        assert_eq!(detect("Date,Amount\n1,2\n"), None);
    }
}
