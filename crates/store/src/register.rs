//! The register's one filter, written once for both backends: `TxFilter`
//! (CLI listing, categorisation, import matching) and `TxPageQuery` (the
//! API and web register pages) both become a [`RegisterFilter`], which
//! [`RegisterFilter::clauses`] turns into the WHERE clause of a read of the
//! `register` projection (alias `r`, joined to `accounts a`) and its bound
//! arguments. A [`Dialect`] supplies the placeholders, the values and the
//! few phrases that differ between SQLite and PostgreSQL.

use jiff::civil::Date;
use kassa_core::{AccountId, Amount, BookId, TxId};
use uuid::Uuid;

use crate::access::{TxCursor, TxPageQuery};
use crate::projection::register_rows_of_tx;
use crate::sqlite::like_escape;
use crate::types::TxFilter;

/// What one backend's SQL looks like where the two differ.
pub(crate) trait Dialect {
    /// One bound argument.
    type Arg;
    /// The `n`th bound parameter (from 1): `?n` or `$n`.
    fn placeholder(n: usize) -> String;
    fn uuid(v: Uuid) -> Self::Arg;
    fn date(v: Date) -> Self::Arg;
    fn text(v: String) -> Self::Arg;
    fn int(v: i64) -> Self::Arg;
    /// A posting's number within its transaction.
    fn seq(v: i32) -> Self::Arg;
    /// `name` is `exact` ignoring case, or starts with `children` (a LIKE pattern).
    fn name_is_or_under(exact: &str, children: &str) -> String;
    /// `column` matches the LIKE pattern `p`, ignoring case.
    fn contains(column: &str, p: &str) -> String;
    /// The size of the row's amount and a bound comparable to it.
    fn amount_size(bound: Amount, lower: bool) -> (&'static str, Self::Arg);
    /// The row is no transfer between own accounts.
    const NOT_TRANSFER: &'static str;
    /// The register's amount column: minor units or NUMERIC.
    const AMOUNT: &'static str;
    /// A suggestion's confidence, read as a 64-bit integer.
    const CONFIDENCE: &'static str;
    /// A query of the register keys (account_id, date, tx_id, seq) of the
    /// rows an index apart from the page order finds, where the backend
    /// needs one: with a search, the rows of the transactions its search
    /// index finds for the [`trigram_phrase`] bound at `phrase` (SQLite's
    /// FTS5); else the book's (parameter 1) rows whose size is within the
    /// bounds (SQLite scales sizes per currency, which no index serves).
    /// The rows are a superset: the exact filters stay in the query. `None`
    /// where the planner finds them from indexes on the register itself
    /// (PostgreSQL's trigram and size indexes).
    fn indexed_rows(phrase: Option<&str>, min: Option<Amount>, max: Option<Amount>) -> Option<String>;
}

/// Which of a read's filters the backend answers from an index apart from
/// the page order, having found that they match few rows.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Indexed {
    pub search: bool,
    pub amount: bool,
}

/// The search index's query for `text`: one phrase over both columns,
/// which the trigram tokenizer matches as a substring, case folded. Texts
/// shorter than a trigram match nothing there ([`MIN_INDEXED_SEARCH`]).
pub(crate) fn trigram_phrase(text: &str) -> String {
    format!("{{description counterparty}} : \"{}\"", text.replace('"', "\"\""))
}

/// The shortest search text the trigram index answers.
pub(crate) const MIN_INDEXED_SEARCH: usize = 3;

/// The filters of one read of the register.
#[derive(Debug, Default)]
struct RegisterFilter<'q> {
    account: Option<AccountId>,
    tx: Option<TxId>,
    from: Option<Date>,
    to: Option<Date>,
    /// A category and, by `Parent:` prefix, its children.
    category: Option<&'q str>,
    /// Text in the description or the counterparty.
    search: Option<&'q str>,
    before: Option<TxCursor>,
    after: Option<TxCursor>,
    min_amount: Option<Amount>,
    max_amount: Option<Amount>,
    uncategorized: bool,
    /// The filters whose rows are looked up from an index, not found by
    /// scanning in page order: the backend decided they match few rows.
    indexed: Indexed,
}

