//! Redaction, structure-aware: a pod built from the fuzz bytes whose
//! Secrets (and service-account token) hold unique markers, referenced in
//! every way a pod can reach a Secret: `env[].valueFrom.secretKeyRef`,
//! `envFrom[].secretRef` (with and without a prefix), `$(VAR)` in other env
//! values, `command`, `args`, probes, hooks and `subPathExpr`, secret and
//! projected volumes, image pull secrets, plus malformed Secrets (a number
//! where a string belongs, text that is not base64).
//!
//! Each case runs through `translate` (a stream, or a pod with an objects
//! file, as `translate -f … --objects …` reads it) and `update` (the Secret
//! rotated between the old and the new pod), and every human-facing output
//! is collected: the request as JSON and YAML, the wire parameters, the
//! explain rows, the update request and its change list, every diagnostic.
//!
//! Invariants:
//! - no marker appears in any of them (the fuzz-chosen text is lowercase
//!   letters only, so it cannot spell a marker by itself);
//! - non-interference: the same case with other secret values of the same
//!   length gives byte-identical outputs, so nothing derived from secret
//!   material (a hash, a token, a diagnostic) shows either.
//!
//! With `ECI_BRIDGE_FUZZ_PRINT=1` the target prints the documents an input
//! stands for, e.g. to read a reproducer.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use eci_bridge_core::case::{self, RevealParams, TranslateCase, TranslateParams};
use eci_bridge_core::update::UpdateCase;
use eci_bridge_core::{Role, Sources};
use eci_bridge_fuzz::{render_diagnostics, render_preview};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// Variable names; `P_…` are what `envFrom` with the prefix `P_` defines.
/// Few on purpose: a reference then often names a variable that is defined.
const VARS: &[&str] = &["V0", "V1", "k0", "P_k0"];
/// Keys of Secrets and ConfigMaps.
const KEYS: &[&str] = &["k0", "k1", "password", "token"];
const FIELDS: &[&str] = &["metadata.name", "metadata.namespace", "metadata.labels['app']", "status.podIP"];
/// Texts that mark secret material. Fuzz-chosen text never holds an
/// upper-case letter nor a digit, so finding one of these is a leak.
const MARKS: &[&str] = &["S3CR3T", "73570000"];

/// Lowercase letters only.
#[derive(Debug)]
struct Word(String);

impl<'a> Arbitrary<'a> for Word {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = u.int_in_range(1..=8)?;
        let mut s = String::new();
        for _ in 0..len {
            s.push(char::from(b'a' + u.int_in_range(0..=25)?));
        }
        Ok(Word(s))
    }
}

#[derive(Debug, Arbitrary)]
enum Piece {
    None,
    Word(Word),
    Ref(u8),
    Escaped(u8),
    Dollar,
    Open,
    Close,
    Space,
}

/// Fixed sizes (here and below) spend no bytes on lengths, so small inputs
/// make full pods.
#[derive(Debug, Arbitrary)]
struct Text([Piece; 3]);

fn var(i: u8) -> &'static str {
    VARS[usize::from(i) % VARS.len()]
}

impl Text {
    fn render(&self) -> String {
        let mut s = String::new();
        for p in &self.0 {
            match p {
                Piece::None => {}
                Piece::Word(w) => s.push_str(&w.0),
                Piece::Ref(i) => s.push_str(&format!("$({})", var(*i))),
                Piece::Escaped(i) => s.push_str(&format!("$$({})", var(*i))),
                Piece::Dollar => s.push('$'),
                Piece::Open => s.push_str("$("),
                Piece::Close => s.push(')'),
                Piece::Space => s.push(' '),
            }
        }
        s
    }
}

#[derive(Debug, Arbitrary)]
enum Env {
    None,
    Value { var: u8, value: Text },
    Secret { var: u8, secret: u8, key: u8, optional: Option<bool> },
    ConfigMap { var: u8, config_map: u8, key: u8 },
    Field { var: u8, path: u8 },
}

#[derive(Debug, Arbitrary)]
struct EnvFrom {
    secret: bool,
    index: u8,
    prefix: bool,
}

#[derive(Debug, Arbitrary)]
struct Mount {
    volume: u8,
    path: Word,
    sub_path_expr: Option<Text>,
}

#[derive(Debug, Arbitrary)]
struct ContainerSpec {
    env: [Env; 3],
    env_from: Option<EnvFrom>,
    command: [Text; 2],
    args: Vec<Text>,
    mounts: Option<Mount>,
    probe: Option<Vec<Text>>,
    post_start: Option<Vec<Text>>,
    working_dir: Option<Text>,
}

#[derive(Debug, Arbitrary)]
enum Projection {
    Secret(u8),
    ConfigMap(u8),
    Token,
    DownwardApi,
}

