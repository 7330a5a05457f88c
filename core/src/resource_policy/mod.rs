//! Unit priority, ResourcePolicy-style: "ECS first, then ECI" for clusters
//! without ACK's scheduler.
//!
//! ACK's ResourcePolicy (`scheduling.alibabacloud.com/v1alpha1`,
//! docs/elastic.md#resourcepolicy) orders units of capacity (`ecs`, `eci`,
//! …), each with a nodeSelector, an optional `max` (pods) and `maxResources`,
//! and `podLabels`/`podAnnotations` written to the pods it places; scale-out
//! follows the order, scale-in the reverse. ACK implements it inside its
//! scheduler. [`place`] makes the same decision as an admission step: for a
//! new pod and the pods already placed, it picks the unit and returns the
//! patch that puts the pod there.
//!
//! Choices (the scheduler's internals are not public):
//! - **Counting.** A placed pod counts for the policy when it is in the
//!   policy's namespace, carries the `selector` labels, is not terminating
//!   (`ignoreTerminatingPod`, default true), was created after the policy
//!   when `ignorePreviousPod` is true, and shares the new pod's values of
//!   `matchLabelKeys`. It belongs to the first unit whose `podLabels` it
//!   carries; for a unit without `podLabels`, whose `nodeSelector` its own
//!   nodeSelector contains; for a unit with neither, an `eci` unit takes pods
//!   on (or selecting) virtual nodes and an `ecs` unit the others. Give each
//!   unit `podLabels` to make counting exact.
//! - **Choosing.** The first unit in order that is below its `max` and whose
//!   `maxResources` still fit the pod's requests. `whenTryNextUnits` decides
//!   what "lack of resources" means; a pure function cannot see node
//!   capacity, so the caller names the units that lack it (`lacking`). Under
//!   `ExceedMax` only the max moves a pod on. When every unit is full the pod
//!   gets no patch and waits (diagnostic `units-full`), as it stays Pending
//!   under ACK.
//! - **The patch.** The unit's `podLabels` are set (they are how pods are
//!   counted, so they win, with a warning if the pod said otherwise), its
//!   `podAnnotations` appended (the pod's own values win), its `nodeSelector`
//!   merged (a contradicting pod nodeSelector rules the unit out). An `eci`
//!   unit also gets the virtual-node toleration, and `type: virtual-kubelet`
//!   when the unit has no nodeSelector ("eci units add the virtual-node
//!   toleration internally").
//! - **Scale-in in reverse.** Each placed pod gets
//!   `controller.kubernetes.io/pod-deletion-cost` = 1000 × (units − index),
//!   so a ReplicaSet scaling in deletes the last unit's pods first. ACK lists
//!   pod-deletion-cost as conflicting with ResourcePolicy because its
//!   scheduler orders deletions itself; without that scheduler the deletion
//!   cost is the standard Kubernetes way to get the same order.
//!   [`scale_in_order`] lists the order for given pods.

pub mod case;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::admission::object_at;
use crate::cluster::ClusterSettings;
use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};
use crate::labels::check_labels;
use crate::quantity::Quantity;

/// The API version of ResourcePolicy.
pub const API_VERSION: &str = "scheduling.alibabacloud.com/v1alpha1";
/// The annotation a ReplicaSet reads to pick pods to delete on scale-in.
pub const DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
/// Units a policy may name (docs/elastic.md#resourcepolicy).
pub const RESOURCES: &[&str] = &["ecs", "eci", "elastic", "acs"];
/// `whenTryNextUnits.policy` values.
pub const TRY_NEXT_POLICIES: &[&str] =
    &["ExceedMax", "TimeoutOrExceedMax", "LackResourceOrExceedMax", "LackResourceAndNoTerminating"];

/// A ResourcePolicy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePolicy {
    /// `scheduling.alibabacloud.com/v1alpha1`.
    #[serde(default)]
    pub api_version: String,
    /// `ResourcePolicy`.
    #[serde(default)]
    pub kind: String,
    /// Name, namespace, creationTimestamp.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The units and how to use them.
    pub spec: ResourcePolicySpec,
}

