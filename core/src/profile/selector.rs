//! Profile selectors: matching and validation.
//!
//! A selector matches a pod when its `namespaceSelector` matches the labels
//! of the pod's namespace AND its `objectSelector` matches the pod's labels;
//! an absent part is "don't care" (docs/eci-profile.md#selector-matching).
//! Both parts are standard Kubernetes `LabelSelector`s. The ACK documents show
//! only `matchLabels`; `matchExpressions` is accepted as an extension with
//! the standard semantics (In, NotIn, Exists, DoesNotExist), and said so.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::Value;

use super::Selector;
use crate::annotations::PodAnnotations;
use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};
use crate::explain::InputRef;
pub use crate::labels::{is_label_key, is_label_value, label_selector_matches};

impl Selector {
    /// True when both parts that are set match.
    pub fn matches(&self, pod_labels: &BTreeMap<String, String>, namespace_labels: &BTreeMap<String, String>) -> bool {
        self.namespace_selector.as_ref().is_none_or(|s| label_selector_matches(s, namespace_labels))
            && self.object_selector.as_ref().is_none_or(|s| label_selector_matches(s, pod_labels))
    }

    /// True when the selector has a namespace or object part: it routes pods
    /// to ECI. A selector with only an effect routes nothing; its effect
    /// applies to every pod that goes to ECI (docs/eci-profile.md#selector-without-a-match-part).
    pub fn routes(&self) -> bool {
        self.namespace_selector.is_some() || self.object_selector.is_some()
    }
}

fn diag(severity: Severity, code: Code, pointer: &Pointer, message: impl Into<String>) -> Diagnostic {
    Diagnostic::pod(severity, code, pointer, message).on(Input::Profile)
}

fn check_unknown_keys(raw: &Value, known: &[&str], at: &Pointer, what: &str, diags: &mut Vec<Diagnostic>) {
    for key in raw.as_object().into_iter().flat_map(|m| m.keys()) {
        if !known.contains(&key.as_str()) {
            diags.push(diag(
                Severity::Warning,
                Code::UnknownField,
                &at.key(key),
                format!("unknown {what} field `{key}`; ignored"),
            ));
        }
    }
}

