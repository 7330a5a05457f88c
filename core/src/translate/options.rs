//! Annotations → request parameters, and sizing → Cpu/Memory/InstanceType.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;

use super::{Ctx, TranslateInput};
use crate::annotations::registry::{self as keys, Target};
use crate::annotations::{Parsed, PodAnnotations};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::eci::{AcrRegistryInfo, CreateContainerGroupRequest};
use crate::explain::InputRef;
use crate::quantity::{GIB, Quantity, bytes_to_gib, format_bytes, millis_to_vcpu};
use crate::sizing::{ARM_DEFAULT_INSTANCE_TYPE, InstanceSize, Sizing, SizingOptions, UseSpecs, size_pod};

pub(super) fn parse_annotations(
    input: &TranslateInput<'_>,
    diags: &mut Vec<Diagnostic>,
) -> (PodAnnotations, BTreeMap<String, InputRef>) {
    let entries = crate::profile::effects::effective_annotations(input.pod, input.namespace_labels, input.profile);
    let origin = entries.iter().map(|(k, _, o)| (k.clone(), o.clone())).collect();
    (PodAnnotations::parse_entries(&entries, diags), origin)
}

/// One-to-one registry entries, then the annotations that need more than a copy.
pub(super) fn apply(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    let entries: Vec<_> = ctx.annotations.iter().map(|(s, v)| (*s, v.clone())).collect();
    for (spec, value) in &entries {
        if let (Some(apply), Target::Param(param)) = (spec.apply, spec.target) {
            apply(req, value);
            ctx.note(param, ctx.annotation_rule(spec.key), vec![ctx.annotation_ref(spec.key)]);
        }
    }
    apply_spot(ctx, req);
    apply_image_cache(ctx, req);
    apply_acr(ctx, req);
    apply_bandwidth(ctx, req);
    apply_misc(ctx, req);
    check_private_pool(ctx);
    check_gpu_driver(ctx);
    note_not_sent(ctx);
}

/// The value of an annotation as written (for explain rows).
fn shown(value: &Parsed) -> String {
    match value {
        Parsed::Bool(b) => b.to_string(),
        Parsed::Int(i) => i.to_string(),
        Parsed::Decimal(d) => d.to_string(),
        Parsed::Text(t) => t.clone(),
        Parsed::List(items) => items.join(","),
        Parsed::Pairs(pairs) => pairs.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(","),
        Parsed::Json(v) => v.to_string(),
    }
}

/// Annotations that set no request parameter: each gets an explain row
/// that is not sent, saying who acts on it (the provider engine, the
/// admission webhook) or that nothing does. The documented ones without a
/// CreateContainerGroup parameter (ECI "Pod annotations" page; the
/// CreateContainerGroup API lists no InstanceFamily, PrivatePool, EIP
/// metering, EIP address pool, temporary-storage options or image-cache
/// match filters) also get an info diagnostic, so that a user who wrote one
/// learns that the instance is created without it.
fn note_not_sent(ctx: &mut Ctx<'_>) {
    let entries: Vec<_> = ctx.annotations.iter().map(|(s, v)| (*s, v.clone())).collect();
    let spot = ctx.annotations.get(keys::SPOT_STRATEGY).and_then(Parsed::text).is_some_and(|s| s != "NoSpot");
    let explicit_cache = ctx.annotations.has(keys::IMC_ID) || ctx.annotations.has(keys::IMAGE_SNAPSHOT_ID);
    let auto_cache = [keys::AUTO_IMC, keys::IMAGE_CACHE]
        .into_iter()
        .find_map(|k| ctx.annotations.get(k).and_then(Parsed::bool))
        .unwrap_or(true);
    let eip = ctx.annotations.get(keys::WITH_EIP).and_then(Parsed::bool) == Some(true);
    for (spec, value) in entries {
        let origin = ctx.annotation_ref(spec.key);
        let (rule, info) = match spec.target {
            Target::Provider(what) => (format!("provider engine: {what}"), None),
            Target::Admission(what) => (format!("admission webhook: {what}"), None),
            Target::NotSent(what) => {
                // When a prerequisite is missing the annotation would do nothing even where it is honoured.
                let moot = match spec.key {
                    "k8s.aliyun.com/imc-perfect-match" | "k8s.aliyun.com/imc-match-count-request" if explicit_cache => {
                        Some("an explicit image cache (eci-imc-id) is used, so no matching takes place")
                    }
                    "k8s.aliyun.com/imc-perfect-match" | "k8s.aliyun.com/imc-match-count-request" if !auto_cache => {
                        Some("automatic image-cache matching is off")
                    }
                    "k8s.aliyun.com/eip-internet-charge-type" | "k8s.aliyun.com/eip-public-ip-address-pool-id"
                        if !eip =>
                    {
                        Some("no EIP is created (k8s.aliyun.com/eci-with-eip is not \"true\")")
                    }
                    "k8s.aliyun.com/eci-spot-fallback" | "k8s.aliyun.com/eci-spot-release-strategy" if !spot => {
                        Some("the pod is not a spot instance (no k8s.aliyun.com/eci-spot-strategy)")
                    }
                    _ => None,
                };
                let rule = match moot {
                    Some(why) => format!("no effect: {why}; {what}"),
                    None => format!("no effect: {what}"),
                };
                (rule.clone(), Some(rule))
            }
            Target::Param(_) | Target::Params(_) | Target::Output(_) => continue,
        };
        ctx.effect(spec.key, shown(&value), rule, vec![origin.clone()]);
        if let Some(message) = info {
            ctx.push(
                Diagnostic::pod(Severity::Info, Code::Dropped, origin.pointer, format!("{}: {message}", spec.key))
                    .on(origin.input),
            );
        }
    }
}

