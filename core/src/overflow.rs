//! Overflow: should a pod the scheduler could not place move to ECI?
//!
//! virtual-kubelet-autoscaler "takes over pods that failed to schedule for
//! lack of resources and re-schedules them onto ECI" (docs/admission.md#overflow;
//! discontinued, no public source). The
//! open-source ECI profile webhook does the same from an informer: pods with
//! `PodScheduled=False, reason=Unschedulable` get the virtual-node toleration
//! by patch (docs/eci-profile.md#selector-crd, the "informer path").
//!
//! [`decide`] takes the pending pod (with its status), the eci-profile,
//! cluster settings, namespace labels and objects, and either leaves the pod
//! — saying why — or moves it.
//!
//! **How it moves a pod: a patch, not a Binding.** The patch adds the
//! virtual node's toleration (and the ARM64 one for a pod selecting arm64)
//! and the profile's effect labels and annotations, appended as admission
//! appends them. The scheduler retries an unschedulable pod when it is
//! updated, and now may pick a virtual node. A Binding would bypass the
//! scheduler: it would ignore the pod's affinity, topology spread and volume
//! zones, and it would have to pick the zone's node itself. A pod's
//! `nodeSelector` and `affinity` cannot be changed after creation (only
//! tolerations can be added), so routing by nodeSelector, as admission does,
//! is not possible here — which is why the pod's own constraints must admit
//! a virtual node (checked against the nodes [`crate::node`] would register).
//!
//! **When it leaves a pod**, the reason is one of [`LeaveReason`]: not
//! pending, already scheduled, not unschedulable, unschedulable for another
//! reason than resources (affinity, taints, unbound volumes: ECI would not
//! help), a DaemonSet or mirror pod, already able to use a virtual node,
//! opted out (`alibabacloud.com/burst-resource: ecs`, or the label
//! `alibabacloud.com/eci: "false"`), its constraints exclude every virtual
//! node, or the translation rejects it (the rule is named).
//!
//! "For lack of resources" is read from the scheduler's message
//! (`0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated
//! taint {…}. preemption: …`): at least one node must have failed on a
//! resource (`Insufficient <resource>`, `Too many pods`), or the cluster has
//! no nodes at all. Nodes filtered for other reasons do not change that:
//! the pod's constraints are checked against the virtual nodes separately.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::admission::{add_arm_toleration, add_toleration, apply_effects};
use crate::cluster::ClusterSettings;
use crate::diagnostics::{Code, Diagnostic, Pointer, Severity};
use crate::objects::ObjectStore;
use crate::placement::misfit;
use crate::profile::EciProfile;
use crate::translate::{TranslateInput, translate};

/// Why a pod stays where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeaveReason {
    /// Not in phase Pending, or being deleted.
    NotPending,
    /// Already bound to a regular node.
    Scheduled,
    /// No `PodScheduled=False, reason=Unschedulable` condition (yet).
    NotUnschedulable,
    /// Unschedulable, but not for lack of resources.
    NotForLackOfResources,
    /// Owned by a DaemonSet (virtual nodes cannot run DaemonSets).
    DaemonSet,
    /// A static (mirror) pod.
    MirrorPod,
    /// Already on, or already able to use, a virtual node.
    AlreadyOnEci,
    /// The pod asks to stay on regular nodes.
    OptedOut,
    /// Its nodeSelector, affinity or tolerations exclude every virtual node.
    ExcludesVirtualNodes,
    /// The translation rejects it; ECI would refuse the instance.
    RejectedByEci,
    /// The inputs (settings, profile, objects) have errors: nothing is
    /// decided on them, in particular no fallback to example settings.
    InvalidInput,
}

/// The decision.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase", tag = "action")]
pub enum Decision {
    /// The pod stays.
    Leave {
        /// Why.
        reason: LeaveReason,
        /// In words.
        detail: String,
    },
    /// The pod moves to ECI.
    Move {
        /// RFC 6902 patch to send (`kubectl patch --type json`).
        patch: json_patch::Patch,
        /// The pod after the patch.
        patched: Value,
        /// Virtual nodes the scheduler may now choose.
        candidates: Vec<String>,
        /// The scheduler's reasons that made it an overflow.
        shortage: Vec<String>,
    },
}

/// A decision and what was noticed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Overflow {
    /// The decision.
    pub decision: Decision,
    /// Problems and notes.
    pub diagnostics: Vec<Diagnostic>,
}

