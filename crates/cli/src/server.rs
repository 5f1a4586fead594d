//! `kassa serve` and `kassa user …`: thin wrappers over the server crate's
//! application layer, the same functions the HTTP API calls.

use std::io::Read;
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use clap::{Args, Subcommand};
use kassa_app::{App, Config, Registration};
use kassa_server::{HttpLimits, Proxies};
use serde::Serialize;

use crate::config::{LogFormat, LogSection, Settings};
use crate::output::{self, Format};

/// The flags override the configuration (see `kassa.example.toml`).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (server.bind, KASSA_BIND; default 127.0.0.1:8080)
    #[arg(long)]
    pub bind: Option<String>,
    /// Who may register through the API: open, invite or closed (auth.registration, KASSA_REGISTRATION; default closed)
    #[arg(long)]
    pub registration: Option<Registration>,
    /// Print the effective configuration as TOML, passwords masked, and exit
    #[arg(long)]
    pub print_config: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Create a user (with a personal book); the password is read from stdin
    Add {
        email: String,
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Make the user a platform admin
        #[arg(long)]
        admin: bool,
    },
    List,
    /// Stop a user from logging in; their tokens stop working
    Disable {
        email: String,
    },
    /// Set a new password, read from stdin; ends all of the user's sessions and invitations
    ResetPassword {
        email: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Serialize)]
struct UserLine {
    id: String,
    email: String,
    platform_admin: bool,
    disabled: bool,
}

pub fn app(store: Box<dyn kassa_store::Store>, config: Config) -> App {
    App::new(Arc::from(store), config)
}

fn read_password() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).context("cannot read the password from stdin")?;
    Ok(s.trim_end_matches(['\r', '\n']).to_string())
}

/// `config` too: users made here get the configured password cost and rules.
pub fn user(
    store: Box<dyn kassa_store::Store>,
    config: Config,
    cmd: UserCmd,
    format: Format,
    actor: &str,
) -> anyhow::Result<()> {
    store.migrate()?;
    let app = app(store, config);
    let print = |rows: Vec<kassa_store::access::UserRow>| {
        let lines: Vec<UserLine> = rows
            .into_iter()
            .map(|u| UserLine {
                id: u.id.to_string(),
                email: u.email,
                platform_admin: u.platform_admin,
                disabled: u.disabled,
            })
            .collect();
        output::print(&lines, format)
    };
    match cmd {
        UserCmd::Add { email, admin, .. } => print(vec![app.add_user(actor, &email, &read_password()?, admin)?]),
        UserCmd::List => print(app.list_users()?),
        UserCmd::Disable { email } => print(vec![app.disable_user(actor, &email)?]),
        UserCmd::ResetPassword { email, .. } => print(vec![app.reset_password(actor, &email, &read_password()?)?]),
    }
}

pub fn serve(store: Box<dyn kassa_store::Store>, settings: &Settings) -> anyhow::Result<()> {
    store.migrate()?;
    let app = app(store, settings.auth.app_config());
    // Every use case runs on the blocking pool and holds a store connection,
    // so threads beyond the pool's connections would only queue for one,
    // and on a small machine their wake-ups cost more than the queueing:
    // +10 % SQLite and +18 % PostgreSQL register pages (docs/BENCHMARKS.md).
    let blocking = settings.server.blocking_threads.map_or_else(|| app.store.connections(), |n| n.get());
    kassa_server::ops::install_metrics(settings.server.metrics_token.as_ref().map(|t| t.expose().as_str()))
        .map_err(anyhow::Error::msg)?;
    serve_with(app, &settings.server.bind, settings.server.limits(), settings.server.proxies(), blocking, |addr| {
        eprintln!("kassa listening on http://{addr} (API under /api/v1, docs at /api/docs)");
    })
}

/// Serves `app` on `bind` with the default limits until Ctrl-C or SIGTERM:
/// what `kassa demo` runs. `ready` hears the bound address (the real port
/// when `bind` asks for port 0) before the first request is taken.
pub fn serve_app(app: App, bind: &str, ready: impl FnOnce(std::net::SocketAddr)) -> anyhow::Result<()> {
    let blocking = app.store.connections();
    kassa_server::ops::install_metrics(None).map_err(anyhow::Error::msg)?;
    serve_with(app, bind, HttpLimits::default(), Proxies::default(), blocking, ready)
}

/// `serve_app` with the request `limits`, the trusted `proxies` and at most
/// `blocking_threads` on the blocking pool.
fn serve_with(
    app: App,
    bind: &str,
    limits: HttpLimits,
    proxies: Proxies,
    blocking_threads: usize,
    ready: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    init_logging()?;
    // Dropped after the runtime: the synchronous PostgreSQL client must not
    // close its connections on a runtime thread.
    let keep = app.clone();
    let rt = tokio::runtime::Builder::new_multi_thread().max_blocking_threads(blocking_threads).enable_all().build()?;
    let served = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
        ready(listener.local_addr()?);
        kassa_server::serve(listener, app, limits, proxies, shutdown_signal()).await?;
        eprintln!("kassa stopped");
        Ok::<_, anyhow::Error>(())
    });
    drop(rt);
    drop(keep);
    served
}

/// The log settings serving starts with. Process-wide, like the `tracing`
/// subscriber they configure: `main` sets them once, so `kassa demo`, which
/// calls `serve_app` itself, logs as configured too.
static LOG: OnceLock<LogSection> = OnceLock::new();

pub fn set_logging(log: LogSection) {
    let _ = LOG.set(log);
}

/// The request log, from when serving starts: the store's migration
/// notices before it and the other commands' output stay unlogged. To the
/// console, and with `log.dir` also to a file there that rotates daily,
/// written line by line as it happens (no buffer a crash would lose).
fn init_logging() -> anyhow::Result<()> {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    type Boxed = Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>;
    let log = LOG.get().cloned().unwrap_or_default();
    let filter = tracing_subscriber::EnvFilter::try_new(&log.filter)?;
    let fmt = |json: bool| {
        let layer = tracing_subscriber::fmt::layer();
        if json { layer.json().boxed() } else { layer.boxed() }
    };
    let json = log.format == LogFormat::Json;
    let mut layers: Vec<Boxed> = vec![fmt(json)];
    if let Some(dir) = &log.dir {
        std::fs::create_dir_all(dir).with_context(|| format!("log.dir: cannot create {}", dir.display()))?;
        let file = tracing_appender::rolling::RollingFileAppender::builder()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("kassa")
            .filename_suffix("log")
            .build(dir)
            .with_context(|| format!("log.dir: cannot write in {}", dir.display()))?;
        let layer = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(file);
        layers.push(if json { layer.json().boxed() } else { layer.boxed() });
    }
    let _ = tracing_subscriber::registry().with(layers).with(filter).try_init();
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish what is running.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
