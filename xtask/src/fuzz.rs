//! `cargo xtask fuzz [SECONDS_PER_TARGET] [TARGET...] [-- LIBFUZZER_ARGS...]`
//! and the smoke pass of `cargo xtask test`.
//!
//! Installs cargo-fuzz when it is missing, builds every target once (no
//! sanitizer: the core forbids `unsafe`; debug assertions and overflow checks
//! on), seeds `fuzz/corpus/<target>/` from `fixtures/`, then runs the targets
//! one after another with the bounds that are part of their invariants:
//! `-rss_limit_mb=256` (no input may cost more memory) and `-timeout=1` (nor
//! more than a second). Before fuzzing a target it replays, one process per
//! file, the reproducers of past findings: the committed ones in
//! `fuzz/regressions/<target>/` and the large ones [`generated`] writes to
//! `fuzz/regressions-generated/<target>/`; a failing reproducer fails the task
//! like a new finding. The fuzzing itself starts from the corpus and the
//! committed `fuzz/seeds/<target>/`. libFuzzer's final statistics are printed
//! per target; a crash, a timeout, an out-of-memory or a broken invariant
//! fails the task and names the reproducer libFuzzer wrote.
//!
//! cargo fuzz needs a nightly compiler. When rustup has no nightly toolchain,
//! the stable one is used with `RUSTC_BOOTSTRAP=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{Runner, root};

/// Every target, with the fixture folders that seed its corpus and whether
/// it reads text (and so gets the YAML dictionary).
pub(crate) const TARGETS: &[(&str, &[&str], bool)] = &[
    ("read", &["pods", "admission", "status", "elastic", "update", "overflow", "units", "nodes", "delete"], true),
    ("translate", &["pods", "overflow", "update", "delete"], true),
    ("redaction", &[], false),
    ("admit", &["admission"], true),
    ("profile", &["admission", "overflow", "pods"], true),
    ("status", &["status"], true),
    ("elastic", &["elastic"], true),
    ("sign", &[], false),
];

/// The bounds every run uses (README, "Fuzzing").
pub(crate) const BOUNDS: &[&str] = &["-rss_limit_mb=256", "-timeout=1"];

/// Seconds per target of the smoke pass in `cargo xtask test`, unless
/// `ECI_BRIDGE_FUZZ_SECONDS` says otherwise (0 skips it).
const SMOKE_SECONDS: u64 = 60;

fn fuzz_dir() -> PathBuf {
    root().join("fuzz")
}

/// Known blow-ups whose reproducers are too large to commit (hundreds of
/// KB): written to `fuzz/regressions-generated/<target>/` by every run and
/// replayed with the committed ones.
fn generated(target: &str) -> Vec<(&'static str, String)> {
    // An unterminated `$(` repeated in one value: a quadratic scan.
    let unterminated = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, labels: {{alibabacloud.com/eci: \"true\"}}}}\n\
         spec:\n  containers:\n  - name: c\n    image: nginx\n    command: [\"{}\"]\n",
        "$(".repeat(150_000)
    );
    // A 100 KB key over a 4000-item list: a source map that stores a full
    // pointer per node holds 4000 copies of the key.
    let long_key = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers: [{{name: c, image: nginx}}]\n  ? {}\n  :\n{}",
        "k".repeat(100_000),
        "    - 1\n".repeat(4000)
    );
    // 8000 selectors: a webhook configuration quadratic in selectors.
    let selectors: Vec<String> = (0..8000)
        .map(|i| format!(r#"{{"name": "s{i}", "namespaceSelector": {{"matchLabels": {{"team": "t{i}"}}}}}}"#))
        .collect();
    let profile = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: eci-profile, namespace: kube-system}}\ndata:\n  selectors: '[{}]'\n",
        selectors.join(", ")
    );
    match target {
        "read" => vec![("source-map-long-key.yaml", long_key)],
        "translate" => vec![("unterminated-expansion.yaml", unterminated), ("source-map-long-key.yaml", long_key)],
        "admit" => vec![("unterminated-expansion.yaml", unterminated)],
        "profile" => vec![("webhook-config-8000-selectors.yaml", profile)],
        _ => Vec::new(),
    }
}

