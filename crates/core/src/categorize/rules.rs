//! User-written categorisation rules: an ordered list of condition trees with
//! actions, compiled once into a [`RuleSet`] and applied to each [`TxView`].
//!
//! # Semantics
//!
//! * Rules run in ascending `position`; equal positions keep file order.
//!   Disabled rules are skipped.
//! * **First match wins per field.** `category`, `counterparty`, `notes`,
//!   `transfer` and `bucket` are taken from the first matching rule that sets them; later
//!   rules cannot override them (they can still fill fields still unset).
//!   Tags accumulate over all matching rules, de-duplicated, in order. This is
//!   the Actual Budget reading (specific rules first, catch-alls last) rather
//!   than Firefly III's "every action runs, the last write wins": it makes a
//!   rule's effect independent of rules further down, which is what a dry-run
//!   preview can explain in one line.
//! * `stop_processing = true` on a matching rule ends the run after its actions.
//! * `matched_rule_ids` lists every rule whose conditions matched, in order.
//!
//! # Matching
//!
//! Text operators (`contains`, `equals`, `starts_with`, `ends_with`, `one_of`,
//! `regex`) compare case- and accent-insensitively with whitespace collapsed
//! (see [`super::fold`]): bank files disagree on case and lose accents, and a
//! rule written once should survive a bank switching exports. Set
//! `case_sensitive = true` on a leaf to compare the raw text instead. A regex
//! runs over accent-stripped text with the `(?i)` flag, so write it without
//! accents. A missing counterparty matches no text operator.
//!
//! Range operators (`between`, `gt`, `lt`, `ge`, `le`) and `equals` / `one_of`
//! on `amount` compare the **signed** amount: money out is negative, so
//! "spent more than 100" is `lt = "-100"` and a refund of up to 20 is
//! `between = ["0.01", "20"]`. On `magnitude` they compare `|amount|` with a
//! non-negative operand ("more than 100 either way": `gt = "100"`); the
//! sign tests `is_outflow` / `is_inflow` are only for `amount`. `between` is
//! inclusive at both ends. On `date` they take ISO dates ("2024-01-31").
//!
//! **Versions.** Before rule format 2, `amount` silently compared magnitudes
//! (and dropped the operand's sign): `amount gt -300` meant `|amount| > 300`.
//! A rule stored that way (`rule_saved` v1) or read from a file without
//! `version = 2` keeps that meaning: [`read_v1`] turns each such leaf into the
//! `magnitude` leaf it always was. Files written by [`export_toml`] and
//! [`export_json`] say `version = 2`.
//!
//! # The rule file (TOML; JSON has the same shape)
//!
//! ```toml
//! version = 2                   # signed amounts; absent means format 1
//!
//! [[rule]]
//! name = "Groceries"
//! when.any = [
//!   { field = "description", contains = "rema 1000" },
//!   { field = "description", regex = "\\b(rewe|edeka|lidl)\\b" },
//! ]
//! then = [{ set_category = "Expenses:Groceries" }, { add_tags = ["food"] }]
//!
//! [[rule]]
//! name = "Big rent transfer"
//! id = "rent"                   # optional; defaults to a slug of the name
//! position = 10                 # optional; defaults to file order
//! stop_processing = true        # optional; default false
//! enabled = true                # optional; default true
//! when.all = [
//!   { field = "counterparty", one_of = ["Hausverwaltung Meier", "Meier GmbH"] },
//!   { field = "amount", between = ["-1200", "-900"] },   # paid 900 to 1200
//!   { is_outflow = true },      # sign tests default to field = "amount"
//!   { not = { field = "date", lt = "2024-01-01" } },
//! ]
//! then = [
//!   { set_category = "Expenses:Housing:Rent" },
//!   { set_counterparty = "Meier Hausverwaltung" },
//!   { mark_transfer = false },
//!   { set_notes = "monthly rent" },
//!   { set_bucket = "Housing" },   # spending taken from that bucket
//! ]
//! ```
//!
//! A condition is either a group (`all = [...]`, `any = [...]`, `not = {...}`)
//! or one leaf: a `field` plus exactly one operator. Amounts may be written as
//! strings ("12.50", exact) or TOML numbers. An empty `all` always matches, an
//! empty `any` never does.

use std::collections::HashSet;
use std::fmt;
use std::ops::Bound;
use std::str::FromStr;

