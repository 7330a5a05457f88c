//! `UpdateContainerGroup` and `DeleteContainerGroup` as typed Rust
//! (docs/eci-api.md#updatecontainergroup, #deletecontainergroup).
//!
//! The update model is a subset of the create model with its own quirks:
//! no placement, spec selection or security-context extras; init containers
//! gain `Stdin`/`StdinOnce`/`Tty`; config files have no modes. And the
//! spelling trap: the postStart header list is
//! `LifecyclePostStartHandlerHttpGetHttpHeaders` (plural) while the preStop
//! list stays `…PreStopHandlerHttpGetHttpHeader` (singular) — both SDKs and
//! the API metadata agree.

use serde::{Deserialize, Serialize};

use super::request::{
    self, ContainerSecurityContext, DnsConfig, EmptyDirVolume, EnvironmentVar, FlexVolume, HostPathVolume, HttpHeader,
    ImageRegistryCredential, NfsVolume, Port, Probe, Tag, VolumeMount,
};
use super::secret::Sensitive;

/// Parameters newer than the pinned Python SDK, with their source.
pub const DELETE_EXTENSION_PARAMETERS: &[(&str, &str)] =
    &[("Force", "Go SDK alibabacloud-go/eci-20180808 v3.1.0 ChangeLog 2025-05-28 (DeleteContainerGroup Force)")];

/// `UpdateContainerGroup`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct UpdateContainerGroupRequest {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acr_registry_info: Vec<UpdateAcrRegistryInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub container: Vec<UpdateContainer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_config: Option<DnsConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_registry_credential: Vec<ImageRegistryCredential>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub init_container: Vec<UpdateInitContainer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<Tag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume: Vec<UpdateVolume>,
}

/// `AcrRegistryInfo.N` of an update (no ARNs).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct UpdateAcrRegistryInfo {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domain: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_id: Option<String>,
}

/// `Container.N` of an update.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct UpdateContainer {
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_post_start_handler_exec: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_post_start_handler_http_get_host: Option<String>,
    /// Plural in UpdateContainerGroup (singular in CreateContainerGroup).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_post_start_handler_http_get_http_headers: Vec<HttpHeader>,
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
    /// Singular, as in CreateContainerGroup.
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
    pub stdin: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdin_once: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tty: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume_mount: Vec<VolumeMount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

/// `InitContainer.N` of an update.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct UpdateInitContainer {
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
    pub stdin: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdin_once: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tty: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume_mount: Vec<VolumeMount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

/// `Volume.N` of an update (no disk volumes, no file modes).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct UpdateVolume {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_file_volume: Option<UpdateConfigFileVolume>,
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

/// `Volume.N.ConfigFileVolume` of an update.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct UpdateConfigFileVolume {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config_file_to_path: Vec<UpdateConfigFileToPath>,
}

/// `Volume.N.ConfigFileVolume.ConfigFileToPath.N` of an update.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct UpdateConfigFileToPath {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Sensitive>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// `DeleteContainerGroup`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct DeleteContainerGroupRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_id: Option<String>,
}

impl From<&request::Container> for UpdateContainer {
    fn from(c: &request::Container) -> Self {
        UpdateContainer {
            arg: c.arg.clone(),
            command: c.command.clone(),
            cpu: c.cpu,
            environment_var: c.environment_var.clone(),
            gpu: c.gpu,
            image: c.image.clone(),
            image_pull_policy: c.image_pull_policy.clone(),
            lifecycle_post_start_handler_exec: c.lifecycle_post_start_handler_exec.clone(),
            lifecycle_post_start_handler_http_get_host: c.lifecycle_post_start_handler_http_get_host.clone(),
            lifecycle_post_start_handler_http_get_http_headers: c
                .lifecycle_post_start_handler_http_get_http_header
                .clone(),
            lifecycle_post_start_handler_http_get_path: c.lifecycle_post_start_handler_http_get_path.clone(),
            lifecycle_post_start_handler_http_get_port: c.lifecycle_post_start_handler_http_get_port,
            lifecycle_post_start_handler_http_get_scheme: c.lifecycle_post_start_handler_http_get_scheme.clone(),
            lifecycle_post_start_handler_tcp_socket_host: c.lifecycle_post_start_handler_tcp_socket_host.clone(),
            lifecycle_post_start_handler_tcp_socket_port: c.lifecycle_post_start_handler_tcp_socket_port,
            lifecycle_pre_stop_handler_exec: c.lifecycle_pre_stop_handler_exec.clone(),
            lifecycle_pre_stop_handler_http_get_host: c.lifecycle_pre_stop_handler_http_get_host.clone(),
            lifecycle_pre_stop_handler_http_get_http_header: c.lifecycle_pre_stop_handler_http_get_http_header.clone(),
            lifecycle_pre_stop_handler_http_get_path: c.lifecycle_pre_stop_handler_http_get_path.clone(),
            lifecycle_pre_stop_handler_http_get_port: c.lifecycle_pre_stop_handler_http_get_port,
            lifecycle_pre_stop_handler_http_get_scheme: c.lifecycle_pre_stop_handler_http_get_scheme.clone(),
            lifecycle_pre_stop_handler_tcp_socket_host: c.lifecycle_pre_stop_handler_tcp_socket_host.clone(),
            lifecycle_pre_stop_handler_tcp_socket_port: c.lifecycle_pre_stop_handler_tcp_socket_port,
            liveness_probe: c.liveness_probe.clone(),
            memory: c.memory,
            name: c.name.clone(),
            port: c.port.clone(),
            readiness_probe: c.readiness_probe.clone(),
            security_context: c.security_context.clone(),
            stdin: c.stdin,
            stdin_once: c.stdin_once,
            tty: c.tty,
            volume_mount: c.volume_mount.clone(),
            working_dir: c.working_dir.clone(),
        }
    }
}

