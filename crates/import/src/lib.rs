//! kassa-import: turns the files banks export into [`ParsedFile`]s — statement
//! rows with exact amounts and civil dates, plus diagnostics that name the line
//! and field of anything that could not be read.
//!
//! Pure and synchronous: bytes in, values out. No parser fails wholesale; the
//! caller (the store's import service) decides whether a file with error
//! diagnostics may be stored.

pub mod broker;
pub mod camt;
pub mod decode;
pub mod diagnostics;
pub mod model;
pub mod mt940;
pub mod ofx;
pub mod qif;
mod util;

pub use diagnostics::Diagnostics;
pub use model::{
    AccountHint, Diagnostic, Format, ParsedFile, RowStatus, Severity, StatementBalance, StatementRow, TradeDetail,
    TradeRow, TradeSide,
};
pub mod csv_bank;
pub mod detect;
pub mod native;
pub mod numbers;
mod preamble;
pub mod profile;
pub mod sniff;
mod table;
pub mod work;

/// Parses `bytes` as `format`, or as whatever [`detect::detect`] finds in
/// the content when `format` is `None`. A bank CSV uses `profile` when given,
/// else a built-in matched by its header, else a sniffed layout. A file of no
/// known format comes back empty with one error diagnostic.
pub fn parse(bytes: &[u8], format: Option<Format>, profile: Option<&profile::Profile>) -> ParsedFile {
    let Some(format) = format.or_else(|| detect::detect(bytes)) else {
        let mut out = ParsedFile::new(Format::Csv, "unknown");
        out.diagnostics.push(Diagnostic::error(
            1,
            None,
            "not a format kassa reads (CSV, OFX/QFX, QIF, camt.05x, MT940, kassa transactions/trades CSV, broker exports)",
        ));
        return out;
    };
    match format {
        Format::Csv => csv_bank::parse(bytes, profile),
        Format::Ofx => ofx::parse(bytes),
        Format::Qif => qif::parse(bytes),
        Format::Camt => camt::parse(bytes),
        Format::Mt940 => mt940::parse(bytes),
        Format::KassaCsv => native::parse_transactions(bytes),
        Format::Trades => native::parse_trades(bytes),
        Format::Broker => broker::parse(bytes),
    }
}

impl Format {
    /// The name used on the command line and in batch records.
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ofx => "ofx",
            Format::Qif => "qif",
            Format::Camt => "camt",
            Format::Mt940 => "mt940",
            Format::KassaCsv => "kassa-csv",
            Format::Trades => "trades",
            Format::Broker => "broker",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Format::Csv,
            "ofx" | "qfx" => Format::Ofx,
            "qif" => Format::Qif,
            "camt" | "camt.052" | "camt.053" | "camt.054" => Format::Camt,
            "mt940" | "sta" => Format::Mt940,
            "kassa-csv" | "transactions" => Format::KassaCsv,
            "trades" => Format::Trades,
            "broker" => Format::Broker,
            other => {
                return Err(format!(
                    "unknown format '{other}' (expected auto, csv, ofx, qif, camt, mt940, kassa-csv, trades or broker)"
                ));
            }
        })
    }
}
