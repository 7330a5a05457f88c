//! Reading input documents: YAML or JSON text → values → typed objects.
//!
//! Parsing text is conversion, not IO, so it lives in the core where the CLI,
//! the playground and the daemon share it. YAML is read the way `kubectl`
//! reads it (YAML 1.1 octals: `defaultMode: 0644` is 420), and every schema
//! error carries the JSON pointer of the offending field.

use k8s_openapi::api::core::v1::Pod;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity, Span, TextLocation};

/// Parses every document of a YAML (or JSON) stream. Empty documents are
/// skipped; a syntax error is one diagnostic with its line and column.
pub fn parse_documents(text: &str, input: Input) -> Result<Vec<Value>, Diagnostic> {
    let mut options = serde_saphyr::Options::default();
    options.legacy_octal_numbers = true;
    match serde_saphyr::from_multiple_with_options::<Value>(text, options) {
        Ok(docs) => Ok(docs.into_iter().filter(|d| !d.is_null()).collect()),
        Err(e) => {
            let span = e.location().map(|l| {
                let at = TextLocation { line: l.line(), column: l.column() };
                Span { file: None, start: at, end: TextLocation { column: at.column + 1, ..at } }
            });
            let message = first_line(&e.to_string());
            let mut d =
                Diagnostic::pod(Severity::Error, Code::Syntax, "", format!("not valid YAML or JSON: {message}"))
                    .on(input);
            d.span = span;
            Err(d)
        }
    }
}

/// Parses exactly one document.
pub fn parse_document(text: &str, input: Input) -> Result<Value, Diagnostic> {
    let mut docs = parse_documents(text, input.clone())?;
    match docs.len() {
        1 => Ok(docs.remove(0)),
        0 => Err(Diagnostic::pod(Severity::Error, Code::Syntax, "", "the document is empty").on(input)),
        n => Err(Diagnostic::pod(Severity::Error, Code::Syntax, "", format!("expected one document, found {n}"))
            .on(input)
            .help("split the stream, or pass the other documents where they belong (e.g. --objects)")),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().trim().to_string()
}

/// Deserializes a value into `T`; a mismatch names the field by pointer.
pub fn from_value<T: DeserializeOwned>(value: &Value, input: Input) -> Result<T, Diagnostic> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let pointer = path_to_pointer(e.path());
        let message = first_line(&e.inner().to_string());
        Diagnostic::pod(Severity::Error, Code::Schema, pointer, message).on(input)
    })
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut p = Pointer::root();
    for segment in path.iter() {
        p = match segment {
            Segment::Seq { index } => p.index(*index),
            Segment::Map { key } => p.key(key),
            Segment::Enum { variant } => p.key(variant),
            Segment::Unknown => p,
        };
    }
    p.into()
}

/// Pointers of the fields in `original` that the typed form of it does not
/// keep: names the Kubernetes schema does not know (typos such as
/// `imagePullPolcy`), which typed deserialization drops without a word.
pub fn unknown_fields(original: &Value, typed: &Value, at: &Pointer, out: &mut Vec<String>) {
    match (original, typed) {
        (Value::Object(o), Value::Object(t)) => {
            for (key, value) in o {
                match t.get(key) {
                    Some(tv) => unknown_fields(value, tv, &at.key(key), out),
                    None if !value.is_null() => out.push(at.key(key).into()),
                    None => {}
                }
            }
        }
        (Value::Array(o), Value::Array(t)) => {
            for (i, (ov, tv)) in o.iter().zip(t).enumerate() {
                unknown_fields(ov, tv, &at.index(i), out);
            }
        }
        _ => {}
    }
}

/// The warning for a field (at `pointer`, in the pod unless moved with
/// [`Diagnostic::on`]) that its schema does not know.
pub fn unknown_field(pointer: String) -> Diagnostic {
    let name = pointer.rsplit('/').next().unwrap_or_default().replace("~1", "/").replace("~0", "~");
    Diagnostic::pod(Severity::Warning, Code::UnknownField, pointer, format!("unknown field `{name}`; it is ignored"))
}

/// Warnings for the fields of a pod document that are not part of the Pod
/// schema, pointing into the document.
pub fn unknown_pod_fields(doc: &Value, pod: &Pod, source: &PodSource) -> Vec<Diagnostic> {
    let typed = serde_json::to_value(pod).unwrap_or(Value::Null);
    let mut found = Vec::new();
    if source.template_pointer.is_empty() {
        unknown_fields(doc, &typed, &Pointer::root(), &mut found);
    } else if let Some(template) = doc.pointer(&source.template_pointer) {
        let base = Pointer(source.template_pointer.clone());
        for part in ["metadata", "spec"] {
            if let (Some(o), Some(t)) = (template.get(part), typed.get(part)) {
                unknown_fields(o, t, &base.key(part), &mut found);
            }
        }
    }
    found
        .into_iter()
        .map(|pointer| {
            unknown_field(pointer)
                .help("check the spelling: Kubernetes rejects unknown fields with kubectl --validate=strict")
        })
        .collect()
}