/// What [`decide`] needs.
#[derive(Debug, Clone, Copy)]
pub struct OverflowInput<'a> {
    /// The pod, with its status, as the API server returns it.
    pub pod: &'a Value,
    /// The eci-profile.
    pub profile: Option<&'a EciProfile>,
    /// Cluster settings (the virtual nodes, their taint).
    pub cluster: &'a ClusterSettings,
    /// Labels of the pod's namespace (profile selectors).
    pub namespace_labels: &'a BTreeMap<String, String>,
    /// ConfigMaps and Secrets the pod uses (for the translation check).
    pub objects: &'a ObjectStore,
}

/// One `<count> <reason>` item of a scheduler message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeReason {
    /// How many nodes.
    pub nodes: u32,
    /// Why they were filtered.
    pub reason: String,
}

impl NodeReason {
    /// True for a shortage of a resource.
    pub fn is_resource_shortage(&self) -> bool {
        self.reason.starts_with("Insufficient ") || self.reason == "Too many pods"
    }
}

/// The per-node reasons of a scheduler `Unschedulable` message, or `None`
/// when the message has another shape. "no nodes available to schedule
/// pods" gives an empty list; a reason without a count ("pod has unbound
/// immediate PersistentVolumeClaims") applies to every node.
pub fn parse_scheduler_message(message: &str) -> Option<Vec<NodeReason>> {
    if message.contains("no nodes available to schedule pods") {
        return Some(Vec::new());
    }
    let (head, rest) = message.split_once(" nodes are available:")?;
    let total = head.rsplit('/').next().and_then(|n| n.trim().parse::<u32>().ok()).unwrap_or(0);
    let rest = rest.split_once(". preemption:").map_or(rest, |(head, _)| head);
    let rest = rest.trim().trim_end_matches('.');
    let mut reasons: Vec<NodeReason> = Vec::new();
    for item in rest.split(", ") {
        match (item.split_once(' ').and_then(|(n, r)| Some((n.parse::<u32>().ok()?, r))), reasons.last_mut()) {
            (Some((nodes, reason)), _) => reasons.push(NodeReason { nodes, reason: reason.to_string() }),
            // Older messages continue a reason after a comma ("…}, that the pod didn't tolerate").
            (None, Some(last)) => {
                last.reason.push_str(", ");
                last.reason.push_str(item);
            }
            (None, None) if !item.is_empty() => reasons.push(NodeReason { nodes: total, reason: item.to_string() }),
            (None, None) => return None,
        }
    }
    Some(reasons)
}

fn leave(reason: LeaveReason, detail: impl Into<String>, diagnostics: Vec<Diagnostic>) -> Overflow {
    Overflow { decision: Decision::Leave { reason, detail: detail.into() }, diagnostics }
}

fn owned_by_daemonset(pod: &Pod) -> bool {
    pod.metadata.owner_references.iter().flatten().any(|o| o.kind == "DaemonSet")
}

fn selects_arm64(pod: &Value) -> bool {
    pod.pointer("/spec/nodeSelector/kubernetes.io~1arch").and_then(Value::as_str) == Some("arm64")
}

