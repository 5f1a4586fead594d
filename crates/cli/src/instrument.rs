//! `kassa instrument`: the instruments the book's trades buy and sell, and
//! the user's word on their name and kind.

use clap::Subcommand;
use kassa_app::instruments::{InstrumentEdit, list, set};
use kassa_core::portfolio::InstrumentKind;

use crate::ledger::Ctx;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum InstrumentCmd {
    /// Every instrument: key, ISIN, ticker, name, currency, kind
    List,
    /// Name an instrument or give its kind (stock, etf, fund, bond, crypto, other)
    Set {
        /// Its ISIN, or its ticker
        instrument: String,
        #[arg(long, value_parser = InstrumentKind::parse, required_unless_present = "name")]
        kind: Option<InstrumentKind>,
        #[arg(long)]
        name: Option<String>,
    },
}

pub fn run(ctx: &Ctx, cmd: InstrumentCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    match cmd {
        InstrumentCmd::List => output::print(&list(ctx.store, book.id)?, ctx.output),
        InstrumentCmd::Set { instrument, kind, name } => {
            let edit = InstrumentEdit { name, kind: kind.map(|k| k.as_str().to_string()) };
            let row = set(ctx.store, &ctx.actor, book.id, &instrument, &edit)?;
            let name = row.name.as_deref().unwrap_or("(no name)");
            ctx.done(format!("instrument {}: {name}, {}", row.instrument, row.kind.as_str()));
            Ok(())
        }
    }
}
