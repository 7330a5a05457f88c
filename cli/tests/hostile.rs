//! The hostile-input corpus (fixtures/hostile/cases.yaml): every case through
//! every subcommand, with bounded work measured by the process itself.
//!
//! At test scale the generated inputs are small enough for the debug binary;
//! `ECI_BRIDGE_HOSTILE_SCALE=full` uses the full sizes (about 1 MB each) and
//! `ECI_BRIDGE_BIN` another binary: `cargo xtask hostile` runs both on the
//! release build and prints the worst case per subcommand.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Every subcommand that reads an input, and how it is given.
const SUBCOMMANDS: &[(&str, &[&str])] = &[
    ("translate", &["translate", "-f", "{}"]),
    ("admit", &["admit", "-f", "{}"]),
    ("update", &["update", "--old", "{}"]),
    ("overflow", &["overflow", "-f", "{}"]),
    ("status", &["status", "-f", "{}", "--now", "2026-12-01T00:00:00Z"]),
    ("nodes", &["nodes", "-f", "{}", "--now", "2026-12-01T00:00:00Z"]),
    ("elastic", &["elastic", "-f", "{}", "--now", "2026-12-01T00:00:00Z"]),
    ("units", &["units", "-f", "{}"]),
    ("profile-check", &["profile", "check", "-f", "{}"]),
    ("profile-diff", &["profile", "diff", "{}", "{}"]),
    ("webhook-config", &["webhook-config", "--profile", "{}"]),
    ("required-objects", &["required-objects", "-f", "{}"]),
    ("delete", &["delete", "-f", "{}"]),
    (
        "sign",
        &[
            "sign",
            "-f",
            "{}",
            "--action",
            "CreateContainerGroup",
            "--access-key-id",
            "id",
            "--access-key-secret-env",
            "HOSTILE_TEST_SECRET",
            "--timestamp",
            "2026-12-01T00:00:00Z",
            "--nonce",
            "n",
        ],
    ),
];

const POD_HEAD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: default\n  uid: 5e0d0a7e-0000-4000-8000-00000000beef\n  labels: {alibabacloud.com/eci: 'true'}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n";

