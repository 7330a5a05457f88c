//! Kubernetes labels and names: syntax, label-selector matching and the
//! selector string form (`app=web,tier in (a,b),!legacy`) the scale
//! subresource reports. Shared by the profile, admission, elastic workloads,
//! overflow and unit priority.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};

/// True when `selector` matches `labels`, with Kubernetes' semantics: every
/// `matchLabels` pair and every expression must hold (`In`: present with one
/// of the values; `NotIn`: absent or none of them; `Exists`; `DoesNotExist`);
/// an empty selector matches everything; a selector with an unknown operator
/// matches nothing.
pub fn label_selector_matches(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let pairs = selector.match_labels.iter().flatten().all(|(k, v)| labels.get(k) == Some(v));
    pairs
        && selector.match_expressions.iter().flatten().all(|e| {
            let value = labels.get(&e.key);
            let values = e.values.as_deref().unwrap_or_default();
            match e.operator.as_str() {
                "In" => value.is_some_and(|v| values.contains(v)),
                "NotIn" => value.is_none_or(|v| !values.contains(v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
}

/// A label name: an optional DNS-subdomain prefix and `/`, then 1–63
/// characters of `[A-Za-z0-9-_.]` starting and ending alphanumeric.
pub fn is_label_key(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
    });
    prefix_ok && !name.is_empty() && is_label_value(name)
}

/// A label value: empty, or 1–63 characters of `[A-Za-z0-9-_.]` starting and
/// ending alphanumeric.
pub fn is_label_value(value: &str) -> bool {
    value.is_empty()
        || (value.len() <= 63
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            && value.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
            && value.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric))
}

/// Errors for the keys and values of `labels` (at `at` in `input`) that are
/// not valid label names or values.
pub fn check_labels(labels: &BTreeMap<String, String>, at: &Pointer, input: Input, diags: &mut Vec<Diagnostic>) {
    let diag =
        |code, ptr: &Pointer, message: String| Diagnostic::pod(Severity::Error, code, ptr, message).on(input.clone());
    for (k, v) in labels {
        if !is_label_key(k) {
            diags.push(diag(Code::InvalidValue, &at.key(k), format!("`{k}` is not a valid label key")));
        }
        if !is_label_value(v) {
            diags.push(
                diag(Code::InvalidValue, &at.key(k), format!("`{v}` is not a valid label value"))
                    .help("label values are at most 63 characters of letters, digits, `-`, `_` and `.`, starting and ending alphanumeric"),
            );
        }
    }
}

/// A DNS label (RFC 1123): 1–63 lowercase letters, digits and `-`, starting
/// and ending alphanumeric. Names of Services, namespaces, containers.
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// A DNS subdomain (RFC 1123): at most 253 characters of dot-separated DNS
/// labels. Names of Deployments, ConfigMaps and most objects.
pub fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// The string form of a label selector, as `metav1.FormatLabelSelector`
/// writes it for `/scale` (`status.selector`): `matchLabels` as `k=v`, then
/// expressions as `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, comma-separated.
pub fn selector_string(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> = selector.match_labels.iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
    for e in selector.match_expressions.iter().flatten() {
        let mut values = e.values.clone().unwrap_or_default();
        values.sort();
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({})", e.key, values.join(",")),
            "NotIn" => format!("{} notin ({})", e.key, values.join(",")),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            other => format!("{} {other} ({})", e.key, values.join(",")),
        });
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    #[test]
    fn selector_strings_read_like_kubectl() {
        let selector = LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            match_expressions: Some(vec![
                LabelSelectorRequirement {
                    key: "tier".into(),
                    operator: "In".into(),
                    values: Some(vec!["b".into(), "a".into()]),
                },
                LabelSelectorRequirement { key: "legacy".into(), operator: "DoesNotExist".into(), values: None },
            ]),
        };
        assert_eq!(selector_string(&selector), "app=web,tier in (a,b),!legacy");
        assert!(is_dns_subdomain("nginx-deployment-basic-unit-virtual-kubelet"));
        assert!(!is_dns_subdomain("Nginx") && !is_dns_label("a.b") && is_dns_label("virtual-kubelet"));
    }
}
