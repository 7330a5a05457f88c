//! The `MutatingWebhookConfiguration` for a profile.
//!
//! The API server should call the webhook only for pods that can go to ECI.
//! A webhook entry has one `namespaceSelector` and one `objectSelector`
//! (ANDed); the API server calls the webhook when any entry matches. So the
//! configuration has one entry per route: each routing label (pod or
//! namespace) and each profile selector with a namespace or object part,
//! carrying that selector's own parts. The union of the entries is exactly
//! the set of routed pods; the webhook still decides by itself (it evaluates
//! the whole profile), so a pod matching several entries is mutated once and
//! then left alone (the patch is idempotent).
//!
//! `objectSelector` needs Kubernetes ≥ 1.16 (and `admissionregistration/v1`).
//! For older clusters the configuration is `v1beta1`, entries keep only their
//! namespace part (an entry with only an object part matches every pod), and
//! the webhook's own decision does the filtering.
//!
//! Routes the API server cannot see are not covered by default: pods routed
//! only by the `burst-resource` annotation (annotations are not selectable)
//! and pods whose own spec sends them to a virtual node (`nodeName`, or
//! nodeSelector/affinity with the toleration), which get the profile's
//! effects only when the webhook is called for them. `match_all_pods` adds
//! one catch-all entry for them, at the cost of a webhook call per pod
//! creation.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{NAMESPACE_ROUTING_LABELS, POD_ROUTING_LABELS};
use crate::diagnostics::{Code, Diagnostic, Input, Severity};
use crate::profile::EciProfile;
use crate::profile::selector::label_selector_matches;

/// Inputs of the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebhookConfigOptions {
    /// Name of the MutatingWebhookConfiguration (`vk-webhook` in ACK).
    pub name: String,
    /// Namespace of the webhook Service.
    pub service_namespace: String,
    /// Name of the webhook Service.
    pub service_name: String,
    /// Path the webhook serves.
    pub service_path: String,
    /// Port of the Service.
    pub service_port: i32,
    /// PEM bundle that signs the webhook's certificate.
    pub ca_bundle: Option<String>,
    /// `Ignore` (pods are created even when the webhook is down) or `Fail`.
    pub failure_policy: String,
    /// Seconds the API server waits.
    pub timeout_seconds: i32,
    /// Target Kubernetes version, `major.minor`.
    pub kubernetes_version: String,
    /// Add a catch-all entry (burst-resource and pinned pods).
    pub match_all_pods: bool,
}

impl Default for WebhookConfigOptions {
    fn default() -> Self {
        WebhookConfigOptions {
            name: "vk-webhook".into(),
            service_namespace: "kube-system".into(),
            service_name: "eci-bridge-webhook".into(),
            service_path: "/mutate".into(),
            service_port: 443,
            ca_bundle: None,
            failure_policy: "Ignore".into(),
            timeout_seconds: 5,
            kubernetes_version: "1.30".into(),
            match_all_pods: false,
        }
    }
}

/// One way a pod can be routed, as the API server can see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// Where it comes from, in words.
    pub origin: String,
    /// Namespace part (`None` = any namespace).
    pub namespace_selector: Option<LabelSelector>,
    /// Pod part (`None` = any pod).
    pub object_selector: Option<LabelSelector>,
}

fn labels(k: &str, v: &str) -> LabelSelector {
    LabelSelector { match_labels: Some([(k.to_string(), v.to_string())].into()), match_expressions: None }
}

/// Every route of a profile: the routing labels, then the selectors that
/// have a namespace or object part.
pub fn routes(profile: Option<&EciProfile>) -> Vec<Route> {
    let mut out: Vec<Route> = Vec::new();
    for (k, v) in POD_ROUTING_LABELS {
        out.push(Route {
            origin: format!("pod label {k}={v}"),
            namespace_selector: None,
            object_selector: Some(labels(k, v)),
        });
    }
    for (k, v) in NAMESPACE_ROUTING_LABELS {
        out.push(Route {
            origin: format!("namespace label {k}={v}"),
            namespace_selector: Some(labels(k, v)),
            object_selector: None,
        });
    }
    // Two selectors with identical parts need one entry (a set, not a scan: profiles may be long).
    let key =
        |r: &Route| (selector_json(&r.namespace_selector).to_string(), selector_json(&r.object_selector).to_string());
    let mut seen: BTreeSet<(String, String)> = out.iter().map(key).collect();
    for s in profile.map(|p| p.selectors.as_slice()).unwrap_or_default().iter().filter(|s| s.routes()) {
        let route = Route {
            origin: format!("eci-profile selector `{}`", s.name),
            namespace_selector: s.namespace_selector.clone(),
            object_selector: s.object_selector.clone(),
        };
        if seen.insert(key(&route)) {
            out.push(route);
        }
    }
    out
}