/// Replays every reproducer of `target` once, each in its own process, and
/// reports each; false when any fails.
fn replay_regressions(r: &mut Runner, target: &str) -> bool {
    let dir = fuzz_dir();
    let generated_dir = dir.join("regressions-generated").join(target);
    let _ = std::fs::remove_dir_all(&generated_dir);
    let mut files = Vec::new();
    for (name, text) in generated(target) {
        let path = generated_dir.join(name);
        if std::fs::create_dir_all(&generated_dir).and_then(|()| std::fs::write(&path, text)).is_ok() {
            files.push(path);
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("regressions").join(target)) {
        let mut committed: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
        committed.sort();
        files.extend(committed);
    }
    if files.is_empty() {
        return true;
    }
    println!("\n==> replay the {} reproducer(s) of {target}", files.len());
    let logs = dir.join("artifacts");
    let _ = std::fs::create_dir_all(&logs);
    let mut failed = 0;
    for file in &files {
        let log_path = logs.join(format!("{target}.replay.log"));
        let mut cmd = cargo_fuzz();
        cmd.args(["run", "--sanitizer", "none", target]).arg(file).arg("--").args(BOUNDS);
        let ok = match std::fs::File::create(&log_path).and_then(|f| Ok((f.try_clone()?, f))) {
            Ok((a, b)) => cmd.stdout(a).stderr(b).status().is_ok_and(|s| s.success()),
            Err(_) => cmd.status().is_ok_and(|s| s.success()),
        };
        let shown = file.strip_prefix(root()).unwrap_or(file).display();
        if ok {
            println!("    ok      {shown}");
        } else {
            failed += 1;
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let why = log
                .lines()
                .skip_while(|l| !l.contains("panicked at"))
                .nth(1)
                .or_else(|| log.lines().find(|l| l.contains("ERROR: libFuzzer")))
                .unwrap_or("(see the log)")
                .trim()
                .to_string();
            println!("    FAILED  {shown}: {why}");
        }
    }
    if failed > 0 {
        r.failures.push(format!("fuzz {target}: {failed} regression(s)"));
    }
    println!("<== replay {target}: {}", if failed == 0 { "ok".into() } else { format!("{failed} FAILED") });
    failed == 0
}

/// `cargo fuzz …` with a toolchain that can build it.
fn cargo_fuzz() -> Command {
    let nightly = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let mut cmd = if nightly {
        let mut c = Command::new("cargo");
        c.arg("+nightly");
        c
    } else {
        let mut c = crate::cargo();
        c.env("RUSTC_BOOTSTRAP", "1");
        c
    };
    // The toolchain of the outer `cargo xtask` must not leak into the fuzz build.
    cmd.env_remove("RUSTUP_TOOLCHAIN").env_remove("RUSTC").env_remove("RUSTDOC");
    cmd.arg("fuzz");
    cmd.current_dir(root());
    cmd
}

fn ensure_cargo_fuzz(r: &mut Runner) -> bool {
    let present = crate::cargo()
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    present || r.step("install cargo-fuzz (crates.io)", crate::cargo().args(["install", "cargo-fuzz", "--locked"]))
}

/// Copies the fixtures of `target` into its corpus (once per file name).
fn seed(target: &str, folders: &[&str]) -> std::io::Result<usize> {
    let corpus = fuzz_dir().join("corpus").join(target);
    std::fs::create_dir_all(&corpus)?;
    let mut copied = 0;
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(root().join("fixtures").join(folder)) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json");
            let name = format!("fixture-{folder}-{}", entry.file_name().to_string_lossy());
            let to = corpus.join(name);
            if is_yaml && !to.exists() {
                std::fs::copy(&path, &to)?;
                copied += 1;
            }
        }
    }
    Ok(copied)
}

/// What one run reported.
#[derive(Debug, Default)]
struct Stats {
    executions: Option<u64>,
    per_second: Option<u64>,
    cov: Option<u64>,
    ft: Option<u64>,
    corpus: Option<String>,
    peak_rss_mb: Option<u64>,
    slowest_s: Option<u64>,
    /// `crash`, `timeout`, `oom`, …, with the reproducer's path.
    finding: Option<(String, String)>,
    /// The first lines of a panic message.
    message: Vec<String>,
    /// Out-of-memory, timeout and crash counts of a `-fork` run (which
    /// carries on after each and exits 0).
    forked: Option<(u64, u64, u64)>,
    /// Executions from the last status line (`#N`), for `-fork` runs.
    last_unit: Option<u64>,
}