fn apply_spot(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    let strategy = ctx.annotations.get(keys::SPOT_STRATEGY).and_then(Parsed::text);
    let limit = ctx.annotations.get(keys::SPOT_PRICE_LIMIT).and_then(Parsed::decimal);
    if let Some(s) = &strategy {
        req.spot_strategy = Some(s.clone());
        ctx.note(
            "SpotStrategy",
            ctx.annotation_rule(keys::SPOT_STRATEGY),
            vec![ctx.annotation_ref(keys::SPOT_STRATEGY)],
        );
    }
    match (strategy.as_deref(), limit) {
        (Some("SpotWithPriceLimit"), Some(l)) => {
            req.spot_price_limit = Some(l);
            ctx.note(
                "SpotPriceLimit",
                ctx.annotation_rule(keys::SPOT_PRICE_LIMIT),
                vec![ctx.annotation_ref(keys::SPOT_PRICE_LIMIT)],
            );
        }
        (Some("SpotWithPriceLimit"), None) => ctx.push(
            Diagnostic::pod(
                Severity::Error,
                Code::MissingField,
                ctx.annotation_ref(keys::SPOT_STRATEGY).pointer,
                "SpotWithPriceLimit needs k8s.aliyun.com/eci-spot-price-limit",
            )
            .help("add k8s.aliyun.com/eci-spot-price-limit: \"0.5\" (maximum hourly price), or use SpotAsPriceGo"),
        ),
        (_, Some(_)) => ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::Dropped,
            ctx.annotation_ref(keys::SPOT_PRICE_LIMIT).pointer,
            "eci-spot-price-limit only applies with eci-spot-strategy: SpotWithPriceLimit; it is ignored",
        )),
        _ => {}
    }
}

fn apply_image_cache(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    // An explicit cache wins over automatic matching (ECI "Pod annotations").
    let explicit = [keys::IMC_ID, keys::IMAGE_SNAPSHOT_ID]
        .into_iter()
        .find_map(|k| ctx.annotations.get(k).and_then(Parsed::text).map(|v| (k, v)));
    if let Some((key, id)) = explicit {
        req.image_snapshot_id = Some(id);
        ctx.note("ImageSnapshotId", ctx.annotation_rule(key), vec![ctx.annotation_ref(key)]);
        return;
    }
    let auto = [keys::AUTO_IMC, keys::IMAGE_CACHE]
        .into_iter()
        .find_map(|k| ctx.annotations.get(k).and_then(Parsed::bool).map(|v| (k, v)));
    match auto {
        Some((key, value)) => {
            req.auto_match_image_cache = Some(value);
            ctx.note("AutoMatchImageCache", ctx.annotation_rule(key), vec![ctx.annotation_ref(key)]);
        }
        None => {
            req.auto_match_image_cache = Some(true);
            ctx.note(
                "AutoMatchImageCache",
                "default of k8s.aliyun.com/eci-auto-imc (true, ECI \"Pod annotations\" page)",
                vec![],
            );
        }
    }
}

