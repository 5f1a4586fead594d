//! `kassa demo`: the demo personas (kassa-demo) seeded or found in their
//! own database, and the server on it, in one command.

use anyhow::Context;
use clap::Args;

use crate::server;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on; port 0 picks a free one
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// Create (or find) the demo data, then exit instead of serving
    #[arg(long)]
    seed_only: bool,
}

/// `sqlite://…/kassa/demo.sqlite` in the user's data directory.
pub fn default_db_url() -> anyhow::Result<String> {
    let dir = dirs::data_dir().context("no data directory on this system; pass --db")?.join("kassa");
    Ok(format!("sqlite://{}", dir.join("demo.sqlite").display()))
}

pub fn run(url: &str, args: &DemoArgs) -> anyhow::Result<()> {
    let app = kassa_demo::ensure(url)?;
    if args.seed_only {
        return Ok(());
    }
    server::serve_app(app, &args.bind, |addr| {
        println!("kassa demo: http://{addr}/");
        println!("Log in with any of these; the password is '{}' for all:", kassa_demo::PASSWORD);
        for (email, what) in kassa_demo::LOGINS {
            println!("  {email:<23} {what}");
        }
        println!("Ctrl-C stops the server; run `kassa demo` again to reuse the data.");
    })
}
