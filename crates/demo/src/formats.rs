//! The demo's movements written the way banks export them: a Sparkasse
//! CSV-CAMT file (`;`, decimal comma, two-digit years), a Revolut CSV, a
//! DEGIRO account statement, OFX 2 credit-card statements, ISO 20022
//! camt.053.001.02, MT940 with German `?NN` subfields, and kassa's own
//! `transactions.csv` and `trades.csv`. The importer reads them like any
//! other file: what it gets here is what it would get from a bank.

use jiff::civil::Date;
use kassa_import::native::{TRADE_COLUMNS, TRANSACTION_COLUMNS};
use rust_decimal::Decimal;

use super::generate::{Acct, How, Mv, Trade};

/// `1.284,00` (with `thousands`) or `1284,00`: two decimals, a decimal comma.
pub fn de_decimal(d: Decimal, thousands: bool) -> String {
    let s = format!("{:.2}", d.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if thousands && i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if d < Decimal::ZERO { "-" } else { "" };
    format!("{sign}{grouped},{frac}")
}

fn csv_writer(delimiter: u8, always_quote: bool) -> csv::Writer<Vec<u8>> {
    let style = if always_quote { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary };
    csv::WriterBuilder::new().delimiter(delimiter).quote_style(style).from_writer(vec![])
}

fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    // Writing into a Vec cannot fail.
    w.into_inner().unwrap_or_default()
}

fn write(w: &mut csv::Writer<Vec<u8>>, record: &[String]) {
    // Writing into a Vec cannot fail.
    let _ = w.write_record(record);
}

/// How a German bank books a movement: its business transaction code
/// (GVC, for MT940) and its booking text.
fn german_booking(m: &Mv) -> (&'static str, &'static str) {
    match (m.how, m.amount > Decimal::ZERO) {
        (How::Card, _) => ("106", "KARTENZAHLUNG"),
        (How::DirectDebit, _) => ("105", "FOLGELASTSCHRIFT"),
        (How::StandingOrder, _) => ("117", "DAUERAUFTRAG"),
        (How::Transfer, true) => ("166", "GUTSCHR. UEBERWEISUNG"),
        (How::Transfer, false) => ("116", "ONLINE-UEBERWEISUNG"),
        (How::Salary, _) => ("153", "LOHN GEHALT"),
        (How::Interest, _) => ("805", "ABSCHLUSS"),
        (How::Cash, _) => ("083", "BARGELDAUSZAHLUNG"),
        (How::Fee, _) => ("805", "ENTGELTABSCHLUSS"),
    }
}

/// Sparkasse CSV-CAMT: every field quoted, newest first, several accounts
/// in one file (the `Auftragskonto` column says whose row it is).
pub fn sparkasse_csv(accounts: &[(&Acct, &[Mv])]) -> Vec<u8> {
    let mut w = csv_writer(b';', true);
    write(
        &mut w,
        &[
            "Auftragskonto",
            "Buchungstag",
            "Valutadatum",
            "Buchungstext",
            "Verwendungszweck",
            "Beguenstigter/Zahlungspflichtiger",
            "Kontonummer",
            "BLZ",
            "Betrag",
            "Waehrung",
            "Info",
        ]
        .map(String::from),
    );
    let mut rows: Vec<(&Acct, &Mv)> = accounts.iter().flat_map(|(a, ms)| ms.iter().map(move |m| (*a, m))).collect();
    rows.sort_by_key(|(_, m)| std::cmp::Reverse(m.date));
    for (a, m) in rows {
        let date = m.date.strftime("%d.%m.%y").to_string();
        write(
            &mut w,
            &[
                a.iban.clone().unwrap_or_default(),
                date.clone(),
                date,
                german_booking(m).1.into(),
                m.text.clone(),
                m.party.clone(),
                m.party_id.clone().unwrap_or_default(),
                String::new(),
                de_decimal(m.amount, false),
                a.currency.into(),
                if m.pending { "Umsatz vorgemerkt" } else { "Umsatz gebucht" }.into(),
            ],
        );
    }
    finish(w)
}

