//! Peak memory and time of every parser on generated inputs (issue 14): each
//! shape of `tests/common/shapes.rs` is written to a temporary file at the
//! given size and parsed in a child process of its own, so the peak resident
//! set (`VmHWM` in /proc/self/status) is that one parse's, input included.
//!
//! ```text
//! cargo run --release -p kassa-import --example parser_memory -- [MiB] [shape,shape…]
//! ```
//!
//! Prints one Markdown table row per shape: size, parse time, peak RSS, the
//! peak as a multiple of the file size, rows and diagnostics.

#[path = "../tests/common/shapes.rs"]
mod shapes;

use std::process::Command;
use std::time::Instant;

/// `VmHWM` (peak resident set) of this process in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn child(name: &str, path: &str) {
    let shape = shapes::SHAPES.iter().find(|s| s.name == name).expect("known shape");
    let bytes = std::fs::read(path).expect("readable input");
    let base = peak_rss();
    let start = Instant::now();
    let parsed = shape.parse(&bytes);
    let secs = start.elapsed().as_secs_f64();
    let peak = peak_rss();
    println!(
        "{}\t{}\t{secs:.3}\t{peak}\t{base}\t{}\t{}",
        shape.name,
        bytes.len(),
        parsed.rows.len() + parsed.trades.len(),
        parsed.diagnostics.len()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1], &args[2]);
        return;
    }
    let mib: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(64.0);
    let only: Vec<&str> = args.get(1).map(|a| a.split(',').collect()).unwrap_or_default();
    let size = (mib * 1024.0 * 1024.0) as usize;
    let exe = std::env::current_exe().expect("own executable");
    let path = std::env::temp_dir().join(format!("kassa-parser-memory-{}", std::process::id()));
    println!("| shape | kind | file MB | parse s | peak RSS MB | peak / file | rows | diagnostics |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for shape in shapes::SHAPES.iter().filter(|s| only.is_empty() || only.contains(&s.name)) {
        std::fs::write(&path, shape.build(size)).expect("writable temp file");
        let out =
            Command::new(&exe).args(["--child", shape.name, &path.to_string_lossy()]).output().expect("child process");
        let line = String::from_utf8_lossy(&out.stdout);
        let f: Vec<&str> = line.trim().split('\t').collect();
        if f.len() < 7 {
            println!("| {} | failed: {} |", shape.name, String::from_utf8_lossy(&out.stderr).trim());
            continue;
        }
        let mb = |s: &str| s.parse::<f64>().unwrap_or(0.0) / 1e6;
        let (file, peak) = (mb(f[1]), mb(f[3]));
        println!(
            "| {} | {} | {file:.1} | {} | {peak:.0} | {:.1}× | {} | {} |",
            f[0],
            if shape.hostile { "hostile" } else { "normal" },
            f[2],
            peak / file.max(f64::MIN_POSITIVE),
            f[5],
            f[6]
        );
    }
    let _ = std::fs::remove_file(&path);
}
