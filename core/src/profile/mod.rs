//! The `eci-profile` ConfigMap (`kube-system/eci-profile`), the ACK form
//! (docs/eci-profile.md#configmap-keys, #selectors). Every value is a string;
//! `selectors` is a JSON array inside a string.
//!
//! Cluster parameters here are defaults "used if you do not configure the
//! parameters when you create an ECI pod": an annotation beats the profile,
//! and the profile beats the cluster settings.

pub mod diff;
pub mod effects;
pub mod selector;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};

/// What a matching selector adds to the pod ("ECI Effect").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Effect {
    /// Annotations appended (never overriding the pod's own).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Labels appended (never overriding the pod's own).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// One entry of `selectors`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Selector {
    /// Required, unique.
    pub name: String,
    /// Matches the labels of the pod's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// Matches the pod's own labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_selector: Option<LabelSelector>,
    /// What a match adds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
}

/// The parsed profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EciProfile {
    /// `vpcId`.
    pub vpc_id: Option<String>,
    /// `securityGroupId`.
    pub security_group_id: Option<String>,
    /// `vSwitchIds` (one virtual node per vSwitch zone).
    pub vswitch_ids: Vec<String>,
    /// `resourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `enableClusterIp` (default true).
    pub enable_cluster_ip: bool,
    /// `enableHybridMode`.
    pub enable_hybrid_mode: bool,
    /// `enableLinuxArm64Node`.
    pub enable_linux_arm64_node: bool,
    /// `enableLogController`.
    pub enable_log_controller: bool,
    /// `enablePVCController`.
    pub enable_pvc_controller: bool,
    /// `enablePrivateZone`.
    pub enable_private_zone: bool,
    /// `enableReuseSSLKey`.
    pub enable_reuse_ssl_key: bool,
    /// `featureGates` (`WaitForFirstConsumer=false,…`).
    pub feature_gates: BTreeMap<String, bool>,
    /// `slsMachineGroup`.
    pub sls_machine_group: Option<String>,
    /// `selectors`.
    pub selectors: Vec<Selector>,
}

impl Default for EciProfile {
    fn default() -> Self {
        EciProfile {
            vpc_id: None,
            security_group_id: None,
            vswitch_ids: Vec::new(),
            resource_group_id: None,
            enable_cluster_ip: true,
            enable_hybrid_mode: false,
            enable_linux_arm64_node: false,
            enable_log_controller: false,
            enable_pvc_controller: false,
            enable_private_zone: false,
            enable_reuse_ssl_key: false,
            feature_gates: BTreeMap::new(),
            sls_machine_group: None,
            selectors: Vec::new(),
        }
    }
}

/// Every documented key of `data`.
pub const PROFILE_KEYS: &[&str] = &[
    "enableClusterIp",
    "enableHybridMode",
    "enableLinuxArm64Node",
    "enableLogController",
    "enablePVCController",
    "enablePrivateZone",
    "enableReuseSSLKey",
    "featureGates",
    "resourceGroupId",
    "securityGroupId",
    "selectors",
    "slsMachineGroup",
    "vSwitchIds",
    "vpcId",
];

fn diag(severity: Severity, code: Code, pointer: &Pointer, message: impl Into<String>) -> Diagnostic {
    Diagnostic::pod(severity, code, pointer, message).on(Input::Profile)
}

/// True for the eci-profile ConfigMap (`kube-system/eci-profile`).
pub fn is_profile_document(doc: &Value) -> bool {
    let meta = |f: &str| doc.get("metadata").and_then(|m| m.get(f)).and_then(Value::as_str);
    doc.get("kind").and_then(Value::as_str) == Some("ConfigMap")
        && meta("name") == Some("eci-profile")
        && meta("namespace") == Some("kube-system")
}

/// The eci-profile ConfigMap as a mounted volume shows it: one file per
/// `data` key (kubelet's `..data` links and other dot-files are not keys).
pub fn profile_from_mounted_keys(files: BTreeMap<String, String>) -> Value {
    let data: serde_json::Map<String, Value> =
        files.into_iter().filter(|(k, _)| !k.starts_with('.')).map(|(k, v)| (k, Value::String(v))).collect();
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "eci-profile", "namespace": "kube-system"},
        "data": data,
    })
}

