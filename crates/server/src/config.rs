//! `HttpLimits`: the request limits the HTTP layer enforces. `kassa serve`
//! reads them from its configuration; the defaults are what the server
//! has always used.

use std::time::Duration;

/// Request size and time limits, per router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest request body outside the upload routes, which have their own.
    pub body_limit: usize,
    /// Largest upload of bank files through the API.
    pub upload_limit: usize,
    /// Largest upload through the web import page, whose files wait in the
    /// store between preview and confirm.
    pub web_upload_limit: usize,
    pub request_timeout: Duration,
    /// Uploads parse and store whole files: they may take longer than the rest.
    pub upload_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            // JSON resources are small.
            body_limit: 1 << 20,
            // A few years of statements from several banks.
            upload_limit: 64 << 20,
            web_upload_limit: 32 << 20,
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(600),
        }
    }
}