fn number_after(line: &str, key: &str) -> Option<u64> {
    let rest = &line[line.find(key)? + key.len()..];
    rest.split_whitespace().next()?.parse().ok()
}

fn parse(log: &str) -> Stats {
    let mut s = Stats::default();
    for line in log.lines() {
        if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
            s.executions = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("stat::average_exec_per_sec:") {
            s.per_second = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("stat::peak_rss_mb:") {
            s.peak_rss_mb = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("stat::slowest_unit_time_sec:") {
            s.slowest_s = v.trim().parse().ok();
        } else if line.starts_with('#') && line.contains(" cov: ") {
            s.last_unit = line[1..].split([':', ' ', '\t']).next().and_then(|n| n.parse().ok());
            if let Some(counts) = line.split("oom/timeout/crash: ").nth(1).and_then(|r| r.split_whitespace().next()) {
                let n: Vec<u64> = counts.split('/').filter_map(|c| c.parse().ok()).collect();
                if let [oom, timeout, crash] = n[..] {
                    s.forked = Some((oom, timeout, crash));
                }
            }
            s.cov = number_after(line, " cov: ");
            s.ft = number_after(line, " ft: ").or(s.ft);
            if let Some(at) = line.find(" corp: ") {
                s.corpus = line[at + 7..].split_whitespace().next().map(String::from);
            }
        } else if let Some(at) = line.find("Test unit written to ") {
            let path = line[at + 21..].trim().to_string();
            let kind = Path::new(&path)
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.split('-').next())
                .unwrap_or("crash")
                .to_string();
            s.finding = Some((kind, path));
        }
    }
    let lines: Vec<&str> = log.lines().collect();
    if let Some(at) = lines.iter().position(|l| l.contains("panicked at")) {
        s.message = lines[at..].iter().take(12).map(|l| l.to_string()).collect();
    } else if let Some(at) = lines.iter().position(|l| l.contains("ERROR: libFuzzer") || l.contains("ALARM: working")) {
        s.message = lines[at..].iter().take(6).map(|l| l.to_string()).collect();
    }
    s.executions = s.executions.or(s.last_unit);
    s
}

fn show(n: Option<u64>) -> String {
    n.map_or_else(|| "-".into(), |n| n.to_string())
}

/// Runs one target for `seconds`; its output goes to `fuzz/artifacts/<target>.log`.
fn run_target(r: &mut Runner, target: &str, text: bool, seconds: u64, extra: &[String]) -> Stats {
    let dir = fuzz_dir();
    let mut corpora = vec![dir.join("corpus").join(target)];
    let seeds = dir.join("seeds").join(target);
    if seeds.is_dir() {
        corpora.push(seeds);
    }
    let mut cmd = cargo_fuzz();
    cmd.args(["run", "--sanitizer", "none", target]).args(&corpora).arg("--");
    cmd.args(BOUNDS).arg(format!("-max_total_time={seconds}")).arg("-print_final_stats=1");
    if text {
        cmd.arg(format!("-dict={}", dir.join("yaml.dict").display()));
    }
    cmd.args(extra);
    let logs = dir.join("artifacts");
    let _ = std::fs::create_dir_all(&logs);
    let log_path = logs.join(format!("{target}.log"));
    println!("\n==> fuzz {target} for {seconds}s\n    $ {}", crate::describe(&cmd));
    let start = Instant::now();
    let log = std::fs::File::create(&log_path).ok();
    let (out, err) = match log.as_ref().map(|f| (f.try_clone(), f.try_clone())) {
        Some((Ok(a), Ok(b))) => (Stdio::from(a), Stdio::from(b)),
        _ => (Stdio::inherit(), Stdio::inherit()),
    };
    let exited = cmd.stdout(out).stderr(err).status().is_ok_and(|s| s.success());
    let stats = parse(&std::fs::read_to_string(&log_path).unwrap_or_default());
    let ok = exited && stats.forked.is_none_or(|(oom, timeout, crash)| oom + timeout + crash == 0);
    println!(
        "    executions {} ({}/s), cov {} ft {}, corpus {}, peak RSS {} MB, slowest input {} s",
        show(stats.executions),
        show(stats.per_second),
        show(stats.cov),
        show(stats.ft),
        stats.corpus.as_deref().unwrap_or("-"),
        show(stats.peak_rss_mb),
        show(stats.slowest_s),
    );
    if let Some((oom, timeout, crash)) = stats.forked.filter(|_| !ok) {
        println!(
            "    -fork run: {oom} out-of-memory, {timeout} timeouts, {crash} crashes; reproducers in fuzz/artifacts/{target}/"
        );
    }
    if !ok {
        if let Some((kind, path)) = &stats.finding {
            println!("    FOUND {kind}: {path}");
            println!("    reproduce: cargo xtask fuzz-repro {target} {path}");
        }
        for line in &stats.message {
            println!("    | {line}");
        }
        println!("    full log: {}", log_path.display());
        r.failures.push(format!("fuzz {target}"));
    }
    println!("<== fuzz {target}: {} in {:.1}s", if ok { "ok" } else { "FAILED" }, start.elapsed().as_secs_f64());
    stats
}

/// Builds the targets; false (and a failure recorded) when they do not build.
fn build(r: &mut Runner) -> bool {
    ensure_cargo_fuzz(r) && r.step("build the fuzz targets", cargo_fuzz().args(["build", "--sanitizer", "none"]))
}

/// Runs `targets` (all when empty) for `seconds` each.
pub(crate) fn fuzz(r: &mut Runner, seconds: u64, targets: &[String], extra: &[String]) {
    for t in targets {
        if !TARGETS.iter().any(|(name, _, _)| name == t) {
            println!("unknown fuzz target `{t}`; the targets: {}", names());
            r.failures.push(format!("fuzz target {t}"));
            return;
        }
    }
    if !build(r) {
        return;
    }
    let mut summary = Vec::new();
    for (target, folders, text) in TARGETS {
        if !targets.is_empty() && !targets.iter().any(|t| t == target) {
            continue;
        }
        if let Err(e) = seed(target, folders) {
            println!("cannot seed the corpus of {target}: {e}");
        }
        let failures = r.failures.len();
        replay_regressions(r, target);
        let stats = run_target(r, target, *text, seconds, extra);
        summary.push((*target, stats, r.failures.len() == failures));
    }
    println!("\nfuzzing, {seconds}s per target:");
    println!("    {:<10} {:>12} {:>7} {:>7} {:>8}  result", "target", "executions", "cov", "ft", "rss MB");
    for (target, s, ok) in &summary {
        let result = match (&s.finding, ok) {
            (_, true) => "ok".to_string(),
            (Some((kind, path)), false) => format!("{kind}: {path}"),
            (None, false) => "FAILED (reproducers above, or the log)".to_string(),
        };
        println!(
            "    {target:<10} {:>12} {:>7} {:>7} {:>8}  {result}",
            show(s.executions),
            show(s.cov),
            show(s.ft),
            show(s.peak_rss_mb)
        );
    }
}

/// Runs one target over given inputs once (a reproducer, or a folder).
pub(crate) fn repro(r: &mut Runner, target: &str, inputs: &[String]) {
    if !build(r) {
        return;
    }
    let mut cmd = cargo_fuzz();
    cmd.args(["run", "--sanitizer", "none", target]).args(inputs).arg("--").args(BOUNDS);
    r.step(&format!("replay {target}"), &mut cmd);
}

/// The smoke pass of `cargo xtask test`.
pub(crate) fn smoke(r: &mut Runner) {
    let seconds = match std::env::var("ECI_BRIDGE_FUZZ_SECONDS") {
        Ok(s) => match s.trim().parse::<u64>() {
            Ok(n) => n,
            Err(_) => {
                println!("ECI_BRIDGE_FUZZ_SECONDS=`{s}` is not a number of seconds");
                r.failures.push("fuzz smoke".into());
                return;
            }
        },
        Err(_) => SMOKE_SECONDS,
    };
    if seconds == 0 {
        println!("\n==> fuzz smoke pass skipped (ECI_BRIDGE_FUZZ_SECONDS=0)");
        return;
    }
    // A fixed seed: the smoke pass walks the same mutations from the same
    // fixtures on every run, so a red CI means a change, not a lucky draw.
    // Long runs (`cargo xtask fuzz`) keep libFuzzer's random seed.
    fuzz(r, seconds, &[], &["-seed=1".to_string()]);
}

pub(crate) fn names() -> String {
    TARGETS.iter().map(|(n, _, _)| *n).collect::<Vec<_>>().join(", ")
}
