//! Containers and init containers.
//!
//! `command` and `args` stay apart (`Command`/`Arg`), unlike the old
//! open-source provider, which folded args into the command and lost the
//! image's ENTRYPOINT when only args were given (docs/peers.md#command-and-args-stay-apart).
//! `$(VAR)` references in them are expanded as the kubelet does.
//!
//! Init containers with `restartPolicy: Always` (native sidecars,
//! Kubernetes 1.28+) cannot be ECI init containers, which must finish; they
//! are sent as regular containers, which start after the other init
//! containers instead of before them (warning).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Container as K8sContainer;

use super::env::{self, Environment, Expansion};
use super::{Ctx, probe, security};
use crate::diagnostics::{Code, Diagnostic, Pointer, Severity};
use crate::eci::{Container, CreateContainerGroupRequest, Port, Sensitive, VolumeMount};
use crate::explain::InputRef;
use crate::quantity::{bytes_to_gib, format_bytes, format_millis, millis_to_vcpu};
use crate::sizing::{ContainerResources, InstanceSize, Sizing};

/// Ports ECI's own agents use (docs/limits.md#reserved-ports).
pub const RESERVED_PORTS: &[i32] = &[111, 10250, 10255];

/// Kubernetes' default pull policy: `Always` for `:latest` or an untagged
/// image, `IfNotPresent` otherwise (including digests).
pub fn default_pull_policy(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, "latest")) | None => "Always",
        Some(_) => "IfNotPresent",
    }
}

/// The parts every container kind shares, before the kind-specific fields.
struct Common {
    name: String,
    image: Option<String>,
    pull_policy: Option<String>,
    command: Vec<Sensitive>,
    args: Vec<Sensitive>,
    working_dir: Option<String>,
    env: Vec<crate::eci::EnvironmentVar>,
    ports: Vec<Port>,
    mounts: Vec<VolumeMount>,
    cpu: Option<f64>,
    memory: Option<f64>,
    gpu: Option<i64>,
    termination_message_path: Option<String>,
    termination_message_policy: Option<String>,
}

impl Common {
    /// The ECI container these parts make; the caller adds its kind's fields.
    fn into_container(self) -> Container {
        Container {
            arg: self.args,
            command: self.command,
            cpu: self.cpu,
            environment_var: self.env,
            gpu: self.gpu,
            image: self.image,
            image_pull_policy: self.pull_policy,
            memory: self.memory,
            name: Some(self.name),
            port: self.ports,
            termination_message_path: self.termination_message_path,
            termination_message_policy: self.termination_message_policy,
            volume_mount: self.mounts,
            working_dir: self.working_dir,
            ..Container::default()
        }
    }
}

fn instance_size(sizing: &Sizing) -> (i128, i128) {
    match &sizing.instance {
        InstanceSize::Derived { spec, .. } => (spec.cpu_millis, spec.memory_bytes()),
        _ => (crate::sizing::DEFAULT_CPU_MILLIS, crate::sizing::DEFAULT_MEMORY_BYTES),
    }
}

