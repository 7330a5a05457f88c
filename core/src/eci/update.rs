//! `UpdateContainerGroup` and `DeleteContainerGroup` as typed Rust
//! (docs/eci-api.md#updatecontainergroup, #deletecontainergroup).
//!
//! The update model is a subset of the create model with its own quirks:
//! no placement, spec selection or security-context extras; init containers
//! gain `Stdin`/`StdinOnce`/`Tty`; config files have no modes. Containers,
//! volumes and ACR registries are the create model's ([`Container::for_update`],
//! [`Volume::for_update`] and [`AcrRegistryInfo::for_update`] leave out what
//! an update lacks). And the spelling trap: the postStart header
//! list is `LifecyclePostStartHandlerHttpGetHttpHeaders` (plural) while the
//! preStop list stays `…PreStopHandlerHttpGetHttpHeader` (singular) — both
//! SDKs and the API metadata agree; the request renames that one key.

use serde::{Deserialize, Serialize};

use super::request::{AcrRegistryInfo, Container, DnsConfig, ImageRegistryCredential, Tag, Volume};
use super::secret::Sensitive;

/// Parameters newer than the pinned Python SDK, with their source.
pub const DELETE_EXTENSION_PARAMETERS: &[(&str, &str)] =
    &[("Force", "Go SDK alibabacloud-go/eci-20180808 v3.1.0 ChangeLog 2025-05-28 (DeleteContainerGroup Force)")];

wire_struct! {
    /// `UpdateContainerGroup`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct UpdateContainerGroupRequest {
        pub acr_registry_info: Vec<AcrRegistryInfo>,
        pub client_token: Option<String>,
        /// The postStart header list renamed to the update's plural.
        #[serde(with = "plural_post_start_headers")]
        pub container: Vec<Container>,
        pub container_group_id: Option<String>,
        pub cpu: Option<f64>,
        pub dns_config: Option<DnsConfig>,
        pub image_registry_credential: Vec<ImageRegistryCredential>,
        pub init_container: Vec<Container>,
        pub memory: Option<f64>,
        pub region_id: Option<String>,
        pub resource_group_id: Option<String>,
        pub restart_policy: Option<String>,
        pub tag: Vec<Tag>,
        pub update_type: Option<String>,
        pub volume: Vec<Volume>,
    }
}

wire_struct! {
    /// `DeleteContainerGroup`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct DeleteContainerGroupRequest {
        pub client_token: Option<String>,
        pub container_group_id: Option<String>,
        pub force: Option<bool>,
        pub region_id: Option<String>,
    }
}

/// `UpdateContainerGroup` names the postStart header list
/// `LifecyclePostStartHandlerHttpGetHttpHeaders` (plural) where
/// `CreateContainerGroup`, and the preStop list of both, say `…HttpHeader`.
/// The update's containers are the one [`Container`] model; this renames
/// that key on the way out and back.
mod plural_post_start_headers {
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value;

    use super::Container;

    const CREATE: &str = "LifecyclePostStartHandlerHttpGetHttpHeader";
    const UPDATE: &str = "LifecyclePostStartHandlerHttpGetHttpHeaders";

    fn rename(mut container: Value, from: &str, to: &str) -> Value {
        if let Some(fields) = container.as_object_mut()
            && let Some(headers) = fields.remove(from)
        {
            fields.insert(to.to_string(), headers);
        }
        container
    }

    pub(super) fn serialize<S: Serializer>(containers: &[Container], serializer: S) -> Result<S::Ok, S::Error> {
        let renamed = containers
            .iter()
            .map(|c| serde_json::to_value(c).map(|v| rename(v, CREATE, UPDATE)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(S::Error::custom)?;
        renamed.serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Container>, D::Error> {
        Vec::<Value>::deserialize(deserializer)?
            .into_iter()
            .map(|v| serde_json::from_value(rename(v, UPDATE, CREATE)))
            .collect::<Result<_, _>>()
            .map_err(D::Error::custom)
    }
}

impl UpdateContainerGroupRequest {
    /// A copy safe to show (secret values read `<redacted>`).
    pub fn redacted(&self) -> Self {
        let mut copy = self.clone();
        for c in copy.container.iter_mut().chain(&mut copy.init_container) {
            c.redact();
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
    use crate::eci::request;

    #[test]
    fn the_post_start_header_list_is_plural_in_updates() {
        let header = |n: &str| vec![request::HttpHeader { name: Some(n.into()), value: Some(n.into()) }];
        let c = Container {
            post_start: Some(request::LifecycleHandler { http_get_http_header: header("a"), ..Default::default() }),
            pre_stop: Some(request::LifecycleHandler { http_get_http_header: header("b"), ..Default::default() }),
            ..Default::default()
        };
        let update = UpdateContainerGroupRequest { container: vec![c.for_update()], ..Default::default() };
        let json = update.to_json();
        let container = &json["Container"][0];
        assert!(container.get("LifecyclePostStartHandlerHttpGetHttpHeaders").is_some());
        assert!(container.get("LifecyclePreStopHandlerHttpGetHttpHeader").is_some());
        assert!(container.get("LifecyclePostStartHandlerHttpGetHttpHeader").is_none());
        let back: UpdateContainerGroupRequest = serde_json::from_value(json).unwrap();
        assert_eq!(back.container, vec![c.clone()], "the plural reads back");

        let create = request::CreateContainerGroupRequest { container: vec![c], ..Default::default() }.to_json();
        assert!(create["Container"][0].get("LifecyclePostStartHandlerHttpGetHttpHeader").is_some());
    }
}
