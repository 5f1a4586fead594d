//! Prints the profile kassa proposes for a CSV file and what it reads with it.
fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("readable file");
        let (p, notes) = kassa_import::csv_bank::propose(&bytes);
        println!("### {path}\n{}", p.to_toml());
        for n in notes {
            println!("note: {n:?}");
        }
        let r = kassa_import::csv_bank::read(&bytes, None);
        println!("profile used: {} rows={} diags={}", r.profile.name, r.parsed.rows.len(), r.parsed.diagnostics.len());
        for d in r.parsed.diagnostics.iter().take(8) {
            println!("  {:?} l{} {:?} {}", d.severity, d.line, d.field, d.message);
        }
        for row in r.parsed.rows.iter().take(3) {
            println!(
                "  {} {} {:?} {:?} | {} | {:?}",
                row.line,
                row.date,
                row.amount,
                row.currency.map(|c| c.code().to_string()),
                row.description,
                row.counterparty
            );
        }
    }
}
