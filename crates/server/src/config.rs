//! `HttpLimits`: the request limits the HTTP layer enforces, and `Proxies`:
//! which reverse proxies in front of kassa are believed. `kassa serve`
//! reads both from its configuration; the defaults are what the server
//! has always used (no proxy is trusted).

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
    /// On SQLite, how long a write waits for the one writer before it is
    /// answered 503 `busy` (`Retry-After` says the same span).
    pub write_wait: Duration,
    /// An import upload larger than this many bytes runs as a background
    /// job (202 Accepted), as does one sent with `Prefer: respond-async`.
    pub import_job_bytes: usize,
    /// … or one whose rows, estimated from its bytes, are more than this.
    pub import_job_rows: u64,
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
            // Most writes take milliseconds; a client retrying after 5 s
            // beats a connection parked for 30.
            write_wait: Duration::from_secs(5),
            // About 100k bank CSV rows: an import of a few seconds. Longer
            // ones hold SQLite's writer long enough that their uploader is
            // better off polling than holding a request open.
            import_job_bytes: 8 << 20,
            import_job_rows: 100_000,
        }
    }
}

/// The reverse proxies in front of kassa, and what is believed of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    /// Peers whose `X-Forwarded-For` (the client's address, for the login
    /// limits) and `X-Forwarded-Proto` (HTTPS, for the `Secure` cookie
    /// flag) are believed. From anyone else both headers are ignored: a
    /// client could send them itself.
    pub trusted: Vec<ipnet::IpNet>,
    /// Mark cookies `Secure` on every reply, for a proxy that terminates
    /// HTTPS without saying so in `X-Forwarded-Proto`.
    pub secure_cookies: bool,
}

impl Proxies {
    /// A trusted proxy as configured: a network (`10.0.0.0/8`, `fd00::/8`)
    /// or one address (`127.0.0.1`, `::1`).
    pub fn network(text: &str) -> Result<ipnet::IpNet, String> {
        let text = text.trim();
        text.parse::<ipnet::IpNet>()
            .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| format!("'{text}' is not an IP address or network (e.g. 10.0.0.0/8)"))
    }
}
