//! A status case: one YAML stream with the pod, the instance (a
//! `DescribeContainerGroups` item, or a whole response) and optionally the
//! time (`kind: StatusSettings`, `now:`) and cluster settings.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::cluster::ClusterSettings;
use crate::diagnostics::{Code, Diagnostic, Input, Severity};
use crate::eci::describe::{ContainerGroup, DescribeContainerGroupsResponse};
use crate::input::{from_value, pod_from_document};

/// The kind of the settings document.
pub const STATUS_SETTINGS_KIND: &str = "StatusSettings";

/// Everything a status mapping needs.
#[derive(Debug, Clone)]
pub struct StatusCase {
    /// The instance, or `None` when it no longer exists.
    pub group: Option<ContainerGroup>,
    /// The pod.
    pub pod: Pod,
    /// The time.
    pub now: Option<Timestamp>,
    /// Cluster settings.
    pub cluster: Option<ClusterSettings>,
    /// Problems found while reading.
    pub diagnostics: Vec<Diagnostic>,
}

/// True for a document that is an item (`ContainerGroupId`, no `kind`).
pub fn is_item(doc: &Value) -> bool {
    doc.get("kind").is_none() && (doc.get("ContainerGroupId").is_some() || doc.get("Status").is_some())
}

/// True for a whole `DescribeContainerGroups` response.
pub fn is_response(doc: &Value) -> bool {
    doc.get("kind").is_none() && doc.get("ContainerGroups").is_some()
}

/// Picks the item of `pod` from a response: by the `PodName`/`NameSpace`
/// tags, then by the `<namespace>-<name>` container group name.
pub fn item_for_pod<'a>(response: &'a DescribeContainerGroupsResponse, pod: &Pod) -> Option<&'a ContainerGroup> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let ns = pod.metadata.namespace.clone().unwrap_or_else(|| "default".into());
    let tag =
        |g: &ContainerGroup, k: &str| g.tags.iter().find(|t| t.key.as_deref() == Some(k)).and_then(|t| t.value.clone());
    response
        .container_groups
        .iter()
        .find(|g| {
            tag(g, "PodName").as_deref() == Some(name.as_str()) && tag(g, "NameSpace").as_deref() == Some(ns.as_str())
        })
        .or_else(|| {
            let expected = crate::translate::container_group_name(&ns, &name);
            response.container_groups.iter().find(|g| g.container_group_name.as_deref() == Some(expected.as_str()))
        })
}

impl StatusCase {
    /// Reads a case. An empty response (`ContainerGroups: []`) means the
    /// instance is gone.
    pub fn from_documents(docs: &[Value]) -> Result<StatusCase, Diagnostic> {
        let pod_doc = docs.iter().find(|d| d.get("kind").and_then(Value::as_str).is_some_and(|k| k == "Pod"));
        let Some(pod_doc) = pod_doc else {
            return Err(Diagnostic::pod(Severity::Error, Code::MissingField, "", "no Pod in the input")
                .help("give the pod the instance runs"));
        };
        let (pod, _) = pod_from_document(pod_doc)?;
        let mut case = StatusCase { group: None, pod, now: None, cluster: None, diagnostics: Vec::new() };
        let mut found = false;
        for doc in docs {
            if is_item(doc) || is_response(doc) {
                case.diagnostics.extend(crate::eci::describe::unknown_item_fields(doc));
            }
            if is_item(doc) {
                case.group = Some(from_value::<ContainerGroup>(doc, Input::Instance)?);
                found = true;
            } else if is_response(doc) {
                let response = from_value::<DescribeContainerGroupsResponse>(doc, Input::Instance)?;
                case.group = item_for_pod(&response, &case.pod).cloned();
                if case.group.is_none() && !response.container_groups.is_empty() {
                    case.diagnostics.push(
                        Diagnostic::pod(
                            Severity::Warning,
                            Code::MissingObject,
                            "/ContainerGroups",
                            "no instance in the response belongs to the pod (by tags or name)",
                        )
                        .on(Input::Instance),
                    );
                }
                found = true;
            } else {
                match doc.get("kind").and_then(Value::as_str) {
                    Some(STATUS_SETTINGS_KIND) => {
                        case.now = doc.get("now").and_then(Value::as_str).and_then(|t| t.parse().ok());
                    }
                    Some(crate::cluster::CLUSTER_SETTINGS_KIND) => {
                        let (settings, diags) = crate::cluster::parse_cluster_document(doc);
                        case.cluster = settings;
                        case.diagnostics.extend(diags);
                    }
                    _ => {}
                }
            }
        }
        if !found {
            return Err(Diagnostic::pod(Severity::Error, Code::MissingField, "", "no ECI instance in the input")
                .help("give a DescribeContainerGroups item (or response) as JSON or YAML"));
        }
        Ok(case)
    }
}

/// Everything a status case maps to.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StatusView {
    /// The pod's new status.
    pub status: k8s_openapi::api::core::v1::PodStatus,
    /// The instance's events as Kubernetes Events.
    pub events: Vec<k8s_openapi::api::core::v1::Event>,
    /// The pod with the status merged.
    pub pod: Pod,
    /// Problems with the case and the instance.
    pub diagnostics: Vec<Diagnostic>,
}

impl StatusCase {
    /// Maps the case at `now` (callers choose between it and the case's
    /// own [`StatusCase::now`]; [`crate::case::run`] lets the caller's
    /// given time win); `cluster` is used when the case has no settings. A
    /// case without an instance is the status of a deleted instance.
    pub fn map(&self, now: Timestamp, cluster: &ClusterSettings) -> StatusView {
        let cluster = self.cluster.as_ref().unwrap_or(cluster);
        let result = match &self.group {
            Some(group) => super::pod_status(group, &self.pod, now, cluster),
            None => super::pod_status_gone(&self.pod, now),
        };
        let events = self.group.as_ref().map(|g| super::pod_events(g, &self.pod, now)).unwrap_or_default();
        let mut diagnostics = self.diagnostics.clone();
        diagnostics.extend(result.diagnostics.iter().cloned());
        StatusView {
            pod: super::pod_with_status(&self.pod, &result.status),
            status: result.status,
            events,
            diagnostics,
        }
    }
}