#[derive(Debug, Arbitrary)]
enum VolumeSpec {
    Secret { secret: u8, items: Option<Vec<u8>> },
    ConfigMap(u8),
    Projected(Vec<Projection>),
    EmptyDir,
}

#[derive(Debug, Arbitrary)]
enum Form {
    /// The marker, as `stringData` or base64 `data`.
    Plain,
    /// Fuzz text around the marker.
    Embedded(Text, Text),
    /// An unquoted number (a schema error).
    Number,
    /// Not base64, under `data` (a schema error).
    NotBase64,
}

#[derive(Debug, Arbitrary)]
enum SecretType {
    Opaque,
    DockerConfigJson,
    DockerCfg,
}

/// A Secret `s<i>`: every key of [`KEYS`] is present, in its own form, so
/// any reference the pod makes finds a value.
#[derive(Debug, Arbitrary)]
struct SecretSpec {
    kind: SecretType,
    forms: [Form; 4],
    string_data: bool,
}

#[derive(Debug, Arbitrary)]
struct Case {
    namespace: Option<Word>,
    workload: bool,
    container: ContainerSpec,
    containers: Vec<ContainerSpec>,
    init_containers: Vec<ContainerSpec>,
    volumes: Vec<VolumeSpec>,
    pull_secrets: Vec<u8>,
    secrets: [SecretSpec; 3],
    config_maps: Vec<Vec<(u8, Text)>>,
    token: bool,
    objects_file: bool,
    rotate: bool,
    new_image: bool,
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Builds the documents of one case; `fill` makes the secret values of one
/// run (same length for every fill), `generation` those of a rotation.
struct Builder<'a> {
    case: &'a Case,
    fill: char,
    generation: u8,
    namespace: String,
}

