//! `kassa rules …` and `kassa categorize …`: rules kept in the log, rule runs
//! with a dry-run preview and undo, and the book's learning categoriser.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use jiff::civil::Date;
use kassa_app::SystemClock;
use kassa_app::categorize as service;
use kassa_core::categorize::evaluate::benchmark;
use kassa_core::categorize::holdout::{self, HoldoutConfig};
use kassa_core::categorize::rules::{RULE_FORMAT, export_json, export_toml, import_json, import_toml};
use kassa_core::categorize::synth::SynthConfig;
use kassa_core::categorize::{ModelKind, Rule, synth};
use serde::Serialize;
use serde_json::{Value, json};

use crate::ledger::{Ctx, parse_date, parse_end};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum RulesCmd {
    /// Add a rule from flags, e.g. `--if description:contains:rewe --set-category Groceries`
    Add(RuleArgs),
    List,
    /// Change an existing rule: the flags given replace those parts
    Edit {
        id: String,
        #[command(flatten)]
        rule: RuleArgs,
    },
    Delete {
        id: String,
    },
    /// Change the running order: the rules named run first, in the order
    /// given; the others follow as before
    Reorder {
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
    },
    /// Print every rule as a rule file
    Export {
        #[arg(long, value_parser = ["toml", "json"], default_value = "toml")]
        format: String,
    },
    /// Add or replace the rules of a TOML or JSON rule file, all or none
    Import {
        file: std::path::PathBuf,
    },
    /// Run the rules over the book (or a date range); `--dry-run` only shows the changes
    Apply {
        #[arg(long, value_parser = parse_date)]
        from: Option<Date>,
        #[arg(long, value_parser = parse_end)]
        to: Option<Date>,
        #[arg(long)]
        dry_run: bool,
    },
    /// Put back what a rule run changed
    Undo {
        run: uuid::Uuid,
    },
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Rule name (for `add`)
    name: Option<String>,
    /// A condition FIELD:OP:VALUE — fields description, counterparty, amount (signed: money out is
    /// negative), magnitude (|amount|), account, date, currency; ops contains, equals, starts_with,
    /// ends_with, regex, one_of (a,b), between (lo,hi), gt, lt, ge, le
    #[arg(long = "if", value_name = "FIELD:OP:VALUE")]
    conditions: Vec<String>,
    /// Match when any condition holds (default: all)
    #[arg(long)]
    any: bool,
    /// Only money going out / coming in
    #[arg(long, conflicts_with = "inflow")]
    outflow: bool,
    #[arg(long)]
    inflow: bool,
    #[arg(long)]
    set_category: Option<String>,
    #[arg(long)]
    set_counterparty: Option<String>,
    #[arg(long = "tag")]
    tags: Vec<String>,
    #[arg(long)]
    set_notes: Option<String>,
    /// Take the matching transactions' spending from this bucket (as `kassa tx bucket`)
    #[arg(long, value_name = "BUCKET")]
    set_bucket: Option<String>,
    /// Stop running later rules when this one matches
    #[arg(long)]
    stop: bool,
    #[arg(long)]
    position: Option<i64>,
    #[arg(long)]
    disabled: bool,
}

impl RuleArgs {
    /// The flags as a rule-file entry, so flags and files share one parser.
    fn to_json(&self, name: &str, id: Option<&str>) -> anyhow::Result<Value> {
        let mut leaves = vec![];
        for c in &self.conditions {
            let mut parts = c.splitn(3, ':');
            let (Some(field), Some(op), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
                bail!("condition '{c}' is not FIELD:OP:VALUE");
            };
            let value = match op {
                "one_of" | "between" => json!(value.split(',').map(str::trim).collect::<Vec<_>>()),
                _ => json!(value),
            };
            leaves.push(json!({ "field": field, op: value }));
        }
        if self.outflow {
            leaves.push(json!({ "is_outflow": true }));
        }
        if self.inflow {
            leaves.push(json!({ "is_inflow": true }));
        }
        let mut then = vec![];
        if let Some(c) = &self.set_category {
            then.push(json!({ "set_category": c }));
        }
        if let Some(c) = &self.set_counterparty {
            then.push(json!({ "set_counterparty": c }));
        }
        if !self.tags.is_empty() {
            then.push(json!({ "add_tags": self.tags }));
        }
        if let Some(n) = &self.set_notes {
            then.push(json!({ "set_notes": n }));
        }
        if let Some(b) = &self.set_bucket {
            then.push(json!({ "set_bucket": b }));
        }
        let mut rule = json!({
            "name": name,
            "when": { if self.any { "any" } else { "all" }: leaves },
            "then": then,
            "stop_processing": self.stop,
            "enabled": !self.disabled,
        });
        if let Some(id) = id {
            rule["id"] = json!(id);
        }
        if let Some(p) = self.position {
            rule["position"] = json!(p);
        }
        Ok(rule)
    }
}