/// Decides what to do with a pod.
pub fn decide(input: &OverflowInput<'_>) -> Overflow {
    let mut diags = Vec::new();
    if let Some(breach) = crate::limits::check_pod_document(input.pod, "") {
        return leave(LeaveReason::InvalidInput, "the pod exceeds eci-bridge's input limits", vec![breach]);
    }
    let pod: Pod = match crate::input::from_value(input.pod, crate::diagnostics::Input::Pod) {
        Ok(p) => p,
        Err(e) => {
            let d = Diagnostic::pod(Severity::Error, Code::Schema, "", format!("not a Pod: {e}"));
            return leave(LeaveReason::NotPending, "the input is not a Pod", vec![d]);
        }
    };
    let meta = &pod.metadata;
    let annotations = meta.annotations.clone().unwrap_or_default();
    let labels = meta.labels.clone().unwrap_or_default();
    let spec = pod.spec.clone().unwrap_or_default();
    let status = pod.status.clone().unwrap_or_default();

    if annotations.contains_key("kubernetes.io/config.mirror") {
        return leave(LeaveReason::MirrorPod, "a static pod belongs to its node", diags);
    }
    if owned_by_daemonset(&pod) {
        return leave(LeaveReason::DaemonSet, "DaemonSet pods cannot run on virtual nodes", diags);
    }
    if meta.deletion_timestamp.is_some() {
        return leave(LeaveReason::NotPending, "the pod is being deleted", diags);
    }
    let phase = status.phase.clone().unwrap_or_else(|| "Pending".into());
    if phase != "Pending" {
        return leave(LeaveReason::NotPending, format!("the pod is {phase}"), diags);
    }
    // The virtual nodes, as the provider registers them (time plays no part in placement).
    let nodes = crate::node::virtual_nodes(input.cluster, input.profile, Timestamp::UNIX_EPOCH).nodes;
    if let Some(node) = spec.node_name.as_deref().filter(|n| !n.is_empty()) {
        let on_virtual =
            nodes.iter().any(|n| n.metadata.name.as_deref() == Some(node)) || node.starts_with("virtual-kubelet");
        return if on_virtual {
            leave(LeaveReason::AlreadyOnEci, format!("the pod is bound to virtual node {node}"), diags)
        } else {
            leave(LeaveReason::Scheduled, format!("the pod is bound to {node}"), diags)
        };
    }
    let conditions = status.conditions.clone().unwrap_or_default();
    let Some((at, scheduled)) = conditions.iter().enumerate().find(|(_, c)| c.type_ == "PodScheduled") else {
        return leave(LeaveReason::NotUnschedulable, "the scheduler has not reported on the pod yet", diags);
    };
    let condition_at = Pointer::root().key("status").key("conditions").index(at);
    if scheduled.status != "False" || scheduled.reason.as_deref() != Some("Unschedulable") {
        let why = match scheduled.reason.as_deref() {
            Some("SchedulingGated") => "scheduling gates hold the pod".to_string(),
            Some(r) => format!("PodScheduled is {} ({r})", scheduled.status),
            None => format!("PodScheduled is {}", scheduled.status),
        };
        return leave(LeaveReason::NotUnschedulable, why, diags);
    }
    let message = scheduled.message.clone().unwrap_or_default();
    let Some(reasons) = parse_scheduler_message(&message) else {
        diags.push(
            Diagnostic::pod(
                Severity::Info,
                Code::InvalidValue,
                condition_at.key("message"),
                "the scheduler's message does not have the `0/N nodes are available: …` shape; it is not read as a shortage",
            )
            .help("only pods that failed for lack of resources move to ECI"),
        );
        return leave(LeaveReason::NotForLackOfResources, format!("unrecognised scheduler message: {message}"), diags);
    };
    let shortage: Vec<String> = reasons
        .iter()
        .filter(|r| r.is_resource_shortage())
        .map(|r| format!("{} node(s): {}", r.nodes, r.reason))
        .collect();
    if shortage.is_empty() && !reasons.is_empty() {
        let others: Vec<String> = reasons.iter().map(|r| format!("{} {}", r.nodes, r.reason)).collect();
        return leave(
            LeaveReason::NotForLackOfResources,
            format!("no node lacked resources ({}); ECI would not help", others.join(", ")),
            diags,
        );
    }
    let shortage = if reasons.is_empty() { vec!["the cluster has no nodes".to_string()] } else { shortage };

    let burst = annotations.get("alibabacloud.com/burst-resource").map(String::as_str);
    if burst == Some("ecs") || labels.get("alibabacloud.com/eci").map(String::as_str) == Some("false") {
        return leave(
            LeaveReason::OptedOut,
            "the pod asks for regular nodes only (burst-resource ecs, or alibabacloud.com/eci=false)",
            diags,
        );
    }

    if nodes.iter().any(|n| misfit(&spec, n).is_none()) {
        return leave(
            LeaveReason::AlreadyOnEci,
            "the pod already tolerates a virtual node it fits; the scheduler did not place it there (ECI quota, ECI_QUOTA_* capacity, or a retry still to come)",
            diags,
        );
    }

    // The patch is computed against the pod without its status, which it never touches.
    let mut original = input.pod.clone();
    if let Some(map) = original.as_object_mut() {
        map.remove("status");
    }
    let mut patched = original.clone();
    let selectors = input.profile.map(|p| p.selectors.as_slice()).unwrap_or_default();
    apply_effects(
        &mut patched,
        &crate::profile::effects::ProfileEffects::of(selectors, &labels, &annotations, input.namespace_labels),
    );
    add_toleration(&mut patched, &input.cluster.taint.key);
    if selects_arm64(&patched) {
        add_arm_toleration(&mut patched);
    }
    let moved: Pod = crate::input::from_value(&patched, crate::diagnostics::Input::Pod).unwrap_or_default();
    let moved_spec = moved.spec.clone().unwrap_or_default();
    let candidates: Vec<String> =
        nodes.iter().filter(|n| misfit(&moved_spec, n).is_none()).filter_map(|n| n.metadata.name.clone()).collect();
    if candidates.is_empty() {
        let why: Vec<String> = nodes
            .iter()
            .filter_map(|n| Some(format!("{}: {}", n.metadata.name.clone()?, misfit(&moved_spec, n)?)))
            .collect();
        return leave(
            LeaveReason::ExcludesVirtualNodes,
            format!("its constraints exclude every virtual node ({})", why.join("; ")),
            diags,
        );
    }

    let translation = translate(&TranslateInput {
        pod: &moved,
        namespace_labels: input.namespace_labels,
        cluster: input.cluster,
        profile: input.profile,
        objects: input.objects,
        missing_objects: crate::translate::MissingObjects::Reject,
    });
    let errors: Vec<&Diagnostic> = translation.diagnostics.iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        let rules: Vec<String> =
            errors.iter().map(|d| format!("{} at {}: {}", d.code.as_str(), d.pointer, d.message)).collect();
        // The rejection is the reason to stay, not an error of this decision.
        diags.extend(errors.iter().map(|d| Diagnostic {
            severity: Severity::Warning,
            message: format!("ECI would reject this pod: {}", d.message),
            ..(*d).clone()
        }));
        return leave(LeaveReason::RejectedByEci, format!("ECI would reject it: {}", rules.join("; ")), diags);
    }
    diags.extend(translation.diagnostics.iter().filter(|d| d.severity == Severity::Warning).cloned());
    let patch = json_patch::diff(&original, &patched);
    Overflow { decision: Decision::Move { patch, patched, candidates, shortage }, diagnostics: diags }
}