/// `spec`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePolicySpec {
    /// Labels of the pods it governs (same namespace); empty = all pods.
    #[serde(default)]
    pub selector: BTreeMap<String, String>,
    /// Only `prefer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// The units, in scale-out order.
    #[serde(default)]
    pub units: Vec<PolicyUnit>,
    /// `AfterAllUnits` (default) or `BeforeNextUnit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preempt_policy: Option<String>,
    /// Do not count pods created before the policy (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_previous_pod: Option<bool>,
    /// Do not count terminating pods (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_terminating_pod: Option<bool>,
    /// Count only pods sharing the new pod's values of these labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_label_keys: Vec<String>,
    /// When the next unit is tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when_try_next_units: Option<WhenTryNextUnits>,
}

/// `spec.whenTryNextUnits`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhenTryNextUnits {
    /// One of [`TRY_NEXT_POLICIES`]; default `LackResourceOrExceedMax`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// For `TimeoutOrExceedMax` (default 15m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

/// One unit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyUnit {
    /// `ecs`, `eci`, `elastic` (deprecated) or `acs`.
    pub resource: String,
    /// Nodes of the unit.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Most pods in the unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i32>,
    /// Most resource requests in the unit (`cpu: 40`, `memory: 80Gi`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub max_resources: BTreeMap<String, String>,
    /// Labels written to the unit's pods (and used to count them).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_labels: BTreeMap<String, String>,
    /// Annotations written to the unit's pods.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_annotations: BTreeMap<String, String>,
}

impl PolicyUnit {
    fn is_eci(&self) -> bool {
        matches!(self.resource.as_str(), "eci" | "acs")
    }
}

fn diag(severity: Severity, code: Code, pointer: &Pointer, message: impl Into<String>) -> Diagnostic {
    Diagnostic::pod(severity, code, pointer, message).on(Input::ResourcePolicy)
}

/// A Go duration such as `1m`, `90s`, `1h30m`.
fn is_duration(text: &str) -> bool {
    let mut rest = text;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
        let unit = ["ms", "us", "ns", "h", "m", "s"].iter().find(|u| rest[digits..].starts_with(**u));
        match unit {
            Some(u) if digits > 0 => rest = &rest[digits + u.len()..],
            _ => return false,
        }
        parts += 1;
    }
    parts > 0
}

/// Every problem with a policy, pointing into it.
pub fn validate(policy: &ResourcePolicy) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let spec_at = Pointer::root().key("spec");
    if !policy.api_version.is_empty() && policy.api_version != API_VERSION {
        diags.push(diag(
            Severity::Warning,
            Code::InvalidValue,
            &Pointer::root().key("apiVersion"),
            format!("apiVersion `{}` is not {API_VERSION}", policy.api_version),
        ));
    }
    check_labels(&policy.spec.selector, &spec_at.key("selector"), Input::ResourcePolicy, &mut diags);
    if let Some(s) = policy.spec.strategy.as_deref().filter(|s| *s != "prefer") {
        diags.push(diag(
            Severity::Error,
            Code::InvalidValue,
            &spec_at.key("strategy"),
            format!("strategy `{s}` is not `prefer`, the only value"),
        ));
    }
    if let Some(p) = policy.spec.preempt_policy.as_deref().filter(|p| !["AfterAllUnits", "BeforeNextUnit"].contains(p))
    {
        diags.push(diag(
            Severity::Error,
            Code::InvalidValue,
            &spec_at.key("preemptPolicy"),
            format!("preemptPolicy `{p}` is not AfterAllUnits or BeforeNextUnit"),
        ));
    }
    if let Some(when) = &policy.spec.when_try_next_units {
        let at = spec_at.key("whenTryNextUnits");
        if let Some(p) = when.policy.as_deref().filter(|p| !TRY_NEXT_POLICIES.contains(p)) {
            diags.push(
                diag(
                    Severity::Error,
                    Code::InvalidValue,
                    &at.key("policy"),
                    format!("policy `{p}` is not a whenTryNextUnits policy"),
                )
                .help(format!("one of {}", TRY_NEXT_POLICIES.join(", "))),
            );
        }
        if let Some(t) = when.timeout.as_deref().filter(|t| !is_duration(t)) {
            diags.push(diag(
                Severity::Error,
                Code::InvalidValue,
                &at.key("timeout"),
                format!("timeout `{t}` is not a duration such as 1m or 15m"),
            ));
        }
    }
    let units_at = spec_at.key("units");
    if policy.spec.units.is_empty() {
        diags.push(
            diag(Severity::Error, Code::MissingField, &units_at, "the policy has no units")
                .help("e.g. units: [{resource: ecs}, {resource: eci}]"),
        );
    }
    for (i, unit) in policy.spec.units.iter().enumerate() {
        let at = units_at.index(i);
        match unit.resource.as_str() {
            "ecs" | "eci" => {}
            "elastic" => diags.push(
                diag(
                    Severity::Warning,
                    Code::DeprecatedAnnotation,
                    &at.key("resource"),
                    "resource `elastic` is deprecated; it is treated as ecs",
                )
                .help(
                    "use resource: ecs with podLabels {k8s.aliyun.com/resource-policy-wait-for-ecs-scaling: \"true\"}",
                ),
            ),
            "acs" => diags.push(diag(
                Severity::Info,
                Code::Converted,
                &at.key("resource"),
                "resource `acs` is placed like eci (virtual nodes)",
            )),
            other => diags.push(
                diag(
                    Severity::Error,
                    Code::InvalidValue,
                    &at.key("resource"),
                    format!("resource `{other}` is not a unit type"),
                )
                .help(format!("one of {}", RESOURCES.join(", "))),
            ),
        }
        if unit.max.is_some_and(|m| m < 0) {
            diags.push(diag(Severity::Error, Code::InvalidValue, &at.key("max"), "max must not be negative"));
        }
        for (k, v) in &unit.max_resources {
            if limit_millis(v).is_none() {
                diags.push(diag(
                    Severity::Error,
                    Code::InvalidValue,
                    &at.key("maxResources").key(k),
                    format!("`{v}` is not a quantity"),
                ));
            }
        }
        check_labels(&unit.pod_labels, &at.key("podLabels"), Input::ResourcePolicy, &mut diags);
        check_labels(&unit.node_selector, &at.key("nodeSelector"), Input::ResourcePolicy, &mut diags);
        if unit.pod_labels.is_empty() && policy.spec.units.iter().filter(|u| u.is_eci() == unit.is_eci()).count() > 1 {
            diags.push(
                diag(
                    Severity::Warning,
                    Code::MissingField,
                    &at.key("podLabels"),
                    "without podLabels this unit's pods cannot be told from another unit of the same kind",
                )
                .help("give every unit distinct podLabels so placed pods are counted per unit"),
            );
        }
    }
    diags
}

