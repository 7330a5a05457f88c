//! The mutating admission webhook, as a pure function.
//!
//! [`admit`] answers an `AdmissionReview` the way ack-virtual-node's webhook
//! does for the ACK `eci-profile` (docs/admission.md,
//! docs/eci-profile.md#selectors):
//!
//! - **Which pods go to ECI.** A pod goes to ECI when a profile selector with
//!   a namespace or object part matches it (both parts must match; an absent
//!   part is "don't care"), when it carries `alibabacloud.com/eci=true` (or the
//!   legacy `eci=true`), when its namespace carries `alibabacloud.com/eci=true`,
//!   `eci=true` or `virtual-node-affinity-injection=enabled`, or when it has
//!   `alibabacloud.com/burst-resource: eci_only`, or when its own spec sends
//!   it to a virtual node (the seed's "(不推荐) 其它方式", §2.2: `nodeName` of
//!   a virtual node, or nodeSelector `type: virtual-kubelet` with the
//!   `virtual-kubelet.io/provider` toleration; also the equivalent required
//!   node affinity). DaemonSet pods, pods bound to a regular node, non-Pod
//!   objects and non-CREATE operations pass unchanged.
//! - **ECI Effect.** Every matching selector's effect is appended in order:
//!   the pod's own value wins, then the first matching selector, then the
//!   next ("只追加，不覆盖"). A selector with only an effect applies to every
//!   pod that goes to ECI ("effect对所有调度到ECI的Pod均生效"), including the
//!   pods sent by their own spec, whose routing is left as it is. The rule
//!   is [`crate::profile::effects`], shared with the translation.
//! - **ECI Scheduler.** Routing uses a configurable [`RoutingStrategy`]. The
//!   user's nodeSelector, affinity and tolerations are kept; a constraint that
//!   conflicts with the virtual node is reported, never replaced. Strategy
//!   node-name binds the pod to one of the per-zone virtual nodes the
//!   provider registers, chosen by the pod's architecture, required zone and
//!   vSwitches, else the zone of the profile's first vSwitch; a pod no
//!   registered node fits is refused with the reason (`binding.rs`).
//! - **burst-resource.** `eci` lets the pod overflow to ECI only when regular
//!   nodes cannot take it: the virtual-node toleration plus a preference for
//!   non-virtual nodes. Values other than `eci`, `eci_only`, `ecs` and empty are
//!   denied with the documented reason (`requesttypemustbeeci,eci_onlyorecs`).
//! - **Idempotent.** The patch is the difference between the pod and its
//!   mutated form, and the mutation of a mutated pod changes nothing, so
//!   admitting an already-mutated pod yields an empty patch.
//! - **Caught early.** The mutated pod is run through the translation; an
//!   error it would hit later (hostPath, privileged, …) becomes a warning in
//!   the response, or a denial when [`OnUnsupported::Deny`] is chosen.

mod binding;
pub mod case;
pub mod endpoint;
pub mod review;
pub mod webhook;

use std::collections::BTreeMap;

use base64::Engine as _;
use k8s_openapi::api::core::v1::Pod;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::annotations::registry::BURST_RESOURCE;
use crate::cluster::ClusterSettings;
use crate::diagnostics::{Code, Diagnostic, Pointer, Severity};
use crate::objects::ObjectStore;
use crate::profile::EciProfile;
use crate::profile::effects::ProfileEffects;
use crate::translate::{TranslateInput, translate};
pub use case::AdmissionCase;
pub use review::{AdmissionRequest, AdmissionResponse, AdmissionReview, ResponseStatus};
pub use webhook::{WebhookConfigOptions, api_server_calls, webhook_configuration};

/// How a routed pod is sent to the virtual node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoutingStrategy {
    /// nodeSelector `type: virtual-kubelet` + toleration of the virtual-node taint.
    #[default]
    NodeSelector,
    /// Required nodeAffinity `type In [virtual-kubelet]` + the toleration.
    Affinity,
    /// `spec.nodeName` set to the virtual node (the scheduler is bypassed).
    NodeName,
}

/// What to do with a pod the translation would reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnUnsupported {
    /// Admit it, with warnings naming each problem.
    #[default]
    Warn,
    /// Deny it.
    Deny,
}

