//! The CLI and the wasm bindings are two adapters over one case runner:
//! every fixture of every mode, run through `eci-bridge <mode> -o outcome`
//! and through the bindings' adapter (compiled natively) with the same
//! texts and the same time, gives the same outcome, the same verdict
//! (exit status 2 ⇔ `rejected`) and the same reading failures (exit 1 ⇔
//! an error with the same diagnostic).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

const NOW: &str = "2026-11-23T10:00:00Z";

/// (fixture folder, mode, the CLI's arguments before the file, the flag naming the file, reads time).
const MODES: &[(&str, &str, &[&str], &str, bool)] = &[
    ("pods", "translate", &["translate"], "-f", false),
    ("admission", "admit", &["admit"], "-f", false),
    ("status", "status", &["status"], "-f", true),
    ("nodes", "nodes", &["nodes"], "-f", true),
    ("update", "update", &["update"], "--old", false),
    ("delete", "delete", &["delete"], "-f", false),
    ("elastic", "elastic", &["elastic"], "-f", true),
    ("overflow", "overflow", &["overflow"], "-f", false),
    ("units", "units", &["units"], "-f", false),
];

fn fixtures(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "json"))
        .collect();
    files.sort();
    files
}

struct Cli {
    exit: Option<i32>,
    stdout: String,
    stderr: String,
}

fn cli(args: &[&str], file: &str, flag: &str, timed: bool) -> Cli {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eci-bridge"));
    cmd.args(args).args([flag, file, "-o", "outcome"]);
    if timed {
        cmd.args(["--now", NOW]);
    }
    let out = cmd.output().expect("the binary runs");
    Cli {
        exit: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn every_fixture_of_every_mode_agrees() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for &(folder, mode, args, flag, timed) in MODES {
        let files = fixtures(folder);
        assert!(!files.is_empty(), "no fixtures in {folder}");
        for path in files {
            let file = path.to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).expect("fixture is readable");
            let sources = json!({"files": [{"name": file, "role": "stream", "text": text}]}).to_string();
            let env = json!({"now": NOW}).to_string();
            let wasm = eci_bridge_wasm::adapter::run(mode, &sources, "", &env);
            let cli = cli(args, &file, flag, timed);
            let name = format!("{folder}/{}", path.file_name().unwrap_or_default().to_string_lossy());
            match wasm {
                Ok(answer) => {
                    let answer: Value = serde_json::from_str(&answer).expect("the adapter answers JSON");
                    let printed: Value = match serde_json::from_str(&cli.stdout) {
                        Ok(v) => v,
                        Err(e) => {
                            failures.push(format!("{name}: the CLI printed no outcome ({e}): {}", cli.stderr));
                            continue;
                        }
                    };
                    if printed != answer["outcome"] {
                        failures.push(format!("{name}: the CLI's outcome differs from the bindings'"));
                    }
                    let expected = if answer["rejected"] == true { 2 } else { 0 };
                    if cli.exit != Some(expected) {
                        failures.push(format!(
                            "{name}: exit {:?}, the bindings say rejected={}",
                            cli.exit, answer["rejected"]
                        ));
                    }
                }
                Err(d) => {
                    if cli.exit != Some(1) || !cli.stderr.contains(&d.message) {
                        failures.push(format!(
                            "{name}: the bindings fail ({d}); the CLI exits {:?}: {}",
                            cli.exit, cli.stderr
                        ));
                    }
                }
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{} of {checked} cases disagree:\n{}", failures.len(), failures.join("\n"));
    assert!(checked >= 150, "only {checked} fixtures");
}
