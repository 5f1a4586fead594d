//! `HttpLimits`: the request limits the HTTP layer enforces. `kassa serve`
//! reads them from its configuration; the defaults are what the server
//! has always used.

use std::time::Duration;

/// Request size and time limits, per router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest request body outside the upload routes, which keep their own.
    pub body_limit: usize,
    pub request_timeout: Duration,
    /// Uploads parse and store whole files: they may take longer than the rest.
    pub upload_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            // JSON resources are small.
            body_limit: 1 << 20,
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(600),
        }
    }
}
