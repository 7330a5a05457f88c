//! A bundle: one YAML stream holding a pod and what it needs.
//!
//! The first Pod (or workload) is the pod to translate. The other documents
//! are recognised by kind, the way a cluster would hold them:
//! - the ConfigMap `kube-system/eci-profile` is the eci-profile;
//! - a `Namespace` named like the pod's namespace gives the namespace labels;
//! - `kind: ClusterSettings` (`apiVersion: eci-bridge/v1alpha1`, settings
//!   under `settings:`) gives the cluster settings;
//! - ConfigMaps, Secrets, claims, volumes and TokenRequests are the objects.
//!
//! Fixtures, the CLI's `-f` and the playground all read bundles, so one file
//! reproduces a case exactly.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use serde_json::Value;

use crate::cluster::{CLUSTER_SETTINGS_KIND, ClusterSettings};
use crate::diagnostics::{Code, Diagnostic, Input, Severity};
use crate::input::{PodSource, WORKLOAD_TEMPLATES, missing_kind, pod_from_document, unknown_pod_fields};
use crate::objects::ObjectStore;
use crate::profile::{EciProfile, parse_profile};
use crate::translate::{MissingObjects, TranslateInput, Translation, translate};

/// Everything one translation needs, read from documents.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The pod.
    pub pod: Pod,
    /// Where it came from.
    pub source: PodSource,
    /// The profile, if the stream has `kube-system/eci-profile`.
    pub profile: Option<EciProfile>,
    /// The cluster settings, if the stream has them.
    pub cluster: Option<ClusterSettings>,
    /// Labels of the pod's namespace.
    pub namespace_labels: BTreeMap<String, String>,
    /// The other objects.
    pub objects: ObjectStore,
    /// Problems found while reading the other documents.
    pub diagnostics: Vec<Diagnostic>,
    /// Which document of the stream each input came from.
    pub documents: Documents,
}

/// Positions (from 0) in the stream of the documents a bundle used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Documents {
    /// The pod or workload.
    pub pod: usize,
    /// The eci-profile ConfigMap.
    pub profile: Option<usize>,
    /// The cluster settings.
    pub cluster: Option<usize>,
    /// True when the settings document is the `kind: ClusterSettings`
    /// wrapper (settings under `settings:`), false for bare settings.
    pub cluster_wrapped: bool,
    /// The pod's Namespace.
    pub namespace: Option<usize>,
}

/// Where an object diagnostic points: its label is `document N` or
/// `document N item M` (a List's items), counted from 1.
pub fn place_object(label: &str, pointer: &str) -> Option<(usize, String)> {
    let mut words = label.split_whitespace();
    let (Some("document"), Some(n)) = (words.next(), words.next()) else { return None };
    let doc = n.parse::<usize>().ok()?.checked_sub(1)?;
    match (words.next(), words.next()) {
        (Some("item"), Some(m)) => {
            let item = m.parse::<usize>().ok()?.checked_sub(1)?;
            Some((doc, format!("/items/{item}{pointer}")))
        }
        _ => Some((doc, pointer.to_string())),
    }
}

impl Documents {
    /// The document and the pointer within it that a diagnostic's input and
    /// pointer refer to; `None` for inputs outside the stream.
    pub fn place(&self, input: &Input, pointer: &str) -> Option<(usize, String)> {
        let doc = match input {
            Input::Pod => self.pod,
            Input::Profile => self.profile?,
            Input::Cluster => self.cluster?,
            Input::Object(label) => return place_object(label, pointer),
            _ => return None,
        };
        // Cluster settings are wrapped under `settings:` in a stream.
        let wrapped = *input == Input::Cluster && self.cluster_wrapped;
        let pointer = if wrapped { format!("/settings{pointer}") } else { pointer.to_string() };
        Some((doc, pointer))
    }
}

fn is_pod_kind(kind: &str) -> bool {
    kind == "Pod" || WORKLOAD_TEMPLATES.iter().any(|(k, _)| *k == kind)
}

fn meta<'a>(doc: &'a Value, field: &str) -> Option<&'a str> {
    doc.get("metadata").and_then(|m| m.get(field)).and_then(Value::as_str)
}

/// "No Pod or workload", saying what the input holds instead.
fn no_workload(docs: &[(usize, &Value)]) -> Diagnostic {
    const SHOWN: usize = 6;
    let message = match docs.len() {
        0 => "no Pod or workload in the input: it holds no documents".to_string(),
        n => {
            let mut names: Vec<String> =
                docs.iter().take(SHOWN).map(|(_, d)| crate::input::describe_document(d)).collect();
            if n > SHOWN {
                names.push(format!("and {} more", n - SHOWN));
            }
            let documents = if n == 1 { "document" } else { "documents" };
            format!("no Pod or workload in the input: found {n} {documents}: {}", names.join(", "))
        }
    };
    Diagnostic::pod(Severity::Error, Code::MissingField, "", message)
        .on(Input::Stream)
        .help("give a Pod, Deployment, StatefulSet, Job, CronJob, …")
}

impl Bundle {
    /// Splits decoded documents into a bundle. Fails only when there is no
    /// pod or the pod is malformed.
    pub fn from_documents(docs: &[Value]) -> Result<Bundle, Diagnostic> {
        Self::from_numbered(&docs.iter().enumerate().collect::<Vec<_>>())
    }

