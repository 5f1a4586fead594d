//! kassa-core: the pure domain of kassa — exact money, ISO currencies, IBANs,
//! accounts, categories and the double-entry ledger as commands and events.
//!
//! Architecture invariant: nothing here does I/O, reads a clock, draws a
//! random number or uses a float for money. Ids and times are passed in.

pub mod categorize;
pub mod currency;
pub mod error;
pub mod iban;
pub mod money;

pub use currency::Currency;
pub use error::{LedgerError, ParseError};
pub use iban::Iban;
pub use money::Money;
