//! Values that must not reach a terminal or a log. A [`Secret`] prints as
//! `[redacted]` and gives its value only to an explicit `expose()`; a
//! [`DatabaseUrl`] prints with its password masked. Formatting either with
//! `{}` or `{:?}` is therefore always safe, and a leak needs a visible call.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that formats as `[redacted]`.
#[derive(Clone)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Secret<T> {
        Secret(value)
    }

    /// The value itself: only to hand it to what needs it (a driver), never to print.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A secret read from the configuration (`server.metrics_token`).
impl<'de> Deserialize<'de> for Secret<String> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

/// As `[redacted]`, for `--print-config`.
impl Serialize for Secret<String> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A database URL (`sqlite:///…`, `postgres://user:password@host/db`) that
/// formats and serialises with its password as `***`.
#[derive(Clone)]
pub struct DatabaseUrl(Secret<String>);

impl DatabaseUrl {
    pub fn new(url: String) -> DatabaseUrl {
        DatabaseUrl(Secret::new(url))
    }

    /// The URL with its password, for opening the store.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&kassa_store::redact_url(self.expose()))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(DatabaseUrl::new)
    }
}

/// Masked, for `--print-config`: what is serialised can never be read back
/// as the real URL.
impl Serialize for DatabaseUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_formats_as_redacted_and_exposes_on_request() {
        let s = Secret::new("s3cr3t".to_string());
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "s3cr3t");
    }

    #[test]
    fn a_database_url_masks_its_password_everywhere_but_expose() {
        let url = DatabaseUrl::new("postgres://postgres:s3cr3t@db.internal:5432/kassa".into());
        let shown = "postgres://postgres:***@db.internal:5432/kassa";
        assert_eq!(url.to_string(), shown);
        assert_eq!(format!("{url:?}"), format!("DatabaseUrl({shown})"));
        assert_eq!(serde_json::to_string(&url).unwrap(), format!("\"{shown}\""));
        assert_eq!(url.expose(), "postgres://postgres:s3cr3t@db.internal:5432/kassa");
    }

    #[test]
    fn a_url_without_a_password_is_shown_as_it_is() {
        for raw in ["sqlite:///var/lib/kassa/kassa.db", "postgres://postgres@127.0.0.1:5432/postgres"] {
            assert_eq!(DatabaseUrl::new(raw.into()).to_string(), raw);
        }
    }
}
