//! Guessing a CSV layout nobody has described yet: the delimiter, where the
//! table starts and ends, which column holds what (from header names in a
//! dozen languages, else from the values), the date format and decimal mark of
//! each column, and how signs are written. The result is a proposed
//! [`Profile`] plus notes on what was uncertain — the user confirms it once
//! and saves it, so a wrong guess costs one look, not a wrong ledger.

use kassa_core::Currency;
use std::sync::OnceLock;

use regex::Regex;

use crate::model::Diagnostic;
use crate::numbers::{DATE_FORMATS, DateFormat, DateOrder, DecimalMark, parse_amount};
use crate::profile::{Columns, Profile, SignConvention};
use crate::table::{self, Record, clean, fold};

const DELIMITERS: [char; 4] = [',', ';', '\t', '|'];

/// The delimiter under which the most lines split into the same number
/// (two or more) of fields, in the first 200 lines (at most 256 KiB of them).
pub fn delimiter(text: &str) -> char {
    let end = memchr::memchr_iter(b'\n', text.as_bytes()).nth(199).unwrap_or(text.len());
    crate::work::add(end);
    let sample = crate::util::clip(&text[..end], 256 * 1024);
    let mut best = (',', 0usize);
    for d in DELIMITERS {
        let recs = table::read_records(sample, d as u8, 200);
        let mut counts: std::collections::BTreeMap<usize, usize> = Default::default();
        for r in &recs {
            if r.fields.len() >= 2 {
                *counts.entry(r.fields.len()).or_default() += 1;
            }
        }
        let score = counts.iter().map(|(width, n)| n * (width - 1).min(20)).max().unwrap_or(0);
        if score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

/// Column roles, in the order they claim header cells. A pattern starting
/// with `=` matches only the whole header; others match whole words.
const ROLES: &[(Role, &[&str])] = &[
    (
        Role::Indicator,
        &[
            "=type",
            "=sens",
            "=tipo",
            "=segno",
            "=strona",
            "=typ",
            "=tyyppi",
            "=tipus",
            "creditdebet",
            "credit/debet",
            "d/k",
            "d/c",
            "c/d",
            "cr/dr",
            "dr/cr",
            "debit/credit",
            "credit/debit",
            "af bij",
            "af/bij",
            "bij/af",
            "bevetel/kiadas",
            "soll/haben",
            "s/h",
            "=cd",
            "=dc",
            "=cr",
        ],
    ),
    (
        Role::ValueDate,
        &[
            "valutadatum",
            "valuta datum",
            "value date",
            "wertstellung",
            "wertstellungsdatum",
            "valuedate",
            "rentedatum",
            "date de valeur",
            "data valuta",
            "fecha valor",
            "erteknap",
            "datum valuty",
            "=valuta",
            "valiutavimo data",
            "data waluty",
        ],
    ),
    (Role::DateFallback, &["started date"]),
    (
        Role::Date,
        &[
            "bokforingsdag",
            "bogforingsdato",
            "kirjauspaiva",
            "konyveles datuma",
            "data contabile",
            "data movimento",
            "data operacji",
            "completed date",
            "booking date",
            "posting date",
            "posted date",
            "transaction date",
            "date processed",
            "buchungstag",
            "buchungsdatum",
            "=buchung",
            "transactiedatum",
            "boekdatum",
            "datum zauctovani",
            "tranzakcio datuma",
            "data operazione",
            "fecha operacion",
            "date operation",
            "date d'operation",
            "trade date",
            "datetime",
            "date",
            "datum",
            "fecha",
            "data",
            "dato",
            "datums",
            "datas",
            "kelte",
        ],
    ),
    (Role::Fee, &["=fee", "=fees", "=gebuhr", "=frais", "=comision"]),
    (
        Role::Debit,
        &[
            "debito",
            "uttag",
            "hævet",
            "vydaj",
            "veloitus",
            "terheles",
            "obciazenia",
            "=af",
            "withdrawals",
            "withdrawal",
            "debit",
            "debet",
            "=soll",
            "afschrijving",
            "cargo",
            "cargos",
            "addebiti",
            "money out",
            "paid out",
            "uitgaven",
            "=out",
        ],
    ),
    (
        Role::Credit,
        &[
            "credito",
            "insattning",
            "indsat",
            "prijem",
            "hyvitys",
            "jovairas",
            "uznania",
            "=bij",
            "deposits",
            "deposit",
            "credit",
            "=haben",
            "bijschrijving",
            "abono",
            "abonos",
            "accrediti",
            "money in",
            "paid in",
            "inkomsten",
            "=in",
        ],
    ),
    (
        Role::Amount,
        &[
            "valor",
            "belob",
            "maara",
            "=beløb",
            "amount (total)",
            "amount",
            "betrag",
            "bedrag",
            "importe",
            "montant",
            "importo",
            "suma",
            "castka",
            "tranzakcio osszege",
            "osszeg",
            "mutatie",
            "umsatz",
            "summe",
            "kwota",
            "belopp",
            "belop",
            "summa",
            "=total",
            "=value",
            "=kwota",
        ],
    ),
    (
        Role::Balance,
        &[
            "saldo po operacji",
            "saldo na trn",
            "running balance",
            "balance",
            "saldo",
            "solde",
            "egyenleg",
            "likutis",
            "zustatek",
            "kontostand",
            "=stan",
            "=ending balance",
        ],
    ),
    (
        Role::Currency,
        &[
            "devise",
            "valuutta",
            "penznem",
            "moeda",
            "currency",
            "wahrung",
            "waehrung",
            "munt",
            "valutacode",
            "valiuta",
            "devizanem",
            "tranzakcio devizaneme",
            "moneda",
            "divisa",
            "monn",
            "=mena",
            "=ccy",
            "=waluta",
        ],
    ),
    (
        Role::CounterpartyAccount,
        &[
            "tegenrekening iban/bban",
            "tegenrekening",
            "tegenrekeningnummer",
            "partner szamlaszama",
            "bankovni spojeni",
            "gegenkonto",
            "counterparty account",
            "counterparty iban",
            "iban tegenpartij",
            "cislo protiuctu",
            "gavejo saskaita",
        ],
    ),
    (
        Role::Counterparty,
        &[
            "auftraggeber/empfanger",
            "beguenstigter/zahlungspflichtiger",
            "begunstigter/zahlungspflichtiger",
            "naam tegenpartij",
            "tegenrekeninghouder",
            "partner neve",
            "gavejas",
            "nazev protiuctu",
            "payee",
            "merchant",
            "counterparty",
            "beneficiaire",
            "beneficiario",
            "empfanger",
            "auftraggeber",
            "=name",
            "=naam",
            "=partner",
            "=nombre",
        ],
    ),
    (
        Role::Account,
        &[
            "iban/bban",
            "rekeningnummer",
            "auftragskonto",
            "saskaitos nr",
            "=szamlaszam",
            "account number",
            "=account",
            "=iban",
            "=kontonummer",
            "=produit",
            "=konto",
            "=conto",
            "numero de cuenta",
        ],
    ),
    (
        Role::ExternalId,
        &[
            "transactiereferentie",
            "=referentie",
            "n° de transaction",
            "transaction id",
            "=id",
            "=reference",
            "referencni cislo transakce",
            "iraso nr",
            "megbizas azonosito",
            "=volgnr",
            "transaction reference",
            "=referenz",
            "=ref",
            "=order id",
            "=protocollo",
            "=transaction number",
            "=trans id",
        ],
    ),
    (Role::Status, &["=state", "=status", "=info", "=stav", "=estado", "=stato", "=allapot", "=statut"]),
    (
        Role::Category,
        &["category", "subcategory", "categoria", "subcategoria", "kategorie", "categorie", "=class", "kategoria"],
    ),
    (
        Role::Description,
        &[
            "descricao",
            "tekst",
            "selite",
            "description",
            "omschrijving",
            "verwendungszweck",
            "buchungstext",
            "memo",
            "=note",
            "details",
            "concepto",
            "descripcion",
            "libelle",
            "paaiskinimai",
            "kozlemeny",
            "popis",
            "zprava pro prijemce",
            "=desc",
            "descrizione",
            "umsatztext",
            "mitteilung",
            "narrative",
            "particulars",
            "=text",
            "mededelingen",
            "causale",
            "tytul",
            "opis",
            "reszletek",
            "purpose",
        ],
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Date,
    DateFallback,
    ValueDate,
    Amount,
    Debit,
    Credit,
    Fee,
    Indicator,
    Description,
    Counterparty,
    CounterpartyAccount,
    Account,
    ExternalId,
    Currency,
    Balance,
    Status,
    Category,
}

fn word_match(h: &str, p: &str) -> bool {
    if let Some(exact) = p.strip_prefix('=') {
        return h == exact;
    }
    let mut from = 0;
    while let Some(i) = h[from..].find(p) {
        let s = from + i;
        let e = s + p.len();
        let before_ok = s == 0 || !h[..s].chars().next_back().is_some_and(char::is_alphanumeric);
        let after_ok = e == h.len() || !h[e..].chars().next().is_some_and(char::is_alphanumeric);
        if before_ok && after_ok {
            return true;
        }
        from = s + p.len().max(1);
        while !h.is_char_boundary(from) {
            from += 1;
        }
        if from >= h.len() {
            break;
        }
    }
    false
}

/// Roles from header names: for each role, its patterns in order, each tried
/// against every unclaimed header. Description and category take every match.
fn roles_from_header(header: &[String]) -> Vec<Option<Role>> {
    let folded: Vec<String> = header.iter().map(|h| fold(h)).collect();
    let mut roles: Vec<Option<Role>> = vec![None; header.len()];
    for (role, patterns) in ROLES {
        let multi = matches!(role, Role::Description | Role::Category);
        'patterns: for p in *patterns {
            for (i, h) in folded.iter().enumerate() {
                if roles[i].is_none() && !h.is_empty() && word_match(h, p) {
                    roles[i] = Some(*role);
                    if !multi {
                        break 'patterns;
                    }
                }
            }
        }
    }
    roles
}

/// What the values of one column look like.
#[derive(Debug, Default)]
struct ColumnStats {
    non_empty: usize,
    /// Date formats under which every non-empty value (but pending words) parses.
    date_formats: Vec<DateFormat>,
    date_ok: usize,
    amount_ok: usize,
    negative: usize,
    comma_decimal: usize,
    dot_decimal: usize,
    with_fraction: usize,
    avg_len: usize,
    distinct: std::collections::BTreeSet<String>,
    iban: usize,
    currency_code: usize,
    /// Three capital letters, current ISO code or not (LTL, GBX).
    code_like: usize,
    pending_words: Vec<String>,
}

const PENDING_WORDS: &[&str] =
    &["pending", "vorgemerkt", "in behandeling", "en attente", "pendiente", "in sospeso", "authorised", "authorized"];

fn stats(rows: &[&Record], col: usize) -> ColumnStats {
    let mut st = ColumnStats::default();
    static RES: OnceLock<[Regex; 3]> = OnceLock::new();
    let [iban, comma, dot] = RES.get_or_init(|| {
        [r"^[A-Z]{2}\d{2}[A-Z0-9]{8,30}$", r",\d{1,2}$", r"\.\d{1,2}$"].map(|r| Regex::new(r).expect("static regex"))
    });
    let mut total_len = 0;
    let formats: Vec<DateFormat> = DATE_FORMATS.iter().filter_map(|f| f.parse().ok()).collect();
    let mut fmt_ok = vec![0usize; formats.len()];
    let mut date_values = 0;
    for r in rows {
        crate::work::add(1);
        let v = clean(r.get(col));
        if v.is_empty() {
            continue;
        }
        st.non_empty += 1;
        total_len += v.chars().count();
        if st.distinct.len() < 50 {
            st.distinct.insert(v.clone());
        }
        if PENDING_WORDS.contains(&v.to_lowercase().as_str()) {
            if !st.pending_words.contains(&v) {
                st.pending_words.push(v.clone());
            }
            continue;
        }
        date_values += 1;
        for (k, f) in formats.iter().enumerate() {
            if f.parse(&v).is_ok() {
                fmt_ok[k] += 1;
            }
        }
        if let Ok(a) = parse_amount(&v, DecimalMark::Auto) {
            st.amount_ok += 1;
            if a.value.is_sign_negative() && !a.value.is_zero() {
                st.negative += 1;
            }
            let digits_only = v.trim_start_matches(['-', '+', ' ']);
            if comma.is_match(digits_only) {
                st.comma_decimal += 1;
                st.with_fraction += 1;
            } else if dot.is_match(digits_only) {
                st.dot_decimal += 1;
                st.with_fraction += 1;
            }
        }
        if iban.is_match(&v.replace(' ', "")) {
            st.iban += 1;
        }
        if v.len() == 3 && v.chars().all(|c| c.is_ascii_uppercase()) {
            st.code_like += 1;
            if Currency::parse(&v).is_ok() {
                st.currency_code += 1;
            }
        }
    }
    st.avg_len = total_len / st.non_empty.max(1);
    st.date_ok = fmt_ok.iter().copied().max().unwrap_or(0);
    if date_values > 0 && st.date_ok * 10 >= date_values * 8 {
        st.date_formats = formats.iter().zip(&fmt_ok).filter(|(_, n)| **n == st.date_ok).map(|(f, _)| *f).collect();
    }
    st
}

/// True when a record looks like a data row: some cell is a date and some
/// other cell an amount.
fn looks_like_data(r: &Record, formats: &[DateFormat]) -> bool {
    let mut date_at = None;
    for (i, f) in r.fields.iter().enumerate() {
        let v = clean(f);
        if !v.is_empty() && formats.iter().any(|fm| fm.parse(&v).is_ok()) {
            date_at = Some(i);
            break;
        }
    }
    let Some(d) = date_at else { return false };
    r.fields.iter().enumerate().any(|(i, f)| i != d && parse_amount(f, DecimalMark::Auto).is_ok())
}

/// True when a record could be a header: mostly text, no dates or amounts.
fn looks_like_header(r: &Record, width: usize, formats: &[DateFormat]) -> bool {
    let filled = r.non_empty();
    filled >= 2
        && filled * 2 >= width.min(r.fields.len())
        && r.fields.iter().all(|f| {
            let v = clean(f);
            v.is_empty()
                || (parse_amount(&v, DecimalMark::Auto).is_err() && !formats.iter().any(|fm| fm.parse(&v).is_ok()))
        })
}

/// Proposes a profile for decoded text.
pub(crate) fn propose_text(text: &str, encoding: &str) -> (Profile, Vec<Diagnostic>) {
    let mut notes = Vec::new();
    let delim = delimiter(text);
    let records = table::read_records(text, delim as u8, 2000);
    let formats: Vec<DateFormat> = DATE_FORMATS.iter().filter_map(|f| f.parse().ok()).collect();
    let first_data = records.iter().position(|r| looks_like_data(r, &formats));
    let width = first_data
        .map_or_else(|| records.iter().map(|r| r.fields.len()).max().unwrap_or(0), |i| records[i].fields.len());
    let header_idx = match first_data {
        Some(fd) => (fd.saturating_sub(6)..fd).rev().find(|&i| looks_like_header(&records[i], width, &formats)),
        None => records.iter().position(|r| looks_like_header(r, width, &formats)),
    };
    let (header, data_start): (Vec<String>, usize) = match header_idx {
        Some(h) => (records[h].fields.clone(), h + 1),
        None => {
            let w = records.iter().map(|r| r.fields.len()).max().unwrap_or(0);
            ((1..=w).map(|i| format!("#{i}")).collect(), first_data.unwrap_or(0))
        }
    };
    let has_header = header_idx.is_some();
    let data: Vec<&Record> = records
        .iter()
        .skip(data_start)
        .filter(|r| {
            first_data.is_none()
                || looks_like_data(r, &formats)
                || r.fields.iter().any(|f| PENDING_WORDS.contains(&clean(f).to_lowercase().as_str()))
        })
        .take(500)
        .collect();
    let ncols = header.len().max(data.iter().map(|r| r.fields.len()).max().unwrap_or(0));
    let st: Vec<ColumnStats> = (0..ncols).map(|c| stats(&data, c)).collect();
    let mut roles = if has_header { roles_from_header(&header) } else { vec![None; ncols] };
    roles.resize(ncols, None);

    // A role from a header name must agree with the values.
    for (i, role) in roles.iter_mut().enumerate() {
        let s = &st[i];
        let bad = match role {
            Some(Role::Date | Role::ValueDate | Role::DateFallback) => s.non_empty > 0 && s.date_formats.is_empty(),
            // An amount column with no values at all: the header is out of
            // step with the rows (Danske), so look for the amounts instead.
            Some(Role::Amount) => s.non_empty == 0 || s.amount_ok * 10 < s.non_empty * 8,
            Some(Role::Debit | Role::Credit | Role::Balance | Role::Fee) => {
                s.non_empty > 0 && s.amount_ok * 10 < s.non_empty * 8
            }
            Some(Role::Currency) => s.non_empty > 0 && s.code_like * 10 < s.non_empty * 8,
            Some(Role::Description | Role::Category) => {
                s.non_empty == 0 || (data.len() >= 3 && s.distinct.len() == 1 && s.non_empty == data.len())
            }
            _ => false,
        };
        if bad {
            *role = None;
        }
    }
    let find = |roles: &[Option<Role>], r: Role| roles.iter().position(|x| *x == Some(r));
    // UBS has only "Date de valeur": the only date is the date.
    if find(&roles, Role::Date).is_none()
        && let Some(v) = find(&roles, Role::ValueDate)
    {
        roles[v] = Some(Role::Date);
    }
    if find(&roles, Role::Date).is_none()
        && let Some(i) = (0..ncols).find(|&i| roles[i].is_none() && !st[i].date_formats.is_empty())
    {
        roles[i] = Some(Role::Date);
        if let Some(j) = (i + 1..ncols).find(|&j| roles[j].is_none() && !st[j].date_formats.is_empty()) {
            roles[j] = Some(Role::ValueDate);
        }
    }
    let has_amount = find(&roles, Role::Amount).is_some();
    let has_pair = find(&roles, Role::Debit).is_some() && find(&roles, Role::Credit).is_some();
    if !has_amount && !has_pair {
        // From the values: a numeric column that is not a date and not a code
        // (codes have no fraction and no sign); negatives win (ASN's
        // balance-before column is never negative, its amount column is).
        let candidates: Vec<usize> = (0..ncols)
            .filter(|&i| {
                let s = &st[i];
                roles[i].is_none()
                    && s.non_empty > 0
                    && s.amount_ok == s.non_empty
                    && s.date_formats.is_empty()
                    && (s.with_fraction > 0 || s.negative > 0)
            })
            .collect();
        let pick = candidates.iter().copied().max_by_key(|&i| (st[i].negative, std::cmp::Reverse(i)));
        if let Some(i) = pick {
            roles[i] = Some(Role::Amount);
        }
    }
    if !has_header {
        let iban_cols: Vec<usize> =
            (0..ncols).filter(|&i| roles[i].is_none() && st[i].iban * 2 > st[i].non_empty).collect();
        if let Some(&a) = iban_cols.first() {
            roles[a] = Some(Role::Account);
        }
        if let Some(&b) = iban_cols.get(1) {
            roles[b] = Some(Role::CounterpartyAccount);
        }
        let amount_at = find(&roles, Role::Amount);
        let cur = (0..ncols)
            .filter(|&i| roles[i].is_none() && st[i].non_empty > 0 && st[i].currency_code == st[i].non_empty)
            .min_by_key(|&i| amount_at.map_or(i, |a| a.abs_diff(i + 1)));
        if let Some(c) = cur {
            roles[c] = Some(Role::Currency);
        }
        let text_cols: Vec<usize> = (0..ncols)
            .filter(|&i| {
                let s = &st[i];
                roles[i].is_none()
                    && s.non_empty > 0
                    && s.amount_ok == 0
                    && s.date_formats.is_empty()
                    && s.distinct.len() > 1
            })
            .collect();
        if let Some(&d) = text_cols.iter().max_by_key(|&&i| st[i].avg_len) {
            roles[d] = Some(Role::Description);
        }
        if let Some(&c) = text_cols.iter().find(|&&i| roles[i].is_none() && st[i].avg_len >= 3) {
            roles[c] = Some(Role::Counterparty);
        }
    }

    // Column references: the header name when it is unique, else the position.
    let colref = |i: usize| -> String {
        let name = header.get(i).map(|h| table::norm_header(h)).unwrap_or_default();
        let unique = !name.is_empty() && header.iter().filter(|h| table::norm_header(h) == name).count() == 1;
        // A name written `#Kwota` is referenced without its `#`, which
        // would read as a column position.
        if has_header && unique && !name.starts_with('#') {
            clean(&header[i]).trim_start_matches('#').to_string()
        } else {
            format!("#{}", i + 1)
        }
    };
    let one = |r: Role| find(&roles, r).map(colref);
    let all = |r: Role| (0..ncols).filter(|&i| roles[i] == Some(r)).map(colref).collect::<Vec<_>>();

    let date_idx = find(&roles, Role::Date);
    const ISO: DateFormat = DateFormat { order: DateOrder::Ymd, sep: Some('-'), short_year: false, month_name: false };
    let date_format = match date_idx.map(|i| (i, &st[i].date_formats)) {
        Some((i, fs)) if !fs.is_empty() => {
            let orders: std::collections::BTreeSet<_> = fs.iter().map(|f| f.order as u8).collect();
            if orders.contains(&(DateOrder::Dmy as u8)) && orders.contains(&(DateOrder::Mdy as u8)) {
                notes.push(Diagnostic::warning(
                    records.get(data_start).map_or(1, |r| r.line),
                    Some(&colref(i)),
                    format!("dates are ambiguous (day/month or month/day); assumed {}", fs[0]),
                ));
            }
            fs[0]
        }
        _ => {
            notes.push(Diagnostic::warning(1, None, "no column of dates found; please choose the date column"));
            ISO
        }
    };

    let money_cols: Vec<usize> = (0..ncols)
        .filter(|&i| matches!(roles[i], Some(Role::Amount | Role::Debit | Role::Credit | Role::Balance | Role::Fee)))
        .collect();
    let comma: usize = money_cols.iter().map(|&i| st[i].comma_decimal).sum();
    let dot: usize = money_cols.iter().map(|&i| st[i].dot_decimal).sum();
    let decimal = match (comma > 0, dot > 0) {
        (true, true) => {
            notes.push(Diagnostic::warning(
                1,
                None,
                "amounts use both ',' and '.' as decimal mark; reading each value on its own",
            ));
            DecimalMark::Auto
        }
        (true, false) => DecimalMark::Comma,
        (false, true) => DecimalMark::Dot,
        (false, false) => {
            if delim == ';' {
                DecimalMark::Comma
            } else {
                DecimalMark::Dot
            }
        }
    };

    let amount_idx = find(&roles, Role::Amount);
    let indicator_idx = find(&roles, Role::Indicator);
    let mut columns = Columns {
        date: date_idx.map_or_else(|| "#1".to_string(), colref),
        date_fallback: one(Role::DateFallback),
        value_date: one(Role::ValueDate),
        amount: one(Role::Amount),
        fee: one(Role::Fee),
        description: all(Role::Description),
        counterparty: one(Role::Counterparty),
        counterparty_account: one(Role::CounterpartyAccount),
        account: one(Role::Account),
        external_id: one(Role::ExternalId),
        currency: one(Role::Currency),
        balance: one(Role::Balance),
        status: one(Role::Status),
        category: all(Role::Category),
        ..Columns::default()
    };
    let sign = if amount_idx.is_some_and(|a| st[a].negative > 0) {
        SignConvention::Signed
    } else if amount_idx.is_some() && indicator_idx.is_some() {
        let ind = indicator_idx.unwrap_or(0);
        columns.indicator = Some(colref(ind));
        for v in &st[ind].distinct {
            let f = fold(v);
            if DEBIT_MARKS.contains(&f.as_str()) {
                columns.debit_values.push(v.clone());
            } else if CREDIT_MARKS.contains(&f.as_str()) {
                columns.credit_values.push(v.clone());
            }
        }
        if columns.debit_values.is_empty() && columns.credit_values.is_empty() {
            notes.push(Diagnostic::warning(
                1,
                Some(&colref(ind)),
                "could not tell which indicator values mean money out",
            ));
            columns.debit_values.push("D".into());
        }
        SignConvention::Indicator
    } else if amount_idx.is_none() && has_pair {
        columns.debit = one(Role::Debit);
        columns.credit = one(Role::Credit);
        SignConvention::DebitCreditColumns
    } else {
        if amount_idx.is_none() {
            notes.push(Diagnostic::warning(1, None, "no amount column found; please choose the amount column"));
            columns.amount = Some("#2".into());
        }
        SignConvention::Signed
    };
    if let Some(s) = find(&roles, Role::Status) {
        columns.pending_values = st[s]
            .distinct
            .iter()
            .filter(|v| fold(v).contains("pend") || fold(v).contains("vorgemerkt"))
            .cloned()
            .collect();
    }
    if let Some(d) = date_idx {
        for w in &st[d].pending_words {
            columns.pending_values.push(w.clone());
        }
    }
    // "Withdrawals (SGD)", "Částka CZK": a currency named in the amount header.
    let currency = if columns.currency.is_none() {
        money_cols.iter().find_map(|&i| {
            header.get(i).and_then(|h| {
                h.split(|c: char| !c.is_ascii_alphabetic())
                    .find(|w| w.len() == 3 && w.chars().all(|c| c.is_ascii_uppercase()))
                    .and_then(|w| Currency::parse(w).ok())
            })
        })
    } else {
        None
    };
    // Continuation rows: records without date and amounts but with text,
    // right after a data row.
    let date_col = date_idx.unwrap_or(0);
    let continuation_rows = records.windows(2).skip(data_start).any(|w| {
        looks_like_data(&w[0], &formats)
            && w[1].get(date_col).trim().is_empty()
            && money_cols.iter().all(|&i| w[1].get(i).trim().is_empty())
            && find(&roles, Role::Description).is_some_and(|d| !w[1].get(d).trim().is_empty())
    });

    let profile = Profile {
        name: "sniffed".into(),
        bank: None,
        account_kind: None,
        encoding: (encoding != "UTF-8").then(|| encoding.to_string()),
        delimiter: Some(delim),
        has_header,
        skip_lines: None,
        date_format,
        decimal,
        thousands: None,
        currency,
        sign,
        columns,
        continuation_rows,
        row_kinds: None,
        skip_empty_amount: false,
        signature: vec![],
        line_pattern: None,
    };
    if let Err(e) = profile.validate() {
        notes.push(Diagnostic::warning(1, None, e));
    }
    (profile, notes)
}

const DEBIT_MARKS: &[&str] = &[
    "d",
    "w",
    "t",
    "db",
    "dr",
    "debit",
    "debet",
    "af",
    "s",
    "soll",
    "outflow",
    "kiadas",
    "out",
    "withdrawal",
    "belastung",
    "cargo",
    "addebito",
    "-",
];
const CREDIT_MARKS: &[&str] = &[
    "c",
    "k",
    "cr",
    "credit",
    "m",
    "a",
    "j",
    "bij",
    "h",
    "haben",
    "inflow",
    "bevetel",
    "in",
    "deposit",
    "abono",
    "accredito",
    "+",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert!(!word_match("tranzakcio datuma", "tranzakcio datum"));
        assert!(word_match("amount (total)", "amount"));
        assert!(!word_match("incassant id", "=id"));
        assert!(word_match("withdrawals (sgd)", "withdrawals"));
    }

    #[test]
    fn delimiters() {
        assert_eq!(delimiter("a;b;c\n1;2,5;3\n4;5;6\n"), ';');
        assert_eq!(delimiter("a,b,c\n1,\"2;5\",3\n"), ',');
        assert_eq!(delimiter("a\tb\tc\n1\t2\t3\n"), '\t');
        assert_eq!(delimiter("a|b|c\n1|2|3\n"), '|');
    }
}
