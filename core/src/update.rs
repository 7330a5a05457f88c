//! Later changes: (old pod, new pod) → `UpdateContainerGroup`, and a pod
//! deletion → `DeleteContainerGroup`.
//!
//! Both pods are translated, and the two `CreateContainerGroup` requests are
//! compared field by field. What `UpdateContainerGroup` can carry
//! (docs/eci-api.md#updatecontainergroup: containers, init containers, volumes,
//! registry credentials, instance vCPU/memory) is sent as an
//! `IncrementalUpdate` holding the whole new list for each changed list (a
//! list is always sent complete, so either reading of "incremental" gives
//! the same result). Everything else cannot change on a running instance:
//! a field that came from an annotation or the eci-profile only takes effect
//! for new pods (annotations are read at creation), any other change is an
//! error naming the field and saying to re-create the pod.
//!
//! `activeDeadlineSeconds` has no update parameter; the provider enforces a
//! new deadline itself (a provider action, not a request). In hybrid mode
//! (`enableHybridMode`, or an IDC cluster) the documented unsupported updates
//! — annotations, labels, `activeDeadlineSeconds`, ConfigMap/Secret content —
//! are diagnostics and are not applied (docs/virtual-node.md#hybrid-mode).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use serde::Serialize;
use serde_json::Value;

use crate::cluster::{ClusterSettings, ClusterType};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::eci::Container;
use crate::eci::request::{AcrRegistryInfo, Volume};
use crate::eci::update::{DeleteContainerGroupRequest, UpdateContainerGroupRequest};
use crate::translate::{TranslateInput, Translation, translate};

/// The annotation the provider writes with the instance ID (docs/annotations.md#written-by-the-system).
pub const INSTANCE_ID_ANNOTATION: &str = "k8s.aliyun.com/eci-instance-id";

/// How a change reaches the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Carried {
    /// In the `UpdateContainerGroup` request.
    Update,
    /// By the provider itself (no API parameter), e.g. a new deadline.
    Provider,
    /// Read at creation (annotation, eci-profile): only new pods see it.
    NewPodsOnly,
    /// Kubernetes metadata the instance does not hold (labels, annotations).
    KubernetesOnly,
    /// Cannot be applied; a diagnostic says why.
    NotApplied,
}

impl std::fmt::Display for Carried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Carried::Update => "update",
            Carried::Provider => "provider",
            Carried::NewPodsOnly => "new-pods-only",
            Carried::KubernetesOnly => "kubernetes-only",
            Carried::NotApplied => "not-applied",
        })
    }
}

/// One detected change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// What changed (a wire parameter or a pod field).
    pub field: String,
    /// How it is carried.
    pub applied: Carried,
}

/// What an update needs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UpdatePlan {
    /// The request to send, when something can be updated.
    pub request: Option<UpdateContainerGroupRequest>,
    /// What changed and how each change is carried.
    pub changes: Vec<Change>,
    /// Things the provider does itself.
    pub provider_actions: Vec<String>,
    /// Problems.
    pub diagnostics: Vec<Diagnostic>,
}

impl UpdatePlan {
    /// True when a change cannot be applied.
    pub fn is_rejected(&self) -> bool {
        crate::diagnostics::has_errors(&self.diagnostics)
    }
}

