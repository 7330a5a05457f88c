//! The way back: an ECI instance → the Pod's `status`, and its events →
//! Kubernetes Events.
//!
//! [`pod_status`] maps one `DescribeContainerGroups` item onto the pod it
//! runs, with the time as an input:
//! - **phase** by the official table ([`tables::PHASES`]); `Expired` is
//!   `Failed` with reason `BidFailed`, `ScheduleFailed` is `Failed` with
//!   reason `ContainerInstanceScheduleFailed`;
//! - **conditions** `PodScheduled`, `Initialized`, `ContainersReady`, `Ready`
//!   (Ready follows the containers' readiness and the pod's readiness gates,
//!   not merely "running"), plus ECI's `ContainerInstanceCreated`,
//!   `SandboxReady` and `ContainerInstanceExpired` with the documented
//!   reasons. A condition whose status did not change keeps its
//!   `lastTransitionTime`; a new one gets `now`. Conditions owned by others
//!   (readiness gates) are kept;
//! - **container statuses** matched by name, never by index; a container the
//!   instance lacks is reported and shown as waiting, so there is always one
//!   status per container of the pod;
//! - **addresses**: `podIP`/`podIPs` from `IntranetIp` and `Ipv6Address`;
//!   `hostIP` is the pod IP (an instance is its own host, as captured ACK pods
//!   show), except for IDC clusters, where it is the virtual kubelet's own
//!   address when known.
//!
//! [`pod_status_gone`] is the status once the instance no longer exists, as
//! the virtual-kubelet core writes it (`Failed`, reason `NotFound`, every
//! container terminated with exit code 137).

pub mod case;
pub mod events;
pub mod tables;

use k8s_openapi::api::core::v1::{
    ContainerState as K8sState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodSpec, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::cluster::{ClusterSettings, ClusterType};
use crate::diagnostics::{Code, Diagnostic, Input, Severity};
use crate::eci::describe::{ContainerGroup, ContainerState, GroupContainer};
use crate::quantity::Quantity;
pub use events::pod_events;
use tables::{event_row, phase_row};

/// The status and what was noticed while building it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StatusResult {
    /// The pod's new status.
    pub status: PodStatus,
    /// Problems with the instance data.
    pub diagnostics: Vec<Diagnostic>,
}

fn diag(severity: Severity, code: Code, pointer: impl Into<String>, message: impl Into<String>) -> Diagnostic {
    Diagnostic::pod(severity, code, pointer, message).on(Input::Instance)
}

/// Parses an RFC 3339 time from the instance; bad ones are reported.
/// `pointer` is only built when the time is bad.
fn time(text: Option<&str>, pointer: impl FnOnce() -> String, diags: &mut Vec<Diagnostic>) -> Option<Time> {
    let text = text.filter(|t| !t.is_empty())?;
    match text.parse::<Timestamp>() {
        Ok(t) => Some(Time(t)),
        Err(_) => {
            diags.push(diag(
                Severity::Warning,
                Code::InvalidValue,
                pointer(),
                format!("`{text}` is not an RFC 3339 time; ignored"),
            ));
            None
        }
    }
}

