//! Virtual nodes: the Node objects pods are scheduled to, and their leases.
//!
//! One virtual node per vSwitch zone ("ONE VIRTUAL NODE PER vSwitch ZONE is
//! generated", docs/virtual-node.md#one-node-per-zone), named
//! `virtual-kubelet-<region>-<zone suffix>` (`virtual-kubelet-cn-beijing-j`,
//! docs/virtual-node.md#labels-and-taints), labelled `type=virtual-kubelet`, `kubernetes.io/role=agent`, with
//! region, zone, arch and OS labels, and tainted with VKUBELET_TAINT_KEY /
//! VALUE / EFFECT (default `virtual-kubelet.io/provider=alibabacloud:NoSchedule`).
//! With `enableLinuxArm64Node` each zone also gets an ARM64 node, labelled
//! and tainted `kubernetes.io/arch=arm64:NoSchedule`. Capacity comes from
//! ECI_QUOTA_*, the kubelet endpoint from KUBELET_PORT, the address from
//! VKUBELET_POD_IP. Time is an input: it stamps heartbeats and the lease.
//!
//! Choices: the vSwitches come from the eci-profile, else the cluster
//! settings; a vSwitch whose zone is not in `vswitchZones` gets no node (it
//! is reported); with no vSwitch at all the single legacy node
//! `virtual-kubelet` (the 2021 handbook's name) is produced.

use std::collections::BTreeMap;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{
    DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeSpec, NodeStatus, NodeSystemInfo, Taint,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use crate::cluster::ClusterSettings;
use crate::diagnostics::{Code, Diagnostic, Input, Severity};
use crate::profile::EciProfile;

/// Seconds a node lease is valid (the kubelet's default).
pub const LEASE_DURATION_SECONDS: i32 = 40;

/// The nodes, their leases and what was noticed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct VirtualNodes {
    /// One Node per zone (and architecture).
    pub nodes: Vec<Node>,
    /// One Lease per node, in `kube-node-lease`.
    pub leases: Vec<Lease>,
    /// Problems with the settings.
    pub diagnostics: Vec<Diagnostic>,
}

/// `virtual-kubelet-<region>-<zone suffix>`: `cn-hangzhou-h` → `h`.
pub fn node_name(region: &str, zone: &str) -> String {
    let suffix = zone.strip_prefix(region).map(|s| s.trim_start_matches('-')).filter(|s| !s.is_empty()).unwrap_or(zone);
    format!("virtual-kubelet-{region}-{suffix}")
}

/// One node the provider registers, before it becomes a Node object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedNode {
    /// The node's name.
    pub name: String,
    /// Its zone (`None` for the single legacy node).
    pub zone: Option<String>,
    /// `amd64` or `arm64`.
    pub arch: &'static str,
}