/// Revolut's statement CSV for one currency pocket, oldest first, with the
/// running balance.
pub fn revolut_csv(rows: &[Mv], currency: &str) -> Vec<u8> {
    let mut w = csv_writer(b',', false);
    let header = [
        "Type",
        "Product",
        "Started Date",
        "Completed Date",
        "Description",
        "Amount",
        "Fee",
        "Currency",
        "State",
        "Balance",
    ];
    write(&mut w, &header.map(String::from));
    let mut balance = Decimal::ZERO;
    for (i, m) in rows.iter().enumerate() {
        balance += m.amount;
        let kind = match m.how {
            How::Card => "CARD_PAYMENT",
            _ if m.amount > Decimal::ZERO => "TOPUP",
            _ => "TRANSFER",
        };
        let at = format!("{} {:02}:{:02}:{:02}", m.date, 8 + i % 12, (i * 7) % 60, (i * 13) % 60);
        write(
            &mut w,
            &[
                kind.into(),
                "Current".into(),
                at.clone(),
                at,
                m.text.clone(),
                format!("{:.2}", m.amount),
                "0.00".into(),
                currency.into(),
                "COMPLETED".into(),
                format!("{balance:.2}"),
            ],
        );
    }
    finish(w)
}

/// DEGIRO's account statement (Dutch export): newest first; the currency
/// of change and balance sits in a named column, the number in the unnamed
/// one after it.
pub fn degiro_csv(rows: &[Mv]) -> Vec<u8> {
    let mut w = csv_writer(b',', false);
    let header = [
        "Datum",
        "Tijd",
        "Valutadatum",
        "Product",
        "ISIN",
        "Omschrijving",
        "FX",
        "Mutatie",
        "",
        "Saldo",
        "",
        "Order Id",
    ];
    write(&mut w, &header.map(String::from));
    let mut balance = Decimal::ZERO;
    let mut lines = vec![];
    for (i, m) in rows.iter().enumerate() {
        balance += m.amount;
        let date = m.date.strftime("%d-%m-%Y").to_string();
        let order = if m.text.starts_with("Koop") {
            format!("{:08x}-{i:04}", m.date.year() as u32 * 10_000 + i as u32)
        } else {
            String::new()
        };
        lines.push([
            date.clone(),
            format!("{:02}:{:02}", 8 + i % 9, (i * 7) % 60),
            date,
            m.party.clone(),
            m.party_id.clone().unwrap_or_default(),
            m.text.clone(),
            String::new(),
            "EUR".into(),
            de_decimal(m.amount, false),
            "EUR".into(),
            de_decimal(balance, false),
            order,
        ]);
    }
    for l in lines.iter().rev() {
        write(&mut w, l);
    }
    finish(w)
}

/// kassa's `trades.csv`.
pub fn trades_csv(account: &str, trades: &[Trade]) -> Vec<u8> {
    let mut w = csv_writer(b',', false);
    write(&mut w, &TRADE_COLUMNS.map(String::from));
    for (i, t) in trades.iter().enumerate() {
        write(
            &mut w,
            &[
                account.into(),
                format!("{}T09:{:02}:{:02}", t.date, 4 + i % 50, (i * 17) % 60),
                t.symbol.into(),
                t.isin.into(),
                if t.buy { "BUY" } else { "SELL" }.into(),
                t.quantity.to_string(),
                format!("{:.2}", t.price),
                format!("{:.2}", t.fees),
                "EUR".into(),
                format!("DG-{}-{i:04}", t.date.strftime("%Y%m%d")),
            ],
        );
    }
    finish(w)
}

/// kassa's `transactions.csv`: a hand-kept cash log. Rows with a group are
/// the two legs of one transfer.
pub fn kassa_csv(rows: &[(&Acct, Mv)]) -> Vec<u8> {
    let mut w = csv_writer(b',', false);
    write(&mut w, &TRANSACTION_COLUMNS.map(String::from));
    for (i, (a, m)) in rows.iter().enumerate() {
        write(
            &mut w,
            &[
                format!("cash-{i:05}"),
                a.name.into(),
                m.date.to_string(),
                format!("{:.2}", m.amount),
                a.currency.into(),
                String::new(),
                m.category.unwrap_or_default().into(),
                m.text.clone(),
                m.party.clone(),
                String::new(),
                m.group.clone().unwrap_or_default(),
            ],
        );
    }
    finish(w)
}