/// ECI instance IDs (`eci-2ze…`): ASCII letters, digits and `-`. Anything
/// else (a newline, a space, `&`) would corrupt the request's parameters.
fn is_instance_id(id: &str) -> bool {
    id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The instance ID of a pod: the given one, else the provider's annotation.
fn instance_id(pod: &Pod, given: Option<&str>, diags: &mut Vec<Diagnostic>) -> Option<String> {
    let from_annotation = pod.metadata.annotations.as_ref().and_then(|a| a.get(INSTANCE_ID_ANNOTATION)).cloned();
    let id = given.map(String::from).or(from_annotation).filter(|s| !s.is_empty());
    if let Some(bad) = id.as_deref().filter(|id| !is_instance_id(id)) {
        diags.push(
            Diagnostic::pod(
                Severity::Error,
                Code::InvalidValue,
                crate::annotations::pointer(INSTANCE_ID_ANNOTATION),
                format!("`{bad}` is not an ECI instance ID"),
            )
            .help("an instance ID is letters, digits and `-`, at most 64 characters (e.g. eci-2ze0bkk2xgbwbx9xxxxx)"),
        );
        return None;
    }
    if id.is_none() {
        diags.push(
            Diagnostic::pod(
                Severity::Error,
                Code::MissingField,
                crate::annotations::pointer(INSTANCE_ID_ANNOTATION),
                "the pod does not name its ECI instance (annotation k8s.aliyun.com/eci-instance-id)",
            )
            .help("give the instance ID (eci-…), or find the instance by its PodName/NameSpace tags"),
        );
    }
    id
}

/// The update's ClientToken, from identities only: the pod's UID and the
/// version of the new pod (`resourceVersion`, else `generation`), so a
/// retried update is recognised and a new one is not. Never derived from
/// the request: that would print a hash of Secret values in redacted output,
/// letting anyone confirm a guessed secret offline.
fn update_token(new: &Pod) -> Option<String> {
    let uid = new.metadata.uid.as_deref().filter(|u| !u.is_empty())?;
    let version = new
        .metadata
        .resource_version
        .clone()
        .filter(|v| !v.is_empty())
        .or_else(|| new.metadata.generation.map(|g| format!("g{g}")))?;
    Some(crate::translate::client_token(&format!("update-{uid}-{version}")))
}

fn is_hybrid(cluster: &ClusterSettings, input: &TranslateInput<'_>) -> bool {
    cluster.cluster_type == ClusterType::Idc || input.profile.is_some_and(|p| p.enable_hybrid_mode)
}

/// Fields `UpdateContainerGroup` can carry.
const UPDATABLE: &[&str] =
    &["Container", "InitContainer", "Volume", "ImageRegistryCredential", "Cpu", "Memory", "AcrRegistryInfo"];

/// True when a translation explains `field` from an annotation or the profile
/// (those are read at creation only).
fn from_creation_settings(t: &Translation, field: &str) -> bool {
    t.explanations.iter().filter(|e| e.field == field || e.field.starts_with(&format!("{field}."))).any(|e| {
        e.inputs
            .iter()
            .any(|i| i.pointer.starts_with("/metadata/annotations") || i.input == crate::diagnostics::Input::Profile)
    })
}

/// The pod path a request field came from (the first input of its
/// explanation), so a diagnostic points at what the user changed.
fn source_pointer(t: &Translation, field: &str, fallback: &str) -> String {
    t.explanations
        .iter()
        .filter(|e| e.field == field || e.field.starts_with(&format!("{field}.")))
        .flat_map(|e| e.inputs.iter())
        .find(|i| !i.pointer.is_empty())
        .map_or_else(|| fallback.to_string(), |i| i.pointer.clone())
}

fn map_of(pod: &Pod, labels: bool) -> BTreeMap<String, String> {
    let m = if labels { &pod.metadata.labels } else { &pod.metadata.annotations };
    m.clone().unwrap_or_default()
}

/// Plans the update from `old` to `new`.
pub fn plan_update(old: &TranslateInput<'_>, new: &TranslateInput<'_>, container_group_id: Option<&str>) -> UpdatePlan {
    let mut diags = Vec::new();
    let mut changes = Vec::new();
    let mut actions = Vec::new();
    let uids = (old.pod.metadata.uid.as_deref(), new.pod.metadata.uid.as_deref());
    if let (Some(a), Some(b)) = uids
        && !a.is_empty()
        && !b.is_empty()
        && a != b
    {
        // An update changes one instance; two UIDs are two pods (a re-created pod gets a new instance).
        diags.push(
            Diagnostic::pod(
                Severity::Error,
                Code::Conflict,
                "/metadata/uid",
                format!("the old and the new pod are different pods (UID {a} and {b})"),
            )
            .help("give two versions of the same pod; a pod re-created under the same name gets a new instance"),
        );
        return UpdatePlan { request: None, changes, provider_actions: actions, diagnostics: diags };
    }
    let hybrid = is_hybrid(new.cluster, new);
    let hybrid_note = |what: &str| {
        Diagnostic::pod(
            Severity::Warning,
            Code::Unsupported,
            "",
            format!("{what} cannot be updated in hybrid mode (enableHybridMode / IDC clusters); it is not applied"),
        )
        .help("re-create the pod to apply the change")
    };

    // Pod-level fields without an update parameter.
    let (old_spec, new_spec) = (old.pod.spec.clone().unwrap_or_default(), new.pod.spec.clone().unwrap_or_default());
    if old_spec.active_deadline_seconds != new_spec.active_deadline_seconds {
        if hybrid {
            diags.push(Diagnostic {
                pointer: "/spec/activeDeadlineSeconds".into(),
                ..hybrid_note("activeDeadlineSeconds")
            });
            changes.push(Change { field: "spec.activeDeadlineSeconds".into(), applied: Carried::NotApplied });
        } else {
            let text = new_spec.active_deadline_seconds.map_or("no deadline".to_string(), |s| format!("{s} s"));
            actions.push(format!(
                "enforce activeDeadlineSeconds ({text}): the provider ends the instance when the deadline passes (UpdateContainerGroup has no such parameter)"
            ));
            changes.push(Change { field: "spec.activeDeadlineSeconds".into(), applied: Carried::Provider });
        }
    }
    for (labels, name) in [(true, "labels"), (false, "annotations")] {
        let (a, b) = (map_of(old.pod, labels), map_of(new.pod, labels));
        if a == b {
            continue;
        }
        if hybrid {
            diags.push(Diagnostic { pointer: format!("/metadata/{name}"), ..hybrid_note(name) });
            changes.push(Change { field: format!("metadata.{name}"), applied: Carried::NotApplied });
            continue;
        }
        let eci_keys: Vec<&String> =
            b.keys().chain(a.keys()).filter(|k| k.starts_with("k8s.aliyun.com/") && a.get(*k) != b.get(*k)).collect();
        if !labels && !eci_keys.is_empty() {
            diags.push(Diagnostic::pod(
                Severity::Info,
                Code::Dropped,
                "/metadata/annotations",
                format!(
                    "ECI annotations are read only at creation; changing {} has no effect on the running instance",
                    eci_keys[0]
                ),
            ));
        }
        let applied = if eci_keys.is_empty() || labels { Carried::KubernetesOnly } else { Carried::NewPodsOnly };
        changes.push(Change { field: format!("metadata.{name}"), applied });
    }

    let (t_old, t_new) = (translate(old), translate(new));
    diags.extend(t_new.diagnostics.iter().filter(|d| d.is_error()).cloned());
    let (a, b) = (t_old.request.to_json(), t_new.request.to_json());
    let empty = serde_json::Map::new();
    let (a, b) = (a.as_object().unwrap_or(&empty), b.as_object().unwrap_or(&empty));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut request = UpdateContainerGroupRequest::default();
    let mut any_update = false;
    for key in keys {
        // Identity (token, tags) is fixed at creation; the deadline is handled above.
        if a.get(key) == b.get(key) || ["ClientToken", "Tag", "ActiveDeadlineSeconds"].contains(&key.as_str()) {
            continue;
        }
        if !UPDATABLE.contains(&key.as_str()) {
            if from_creation_settings(&t_new, key) || from_creation_settings(&t_old, key) {
                changes.push(Change { field: key.clone(), applied: Carried::NewPodsOnly });
                diags.push(Diagnostic::pod(
                    Severity::Info,
                    Code::Dropped,
                    source_pointer(&t_new, key, ""),
                    format!("{key} comes from annotations or the eci-profile, which are read at creation; the change applies to new pods only"),
                ));
            } else {
                changes.push(Change { field: key.clone(), applied: Carried::NotApplied });
                diags.push(
                    Diagnostic::pod(
                        Severity::Error,
                        Code::Unsupported,
                        source_pointer(&t_new, key, &source_pointer(&t_old, key, "/spec")),
                        format!(
                            "{key} changed ({} → {}); ECI cannot change it on a running instance",
                            short(a.get(key)),
                            short(b.get(key))
                        ),
                    )
                    .help("delete the pod and let its controller re-create it"),
                );
            }
            continue;
        }
        // Content of ConfigMaps/Secrets (volumes, env) cannot follow in hybrid mode.
        if hybrid && (key == "Volume" || env_values_differ(a.get(key), b.get(key))) {
            let pointer = if key == "Volume" { "/spec/volumes" } else { "/spec/containers" };
            diags.push(Diagnostic { pointer: pointer.into(), ..hybrid_note("ConfigMap/Secret content") });
            changes.push(Change { field: key.clone(), applied: Carried::NotApplied });
            continue;
        }
        match key.as_str() {
            "Container" => request.container = t_new.request.container.iter().map(Container::for_update).collect(),
            "InitContainer" => {
                request.init_container = t_new.request.init_container.iter().map(Container::for_update).collect()
            }
            "Volume" => {
                let converted: Vec<Option<Volume>> = t_new.request.volume.iter().map(Volume::for_update).collect();
                if converted.iter().any(Option::is_none) {
                    diags.push(
                        Diagnostic::pod(Severity::Error, Code::Unsupported, "/spec/volumes", "the volume list holds a disk volume, which UpdateContainerGroup cannot carry; the volumes cannot be updated")
                            .help("re-create the pod to change its volumes"),
                    );
                    changes.push(Change { field: key.clone(), applied: Carried::NotApplied });
                    continue;
                }
                if t_new.request.volume.iter().any(|v| {
                    v.config_file_volume.as_ref().is_some_and(|c| {
                        c.default_mode.is_some() || c.config_file_to_path.iter().any(|f| f.mode.is_some())
                    })
                }) {
                    diags.push(Diagnostic::pod(
                        Severity::Warning,
                        Code::Dropped,
                        "/spec/volumes",
                        "file modes are not part of UpdateContainerGroup; updated files keep ECI's default mode",
                    ));
                }
                request.volume = converted.into_iter().flatten().collect();
            }
            "ImageRegistryCredential" => {
                request.image_registry_credential = t_new.request.image_registry_credential.clone()
            }
            "Cpu" => request.cpu = t_new.request.cpu,
            "Memory" => request.memory = t_new.request.memory,
            "AcrRegistryInfo" => {
                request.acr_registry_info =
                    t_new.request.acr_registry_info.iter().map(AcrRegistryInfo::for_update).collect()
            }
            _ => {}
        }
        any_update = true;
        changes.push(Change { field: key.clone(), applied: Carried::Update });
    }

    let id = instance_id(new.pod, container_group_id, &mut diags);
    let request = any_update.then(|| {
        request.region_id = Some(new.cluster.region_id.clone());
        request.container_group_id = id;
        request.update_type = Some("IncrementalUpdate".into());
        request.client_token = update_token(new.pod);
        request
    });
    if request.as_ref().is_some_and(|r| r.client_token.is_none()) {
        diags.push(Diagnostic::pod(
            Severity::Info,
            Code::Defaulted,
            "/metadata/resourceVersion",
            "no ClientToken: it is made from the pod's UID and resourceVersion, and the new pod lacks one of them",
        ).help("pods read from the API server have both; a retried update without a token may be applied twice (harmless: the update is incremental)"));
    }
    UpdatePlan { request, changes, provider_actions: actions, diagnostics: diags }
}

fn short(v: Option<&Value>) -> String {
    let text = v.map_or("unset".to_string(), |v| v.to_string());
    if text.len() > 60 {
        format!("{}…", &text[..text.char_indices().nth(57).map_or(text.len(), |(i, _)| i)])
    } else {
        text
    }
}

fn env_values_differ(a: Option<&Value>, b: Option<&Value>) -> bool {
    let env = |v: Option<&Value>| -> Vec<Value> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| c.get("EnvironmentVar").cloned().unwrap_or(Value::Null))
            .collect()
    };
    env(a) != env(b)
}

