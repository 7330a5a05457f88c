//! `cargo xtask bench-webhook`: the webhook daemon under load, as ratios
//! measured in one run on this machine.
//!
//! The release binary serves on 127.0.0.1 with certificates from `eci-bridge
//! certs`, a 20-selector eci-profile and a namespaces file. h2load (Debian's
//! nghttp2-client; installed when missing) sends a typical review:
//!
//! - throughput of `POST /mutate` beside `POST /bench/fixed` (the same server
//!   stack, TLS and HTTP version, reading the same body, answering a fixed
//!   review), over HTTP/2 and HTTP/1.1, alternated five times (medians),
//!   twice: with the memo of repeated reviews (the daemon's default; h2load
//!   repeats one review, as a Deployment's scale-out does), where the floor
//!   is 70 %, and with `--memo-entries 0`, every review answered by the core
//!   (the cost of a review never seen before), reported beside it;
//! - p50/p99 latency of `/mutate` at half the measured throughput (h2load's
//!   per-request log, with a request rate per client);
//! - RSS per idle TLS connection (1000 connections held by a Python client).
//!
//! The load generator runs on the same two cores as the daemon: absolute
//! numbers are this machine's, the ratios are what the floor checks.
//! Everything is written to `target/bench-webhook/report.json`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Runner, cargo, root};

/// The floor: `/mutate` throughput over the fixed endpoint's.
const FLOOR: f64 = 0.70;
const REQUESTS: u32 = 30_000;
const ROUNDS: usize = 5;

struct Protocol {
    name: &'static str,
    args: &'static [&'static str],
    clients: u32,
}

const PROTOCOLS: &[Protocol] = &[
    Protocol { name: "HTTP/2", args: &["-c", "8", "-m", "8"], clients: 8 },
    Protocol { name: "HTTP/1.1", args: &["--h1", "-c", "32", "-m", "1"], clients: 32 },
];

fn dir() -> PathBuf {
    root().join("target/bench-webhook")
}

/// A 20-selector eci-profile: namespace and object selectors, effects.
fn profile() -> String {
    let selectors: Vec<serde_json::Value> = (0..20)
        .map(|i| {
            serde_json::json!({
                "name": format!("team-{i}"),
                "namespaceSelector": {"matchLabels": {"team": format!("team-{i}")}},
                "objectSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": [format!("app-{i}"), "web"]}]},
                "effect": {"annotations": {"k8s.aliyun.com/eci-use-specs": "2-4Gi"}, "labels": {"routed-by": format!("team-{i}")}}
            })
        })
        .collect();
    let doc = serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "eci-profile", "namespace": "kube-system"},
        "data": {"selectors": serde_json::to_string(&selectors).unwrap_or_default(), "vSwitchIds": "vsw-a,vsw-b", "securityGroupId": "sg-1", "vpcId": "vpc-1"}
    });
    doc.to_string()
}

/// A typical review: a Deployment's pod (generateName, owner, two
/// containers with env, probes, volumes), matched by the 12th selector.
fn review() -> String {
    let container = |name: &str, image: &str| {
        serde_json::json!({
            "name": name, "image": image,
            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "env": [{"name": "MODE", "value": "production"}, {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5},
            "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}, {"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}],
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"
        })
    };
    let object = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "generateName": "web-7d4b9c8f6-", "namespace": "team-11",
            "labels": {"app": "web", "pod-template-hash": "7d4b9c8f6"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c8f6", "uid": "0b7e2d6c-1f5a-4c3e-9a8b-7c6d5e4f3a2b", "controller": true, "blockOwnerDeletion": true}]
        },
        "spec": {
            "containers": [container("web", "registry.example.com/shop/web:1.27.3"), container("sidecar", "registry.example.com/shop/proxy:2.1")],
            "volumes": [{"name": "config", "configMap": {"name": "web-config"}}, {"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "schedulerName": "default-scheduler", "enableServiceLinks": true,
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
        }
    });
    // The request's fields in the API server's order (its Go struct's): the
    // uid first. serde_json's maps here are sorted, so the order is written out.
    let request = ordered(&[
        ("uid", "6f0c4c1e-6d0a-4a56-9d0e-6f1b2f3a4b5c".into()),
        ("kind", serde_json::json!({"group": "", "version": "v1", "kind": "Pod"})),
        ("resource", serde_json::json!({"group": "", "version": "v1", "resource": "pods"})),
        ("requestKind", serde_json::json!({"group": "", "version": "v1", "kind": "Pod"})),
        ("requestResource", serde_json::json!({"group": "", "version": "v1", "resource": "pods"})),
        ("namespace", "team-11".into()),
        ("operation", "CREATE".into()),
        (
            "userInfo",
            serde_json::json!({"username": "system:serviceaccount:kube-system:replicaset-controller", "groups": ["system:serviceaccounts", "system:authenticated"]}),
        ),
        ("object", object),
        ("oldObject", serde_json::Value::Null),
        ("dryRun", false.into()),
        ("options", serde_json::json!({"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"})),
    ]);
    format!(r#"{{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{request}}}"#)
}