/// How many pods (and requests) a unit holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitCount {
    /// The unit's position.
    pub index: usize,
    /// Its resource type.
    pub resource: String,
    /// Pods counted in it.
    pub pods: u32,
    /// Its max, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<i32>,
    /// Requests of its pods, for each resource its `maxResources` limits.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", serialize_with = "as_quantities")]
    pub requests: BTreeMap<String, i128>,
}

fn as_quantities<S: serde::Serializer>(map: &BTreeMap<String, i128>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(map.iter().map(|(k, v)| (k, format_millis(*v))))
}

/// Where the new pod goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "decision")]
pub enum UnitDecision {
    /// To unit `index`.
    Unit {
        /// The unit's position.
        index: usize,
        /// Its resource type.
        resource: String,
        /// Why the earlier units were passed over.
        passed_over: Vec<String>,
    },
    /// The policy does not govern this pod.
    NotSelected {
        /// Why.
        reason: String,
    },
    /// Every unit is full; the pod waits.
    AllUnitsFull {
        /// Why each unit was passed over.
        passed_over: Vec<String>,
    },
    /// The pod cannot be placed (e.g. it lacks a `matchLabelKeys` label).
    Rejected {
        /// Why.
        reason: String,
    },
}

/// The result of [`place`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Placement {
    /// The decision.
    pub decision: UnitDecision,
    /// Pods per unit before this pod.
    pub counts: Vec<UnitCount>,
    /// RFC 6902 patch for the pod (empty unless a unit was chosen).
    pub patch: json_patch::Patch,
    /// The pod after the patch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patched: Option<Value>,
    /// Problems.
    pub diagnostics: Vec<Diagnostic>,
}

/// What [`place`] needs.
#[derive(Debug, Clone, Copy)]
pub struct PlacementInput<'a> {
    /// The policy.
    pub policy: &'a ResourcePolicy,
    /// Pods already placed (any namespace; those the policy governs count).
    pub placed: &'a [Pod],
    /// The new pod, as admission sees it.
    pub pod: &'a Value,
    /// Units the caller knows lack resources now (by index).
    pub lacking: &'a [usize],
    /// Cluster settings (the virtual-node taint).
    pub cluster: &'a ClusterSettings,
}

