//! A placement case: one YAML stream with the ResourcePolicy, the pods
//! already placed (Pods, or `kind: List` of Pods as `kubectl get pods -o
//! yaml` prints), the new pod last, and optionally cluster settings and a
//! `PlacementSettings` document naming units that lack resources
//! (`lackingResources: [0]`).

use k8s_openapi::api::core::v1::Pod;
use serde_json::Value;

use super::{Placement, PlacementInput, ResourcePolicy, place};
use crate::cluster::ClusterSettings;
use crate::diagnostics::{Code, Diagnostic, Input, Severity};
use crate::input::from_value;

/// The kind of the settings document.
pub const PLACEMENT_SETTINGS_KIND: &str = "PlacementSettings";

/// Everything a placement needs.
#[derive(Debug, Clone)]
pub struct PlacementCase {
    /// The policy.
    pub policy: ResourcePolicy,
    /// Pods already placed.
    pub placed: Vec<Pod>,
    /// The new pod, as JSON.
    pub pod: Value,
    /// Units that lack resources now.
    pub lacking: Vec<usize>,
    /// Cluster settings.
    pub cluster: Option<ClusterSettings>,
    /// Problems found while reading.
    pub diagnostics: Vec<Diagnostic>,
}

fn kind(doc: &Value) -> &str {
    doc.get("kind").and_then(Value::as_str).unwrap_or_default()
}

impl PlacementCase {
    /// Reads a case; the last Pod is the new one.
    pub fn from_documents(docs: &[Value]) -> Result<PlacementCase, Diagnostic> {
        let Some(policy_doc) = docs.iter().find(|d| kind(d) == "ResourcePolicy") else {
            return Err(Diagnostic::pod(Severity::Error, Code::MissingField, "", "no ResourcePolicy in the input")
                .on(Input::ResourcePolicy)
                .help("give a scheduling.alibabacloud.com/v1alpha1 ResourcePolicy"));
        };
        let policy: ResourcePolicy = from_value(policy_doc, Input::ResourcePolicy)?;
        let mut pods: Vec<&Value> = Vec::new();
        let mut case_settings = None;
        let mut cluster = None;
        let mut diagnostics = Vec::new();
        for (i, doc) in docs.iter().enumerate() {
            match kind(doc) {
                "ResourcePolicy" => {}
                "Pod" => pods.push(doc),
                "List" | "PodList" => pods.extend(
                    doc.get("items").and_then(Value::as_array).into_iter().flatten().filter(|d| kind(d) == "Pod"),
                ),
                PLACEMENT_SETTINGS_KIND => case_settings = Some(doc),
                crate::cluster::CLUSTER_SETTINGS_KIND => {
                    let (c, d) = crate::cluster::parse_cluster_document(doc);
                    cluster = c;
                    diagnostics.extend(d);
                }
                other => diagnostics.push(
                    Diagnostic::pod(
                        Severity::Warning,
                        Code::Schema,
                        "/kind",
                        format!("`{other}` is not used by a placement; ignored"),
                    )
                    .on(Input::Object(format!("document {}", i + 1))),
                ),
            }
        }
        let Some((new, placed)) = pods.split_last() else {
            return Err(Diagnostic::pod(Severity::Error, Code::MissingField, "", "no Pod to place in the input")
                .help("give the new pod last (and the pods already placed before it)"));
        };
        let placed = placed
            .iter()
            .enumerate()
            .map(|(i, d)| from_value::<Pod>(d, Input::Object(format!("placed pod {}", i + 1))))
            .collect::<Result<Vec<_>, _>>()?;
        let lacking = case_settings
            .and_then(|s| s.get("lackingResources"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_u64().and_then(|n| usize::try_from(n).ok())).collect())
            .unwrap_or_default();
        Ok(PlacementCase { policy, placed, pod: (*new).clone(), lacking, cluster, diagnostics })
    }

    /// Places the new pod; `cluster` is used when the case has no settings.
    pub fn place(&self, cluster: &ClusterSettings) -> Placement {
        let mut placement = place(&PlacementInput {
            policy: &self.policy,
            placed: &self.placed,
            pod: &self.pod,
            lacking: &self.lacking,
            cluster: self.cluster.as_ref().unwrap_or(cluster),
        });
        let mut diagnostics = self.diagnostics.clone();
        diagnostics.append(&mut placement.diagnostics);
        placement.diagnostics = diagnostics;
        placement
    }
}