/// A JSON object with its fields in the given order.
fn ordered(fields: &[(&str, serde_json::Value)]) -> String {
    let fields: Vec<String> =
        fields.iter().map(|(name, value)| format!("{}:{value}", serde_json::Value::from(*name))).collect();
    format!("{{{}}}", fields.join(","))
}

fn namespaces() -> String {
    (0..20)
        .map(|i| {
            format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-{i}\n  labels: {{team: team-{i}}}\n")
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

struct Daemon {
    child: Child,
    url: String,
}

impl Daemon {
    fn start(binary: &Path, d: &Path, extra: &[&str]) -> Option<Daemon> {
        let port = *crate::cluster::free_ports(1).ok()?.first()?;
        let log = std::fs::File::create(d.join("serve.log")).ok()?;
        let child = Command::new(binary)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--bench-fixed-route", "--max-in-flight", "1024"])
            .args(extra)
            .arg("--tls-cert-file")
            .arg(d.join("certs/tls.crt"))
            .arg("--tls-key-file")
            .arg(d.join("certs/tls.key"))
            .arg("--profile-file")
            .arg(d.join("profile.json"))
            .arg("--namespaces-file")
            .arg(d.join("namespaces.yaml"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .ok()?;
        let daemon = Daemon { child, url: format!("https://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let ready = Command::new("curl")
                .args(["-sf", "--cacert"])
                .arg(d.join("certs/ca.crt"))
                .arg(format!("{}/readyz", daemon.url))
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Some(daemon);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then the exit status (graceful stop: 0).
    fn stop(mut self) -> bool {
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        self.child.wait().is_ok_and(|s| s.success())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// One h2load run: requests per second, and the per-request latencies
/// (microseconds) when `log` is given. Any failed request fails the run.
fn h2load(
    url: &str,
    path: &str,
    protocol: &Protocol,
    requests: u32,
    extra: &[String],
    log: Option<&Path>,
) -> Result<(f64, Vec<u64>), String> {
    let body = dir().join("review.json");
    let mut cmd = Command::new("h2load");
    cmd.args(["-n", &requests.to_string()]).args(protocol.args).args(extra);
    cmd.arg("-d").arg(&body).args(["-H", "content-type: application/json"]);
    if let Some(log) = log {
        // h2load appends to its log: one run per file.
        let _ = std::fs::remove_file(log);
        cmd.arg(format!("--log-file={}", log.display()));
    }
    let out = cmd.arg(format!("{url}{path}")).output().map_err(|e| format!("h2load: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("finished in ")?.split(", ").nth(1)?.strip_suffix(" req/s")?.parse::<f64>().ok())
        .ok_or_else(|| format!("h2load printed no throughput:\n{text}"))?;
    let ok = text.lines().any(|l| l.starts_with("status codes:") && l.contains(&format!("{requests} 2xx")));
    if !ok {
        return Err(format!("not every request of {path} got a 2xx:\n{text}"));
    }
    let latencies = match log {
        Some(log) => std::fs::read_to_string(log)
            .map_err(|e| e.to_string())?
            .lines()
            .filter_map(|l| l.split('\t').nth(2)?.trim().parse().ok())
            .collect(),
        None => Vec::new(),
    };
    Ok((rps, latencies))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// Opens 1000 TLS connections and holds them while the daemon's RSS is read.
const IDLE_CLIENT: &str = r#"
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
held = []
for _ in range(1000):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    held.append(ctx.wrap_socket(s, server_hostname="127.0.0.1"))
print("open", flush=True)
sys.stdin.readline()
"#;

fn idle_rss_per_connection(daemon: &Daemon, port: &str, ca: &Path) -> Result<(f64, f64), String> {
    use std::io::{BufRead as _, BufReader, Write as _};
    let before = rss_kb(daemon.pid()).ok_or("no RSS")?;
    let mut client = Command::new("python3")
        .args(["-c", IDLE_CLIENT, port])
        .arg(ca)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("python3: {e}"))?;
    let mut line = String::new();
    if let Some(out) = client.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    std::thread::sleep(Duration::from_millis(500));
    let during = rss_kb(daemon.pid()).ok_or("no RSS")?;
    if let Some(mut stdin) = client.stdin.take() {
        let _ = stdin.write_all(b"\n");
    }
    let _ = client.wait();
    if line.trim() != "open" {
        return Err("the idle client could not open 1000 connections".into());
    }
    Ok((before as f64 / 1024.0, (during.saturating_sub(before)) as f64 / 1000.0))
}

pub(crate) fn main(r: &mut Runner) {
    if !crate::ensure_debian_package(r, "/usr/bin/h2load", "nghttp2-client")
        || !r.step("build the release binary", cargo().args(["build", "--release", "-p", "eci-bridge"]))
    {
        return;
    }
    let binary = root().join("target/release/eci-bridge");
    let d = dir();
    let prepared = std::fs::create_dir_all(&d).is_ok()
        && std::fs::write(d.join("profile.json"), profile()).is_ok()
        && std::fs::write(d.join("namespaces.yaml"), namespaces()).is_ok()
        && std::fs::write(d.join("review.json"), review()).is_ok();
    let certs = prepared
        && r.step(
            "certificates for 127.0.0.1 (eci-bridge certs)",
            Command::new(&binary)
                .args(["certs", "--ip", "127.0.0.1", "--force", "--out-dir"])
                .arg(d.join("certs"))
                .stdout(Stdio::null()),
        );
    if !certs {
        r.failures.push("bench-webhook set-up".into());
        return;
    }
    let mut variants = Vec::new();
    for (variant, extra, floor) in [("memo", &[][..], Some(FLOOR)), ("core", &["--memo-entries", "0"][..], None)] {
        let Some(daemon) = Daemon::start(&binary, &d, extra) else {
            println!("the daemon did not become ready; see {}", d.join("serve.log").display());
            r.failures.push("bench-webhook daemon".into());
            return;
        };
        match measure(&daemon, &d, variant) {
            Ok(report) => {
                let below = report["protocols"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| floor.is_some_and(|f| p["ratio"].as_f64().unwrap_or(0.0) < f));
                if below {
                    println!("FAILED: /mutate is below {:.0} % of the fixed endpoint", FLOOR * 100.0);
                    r.failures.push("bench-webhook floor".into());
                }
                variants.push(report);
            }
            Err(e) => {
                println!("FAILED: {e}");
                r.failures.push("bench-webhook".into());
            }
        }
        if !daemon.stop() {
            r.failures.push("bench-webhook: the daemon did not exit 0 after SIGTERM".into());
        }
    }
    let report =
        serde_json::json!({"requestsPerRun": REQUESTS, "rounds": ROUNDS, "floor": FLOOR, "variants": variants});
    let _ = std::fs::write(d.join("report.json"), serde_json::to_string_pretty(&report).unwrap_or_default());
    println!(
        "\nfloor: /mutate (memo) at least {:.0} % of the fixed endpoint; report: {}",
        FLOOR * 100.0,
        d.join("report.json").display()
    );
}

fn measure(daemon: &Daemon, d: &Path, variant: &str) -> Result<serde_json::Value, String> {
    let mut protocols = Vec::new();
    println!("\n==> bench-webhook, {variant}: {REQUESTS} requests per run, {ROUNDS} alternated rounds, medians");
    println!(
        "    {:<9} {:>12} {:>12} {:>7} {:>10} {:>10} {:>10}",
        "protocol", "fixed req/s", "mutate req/s", "ratio", "half load", "p50 ms", "p99 ms"
    );
    for protocol in PROTOCOLS {
        // Warm-up: connections, caches, the allocator.
        h2load(&daemon.url, "/bench/fixed", protocol, 2000, &[], None)?;
        h2load(&daemon.url, "/mutate", protocol, 2000, &[], None)?;
        let (mut fixed, mut mutate) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            fixed.push(h2load(&daemon.url, "/bench/fixed", protocol, REQUESTS, &[], None)?.0);
            mutate.push(h2load(&daemon.url, "/mutate", protocol, REQUESTS, &[], None)?.0);
        }
        let (fixed, mutate) = (median(fixed), median(mutate));
        let ratio = mutate / fixed;
        // Half the load: a request rate per client; about 5 s of requests.
        let half = mutate / 2.0;
        let per_client = (half / f64::from(protocol.clients)).max(1.0);
        let requests = ((half * 5.0) as u32).max(1000);
        let log = d.join("latency.log");
        let (_, mut latencies) =
            h2load(&daemon.url, "/mutate", protocol, requests, &[format!("--rps={per_client:.2}")], Some(&log))?;
        latencies.sort_unstable();
        let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
        println!(
            "    {:<9} {fixed:>12.0} {mutate:>12.0} {:>6.1}% {half:>10.0} {p50:>10.3} {p99:>10.3}",
            protocol.name,
            ratio * 100.0
        );
        protocols.push(serde_json::json!({
            "protocol": protocol.name, "fixedRps": fixed, "mutateRps": mutate, "ratio": ratio,
            "halfLoadRps": half, "p50Ms": p50, "p99Ms": p99, "latencySamples": latencies.len(),
        }));
    }
    let port = daemon.url.rsplit(':').next().unwrap_or_default().to_string();
    let (idle_mb, per_connection_kb) = idle_rss_per_connection(daemon, &port, &d.join("certs/ca.crt"))?;
    println!("    RSS: {idle_mb:.1} MB after the load; {per_connection_kb:.1} KB per idle TLS connection (1000 held)");
    Ok(serde_json::json!({
        "variant": variant, "protocols": protocols, "rssAfterLoadMb": idle_mb, "rssPerIdleConnectionKb": per_connection_kb,
    }))
}