/// `&`, `<`, `>` and quotes as XML entities.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A bank's reference for the `n`th movement of an account.
fn reference(a: &Acct, m: &Mv, n: usize) -> String {
    let tail: String = a.iban.as_deref().or(a.number.as_deref()).unwrap_or(a.name).chars().rev().take(4).collect();
    format!("{}{}{n:05}", m.date.strftime("%y%m%d"), tail.chars().rev().collect::<String>())
}

/// OFX 2.2 credit-card statements, one `CCSTMTRS` per card.
pub fn ofx_cards(cards: &[(&Acct, Decimal, &[Mv])], today: Date) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n\
         <?OFX OFXHEADER=\"200\" VERSION=\"220\" SECURITY=\"NONE\" OLDFILEUID=\"NONE\" NEWFILEUID=\"NONE\"?>\n<OFX>\n",
    );
    out += &format!(
        "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>\
         <DTSERVER>{}080000</DTSERVER><LANGUAGE>DEU</LANGUAGE></SONRS></SIGNONMSGSRSV1>\n<CREDITCARDMSGSRSV1>\n",
        today.strftime("%Y%m%d")
    );
    for (k, (card, opening, rows)) in cards.iter().enumerate() {
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else { continue };
        out += &format!(
            "<CCSTMTTRNRS><TRNUID>{}</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>\n\
             <CCSTMTRS><CURDEF>{}</CURDEF><CCACCTFROM><ACCTID>{}</ACCTID></CCACCTFROM>\n\
             <BANKTRANLIST><DTSTART>{}</DTSTART><DTEND>{}</DTEND>\n",
            k + 1,
            card.currency,
            xml(card.number.as_deref().unwrap_or(card.name)),
            first.date.strftime("%Y%m%d"),
            last.date.strftime("%Y%m%d"),
        );
        for (n, m) in rows.iter().enumerate() {
            let kind = match m.how {
                How::Fee => "FEE",
                How::Transfer => "PAYMENT",
                _ if m.amount > Decimal::ZERO => "CREDIT",
                _ => "DEBIT",
            };
            let name: String = m.party.chars().take(32).collect();
            out += &format!(
                "<STMTTRN><TRNTYPE>{kind}</TRNTYPE><DTPOSTED>{}120000[+1:CET]</DTPOSTED><TRNAMT>{:.2}</TRNAMT>\
                 <FITID>{}</FITID><NAME>{}</NAME><MEMO>{}</MEMO></STMTTRN>\n",
                m.date.strftime("%Y%m%d"),
                m.amount,
                reference(card, m, n),
                xml(&name),
                xml(&m.text),
            );
        }
        let balance: Decimal = *opening + rows.iter().map(|m| m.amount).sum::<Decimal>();
        out += &format!(
            "</BANKTRANLIST><LEDGERBAL><BALAMT>{balance:.2}</BALAMT><DTASOF>{}</DTASOF></LEDGERBAL>\
             </CCSTMTRS></CCSTMTTRNRS>\n",
            last.date.strftime("%Y%m%d")
        );
    }
    out += "</CREDITCARDMSGSRSV1>\n</OFX>\n";
    out.into_bytes()
}

/// Movements grouped by month, with the balance before each month.
fn monthly(opening: Decimal, rows: &[Mv]) -> Vec<(Date, Decimal, Vec<&Mv>)> {
    let mut out: Vec<(Date, Decimal, Vec<&Mv>)> = vec![];
    let mut balance = opening;
    for m in rows {
        let month = m.date.first_of_month();
        if out.last().is_none_or(|(last, _, _)| *last != month) {
            out.push((month, balance, vec![]));
        }
        if let Some((_, _, v)) = out.last_mut() {
            v.push(m);
        }
        balance += m.amount;
    }
    out
}

