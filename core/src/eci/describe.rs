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

wire_struct! {
    /// One instance (`ContainerGroups[]`).
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct ContainerGroup {
        pub container_group_id: Option<String>,
        pub container_group_name: Option<String>,
        pub status: Option<String>,
        pub containers: Vec<GroupContainer>,
        pub init_containers: Vec<GroupContainer>,
        pub events: Vec<GroupEvent>,
        pub tags: Vec<GroupTag>,
        pub intranet_ip: Option<String>,
        pub internet_ip: Option<String>,
        pub ipv6_address: Option<String>,
        pub creation_time: Option<String>,
        pub succeeded_time: Option<String>,
        pub failed_time: Option<String>,
        pub expired_time: Option<String>,
        pub region_id: Option<String>,
        pub zone_id: Option<String>,
        #[serde(rename = "VSwitchId")]
        pub v_switch_id: Option<String>,
        pub vpc_id: Option<String>,
        pub security_group_id: Option<String>,
        pub eni_instance_id: Option<String>,
        pub instance_type: Option<String>,
        pub cpu: Option<f64>,
        pub memory: Option<f64>,
        pub restart_policy: Option<String>,
        pub spot_strategy: Option<String>,
        pub spot_price_limit: Option<f64>,
        pub compute_category: Option<String>,
        pub resource_group_id: Option<String>,
        pub ram_role_name: Option<String>,
        pub ephemeral_storage: Option<i64>,
        pub discount: Option<i64>,
    }
}

wire_struct! {
    /// A container of an instance (`Containers[]`, `InitContainers[]`).
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct GroupContainer {
        pub name: Option<String>,
        pub image: Option<String>,
        pub current_state: Option<ContainerState>,
        pub previous_state: Option<ContainerState>,
        pub ready: Option<bool>,
        pub restart_count: Option<i64>,
        pub cpu: Option<f64>,
        pub memory: Option<f64>,
        pub gpu: Option<i64>,
        pub commands: Vec<String>,
        pub command: Vec<String>,
        pub args: Vec<String>,
        pub image_pull_policy: Option<String>,
        pub working_dir: Option<String>,
    }
}

wire_struct! {
    /// `CurrentState` / `PreviousState`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct ContainerState {
        pub state: Option<String>,
        pub detail_status: Option<String>,
        pub reason: Option<String>,
        pub message: Option<String>,
        pub exit_code: Option<i64>,
        pub signal: Option<i64>,
        pub start_time: Option<String>,
        pub finish_time: Option<String>,
    }
}

wire_struct! {
    /// `Events[]`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct GroupEvent {
        pub count: Option<i64>,
        pub r#type: Option<String>,
        pub name: Option<String>,
        pub reason: Option<String>,
        pub message: Option<String>,
        pub first_timestamp: Option<String>,
        pub last_timestamp: Option<String>,
    }
}

wire_struct! {
    /// `Tags[]`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", default)]
    pub struct GroupTag {
        pub key: Option<String>,
        pub value: Option<String>,
    }
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
