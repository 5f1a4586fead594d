//! Which column mapping an import would read a bank CSV with, so a
//! preview can show it next to the counts: the profile the request names,
//! else the built-in one the header matches, else the sniffed layout. The
//! choice is `kassa_import::csv_bank::choose`, the one `import` makes.

use kassa_core::BookId;
use kassa_core::access::BookRole;
use kassa_import::Format;
use kassa_import::csv_bank;

use super::imports::{ImportRequest, Upload, find_profile};
use super::{Actor, App, AppError, AppResult};

/// A CSV layout as the preview shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingView {
    pub profile: String,
    /// `named` (the request chose it), `matched` (a built-in recognised the
    /// header) or `sniffed` (guessed from the content: check it).
    pub how: &'static str,
    /// The whole profile as TOML: columns, date format, decimal mark, sign.
    pub toml: String,
    /// What the sniffer was unsure about.
    pub notes: Vec<String>,
}

impl App {
    /// The mapping `file` would be imported with under `req`; `None` when
    /// it is not a bank CSV (OFX, camt, kassa's own CSVs … need none).
    pub fn csv_mapping(
        &self,
        actor: &Actor,
        book: BookId,
        file: &Upload,
        req: &ImportRequest,
    ) -> AppResult<Option<MappingView>> {
        self.access(actor, book)?.require(BookRole::Viewer)?;
        let named = match req.profile.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(name) => Some(
                find_profile(self.store.as_ref(), book, name)?
                    .ok_or_else(|| AppError::invalid("profile", format!("unknown profile '{name}'")))?,
            ),
            None => None,
        };
        let format = match req.format.as_deref().map(str::trim) {
            _ if named.is_some() => Some(Format::Csv),
            None | Some("" | "auto") => kassa_import::detect::detect(&file.bytes),
            Some(f) => Some(f.parse::<Format>().map_err(|e| AppError::invalid("format", e))?),
        };
        if format != Some(Format::Csv) {
            return Ok(None);
        }
        let (profile, sniffed, notes) = csv_bank::choose(&file.bytes, named.as_ref());
        let how = match (&named, sniffed) {
            (Some(_), _) => "named",
            (None, false) => "matched",
            (None, true) => "sniffed",
        };
        Ok(Some(MappingView {
            toml: profile.to_toml(),
            profile: profile.name,
            how,
            notes: notes.into_iter().map(|d| format!("line {}: {}", d.line, d.message)).collect(),
        }))
    }
}
