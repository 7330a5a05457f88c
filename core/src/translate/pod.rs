//! Pod-level checks and fields.
//!
//! Rejections follow ECI's "Limits" page and the 2021 handbook's "功能限制" table
//! (docs/limits.md#unsupported-features): hostNetwork, hostPID, hostIPC,
//! DaemonSet-owned pods, more than 20 containers or volumes.

use super::Ctx;
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::eci::CreateContainerGroupRequest;
use crate::explain::InputRef;

/// Documented instance limits (docs/eci-api.md#instance-limits).
pub const MAX_CONTAINERS: usize = 20;
/// See [`MAX_CONTAINERS`].
pub const MAX_VOLUMES: usize = 20;
/// ROS `MaxLength 10`.
pub const MAX_REGISTRY_CREDENTIALS: usize = 10;

/// What a namespace, hostname, subdomain or container name must be.
const DNS_LABEL: &str = "a DNS label (lowercase letters, digits and `-`, at most 63)";

/// The names that reach the request (`ContainerGroupName`, `HostName`,
/// `Container.N.Name`) are the ones the API server validates: the pod name a
/// DNS subdomain, the namespace, hostname, subdomain and container names DNS
/// labels, container names unique across init and app containers. A pod read
/// from a file has not been through the API server, and a NUL, a newline or
/// a right-to-left override there would otherwise reach ECI and every log.
fn check_names(ctx: &mut Ctx<'_>, spec: &'_ k8s_openapi::api::core::v1::PodSpec) {
    use crate::labels::{is_dns_label, is_dns_subdomain};
    let meta = &ctx.pod.metadata;
    let mut bad: Vec<(String, String, &str)> = Vec::new();
    if let Some(name) = meta.name.as_deref().filter(|n| !is_dns_subdomain(n)) {
        bad.push((
            "/metadata/name".into(),
            name.into(),
            "a DNS subdomain (lowercase letters, digits, `-` and `.`, at most 253)",
        ));
    }
    if let Some(ns) = meta.namespace.as_deref().filter(|n| !is_dns_label(n)) {
        bad.push(("/metadata/namespace".into(), ns.into(), DNS_LABEL));
    }
    for (field, value) in [("hostname", &spec.hostname), ("subdomain", &spec.subdomain)] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty() && !is_dns_label(v)) {
            bad.push((format!("/spec/{field}"), v.into(), DNS_LABEL));
        }
    }
    let mut seen: std::collections::BTreeMap<&str, String> = std::collections::BTreeMap::new();
    let lists =
        [("initContainers", spec.init_containers.as_deref().unwrap_or_default()), ("containers", &spec.containers[..])];
    let mut duplicates = Vec::new();
    for (list, containers) in lists {
        for (i, c) in containers.iter().enumerate() {
            let at = format!("/spec/{list}/{i}/name");
            if !is_dns_label(&c.name) {
                bad.push((at.clone(), c.name.clone(), DNS_LABEL));
            }
            match seen.get(c.name.as_str()) {
                Some(first) => duplicates.push((at, c.name.clone(), first.clone())),
                None => {
                    seen.insert(&c.name, at);
                }
            }
        }
    }
    for (pointer, value, what) in bad {
        ctx.push(
            Diagnostic::pod(Severity::Error, Code::InvalidValue, pointer, format!("`{value}` is not {what}"))
                .help("the API server refuses this name; ECI would receive it as written"),
        );
    }
    for (pointer, name, first) in duplicates {
        ctx.push(Diagnostic::pod(
            Severity::Error,
            Code::Conflict,
            pointer,
            format!("container name `{name}` is used twice (first at {first}); names are unique across init and app containers"),
        ));
    }
}

