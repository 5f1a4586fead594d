//! The shapes every parser produces. They describe what the file said, not
//! what the ledger will do with it: account resolution, duplicate detection and
//! categorisation happen later, outside this crate.

use jiff::civil::Date;
use kassa_core::{AccountKind, Currency};
use rust_decimal::Decimal;
use serde::Serialize;

/// The file formats kassa reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A bank's own CSV layout, read through a profile.
    Csv,
    /// OFX 1.x (SGML) or 2.x (XML), and QFX.
    Ofx,
    Qif,
    /// ISO 20022 camt.052 / camt.053 / camt.054.
    Camt,
    Mt940,
    /// kassa's native `transactions.csv` (SPEC "Reference data shapes").
    KassaCsv,
    /// kassa's native `trades.csv`.
    Trades,
    /// A broker's own export (IBKR flex, DEGIRO, Trading 212, Schwab, Saxo,
    /// Directa), read by `broker`: trades plus the cash-only rows.
    Broker,
}

/// What a file says about the account a row belongs to. Parsers fill what the
/// format carries; the caller matches it against the book's accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccountHint {
    /// IBAN or bank account number as written in the file.
    pub number: Option<String>,
    /// kassa-csv `account_ref`, or an account name.
    pub account_ref: Option<String>,
    /// Bank identifier (BIC, OFX BANKID, sort code) when the file has one.
    pub institution: Option<String>,
    pub currency: Option<Currency>,
    /// The bank's name as a person reads it (OFX `<ORG>`, camt `Svcr/Nm`, a
    /// CSV's "Bank" line or profile), for naming a new account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank: Option<String>,
    /// The account's own name, when the file gives one (camt `Acct/Nm`, a
    /// CSV's "Kontoname" line). Unlike `account_ref` it is no reference to
    /// match: banks repeat "Girokonto" for every customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What kind of account the file describes (an OFX credit-card
    /// statement, a QIF `!Type:CCard` register), when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<AccountKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowStatus {
    Booked,
    Pending,
}

/// One cash movement on one account, as the bank reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementRow {
    /// 1-based line in the decoded text where the row starts.
    pub line: usize,
    pub account: AccountHint,
    /// Booking date (or the only date the file has).
    pub date: Date,
    pub value_date: Option<Date>,
    /// Signed: positive money in, negative money out.
    pub amount: Decimal,
    /// The row's currency when the file says it; otherwise the account's.
    pub currency: Option<Currency>,
    /// The free text the bank shows (payee + memo, joined sensibly).
    pub description: String,
    pub counterparty: Option<String>,
    pub counterparty_account: Option<String>,
    /// The bank's own id for the row (FITID, AcctSvcrRef, external_id…).
    pub external_id: Option<String>,
    pub status: RowStatus,
    /// Category as written in the file (kassa-csv, some banks' exports).
    pub category: Option<String>,
    /// kassa-csv `section`: income / expense / transfer.
    pub section: Option<String>,
    /// kassa-csv `transfer_group_id`: legs with the same value are one transfer.
    pub transfer_group: Option<String>,
    /// Running balance after this row, when the bank prints one.
    pub balance_after: Option<Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradeSide {
    Buy,
    Sell,
    /// Cash paid per share held: `amount` (gross) when the file gives it,
    /// else `quantity * price`; `withholding_tax` is kept back from it.
    Dividend,
    /// Cash interest on the account (no symbol) or a bond's coupon:
    /// `amount`; `withholding_tax` is kept back from it.
    Interest,
    /// A fee not tied to a trade (custody, connection): `amount`, negative.
    Fee,
    /// Every open lot's quantity is multiplied by `ratio` (2 for 2-for-1,
    /// 0.1 for a 1-for-10 reverse split); cost is unchanged. A broker that
    /// reports only the shares a split added (Schwab) leaves `ratio` unset
    /// and puts them in `quantity`: the ratio is `(held + quantity) / held`.
    Split,
    /// Securities arriving from elsewhere with their `cost_basis`; no cash.
    /// `cost_basis` unset: the file does not say — a corporate action that
    /// moves a holding from one security to another (merger, name change,
    /// conversion) writes it as a `TransferOut` of the old one and a
    /// `TransferIn` of the new one on the same date.
    TransferIn,
    /// Securities leaving for elsewhere at their cost; no cash.
    TransferOut,
}

/// One row of `trades.csv` (or a broker export / OFX investment transaction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TradeRow {
    pub line: usize,
    pub account: AccountHint,
    /// ISO 8601 as written; kept as text with its offset when it has one.
    pub trade_time: String,
    pub date: Date,
    pub symbol: Option<String>,
    pub isin: Option<String>,
    pub side: TradeSide,
    pub quantity: Decimal,
    pub price: Decimal,
    pub fees: Decimal,
    pub currency: Option<Currency>,
    pub external_id: Option<String>,
    /// What kinds other than a plain buy or sell carry.
    pub detail: TradeDetail,
}

