//! The configuration through the real binary: which source wins
//! (`--print-config` shows the result), what a bad key reports, that
//! `kassa serve` applies what it read, and that no database password
//! reaches the output.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};

/// `kassa ARGS` with `env` and none of the caller's `KASSA_…` variables,
/// so the developer's or CI's environment cannot change what is resolved.
fn kassa(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kassa"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("KASSA_")) {
        cmd.env_remove(name);
    }
    cmd.args(args).envs(env.iter().copied());
    cmd
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    kassa(args, env).output().expect("run kassa")
}

/// The effective configuration `kassa ARGS --print-config` prints (ARGS
/// end in `serve` and its flags).
fn effective(args: &[&str], env: &[(&str, &str)]) -> toml::Table {
    let out = run(&[args, &["--print-config"]].concat(), env);
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().parse().expect("the printed configuration is TOML")
}

fn get<'a>(t: &'a toml::Table, key: &str) -> &'a toml::Value {
    let (section, key) = key.split_once('.').unwrap();
    &t[section][key]
}

/// Stderr of a run that must fail, which must be one line.
fn one_line_error(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = run(args, env);
    assert!(!out.status.success(), "{args:?} should have failed");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    err
}

#[test]
fn without_a_file_the_defaults_are_those_serve_always_had() {
    let t = effective(&["--db", "sqlite:///srv/kassa.db", "serve"], &[]);
    assert_eq!(get(&t, "database.url").as_str(), Some("sqlite:///srv/kassa.db"));
    assert_eq!(get(&t, "server.bind").as_str(), Some("127.0.0.1:8080"));
    assert_eq!(get(&t, "server.body_limit_bytes").as_integer(), Some(1 << 20));
    assert_eq!(get(&t, "server.request_timeout_secs").as_integer(), Some(30));
    assert_eq!(get(&t, "server.upload_timeout_secs").as_integer(), Some(600));
    assert_eq!(get(&t, "auth.registration").as_str(), Some("closed"));
    assert_eq!(get(&t, "auth.token_ttl_secs").as_integer(), Some(30 * 24 * 3600));
    assert_eq!(get(&t, "auth.password_memory_kib").as_integer(), Some(19_456));
    assert_eq!(get(&t, "auth.login_window_secs").as_integer(), Some(15 * 60));
    assert_eq!(get(&t, "log.filter").as_str(), Some("info"));
    assert_eq!(get(&t, "log.format").as_str(), Some("text"));
}

#[test]
fn file_then_environment_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kassa.toml");
    std::fs::write(
        &file,
        r#"
[database]
url = "sqlite:///from/file.db"
[server]
bind = "127.0.0.1:1001"
body_limit_bytes = 2048
request_timeout_secs = 5
[auth]
registration = "invite"
[log]
format = "json"
"#,
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let env = [
        ("KASSA_SERVER__BIND", "127.0.0.1:1002"),
        ("KASSA_SERVER__REQUEST_TIMEOUT_SECS", "7"),
        // The old spellings are below the nested ones…
        ("KASSA_BIND", "127.0.0.1:1003"),
        ("KASSA_REGISTRATION", "open"),
        ("KASSA_LOG", "warn"),
        ("KASSA_DB", "sqlite:///from/env.db"),
    ];
    let t = effective(&["--config", path, "serve", "--bind", "127.0.0.1:1004"], &env);
    assert_eq!(get(&t, "server.body_limit_bytes").as_integer(), Some(2048), "the file over the default");
    assert_eq!(get(&t, "log.format").as_str(), Some("json"), "the file over the default");
    assert_eq!(get(&t, "server.request_timeout_secs").as_integer(), Some(7), "the environment over the file");
    assert_eq!(get(&t, "auth.registration").as_str(), Some("open"), "an old variable over the file");
    assert_eq!(get(&t, "log.filter").as_str(), Some("warn"), "KASSA_LOG as it always was");
    assert_eq!(get(&t, "database.url").as_str(), Some("sqlite:///from/env.db"), "KASSA_DB as it always was");
    assert_eq!(get(&t, "server.bind").as_str(), Some("127.0.0.1:1004"), "the flag over everything");

    let t = effective(&["--config", path, "serve"], &env);
    assert_eq!(get(&t, "server.bind").as_str(), Some("127.0.0.1:1002"), "…and KASSA_SERVER__BIND over KASSA_BIND");
    let t =
        effective(&["--db", "sqlite:///from/flag.db", "serve", "--registration", "closed"], &[("KASSA_CONFIG", path)]);
    assert_eq!(get(&t, "database.url").as_str(), Some("sqlite:///from/flag.db"), "--db over the file");
    assert_eq!(get(&t, "auth.registration").as_str(), Some("closed"), "--registration over the file");
    assert_eq!(get(&t, "server.bind").as_str(), Some("127.0.0.1:1001"), "KASSA_CONFIG names the file");
}