fn apply_acr(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    let Some((key, ids)) = [keys::ACR_INSTANCE_IDS, keys::ACR_INSTANCE_ID]
        .into_iter()
        .find_map(|k| ctx.annotations.get(k).map(|v| (k, v.list())))
    else {
        for k in [keys::ACR_SERVICE_ARNS, keys::ACR_USER_ARNS] {
            if ctx.annotations.has(k) {
                ctx.push(Diagnostic::pod(
                    Severity::Warning,
                    Code::Dropped,
                    ctx.annotation_ref(k).pointer,
                    format!(
                        "{k} applies to the instances of k8s.aliyun.com/acr-instance-ids, which is not set; ignored"
                    ),
                ));
            }
        }
        return;
    };
    let arns = |k: &str, ctx: &mut Ctx<'_>| -> Vec<Option<String>> {
        let list = ctx.annotations.get(k).map(Parsed::list).unwrap_or_default();
        match list.len() {
            0 => vec![None; ids.len()],
            1 => vec![list.first().cloned(); ids.len()],
            n if n == ids.len() => list.into_iter().map(Some).collect(),
            n => {
                ctx.push(
                    Diagnostic::pod(
                        Severity::Error,
                        Code::Conflict,
                        ctx.annotation_ref(k).pointer,
                        format!("{k} lists {n} ARNs for {} ACR instances", ids.len()),
                    )
                    .help("give one ARN for all instances, or one per instance in the same order"),
                );
                vec![None; ids.len()]
            }
        }
    };
    let service = arns(keys::ACR_SERVICE_ARNS, ctx);
    let user = arns(keys::ACR_USER_ARNS, ctx);
    for (i, id) in ids.iter().enumerate() {
        let (region, instance) = match id.rsplit_once(':') {
            Some((r, i)) => (r.to_string(), i.to_string()),
            None => (ctx.input.cluster.region_id.clone(), id.clone()),
        };
        req.acr_registry_info.push(AcrRegistryInfo {
            instance_id: Some(instance),
            region_id: Some(region),
            arn_service: service.get(i).cloned().flatten(),
            arn_user: user.get(i).cloned().flatten(),
            ..Default::default()
        });
        let mut inputs = vec![ctx.annotation_ref(key)];
        for k in [keys::ACR_SERVICE_ARNS, keys::ACR_USER_ARNS] {
            if ctx.annotations.has(k) {
                inputs.push(ctx.annotation_ref(k));
            }
        }
        ctx.note(
            format!("AcrRegistryInfo.{}", i + 1),
            format!("{} (region defaults to the cluster's)", ctx.annotation_rule(key)),
            inputs,
        );
    }
}

fn quantity_units(ctx: &mut Ctx<'_>, key: &str) -> Option<i128> {
    let text = ctx.annotations.get(key).and_then(Parsed::text)?;
    Quantity::parse(&text).ok().and_then(|q| q.units_ceil())
}

fn apply_bandwidth(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    // Kubernetes bandwidth annotations are quantities in bit/s (`40M` = 40 Mbit/s).
    for (key, param) in
        [("kubernetes.io/ingress-bandwidth", "IngressBandwidth"), ("kubernetes.io/egress-bandwidth", "EgressBandwidth")]
    {
        let Some(bits) = quantity_units(ctx, key) else {
            continue;
        };
        let Ok(bits) = i64::try_from(bits) else {
            continue;
        };
        if param == "IngressBandwidth" {
            req.ingress_bandwidth = Some(bits);
        } else {
            req.egress_bandwidth = Some(bits);
        }
        ctx.note(param, format!("{} as bit/s", ctx.annotation_rule(key)), vec![ctx.annotation_ref(key)]);
    }
    // The IPv6 gateway bandwidth is a string in Mbit/s (`100M` → `100`).
    let key = "k8s.aliyun.com/eci-ipv6-bandwidth";
    if let Some(bits) = quantity_units(ctx, key) {
        let mbits = (bits + 999_999) / 1_000_000;
        req.ipv6_gateway_bandwidth = Some(mbits.to_string());
        ctx.note(
            "Ipv6GatewayBandwidth",
            format!("{} in Mbit/s (rounded up)", ctx.annotation_rule(key)),
            vec![ctx.annotation_ref(key)],
        );
    }
}