/// Reads the eci-profile from a YAML/JSON text: the eci-profile ConfigMap of
/// the stream, or its only document. Errors of the text itself (syntax,
/// limits, no profile in a stream of several documents) come back as `Err`;
/// problems inside the profile as diagnostics beside it.
pub fn profile_from_text(text: &str) -> Result<(EciProfile, Vec<Diagnostic>), Diagnostic> {
    let docs = crate::input::parse_documents(text, Input::Profile)?;
    let doc = match docs.iter().find(|d| is_profile_document(d)) {
        Some(d) => d,
        None if docs.len() == 1 => &docs[0],
        None => {
            return Err(diag(
                Severity::Error,
                Code::MissingField,
                &Pointer::root(),
                "no eci-profile ConfigMap (kube-system/eci-profile) in the stream",
            ));
        }
    };
    Ok(parse_profile(doc))
}

/// Parses the profile ConfigMap (decoded from YAML/JSON). Diagnostics point
/// into the ConfigMap: `/data/selectors/2/name`.
pub fn parse_profile(doc: &Value) -> (EciProfile, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut profile = EciProfile::default();
    let data_ptr = Pointer::root().key("data");
    let Some(data) = doc.get("data") else {
        if doc.get("kind").and_then(Value::as_str) != Some("ConfigMap") {
            diags.push(diag(
                Severity::Error,
                Code::Schema,
                &Pointer::root(),
                "the eci-profile must be a ConfigMap with `data`",
            ));
        }
        return (profile, diags);
    };
    let Some(data) = data.as_object() else {
        diags.push(diag(Severity::Error, Code::Schema, &data_ptr, "`data` must be a mapping of strings"));
        return (profile, diags);
    };
    for (key, value) in data {
        let ptr = data_ptr.key(key);
        if key == "selectors" && value.is_array() {
            // The 2021 handbook's example writes the JSON array straight into the YAML;
            // the API server refuses that (ConfigMap values are strings), but
            // the selectors are still read so every other problem shows too.
            diags.push(
                diag(
                    Severity::Error,
                    Code::Schema,
                    &ptr,
                    "`selectors` must be a string holding the JSON array, not a YAML list",
                )
                .help("write `selectors: |` and indent the JSON below it"),
            );
            profile.selectors = parse_selector_values(value, &ptr, &mut diags);
            continue;
        }
        let Some(text) = value.as_str() else {
            diags.push(
                diag(
                    Severity::Error,
                    Code::Schema,
                    &ptr,
                    format!("`{key}` must be a string (ConfigMap values are strings)"),
                )
                .help(format!("quote the value: {key}: \"{}\"", value)),
            );
            continue;
        };
        let text = text.trim();
        let flag = |diags: &mut Vec<Diagnostic>| -> Option<bool> {
            match text {
                "true" => Some(true),
                "false" => Some(false),
                _ => {
                    diags.push(diag(
                        Severity::Error,
                        Code::InvalidValue,
                        &ptr,
                        format!("`{key}` must be \"true\" or \"false\", not `{text}`"),
                    ));
                    None
                }
            }
        };
        let opt = || Some(text.to_string()).filter(|t| !t.is_empty());
        match key.as_str() {
            "vpcId" => profile.vpc_id = opt(),
            "securityGroupId" => profile.security_group_id = opt(),
            "resourceGroupId" => profile.resource_group_id = opt(),
            "slsMachineGroup" => profile.sls_machine_group = opt(),
            "vSwitchIds" => profile.vswitch_ids = vswitch_ids(text, &ptr, &mut diags),
            "vswitchIds" => {
                diags.push(
                    diag(
                        Severity::Warning,
                        Code::DeprecatedAnnotation,
                        &ptr,
                        "`vswitchIds` is the 2021 spelling; it is read as `vSwitchIds`",
                    )
                    .help("rename the key to `vSwitchIds`"),
                );
                if !data.contains_key("vSwitchIds") {
                    profile.vswitch_ids = vswitch_ids(text, &ptr, &mut diags);
                }
            }
            "enableClusterIp" => profile.enable_cluster_ip = flag(&mut diags).unwrap_or(true),
            "enableHybridMode" => profile.enable_hybrid_mode = flag(&mut diags).unwrap_or(false),
            "enableLinuxArm64Node" => profile.enable_linux_arm64_node = flag(&mut diags).unwrap_or(false),
            "enableLogController" => profile.enable_log_controller = flag(&mut diags).unwrap_or(false),
            "enablePVCController" => profile.enable_pvc_controller = flag(&mut diags).unwrap_or(false),
            "enablePrivateZone" => profile.enable_private_zone = flag(&mut diags).unwrap_or(false),
            "enableReuseSSLKey" => profile.enable_reuse_ssl_key = flag(&mut diags).unwrap_or(false),
            "featureGates" => profile.feature_gates = parse_feature_gates(text, &ptr, &mut diags),
            "selectors" => profile.selectors = parse_selectors(text, &ptr, &mut diags),
            other => {
                let mut d = diag(
                    Severity::Warning,
                    Code::UnknownField,
                    &ptr,
                    format!("unknown eci-profile key `{other}`; ignored"),
                );
                if let Some(near) =
                    PROFILE_KEYS.iter().find(|k| k.eq_ignore_ascii_case(other) || k.replace('I', "l") == other)
                {
                    d = d.help(format!("did you mean `{near}`?"));
                }
                diags.push(d);
            }
        }
    }
    (profile, diags)
}

