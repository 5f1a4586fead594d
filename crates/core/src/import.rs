//! Import bookkeeping, pure: the payloads of the import events, the content
//! fingerprint, and the layered duplicate matcher.
//!
//! Layers, in order, for each incoming row on a resolved account:
//! 1. the bank's own id (FITID, AcctSvcrRef, external_id) on that account;
//! 2. the content fingerprint — normalised date, amount, description and
//!    account plus an occurrence counter, so the second identical coffee of a
//!    day has another fingerprint than the first and both are kept;
//! 3. fuzzy candidates — an unclaimed transaction on the same account with the
//!    same amount a few days apart that was typed by hand (not imported), or a
//!    pending one that a booked row may be the posting of. These are held for
//!    review, never merged or dropped silently.
//!
//! Every existing transaction is claimed by at most one incoming row, and
//! imported rows never fuzzy-match other imported rows: the same bank
//! reproduces the same id or text, so an imported row that matches neither is
//! a different transaction (except pending → booked).

use std::collections::{HashMap, HashSet};
use std::fmt;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{AccountId, BatchId, ReviewId, TxId};

/// 128 bits of SHA-256 over a row's normalised content and its occurrence
/// number. Stored as 16 bytes; shown and serialised as hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 16]);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl Fingerprint {
    pub fn from_hex(s: &str) -> Option<Fingerprint> {
        if s.len() != 32 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Fingerprint(out))
    }

    pub fn from_slice(b: &[u8]) -> Option<Fingerprint> {
        <[u8; 16]>::try_from(b).ok().map(Fingerprint)
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Fingerprint::from_hex(&s).ok_or_else(|| serde::de::Error::custom(format!("bad fingerprint {s:?}")))
    }
}

/// Lower case, letters and digits only, runs of anything else as one space:
/// `"REWE  Markt-GmbH, 12.01."` and `"rewe markt gmbh 12 01"` are the same text.
pub fn normalise_description(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// The occurrence-free part of a fingerprint: what makes two rows "the same
/// content". Amounts compare by value (`12.5` = `12.50`).
fn content_key(account: AccountId, date: Date, amount: Decimal, description: &str) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"kassa-fp-v1\0");
    h.update(account.0.as_bytes());
    h.update(date.to_string().as_bytes());
    h.update(b"\0");
    h.update(amount.normalize().to_string().as_bytes());
    h.update(b"\0");
    h.update(normalise_description(description).as_bytes());
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// Numbers identical rows within one file 1, 2, 3… and gives each its
/// fingerprint, so a re-import of the same file reproduces every fingerprint
/// and an overlapping file reproduces those of the rows it shares.
#[derive(Debug, Default)]
pub struct Occurrences {
    seen: HashMap<[u8; 16], u32>,
}

impl Occurrences {
    pub fn new() -> Occurrences {
        Occurrences::default()
    }

    pub fn fingerprint(&mut self, account: AccountId, date: Date, amount: Decimal, description: &str) -> Fingerprint {
        let key = content_key(account, date, amount, description);
        let n = self.seen.entry(key).or_insert(0);
        *n += 1;
        let mut h = Sha256::new();
        h.update(key);
        h.update(n.to_be_bytes());
        let d = h.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&d[..16]);
        Fingerprint(out)
    }
}

/// What the store already knows about an imported row (its import index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub tx_id: TxId,
    pub account_id: AccountId,
    pub fingerprint: Fingerprint,
    pub external_id: Option<String>,
    pub pending: bool,
    /// The transaction was deleted later: a tombstone.
    pub deleted: bool,
}

/// An existing transaction that a row could fuzzily match: typed by hand, or
/// still pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub tx_id: TxId,
    pub account_id: AccountId,
    pub date: Date,
    pub amount: Decimal,
    pub pending: bool,
    /// It came from an import (only pending ones are candidates then).
    pub imported: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchLayer {
    ExternalId,
    Fingerprint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// Same account and amount a few days from a transaction typed by hand.
    PossibleDuplicate,
    /// A booked row that may be the posting of a pending transaction.
    PendingPosted,
    /// Opposite amounts on two own accounts within a few days.
    Transfer,
}

impl ReviewKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ReviewKind::PossibleDuplicate => "possible_duplicate",
            ReviewKind::PendingPosted => "pending_posted",
            ReviewKind::Transfer => "transfer",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewKind> {
        match s {
            "possible_duplicate" => Some(ReviewKind::PossibleDuplicate),
            "pending_posted" => Some(ReviewKind::PendingPosted),
            "transfer" => Some(ReviewKind::Transfer),
            _ => None,
        }
    }
}

/// What becomes of one incoming row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    New,
    Duplicate {
        of: TxId,
        by: MatchLayer,
    },
    /// Matches a transaction the user deleted; skipped unless asked.
    Deleted {
        of: TxId,
    },
    Review {
        kind: ReviewKind,
        of: TxId,
    },
}

