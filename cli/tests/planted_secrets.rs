//! A Secret value planted in any fixture never reaches any output or
//! standard error without `--show-secrets`.
//!
//! Every pod fixture (and every update and overflow case) is rewritten: each
//! value of each Secret becomes a unique marker, and a planted Secret reaches
//! every container through `env` (secretKeyRef), `envFrom`, `$(VAR)` in args
//! and command, and a `subPathExpr`. Every output format is then grepped for
//! the markers. With `--show-secrets` the markers do appear, so the planting
//! is real and the test can fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::{Value, json};

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("fixture dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The pod spec of a document: a Pod's, or a workload template's.
fn pod_spec(doc: &mut Value) -> Option<&mut Value> {
    let pointer = match doc.get("kind").and_then(Value::as_str).unwrap_or("Pod") {
        "Pod" => "/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "ReplicationController" => {
            "/spec/template/spec"
        }
        _ => return None,
    };
    doc.pointer_mut(pointer)
}

/// Plants markers; returns the new stream and every marker planted.
fn plant(text: &str, tag: &str) -> (String, Vec<String>) {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).expect("fixture YAML");
    let mut markers = Vec::new();
    let mut out = Vec::new();
    let main = format!("PLANTED{tag}MAINX");
    markers.push(main.clone());
    let mut namespaces = Vec::new();
    for (d, mut doc) in docs.into_iter().filter(|d| !d.is_null()).enumerate() {
        if doc.get("kind").and_then(Value::as_str) == Some("Secret") {
            for field in ["stringData", "data"] {
                if let Some(map) = doc.get_mut(field).and_then(Value::as_object_mut) {
                    for (i, value) in map.values_mut().enumerate() {
                        let marker = format!("PLANTED{tag}D{d}K{i}{field}X");
                        *value = if field == "data" {
                            Value::String(base64::engine::general_purpose::STANDARD.encode(&marker))
                        } else {
                            Value::String(marker.clone())
                        };
                        markers.push(marker);
                    }
                }
            }
        }
        let namespace = doc.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default").to_string();
        if let Some(spec) = pod_spec(&mut doc) {
            namespaces.push(namespace);
            for list in ["containers", "initContainers"] {
                for c in spec.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
                    let Some(c) = c.as_object_mut() else { continue };
                    let env = c.entry("env").or_insert(json!([]));
                    if let Some(env) = env.as_array_mut() {
                        env.push(json!({"name": "PLANTED_SECRET", "valueFrom": {"secretKeyRef": {"name": "planted", "key": "token"}}}));
                        env.push(json!({"name": "PLANTED_HEADER", "value": "Bearer $(PLANTED_SECRET)"}));
                    }
                    let from = c.entry("envFrom").or_insert(json!([]));
                    if let Some(from) = from.as_array_mut() {
                        from.push(json!({"secretRef": {"name": "planted"}}));
                    }
                    let args = c.entry("args").or_insert(json!([]));
                    if let Some(args) = args.as_array_mut() {
                        args.push(json!("--token=$(PLANTED_SECRET)"));
                    }
                    let mounts = c.entry("volumeMounts").or_insert(json!([]));
                    if let Some(mounts) = mounts.as_array_mut() {
                        mounts.push(json!({"name": "planted-scratch", "mountPath": "/planted", "subPathExpr": "$(PLANTED_SECRET)"}));
                    }
                }
            }
            if let Some(spec) = spec.as_object_mut() {
                let volumes = spec.entry("volumes").or_insert(json!([]));
                if let Some(volumes) = volumes.as_array_mut() {
                    volumes.push(json!({"name": "planted-scratch", "emptyDir": {}}));
                }
            }
        }
        out.push(doc);
    }
    namespaces.dedup();
    for ns in namespaces {
        out.push(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "planted", "namespace": ns},
                        "stringData": {"token": main}}));
    }
    let text = out.iter().map(|d| serde_saphyr::to_string(d).expect("YAML")).collect::<Vec<_>>().join("---\n");
    (text, markers)
}

fn output(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_eci-bridge")).args(args).output().expect("the binary runs");
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn planted_secrets_never_print_without_show_secrets() {
    let scratch = std::env::temp_dir().join(format!("eci-bridge-planted-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch");
    let mut leaks = Vec::new();
    let (mut checked, mut shown) = (0, 0);
    let cases = [("pods", "translate"), ("overflow", "translate"), ("update", "update"), ("delete", "translate")];
    for (dir, command) in cases {
        for (n, path) in fixtures(dir).iter().enumerate() {
            let tag = format!("{}{n}", dir.to_uppercase());
            let (text, markers) = plant(&std::fs::read_to_string(path).expect("fixture"), &tag);
            let file = scratch.join(format!("{tag}.yaml"));
            std::fs::write(&file, text).expect("write");
            let file = file.to_string_lossy().into_owned();
            let runs: Vec<Vec<&str>> = if command == "update" {
                vec![vec!["update", "--old", &file]]
            } else {
                ["json", "yaml", "query", "explain"]
                    .iter()
                    .map(|o| vec!["translate", "-f", &file, "--print-rejected", "-o", o])
                    .chain([
                        vec!["overflow", "-f", &file],
                        vec!["admit", "-f", &file],
                        vec!["required-objects", "-f", &file],
                    ])
                    .collect()
            };
            for args in &runs {
                let printed = output(args);
                checked += 1;
                for m in markers.iter().filter(|m| printed.contains(m.as_str())) {
                    leaks.push(format!("{} {}: printed {m}", path.display(), args.join(" ")));
                }
            }
            let mut reveal = runs[0].clone();
            reveal.push("--show-secrets");
            if output(&reveal).contains(markers[0].as_str()) {
                shown += 1;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(leaks.is_empty(), "{} leaks:\n{}", leaks.len(), leaks.join("\n"));
    assert!(checked > 300, "only {checked} runs");
    assert!(shown > 60, "--show-secrets showed the planted secret in only {shown} cases: the planting does not work");
}
