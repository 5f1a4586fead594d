//! The configuration of kassa: one typed [`Settings`], resolved by figment
//! from, each overriding the one before,
//!
//! 1. the defaults (the values kassa has always used),
//! 2. the TOML file `--config PATH` / `KASSA_CONFIG` names (none unless given:
//!    no file is looked for, so nothing outside the command line changes a run),
//! 3. the variables kassa has always read: `KASSA_DB`, `KASSA_BIND`,
//!    `KASSA_REGISTRATION`, `KASSA_LOG`,
//! 4. `KASSA_<SECTION>__<KEY>` variables, e.g. `KASSA_SERVER__BIND`,
//! 5. the flags that set a key: `--db`, and `serve --bind` / `--registration`.
//!
//! Every key is documented in `kassa.example.toml` at the repository root.
//! An unknown key or a bad value is an error naming the key and its source.

use std::num::NonZeroUsize;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::value::{Dict, Map};
use figment::{Figment, Metadata, Profile, Provider};
use kassa_app::{Config, PasswordCost, Registration};
use kassa_server::{HttpLimits, Proxies};
use serde::{Deserialize, Deserializer, Serialize};

use crate::secret::{DatabaseUrl, Secret};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSection,
    pub server: ServerSection,
    pub auth: AuthSection,
    pub log: LogSection,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSection {
    /// `None`: the command's own default file in the data directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<DatabaseUrl>,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
}

impl Default for DatabaseSection {
    fn default() -> Self {
        let pool = kassa_store::PoolOptions::default();
        DatabaseSection { url: None, pool_size: pool.size, connect_timeout_secs: pool.connect_timeout.as_secs() }
    }
}

