//! `cargo xtask cluster up|down|env`: a real Kubernetes control plane on
//! 127.0.0.1, and the end-to-end step of `cargo xtask test` that runs the
//! project's Kubernetes claims against it.
//!
//! The binaries (kube-apiserver, kube-controller-manager, kube-scheduler,
//! kubectl of the release `xtask/k8s/go.mod` pins, etcd at the version that
//! release requires, and a small certificate generator) are built once with
//! `go build` from the Go module under `xtask/k8s/` into
//! `~/.cache/eci-bridge/k8s-<version>/bin` (`$XDG_CACHE_HOME` is honoured),
//! and rebuilt only when that module or the Go version changes.
//!
//! `up` generates certificates, a service-account key and kubeconfigs under
//! the run directory (`target/cluster/`), starts etcd, the API server, the
//! controller manager and the scheduler on loopback ports chosen free, waits
//! until the API server is ready and the controllers have created the
//! default ServiceAccount, and records the pids. `down` stops exactly those
//! pids (a pid whose executable is no longer ours is left alone). The state
//! is ephemeral: each `up` starts from an empty etcd.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use crate::{Runner, describe, finish, root};

/// The binaries `go build` writes, and the packages they come from.
const PACKAGES: &[(&str, &str)] = &[
    ("kube-apiserver", "k8s.io/kubernetes/cmd/kube-apiserver"),
    ("kube-controller-manager", "k8s.io/kubernetes/cmd/kube-controller-manager"),
    ("kube-scheduler", "k8s.io/kubernetes/cmd/kube-scheduler"),
    ("kubectl", "k8s.io/kubernetes/cmd/kubectl"),
    ("etcd", "./etcd"),
    ("pki", "./pki"),
];

/// Files of the Go module whose change means a rebuild.
const MODULE_FILES: &[&str] = &["go.mod", "go.sum", "etcd/main.go", "pki/main.go"];

const SERVICE_CIDR: &str = "10.0.0.0/24";
const CLUSTER: &str = "eci-bridge-local";

fn module_dir() -> PathBuf {
    root().join("xtask/k8s")
}

/// The run directory of `cargo xtask cluster` (the test step uses its own).
pub(crate) fn default_run_dir() -> PathBuf {
    root().join("target/cluster")
}

/// The run directory of the test step.
fn e2e_run_dir() -> PathBuf {
    root().join("target/cluster-e2e")
}

/// The Kubernetes release `xtask/k8s/go.mod` pins.
fn version() -> Result<String, String> {
    let go_mod = std::fs::read_to_string(module_dir().join("go.mod")).map_err(|e| format!("xtask/k8s/go.mod: {e}"))?;
    go_mod
        .lines()
        .find_map(|l| l.trim().strip_prefix("k8s.io/kubernetes v"))
        .and_then(|rest| rest.split_whitespace().next())
        .map(|v| format!("v{v}"))
        .ok_or_else(|| "xtask/k8s/go.mod does not require k8s.io/kubernetes".into())
}

fn cache_root() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| root().join("target"));
    base.join("eci-bridge")
}

/// Where the binaries of `version` live.
fn bin_dir(version: &str) -> PathBuf {
    cache_root().join(format!("k8s-{version}")).join("bin")
}

/// Build flags: small binaries, and the release's version reported by
/// `/version`, `kubectl version` and the components' logs.
fn ldflags(version: &str) -> String {
    let minor = version.trim_start_matches('v').split('.').nth(1).unwrap_or_default();
    let v = "k8s.io/component-base/version";
    format!(
        "-s -w -X {v}.gitVersion={version} -X {v}.gitMajor=1 -X {v}.gitMinor={minor} -X {v}.gitTreeState=clean \
         -X {v}.buildDate=1970-01-01T00:00:00Z"
    )
}

/// FNV-1a over the module's files, the Go version and the flags: the cache key.
fn stamp(version: &str, go_version: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for file in MODULE_FILES {
        feed(file.as_bytes());
        feed(&std::fs::read(module_dir().join(file)).unwrap_or_default());
    }
    feed(go_version.as_bytes());
    feed(ldflags(version).as_bytes());
    format!("{version} {hash:016x}\n")
}

