//! The ElasticWorkload resource (`autoscaling.alibabacloud.com/v1beta1`,
//! short name `ew`) as typed data, and its validation.
//!
//! Shape from docs/elastic.md#elasticworkload and the 2021 handbook's
//! sample (section 2.5). Units may also set `affinity`
//! (named as a scheduling policy in the prose) and `min`/`max` (commented in
//! the sample).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Affinity, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::{Deserialize, Serialize};

/// The API version of ElasticWorkload.
pub const API_VERSION: &str = "autoscaling.alibabacloud.com/v1beta1";
/// The kind.
pub const KIND: &str = "ElasticWorkload";

/// An ElasticWorkload.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElasticWorkload {
    /// `autoscaling.alibabacloud.com/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// `ElasticWorkload`.
    #[serde(default)]
    pub kind: String,
    /// Name, namespace, uid.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// What to split and how.
    pub spec: ElasticWorkloadSpec,
    /// What the controller last wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ElasticWorkloadStatus>,
}

/// `spec`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElasticWorkloadSpec {
    /// The workload whose replicas are split.
    pub source_target: SourceTarget,
    /// Total replicas (what an HPA scales through `/scale`). Defaults to the
    /// source's current replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// The units, in the order they receive replicas.
    #[serde(default)]
    pub elastic_unit: Vec<ElasticUnit>,
}

/// `spec.sourceTarget`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceTarget {
    /// Name of the source workload (same namespace).
    pub name: String,
    /// Kind of the source workload (`Deployment`).
    #[serde(default)]
    pub kind: String,
    /// API version of the source workload (`apps/v1`).
    #[serde(default)]
    pub api_version: String,
    /// Replicas the source keeps when the total allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i32>,
    /// Replicas the source never exceeds; the rest goes to the units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i32>,
}

/// One entry of `spec.elasticUnit`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElasticUnit {
    /// Unit name; the unit's Deployment is `<source>-unit-<name>`.
    pub name: String,
    /// Labels added to the unit's pods (e.g. `alibabacloud.com/eci: "true"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations added to the unit's pods.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The unit's nodeSelector (replaces the source's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    /// The unit's tolerations (replace the source's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<Toleration>>,
    /// The unit's affinity (replaces the source's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// Replicas the unit gets before later units get any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i32>,
    /// Replicas the unit never exceeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i32>,
}

/// `status`, the shape the ACK controller writes (its `describe` output).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElasticWorkloadStatus {
    /// Replicas placed (source + units); the `/scale` status.
    pub replicas: i32,
    /// The pods' label selector as a string, for `/scale` (HPA).
    pub selector: String,
    /// The source's share.
    pub source_target: SourceTargetStatus,
    /// Each unit's share, in unit order.
    #[serde(default)]
    pub elastic_units_status: Vec<UnitStatus>,
}

/// `status.sourceTarget`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceTargetStatus {
    /// `apps/v1`.
    pub api_version: String,
    /// `Deployment`.
    pub kind: String,
    /// The source's name.
    pub name: String,
    /// Replicas given to the source.
    pub desired_replicas: i32,
    /// When the share last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<Time>,
}

/// One entry of `status.elasticUnitsStatus`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitStatus {
    /// The unit Deployment's name (`<source>-unit-<unit>`).
    pub name: String,
    /// Replicas given to the unit.
    pub desired_replicas: i32,
    /// When the share last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<Time>,
}