fn apply_misc(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    let key = "k8s.aliyun.com/eci-extra-ephemeral-storage";
    if let Some(bytes) = quantity_units(ctx, key) {
        let gib = (bytes + GIB - 1) / GIB;
        req.ephemeral_storage = i64::try_from(gib).ok();
        ctx.note(
            "EphemeralStorage",
            format!("{} ({}) in whole GiB, rounded up", ctx.annotation_rule(key), format_bytes(bytes)),
            vec![ctx.annotation_ref(key)],
        );
    }
    let key = "k8s.aliyun.com/eci-core-pattern";
    if let Some(pattern) = ctx.annotations.get(key).and_then(Parsed::text) {
        if pattern.starts_with('|') {
            ctx.push(
                Diagnostic::pod(
                    Severity::Error,
                    Code::InvalidAnnotation,
                    ctx.annotation_ref(key).pointer,
                    "the core pattern must not start with `|` (ECI cannot pipe core dumps to a program)",
                )
                .help("give a path such as /pod/data/dump/core"),
            );
        } else {
            req.core_pattern = Some(pattern);
            ctx.note("CorePattern", ctx.annotation_rule(key), vec![ctx.annotation_ref(key)]);
        }
    }
    if let Some(categories) = ctx.annotations.get(keys::COMPUTE_CATEGORY).map(Parsed::list) {
        if req.spot_strategy.as_deref().is_some_and(|s| s != "NoSpot") {
            ctx.push(
                Diagnostic::pod(Severity::Error, Code::Conflict, ctx.annotation_ref(keys::COMPUTE_CATEGORY).pointer,
                    "a compute category cannot be combined with a spot instance (ECI answers FeatureBasedConstraintConflict)")
                    .help("remove one of k8s.aliyun.com/eci-compute-category and k8s.aliyun.com/eci-spot-strategy"),
            );
        }
        req.compute_category = categories;
        ctx.note(
            "ComputeCategory",
            ctx.annotation_rule(keys::COMPUTE_CATEGORY),
            vec![ctx.annotation_ref(keys::COMPUTE_CATEGORY)],
        );
    }
    if let Some(Parsed::Json(value)) = ctx.annotations.get(keys::HOST_SYSCTLS).cloned() {
        match keys::host_sysctls(&value) {
            Ok(sysctls) => {
                let n = sysctls.sysctl.len();
                req.host_security_context.get_or_insert_with(Default::default).sysctl.extend(sysctls.sysctl);
                let start = req.host_security_context.as_ref().map_or(0, |h| h.sysctl.len()) - n;
                for i in start..start + n {
                    ctx.note(
                        format!("HostSecurityContext.Sysctl.{}", i + 1),
                        format!("{} (host sysctls granted by ticket)", ctx.annotation_rule(keys::HOST_SYSCTLS)),
                        vec![ctx.annotation_ref(keys::HOST_SYSCTLS)],
                    );
                }
            }
            Err(why) => ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::InvalidAnnotation,
                ctx.annotation_ref(keys::HOST_SYSCTLS).pointer,
                why,
            )),
        }
    }
}

/// `tesla=<major>` (since 2025-03-17 only the major version is given; 525 is
/// retired and falls back to 535; docs/annotations.md#gpu-driver-version).
fn check_gpu_driver(ctx: &mut Ctx<'_>) {
    let key = "k8s.aliyun.com/eci-gpu-driver-version";
    let Some(value) = ctx.annotations.get(key).and_then(Parsed::text) else { return };
    let version = value
        .strip_prefix("tesla=")
        .filter(|v| !v.is_empty() && v.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())));
    let origin = ctx.annotation_ref(key);
    match version {
        None => ctx.push(
            Diagnostic::pod(
                Severity::Error,
                Code::InvalidAnnotation,
                origin.pointer,
                format!("`{value}` is not `tesla=<version>`"),
            )
            .help("e.g. tesla=535")
            .on(origin.input),
        ),
        Some(v) if v.split('.').next() == Some("525") => ctx.push(
            Diagnostic::pod(
                Severity::Warning,
                Code::Converted,
                origin.pointer,
                "driver 525 is no longer offered; ECI falls back to 535",
            )
            .help("use tesla=535")
            .on(origin.input),
        ),
        Some(v) if v.contains('.') => ctx.push(
            Diagnostic::pod(
                Severity::Info,
                Code::Converted,
                origin.pointer,
                "since 2025-03-17 ECI expects only the major driver version (e.g. tesla=535)",
            )
            .on(origin.input),
        ),
        Some(_) => {}
    }
}

fn check_private_pool(ctx: &mut Ctx<'_>) {
    let criteria = ctx.annotations.get(keys::PRIVATEPOOL_CRITERIA).and_then(Parsed::text);
    let id = ctx.annotations.has(keys::PRIVATEPOOL_ID);
    if criteria.as_deref() == Some("Target") && !id {
        ctx.push(
            Diagnostic::pod(
                Severity::Error,
                Code::MissingField,
                ctx.annotation_ref(keys::PRIVATEPOOL_CRITERIA).pointer,
                "eci-privatepool-matchcriteria: Target needs k8s.aliyun.com/eci-privatepool-id",
            )
            .help("add the private pool ID (eap-…), or use Open"),
        );
    }
    if criteria.as_deref() == Some("Open") && id {
        ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::Dropped,
            ctx.annotation_ref(keys::PRIVATEPOOL_ID).pointer,
            "eci-privatepool-id is ignored when the match criteria is Open",
        ));
    }
}

