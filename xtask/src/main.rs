//! `cargo xtask`: orchestration of the whole test suite and the playground.
//!
//! `cargo xtask test` installs what a fresh machine lacks (the wasm32 target,
//! wasm-bindgen-cli, a Python virtualenv with the vendor SDK, the npm
//! packages, Chromium) and runs every layer: format and lint checks,
//! unit/snapshot/property/CLI tests, the wasm32 build of the core with its
//! dependency audit, the vendor conformance suites, the wasm tests under
//! node, and the playground's end-to-end tests in Chromium.
//!
//! `cargo xtask playground [PORT]` builds the playground and serves it on
//! 127.0.0.1 (default port 8080).
//!
//! `cargo xtask fuzz [SECONDS_PER_TARGET] [TARGET...] [-- LIBFUZZER_ARGS...]`
//! runs the cargo-fuzz targets one after another (see `fuzz.rs`); `cargo
//! xtask test` ends with a short pass of every target.
//!
//! `cargo xtask bench-webhook` measures the webhook daemon under load (see
//! `bench_webhook.rs`).
//!
//! `cargo xtask cluster up|down|env` builds (once) and runs a real Kubernetes
//! control plane on 127.0.0.1; `test` runs the end-to-end scenarios on one.

mod bench_emulator;
mod bench_webhook;
mod cluster;
mod fuzz;
mod playground;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// Crates that would mean the core does IO (sockets, async runtimes, TLS).
const IO_CRATES: &[&str] = &[
    "tokio",
    "mio",
    "hyper",
    "reqwest",
    "ureq",
    "socket2",
    "async-std",
    "smol",
    "native-tls",
    "openssl",
    "rustls",
    "h2",
    "tower",
    "axum",
    "getrandom",
];

