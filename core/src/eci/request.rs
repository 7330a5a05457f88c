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

/// The whole `CreateContainerGroup` request (operation parameters only; the
/// common parameters are added by [`crate::eci::sign`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateContainerGroupRequest {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acr_registry_info: Vec<AcrRegistryInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_create_eip: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_match_image_cache: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compute_category: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub container: Vec<Container>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_resource_view: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_architecture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_options_core: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_options_numa: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_options_threads_per_core: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_cache_bucket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_cache_bursting_enabled: Option<bool>,
    #[serde(rename = "DataCachePL", skip_serializing_if = "Option::is_none")]
    pub data_cache_pl: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_cache_provisioned_iops: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_config: Option<DnsConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub egress_bandwidth: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eip_bandwidth: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eip_common_bandwidth_package: Option<String>,
    #[serde(rename = "EipISP", skip_serializing_if = "Option::is_none")]
    pub eip_isp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eip_instance_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_ip_retain_hour: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu_driver_version: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub host_aliase: Vec<HostAliase>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_security_context: Option<SysctlContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_accelerate_mode: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_registry_credential: Vec<ImageRegistryCredential>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_snapshot_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingress_bandwidth: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub init_container: Vec<InitContainer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insecure_registry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_address_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_gateway_bandwidth: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_gateway_bandwidth_enable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pending_minute: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ntp_server: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plain_http_registry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ram_role_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_strategy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SysctlContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_process_namespace: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sls_enable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spot_duration: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spot_price_limit: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spot_strategy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict_spot: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<Tag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(rename = "VSwitchId", skip_serializing_if = "Option::is_none")]
    pub v_switch_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume: Vec<Volume>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<String>,
}

/// `AcrRegistryInfo.N`: an ACR Enterprise Edition instance pulled without a secret.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AcrRegistryInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn_service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn_user: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domain: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_id: Option<String>,
}

/// `Container.N`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Container {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub arg: Vec<Sensitive>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<Sensitive>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment_var: Vec<EnvironmentVar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment_var_hide: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_post_start_handler_exec: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_post_start_handler_http_get_host: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_post_start_handler_http_get_http_header: Vec<HttpHeader>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_post_start_handler_http_get_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_post_start_handler_http_get_port: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_post_start_handler_http_get_scheme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_post_start_handler_tcp_socket_host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_post_start_handler_tcp_socket_port: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_pre_stop_handler_exec: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_pre_stop_handler_http_get_host: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_pre_stop_handler_http_get_http_header: Vec<HttpHeader>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_pre_stop_handler_http_get_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_pre_stop_handler_http_get_port: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_pre_stop_handler_http_get_scheme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_pre_stop_handler_tcp_socket_host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_pre_stop_handler_tcp_socket_port: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub port: Vec<Port>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<ContainerSecurityContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context_privileged: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context_run_as_group: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context_run_as_non_root: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdin: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdin_once: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_message_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_message_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tty: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume_mount: Vec<VolumeMount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

/// `InitContainer.N`: the subset of [`Container`] the API offers for init
/// containers (no probes, no lifecycle hooks, no run-as-group).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InitContainer {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub arg: Vec<Sensitive>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<Sensitive>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment_var: Vec<EnvironmentVar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub port: Vec<Port>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<ContainerSecurityContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_message_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_message_policy: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume_mount: Vec<VolumeMount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

/// `Container.N.EnvironmentVar.N`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EnvironmentVar {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_ref: Option<FieldRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Sensitive>,
}

/// `…EnvironmentVar.N.FieldRef`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FieldRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_path: Option<String>,
}

/// `Container.N.LifecyclePostStartHandlerHttpGetHttpHeader.N` (and preStop).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HttpHeader {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `Container.N.Port.N`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Port {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

/// `Container.N.LivenessProbe` / `ReadinessProbe`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Probe {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec: Option<ProbeExec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_get: Option<ProbeHttpGet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_delay_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_threshold: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_socket: Option<ProbeTcpSocket>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
}

/// `…Probe.Exec`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ProbeExec {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
}

/// `…Probe.HttpGet`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ProbeHttpGet {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
}

/// `…Probe.TcpSocket`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ProbeTcpSocket {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
}

/// `Container.N.SecurityContext` / `InitContainer.N.SecurityContext`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerSecurityContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability: Option<Capability>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only_root_filesystem: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
}

/// `…SecurityContext.Capability`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Capability {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,
}

/// `Container.N.VolumeMount.N`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeMount {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mount_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mount_propagation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<Sensitive>,
}

/// `DnsConfig`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DnsConfig {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub name_server: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub option: Vec<DnsOption>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub search: Vec<String>,
}

/// `DnsConfig.Option.N`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DnsOption {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `HostAliase.N`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostAliase {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hostname: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

/// `SecurityContext` / `HostSecurityContext` (pod-level sysctls).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SysctlContext {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sysctl: Vec<Sysctl>,
}

/// `…Sysctl.N`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Sysctl {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `ImageRegistryCredential.N`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageRegistryCredential {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

/// `Tag.N`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Tag {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `Volume.N`: `Name` + `Type` + the one sub-struct the type names.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Volume {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_file_volume: Option<ConfigFileVolume>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk_volume: Option<DiskVolume>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_dir_volume: Option<EmptyDirVolume>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flex_volume: Option<FlexVolume>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_path_volume: Option<HostPathVolume>,
    #[serde(rename = "NFSVolume", skip_serializing_if = "Option::is_none")]
    pub nfs_volume: Option<NfsVolume>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<String>,
}

/// `Volume.N.ConfigFileVolume`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ConfigFileVolume {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config_file_to_path: Vec<ConfigFileToPath>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_mode: Option<i64>,
}

/// `Volume.N.ConfigFileVolume.ConfigFileToPath.N`; `Content` is base64.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ConfigFileToPath {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Sensitive>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// `Volume.N.DiskVolume`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DiskVolume {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk_size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fs_type: Option<String>,
}

/// `Volume.N.EmptyDirVolume`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EmptyDirVolume {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_limit: Option<String>,
}

/// `Volume.N.FlexVolume`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FlexVolume {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fs_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<String>,
}

/// `Volume.N.HostPathVolume` (allow-listed accounts only; never produced by
/// translation, kept so that requests from elsewhere round-trip).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostPathVolume {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub path_type: Option<String>,
}

/// `Volume.N.NFSVolume`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NfsVolume {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

impl CreateContainerGroupRequest {
    /// A copy in which every secret value reads `<redacted>`: registry
    /// passwords, file contents that came from Secrets, and env values,
    /// commands, args and sub-paths that carry Secret material (directly or
    /// through `$(VAR)` expansion).
    pub fn redacted(&self) -> Self {
        let mut copy = self.clone();
        for c in &mut copy.container {
            redact_process(&mut c.command, &mut c.arg, &mut c.environment_var, &mut c.volume_mount);
        }
        for c in &mut copy.init_container {
            redact_process(&mut c.command, &mut c.arg, &mut c.environment_var, &mut c.volume_mount);
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

/// Redacts what a container's process sees: command, args, env, sub-paths.
pub(crate) fn redact_process(
    command: &mut [Sensitive],
    args: &mut [Sensitive],
    vars: &mut [EnvironmentVar],
    mounts: &mut [VolumeMount],
) {
    for item in command.iter_mut().chain(args.iter_mut()) {
        *item = item.redacted();
    }
    for var in vars {
        var.value = var.value.as_ref().map(Sensitive::redacted);
    }
    for m in mounts {
        m.sub_path = m.sub_path.as_ref().map(Sensitive::redacted);
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
