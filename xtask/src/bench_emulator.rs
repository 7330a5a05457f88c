//! `cargo xtask bench-emulator`: describe throughput of `eci-bridge emulate`
//! on 127.0.0.1, beside what a provider's polling needs.
//!
//! The release binary emulates cn-hangzhou (time scale 1000, so 1000
//! instances are Running within a second); `client/examples/describe_load`
//! creates them and sends signed `DescribeContainerGroups` calls of 20 ids,
//! 16 at a time, with our client. The report compares the rate with the
//! demand of a provider that polls every instance every 10 s (1000
//! instances: 5 calls per second): the emulator must not be what limits a
//! simulation. The load generator shares the two cores with the emulator.
//! Everything is written to `target/bench-emulator/report.json`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Runner, cargo, root};

const GROUPS: usize = 1000;
const CONCURRENCY: usize = 16;
const REQUESTS: usize = 20_000;
/// Calls per second a provider polling GROUPS instances every 10 s needs.
const DEMAND: f64 = GROUPS as f64 / 20.0 / 10.0;
/// The floor: the emulator answers at least this many times the demand.
const HEADROOM: f64 = 100.0;

pub(crate) fn main(r: &mut Runner) {
    let built = r.step("build the release binary", cargo().args(["build", "--release", "-p", "eci-bridge"]))
        && r.step(
            "build the load generator",
            cargo().args(["build", "--release", "-p", "eci-bridge-client", "--example", "describe_load"]),
        );
    if !built {
        return;
    }
    match measure() {
        Ok(report) => {
            let rate = report["perSecond"].as_f64().unwrap_or(0.0);
            println!(
                "\n==> bench-emulator: {REQUESTS} describes of 20 ids, {CONCURRENCY} at a time, {GROUPS} instances\n    \
                 {rate:.0} calls/s ({:.0} instances/s), p50 {:.2} ms, p99 {:.2} ms; a provider polling {GROUPS} \
                 instances every 10 s needs {DEMAND:.0} calls/s: {:.0}x headroom (floor {HEADROOM:.0}x)",
                rate * 20.0,
                report["p50Ms"].as_f64().unwrap_or(0.0),
                report["p99Ms"].as_f64().unwrap_or(0.0),
                rate / DEMAND,
            );
            let dir = root().join("target/bench-emulator");
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join("report.json"), serde_json::to_string_pretty(&report).unwrap_or_default());
            if rate / DEMAND < HEADROOM {
                r.failures.push("bench-emulator headroom".into());
            }
        }
        Err(e) => {
            eprintln!("bench-emulator: {e}");
            r.failures.push("bench-emulator".into());
        }
    }
}

fn measure() -> Result<serde_json::Value, String> {
    let port = *crate::cluster::free_ports(1).map_err(|e| e.to_string())?.first().ok_or("no free port")?;
    let mut emulator = Command::new(root().join("target/release/eci-bridge"))
        .args(["emulate", "--listen", &format!("127.0.0.1:{port}"), "--time-scale", "1000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("eci-bridge emulate: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = Command::new(root().join("target/release/examples/describe_load"))
        .args([format!("http://127.0.0.1:{port}"), "emulator".into(), "emulator-secret".into()])
        .args([GROUPS.to_string(), CONCURRENCY.to_string(), REQUESTS.to_string()])
        .output();
    // Stop what was started, by its pid, whatever the outcome.
    let _ = Command::new("kill").args(["-TERM", &emulator.id().to_string()]).status();
    let _ = emulator.wait();
    let out = out.map_err(|e| format!("describe_load: {e}"))?;
    if !out.status.success() {
        return Err(format!("describe_load failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("describe_load printed no report: {e}"))
}
