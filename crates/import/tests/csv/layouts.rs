//! A generator of bank-CSV layouts nobody wrote a profile for (issue 15):
//! seeded, thousands of variants mixing column names in 13 languages (with
//! `#`, quotes or neither), any column order, junk before and after the
//! table, signed amounts / debit-credit columns / a D/C indicator, currency
//! codes or symbols before or after the number, every thousands separator,
//! the common date formats and five encodings. Sniffing, with no profile,
//! must give every row with the exact sum; a file it cannot be sure of must
//! be an error that names a column, never a wrong sum.

use kassa_import::Severity;
use rust_decimal::Decimal;

/// xorshift64*: seeded and dependency-free, so a failing variant number
/// reproduces on any machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Column names per language: date, text, amount, debit, credit, D/C mark
/// (with its debit and credit values), currency, balance.
struct Lang {
    date: &'static str,
    text: &'static str,
    amount: &'static str,
    debit: &'static str,
    credit: &'static str,
    mark: (&'static str, &'static str, &'static str),
    currency: &'static str,
    balance: &'static str,
}

const LANGS: [Lang; 13] = [
    Lang {
        date: "Date",
        text: "Description",
        amount: "Amount",
        debit: "Debit",
        credit: "Credit",
        mark: ("Type", "DR", "CR"),
        currency: "Currency",
        balance: "Balance",
    },
    Lang {
        date: "Buchungstag",
        text: "Verwendungszweck",
        amount: "Betrag",
        debit: "Soll",
        credit: "Haben",
        mark: ("Soll/Haben", "S", "H"),
        currency: "Währung",
        balance: "Saldo",
    },
    Lang {
        date: "Date opération",
        text: "Libellé",
        amount: "Montant",
        debit: "Débit",
        credit: "Crédit",
        mark: ("Sens", "D", "C"),
        currency: "Devise",
        balance: "Solde",
    },
    Lang {
        date: "Fecha",
        text: "Concepto",
        amount: "Importe",
        debit: "Cargo",
        credit: "Abono",
        mark: ("Tipo", "D", "H"),
        currency: "Divisa",
        balance: "Saldo",
    },
    Lang {
        date: "Data contabile",
        text: "Descrizione",
        amount: "Importo",
        debit: "Addebiti",
        credit: "Accrediti",
        mark: ("Segno", "D", "A"),
        currency: "Valuta",
        balance: "Saldo",
    },
    Lang {
        date: "Datum",
        text: "Omschrijving",
        amount: "Bedrag",
        debit: "Af",
        credit: "Bij",
        mark: ("Af Bij", "Af", "Bij"),
        currency: "Munt",
        balance: "Saldo",
    },
    Lang {
        date: "Data operacji",
        text: "Opis operacji",
        amount: "Kwota",
        debit: "Obciążenia",
        credit: "Uznania",
        mark: ("Strona", "W", "M"),
        currency: "Waluta",
        balance: "Saldo po operacji",
    },
    Lang {
        date: "Data movimento",
        text: "Descrição",
        amount: "Valor",
        debit: "Débito",
        credit: "Crédito",
        mark: ("D/C", "D", "C"),
        currency: "Moeda",
        balance: "Saldo",
    },
    Lang {
        date: "Bokföringsdag",
        text: "Text",
        amount: "Belopp",
        debit: "Uttag",
        credit: "Insättning",
        mark: ("Typ", "D", "K"),
        currency: "Valuta",
        balance: "Saldo",
    },
    Lang {
        date: "Bogføringsdato",
        text: "Tekst",
        amount: "Beløb",
        debit: "Hævet",
        credit: "Indsat",
        mark: ("Type", "D", "K"),
        currency: "Valuta",
        balance: "Saldo",
    },
    Lang {
        date: "Datum zaúčtování",
        text: "Popis",
        amount: "Částka",
        debit: "Výdaj",
        credit: "Příjem",
        mark: ("Typ", "D", "K"),
        currency: "Měna",
        balance: "Zůstatek",
    },
    Lang {
        date: "Kirjauspäivä",
        text: "Selite",
        amount: "Määrä",
        debit: "Veloitus",
        credit: "Hyvitys",
        mark: ("Tyyppi", "D", "K"),
        currency: "Valuutta",
        balance: "Saldo",
    },
    Lang {
        date: "Könyvelés dátuma",
        text: "Közlemény",
        amount: "Összeg",
        debit: "Terhelés",
        credit: "Jóváírás",
        mark: ("Típus", "T", "J"),
        currency: "Pénznem",
        balance: "Egyenleg",
    },
];

#[derive(Clone, Copy)]
enum Sign {
    Signed,
    Columns,
    Mark,
}

/// One generated file and what it holds.
struct Variant {
    bytes: Vec<u8>,
    rows: usize,
    sum: Decimal,
    describe: String,
}

fn number(minor: i64, decimal: char, thousands: Option<char>) -> String {
    let units = (minor.abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0
            && (units.len() - i).is_multiple_of(3)
            && let Some(t) = thousands
        {
            grouped.push(t);
        }
        grouped.push(c);
    }
    format!("{grouped}{decimal}{:02}", minor.abs() % 100)
}

fn variant(seed: u64) -> Variant {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let lang = rng.pick(&LANGS);
    let delim = *rng.pick(&[';', ',', '\t', '|']);
    let comma_decimal = delim != ',' && rng.below(2) == 0;
    let decimal = if comma_decimal { ',' } else { '.' };
    let thousands: Option<char> = if comma_decimal {
        *rng.pick(&[None, Some('.'), Some(' '), Some('\u{a0}'), Some('\'')])
    } else {
        *rng.pick(&[None, Some(','), Some(' '), Some('\u{a0}'), Some('\'')])
    }
    .filter(|t| *t != delim);
    let sign = *rng.pick(&[Sign::Signed, Sign::Columns, Sign::Mark]);
    let (cur, sym) =
        *rng.pick(&[("EUR", "€"), ("PLN", "zł"), ("GBP", "£"), ("USD", "$"), ("CHF", "CHF"), ("CZK", "Kč")]);
    // 0 none, 1 code after, 2 code before, 3 symbol after, 4 symbol before, 5 own column
    let money_style = rng.below(6);
    let fmt =
        *rng.pick(&["%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%m/%d/%Y", "%d-%m-%Y", "%Y%m%d", "%d.%m.%y", "%Y.%m.%d"]);
    // A bank writes its own language's code page: Czech headers never come
    // in windows-1252, so only encodings that hold the column names are drawn.
    let names_text =
        [lang.date, lang.text, lang.amount, lang.debit, lang.credit, lang.mark.0, lang.currency, lang.balance].concat();
    let fits: Vec<&str> = ["UTF-8", "UTF-8 BOM", "windows-1252", "windows-1250", "ISO-8859-2", "ISO-8859-15"]
        .into_iter()
        .filter(|l| {
            l.starts_with("UTF")
                || !encoding_rs::Encoding::for_label(l.as_bytes()).expect("known").encode(&names_text).2
        })
        .collect();
    let encoding = *rng.pick(&fits);
    let quote_names = rng.below(3); // 0 plain, 1 quoted, 2 '#'-prefixed
    let trailing = delim == ';' && rng.below(3) == 0;
    let mut cols: Vec<(&str, usize)> = vec![(lang.date, 0), (lang.text, 1)];
    match sign {
        Sign::Signed => cols.push((lang.amount, 2)),
        Sign::Columns => cols.extend([(lang.debit, 3), (lang.credit, 4)]),
        Sign::Mark => cols.extend([(lang.amount, 2), (lang.mark.0, 5)]),
    }
    if money_style == 5 {
        cols.push((lang.currency, 6));
    }
    if rng.below(2) == 0 {
        cols.push((lang.balance, 7));
    }
    // Any order, the date first or not.
    for i in (1..cols.len()).rev() {
        let j = rng.below(i + 1);
        cols.swap(i, j);
    }
    let q = |s: &str| {
        if s.contains(delim) || s.contains('"') { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
    };
    let mut out = String::new();
    let junk_before = rng.below(4);
    let junk: [&str; 5] = [
        "Kontoauszug / Account statement",
        "IBAN: PL61109010140000071219812874",
        "Period: 2024-01-01 - 2024-03-31",
        "",
        "Generated by online banking",
    ];
    for k in 0..junk_before {
        out.push_str(junk[(k + rng.below(5)) % 5]);
        out.push('\n');
    }
    let names: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, (n, _))| match quote_names {
            1 => format!("\"{n}\""),
            2 if i == 0 => format!("#{n}"),
            2 => format!("#{n}"),
            _ => n.to_string(),
        })
        .collect();
    out.push_str(&names.join(&delim.to_string()));
    if trailing {
        out.push(delim);
    }
    out.push('\n');
    let n = 5 + rng.below(40);
    let mut sum = Decimal::ZERO;
    let mut balance: i64 = 1_000_000;
    let texts = [
        "Café Müller",
        "Żabka 1234",
        "Salary März",
        "Přijatá platba",
        "Virement reçu",
        "Überweisung",
        "Spotify",
        "Åhléns",
        "Kávézó",
    ];
    for _ in 0..n {
        let month = 1 + rng.below(3) as i8;
        let day = 1 + rng.below(28) as i8;
        let d = jiff::civil::date(2024, month, day);
        let big = rng.below(4) == 0;
        let mut minor = 1 + (rng.next() % if big { 900_000_000 } else { 90_000 }) as i64;
        if rng.below(3) != 0 {
            minor = -minor;
        }
        sum += Decimal::new(minor, 2);
        balance += minor;
        let plain = number(minor, decimal, thousands);
        let decorate = |s: String| match money_style {
            1 => format!("{s} {cur}"),
            2 => format!("{cur} {s}"),
            3 => format!("{s} {sym}"),
            4 => format!("{sym}{s}"),
            _ => s,
        };
        let signed = decorate(if minor < 0 { format!("-{plain}") } else { plain.clone() });
        let cells: Vec<String> = cols
            .iter()
            .map(|(_, c)| match c {
                0 => d.strftime(fmt).to_string(),
                1 => q(texts[rng.below(texts.len())]),
                2 if matches!(sign, Sign::Mark) => q(&decorate(plain.clone())),
                2 => q(&signed),
                3 => {
                    if minor < 0 {
                        q(&decorate(plain.clone()))
                    } else {
                        String::new()
                    }
                }
                4 => {
                    if minor > 0 {
                        q(&decorate(plain.clone()))
                    } else {
                        String::new()
                    }
                }
                5 => (if minor < 0 { lang.mark.1 } else { lang.mark.2 }).to_string(),
                6 => cur.to_string(),
                _ => q(&number(balance, decimal, thousands)),
            })
            .collect();
        out.push_str(&cells.join(&delim.to_string()));
        if trailing {
            out.push(delim);
        }
        out.push('\n');
    }
    if rng.below(2) == 0 {
        out.push('\n');
        out.push_str(&format!("Total{delim}{}\n", number(12345, decimal, thousands)));
    }
    let bytes = match encoding {
        "UTF-8" => out.clone().into_bytes(),
        "UTF-8 BOM" => [b"\xEF\xBB\xBF".as_slice(), out.as_bytes()].concat(),
        label => {
            let enc = encoding_rs::Encoding::for_label(label.as_bytes()).expect("known encoding");
            // Characters the code page lacks become '?', as a bank's export would.
            let fitted: String = out.chars().map(|c| if enc.encode(&c.to_string()).2 { '?' } else { c }).collect();
            enc.encode(&fitted).0.into_owned()
        }
    };
    let describe = format!(
        "lang={} delim={delim:?} decimal={decimal:?} thousands={thousands:?} sign={} money={money_style} date={fmt} enc={encoding} names={quote_names} trailing={trailing} junk={junk_before}",
        lang.date,
        match sign {
            Sign::Signed => "signed",
            Sign::Columns => "columns",
            Sign::Mark => "mark",
        },
    );
    Variant { bytes, rows: n, sum, describe }
}