/// Settings of the webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AdmissionOptions {
    /// How routed pods are sent to the virtual node.
    pub strategy: RoutingStrategy,
    /// A node name that [`RoutingStrategy::NodeName`] always uses; unset, it
    /// chooses among the nodes the provider registers (see `binding.rs`).
    pub virtual_node_name: Option<String>,
    /// Node names that denote virtual nodes (by prefix).
    pub virtual_node_prefixes: Vec<String>,
    /// The label that virtual nodes carry, and its value.
    pub virtual_node_label: (String, String),
    /// The key of the taint routed pods tolerate; unset, the key the
    /// virtual nodes are tainted with: the cluster settings'
    /// `VKUBELET_TAINT_KEY` ([`AdmissionOptions::toleration_key`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taint_key: Option<String>,
    /// Warn about or deny pods the translation would reject.
    pub on_unsupported: OnUnsupported,
    /// Cluster settings used to run the translation check.
    pub cluster: ClusterSettings,
}

impl AdmissionOptions {
    /// The taint key routed pods tolerate: the one given, else the one
    /// `eci-bridge nodes` taints the virtual nodes with (the cluster settings'
    /// `VKUBELET_TAINT_KEY`, `virtual-kubelet.io/provider` by default), so a
    /// routed pod always tolerates its nodes.
    pub fn toleration_key(&self) -> &str {
        self.taint_key.as_deref().unwrap_or(&self.cluster.taint.key)
    }

    /// Settings the webhook cannot work with, as errors (pointers into the
    /// settings, `Input::Options`): the node name of strategy node-name must
    /// be a node name.
    pub fn check(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if let Some(name) = self.virtual_node_name.as_ref().filter(|n| !crate::labels::is_dns_subdomain(n)) {
            out.push(
                Diagnostic::pod(
                    Severity::Error,
                    Code::InvalidValue,
                    "/virtualNodeName",
                    format!("`{name}` is not a node name"),
                )
                .on(crate::diagnostics::Input::Options)
                .help("a DNS subdomain, e.g. virtual-kubelet-cn-hangzhou-h"),
            );
        }
        out
    }
}

impl Default for AdmissionOptions {
    fn default() -> Self {
        AdmissionOptions {
            strategy: RoutingStrategy::NodeSelector,
            virtual_node_name: None,
            virtual_node_prefixes: vec!["virtual-kubelet".into(), "virtual-node".into()],
            virtual_node_label: ("type".into(), "virtual-kubelet".into()),
            taint_key: None,
            on_unsupported: OnUnsupported::Warn,
            cluster: ClusterSettings::example(),
        }
    }
}

/// What the webhook decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "decision")]
pub enum Decision {
    /// Passed through unchanged without looking further.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Looked at, matched nothing: unchanged.
    NotRouted,
    /// Sent to ECI.
    Routed {
        /// Every reason it goes to ECI.
        reasons: Vec<String>,
    },
    /// May overflow to ECI (`burst-resource: eci`).
    Overflow,
    /// Denied.
    Denied {
        /// Why.
        reason: String,
    },
}

/// The result of one admission.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Admission {
    /// The decision.
    pub decision: Decision,
    /// The review to send back (same apiVersion as the request).
    pub review: AdmissionReview,
    /// The RFC 6902 patch (empty when nothing changes).
    pub patch: json_patch::Patch,
    /// The object after the patch, when it is a pod.
    pub patched: Option<Value>,
    /// Everything worth knowing, also turned into the response's warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// The documented reason for an invalid burst-resource value.
pub const BURST_RESOURCE_REASON: &str = "requesttypemustbeeci,eci_onlyorecs";

/// Pod labels that send a pod to ECI (docs/admission.md#routing-labels).
pub const POD_ROUTING_LABELS: &[(&str, &str)] = &[("alibabacloud.com/eci", "true"), ("eci", "true")];
/// Namespace labels that send every new pod in it to ECI.
pub const NAMESPACE_ROUTING_LABELS: &[(&str, &str)] =
    &[("alibabacloud.com/eci", "true"), ("eci", "true"), ("virtual-node-affinity-injection", "enabled")];

/// Labels a virtual node carries (docs/virtual-node.md#labels-and-taints); a
/// nodeSelector on any other key cannot match one.
pub const VIRTUAL_NODE_LABEL_KEYS: &[&str] = &[
    "type",
    "kubernetes.io/role",
    "kubernetes.io/arch",
    "beta.kubernetes.io/arch",
    "kubernetes.io/os",
    "beta.kubernetes.io/os",
    "kubernetes.io/hostname",
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
];

fn warning(code: Code, pointer: impl Into<String>, message: impl Into<String>) -> Diagnostic {
    Diagnostic::pod(Severity::Warning, code, pointer, message)
}

