//! Placement (vSwitches, security groups, resource group), DNS and
//! `/etc/hosts`.

use super::Ctx;
use crate::annotations::Parsed;
use crate::annotations::registry::{CUSTOM_DNS, CUSTOM_HOSTS, RESOURCE_GROUP, SECURITY_GROUP, VSWITCH};
use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};
use crate::eci::{CreateContainerGroupRequest, DnsConfig, DnsOption, HostAliase};
use crate::explain::InputRef;
use crate::text::split_list;

/// The first of annotation, profile and cluster that gives a value.
fn pick(
    ctx: &Ctx<'_>,
    annotation: &str,
    profile: Option<(String, &str)>,
    cluster: Option<(String, &str)>,
) -> Option<(String, String, InputRef)> {
    if let Some(v) = ctx.annotations.get(annotation).and_then(Parsed::text) {
        return Some((v, ctx.annotation_rule(annotation), ctx.annotation_ref(annotation)));
    }
    if let Some((v, key)) = profile.filter(|(v, _)| !v.is_empty()) {
        return Some((
            v,
            format!("eci-profile {key} (no annotation)"),
            InputRef::of(Input::Profile, format!("/data/{key}")),
        ));
    }
    cluster.filter(|(v, _)| !v.is_empty()).map(|(v, key)| {
        (
            v,
            format!("cluster settings {key} (no annotation, no eci-profile value)"),
            InputRef::of(Input::Cluster, format!("/{key}")),
        )
    })
}

pub(super) fn apply_placement(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    let profile = ctx.input.profile;
    let cluster = ctx.input.cluster;

    let vswitch = pick(
        ctx,
        VSWITCH,
        profile.map(|p| (p.vswitch_ids.join(","), "vSwitchIds")),
        Some((cluster.vswitch_ids.join(","), "vswitchIds")),
    );
    match vswitch {
        Some((v, rule, from)) => {
            if split_list(&v).len() > 10 {
                ctx.push(Diagnostic::pod(Severity::Error, Code::OverLimit, from.pointer.clone(), "ECI accepts at most 10 vSwitches").on(from.input.clone()));
            }
            req.v_switch_id = Some(split_list(&v).join(","));
            ctx.note("VSwitchId", rule, vec![from]);
        }
        None => ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::Defaulted,
            crate::annotations::pointer(VSWITCH),
            "no vSwitch is configured; ECI uses (or creates) the region's default VPC and vSwitch, which cannot reach the cluster",
        )
        .help("set vSwitchIds in the eci-profile")),
    }

    let sg = pick(
        ctx,
        SECURITY_GROUP,
        profile.and_then(|p| p.security_group_id.clone()).map(|v| (v, "securityGroupId")),
        cluster.security_group_id.clone().map(|v| (v, "securityGroupId")),
    );
    match sg {
        Some((v, rule, from)) => {
            req.security_group_id = Some(split_list(&v).join(","));
            ctx.note("SecurityGroupId", rule, vec![from]);
        }
        None => ctx.push(
            Diagnostic::pod(
                Severity::Warning,
                Code::Defaulted,
                crate::annotations::pointer(SECURITY_GROUP),
                "no security group is configured; ECI uses the region's default security group",
            )
            .help("set securityGroupId in the eci-profile"),
        ),
    }

    let rg = pick(
        ctx,
        RESOURCE_GROUP,
        profile.and_then(|p| p.resource_group_id.clone()).map(|v| (v, "resourceGroupId")),
        cluster.resource_group_id.clone().map(|v| (v, "resourceGroupId")),
    );
    if let Some((v, rule, from)) = rg {
        req.resource_group_id = Some(v);
        ctx.note("ResourceGroupId", rule, vec![from]);
    }
}

/// Kubernetes' ClusterFirst search path for a namespace.
fn cluster_searches(namespace: &str, domain: &str) -> Vec<String> {
    vec![format!("{namespace}.svc.{domain}"), format!("svc.{domain}"), domain.to_string()]
}

