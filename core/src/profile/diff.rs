//! What changes between two profiles, and what each change affects.
//!
//! The documented hot-update rule (docs/eci-profile.md#hot-update): changes
//! "apply to newly created ECI pods without restarting ack-virtual-node;
//! existing pods only after rolling update". Every change below says which
//! new pods it touches; none touches a running pod.

use serde::Serialize;
use serde_json::Value;

use super::{EciProfile, Selector};

/// One difference.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileChange {
    /// Pointer into the new ConfigMap (or the old one, for removals).
    pub path: String,
    /// `added`, `removed`, `changed` or `moved`.
    pub change: &'static str,
    /// The old value, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The new value, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    /// Which pods it affects, in words.
    pub affects: String,
}

const NEW_PODS: &str = "pods created after the change; running pods keep their instances until they are re-created";

fn scalar_changes(old: &EciProfile, new: &EciProfile) -> Vec<ProfileChange> {
    let o = crate::json::to_value(old);
    let n = crate::json::to_value(new);
    let keys: [(&str, &str, &str); 13] = [
        ("vpcId", "vpcId", "the VPC of new ECI instances; the vSwitches and security group must belong to it"),
        (
            "vswitchIds",
            "vSwitchIds",
            "the vSwitches (zones) new ECI instances are created in, and the virtual nodes (one per zone)",
        ),
        ("securityGroupId", "securityGroupId", "the security group of new ECI instances"),
        ("resourceGroupId", "resourceGroupId", "the resource group new ECI instances are billed to"),
        ("enableClusterIp", "enableClusterIp", "whether new ECI pods can reach ClusterIP Services"),
        ("enableHybridMode", "enableHybridMode", "hybrid-cloud mode for new ECI pods"),
        (
            "enableLinuxArm64Node",
            "enableLinuxArm64Node",
            "whether ARM64 virtual nodes exist, so arm64 pods can be scheduled",
        ),
        ("enableLogController", "enableLogController", "SLS log collection for new ECI pods"),
        ("enablePvcController", "enablePVCController", "online expansion of disk claims"),
        ("enablePrivateZone", "enablePrivateZone", "PrivateZone service discovery for new ECI pods"),
        ("enableReuseSslKey", "enableReuseSSLKey", "whether new ECI pods share one SSL key"),
        ("featureGates", "featureGates", "the provider features (e.g. WaitForFirstConsumer storage binding)"),
        ("slsMachineGroup", "slsMachineGroup", "the SLS machine group of new ECI pods"),
    ];
    let mut changes = Vec::new();
    for (field, key, what) in keys {
        let (a, b) = (o.get(field).cloned().unwrap_or(Value::Null), n.get(field).cloned().unwrap_or(Value::Null));
        if a == b {
            continue;
        }
        let change = match (a.is_null(), b.is_null()) {
            (true, false) => "added",
            (false, true) => "removed",
            _ => "changed",
        };
        changes.push(ProfileChange {
            path: format!("/data/{key}"),
            change,
            old: (!a.is_null()).then_some(a),
            new: (!b.is_null()).then_some(b),
            affects: format!("{what}: {NEW_PODS}"),
        });
    }
    changes
}

fn selector_json(s: &Selector) -> Value {
    crate::json::to_value(s)
}

fn selector_affects(s: &Selector) -> String {
    match (s.routes(), s.effect.is_some()) {
        (true, true) => format!(
            "new pods it matches are sent to ECI and get its effect; regenerate the webhook configuration; {NEW_PODS}"
        ),
        (true, false) => {
            format!("new pods it matches are sent to ECI; regenerate the webhook configuration; {NEW_PODS}")
        }
        (false, _) => format!("its effect is added to every new pod that goes to ECI; {NEW_PODS}"),
    }
}

fn selector_changes(old: &[Selector], new: &[Selector]) -> Vec<ProfileChange> {
    let mut changes = Vec::new();
    for (i, s) in new.iter().enumerate() {
        let path = format!("/data/selectors/{i}");
        match old.iter().position(|o| o.name == s.name) {
            None => changes.push(ProfileChange {
                path,
                change: "added",
                old: None,
                new: Some(selector_json(s)),
                affects: selector_affects(s),
            }),
            Some(j) => {
                if old[j] != *s {
                    changes.push(ProfileChange {
                        path: path.clone(),
                        change: "changed",
                        old: Some(selector_json(&old[j])),
                        new: Some(selector_json(s)),
                        affects: selector_affects(s),
                    });
                }
                if j != i {
                    changes.push(ProfileChange {
                        path,
                        change: "moved",
                        old: Some(Value::from(j)),
                        new: Some(Value::from(i)),
                        affects: format!(
                            "order decides which selector's effect wins when several set the same key (earlier wins); {NEW_PODS}"
                        ),
                    });
                }
            }
        }
    }
    for (j, o) in old.iter().enumerate() {
        if !new.iter().any(|s| s.name == o.name) {
            changes.push(ProfileChange {
                path: format!("/data/selectors/{j}"),
                change: "removed",
                old: Some(selector_json(o)),
                new: None,
                affects: format!("new pods it matched are no longer routed or changed by it; {NEW_PODS}"),
            });
        }
    }
    changes
}

/// Every difference between `old` and `new`, data keys first, then selectors
/// (matched by name).
pub fn diff_profiles(old: &EciProfile, new: &EciProfile) -> Vec<ProfileChange> {
    let mut changes = scalar_changes(old, new);
    changes.extend(selector_changes(&old.selectors, &new.selectors));
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::parse_profile;
    use serde_json::json;

    fn profile(data: Value) -> EciProfile {
        parse_profile(&json!({"kind": "ConfigMap", "data": data})).0
    }

    #[test]
    fn lists_scalar_and_selector_changes() {
        let old = profile(json!({"vSwitchIds": "vsw-1", "securityGroupId": "sg-1",
            "selectors": "[{\"name\":\"a\",\"objectSelector\":{\"matchLabels\":{\"x\":\"1\"}}},{\"name\":\"b\",\"effect\":{\"labels\":{\"l\":\"v\"}}},{\"name\":\"gone\",\"objectSelector\":{}}]"}));
        let new = profile(json!({"vSwitchIds": "vsw-1,vsw-2", "securityGroupId": "sg-1", "enablePrivateZone": "true",
            "selectors": "[{\"name\":\"b\",\"effect\":{\"labels\":{\"l\":\"w\"}}},{\"name\":\"a\",\"objectSelector\":{\"matchLabels\":{\"x\":\"1\"}}},{\"name\":\"new\",\"namespaceSelector\":{}}]"}));
        let changes = diff_profiles(&old, &new);
        let summary: Vec<(String, &str)> = changes.iter().map(|c| (c.path.clone(), c.change)).collect();
        assert_eq!(
            summary,
            vec![
                ("/data/vSwitchIds".to_string(), "changed"),
                ("/data/enablePrivateZone".to_string(), "changed"),
                ("/data/selectors/0".to_string(), "changed"),
                ("/data/selectors/0".to_string(), "moved"),
                ("/data/selectors/1".to_string(), "moved"),
                ("/data/selectors/2".to_string(), "added"),
                ("/data/selectors/2".to_string(), "removed"),
            ]
        );
        assert!(changes.iter().all(|c| c.affects.contains("running pods keep")));
        assert!(diff_profiles(&new, &new).is_empty());
    }
}