fn parse_rules(text: &str, json_first: bool) -> anyhow::Result<Vec<Rule>> {
    let parsed = if json_first { import_json(text) } else { import_toml(text) };
    Ok(parsed?)
}

pub fn rules(ctx: &Ctx, cmd: RulesCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    match cmd {
        RulesCmd::Add(args) => {
            let Some(name) = args.name.clone() else { bail!("a rule needs a name: kassa rules add NAME --if …") };
            if args.conditions.is_empty() && !args.inflow && !args.outflow {
                bail!("a rule needs at least one --if condition (or --inflow / --outflow)");
            }
            let file = json!({ "version": RULE_FORMAT, "rule": [args.to_json(&name, None)?] });
            let rules = parse_rules(&file.to_string(), true)?;
            let id = rules[0].id.clone();
            ctx.local().add_rules(book.id, rules)?;
            println!("{id}");
            Ok(())
        }
        RulesCmd::Edit { id, rule } => ctx.local().edit_rule(book.id, &id.clone(), |old| {
            let mut edited = old.clone();
            let name = rule.name.clone().unwrap_or_else(|| old.name.clone());
            let has_conditions = !rule.conditions.is_empty() || rule.inflow || rule.outflow;
            let file = json!({ "version": RULE_FORMAT, "rule": [rule.to_json(&name, Some(&id))?] });
            let fresh = parse_rules(&file.to_string(), true)?;
            let new = &fresh[0];
            edited.name = name;
            if has_conditions {
                edited.conditions = new.conditions.clone();
            }
            if !new.actions.is_empty() {
                edited.actions = new.actions.clone();
            }
            if let Some(p) = rule.position {
                edited.position = p;
            }
            edited.stop_processing = rule.stop || old.stop_processing && !has_conditions && new.actions.is_empty();
            edited.enabled = !rule.disabled;
            Ok::<_, anyhow::Error>(edited)
        }),
        RulesCmd::Delete { id } => Ok(ctx.local().delete_rule(book.id, id)?),
        RulesCmd::Reorder { ids } => {
            let order = ctx.local().reorder_rules(book.id, &ids)?;
            let ids: Vec<&str> = order.iter().map(|r| r.id.as_str()).collect();
            eprintln!("rules now run in this order: {}", ids.join(", "));
            Ok(())
        }
        RulesCmd::List => {
            #[derive(Serialize)]
            struct Row {
                id: String,
                name: String,
                position: i64,
                enabled: bool,
                stop: bool,
                #[serde(flatten)]
                rule: Value,
            }
            // JSON keeps each whole rule; a table's or CSV's cell says it in words.
            let rows = ctx
                .local()
                .rules(book.id)?
                .iter()
                .map(|r| {
                    let rule = match ctx.output {
                        output::Format::Json => json!({ "rule": r }),
                        _ => json!({
                            "when": r.conditions.to_string(),
                            "then": r.actions.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
                        }),
                    };
                    Row {
                        id: r.id.clone(),
                        name: r.name.clone(),
                        position: r.position,
                        enabled: r.enabled,
                        stop: r.stop_processing,
                        rule,
                    }
                })
                .collect::<Vec<_>>();
            output::print(&rows, ctx.output)
        }
        RulesCmd::Export { format } => {
            let rules = ctx.local().rules(book.id)?;
            let text = if format == "json" { export_json(&rules)? } else { export_toml(&rules)? };
            println!("{text}");
            Ok(())
        }
        RulesCmd::Import { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let json = text.trim_start().starts_with('{');
            let rules = parse_rules(&text, json).with_context(|| file.display().to_string())?;
            let n = rules.len();
            ctx.local().save_rules(book.id, rules)?;
            eprintln!("saved {n} rules from {}", file.display());
            Ok(())
        }
        RulesCmd::Apply { from, to, dry_run } => {
            let report = service::apply_rules(ctx.store, book.id, &ctx.actor, from, to, dry_run)?;
            print_run(ctx, &report)
        }
        RulesCmd::Undo { run } => {
            let n = service::undo_run(ctx.store, book.id, &ctx.actor, run)?;
            eprintln!("restored {n} categories changed by run {run}");
            Ok(())
        }
    }
}

fn print_run(ctx: &Ctx, report: &service::RunReport) -> anyhow::Result<()> {
    print_changes(ctx, &report.changes)?;
    let verb = if report.dry_run { "would change" } else { "changed" };
    eprintln!("run {}: {verb} {} transactions", report.run, report.changes.len());
    Ok(())
}