pub(super) fn check_pod(ctx: &mut Ctx<'_>) {
    let Some(spec) = ctx.spec() else {
        ctx.push(Diagnostic::pod(Severity::Error, Code::MissingField, "/spec", "the pod has no spec"));
        return;
    };
    if spec.containers.is_empty() {
        ctx.push(Diagnostic::pod(Severity::Error, Code::MissingField, "/spec/containers", "the pod has no containers"));
    }
    check_names(ctx, spec);
    let host = [
        (
            spec.host_network,
            "/spec/hostNetwork",
            Code::HostNetwork,
            "hostNetwork: an ECI instance has its own network namespace",
            "expose the pod through a Service of type LoadBalancer",
        ),
        (
            spec.host_pid,
            "/spec/hostPID",
            Code::HostPid,
            "hostPID: ECI does not share the host's process namespace",
            "remove hostPID; use shareProcessNamespace to see the pod's own processes",
        ),
        (
            spec.host_ipc,
            "/spec/hostIPC",
            Code::HostIpc,
            "hostIPC: ECI does not share the host's IPC namespace",
            "remove hostIPC",
        ),
    ];
    for (flag, pointer, code, message, help) in host {
        if flag == Some(true) {
            ctx.push(
                Diagnostic::pod(Severity::Error, code, pointer, format!("ECI does not support {message}")).help(help),
            );
        }
    }
    for (i, owner) in ctx.pod.metadata.owner_references.iter().flatten().enumerate() {
        if owner.kind == "DaemonSet" {
            ctx.push(
                Diagnostic::pod(
                    Severity::Error,
                    Code::DaemonSetPod,
                    format!("/metadata/ownerReferences/{i}"),
                    format!("the pod belongs to DaemonSet `{}`; DaemonSets cannot run on virtual nodes", owner.name),
                )
                .help("run the agent as a sidecar container instead"),
            );
        }
    }
    if spec.host_users == Some(false) {
        ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::Dropped,
            "/spec/hostUsers",
            "hostUsers: false (user namespaces) has no ECI equivalent; ignored",
        ));
    }
    if let Some(rc) = &spec.runtime_class_name {
        ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::Dropped,
            "/spec/runtimeClassName",
            format!("runtimeClassName `{rc}` has no ECI equivalent; ECI uses its own sandbox"),
        ));
    }
    if spec.resource_claims.as_ref().is_some_and(|c| !c.is_empty()) {
        ctx.push(Diagnostic::pod(
            Severity::Error,
            Code::Unsupported,
            "/spec/resourceClaims",
            "dynamic resource claims (DRA) cannot be attached to an ECI instance",
        ));
    }
    if spec.overhead.is_some() {
        ctx.push(Diagnostic::pod(
            Severity::Info,
            Code::Dropped,
            "/spec/overhead",
            "pod overhead is not added to the ECI size (ECI accounts for its own sandbox)",
        ));
    }
    let os = spec.os.as_ref().map(|o| o.name.clone());
    let selector_os = spec.node_selector.as_ref().and_then(|n| n.get("kubernetes.io/os").cloned());
    if os.as_deref() == Some("windows") || selector_os.as_deref() == Some("windows") {
        ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::Converted,
            if os.is_some() { "/spec/os/name" } else { "/spec/nodeSelector/kubernetes.io~1os" },
            "Windows pods become ECI OsType Windows, which is in invitational preview (ticket required)",
        ));
    }
}

pub(super) fn apply_lifecycle(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    let Some(spec) = ctx.spec() else {
        return;
    };
    // The API server defaults restartPolicy to Always; ECI's default is the same.
    let policy = spec.restart_policy.clone().unwrap_or_else(|| "Always".into());
    if !["Always", "OnFailure", "Never"].contains(&policy.as_str()) {
        ctx.push(Diagnostic::pod(
            Severity::Error,
            Code::InvalidValue,
            "/spec/restartPolicy",
            format!("unknown restartPolicy `{policy}`"),
        ));
    }
    req.restart_policy = Some(policy);
    let rule = if spec.restart_policy.is_some() {
        "spec.restartPolicy"
    } else {
        "spec.restartPolicy (Kubernetes default Always)"
    };
    ctx.note("RestartPolicy", rule, vec![InputRef::pod("/spec/restartPolicy")]);

    if let Some(s) = spec.active_deadline_seconds {
        req.active_deadline_seconds = Some(s);
        ctx.note(
            "ActiveDeadlineSeconds",
            "spec.activeDeadlineSeconds",
            vec![InputRef::pod("/spec/activeDeadlineSeconds")],
        );
    }
    if let Some(s) = spec.termination_grace_period_seconds {
        if s < 0 {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::InvalidValue,
                "/spec/terminationGracePeriodSeconds",
                "terminationGracePeriodSeconds must not be negative",
            ));
        }
        req.termination_grace_period_seconds = Some(s.max(0));
        ctx.note(
            "TerminationGracePeriodSeconds",
            "spec.terminationGracePeriodSeconds",
            vec![InputRef::pod("/spec/terminationGracePeriodSeconds")],
        );
    }
    if spec.share_process_namespace == Some(true) {
        req.share_process_namespace = Some(true);
        ctx.note(
            "ShareProcessNamespace",
            "spec.shareProcessNamespace",
            vec![InputRef::pod("/spec/shareProcessNamespace")],
        );
    }
    let windows = spec.os.as_ref().is_some_and(|o| o.name == "windows")
        || spec.node_selector.as_ref().and_then(|n| n.get("kubernetes.io/os")).is_some_and(|o| o == "windows");
    if windows {
        req.os_type = Some("Windows".into());
        ctx.note(
            "OsType",
            "the pod runs on Windows (spec.os or nodeSelector kubernetes.io/os)",
            vec![InputRef::pod("/spec/os/name")],
        );
    }
}

pub(super) fn check_limits(ctx: &mut Ctx<'_>, req: &CreateContainerGroupRequest) {
    let limits = [
        (req.container.len(), MAX_CONTAINERS, "/spec/containers", "containers"),
        (req.volume.len(), MAX_VOLUMES, "/spec/volumes", "volumes"),
    ];
    for (count, max, pointer, what) in limits {
        if count > max {
            ctx.push(
                Diagnostic::pod(
                    Severity::Error,
                    Code::OverLimit,
                    pointer,
                    format!("{count} {what}; an ECI instance holds at most {max}"),
                )
                .help("split the pod, or merge volumes (a projected volume can hold several sources)"),
            );
        }
    }
    if req.image_registry_credential.len() > MAX_REGISTRY_CREDENTIALS {
        ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::OverLimit,
            "/spec/imagePullSecrets",
            format!(
                "{} registry credentials; ECI documents at most {MAX_REGISTRY_CREDENTIALS} (ROS schema)",
                req.image_registry_credential.len()
            ),
        ));
    }
}