/// Wraps a bare pod into a CREATE review (for previews and the CLI).
pub fn review_for_pod(pod: &Value) -> AdmissionReview {
    let namespace = pod.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
    AdmissionReview {
        api_version: review::V1.into(),
        kind: "AdmissionReview".into(),
        request: Some(AdmissionRequest {
            uid: "00000000-0000-0000-0000-000000000000".into(),
            kind: review::GroupVersionKind { group: String::new(), version: "v1".into(), kind: "Pod".into() },
            resource: review::GroupVersionResource {
                group: String::new(),
                version: "v1".into(),
                resource: "pods".into(),
            },
            name: pod.pointer("/metadata/name").and_then(Value::as_str).map(String::from),
            namespace: Some(namespace.into()),
            operation: "CREATE".into(),
            object: Some(pod.clone()),
            ..Default::default()
        }),
        response: None,
    }
}

/// Answers one review.
pub fn admit(
    review: &AdmissionReview,
    profile: Option<&EciProfile>,
    namespace_labels: &BTreeMap<String, String>,
    options: &AdmissionOptions,
) -> Admission {
    let request = review.request.clone().unwrap_or_default();
    let mut diags = Vec::new();
    let (decision, patched) = decide(&request, profile, namespace_labels, options, &mut diags);
    let original = request.object.clone().unwrap_or(Value::Null);
    let patch = match &patched {
        Some(p) if matches!(decision, Decision::Routed { .. } | Decision::Overflow) => json_patch::diff(&original, p),
        _ => json_patch::Patch(Vec::new()),
    };
    let mut decision = decision;
    if let (Some(p), Decision::Routed { .. } | Decision::Overflow) = (&patched, &decision) {
        check_translation(p, &request, profile, namespace_labels, options, &mut diags, &mut decision);
    }
    let patch = if matches!(decision, Decision::Denied { .. }) { json_patch::Patch(Vec::new()) } else { patch };
    let response = respond(&request.uid, &decision, &patch, &diags);
    Admission {
        review: AdmissionReview {
            api_version: if review.api_version == review::V1BETA1 { review::V1BETA1.into() } else { review::V1.into() },
            kind: "AdmissionReview".into(),
            request: None,
            response: Some(response),
        },
        patched: if matches!(decision, Decision::Denied { .. }) { None } else { patched.or(request.object) },
        decision,
        patch,
        diagnostics: diags,
    }
}

fn skipped(reason: &str) -> (Decision, Option<Value>) {
    (Decision::Skipped { reason: reason.into() }, None)
}