fn go_version() -> Option<String> {
    let out = Command::new("go").arg("version").env("GOTOOLCHAIN", "local").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Builds the binaries unless the cache holds them for this module and Go;
/// the directory holding them.
pub(crate) fn build(r: &mut Runner) -> Option<PathBuf> {
    let version = match version() {
        Ok(v) => v,
        Err(e) => {
            println!("\n==> FAILED: {e}");
            r.failures.push("find the Kubernetes release".into());
            return None;
        }
    };
    let Some(go) = go_version() else {
        println!(
            "\n==> FAILED: `go` is not on PATH; the control plane is built from its Go modules (Go 1.26 or newer)"
        );
        r.failures.push("find Go".into());
        return None;
    };
    let bin = bin_dir(&version);
    let stamp_file = bin.join(".stamp");
    let want = stamp(&version, &go);
    let complete = PACKAGES.iter().all(|(name, _)| bin.join(name).is_file());
    if complete && std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == want) {
        println!("\n==> Kubernetes {version} control plane is built ({})", bin.display());
        return Some(bin);
    }
    let _ = std::fs::remove_file(&stamp_file);
    if std::fs::create_dir_all(&bin).is_err() {
        r.failures.push(format!("create {}", bin.display()));
        return None;
    }
    // `nice`: the first build takes a while on two cores; keep the machine usable.
    let mut cmd = Command::new("nice");
    cmd.args(["-n", "10", "go", "build", "-buildvcs=false", "-ldflags", &ldflags(&version), "-o"])
        .arg(format!("{}/", bin.display()))
        .args(PACKAGES.iter().map(|(_, pkg)| *pkg))
        .current_dir(module_dir())
        .env("GOTOOLCHAIN", "local");
    let what = format!(
        "build Kubernetes {version} (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) and etcd \
         with {go} (long the first time, then cached in {})",
        bin.display()
    );
    if !r.step(&what, &mut cmd) {
        return None;
    }
    if std::fs::write(&stamp_file, want).is_err() {
        r.failures.push(format!("write {}", stamp_file.display()));
    }
    Some(bin)
}

/// A process `up` started, as recorded in `pids`.
struct Recorded {
    name: String,
    pid: u32,
    exe: PathBuf,
}

fn pids_file(run: &Path) -> PathBuf {
    run.join("pids")
}

fn recorded(run: &Path) -> Vec<Recorded> {
    let text = std::fs::read_to_string(pids_file(run)).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ' ');
            let name = parts.next()?.to_string();
            let pid = parts.next()?.parse().ok()?;
            let exe = PathBuf::from(parts.next()?);
            Some(Recorded { name, pid, exe })
        })
        .collect()
}

/// True while `p` runs the executable it was started with (not a zombie,
/// not a recycled pid).
fn alive(p: &Recorded) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", p.pid)).unwrap_or_default();
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next());
    if matches!(state, None | Some("Z" | "X")) {
        return false;
    }
    std::fs::read_link(format!("/proc/{}/exe", p.pid)).is_ok_and(|exe| exe == p.exe)
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill").args([sig, &pid.to_string()]).stderr(Stdio::null()).status();
}

/// Stops the processes recorded in `run` (TERM, then KILL after 15 s),
/// newest first; true when none is left.
pub(crate) fn down(run: &Path) -> bool {
    let procs = recorded(run);
    for p in procs.iter().rev() {
        if !alive(p) {
            continue;
        }
        signal(p.pid, "-TERM");
        let deadline = Instant::now() + Duration::from_secs(15);
        while alive(p) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        if alive(p) {
            signal(p.pid, "-KILL");
            std::thread::sleep(Duration::from_millis(300));
        }
        println!("    stopped {} (pid {})", p.name, p.pid);
    }
    let left: Vec<String> = procs.iter().filter(|p| alive(p)).map(|p| format!("{} (pid {})", p.name, p.pid)).collect();
    if left.is_empty() {
        let _ = std::fs::remove_file(pids_file(run));
        true
    } else {
        println!("    still running: {}", left.join(", "));
        false
    }
}

/// `n` distinct loopback ports free now.
pub(crate) fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let listeners: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0")).collect::<Result<_, _>>()?;
    listeners.iter().map(|l| l.local_addr().map(|a| a.port())).collect()
}

