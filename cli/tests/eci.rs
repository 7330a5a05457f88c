//! `eci-bridge eci ...` against `eci-bridge emulate` on 127.0.0.1: create
//! (dry run, then for real, then again with the same token), describe,
//! events, logs, delete; and the errors a user meets first.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_eci-bridge"));
    c.env_remove("ALIBABA_CLOUD_SECURITY_TOKEN")
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "emulator")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "emulator-secret");
    c
}

fn fixture(name: &str) -> String {
    format!("{}/../fixtures/pods/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The emulator, stopped when dropped (also when an assertion fails).
struct Emulator {
    child: Child,
    url: String,
}

impl Emulator {
    fn start() -> Emulator {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let address = format!("127.0.0.1:{port}");
        let child = bin()
            .args(["emulate", "--listen", &address])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the emulator starts");
        let emulator = Emulator { child, url: format!("http://{address}") };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&address).is_err() {
            assert!(Instant::now() < deadline, "the emulator did not listen on {address}");
            std::thread::sleep(Duration::from_millis(50));
        }
        emulator
    }

    fn eci(&self, args: &[&str]) -> Output {
        bin().arg("eci").args(args).args(["--endpoint", &self.url]).output().expect("the binary runs")
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json(o: &Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

#[test]
fn create_describe_events_logs_delete() {
    let emu = Emulator::start();
    let pod = fixture("deployment-nginx.yaml");
    let dry = json(&emu.eci(&["create", "-f", &pod, "--dry-run"]));
    assert_eq!(dry["DryRun"], "passed");

    let created = json(&emu.eci(&["create", "-f", &pod, "--client-token", "cli-test-1"]));
    let id = created["ContainerGroupId"].as_str().expect("an id").to_string();
    let again = json(&emu.eci(&["create", "-f", &pod, "--client-token", "cli-test-1", "--signature", "v2"]));
    assert_eq!(again["ContainerGroupId"], id.as_str(), "the same token answers the same instance");

    let listed = json(&emu.eci(&["describe", "--id", &id]));
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["ContainerGroupId"], id.as_str());
    assert!(json(&emu.eci(&["events", "--id", &id])).is_array());
    let logs = emu.eci(&["logs", "--id", &id, "--container", "nginx", "--tail", "10"]);
    assert_eq!(logs.status.code(), Some(0), "{}", String::from_utf8_lossy(&logs.stderr));

    assert_eq!(json(&emu.eci(&["delete", "--id", &id]))["Deleted"], true);
}

#[test]
fn api_errors_are_one_line_with_a_hint() {
    let emu = Emulator::start();
    let o = bin()
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
        .args(["eci", "describe", "--endpoint", &emu.url])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.starts_with("error[SignatureDoesNotMatch]: ") && err.contains("(RequestId "), "{err}");
    assert!(err.contains("hint: "), "{err}");
    assert!(!err.contains("not-the-secret"), "{err}");
}

#[test]
fn local_errors_exit_one_without_a_panic() {
    let refused = {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        format!("http://127.0.0.1:{port}")
    };
    let cases: [(&[&str], &str); 4] = [
        (&["describe", "--endpoint", &refused, "--max-attempts", "1"], "error[transport]: "),
        (&["describe", "--endpoint", "ftp://x"], "error: --endpoint"),
        (&["describe", "--tag", "novalue"], "error: --tag"),
        (&["delete", "--id", "eci-1", "--region", "cn_bad"], "error[invalid]: region"),
    ];
    for (args, expected) in cases {
        let o = bin().arg("eci").args(args).output().expect("runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.starts_with(expected), "{args:?}: {err}");
    }
    let o = bin()
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .args(["eci", "delete", "--id", "eci-1", "--endpoint", &refused])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error[credentials]: no credentials"));
}