fn decide(
    request: &AdmissionRequest,
    profile: Option<&EciProfile>,
    namespace_labels: &BTreeMap<String, String>,
    options: &AdmissionOptions,
    diags: &mut Vec<Diagnostic>,
) -> (Decision, Option<Value>) {
    let is_pod = request.kind.kind == "Pod"
        && (request.resource.resource.is_empty() || request.resource.resource == "pods")
        && request.sub_resource.as_deref().is_none_or(str::is_empty);
    if !is_pod {
        return skipped("not a Pod");
    }
    if request.operation != "CREATE" {
        return skipped("not a CREATE");
    }
    let Some(object) = &request.object else { return skipped("the request carries no object") };
    if let Some(breach) = crate::limits::check_pod_document(object, "") {
        diags.push(Diagnostic { severity: Severity::Warning, ..breach });
        return skipped("the pod exceeds eci-bridge's input limits; it is not mutated");
    }
    let pod: Pod = match crate::input::from_value(object, crate::diagnostics::Input::Pod) {
        Ok(p) => p,
        Err(d) => {
            diags.push(Diagnostic { severity: Severity::Warning, ..d });
            return skipped("the object is not a valid Pod");
        }
    };
    if pod.metadata.owner_references.iter().flatten().any(|o| o.kind == "DaemonSet") {
        return skipped("DaemonSet pods stay on regular nodes");
    }
    let empty = BTreeMap::new();
    let labels = pod.metadata.labels.as_ref().unwrap_or(&empty);
    let annotations = pod.metadata.annotations.as_ref().unwrap_or(&empty);
    let spec = pod.spec.as_ref();
    let node_name = spec.and_then(|s| s.node_name.as_deref()).filter(|n| !n.is_empty());
    let bound_to_virtual =
        // The webhook's own binding (strategy node-name) counts too, whatever its name: admission stays idempotent.
        node_name.is_some_and(|n| {
            options.virtual_node_name.as_deref() == Some(n) || options.virtual_node_prefixes.iter().any(|p| n.starts_with(p.as_str()))
        });
    if node_name.is_some() && !bound_to_virtual {
        return skipped("already bound to a regular node");
    }

    let burst = annotations.get(BURST_RESOURCE).map(|v| v.trim().to_string());
    let burst_at = crate::annotations::pointer(BURST_RESOURCE);
    if let Some(b) = &burst
        && !["eci", "eci_only", "ecs", ""].contains(&b.as_str())
    {
        let reason = format!(
            "alibabacloud.com/burst-resource must be eci, eci_only, ecs or empty, not `{b}` ({BURST_RESOURCE_REASON})"
        );
        diags.push(Diagnostic::pod(Severity::Error, Code::InvalidAnnotation, burst_at, reason.clone()));
        return (Decision::Denied { reason }, None);
    }

    let mut reasons = Vec::new();
    if bound_to_virtual {
        reasons.push(format!("bound to virtual node {}", node_name.unwrap_or_default()));
    }
    let selects_virtual = !bound_to_virtual && selects_virtual_nodes(object, &pod, options);
    if selects_virtual {
        reasons.push(format!(
            "selects virtual nodes ({}={}) and tolerates {}",
            options.virtual_node_label.0,
            options.virtual_node_label.1,
            options.toleration_key()
        ));
    }
    for (k, v) in POD_ROUTING_LABELS {
        if labels.get(*k).map(String::as_str) == Some(*v) {
            reasons.push(format!("pod label {k}={v}"));
        }
    }
    for (k, v) in NAMESPACE_ROUTING_LABELS {
        if namespace_labels.get(*k).map(String::as_str) == Some(*v) {
            reasons.push(format!("namespace label {k}={v}"));
        }
    }
    let selectors = profile.map(|p| p.selectors.as_slice()).unwrap_or_default();
    for s in selectors.iter().filter(|s| s.routes() && s.matches(labels, namespace_labels)) {
        reasons.push(format!("eci-profile selector `{}`", s.name));
    }
    if burst.as_deref() == Some("eci_only") {
        reasons.push("burst-resource eci_only".into());
    }
    if burst.as_deref() == Some("ecs") && !reasons.is_empty() {
        diags.push(warning(
            Code::Conflict,
            burst_at.clone(),
            "burst-resource ecs asks for regular nodes only, but the pod is routed to ECI; the ECI label and selectors take precedence",
        ));
    }
    let overflow = reasons.is_empty() && burst.as_deref() == Some("eci");
    if reasons.is_empty() && !overflow {
        check_untolerated_selection(&pod, options, diags);
        return (Decision::NotRouted, None);
    }

    let mut mutated = object.clone();
    let effects = ProfileEffects::of(selectors, labels, annotations, namespace_labels);
    apply_effects(&mut mutated, &effects);
    // A pod that goes to a virtual node by its own spec (the seed's "其它方式":
    // nodeName, or nodeSelector with the toleration) keeps its routing; it
    // gets the effects like every pod that goes to ECI.
    if overflow {
        add_toleration(&mut mutated, options.toleration_key());
        add_overflow_preference(&mut mutated, options);
    } else if !bound_to_virtual && !selects_virtual {
        let mut node = None;
        if options.strategy == RoutingStrategy::NodeName {
            let typed = effects.applied_to(&pod);
            match binding::choose_node(typed.as_ref().unwrap_or(&pod), &pod, profile, namespace_labels, options) {
                Ok((name, mut notes)) => {
                    diags.append(&mut notes);
                    node = Some(name);
                }
                Err(d) => {
                    let reason = format!("no virtual node to bind the pod to: {}", d.message);
                    diags.push(d);
                    return (Decision::Denied { reason }, None);
                }
            }
        }
        route(&mut mutated, &pod, options, node.as_deref(), diags);
    }
    let through_scheduler =
        !bound_to_virtual && (selects_virtual || overflow || options.strategy != RoutingStrategy::NodeName);
    check_arm(&mut mutated, &pod, profile, diags, through_scheduler);
    check_node_selector(&pod, options, diags);
    let decision = if overflow { Decision::Overflow } else { Decision::Routed { reasons } };
    (decision, Some(mutated))
}

/// The object at `path`, created (as an empty object) when missing or not an object.
pub(crate) fn object_at<'a>(v: &'a mut Value, path: &[&str]) -> &'a mut Map<String, Value> {
    let mut cur = v;
    for key in path {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(map) = cur else { unreachable!("just made an object") };
        let entry = map.entry((*key).to_string()).or_insert(Value::Null);
        if entry.is_null() {
            *entry = Value::Object(Map::new());
        }
        cur = entry;
    }
    if !cur.is_object() {
        *cur = Value::Object(Map::new());
    }
    match cur {
        Value::Object(map) => map,
        _ => unreachable!("just made an object"),
    }
}