use jiff::civil::Date;
use regex::Regex;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{TxView, fold, strip_accents};

/// A transaction field a condition can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Description,
    Counterparty,
    /// The signed amount (negative = money out).
    Amount,
    /// `|amount|`, for "this much either way".
    Magnitude,
    Account,
    Date,
    Currency,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Description => "description",
            Field::Counterparty => "counterparty",
            Field::Amount => "amount",
            Field::Magnitude => "magnitude",
            Field::Account => "account",
            Field::Date => "date",
            Field::Currency => "currency",
        })
    }
}

/// An operator with its operand(s) as written; typed per field at compile time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Contains(String),
    Equals(String),
    StartsWith(String),
    EndsWith(String),
    Regex(String),
    OneOf(Vec<String>),
    /// Inclusive at both ends.
    Between(String, String),
    Gt(String),
    Lt(String),
    Ge(String),
    Le(String),
    IsInflow,
    IsOutflow,
}

impl Op {
    fn name(&self) -> &'static str {
        match self {
            Op::Contains(_) => "contains",
            Op::Equals(_) => "equals",
            Op::StartsWith(_) => "starts_with",
            Op::EndsWith(_) => "ends_with",
            Op::Regex(_) => "regex",
            Op::OneOf(_) => "one_of",
            Op::Between(..) => "between",
            Op::Gt(_) => "gt",
            Op::Lt(_) => "lt",
            Op::Ge(_) => "ge",
            Op::Le(_) => "le",
            Op::IsInflow => "is_inflow",
            Op::IsOutflow => "is_outflow",
        }
    }
}

/// One leaf test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predicate {
    pub field: Field,
    pub op: Op,
    /// Compare raw text instead of the folded form (text operators only).
    pub case_sensitive: bool,
}

impl Predicate {
    pub fn new(field: Field, op: Op) -> Self {
        Predicate { field, op, case_sensitive: false }
    }
}

/// A condition tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawCondition", into = "RawCondition")]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Leaf(Predicate),
}

impl Condition {
    /// Shorthand for a leaf.
    pub fn leaf(field: Field, op: Op) -> Self {
        Condition::Leaf(Predicate::new(field, op))
    }
}

/// What a matching rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    SetCategory(String),
    SetCounterparty(String),
    AddTags(Vec<String>),
    /// `true` marks the row as a transfer between own accounts (no category);
    /// `false` explicitly marks it as not one.
    MarkTransfer(bool),
    SetNotes(String),
    /// The transaction's spending is taken from this bucket (issue 17),
    /// as `kassa tx bucket` does; the bucket must exist when the rule is
    /// saved, which the app checks (decisions do not load buckets).
    SetBucket(String),
}

/// A rule as the user writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id for events and undo; defaults to a slug of `name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub name: String,
    /// Sort key; equal positions keep file order.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub position: i64,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub stop_processing: bool,
    #[serde(rename = "when")]
    pub conditions: Condition,
    #[serde(rename = "then")]
    pub actions: Vec<Action>,
}

fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl Rule {
    /// An enabled rule at position 0 with an id derived from the name.
    pub fn new(name: &str, conditions: Condition, actions: Vec<Action>) -> Self {
        Rule {
            id: slug(name),
            name: name.to_owned(),
            position: 0,
            enabled: true,
            stop_processing: false,
            conditions,
            actions,
        }
    }
}

/// Gap between the positions kassa gives, so a rule can be put between two
/// others with `--position` without renumbering.
pub const POSITION_STEP: i64 = 10;

/// Gives each rule saved without a position (0) an explicit one: the place
/// of the rule it replaces, or else after every other rule, in the order
/// given — so the order a user wrote (a file, one `add` after another) is
/// the order rules run in. Explicit positions are kept.
pub fn place(existing: &[Rule], mut new: Vec<Rule>) -> Vec<Rule> {
    let mut last = existing.iter().filter(|r| !new.iter().any(|n| n.id == r.id)).map(|r| r.position).max().unwrap_or(0);
    for rule in &mut new {
        if rule.position == 0 {
            rule.position = existing
                .iter()
                .find(|old| old.id == rule.id && old.position != 0)
                .map_or(last + POSITION_STEP, |old| old.position);
        }
        last = last.max(rule.position);
    }
    new
}