#[test]
fn a_bad_value_names_its_key_and_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kassa.toml");
    std::fs::write(&file, "[server]\nbnd = \"127.0.0.1:1\"\n").unwrap();
    let path = file.to_str().unwrap();
    let err = one_line_error(&["--config", path, "serve", "--print-config"], &[]);
    assert!(err.contains("server.bnd") && err.contains(path), "{err}");
    let err = one_line_error(&["serve", "--print-config"], &[("KASSA_SERVER__BODY_LIMIT_BYTES", "lots")]);
    assert!(err.contains("KASSA_SERVER__BODY_LIMIT_BYTES") && err.contains("environment"), "{err}");
    let err = one_line_error(&["serve", "--print-config"], &[("KASSA_REGISTRATION", "sometimes")]);
    assert!(err.contains("KASSA_REGISTRATION") && err.contains("sometimes"), "{err}");
    let err = one_line_error(&["serve", "--print-config"], &[("KASSA_SERVER__BLOCKING_THREADS", "0")]);
    assert!(err.contains("KASSA_SERVER__BLOCKING_THREADS") && err.contains("nonzero"), "{err}");
    let err = one_line_error(&["--config", "/nonexistent/kassa.toml", "serve"], &[]);
    assert!(err.contains("/nonexistent/kassa.toml"), "{err}");
}

const PASSWORD: &str = "s3cr3t";
const URL: &str = "postgres://user:s3cr3t@127.0.0.1:1/x";

#[test]
fn a_database_password_is_never_printed() {
    // Nothing listens on port 1: opening fails after the pool's timeout,
    // and the error names the URL.
    for args in [&["--db", URL, "init"][..], &["--db", URL, "serve"]] {
        let err = one_line_error(args, &[]);
        assert!(!err.contains(PASSWORD), "{args:?}: {err}");
        assert!(err.contains("postgres://user:***@127.0.0.1:1/x"), "{args:?}: {err}");
    }
    let err = one_line_error(&["init"], &[("KASSA_DATABASE__URL", "postgresql://user:s3cr3t@[::1/x")]);
    assert!(!err.contains(PASSWORD), "{err}");

    let t = effective(&["serve"], &[("KASSA_DATABASE__URL", URL)]);
    assert_eq!(get(&t, "database.url").as_str(), Some("postgres://user:***@127.0.0.1:1/x"));

    // toml's own syntax errors quote the line: this one holds the password.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kassa.toml");
    std::fs::write(&file, format!("[database]\nurl = {URL}\n")).unwrap();
    let err = one_line_error(&["--config", file.to_str().unwrap(), "serve"], &[]);
    assert!(!err.contains(PASSWORD) && err.contains("line 2"), "{err}");
}

/// `kassa serve`, killed when the test ends.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The status of a JSON POST of `body` to `path`, over plain HTTP/1.1.
fn post_status(addr: &str, path: &str, body: &str) -> u16 {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    reply.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("no status: {reply}"))
}

#[test]
fn serve_applies_the_configured_body_limit() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kassa.toml");
    let db = format!("sqlite://{}", dir.path().join("kassa.db").display());
    std::fs::write(
        &file,
        format!(
            "[database]\nurl = \"{db}\"\n[server]\nbind = \"127.0.0.1:0\"\nbody_limit_bytes = 100\n[log]\nfilter = \"warn\"\n"
        ),
    )
    .unwrap();
    let mut child = kassa(&["--config", file.to_str().unwrap(), "serve"], &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kassa serve");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let _serve = Serve(child);
    let first = lines.next().expect("a first line").unwrap();
    let addr = first
        .strip_prefix("kassa listening on http://")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("not the address: {first}"))
        .to_string();
    let small = r#"{"email":"a@b.c","password":"wrong password"}"#;
    let large = format!(r#"{{"email":"a@b.c","password":"{}"}}"#, "x".repeat(200));
    assert_eq!(post_status(&addr, "/api/v1/auth/login", small), 401, "under the limit: a wrong login");
    assert_eq!(post_status(&addr, "/api/v1/auth/login", &large), 413, "over the configured 100 bytes");
}

#[test]
fn the_example_file_is_valid_and_says_the_defaults() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../kassa.example.toml");
    let db = ["--db", "sqlite:///srv/kassa.db"];
    let documented = effective(&[&db[..], &["--config", example, "serve"]].concat(), &[]);
    assert_eq!(documented, effective(&[&db[..], &["serve"]].concat(), &[]));
}
