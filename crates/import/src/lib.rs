//! kassa-import: turns the files banks export into [`ParsedFile`]s — statement
//! rows with exact amounts and civil dates, plus diagnostics that name the line
//! and field of anything that could not be read.
//!
//! Pure and synchronous: bytes in, values out. No parser fails wholesale; the
//! caller (the store's import service) decides whether a file with error
//! diagnostics may be stored.

pub mod camt;
pub mod decode;
pub mod model;
pub mod mt940;
pub mod ofx;
pub mod qif;
mod util;

pub use model::{
    AccountHint, Diagnostic, Format, ParsedFile, RowStatus, Severity, StatementBalance, StatementRow, TradeRow,
    TradeSide,
};
pub mod csv_bank;
pub mod detect;
pub mod native;
pub mod numbers;
pub mod profile;
pub mod sniff;
mod table;
