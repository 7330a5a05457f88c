//! An admission case: one YAML stream with a review (or a bare pod) and what
//! the webhook needs — the eci-profile, the namespace's labels, webhook
//! settings and cluster settings. Fixtures, the CLI and the playground read it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Admission, AdmissionOptions, AdmissionReview, admit, review_for_pod};
use crate::diagnostics::{Code, Diagnostic, Input, Severity};
use crate::input::{WORKLOAD_TEMPLATES, from_value, pod_from_document};
use crate::profile::{EciProfile, parse_profile};

/// The kind of the webhook-settings document.
pub const ADMISSION_SETTINGS_KIND: &str = "AdmissionSettings";

/// Everything one admission needs.
#[derive(Debug, Clone)]
pub struct AdmissionCase {
    /// The review.
    pub review: AdmissionReview,
    /// The profile.
    pub profile: Option<EciProfile>,
    /// Labels of the request's namespace.
    pub namespace_labels: BTreeMap<String, String>,
    /// Webhook settings.
    pub options: AdmissionOptions,
    /// Problems found in the other documents.
    pub diagnostics: Vec<Diagnostic>,
}

fn meta<'a>(doc: &'a Value, field: &str) -> Option<&'a str> {
    doc.get("metadata").and_then(|m| m.get(field)).and_then(Value::as_str)
}

/// What the API server always sends, refused when absent: a known
/// `apiVersion`, a `request`, and its `uid` (the response must echo it, or
/// the API server rejects the answer). Answering `allowed: true` with an
/// empty uid to such a review would hide the caller's mistake.
pub fn check_review(review: &AdmissionReview) -> Result<(), Diagnostic> {
    let error = |pointer: &str, message: String, help: &str| {
        Err(Diagnostic::pod(Severity::Error, Code::Schema, pointer, message).on(Input::Request).help(help))
    };
    if review.api_version != super::review::V1 && review.api_version != super::review::V1BETA1 {
        return error(
            "/apiVersion",
            format!("`{}` is not an AdmissionReview version", review.api_version),
            "the API server sends admission.k8s.io/v1 (or v1beta1 to old webhooks)",
        );
    }
    let Some(request) = &review.request else {
        return error(
            "/request",
            "the review has no request".into(),
            "the API server puts the object to admit under `request`",
        );
    };
    if request.uid.is_empty() {
        return error("/request/uid", "the request has no uid".into(), "the response must echo the request's uid");
    }
    Ok(())
}

fn namespace_of(review: &AdmissionReview) -> String {
    let request = review.request.as_ref();
    request
        .and_then(|r| r.namespace.clone())
        .or_else(|| request.and_then(|r| r.object.as_ref()).and_then(|o| meta(o, "namespace").map(String::from)))
        .unwrap_or_else(|| "default".into())
}

impl AdmissionCase {
    /// Reads a case from decoded documents.
    pub fn from_documents(docs: &[Value]) -> Result<AdmissionCase, Diagnostic> {
        let kind = |d: &Value| d.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
        let index = docs
            .iter()
            .position(|d| {
                let k = kind(d);
                k == "AdmissionReview" || k == "Pod" || WORKLOAD_TEMPLATES.iter().any(|(w, _)| *w == k)
            })
            .ok_or_else(|| {
                // A document without `kind` is not taken for a Pod: it is pointed at.
                if docs.iter().any(|d| d.get("kind").is_none()) {
                    return crate::input::missing_kind(Input::Pod);
                }
                Diagnostic::pod(Severity::Error, Code::MissingField, "", "no AdmissionReview or Pod in the input")
                    .help("give an AdmissionReview as the API server sends it, or a Pod")
            })?;
        let first = &docs[index];
        let review = match kind(first).as_str() {
            "AdmissionReview" => {
                let review = from_value::<AdmissionReview>(first, Input::Request)?;
                check_review(&review)?;
                review
            }
            "Pod" => review_for_pod(first),
            _ => {
                let (pod, _) = pod_from_document(first)?;
                review_for_pod(&crate::json::to_value(&pod))
            }
        };
        let namespace = namespace_of(&review);
        let mut case = AdmissionCase {
            review,
            profile: None,
            namespace_labels: BTreeMap::new(),
            options: AdmissionOptions::default(),
            diagnostics: Vec::new(),
        };
        for (i, doc) in docs.iter().enumerate() {
            if i == index {
                continue;
            }
            let label = Input::Object(format!("document {}", i + 1));
            match kind(doc).as_str() {
                "ConfigMap" if crate::profile::is_profile_document(doc) => {
                    let (profile, diags) = parse_profile(doc);
                    case.profile = Some(profile);
                    case.diagnostics.extend(diags);
                }
                "Namespace" if meta(doc, "name") == Some(namespace.as_str()) => {
                    case.namespace_labels = namespace_labels(doc);
                }
                "Namespace" => {}
                ADMISSION_SETTINGS_KIND => match settings_from_document(doc, label) {
                    Ok((options, diags)) => {
                        case.diagnostics.extend(diags);
                        case.options = AdmissionOptions { cluster: case.options.cluster.clone(), ..options }
                    }
                    Err(d) => case.diagnostics.push(d),
                },
                crate::cluster::CLUSTER_SETTINGS_KIND => {
                    let (settings, diags) = crate::cluster::parse_cluster_document(doc);
                    if let Some(s) = settings {
                        case.options.cluster = s;
                    }
                    case.diagnostics.extend(diags);
                }
                other => case.diagnostics.push(
                    Diagnostic::pod(
                        Severity::Warning,
                        Code::Schema,
                        "/kind",
                        format!("`{other}` is not used by admission; ignored"),
                    )
                    .on(label),
                ),
            }
        }
        Ok(case)
    }