/// `DeleteContainerGroup` for a pod. A deletion with grace period 0
/// (`kubectl delete --force --grace-period=0`) forces it; otherwise ECI waits
/// for the instance's graceful termination (its terminationGracePeriodSeconds,
/// set at creation; the API takes no other grace period).
pub fn delete_request(
    pod: &Pod,
    cluster: &ClusterSettings,
    container_group_id: Option<&str>,
) -> (DeleteContainerGroupRequest, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let id = instance_id(pod, container_group_id, &mut diags);
    let grace = pod.metadata.deletion_grace_period_seconds;
    // Kubernetes defaults terminationGracePeriodSeconds to 30 s.
    let spec_grace = pod.spec.as_ref().and_then(|s| s.termination_grace_period_seconds).or(Some(30));
    if let Some(g) = grace.filter(|g| *g > 0 && Some(*g) != spec_grace) {
        diags.push(Diagnostic::pod(
            Severity::Warning,
            Code::Dropped,
            "/metadata/deletionGracePeriodSeconds",
            format!("the deletion asks for a {g} s grace period; ECI applies the instance's own terminationGracePeriodSeconds ({}) set at creation", spec_grace.map_or("default".to_string(), |s| format!("{s} s"))),
        ).help("delete with --grace-period=0 --force to stop the instance at once"));
    }
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let request = DeleteContainerGroupRequest {
        client_token: (!uid.is_empty()).then(|| crate::translate::client_token(&format!("delete-{uid}"))),
        container_group_id: id,
        force: (grace == Some(0)).then_some(true),
        region_id: Some(cluster.region_id.clone()),
    };
    (request, diags)
}