/// Validates one `namespaceSelector`/`objectSelector`.
pub(super) fn validate_label_selector(raw: &Value, sel: &LabelSelector, at: &Pointer, diags: &mut Vec<Diagnostic>) {
    check_unknown_keys(raw, &["matchLabels", "matchExpressions"], at, "label selector", diags);
    if let Some(labels) = &sel.match_labels {
        crate::labels::check_labels(labels, &at.key("matchLabels"), Input::Profile, diags);
    }
    let Some(expressions) = &sel.match_expressions else { return };
    if !expressions.is_empty() {
        diags.push(diag(
            Severity::Info,
            Code::Converted,
            &at.key("matchExpressions"),
            "matchExpressions is an eci-bridge extension (ACK documents only matchLabels); standard LabelSelector semantics apply",
        ));
    }
    for (i, e) in expressions.iter().enumerate() {
        let eat = at.key("matchExpressions").index(i);
        if !is_label_key(&e.key) {
            diags.push(diag(
                Severity::Error,
                Code::InvalidValue,
                &eat.key("key"),
                format!("`{}` is not a valid label key", e.key),
            ));
        }
        let values = e.values.as_deref().unwrap_or_default();
        match e.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => diags.push(diag(
                Severity::Error,
                Code::MissingField,
                &eat.key("values"),
                format!("operator {} needs at least one value", e.operator),
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => diags.push(diag(
                Severity::Error,
                Code::InvalidValue,
                &eat.key("values"),
                format!("operator {} takes no values", e.operator),
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => diags.push(
                diag(Severity::Error, Code::InvalidValue, &eat.key("operator"), format!("unknown operator `{other}`"))
                    .help("In, NotIn, Exists or DoesNotExist"),
            ),
        }
        for (j, v) in values.iter().enumerate() {
            if !is_label_value(v) {
                diags.push(diag(
                    Severity::Error,
                    Code::InvalidValue,
                    &eat.key("values").index(j),
                    format!("`{v}` is not a valid label value"),
                ));
            }
        }
    }
}

/// Validates an `effect`: its annotations against the annotation registry,
/// its labels against the label syntax. What either rejects is reported and
/// removed from the effect: written onto pods, an invalid annotation makes
/// the webhook's next answer differ (an invalid `burst-resource` denies the
/// pod it was just added to; found by fuzzing) and an invalid label fails
/// the pod's creation.
pub(super) fn validate_effect(raw: &Value, effect: &mut super::Effect, at: &Pointer, diags: &mut Vec<Diagnostic>) {
    check_unknown_keys(raw, &["annotations", "labels"], at, "effect", diags);
    let entries: Vec<(String, String, InputRef)> = effect
        .annotations
        .iter()
        .map(|(k, v)| (k.clone(), v.clone(), InputRef::of(Input::Profile, at.key("annotations").key(k))))
        .collect();
    // The pointers of the errors pushed since `before`.
    let rejected = |diags: &[Diagnostic], before: usize| -> Vec<String> {
        diags[before..].iter().filter(|d| d.is_error()).map(|d| d.pointer.clone()).collect()
    };
    let before = diags.len();
    PodAnnotations::parse_entries(&entries, diags);
    let bad = rejected(diags, before);
    effect.annotations.retain(|k, _| !bad.contains(&at.key("annotations").key(k).into()));
    let before = diags.len();
    crate::labels::check_labels(&effect.labels, &at.key("labels"), Input::Profile, diags);
    let bad = rejected(diags, before);
    effect.labels.retain(|k, _| !bad.contains(&at.key("labels").key(k).into()));
    if effect.annotations.is_empty() && effect.labels.is_empty() {
        diags.push(diag(Severity::Warning, Code::MissingField, at, "the effect adds nothing"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_semantics() {
        let labels: BTreeMap<String, String> =
            [("app".to_string(), "web".to_string()), ("tier".to_string(), "1".to_string())].into();
        let sel = |v: serde_json::Value| -> LabelSelector { serde_json::from_value(v).unwrap() };
        assert!(label_selector_matches(&sel(serde_json::json!({})), &labels));
        assert!(label_selector_matches(&sel(serde_json::json!({"matchLabels": {"app": "web"}})), &labels));
        assert!(!label_selector_matches(&sel(serde_json::json!({"matchLabels": {"app": "db"}})), &labels));
        let expr = |op: &str, values: &[&str]| {
            sel(serde_json::json!({"matchExpressions": [{"key": "app", "operator": op, "values": values}]}))
        };
        assert!(label_selector_matches(&expr("In", &["web", "x"]), &labels));
        assert!(!label_selector_matches(&expr("NotIn", &["web"]), &labels));
        assert!(label_selector_matches(
            &sel(serde_json::json!({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]})),
            &labels
        ));
        assert!(label_selector_matches(
            &sel(serde_json::json!({"matchExpressions": [{"key": "app", "operator": "Exists"}]})),
            &labels
        ));
        assert!(!label_selector_matches(
            &sel(serde_json::json!({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]})),
            &labels
        ));
        assert!(!label_selector_matches(&expr("Maybe", &["web"]), &labels), "unknown operators match nothing");
    }

    #[test]
    fn label_syntax() {
        assert!(is_label_key("app") && is_label_key("alibabacloud.com/eci") && is_label_key("a.b-c_d"));
        assert!(!is_label_key("") && !is_label_key("-a") && !is_label_key("Example.COM/x") && !is_label_key("a/"));
        assert!(is_label_value("") && is_label_value("true") && !is_label_value("no spaces") && !is_label_value("-x"));
        assert!(!is_label_value(&"a".repeat(64)));
    }
}