impl From<&request::InitContainer> for UpdateInitContainer {
    fn from(c: &request::InitContainer) -> Self {
        UpdateInitContainer {
            arg: c.arg.clone(),
            command: c.command.clone(),
            cpu: c.cpu,
            environment_var: c.environment_var.clone(),
            gpu: c.gpu,
            image: c.image.clone(),
            image_pull_policy: c.image_pull_policy.clone(),
            memory: c.memory,
            name: c.name.clone(),
            port: c.port.clone(),
            security_context: c.security_context.clone(),
            stdin: None,
            stdin_once: None,
            tty: None,
            volume_mount: c.volume_mount.clone(),
            working_dir: c.working_dir.clone(),
        }
    }
}

impl UpdateVolume {
    /// The update form of a create-time volume; `None` for disk volumes,
    /// which cannot be updated.
    pub fn from_create(v: &request::Volume) -> Option<Self> {
        if v.disk_volume.is_some() {
            return None;
        }
        Some(UpdateVolume {
            config_file_volume: v.config_file_volume.as_ref().map(|c| UpdateConfigFileVolume {
                config_file_to_path: c
                    .config_file_to_path
                    .iter()
                    .map(|f| UpdateConfigFileToPath { content: f.content.clone(), path: f.path.clone() })
                    .collect(),
            }),
            empty_dir_volume: v.empty_dir_volume.clone(),
            flex_volume: v.flex_volume.clone(),
            host_path_volume: v.host_path_volume.clone(),
            nfs_volume: v.nfs_volume.clone(),
            name: v.name.clone(),
            volume_type: v.volume_type.clone(),
        })
    }
}

impl UpdateContainerGroupRequest {
    /// A copy safe to show (secret values read `<redacted>`).
    pub fn redacted(&self) -> Self {
        let mut copy = self.clone();
        for c in &mut copy.container {
            request::redact_process(&mut c.command, &mut c.arg, &mut c.environment_var, &mut c.volume_mount);
        }
        for c in &mut copy.init_container {
            request::redact_process(&mut c.command, &mut c.arg, &mut c.environment_var, &mut c.volume_mount);
        }
        for v in &mut copy.volume {
            for f in v.config_file_volume.iter_mut().flat_map(|c| c.config_file_to_path.iter_mut()) {
                f.content = f.content.as_ref().map(Sensitive::redacted);
            }
        }
        for c in &mut copy.image_registry_credential {
            c.password = c.password.as_ref().map(super::secret::SecretString::redacted);
        }
        copy
    }

    /// The JSON (`to_map()`) form.
    pub fn to_json(&self) -> serde_json::Value {
        crate::json::to_value(self)
    }
}

impl DeleteContainerGroupRequest {
    /// The JSON (`to_map()`) form.
    pub fn to_json(&self) -> serde_json::Value {
        crate::json::to_value(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_post_start_header_list_is_plural_in_updates() {
        let c = request::Container {
            lifecycle_post_start_handler_http_get_http_header: vec![HttpHeader {
                name: Some("a".into()),
                value: Some("b".into()),
            }],
            lifecycle_pre_stop_handler_http_get_http_header: vec![HttpHeader {
                name: Some("c".into()),
                value: Some("d".into()),
            }],
            ..Default::default()
        };
        let json = serde_json::to_value(UpdateContainer::from(&c)).unwrap();
        assert!(json.get("LifecyclePostStartHandlerHttpGetHttpHeaders").is_some());
        assert!(json.get("LifecyclePreStopHandlerHttpGetHttpHeader").is_some());
        assert!(json.get("LifecyclePostStartHandlerHttpGetHttpHeader").is_none());
    }
}
