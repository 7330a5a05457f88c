//! Cluster settings: what the virtual-kubelet Deployment's environment gives
//! the provider (docs/virtual-node.md#cluster-settings, the vendor's `vk.yaml`).
//!
//! The settings file is YAML. Keys may be written in camelCase
//! (`regionId`) or as the environment variable they come from
//! (`ECI_REGION`), and a Deployment's `env:` list (`- name: ECI_REGION
//! value: cn-hangzhou`) is accepted as is, so the file can be pasted from the
//! real Deployment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};

/// The kind of the cluster-settings document in a stream (`kind:
/// ClusterSettings`, settings under `settings:`).
pub const CLUSTER_SETTINGS_KIND: &str = "ClusterSettings";

/// How the cluster reaches ECI (`CLUSTER_TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClusterType {
    /// ACK managed cluster.
    #[serde(rename = "ACK")]
    Ack,
    /// Self-managed cluster on Alibaba Cloud ECS.
    #[serde(rename = "CLOUD")]
    Cloud,
    /// Cluster in an on-premises data centre.
    #[serde(rename = "IDC")]
    Idc,
}

/// The taint the virtual node carries (`VKUBELET_TAINT_*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taint {
    /// `virtual-kubelet.io/provider` by default.
    pub key: String,
    /// `alibabacloud` by default.
    pub value: String,
    /// `NoSchedule` by default.
    pub effect: String,
}

impl Default for Taint {
    fn default() -> Self {
        Taint { key: "virtual-kubelet.io/provider".into(), value: "alibabacloud".into(), effect: "NoSchedule".into() }
    }
}

/// The capacity the virtual node advertises (`ECI_QUOTA_*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// `ECI_QUOTA_CPU`.
    pub cpu: String,
    /// `ECI_QUOTA_MEMORY`.
    pub memory: String,
    /// `ECI_QUOTA_POD`.
    pub pods: String,
}

impl Default for Quota {
    /// The values of the vendor's example `vk.yaml` (docs/virtual-node.md#cluster-settings).
    fn default() -> Self {
        Quota { cpu: "1000000".into(), memory: "6400Ti".into(), pods: "10000".into() }
    }
}

/// What the target ECI API accepts beyond the 2021 baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetCapabilities {
    /// `Container.N.SecurityContextPrivileged` (API 2025-05-28). Without it
    /// privileged containers are rejected, as the 2021 handbook says (docs/limits.md#privileged-containers).
    pub security_context_privileged: bool,
}

/// The provider's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSettings {
    /// `ECI_REGION`.
    pub region_id: String,
    /// `ALIYUN_CLUSTERID`.
    pub cluster_id: String,
    /// `CLUSTER_TYPE`.
    pub cluster_type: ClusterType,
    /// VPC (normally from eci-profile `vpcId`).
    pub vpc_id: Option<String>,
    /// `ECI_VSWITCH`: vSwitches used when neither annotation nor profile says.
    pub vswitch_ids: Vec<String>,
    /// Zone of each vSwitch (used for one virtual node per zone).
    pub vswitch_zones: BTreeMap<String, String>,
    /// `ECI_SECURITY_GROUP`.
    pub security_group_id: Option<String>,
    /// Resource group.
    pub resource_group_id: Option<String>,
    /// Cluster DNS service IPs, for `dnsPolicy: ClusterFirst`.
    pub cluster_dns: Vec<String>,
    /// Cluster domain, for the DNS search path.
    pub cluster_domain: String,
    /// `ECI_KUBE_PROXY`: kube-proxy in ECI pods, so they reach ClusterIP
    /// Services (default true; see `translate` for its effect).
    pub kube_proxy: bool,
    /// `KUBELET_PORT`.
    pub kubelet_port: u16,
    /// `VKUBELET_POD_IP`.
    pub vk_pod_ip: Option<String>,
    /// `VKUBELET_TAINT_*`.
    pub taint: Taint,
    /// `ECI_QUOTA_*`.
    pub quota: Quota,
    /// What the target API supports.
    pub capabilities: TargetCapabilities,
    /// Kubernetes version of the cluster (`1.30`), for version-dependent output.
    pub kubernetes_version: Option<String>,
}