/// The layered matcher for one import. Feed it what the store knows (per
/// account, for the rows at hand), then classify rows in file order.
#[derive(Debug)]
pub struct Matcher {
    by_fingerprint: HashMap<(AccountId, Fingerprint), Known>,
    by_external_id: HashMap<(AccountId, String), Known>,
    /// By account and amount (normalised), so a row looks at few candidates.
    candidates: HashMap<(AccountId, Decimal), Vec<Candidate>>,
    claimed: HashSet<TxId>,
    /// How far apart (days) a fuzzy candidate may be.
    pub fuzzy_days: i64,
    /// Re-import rows whose transaction was deleted.
    pub include_deleted: bool,
}

impl Matcher {
    pub fn new(fuzzy_days: i64, include_deleted: bool) -> Matcher {
        Matcher {
            by_fingerprint: HashMap::new(),
            by_external_id: HashMap::new(),
            candidates: HashMap::new(),
            claimed: HashSet::new(),
            fuzzy_days,
            include_deleted,
        }
    }

    pub fn add_known(&mut self, k: Known) {
        if let Some(e) = &k.external_id {
            self.by_external_id.entry((k.account_id, e.clone())).or_insert_with(|| k.clone());
        }
        // A live entry wins over a tombstone with the same fingerprint.
        match self.by_fingerprint.get(&(k.account_id, k.fingerprint)) {
            Some(old) if !old.deleted => {}
            _ => {
                self.by_fingerprint.insert((k.account_id, k.fingerprint), k);
            }
        }
    }

    pub fn add_candidate(&mut self, c: Candidate) {
        let list = self.candidates.entry((c.account_id, c.amount.normalize())).or_default();
        if !list.iter().any(|x| x.tx_id == c.tx_id) {
            list.push(c);
        }
    }

    /// Forgets what was loaded for earlier chunks (claims are kept).
    pub fn clear_loaded(&mut self) {
        self.by_fingerprint.clear();
        self.by_external_id.clear();
        self.candidates.clear();
    }

    pub fn classify(
        &mut self,
        account: AccountId,
        date: Date,
        amount: Decimal,
        external_id: Option<&str>,
        pending: bool,
        fp: Fingerprint,
    ) -> Verdict {
        let hit = external_id
            .and_then(|e| {
                self.by_external_id.get(&(account, e.to_string())).map(|k| (k.clone(), MatchLayer::ExternalId))
            })
            .or_else(|| self.by_fingerprint.get(&(account, fp)).map(|k| (k.clone(), MatchLayer::Fingerprint)));
        if let Some((k, by)) = hit {
            if k.deleted {
                if !self.include_deleted {
                    return Verdict::Deleted { of: k.tx_id };
                }
            } else if k.pending && !pending && by == MatchLayer::Fingerprint && !self.claimed.contains(&k.tx_id) {
                self.claimed.insert(k.tx_id);
                return Verdict::Review { kind: ReviewKind::PendingPosted, of: k.tx_id };
            } else {
                self.claimed.insert(k.tx_id);
                return Verdict::Duplicate { of: k.tx_id, by };
            }
        }
        let days = self.fuzzy_days;
        let claimed = &self.claimed;
        let best = self.candidates.get(&(account, amount.normalize())).and_then(|list| {
            list.iter()
                .filter(|c| !claimed.contains(&c.tx_id))
                .filter(|c| (!c.imported) || (c.pending && !pending))
                .map(|c| (c, (c.date - date).get_days().abs()))
                .filter(|(_, d)| i64::from(*d) <= days)
                .min_by_key(|(c, d)| (*d, c.tx_id))
                .map(|(c, _)| c.clone())
        });
        if let Some(c) = best {
            self.claimed.insert(c.tx_id);
            let kind = if c.pending && !pending { ReviewKind::PendingPosted } else { ReviewKind::PossibleDuplicate };
            return Verdict::Review { kind, of: c.tx_id };
        }
        Verdict::New
    }
}

/// Per-batch figures, recorded with the batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    /// Statement rows read (trades not included).
    pub rows: u64,
    pub new: u64,
    pub duplicates: u64,
    pub needs_review: u64,
    /// Rows skipped because their transaction had been deleted (tombstones).
    pub deleted: u64,
    /// Rows with errors, left out under `--skip-bad-rows`.
    pub errors: u64,
    /// Transfers recorded from `transfer_group_id` pairs.
    pub transfers: u64,
    pub trades: u64,
}

/// `import_batch_recorded`: one import, its file and what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportBatch {
    pub batch_id: BatchId,
    pub file_name: String,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    pub format: String,
    pub counts: ImportCounts,
}

/// One line of the import index: how a row is recognised next time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedRow {
    pub tx_id: TxId,
    pub account_id: AccountId,
    pub date: Date,
    pub fingerprint: Fingerprint,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
}

/// `import_rows_recorded`: index lines of transactions a batch created, in
/// chunks so no event grows with the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRows {
    pub batch_id: BatchId,
    pub rows: Vec<ImportedRow>,
}