fn common(
    ctx: &mut Ctx<'_>,
    c: &K8sContainer,
    base: &Pointer,
    prefix: &str,
    own: &ContainerResources,
    all: &BTreeMap<String, ContainerResources>,
    instance: (i128, i128),
) -> Common {
    ctx.note(prefix, "the container as written", vec![InputRef::pod(base.clone())]);
    for (field, wire, present) in [
        ("name", "Name", true),
        ("image", "Image", c.image.is_some()),
        ("imagePullPolicy", "ImagePullPolicy", c.image_pull_policy.is_some()),
        ("command", "Command", c.command.is_some()),
        ("args", "Arg", c.args.is_some()),
        ("workingDir", "WorkingDir", c.working_dir.is_some()),
        ("stdin", "Stdin", c.stdin.is_some()),
        ("stdinOnce", "StdinOnce", c.stdin_once.is_some()),
        ("tty", "Tty", c.tty.is_some()),
        ("terminationMessagePath", "TerminationMessagePath", c.termination_message_path.is_some()),
        ("terminationMessagePolicy", "TerminationMessagePolicy", c.termination_message_policy.is_some()),
    ] {
        if present {
            ctx.note(format!("{prefix}.{wire}"), field, vec![InputRef::pod(base.key(field))]);
        }
    }
    let environment: Environment = env::resolve(ctx, c, base, all, instance);

    let image = c.image.clone().filter(|i| !i.trim().is_empty());
    if image.is_none() {
        ctx.push(Diagnostic::pod(
            Severity::Error,
            Code::MissingField,
            base.key("image"),
            format!("container `{}` has no image", c.name),
        ));
    }
    let pull_policy = match (&c.image_pull_policy, &image) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(img)) => {
            ctx.note(
                format!("{prefix}.ImagePullPolicy"),
                "Kubernetes default: Always for :latest or untagged images, else IfNotPresent",
                vec![InputRef::pod(base.key("image"))],
            );
            Some(default_pull_policy(img).to_string())
        }
        (None, None) => None,
    };

    let expand_list = |ctx: &mut Ctx<'_>, list: &Option<Vec<String>>, field: &str| -> Vec<Sensitive> {
        let mut out = Vec::new();
        for (i, item) in list.iter().flatten().enumerate() {
            let Expansion { text, secret, runtime, .. } =
                env::expand_at(ctx, &environment, item, base.key(field).index(i));
            if !runtime.is_empty() {
                ctx.push(Diagnostic::pod(
                    Severity::Warning,
                    Code::Converted,
                    base.key(field).index(i),
                    format!("$({}) is known only at run time; ECI receives it unexpanded", runtime.join("), $(")),
                ));
            }
            if text != *item {
                ctx.note(
                    format!("{prefix}.{}.{}", if field == "command" { "Command" } else { "Arg" }, i + 1),
                    format!("{field} with $(VAR) expanded"),
                    vec![InputRef::pod(base.key(field).index(i))],
                );
            }
            // A Secret's value expanded into a command is as secret as the Secret.
            out.push(Sensitive::new(text, secret));
        }
        out
    };
    let command = expand_list(ctx, &c.command, "command");
    let args = expand_list(ctx, &c.args, "args");
    if args.len() > 10 {
        ctx.push(
            Diagnostic::pod(
                Severity::Error,
                Code::OverLimit,
                base.key("args"),
                format!("{} args; ECI accepts at most 10 (CreateContainerGroup Arg)", args.len()),
            )
            .help("move options into a config file or an env var, or wrap them in `sh -c`"),
        );
    }

    let ports = ports(ctx, c, base, prefix);
    let mounts = mounts(ctx, c, base, prefix, &environment);

    let vars = environment.into_vars();
    env::check_limits(ctx, &vars, base);
    let mut env_out = Vec::new();
    for (i, v) in vars.into_iter().enumerate() {
        ctx.note(format!("{prefix}.EnvironmentVar.{}", i + 1), v.rule, v.inputs);
        env_out.push(v.var);
    }

    let mut cpu = None;
    if let Some(m) = own.cpu_millis {
        cpu = Some(millis_to_vcpu(m));
        let rule = format!("cpu {} (limit, else request)", format_millis(m));
        ctx.note(format!("{prefix}.Cpu"), rule, own.cpu_from.iter().map(InputRef::pod).collect());
    }
    let mut memory = None;
    if let Some(b) = own.memory_bytes {
        memory = Some(bytes_to_gib(b));
        let rule = format!("memory {} in GiB (limit, else request)", format_bytes(b));
        ctx.note(format!("{prefix}.Memory"), rule, own.memory_from.iter().map(InputRef::pod).collect());
    }
    let gpu = own.gpu.filter(|g| *g > 0);
    if gpu.is_some() {
        ctx.note(format!("{prefix}.Gpu"), "nvidia.com/gpu limit", own.gpu_from.iter().map(InputRef::pod).collect());
    }
    if c.volume_devices.as_ref().is_some_and(|d| !d.is_empty()) {
        ctx.push(
            Diagnostic::pod(
                Severity::Error,
                Code::Unsupported,
                base.key("volumeDevices"),
                "raw block devices (volumeDevices) cannot be attached to ECI containers",
            )
            .help("use a filesystem volume (volumeMounts)"),
        );
    }
    Common {
        name: c.name.clone(),
        image,
        pull_policy,
        command,
        args,
        working_dir: c.working_dir.clone(),
        env: env_out,
        ports,
        mounts,
        cpu,
        memory,
        gpu,
        termination_message_path: c.termination_message_path.clone(),
        termination_message_policy: c.termination_message_policy.clone(),
    }
}

