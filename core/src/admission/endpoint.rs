//! The webhook endpoint: one request body in, one response body out — the
//! single code path behind `eci-bridge admit -o review` and the `/mutate`
//! route of `eci-bridge serve`, so the two can never answer differently.
//!
//! The body is read by the same reader as every other input (the core's
//! input limits apply: no review can make admission slow), must be one
//! `AdmissionReview` (v1 or v1beta1) with a request uid, and is answered in
//! the version it came in. What the daemon logs about a review is a
//! [`ReviewSummary`]: identities and counts, never a value from the pod.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{Admission, AdmissionCase, AdmissionOptions, Decision};
use crate::diagnostics::{Code, Diagnostic, Input, Severity};
use crate::profile::EciProfile;

/// The response body for an answered review: the review, pretty-printed,
/// with a final newline (what `eci-bridge admit` prints, byte for byte).
pub fn review_body(admission: &Admission) -> String {
    let value = crate::json::to_value(&admission.review);
    let mut body = serde_json::to_string_pretty(&value).unwrap_or_default();
    body.push('\n');
    body
}

/// How a review ended, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Allowed with a non-empty patch.
    Patched,
    /// Allowed unchanged (not routed, skipped, or already mutated).
    Allowed,
    /// Denied.
    Denied,
    /// Not a review the webhook can answer (HTTP 400).
    Invalid,
}

impl Outcome {
    /// Every outcome, in the order metrics list them.
    pub const ALL: [Outcome; 4] = [Outcome::Patched, Outcome::Allowed, Outcome::Denied, Outcome::Invalid];

    /// The label value (`patched`, `allowed`, `denied`, `invalid`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Patched => "patched",
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Invalid => "invalid",
        }
    }
}

/// What may be logged about one review: identities and counts only. The
/// pod's env, its Secrets and the patch's values never appear here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewSummary {
    /// The request uid.
    pub uid: String,
    /// The namespace.
    pub namespace: String,
    /// The object's name (empty for generateName pods at admission time).
    pub name: String,
    /// The object's generateName.
    pub generate_name: String,
    /// CREATE, UPDATE, …
    pub operation: String,
    /// The decision (`routed`, `not-routed`, `skipped`, `overflow`, `denied`).
    pub decision: String,
    /// Number of JSON-patch operations sent back.
    pub patch_operations: usize,
    /// Number of warnings sent back.
    pub warnings: usize,
    /// Why the body is not a review ([`Outcome::Invalid`]): places and
    /// types, never the body's values.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub problem: String,
}

/// The webhook's answer to one request body.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Answer {
    /// The outcome.
    pub outcome: Outcome,
    /// The response body (a review, or for [`Outcome::Invalid`] a
    /// Kubernetes `Status` naming the problem).
    pub body: String,
    /// What the log line may say.
    pub summary: ReviewSummary,
    /// The admission, when the body was a review.
    pub admission: Option<Admission>,
}

impl Answer {
    /// An answer made elsewhere (a daemon's memo of an earlier answer).
    pub fn new(outcome: Outcome, body: String, summary: ReviewSummary, admission: Option<Admission>) -> Answer {
        Answer { outcome, body, summary, admission }
    }
}

/// What the endpoint needs besides the body: the loaded eci-profile, the
/// webhook's settings and the labels of a namespace by name.
pub struct Endpoint<'a> {
    /// The eci-profile, when one is loaded.
    pub profile: Option<&'a EciProfile>,
    /// Webhook settings.
    pub options: &'a AdmissionOptions,
    /// Labels of a namespace (empty when unknown).
    pub namespace_labels: &'a dyn Fn(&str) -> BTreeMap<String, String>,
}

impl std::fmt::Debug for Endpoint<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").field("profile", &self.profile).field("options", &self.options).finish()
    }
}

