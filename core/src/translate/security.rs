//! Security contexts.
//!
//! ECI "Configure a security context" (docs/limits.md#security-context):
//! pod level supports `sysctls` and `runAsUser`; container level supports
//! `runAsUser`, `runAsGroup`, `runAsNonRoot`, `privileged` and
//! `capabilities` (add); the API also has `readOnlyRootFilesystem`.
//! A container value overrides the pod's, as in Kubernetes.
//!
//! Privileged containers: the 2021 handbook lists them as unsupported ("use
//! Security Context capabilities"); the API gained
//! `SecurityContextPrivileged` on 2025-05-28. They are rejected unless the
//! cluster settings say the target supports it. Init containers have no
//! privileged field at all.
//!
//! Sysctls: `kernel.shm*`, `kernel.msg*`, `kernel.sem`, `fs.mqueue.*`,
//! `net.*` except `net.ipv4.tcp_syncookies`, and `vm.min_free_kbytes`.
//! `net.ipv4.ping_group_range` and `net.ipv4.ip_unprivileged_port_start` are
//! the "safe" ones (`SecurityContext.Sysctl`); the rest go to
//! `HostSecurityContext.Sysctl`, whose API text excludes
//! `kernel.shm_rmid_forced`.

use k8s_openapi::api::core::v1::{Container, PodSecurityContext};

use super::Ctx;
use crate::diagnostics::{Code, Diagnostic, Pointer, Severity};
use crate::eci::{Capability, ContainerSecurityContext, CreateContainerGroupRequest, Sysctl};
use crate::explain::InputRef;

/// Sysctls ECI puts in `SecurityContext.Sysctl`.
pub const SAFE_SYSCTLS: &[&str] = &["net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"];

/// Where a sysctl may go, or why it may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SysctlClass {
    /// `SecurityContext.Sysctl`.
    Safe,
    /// `HostSecurityContext.Sysctl`.
    Host,
    /// Outside the allow-list.
    NotAllowed,
}

/// Classifies a sysctl name against ECI's allow-list.
pub fn classify_sysctl(name: &str) -> SysctlClass {
    if SAFE_SYSCTLS.contains(&name) {
        return SysctlClass::Safe;
    }
    let allowed = (name.starts_with("kernel.shm") && name != "kernel.shm_rmid_forced")
        || name.starts_with("kernel.msg")
        || name == "kernel.sem"
        || name.starts_with("fs.mqueue.")
        || (name.starts_with("net.") && name != "net.ipv4.tcp_syncookies")
        || name == "vm.min_free_kbytes";
    if allowed { SysctlClass::Host } else { SysctlClass::NotAllowed }
}

/// What the container's ECI security context looks like, and its flat fields.
pub(super) struct ContainerSecurity {
    pub context: Option<ContainerSecurityContext>,
    pub privileged: Option<bool>,
    pub run_as_group: Option<i64>,
    pub run_as_non_root: Option<bool>,
}

