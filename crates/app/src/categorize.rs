//! Categorisation as a service over a [`Store`]: rule runs (dry or real,
//! undoable), training the book's categoriser, running rules then the model,
//! and evaluation. The CLI and the API both call these; the decisions
//! themselves (manual wins, what a rule sets) are the core's.

use std::collections::HashSet;

use jiff::civil::Date;
use kassa_core::bucket::Buckets;
use kassa_core::categorize::evaluate::{Report, calibrate, evaluate_model};
use kassa_core::categorize::policy::merchant_key;
use kassa_core::categorize::{Categorizer, ModelKind, RuleSet, TxView};
use kassa_core::event::{Recategorized, book_stream};
use kassa_core::{BookId, CategorySource, Command, Event, LedgerError, TxId};
use serde::Serialize;
use uuid::Uuid;

use kassa_store::Store;
use kassa_store::{Result, StoreError};
use kassa_store::{StoredModel, TxFilter, TxRow};

use crate::clock::{Clock, new_id};

/// Share of the training history (its most recent end) held out to choose
/// the auto-apply threshold.
const VALIDATION_SHARE: f64 = 0.15;

/// Below this many categorised transactions no model is trained: its
/// confidence would mean nothing.
const MIN_EXAMPLES: usize = 30;

/// One change a run makes (or would make, when dry).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    pub tx_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: Date,
    pub description: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// rule | model | suggestion
    pub by: &'static str,
    /// One line for people: the rules that matched, or the confidence
    /// against the bar it had to clear and the strongest evidence.
    pub why: String,
    /// What decided it, for programs and the review page.
    pub evidence: Vec<Evidence>,
}

/// Why a category is proposed (SPEC C4: "returns a category with a
/// confidence and the evidence").
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// A rule matched.
    Rule { rule_id: String },
    /// The book's categorised history has this merchant under the category.
    Similar {
        merchant: String,
        count: usize,
        category: String,
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        last_date: Date,
        last_description: String,
    },
    /// A feature of the text, amount or account that pushed towards it.
    Token { feature: String, weight: f64 },
    /// The model's confidence and the bar (per class, higher for a merchant
    /// the history never had) that decides apply or suggest.
    Confidence { confidence: f64, threshold: f64, known_merchant: bool },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    pub run: Uuid,
    pub dry_run: bool,
    pub changes: Vec<Change>,
}

/// Which transactions a pass looks at: a date range, and optionally only
/// some ids (an import categorises just the batch it recorded).
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub only: Option<&'a HashSet<String>>,
}

/// What a categorisation pass considers: non-transfer transactions in scope.
fn candidates(store: &dyn Store, book: BookId, scope: Scope<'_>) -> Result<Vec<TxRow>> {
    // One new transaction (typed in) is looked up by id, not found in a scan.
    let id = match scope.only.map(|ids| ids.iter().collect::<Vec<_>>()).as_deref() {
        Some([one]) => one.parse().ok(),
        _ => None,
    };
    let rows = store.transactions(book, &TxFilter { id, from: scope.from, to: scope.to, ..TxFilter::default() })?;
    Ok(rows
        .into_iter()
        .filter(|r| r.transfer_account.is_none() && scope.only.is_none_or(|ids| ids.contains(&r.id)))
        .collect())
}

fn view(r: &TxRow) -> TxView<'_> {
    TxView {
        description: &r.description,
        counterparty: r.counterparty.as_deref(),
        amount: r.amount,
        currency: r.currency.code(),
        account: &r.account,
        date: r.date,
        category: r.category.as_deref(),
    }
}

fn tx_id(r: &TxRow) -> Result<TxId> {
    r.id.parse().map_err(|_| StoreError::Corrupt(format!("transaction id '{}'", r.id)))
}

/// A transaction a person typed in (API, `kassa tx add`) is treated like
/// an imported one: its merchant is the given counterparty or else the one
/// read from the description, and without a category it meets the book's
/// rules, then its model (applied or suggested by the model's policy).
pub fn merchant_of(counterparty: Option<String>, description: &str) -> Option<String> {
    counterparty.filter(|c| !c.trim().is_empty()).or_else(|| kassa_core::categorize::normalize_merchant(description))
}