fn labels_of(pod: &Pod) -> BTreeMap<String, String> {
    pod.metadata.labels.clone().unwrap_or_default()
}

fn contains(map: &BTreeMap<String, String>, sub: &BTreeMap<String, String>) -> bool {
    sub.iter().all(|(k, v)| map.get(k) == Some(v))
}

fn on_virtual_node(pod: &Pod) -> bool {
    let spec = pod.spec.as_ref();
    spec.and_then(|s| s.node_name.as_deref()).is_some_and(|n| n.starts_with("virtual-kubelet"))
        || spec
            .and_then(|s| s.node_selector.as_ref())
            .and_then(|n| n.get("type"))
            .is_some_and(|t| t == "virtual-kubelet")
}

/// The unit a placed pod belongs to, by the counting rule of the module docs.
pub fn unit_of(policy: &ResourcePolicy, pod: &Pod) -> Option<usize> {
    let labels = labels_of(pod);
    let selector = pod.spec.as_ref().and_then(|s| s.node_selector.clone()).unwrap_or_default();
    policy.spec.units.iter().position(|u| {
        if !u.pod_labels.is_empty() {
            contains(&labels, &u.pod_labels)
        } else if !u.node_selector.is_empty() {
            contains(&selector, &u.node_selector)
        } else {
            u.is_eci() == on_virtual_node(pod)
        }
    })
}

/// True when the policy governs `pod` (namespace and selector).
fn governs(policy: &ResourcePolicy, pod: &Pod) -> bool {
    let ns = |m: &ObjectMeta| m.namespace.clone().unwrap_or_else(|| "default".into());
    ns(&policy.metadata) == ns(&pod.metadata) && contains(&labels_of(pod), &policy.spec.selector)
}

/// The pods that count for the policy, given the new pod's matchLabelKeys values.
fn counted<'a>(policy: &ResourcePolicy, placed: &'a [Pod], new_labels: &BTreeMap<String, String>) -> Vec<&'a Pod> {
    let ignore_terminating = policy.spec.ignore_terminating_pod.unwrap_or(true);
    let ignore_previous = policy.spec.ignore_previous_pod.unwrap_or(false);
    let created = policy.metadata.creation_timestamp.as_ref().map(|t| t.0);
    placed
        .iter()
        .filter(|p| governs(policy, p))
        .filter(|p| !(ignore_terminating && p.metadata.deletion_timestamp.is_some()))
        .filter(|p| {
            !ignore_previous
                || match (created, p.metadata.creation_timestamp.as_ref()) {
                    (Some(c), Some(t)) => t.0 >= c,
                    _ => true,
                }
        })
        .filter(|p| {
            let labels = labels_of(p);
            policy.spec.match_label_keys.iter().all(|k| labels.contains_key(k) && labels.get(k) == new_labels.get(k))
        })
        .collect()
}

/// Sum of a pod's container requests for `resource`, in thousandths of the
/// unit (millicores, millibytes); limits count where a request is missing,
/// as Kubernetes defaults them.
fn requests(pod: &Pod, resource: &str) -> i128 {
    let containers = pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    containers.iter().fold(0i128, |sum, c| {
        let r = c.resources.as_ref();
        let q = r
            .and_then(|r| r.requests.as_ref())
            .and_then(|m| m.get(resource))
            .or_else(|| r.and_then(|r| r.limits.as_ref()).and_then(|m| m.get(resource)));
        let millis = q.and_then(|q| Quantity::parse(&q.0).ok()).and_then(|q| q.millis_ceil()).unwrap_or(0);
        sum.saturating_add(millis)
    })
}

/// A limit of `maxResources` in thousandths, `None` when it does not parse.
fn limit_millis(text: &str) -> Option<i128> {
    Quantity::parse(text).ok().and_then(|q| q.millis_ceil())
}

/// Thousandths as a quantity: `1500m`, `2`, `8Gi`, `512Mi`.
fn format_millis(millis: i128) -> String {
    const GI: i128 = 1000 << 30;
    const MI: i128 = 1000 << 20;
    match millis {
        0 => "0".into(),
        m if m % GI == 0 => format!("{}Gi", m / GI),
        m if m % MI == 0 => format!("{}Mi", m / MI),
        m if m % 1000 == 0 => (m / 1000).to_string(),
        m => format!("{m}m"),
    }
}