impl Builder<'_> {
    fn marker(&self, secret: usize, entry: usize) -> String {
        let fill: String = std::iter::repeat_n(self.fill, 8).collect();
        format!("S3CR3T{}{secret}{entry:02}{fill}", self.generation)
    }

    fn number(&self, secret: usize, entry: usize) -> u64 {
        let fill = u64::from(self.fill == 'B');
        7_357_000_000_000_000
            + u64::from(self.generation) * 10_000
            + (secret as u64) * 1000
            + (entry as u64) * 10
            + fill
    }

    fn secrets(&self) -> Vec<Value> {
        let mut docs = Vec::new();
        for (i, s) in self.case.secrets.iter().enumerate() {
            let mut data = serde_json::Map::new();
            let mut string_data = serde_json::Map::new();
            for (j, (key, form)) in KEYS.iter().zip(&s.forms).enumerate() {
                let key = key.to_string();
                let text = match form {
                    Form::Plain => self.marker(i, j),
                    Form::Embedded(a, b) => format!("{}{}{}", a.render(), self.marker(i, j), b.render()),
                    Form::Number => {
                        string_data.insert(key, json!(self.number(i, j)));
                        continue;
                    }
                    Form::NotBase64 => {
                        data.insert(key, json!(format!("{}!", self.marker(i, j))));
                        continue;
                    }
                };
                if s.string_data {
                    string_data.insert(key, json!(text));
                } else {
                    data.insert(key, json!(base64(text.as_bytes())));
                }
            }
            let password = self.marker(i, 99);
            let auth = base64(format!("user:{password}").as_bytes());
            let entry = json!({"username": "user", "password": password, "auth": auth});
            let type_ = match s.kind {
                SecretType::Opaque => "Opaque",
                SecretType::DockerConfigJson => {
                    let config = json!({"auths": {"registry.example.com": entry}}).to_string();
                    data.insert(".dockerconfigjson".into(), json!(base64(config.as_bytes())));
                    "kubernetes.io/dockerconfigjson"
                }
                SecretType::DockerCfg => {
                    let config = json!({"https://registry.example.com/v1/": entry}).to_string();
                    data.insert(".dockercfg".into(), json!(base64(config.as_bytes())));
                    "kubernetes.io/dockercfg"
                }
            };
            let mut doc = json!({"apiVersion": "v1", "kind": "Secret", "type": type_,
                "metadata": {"name": format!("s{i}"), "namespace": self.namespace}});
            if !data.is_empty() {
                doc["data"] = Value::Object(data);
            }
            if !string_data.is_empty() {
                doc["stringData"] = Value::Object(string_data);
            }
            docs.push(doc);
        }
        if self.case.token {
            docs.push(json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "metadata": {"name": "sa", "namespace": self.namespace},
                "spec": {"audiences": []}, "status": {"token": self.marker(9, 0)}}));
        }
        for (i, cm) in self.case.config_maps.iter().take(2).enumerate() {
            let data: serde_json::Map<String, Value> = cm
                .iter()
                .take(4)
                .map(|(k, t)| (KEYS[usize::from(*k) % KEYS.len()].to_string(), json!(t.render())))
                .collect();
            docs.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("c{i}"), "namespace": self.namespace}, "data": data}));
        }
        docs
    }

    fn container(&self, name: String, c: &ContainerSpec) -> Value {
        let texts = |t: &[Text]| t.iter().take(3).map(|t| json!(t.render())).collect::<Vec<_>>();
        let env: Vec<Value> = c
            .env
            .iter()
            .filter(|e| !matches!(e, Env::None))
            .map(|e| match e {
                Env::None => Value::Null,
                Env::Value { var: v, value } => json!({"name": var(*v), "value": value.render()}),
                Env::Secret { var: v, secret, key, optional } => json!({"name": var(*v), "valueFrom": {"secretKeyRef": {
                    "name": format!("s{}", secret % 4), "key": KEYS[usize::from(*key) % KEYS.len()], "optional": optional}}}),
                Env::ConfigMap { var: v, config_map, key } => json!({"name": var(*v), "valueFrom": {"configMapKeyRef": {
                    "name": format!("c{}", config_map % 3), "key": KEYS[usize::from(*key) % KEYS.len()]}}}),
                Env::Field { var: v, path } => json!({"name": var(*v), "valueFrom": {"fieldRef": {
                    "fieldPath": FIELDS[usize::from(*path) % FIELDS.len()]}}}),
            })
            .collect();
        let env_from: Vec<Value> = c
            .env_from
            .iter()
            .map(|e| {
                let (field, name) = if e.secret { ("secretRef", "s") } else { ("configMapRef", "c") };
                let mut v = json!({field: {"name": format!("{name}{}", e.index % 4)}});
                if e.prefix {
                    v["prefix"] = json!("P_");
                }
                v
            })
            .collect();
        let mounts: Vec<Value> = c
            .mounts
            .iter()
            .map(|m| {
                let mut v = json!({"name": format!("v{}", m.volume % 4), "mountPath": format!("/{}", m.path.0)});
                if let Some(e) = &m.sub_path_expr {
                    v["subPathExpr"] = json!(e.render());
                }
                v
            })
            .collect();
        let mut v = json!({"name": name, "image": "registry.example.com/app:1", "env": env, "envFrom": env_from,
            "command": texts(&c.command), "args": texts(&c.args), "volumeMounts": mounts});
        if let Some(p) = &c.probe {
            v["readinessProbe"] = json!({"exec": {"command": texts(p)}});
        }
        if let Some(p) = &c.post_start {
            v["lifecycle"] = json!({"postStart": {"exec": {"command": texts(p)}}});
        }
        if let Some(w) = &c.working_dir {
            v["workingDir"] = json!(format!("/{}", w.render()));
        }
        v
    }

    fn pod(&self, image_tag: &str) -> Value {
        let case = self.case;
        let mut containers: Vec<Value> = std::iter::once(&case.container)
            .chain(case.containers.iter().take(2))
            .enumerate()
            .map(|(i, c)| self.container(format!("c{i}"), c))
            .collect();
        containers[0]["image"] = json!(format!("registry.example.com/app:{image_tag}"));
        let init: Vec<Value> =
            case.init_containers.iter().take(2).enumerate().map(|(i, c)| self.container(format!("i{i}"), c)).collect();
        let volumes: Vec<Value> = case
            .volumes
            .iter()
            .take(4)
            .enumerate()
            .map(|(i, v)| {
                let name = format!("v{i}");
                match v {
                    VolumeSpec::Secret { secret, items } => {
                        let mut s = json!({"secretName": format!("s{}", secret % 4)});
                        if let Some(items) = items {
                            s["items"] = items
                                .iter()
                                .take(3)
                                .map(|k| {
                                    let key = KEYS[usize::from(*k) % KEYS.len()];
                                    json!({"key": key, "path": format!("f/{key}")})
                                })
                                .collect();
                        }
                        json!({"name": name, "secret": s})
                    }
                    VolumeSpec::ConfigMap(c) => json!({"name": name, "configMap": {"name": format!("c{}", c % 3)}}),
                    VolumeSpec::Projected(sources) => {
                        let sources: Vec<Value> = sources
                            .iter()
                            .take(4)
                            .map(|p| match p {
                                Projection::Secret(s) => json!({"secret": {"name": format!("s{}", s % 4)}}),
                                Projection::ConfigMap(c) => json!({"configMap": {"name": format!("c{}", c % 3)}}),
                                Projection::Token => json!({"serviceAccountToken": {"path": "token"}}),
                                Projection::DownwardApi => json!({"downwardAPI": {"items": [
                                    {"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}),
                            })
                            .collect();
                        json!({"name": name, "projected": {"sources": sources}})
                    }
                    VolumeSpec::EmptyDir => json!({"name": name, "emptyDir": {}}),
                }
            })
            .collect();
        let pull: Vec<Value> =
            case.pull_secrets.iter().take(3).map(|s| json!({"name": format!("s{}", s % 4)})).collect();
        let spec = json!({"serviceAccountName": "sa", "containers": containers, "initContainers": init,
            "volumes": volumes, "imagePullSecrets": pull});
        let metadata = json!({"name": "p", "namespace": self.namespace, "uid": "uid-fuzz", "labels": {"app": "p"},
            "annotations": {"k8s.aliyun.com/eci-instance-id": "eci-fuzz"}});
        if case.workload {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w", "namespace": self.namespace},
                "spec": {"selector": {"matchLabels": {"app": "p"}}, "template": {"metadata": metadata, "spec": spec}}})
        } else {
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec})
        }
    }
}