/// The generated inputs, by name; `n` is the case's size.
fn generate(kind: &str, n: usize) -> Vec<u8> {
    let mut s = String::new();
    match kind {
        "env-doubling" => {
            s.push_str(POD_HEAD);
            s.push_str("    env:\n    - {name: V0, value: 'aaaaaaaaaaaaaaaa'}\n");
            for i in 1..n {
                let _ = writeln!(s, "    - {{name: V{i}, value: '$(V{p})$(V{p})'}}", p = i - 1);
            }
            // The same pod again with another image: an update for `update`.
            let again = s.replacen("image: nginx:1.27", "image: nginx:1.28", 1);
            s.push_str("---\n");
            s.push_str(&again);
        }
        "unterminated" => {
            s.push_str(POD_HEAD);
            s.push_str("    env:\n    - name: A\n      value: '");
            s.push_str(&"$(".repeat(n / 2));
            s.push_str("'\n");
        }
        "long-key" => {
            let head = POD_HEAD.replacen("spec:\n", &format!("spec:\n  ? {}\n  :\n", "k".repeat(n)), 1);
            s.push_str(&head);
            // The list belongs to the long key; the containers follow it.
            let (before, after) = s.split_once("  containers:").unwrap_or_default();
            let mut list = String::new();
            for _ in 0..n / 25 {
                list.push_str("    - 1\n");
            }
            s = format!("{before}{list}  containers:{after}");
        }
        "selectors" => {
            let selectors: Vec<Value> = (0..n)
                .map(|i| {
                    serde_json::json!({"name": format!("s{i}"), "namespaceSelector": {"matchLabels": {"team": format!("t{i}")}},
                                        "objectSelector": {"matchLabels": {"app": format!("a{i}")}}})
                })
                .collect();
            let text = serde_json::to_string(&selectors).unwrap_or_default();
            let _ = write!(
                s,
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: eci-profile, namespace: kube-system}}\ndata:\n  selectors: '{text}'\n"
            );
        }
        "deep" => {
            let _ = writeln!(s, "a: {}{}", "[".repeat(n), "]".repeat(n));
        }
        "documents" => {
            for _ in 0..n {
                s.push_str("---\na: 1\n");
            }
        }
        "nodes" => {
            s.push_str("a: [");
            s.push_str(&"1,".repeat(n));
            s.push_str("1]\n");
        }
        "big" => {
            s.push_str("a: '");
            s.push_str(&"x".repeat(n));
            s.push_str("'\n");
        }
        "containers" => {
            s.push_str(POD_HEAD);
            for i in 0..n {
                let _ = writeln!(s, "  - {{name: c{i}, image: nginx}}");
            }
        }
        "mounts" => {
            s.push_str(POD_HEAD);
            s.push_str("    volumeMounts:\n");
            for i in 0..n {
                let _ = writeln!(s, "    - {{name: v{}, mountPath: /m{i}}}", i % 1000);
            }
            s.push_str("  volumes:\n");
            for i in 0..1000 {
                let _ = writeln!(s, "  - {{name: v{i}, emptyDir: {{}}}}");
            }
        }
        "unknown-fields" => {
            s.push_str(POD_HEAD);
            for i in 0..n {
                let _ = writeln!(s, "    x{i}: 1");
            }
        }
        "annotations" => {
            let mut annotations = String::from("  annotations:\n");
            for i in 0..n {
                let _ = writeln!(annotations, "    k8s.aliyun.com/x{i}: v");
            }
            s.push_str(&POD_HEAD.replacen("  labels:", &format!("{annotations}  labels:"), 1));
        }
        "vswitches" => {
            let ids: Vec<String> = (0..n).map(|i| format!("vsw-{i}")).collect();
            let _ = write!(
                s,
                "apiVersion: eci-bridge/v1alpha1\nkind: ClusterSettings\nsettings:\n  regionId: cn-hangzhou\n  vswitchIds: '{}'\n",
                ids.join(",")
            );
        }
        other => panic!("unknown generator {other}"),
    }
    s.into_bytes()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/hostile")
}

fn binary() -> PathBuf {
    std::env::var_os("ECI_BRIDGE_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_eci-bridge")), PathBuf::from)
}

struct Run {
    exit: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    peak_rss_kib: u64,
    cpu_ms: u64,
}

/// Runs the binary with a guard against hangs (a guard, not a measurement).
fn run(args: &[String], scratch: &Path) -> Run {
    let report = scratch.join("resources.json");
    let _ = std::fs::remove_file(&report);
    let out_path = scratch.join("stdout");
    let err_path = scratch.join("stderr");
    let mut child = Command::new(binary())
        .args(args)
        .env("ECI_BRIDGE_RESOURCE_REPORT", &report)
        .env("HOSTILE_TEST_SECRET", "not-a-real-secret")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("scratch file"))
        .stderr(std::fs::File::create(&err_path).expect("scratch file"))
        .spawn()
        .expect("the binary runs");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let resources: Value =
        std::fs::read_to_string(&report).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null);
    Run {
        exit: status.and_then(|s| s.code()),
        stdout: std::fs::read(&out_path).unwrap_or_default(),
        stderr: std::fs::read(&err_path).unwrap_or_default(),
        peak_rss_kib: resources["peakRssKib"].as_u64().unwrap_or(0),
        cpu_ms: resources["cpuMs"].as_u64().unwrap_or(0),
    }
}

/// A raw control character other than newline and tab: a terminal escape got through.
fn raw_control(bytes: &[u8]) -> Option<u8> {
    String::from_utf8_lossy(bytes)
        .chars()
        .find(|&c| eci_bridge_core::is_unsafe_char(c) && c != '\n' && c != '\t')
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(u8::MAX))
}

