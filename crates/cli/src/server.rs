//! `kassa serve` and `kassa user …`: thin wrappers over the server crate's
//! application layer, the same functions the HTTP API calls.

use std::io::Read;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use kassa_app::{App, Config, Registration};
use serde::Serialize;

use crate::output::{self, Format};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080", env = "KASSA_BIND")]
    pub bind: String,
    /// Who may register through the API: open, invite or closed
    #[arg(long, default_value = "closed", env = "KASSA_REGISTRATION")]
    pub registration: Registration,
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

pub fn user(store: Box<dyn kassa_store::Store>, cmd: UserCmd, format: Format, actor: &str) -> anyhow::Result<()> {
    store.migrate()?;
    let app = app(store, Config::default());
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

pub fn serve(store: Box<dyn kassa_store::Store>, args: ServeArgs) -> anyhow::Result<()> {
    store.migrate()?;
    let config = Config { registration: args.registration, ..Config::default() };
    serve_app(app(store, config), &args.bind, |addr| {
        eprintln!("kassa listening on http://{addr} (API under /api/v1, docs at /api/docs)");
    })
}

/// Serves `app` on `bind` until Ctrl-C or SIGTERM: what `kassa serve` and
/// `kassa demo` both run. `ready` hears the bound address (the real port
/// when `bind` asks for port 0) before the first request is taken.
pub fn serve_app(app: App, bind: &str, ready: impl FnOnce(std::net::SocketAddr)) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("KASSA_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .try_init();
    // Dropped after the runtime: the synchronous PostgreSQL client must not
    // close its connections on a runtime thread.
    let keep = app.clone();
    // Every use case runs on the blocking pool and holds a store connection,
    // so threads beyond the pool's connections would only queue for one,
    // and on a small machine their wake-ups cost more than the queueing:
    // +10 % SQLite and +18 % PostgreSQL register pages (docs/BENCHMARKS.md).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(app.store.connections())
        .enable_all()
        .build()?;
    let served = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
        ready(listener.local_addr()?);
        kassa_server::serve(listener, app, shutdown_signal()).await?;
        eprintln!("kassa stopped");
        Ok::<_, anyhow::Error>(())
    });
    drop(rt);
    drop(keep);
    served
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