/// `(major, minor)` of `1.30`, `v1.16.3`, …
fn version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.trim_end_matches('+').parse().ok()?;
    Some((major, minor))
}

fn slug(text: &str) -> String {
    let s: String =
        text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let s = s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    s.chars().take(40).collect::<String>().trim_end_matches('-').to_string()
}

fn selector_json(s: &Option<LabelSelector>) -> Value {
    s.as_ref().map_or(json!({}), |s| serde_json::to_value(s).unwrap_or(json!({})))
}

/// The options the API server would refuse, as errors: `failurePolicy` is
/// `Ignore` or `Fail`, `timeoutSeconds` 1–30 (admissionregistration/v1),
/// the CA bundle PEM certificates, the Service reference DNS names.
fn check_options(options: &WebhookConfigOptions, diags: &mut Vec<Diagnostic>) {
    let mut bad = |pointer: &str, message: String, help: &str| {
        diags
            .push(Diagnostic::pod(Severity::Error, Code::InvalidValue, pointer, message).on(Input::Options).help(help));
    };
    if !matches!(options.failure_policy.as_str(), "Ignore" | "Fail") {
        let message = format!("failurePolicy `{}` is neither Ignore nor Fail", options.failure_policy);
        bad("/failurePolicy", message, "Ignore creates pods when the webhook is down; Fail refuses them");
    }
    if !(1..=30).contains(&options.timeout_seconds) {
        let message = format!("timeoutSeconds {} is outside 1–30", options.timeout_seconds);
        bad("/timeoutSeconds", message, "the API server accepts 1 to 30 seconds; the default is 5");
    }
    if let Some(ca) = &options.ca_bundle
        && !is_pem_certificates(ca)
    {
        let message = "the CA bundle is not PEM: it must hold `-----BEGIN CERTIFICATE-----` blocks".to_string();
        bad("/caBundle", message, "give the CA's certificate file (ca.crt), not a key or a base64 string");
    }
    if !crate::labels::is_dns_label(&options.service_namespace) {
        let message = format!("`{}` is not a namespace name", options.service_namespace);
        bad("/serviceNamespace", message, "a DNS label: lowercase letters, digits and `-`");
    }
    if !crate::labels::is_dns_label(&options.service_name) {
        let message = format!("`{}` is not a Service name", options.service_name);
        bad("/serviceName", message, "a DNS label: lowercase letters, digits and `-`");
    }
    if !options.service_path.starts_with('/')
        || options.service_path.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        let message = format!("`{}` is not a URL path", options.service_path);
        bad("/servicePath", message, "a path such as /mutate");
    }
}

/// One or more PEM `CERTIFICATE` blocks whose bodies are base64, and nothing else but whitespace.
fn is_pem_certificates(text: &str) -> bool {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut rest = text.trim();
    let mut blocks = 0;
    while !rest.is_empty() {
        let Some(body) = rest.strip_prefix(BEGIN) else { return false };
        let Some((body, after)) = body.split_once(END) else { return false };
        let body: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        if body.is_empty() || base64::engine::general_purpose::STANDARD.decode(&body).is_err() {
            return false;
        }
        blocks += 1;
        rest = after.trim_start();
    }
    blocks > 0
}

