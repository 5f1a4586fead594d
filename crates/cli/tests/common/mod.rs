//! The `kassa` binary as the end-to-end tests drive it: one helper shared by
//! every test file of this crate.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::process::{Command, Output};

use kassa_store::testing;
use serde_json::Value;

/// The real binary against one database URL.
pub struct Kassa {
    pub url: String,
}

impl Kassa {
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_kassa"))
            .args(["--db", &self.url])
            .args(args)
            .env_remove("KASSA_BOOK")
            .output()
            .expect("run kassa")
    }

    /// Stdout of a command that must succeed.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "kassa {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Stderr of a command that must fail.
    pub fn err(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "kassa {args:?} should have failed");
        String::from_utf8(out.stderr).unwrap()
    }

    /// The `-o json` output of a command that must succeed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }
}

/// Fresh databases, as URLs the binary opens itself. The `TestDb`s are kept
/// so their cleanup runs after the test.
pub fn databases() -> Vec<(testing::TestDb, Kassa)> {
    testing::all()
        .into_iter()
        .map(|db| {
            let k = Kassa { url: db.url.clone() };
            (db, k)
        })
        .collect()
}

/// A tool CI must have (the cross-checks against hledger and beancount);
/// elsewhere its absence skips the test, loudly.
pub fn tool(name: &str) -> bool {
    let found =
        Command::new("sh").args(["-c", &format!("command -v {name}")]).output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("KASSA_REQUIRE_PG").as_deref() != Ok("1"),
            "{name} is missing but CI (KASSA_REQUIRE_PG=1) needs it: run .ci/run"
        );
        eprintln!("SKIPPING the {name} cross-check: {name} is not installed (.ci/run installs it)");
    }
    found
}
