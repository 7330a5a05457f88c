//! `CreateContainerGroup` as typed Rust.
//!
//! Every parameter of docs/eci-api.md#createcontainergroup (ECI 2018-08-08), named exactly
//! as the vendor SDK's `to_map()` names it (PascalCase, nested structs, lists
//! as arrays). Absent values are `None` / empty and are not serialized, so the
//! JSON form is the SDK's `to_map()` minus the empty lists it always adds.
//!
//! Fields are declared in wire (byte-wise) order so the JSON, the query and
//! the signature list parameters in the same order.
//!
//! Two parameters are newer or older than the Python SDK the conformance
//! suite uses (`alibabacloud-eci20180808` 2.1.0); see [`EXTENSION_PARAMETERS`].

use serde::{Deserialize, Serialize};

use super::secret::{SecretString, Sensitive};

/// Parameters we send that the pinned Python SDK model does not know, with
/// where they come from. The conformance suite checks them separately
/// instead of skipping them silently.
pub const EXTENSION_PARAMETERS: &[(&str, &str)] = &[
    (
        "MaxPendingMinute",
        "Go SDK alibabacloud-go/eci-20180808 v3.1.1 ChangeLog 2025-06-05 \"add request parameters MaxPendingMinute\" (docs/eci-api.md#newer-parameters)",
    ),
    (
        "SlsEnable",
        "legacy Go/Java SDKs and the ROS ALIYUN::ECI::ContainerGroup schema (docs/eci-api.md#older-parameters); target of k8s.aliyun.com/eci-sls-enable",
    ),
];

wire_struct! {
    /// The whole `CreateContainerGroup` request (operation parameters only; the
    /// common parameters are added by [`crate::eci::sign`]).
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct CreateContainerGroupRequest {
        pub acr_registry_info: Vec<AcrRegistryInfo>,
        pub active_deadline_seconds: Option<i64>,
        pub auto_create_eip: Option<bool>,
        pub auto_match_image_cache: Option<bool>,
        pub client_token: Option<String>,
        pub compute_category: Vec<String>,
        pub container: Vec<Container>,
        pub container_group_name: Option<String>,
        pub container_resource_view: Option<bool>,
        pub core_pattern: Option<String>,
        pub cpu: Option<f64>,
        pub cpu_architecture: Option<String>,
        pub cpu_options_core: Option<i64>,
        pub cpu_options_numa: Option<String>,
        pub cpu_options_threads_per_core: Option<i64>,
        pub data_cache_bucket: Option<String>,
        pub data_cache_bursting_enabled: Option<bool>,
        #[serde(rename = "DataCachePL")]
        pub data_cache_pl: Option<String>,
        pub data_cache_provisioned_iops: Option<i64>,
        pub dns_config: Option<DnsConfig>,
        pub dns_policy: Option<String>,
        pub dry_run: Option<bool>,
        pub egress_bandwidth: Option<i64>,
        pub eip_bandwidth: Option<i64>,
        pub eip_common_bandwidth_package: Option<String>,
        #[serde(rename = "EipISP")]
        pub eip_isp: Option<String>,
        pub eip_instance_id: Option<String>,
        pub ephemeral_storage: Option<i64>,
        pub fixed_ip: Option<String>,
        pub fixed_ip_retain_hour: Option<i64>,
        pub gpu_driver_version: Option<String>,
        pub host_aliase: Vec<HostAliase>,
        pub host_name: Option<String>,
        pub host_security_context: Option<SysctlContext>,
        pub image_accelerate_mode: Option<String>,
        pub image_registry_credential: Vec<ImageRegistryCredential>,
        pub image_snapshot_id: Option<String>,
        pub ingress_bandwidth: Option<i64>,
        pub init_container: Vec<Container>,
        pub insecure_registry: Option<String>,
        pub instance_type: Option<String>,
        pub ipv6_address_count: Option<i64>,
        pub ipv6_gateway_bandwidth: Option<String>,
        pub ipv6_gateway_bandwidth_enable: Option<bool>,
        pub max_pending_minute: Option<i64>,
        pub memory: Option<f64>,
        pub ntp_server: Vec<String>,
        pub os_type: Option<String>,
        pub plain_http_registry: Option<String>,
        pub private_ip_address: Option<String>,
        pub ram_role_name: Option<String>,
        pub region_id: Option<String>,
        pub resource_group_id: Option<String>,
        pub restart_policy: Option<String>,
        pub schedule_strategy: Option<String>,
        pub security_context: Option<SysctlContext>,
        pub security_group_id: Option<String>,
        pub share_process_namespace: Option<bool>,
        pub sls_enable: Option<bool>,
        pub spot_duration: Option<i64>,
        pub spot_price_limit: Option<f64>,
        pub spot_strategy: Option<String>,
        pub strict_spot: Option<bool>,
        pub tag: Vec<Tag>,
        pub termination_grace_period_seconds: Option<i64>,
        #[serde(rename = "VSwitchId")]
        pub v_switch_id: Option<String>,
        pub volume: Vec<Volume>,
        pub zone_id: Option<String>,
    }
}