/// Counts per unit.
pub fn unit_counts(policy: &ResourcePolicy, pods: &[&Pod]) -> Vec<UnitCount> {
    policy
        .spec
        .units
        .iter()
        .enumerate()
        .map(|(index, u)| {
            let members: Vec<&&Pod> = pods.iter().filter(|p| unit_of(policy, p) == Some(index)).collect();
            let requests = u
                .max_resources
                .keys()
                .map(|r| (r.clone(), members.iter().fold(0i128, |s, p| s.saturating_add(requests(p, r)))))
                .collect();
            UnitCount {
                index,
                resource: u.resource.clone(),
                pods: u32::try_from(members.len()).unwrap_or(u32::MAX),
                max: u.max,
                requests,
            }
        })
        .collect()
}

/// Places a new pod.
pub fn place(input: &PlacementInput<'_>) -> Placement {
    let policy = input.policy;
    let mut diagnostics = validate(policy);
    let no_patch = |decision, counts, diagnostics| Placement {
        decision,
        counts,
        patch: json_patch::Patch(Vec::new()),
        patched: None,
        diagnostics,
    };
    let pod: Pod = match crate::input::from_value(input.pod, Input::Pod) {
        Ok(p) => p,
        Err(e) => {
            diagnostics.push(Diagnostic::pod(Severity::Error, Code::Schema, "", format!("not a Pod: {e}")));
            return no_patch(
                UnitDecision::Rejected { reason: "the input is not a Pod".into() },
                Vec::new(),
                diagnostics,
            );
        }
    };
    if crate::diagnostics::has_errors(&diagnostics) {
        return no_patch(UnitDecision::Rejected { reason: "the policy is invalid".into() }, Vec::new(), diagnostics);
    }
    if !governs(policy, &pod) {
        let reason = "the pod is not in the policy's namespace or lacks its selector labels".to_string();
        return no_patch(UnitDecision::NotSelected { reason }, Vec::new(), diagnostics);
    }
    let labels = labels_of(&pod);
    if let Some(key) = policy.spec.match_label_keys.iter().find(|k| !labels.contains_key(*k)) {
        diagnostics.push(
            Diagnostic::pod(
                Severity::Error,
                Code::MissingField,
                Pointer::from_tokens(["metadata", "labels", key.as_str()]),
                format!("the policy counts pods per `{key}` (matchLabelKeys), but the pod lacks that label"),
            )
            .help("ACK rejects such pods; add the label or drop the key from matchLabelKeys"),
        );
        return no_patch(UnitDecision::Rejected { reason: format!("missing label {key}") }, Vec::new(), diagnostics);
    }
    let annotations = pod.metadata.annotations.clone().unwrap_or_default();
    if annotations.contains_key("alibabacloud.com/burst-resource") {
        diagnostics.push(Diagnostic::pod(
            Severity::Warning,
            Code::Conflict,
            crate::annotations::pointer("alibabacloud.com/burst-resource"),
            "ResourcePolicy is documented to conflict with burst-resource; the policy decides",
        ));
    }

    let pods = counted(policy, input.placed, &labels);
    let counts = unit_counts(policy, &pods);
    let try_next_on_lack =
        policy.spec.when_try_next_units.as_ref().and_then(|w| w.policy.as_deref()) != Some("ExceedMax");
    let node_selector = pod.spec.as_ref().and_then(|s| s.node_selector.clone()).unwrap_or_default();
    let mut passed_over = Vec::new();
    let mut chosen = None;
    for (i, unit) in policy.spec.units.iter().enumerate() {
        let count = &counts[i];
        let why = if unit.max.is_some_and(|m| i64::from(count.pods) >= i64::from(m)) {
            Some(format!("unit {i} ({}) is at its max {}", unit.resource, unit.max.unwrap_or_default()))
        } else if let Some((r, limit)) = unit.max_resources.iter().find(|(r, limit)| {
            let used = count.requests.get(*r).copied().unwrap_or(0);
            limit_millis(limit).is_some_and(|l| used.saturating_add(requests(&pod, r)) > l)
        }) {
            Some(format!("unit {i} ({}) would exceed maxResources {r}: {limit}", unit.resource))
        } else if try_next_on_lack && input.lacking.contains(&i) {
            Some(format!("unit {i} ({}) lacks resources", unit.resource))
        } else if let Some((k, v)) =
            unit.node_selector.iter().find(|(k, v)| node_selector.get(*k).is_some_and(|p| p != *v))
        {
            Some(format!("unit {i} ({}) selects {k}={v}, the pod selects {k}={}", unit.resource, node_selector[k]))
        } else {
            None
        };
        match why {
            Some(w) => passed_over.push(w),
            None => {
                chosen = Some(i);
                break;
            }
        }
    }
    let Some(index) = chosen else {
        diagnostics.push(
            Diagnostic::pod(
                Severity::Warning,
                Code::UnitsFull,
                "",
                "every unit of the ResourcePolicy is full; the pod waits (Pending)",
            )
            .on(Input::ResourcePolicy)
            .help("raise a unit's max or add a unit; pods are placed again when capacity frees up"),
        );
        return no_patch(UnitDecision::AllUnitsFull { passed_over }, counts, diagnostics);
    };

    let unit = &policy.spec.units[index];
    let mut patched = input.pod.clone();
    apply_unit(&mut patched, unit, index, policy.spec.units.len(), input.cluster, &mut diagnostics);
    let patch = json_patch::diff(input.pod, &patched);
    Placement {
        decision: UnitDecision::Unit { index, resource: unit.resource.clone(), passed_over },
        counts,
        patch,
        patched: Some(patched),
        diagnostics,
    }
}

