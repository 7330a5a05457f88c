//! Every class of error a user meets, through the command line: where it is
//! (file:line:col on stderr) and how the process ends.
//!
//! Exit status: 1 for syntax, type, usage and IO errors; 0 with a warning
//! for an unknown field and a missing object in `translate`; 2 for the
//! missing object under `--strict`.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A file of `text` in a directory of this test process's own.
fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eci-bridge-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

fn translate(path: &PathBuf, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eci-bridge"))
        .arg("translate")
        .arg("-f")
        .arg(path)
        .args(extra)
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const POD_HEAD: &str =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: web\n    image: nginx\n";

#[test]
fn a_syntax_error_is_placed_and_exits_one() {
    let path = file("syntax.yaml", &format!("{POD_HEAD}    ports: [{{containerPort: 80}}\n"));
    let o = translate(&path, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("error[syntax]"), "{err}");
    assert!(err.contains("/syntax.yaml:8:12)"), "{err}");
}

#[test]
fn a_type_error_is_placed_in_plain_words_and_exits_one() {
    let path = file("type.yaml", &format!("{POD_HEAD}    ports:\n    - containerPort: http\n"));
    let o = translate(&path, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("error[schema]: expected an integer, found a string"), "{err}");
    assert!(err.contains("/spec/containers/0/ports/0/containerPort (") && err.contains("/type.yaml:9:7)"), "{err}");
    assert!(!err.contains("i32"), "no Rust type names: {err}");
}

#[test]
fn a_missing_kind_is_placed_and_exits_one() {
    let path = file("nokind.yaml", &POD_HEAD.replace("kind: Pod\n", ""));
    let o = translate(&path, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("error[missing-field]: the document has no `kind`"), "{err}");
    assert!(err.contains("/nokind.yaml:1:1)"), "{err}");
    assert!(err.contains("add `kind: Pod`"), "{err}");
}

#[test]
fn an_unknown_field_warns_with_a_suggestion_and_exits_zero() {
    let path = file("unknown.yaml", &format!("{POD_HEAD}    resource: {{requests: {{cpu: '4'}}}}\n"));
    let o = translate(&path, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("warning[unknown-field]: unknown field `resource`"), "{err}");
    assert!(err.contains("not read"), "says what the typo changes: {err}");
    assert!(err.contains("/unknown.yaml:8:5)"), "{err}");
    assert!(err.contains("did you mean `resources`?"), "{err}");
}

#[test]
fn a_missing_object_is_a_placeholder_and_an_error_under_strict() {
    let text = format!(
        "{POD_HEAD}    env:\n    - name: MODE\n      valueFrom: {{configMapKeyRef: {{name: app-config, key: MODE}}}}\n"
    );
    let path = file("missing.yaml", &text);
    let o = translate(&path, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("warning[missing-object]"), "{err}");
    assert!(err.contains("/missing.yaml:10:19)"), "{err}");
    let request: serde_json::Value = serde_json::from_slice(&o.stdout).expect("the request is printed");
    assert_eq!(request["Container"][0]["EnvironmentVar"][0]["Value"], "<missing: configmap/app-config key MODE>");

    let o = translate(&path, &["--strict"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("error[missing-object]"), "{err}");
    assert!(err.contains("/missing.yaml:10:19)"), "{err}");
    assert!(o.stdout.is_empty(), "a rejected pod prints no request");
}

#[test]
fn a_list_is_read_as_its_items_and_placed_in_it() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: app-config}\n  data: {MODE: prod}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: web}\n  spec:\n    containers:\n    - name: web\n      image: nginx\n      bogus: 1\n      env:\n      - name: MODE\n        valueFrom: {configMapKeyRef: {name: app-config, key: MODE}}\n";
    let path = file("list.yaml", text);
    let o = translate(&path, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("missing-object"), "the List's ConfigMap is used: {err}");
    assert!(err.contains("/list.yaml:15:7)"), "{err}");
    let request: serde_json::Value = serde_json::from_slice(&o.stdout).expect("the request is printed");
    assert_eq!(request["Container"][0]["EnvironmentVar"][0]["Value"], "prod");
}

#[test]
fn usage_and_io_errors_exit_one() {
    let o = Command::new(env!("CARGO_BIN_EXE_eci-bridge"))
        .args(["translate", "--no-such-flag"])
        .output()
        .expect("the binary runs");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("--no-such-flag"), "{}", stderr(&o));
    let o = translate(&PathBuf::from("/nonexistent/pod.yaml"), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}