/// A row held back for a person: everything needed to record it later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub review_id: ReviewId,
    pub kind: ReviewKind,
    pub account_id: AccountId,
    pub date: Date,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
    pub fingerprint: Fingerprint,
    /// The existing transaction(s) it may match (two for a transfer).
    pub matched: Vec<TxId>,
    /// For a proposed transfer: the receiving account and what arrived there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_account: Option<AccountId>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub to_amount: Option<Decimal>,
    /// Where it came from, for people: `file:line`.
    pub source: String,
}

/// `import_review_held`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReviews {
    pub batch_id: BatchId,
    pub items: Vec<ReviewItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// Recorded as its own transaction (or, for a transfer, as one transfer
    /// replacing the two matched transactions).
    Recorded { tx_id: TxId },
    /// The same as the matched transaction; remembered so a re-import skips it.
    Duplicate { of: TxId },
    /// A proposed transfer that is not one: both transactions stay.
    Dismissed,
}

/// `import_review_resolved`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewResolved {
    pub review_id: ReviewId,
    pub batch_id: BatchId,
    pub item: ReviewItem,
    pub resolution: ReviewOutcome,
}

/// `import_batch_undone`: follows the deletions of the batch's transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchUndone {
    pub batch_id: BatchId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedTrade {
    pub account_id: AccountId,
    /// ISO 8601 as the file wrote it.
    pub trade_time: String,
    pub date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isin: Option<String>,
    /// `trades.csv`'s side: BUY, SELL, DIVIDEND, INTEREST, FEE, SPLIT,
    /// TRANSFER_IN or TRANSFER_OUT.
    pub side: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub fees: Decimal,
    pub currency: crate::currency::Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// What kinds other than a plain buy or sell carry; empty for those.
    #[serde(default, skip_serializing_if = "TradeExtra::is_empty")]
    pub extra: TradeExtra,
}

/// The parts of a trade only some kinds have (the import model's
/// `TradeDetail`): events recorded before they existed read as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeExtra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Cash booked for a dividend, interest or fee, signed as it moves cash.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub withholding_tax: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub ratio: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub cost_basis: Option<Decimal>,
}

impl TradeExtra {
    pub fn is_empty(&self) -> bool {
        *self == TradeExtra::default()
    }
}

/// `trades_imported`: trades kept for the investments capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradesImported {
    pub batch_id: BatchId,
    pub trades: Vec<ImportedTrade>,
}

/// `import_profile_saved`: a user's CSV profile (TOML), by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileSaved {
    pub name: String,
    pub toml: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn acc() -> AccountId {
        AccountId(Uuid::from_u128(7))
    }

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn identical_rows_get_distinct_fingerprints_and_reimport_reproduces_them() {
        let rows =
            [("2024-01-02", "-3.40", "Coffee"), ("2024-01-02", "-3.4", "COFFEE "), ("2024-01-03", "-3.40", "Coffee")];
        let run = || {
            let mut o = Occurrences::new();
            rows.iter().map(|(dt, a, t)| o.fingerprint(acc(), d(dt), a.parse().unwrap(), t)).collect::<Vec<_>>()
        };
        let a = run();
        assert_ne!(a[0], a[1], "two identical coffees the same day stay two");
        assert_eq!(a, run(), "a re-import reproduces every fingerprint");
        let mut o = Occurrences::new();
        assert_eq!(o.fingerprint(acc(), d("2024-01-03"), "-3.40".parse().unwrap(), "coffee"), a[2]);
    }

    #[test]
    fn layers_in_order() {
        let mut o = Occurrences::new();
        let fp = o.fingerprint(acc(), d("2024-01-02"), Decimal::new(-340, 2), "Coffee");
        let tx = |n| TxId(Uuid::from_u128(n));
        let mut m = Matcher::new(3, false);
        m.add_known(Known {
            tx_id: tx(1),
            account_id: acc(),
            fingerprint: fp,
            external_id: Some("X1".into()),
            pending: false,
            deleted: false,
        });
        m.add_candidate(Candidate {
            tx_id: tx(2),
            account_id: acc(),
            date: d("2024-01-05"),
            amount: Decimal::new(-999, 2),
            pending: false,
            imported: false,
        });
        let dec = |c| Decimal::new(c, 2);
        assert_eq!(
            m.classify(acc(), d("2024-01-09"), dec(-1), Some("X1"), false, Fingerprint([0; 16])),
            Verdict::Duplicate { of: tx(1), by: MatchLayer::ExternalId }
        );
        assert_eq!(
            m.classify(acc(), d("2024-01-07"), dec(-999), None, false, Fingerprint([1; 16])),
            Verdict::Review { kind: ReviewKind::PossibleDuplicate, of: tx(2) }
        );
        // Claimed: a second such row is new.
        assert_eq!(m.classify(acc(), d("2024-01-07"), dec(-999), None, false, Fingerprint([2; 16])), Verdict::New);
    }

    #[test]
    fn normalising() {
        assert_eq!(normalise_description("  REWE  Markt-GmbH, 12.01. "), "rewe markt gmbh 12 01");
        let fp = Fingerprint([0xab; 16]);
        assert_eq!(Fingerprint::from_hex(&fp.to_string()), Some(fp));
    }
}