/// Translates one container's security context (falling back to the pod's).
pub(super) fn container(
    ctx: &mut Ctx<'_>,
    c: &Container,
    base: &Pointer,
    init: bool,
    prefix: &str,
) -> ContainerSecurity {
    let pod_sc: PodSecurityContext = ctx.spec().and_then(|s| s.security_context.clone()).unwrap_or_default();
    let sc = c.security_context.clone().unwrap_or_default();
    let at = base.key("securityContext");
    let mut out = ContainerSecurity { context: None, privileged: None, run_as_group: None, run_as_non_root: None };
    let mut context = ContainerSecurityContext::default();

    let (user, user_from) = match (sc.run_as_user, pod_sc.run_as_user) {
        (Some(u), _) => (Some(u), at.key("runAsUser")),
        (None, Some(u)) => (Some(u), Pointer::from_tokens(["spec", "securityContext", "runAsUser"])),
        _ => (None, at.key("runAsUser")),
    };
    if let Some(u) = user {
        context.run_as_user = Some(u);
        ctx.note(
            format!("{prefix}.SecurityContext.RunAsUser"),
            "runAsUser (container, else pod)",
            vec![InputRef::pod(user_from)],
        );
    }
    if let Some(add) = sc.capabilities.as_ref().and_then(|c| c.add.clone()).filter(|a| !a.is_empty()) {
        context.capability = Some(Capability { add });
        ctx.note(
            format!("{prefix}.SecurityContext.Capability"),
            "capabilities.add",
            vec![InputRef::pod(at.key("capabilities").key("add"))],
        );
    }
    if sc.read_only_root_filesystem == Some(true) {
        context.read_only_root_filesystem = Some(true);
        ctx.note(
            format!("{prefix}.SecurityContext.ReadOnlyRootFilesystem"),
            "readOnlyRootFilesystem",
            vec![InputRef::pod(at.key("readOnlyRootFilesystem"))],
        );
    }
    if context != ContainerSecurityContext::default() {
        out.context = Some(context);
    }

    let group = sc
        .run_as_group
        .map(|g| (g, at.key("runAsGroup")))
        .or(pod_sc.run_as_group.map(|g| (g, Pointer::from_tokens(["spec", "securityContext", "runAsGroup"]))));
    let non_root = sc
        .run_as_non_root
        .map(|g| (g, at.key("runAsNonRoot")))
        .or(pod_sc.run_as_non_root.map(|g| (g, Pointer::from_tokens(["spec", "securityContext", "runAsNonRoot"]))));
    let mut dropped = Vec::new();
    if let Some((g, from)) = group {
        if init {
            dropped.push("runAsGroup");
        } else {
            out.run_as_group = Some(g);
            ctx.note(
                format!("{prefix}.SecurityContextRunAsGroup"),
                "runAsGroup (container, else pod)",
                vec![InputRef::pod(from)],
            );
        }
    }
    if let Some((n, from)) = non_root {
        if init {
            dropped.push("runAsNonRoot");
        } else if n {
            out.run_as_non_root = Some(true);
            ctx.note(
                format!("{prefix}.SecurityContextRunAsNonRoot"),
                "runAsNonRoot (container, else pod)",
                vec![InputRef::pod(from)],
            );
        }
    }
    if sc.privileged == Some(true) {
        if init {
            ctx.push(
                Diagnostic::pod(
                    Severity::Error,
                    Code::Privileged,
                    at.key("privileged"),
                    "ECI has no privileged mode for init containers",
                )
                .help("grant the capabilities the init container needs with capabilities.add"),
            );
        } else if ctx.input.cluster.capabilities.security_context_privileged {
            out.privileged = Some(true);
            ctx.note(
                format!("{prefix}.SecurityContextPrivileged"),
                "privileged (the cluster settings declare SecurityContextPrivileged support)",
                vec![InputRef::pod(at.key("privileged"))],
            );
        } else {
            ctx.push(
                Diagnostic::pod(Severity::Error, Code::Privileged, at.key("privileged"), "privileged containers are not supported on ECI (seed: \"Privileged权限\" is unsupported)")
                    .help("add the needed capabilities with capabilities.add; if your ECI API has SecurityContextPrivileged (2025-05-28+), set securityContextPrivileged: true in the cluster settings"),
            );
        }
    }
    dropped.extend(present([
        (sc.capabilities.as_ref().and_then(|c| c.drop.as_ref()).is_some_and(|d| !d.is_empty()), "capabilities.drop"),
        (sc.allow_privilege_escalation.is_some(), "allowPrivilegeEscalation"),
        (sc.seccomp_profile.is_some(), "seccompProfile"),
        (sc.se_linux_options.is_some(), "seLinuxOptions"),
        (sc.app_armor_profile.is_some(), "appArmorProfile"),
        (sc.proc_mount.is_some(), "procMount"),
    ]));
    if !dropped.is_empty() {
        ctx.push(
            Diagnostic::pod(
                Severity::Warning,
                Code::Dropped,
                at,
                format!(
                    "ECI {}containers have no {}; not applied",
                    if init { "init " } else { "" },
                    dropped.join(", ")
                ),
            )
            .help("the container runs with ECI's defaults for these settings"),
        );
    }
    out
}