/// Python packages of the conformance suite.
const PYTHON_PACKAGES: &[&str] = &[
    "alibabacloud-eci20180808==2.1.0",
    "alibabacloud-openapi-util==0.2.4",
    "kubernetes-validate",
    "jsonpatch",
    "jsonschema",
    "kubernetes",
    "pytest",
    "httpx[http2]",
    "requests",
];

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Where cargo puts what it builds: `CARGO_TARGET_DIR` when set (relative
/// to the workspace), else `target/`.
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

pub(crate) struct Runner {
    pub(crate) failures: Vec<String>,
}

impl Runner {
    pub(crate) fn step(&mut self, name: &str, cmd: &mut Command) -> bool {
        println!("\n==> {name}\n    $ {}", describe(cmd));
        let start = Instant::now();
        if cmd.get_current_dir().is_none() {
            cmd.current_dir(root());
        }
        let ok = cmd.status().map(|s| s.success()).unwrap_or(false);
        println!("<== {name}: {} in {:.1}s", if ok { "ok" } else { "FAILED" }, start.elapsed().as_secs_f64());
        if !ok {
            self.failures.push(name.to_string());
        }
        ok
    }
}

pub(crate) fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

pub(crate) fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

pub(crate) fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.current_dir(root()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Installs a Debian package (as root, or through `sudo -n`) unless `path` exists.
pub(crate) fn ensure_debian_package(r: &mut Runner, path: &str, package: &str) -> bool {
    if Path::new(path).exists() {
        return true;
    }
    let root_user = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    let apt = |args: &[&str]| {
        let mut c = if root_user { Command::new("apt-get") } else { Command::new("sudo") };
        if !root_user {
            c.args(["-n", "apt-get"]);
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    r.step("apt-get update", &mut apt(&["update"]))
        && r.step(
            &format!("install {package} (Debian)"),
            &mut apt(&["install", "-y", "--no-install-recommends", package]),
        )
}

fn ensure_wasm_target(r: &mut Runner) {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        r.step("install the wasm32 target", Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]));
    }
}

/// A virtualenv under target/ with the vendor SDK; reused when complete.
pub(crate) fn ensure_python(r: &mut Runner) -> Option<PathBuf> {
    let venv = root().join("target/conformance-venv");
    let python = venv.join("bin/python");
    let ready = python.exists()
        && Command::new(&python)
            .args(["-c", "import alibabacloud_eci20180808, alibabacloud_openapi_util, kubernetes_validate, jsonpatch, jsonschema, kubernetes, pytest, httpx, h2, requests"])
            .status()
            .is_ok_and(|s| s.success());
    if ready {
        return Some(python);
    }
    if !r.step("create the conformance virtualenv", Command::new("python3").args(["-m", "venv"]).arg(&venv)) {
        return None;
    }
    let mut pip = Command::new(venv.join("bin/pip"));
    pip.args(["install", "--quiet", "--disable-pip-version-check"]).args(PYTHON_PACKAGES);
    r.step("install the vendor SDK (PyPI)", &mut pip).then_some(python)
}

fn audit_core_dependencies(r: &mut Runner) {
    println!("\n==> the core has no IO dependency");
    let tree =
        output(cargo().args(["tree", "-p", "eci-bridge-core", "-e", "normal", "--prefix", "none", "--no-dedupe"]));
    let Some(tree) = tree else {
        r.failures.push("cargo tree".into());
        return;
    };
    let mut crates: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    crates.sort_unstable();
    crates.dedup();
    println!("    cargo tree -p eci-bridge-core -e normal: {} crates: {}", crates.len(), crates.join(" "));
    let found: Vec<&&str> = crates.iter().filter(|c| IO_CRATES.contains(c)).collect();
    if found.is_empty() {
        println!("<== no IO crate among them ({})", IO_CRATES.join(", "));
    } else {
        println!("<== FAILED: IO crates in the core: {found:?}");
        r.failures.push("core dependency audit".into());
    }
}

/// Where `cargo xtask test` records how long its last complete run took.
fn last_run_file() -> PathBuf {
    root().join("target/xtask-test-seconds")
}

fn test() -> ExitCode {
    let started = Instant::now();
    let last = std::fs::read_to_string(last_run_file()).ok().and_then(|s| s.trim().parse::<f64>().ok());
    println!(
        "cargo xtask test: the first run on a fresh machine takes about an hour on 2 cores (builds, the \
         control plane's Go build 13-20 min, wasm-bindgen-cli, the Python virtualenv, npm, Chromium without \
         recommended packages, cargo-fuzz); later runs: about 15-25 minutes (caches reused){}",
        last.map(|s| format!("; the last run here took {:.0} min", s / 60.0)).unwrap_or_default()
    );
    let mut r = Runner { failures: Vec::new() };
    let ci = std::env::var("CI").is_ok();
    ensure_wasm_target(&mut r);
    r.step("format", cargo().args(["fmt", "--all", "--check"]));
    r.step("lint", cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]));
    r.step(
        "lint the wasm bindings and their tests for wasm32",
        cargo().args([
            "clippy",
            "-p",
            "eci-bridge-wasm",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    );
    r.step(
        "the core's API documentation builds without warnings",
        cargo().args(["doc", "-p", "eci-bridge-core", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"),
    );
    let mut tests = cargo();
    tests.args(["test", "--workspace"]);
    if ci {
        // insta: in CI a snapshot mismatch fails and nothing is written.
        tests.env("INSTA_UPDATE", "no");
    }
    r.step("unit, snapshot, property and CLI tests", &mut tests);
    r.step(
        "core builds for wasm32-unknown-unknown",
        cargo().args(["build", "-p", "eci-bridge-core", "--target", "wasm32-unknown-unknown"]),
    );
    audit_core_dependencies(&mut r);
    // Benchmarks are type-checked by the lint step (--all-targets); the CLI
    // binary was built by the test step for its integration tests.
    let binary = target_dir().join("debug/eci-bridge");
    let built = binary.exists() || r.step("build the CLI", cargo().args(["build", "-p", "eci-bridge"]));
    let python = built.then(|| ensure_python(&mut r)).flatten();
    if let Some(python) = python.clone() {
        r.step(
            "vendor conformance (Alibaba Cloud SDK, kubernetes-validate)",
            Command::new(&python).arg("conformance/sdk_conformance.py").arg(&binary).arg("fixtures/pods"),
        );
        r.step(
            "admission conformance (python jsonpatch, kubernetes-validate)",
            Command::new(&python).arg("conformance/admission_conformance.py").arg(&binary).arg("fixtures/admission"),
        );
        r.step(
            "status, nodes, update and delete conformance (SDK models, kubernetes-validate)",
            Command::new(&python).arg("conformance/way_back_conformance.py").arg(&binary).arg("fixtures"),
        );
        r.step(
            "elastic, overflow and unit conformance (kubernetes-validate, jsonpatch, CRD schema)",
            Command::new(&python).arg("conformance/capacity_conformance.py").arg(&binary).arg("fixtures"),
        );
        r.step(
            "deploy/ manifests (kubernetes-validate, webhook-config, the daemon's flags)",
            Command::new(&python).arg("conformance/deploy_conformance.py").arg(&binary).arg("deploy"),
        );
        r.step(
            "the webhook daemon end to end on 127.0.0.1 (requests, httpx over HTTP/2, curl; reloads; faults)",
            Command::new(&python)
                .args(["-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "conformance/serve_e2e.py"])
                .env("ECI_BRIDGE", &binary),
        );
        r.step(
            "the ECI emulator judged by the vendor's Python SDK (lifecycle, errors, every fixture, ClientToken)",
            Command::new(&python)
                .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "conformance/emulator_sdk.py"])
                .env("ECI_BRIDGE", &binary),
        );
    }
    let bindgen = playground::ensure_wasm_bindgen(&mut r);
    if bindgen {
        r.step(
            "wasm tests under node (wasm-bindgen-test-runner)",
            cargo().args(["test", "-p", "eci-bridge-wasm", "--target", "wasm32-unknown-unknown"]),
        );
    }
    if bindgen && playground::build(&mut r) && playground::ensure_chromium(&mut r) && built {
        playground::e2e(&mut r);
    }
    if let Some(python) = &python {
        cluster::e2e(&mut r, python, &binary);
    }
    // A short fuzz pass (ECI_BRIDGE_FUZZ_SECONDS per target, 0 skips it).
    fuzz::smoke(&mut r);
    let seconds = started.elapsed().as_secs_f64();
    println!("\ncargo xtask test took {:.1} min", seconds / 60.0);
    let _ = std::fs::create_dir_all(root().join("target"));
    let _ = std::fs::write(last_run_file(), format!("{seconds:.0}\n"));
    finish(&r)
}

pub(crate) fn finish(r: &Runner) -> ExitCode {
    if r.failures.is_empty() {
        println!("\nall steps passed");
        ExitCode::SUCCESS
    } else {
        println!("\nfailed steps: {}", r.failures.join(", "));
        ExitCode::FAILURE
    }
}

const USAGE: &str = "usage: cargo xtask <task>
  test               install what is missing and run every test layer
  playground [PORT]  build the browser playground and serve it on 127.0.0.1 (default 8080)
  playground-test    build the playground and run only its end-to-end tests in Chromium
  fuzz [SECONDS_PER_TARGET] [TARGET...] [-- LIBFUZZER_ARGS...]
                     run the fuzz targets one after another (default 60 s each, every target)
  fuzz-repro TARGET INPUT...
                     run one fuzz target once over reproducers (files or folders)
  hostile            the hostile-input corpus at full size (about 1 MB per input) on the
                     release build; prints the worst CPU time and memory per subcommand
  cluster up|down|env|test  a real Kubernetes control plane on 127.0.0.1 (built once from its Go modules)
  bench-emulator     describe throughput of eci-bridge emulate on 127.0.0.1 (our client), beside a provider's polling
  bench-webhook      the webhook daemon under h2load: /mutate beside a fixed endpoint (floor 70 %),
                     p50/p99 at half load, RSS per idle connection";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("test") => test(),
        Some("playground") => {
            let Ok(port) = args.next().unwrap_or_else(|| "8080".into()).parse::<u16>() else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            let mut r = Runner { failures: Vec::new() };
            playground::serve(&mut r, port);
            finish(&r)
        }
        Some("playground-test") => {
            let mut r = Runner { failures: Vec::new() };
            let cli = r.step("build the CLI", cargo().args(["build", "-p", "eci-bridge"]));
            if cli && playground::build_all(&mut r) && playground::ensure_chromium(&mut r) {
                playground::e2e(&mut r);
            }
            finish(&r)
        }
        Some("fuzz") => {
            let rest: Vec<String> = args.collect();
            let (ours, extra) = match rest.iter().position(|a| a == "--") {
                Some(at) => (&rest[..at], &rest[at + 1..]),
                None => (&rest[..], &[][..]),
            };
            let (seconds, targets) = match ours.first().map(|s| s.parse::<u64>()) {
                Some(Ok(n)) => (n, &ours[1..]),
                _ => (60, ours),
            };
            let mut r = Runner { failures: Vec::new() };
            fuzz::fuzz(&mut r, seconds, targets, extra);
            finish(&r)
        }
        Some("hostile") => {
            let mut r = Runner { failures: Vec::new() };
            r.step(
                "hostile corpus at full size, release build (fixtures/hostile/cases.yaml)",
                cargo()
                    .args(["test", "--release", "-p", "eci-bridge", "--test", "hostile", "--", "--nocapture"])
                    .env("ECI_BRIDGE_HOSTILE_SCALE", "full"),
            );
            finish(&r)
        }
        Some("fuzz-repro") => {
            let rest: Vec<String> = args.collect();
            let Some((target, inputs)) = rest.split_first().filter(|(_, i)| !i.is_empty()) else {
                eprintln!("{USAGE}\ntargets: {}", fuzz::names());
                return ExitCode::from(2);
            };
            let mut r = Runner { failures: Vec::new() };
            fuzz::repro(&mut r, target, inputs);
            finish(&r)
        }
        Some("cluster") => cluster::main(&args.collect::<Vec<_>>()),
        Some("bench-webhook") => {
            let mut r = Runner { failures: Vec::new() };
            bench_webhook::main(&mut r);
            finish(&r)
        }
        Some("bench-emulator") => {
            let mut r = Runner { failures: Vec::new() };
            bench_emulator::main(&mut r);
            finish(&r)
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
