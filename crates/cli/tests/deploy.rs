//! The deployment recipes of `docs/deploy` (issue 19): the systemd unit
//! passes `systemd-analyze verify` (skipped loudly where systemd-analyze is
//! missing), and both recipes start `kassa` with arguments and environment
//! this binary accepts. The Containerfile is checked statically — every
//! file it copies exists, and the binary it copies is the one its build
//! stage makes — because building it needs a container registry and
//! crates.io, which the test machines cannot reach.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `key=value` lines of one INI section, in order.
fn directives(unit: &str) -> Vec<(String, String)> {
    unit.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// `kassa --print-config` as a recipe would start it: its environment and
/// `serve` arguments, with the configuration it resolves to.
fn print_config(env: &[(String, String)], serve_args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(serve_args)
        .arg("--print-config")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    assert!(out.status.success(), "kassa {serve_args:?} with {env:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_systemd_unit_verifies_and_starts_kassa_as_configured() {
    let unit = read("docs/deploy/kassa.service");
    let keys = directives(&unit);
    let value = |k: &str| keys.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    for (k, v) in [
        ("DynamicUser", "yes"),
        ("StateDirectory", "kassa"),
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("CapabilityBoundingSet", ""),
    ] {
        assert_eq!(value(k), Some(v), "kassa.service: {k}");
    }
    // What ExecStart runs, with the unit's Environment=, is a `kassa serve`
    // this binary accepts, and the settings land where the unit's
    // directories are.
    let exec = value("ExecStart").unwrap();
    let args: Vec<&str> = exec.split_whitespace().collect();
    assert_eq!(args[0], "/usr/local/bin/kassa");
    let env: Vec<(String, String)> = keys
        .iter()
        .filter(|(k, _)| k == "Environment")
        .map(|(_, v)| v.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).unwrap())
        .collect();
    let config = print_config(&env, &args[1..]);
    assert!(config.contains("url = \"sqlite:///var/lib/kassa/kassa.db\""), "{config}");
    assert!(config.contains("dir = \"/var/log/kassa\""), "{config}");
    assert!(config.contains("bind = \"127.0.0.1:8080\""), "{config}");

    let found = Command::new("sh").args(["-c", "command -v systemd-analyze"]).output().unwrap().status.success();
    if !found {
        eprintln!("SKIPPING systemd-analyze verify of docs/deploy/kassa.service: systemd-analyze is not installed");
        return;
    }
    // verify insists that ExecStart's program exists: the unit as written,
    // pointing at the binary under test.
    let dir = kassa_store::testing::TempDir::new();
    let copy = dir.path().join("kassa.service");
    std::fs::write(&copy, unit.replace("/usr/local/bin/kassa", env!("CARGO_BIN_EXE_kassa"))).unwrap();
    let out = Command::new("systemd-analyze").arg("verify").arg(&copy).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // An unknown or misspelt key is only a warning, so any output fails too.
    assert!(out.status.success() && stderr.trim().is_empty(), "systemd-analyze verify: {stderr}");
}

#[test]
fn the_containerfile_copies_what_exists_and_runs_the_binary_it_builds() {
    let recipe = read("docs/deploy/Containerfile");
    let lines: Vec<String> = recipe
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let mut stages = vec![];
    let mut workdir = String::from("/");
    let mut copied_binary = None;
    for line in &lines {
        let (op, rest) = line.split_once(' ').unwrap_or((line, ""));
        match op {
            "FROM" => stages.push(rest.to_string()),
            "WORKDIR" if stages.len() == 1 => workdir = rest.to_string(),
            "COPY" if rest.starts_with("--from=build") => {
                let parts: Vec<&str> = rest.split_whitespace().collect();
                copied_binary = Some((parts[1].to_string(), parts[2].to_string()));
            }
            "COPY" => {
                let parts: Vec<&str> = rest.split_whitespace().collect();
                for source in &parts[..parts.len() - 1] {
                    assert!(repo().join(source).exists(), "Containerfile copies {source}, which the repository lacks");
                }
            }
            _ => {}
        }
    }
    assert_eq!(stages.len(), 2, "a build stage and a run stage: {stages:?}");
    assert!(stages[0].ends_with("AS build"), "{stages:?}");
    // The build stage's toolchain is the workspace's rust-version.
    let manifest = read("Cargo.toml");
    let rust = manifest.lines().find_map(|l| l.strip_prefix("rust-version = ")).unwrap().trim_matches('"');
    assert!(stages[0].contains(&format!("rust:{rust}")), "{} is not rust {rust}", stages[0]);
    // It builds the `kassa` binary of crates/cli, and that is what is copied.
    assert!(lines.iter().any(|l| l.starts_with("RUN cargo build --release --locked -p kassa")), "{recipe}");
    assert!(read("crates/cli/Cargo.toml").contains("name = \"kassa\""));
    let (from, to) = copied_binary.expect("COPY --from=build of the binary");
    assert_eq!(from, format!("{workdir}/target/release/kassa"));
    // What it runs, with its environment, is a `kassa serve` this binary takes.
    let entry = lines.iter().find_map(|l| l.strip_prefix("ENTRYPOINT ")).unwrap();
    let cmd = lines.iter().find_map(|l| l.strip_prefix("CMD ")).unwrap();
    let entry: Vec<String> = serde_json::from_str(entry).unwrap();
    let cmd: Vec<String> = serde_json::from_str(cmd).unwrap();
    assert_eq!(entry, vec![to]);
    let env: Vec<(String, String)> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("ENV "))
        .flat_map(|l| l.split_whitespace().map(|kv| kv.split_once('=').unwrap()))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let config = print_config(&env, &args);
    assert!(config.contains("bind = \"0.0.0.0:8080\"") && config.contains("format = \"json\""), "{config}");
    assert!(config.contains("url = \"sqlite:///var/lib/kassa/kassa.db\""), "{config}");
}