wire_struct! {
    /// `AcrRegistryInfo.N`: an ACR Enterprise Edition instance pulled without
    /// a secret ([`AcrRegistryInfo::for_update`]: an update has no ARNs).
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct AcrRegistryInfo {
        pub arn_service: Option<String>,
        pub arn_user: Option<String>,
        pub domain: Vec<String>,
        pub instance_id: Option<String>,
        pub instance_name: Option<String>,
        pub region_id: Option<String>,
    }
}

wire_struct! {
    /// `Container.N` and `InitContainer.N`, of `CreateContainerGroup` and
    /// `UpdateContainerGroup` alike: one model for the four lists, each of
    /// which leaves absent the fields its API lacks (docs/eci-api.md#createcontainergroup,
    /// #updatecontainergroup):
    /// - init containers have no probes, lifecycle hooks,
    ///   `EnvironmentVarHide` or `SecurityContextPrivileged`/`RunAs*`, and at
    ///   creation no `Stdin`/`StdinOnce`/`Tty` either;
    /// - an update has no `TerminationMessage*`, `EnvironmentVarHide` or
    ///   `SecurityContextPrivileged`/`RunAs*` ([`Container::for_update`]);
    /// - an update spells the postStart header list in the plural, a rename
    ///   made by [`crate::eci::update::UpdateContainerGroupRequest`].
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct Container {
        pub arg: Vec<Sensitive>,
        pub command: Vec<Sensitive>,
        pub cpu: Option<f64>,
        pub environment_var: Vec<EnvironmentVar>,
        pub environment_var_hide: Option<bool>,
        pub gpu: Option<i64>,
        pub image: Option<String>,
        pub image_pull_policy: Option<String>,
        /// `LifecyclePostStartHandler…`.
        #[serde(flatten, with = "post_start")]
        pub post_start: Option<LifecycleHandler>,
        /// `LifecyclePreStopHandler…`.
        #[serde(flatten, with = "pre_stop")]
        pub pre_stop: Option<LifecycleHandler>,
        pub liveness_probe: Option<Probe>,
        pub memory: Option<f64>,
        pub name: Option<String>,
        pub port: Vec<Port>,
        pub readiness_probe: Option<Probe>,
        pub security_context: Option<ContainerSecurityContext>,
        pub security_context_privileged: Option<bool>,
        pub security_context_run_as_group: Option<i64>,
        pub security_context_run_as_non_root: Option<bool>,
        pub stdin: Option<bool>,
        pub stdin_once: Option<bool>,
        pub termination_message_path: Option<String>,
        pub termination_message_policy: Option<String>,
        pub tty: Option<bool>,
        pub volume_mount: Vec<VolumeMount>,
        pub working_dir: Option<String>,
    }
}

wire_struct! {
    /// A postStart or preStop hook: the eight fields ECI flattens into the
    /// container under `LifecyclePostStartHandler…` and
    /// `LifecyclePreStopHandler…` (`…Exec.N`, `…HttpGetHost`, …).
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct LifecycleHandler {
        pub exec: Vec<String>,
        pub http_get_host: Option<String>,
        pub http_get_http_header: Vec<HttpHeader>,
        pub http_get_path: Option<String>,
        pub http_get_port: Option<i64>,
        pub http_get_scheme: Option<String>,
        pub tcp_socket_host: Option<String>,
        pub tcp_socket_port: Option<i64>,
    }
}

/// A [`LifecycleHandler`] flattened into its container: each of its fields
/// named with a prefix, `Exec` as `LifecyclePostStartHandlerExec`. The
/// handler is absent when none of its fields is present.
mod prefixed {
    use serde::de::Error as _;
    use serde::ser::{Error as _, SerializeMap};
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::{Map, Value};