fn ports(ctx: &mut Ctx<'_>, c: &K8sContainer, base: &Pointer, prefix: &str) -> Vec<Port> {
    let mut out = Vec::new();
    for (i, p) in c.ports.iter().flatten().enumerate() {
        let at = base.key("ports").index(i);
        if RESERVED_PORTS.contains(&p.container_port) {
            ctx.push(
                Diagnostic::pod(
                    Severity::Error,
                    Code::ReservedPort,
                    at.key("containerPort"),
                    format!("port {} is reserved by ECI for its own agents (111, 10250, 10255)", p.container_port),
                )
                .help("listen on another port"),
            );
        }
        if !(1..=65535).contains(&p.container_port) {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::InvalidValue,
                at.key("containerPort"),
                format!("port {} is outside 1–65535", p.container_port),
            ));
        }
        let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".into());
        if protocol != "TCP" && protocol != "UDP" {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::Unsupported,
                at.key("protocol"),
                format!("ECI ports are TCP or UDP, not {protocol}"),
            ));
        }
        if let Some(host) = p.host_port.filter(|h| *h != 0) {
            let severity = if host == p.container_port { Severity::Info } else { Severity::Warning };
            ctx.push(Diagnostic::pod(
                severity,
                Code::Dropped,
                at.key("hostPort"),
                format!(
                    "hostPort {host} is dropped: an ECI instance has its own IP, so the pod is reached on port {}",
                    p.container_port
                ),
            ));
        }
        out.push(Port { port: Some(i64::from(p.container_port)), protocol: Some(protocol) });
        let rule = if p.protocol.is_some() {
            "ports[].containerPort and protocol"
        } else {
            "ports[].containerPort (protocol defaults to TCP)"
        };
        ctx.note(format!("{prefix}.Port.{}", out.len()), rule, vec![InputRef::pod(at)]);
    }
    if out.len() > 100 {
        ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::OverLimit,
            base.key("ports"),
            format!("{} ports; ECI documents at most 100 per container (ROS schema)", out.len()),
        ));
    }
    out
}

fn mounts(
    ctx: &mut Ctx<'_>,
    c: &K8sContainer,
    base: &Pointer,
    prefix: &str,
    environment: &Environment,
) -> Vec<VolumeMount> {
    let volumes: Vec<String> =
        ctx.spec().map(|s| s.volumes.iter().flatten().map(|v| v.name.clone()).collect()).unwrap_or_default();
    let mut out = Vec::new();
    for (i, m) in c.volume_mounts.iter().flatten().enumerate() {
        let at = base.key("volumeMounts").index(i);
        if !volumes.contains(&m.name) {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::InvalidValue,
                at.key("name"),
                format!("no volume named `{}`", m.name),
            ));
        }
        let propagation = match m.mount_propagation.as_deref() {
            None => None,
            Some(p @ ("None" | "HostToContainer" | "Bidirectional")) => Some(p.to_string()),
            Some(other) => {
                ctx.push(Diagnostic::pod(
                    Severity::Error,
                    Code::InvalidValue,
                    at.key("mountPropagation"),
                    format!("unknown mountPropagation `{other}`"),
                ));
                None
            }
        };
        let mut sub_path = m.sub_path.clone().filter(|s| !s.is_empty()).map(Sensitive::public);
        if let Some(expr) = m.sub_path_expr.clone().filter(|s| !s.is_empty()) {
            let Expansion { text, secret, runtime, .. } =
                env::expand_at(ctx, environment, &expr, at.key("subPathExpr"));
            if runtime.is_empty() {
                ctx.note(
                    format!("{prefix}.VolumeMount.{}.SubPath", out.len() + 1),
                    "subPathExpr expanded with the container's env",
                    vec![InputRef::pod(at.key("subPathExpr"))],
                );
                sub_path = Some(Sensitive::new(text, secret));
            } else {
                ctx.push(
                    Diagnostic::pod(
                        Severity::Error,
                        Code::Unsupported,
                        at.key("subPathExpr"),
                        format!(
                            "subPathExpr uses $({}), known only at run time; ECI has no subPathExpr",
                            runtime.join("), $(")
                        ),
                    )
                    .help("use a subPath, or variables known before creation (metadata.name, metadata.namespace)"),
                );
            }
        }
        if m.recursive_read_only.as_deref().is_some_and(|r| r != "Disabled") {
            ctx.push(Diagnostic::pod(
                Severity::Warning,
                Code::Dropped,
                at.key("recursiveReadOnly"),
                "recursiveReadOnly has no ECI equivalent; the mount is read-only at the top only",
            ));
        }
        ctx.note(format!("{prefix}.VolumeMount.{}", out.len() + 1), "volumeMounts[]", vec![InputRef::pod(at.clone())]);
        out.push(VolumeMount {
            mount_path: Some(m.mount_path.clone()),
            mount_propagation: propagation,
            name: Some(m.name.clone()),
            read_only: m.read_only.filter(|r| *r),
            sub_path,
        });
    }
    if out.len() > 16 {
        ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::OverLimit,
            base.key("volumeMounts"),
            format!("{} volume mounts; ECI documents at most 16 per container (ROS schema)", out.len()),
        ));
    }
    out
}