/// The array at `path`, created when missing.
fn array_at<'a>(v: &'a mut Value, path: &[&str]) -> &'a mut Vec<Value> {
    let (last, parents) = path.split_last().unwrap_or((&"", &[]));
    let parent = object_at(v, parents);
    let entry = parent.entry((*last).to_string()).or_insert_with(|| Value::Array(Vec::new()));
    if !entry.is_array() {
        *entry = Value::Array(Vec::new());
    }
    match entry {
        Value::Array(a) => a,
        _ => unreachable!("just made an array"),
    }
}

/// Writes the profile's effects into the pod's metadata: appended, never
/// overriding a value that is already there. Which selectors apply, in what
/// order, and what they add together is decided by
/// [`crate::profile::effects::ProfileEffects`], the rule the translation
/// uses too (seed kubernetes-eci-integration.md §2.3, "配置ECI Effect示例").
pub(crate) fn apply_effects(pod: &mut Value, effects: &crate::profile::effects::ProfileEffects) {
    for (field, values) in [("annotations", &effects.annotations), ("labels", &effects.labels)] {
        if values.is_empty() {
            continue;
        }
        let map = object_at(pod, &["metadata", field]);
        for (k, v, _) in values {
            map.entry(k.clone()).or_insert_with(|| Value::String(v.clone()));
        }
    }
}

/// True when the pod's own spec sends it to the virtual nodes through the
/// scheduler: it tolerates their taint and requires their label, by
/// nodeSelector or by a required node affinity every term of which admits
/// only that label value. The seed documents the nodeSelector form
/// (kubernetes-eci-integration.md §2.2 "(不推荐) 其它方式": nodeSelector
/// `type: virtual-kubelet` with the toleration `virtual-kubelet.io/provider`
/// Exists); the affinity form is what the legacy webhook injected
/// (docs/admission.md#sending-a-pod-to-the-virtual-node) and what [`RoutingStrategy::Affinity`]
/// writes.
fn selects_virtual_nodes(object: &Value, typed: &Pod, options: &AdmissionOptions) -> bool {
    let (key, value) = (&options.virtual_node_label.0, &options.virtual_node_label.1);
    let Some(spec) = typed.spec.as_ref() else { return false };
    let by_selector = spec.node_selector.as_ref().and_then(|n| n.get(key)) == Some(value);
    let by_affinity = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| n.required_during_scheduling_ignored_during_execution.as_ref())
        .is_some_and(|r| {
            !r.node_selector_terms.is_empty()
                && r.node_selector_terms.iter().all(|t| {
                    t.match_expressions.iter().flatten().any(|e| {
                        &e.key == key
                            && e.operator == "In"
                            && e.values.as_ref().is_some_and(|v| !v.is_empty() && v.iter().all(|x| x == value))
                    })
                })
        });
    (by_selector || by_affinity) && tolerates(object, options.toleration_key(), None)
}

/// A pod that selects the virtual nodes without tolerating their taint
/// cannot be scheduled anywhere: say so (it is not routed, so nothing adds
/// the toleration).
fn check_untolerated_selection(typed: &Pod, options: &AdmissionOptions, diags: &mut Vec<Diagnostic>) {
    let (key, value) = (&options.virtual_node_label.0, &options.virtual_node_label.1);
    let selected = typed.spec.as_ref().and_then(|s| s.node_selector.as_ref()).and_then(|n| n.get(key)) == Some(value);
    if selected {
        diags.push(
            warning(
                Code::Conflict,
                Pointer::from_tokens(["spec", "nodeSelector", key.as_str()]),
                format!(
                    "nodeSelector {key}={value} selects only virtual nodes, but the pod does not tolerate their taint {}; no node can take it",
                    options.toleration_key()
                ),
            )
            .help(format!(
                "add the toleration {{key: {}, operator: Exists}}, or label the pod alibabacloud.com/eci=true",
                options.toleration_key()
            )),
        );
    }
}

/// True when a toleration in the pod already tolerates the taint `key`
/// with effect NoSchedule (any value).
fn tolerates(pod: &Value, key: &str, value: Option<&str>) -> bool {
    pod.pointer("/spec/tolerations").and_then(Value::as_array).into_iter().flatten().any(|t| {
        let tk = t.get("key").and_then(Value::as_str).unwrap_or_default();
        let op = t.get("operator").and_then(Value::as_str).unwrap_or("Equal");
        let effect = t.get("effect").and_then(Value::as_str).unwrap_or_default();
        let key_ok = tk == key || (tk.is_empty() && op == "Exists");
        let value_ok = op == "Exists" || value.is_none_or(|v| t.get("value").and_then(Value::as_str) == Some(v));
        key_ok && value_ok && (effect.is_empty() || effect == "NoSchedule")
    })
}

