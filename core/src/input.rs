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

use serde_saphyr::budget::BudgetBreach;

use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity, Span, TextLocation};
use crate::limits::{self, Limits};
use crate::text::escape_text;

/// Parses every document of a YAML (or JSON) stream. Empty documents are
/// skipped; a syntax error is one diagnostic with its line and column. The
/// text is bounded by [`Limits::DEFAULT`] before and while it is read: a
/// breach is a [`Code::LimitExceeded`] error, never unbounded work.
pub fn parse_documents(text: &str, input: Input) -> Result<Vec<Value>, Diagnostic> {
    let limits = Limits::DEFAULT;
    if text.len() > limits.max_text_bytes {
        return Err(limits::exceeded(input, "", "bytes", text.len(), limits.max_text_bytes)
            .help("split the input; a Kubernetes object is at most about 1.5 MiB"));
    }
    if let Some(docs) = parse_json(text, &limits) {
        return Ok(docs);
    }
    let mut options = serde_saphyr::Options::default();
    options.legacy_octal_numbers = true;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_documents = limits.max_documents;
    budget.max_nodes = limits.max_nodes;
    budget.max_depth = limits.max_depth;
    budget.max_aliases = limits.max_aliases;
    budget.max_total_scalar_bytes = limits.max_scalar_bytes;
    options.budget = Some(budget);
    match serde_saphyr::from_multiple_with_options::<Value>(text, options) {
        Ok(docs) => Ok(docs.into_iter().filter(|d| !d.is_null()).collect()),
        Err(e) => {
            let span = e.location().map(|l| {
                let at = TextLocation { line: l.line(), column: l.column() };
                Span { file: None, start: at, end: TextLocation { column: at.column + 1, ..at } }
            });
            let message = e.to_string();
            let mut d = match budget_breach(&e) {
                Some(breach) => breach_diagnostic(breach, input),
                // The parser's and the value builder's own nesting guards, reported as the depth limit.
                None if message.contains("recursion limit") || message.contains("nesting limit") => {
                    limits::exceeded(input, "", "levels of nesting", 0, Limits::DEFAULT.max_depth)
                }
                None => Diagnostic::pod(
                    Severity::Error,
                    Code::Syntax,
                    "",
                    format!("not valid YAML or JSON: {}", escape_text(&first_line(&message))),
                )
                .on(input),
            };
            d.span = span;
            Err(d)
        }
    }
}

/// The JSON fast path: a text that is one valid JSON object or array (what
/// the API server sends the webhook, what `-o json` prints) is read by
/// serde_json, several times faster than the YAML reader, into the value the
/// YAML reader builds (JSON is YAML). The YAML reader's limits hold before
/// any value is built: a text with more structural characters than
/// [`Limits::max_nodes`] (every node but the first follows a `,`, `:`, `[`
/// or `{`) is left to the YAML reader, which stops at the limit while
/// reading; nesting and scalar bytes are checked on the value. What the YAML
/// reader would refuse or read differently (a duplicate key, a negative zero)
/// and anything not valid JSON also take the YAML path, which reports it
/// with its place.
fn parse_json(text: &str, limits: &Limits) -> Option<Vec<Value>> {
    let start = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if !start.starts_with(['{', '[']) {
        return None;
    }
    let structural = start.bytes().filter(|b| matches!(b, b',' | b':' | b'[' | b'{')).count();
    if structural >= limits.max_nodes {
        return None;
    }
    let mut reader = serde_json::Deserializer::from_str(start);
    let value = serde::de::DeserializeSeed::deserialize(StrictJson, &mut reader).ok()?;
    reader.end().ok()?;
    let mut scalar_bytes = 0usize;
    let mut stack = vec![(&value, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        match v {
            Value::Object(map) => {
                if depth > limits.max_depth {
                    return None;
                }
                for (k, item) in map {
                    scalar_bytes += k.len();
                    stack.push((item, depth + 1));
                }
            }
            Value::Array(items) => {
                if depth > limits.max_depth {
                    return None;
                }
                stack.extend(items.iter().map(|item| (item, depth + 1)));
            }
            Value::String(s) => scalar_bytes += s.len(),
            Value::Number(n) if n.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative()) => return None,
            Value::Number(_) | Value::Bool(_) | Value::Null => scalar_bytes += 5,
        }
        if scalar_bytes > limits.max_scalar_bytes {
            return None;
        }
    }
    Some(if value.is_null() { Vec::new() } else { vec![value] })
}