    /// Like [`Self::from_documents`], for documents picked out of a longer
    /// stream (several files or editor tabs): each comes with its position
    /// in that stream, which [`Bundle::documents`] and diagnostics report.
    pub fn from_numbered(docs: &[(usize, &Value)]) -> Result<Bundle, Diagnostic> {
        let kind_of = |d: &Value| d.get("kind").and_then(Value::as_str).map(str::to_string);
        let found = docs.iter().copied().find(|(_, d)| kind_of(d).is_some_and(|k| is_pod_kind(&k)));
        let Some((pod_index, pod_doc)) = found else {
            // A document without `kind` is not taken for a Pod: it is pointed at.
            if docs.iter().any(|(_, d)| kind_of(d).is_none()) {
                return Err(missing_kind(Input::Pod));
            }
            return Err(no_workload(docs));
        };
        let (pod, source) = pod_from_document(pod_doc)?;
        let unknown = unknown_pod_fields(pod_doc, &pod, &source);
        let namespace = pod.metadata.namespace.clone().unwrap_or_else(|| "default".into());
        let mut bundle = Bundle {
            pod,
            source,
            profile: None,
            cluster: None,
            namespace_labels: BTreeMap::new(),
            objects: ObjectStore::new(),
            diagnostics: unknown,
            documents: Documents { pod: pod_index, ..Documents::default() },
        };
        let mut rest = Vec::new();
        for &(i, doc) in docs {
            if i == pod_index {
                continue;
            }
            let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
            match kind {
                "ConfigMap" if crate::profile::is_profile_document(doc) => {
                    let (profile, diags) = parse_profile(doc);
                    bundle.profile = Some(profile);
                    bundle.documents.profile = Some(i);
                    bundle.diagnostics.extend(diags);
                }
                "Namespace" => {
                    if meta(doc, "name") == Some(namespace.as_str()) {
                        bundle.documents.namespace = Some(i);
                        bundle.namespace_labels = doc
                            .pointer("/metadata/labels")
                            .and_then(Value::as_object)
                            .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
                            .unwrap_or_default();
                    }
                }
                CLUSTER_SETTINGS_KIND => {
                    let (settings, diags) = crate::cluster::parse_cluster_document(doc);
                    bundle.cluster = settings;
                    bundle.documents.cluster = Some(i);
                    bundle.documents.cluster_wrapped = true;
                    bundle.diagnostics.extend(diags);
                }
                k if is_pod_kind(k) => bundle.diagnostics.push(
                    Diagnostic::pod(
                        Severity::Warning,
                        Code::Schema,
                        "/kind",
                        format!(
                            "{} is not translated: translate previews one pod, the first workload of the input ({})",
                            crate::input::describe_document(doc),
                            crate::input::describe_document(pod_doc)
                        ),
                    )
                    .on(Input::Object(format!("document {}", i + 1)))
                    .help("`eci-bridge check FILE` judges every workload of a stream; or split the stream"),
                ),
                "" => bundle.diagnostics.push(missing_kind(Input::Object(format!("document {}", i + 1)))),
                _ => rest.push((i, doc)),
            }
        }
        let (objects, diags) = ObjectStore::from_numbered(rest);
        bundle.objects = objects;
        bundle.diagnostics.extend(diags);
        Ok(bundle)
    }

    /// Translates the bundle's pod; `cluster` is used when the bundle has
    /// no settings of its own. A missing ConfigMap or Secret is an error.
    pub fn translate(&self, cluster: &ClusterSettings) -> Translation {
        self.translate_with(cluster, MissingObjects::Reject)
    }

    /// [`Self::translate`], saying what a ConfigMap or Secret the pod needs
    /// and the bundle lacks becomes.
    pub fn translate_with(&self, cluster: &ClusterSettings, missing_objects: MissingObjects) -> Translation {
        let cluster = self.cluster.as_ref().unwrap_or(cluster);
        let mut t = translate(&TranslateInput {
            pod: &self.pod,
            namespace_labels: &self.namespace_labels,
            cluster,
            profile: self.profile.as_ref(),
            objects: &self.objects,
            missing_objects,
        });
        t.relocate(&self.source);
        let mut diagnostics = self.diagnostics.clone();
        diagnostics.append(&mut t.diagnostics);
        t.diagnostics = diagnostics;
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_documents;

    #[test]
    fn splits_a_stream_by_kind() {
        let text = r#"
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers: [{name: web, image: nginx:1.27, envFrom: [{configMapRef: {name: cfg}}]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop}
data: {MODE: prod}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: eci-profile, namespace: kube-system}
data: {vSwitchIds: vsw-p1, securityGroupId: sg-p1}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {eci: "true"}}
---
apiVersion: eci-bridge/v1alpha1
kind: ClusterSettings
settings: {regionId: cn-beijing, clusterId: c-1}
"#;
        let docs = parse_documents(text, Input::Pod).unwrap();
        let bundle = Bundle::from_documents(&docs).unwrap();
        assert!(bundle.diagnostics.is_empty(), "{:?}", bundle.diagnostics);
        assert_eq!(bundle.namespace_labels.get("eci").map(String::as_str), Some("true"));
        assert_eq!(bundle.cluster.as_ref().map(|c| c.region_id.as_str()), Some("cn-beijing"));
        let t = bundle.translate(&ClusterSettings::example());
        assert_eq!(t.request.v_switch_id.as_deref(), Some("vsw-p1"));
        assert_eq!(t.request.region_id.as_deref(), Some("cn-beijing"));
        let env = &t.request.container[0].environment_var[0];
        assert_eq!(env.value.as_ref().map(|v| v.expose()), Some("prod"));
    }
}