impl DatabaseSection {
    pub fn pool(&self) -> kassa_store::PoolOptions {
        kassa_store::PoolOptions {
            size: self.pool_size,
            connect_timeout: Duration::from_secs(self.connect_timeout_secs),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSection {
    pub bind: String,
    pub body_limit_bytes: usize,
    pub upload_limit_bytes: usize,
    pub web_upload_limit_bytes: usize,
    pub request_timeout_secs: u64,
    pub upload_timeout_secs: u64,
    /// On SQLite: how long a write queues behind the one writer before its
    /// answer is 503 `busy`, "retry in N s".
    pub write_wait_secs: u64,
    /// An import upload larger than this runs as a background job (202
    /// Accepted, polled at `/api/v1/jobs/{id}`), as does one sent with
    /// `Prefer: respond-async`…
    pub import_job_bytes: usize,
    /// … or one whose rows, estimated from its bytes, are more than this.
    pub import_job_rows: u64,
    /// `None`: as many as the store has connections. Never 0: tokio
    /// needs one thread to run the store's calls on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocking_threads: Option<NonZeroUsize>,
    /// Reverse proxies whose `X-Forwarded-For` / `-Proto` are believed:
    /// addresses or networks, checked when read.
    #[serde(deserialize_with = "networks")]
    pub trusted_proxies: Vec<String>,
    pub secure_cookies: bool,
    /// The bearer token `/metrics` asks for; `None`: it answers loopback
    /// clients only (`kassa_server::ops`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<Secret<String>>,
}

impl Default for ServerSection {
    fn default() -> Self {
        let limits = HttpLimits::default();
        ServerSection {
            bind: "127.0.0.1:8080".into(),
            body_limit_bytes: limits.body_limit,
            upload_limit_bytes: limits.upload_limit,
            web_upload_limit_bytes: limits.web_upload_limit,
            request_timeout_secs: limits.request_timeout.as_secs(),
            upload_timeout_secs: limits.upload_timeout.as_secs(),
            write_wait_secs: limits.write_wait.as_secs(),
            import_job_bytes: limits.import_job_bytes,
            import_job_rows: limits.import_job_rows,
            blocking_threads: None,
            trusted_proxies: vec![],
            secure_cookies: false,
            metrics_token: None,
        }
    }
}

impl ServerSection {
    pub fn limits(&self) -> HttpLimits {
        HttpLimits {
            body_limit: self.body_limit_bytes,
            upload_limit: self.upload_limit_bytes,
            web_upload_limit: self.web_upload_limit_bytes,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            upload_timeout: Duration::from_secs(self.upload_timeout_secs),
            write_wait: Duration::from_secs(self.write_wait_secs),
            import_job_bytes: self.import_job_bytes,
            import_job_rows: self.import_job_rows,
        }
    }

    pub fn proxies(&self) -> Proxies {
        Proxies {
            // Each was checked by `networks` when the settings were read.
            trusted: self.trusted_proxies.iter().filter_map(|p| Proxies::network(p).ok()).collect(),
            secure_cookies: self.secure_cookies,
        }
    }
}

fn networks<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let list = Vec::<String>::deserialize(d)?;
    for p in &list {
        Proxies::network(p).map_err(serde::de::Error::custom)?;
    }
    Ok(list)
}

/// The application's [`Config`], in seconds and plain numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSection {
    pub registration: Registration,
    pub token_ttl_secs: u64,
    pub min_password_chars: usize,
    pub password_memory_kib: u32,
    pub password_iterations: u32,
    pub login_failures_per_account: u32,
    pub login_backoff_max_secs: u64,
    pub login_attempts_per_ip: u32,
    pub login_window_secs: u64,
    pub access_cache_ttl_secs: u64,
    pub access_epoch_interval_ms: u64,
}

/// The application's own defaults, so they are written down once.
impl Default for AuthSection {
    fn default() -> Self {
        let c = Config::default();
        AuthSection {
            registration: c.registration,
            token_ttl_secs: c.token_ttl.as_secs(),
            min_password_chars: c.min_password_chars,
            password_memory_kib: c.password_cost.memory_kib,
            password_iterations: c.password_cost.iterations,
            login_failures_per_account: c.login_failures_per_account,
            login_backoff_max_secs: c.login_backoff_max.as_secs(),
            login_attempts_per_ip: c.login_attempts_per_ip,
            login_window_secs: c.login_window.as_secs(),
            access_cache_ttl_secs: c.access_cache_ttl.as_secs(),
            access_epoch_interval_ms: c.access_epoch_interval.as_millis() as u64,
        }
    }
}

impl AuthSection {
    pub fn app_config(&self) -> Config {
        Config {
            registration: self.registration,
            token_ttl: Duration::from_secs(self.token_ttl_secs),
            password_cost: PasswordCost { memory_kib: self.password_memory_kib, iterations: self.password_iterations },
            min_password_chars: self.min_password_chars,
            login_failures_per_account: self.login_failures_per_account,
            login_backoff_max: Duration::from_secs(self.login_backoff_max_secs),
            login_attempts_per_ip: self.login_attempts_per_ip,
            login_window: Duration::from_secs(self.login_window_secs),
            access_cache_ttl: Duration::from_secs(self.access_cache_ttl_secs),
            access_epoch_interval: Duration::from_millis(self.access_epoch_interval_ms),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSection {
    /// A `tracing` filter directive; checked when read, so a bad one is
    /// reported with its key and source.
    #[serde(deserialize_with = "log_filter")]
    pub filter: String,
    pub format: LogFormat,
    /// Also log to `kassa.YYYY-MM-DD.log` files in this folder, a new one
    /// each day (UTC); `None`: the console only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<std::path::PathBuf>,
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection { filter: "info".into(), format: LogFormat::Text, dir: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

fn log_filter<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    tracing_subscriber::EnvFilter::try_new(&s).map_err(serde::de::Error::custom)?;
    Ok(s)
}

/// The flags that set a key, when given on the command line.
#[derive(Debug, Default)]
pub struct Flags {
    pub db: Option<String>,
    pub bind: Option<String>,
    pub registration: Option<Registration>,
}

/// Resolves the settings: defaults, `file`, the environment, `flags`.
pub fn load(file: Option<&Path>, flags: &Flags) -> anyhow::Result<Settings> {
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    if let Some(path) = file {
        let text = toml_text(path)?;
        let named = Metadata::from("TOML file", path).interpolater(|_: &Profile, k: &[&str]| k.join("."));
        figment = figment.merge(Named(Toml::string(&text), named));
    }
    for (var, key) in [
        ("KASSA_DB", "database.url"),
        ("KASSA_BIND", "server.bind"),
        ("KASSA_REGISTRATION", "auth.registration"),
        ("KASSA_LOG", "log.filter"),
    ] {
        let named = Metadata::named("the environment").interpolater(move |_: &Profile, _: &[&str]| var.into());
        figment = figment.merge(Named(Env::raw().only(&[var]).map(move |_| key.into()), named));
    }
    // Only nested names: KASSA_DB, KASSA_BOOK, KASSA_TEST_PG and the like
    // are not keys of this file.
    let nested = Env::prefixed("KASSA_").filter(|k| k.as_str().contains("__")).split("__");
    let named = Metadata::named("the environment")
        .interpolater(|_: &Profile, k: &[&str]| format!("KASSA_{}", k.join("__").to_ascii_uppercase()));
    figment = figment.merge(Named(nested, named));
    if let Some(db) = &flags.db {
        figment = figment.merge(Serialized::default("database.url", db));
    }
    if let Some(bind) = &flags.bind {
        figment = figment.merge(Serialized::default("server.bind", bind));
    }
    if let Some(registration) = flags.registration {
        figment = figment.merge(Serialized::default("auth.registration", registration));
    }
    figment.extract().context("configuration")
}

/// The file's text once it is known to be TOML. A syntax error is reported
/// by line and column only: the toml crate's own message quotes the line,
/// and that line may hold a password (`url = postgres://me:pw@…` unquoted).
fn toml_text(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
    if let Err(e) = toml::from_str::<toml::Table>(&text) {
        let at = e.span().map_or(0, |s| s.start);
        let line = text[..at].matches('\n').count() + 1;
        let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
        let message = e.message().replace('\n', "; ");
        anyhow::bail!("config file {}, line {line}, column {column}: {message}", path.display());
    }
    Ok(text)
}

/// A provider under metadata of our own, so that an error names the key as
/// the user spelled it (`KASSA_SERVER__BIND`, `server.bind`) where figment
/// would say `SERVER.BIND` or `default.server.bind`.
struct Named<P>(P, Metadata);

impl<P: Provider> Provider for Named<P> {
    fn metadata(&self) -> Metadata {
        self.1.clone()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        self.0.data()
    }
}