impl ClusterSettings {
    /// The built-in example: cn-hangzhou with example VPC, vSwitch and
    /// security-group IDs, so the CLI runs out of the box.
    pub fn example() -> Self {
        ClusterSettings {
            region_id: "cn-hangzhou".into(),
            cluster_id: "c-example0000000000000000000000000".into(),
            cluster_type: ClusterType::Ack,
            vpc_id: Some("vpc-example000000000000".into()),
            vswitch_ids: vec!["vsw-example0000000000000h".into(), "vsw-example0000000000000i".into()],
            vswitch_zones: [
                ("vsw-example0000000000000h".to_string(), "cn-hangzhou-h".to_string()),
                ("vsw-example0000000000000i".to_string(), "cn-hangzhou-i".to_string()),
            ]
            .into(),
            security_group_id: Some("sg-example00000000000000".into()),
            resource_group_id: None,
            cluster_dns: vec!["172.21.0.10".into()],
            cluster_domain: "cluster.local".into(),
            kube_proxy: true,
            kubelet_port: 10250,
            vk_pod_ip: None,
            taint: Taint::default(),
            quota: Quota::default(),
            capabilities: TargetCapabilities::default(),
            kubernetes_version: Some("1.30".into()),
        }
    }

    /// Empty settings for `region`; every other field at its default.
    pub fn for_region(region: &str) -> Self {
        ClusterSettings {
            region_id: region.into(),
            cluster_id: String::new(),
            cluster_type: ClusterType::Ack,
            vpc_id: None,
            vswitch_ids: vec![],
            vswitch_zones: BTreeMap::new(),
            security_group_id: None,
            resource_group_id: None,
            cluster_dns: vec![],
            cluster_domain: "cluster.local".into(),
            // "此环境变量默认值为true" (self-managed cluster virtual node, ECI_KUBE_PROXY).
            kube_proxy: true,
            kubelet_port: 10250,
            vk_pod_ip: None,
            taint: Taint::default(),
            quota: Quota::default(),
            capabilities: TargetCapabilities::default(),
            kubernetes_version: None,
        }
    }
}

/// One accepted key: its camelCase name and the env var it mirrors.
struct Key {
    name: &'static str,
    env: Option<&'static str>,
}

const KEYS: &[Key] = &[
    Key { name: "regionId", env: Some("ECI_REGION") },
    Key { name: "clusterId", env: Some("ALIYUN_CLUSTERID") },
    Key { name: "clusterType", env: Some("CLUSTER_TYPE") },
    Key { name: "vpcId", env: Some("ECI_VPC") },
    Key { name: "vswitchIds", env: Some("ECI_VSWITCH") },
    Key { name: "vswitchZones", env: None },
    Key { name: "securityGroupId", env: Some("ECI_SECURITY_GROUP") },
    Key { name: "resourceGroupId", env: Some("ECI_RESOURCE_GROUP") },
    Key { name: "clusterDns", env: Some("CLUSTER_DNS") },
    Key { name: "clusterDomain", env: Some("CLUSTER_DOMAIN") },
    Key { name: "kubeProxy", env: Some("ECI_KUBE_PROXY") },
    Key { name: "kubeletPort", env: Some("KUBELET_PORT") },
    Key { name: "vkPodIp", env: Some("VKUBELET_POD_IP") },
    Key { name: "taintKey", env: Some("VKUBELET_TAINT_KEY") },
    Key { name: "taintValue", env: Some("VKUBELET_TAINT_VALUE") },
    Key { name: "taintEffect", env: Some("VKUBELET_TAINT_EFFECT") },
    Key { name: "quotaCpu", env: Some("ECI_QUOTA_CPU") },
    Key { name: "quotaMemory", env: Some("ECI_QUOTA_MEMORY") },
    Key { name: "quotaPods", env: Some("ECI_QUOTA_POD") },
    Key { name: "securityContextPrivileged", env: None },
    Key { name: "kubernetesVersion", env: None },
];

