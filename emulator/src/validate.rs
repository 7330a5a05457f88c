//! Parameter checks: required fields, value types and the documented limits
//! (docs/eci-api.md), answered as ECI answers them
//! (`MissingParameter`, `InvalidParameter`).
//!
//! The limits are the core's where the core has them (the translator refuses
//! a pod over [`MAX_CONTAINERS`] or [`MAX_VOLUMES`] before a request exists),
//! so a request our translator produces and a request the emulator accepts
//! agree by construction.

use std::collections::BTreeSet;

use eci_bridge_core::eci::wire::WireParams;
use eci_bridge_core::{MAX_CONTAINERS, MAX_REGISTRY_CREDENTIALS, MAX_VOLUMES};

use crate::error::ApiError;

/// Tags per instance (docs/eci-api.md#tags).
pub const MAX_TAGS: usize = 20;
/// Environment variables per container (docs/eci-api.md#instance-limits).
pub const MAX_ENV: usize = 100;
/// Ports per container (docs/eci-api.md#instance-limits).
pub const MAX_PORTS: usize = 100;
/// Volume mounts per container (docs/eci-api.md#instance-limits).
pub const MAX_MOUNTS: usize = 16;
/// IDs in one `ContainerGroupIds` (docs/eci-api.md#describecontainergroups, #describecontainergroupstatus).
pub const MAX_IDS: usize = 20;

/// A parameter that must be there.
pub fn required<'a>(params: &'a WireParams, name: &str) -> Result<&'a str, ApiError> {
    params.get(name).filter(|v| !v.is_empty()).ok_or_else(|| ApiError::missing(name))
}

/// The indices `1..=n` of a repeat list `prefix.N.…`, checked contiguous.
pub fn indices(params: &WireParams, prefix: &str) -> Result<Vec<usize>, ApiError> {
    let found: BTreeSet<usize> = params
        .iter()
        .filter_map(|(name, _)| name.strip_prefix(prefix)?.strip_prefix('.')?.split('.').next()?.parse().ok())
        .collect();
    let n = found.len();
    if found.iter().copied().ne(1..=n) {
        return Err(ApiError::invalid(prefix, "list indices must run 1, 2, 3… without gaps"));
    }
    Ok((1..=n).collect())
}

/// The type of a scalar parameter, by the last segment of its wire name.
fn scalar_type(name: &str) -> Option<&'static str> {
    let last = name.rsplit('.').next().unwrap_or(name);
    Some(match last {
        "Cpu" | "Memory" | "SpotPriceLimit" => "Float",
        "Gpu"
        | "Port"
        | "RunAsUser"
        | "InitialDelaySeconds"
        | "PeriodSeconds"
        | "SuccessThreshold"
        | "FailureThreshold"
        | "TimeoutSeconds"
        | "TerminationGracePeriodSeconds"
        | "ActiveDeadlineSeconds"
        | "EphemeralStorage"
        | "DefaultMode"
        | "Mode"
        | "Limit"
        | "SinceSecond"
        | "SinceSeconds"
        | "Tail"
        | "LimitBytes"
        | "Ipv6AddressCount"
        | "SpotDuration" => "Integer",
        "ReadOnly"
        | "Stdin"
        | "StdinOnce"
        | "Tty"
        | "TTY"
        | "DryRun"
        | "WithEvent"
        | "Force"
        | "Sync"
        | "AutoMatchImageCache"
        | "AutoCreateEip"
        | "ReadOnlyRootFilesystem"
        | "LastTime"
        | "Timestamps"
        | "ShareProcessNamespace"
        | "Privileged"
        | "StrictSpot" => "Boolean",
        _ => return None,
    })
}

