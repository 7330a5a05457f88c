//! Which virtual node [`RoutingStrategy::NodeName`](super::RoutingStrategy)
//! binds a pod to.
//!
//! The provider registers one virtual node per zone of the vSwitches ("ONE
//! VIRTUAL NODE PER vSwitch ZONE is generated", docs/virtual-node.md#one-node-per-zone;
//! names `virtual-kubelet-<region>-<zone>`), plus an arm64 node
//! per zone with `enableLinuxArm64Node`, and the single legacy node
//! `virtual-kubelet` (the name in the seed's nodeName example,
//! kubernetes-eci-integration.md §2.2 "(不推荐) 其它方式") only when no
//! vSwitch has a known zone: [`crate::node::planned_nodes`]. Binding a pod
//! to a name not in that list leaves it on a node that does not exist.
//!
//! Nothing in the vendor's documents says how a webhook picks among them
//! (the current docs say "You cannot specify which virtual node to schedule
//! the pods to", §2.3). Chosen here, deterministically, among the planned
//! nodes in their order:
//!
//! 1. the pod's architecture: nodeSelector `kubernetes.io/arch` (default
//!    amd64) keeps the nodes of that architecture;
//! 2. a zone the pod requires: nodeSelector `topology.kubernetes.io/zone`
//!    (or the beta `failure-domain` key) keeps the node of that zone;
//! 3. the pod's vSwitches: with `k8s.aliyun.com/eci-vswitch` (the pod's own
//!    or added by a profile effect), the node of the first listed vSwitch
//!    whose zone has one (the instance is created in one of those zones);
//! 4. otherwise the first node left: the zone of the first vSwitch of the
//!    eci-profile (else of the cluster settings).
//!
//! When a step leaves no node, or the zone of every listed vSwitch is
//! unknown, the pod is refused with an error saying which input decided
//! it and what to change. Step 3 does not apply to the legacy node (it has
//! no zone, so it serves every vSwitch). A node name pinned in the options
//! (`virtualNodeName`, `--node-name`) is used as given; when it is not
//! one of the planned nodes a warning says so.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;

use super::AdmissionOptions;
use crate::annotations::registry::VSWITCH;
use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};
use crate::node::{PlannedNode, planned_nodes};
use crate::profile::EciProfile;
use crate::text::split_list;

const ZONE_KEYS: &[&str] = &["topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"];
const ARCH_KEYS: &[&str] = &["kubernetes.io/arch", "beta.kubernetes.io/arch"];

fn names(nodes: &[&PlannedNode]) -> String {
    if nodes.is_empty() {
        return "none".into();
    }
    nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", ")
}

fn refuse(pointer: impl Into<String>, input: Input, message: String, help: &str) -> Diagnostic {
    Diagnostic::pod(Severity::Error, Code::Conflict, pointer, message).on(input).help(help)
}