/// The categorisation pass for one new transaction (see [`merchant_of`]).
pub fn categorize_new(store: &dyn Store, clock: &dyn Clock, book: BookId, actor: &str, tx: TxId) -> Result<RunReport> {
    let only: HashSet<String> = [tx.to_string()].into();
    run(store, clock, book, actor, Scope { only: Some(&only), ..Scope::default() }, false)
}

/// Applies the book's rules to its transactions. With `dry_run` nothing is
/// written and the report lists exactly what the real run would change.
pub fn apply_rules(
    store: &dyn Store,
    book: BookId,
    actor: &str,
    from: Option<Date>,
    to: Option<Date>,
    dry_run: bool,
) -> Result<RunReport> {
    let run = new_id();
    let (changes, commands) = plan_rules(store, book, Scope { from, to, only: None }, run)?;
    if !dry_run {
        store.execute(book, actor, &commands)?;
    }
    Ok(RunReport { run, dry_run, changes })
}

fn plan_rules(store: &dyn Store, book: BookId, scope: Scope<'_>, run: Uuid) -> Result<(Vec<Change>, Vec<Command>)> {
    let ledger = store.ledger(book)?;
    // In the ledger's running order (position, then as first saved).
    let rules: Vec<_> = ledger.rules().cloned().collect();
    let set = RuleSet::compile(&rules).map_err(|e| StoreError::Ledger(LedgerError::InvalidRule(e.to_string())))?;
    // The buckets (and who is assigned to one) only when a rule sets one:
    // the `plan_events` projection folded.
    let buckets = if set.assigns_buckets() { Some(Buckets::from_events(&store.plan_events(book)?)) } else { None };
    let (mut changes, mut commands) = (vec![], vec![]);
    for row in candidates(store, book, scope)? {
        let outcome = set.apply(&view(&row));
        if outcome.matched_rule_ids.is_empty() {
            continue;
        }
        let id = tx_id(&row)?;
        // Like a manual category, an assignment already made (by hand, or
        // by an earlier run) stands: a rule fills only an unassigned row.
        if let (Some(bucket), Some(buckets)) = (&outcome.bucket, &buckets)
            && !buckets.assigned.contains_key(&id)
        {
            let cmd = crate::buckets::assign_in(buckets, id, bucket).map_err(|e| {
                StoreError::Ledger(LedgerError::InvalidRule(format!(
                    "rule {}: set_bucket: {e}",
                    outcome.matched_rule_ids.join(", ")
                )))
            })?;
            commands.push(cmd);
        }
        let manual = row.category_source.as_deref() == Some(CategorySource::Manual.as_str());
        if let Some(category) = &outcome.category
            && !manual
            && row.category.as_ref() != Some(category)
        {
            changes.push(Change {
                tx_id: row.id.clone(),
                date: row.date,
                description: row.description.clone(),
                from: row.category.clone(),
                to: Some(category.clone()),
                by: "rule",
                why: format!("rule {}", outcome.matched_rule_ids.join(", ")),
                evidence: outcome.matched_rule_ids.iter().map(|id| Evidence::Rule { rule_id: id.clone() }).collect(),
            });
            commands.push(Command::Categorize {
                tx_id: id,
                category: Some(category.clone()),
                source: CategorySource::Rule,
                run: Some(run),
            });
        }
        let new_counterparty = outcome.counterparty.clone().filter(|c| row.counterparty.as_ref() != Some(c));
        if new_counterparty.is_some() || !outcome.tags.is_empty() || outcome.notes.is_some() {
            commands.push(Command::Annotate {
                tx_id: id,
                counterparty: new_counterparty,
                add_tags: outcome.tags.clone(),
                notes: outcome.notes.clone(),
                run: Some(run),
            });
        }
    }
    Ok((changes, commands))
}