fn parse_feature_gates(text: &str, ptr: &Pointer, diags: &mut Vec<Diagnostic>) -> BTreeMap<String, bool> {
    let mut gates = BTreeMap::new();
    for item in crate::text::split_list(text) {
        match item.split_once('=') {
            Some((k, "true")) => {
                gates.insert(k.trim().to_string(), true);
            }
            Some((k, "false")) => {
                gates.insert(k.trim().to_string(), false);
            }
            _ => diags.push(diag(
                Severity::Error,
                Code::InvalidValue,
                ptr,
                format!("feature gate `{item}` is not `Name=true|false`"),
            )),
        }
    }
    for name in gates.keys() {
        if !["WaitForFirstConsumer", "MetricsVpcNet", "ProtectionFinalizers"].contains(&name.as_str()) {
            diags.push(diag(
                Severity::Warning,
                Code::UnknownField,
                ptr,
                format!("feature gate `{name}` is not documented"),
            ));
        }
    }
    gates
}

/// `vSwitchIds`, within [`crate::limits::Limits::max_vswitches`] (each zone becomes a virtual node).
fn vswitch_ids(text: &str, ptr: &Pointer, diags: &mut Vec<Diagnostic>) -> Vec<String> {
    let ids = crate::text::split_list(text);
    let max = crate::limits::Limits::DEFAULT.max_vswitches;
    if ids.len() > max {
        diags.push(crate::limits::exceeded(Input::Profile, ptr, "vSwitch IDs", ids.len(), max));
        return Vec::new();
    }
    ids
}

fn parse_selectors(text: &str, ptr: &Pointer, diags: &mut Vec<Diagnostic>) -> Vec<Selector> {
    if text.is_empty() {
        return Vec::new();
    }
    let raw: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            diags.push(
                diag(Severity::Error, Code::Syntax, ptr, format!("`selectors` is not valid JSON: {e}"))
                    .help("selectors is a JSON array written as one string; check quotes and commas"),
            );
            return Vec::new();
        }
    };
    parse_selector_values(&raw, ptr, diags)
}