impl Endpoint<'_> {
    /// Answers one request body.
    pub fn answer(&self, body: &str) -> Answer {
        match read_review(body) {
            Ok(case) => self.admit(&case),
            Err(d) => Answer::invalid(&d),
        }
    }

    /// Answers a case read elsewhere (the CLI's stream, which may also carry
    /// the profile and the namespace): the endpoint's profile, options and
    /// namespace labels are used where the case has none.
    pub fn admit(&self, case: &AdmissionCase) -> Answer {
        let looked_up;
        let labels = if case.namespace_labels.is_empty() {
            looked_up = (self.namespace_labels)(&case.namespace());
            &looked_up
        } else {
            &case.namespace_labels
        };
        let profile = case.profile.as_ref().or(self.profile);
        let mut admission = super::admit(&case.review, profile, labels, self.options);
        let mut diagnostics = case.diagnostics.clone();
        diagnostics.append(&mut admission.diagnostics);
        admission.diagnostics = diagnostics;
        answered(case, admission)
    }
}

/// Reads a request body: one `AdmissionReview` with a request uid.
pub fn read_review(body: &str) -> Result<AdmissionCase, Diagnostic> {
    let docs = crate::input::parse_documents(body, Input::Request)?;
    let refuse = |message: &str| {
        Err(Diagnostic::pod(Severity::Error, Code::Schema, "", message.to_string())
            .on(Input::Request)
            .help("the webhook takes one AdmissionReview (admission.k8s.io/v1 or v1beta1), as the API server sends it"))
    };
    match docs.as_slice() {
        [doc] if doc.get("kind").and_then(Value::as_str) == Some("AdmissionReview") => {
            AdmissionCase::from_documents(&docs)
        }
        [_] => refuse("the body is not an AdmissionReview"),
        [] => refuse("the body is empty"),
        _ => refuse("the body holds more than one document"),
    }
}

fn answered(case: &AdmissionCase, admission: Admission) -> Answer {
    let request = case.review.request.as_ref();
    let object = request.and_then(|r| r.object.as_ref());
    let meta = |field: &str| {
        object.and_then(|o| o.pointer(&format!("/metadata/{field}"))).and_then(Value::as_str).unwrap_or("").to_string()
    };
    let response = admission.review.response.as_ref();
    let outcome = match response {
        Some(r) if !r.allowed => Outcome::Denied,
        _ if !admission.patch.0.is_empty() => Outcome::Patched,
        _ => Outcome::Allowed,
    };
    let decision = match &admission.decision {
        Decision::Skipped { .. } => "skipped",
        Decision::NotRouted => "not-routed",
        Decision::Routed { .. } => "routed",
        Decision::Overflow => "overflow",
        Decision::Denied { .. } => "denied",
    };
    let summary = ReviewSummary {
        uid: request.map(|r| r.uid.clone()).unwrap_or_default(),
        namespace: case.namespace(),
        name: request.and_then(|r| r.name.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| meta("name")),
        generate_name: meta("generateName"),
        operation: request.map(|r| r.operation.clone()).unwrap_or_default(),
        decision: decision.into(),
        patch_operations: admission.patch.0.len(),
        warnings: response.map_or(0, |r| r.warnings.len()),
        problem: String::new(),
    };
    Answer { outcome, body: review_body(&admission), summary, admission: Some(admission) }
}

impl Answer {
    /// A Kubernetes `Status` (code 400) naming why a body is not a review.
    /// The diagnostic's message never quotes the body's values (the
    /// reader's messages name places and types, not content).
    pub fn invalid(d: &Diagnostic) -> Answer {
        let status = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Status",
            "status": "Failure",
            "reason": "BadRequest",
            "code": 400,
            "message": d.to_string(),
        });
        let mut body = serde_json::to_string(&status).unwrap_or_default();
        body.push('\n');
        let summary = ReviewSummary { problem: d.to_string(), ..ReviewSummary::default() };
        Answer { outcome: Outcome::Invalid, body, summary, admission: None }
    }
}