/// Writes the unit's labels, annotations, nodeSelector, toleration and deletion cost.
fn apply_unit(
    pod: &mut Value,
    unit: &PolicyUnit,
    index: usize,
    units: usize,
    cluster: &ClusterSettings,
    diags: &mut Vec<Diagnostic>,
) {
    let labels = object_at(pod, &["metadata", "labels"]);
    for (k, v) in &unit.pod_labels {
        if let Some(old) = labels.get(k).and_then(Value::as_str).filter(|old| *old != v) {
            diags.push(Diagnostic::pod(
                Severity::Warning,
                Code::Conflict,
                Pointer::from_tokens(["metadata", "labels", k.as_str()]),
                format!("label {k}={old} is replaced by the unit's {v}: units count their pods by it"),
            ));
        }
        labels.insert(k.clone(), Value::String(v.clone()));
    }
    let annotations = object_at(pod, &["metadata", "annotations"]);
    for (k, v) in &unit.pod_annotations {
        annotations.entry(k.clone()).or_insert_with(|| Value::String(v.clone()));
    }
    let cost = 1000 * (units - index);
    match annotations.get(DELETION_COST).and_then(Value::as_str) {
        Some(existing) if existing != cost.to_string() => diags.push(
            Diagnostic::pod(
                Severity::Warning,
                Code::Conflict,
                crate::annotations::pointer(DELETION_COST),
                format!("the pod sets its own deletion cost {existing}; scale-in may not follow the unit order"),
            )
            .help(format!("unit {index} would set {cost}")),
        ),
        Some(_) => {}
        None => {
            annotations.insert(DELETION_COST.into(), Value::String(cost.to_string()));
        }
    }
    let mut selector = unit.node_selector.clone();
    if unit.is_eci() {
        if selector.is_empty() {
            selector.insert("type".into(), "virtual-kubelet".into());
        }
        crate::admission::add_toleration(pod, &cluster.taint.key);
    }
    if !selector.is_empty() {
        let node_selector = object_at(pod, &["spec", "nodeSelector"]);
        for (k, v) in selector {
            node_selector.insert(k, Value::String(v));
        }
    }
}

/// The order a scale-in should delete `pods` in: the last unit first, and
/// within a unit the newest pod first. Pods the policy does not count are
/// left out.
pub fn scale_in_order(policy: &ResourcePolicy, pods: &[Pod]) -> Vec<String> {
    let mut ranked: Vec<(usize, Option<k8s_openapi::jiff::Timestamp>, String)> = pods
        .iter()
        .filter(|p| governs(policy, p) && p.metadata.deletion_timestamp.is_none())
        .filter_map(|p| {
            let unit = unit_of(policy, p)?;
            Some((
                unit,
                p.metadata.creation_timestamp.as_ref().map(|t| t.0),
                p.metadata.name.clone().unwrap_or_default(),
            ))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    ranked.into_iter().map(|(_, _, name)| name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert!(is_duration("15m") && is_duration("1h30m") && is_duration("90s") && is_duration("1.5h"));
        assert!(!is_duration("") && !is_duration("15") && !is_duration("m") && !is_duration("15 minutes"));
    }
}