impl<'q> From<&'q TxFilter> for RegisterFilter<'q> {
    fn from(f: &'q TxFilter) -> Self {
        RegisterFilter {
            account: f.account,
            tx: f.id,
            from: f.from,
            to: f.to,
            category: f.category.as_deref(),
            search: f.search.as_deref(),
            ..RegisterFilter::default()
        }
    }
}

impl<'q> From<&'q TxPageQuery> for RegisterFilter<'q> {
    fn from(q: &'q TxPageQuery) -> Self {
        RegisterFilter {
            account: q.account,
            tx: q.tx,
            from: q.from,
            to: q.to,
            category: q.category.as_deref(),
            search: q.search.as_deref(),
            before: q.before,
            after: q.after,
            min_amount: q.min_amount,
            max_amount: q.max_amount,
            uncategorized: q.uncategorized,
            indexed: Indexed::default(),
        }
    }
}

impl RegisterFilter<'_> {
    /// ` WHERE …` for `book` and these filters, appended to `sql`, the
    /// arguments it binds (the book is always the first), and the source
    /// of `r` for the FROM clause: the register, or the rows an index
    /// found joined to it, looked up one by one in that order.
    fn clauses<D: Dialect>(&self, book: BookId, sql: &mut String) -> (Vec<D::Arg>, String) {
        let mut args = vec![D::uuid(book.0)];
        let bind = |args: &mut Vec<D::Arg>, v: D::Arg| {
            args.push(v);
            D::placeholder(args.len())
        };
        // With an account, the book is checked on the account's row, read
        // once per page, and the scan is one account's range.
        let book_check = if self.account.is_some() { "a.book_id" } else { "r.book_id" };
        sql.push_str(&format!(" WHERE {book_check} = {}", D::placeholder(1)));
        if let Some(a) = self.account {
            let p = bind(&mut args, D::uuid(a.0));
            sql.push_str(&format!(" AND r.account_id = {p}"));
        }
        if let Some(t) = self.tx {
            // By the register's key: `r.tx_id = ?` alone would scan the book.
            let p = bind(&mut args, D::uuid(t.0));
            sql.push_str(&format!(" AND {}", register_rows_of_tx("r.", &p)));
        }
        if let Some(d) = self.from {
            let p = bind(&mut args, D::date(d));
            sql.push_str(&format!(" AND r.date >= {p}"));
        }
        if let Some(d) = self.to {
            let p = bind(&mut args, D::date(d));
            sql.push_str(&format!(" AND r.date <= {p}"));
        }
        if let Some(c) = self.category {
            let exact = bind(&mut args, D::text(c.to_owned()));
            let children = bind(&mut args, D::text(format!("{}:%", like_escape(c))));
            sql.push_str(&format!(
                " AND r.category_id IN (SELECT id FROM categories WHERE book_id = {} AND {})",
                D::placeholder(1),
                D::name_is_or_under(&exact, &children)
            ));
        }
        if let Some(s) = self.search {
            let p = bind(&mut args, D::text(format!("%{}%", like_escape(s))));
            sql.push_str(&format!(
                " AND ({} OR {})",
                D::contains("r.description", &p),
                D::contains("r.counterparty", &p)
            ));
        }
        for (cursor, op) in [(self.before, '<'), (self.after, '>')] {
            if let Some(c) = cursor {
                let date = bind(&mut args, D::date(c.date));
                let tx = bind(&mut args, D::uuid(c.tx));
                let seq = bind(&mut args, D::seq(c.seq));
                sql.push_str(&format!(" AND (r.date, r.tx_id, r.seq) {op} ({date}, {tx}, {seq})"));
            }
        }
        for (bound, lower, op) in [(self.min_amount, true, ">="), (self.max_amount, false, "<=")] {
            if let Some(b) = bound {
                let (size, v) = D::amount_size(b, lower);
                let p = bind(&mut args, v);
                sql.push_str(&format!(" AND {size} {op} {p}"));
            }
        }
        if self.uncategorized {
            sql.push_str(&format!(" AND r.category_id IS NULL AND {}", D::NOT_TRANSFER));
        }
        let phrase = match self.search {
            Some(s) if self.indexed.search => Some(bind(&mut args, D::text(trigram_phrase(s)))),
            _ => None,
        };
        let (min, max) = if self.indexed.amount { (self.min_amount, self.max_amount) } else { (None, None) };
        // CROSS JOIN: SQLite keeps this order, so the found rows drive the
        // read instead of being probed from a scan in page order.
        let source = D::indexed_rows(phrase.as_deref(), min, max).map_or_else(
            || "register r".to_string(),
            |rows| {
                format!(
                    "({rows}) found CROSS JOIN register r
                        ON r.account_id = found.account_id AND r.date = found.date
                       AND r.tx_id = found.tx_id AND r.seq = found.seq"
                )
            },
        );
        (args, source)
    }
}

