//! `DescribeContainerGroups` response items, as typed data.
//!
//! Names are the response's wire names (docs/eci-api.md#describecontainergroups). Every
//! field is optional, so items from older or newer API versions parse;
//! [`unknown_item_fields`] reports keys the API does not document. Note the response's own spelling: app
//! containers have `Commands`, init containers `Command`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};

/// Every documented field of a `ContainerGroups[]` item
/// (docs/eci-api.md#describecontainergroups); the typed model keeps only
/// those the status mapping reads.
pub const DOCUMENTED_GROUP_FIELDS: &[&str] = &[
    "ComputeCategory",
    "ContainerGroupId",
    "ContainerGroupName",
    "Containers",
    "Cpu",
    "CreationTime",
    "Discount",
    "DnsConfig",
    "DnsPolicy",
    "EciSecurityContext",
    "EniInstanceId",
    "EphemeralStorage",
    "Events",
    "ExpiredTime",
    "FailedTime",
    "HostAliases",
    "InitContainers",
    "InstanceType",
    "InternetIp",
    "IntranetIp",
    "Ipv6Address",
    "Memory",
    "RamRoleName",
    "RegionId",
    "ResourceGroupId",
    "RestartPolicy",
    "SecurityGroupId",
    "SpotPriceLimit",
    "SpotStrategy",
    "Status",
    "SucceededTime",
    "Tags",
    "TenantEniInstanceId",
    "TenantEniIp",
    "TenantSecurityGroupId",
    "TenantVSwitchId",
    "VSwitchId",
    "Volumes",
    "VpcId",
    "ZoneId",
];
/// Documented fields of `Containers[]` and `InitContainers[]`.
pub const DOCUMENTED_CONTAINER_FIELDS: &[&str] = &[
    "Args",
    "Command",
    "Commands",
    "Cpu",
    "CurrentState",
    "EnvironmentVars",
    "Gpu",
    "Image",
    "ImagePullPolicy",
    "LivenessProbe",
    "Memory",
    "Name",
    "Ports",
    "PreviousState",
    "ReadinessProbe",
    "Ready",
    "RestartCount",
    "SecurityContext",
    "Stdin",
    "StdinOnce",
    "Tty",
    "VolumeMounts",
    "WorkingDir",
];
/// Documented fields of `CurrentState` and `PreviousState`.
pub const DOCUMENTED_STATE_FIELDS: &[&str] =
    &["DetailStatus", "ExitCode", "FinishTime", "Message", "Reason", "Signal", "StartTime", "State"];
/// Documented fields of `Events[]`.
pub const DOCUMENTED_EVENT_FIELDS: &[&str] =
    &["Count", "FirstTimestamp", "LastTimestamp", "Message", "Name", "Reason", "Type"];
/// Documented fields of the response around the items.
pub const DOCUMENTED_RESPONSE_FIELDS: &[&str] = &["ContainerGroups", "NextToken", "RequestId", "TotalCount"];

fn check_keys(value: &Value, known: &[&str], at: &Pointer, out: &mut Vec<Diagnostic>) {
    let Some(map) = value.as_object() else { return };
    for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
        let suggestion = known.iter().find(|k| k.eq_ignore_ascii_case(key));
        let mut d = Diagnostic::pod(
            Severity::Warning,
            Code::UnknownField,
            at.key(key),
            format!("`{key}` is not a documented DescribeContainerGroups field; it is ignored"),
        )
        .on(Input::Instance);
        if let Some(s) = suggestion {
            d = d.help(format!("the API spells it `{s}`"));
        }
        out.push(d);
    }
}

/// Warnings for the fields of an item (or a whole response) that the API
/// does not document: typos such as `IntranetIP` would otherwise be dropped
/// silently and their data lost.
pub fn unknown_item_fields(doc: &Value) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let items: Vec<(Pointer, &Value)> = match doc.get("ContainerGroups").and_then(Value::as_array) {
        Some(list) => {
            check_keys(doc, DOCUMENTED_RESPONSE_FIELDS, &Pointer::root(), &mut out);
            list.iter().enumerate().map(|(i, v)| (Pointer::root().key("ContainerGroups").index(i), v)).collect()
        }
        None => vec![(Pointer::root(), doc)],
    };
    for (at, item) in items {
        check_keys(item, DOCUMENTED_GROUP_FIELDS, &at, &mut out);
        for list in ["Containers", "InitContainers"] {
            for (i, c) in item.get(list).and_then(Value::as_array).into_iter().flatten().enumerate() {
                let at = at.key(list).index(i);
                check_keys(c, DOCUMENTED_CONTAINER_FIELDS, &at, &mut out);
                for state in ["CurrentState", "PreviousState"] {
                    if let Some(s) = c.get(state) {
                        check_keys(s, DOCUMENTED_STATE_FIELDS, &at.key(state), &mut out);
                    }
                }
            }
        }
        for (i, e) in item.get("Events").and_then(Value::as_array).into_iter().flatten().enumerate() {
            check_keys(e, DOCUMENTED_EVENT_FIELDS, &at.key("Events").index(i), &mut out);
        }
    }
    out
}

/// The response of `DescribeContainerGroups`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeContainerGroupsResponse {
    /// The instances.
    pub container_groups: Vec<ContainerGroup>,
    /// Paging token (empty on the last page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// Request ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Number of instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_count: Option<i64>,
}

/// One instance (`ContainerGroups[]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct ContainerGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<GroupContainer>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<GroupContainer>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<GroupEvent>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<GroupTag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intranet_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internet_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub succeeded_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<String>,
    #[serde(rename = "VSwitchId", skip_serializing_if = "Option::is_none")]
    pub v_switch_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eni_instance_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spot_strategy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spot_price_limit: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compute_category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ram_role_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<i64>,
}

/// A container of an instance (`Containers[]`, `InitContainers[]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct GroupContainer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_state: Option<ContainerState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_state: Option<ContainerState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

/// `CurrentState` / `PreviousState`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct ContainerState {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_time: Option<String>,
}

/// `Events[]`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct GroupEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_timestamp: Option<String>,
}

/// `Tags[]`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct GroupTag {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_fields_are_reported_with_the_api_spelling() {
        let response = serde_json::json!({
            "RequestId": "r",
            "ContainerGroups": [{"ContainerGroupId": "eci-1", "IntranetIP": "10.0.0.1",
                "Containers": [{"Name": "a", "CurrentState": {"State": "Running", "Startime": "x"}}],
                "Events": [{"Reason": "Pulled", "Severity": "low"}]}]
        });
        let found: Vec<(String, Option<String>)> =
            unknown_item_fields(&response).into_iter().map(|d| (d.pointer, d.help)).collect();
        assert_eq!(
            found,
            vec![
                ("/ContainerGroups/0/IntranetIP".to_string(), Some("the API spells it `IntranetIp`".to_string())),
                ("/ContainerGroups/0/Containers/0/CurrentState/Startime".to_string(), None),
                ("/ContainerGroups/0/Events/0/Severity".to_string(), None),
            ]
        );
        let item = &response["ContainerGroups"][0];
        assert_eq!(unknown_item_fields(item)[0].pointer, "/IntranetIP");
    }
}