/// A JSON value, refusing duplicate keys (as the YAML reader does).
struct StrictJson;

impl<'de> serde::de::DeserializeSeed<'de> for StrictJson {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictJson {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictJson)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(StrictJson)?;
            if out.insert(key, value).is_some() {
                return Err(serde::de::Error::custom("duplicate key"));
            }
        }
        Ok(Value::Object(out))
    }
}

fn budget_breach(e: &serde_saphyr::Error) -> Option<&BudgetBreach> {
    match e {
        serde_saphyr::Error::Budget { breach, .. } => Some(breach),
        serde_saphyr::Error::AliasError { error, .. } | serde_saphyr::Error::WithSnippet { error, .. } => {
            budget_breach(error)
        }
        _ => None,
    }
}

/// The reader's budget breach, said in the words of [`Limits`].
fn breach_diagnostic(breach: &BudgetBreach, input: Input) -> Diagnostic {
    let l = Limits::DEFAULT;
    let (what, found, limit) = match *breach {
        BudgetBreach::Documents { documents } => ("documents", documents, l.max_documents),
        BudgetBreach::Nodes { nodes } => ("YAML nodes", nodes, l.max_nodes),
        BudgetBreach::Depth { depth } => ("levels of nesting", depth, l.max_depth),
        BudgetBreach::Aliases { aliases } => ("alias uses (*name)", aliases, l.max_aliases),
        BudgetBreach::ScalarBytes { total_scalar_bytes } => {
            ("bytes of scalars", total_scalar_bytes, l.max_scalar_bytes)
        }
        _ => {
            return Diagnostic::pod(
                Severity::Error,
                Code::LimitExceeded,
                "",
                format!("the input exceeds a limit of the YAML reader ({})", escape_text(&format!("{breach:?}"))),
            )
            .on(input)
            .help("anchors, aliases and merge keys are bounded; write the values out");
        }
    };
    limits::exceeded(input, "", what, found, limit)
}

/// True for a `kind: List` (as `kubectl get -o yaml` prints it) or a typed
/// list (`ConfigMapList`, `PodList`, …) with an `items` array.
pub fn is_list(doc: &Value) -> bool {
    doc.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List"))
        && doc.get("items").is_some_and(Value::is_array)
}

/// The documents of a stream with every List replaced by its items, each
/// with the document it came from (counted from 0) and the pointer of the
/// object inside that document (`""`, or `/items/N` for a List's item), so
/// a diagnostic about an item is placed in the List.
pub fn flatten_lists(docs: Vec<Value>) -> Vec<(Value, usize, String)> {
    let mut out = Vec::with_capacity(docs.len());
    for (i, doc) in docs.into_iter().enumerate() {
        if is_list(&doc) {
            let Value::Object(mut map) = doc else { continue };
            let Some(Value::Array(items)) = map.remove("items") else { continue };
            out.extend(items.into_iter().enumerate().map(|(j, item)| (item, i, format!("/items/{j}"))));
        } else {
            out.push((doc, i, String::new()));
        }
    }
    out
}

/// The error for a document without `kind` where one is needed (pointer
/// `/kind`, in `input`).
pub fn missing_kind(input: Input) -> Diagnostic {
    Diagnostic::pod(Severity::Error, Code::MissingField, "/kind", "the document has no `kind`")
        .on(input)
        .help("add `kind: Pod` (or Deployment, StatefulSet, Job, CronJob, …) and its `apiVersion`")
}

/// `Kind/name` of a document, for saying what an input holds.
pub fn describe_document(doc: &Value) -> String {
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("(no kind)");
    match doc.pointer("/metadata/name").and_then(Value::as_str) {
        Some(name) => format!("{kind}/{name}"),
        None => kind.to_string(),
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
        let message = plain_schema_message(&first_line(&e.inner().to_string()));
        Diagnostic::pod(Severity::Error, Code::Schema, pointer, message).on(input)
    })
}