/// Tolerates the `kubernetes.io/arch=arm64:NoSchedule` taint of ARM64 virtual nodes.
pub(crate) fn add_arm_toleration(pod: &mut Value) {
    if !tolerates(pod, "kubernetes.io/arch", Some("arm64")) {
        array_at(pod, &["spec", "tolerations"])
            .push(json!({"key": "kubernetes.io/arch", "operator": "Equal", "value": "arm64", "effect": "NoSchedule"}));
    }
}

pub(crate) fn add_toleration(pod: &mut Value, key: &str) {
    if !tolerates(pod, key, None) {
        array_at(pod, &["spec", "tolerations"]).push(json!({"key": key, "operator": "Exists"}));
    }
}

/// Sends the pod to the virtual nodes; `node` is the one strategy node-name binds it to.
fn route(pod: &mut Value, typed: &Pod, options: &AdmissionOptions, node: Option<&str>, diags: &mut Vec<Diagnostic>) {
    let (label_key, label_value) = (&options.virtual_node_label.0, &options.virtual_node_label.1);
    match options.strategy {
        RoutingStrategy::NodeSelector => {
            let selector = object_at(pod, &["spec", "nodeSelector"]);
            match selector.get(label_key).and_then(Value::as_str) {
                None => {
                    selector.insert(label_key.clone(), Value::String(label_value.clone()));
                }
                Some(v) if v == label_value => {}
                Some(other) => diags.push(
                    warning(
                        Code::Conflict,
                        Pointer::from_tokens(["spec", "nodeSelector", label_key]),
                        format!("nodeSelector {label_key}={other} excludes virtual nodes ({label_key}={label_value}); it is kept, so the pod will not run on ECI"),
                    )
                    .help(format!("remove the nodeSelector {label_key} or set it to {label_value}")),
                ),
            }
            add_toleration(pod, options.toleration_key());
        }
        RoutingStrategy::Affinity => {
            route_by_affinity(pod, typed, options, diags);
            add_toleration(pod, options.toleration_key());
        }
        RoutingStrategy::NodeName => {
            // A NoSchedule taint does not stop a pod that names its node.
            if let Some(node) = node {
                object_at(pod, &["spec"]).insert("nodeName".into(), Value::String(node.into()));
            }
        }
    }
}

fn route_by_affinity(pod: &mut Value, typed: &Pod, options: &AdmissionOptions, diags: &mut Vec<Diagnostic>) {
    let (key, value) = (&options.virtual_node_label.0, &options.virtual_node_label.1);
    let expression = json!({"key": key, "operator": "In", "values": [value]});
    let terms_path = ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"];
    let existing = typed
        .spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| n.required_during_scheduling_ignored_during_execution.as_ref())
        .map(|r| r.node_selector_terms.len())
        .unwrap_or(0);
    let required = object_at(pod, &terms_path);
    let terms = required.entry("nodeSelectorTerms").or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(terms) = terms else { return };
    if existing == 0 || terms.is_empty() {
        terms.clear();
        terms.push(json!({"matchExpressions": [expression]}));
        return;
    }
    // Terms are ORed: the virtual-node expression must be ANDed into each.
    for (i, term) in terms.iter_mut().enumerate() {
        let exprs = object_at(term, &[]).entry("matchExpressions").or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(exprs) = exprs else { continue };
        let on_key: Vec<&Value> =
            exprs.iter().filter(|e| e.get("key").and_then(Value::as_str) == Some(key.as_str())).collect();
        if on_key.is_empty() {
            exprs.push(expression.clone());
            continue;
        }
        let admits = on_key.iter().all(|e| {
            let values: Vec<&str> =
                e.get("values").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
            match e.get("operator").and_then(Value::as_str).unwrap_or_default() {
                "In" => values.contains(&value.as_str()),
                "NotIn" => !values.contains(&value.as_str()),
                "Exists" => true,
                _ => false,
            }
        });
        if !admits {
            diags.push(warning(
                Code::Conflict,
                Pointer::from_tokens(terms_path).key("nodeSelectorTerms").index(i),
                format!("required node affinity term {i} excludes virtual nodes ({key}={value}); it is kept"),
            ));
        }
    }
}

fn add_overflow_preference(pod: &mut Value, options: &AdmissionOptions) {
    let (key, value) = (&options.virtual_node_label.0, &options.virtual_node_label.1);
    let preference = json!({"weight": 100, "preference": {"matchExpressions": [{"key": key, "operator": "NotIn", "values": [value]}]}});
    let prefs = array_at(pod, &["spec", "affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"]);
    if !prefs.contains(&preference) {
        prefs.push(preference);
    }
}