/// The configuration for `profile`. Diagnostics point into the options
/// (an unparsable version) or the profile.
pub fn webhook_configuration(profile: Option<&EciProfile>, options: &WebhookConfigOptions) -> (Value, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let version = version(&options.kubernetes_version).unwrap_or_else(|| {
        diags.push(
            Diagnostic::pod(
                Severity::Error,
                Code::InvalidValue,
                "/kubernetesVersion",
                format!("`{}` is not a Kubernetes version", options.kubernetes_version),
            )
            .on(Input::Options)
            .help("give major.minor, e.g. 1.30"),
        );
        (1, 30)
    });
    let object_selectors = version >= (1, 16);
    check_options(options, &mut diags);
    let mut entries: Vec<(String, Value, Value)> = Vec::new();
    // Canonical text as the key (serde_json maps are sorted): a set, not a scan.
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for route in routes(profile) {
        let ns = selector_json(&route.namespace_selector);
        let obj = if object_selectors { selector_json(&route.object_selector) } else { json!({}) };
        if seen.insert((ns.to_string(), obj.to_string())) {
            entries.push((route.origin, ns, obj));
        }
    }
    if !object_selectors {
        diags.push(
            Diagnostic::pod(
                Severity::Info,
                Code::Converted,
                "/kubernetesVersion",
                format!("Kubernetes {}.{} has no objectSelector: entries keep their namespace part only and the webhook filters pods itself", version.0, version.1),
            )
            .on(Input::Options),
        );
    }
    if options.match_all_pods && !seen.contains(&("{}".to_string(), "{}".to_string())) {
        entries.push(("every pod (burst-resource, pinned pods)".into(), json!({}), json!({})));
    }
    let mut client_config = json!({"service": {
        "namespace": options.service_namespace, "name": options.service_name,
        "path": options.service_path, "port": options.service_port}});
    if let Some(ca) = &options.ca_bundle {
        client_config["caBundle"] = Value::String(base64::engine::general_purpose::STANDARD.encode(ca.as_bytes()));
    }
    let webhooks: Vec<Value> = entries
        .iter()
        .enumerate()
        .map(|(i, (origin, ns, obj))| {
            let mut w = json!({
                "name": format!("r{i}-{}.eci-profile.eci-bridge.io", slug(origin)),
                "clientConfig": client_config,
                "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"], "scope": "Namespaced"}],
                "namespaceSelector": ns,
                "failurePolicy": options.failure_policy,
                "sideEffects": "None",
                "timeoutSeconds": options.timeout_seconds,
                "admissionReviewVersions": if object_selectors { json!(["v1", "v1beta1"]) } else { json!(["v1beta1"]) },
                "matchPolicy": "Equivalent",
                "reinvocationPolicy": "Never",
            });
            if object_selectors {
                w["objectSelector"] = obj.clone();
            }
            w
        })
        .collect();
    if webhooks.is_empty() {
        diags.push(
            Diagnostic::pod(Severity::Warning, Code::MissingField, "/data/selectors", "nothing routes pods to ECI")
                .on(Input::Profile),
        );
    }
    let config = json!({
        "apiVersion": if object_selectors { "admissionregistration.k8s.io/v1" } else { "admissionregistration.k8s.io/v1beta1" },
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": options.name, "labels": {"app.kubernetes.io/managed-by": "eci-bridge"},
                     "annotations": {"eci-bridge.io/routes": entries.iter().map(|(o, _, _)| o.clone()).collect::<Vec<_>>().join("; ")}},
        "webhooks": webhooks,
    });
    (config, diags)
}

/// Whether the API server would call the webhook for a pod, given a
/// generated configuration (for tests and the playground).
pub fn api_server_calls(
    config: &Value,
    pod_labels: &BTreeMap<String, String>,
    namespace_labels: &BTreeMap<String, String>,
) -> bool {
    let part = |v: Option<&Value>, labels: &BTreeMap<String, String>| match v {
        None => true,
        Some(v) => crate::input::from_value::<LabelSelector>(v, crate::diagnostics::Input::Profile)
            .is_ok_and(|s| label_selector_matches(&s, labels)),
    };
    config
        .get("webhooks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|w| part(w.get("namespaceSelector"), namespace_labels) && part(w.get("objectSelector"), pod_labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::parse_profile;

    #[test]
    fn one_entry_per_route_and_old_clusters_lose_object_selectors() {
        let (profile, d) = parse_profile(&json!({"kind": "ConfigMap", "data": {"selectors":
            "[{\"name\":\"demo\",\"namespaceSelector\":{\"matchLabels\":{\"department\":\"bigdata\"}},\"objectSelector\":{\"matchLabels\":{\"type\":\"offline-task\"}}},{\"name\":\"fx\",\"effect\":{\"labels\":{\"a\":\"b\"}}}]"}}));
        assert!(d.is_empty(), "{d:?}");
        let (config, diags) = webhook_configuration(Some(&profile), &WebhookConfigOptions::default());
        assert!(diags.is_empty());
        assert_eq!(
            config["webhooks"].as_array().map(Vec::len),
            Some(6),
            "2 pod labels, 3 namespace labels, 1 selector"
        );
        let ns: BTreeMap<String, String> = [("department".to_string(), "bigdata".to_string())].into();
        let pod: BTreeMap<String, String> = [("type".to_string(), "offline-task".to_string())].into();
        assert!(api_server_calls(&config, &pod, &ns));
        assert!(!api_server_calls(&config, &pod, &BTreeMap::new()));

        let old = WebhookConfigOptions { kubernetes_version: "1.15".into(), ..Default::default() };
        let (config, diags) = webhook_configuration(Some(&profile), &old);
        assert_eq!(config["apiVersion"], "admissionregistration.k8s.io/v1beta1");
        assert!(config["webhooks"][0].get("objectSelector").is_none());
        assert_eq!(diags.len(), 1);
        assert!(api_server_calls(&config, &BTreeMap::new(), &BTreeMap::new()), "pod-label routes become catch-alls");
    }
}