fn stream(docs: &[Value]) -> String {
    docs.iter().map(|d| format!("---\n{d}\n")).collect()
}

/// Every human-facing output of the case whose secrets are filled with `fill`.
fn outputs(case: &Case, fill: char) -> Vec<(&'static str, String)> {
    let namespace = case.namespace.as_ref().map_or_else(|| "default".to_string(), |w| w.0.clone());
    let old = Builder { case, fill, generation: 0, namespace: namespace.clone() };
    let new = Builder { case, fill, generation: u8::from(case.rotate), namespace };
    let pod = old.pod("1");
    let objects = old.secrets();
    let mut out = Vec::new();

    // translate: one stream, or the pod with an objects file.
    let sources = if case.objects_file {
        Sources::stream("pod.yaml", &stream(std::slice::from_ref(&pod))).with(
            "objects.yaml",
            Role::Objects,
            &stream(&objects),
        )
    } else {
        let mut docs = vec![pod.clone()];
        docs.extend(objects.iter().cloned());
        Sources::stream("pod.yaml", &stream(&docs))
    };
    match case::run::<TranslateCase>(&sources, &TranslateParams::default(), &case::Env::default()) {
        Ok(ran) => out.extend(render_preview(&ran.outcome)),
        Err(d) => out.push(("translate-error", render_diagnostics(&[d]))),
    }

    // update: the old pod and its objects, then the new pod and the rotated objects.
    if !case.workload {
        let mut docs = vec![pod];
        docs.extend(objects);
        docs.push(new.pod(if case.new_image { "2" } else { "1" }));
        docs.extend(new.secrets());
        let sources = Sources::stream("update.yaml", &stream(&docs));
        match case::run::<UpdateCase>(&sources, &RevealParams::default(), &case::Env::default()) {
            Ok(ran) => {
                let plan = ran.outcome;
                let request = plan.request.as_ref().map(|r| r.to_json()).unwrap_or_default();
                out.push(("update-request", serde_json::to_string_pretty(&request).unwrap_or_default()));
                let changes: Vec<String> =
                    plan.changes.iter().map(|c| format!("change: {} ({})", c.field, c.applied)).collect();
                out.push(("update-changes", changes.join("\n")));
                out.push(("update-actions", plan.provider_actions.join("\n")));
                out.push(("update-diagnostics", render_diagnostics(&plan.diagnostics)));
            }
            Err(d) => out.push(("update-error", render_diagnostics(&[d]))),
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if data.len() > eci_bridge_fuzz::MAX_INPUT {
        return;
    }
    let Ok(case) = Case::arbitrary(&mut Unstructured::new(data)) else { return };
    if std::env::var_os("ECI_BRIDGE_FUZZ_PRINT").is_some() {
        // The bytes are opaque: show the documents they stand for.
        let namespace = case.namespace.as_ref().map_or_else(|| "default".to_string(), |w| w.0.clone());
        let b = Builder { case: &case, fill: 'A', generation: 0, namespace };
        let mut docs = vec![b.pod("1")];
        docs.extend(b.secrets());
        eprintln!("{}", stream(&docs));
    }
    let a = outputs(&case, 'A');
    for (name, text) in &a {
        for mark in MARKS {
            if let Some(at) = text.find(mark) {
                let line = text[..at].rsplit('\n').next().unwrap_or_default();
                let rest = text[at..].split('\n').next().unwrap_or_default();
                panic!("redaction: secret material in output `{name}`: {line}{rest}");
            }
        }
    }
    let b = outputs(&case, 'B');
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        if x != y {
            let (lx, ly) = x.lines().zip(y.lines()).find(|(l, m)| l != m).unwrap_or_default();
            panic!("redaction: output `{name}` depends on secret values (same length, other text):\n  {lx}\n  {ly}");
        }
    }
});