/// Where the pod came from: a Pod, or the pod template of a workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSource {
    /// The kind of the document (`Pod`, `Deployment`, …).
    pub kind: String,
    /// Pointer of the pod template inside the document (`""` for a Pod).
    pub template_pointer: String,
}

impl PodSource {
    /// Rewrites a pod-relative pointer so it points into the original document.
    pub fn document_pointer(&self, pod_pointer: &str) -> String {
        format!("{}{pod_pointer}", self.template_pointer)
    }
}

/// Workload kinds whose pod template can be translated, and where it is.
pub const WORKLOAD_TEMPLATES: &[(&str, &str)] = &[
    ("Deployment", "/spec/template"),
    ("StatefulSet", "/spec/template"),
    ("DaemonSet", "/spec/template"),
    ("ReplicaSet", "/spec/template"),
    ("ReplicationController", "/spec/template"),
    ("Job", "/spec/template"),
    ("CronJob", "/spec/jobTemplate/spec/template"),
    ("PodTemplate", "/template"),
];

/// Reads a Pod, or the pod template of a Deployment, StatefulSet, Job,
/// CronJob, … A template gets the workload's namespace, a name derived from
/// the workload (`<name>-template`) and, for a DaemonSet, the owner
/// reference that makes translation reject it.
pub fn pod_from_document(doc: &Value) -> Result<(Pod, PodSource), Diagnostic> {
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("Pod").to_string();
    if kind == "Pod" {
        let pod = from_value::<Pod>(doc, Input::Pod)?;
        return Ok((pod, PodSource { kind, template_pointer: String::new() }));
    }
    let Some((_, pointer)) = WORKLOAD_TEMPLATES.iter().find(|(k, _)| *k == kind) else {
        return Err(Diagnostic::pod(
            Severity::Error,
            Code::Schema,
            "/kind",
            format!("`{kind}` has no pod to translate"),
        )
        .help("give a Pod or a workload with a pod template (Deployment, StatefulSet, Job, CronJob, …)"));
    };
    let Some(template) = doc.pointer(pointer) else {
        return Err(Diagnostic::pod(
            Severity::Error,
            Code::MissingField,
            *pointer,
            format!("the {kind} has no pod template"),
        ));
    };
    let source = PodSource { kind: kind.clone(), template_pointer: pointer.to_string() };
    let mut pod_value = serde_json::json!({"apiVersion": "v1", "kind": "Pod"});
    if let Some(meta) = template.get("metadata") {
        pod_value["metadata"] = meta.clone();
    }
    if let Some(spec) = template.get("spec") {
        pod_value["spec"] = spec.clone();
    }
    let mut pod = from_value::<Pod>(&pod_value, Input::Pod).map_err(|mut d| {
        d.pointer = source.document_pointer(&d.pointer);
        d
    })?;
    let workload_meta = doc.get("metadata");
    let workload_name = workload_meta.and_then(|m| m.get("name")).and_then(Value::as_str).unwrap_or("workload");
    if pod.metadata.name.is_none() {
        pod.metadata.name = Some(format!("{workload_name}-template"));
    }
    if pod.metadata.namespace.is_none() {
        pod.metadata.namespace =
            workload_meta.and_then(|m| m.get("namespace")).and_then(Value::as_str).map(String::from);
    }
    if kind == "DaemonSet" {
        pod.metadata.owner_references = Some(vec![k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
            api_version: "apps/v1".into(),
            kind: "DaemonSet".into(),
            name: workload_name.into(),
            uid: String::new(),
            controller: Some(true),
            ..Default::default()
        }]);
    }
    Ok((pod, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_octal_modes_read_like_kubectl() {
        let docs = parse_documents("defaultMode: 0644\nother: 0o600\n---\n---\nb: 1\n", Input::Pod).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["defaultMode"], 420);
        assert_eq!(docs[0]["other"], 384);
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let d = parse_documents("a: [1, 2\nb: c\n", Input::Pod).unwrap_err();
        assert_eq!(d.code, Code::Syntax);
        assert!(d.span.is_some());
    }

    #[test]
    fn schema_errors_have_a_pointer() {
        let doc = parse_document(
            "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    env:\n    - name: X\n      value: [1]\n",
            Input::Pod,
        )
        .unwrap();
        let d = pod_from_document(&doc).unwrap_err();
        assert_eq!(d.pointer, "/spec/containers/0/env/0/value");
    }

    #[test]
    fn workloads_yield_their_template() {
        let doc = parse_document(
            "kind: CronJob\nmetadata: {name: nightly, namespace: batch}\nspec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: a, image: busybox}]\n          restartPolicy: OnFailure\n",
            Input::Pod,
        )
        .unwrap();
        let (pod, source) = pod_from_document(&doc).unwrap();
        assert_eq!(source.template_pointer, "/spec/jobTemplate/spec/template");
        assert_eq!(pod.metadata.name.as_deref(), Some("nightly-template"));
        assert_eq!(pod.metadata.namespace.as_deref(), Some("batch"));
        assert_eq!(source.document_pointer("/spec/containers/0"), "/spec/jobTemplate/spec/template/spec/containers/0");
        let bad = parse_document("kind: Service\n", Input::Pod).unwrap();
        assert!(pod_from_document(&bad).is_err());
    }
}