/// Reads and validates the selector array.
fn parse_selector_values(raw: &Value, ptr: &Pointer, diags: &mut Vec<Diagnostic>) -> Vec<Selector> {
    let Some(items) = raw.as_array() else {
        diags.push(diag(Severity::Error, Code::Schema, ptr, "`selectors` must be a JSON array"));
        return Vec::new();
    };
    let mut selectors = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let max = crate::limits::Limits::DEFAULT.max_selectors;
    if items.len() > max {
        diags.push(crate::limits::exceeded(Input::Profile, ptr, "selectors", items.len(), max));
    }
    for (i, item) in items.iter().enumerate().take(max) {
        let item_ptr = ptr.index(i);
        let selector: Selector = match crate::input::from_value(item, Input::Profile) {
            Ok(s) => s,
            Err(e) => {
                let at = format!("{}{}", String::from(item_ptr.clone()), e.pointer);
                diags.push(diag(
                    Severity::Error,
                    Code::Schema,
                    &Pointer(at),
                    format!("selector {i} is malformed: {}", e.message),
                ));
                continue;
            }
        };
        for key in item.as_object().into_iter().flat_map(|m| m.keys()) {
            if !["name", "namespaceSelector", "objectSelector", "effect"].contains(&key.as_str()) {
                let mut d = diag(
                    Severity::Warning,
                    Code::UnknownField,
                    &item_ptr.key(key),
                    format!("unknown selector field `{key}`; ignored"),
                );
                if ["policy", "priority"].contains(&key.as_str()) {
                    d = d.help("policy and priority belong to the open-source Selector CRD (aliyuneci/eci-profile), not to the ACK ConfigMap");
                }
                diags.push(d);
            }
        }
        if selector.name.trim().is_empty() {
            diags.push(diag(
                Severity::Error,
                Code::MissingField,
                &item_ptr.key("name"),
                "every selector needs a non-empty `name`",
            ));
        } else if let Some(first) = seen.get(&selector.name) {
            diags.push(diag(
                Severity::Error,
                Code::Conflict,
                &item_ptr.key("name"),
                format!("selector name `{}` is also used by selector {first}", selector.name),
            ));
        } else {
            seen.insert(selector.name.clone(), i);
        }
        if selector.namespace_selector.is_none() && selector.object_selector.is_none() && selector.effect.is_none() {
            diags.push(diag(
                Severity::Error,
                Code::MissingField,
                &item_ptr,
                format!("selector `{}` has neither namespaceSelector, objectSelector nor effect", selector.name),
            ));
        }
        for (field, part) in
            [("namespaceSelector", &selector.namespace_selector), ("objectSelector", &selector.object_selector)]
        {
            if let (Some(sel), Some(raw)) = (part, item.get(field)) {
                selector::validate_label_selector(raw, sel, &item_ptr.key(field), diags);
            }
        }
        let mut selector = selector;
        if let (Some(effect), Some(raw)) = (selector.effect.as_mut(), item.get("effect")) {
            selector::validate_effect(raw, effect, &item_ptr.key("effect"), diags);
        }
        selectors.push(selector);
    }
    selectors
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_documented_example() {
        let doc = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "eci-profile", "namespace": "kube-system"},
            "data": {"enableClusterIp": "true", "vSwitchIds": "vsw-1,vsw-2", "securityGroupId": "sg-1", "vpcId": "vpc-1",
                     "featureGates": "WaitForFirstConsumer=false",
                     "selectors": "[{\"name\":\"s1\",\"namespaceSelector\":{\"matchLabels\":{\"eci\":\"true\"}},\"effect\":{\"annotations\":{\"k8s.aliyun.com/eci-use-specs\":\"ecs.c6.xlarge\"}}}]"}});
        let (p, d) = parse_profile(&doc);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(p.vswitch_ids, vec!["vsw-1", "vsw-2"]);
        assert_eq!(p.selectors.len(), 1);
        assert_eq!(p.feature_gates.get("WaitForFirstConsumer"), Some(&false));
    }

    #[test]
    fn diagnostics_point_into_the_configmap() {
        let doc = json!({"kind": "ConfigMap", "data": {"vswitchIds": "vsw-1", "enablePrivateZone": "yes", "vpcld": "vpc-1",
            "selectors": "[{\"name\":\"a\",\"effect\":{}},{\"name\":\"a\",\"objectSelector\":{}},{\"name\":\"\"}]"}});
        let (p, d) = parse_profile(&doc);
        assert_eq!(p.vswitch_ids, vec!["vsw-1"]);
        let at = |ptr: &str| d.iter().find(|x| x.pointer == ptr).map(|x| x.code);
        assert_eq!(at("/data/vswitchIds"), Some(Code::DeprecatedAnnotation));
        assert_eq!(at("/data/enablePrivateZone"), Some(Code::InvalidValue));
        assert_eq!(at("/data/vpcld"), Some(Code::UnknownField));
        assert_eq!(at("/data/selectors/1/name"), Some(Code::Conflict));
        assert!(d.iter().any(|x| x.pointer == "/data/selectors/2/name" && x.code == Code::MissingField));
        assert!(d.iter().any(|x| x.pointer == "/data/selectors/2" && x.code == Code::MissingField));
        let bad_json = json!({"data": {"selectors": "[{"}});
        assert_eq!(parse_profile(&bad_json).1[0].code, Code::Syntax);
    }
}