/// serde's `invalid type: string "http", expected i32` in a user's words,
/// and without the value: `expected an integer, found a string`. The value
/// is left out on purpose: it may be a Secret's (an unquoted number in
/// `stringData`), and the pointer already says where it is.
fn plain_schema_message(message: &str) -> String {
    let Some(rest) = message.strip_prefix("invalid type: ").or_else(|| message.strip_prefix("invalid value: ")) else {
        return escape_text(message).into_owned();
    };
    let Some((found, expected)) = rest.rsplit_once(", expected ") else {
        return "the value has the wrong type".to_string();
    };
    let kind = found.split(['`', '"']).next().unwrap_or_default().trim();
    let found = match kind {
        "string" => "a string",
        "integer" => "an integer",
        "floating point" => "a number with a fraction",
        "boolean" => "a boolean",
        "sequence" => "a list",
        "map" => "a mapping",
        "unit value" | "unit" | "Option value" | "null" => "null",
        "character" => "a character",
        _ => "another kind of value",
    };
    let same_kind = message.starts_with("invalid value: ");
    let expected = match expected.trim() {
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer",
        "u8" | "u16" | "u32" | "u64" | "usize" => "a non-negative integer",
        "f32" | "f64" => "a number",
        "a boolean" | "bool" => "true or false",
        "a sequence" => "a list",
        e if e.starts_with("struct ") || e == "a map" => "a mapping",
        e if same_kind => return format!("expected {}; this value is not one", escape_text(e)),
        e => return format!("expected {}, found {found}", escape_text(e)),
    };
    if same_kind {
        format!("expected {expected}; this value is out of range")
    } else {
        format!("expected {expected}, found {found}")
    }
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
    let typed = crate::json::to_value(pod);
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
            let relative = pointer.strip_prefix(source.template_pointer.as_str()).unwrap_or(&pointer);
            let tokens: Vec<String> = relative.split('/').skip(1).map(unescape_token).collect();
            let (name, parent) = tokens.split_last().map_or(("", &[][..]), |(n, p)| (n.as_str(), p));
            let parent: Vec<&str> = parent.iter().map(String::as_str).collect();
            let suggestion = closest_field(name, schema_fields_at(&parent));
            let mut d = unknown_field(pointer.clone());
            match suggestion {
                Some(known) => {
                    if let Some(effect) = misspelling_effect(known, &parent) {
                        d.message = format!("unknown field `{name}`; it is ignored, so {effect}");
                    }
                    d.help(format!("did you mean `{known}`? (kubectl --validate=strict rejects unknown fields)"))
                }
                None => d.help("check the spelling: Kubernetes rejects unknown fields with kubectl --validate=strict"),
            }
        })
        .collect()
}

fn unescape_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The field names the Kubernetes schema gives `T`: what its deserializer
/// asks for (k8s-openapi's types list their JSON names).
fn schema_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::Visitor;

    struct Grab(Option<&'static [&'static str]>);
    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("stop")
        }
    }
    impl std::error::Error for Stop {}
    impl serde::de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Stop {
            Stop
        }
    }
    impl<'de> serde::Deserializer<'de> for &mut Grab {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0 = Some(fields);
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut grab = Grab(None);
    let _ = T::deserialize(&mut grab);
    grab.0.unwrap_or(&[])
}

/// The schema's field names of the object at `parent` (pod-relative tokens).
fn schema_fields_at(parent: &[&str]) -> &'static [&'static str] {
    use k8s_openapi::api::core::v1 as core;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    let is_index = |t: &str| t.parse::<usize>().is_ok();
    match parent {
        [] => schema_fields::<Pod>(),
        ["metadata"] => schema_fields::<ObjectMeta>(),
        ["spec"] => schema_fields::<core::PodSpec>(),
        ["spec", "securityContext"] => schema_fields::<core::PodSecurityContext>(),
        ["spec", "volumes", i] if is_index(i) => schema_fields::<core::Volume>(),
        ["spec", "containers" | "initContainers", i, rest @ ..] if is_index(i) => match rest {
            [] => schema_fields::<core::Container>(),
            ["resources"] => schema_fields::<core::ResourceRequirements>(),
            ["securityContext"] => schema_fields::<core::SecurityContext>(),
            ["livenessProbe" | "readinessProbe" | "startupProbe"] => schema_fields::<core::Probe>(),
            ["ports", j] if is_index(j) => schema_fields::<core::ContainerPort>(),
            ["env", j] if is_index(j) => schema_fields::<core::EnvVar>(),
            ["envFrom", j] if is_index(j) => schema_fields::<core::EnvFromSource>(),
            ["volumeMounts", j] if is_index(j) => schema_fields::<core::VolumeMount>(),
            _ => &[],
        },
        _ => &[],
    }
}