/// Changes as a listing: the table shows the one-line `why`, JSON and CSV
/// also carry the structured evidence.
fn print_changes(ctx: &Ctx, changes: &[service::Change]) -> anyhow::Result<()> {
    if ctx.output != output::Format::Table {
        return output::print(changes, ctx.output);
    }
    #[derive(Serialize)]
    struct Row<'a> {
        tx_id: &'a str,
        date: Date,
        description: &'a str,
        from: Option<&'a str>,
        to: Option<&'a str>,
        by: &'a str,
        why: &'a str,
    }
    let rows: Vec<Row<'_>> = changes
        .iter()
        .map(|c| Row {
            tx_id: &c.tx_id,
            date: c.date,
            description: &c.description,
            from: c.from.as_deref(),
            to: c.to.as_deref(),
            by: c.by,
            why: &c.why,
        })
        .collect();
    output::print(&rows, ctx.output)
}

#[derive(Debug, Subcommand)]
pub enum CategorizeCmd {
    /// Train the book's categoriser on its categorised history
    Train,
    /// Rules first, then the model: applied above its threshold, suggested below
    Run {
        #[arg(long, value_parser = parse_date)]
        from: Option<Date>,
        #[arg(long, value_parser = parse_end)]
        to: Option<Date>,
        #[arg(long)]
        dry_run: bool,
    },
    /// What the model proposes for uncategorised transactions, with the
    /// evidence — the same rows and verdicts as `run --dry-run`;
    /// `--accept-above` applies the stored suggestions as your choice
    Review {
        /// Accept every listed suggestion at or above this confidence (0..1)
        #[arg(long)]
        accept_above: Option<f64>,
    },
    /// Train on history before a date, measure on the rest
    Evaluate {
        /// Default: the book's last three months are the test set
        #[arg(long, value_parser = parse_date)]
        split_date: Option<Date>,
        /// Evaluate on a generated multi-locale history instead of the book:
        /// train on its first 24 months, test on the next 6
        #[arg(long)]
        synthetic: bool,
        /// Which generator: `synth` (the first) or `holdout` (the second,
        /// written apart from it)
        #[arg(long, value_parser = ["synth", "holdout"], default_value = "synth")]
        generator: String,
        /// Seed of the generated history
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

pub fn categorize(ctx: &Ctx, cmd: CategorizeCmd) -> anyhow::Result<()> {
    match cmd {
        CategorizeCmd::Evaluate { synthetic: true, seed, generator, .. } => {
            let (history, start) = if generator == "holdout" {
                let cfg = HoldoutConfig { seed, months: 30, ..HoldoutConfig::default() };
                (holdout::generate(&cfg), cfg.start)
            } else {
                let cfg = SynthConfig { seed, months: 30, ..SynthConfig::default() };
                (synth::generate(&cfg), cfg.start)
            };
            let months = |n: i64| start.saturating_add(jiff::Span::new().months(n));
            let bench = benchmark(&history, months(24), months(30), &ModelKind::ALL);
            println!("{bench}");
            Ok(())
        }
        CategorizeCmd::Evaluate { split_date, .. } => {
            let book = ctx.book()?;
            let split = match split_date {
                Some(d) => d,
                None => {
                    let rows = ctx
                        .store
                        .transactions(book.id, &kassa_store::TxFilter { limit: Some(1), ..Default::default() })?;
                    let last = rows.first().map(|r| r.date).context("the book has no transactions")?;
                    last.saturating_sub(jiff::Span::new().months(3))
                }
            };
            let r = service::evaluate(ctx.store, book.id, split)?;
            #[derive(Serialize)]
            struct Row {
                split: Date,
                model: &'static str,
                n_train: usize,
                n_test: usize,
                top1_accuracy: String,
                threshold: String,
                auto_precision: String,
                coverage: String,
            }
            output::print(
                &[Row {
                    split,
                    model: r.kind.name(),
                    n_train: r.n_train,
                    n_test: r.n_test,
                    top1_accuracy: format!("{:.3}", r.top1_accuracy),
                    threshold: format!("{:.3}", r.threshold),
                    auto_precision: format!("{:.3}", r.auto_precision),
                    coverage: format!("{:.3}", r.coverage),
                }],
                ctx.output,
            )
        }
        CategorizeCmd::Train => {
            let book = ctx.book()?;
            let r = service::train(ctx.store, &SystemClock, book.id)?;
            output::print(&[r], ctx.output)
        }
        CategorizeCmd::Run { from, to, dry_run } => {
            let book = ctx.book()?;
            let report = service::run(
                ctx.store,
                &SystemClock,
                book.id,
                &ctx.actor,
                service::Scope { from, to, only: None },
                dry_run,
            )?;
            print_run(ctx, &report)
        }
        CategorizeCmd::Review { accept_above } => {
            let book = ctx.book()?;
            if let Some(min) = accept_above {
                let n = ctx.local().accept_suggestions(book.id, min)?;
                eprintln!("accepted {n} suggestions");
                return Ok(());
            }
            let changes = service::review(ctx.store, &SystemClock, book.id, service::Scope::default())?;
            print_changes(ctx, &changes)
        }
    }
}