    use super::LifecycleHandler;

    pub(super) fn serialize<S: Serializer>(
        prefix: &str,
        handler: &Option<LifecycleHandler>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(handler) = handler {
            // A struct of strings, integers and lists always becomes an object.
            if let Value::Object(fields) = serde_json::to_value(handler).map_err(S::Error::custom)? {
                for (name, value) in fields {
                    map.serialize_entry(&format!("{prefix}{name}"), &value)?;
                }
            }
        }
        map.end()
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        prefix: &str,
        deserializer: D,
    ) -> Result<Option<LifecycleHandler>, D::Error> {
        // A flattened field sees all the container's keys it does not name.
        let fields: Map<String, Value> = Map::deserialize(deserializer)?
            .into_iter()
            .filter_map(|(key, value)| Some((key.strip_prefix(prefix)?.to_string(), value)))
            .collect();
        if fields.is_empty() {
            return Ok(None);
        }
        serde_json::from_value(Value::Object(fields)).map(Some).map_err(D::Error::custom)
    }
}

/// `Container.N.LifecyclePostStartHandler…`.
mod post_start {
    use serde::{Deserializer, Serializer};

    use super::{LifecycleHandler, prefixed};

    const PREFIX: &str = "LifecyclePostStartHandler";

    pub(super) fn serialize<S: Serializer>(h: &Option<LifecycleHandler>, s: S) -> Result<S::Ok, S::Error> {
        prefixed::serialize(PREFIX, h, s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<LifecycleHandler>, D::Error> {
        prefixed::deserialize(PREFIX, d)
    }
}

/// `Container.N.LifecyclePreStopHandler…`.
mod pre_stop {
    use serde::{Deserializer, Serializer};

    use super::{LifecycleHandler, prefixed};

    const PREFIX: &str = "LifecyclePreStopHandler";

    pub(super) fn serialize<S: Serializer>(h: &Option<LifecycleHandler>, s: S) -> Result<S::Ok, S::Error> {
        prefixed::serialize(PREFIX, h, s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<LifecycleHandler>, D::Error> {
        prefixed::deserialize(PREFIX, d)
    }
}

wire_struct! {
    /// `Container.N.EnvironmentVar.N`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct EnvironmentVar {
        pub field_ref: Option<FieldRef>,
        pub key: Option<String>,
        pub value: Option<Sensitive>,
    }
}

wire_struct! {
    /// `…EnvironmentVar.N.FieldRef`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct FieldRef {
        pub field_path: Option<String>,
    }
}

wire_struct! {
    /// `Container.N.LifecyclePostStartHandlerHttpGetHttpHeader.N` (and preStop).
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct HttpHeader {
        pub name: Option<String>,
        pub value: Option<String>,
    }
}

wire_struct! {
    /// `Container.N.Port.N`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct Port {
        pub port: Option<i64>,
        pub protocol: Option<String>,
    }
}

wire_struct! {
    /// `Container.N.LivenessProbe` / `ReadinessProbe`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct Probe {
        pub exec: Option<ProbeExec>,
        pub failure_threshold: Option<i64>,
        pub http_get: Option<ProbeHttpGet>,
        pub initial_delay_seconds: Option<i64>,
        pub period_seconds: Option<i64>,
        pub success_threshold: Option<i64>,
        pub tcp_socket: Option<ProbeTcpSocket>,
        pub timeout_seconds: Option<i64>,
    }
}

wire_struct! {
    /// `…Probe.Exec`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct ProbeExec {
        pub command: Vec<String>,
    }
}

wire_struct! {
    /// `…Probe.HttpGet`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct ProbeHttpGet {
        pub path: Option<String>,
        pub port: Option<i64>,
        pub scheme: Option<String>,
    }
}

wire_struct! {
    /// `…Probe.TcpSocket`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct ProbeTcpSocket {
        pub port: Option<i64>,
    }
}

wire_struct! {
    /// `Container.N.SecurityContext` / `InitContainer.N.SecurityContext`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct ContainerSecurityContext {
        pub capability: Option<Capability>,
        pub read_only_root_filesystem: Option<bool>,
        pub run_as_user: Option<i64>,
    }
}