/// A Boolean parameter's value: `true` in any case (the Python SDK sends
/// `True`), false when absent.
pub fn flag(params: &WireParams, name: &str) -> bool {
    params.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Every scalar whose name says Float, Integer or Boolean holds one.
pub fn types(params: &WireParams) -> Result<(), ApiError> {
    for (name, value) in params.iter() {
        let ok = match scalar_type(name) {
            Some("Float") => value.parse::<f64>().is_ok_and(f64::is_finite),
            Some("Integer") => value.parse::<i64>().is_ok(),
            Some("Boolean") => value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false"),
            _ => true,
        };
        if !ok {
            let kind = scalar_type(name).unwrap_or("String");
            return Err(ApiError::invalid(name, format!("`{value}` is not a {kind}")));
        }
    }
    Ok(())
}

/// `ContainerGroupName`: 2–128 of `[a-z0-9-]`, not starting or ending with `-`.
pub fn group_name(name: &str) -> Result<(), ApiError> {
    let charset = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !(2..=128).contains(&name.len()) || !charset || name.starts_with('-') || name.ends_with('-') {
        return Err(ApiError::invalid(
            "ContainerGroupName",
            "2 to 128 characters of lowercase letters, digits and hyphens, not starting or ending with a hyphen",
        ));
    }
    Ok(())
}

/// `ClientToken`: ASCII, at most 64 characters.
pub fn client_token(params: &WireParams) -> Result<Option<String>, ApiError> {
    match params.get("ClientToken") {
        None | Some("") => Ok(None),
        Some(t) if t.is_ascii() && t.len() <= 64 => Ok(Some(t.to_string())),
        Some(_) => Err(ApiError::invalid("ClientToken", "ASCII only, at most 64 characters")),
    }
}

/// The tags `Tag.N.Key/Value` (docs/eci-api.md#tags): at most 20, keys non-empty,
/// unique, ≤ 64 characters, no `http://`/`https://`, not starting with
/// `acs:` or `aliyun`; values ≤ 128 characters, not starting with `acs:`.
pub fn tags(params: &WireParams) -> Result<Vec<(String, String)>, ApiError> {
    let n = indices(params, "Tag")?;
    if n.len() > MAX_TAGS {
        return Err(ApiError::invalid("Tag", format!("{} tags; at most {MAX_TAGS}", n.len())));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for i in n {
        let key = required(params, &format!("Tag.{i}.Key"))?.to_string();
        let value = params.get(&format!("Tag.{i}.Value")).unwrap_or("").to_string();
        let url = |s: &str| s.contains("http://") || s.contains("https://");
        if key.chars().count() > 64 || url(&key) || key.starts_with("acs:") || key.starts_with("aliyun") {
            return Err(ApiError::invalid(&format!("Tag.{i}.Key"), "at most 64 characters, no URL, not acs:/aliyun"));
        }
        if value.chars().count() > 128 || url(&value) || value.starts_with("acs:") {
            return Err(ApiError::invalid(&format!("Tag.{i}.Value"), "at most 128 characters, no URL, not acs:"));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(ApiError::invalid(&format!("Tag.{i}.Key"), format!("`{key}` appears twice")));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// A `ContainerGroupIds` JSON array string: at most 20 strings.
pub fn id_list(params: &WireParams) -> Result<Option<Vec<String>>, ApiError> {
    let Some(text) = params.get("ContainerGroupIds").filter(|t| !t.is_empty()) else { return Ok(None) };
    let ids: Vec<String> = serde_json::from_str(text)
        .map_err(|_| ApiError::invalid("ContainerGroupIds", "a JSON array of instance IDs, e.g. [\"eci-…\"]"))?;
    if ids.len() > MAX_IDS {
        return Err(ApiError::invalid("ContainerGroupIds", format!("{} IDs; at most {MAX_IDS}", ids.len())));
    }
    Ok(Some(ids))
}

/// `Limit` in `1..=max`, `default` when absent.
pub fn limit(params: &WireParams, default: usize, max: usize) -> Result<usize, ApiError> {
    match params.get("Limit") {
        None | Some("") => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid("Limit", format!("an integer from 1 to {max}"))),
        },
    }
}

/// One container of a create: name, image and the per-container limits.
fn container(params: &WireParams, prefix: &str) -> Result<(), ApiError> {
    let name = required(params, &format!("{prefix}.Name"))?;
    required(params, &format!("{prefix}.Image"))?;
    let dns_label = name.len() <= 63
        && !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !dns_label {
        return Err(ApiError::invalid(&format!("{prefix}.Name"), "a DNS label: lowercase letters, digits and hyphens"));
    }
    let counted = [("EnvironmentVar", MAX_ENV), ("Port", MAX_PORTS), ("VolumeMount", MAX_MOUNTS)];
    for (list, max) in counted {
        let n = indices(params, &format!("{prefix}.{list}"))?.len();
        if n > max {
            return Err(ApiError::invalid(&format!("{prefix}.{list}"), format!("{n} entries; at most {max}")));
        }
    }
    for i in indices(params, &format!("{prefix}.EnvironmentVar"))? {
        let key = params.get(&format!("{prefix}.EnvironmentVar.{i}.Key")).unwrap_or("");
        let valid = (1..=128).contains(&key.len())
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
            && !key.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(ApiError::invalid(
                &format!("{prefix}.EnvironmentVar.{i}.Key"),
                "1 to 128 characters of letters, digits and underscores, not starting with a digit",
            ));
        }
    }
    for i in indices(params, &format!("{prefix}.Port"))? {
        let name = format!("{prefix}.Port.{i}.Port");
        let port: i64 = required(params, &name)?.parse().unwrap_or(0);
        if !(1..=65535).contains(&port) {
            return Err(ApiError::invalid(&name, "a port from 1 to 65535"));
        }
        if let Some(p) = params.get(&format!("{prefix}.Port.{i}.Protocol"))
            && !matches!(p, "TCP" | "UDP" | "tcp" | "udp")
        {
            return Err(ApiError::invalid(&format!("{prefix}.Port.{i}.Protocol"), "TCP or UDP"));
        }
    }
    Ok(())
}

/// A CreateContainerGroup's parameters, checked beyond their [`types`]
/// (which `Cloud::call` checks for every action); the region must be this
/// emulator's.
pub fn create(params: &WireParams, region: &str) -> Result<(), ApiError> {
    let requested = required(params, "RegionId")?;
    if requested != region {
        return Err(ApiError::invalid("RegionId", format!("this endpoint serves `{region}`, not `{requested}`")));
    }
    group_name(required(params, "ContainerGroupName")?)?;
    client_token(params)?;
    let containers = indices(params, "Container")?;
    if containers.is_empty() {
        return Err(ApiError::missing("Container.1.Name"));
    }
    let lists = [
        ("Container", containers.len(), MAX_CONTAINERS),
        ("Volume", indices(params, "Volume")?.len(), MAX_VOLUMES),
        ("ImageRegistryCredential", indices(params, "ImageRegistryCredential")?.len(), MAX_REGISTRY_CREDENTIALS),
    ];
    for (list, n, max) in lists {
        if n > max {
            return Err(ApiError::invalid(list, format!("{n} entries; at most {max}")));
        }
    }
    for i in containers {
        container(params, &format!("Container.{i}"))?;
    }
    for i in indices(params, "InitContainer")? {
        container(params, &format!("InitContainer.{i}"))?;
    }
    let mut names = BTreeSet::new();
    for i in indices(params, "Volume")? {
        let name = required(params, &format!("Volume.{i}.Name"))?;
        if !names.insert(name) {
            return Err(ApiError::invalid(&format!("Volume.{i}.Name"), format!("`{name}` appears twice")));
        }
    }
    if let Some(ids) = params.get("VSwitchId")
        && ids.split(',').count() > 10
    {
        return Err(ApiError::invalid("VSwitchId", "at most 10 vSwitch IDs"));
    }
    if let Some(policy) = params.get("RestartPolicy")
        && !matches!(policy, "Always" | "OnFailure" | "Never")
    {
        return Err(ApiError::invalid("RestartPolicy", "Always, OnFailure or Never"));
    }
    tags(params)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the emulator checks for a create: the types, then the rest.
    fn create(params: &WireParams, region: &str) -> Result<(), ApiError> {
        types(params).and_then(|()| super::create(params, region))
    }

    fn minimal() -> WireParams {
        WireParams::from_pairs([
            ("RegionId", "cn-hangzhou"),
            ("ContainerGroupName", "web-1"),
            ("Container.1.Name", "web"),
            ("Container.1.Image", "nginx"),
        ])
    }

    fn with(extra: &[(&str, &str)], without: &[&str]) -> WireParams {
        let mut all = minimal().into_inner();
        for name in without {
            all.remove(*name);
        }
        all.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        WireParams::from_pairs(all)
    }

    #[test]
    fn the_minimal_request_passes_and_each_missing_field_is_named() {
        create(&minimal(), "cn-hangzhou").expect("valid");
        for name in ["RegionId", "ContainerGroupName", "Container.1.Image"] {
            let e = create(&with(&[], &[name]), "cn-hangzhou").unwrap_err();
            assert_eq!((e.code.as_str(), e.message.contains(name)), ("MissingParameter", true), "{name}: {e}");
        }
    }

    #[test]
    fn documented_limits_are_invalid_parameters() {
        let cases: &[&[(&str, &str)]] = &[
            &[("ContainerGroupName", "Web")],
            &[("ContainerGroupName", "-web")],
            &[("Container.1.Cpu", "two")],
            &[("Container.1.Port.1.Port", "70000")],
            &[("Container.1.EnvironmentVar.1.Key", "1ABC")],
            &[("Container.3.Name", "gap"), ("Container.3.Image", "x")],
            &[("ClientToken", "令牌")],
            &[("Tag.1.Key", "acs:x")],
            &[("RestartPolicy", "Sometimes")],
            &[("RegionId", "cn-beijing")],
        ];
        for extra in cases {
            let e = create(&with(extra, &[]), "cn-hangzhou").unwrap_err();
            assert_eq!(e.code, "InvalidParameter", "{extra:?}: {e}");
        }
        let many: Vec<(String, String)> = (1..=21)
            .flat_map(|i| [(format!("Tag.{i}.Key"), format!("k{i}")), (format!("Tag.{i}.Value"), "v".into())])
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(create(&with(&many, &[]), "cn-hangzhou").unwrap_err().code, "InvalidParameter");
    }

    #[test]
    fn id_lists_are_json_arrays_of_at_most_twenty() {
        let ids = |t: &str| id_list(&WireParams::from_pairs([("ContainerGroupIds", t)]));
        assert_eq!(ids(r#"["eci-1","eci-2"]"#).expect("valid"), Some(vec!["eci-1".into(), "eci-2".into()]));
        assert!(ids("eci-1").is_err());
        let many = serde_json::to_string(&(0..21).map(|i| format!("eci-{i}")).collect::<Vec<_>>()).expect("json");
        assert!(ids(&many).is_err());
    }
}