    /// The request's namespace (or the object's; `default` when neither says).
    pub fn namespace(&self) -> String {
        namespace_of(&self.review)
    }

    /// Runs the webhook.
    pub fn admit(&self) -> Admission {
        let mut a = admit(&self.review, self.profile.as_ref(), &self.namespace_labels, &self.options);
        let mut diagnostics = self.diagnostics.clone();
        diagnostics.append(&mut a.diagnostics);
        a.diagnostics = diagnostics;
        a
    }
}

/// Webhook settings from an `AdmissionSettings` document (`settings:`
/// holds [`AdmissionOptions`] in camelCase); problems point into it.
pub fn settings_from_document(doc: &Value, at: Input) -> Result<(AdmissionOptions, Vec<Diagnostic>), Diagnostic> {
    let Some(settings) = doc.get("settings") else { return Ok((AdmissionOptions::default(), Vec::new())) };
    let options = from_value::<AdmissionOptions>(settings, at.clone())
        .map_err(|d| Diagnostic { pointer: format!("/settings{}", d.pointer), ..d })?;
    let diags = options
        .check()
        .into_iter()
        .map(|d| Diagnostic { pointer: format!("/settings{}", d.pointer), ..d.on(at.clone()) })
        .collect();
    Ok((options, diags))
}

/// The labels of a Namespace object.
fn namespace_labels(doc: &Value) -> BTreeMap<String, String> {
    doc.pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default()
}

/// Labels by namespace name, from a stream of Namespace objects (what
/// `kubectl get namespaces -o yaml` prints: a `List` of them is read too).
/// Documents of other kinds, and Namespaces without a name, are errors: a
/// namespaces file is written for this purpose, and a typo in it would
/// silently change which pods go to ECI.
pub fn namespaces_from_documents(docs: &[Value]) -> Result<BTreeMap<String, BTreeMap<String, String>>, Diagnostic> {
    let mut out = BTreeMap::new();
    for (i, doc) in docs.iter().enumerate() {
        let at = Input::Object(format!("document {}", i + 1));
        let fail = |pointer: String, message: String| {
            Err(Diagnostic::pod(Severity::Error, Code::Schema, pointer, message)
                .on(at.clone())
                .help("a namespaces file holds Namespace objects (or a List of them) with metadata.name"))
        };
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        let items: Vec<(String, &Value)> = match kind {
            "Namespace" => vec![(String::new(), doc)],
            "List" | "NamespaceList" => match doc.get("items").and_then(Value::as_array) {
                Some(items) => items.iter().enumerate().map(|(j, item)| (format!("/items/{j}"), item)).collect(),
                None => return fail("/items".into(), "the list has no items".into()),
            },
            other => return fail("/kind".into(), format!("`{other}` is not a Namespace")),
        };
        for (prefix, item) in items {
            if item.get("kind").and_then(Value::as_str).is_some_and(|k| k != "Namespace") {
                return fail(format!("{prefix}/kind"), "the item is not a Namespace".into());
            }
            match meta(item, "name") {
                Some(name) if !name.is_empty() => {
                    out.insert(name.to_string(), namespace_labels(item));
                }
                _ => return fail(format!("{prefix}/metadata/name"), "the Namespace has no name".into()),
            }
        }
    }
    Ok(out)
}