/// Puts back what a rule run changed — categories, and counterparty, tags
/// and notes — where nobody has changed them since. Returns how many
/// transactions were restored.
pub fn undo_run(store: &dyn Store, book: BookId, actor: &str, run: Uuid) -> Result<usize> {
    let log = store.read_stream(&book_stream(book))?;
    let ledger = store.ledger(book)?;
    let current: std::collections::HashMap<String, Option<String>> =
        store.transactions(book, &TxFilter::default())?.into_iter().map(|r| (r.id, r.category)).collect();
    let mut commands = vec![];
    let mut restored: HashSet<TxId> = HashSet::new();
    // Each transaction's annotation as the log has it so far (the ledger the
    // store gives holds no transactions), to know what an annotation of the
    // run replaced and whether it still stands.
    let mut notes: std::collections::HashMap<TxId, Annotation> = std::collections::HashMap::new();
    let mut annotated: Vec<(TxId, Annotation, Annotation)> = vec![];
    for e in &log {
        match &e.event {
            Event::TransactionRecorded(t) => {
                notes.insert(t.id, (t.counterparty.clone(), t.tags.clone(), t.notes.clone()));
            }
            Event::TransactionAnnotated(a) => {
                let before = notes.get(&a.tx_id).cloned().unwrap_or_default();
                let after =
                    (a.counterparty.clone().or(before.0.clone()), a.tags.clone(), a.notes.clone().or(before.2.clone()));
                notes.insert(a.tx_id, after.clone());
                if a.run == Some(run) {
                    annotated.push((a.tx_id, before, after));
                }
            }
            Event::TransactionDeleted(d) => {
                notes.remove(&d.tx_id);
            }
            Event::TransactionAnnotationRestored(a) => {
                notes.insert(a.tx_id, (a.counterparty.clone(), a.tags.clone(), a.notes.clone()));
            }
            Event::TransactionRecategorized(Recategorized {
                tx_id,
                category,
                previous,
                previous_source,
                run: r,
                ..
            }) if *r == Some(run) => {
                let name = |c: &Option<kassa_core::CategoryId>| {
                    c.and_then(|id| ledger.category(id)).map(|c| c.name.to_string())
                };
                if current.get(&tx_id.to_string()) == Some(&name(category)) {
                    commands.push(Command::Categorize {
                        tx_id: *tx_id,
                        category: name(previous),
                        source: previous_source.unwrap_or(CategorySource::Rule),
                        run: None,
                    });
                    restored.insert(*tx_id);
                }
            }
            _ => {}
        }
    }
    for (tx_id, before, after) in annotated {
        // Undo only what still stands as the run left it.
        if notes.get(&tx_id) == Some(&after) {
            let (counterparty, tags, notes) = before;
            commands.push(Command::RestoreAnnotation { tx_id, counterparty, tags, notes, run });
            restored.insert(tx_id);
        }
    }
    store.execute(book, actor, &commands)?;
    Ok(restored.len())
}

/// A transaction's counterparty, tags and notes.
type Annotation = (Option<String>, Vec<String>, Option<String>);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainReport {
    pub examples: usize,
    pub categories: usize,
    /// The bar where a class has none of its own.
    pub threshold: f64,
    pub classes_with_own_threshold: usize,
    /// The bar for merchants the history never had.
    pub unseen_threshold: f64,
    pub model: &'static str,
}

/// The training set: every transaction whose category a person, an import or
/// a rule chose — never the model's own guesses, which would feed back.
fn training_rows(store: &dyn Store, book: BookId) -> Result<Vec<TxRow>> {
    Ok(candidates(store, book, Scope::default())?
        .into_iter()
        .filter(|r| r.category.is_some() && r.category_source.as_deref() != Some(CategorySource::Model.as_str()))
        .collect())
}