/// An update case: documents in order — the old pod and the objects it
/// saw, then the new pod and the objects that changed (the new pod sees the
/// old objects with the changed ones replaced). Cluster settings and the
/// eci-profile may appear anywhere.
#[derive(Debug, Clone)]
pub struct UpdateCase {
    /// The pod before.
    pub old: Pod,
    /// The pod after.
    pub new: Pod,
    /// Objects seen by the old pod.
    pub old_objects: crate::objects::ObjectStore,
    /// Objects seen by the new pod.
    pub new_objects: crate::objects::ObjectStore,
    /// The eci-profile.
    pub profile: Option<crate::profile::EciProfile>,
    /// Cluster settings.
    pub cluster: Option<ClusterSettings>,
    /// Problems found while reading.
    pub diagnostics: Vec<Diagnostic>,
}

impl UpdateCase {
    /// Reads a case.
    pub fn from_documents(docs: &[Value]) -> Result<UpdateCase, Diagnostic> {
        let pods: Vec<usize> = docs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.get("kind").and_then(Value::as_str) == Some("Pod"))
            .map(|(i, _)| i)
            .collect();
        let [old_at, new_at] = pods[..] else {
            return Err(Diagnostic::pod(
                Severity::Error,
                Code::MissingField,
                "",
                format!("an update needs two pods (old, then new); found {}", pods.len()),
            ));
        };
        let (old, _) = crate::input::pod_from_document(&docs[old_at])?;
        let (new, _) = crate::input::pod_from_document(&docs[new_at])?;
        let mut case = UpdateCase {
            old,
            new,
            old_objects: Default::default(),
            new_objects: Default::default(),
            profile: None,
            cluster: None,
            diagnostics: Vec::new(),
        };
        let mut before = Vec::new();
        let mut after = Vec::new();
        for (i, doc) in docs.iter().enumerate() {
            if i == old_at || i == new_at {
                continue;
            }
            let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
            if crate::profile::is_profile_document(doc) {
                let (p, d) = crate::profile::parse_profile(doc);
                case.profile = Some(p);
                case.diagnostics.extend(d);
            } else if kind == crate::cluster::CLUSTER_SETTINGS_KIND {
                let (c, d) = crate::cluster::parse_cluster_document(doc);
                case.cluster = c;
                case.diagnostics.extend(d);
            } else if i < new_at {
                before.push(doc.clone());
            } else {
                after.push(doc.clone());
            }
        }
        let (old_objects, d) = crate::objects::ObjectStore::from_documents(&before);
        case.diagnostics.extend(d);
        let (changed, d) = crate::objects::ObjectStore::from_documents(&after);
        case.diagnostics.extend(d);
        let mut new_objects = old_objects.clone();
        new_objects.merge(changed);
        case.old_objects = old_objects;
        case.new_objects = new_objects;
        Ok(case)
    }

    /// Plans the update; `cluster` is used when the case has no settings.
    pub fn plan(&self, cluster: &ClusterSettings, container_group_id: Option<&str>) -> UpdatePlan {
        let cluster = self.cluster.as_ref().unwrap_or(cluster);
        let labels = BTreeMap::new();
        let old = TranslateInput {
            pod: &self.old,
            namespace_labels: &labels,
            cluster,
            profile: self.profile.as_ref(),
            objects: &self.old_objects,
            missing_objects: crate::translate::MissingObjects::Reject,
        };
        let new = TranslateInput {
            pod: &self.new,
            namespace_labels: &labels,
            cluster,
            profile: self.profile.as_ref(),
            objects: &self.new_objects,
            missing_objects: crate::translate::MissingObjects::Reject,
        };
        let mut plan = plan_update(&old, &new, container_group_id);
        let mut diagnostics = self.diagnostics.clone();
        diagnostics.append(&mut plan.diagnostics);
        plan.diagnostics = diagnostics;
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::ObjectStore;

    fn pod(image: &str, deadline: Option<i64>) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u", "annotations": {INSTANCE_ID_ANNOTATION: "eci-1"}},
            "spec": {"containers": [{"name": "a", "image": image}], "activeDeadlineSeconds": deadline}
        }))
        .unwrap()
    }

    #[test]
    fn an_image_change_is_an_update_and_a_deadline_a_provider_action() {
        let cluster = ClusterSettings::example();
        let labels = BTreeMap::new();
        let objects = ObjectStore::new();
        let (old, new) = (pod("nginx:1.26", None), pod("nginx:1.27", Some(600)));
        let input = |p| TranslateInput {
            pod: p,
            namespace_labels: &labels,
            cluster: &cluster,
            profile: None,
            objects: &objects,
            missing_objects: crate::translate::MissingObjects::Reject,
        };
        let plan = plan_update(&input(&old), &input(&new), None);
        assert!(!plan.is_rejected(), "{:?}", plan.diagnostics);
        let req = plan.request.unwrap();
        assert_eq!(req.container_group_id.as_deref(), Some("eci-1"));
        assert_eq!(req.container[0].image.as_deref(), Some("nginx:1.27"));
        assert_eq!(plan.provider_actions.len(), 1);
        let same = plan_update(&input(&old), &input(&old), None);
        assert!(same.request.is_none() && same.changes.is_empty());
    }

    #[test]
    fn force_deletion() {
        let mut p = pod("nginx", None);
        p.metadata.deletion_grace_period_seconds = Some(0);
        let (req, _) = delete_request(&p, &ClusterSettings::example(), None);
        assert_eq!(req.force, Some(true));
        assert_eq!(req.client_token.as_deref(), Some("delete-u"));
    }
}