/// How one variant fared.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Every row, the exact sum, no error.
    Exact,
    /// An error that names a column: the user is asked for a mapping.
    Asked,
    /// Rows or sum wrong, or an error naming nothing.
    Wrong,
}

fn outcome(v: &Variant) -> Outcome {
    let p = kassa_import::csv_bank::parse(&v.bytes, None);
    let sum: Decimal = p.rows.iter().map(|r| r.amount).sum();
    if !p.has_errors() && p.rows.len() == v.rows && sum == v.sum {
        return Outcome::Exact;
    }
    let names_a_column = p.diagnostics.iter().any(|d| d.severity == Severity::Error && d.field.is_some());
    if p.rows.is_empty() && names_a_column { Outcome::Asked } else { Outcome::Wrong }
}

pub const VARIANTS: u64 = 2000;

/// The measured rate, printed for docs/BENCHMARKS.md
/// (`cargo test -p kassa-import --test csv layouts -- --nocapture`).
#[test]
fn generated_layouts_import_without_a_profile() {
    // `LAYOUT_SEED=N` shows one variant's text and what sniffing made of it.
    if let Some(seed) = std::env::var("LAYOUT_SEED").ok().and_then(|s| s.parse().ok()) {
        let v = variant(seed);
        let (profile, _) = kassa_import::csv_bank::propose(&v.bytes);
        let p = kassa_import::csv_bank::parse(&v.bytes, None);
        eprintln!("{}\n{}\n{profile:#?}\n{:#?}", v.describe, String::from_utf8_lossy(&v.bytes), p.diagnostics);
    }
    let mut exact = 0;
    let mut asked = 0;
    let mut wrong = vec![];
    for seed in 0..VARIANTS {
        let v = variant(seed);
        match outcome(&v) {
            Outcome::Exact => exact += 1,
            Outcome::Asked => asked += 1,
            Outcome::Wrong => wrong.push((seed, v.describe)),
        }
    }
    let rate = exact as f64 / VARIANTS as f64;
    eprintln!(
        "layouts: {exact}/{VARIANTS} exact ({:.1} %), {asked} asked for a mapping, {} wrong",
        rate * 100.0,
        wrong.len()
    );
    for (seed, d) in wrong.iter().take(15) {
        eprintln!("  wrong #{seed}: {d}");
    }
    assert!(exact * 1000 >= VARIANTS as usize * FLOOR_EXACT_PERMILLE, "{exact} exact");
    assert!(wrong.len() * 1000 <= VARIANTS as usize * CEILING_WRONG_PERMILLE, "{} wrong", wrong.len());
}

/// What this branch holds (measured 838 ‰ exact and 20 ‰ wrong, see
/// docs/BENCHMARKS.md), so sniffing cannot slide back; the goal is
/// 990 ‰ exact, not reached yet.
const FLOOR_EXACT_PERMILLE: usize = 830;
const CEILING_WRONG_PERMILLE: usize = 25;