/// Environment variables of the VK Deployment that carry no translation
/// setting; accepted silently so a pasted env list does not warn.
const IGNORED_ENV: &[&str] = &["WEBHOOK", "ECI_ACCESS_KEY", "ECI_SECRET_KEY", "ALIYUN_ACCESS_KEY", "ALIYUN_SECRET_KEY"];

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn as_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Array(items) => items.iter().map(as_text).collect(),
        other => as_text(other).map(|s| crate::text::split_list(&s)),
    }
}

/// Parses a cluster settings document: either the settings themselves or
/// the `kind: ClusterSettings` wrapper used in fixture streams.
pub fn parse_cluster_document(doc: &Value) -> (Option<ClusterSettings>, Vec<Diagnostic>) {
    let wrapped = doc.get("kind").and_then(Value::as_str) == Some(CLUSTER_SETTINGS_KIND);
    parse_cluster_settings(if wrapped { doc.get("settings").unwrap_or(&Value::Null) } else { doc })
}

/// Parses settings (already decoded from YAML/JSON) on top of the defaults
/// of [`ClusterSettings::for_region`]: a mapping, a Deployment-style `env:`
/// list, or a mapping with `env:`. Unknown keys are warnings; bad values are
/// errors pointing at the key.
pub fn parse_cluster_settings(doc: &Value) -> (Option<ClusterSettings>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut entries: Vec<(String, Value, Pointer)> = Vec::new();
    let diag = |sev, code, ptr: &Pointer, msg: String| Diagnostic::pod(sev, code, ptr, msg).on(Input::Cluster);

    // Accept a mapping, a Deployment-style `env:` list, or a mapping with `env:`.
    let env_list = match doc {
        Value::Array(items) => Some((items, Pointer::root())),
        Value::Object(map) => map.get("env").and_then(Value::as_array).map(|a| (a, Pointer::root().key("env"))),
        _ => None,
    };
    let has_env_list = env_list.is_some();
    if let Some((items, base)) = env_list {
        for (i, item) in items.iter().enumerate() {
            let ptr = base.index(i);
            match (item.get("name").and_then(Value::as_str), item.get("value")) {
                (Some(name), Some(value)) => entries.push((name.to_string(), value.clone(), ptr.key("value"))),
                (Some(_), None) => {} // valueFrom (secrets, fieldRef): not a setting
                _ => diags.push(diag(Severity::Error, Code::Schema, &ptr, "env entry needs `name` and `value`".into())),
            }
        }
    }
    if let Value::Object(map) = doc {
        for (k, v) in map {
            if k != "env" {
                entries.push((k.clone(), v.clone(), Pointer::root().key(k)));
            }
        }
    } else if !has_env_list {
        diags.push(diag(
            Severity::Error,
            Code::Schema,
            &Pointer::root(),
            "cluster settings must be a mapping or an env list".into(),
        ));
        return (None, diags);
    }

    let mut s = ClusterSettings::for_region("");
    let max_vswitches = crate::limits::Limits::DEFAULT.max_vswitches;
    for (key, value, ptr) in entries {
        let Some(known) = KEYS.iter().find(|k| k.name == key || k.env == Some(key.as_str())) else {
            if !IGNORED_ENV.contains(&key.as_str()) {
                diags.push(diag(
                    Severity::Warning,
                    Code::UnknownField,
                    &ptr,
                    format!("unknown cluster setting `{key}`; ignored"),
                ));
            }
            continue;
        };
        let text = as_text(&value);
        let bad = |what: &str| diag(Severity::Error, Code::InvalidValue, &ptr, format!("`{key}` must be {what}"));
        match known.name {
            "regionId" => match text {
                Some(t) if is_region_or_zone(&t) => s.region_id = t,
                _ => diags.push(bad("a region ID such as cn-hangzhou (lowercase letters, digits and `-`)")),
            },
            "clusterId" => s.cluster_id = text.unwrap_or_default(),
            "clusterType" => match text.as_deref() {
                Some("ACK") | Some("ManagedKubernetes") => s.cluster_type = ClusterType::Ack,
                Some("CLOUD") => s.cluster_type = ClusterType::Cloud,
                Some("IDC") => s.cluster_type = ClusterType::Idc,
                _ => diags.push(bad("ACK, CLOUD or IDC")),
            },
            "vpcId" => s.vpc_id = text.filter(|t| !t.is_empty()),
            "vswitchIds" => {
                let ids = as_list(&value).unwrap_or_default();
                if ids.len() > max_vswitches {
                    diags.push(crate::limits::exceeded(Input::Cluster, &ptr, "vSwitch IDs", ids.len(), max_vswitches));
                } else {
                    s.vswitch_ids = ids;
                }
            }
            "vswitchZones" => match value.as_object() {
                Some(m) if m.len() > max_vswitches => {
                    diags.push(crate::limits::exceeded(Input::Cluster, &ptr, "vSwitch zones", m.len(), max_vswitches));
                }
                Some(m) => {
                    let zones: BTreeMap<String, String> =
                        m.iter().filter_map(|(k, v)| Some((k.clone(), as_text(v)?))).collect();
                    if zones.values().all(|z| is_region_or_zone(z)) && zones.len() == m.len() {
                        s.vswitch_zones = zones;
                    } else {
                        diags.push(bad("a mapping of vSwitch ID to zone ID (e.g. cn-hangzhou-h)"));
                    }
                }
                None => diags.push(bad("a mapping of vSwitch ID to zone ID")),
            },
            "securityGroupId" => s.security_group_id = text.filter(|t| !t.is_empty()),
            "resourceGroupId" => s.resource_group_id = text.filter(|t| !t.is_empty()),
            "clusterDns" => {
                let list = as_list(&value).unwrap_or_default();
                if list.iter().all(|ip| ip.parse::<std::net::IpAddr>().is_ok()) {
                    s.cluster_dns = list;
                } else {
                    diags.push(bad("a list of IP addresses"));
                }
            }
            "clusterDomain" => s.cluster_domain = text.unwrap_or_default(),
            "kubeProxy" | "securityContextPrivileged" => match text.as_deref() {
                Some("true") | Some("false") => {
                    let b = text.as_deref() == Some("true");
                    if known.name == "kubeProxy" {
                        s.kube_proxy = b;
                    } else {
                        s.capabilities.security_context_privileged = b;
                    }
                }
                _ => diags.push(bad("\"true\" or \"false\"")),
            },
            "kubeletPort" => match text.as_deref().map(str::parse::<u16>) {
                Some(Ok(p)) if p > 0 => s.kubelet_port = p,
                _ => diags.push(bad("a port number")),
            },
            // The node's InternalIP: an address, or the API server and kubectl logs break.
            "vkPodIp" => match text {
                Some(ip) if ip.parse::<std::net::IpAddr>().is_ok() => s.vk_pod_ip = Some(ip),
                _ => diags.push(bad("an IP address")),
            },
            "taintKey" => match text {
                Some(k) if crate::labels::is_label_key(&k) => s.taint.key = k,
                _ => diags.push(bad("a label key such as virtual-kubelet.io/provider")),
            },
            "taintValue" => match text {
                Some(v) if crate::labels::is_label_value(&v) => s.taint.value = v,
                _ => diags.push(bad("a label value (63 characters of letters, digits, `-`, `_`, `.`)")),
            },
            "taintEffect" => match text.as_deref() {
                Some(e @ ("NoSchedule" | "PreferNoSchedule" | "NoExecute")) => s.taint.effect = e.into(),
                _ => diags.push(bad("NoSchedule, PreferNoSchedule or NoExecute")),
            },
            // The node's capacity: a negative or unparsable quantity is refused by the API server.
            "quotaCpu" | "quotaMemory" | "quotaPods" => match text {
                Some(q) if crate::quantity::Quantity::parse(&q).is_ok_and(|q| !q.is_negative()) => match known.name {
                    "quotaCpu" => s.quota.cpu = q,
                    "quotaMemory" => s.quota.memory = q,
                    _ => s.quota.pods = q,
                },
                _ => diags.push(bad("a non-negative quantity (e.g. 1000, 6400Gi)")),
            },
            "kubernetesVersion" => s.kubernetes_version = text,
            _ => {}
        }
    }
    if s.region_id.is_empty() {
        diags.push(
            diag(Severity::Error, Code::MissingField, &Pointer::root(), "the region is not set".into())
                .help("set `regionId` (or `ECI_REGION`), e.g. cn-hangzhou"),
        );
        return (None, diags);
    }
    (Some(s), diags)
}

