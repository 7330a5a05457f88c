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

impl AdmissionCase {
    /// Reads a case from decoded documents.
    pub fn from_documents(docs: &[Value]) -> Result<AdmissionCase, Diagnostic> {
        let kind = |d: &Value| d.get("kind").and_then(Value::as_str).unwrap_or("Pod").to_string();
        let index = docs
            .iter()
            .position(|d| {
                let k = kind(d);
                k == "AdmissionReview" || k == "Pod" || WORKLOAD_TEMPLATES.iter().any(|(w, _)| *w == k)
            })
            .ok_or_else(|| {
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
                review_for_pod(&serde_json::to_value(&pod).unwrap_or(Value::Null))
            }
        };
        let namespace = review
            .request
            .as_ref()
            .and_then(|r| r.namespace.clone())
            .or_else(|| {
                review
                    .request
                    .as_ref()
                    .and_then(|r| r.object.as_ref())
                    .and_then(|o| meta(o, "namespace").map(String::from))
            })
            .unwrap_or_else(|| "default".into());
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
                    case.namespace_labels = doc
                        .pointer("/metadata/labels")
                        .and_then(Value::as_object)
                        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
                        .unwrap_or_default();
                }
                "Namespace" => {}
                ADMISSION_SETTINGS_KIND => {
                    match doc.get("settings").map(|s| from_value::<AdmissionOptions>(s, label.clone())) {
                        Some(Ok(options)) => {
                            case.diagnostics.extend(options.check().into_iter().map(|d| Diagnostic {
                                pointer: format!("/settings{}", d.pointer),
                                ..d.on(label.clone())
                            }));
                            case.options = AdmissionOptions { cluster: case.options.cluster.clone(), ..options }
                        }
                        Some(Err(d)) => case.diagnostics.push(d),
                        None => {}
                    }
                }
                crate::bundle::CLUSTER_SETTINGS_KIND => {
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

    /// Runs the webhook.
    pub fn admit(&self) -> Admission {
        let mut a = admit(&self.review, self.profile.as_ref(), &self.namespace_labels, &self.options);
        let mut diagnostics = self.diagnostics.clone();
        diagnostics.append(&mut a.diagnostics);
        a.diagnostics = diagnostics;
        a
    }
}