/// True when the pod selects arm64 nodes.
fn selects_arm64(pod: &Pod) -> bool {
    let spec = pod.spec.as_ref();
    spec.and_then(|s| s.node_selector.as_ref()).and_then(|n| n.get("kubernetes.io/arch")).is_some_and(|a| a == "arm64")
}

/// Sizes the pod and writes `Cpu`/`Memory`/`InstanceType`/`CpuArchitecture`.
pub(super) fn apply_sizing(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) -> Sizing {
    let use_specs =
        ctx.annotations.get(keys::USE_SPECS).map(Parsed::list).and_then(|l| UseSpecs::parse(&l.join(",")).ok());
    let arm64 = selects_arm64(ctx.pod) || use_specs.as_ref().is_some_and(UseSpecs::has_arm);
    let options = SizingOptions {
        use_specs,
        region: ctx.input.cluster.region_id.clone(),
        spot: req.spot_strategy.as_deref().is_some_and(|s| s != "NoSpot"),
        arm64,
    };
    let sizing = size_pod(ctx.pod, &options, &mut ctx.diags);
    match &sizing.instance {
        InstanceSize::UseSpecs { specs } => {
            req.instance_type = Some(specs.entries().join(","));
            ctx.note(
                "InstanceType",
                format!(
                    "{}: candidates tried in order; container limits and requests do not size the instance",
                    ctx.annotation_rule(keys::USE_SPECS)
                ),
                vec![ctx.annotation_ref(keys::USE_SPECS)],
            );
        }
        InstanceSize::Derived { spec, basis, inputs, cpu_millis, memory_bytes } => {
            req.cpu = Some(millis_to_vcpu(spec.cpu_millis));
            req.memory = Some(bytes_to_gib(spec.memory_bytes()));
            let inputs: Vec<InputRef> = inputs.iter().map(InputRef::pod).collect();
            let exact = spec.cpu_millis == *cpu_millis && spec.memory_bytes() == *memory_bytes;
            let rounded = if exact {
                format!("{basis}, which is spec {}", spec.name())
            } else {
                format!("{basis}, rounded up to spec {}", spec.name())
            };
            ctx.note("Cpu", rounded.clone(), inputs.clone());
            ctx.note("Memory", rounded, inputs);
        }
        InstanceSize::ArmDefault => {
            req.instance_type = Some(ARM_DEFAULT_INSTANCE_TYPE.into());
            ctx.note(
                "InstanceType",
                "arm64 pod without cpu, memory or eci-use-specs: the documented default ARM type (2 vCPU / 4 GiB)",
                vec![InputRef::pod("/spec/nodeSelector/kubernetes.io~1arch")],
            );
        }
        InstanceSize::TooLarge => {}
    }
    if arm64 {
        req.cpu_architecture = Some("ARM64".into());
        let from = if selects_arm64(ctx.pod) {
            InputRef::pod("/spec/nodeSelector/kubernetes.io~1arch")
        } else {
            ctx.annotation_ref(keys::USE_SPECS)
        };
        ctx.note("CpuArchitecture", "the pod selects kubernetes.io/arch: arm64", vec![from]);
        if ctx.annotations.has(keys::COMPUTE_CATEGORY) {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::Conflict,
                ctx.annotation_ref(keys::COMPUTE_CATEGORY).pointer,
                "a compute category cannot be combined with ARM (ECI answers FeatureBasedConstraintConflict)",
            ));
        }
    }
    if matches!(sizing.instance, InstanceSize::UseSpecs { .. }) && ctx.annotations.has(keys::COMPUTE_CATEGORY) {
        let only_types = matches!(&sizing.instance, InstanceSize::UseSpecs { specs } if specs.0.iter().all(|s| matches!(s, crate::sizing::UseSpec::InstanceType { .. })));
        if only_types {
            ctx.push(Diagnostic::pod(
                Severity::Warning,
                Code::Dropped,
                ctx.annotation_ref(keys::COMPUTE_CATEGORY).pointer,
                "a compute category applies only to vCPU-memory specs; with ECS instance types ECI ignores it",
            ));
        }
    }
    sizing
}