fn push_unique(list: &mut Vec<String>, items: impl IntoIterator<Item = String>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

fn set_option(options: &mut Vec<DnsOption>, name: &str, value: Option<String>) {
    match options.iter_mut().find(|o| o.name.as_deref() == Some(name)) {
        Some(o) => o.value = value,
        None => options.push(DnsOption { name: Some(name.into()), value }),
    }
}

/// The cluster switches about Service access, which no CreateContainerGroup
/// parameter carries (the API has none for kube-proxy or PrivateZone):
///
/// - `ECI_KUBE_PROXY` (virtual-kubelet env, "self-managed cluster virtual
///   node" document, "修改kube-proxy配置ECI_KUBE_PROXY"): true by default, "ECI
///   pods can access ClusterIP Services"; false turns the kube-proxy of ECI
///   pods off, for Job workloads that need no ClusterIP Service and for
///   large fleets, where every pod's kube-proxy connects to the API server.
/// - `enableClusterIp` (eci-profile, "Kubernetes与ECI集成" §ECI Profile,
///   "是否支持Cluster IP", default "true"): the same feature, hot-updatable.
///   ClusterIP access is on only when both are on (the documents do not say
///   how the two combine; either one documents turning it off).
/// - `enablePrivateZone` (eci-profile, "是否使用PrivateZone做域名解析", default
///   "false"): resolve names through Alibaba Cloud PrivateZone (service
///   discovery, which the ECI overview recommends enabling).
///
/// A switch at a non-default value gets an explain row that is not sent and
/// an info diagnostic stating the effect; at its default it changes nothing
/// and is not shown.
pub(super) fn note_cluster_switches(ctx: &mut Ctx<'_>, req: &CreateContainerGroupRequest) {
    let kube_proxy = ctx.input.cluster.kube_proxy;
    let cluster_ip = ctx.input.profile.is_none_or(|p| p.enable_cluster_ip);
    let private_zone = ctx.input.profile.is_some_and(|p| p.enable_private_zone);
    let off = "no kube-proxy runs in the ECI pod, so ClusterIP Services are not reachable from it (kube-proxy inside ECI gives that access; documented off for Job pods that need no Service and for large fleets, to spare the API server the connections)";
    // The cluster DNS the pod is pointed at is itself usually a ClusterIP Service.
    let dns = (req.dns_policy.as_deref() == Some("None") && !ctx.input.cluster.cluster_dns.is_empty())
        .then(|| format!("the pod's nameserver {} is the cluster DNS, which is normally a ClusterIP Service: check that it is reachable without kube-proxy", ctx.input.cluster.cluster_dns.join(",")));
    let mut switches = Vec::new();
    if !kube_proxy {
        switches.push(("ECI_KUBE_PROXY", "false", InputRef::of(Input::Cluster, "/kubeProxy"), off.to_string()));
    }
    if !cluster_ip {
        let rule = "the ClusterIP feature is off for ECI pods (\"set to true to use Kubernetes ClusterIP\"), so ClusterIP Services are not reachable from the pod".to_string();
        switches.push(("enableClusterIp", "false", InputRef::of(Input::Profile, "/data/enableClusterIp"), rule));
    }
    if private_zone {
        switches.push((
            "enablePrivateZone",
            "true",
            InputRef::of(Input::Profile, "/data/enablePrivateZone"),
            "names are resolved through Alibaba Cloud PrivateZone (service discovery for ECI pods); the instance's DNS settings are not changed by it, and this provider does not manage PrivateZone records".to_string(),
        ));
    }
    for (name, value, at, rule) in switches {
        ctx.effect(name, value, format!("cluster switch: {rule}"), vec![at.clone()]);
        let mut d =
            Diagnostic::pod(Severity::Info, Code::Dropped, at.pointer, format!("{name}: {value}: {rule}")).on(at.input);
        if name != "enablePrivateZone"
            && let Some(dns) = &dns
        {
            d = d.help(dns.clone());
        }
        ctx.push(d);
    }
}

/// `dnsPolicy` and `dnsConfig` the way the kubelet builds resolv.conf:
/// `ClusterFirst` (the default) points at the cluster DNS with the
/// `<ns>.svc.<domain>` search path and `ndots:5`; `Default` keeps the
/// instance's (VPC) resolver; `None` uses only `dnsConfig`. `dnsConfig` is
/// merged on top (nameservers and searches appended, options by name), then
/// the `eci-custom-dnsconfig` annotation likewise.
pub(super) fn apply_dns(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    let spec = ctx.spec();
    let policy = spec.and_then(|s| s.dns_policy.clone()).unwrap_or_else(|| "ClusterFirst".into());
    let pod_config = spec.and_then(|s| s.dns_config.clone());
    let cluster = ctx.input.cluster;
    let mut config = DnsConfig::default();
    let mut inputs = vec![InputRef::pod("/spec/dnsPolicy")];
    let eci_policy = match policy.as_str() {
        "ClusterFirst" | "ClusterFirstWithHostNet" => {
            if cluster.cluster_dns.is_empty() {
                ctx.push(
                    Diagnostic::pod(
                        Severity::Warning,
                        Code::Converted,
                        "/spec/dnsPolicy",
                        "dnsPolicy ClusterFirst needs the cluster DNS address, which the cluster settings do not give; the instance uses its VPC resolver and cannot resolve Services",
                    )
                    .help("set clusterDns (e.g. 172.21.0.10) in the cluster settings"),
                );
                "Default"
            } else {
                config.name_server = cluster.cluster_dns.clone();
                config.search = cluster_searches(&ctx.namespace, &cluster.cluster_domain);
                config.option.push(DnsOption { name: Some("ndots".into()), value: Some("5".into()) });
                inputs.push(InputRef::of(Input::Cluster, "/clusterDns"));
                inputs.push(InputRef::of(Input::Cluster, "/clusterDomain"));
                "None"
            }
        }
        "Default" => "Default",
        "None" => "None",
        other => {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::InvalidValue,
                "/spec/dnsPolicy",
                format!("unknown dnsPolicy `{other}` (ClusterFirst, ClusterFirstWithHostNet, Default or None)"),
            ));
            "Default"
        }
    };
    if let Some(pc) = &pod_config {
        push_unique(&mut config.name_server, pc.nameservers.clone().unwrap_or_default());
        push_unique(&mut config.search, pc.searches.clone().unwrap_or_default());
        for o in pc.options.iter().flatten() {
            if let Some(name) = &o.name {
                set_option(&mut config.option, name, o.value.clone());
            }
        }
        inputs.push(InputRef::pod("/spec/dnsConfig"));
    }
    if policy == "None" && config.name_server.is_empty() {
        ctx.push(Diagnostic::pod(
            Severity::Error,
            Code::MissingField,
            "/spec/dnsConfig/nameservers",
            "dnsPolicy None needs at least one nameserver in dnsConfig",
        ));
    }
    let mut policy_out = eci_policy.to_string();
    if let Some(Parsed::Json(custom)) = ctx.annotations.get(CUSTOM_DNS).cloned() {
        let origin = ctx.annotation_ref(CUSTOM_DNS);
        let field = |k: &str| custom.get(k).and_then(|v| v.as_str()).map(split_list).unwrap_or_default();
        if !custom.is_object() {
            ctx.push(Diagnostic::pod(Severity::Error, Code::InvalidAnnotation, origin.pointer.clone(),
                "eci-custom-dnsconfig must be a JSON object with comma-joined strings nameservers, searches, options").on(origin.input.clone()));
        } else {
            let nameservers = field("nameservers");
            if !nameservers.is_empty() {
                policy_out = "None".into();
            }
            push_unique(&mut config.name_server, nameservers);
            push_unique(&mut config.search, field("searches"));
            for opt in field("options") {
                let (name, value) = match opt.split_once(':') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (opt.clone(), None),
                };
                set_option(&mut config.option, &name, value);
            }
            inputs.push(origin);
        }
    }
    if config.name_server.len() > 3 {
        ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::OverLimit,
            "/spec/dnsConfig/nameservers",
            format!("{} nameservers; resolv.conf uses only the first 3", config.name_server.len()),
        ));
    }
    let rule = format!("dnsPolicy {policy} → ECI DnsPolicy {policy_out}");
    req.dns_policy = Some(policy_out);
    ctx.note("DnsPolicy", rule.clone(), inputs.clone());
    if config != DnsConfig::default() {
        req.dns_config = Some(config);
        ctx.note("DnsConfig", format!("{rule}: cluster DNS, then dnsConfig, then eci-custom-dnsconfig"), inputs);
    }
}