/// Trains the book's categoriser, calibrates its auto-apply threshold and
/// stores both.
pub fn train(store: &dyn Store, clock: &dyn Clock, book: BookId) -> Result<TrainReport> {
    let rows = training_rows(store, book)?;
    if rows.len() < MIN_EXAMPLES {
        return Err(StoreError::NotFound(format!(
            "enough categorised history to train on ({} transactions, {MIN_EXAMPLES} needed)",
            rows.len()
        )));
    }
    let pairs: Vec<(TxView<'_>, &str)> =
        rows.iter().map(|r| (view(r), r.category.as_deref().unwrap_or_default())).collect();
    let kind = ModelKind::default();
    let policy = calibrate(kind, &pairs, VALIDATION_SHARE);
    let threshold = policy.global;
    let classes_with_own_threshold = policy.per_class.len();
    let unseen_threshold = policy.unseen;
    let model = Categorizer::train(kind, pairs.iter().copied()).with_policy(policy);
    let stored = StoredModel {
        trained_at: clock.now(),
        examples: pairs.len() as i64,
        threshold_permille: permille(threshold).into(),
        json: model.to_json(),
    };
    store.save_model(book, &stored)?;
    Ok(TrainReport {
        examples: pairs.len(),
        categories: model.classes().len(),
        threshold,
        classes_with_own_threshold,
        unseen_threshold,
        model: kind.name(),
    })
}

/// Retrains when there is no model yet, or the categorised history has grown
/// or shrunk by a tenth (at least 50 transactions) since the last training:
/// the user never has to think about training.
fn retrain_if_stale(store: &dyn Store, clock: &dyn Clock, book: BookId) -> Result<()> {
    let n = training_rows(store, book)?.len() as i64;
    if n < MIN_EXAMPLES as i64 {
        return Ok(());
    }
    let stale = match store.load_model(book)? {
        None => true,
        Some(m) => (n - m.examples).abs() >= (m.examples / 10).max(50),
    };
    if stale {
        train(store, clock, book)?;
    }
    Ok(())
}

/// A person sets a transaction's category: recorded as manual, and the
/// stored model learns from it at once (an online update, no retraining).
pub fn correct(store: &dyn Store, book: BookId, actor: &str, tx: TxId, category: Option<String>) -> Result<()> {
    correct_many(store, book, actor, &[tx], category)
}

/// [`correct`] for several transactions at once, in one write: all of them
/// get the category, or (on any refusal) none.
pub fn correct_many(
    store: &dyn Store,
    book: BookId,
    actor: &str,
    txs: &[TxId],
    category: Option<String>,
) -> Result<()> {
    let cmds: Vec<Command> =
        txs.iter().map(|&tx_id| Command::Recategorize { tx_id, category: category.clone() }).collect();
    store.execute(book, actor, &cmds)?;
    let (Some(category), Some(mut stored)) = (category, store.load_model(book)?) else { return Ok(()) };
    let mut model = Categorizer::from_json(&stored.json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    for &tx in txs {
        let rows = store.transactions(book, &TxFilter { id: Some(tx), ..TxFilter::default() })?;
        if let Some(row) = rows.first() {
            model.learn(&view(row), &category);
        }
    }
    stored.json = model.to_json();
    store.save_model(book, &stored)
}

fn permille(x: f64) -> u16 {
    (x.clamp(0.0, 1.0) * 1000.0).round() as u16
}

/// Rules first; then, for what is still uncategorised, the model: applied at
/// or above the stored threshold, kept as a suggestion below it.
pub fn run(
    store: &dyn Store,
    clock: &dyn Clock,
    book: BookId,
    actor: &str,
    scope: Scope<'_>,
    dry_run: bool,
) -> Result<RunReport> {
    let run = new_id();
    let (mut changes, mut commands) = plan_rules(store, book, scope, run)?;
    retrain_if_stale(store, clock, book)?;
    let ruled: HashSet<String> = changes.iter().map(|c| c.tx_id.clone()).collect();
    for (change, command) in plan_model(store, book, scope, &ruled, run)? {
        changes.push(change);
        commands.push(command);
    }
    if !dry_run {
        store.execute(book, actor, &commands)?;
    }
    Ok(RunReport { run, dry_run, changes })
}

/// What the model proposes for the uncategorised rows in scope (minus
/// `skip`): applied where its policy says so, suggested elsewhere, each
/// with its evidence. The one code path of `run`, `run --dry-run` and
/// [`review`], so they cannot disagree about a row.
fn plan_model(
    store: &dyn Store,
    book: BookId,
    scope: Scope<'_>,
    skip: &HashSet<String>,
    run: Uuid,
) -> Result<Vec<(Change, Command)>> {
    let Some(stored) = store.load_model(book)? else { return Ok(vec![]) };
    let model = Categorizer::from_json(&stored.json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let fallback = stored.threshold_permille as f64 / 1000.0;
    let history = History::of(&training_rows(store, book)?);
    let mut out = vec![];
    for row in candidates(store, book, scope)? {
        if row.category.is_some() || skip.contains(&row.id) {
            continue;
        }
        let tx = view(&row);
        let Some((p, verdict)) = model.decide(&tx, fallback) else { continue };
        let mut evidence = vec![Evidence::Confidence {
            confidence: p.confidence,
            threshold: verdict.threshold,
            known_merchant: verdict.known_merchant,
        }];
        let similar = history.similar(&tx, &p.category);
        evidence.extend(similar.clone());
        evidence.extend(
            p.evidence.iter().map(|(feature, weight)| Evidence::Token { feature: feature.clone(), weight: *weight }),
        );
        let mut why = format!(
            "confidence {:.3} {} {:.3}{}",
            p.confidence,
            if verdict.apply { ">=" } else { "<" },
            verdict.threshold,
            if verdict.known_merchant { "" } else { " (merchant never seen)" }
        );
        if let Some(Evidence::Similar { count, .. }) = similar {
            why.push_str(&format!("; {count} past as {}", p.category));
        }
        let tokens: Vec<&str> = p.evidence.iter().take(3).map(|(f, _)| f.as_str()).collect();
        if !tokens.is_empty() {
            why.push_str(&format!("; {}", tokens.join(", ")));
        }
        let id = tx_id(&row)?;
        let command = if verdict.apply {
            Command::Categorize {
                tx_id: id,
                category: Some(p.category.clone()),
                source: CategorySource::Model,
                run: Some(run),
            }
        } else {
            Command::Suggest { tx_id: id, category: p.category.clone(), confidence_permille: permille(p.confidence) }
        };
        let change = Change {
            tx_id: row.id.clone(),
            date: row.date,
            description: row.description.clone(),
            from: None,
            to: Some(p.category),
            by: if verdict.apply { "model" } else { "suggestion" },
            why,
            evidence,
        };
        out.push((change, command));
    }
    Ok(out)
}

/// What the model would do with every uncategorised row now — applied or
/// suggested, with the evidence — without writing anything: exactly the
/// model's part of `run --dry-run`.
pub fn review(store: &dyn Store, clock: &dyn Clock, book: BookId, scope: Scope<'_>) -> Result<Vec<Change>> {
    retrain_if_stale(store, clock, book)?;
    Ok(plan_model(store, book, scope, &HashSet::new(), new_id())?.into_iter().map(|(c, _)| c).collect())
}

impl crate::App {
    /// What the categoriser proposes for the book's uncategorised
    /// transactions, with the evidence: the rows and verdicts of
    /// `kassa categorize run --dry-run`. Viewers and up.
    pub fn suggestions(&self, actor: &crate::Actor, book: BookId) -> crate::AppResult<Vec<Change>> {
        self.access(actor, book)?.require(kassa_core::access::BookRole::Viewer)?;
        Ok(review(self.store.as_ref(), self.clock.as_ref(), book, Scope::default())?)
    }
}

/// The book's categorised history by merchant, for "similar past
/// transactions" evidence.
struct History {
    by_merchant: std::collections::HashMap<String, Vec<(String, Date, String)>>,
}

impl History {
    fn of(rows: &[TxRow]) -> Self {
        let mut by_merchant: std::collections::HashMap<String, Vec<(String, Date, String)>> = Default::default();
        for r in rows {
            if let (Some(key), Some(category)) = (merchant_key(&view(r)), &r.category) {
                by_merchant.entry(key).or_default().push((category.clone(), r.date, r.description.clone()));
            }
        }
        History { by_merchant }
    }

    /// How often this merchant was `category` before, and the latest such row.
    fn similar(&self, tx: &TxView<'_>, category: &str) -> Option<Evidence> {
        let key = merchant_key(tx)?;
        let same: Vec<&(String, Date, String)> =
            self.by_merchant.get(&key)?.iter().filter(|(c, _, _)| c == category).collect();
        let last = same.iter().max_by_key(|(_, d, _)| *d)?;
        Some(Evidence::Similar {
            merchant: key,
            count: same.len(),
            category: category.to_string(),
            last_date: last.1,
            last_description: last.2.clone(),
        })
    }
}

/// Trains on the book's history before `split` and measures on the rest.
pub fn evaluate(store: &dyn Store, book: BookId, split: Date) -> Result<Report> {
    let rows = training_rows(store, book)?;
    let pairs: Vec<(TxView<'_>, &str)> =
        rows.iter().map(|r| (view(r), r.category.as_deref().unwrap_or_default())).collect();
    let (train, test): (Vec<_>, Vec<_>) = pairs.iter().partition(|(v, _)| v.date < split);
    if train.len() < MIN_EXAMPLES || test.is_empty() {
        return Err(StoreError::NotFound(format!(
            "categorised transactions on both sides of {split} ({} before, {} after)",
            train.len(),
            test.len()
        )));
    }
    let kind = ModelKind::default();
    let policy = calibrate(kind, &train, VALIDATION_SHARE);
    let model = Categorizer::train(kind, train.iter().copied());
    let mut report = evaluate_model(&model, &test, &policy, None);
    report.n_train = train.len();
    Ok(report)
}