wire_struct! {
    /// `…SecurityContext.Capability`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct Capability {
        pub add: Vec<String>,
    }
}

wire_struct! {
    /// `Container.N.VolumeMount.N`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct VolumeMount {
        pub mount_path: Option<String>,
        pub mount_propagation: Option<String>,
        pub name: Option<String>,
        pub read_only: Option<bool>,
        pub sub_path: Option<Sensitive>,
    }
}

wire_struct! {
    /// `DnsConfig`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct DnsConfig {
        pub name_server: Vec<String>,
        pub option: Vec<DnsOption>,
        pub search: Vec<String>,
    }
}

wire_struct! {
    /// `DnsConfig.Option.N`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct DnsOption {
        pub name: Option<String>,
        pub value: Option<String>,
    }
}

wire_struct! {
    /// `HostAliase.N`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct HostAliase {
        pub hostname: Vec<String>,
        pub ip: Option<String>,
    }
}

wire_struct! {
    /// `SecurityContext` / `HostSecurityContext` (pod-level sysctls).
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct SysctlContext {
        pub sysctl: Vec<Sysctl>,
    }
}

wire_struct! {
    /// `…Sysctl.N`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct Sysctl {
        pub name: Option<String>,
        pub value: Option<String>,
    }
}

wire_struct! {
    /// `ImageRegistryCredential.N`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct ImageRegistryCredential {
        pub password: Option<SecretString>,
        pub server: Option<String>,
        pub user_name: Option<String>,
    }
}

wire_struct! {
    /// `Tag.N`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct Tag {
        pub key: Option<String>,
        pub value: Option<String>,
    }
}

wire_struct! {
    /// `Volume.N`: `Name` + `Type` + the one sub-struct the type names.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct Volume {
        pub config_file_volume: Option<ConfigFileVolume>,
        pub disk_volume: Option<DiskVolume>,
        pub empty_dir_volume: Option<EmptyDirVolume>,
        pub flex_volume: Option<FlexVolume>,
        pub host_path_volume: Option<HostPathVolume>,
        #[serde(rename = "NFSVolume")]
        pub nfs_volume: Option<NfsVolume>,
        pub name: Option<String>,
        #[serde(rename = "Type")]
        pub volume_type: Option<String>,
    }
}

wire_struct! {
    /// `Volume.N.ConfigFileVolume`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct ConfigFileVolume {
        pub config_file_to_path: Vec<ConfigFileToPath>,
        pub default_mode: Option<i64>,
    }
}

wire_struct! {
    /// `Volume.N.ConfigFileVolume.ConfigFileToPath.N`; `Content` is base64.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct ConfigFileToPath {
        pub content: Option<Sensitive>,
        pub mode: Option<i64>,
        pub path: Option<String>,
    }
}

wire_struct! {
    /// `Volume.N.DiskVolume`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct DiskVolume {
        pub disk_id: Option<String>,
        pub disk_size: Option<i64>,
        pub fs_type: Option<String>,
    }
}

wire_struct! {
    /// `Volume.N.EmptyDirVolume`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct EmptyDirVolume {
        pub medium: Option<String>,
        pub size_limit: Option<String>,
    }
}

wire_struct! {
    /// `Volume.N.FlexVolume`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct FlexVolume {
        pub driver: Option<String>,
        pub fs_type: Option<String>,
        pub options: Option<String>,
    }
}

wire_struct! {
    /// `Volume.N.HostPathVolume` (allow-listed accounts only; never produced by
    /// translation, kept so that requests from elsewhere round-trip).
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct HostPathVolume {
        pub path: Option<String>,
        #[serde(rename = "Type")]
        pub path_type: Option<String>,
    }
}

wire_struct! {
    /// `Volume.N.NFSVolume`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct NfsVolume {
        pub path: Option<String>,
        pub read_only: Option<bool>,
        pub server: Option<String>,
    }
}

impl CreateContainerGroupRequest {
    /// A copy in which every secret value reads `<redacted>`: registry
    /// passwords, file contents that came from Secrets, and env values,
    /// commands, args and sub-paths that carry Secret material (directly or
    /// through `$(VAR)` expansion).
    pub fn redacted(&self) -> Self {
        let mut copy = self.clone();
        for c in copy.container.iter_mut().chain(&mut copy.init_container) {
            c.redact();
        }
        for v in &mut copy.volume {
            if let Some(files) = &mut v.config_file_volume {
                for f in &mut files.config_file_to_path {
                    f.content = f.content.as_ref().map(Sensitive::redacted);
                }
            }
        }
        for c in &mut copy.image_registry_credential {
            c.password = c.password.as_ref().map(SecretString::redacted);
        }
        copy
    }