/// The known field `name` is most likely a misspelling of: the same
/// ignoring case, or within two edits (and fewer than half its letters).
fn closest_field(name: &str, known: &'static [&'static str]) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let limit = 2.min(name.chars().count().saturating_sub(1) / 2);
    let folded: Vec<String> = known.iter().map(|k| k.to_ascii_lowercase()).collect();
    let near = crate::text::closest(&lower, folded.iter().map(String::as_str), |_| limit)?;
    known.iter().zip(&folded).find(|(_, f)| f.as_str() == near).map(|(k, _)| *k)
}

/// What is lost when the field meant to be `known` (under `parent`) is ignored,
/// where that changes the request.
fn misspelling_effect(known: &str, parent: &[&str]) -> Option<String> {
    let default = format!(
        "ECI sizes the pod without them ({} vCPU / {} GiB when no container sets any)",
        crate::sizing::DEFAULT_CPU_MILLIS / 1000,
        crate::sizing::DEFAULT_MEMORY_BYTES >> 30
    );
    match (known, parent) {
        ("resources", ["spec", "containers" | "initContainers", _]) => {
            Some(format!("this container's requests and limits are not read: {default}"))
        }
        ("resources", ["spec"]) => Some("the pod-level requests and limits are not read".to_string()),
        ("requests" | "limits", [.., "resources"]) => Some(format!("these {known} are not read: {default}")),
        _ => None,
    }
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

/// A StatefulSet's pods get one volume per `volumeClaimTemplates` entry,
/// named like the template and bound to the claim
/// `<template>-<statefulset>-<ordinal>` (the StatefulSet controller adds
/// them; a volume of the same name in the template wins). The pod read from
/// the template is ordinal 0's.
fn add_claim_volumes(doc: &Value, pod: &mut Value) {
    let set = doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("statefulset");
    let Some(templates) = doc.pointer("/spec/volumeClaimTemplates").and_then(Value::as_array) else { return };
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else { return };
    let volumes = spec.entry("volumes").or_insert_with(|| Value::Array(Vec::new()));
    let Some(volumes) = volumes.as_array_mut() else { return };
    for template in templates {
        let Some(name) = template.pointer("/metadata/name").and_then(Value::as_str) else { continue };
        if volumes.iter().any(|v| v.get("name").and_then(Value::as_str) == Some(name)) {
            continue;
        }
        volumes
            .push(serde_json::json!({"name": name, "persistentVolumeClaim": {"claimName": format!("{name}-{set}-0")}}));
    }
}

/// Reads a Pod, or the pod template of a Deployment, StatefulSet, Job,
/// CronJob, … A template gets the workload's namespace, a name derived from
/// the workload (`<name>-template`) and, for a DaemonSet, the owner
/// reference that makes translation reject it.
pub fn pod_from_document(doc: &Value) -> Result<(Pod, PodSource), Diagnostic> {
    let Some(kind) = doc.get("kind").and_then(Value::as_str).map(str::to_string) else {
        return Err(missing_kind(Input::Pod));
    };
    let template_pointer = WORKLOAD_TEMPLATES.iter().find(|(k, _)| *k == kind).map_or("", |(_, p)| *p);
    if let Some(breach) = crate::limits::check_pod_document(doc, template_pointer) {
        return Err(breach);
    }
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
    if kind == "StatefulSet" {
        add_claim_volumes(doc, &mut pod_value);
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

    /// The YAML reader alone, for comparing the JSON fast path with it.
    fn read_as_yaml(text: &str) -> Result<Vec<Value>, String> {
        let mut options = serde_saphyr::Options::default();
        options.legacy_octal_numbers = true;
        serde_saphyr::from_multiple_with_options::<Value>(text, options)
            .map(|docs| docs.into_iter().filter(|d| !d.is_null()).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn json_texts_read_as_the_yaml_reader_reads_them() {
        for text in [
            r#"{"a": 1, "b": [true, null, 1.5, -2, "x\u00e9\n"], "c": {"d": {}}, "e": 18446744073709551615}"#,
            "[1, 2.0, 1e3, -1.25e-2, \"\"]",
            "\u{feff} {\"apiVersion\": \"v1\", \"kind\": \"Pod\"}",
        ] {
            assert!(parse_json(text, &Limits::DEFAULT).is_some(), "fast path for {text}");
            let yaml = read_as_yaml(text).expect("the YAML reader reads it");
            assert_eq!(parse_documents(text, Input::Pod).expect("read"), yaml, "{text}");
        }
    }

    #[test]
    fn what_the_yaml_reader_refuses_or_reads_otherwise_takes_the_yaml_path() {
        for text in [r#"{"a": 1, "a": 2}"#, r#"{"a": -0}"#, r#"{"a": [1,]}"#, "{\"a\": 0644}"] {
            assert!(parse_json(text, &Limits::DEFAULT).is_none(), "{text}");
        }
        assert!(parse_documents(r#"{"a": 1, "a": 2}"#, Input::Pod).is_err(), "a duplicate key is an error");
        // Over the node limit by structure: the YAML reader reports the limit, nothing is built first.
        let many = format!("[{}0]", "0,".repeat(Limits::DEFAULT.max_nodes));
        assert!(parse_json(&many, &Limits::DEFAULT).is_none());
        assert_eq!(parse_documents(&many, Input::Pod).unwrap_err().code, Code::LimitExceeded);
    }

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
    fn schema_messages_never_echo_the_value() {
        assert_eq!(
            plain_schema_message("invalid type: string \"http\", expected i32"),
            "expected an integer, found a string"
        );
        assert_eq!(
            plain_schema_message("invalid type: integer `8675309`, expected a string"),
            "expected a string, found an integer"
        );
        assert_eq!(
            plain_schema_message("invalid value: integer `-1`, expected u32"),
            "expected a non-negative integer; this value is out of range"
        );
        assert_eq!(plain_schema_message("invalid type: map, expected a sequence"), "expected a list, found a mapping");
        assert!(!plain_schema_message("invalid type: floating point `3.14159`, expected a string").contains("3.14"));
    }

    #[test]
    fn lists_are_their_items_with_their_place() {
        let docs = parse_documents(
            "kind: List\nitems:\n- {kind: ConfigMap}\n- {kind: Pod}\n---\nkind: Secret\n---\nkind: List\nitems: []\n",
            Input::Stream,
        )
        .unwrap();
        let flat: Vec<(String, usize, String)> = flatten_lists(docs)
            .into_iter()
            .map(|(d, i, p)| (d["kind"].as_str().unwrap_or_default().to_string(), i, p))
            .collect();
        assert_eq!(
            flat,
            [
                ("ConfigMap".into(), 0, "/items/0".into()),
                ("Pod".into(), 0, "/items/1".into()),
                ("Secret".into(), 1, String::new())
            ]
        );
    }

    #[test]
    fn a_document_without_kind_is_not_a_pod() {
        let doc =
            parse_document("metadata: {name: p}\nspec: {containers: [{name: a, image: b}]}\n", Input::Pod).unwrap();
        let d = pod_from_document(&doc).unwrap_err();
        assert_eq!((d.code, d.pointer.as_str()), (Code::MissingField, "/kind"));
    }

    #[test]
    fn misspelled_fields_get_the_schema_name() {
        let doc = parse_document(
            "kind: Pod\nmetadata: {name: p, lables: {a: b}}\nspec:\n  containers:\n  - {name: a, image: b, resource: {}, imagePullPolcy: Always, zzz: 1}\n",
            Input::Pod,
        )
        .unwrap();
        let (pod, source) = pod_from_document(&doc).unwrap();
        let found = unknown_pod_fields(&doc, &pod, &source);
        let help = |p: &str| found.iter().find(|d| d.pointer == p).and_then(|d| d.help.clone()).unwrap_or_default();
        assert!(help("/metadata/lables").contains("`labels`"));
        assert!(help("/spec/containers/0/imagePullPolcy").contains("`imagePullPolicy`"));
        assert!(help("/spec/containers/0/resource").contains("`resources`"));
        assert!(!help("/spec/containers/0/zzz").contains("did you mean"));
        let resource = found.iter().find(|d| d.pointer == "/spec/containers/0/resource").unwrap();
        assert!(resource.message.contains("not read"), "{}", resource.message);
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
        let sts = parse_document(
            "kind: StatefulSet\nmetadata: {name: db}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: x, volumeMounts: [{name: data, mountPath: /d}]}]\n  volumeClaimTemplates:\n  - metadata: {name: data}\n",
            Input::Pod,
        )
        .unwrap();
        let (pod, _) = pod_from_document(&sts).unwrap();
        let volume = &pod.spec.as_ref().and_then(|s| s.volumes.as_ref()).unwrap()[0];
        assert_eq!(volume.name, "data");
        assert_eq!(volume.persistent_volume_claim.as_ref().map(|c| c.claim_name.as_str()), Some("data-db-0"));
        let bad = parse_document("kind: Service\n", Input::Pod).unwrap();
        assert!(pod_from_document(&bad).is_err());
    }
}