/// `eci://` + hex(SHA-256(upper(`<instance>/containers/<name>`))), the
/// container ID scheme of the open-source ECI provider: stable and unique
/// per instance and container, though not a runtime ID.
pub fn container_id(group_id: &str, name: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(format!("{group_id}/containers/{name}").to_uppercase().as_bytes());
    let mut id = String::with_capacity(6 + 2 * digest.len());
    id.push_str("eci://");
    for b in digest {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    id
}

/// Kubernetes' QoS class of a pod.
pub fn qos_class(pod: &Pod) -> &'static str {
    let Some(spec) = &pod.spec else { return "BestEffort" };
    let containers = spec.containers.iter().chain(spec.init_containers.iter().flatten());
    let mut any = false;
    let mut guaranteed = true;
    for c in containers {
        let res = c.resources.as_ref();
        let limits = res.and_then(|r| r.limits.as_ref());
        let requests = res.and_then(|r| r.requests.as_ref());
        for resource in ["cpu", "memory"] {
            let limit = limits
                .and_then(|l| l.get(resource))
                .and_then(|q| Quantity::parse(&q.0).ok())
                .and_then(|q| q.millis_ceil());
            // A request defaults to the limit when only the limit is set.
            let request = requests
                .and_then(|r| r.get(resource))
                .and_then(|q| Quantity::parse(&q.0).ok())
                .and_then(|q| q.millis_ceil())
                .or(limit);
            if limit.is_some_and(|l| l > 0) || request.is_some_and(|r| r > 0) {
                any = true;
            }
            if limit.is_none() || limit != request {
                guaranteed = false;
            }
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

fn condition(
    existing: &[PodCondition],
    kind: &str,
    status: bool,
    reason: Option<String>,
    message: Option<String>,
    now: Timestamp,
) -> PodCondition {
    let status_text = if status { "True" } else { "False" };
    let kept = existing
        .iter()
        .find(|c| c.type_ == kind && c.status == status_text)
        .and_then(|c| c.last_transition_time.clone());
    PodCondition {
        type_: kind.into(),
        status: status_text.into(),
        reason,
        message,
        last_transition_time: Some(kept.unwrap_or(Time(now))),
        ..Default::default()
    }
}

fn k8s_state(
    state: &ContainerState,
    group_id: &str,
    name: &str,
    pointer: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<K8sState> {
    let start = time(state.start_time.as_deref(), || format!("{pointer}/StartTime"), diags);
    let finish = time(state.finish_time.as_deref(), || format!("{pointer}/FinishTime"), diags);
    let reason = state
        .reason
        .clone()
        .filter(|r| !r.is_empty())
        .or_else(|| state.detail_status.clone().filter(|r| !r.is_empty()));
    match state.state.as_deref() {
        Some("Running") => {
            Some(K8sState { running: Some(ContainerStateRunning { started_at: start }), ..Default::default() })
        }
        Some("Terminated") => {
            let exit_code = state.exit_code.unwrap_or(0);
            let reason = reason.or_else(|| Some(if exit_code == 0 { "Completed".into() } else { "Error".into() }));
            Some(K8sState {
                terminated: Some(ContainerStateTerminated {
                    exit_code: i32::try_from(exit_code.clamp(i32::MIN.into(), i32::MAX.into())).unwrap_or(i32::MAX),
                    signal: state.signal.and_then(|s| i32::try_from(s).ok()),
                    reason,
                    message: state.message.clone().filter(|m| !m.is_empty()),
                    started_at: start,
                    finished_at: finish,
                    container_id: Some(container_id(group_id, name)),
                }),
                ..Default::default()
            })
        }
        Some("Waiting") => Some(K8sState {
            waiting: Some(ContainerStateWaiting {
                reason: reason.or_else(|| Some("ContainerCreating".into())),
                message: state.message.clone().filter(|m| !m.is_empty()),
            }),
            ..Default::default()
        }),
        None | Some("") => None,
        Some(other) => {
            diags.push(diag(
                Severity::Warning,
                Code::InvalidValue,
                format!("{pointer}/State"),
                format!("unknown container state `{other}`; shown as waiting"),
            ));
            Some(K8sState {
                waiting: Some(ContainerStateWaiting { reason: Some(other.into()), message: None }),
                ..Default::default()
            })
        }
    }
}

/// Finds the instance's container for a pod container by name.
fn find<'a>(
    lists: &[(&'a [GroupContainer], &'static str)],
    name: &str,
) -> Option<(usize, &'a GroupContainer, &'static str)> {
    lists.iter().find_map(|(list, field)| {
        list.iter().enumerate().find(|(_, c)| c.name.as_deref() == Some(name)).map(|(i, c)| (i, c, *field))
    })
}

struct Containers<'a> {
    group: &'a ContainerGroup,
    group_id: String,
    creating: bool,
}

impl Containers<'_> {
    fn status(
        &self,
        spec: &k8s_openapi::api::core::v1::Container,
        init: bool,
        diags: &mut Vec<Diagnostic>,
    ) -> ContainerStatus {
        let lists: Vec<(&[GroupContainer], &'static str)> = if init {
            vec![(&self.group.init_containers, "InitContainers"), (&self.group.containers, "Containers")]
        } else {
            vec![(&self.group.containers, "Containers")]
        };
        let image = spec.image.clone().unwrap_or_default();
        let Some((i, found, field)) = find(&lists, &spec.name) else {
            if !self.creating {
                diags.push(diag(
                    Severity::Warning,
                    Code::MissingField,
                    format!("/{}", if init { "InitContainers" } else { "Containers" }),
                    format!("the instance has no container named `{}`; it is shown as waiting", spec.name),
                ));
            }
            let reason = if self.creating { "ContainerCreating" } else { "ContainerNotFound" };
            return ContainerStatus {
                name: spec.name.clone(),
                image,
                image_id: String::new(),
                ready: false,
                restart_count: 0,
                started: Some(false),
                state: Some(K8sState {
                    waiting: Some(ContainerStateWaiting { reason: Some(reason.into()), message: None }),
                    ..Default::default()
                }),
                ..Default::default()
            };
        };
        let base = format!("/{field}/{i}");
        let state = found
            .current_state
            .as_ref()
            .and_then(|s| k8s_state(s, &self.group_id, &spec.name, &format!("{base}/CurrentState"), diags))
            .unwrap_or_else(|| K8sState {
                waiting: Some(ContainerStateWaiting { reason: Some("ContainerCreating".into()), message: None }),
                ..Default::default()
            });
        let last_state = found
            .previous_state
            .as_ref()
            .and_then(|s| k8s_state(s, &self.group_id, &spec.name, &format!("{base}/PreviousState"), diags));
        let running = state.running.is_some();
        let started = state.running.is_some() || state.terminated.is_some();
        ContainerStatus {
            name: spec.name.clone(),
            image: found.image.clone().filter(|i| !i.is_empty()).unwrap_or(image),
            image_id: String::new(),
            container_id: started.then(|| container_id(&self.group_id, &spec.name)),
            ready: running && found.ready.unwrap_or(false),
            restart_count: found
                .restart_count
                .map_or(0, |r| i32::try_from(r.clamp(0, i32::MAX.into())).unwrap_or(i32::MAX)),
            started: Some(running),
            state: Some(state),
            last_state,
            ..Default::default()
        }
    }
}

/// Maps a `DescribeContainerGroups` item onto the pod it runs.
pub fn pod_status(group: &ContainerGroup, pod: &Pod, now: Timestamp, cluster: &ClusterSettings) -> StatusResult {
    let mut diags = Vec::new();
    let eci_status = group.status.clone().unwrap_or_default();
    let row = phase_row(&eci_status);
    if row.is_none() {
        diags.push(diag(
            Severity::Warning,
            Code::InvalidValue,
            "/Status",
            format!("unknown ECI status `{eci_status}`; the phase is Unknown"),
        ));
    }
    let phase = row.map_or("Unknown", |r| r.phase);
    let group_id = group.container_group_id.clone().unwrap_or_default();
    let existing: &[PodCondition] = pod.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or_default();
    let no_spec = PodSpec::default();
    let spec = pod.spec.as_ref().unwrap_or(&no_spec);
    let creating = matches!(eci_status.as_str(), "Scheduling" | "ScheduleFailed");

    let c = Containers { group, group_id: group_id.clone(), creating };
    let init_statuses: Vec<ContainerStatus> =
        spec.init_containers.iter().flatten().map(|s| c.status(s, true, &mut diags)).collect();
    let statuses: Vec<ContainerStatus> = spec.containers.iter().map(|s| c.status(s, false, &mut diags)).collect();
    let known: Vec<&str> =
        spec.containers.iter().chain(spec.init_containers.iter().flatten()).map(|c| c.name.as_str()).collect();
    for (field, list) in [("Containers", &group.containers), ("InitContainers", &group.init_containers)] {
        for (i, gc) in list.iter().enumerate() {
            if !gc.name.as_deref().is_some_and(|n| known.contains(&n)) {
                diags.push(diag(
                    Severity::Info,
                    Code::Dropped,
                    format!("/{field}/{i}/Name"),
                    format!(
                        "the instance runs `{}`, which the pod does not declare; ignored",
                        gc.name.clone().unwrap_or_default()
                    ),
                ));
            }
        }
    }

    // The latest event that explains a creation failure, if any.
    let failure_event = group
        .events
        .iter()
        .filter(|e| e.reason.as_deref().and_then(event_row).is_some_and(|r| r.creation_condition))
        .max_by_key(|e| e.last_timestamp.clone().unwrap_or_default());
    let spot_event = group
        .events
        .iter()
        .rfind(|e| e.reason.as_deref().map(|r| r.trim_start_matches("ContainerGroup.")) == Some("SpotToBeReleased"));

    let mut conditions = vec![condition(existing, "PodScheduled", true, None, None, now)];
    match eci_status.as_str() {
        "Scheduling" | "ScheduleFailed" => {
            let (reason, message) = match failure_event {
                Some(e) => (
                    e.reason.clone().unwrap_or_default().trim_start_matches("ContainerGroup.").to_string(),
                    e.message.clone(),
                ),
                None => ("Creating".to_string(), Some("Creating".to_string())),
            };
            conditions.push(condition(existing, "ContainerInstanceCreated", false, Some(reason), message, now));
        }
        _ => {
            conditions.push(condition(existing, "ContainerInstanceCreated", true, None, None, now));
            let rebooting = eci_status == "Restarting";
            let reason = rebooting.then(|| {
                if group.events.iter().any(|e| e.reason.as_deref() == Some("SystemFailureReboot")) {
                    "SystemFailure.Reboot".to_string()
                } else {
                    "InstanceFailure.Reboot".to_string()
                }
            });
            conditions.push(condition(existing, "SandboxReady", !rebooting, reason, None, now));
        }
    }
    let incomplete: Vec<&str> = init_statuses
        .iter()
        .filter(|s| s.state.as_ref().and_then(|st| st.terminated.as_ref()).is_none_or(|t| t.exit_code != 0))
        .map(|s| s.name.as_str())
        .collect();
    conditions.push(if incomplete.is_empty() {
        condition(existing, "Initialized", true, None, None, now)
    } else {
        condition(
            existing,
            "Initialized",
            false,
            Some("ContainersNotInitialized".into()),
            Some(format!("containers with incomplete status: [{}]", incomplete.join(" "))),
            now,
        )
    });
    let unready: Vec<&str> = statuses.iter().filter(|s| !s.ready).map(|s| s.name.as_str()).collect();
    let containers_ready = if phase == "Succeeded" {
        condition(existing, "ContainersReady", false, Some("PodCompleted".into()), None, now)
    } else if unready.is_empty() {
        condition(existing, "ContainersReady", true, None, None, now)
    } else {
        condition(
            existing,
            "ContainersReady",
            false,
            Some("ContainersNotReady".into()),
            Some(format!("containers with unready status: [{}]", unready.join(" "))),
            now,
        )
    };
    // Ready also needs every readiness gate (conditions other controllers set).
    let gates: Vec<String> = spec.readiness_gates.iter().flatten().map(|g| g.condition_type.clone()).collect();
    let failing_gate = gates.iter().find(|g| !existing.iter().any(|c| &c.type_ == *g && c.status == "True"));
    let ready = match (containers_ready.status.as_str(), failing_gate) {
        ("True", None) => condition(existing, "Ready", true, None, None, now),
        ("True", Some(g)) => condition(
            existing,
            "Ready",
            false,
            Some("ReadinessGatesNotReady".into()),
            Some(format!("corresponding condition of pod readiness gate \"{g}\" does not exist or is not True")),
            now,
        ),
        _ => {
            condition(existing, "Ready", false, containers_ready.reason.clone(), containers_ready.message.clone(), now)
        }
    };
    conditions.push(containers_ready);
    conditions.push(ready);
    let expired_at = group.expired_time.clone().unwrap_or_else(|| now.to_string());
    if eci_status == "Expired" {
        conditions.push(condition(
            existing,
            "ContainerInstanceExpired",
            true,
            Some("SpotToBeReleased".into()),
            Some(format!("The pod is spot instance, and have been released at {expired_at}")),
            now,
        ));
    } else if let Some(e) = spot_event {
        conditions.push(condition(
            existing,
            "ContainerInstanceExpired",
            true,
            Some("SpotToBeReleased".into()),
            e.message.clone(),
            now,
        ));
    }
    // Conditions owned by others (readiness gates, …) are kept as they are.
    for c in existing {
        if !conditions.iter().any(|n| n.type_ == c.type_) {
            conditions.push(c.clone());
        }
    }

    let (reason, message) = match eci_status.as_str() {
        "Expired" => (
            Some("BidFailed".to_string()),
            Some(format!("The pod is spot instance, and have been released at {expired_at}")),
        ),
        "ScheduleFailed" => (
            Some("ContainerInstanceScheduleFailed".to_string()),
            failure_event.and_then(|e| e.message.clone()).or(Some("the ECI instance could not be created".into())),
        ),
        _ => (None, None),
    };

    let pod_ip = group.intranet_ip.clone().filter(|ip| !ip.is_empty());
    let mut pod_ips: Vec<PodIP> = pod_ip.iter().map(|ip| PodIP { ip: ip.clone() }).collect();
    if let Some(v6) = group.ipv6_address.clone().filter(|ip| !ip.is_empty()) {
        pod_ips.push(PodIP { ip: v6 });
    }
    let host_ip = match cluster.cluster_type {
        ClusterType::Idc => cluster.vk_pod_ip.clone().or(pod_ip.clone()),
        _ => pod_ip.clone(),
    };
    let start_time = pod
        .status
        .as_ref()
        .and_then(|s| s.start_time.clone())
        .or_else(|| time(group.creation_time.as_deref(), || "/CreationTime".into(), &mut diags));

    let status = PodStatus {
        phase: Some(phase.into()),
        reason,
        message,
        conditions: Some(conditions),
        container_statuses: Some(statuses),
        init_container_statuses: (!init_statuses.is_empty()).then_some(init_statuses),
        host_ip: host_ip.clone(),
        host_ips: host_ip.map(|ip| vec![HostIP { ip }]),
        pod_ip,
        pod_ips: (!pod_ips.is_empty()).then_some(pod_ips),
        start_time,
        qos_class: Some(qos_class(pod).into()),
        ..Default::default()
    };
    StatusResult { status, diagnostics: diags }
}

/// The status once the instance is gone, as the virtual-kubelet core writes
/// it: `Failed` with reason `NotFound`, every container terminated with exit
/// code 137.
pub fn pod_status_gone(pod: &Pod, now: Timestamp) -> StatusResult {
    let no_spec = PodSpec::default();
    let spec = pod.spec.as_ref().unwrap_or(&no_spec);
    let previous = pod.status.clone().unwrap_or_default();
    let terminated = |name: &str, image: &str, prior: Option<&Vec<ContainerStatus>>| {
        let prior = prior.and_then(|list| list.iter().find(|s| s.name == name));
        let started =
            prior.and_then(|s| s.state.as_ref()).and_then(|st| st.running.as_ref()).and_then(|r| r.started_at.clone());
        ContainerStatus {
            name: name.into(),
            image: image.into(),
            image_id: prior.map(|p| p.image_id.clone()).unwrap_or_default(),
            container_id: prior.and_then(|p| p.container_id.clone()),
            ready: false,
            restart_count: prior.map_or(0, |p| p.restart_count),
            started: Some(false),
            state: Some(K8sState {
                terminated: Some(ContainerStateTerminated {
                    exit_code: 137,
                    reason: Some("NotFound".into()),
                    message: Some("Container was not found and was likely deleted".into()),
                    started_at: started,
                    finished_at: Some(Time(now)),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            last_state: prior.and_then(|p| p.state.clone()),
            ..Default::default()
        }
    };
    let statuses: Vec<ContainerStatus> = spec
        .containers
        .iter()
        .map(|c| terminated(&c.name, c.image.as_deref().unwrap_or_default(), previous.container_statuses.as_ref()))
        .collect();
    // Init containers that finished keep their status; any other is gone too.
    let init_statuses: Vec<ContainerStatus> = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| {
            let prior = previous.init_container_statuses.iter().flatten().find(|s| s.name == c.name);
            let done = prior.and_then(|s| s.state.as_ref()).is_some_and(|st| st.terminated.is_some());
            match prior {
                Some(status) if done => status.clone(),
                _ => terminated(
                    &c.name,
                    c.image.as_deref().unwrap_or_default(),
                    previous.init_container_statuses.as_ref(),
                ),
            }
        })
        .collect();
    let mut conditions: Vec<PodCondition> = previous.conditions.clone().unwrap_or_default();
    for kind in ["Ready", "ContainersReady"] {
        let updated = condition(&conditions, kind, false, Some("PodFailed".into()), None, now);
        match conditions.iter_mut().find(|c| c.type_ == kind) {
            Some(c) => *c = updated,
            None => conditions.push(updated),
        }
    }
    StatusResult {
        status: PodStatus {
            phase: Some("Failed".into()),
            reason: Some("NotFound".into()),
            message: Some("The pod status was not found and may have been deleted from the provider".into()),
            conditions: Some(conditions),
            container_statuses: Some(statuses),
            init_container_statuses: (!init_statuses.is_empty()).then_some(init_statuses),
            qos_class: Some(qos_class(pod).into()),
            ..previous
        },
        diagnostics: vec![diag(
            Severity::Info,
            Code::MissingObject,
            "",
            "the instance no longer exists; the pod is failed with reason NotFound (as the virtual-kubelet core does)",
        )],
    }
}

/// The phase of an ECI status by the official table (`Unknown` when the
/// status is not in it).
pub fn phase_of(eci_status: &str) -> &'static str {
    phase_row(eci_status).map_or("Unknown", |r| r.phase)
}

/// Merges a status into the pod (for validation and display).
pub fn pod_with_status(pod: &Pod, status: &PodStatus) -> Pod {
    let mut p = pod.clone();
    p.status = Some(status.clone());
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eci::describe::GroupEvent;

    fn pod() -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u1"},
            "spec": {"containers": [{"name": "a", "image": "nginx", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}
        }))
        .unwrap()
    }

    fn group(status: &str) -> ContainerGroup {
        serde_json::from_value(serde_json::json!({
            "ContainerGroupId": "eci-1", "Status": status, "IntranetIp": "10.0.0.5", "CreationTime": "2026-11-23T09:00:00Z",
            "Containers": [{"Name": "a", "Image": "nginx", "Ready": true, "RestartCount": 0,
                            "CurrentState": {"State": "Running", "StartTime": "2026-11-23T09:00:10Z"}}]
        }))
        .unwrap()
    }

    #[test]
    fn every_status_has_its_documented_phase() {
        let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        for row in tables::PHASES {
            let r = pod_status(&group(row.status), &pod(), now, &ClusterSettings::example());
            assert_eq!(r.status.phase.as_deref(), Some(row.phase), "{}", row.status);
        }
        let expired = pod_status(&group("Expired"), &pod(), now, &ClusterSettings::example());
        assert_eq!(expired.status.reason.as_deref(), Some("BidFailed"));
        assert_eq!(qos_class(&pod()), "Guaranteed");
    }

    #[test]
    fn schedule_failed_takes_the_reason_of_its_event() {
        let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let mut g = group("ScheduleFailed");
        g.events.push(GroupEvent {
            reason: Some("NoStock".into()),
            message: Some("Create ECI failed because the specified instance is out of stock.".into()),
            r#type: Some("Warning".into()),
            ..Default::default()
        });
        let r = pod_status(&g, &pod(), now, &ClusterSettings::example());
        let created = r.status.conditions.unwrap().into_iter().find(|c| c.type_ == "ContainerInstanceCreated").unwrap();
        assert_eq!((created.status.as_str(), created.reason.as_deref()), ("False", Some("NoStock")));
        assert_eq!(r.status.reason.as_deref(), Some("ContainerInstanceScheduleFailed"));
    }
}