/// Translates every container and init container.
pub(super) fn apply(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest, sizing: &Sizing) {
    let Some(spec) = ctx.spec() else {
        return;
    };
    let instance = instance_size(sizing);
    let mut all = BTreeMap::new();
    for (c, r) in spec.containers.iter().zip(&sizing.containers) {
        all.insert(c.name.clone(), r.clone());
    }
    for (c, r) in spec.init_containers.iter().flatten().zip(&sizing.init_containers) {
        all.insert(c.name.clone(), r.clone());
    }

    // Native sidecars (init containers that keep running) become containers.
    let mut sidecars = Vec::new();
    for (i, c) in spec.init_containers.iter().flatten().enumerate() {
        let base = Pointer::from_tokens(["spec", "initContainers"]).index(i);
        let own = sizing.init_containers.get(i).cloned().unwrap_or_default();
        if c.restart_policy.as_deref() == Some("Always") {
            ctx.push(Diagnostic::pod(
                Severity::Warning,
                Code::Converted,
                base.key("restartPolicy"),
                format!("`{}` is a native sidecar (restartPolicy: Always); ECI init containers must finish, so it runs as a regular container, started after the init containers", c.name),
            ));
            sidecars.push((c, base, own));
            continue;
        }
        let prefix = format!("InitContainer.{}", req.init_container.len() + 1);
        let cm = common(ctx, c, &base, &prefix, &own, &all, instance);
        let sec = security::container(ctx, c, &base, true, &prefix);
        let unsupported: Vec<&str> = [
            (c.liveness_probe.is_some(), "livenessProbe"),
            (c.readiness_probe.is_some(), "readinessProbe"),
            (c.startup_probe.is_some(), "startupProbe"),
            (c.lifecycle.is_some(), "lifecycle"),
            (c.stdin == Some(true), "stdin"),
            (c.tty == Some(true), "tty"),
        ]
        .into_iter()
        .filter_map(|(present, name)| present.then_some(name))
        .collect();
        if !unsupported.is_empty() {
            ctx.push(Diagnostic::pod(
                Severity::Warning,
                Code::Dropped,
                base.clone(),
                format!("ECI init containers have no {}; dropped", unsupported.join(", ")),
            ));
        }
        req.init_container.push(Container { security_context: sec.context, ..cm.into_container() });
    }

    let regular = spec.containers.iter().enumerate().map(|(i, c)| {
        (
            c,
            Pointer::from_tokens(["spec", "containers"]).index(i),
            sizing.containers.get(i).cloned().unwrap_or_default(),
        )
    });
    for (c, base, own) in sidecars.into_iter().chain(regular) {
        let prefix = format!("Container.{}", req.container.len() + 1);
        let cm = common(ctx, c, &base, &prefix, &own, &all, instance);
        let sec = security::container(ctx, c, &base, false, &prefix);
        let mut out = Container {
            security_context: sec.context,
            security_context_privileged: sec.privileged,
            security_context_run_as_group: sec.run_as_group,
            security_context_run_as_non_root: sec.run_as_non_root,
            stdin: c.stdin.filter(|s| *s),
            stdin_once: c.stdin_once.filter(|s| *s),
            tty: c.tty.filter(|t| *t),
            ..cm.into_container()
        };
        probe::apply(ctx, c, &base, &mut out, &prefix);
        req.container.push(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_defaults() {
        assert_eq!(default_pull_policy("nginx"), "Always");
        assert_eq!(default_pull_policy("nginx:latest"), "Always");
        assert_eq!(default_pull_policy("nginx:1.27"), "IfNotPresent");
        assert_eq!(default_pull_policy("registry:5000/team/app"), "Always");
        assert_eq!(default_pull_policy("registry:5000/team/app:v2"), "IfNotPresent");
        assert_eq!(default_pull_policy("nginx@sha256:abc"), "IfNotPresent");
    }
}