/// The names whose flag is set.
fn present<const N: usize>(fields: [(bool, &'static str); N]) -> impl Iterator<Item = &'static str> {
    fields.into_iter().filter_map(|(set, name)| set.then_some(name))
}

/// Pod-level sysctls and the pod security fields ECI cannot carry.
pub(super) fn apply_pod(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    let Some(sc) = ctx.spec().and_then(|s| s.security_context.clone()) else {
        return;
    };
    let base = Pointer::from_tokens(["spec", "securityContext"]);
    for (i, s) in sc.sysctls.iter().flatten().enumerate() {
        let at = base.key("sysctls").index(i);
        let item = Sysctl { name: Some(s.name.clone()), value: Some(s.value.clone()) };
        match classify_sysctl(&s.name) {
            SysctlClass::Safe => {
                let list = &mut req.security_context.get_or_insert_with(Default::default).sysctl;
                list.push(item);
                let n = list.len();
                ctx.note(format!("SecurityContext.Sysctl.{n}"), "safe sysctl (SecurityContext)", vec![InputRef::pod(at)]);
            }
            SysctlClass::Host => {
                let list = &mut req.host_security_context.get_or_insert_with(Default::default).sysctl;
                list.push(item);
                let n = list.len();
                ctx.note(format!("HostSecurityContext.Sysctl.{n}"), "namespaced sysctl on ECI's allow-list (HostSecurityContext)", vec![InputRef::pod(at)]);
            }
            SysctlClass::NotAllowed => ctx.push(
                Diagnostic::pod(Severity::Error, Code::SysctlNotAllowed, at.key("name"), format!("sysctl `{}` is not on ECI's allow-list", s.name))
                    .help("ECI allows kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, net.* (not net.ipv4.tcp_syncookies) and vm.min_free_kbytes; others need a ticket and k8s.aliyun.com/eci-host-sysctls"),
            ),
        }
    }
    let dropped: Vec<&str> = present([
        (sc.fs_group.is_some(), "fsGroup"),
        (sc.fs_group_change_policy.is_some(), "fsGroupChangePolicy"),
        (sc.supplemental_groups.as_ref().is_some_and(|g| !g.is_empty()), "supplementalGroups"),
        (sc.seccomp_profile.is_some(), "seccompProfile"),
        (sc.se_linux_options.is_some(), "seLinuxOptions"),
        (sc.app_armor_profile.is_some(), "appArmorProfile"),
    ])
    .collect();
    if !dropped.is_empty() {
        let fs_group = dropped.contains(&"fsGroup");
        let mut d = Diagnostic::pod(
            Severity::Warning,
            Code::Dropped,
            base,
            format!("ECI pods have no {}; not applied", dropped.join(", ")),
        );
        if fs_group {
            d = d.help("without fsGroup, volumes keep their default ownership: a non-root container may not be able to write to them");
        }
        ctx.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_allow_list() {
        assert_eq!(classify_sysctl("net.ipv4.ping_group_range"), SysctlClass::Safe);
        assert_eq!(classify_sysctl("net.core.somaxconn"), SysctlClass::Host);
        assert_eq!(classify_sysctl("kernel.msgmax"), SysctlClass::Host);
        assert_eq!(classify_sysctl("kernel.shmmax"), SysctlClass::Host);
        assert_eq!(classify_sysctl("kernel.sem"), SysctlClass::Host);
        assert_eq!(classify_sysctl("fs.mqueue.msg_max"), SysctlClass::Host);
        assert_eq!(classify_sysctl("vm.min_free_kbytes"), SysctlClass::Host);
        assert_eq!(classify_sysctl("net.ipv4.tcp_syncookies"), SysctlClass::NotAllowed);
        assert_eq!(classify_sysctl("kernel.shm_rmid_forced"), SysctlClass::NotAllowed);
        assert_eq!(classify_sysctl("vm.max_map_count"), SysctlClass::NotAllowed);
        assert_eq!(classify_sysctl("kernel.pid_max"), SysctlClass::NotAllowed);
    }
}