/// A new running order: the rules named in `first` run first, in that
/// order, the others after them as before. `existing` is in running order;
/// returns the rules whose position changes (positions become 10, 20, …).
pub fn reorder(existing: &[Rule], first: &[String]) -> Result<Vec<Rule>, RuleError> {
    let mut order: Vec<&Rule> = Vec::with_capacity(existing.len());
    for id in first {
        let rule = existing.iter().find(|r| &r.id == id).ok_or_else(|| RuleError::UnknownRule(id.clone()))?;
        if order.iter().any(|r| r.id == rule.id) {
            return Err(RuleError::RepeatedInOrder(id.clone()));
        }
        order.push(rule);
    }
    order.extend(existing.iter().filter(|r| !first.contains(&r.id)));
    Ok(order
        .into_iter()
        .zip((1..).map(|i| i * POSITION_STEP))
        .filter(|(r, p)| r.position != *p)
        .map(|(r, position)| Rule { position, ..r.clone() })
        .collect())
}

/// "Big rent transfer" → "big-rent-transfer".
fn slug(name: &str) -> String {
    let folded = fold(name);
    let mut out = String::with_capacity(folded.len());
    for ch in folded.chars() {
        if ch.is_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Why rules cannot be loaded or compiled. Each variant names the rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleError {
    #[error("rule '{rule}': invalid regex on {field}: {message}")]
    InvalidRegex { rule: String, field: Field, message: String },
    #[error("rule '{rule}': operator '{op}' cannot be used on {field}")]
    OperatorNotForField { rule: String, field: Field, op: &'static str },
    #[error("rule '{rule}': invalid value '{value}' on {field} (expected {expected})")]
    InvalidValue { rule: String, field: Field, value: String, expected: &'static str },
    #[error("rule '{rule}': id '{id}' is used by an earlier rule")]
    DuplicateId { rule: String, id: String },
    #[error("no rule has id '{0}'")]
    UnknownRule(String),
    #[error("rule '{0}' is named twice in the new order")]
    RepeatedInOrder(String),
    #[error("cannot read rule file: {0}")]
    Parse(String),
    #[error("cannot write rule file: {0}")]
    Write(String),
}

/// The rule format written today: `amount` is signed (see the module docs).
pub const RULE_FORMAT: u32 = 2;

/// The on-disk form: a format version and `[[rule]]` tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    /// Absent in files written before format 2, which are read as format 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<u32>,
    #[serde(default, rename = "rule")]
    rules: Vec<Rule>,
}

impl RuleFile {
    fn current(rules: &[Rule]) -> Self {
        RuleFile { version: Some(RULE_FORMAT), rules: rules.to_vec() }
    }

    /// The rules in today's meaning, each with its stable id (a slug of the
    /// name when the file has none), so stored rules can be edited, deleted
    /// and undone.
    fn into_rules(self) -> Result<Vec<Rule>, RuleError> {
        let legacy = match self.version.unwrap_or(1) {
            1 => true,
            RULE_FORMAT => false,
            v => {
                return Err(RuleError::Parse(format!(
                    "rule file version {v} is newer than this kassa ({RULE_FORMAT})"
                )));
            }
        };
        Ok(self
            .rules
            .into_iter()
            .map(|mut r| {
                if r.id.is_empty() {
                    r.id = slug(&r.name);
                }
                if legacy { read_v1(r) } else { r }
            })
            .collect())
    }
}

/// Reads a TOML rule file.
pub fn import_toml(text: &str) -> Result<Vec<Rule>, RuleError> {
    toml::from_str::<RuleFile>(text).map_err(|e| RuleError::Parse(e.to_string()))?.into_rules()
}

/// Writes rules as a TOML rule file that [`import_toml`] reads back unchanged.
pub fn export_toml(rules: &[Rule]) -> Result<String, RuleError> {
    toml::to_string_pretty(&RuleFile::current(rules)).map_err(|e| RuleError::Write(e.to_string()))
}

/// Reads a JSON rule file (`{"version": 2, "rule": [...]}`).
pub fn import_json(text: &str) -> Result<Vec<Rule>, RuleError> {
    serde_json::from_str::<RuleFile>(text).map_err(|e| RuleError::Parse(e.to_string()))?.into_rules()
}

/// Writes rules as pretty JSON.
pub fn export_json(rules: &[Rule]) -> Result<String, RuleError> {
    serde_json::to_string_pretty(&RuleFile::current(rules)).map_err(|e| RuleError::Write(e.to_string()))
}

/// A rule of format 1 in today's terms: every range or point test on
/// `amount` compared `|amount|` with `|operand|`, so it becomes that test on
/// `magnitude` with the operand's sign dropped. Sign tests stay as they are.
pub fn read_v1(mut rule: Rule) -> Rule {
    fn walk(c: &mut Condition) {
        match c {
            Condition::All(list) | Condition::Any(list) => list.iter_mut().for_each(walk),
            Condition::Not(inner) => walk(inner),
            Condition::Leaf(p) if p.field == Field::Amount && !matches!(p.op, Op::IsInflow | Op::IsOutflow) => {
                p.field = Field::Magnitude;
                let abs = |v: &mut String| {
                    if let Some(rest) = v.trim().strip_prefix('-') {
                        *v = rest.to_owned();
                    }
                };
                match &mut p.op {
                    Op::Equals(v) | Op::Gt(v) | Op::Lt(v) | Op::Ge(v) | Op::Le(v) => abs(v),
                    Op::OneOf(vs) => vs.iter_mut().for_each(abs),
                    Op::Between(a, b) => {
                        abs(a);
                        abs(b);
                    }
                    _ => {}
                }
            }
            Condition::Leaf(_) => {}
        }
    }
    walk(&mut rule.conditions);
    rule
}

// ---------------------------------------------------------------------------
// Serde shape of a condition: one flat table so hand-written TOML stays short.

/// An operand as TOML/JSON may spell it: "12.50", 12 or 12.5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
}

impl Scalar {
    fn into_text(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Int(i) => i.to_string(),
            // Display of f64 is the shortest round-tripping form ("12.5"), so
            // the decimal parsed from it is the number the user typed.
            Scalar::Float(f) => f.to_string(),
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    all: Option<Vec<RawCondition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    any: Option<Vec<RawCondition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not: Option<Box<RawCondition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<Field>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contains: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    equals: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    starts_with: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ends_with: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    one_of: Option<Vec<Scalar>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    between: Option<(Scalar, Scalar)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gt: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lt: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ge: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    le: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_inflow: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_outflow: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    case_sensitive: Option<bool>,
}

impl TryFrom<RawCondition> for Condition {
    type Error = String;

    fn try_from(raw: RawCondition) -> Result<Self, String> {
        let RawCondition {
            all,
            any,
            not,
            field,
            contains,
            equals,
            starts_with,
            ends_with,
            regex,
            one_of,
            between,
            gt,
            lt,
            ge,
            le,
            is_inflow,
            is_outflow,
            case_sensitive,
        } = raw;
        let mut found: Vec<Condition> = Vec::new();
        let mut ops: Vec<Op> = Vec::new();
        if let Some(list) = all {
            found.push(Condition::All(list.into_iter().map(Condition::try_from).collect::<Result<_, _>>()?));
        }
        if let Some(list) = any {
            found.push(Condition::Any(list.into_iter().map(Condition::try_from).collect::<Result<_, _>>()?));
        }
        if let Some(inner) = not {
            found.push(Condition::Not(Box::new(Condition::try_from(*inner)?)));
        }
        let flag = |name: &str, value: Option<bool>| match value {
            Some(false) => Err(format!("'{name} = false' is not allowed; use the opposite test or 'not'")),
            other => Ok(other == Some(true)),
        };
        if let Some(v) = contains {
            ops.push(Op::Contains(v));
        }
        if let Some(v) = equals {
            ops.push(Op::Equals(v.into_text()));
        }
        if let Some(v) = starts_with {
            ops.push(Op::StartsWith(v));
        }
        if let Some(v) = ends_with {
            ops.push(Op::EndsWith(v));
        }
        if let Some(v) = regex {
            ops.push(Op::Regex(v));
        }
        if let Some(v) = one_of {
            ops.push(Op::OneOf(v.into_iter().map(Scalar::into_text).collect()));
        }
        if let Some((a, b)) = between {
            ops.push(Op::Between(a.into_text(), b.into_text()));
        }
        if let Some(v) = gt {
            ops.push(Op::Gt(v.into_text()));
        }
        if let Some(v) = lt {
            ops.push(Op::Lt(v.into_text()));
        }
        if let Some(v) = ge {
            ops.push(Op::Ge(v.into_text()));
        }
        if let Some(v) = le {
            ops.push(Op::Le(v.into_text()));
        }
        if flag("is_inflow", is_inflow)? {
            ops.push(Op::IsInflow);
        }
        if flag("is_outflow", is_outflow)? {
            ops.push(Op::IsOutflow);
        }
        if ops.len() > 1 {
            let names: Vec<_> = ops.iter().map(Op::name).collect();
            return Err(format!("a condition has one operator, found {}; combine them with 'all'", names.join(", ")));
        }
        if let Some(op) = ops.pop() {
            if !found.is_empty() {
                return Err("a condition is either a group (all/any/not) or a leaf, not both".into());
            }
            let field = match (field, &op) {
                (Some(f), _) => f,
                (None, Op::IsInflow | Op::IsOutflow) => Field::Amount,
                (None, op) => return Err(format!("operator '{}' needs a 'field'", op.name())),
            };
            return Ok(Condition::Leaf(Predicate { field, op, case_sensitive: case_sensitive.unwrap_or(false) }));
        }
        if field.is_some() || case_sensitive.is_some() {
            return Err("a condition with 'field' needs an operator (contains, equals, regex, between, ...)".into());
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err("empty condition: give a leaf or all/any/not".into()),
            _ => Err("a condition has one of all/any/not; nest them to combine".into()),
        }
    }
}

impl From<Condition> for RawCondition {
    fn from(c: Condition) -> Self {
        let mut raw = RawCondition::default();
        match c {
            Condition::All(list) => raw.all = Some(list.into_iter().map(Into::into).collect()),
            Condition::Any(list) => raw.any = Some(list.into_iter().map(Into::into).collect()),
            Condition::Not(inner) => raw.not = Some(Box::new((*inner).into())),
            Condition::Leaf(p) => {
                raw.field = Some(p.field);
                raw.case_sensitive = p.case_sensitive.then_some(true);
                match p.op {
                    Op::Contains(v) => raw.contains = Some(v),
                    Op::Equals(v) => raw.equals = Some(Scalar::Text(v)),
                    Op::StartsWith(v) => raw.starts_with = Some(v),
                    Op::EndsWith(v) => raw.ends_with = Some(v),
                    Op::Regex(v) => raw.regex = Some(v),
                    Op::OneOf(v) => raw.one_of = Some(v.into_iter().map(Scalar::Text).collect()),
                    Op::Between(a, b) => raw.between = Some((Scalar::Text(a), Scalar::Text(b))),
                    Op::Gt(v) => raw.gt = Some(Scalar::Text(v)),
                    Op::Lt(v) => raw.lt = Some(Scalar::Text(v)),
                    Op::Ge(v) => raw.ge = Some(Scalar::Text(v)),
                    Op::Le(v) => raw.le = Some(Scalar::Text(v)),
                    Op::IsInflow => raw.is_inflow = Some(true),
                    Op::IsOutflow => raw.is_outflow = Some(true),
                }
            }
        }
        raw
    }
}

// ---------------------------------------------------------------------------
// Compiled form.

/// The result of running a rule set over one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleOutcome {
    pub category: Option<String>,
    pub counterparty: Option<String>,
    pub tags: Vec<String>,
    pub transfer: Option<bool>,
    pub notes: Option<String>,
    /// The bucket the transaction's spending is taken from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    pub matched_rule_ids: Vec<String>,
}

impl RuleOutcome {
    /// True when no rule matched.
    pub fn is_empty(&self) -> bool {
        self.matched_rule_ids.is_empty()
    }
}

/// Rules compiled once (regexes built, operands parsed), ready to apply.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<CompiledRule>,
}

#[derive(Debug, Clone)]
struct CompiledRule {
    id: String,
    stop: bool,
    matcher: Matcher,
    actions: Vec<Action>,
}

#[derive(Debug, Clone)]
enum Matcher {
    All(Vec<Matcher>),
    Any(Vec<Matcher>),
    Not(Box<Matcher>),
    Text { field: Field, raw: bool, test: TextTest },
    Amount(AmountTest),
    Date(Range<Date>),
}

#[derive(Debug, Clone)]
enum TextTest {
    Contains(String),
    Equals(String),
    StartsWith(String),
    EndsWith(String),
    OneOf(Vec<String>),
    Regex(Regex),
}

#[derive(Debug, Clone)]
enum AmountTest {
    Signed(Range<Decimal>),
    Magnitude(Range<Decimal>),
    Inflow,
    Outflow,
}

/// A range or a set of points; `equals` is the one-point case.
#[derive(Debug, Clone)]
enum Range<T> {
    Bounds(Bound<T>, Bound<T>),
    Points(Vec<T>),
}

impl<T: PartialOrd> Range<T> {
    fn contains(&self, v: &T) -> bool {
        match self {
            Range::Points(points) => points.iter().any(|p| p == v),
            Range::Bounds(lo, hi) => {
                let above = match lo {
                    Bound::Included(l) => v >= l,
                    Bound::Excluded(l) => v > l,
                    Bound::Unbounded => true,
                };
                let below = match hi {
                    Bound::Included(h) => v <= h,
                    Bound::Excluded(h) => v < h,
                    Bound::Unbounded => true,
                };
                above && below
            }
        }
    }
}

impl RuleSet {
    /// Validates and compiles rules: ids made unique, operands typed per field,
    /// regexes built. The first problem is returned, naming rule and field.
    pub fn compile(rules: &[Rule]) -> Result<Self, RuleError> {
        let mut ordered: Vec<&Rule> = rules.iter().collect();
        // Stable sort: equal positions keep the order they were given in.
        ordered.sort_by_key(|r| r.position);
        let mut seen = HashSet::new();
        let mut compiled = Vec::with_capacity(ordered.len());
        for rule in ordered {
            let id = if rule.id.is_empty() { slug(&rule.name) } else { rule.id.clone() };
            if !seen.insert(id.clone()) {
                return Err(RuleError::DuplicateId { rule: rule.name.clone(), id });
            }
            let matcher = compile_condition(&rule.name, &rule.conditions)?;
            if rule.enabled {
                compiled.push(CompiledRule { id, stop: rule.stop_processing, matcher, actions: rule.actions.clone() });
            }
        }
        Ok(RuleSet { rules: compiled })
    }

    /// Whether an enabled rule assigns spending to a bucket, so a run
    /// needs to know the book's buckets.
    pub fn assigns_buckets(&self) -> bool {
        self.rules.iter().any(|r| r.actions.iter().any(|a| matches!(a, Action::SetBucket(_))))
    }

    /// Number of enabled rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Runs the rules in order over one transaction (see the module docs for
    /// which rule wins each field).
    pub fn apply(&self, tx: &TxView<'_>) -> RuleOutcome {
        let folded = Folded::new(tx);
        let mut out = RuleOutcome::default();
        for rule in &self.rules {
            if !rule.matcher.matches(tx, &folded) {
                continue;
            }
            out.matched_rule_ids.push(rule.id.clone());
            for action in &rule.actions {
                match action {
                    Action::SetCategory(c) => {
                        out.category.get_or_insert_with(|| c.clone());
                    }
                    Action::SetCounterparty(c) => {
                        out.counterparty.get_or_insert_with(|| c.clone());
                    }
                    Action::SetNotes(n) => {
                        out.notes.get_or_insert_with(|| n.clone());
                    }
                    Action::MarkTransfer(t) => {
                        out.transfer.get_or_insert(*t);
                    }
                    Action::SetBucket(b) => {
                        out.bucket.get_or_insert_with(|| b.clone());
                    }
                    Action::AddTags(tags) => {
                        for tag in tags {
                            if !out.tags.contains(tag) {
                                out.tags.push(tag.clone());
                            }
                        }
                    }
                }
            }
            if rule.stop {
                break;
            }
        }
        out
    }
}

/// The folded text fields of one transaction, computed once per apply.
struct Folded {
    description: String,
    counterparty: Option<String>,
    account: String,
    currency: String,
}

impl Folded {
    fn new(tx: &TxView<'_>) -> Self {
        Folded {
            description: fold(tx.description),
            counterparty: tx.counterparty.map(fold),
            account: fold(tx.account),
            currency: fold(tx.currency),
        }
    }
}

impl Matcher {
    fn matches(&self, tx: &TxView<'_>, folded: &Folded) -> bool {
        match self {
            Matcher::All(list) => list.iter().all(|m| m.matches(tx, folded)),
            Matcher::Any(list) => list.iter().any(|m| m.matches(tx, folded)),
            Matcher::Not(inner) => !inner.matches(tx, folded),
            Matcher::Text { field, raw, test } => {
                let text: Option<&str> = match (field, raw) {
                    (Field::Description, false) => Some(&folded.description),
                    (Field::Description, true) => Some(tx.description),
                    (Field::Counterparty, false) => folded.counterparty.as_deref(),
                    (Field::Counterparty, true) => tx.counterparty,
                    (Field::Account, false) => Some(&folded.account),
                    (Field::Account, true) => Some(tx.account),
                    (Field::Currency, false) => Some(&folded.currency),
                    (Field::Currency, true) => Some(tx.currency),
                    (Field::Amount | Field::Magnitude | Field::Date, _) => None,
                };
                text.is_some_and(|t| test.matches(t))
            }
            Matcher::Amount(test) => match test {
                AmountTest::Signed(range) => range.contains(&tx.amount),
                AmountTest::Magnitude(range) => range.contains(&tx.amount.abs()),
                AmountTest::Inflow => tx.amount > Decimal::ZERO,
                AmountTest::Outflow => tx.amount < Decimal::ZERO,
            },
            Matcher::Date(range) => range.contains(&tx.date),
        }
    }
}

impl TextTest {
    fn matches(&self, text: &str) -> bool {
        match self {
            TextTest::Contains(n) => text.contains(n.as_str()),
            TextTest::Equals(n) => text == n,
            TextTest::StartsWith(n) => text.starts_with(n.as_str()),
            TextTest::EndsWith(n) => text.ends_with(n.as_str()),
            TextTest::OneOf(list) => list.iter().any(|n| n == text),
            TextTest::Regex(re) => re.is_match(text),
        }
    }
}

fn compile_condition(rule: &str, cond: &Condition) -> Result<Matcher, RuleError> {
    Ok(match cond {
        Condition::All(list) => {
            Matcher::All(list.iter().map(|c| compile_condition(rule, c)).collect::<Result<_, _>>()?)
        }
        Condition::Any(list) => {
            Matcher::Any(list.iter().map(|c| compile_condition(rule, c)).collect::<Result<_, _>>()?)
        }
        Condition::Not(inner) => Matcher::Not(Box::new(compile_condition(rule, inner)?)),
        Condition::Leaf(p) => compile_leaf(rule, p)?,
    })
}

fn compile_leaf(rule: &str, p: &Predicate) -> Result<Matcher, RuleError> {
    let field = p.field;
    let not_for_field = || RuleError::OperatorNotForField { rule: rule.to_owned(), field, op: p.op.name() };
    match field {
        Field::Description | Field::Counterparty | Field::Account | Field::Currency => {
            let raw = p.case_sensitive;
            // Needles are folded like the haystack unless the leaf is raw.
            let norm = |s: &str| if raw { s.to_owned() } else { fold(s) };
            let test = match &p.op {
                Op::Contains(v) => TextTest::Contains(norm(v)),
                Op::Equals(v) => TextTest::Equals(norm(v)),
                Op::StartsWith(v) => TextTest::StartsWith(norm(v)),
                Op::EndsWith(v) => TextTest::EndsWith(norm(v)),
                Op::OneOf(v) => TextTest::OneOf(v.iter().map(|s| norm(s)).collect()),
                Op::Regex(pattern) => {
                    let source = if raw { pattern.clone() } else { format!("(?i){}", strip_accents(pattern)) };
                    let re = Regex::new(&source).map_err(|e| RuleError::InvalidRegex {
                        rule: rule.to_owned(),
                        field,
                        message: e.to_string(),
                    })?;
                    TextTest::Regex(re)
                }
                _ => return Err(not_for_field()),
            };
            Ok(Matcher::Text { field, raw, test })
        }
        Field::Amount | Field::Magnitude => {
            let magnitude = field == Field::Magnitude;
            let parse = |s: &str| {
                let invalid =
                    |expected| RuleError::InvalidValue { rule: rule.to_owned(), field, value: s.to_owned(), expected };
                let d = Decimal::from_str(s.trim()).map_err(|_| invalid("a decimal amount such as -12.50"))?;
                if magnitude && d.is_sign_negative() && !d.is_zero() {
                    return Err(invalid("a magnitude of 0 or more (a signed test goes on 'amount')"));
                }
                Ok(d)
            };
            Ok(Matcher::Amount(match (&p.op, magnitude) {
                (Op::IsInflow, false) => AmountTest::Inflow,
                (Op::IsOutflow, false) => AmountTest::Outflow,
                (Op::IsInflow | Op::IsOutflow, true) => return Err(not_for_field()),
                (op, false) => AmountTest::Signed(range_of(op, parse).ok_or_else(not_for_field)??),
                (op, true) => AmountTest::Magnitude(range_of(op, parse).ok_or_else(not_for_field)??),
            }))
        }
        Field::Date => {
            let parse = |s: &str| {
                Date::from_str(s.trim()).map_err(|_| RuleError::InvalidValue {
                    rule: rule.to_owned(),
                    field,
                    value: s.to_owned(),
                    expected: "an ISO date such as 2024-01-31",
                })
            };
            Ok(Matcher::Date(range_of(&p.op, parse).ok_or_else(not_for_field)??))
        }
    }
}

/// Turns a comparison operator into a typed range; `None` if `op` is not one.
fn range_of<T, E>(op: &Op, parse: impl Fn(&str) -> Result<T, E>) -> Option<Result<Range<T>, E>> {
    Some(match op {
        Op::Equals(v) => parse(v).map(|x| Range::Points(vec![x])),
        Op::OneOf(v) => v.iter().map(|s| parse(s)).collect::<Result<Vec<_>, _>>().map(Range::Points),
        Op::Between(a, b) => parse(a).and_then(|a| Ok(Range::Bounds(Bound::Included(a), Bound::Included(parse(b)?)))),
        Op::Gt(v) => parse(v).map(|x| Range::Bounds(Bound::Excluded(x), Bound::Unbounded)),
        Op::Ge(v) => parse(v).map(|x| Range::Bounds(Bound::Included(x), Bound::Unbounded)),
        Op::Lt(v) => parse(v).map(|x| Range::Bounds(Bound::Unbounded, Bound::Excluded(x))),
        Op::Le(v) => parse(v).map(|x| Range::Bounds(Bound::Unbounded, Bound::Included(x))),
        _ => return None,
    })
}

/// A condition as a person reads it in a listing's cell:
/// `description contains "rewe" and amount lt -50`; the rule files keep the
/// structured form.
impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let joined = |f: &mut fmt::Formatter<'_>, cs: &[Condition], word: &str| {
            for (i, c) in cs.iter().enumerate() {
                if i > 0 {
                    write!(f, " {word} ")?;
                }
                match c {
                    Condition::Leaf(_) | Condition::Not(_) => write!(f, "{c}")?,
                    _ => write!(f, "({c})")?,
                }
            }
            Ok(())
        };
        match self {
            Condition::All(cs) if cs.is_empty() => f.write_str("always"),
            Condition::All(cs) => joined(f, cs, "and"),
            Condition::Any(cs) => joined(f, cs, "or"),
            Condition::Not(c) => write!(f, "not ({c})"),
            Condition::Leaf(p) => {
                write!(f, "{} ", p.field)?;
                let case = if p.case_sensitive { " (case-sensitive)" } else { "" };
                match &p.op {
                    Op::Contains(s) | Op::Equals(s) | Op::StartsWith(s) | Op::EndsWith(s) | Op::Regex(s) => {
                        write!(f, "{} {s:?}{case}", p.op.name())
                    }
                    Op::OneOf(v) => {
                        write!(f, "one_of {}{case}", v.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", "))
                    }
                    Op::Between(a, b) => write!(f, "between {a} and {b}"),
                    Op::Gt(s) | Op::Lt(s) | Op::Ge(s) | Op::Le(s) => write!(f, "{} {s}", p.op.name()),
                    Op::IsInflow | Op::IsOutflow => f.write_str(p.op.name()),
                }
            }
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::SetCategory(c) => write!(f, "category {c}"),
            Action::SetCounterparty(c) => write!(f, "counterparty {c}"),
            Action::AddTags(t) => write!(f, "tags {}", t.join(", ")),
            Action::MarkTransfer(true) => f.write_str("transfer"),
            Action::MarkTransfer(false) => f.write_str("not a transfer"),
            Action::SetNotes(n) => write!(f, "notes {n:?}"),
            Action::SetBucket(b) => write!(f, "bucket {b}"),
        }
    }
}
