//! A unit's Deployment: a clone of the source whose pod template takes the
//! unit's labels, annotations and scheduling policy.
//!
//! "Each unit is a cloned Deployment named `<sourceName>-unit-<unitName>`
//! with the unit's labels/annotations/nodeSelector/affinity/tolerations
//! overwriting the scheduling policy" (docs/elastic.md#unit-deployments).
//! Choices:
//! - the scheduling policy (nodeSelector, affinity, tolerations, nodeName) is
//!   replaced as a whole: a unit is a different pool of capacity, and a
//!   source constraint such as `disktype: ssd` would keep the clone off the
//!   virtual node. A unit that sets none of them relies on its labels (e.g.
//!   `alibabacloud.com/eci: "true"`) and the admission webhook for routing;
//! - labels and annotations are merged into the template, the unit's value
//!   winning;
//! - **selectors never overlap**: every unit's pods carry
//!   [`UNIT_LABEL`]`=<unit>`, and the unit's selector is the source's plus
//!   that label, so no unit selects the source's pods (which lack it) or
//!   another unit's (a different value). The source's selector cannot be
//!   narrowed (Deployment selectors are immutable), so it still matches the
//!   units' pods; its ReplicaSets never adopt them, because a ReplicaSet
//!   selects by `pod-template-hash` too and only adopts pods without a
//!   controller. The shared labels are what Services and the HPA need: the
//!   ElasticWorkload's `/scale` selector is the source's;
//! - the clone is owned by the ElasticWorkload (when its uid is known), so
//!   deleting the ElasticWorkload removes the units;
//! - server-written fields (uid, resourceVersion, status, managedFields, the
//!   revision annotation, kubectl's last-applied configuration) are dropped.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::model::{ElasticUnit, ElasticWorkload};

/// The label that ties a pod to its unit.
pub const UNIT_LABEL: &str = "eci-bridge.io/elastic-unit";
/// The label naming the ElasticWorkload on unit Deployments.
pub const WORKLOAD_LABEL: &str = "eci-bridge.io/elastic-workload";

/// Annotations the API server or kubectl write, never copied to a clone.
const SERVER_ANNOTATIONS: &[&str] =
    &["deployment.kubernetes.io/revision", "kubectl.kubernetes.io/last-applied-configuration"];

/// `<source>-unit-<unit>`.
pub fn unit_deployment_name(source: &str, unit: &str) -> String {
    format!("{source}-unit-{unit}")
}

/// Metadata of a clone or a rewritten object: the user's fields only.
pub(crate) fn user_metadata(meta: &ObjectMeta) -> ObjectMeta {
    let mut annotations = meta.annotations.clone().unwrap_or_default();
    annotations.retain(|k, _| !SERVER_ANNOTATIONS.contains(&k.as_str()));
    ObjectMeta {
        name: meta.name.clone(),
        namespace: meta.namespace.clone(),
        labels: meta.labels.clone(),
        annotations: (!annotations.is_empty()).then_some(annotations),
        owner_references: meta.owner_references.clone(),
        ..Default::default()
    }
}

fn merged(
    base: Option<&BTreeMap<String, String>>,
    over: &BTreeMap<String, String>,
) -> Option<BTreeMap<String, String>> {
    let mut map = base.cloned().unwrap_or_default();
    map.extend(over.iter().map(|(k, v)| (k.clone(), v.clone())));
    (!map.is_empty()).then_some(map)
}

/// The Deployment of `unit` with `replicas`.
pub fn unit_deployment(
    source: &Deployment,
    workload: &ElasticWorkload,
    unit: &ElasticUnit,
    replicas: i32,
) -> Deployment {
    let source_name = source.metadata.name.clone().unwrap_or_default();
    let workload_name = workload.metadata.name.clone().unwrap_or_default();
    let unit_label = BTreeMap::from([(UNIT_LABEL.to_string(), unit.name.clone())]);

    let mut metadata = user_metadata(&source.metadata);
    metadata.name = Some(unit_deployment_name(&source_name, &unit.name));
    let mut labels = metadata.labels.take().unwrap_or_default();
    labels.insert(UNIT_LABEL.into(), unit.name.clone());
    labels.insert(WORKLOAD_LABEL.into(), workload_name.clone());
    metadata.labels = Some(labels);
    metadata.owner_references = workload.metadata.uid.as_ref().map(|uid| {
        vec![OwnerReference {
            api_version: super::model::API_VERSION.into(),
            kind: super::model::KIND.into(),
            name: workload_name.clone(),
            uid: uid.clone(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }]
    });

    let mut spec = source.spec.clone();
    spec.replicas = Some(replicas);
    // The source's selector with the unit's own values where it relabels a
    // selector key (so the clone still selects its pods), plus the unit label.
    let mut selector_labels = spec.selector.match_labels.clone().unwrap_or_default();
    for (k, v) in selector_labels.iter_mut() {
        if let Some(own) = unit.labels.get(k) {
            v.clone_from(own);
        }
    }
    spec.selector.match_labels = merged(Some(&selector_labels), &unit_label);
    let template_meta = spec.template.metadata.get_or_insert_with(Default::default);
    let mut pod_labels = unit.labels.clone();
    pod_labels.extend(unit_label);
    template_meta.labels = merged(template_meta.labels.as_ref(), &pod_labels);
    template_meta.annotations = merged(template_meta.annotations.as_ref(), &unit.annotations);
    if let Some(pod) = spec.template.spec.as_mut() {
        pod.node_selector = unit.node_selector.clone().filter(|m| !m.is_empty());
        pod.tolerations = unit.tolerations.clone().filter(|t| !t.is_empty());
        pod.affinity = unit.affinity.clone();
        pod.node_name = None;
    }
    Deployment { metadata, spec, status: None }
}