#[test]
fn every_case_through_every_subcommand_is_bounded_and_honest() {
    let manifest: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(root().join("cases.yaml")).expect("cases.yaml")).expect("YAML");
    let full = std::env::var("ECI_BRIDGE_HOSTILE_SCALE").is_ok_and(|s| s == "full");
    let max_rss_kib = manifest["maxRssMib"].as_u64().expect("maxRssMib") * 1024;
    let scratch = std::env::temp_dir().join(format!("eci-bridge-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let mut failures = Vec::new();
    let mut worst: BTreeMap<&str, (u64, u64, String)> = BTreeMap::new();
    let cases = manifest["cases"].as_array().expect("cases");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let input = match (case["file"].as_str(), case["generate"].as_str()) {
            (Some(file), _) => std::fs::read(root().join(file)).expect("case file"),
            (None, Some(kind)) => {
                let size = case["size"][if full { "full" } else { "test" }].as_u64().expect("size");
                generate(kind, usize::try_from(size).expect("size"))
            }
            _ => panic!("{name}: neither file nor generate"),
        };
        let path = scratch.join(format!("{name}.yaml"));
        std::fs::write(&path, &input).expect("write input");
        let path_text = path.to_string_lossy().into_owned();
        for (sub, template) in SUBCOMMANDS {
            let mut args: Vec<String> = template.iter().map(|a| a.replace("{}", &path_text)).collect();
            if let Some(extra) = case["args"][*sub].as_array() {
                args.extend(extra.iter().filter_map(Value::as_str).map(String::from));
            }
            let r = run(&args, &scratch);
            let what = format!("{name} | {sub}");
            let stderr = String::from_utf8_lossy(&r.stderr);
            match r.exit {
                Some(0..=2) => {}
                other => failures.push(format!("{what}: exit {other:?} (not 0, 1 or 2): {}", stderr.trim())),
            }
            if stderr.contains("panicked") {
                failures.push(format!("{what}: panicked: {stderr}"));
            }
            if r.peak_rss_kib > max_rss_kib {
                failures.push(format!("{what}: peak RSS {} KiB over {max_rss_kib} KiB", r.peak_rss_kib));
            }
            if r.stdout.len() > 4 * input.len() + 64 * 1024 {
                failures.push(format!("{what}: {} bytes on stdout for {} of input", r.stdout.len(), input.len()));
            }
            if r.stderr.len() > 512 * 1024 {
                failures.push(format!("{what}: {} bytes on stderr", r.stderr.len()));
            }
            if let Some(c) = raw_control(&r.stderr) {
                failures.push(format!("{what}: raw control character 0x{c:02x} on stderr"));
            }
            if let Some(secret) = case["secret"].as_str()
                && (stderr.contains(secret) || String::from_utf8_lossy(&r.stdout).contains(secret))
            {
                failures.push(format!("{what}: the planted secret was printed"));
            }
            let expect = &case["expect"][*sub];
            if let Some(code) = expect["exit"].as_i64()
                && r.exit != i32::try_from(code).ok()
            {
                failures.push(format!("{what}: exit {:?}, expected {code}: {}", r.exit, stderr.trim()));
            }
            if let Some(code) = expect["code"].as_str()
                && !stderr.contains(&format!("[{code}]"))
            {
                failures.push(format!("{what}: no `{code}` diagnostic on stderr: {}", stderr.trim()));
            }
            if expect["stdout"].as_str() == Some("empty") && !r.stdout.is_empty() {
                failures.push(format!("{what}: printed {} bytes on stdout, expected nothing", r.stdout.len()));
            }
            let entry = worst.entry(sub).or_default();
            if r.cpu_ms >= entry.0 {
                *entry = (r.cpu_ms, r.peak_rss_kib.max(entry.1), name.to_string());
            } else {
                entry.1 = entry.1.max(r.peak_rss_kib);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    println!("worst case per subcommand ({} scale, {}):", if full { "full" } else { "test" }, binary().display());
    for (sub, (cpu, rss, case)) in &worst {
        println!("  {sub:<17} cpu {cpu:>6} ms (case {case}), peak RSS up to {:>6} KiB", rss);
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