fn camt_balance(code: &str, amount: Decimal, currency: &str, date: Date) -> String {
    let side = if amount < Decimal::ZERO { "DBIT" } else { "CRDT" };
    format!(
        "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{currency}\">{:.2}</Amt>\
         <CdtDbtInd>{side}</CdtDbtInd><Dt><Dt>{date}</Dt></Dt></Bal>\n",
        amount.abs()
    )
}

/// ISO 20022 camt.053.001.02: one statement per account and month.
pub fn camt053(accounts: &[(&Acct, Decimal, &[Mv])], year: i16) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<BkToCstmrStmt>\n",
    );
    out += &format!("<GrpHdr><MsgId>CAMT053-{year}</MsgId><CreDtTm>{year}-12-31T22:00:00</CreDtTm></GrpHdr>\n");
    for (a, opening, rows) in accounts {
        let iban = a.iban.as_deref().unwrap_or_default();
        let mut n = 0;
        for (month, start, entries) in monthly(*opening, rows) {
            let end = month.last_of_month();
            let closing = start + entries.iter().map(|m| m.amount).sum::<Decimal>();
            out += &format!(
                "<Stmt><Id>{iban}-{}</Id><ElctrncSeqNb>{}</ElctrncSeqNb><CreDtTm>{end}T22:00:00</CreDtTm>\n\
                 <FrToDt><FrDtTm>{month}T00:00:00</FrDtTm><ToDtTm>{end}T23:59:59</ToDtTm></FrToDt>\n\
                 <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{}</Ccy><Svcr><FinInstnId><BIC>{}</BIC></FinInstnId></Svcr></Acct>\n",
                month.strftime("%Y%m"),
                month.month(),
                a.currency,
                a.bic,
            );
            out += &camt_balance("PRCD", start, a.currency, month.yesterday().unwrap_or(month));
            out += &camt_balance("CLBD", closing, a.currency, end);
            for m in entries {
                n += 1;
                let incoming = m.amount > Decimal::ZERO;
                let (side, party, party_acct, family) = if incoming {
                    ("CRDT", "Dbtr", "DbtrAcct", "RCDT")
                } else {
                    ("DBIT", "Cdtr", "CdtrAcct", if m.how == How::DirectDebit { "IDDT" } else { "ICDT" })
                };
                let reference = reference(a, m, n);
                let iban = m
                    .party_id
                    .as_deref()
                    .map_or(String::new(), |i| format!("<{party_acct}><Id><IBAN>{i}</IBAN></Id></{party_acct}>"));
                out += &format!(
                    "<Ntry><Amt Ccy=\"{}\">{:.2}</Amt><CdtDbtInd>{side}</CdtDbtInd><Sts>BOOK</Sts>\
                     <BookgDt><Dt>{}</Dt></BookgDt><ValDt><Dt>{}</Dt></ValDt><AcctSvcrRef>{reference}</AcctSvcrRef>\
                     <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\n\
                     <NtryDtls><TxDtls><Refs><EndToEndId>E2E{reference}</EndToEndId></Refs>\
                     <RltdPties><{party}><Nm>{}</Nm></{party}>{iban}</RltdPties>\
                     <RmtInf><Ustrd>{}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n",
                    a.currency,
                    m.amount.abs(),
                    m.date,
                    m.date,
                    xml(&m.party),
                    xml(&m.text),
                );
            }
            out += "</Stmt>\n";
        }
    }
    out += "</BkToCstmrStmt>\n</Document>\n";
    out.into_bytes()
}

/// SWIFT's character set: what a German bank would print for `s`.
fn swift_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ä' => "ae".into(),
            'ö' => "oe".into(),
            'ü' => "ue".into(),
            'ß' => "ss".into(),
            c if c.is_ascii_alphanumeric() || " /-().,'+".contains(c) => c.to_string(),
            _ => " ".into(),
        })
        .collect()
}

