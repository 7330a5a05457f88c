//! Probes and lifecycle hooks.
//!
//! ECI has liveness and readiness probes (exec, httpGet path/port/scheme,
//! tcpSocket port) and postStart/preStop hooks (exec, httpGet with host and
//! headers, tcpSocket with host). What Kubernetes has beyond that, and what
//! happens to it:
//! - **startupProbe**: no ECI field. Dropping it alone would let the
//!   liveness probe kill a slow-starting container, so the liveness probe's
//!   `initialDelaySeconds` is raised by the startup budget
//!   (`initialDelaySeconds + failureThreshold × periodSeconds` of the startup
//!   probe). Warning.
//! - **grpc** probes: no ECI field; the probe is dropped. Warning (a
//!   readiness probe that is dropped makes the container ready at once).
//! - probe `httpGet.host` and `httpHeaders`: no ECI field; dropped. Warning.
//! - `sleep` hooks (Kubernetes 1.29+): sent as `exec: ["sleep", "N"]`, which
//!   needs a `sleep` binary in the image. Warning.

use k8s_openapi::api::core::v1::{Container, ContainerPort, HTTPGetAction, LifecycleHandler, Probe as K8sProbe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Ctx;
use crate::diagnostics::{Code, Diagnostic, Pointer, Severity};
use crate::eci::{self, HttpHeader, ProbeExec, ProbeHttpGet, ProbeTcpSocket};

/// Resolves a port that may be a name of one of the container's ports.
pub(super) fn resolve_port(
    ctx: &mut Ctx<'_>,
    port: &IntOrString,
    ports: &[ContainerPort],
    at: &Pointer,
) -> Option<i64> {
    match port {
        IntOrString::Int(p) if (1..=65535).contains(p) => Some(i64::from(*p)),
        IntOrString::Int(p) => {
            ctx.push(Diagnostic::pod(Severity::Error, Code::InvalidValue, at, format!("port {p} is outside 1–65535")));
            None
        }
        IntOrString::String(name) => {
            if let Ok(p) = name.parse::<i64>() {
                return Some(p);
            }
            match ports.iter().find(|p| p.name.as_deref() == Some(name.as_str())) {
                Some(p) => Some(i64::from(p.container_port)),
                None => {
                    ctx.push(
                        Diagnostic::pod(
                            Severity::Error,
                            Code::InvalidValue,
                            at,
                            format!("no container port is named `{name}`"),
                        )
                        .help("name the port under ports[].name, or give the number"),
                    );
                    None
                }
            }
        }
    }
}

fn http_get(ctx: &mut Ctx<'_>, h: &HTTPGetAction, ports: &[ContainerPort], at: &Pointer, probe: bool) -> ProbeHttpGet {
    if probe {
        let mut dropped = Vec::new();
        if h.host.as_ref().is_some_and(|s| !s.is_empty()) {
            dropped.push("host");
        }
        if h.http_headers.as_ref().is_some_and(|v| !v.is_empty()) {
            dropped.push("httpHeaders");
        }
        if !dropped.is_empty() {
            ctx.push(Diagnostic::pod(
                Severity::Warning,
                Code::Dropped,
                at,
                format!("ECI probes have no {}; the probe is sent without it", dropped.join(" or ")),
            ));
        }
    }
    ProbeHttpGet {
        path: h.path.clone(),
        port: resolve_port(ctx, &h.port, ports, &at.key("port")),
        scheme: h.scheme.clone(),
    }
}

/// Translates a liveness or readiness probe; `None` when nothing is left.
pub(super) fn probe(ctx: &mut Ctx<'_>, p: &K8sProbe, ports: &[ContainerPort], at: &Pointer) -> Option<eci::Probe> {
    let mut out = eci::Probe {
        failure_threshold: p.failure_threshold.map(i64::from),
        initial_delay_seconds: p.initial_delay_seconds.map(i64::from),
        period_seconds: p.period_seconds.map(i64::from),
        success_threshold: p.success_threshold.map(i64::from),
        timeout_seconds: p.timeout_seconds.map(i64::from),
        ..Default::default()
    };
    if let Some(e) = &p.exec {
        out.exec = Some(ProbeExec { command: e.command.clone().unwrap_or_default() });
    } else if let Some(h) = &p.http_get {
        out.http_get = Some(http_get(ctx, h, ports, &at.key("httpGet"), true));
    } else if let Some(t) = &p.tcp_socket {
        out.tcp_socket =
            Some(ProbeTcpSocket { port: resolve_port(ctx, &t.port, ports, &at.key("tcpSocket").key("port")) });
    } else if p.grpc.is_some() {
        ctx.push(
            Diagnostic::pod(
                Severity::Warning,
                Code::Dropped,
                at.key("grpc"),
                "ECI has no gRPC probes; this probe is dropped",
            )
            .help("use an exec probe running grpc_health_probe, or a tcpSocket probe on the same port"),
        );
        return None;
    } else {
        ctx.push(Diagnostic::pod(
            Severity::Error,
            Code::MissingField,
            at,
            "the probe has no exec, httpGet or tcpSocket handler",
        ));
        return None;
    }
    if p.termination_grace_period_seconds.is_some() {
        ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::Dropped,
            at.key("terminationGracePeriodSeconds"),
            "ECI probes have no terminationGracePeriodSeconds; the pod's grace period applies",
        ));
    }
    Some(out)
}