/// The node to bind `pod` to (`pod` is the typed pod with the profile's
/// effects applied; `raw` is the pod as submitted, to tell whether an
/// annotation is its own), with notes on the choice; or why none can be.
pub(crate) fn choose_node(
    pod: &Pod,
    raw: &Pod,
    profile: Option<&EciProfile>,
    namespace_labels: &BTreeMap<String, String>,
    options: &AdmissionOptions,
) -> Result<(String, Vec<Diagnostic>), Diagnostic> {
    let (planned, _) = planned_nodes(&options.cluster, profile);
    if let Some(pinned) = &options.virtual_node_name {
        let mut notes = Vec::new();
        if !planned.iter().any(|n| &n.name == pinned) {
            let all: Vec<&PlannedNode> = planned.iter().collect();
            notes.push(
                Diagnostic::pod(
                    Severity::Warning,
                    Code::Conflict,
                    "/virtualNodeName",
                    format!(
                        "node `{pinned}` is not one of the virtual nodes the provider registers for these settings ({})",
                        names(&all)
                    ),
                )
                .on(Input::Options)
                .help("leave virtualNodeName (--node-name) unset to choose among the registered nodes"),
            );
        }
        return Ok((pinned.clone(), notes));
    }

    let empty = BTreeMap::new();
    let node_selector = pod.spec.as_ref().and_then(|s| s.node_selector.as_ref()).unwrap_or(&empty);
    let selected = |keys: &[&'static str]| keys.iter().find_map(|k| node_selector.get(*k).map(|v| (*k, v.as_str())));

    // 1. Architecture.
    let (arch_key, arch) = selected(ARCH_KEYS).unwrap_or(("kubernetes.io/arch", "amd64"));
    let mut candidates: Vec<&PlannedNode> = planned.iter().filter(|n| n.arch == arch).collect();
    if candidates.is_empty() {
        return Err(refuse(
            Pointer::from_tokens(["spec", "nodeSelector", arch_key]),
            Input::Pod,
            format!(
                "no {arch} virtual node is registered (registered: {})",
                names(&planned.iter().collect::<Vec<_>>())
            ),
            "arm64 virtual nodes need enableLinuxArm64Node: \"true\" in the eci-profile; other architectures have none",
        ));
    }

    // 2. A required zone.
    if let Some((zone_key, zone)) = selected(ZONE_KEYS) {
        let all = candidates.clone();
        candidates.retain(|n| n.zone.as_deref() == Some(zone));
        if candidates.is_empty() {
            return Err(refuse(
                Pointer::from_tokens(["spec", "nodeSelector", zone_key]),
                Input::Pod,
                format!("no {arch} virtual node is registered in zone {zone} (registered: {})", names(&all)),
                "the provider registers one node per zone of the eci-profile's vSwitchIds: add a vSwitch of that zone, or use --strategy node-selector",
            ));
        }
    }

    // 3. The pod's vSwitches (own or added by an effect).
    let vswitches = pod.metadata.annotations.as_ref().and_then(|a| a.get(VSWITCH)).map(|v| split_list(v));
    let zoned = candidates.iter().any(|n| n.zone.is_some());
    if let (Some(vswitches), true) = (vswitches.filter(|v| !v.is_empty()), zoned) {
        let (pointer, input) = if raw.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(VSWITCH)) {
            (crate::annotations::pointer(VSWITCH), Input::Pod)
        } else {
            let origin = crate::profile::effects::effective_annotations(raw, namespace_labels, profile)
                .into_iter()
                .find(|(k, _, _)| k == VSWITCH)
                .map(|(_, _, o)| o);
            origin.map(|o| (o.pointer, o.input)).unwrap_or((crate::annotations::pointer(VSWITCH), Input::Pod))
        };
        let zones: Vec<(&String, &String)> =
            vswitches.iter().filter_map(|v| options.cluster.vswitch_zones.get(v).map(|z| (v, z))).collect();
        if zones.is_empty() {
            return Err(refuse(
                pointer,
                input,
                format!(
                    "the zone of vSwitch {} is unknown, so no virtual node can be chosen for the pod",
                    vswitches.join(", ")
                ),
                "add the vSwitch to vswitchZones in the cluster settings, pin a node with --node-name, or use --strategy node-selector",
            ));
        }
        return match zones
            .iter()
            .find_map(|(v, z)| candidates.iter().find(|n| n.zone.as_ref() == Some(*z)).map(|n| (v, z, n)))
        {
            Some((v, z, n)) => {
                Ok((n.name.clone(), vec![note(format!("bound to {}: zone {z} of the pod's vSwitch {v}", n.name))]))
            }
            None => Err(refuse(
                pointer,
                input,
                format!(
                    "no {arch} virtual node is registered in the zones of the pod's vSwitches ({}; registered: {})",
                    zones.iter().map(|(v, z)| format!("{v} in {z}")).collect::<Vec<_>>().join(", "),
                    names(&candidates)
                ),
                "the provider registers one node per zone of the eci-profile's vSwitchIds: add one of these vSwitches there, or use --strategy node-selector",
            )),
        };
    }

    // 4. The first node left (the zone of the profile's first vSwitch).
    // Never empty here: steps 1 and 2 return when they leave no node.
    let Some(first) = candidates.first() else {
        return Err(refuse("", Input::Pod, "no virtual node is registered".into(), "check the cluster settings"));
    };
    let why = match &first.zone {
        Some(z) => format!("bound to {}: zone {z}, the first registered zone that fits the pod", first.name),
        None => format!("bound to {}: the single virtual node (no vSwitch has a known zone)", first.name),
    };
    Ok((first.name.clone(), vec![note(why)]))
}

fn note(message: String) -> Diagnostic {
    Diagnostic::pod(Severity::Info, Code::Defaulted, "/spec/nodeName", message)
}