/// The counterpart of a transfer row: the other account the transaction posts to.
const TRANSFER_ACCOUNT: &str = "(SELECT a2.name FROM postings p2 JOIN accounts a2 ON a2.id = p2.account_id
      WHERE p2.tx_id = r.tx_id AND p2.account_id <> r.account_id LIMIT 1)";

/// `Store::transactions`' query and its arguments: the columns of a
/// `TxRow` in order, newest `limit` rows first, the `indexed` filters'
/// rows looked up from their index.
pub(crate) fn tx_rows<D: Dialect>(book: BookId, f: &TxFilter, indexed: Indexed) -> (String, Vec<D::Arg>) {
    let mut filter = String::new();
    let (args, source) = RegisterFilter { indexed, ..RegisterFilter::from(f) }.clauses::<D>(book, &mut filter);
    let mut sql = format!(
        "SELECT t.id, t.date, a.name, {amount}, r.currency, t.description, c.name, t.counterparty, t.status,
                t.external_id, {TRANSFER_ACCOUNT}, t.category_source, sc.name, {confidence}, t.tags, t.notes
           FROM {source}
           JOIN transactions t ON t.id = r.tx_id
           JOIN accounts a ON a.id = r.account_id
           LEFT JOIN categories c ON c.id = t.category_id
           LEFT JOIN suggestions s ON s.tx_id = t.id
           LEFT JOIN categories sc ON sc.id = s.category_id{filter}",
        amount = D::AMOUNT,
        confidence = D::CONFIDENCE,
    );
    sql.push_str(" ORDER BY r.date DESC, t.position DESC, r.seq DESC");
    if let Some(n) = f.limit {
        sql.push_str(&format!(" LIMIT {n}"));
    }
    (sql, args)
}

/// One register page's query and its arguments: one range of the register
/// (migration 0007) in scan order, columns tx_id, account_id, account, date,
/// amount, currency, description, category_id, counterparty, status, seq,
/// transfer_account. The register's key and its book index both end in
/// (date, tx_id, seq), so this order is a range scan in either direction
/// that stops after `limit` rows. The limit is bound, so that one cached
/// statement serves every page size. `indexed` as for [`tx_rows`].
pub(crate) fn page_rows<D: Dialect>(book: BookId, q: &TxPageQuery, indexed: Indexed) -> (String, Vec<D::Arg>) {
    let mut filter = String::new();
    let (mut args, source) = RegisterFilter { indexed, ..RegisterFilter::from(q) }.clauses::<D>(book, &mut filter);
    let mut sql = format!(
        "SELECT r.tx_id, r.account_id, a.name AS account, r.date, {amount} AS amount, r.currency, r.description,
                r.category_id, r.counterparty, r.status, r.seq,
                CASE WHEN r.is_transfer THEN {TRANSFER_ACCOUNT} END AS transfer_account
           FROM {source}
           JOIN accounts a ON a.id = r.account_id{filter}",
        amount = D::AMOUNT,
    );
    let dir = q.scan_order();
    args.push(D::int(q.limit as i64));
    sql.push_str(&format!(" ORDER BY r.date {dir}, r.tx_id {dir}, r.seq {dir} LIMIT {}", D::placeholder(args.len())));
    (sql, args)
}