/// The time a startup probe allows before it fails (Kubernetes defaults:
/// period 10 s, failure threshold 3).
pub(super) fn startup_budget(p: &K8sProbe) -> i64 {
    let delay = i64::from(p.initial_delay_seconds.unwrap_or(0));
    let period = i64::from(p.period_seconds.unwrap_or(10));
    let failures = i64::from(p.failure_threshold.unwrap_or(3));
    delay + period * failures
}

/// Translates a postStart or preStop handler.
pub(super) fn hook(
    ctx: &mut Ctx<'_>,
    h: &LifecycleHandler,
    ports: &[ContainerPort],
    at: &Pointer,
) -> eci::LifecycleHandler {
    let mut out = eci::LifecycleHandler::default();
    if let Some(e) = &h.exec {
        out.exec = e.command.clone().unwrap_or_default();
    } else if let Some(g) = &h.http_get {
        out.http_get_host = g.host.clone();
        out.http_get_http_header = g
            .http_headers
            .iter()
            .flatten()
            .map(|hd| HttpHeader { name: Some(hd.name.clone()), value: Some(hd.value.clone()) })
            .collect();
        out.http_get_path = g.path.clone();
        out.http_get_port = resolve_port(ctx, &g.port, ports, &at.key("httpGet").key("port"));
        out.http_get_scheme = g.scheme.clone();
    } else if let Some(t) = &h.tcp_socket {
        out.tcp_socket_host = t.host.clone();
        out.tcp_socket_port = resolve_port(ctx, &t.port, ports, &at.key("tcpSocket").key("port"));
    } else if let Some(s) = &h.sleep {
        ctx.push(
            Diagnostic::pod(
                Severity::Warning,
                Code::Converted,
                at.key("sleep"),
                format!(
                    "ECI has no sleep hook; it is sent as exec `sleep {}`, which needs a sleep binary in the image",
                    s.seconds
                ),
            )
            .help("for distroless images, use an exec hook with a binary the image has"),
        );
        out.exec = vec!["sleep".into(), s.seconds.to_string()];
    } else {
        ctx.push(Diagnostic::pod(
            Severity::Error,
            Code::MissingField,
            at,
            "the hook has no exec, httpGet, tcpSocket or sleep handler",
        ));
    }
    out
}

/// Writes liveness/readiness probes and hooks onto an ECI container.
pub(super) fn apply(ctx: &mut Ctx<'_>, c: &Container, base: &Pointer, out: &mut eci::Container, prefix: &str) {
    let ports = c.ports.clone().unwrap_or_default();
    if let Some(p) = &c.liveness_probe {
        out.liveness_probe = probe(ctx, p, &ports, &base.key("livenessProbe"));
        if out.liveness_probe.is_some() {
            ctx.note(
                format!("{prefix}.LivenessProbe"),
                "livenessProbe",
                vec![crate::explain::InputRef::pod(base.key("livenessProbe"))],
            );
        }
    }
    if let Some(p) = &c.readiness_probe {
        out.readiness_probe = probe(ctx, p, &ports, &base.key("readinessProbe"));
        if out.readiness_probe.is_some() {
            ctx.note(
                format!("{prefix}.ReadinessProbe"),
                "readinessProbe",
                vec![crate::explain::InputRef::pod(base.key("readinessProbe"))],
            );
        }
    }
    if let Some(startup) = &c.startup_probe {
        let budget = startup_budget(startup);
        match &mut out.liveness_probe {
            Some(live) => {
                let delay = live.initial_delay_seconds.unwrap_or(0) + budget;
                live.initial_delay_seconds = Some(delay);
                ctx.push(Diagnostic::pod(
                    Severity::Warning,
                    Code::Converted,
                    base.key("startupProbe"),
                    format!("ECI has no startup probes; the liveness probe waits {budget}s longer (the startup probe's budget) so slow starts are not killed"),
                ));
                ctx.note(
                    format!("{prefix}.LivenessProbe.InitialDelaySeconds"),
                    format!("livenessProbe.initialDelaySeconds + startupProbe budget ({budget}s = initialDelay + failureThreshold × period)"),
                    vec![
                        crate::explain::InputRef::pod(base.key("livenessProbe").key("initialDelaySeconds")),
                        crate::explain::InputRef::pod(base.key("startupProbe")),
                    ],
                );
            }
            None => ctx.push(Diagnostic::pod(
                Severity::Warning,
                Code::Dropped,
                base.key("startupProbe"),
                "ECI has no startup probes; without a liveness probe it has nothing to guard, so it is dropped",
            )),
        }
    }
    let Some(lifecycle) = &c.lifecycle else {
        return;
    };
    if let Some(h) = &lifecycle.post_start {
        out.post_start = Some(hook(ctx, h, &ports, &base.key("lifecycle").key("postStart")));
        ctx.note(
            format!("{prefix}.LifecyclePostStartHandler*"),
            "lifecycle.postStart",
            vec![crate::explain::InputRef::pod(base.key("lifecycle").key("postStart"))],
        );
    }
    if let Some(h) = &lifecycle.pre_stop {
        out.pre_stop = Some(hook(ctx, h, &ports, &base.key("lifecycle").key("preStop")));
        ctx.note(
            format!("{prefix}.LifecyclePreStopHandler*"),
            "lifecycle.preStop",
            vec![crate::explain::InputRef::pod(base.key("lifecycle").key("preStop"))],
        );
    }
    if lifecycle.stop_signal.is_some() {
        ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::Dropped,
            base.key("lifecycle").key("stopSignal"),
            "ECI has no stop signal setting; SIGTERM is sent",
        ));
    }
}