/// `hostAliases`, then `eci-custom-hosts` (grouped by IP), then the hostname.
pub(super) fn apply_hosts(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    let aliases = ctx.spec().and_then(|s| s.host_aliases.as_deref()).unwrap_or_default();
    for (i, alias) in aliases.iter().enumerate() {
        if crate::annotations::format::is_ipv4(&alias.ip) || alias.ip.parse::<std::net::Ipv6Addr>().is_ok() {
            req.host_aliase
                .push(HostAliase { ip: Some(alias.ip.clone()), hostname: alias.hostnames.clone().unwrap_or_default() });
            ctx.note(
                format!("HostAliase.{}", req.host_aliase.len()),
                "spec.hostAliases",
                vec![InputRef::pod(Pointer::from_tokens(["spec", "hostAliases"]).index(i))],
            );
        } else {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::InvalidValue,
                Pointer::from_tokens(["spec", "hostAliases"]).index(i).key("ip"),
                format!("`{}` is not an IP address", alias.ip),
            ));
        }
    }
    if let Some(Parsed::Json(custom)) = ctx.annotations.get(CUSTOM_HOSTS).cloned() {
        let origin = ctx.annotation_ref(CUSTOM_HOSTS);
        let entries: Option<Vec<(String, String)>> = custom.as_array().and_then(|items| {
            items
                .iter()
                .map(|e| Some((e.get("host")?.as_str()?.to_string(), e.get("ip")?.as_str()?.to_string())))
                .collect()
        });
        match entries {
            Some(entries) => {
                for (host, ip) in entries {
                    match req.host_aliase.iter_mut().find(|a| a.ip.as_deref() == Some(ip.as_str())) {
                        Some(existing) => push_unique(&mut existing.hostname, [host]),
                        None => {
                            req.host_aliase.push(HostAliase { ip: Some(ip), hostname: vec![host] });
                            let rule = ctx.annotation_rule(CUSTOM_HOSTS);
                            ctx.note(format!("HostAliase.{}", req.host_aliase.len()), rule, vec![origin.clone()]);
                        }
                    }
                }
            }
            None => ctx.push(
                Diagnostic::pod(
                    Severity::Error,
                    Code::InvalidAnnotation,
                    origin.pointer.clone(),
                    "eci-custom-hosts must be a JSON array of {\"host\": …, \"ip\": …}",
                )
                .on(origin.input.clone()),
            ),
        }
    }

    // Kubernetes: the hostname is spec.hostname, else the pod name cut to 63
    // characters without a trailing '-' or '.' (kubelet GeneratePodHostNameAndDomain).
    let (hostname, from) = match ctx.spec().and_then(|s| s.hostname.clone()).filter(|h| !h.is_empty()) {
        Some(h) => (h, "/spec/hostname"),
        None => {
            let name = ctx.pod.metadata.name.clone().unwrap_or_default();
            (crate::text::prefix_within(&name, 63).trim_end_matches(['-', '.']).to_string(), "/metadata/name")
        }
    };
    if !hostname.is_empty() {
        req.host_name = Some(hostname);
        let rule =
            if from == "/spec/hostname" { "spec.hostname" } else { "the pod name (Kubernetes' default hostname)" };
        ctx.note("HostName", rule, vec![InputRef::pod(from)]);
    }
    if ctx.spec().and_then(|s| s.set_hostname_as_fqdn) == Some(true) {
        ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::Dropped,
            "/spec/setHostnameAsFQDN",
            "setHostnameAsFQDN has no ECI equivalent; the hostname is the short name",
        ));
    }
}
