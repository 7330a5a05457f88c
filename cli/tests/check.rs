//! `eci-bridge check` through the built binary: the report over the
//! real-world corpus (fixtures/check), exit codes, stdin, SARIF against the
//! official schema, GitHub annotations, the configuration file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The binary, run from the repository root so paths in reports are relative.
fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_eci-bridge"));
    c.current_dir(root());
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eci-bridge-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn the_corpus_report_text_and_json() {
    let o = run(&["check", "-f", "fixtures/check", "-R"]);
    assert_eq!(o.status.code(), Some(2), "DaemonSets and hostPath users are rejected: {}", stderr(&o));
    insta::assert_snapshot!("corpus_text", stdout(&o));
    let o = run(&["check", "-f", "fixtures/check", "-R", "-o", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    insta::assert_json_snapshot!("corpus_json", json);
}

#[test]
fn without_recursion_only_the_directory_itself_is_read() {
    let o = run(&["check", "-f", "fixtures/check/plain", "-o", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let files: Vec<&str> = json["files"].as_array().expect("files").iter().filter_map(|f| f["name"].as_str()).collect();
    assert_eq!(files, ["fixtures/check/plain/kubectl-list.yaml"]);
    // The List's Deployment is checked, placed at its item.
    assert_eq!(json["workloads"][0]["kind"], "Deployment");
    assert_eq!(json["workloads"][0]["pointer"], "/items/1");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn exit_codes() {
    let o =
        run(&["check", "-f", "fixtures/check/plain/batch/job-pi.yaml", "-f", "fixtures/check/plain/kubectl-list.yaml"]);
    assert_eq!(o.status.code(), Some(0), "every workload runs: {}", stdout(&o));
    let o = run(&["check", "-f", "fixtures/check/plain/monitoring/node-exporter-daemonset.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("error[daemonset-pod]"), "{}", stdout(&o));
    let o = run(&["check", "-f", "fixtures/check/does-not-exist.yaml"]);
    assert_eq!(o.status.code(), Some(1), "IO error");
    assert!(stderr(&o).contains("cannot read"));
    let o = run(&["check"]);
    assert_eq!(o.status.code(), Some(1), "usage error");
    let o = run(&["check", "-f", "fixtures/check/plain/batch/job-pi.yaml", "-o", "xml"]);
    assert_eq!(o.status.code(), Some(1), "usage error");
    // A file that is not YAML: reported in place, the others still checked, exit 1.
    let dir = scratch("broken");
    std::fs::write(dir.join("broken.yaml"), "kind: Deployment\nspec: {template: [\n").expect("write");
    std::fs::copy(root().join("fixtures/check/plain/batch/job-pi.yaml"), dir.join("job.yaml")).expect("copy");
    let o = bin().args(["check", "-f"]).arg(&dir).output().expect("runs");
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("broken.yaml: unreadable") && out.contains("error[syntax]"), "{out}");
    assert!(out.contains("Job default/pi: runs"), "{out}");
}

#[test]
fn strict_fails_on_warnings() {
    let file = "fixtures/check/plain/monitoring/kube-state-metrics-deployment.yaml";
    assert_eq!(run(&["check", "-f", file]).status.code(), Some(0));
    assert_eq!(run(&["check", "-f", file, "--strict"]).status.code(), Some(2));
}

#[test]
fn helm_template_output_on_stdin() {
    let text = std::fs::read(root().join("fixtures/check/charts/cert-manager/cert-manager.yaml")).expect("fixture");
    let mut child = bin()
        .args(["check", "-f", "-", "-o", "github"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(&text).expect("write");
    let o = child.wait_with_output().expect("wait");
    // cert-manager's webhook listens on 10250 by default, a port ECI keeps for its agent.
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let out = stdout(&o);
    let error = out.lines().find(|l| l.starts_with("::error ")).expect("an error annotation");
    assert!(error.contains(",title=reserved-port::port 10250 is reserved"), "{error}");
    let line = out.lines().find(|l| l.starts_with("::warning ")).expect("a warning annotation");
    assert!(
        line.starts_with("::warning file=stdin,line=") || line.starts_with("::warning file=<stdin>,line="),
        "{line}"
    );
    assert!(line.contains(",col=") && line.contains(",title=dropped::"), "{line}");
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let o = run(&["check", "-f", "fixtures/check", "-R", "-o", "sarif"]);
    assert_eq!(o.status.code(), Some(2));
    let log: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let schema_text = std::fs::read_to_string(root().join("fixtures/sarif/sarif-schema-2.1.0.json")).expect("schema");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema JSON");
    let validator = jsonschema::draft4::new(&schema).expect("a valid draft-04 schema");
    let errors: Vec<String> =
        validator.iter_errors(&log).take(5).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema catches a broken log (the test can fail).
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));

    let run = &log["runs"][0];
    let results = run["results"].as_array().expect("results");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let hostpath = results.iter().find(|r| r["ruleId"] == "hostpath-volume").expect("a hostPath result");
    assert_eq!(hostpath["level"], "error");
    assert_eq!(rules[hostpath["ruleIndex"].as_u64().expect("index") as usize]["id"], "hostpath-volume");
    let location = &hostpath["locations"][0]["physicalLocation"];
    assert!(location["artifactLocation"]["uri"].as_str().expect("uri").starts_with("fixtures/check/"));
    assert!(location["region"]["startLine"].as_u64().expect("line") > 1);
    let text_diagnostics = stdout(&self::run(&["check", "-f", "fixtures/check", "-R", "-o", "json"]));
    let report: serde_json::Value = serde_json::from_str(&text_diagnostics).expect("JSON");
    let s = &report["summary"];
    let total =
        s["errors"].as_u64().unwrap_or(0) + s["warnings"].as_u64().unwrap_or(0) + s["infos"].as_u64().unwrap_or(0);
    assert_eq!(results.len() as u64, total, "one result per diagnostic");
}

#[test]
fn the_configuration_silences_codes_per_path() {
    let dir = scratch("config");
    std::fs::create_dir_all(dir.join("agents")).expect("dir");
    std::fs::copy(
        root().join("fixtures/check/plain/monitoring/node-exporter-daemonset.yaml"),
        dir.join("agents/node-exporter.yaml"),
    )
    .expect("copy");
    std::fs::copy(root().join("fixtures/check/plain/batch/job-pi.yaml"), dir.join("job.yaml")).expect("copy");
    std::fs::write(
        dir.join(".eci-bridge.yaml"),
        "ignore:\n- path: 'agents/**'\n  codes: [daemonset-pod, hostpath-volume, host-network, host-pid, reserved-port]\n- codes: [defaulted]\n",
    )
    .expect("config");
    let run_in = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_eci-bridge")).current_dir(&dir).args(args).output().expect("runs")
    };
    let o = run_in(&["check", "-f", ".", "-R"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("DaemonSet monitoring/node-exporter: excused"), "{out}");
    assert!(!out.contains("info[defaulted]") && out.contains("silenced"), "{out}");
    // Another configuration, named on the command line: nothing silenced.
    std::fs::write(dir.join("none.yaml"), "ignore: []\n").expect("config");
    assert_eq!(run_in(&["check", "-f", ".", "-R", "--config", "none.yaml"]).status.code(), Some(2));
    // A code that does not exist is a usage error.
    std::fs::write(dir.join("bad.yaml"), "ignore: [{codes: [no-such-code]}]\n").expect("config");
    let o = run_in(&["check", "-f", "job.yaml", "--config", "bad.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad.yaml"), "{}", stderr(&o));
}