/// `value` in lines of at most 65 characters (the first shares its line with
/// the `:86:` tag). A line never starts with `-` or `:`, which would end the
/// message or open a new field.
fn swift_lines(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::new();
    let mut at = 0;
    let mut width = 61;
    while at < chars.len() {
        let mut end = (at + width).min(chars.len());
        while end < chars.len() && end > at + 1 && matches!(chars[end], '-' | ':') {
            end -= 1;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.extend(&chars[at..end]);
        at = end;
        width = 65;
    }
    out
}

/// The German `:86:` layout: business code, booking text in `?00`, the
/// purpose with its SEPA tag in 27-character `?20`–`?29` pieces, the
/// counterparty's BIC, IBAN and name in `?30`–`?33`.
fn field86(m: &Mv, reference: &str) -> String {
    let (code, text) = german_booking(m);
    let mut out = format!("{code}?00{text}");
    let purpose = swift_text(&format!("EREF+{reference} SVWZ+{}", m.text));
    let chars: Vec<char> = purpose.chars().collect();
    for (k, piece) in chars.chunks(27).take(10).enumerate() {
        out += &format!("?{}{}", 20 + k, piece.iter().collect::<String>());
    }
    if let Some(iban) = &m.party_id {
        out += &format!("?30COBADEFFXXX?31{iban}");
    }
    let name: Vec<char> = swift_text(&m.party).chars().collect();
    for (k, piece) in name.chunks(27).take(2).enumerate() {
        out += &format!("?{}{}", 32 + k, piece.iter().collect::<String>());
    }
    out
}

/// MT940 as a German bank delivers it: one SWIFT message per month, the
/// account as `BLZ/account number`.
pub fn mt940(a: &Acct, opening: Decimal, rows: &[Mv]) -> Vec<u8> {
    let iban = a.iban.as_deref().unwrap_or_default();
    let account = format!("{}/{}", iban.get(4..12).unwrap_or_default(), a.number.as_deref().unwrap_or_default());
    let balance = |tag: &str, amount: Decimal, date: Date| {
        let side = if amount < Decimal::ZERO { "D" } else { "C" };
        format!(":{tag}:{side}{}{}{}\n", date.strftime("%y%m%d"), a.currency, de_decimal(amount.abs(), false))
    };
    let mut out = String::new();
    let mut n = 0;
    for (k, (month, start, entries)) in monthly(opening, rows).into_iter().enumerate() {
        out += &format!("{{1:F01{}0000000000}}{{2:O940{}N}}{{3:}}{{4:\n", a.bic, a.bic);
        out += &format!(":20:STARTUMSE\n:25:{account}\n:28C:{:05}/001\n", k + 1);
        out += &balance("60F", start, month.yesterday().unwrap_or(month));
        let mut closing = start;
        for m in &entries {
            n += 1;
            let reference = reference(a, m, n);
            let side = if m.amount < Decimal::ZERO { "D" } else { "C" };
            let kind = match m.how {
                How::DirectDebit => "DDT",
                How::Card | How::Cash => "MSC",
                How::Interest | How::Fee => "CHG",
                _ => "TRF",
            };
            out += &format!(
                ":61:{}{}{side}{}N{kind}NONREF//{reference}\n",
                m.date.strftime("%y%m%d"),
                m.date.strftime("%m%d"),
                de_decimal(m.amount.abs(), false)
            );
            out += &format!(":86:{}\n", swift_lines(&field86(m, &reference)));
            closing += m.amount;
        }
        let last = entries.last().map_or(month, |m| m.date);
        out += &balance("62F", closing, last);
        out += "-}{5:}\n";
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_amounts() {
        assert_eq!(de_decimal(Decimal::new(128_400, 2), true), "1.284,00");
        assert_eq!(de_decimal(Decimal::new(-3_699, 2), false), "-36,99");
        assert_eq!(de_decimal(Decimal::new(1_234_567_890, 2), true), "12.345.678,90");
        assert_eq!(de_decimal(Decimal::new(5, 1), false), "0,50");
    }

    #[test]
    fn swift_lines_never_open_a_field() {
        let text = format!("{}-{}:{}", "a".repeat(60), "b".repeat(64), "c".repeat(70));
        for l in swift_lines(&text).lines() {
            assert!(l.chars().count() <= 65 && !l.starts_with(['-', ':']), "{l}");
        }
        assert_eq!(swift_lines(&text).replace('\n', ""), text);
    }
}