/// Region and zone IDs (`cn-hangzhou`, `cn-hangzhou-h`): they become node
/// names and labels, so only lowercase letters, digits and `-`.
fn is_region_or_zone(id: &str) -> bool {
    !id.is_empty() && id.len() <= 63 && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_that_reach_nodes_are_checked() {
        let (_, d) = parse_cluster_settings(&json!({
            "regionId": "cn-beijing", "quotaCpu": "-5", "vkPodIp": "not-an-ip", "taintKey": "bad key",
            "clusterDns": ["10.0.0.10", "x"], "vswitchZones": {"vsw-1": "zone\u{1b}[2J"}
        }));
        let bad: Vec<&str> = d.iter().filter(|d| d.code == Code::InvalidValue).map(|d| d.pointer.as_str()).collect();
        assert_eq!(bad, ["/clusterDns", "/quotaCpu", "/taintKey", "/vkPodIp", "/vswitchZones"]);
        let (s, d) = parse_cluster_settings(&json!({"regionId": "cn-beijing\n", "vkPodIp": "192.168.0.2"}));
        assert!(s.is_none() && d.iter().any(|d| d.pointer == "/regionId"));
    }

    #[test]
    fn camel_case_and_env_forms_agree() {
        let (a, da) = parse_cluster_settings(
            &json!({"regionId": "cn-beijing", "vswitchIds": "vsw-1,vsw-2", "kubeletPort": 10250}),
        );
        let (b, db) = parse_cluster_settings(&json!([
            {"name": "ECI_REGION", "value": "cn-beijing"},
            {"name": "ECI_VSWITCH", "value": "vsw-1,vsw-2"},
            {"name": "KUBELET_PORT", "value": "10250"},
            {"name": "WEBHOOK", "value": "true"},
            {"name": "ECI_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"name": "x", "key": "y"}}}
        ]));
        assert!(da.is_empty() && db.is_empty(), "{da:?} {db:?}");
        assert_eq!(a, b);
        assert_eq!(a.unwrap().vswitch_ids, vec!["vsw-1", "vsw-2"]);
    }

    #[test]
    fn bad_values_and_unknown_keys() {
        let (s, d) = parse_cluster_settings(&json!({"ECI_REGION": "cn-beijing", "kubeletPort": "x", "colour": "blue"}));
        assert!(s.is_some());
        assert_eq!(d.len(), 2);
        assert!(d.iter().any(|d| d.code == Code::InvalidValue && d.pointer == "/kubeletPort"));
        assert!(d.iter().any(|d| d.code == Code::UnknownField && d.severity == Severity::Warning));
        let (none, d) = parse_cluster_settings(&json!({}));
        assert!(none.is_none() && d[0].code == Code::MissingField);
    }
}