    /// The request as the JSON object the SDK's `to_map()` produces.
    pub fn to_json(&self) -> serde_json::Value {
        // Serializing plain data structs into a Value cannot fail: every map
        // key is a string and no float is NaN (NaN never reaches a field).
        crate::json::to_value(self)
    }
}

impl AcrRegistryInfo {
    /// The registry as `UpdateContainerGroup` takes it: without the ARNs,
    /// which the update API lacks (docs/eci-api.md#updatecontainergroup).
    pub fn for_update(&self) -> Self {
        AcrRegistryInfo { arn_service: None, arn_user: None, ..self.clone() }
    }
}

impl Volume {
    /// The volume as `UpdateContainerGroup` takes it: without file modes,
    /// which the update API lacks; `None` for a disk volume, which it cannot
    /// carry (docs/eci-api.md#updatecontainergroup).
    pub fn for_update(&self) -> Option<Self> {
        if self.disk_volume.is_some() {
            return None;
        }
        let config_file_volume = self.config_file_volume.as_ref().map(|c| ConfigFileVolume {
            default_mode: None,
            config_file_to_path: c
                .config_file_to_path
                .iter()
                .map(|f| ConfigFileToPath { mode: None, ..f.clone() })
                .collect(),
        });
        Some(Volume { config_file_volume, ..self.clone() })
    }
}

impl Container {
    /// Redacts what the container's process sees: command, args, env values
    /// and sub-paths that carry Secret material.
    pub(crate) fn redact(&mut self) {
        for item in self.command.iter_mut().chain(&mut self.arg) {
            *item = item.redacted();
        }
        for var in &mut self.environment_var {
            var.value = var.value.as_ref().map(Sensitive::redacted);
        }
        for m in &mut self.volume_mount {
            m.sub_path = m.sub_path.as_ref().map(Sensitive::redacted);
        }
    }

    /// The container as `UpdateContainerGroup` takes it: without the fields
    /// the update API lacks (`TerminationMessage*`, `EnvironmentVarHide`,
    /// `SecurityContextPrivileged`/`RunAs*`; docs/eci-api.md#updatecontainergroup).
    pub fn for_update(&self) -> Self {
        Container {
            environment_var_hide: None,
            security_context_privileged: None,
            security_context_run_as_group: None,
            security_context_run_as_non_root: None,
            termination_message_path: None,
            termination_message_policy: None,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_follow_the_sdk() {
        let req = CreateContainerGroupRequest {
            eip_isp: Some("BGP".into()),
            data_cache_pl: Some("PL1".into()),
            v_switch_id: Some("vsw-1".into()),
            ipv6_address_count: Some(1),
            volume: vec![Volume {
                nfs_volume: Some(NfsVolume::default()),
                volume_type: Some("NFSVolume".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let json = req.to_json();
        for key in ["EipISP", "DataCachePL", "VSwitchId", "Ipv6AddressCount"] {
            assert!(json.get(key).is_some(), "{key} missing in {json}");
        }
        assert!(json["Volume"][0].get("NFSVolume").is_some());
        assert_eq!(json["Volume"][0]["Type"], "NFSVolume");
    }

    #[test]
    fn redaction_hides_only_secrets() {
        let req = CreateContainerGroupRequest {
            container: vec![Container {
                environment_var: vec![
                    EnvironmentVar {
                        key: Some("A".into()),
                        value: Some(Sensitive::public("visible")),
                        ..Default::default()
                    },
                    EnvironmentVar {
                        key: Some("B".into()),
                        value: Some(Sensitive::secret("hidden")),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            image_registry_credential: vec![ImageRegistryCredential {
                password: Some(SecretString::new("pw")),
                ..Default::default()
            }],
            ..Default::default()
        };
        let json = req.redacted().to_json().to_string();
        assert!(json.contains("visible"));
        assert!(!json.contains("hidden") && !json.contains("\"pw\""));
        assert!(req.to_json().to_string().contains("hidden"), "the real request keeps secrets");
    }
}