/// ARM pods need the ARM virtual node's taint tolerated, and that node to exist.
fn check_arm(
    pod: &mut Value,
    typed: &Pod,
    profile: Option<&EciProfile>,
    diags: &mut Vec<Diagnostic>,
    through_scheduler: bool,
) {
    let arm = typed
        .spec
        .as_ref()
        .and_then(|s| s.node_selector.as_ref())
        .and_then(|n| n.get("kubernetes.io/arch"))
        .is_some_and(|a| a == "arm64");
    if !arm {
        return;
    }
    // The scheduler needs the ARM node's taint tolerated; a bound pod does not.
    if through_scheduler {
        add_arm_toleration(pod);
    }
    if profile.is_some_and(|p| !p.enable_linux_arm64_node) {
        diags.push(
            warning(
                Code::Conflict,
                "/spec/nodeSelector/kubernetes.io~1arch",
                "the pod selects arm64 but the eci-profile does not enable ARM64 virtual nodes",
            )
            .help("set enableLinuxArm64Node: \"true\" in the eci-profile"),
        );
    }
}

/// A nodeSelector key virtual nodes do not carry can never match one.
fn check_node_selector(typed: &Pod, options: &AdmissionOptions, diags: &mut Vec<Diagnostic>) {
    for (k, v) in typed.spec.as_ref().and_then(|s| s.node_selector.as_ref()).into_iter().flatten() {
        let pointer = Pointer::from_tokens(["spec", "nodeSelector", k.as_str()]);
        if !VIRTUAL_NODE_LABEL_KEYS.contains(&k.as_str()) {
            diags.push(
                warning(Code::Conflict, pointer, format!("nodeSelector {k}={v} is not a label of virtual nodes, so the pod cannot be scheduled onto one; it is kept"))
                    .help("virtual nodes carry type, kubernetes.io/* and topology.kubernetes.io/* labels only"),
            );
        } else if (k == "kubernetes.io/os" || k == "beta.kubernetes.io/os") && v != "linux" {
            diags.push(warning(
                Code::Conflict,
                pointer,
                format!("nodeSelector {k}={v}: virtual nodes are linux nodes"),
            ));
        } else if k == &options.virtual_node_label.0 && v != &options.virtual_node_label.1 {
            // Reported by the routing step.
        }
    }
}

/// Errors the translation would raise later, except missing objects (the
/// webhook does not fetch ConfigMaps or Secrets).
fn check_translation(
    patched: &Value,
    request: &AdmissionRequest,
    profile: Option<&EciProfile>,
    namespace_labels: &BTreeMap<String, String>,
    options: &AdmissionOptions,
    diags: &mut Vec<Diagnostic>,
    decision: &mut Decision,
) {
    let Ok(mut pod) = crate::input::from_value::<Pod>(patched, crate::diagnostics::Input::Pod) else { return };
    if pod.metadata.namespace.is_none() {
        pod.metadata.namespace = request.namespace.clone();
    }
    if pod.metadata.name.is_none() {
        // generateName is resolved after admission; any name will do here.
        pod.metadata.name = Some(pod.metadata.generate_name.clone().unwrap_or_default() + "pending");
    }
    let t = translate(&TranslateInput {
        pod: &pod,
        namespace_labels,
        cluster: &options.cluster,
        profile,
        objects: &ObjectStore::new(),
        missing_objects: crate::translate::MissingObjects::Reject,
    });
    let problems: Vec<&Diagnostic> = t
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && !matches!(d.code, Code::MissingObject | Code::MissingKey))
        .collect();
    if problems.is_empty() {
        return;
    }
    for d in &problems {
        let severity = if options.on_unsupported == OnUnsupported::Deny { Severity::Error } else { Severity::Warning };
        diags.push(Diagnostic {
            severity,
            message: format!("ECI will reject this pod: {}", d.message),
            ..(*d).clone()
        });
    }
    if options.on_unsupported == OnUnsupported::Deny {
        let list: Vec<String> = problems.iter().map(|d| format!("{} at {}", d.code.as_str(), d.pointer)).collect();
        *decision = Decision::Denied { reason: format!("the pod cannot run on ECI: {}", list.join("; ")) };
    }
}

/// Kubernetes shows each warning as one line; keep them short.
fn warning_text(d: &Diagnostic) -> String {
    let (pointer, message) = (crate::text::escape_text(&d.pointer), crate::text::escape_text(&d.message));
    let mut s = format!("eci-bridge {}[{}] {pointer}: {message}", d.severity.as_str(), d.code.as_str());
    if s.len() > 250 {
        s = format!("{}...", crate::text::prefix_within(&s, 247));
    }
    s
}