/// Why a pod whose inputs have errors stays.
const INPUT_ERRORS: &str = "the inputs have errors (see the diagnostics); the pod is not moved";

/// The decision when an input has errors: the pod stays where it is.
pub fn leave_for_errors() -> Overflow {
    leave(LeaveReason::InvalidInput, INPUT_ERRORS, Vec::new())
}

/// [`decide`] for the pod of a bundle (its profile, settings, namespace
/// labels and objects); `cluster` is used when the bundle has no settings.
/// An error among the bundle's reading diagnostics leaves the pod.
pub fn decide_bundle(bundle: &crate::Bundle, cluster: &ClusterSettings) -> Overflow {
    if crate::diagnostics::has_errors(&bundle.diagnostics) {
        return leave(LeaveReason::InvalidInput, INPUT_ERRORS, bundle.diagnostics.clone());
    }
    let pod = crate::json::to_value(&bundle.pod);
    let mut result = decide(&OverflowInput {
        pod: &pod,
        profile: bundle.profile.as_ref(),
        cluster: bundle.cluster.as_ref().unwrap_or(cluster),
        namespace_labels: &bundle.namespace_labels,
        objects: &bundle.objects,
    });
    let mut diagnostics = bundle.diagnostics.clone();
    diagnostics.append(&mut result.diagnostics);
    result.diagnostics = diagnostics;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_messages() {
        let m = "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod..";
        let r = parse_scheduler_message(m).unwrap();
        assert_eq!(r.len(), 2);
        assert!(r[0].is_resource_shortage() && !r[1].is_resource_shortage());
        let old = "0/3 nodes are available: 1 node(s) had taint {node-role.kubernetes.io/master: }, that the pod didn't tolerate, 2 Insufficient memory.";
        let r = parse_scheduler_message(old).unwrap();
        assert_eq!(r[0].reason, "node(s) had taint {node-role.kubernetes.io/master: }, that the pod didn't tolerate");
        assert_eq!((r[1].nodes, r[1].reason.as_str()), (2, "Insufficient memory"));
        assert_eq!(parse_scheduler_message("no nodes available to schedule pods"), Some(vec![]));
        assert_eq!(parse_scheduler_message("something else"), None);
        let pvc = "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..";
        let r = parse_scheduler_message(pvc).unwrap();
        assert_eq!((r[0].nodes, r[0].reason.as_str()), (3, "pod has unbound immediate PersistentVolumeClaims"));
    }
}
