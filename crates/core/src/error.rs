//! The two ways the core says no: a value that does not parse, and a command
//! the ledger refuses. Both carry the offending value so the edge can print one
//! line that names it.

use thiserror::Error;

/// A value from outside (CLI flag, file field, request body) that is not valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("unknown currency '{0}' (expected an ISO 4217 code such as EUR)")]
    Currency(String),
    #[error("invalid amount '{0}' (expected a decimal number such as -12.34)")]
    Amount(String),
    #[error("amount '{amount}' has more decimals than {currency} allows ({allowed})")]
    AmountPrecision { amount: String, currency: String, allowed: u32 },
    /// See `money::LIMIT` for why the range is what it is.
    #[error("amount '{0}' is out of range (kassa takes amounts of less than 100000000000000, 10^14, in size)")]
    AmountRange(String),
    #[error("invalid date '{0}' (expected YYYY-MM-DD)")]
    Date(String),
    /// See `date::FIRST` for why the range is what it is.
    #[error("date '{0}' is out of range (kassa takes dates from 1900-01-01 to 2200-12-31)")]
    DateRange(String),
    #[error("invalid IBAN '{value}': {reason}")]
    Iban { value: String, reason: &'static str },
    #[error("unknown account kind '{0}' (expected one of checking, savings, cash, credit_card, loan, brokerage)")]
    AccountKind(String),
    #[error("unknown section '{0}' (expected income, expense or transfer)")]
    Section(String),
    #[error("invalid category name '{0}' (segments separated by ':' must not be empty)")]
    CategoryName(String),
    #[error("invalid name '{0}': must not be empty")]
    EmptyName(String),
    #[error("invalid ISIN '{value}': {reason}")]
    Isin { value: String, reason: &'static str },
    #[error("invalid quantity '{0}' (expected a positive decimal with at most 12 places)")]
    Quantity(String),
    #[error("unknown instrument kind '{0}' (expected one of stock, etf, fund, bond, crypto, other)")]
    InstrumentKind(String),
    #[error("unknown cost method '{0}' (expected one of fifo, lifo, hifo, average, specific)")]
    CostMethod(String),
}

/// A well-formed command the ledger refuses in its current state.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerError {
    #[error("unknown account '{name}'{}", suggestion(.did_you_mean))]
    UnknownAccount { name: String, did_you_mean: Option<String> },
    #[error("unknown category '{name}'{}", suggestion(.did_you_mean))]
    UnknownCategory { name: String, did_you_mean: Option<String> },
    #[error("unknown transaction '{0}'")]
    UnknownTransaction(String),
    #[error("an account named '{0}' already exists in this book")]
    DuplicateAccount(String),
    #[error("a category named '{0}' already exists in this book")]
    DuplicateCategory(String),
    #[error("a transaction with id '{0}' already exists")]
    DuplicateTransaction(String),
    #[error("the book already exists")]
    BookExists,
    #[error("no book: run `kassa init` first")]
    NoBook,
    #[error("transfer from '{from}' ({from_currency}) to '{to}' ({to_currency}) needs a rate or a target amount")]
    TransferNeedsRate { from: String, from_currency: String, to: String, to_currency: String },
    #[error("transfer needs two different accounts, got '{0}' twice")]
    TransferToSelf(String),
    #[error("transfer amount must be positive, got {0}")]
    TransferNotPositive(String),
    #[error("amount must not be zero")]
    ZeroAmount,
    #[error("postings do not balance: {currency} sums to {sum}")]
    Unbalanced { currency: String, sum: String },
    /// A sum a store keeps would leave its range (`money::LIMIT` for a
    /// balance, 64-bit minor units for any other total); the write that
    /// would have made it is refused.
    #[error("{what} would be {value}, out of range ({limit})")]
    OutOfRange { what: String, value: String, limit: &'static str },
    #[error("a transaction needs at least two postings")]
    TooFewPostings,
    #[error("invalid rule: {0}")]
    InvalidRule(String),
    #[error("unknown rule '{0}'")]
    UnknownRule(String),
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("exchange rate {0}")]
    BadFxRate(String),
    #[error("price {0} must not be negative and must name a symbol")]
    BadPrice(String),
    /// A budget or bucket command's field that is not acceptable, by its name.
    #[error("{field}: {reason}")]
    BadBudget { field: &'static str, reason: String },
}

fn suggestion(s: &Option<String>) -> String {
    match s {
        Some(n) => format!(" (did you mean '{n}'?)"),
        None => String::new(),
    }
}