/// The warnings of a response, within what the API server passes on: it
/// may truncate each warning beyond 256 characters and drops warnings past
/// 4096 characters in all (Kubernetes "Dynamic Admission Control",
/// Response: warnings). The last one says how many were left out.
fn warnings(diags: &[Diagnostic]) -> Vec<String> {
    const TOTAL: usize = 4096;
    let all: Vec<String> = diags.iter().filter(|d| d.severity != Severity::Info).map(warning_text).collect();
    let mut out = Vec::new();
    let mut used = 0;
    for (i, w) in all.iter().enumerate() {
        // Room for this warning and, if any remain after it, the closing count.
        let closing = if i + 1 < all.len() { 64 } else { 0 };
        if used + w.len() + closing > TOTAL {
            out.push(format!(
                "eci-bridge: {} more warnings not shown (the API server passes 4096 characters)",
                all.len() - i
            ));
            break;
        }
        used += w.len();
        out.push(w.clone());
    }
    out
}

fn respond(uid: &str, decision: &Decision, patch: &json_patch::Patch, diags: &[Diagnostic]) -> AdmissionResponse {
    let warnings = warnings(diags);
    match decision {
        Decision::Denied { reason } => AdmissionResponse {
            uid: uid.into(),
            allowed: false,
            status: Some(ResponseStatus { code: 400, message: reason.clone(), reason: Some("BadRequest".into()) }),
            patch: None,
            patch_type: None,
            warnings,
        },
        _ if patch.0.is_empty() => {
            AdmissionResponse { uid: uid.into(), allowed: true, status: None, patch: None, patch_type: None, warnings }
        }
        _ => AdmissionResponse {
            uid: uid.into(),
            allowed: true,
            status: None,
            patch: Some(
                base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(patch).unwrap_or_default()),
            ),
            patch_type: Some("JSONPatch".into()),
            warnings,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(labels: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns", "labels": labels},
               "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}})
    }

    #[test]
    fn routes_by_label_and_is_idempotent() {
        let options = AdmissionOptions::default();
        let a = admit(&review_for_pod(&pod(json!({"alibabacloud.com/eci": "true"}))), None, &BTreeMap::new(), &options);
        assert!(matches!(a.decision, Decision::Routed { .. }));
        assert!(!a.patch.0.is_empty());
        let patched = a.patched.clone().unwrap();
        assert_eq!(patched["spec"]["nodeSelector"]["type"], "virtual-kubelet");
        let again = admit(&review_for_pod(&patched), None, &BTreeMap::new(), &options);
        assert!(again.patch.0.is_empty(), "{:?}", again.patch);
        let response = a.review.response.unwrap();
        assert_eq!(response.patch_type.as_deref(), Some("JSONPatch"));
    }

    #[test]
    fn routed_pods_tolerate_the_taint_the_cluster_settings_give_the_nodes() {
        let tolerated = |options: &AdmissionOptions| -> Vec<String> {
            let a =
                admit(&review_for_pod(&pod(json!({"alibabacloud.com/eci": "true"}))), None, &BTreeMap::new(), options);
            let patched = a.patched.unwrap_or_default();
            let tolerations = patched["spec"]["tolerations"].as_array().cloned().unwrap_or_default();
            tolerations.iter().filter_map(|t| t["key"].as_str().map(str::to_string)).collect()
        };
        assert_eq!(tolerated(&AdmissionOptions::default()), ["virtual-kubelet.io/provider"]);
        let mut options = AdmissionOptions::default();
        options.cluster.taint.key = "example.com/eci".into();
        assert_eq!(tolerated(&options), ["example.com/eci"], "VKUBELET_TAINT_KEY of the cluster settings");
        options.taint_key = Some("example.com/given".into());
        assert_eq!(tolerated(&options), ["example.com/given"], "a key given to the webhook wins");
    }

    #[test]
    fn skips_what_is_not_a_pod_creation() {
        let options = AdmissionOptions::default();
        let mut review = review_for_pod(&pod(json!({"eci": "true"})));
        if let Some(r) = review.request.as_mut() {
            r.operation = "UPDATE".into();
        }
        let a = admit(&review, None, &BTreeMap::new(), &options);
        assert_eq!(a.decision, Decision::Skipped { reason: "not a CREATE".into() });
        assert!(a.patch.0.is_empty());
    }

    #[test]
    fn denies_unknown_burst_values() {
        let mut p = pod(json!({}));
        p["metadata"]["annotations"] = json!({"alibabacloud.com/burst-resource": "gpu"});
        let a = admit(&review_for_pod(&p), None, &BTreeMap::new(), &AdmissionOptions::default());
        let r = a.review.response.unwrap();
        assert!(!r.allowed);
        assert!(r.status.unwrap().message.contains(BURST_RESOURCE_REASON));
    }
}