fn node(cluster: &ClusterSettings, input: &PlannedNode, now: Timestamp) -> Node {
    let mut labels: BTreeMap<String, String> = [
        ("type", "virtual-kubelet"),
        ("kubernetes.io/role", "agent"),
        ("kubernetes.io/os", "linux"),
        ("beta.kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", input.arch),
        ("beta.kubernetes.io/arch", input.arch),
        ("topology.kubernetes.io/region", cluster.region_id.as_str()),
        ("failure-domain.beta.kubernetes.io/region", cluster.region_id.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    labels.insert("kubernetes.io/hostname".into(), input.name.clone());
    if let Some(zone) = &input.zone {
        labels.insert("topology.kubernetes.io/zone".into(), zone.clone());
        labels.insert("failure-domain.beta.kubernetes.io/zone".into(), zone.clone());
    }
    let mut taints = vec![Taint {
        key: cluster.taint.key.clone(),
        value: Some(cluster.taint.value.clone()),
        effect: cluster.taint.effect.clone(),
        time_added: None,
    }];
    if input.arch == "arm64" {
        taints.push(Taint {
            key: "kubernetes.io/arch".into(),
            value: Some("arm64".into()),
            effect: "NoSchedule".into(),
            time_added: None,
        });
    }
    let capacity: BTreeMap<String, Quantity> = [
        ("cpu", cluster.quota.cpu.clone()),
        ("memory", cluster.quota.memory.clone()),
        ("pods", cluster.quota.pods.clone()),
        ("ephemeral-storage", "30Ti".to_string()),
    ]
    .into_iter()
    // In the form the API server stores them, so the Node reads back as written.
    .map(|(k, v)| (k.to_string(), Quantity(crate::quantity::canonical(&v).unwrap_or(v))))
    .collect();
    let condition = |kind: &str, status: &str, reason: &str, message: &str| NodeCondition {
        type_: kind.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_heartbeat_time: Some(Time(now)),
        last_transition_time: Some(Time(now)),
    };
    let mut addresses = vec![NodeAddress { type_: "Hostname".into(), address: input.name.clone() }];
    if let Some(ip) = &cluster.vk_pod_ip {
        addresses.insert(0, NodeAddress { type_: "InternalIP".into(), address: ip.clone() });
    }
    let version = cluster.kubernetes_version.clone().unwrap_or_else(|| "1.30".into());
    Node {
        metadata: ObjectMeta {
            name: Some(input.name.clone()),
            labels: Some(labels),
            annotations: Some([("eci-bridge.io/provider".to_string(), "alibabacloud-eci".to_string())].into()),
            ..Default::default()
        },
        spec: Some(NodeSpec { taints: Some(taints), ..Default::default() }),
        status: Some(NodeStatus {
            capacity: Some(capacity.clone()),
            allocatable: Some(capacity),
            conditions: Some(vec![
                condition("Ready", "True", "KubeletReady", "virtual kubelet is ready"),
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "ECI has no memory pressure"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "ECI has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "ECI has no PID pressure"),
                condition("NetworkUnavailable", "False", "RouteCreated", "the VPC routes ECI instances"),
            ]),
            addresses: Some(addresses),
            daemon_endpoints: Some(NodeDaemonEndpoints {
                kubelet_endpoint: Some(DaemonEndpoint { port: i32::from(cluster.kubelet_port) }),
            }),
            node_info: Some(NodeSystemInfo {
                architecture: input.arch.into(),
                boot_id: String::new(),
                container_runtime_version: "eci://2018-08-08".into(),
                kernel_version: String::new(),
                kube_proxy_version: String::new(),
                kubelet_version: format!("v{}-eci-bridge-{}", version.trim_start_matches('v'), crate::VERSION),
                machine_id: String::new(),
                operating_system: "linux".into(),
                os_image: "Alibaba Cloud Elastic Container Instance".into(),
                system_uuid: String::new(),
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

fn lease(node: &Node, now: Timestamp) -> Lease {
    let name = node.metadata.name.clone().unwrap_or_default();
    Lease {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some("kube-node-lease".into()),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(name),
            lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
            renew_time: Some(MicroTime(now)),
            ..Default::default()
        }),
    }
}

/// The virtual nodes of a cluster.
pub fn virtual_nodes(cluster: &ClusterSettings, profile: Option<&EciProfile>, now: Timestamp) -> VirtualNodes {
    let (planned, diags) = planned_nodes(cluster, profile);
    let nodes: Vec<Node> = planned.iter().map(|i| node(cluster, i, now)).collect();
    let leases = nodes.iter().map(|n| lease(n, now)).collect();
    VirtualNodes { nodes, leases, diagnostics: diags }
}

/// The nodes the provider registers, in order: for each zone of the
/// vSwitches (the eci-profile's, else the cluster settings'), in the order
/// the zones first appear, an amd64 node and, with `enableLinuxArm64Node`,
/// an arm64 node; the single legacy node when no vSwitch has a known zone.
pub fn planned_nodes(cluster: &ClusterSettings, profile: Option<&EciProfile>) -> (Vec<PlannedNode>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let (vswitches, from) = match profile.filter(|p| !p.vswitch_ids.is_empty()) {
        Some(p) => (p.vswitch_ids.clone(), Input::Profile),
        None => (cluster.vswitch_ids.clone(), Input::Cluster),
    };
    let mut zones: Vec<String> = Vec::new();
    for (i, vsw) in vswitches.iter().enumerate() {
        match cluster.vswitch_zones.get(vsw) {
            Some(zone) if !zones.contains(zone) => zones.push(zone.clone()),
            Some(_) => {}
            None => diags.push(
                Diagnostic::pod(
                    Severity::Warning,
                    Code::MissingField,
                    if from == Input::Profile { format!("/data/vSwitchIds/{i}") } else { format!("/vswitchIds/{i}") },
                    format!("the zone of vSwitch `{vsw}` is unknown, so it gets no virtual node"),
                )
                .on(from.clone())
                .help("add it to vswitchZones in the cluster settings (vSwitch ID → zone ID)"),
            ),
        }
    }
    let arm = profile.is_some_and(|p| p.enable_linux_arm64_node);
    let mut inputs: Vec<PlannedNode> = Vec::new();
    for zone in &zones {
        let name = node_name(&cluster.region_id, zone);
        inputs.push(PlannedNode { name: name.clone(), zone: Some(zone.clone()), arch: "amd64" });
        if arm {
            inputs.push(PlannedNode { name: format!("{name}-linux-arm64"), zone: Some(zone.clone()), arch: "arm64" });
        }
    }
    if inputs.is_empty() {
        diags.push(
            Diagnostic::pod(
                Severity::Info,
                Code::Defaulted,
                "/vswitchIds",
                "no vSwitch with a known zone: the single legacy node `virtual-kubelet` is used",
            )
            .on(Input::Cluster),
        );
        inputs.push(PlannedNode { name: "virtual-kubelet".into(), zone: None, arch: "amd64" });
        if arm {
            inputs.push(PlannedNode { name: "virtual-kubelet-linux-arm64".into(), zone: None, arch: "arm64" });
        }
    }
    (inputs, diags)
}

/// The inputs of [`virtual_nodes`] read from one YAML stream: cluster
/// settings (`kind: ClusterSettings`) and the eci-profile ConfigMap, in any
/// order. Other documents are reported and ignored.
#[derive(Debug, Clone, Default)]
pub struct NodesCase {
    /// Cluster settings, when the stream has them.
    pub cluster: Option<ClusterSettings>,
    /// The eci-profile, when the stream has it.
    pub profile: Option<EciProfile>,
    /// Problems found while reading.
    pub diagnostics: Vec<Diagnostic>,
}

impl NodesCase {
    /// Reads a case.
    pub fn from_documents(docs: &[serde_json::Value]) -> NodesCase {
        let mut case = NodesCase::default();
        for (i, doc) in docs.iter().enumerate() {
            if crate::profile::is_profile_document(doc) {
                let (profile, diags) = crate::profile::parse_profile(doc);
                case.profile = Some(profile);
                case.diagnostics.extend(diags);
            } else if doc.get("kind").and_then(serde_json::Value::as_str) == Some(crate::cluster::CLUSTER_SETTINGS_KIND)
            {
                let (cluster, diags) = crate::cluster::parse_cluster_document(doc);
                case.cluster = cluster;
                case.diagnostics.extend(diags);
            } else {
                case.diagnostics.push(
                    Diagnostic::pod(
                        Severity::Warning,
                        Code::Schema,
                        "/kind",
                        "only ClusterSettings and the eci-profile ConfigMap decide the virtual nodes; this document is ignored",
                    )
                    .on(Input::Object(format!("document {}", i + 1))),
                );
            }
        }
        case
    }

    /// The nodes; `cluster` is used when the case has no settings.
    pub fn nodes(&self, cluster: &ClusterSettings, now: Timestamp) -> VirtualNodes {
        let mut nodes = virtual_nodes(self.cluster.as_ref().unwrap_or(cluster), self.profile.as_ref(), now);
        let mut diagnostics = self.diagnostics.clone();
        diagnostics.append(&mut nodes.diagnostics);
        nodes.diagnostics = diagnostics;
        nodes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_node_per_zone_named_as_documented() {
        assert_eq!(node_name("cn-beijing", "cn-beijing-j"), "virtual-kubelet-cn-beijing-j");
        assert_eq!(node_name("cn-hangzhou", "other-zone"), "virtual-kubelet-cn-hangzhou-other-zone");
        let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let v = virtual_nodes(&ClusterSettings::example(), None, now);
        let names: Vec<_> = v.nodes.iter().filter_map(|n| n.metadata.name.clone()).collect();
        assert_eq!(names, vec!["virtual-kubelet-cn-hangzhou-h", "virtual-kubelet-cn-hangzhou-i"]);
        assert_eq!(v.leases.len(), 2);
        let taint = &v.nodes[0].spec.as_ref().unwrap().taints.as_ref().unwrap()[0];
        assert_eq!(
            (taint.key.as_str(), taint.value.as_deref(), taint.effect.as_str()),
            ("virtual-kubelet.io/provider", Some("alibabacloud"), "NoSchedule")
        );
    }
}