impl TradeSide {
    /// The name `trades.csv` writes in its `side` column.
    pub fn as_str(self) -> &'static str {
        match self {
            TradeSide::Buy => "BUY",
            TradeSide::Sell => "SELL",
            TradeSide::Dividend => "DIVIDEND",
            TradeSide::Interest => "INTEREST",
            TradeSide::Fee => "FEE",
            TradeSide::Split => "SPLIT",
            TradeSide::TransferIn => "TRANSFER_IN",
            TradeSide::TransferOut => "TRANSFER_OUT",
        }
    }
}

/// The parts of a trade row only some kinds have (see [`TradeSide`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TradeDetail {
    /// The instrument's name, when the file names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The instrument's kind, when the file states it (IBKR's asset class).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<kassa_core::portfolio::InstrumentKind>,
    /// The cash amount the broker booked, signed as it moves the account's
    /// cash (dividends, interest, fees), when it is not `quantity * price`.
    pub amount: Option<Decimal>,
    /// Tax withheld from a dividend or coupon, as a positive amount in the
    /// row's `currency` (0 when none).
    pub withholding_tax: Decimal,
    /// A split's ratio: new shares per old share.
    pub ratio: Option<Decimal>,
    /// The cost basis that comes with a `TransferIn`.
    pub cost_basis: Option<Decimal>,
    /// What the row moved in the account's cash, signed, exactly as the
    /// broker booked it (fees, taxes and currency conversion included), when
    /// the file says: IBKR `NetCash`, DEGIRO/Saxo/Directa/Schwab amounts,
    /// Trading 212 `Total`. When set it is the trade's cash effect, which
    /// `quantity * price ± fees` may miss by the broker's rounding or its
    /// conversion into the account's currency. Unset: the effect follows
    /// from the side (buy `-(q*p + fees)`, sell `q*p - fees`, dividend and
    /// interest `amount - withholding_tax`, fee `amount`, others none).
    pub cash_amount: Option<Decimal>,
    /// The currency of `cash_amount` when it is not `currency` (Trading 212
    /// books a USD share's price in EUR).
    pub cash_currency: Option<Currency>,
    /// Units of the account's base currency per unit of `currency`, as the
    /// broker states it (IBKR `FXRateToBase`).
    pub fx_rate: Option<Decimal>,
}

impl TradeRow {
    /// The signed change to the account's cash this row makes, in
    /// `detail.cash_currency` or else `currency` (see [`TradeDetail::cash_amount`]).
    pub fn cash_effect(&self) -> Decimal {
        if let Some(cash) = self.detail.cash_amount {
            return cash;
        }
        let gross = self.quantity * self.price;
        let d = &self.detail;
        match self.side {
            TradeSide::Buy => -(gross + self.fees),
            TradeSide::Sell => gross - self.fees,
            TradeSide::Dividend | TradeSide::Interest => d.amount.unwrap_or(gross) - d.withholding_tax,
            TradeSide::Fee => d.amount.unwrap_or(-self.fees),
            TradeSide::Split | TradeSide::TransferIn | TradeSide::TransferOut => Decimal::ZERO,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something was guessed or skipped but no row was lost (e.g. a footer line).
    Warning,
    /// A row (or the file) could not be read; storing would lose data.
    Error,
}

/// A problem with one place in the file: line and field, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub line: usize,
    pub field: Option<String>,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn error(line: usize, field: Option<&str>, message: impl Into<String>) -> Diagnostic {
        Diagnostic { line, field: field.map(str::to_string), severity: Severity::Error, message: message.into() }
    }

    pub fn warning(line: usize, field: Option<&str>, message: impl Into<String>) -> Diagnostic {
        Diagnostic { line, field: field.map(str::to_string), severity: Severity::Warning, message: message.into() }
    }
}

/// Statement-level facts (opening / closing balance) when the format has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementBalance {
    pub account: AccountHint,
    pub date: Date,
    pub amount: Decimal,
    pub currency: Option<Currency>,
    /// "opening", "closing", "available", "forward"; MT940 adds "intermediate"
    /// and "intermediate opening" for a statement split over several messages.
    pub kind: String,
}

/// Everything a parser got out of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedFile {
    pub format: Format,
    /// The character encoding the text was decoded from.
    pub encoding: String,
    pub rows: Vec<StatementRow>,
    pub trades: Vec<TradeRow>,
    pub balances: Vec<StatementBalance>,
    /// At most `diagnostics::MAX_PER_FILE`, then one line counting the rest.
    pub diagnostics: crate::Diagnostics,
}

impl ParsedFile {
    pub fn new(format: Format, encoding: impl Into<String>) -> ParsedFile {
        ParsedFile {
            format,
            encoding: encoding.into(),
            rows: vec![],
            trades: vec![],
            balances: vec![],
            diagnostics: crate::Diagnostics::new(),
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }
}