fn kubeconfig(server: &str, pki: &Path, user: &str) -> String {
    let p = |f: &str| pki.join(f).display().to_string();
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {CLUSTER}\n  cluster:\n    server: {server}\n    \
         certificate-authority: {ca}\nusers:\n- name: {user}\n  user:\n    client-certificate: {crt}\n    \
         client-key: {key}\ncontexts:\n- name: {CLUSTER}\n  context:\n    cluster: {CLUSTER}\n    user: {user}\n\
         current-context: {CLUSTER}\n",
        ca = p("ca.crt"),
        crt = p(&format!("{user}.crt")),
        key = p(&format!("{user}.key")),
    )
}

/// The environment lines `env` prints.
fn env_lines(run: &Path, bin: &Path) -> String {
    format!("export KUBECONFIG={}\nexport PATH={}:$PATH\n", run.join("kubeconfig").display(), bin.display())
}

/// etcd's `/health` over plain HTTP on loopback.
fn etcd_healthy(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_err() {
        return false;
    }
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    body.contains("\"health\":\"true\"")
}

fn kubectl_ok(bin: &Path, run: &Path, args: &[&str]) -> bool {
    Command::new(bin.join("kubectl"))
        .arg("--kubeconfig")
        .arg(run.join("kubeconfig"))
        .args(["--request-timeout", "5s"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn wait_for(what: &str, timeout: Duration, procs: &[(&str, &Recorded)], mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if ready() {
            println!("    {what}: ready after {:.1}s", start.elapsed().as_secs_f64());
            return true;
        }
        if let Some((name, _)) = procs.iter().find(|(_, p)| !alive(p)) {
            println!("    {what}: {name} exited; see its log");
            return false;
        }
        if start.elapsed() > timeout {
            println!("    {what}: not ready after {}s", timeout.as_secs());
            return false;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Starts the control plane in `run` from the binaries in `bin`; with
/// `detach` the processes get their own process group, so they outlive the
/// terminal's Ctrl-C (for `cluster up`); the test step keeps them in its own.
pub(crate) fn up(run: &Path, bin: &Path, detach: bool) -> Result<(), String> {
    let start = Instant::now();
    if recorded(run).iter().any(alive) {
        return Err(format!("a control plane from {} is running; `cargo xtask cluster down` first", run.display()));
    }
    // A fresh cluster every time: the state of an earlier one is dropped.
    let _ = std::fs::remove_dir_all(run);
    let (pki, logs, data) = (run.join("pki"), run.join("logs"), run.join("etcd"));
    for dir in [&pki, &logs] {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let pki_ok = Command::new(bin.join("pki")).arg(&pki).status().is_ok_and(|s| s.success());
    if !pki_ok {
        return Err("generating the certificates failed".into());
    }
    let ports = free_ports(3).map_err(|e| format!("no free loopback port: {e}"))?;
    let (etcd_port, peer_port, api_port) = (ports[0], ports[1], ports[2]);
    let server = format!("https://127.0.0.1:{api_port}");
    let write = |name: &str, text: String| {
        std::fs::write(run.join(name), text).map_err(|e| format!("{}: {e}", run.join(name).display()))
    };
    write("kubeconfig", kubeconfig(&server, &pki, "admin"))?;
    write("controller-manager.kubeconfig", kubeconfig(&server, &pki, "controller-manager"))?;
    write("scheduler.kubeconfig", kubeconfig(&server, &pki, "scheduler"))?;
    let f = |name: &str| pki.join(name).display().to_string();
    let etcd_url = format!("http://127.0.0.1:{etcd_port}");
    let peer_url = format!("http://127.0.0.1:{peer_port}");
    let args: Vec<(&str, Vec<String>)> = vec![
        (
            "etcd",
            vec![
                "--name=default".into(),
                format!("--data-dir={}", data.display()),
                format!("--listen-client-urls={etcd_url}"),
                format!("--advertise-client-urls={etcd_url}"),
                format!("--listen-peer-urls={peer_url}"),
                format!("--initial-advertise-peer-urls={peer_url}"),
                format!("--initial-cluster=default={peer_url}"),
                // A throwaway test store: no fsync, so two busy cores do not stall it.
                "--unsafe-no-fsync=true".into(),
                "--log-level=warn".into(),
            ],
        ),
        (
            "kube-apiserver",
            vec![
                format!("--etcd-servers={etcd_url}"),
                "--bind-address=127.0.0.1".into(),
                "--advertise-address=127.0.0.1".into(),
                // The `kubernetes` Service's endpoints may not be loopback; no pod runs to use them.
                "--endpoint-reconciler-type=none".into(),
                format!("--secure-port={api_port}"),
                format!("--tls-cert-file={}", f("apiserver.crt")),
                format!("--tls-private-key-file={}", f("apiserver.key")),
                format!("--client-ca-file={}", f("ca.crt")),
                format!("--service-account-key-file={}", f("sa.pub")),
                format!("--service-account-signing-key-file={}", f("sa.key")),
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local".into(),
                format!("--service-cluster-ip-range={SERVICE_CIDR}"),
                "--authorization-mode=RBAC".into(),
                "--allow-privileged=true".into(),
                "--profiling=false".into(),
                format!("--cert-dir={}", run.join("apiserver-certs").display()),
            ],
        ),
        (
            "kube-controller-manager",
            vec![
                format!("--kubeconfig={}", run.join("controller-manager.kubeconfig").display()),
                "--bind-address=127.0.0.1".into(),
                "--secure-port=0".into(),
                "--leader-elect=false".into(),
                "--use-service-account-credentials=true".into(),
                format!("--service-account-private-key-file={}", f("sa.key")),
                format!("--root-ca-file={}", f("ca.crt")),
                format!("--cluster-signing-cert-file={}", f("ca.crt")),
                format!("--cluster-signing-key-file={}", f("ca.key")),
                format!("--service-cluster-ip-range={SERVICE_CIDR}"),
                "--profiling=false".into(),
            ],
        ),
        (
            "kube-scheduler",
            vec![
                format!("--kubeconfig={}", run.join("scheduler.kubeconfig").display()),
                "--bind-address=127.0.0.1".into(),
                "--secure-port=0".into(),
                "--leader-elect=false".into(),
                "--profiling=false".into(),
            ],
        ),
    ];
    let mut started: Vec<Recorded> = Vec::new();
    let result = (|| {
        for (name, args) in &args {
            let exe = bin.join(name);
            let log = std::fs::File::create(logs.join(format!("{name}.log"))).map_err(|e| e.to_string())?;
            let mut cmd = Command::new(&exe);
            cmd.args(args)
                .current_dir(run)
                .stdin(Stdio::null())
                .stdout(log.try_clone().map_err(|e| e.to_string())?)
                .stderr(log);
            if detach {
                cmd.process_group(0);
            }
            println!("    $ {}", describe(&cmd));
            let child = cmd.spawn().map_err(|e| format!("{name}: {e}"))?;
            started.push(Recorded { name: name.to_string(), pid: child.id(), exe: exe.clone() });
            let mut text = String::new();
            for p in &started {
                let _ = writeln!(text, "{} {} {}", p.name, p.pid, p.exe.display());
            }
            std::fs::write(pids_file(run), text).map_err(|e| e.to_string())?;
            let procs: Vec<(&str, &Recorded)> = started.iter().map(|p| (p.name.as_str(), p)).collect();
            let ok = match *name {
                "etcd" => wait_for("etcd /health", Duration::from_secs(60), &procs, || etcd_healthy(etcd_port)),
                "kube-apiserver" => wait_for("kube-apiserver /readyz", Duration::from_secs(180), &procs, || {
                    kubectl_ok(bin, run, &["get", "--raw", "/readyz"])
                }),
                _ => true,
            };
            if !ok {
                return Err(format!("{name} did not become ready (logs in {})", logs.display()));
            }
        }
        let procs: Vec<(&str, &Recorded)> = started.iter().map(|p| (p.name.as_str(), p)).collect();
        // The controllers work once the default ServiceAccount exists (pods need it).
        if !wait_for("controllers (ServiceAccount default/default)", Duration::from_secs(120), &procs, || {
            kubectl_ok(bin, run, &["get", "serviceaccount", "default", "--namespace", "default"])
        }) {
            return Err(format!("the controller manager did not start (logs in {})", logs.display()));
        }
        Ok(())
    })();
    match result {
        Ok(()) => {
            println!(
                "    control plane up in {:.1}s: {server} (state and logs in {})",
                start.elapsed().as_secs_f64(),
                run.display()
            );
            Ok(())
        }
        Err(e) => {
            down(run);
            Err(e)
        }
    }
}

const USAGE: &str = "usage: cargo xtask cluster up|down|env|test
  up    build (once) and start etcd, kube-apiserver, kube-controller-manager and kube-scheduler on 127.0.0.1
  down  stop what `up` started
  env   print the shell lines for kubectl: eval \"$(cargo xtask cluster env)\"
  test  only the end-to-end step of `cargo xtask test` (a control plane of its own, stopped afterwards)";

/// `cargo xtask cluster ...`.
pub(crate) fn main(args: &[String]) -> ExitCode {
    let run = default_run_dir();
    let mut r = Runner { failures: Vec::new() };
    match args.first().map(String::as_str) {
        Some("up") => {
            let Some(bin) = build(&mut r) else { return finish(&r) };
            let procs = recorded(&run);
            // etcd, the API server, the controller manager and the scheduler.
            if procs.len() == 4 && procs.iter().all(alive) {
                println!("\n==> the control plane of {} is up\n\n{}", run.display(), env_lines(&run, &bin));
                return finish(&r);
            }
            println!("\n==> start the control plane");
            if let Err(e) = up(&run, &bin, true) {
                println!("<== FAILED: {e}");
                r.failures.push("start the control plane".into());
                return finish(&r);
            }
            println!(
                "\nTo use it:\n  eval \"$(cargo xtask cluster env)\"\n  kubectl get nodes\n\n{}",
                env_lines(&run, &bin)
            );
            finish(&r)
        }
        Some("down") => {
            println!("==> stop the control plane of {}", run.display());
            // Also what an interrupted test step may have left.
            let stopped = down(&run) & down(&e2e_run_dir());
            if stopped {
                println!("<== nothing of it is running");
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Some("test") => {
            let binary = root().join("target/debug/eci-bridge");
            if r.step("build the CLI", crate::cargo().args(["build", "-p", "eci-bridge"]))
                && let Some(python) = crate::ensure_python(&mut r)
            {
                e2e(&mut r, &python, &binary);
            }
            finish(&r)
        }
        Some("env") => match version() {
            Ok(v) => {
                print!("{}", env_lines(&run, &bin_dir(&v)));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The test step: build (or reuse) the control plane, start a fresh one in
/// `target/cluster-e2e/`, run the end-to-end scenarios, and stop it again
/// whatever happened.
pub(crate) fn e2e(r: &mut Runner, python: &Path, binary: &Path) {
    let Some(bin) = build(r) else { return };
    let run = e2e_run_dir();
    // Leftovers of an interrupted run (recorded pids still ours).
    down(&run);
    println!("\n==> start a control plane for the end-to-end scenarios");
    let start = Instant::now();
    if let Err(e) = up(&run, &bin, false) {
        println!("<== FAILED: {e}");
        r.failures.push("start the control plane".into());
        return;
    }
    println!("<== started in {:.1}s", start.elapsed().as_secs_f64());
    let path = std::env::var("PATH").unwrap_or_default();
    let passed = r.step(
        "end to end against kube-apiserver, kube-scheduler and kube-controller-manager (pytest, kubernetes client)",
        Command::new(python)
            .args([
                "-m",
                "pytest",
                "-v",
                "-rsx",
                "--durations=6",
                "-p",
                "no:cacheprovider",
                "conformance/cluster_e2e.py",
            ])
            .env("KUBECONFIG", run.join("kubeconfig"))
            .env("PATH", format!("{}:{path}", bin.display()))
            .env("ECI_BRIDGE", binary),
    );
    if !passed {
        println!("    the control plane's logs: {}", run.join("logs").display());
    }
    println!("\n==> stop the control plane");
    if down(&run) {
        println!("<== stopped, nothing left running");
    } else {
        println!("<== FAILED: processes left running");
        r.failures.push("stop the control plane".into());
    }
}
