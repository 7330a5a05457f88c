//! Snapshot tests of the way back: `fixtures/status/*.yaml` (instance →
//! pod status and Events), `fixtures/nodes/*.yaml` (settings → Nodes and
//! Leases), `fixtures/update/*.yaml` and `fixtures/delete/*.yaml` (pod
//! changes → UpdateContainerGroup / DeleteContainerGroup), plus the table
//! test of the official ECI state → phase table.

use std::collections::BTreeSet;

use eci_bridge_core::eci::describe::ContainerGroup;
use eci_bridge_core::node::NodesCase;
use eci_bridge_core::parse_documents;
use eci_bridge_core::status::case::StatusCase;
use eci_bridge_core::status::pod_status;
use eci_bridge_core::update::{UpdateCase, delete_request};
use eci_bridge_core::{Bundle, ClusterSettings, Input};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;

const NOW: &str = "2026-11-23T10:00:00Z";

fn documents(path: &std::path::Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    parse_documents(&text, Input::Pod).expect("fixture is valid YAML")
}

fn now() -> Timestamp {
    NOW.parse().expect("a valid time")
}

fn names(pod: &Pod, init: bool) -> Vec<String> {
    let spec = pod.spec.clone().unwrap_or_default();
    let list = if init { spec.init_containers.unwrap_or_default() } else { spec.containers };
    list.into_iter().map(|c| c.name).collect()
}

#[test]
fn status_fixtures() {
    insta::glob!("../../fixtures", "status/*.yaml", |path| {
        let case = StatusCase::from_documents(&documents(path)).expect("fixture is a status case");
        let view = case.map(case.now.unwrap_or_else(now), &ClusterSettings::example());
        let (result, events) = (&view, &view.events);

        insta::assert_yaml_snapshot!("status", result.status);
        insta::assert_yaml_snapshot!("status-events", events);
        insta::assert_yaml_snapshot!("status-diagnostics", view.diagnostics);

        // The phase is one of Kubernetes' five.
        let phase = result.status.phase.as_deref().unwrap_or_default();
        assert!(["Pending", "Running", "Succeeded", "Failed", "Unknown"].contains(&phase), "phase {phase}");
        // One status per declared container, matched by name, in the pod's order.
        for (init, statuses) in
            [(false, &result.status.container_statuses), (true, &result.status.init_container_statuses)]
        {
            let got: Vec<String> = statuses.iter().flatten().map(|s| s.name.clone()).collect();
            assert_eq!(got, names(&case.pod, init), "{} container statuses", if init { "init" } else { "app" });
        }
        // Events name the pod and never repeat a (reason, message) pair.
        let mut seen = BTreeSet::new();
        for e in events {
            assert_eq!(e.involved_object.name, case.pod.metadata.name);
            assert!(["Normal", "Warning"].contains(&e.type_.as_deref().unwrap_or_default()));
            assert!(seen.insert((e.reason.clone(), e.message.clone())), "duplicate event {:?}", e.reason);
        }
        // Deterministic, and the merged pod carries exactly this status.
        let again = case.map(case.now.unwrap_or_else(now), &ClusterSettings::example());
        assert_eq!(again.status, result.status);
        assert_eq!(view.pod.status.as_ref(), Some(&view.status));
    });
}

/// The official table (docs/status.md#phase-table), written
/// out here independently of the core's own copy.
const OFFICIAL_PHASES: [(&str, &str); 10] = [
    ("Scheduling", "Pending"),
    ("Pending", "Pending"),
    ("Running", "Running"),
    ("Restarting", "Pending"),
    ("Updating", "Pending"),
    ("Terminating", "Running"),
    ("Succeeded", "Succeeded"),
    ("Failed", "Failed"),
    ("Expired", "Failed"),
    ("ScheduleFailed", "Failed"),
];

#[test]
fn each_eci_status_maps_to_its_official_phase() {
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "web", "namespace": "default", "uid": "u-1"},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]}
    }))
    .expect("a pod");
    for (eci, phase) in OFFICIAL_PHASES {
        let group: ContainerGroup = serde_json::from_value(serde_json::json!({
            "ContainerGroupId": "eci-1", "Status": eci, "CreationTime": "2026-11-23T09:00:00Z",
            "Containers": [{"Name": "web", "Image": "nginx", "CurrentState": {"State": "Running"}}]
        }))
        .expect("an item");
        let result = pod_status(&group, &pod, now(), &ClusterSettings::example());
        assert_eq!(result.status.phase.as_deref(), Some(phase), "ECI {eci}");
        if eci == "Expired" {
            assert_eq!(result.status.reason.as_deref(), Some("BidFailed"));
        }
    }
    // Every status of the official table appears in the fixtures too.
    let fixtures: BTreeSet<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/status"))
        .expect("fixtures/status")
        .filter_map(|e| {
            let case = StatusCase::from_documents(&documents(&e.ok()?.path())).ok()?;
            case.group?.status
        })
        .collect();
    for (eci, _) in OFFICIAL_PHASES {
        assert!(fixtures.contains(eci), "no fixture has an instance in {eci}");
    }
}

#[test]
fn node_fixtures() {
    insta::glob!("../../fixtures", "nodes/*.yaml", |path| {
        let case = NodesCase::from_documents(&documents(path));
        let nodes = case.nodes(&ClusterSettings::example(), now());
        insta::assert_yaml_snapshot!("nodes", nodes.nodes);
        insta::assert_yaml_snapshot!("nodes-leases", nodes.leases);
        insta::assert_yaml_snapshot!("nodes-diagnostics", nodes.diagnostics);

        assert!(!nodes.nodes.is_empty(), "a cluster always has a virtual node");
        assert_eq!(nodes.nodes.len(), nodes.leases.len(), "one lease per node");
        for (node, lease) in nodes.nodes.iter().zip(&nodes.leases) {
            let labels = node.metadata.labels.clone().unwrap_or_default();
            assert_eq!(labels.get("type").map(String::as_str), Some("virtual-kubelet"));
            assert_eq!(lease.metadata.name, node.metadata.name);
            let taints = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
            assert!(!taints.is_empty(), "a virtual node is tainted so only ECI pods land on it");
        }
    });
}

#[test]
fn update_fixtures() {
    insta::glob!("../../fixtures", "update/*.yaml", |path| {
        let case = UpdateCase::from_documents(&documents(path)).expect("fixture is an update case");
        let plan = case.plan(&ClusterSettings::example(), None);
        let request = plan.request.as_ref().map(|r| r.redacted().to_json());
        insta::assert_json_snapshot!("update-request", request);
        insta::assert_yaml_snapshot!(
            "update-changes",
            serde_json::json!({"changes": plan.changes, "providerActions": plan.provider_actions})
        );
        insta::assert_yaml_snapshot!("update-diagnostics", plan.diagnostics);

        // A request exists exactly when some change is carried by it.
        let carried = plan.changes.iter().any(|c| c.applied == eci_bridge_core::update::Carried::Update);
        assert_eq!(plan.request.is_some(), carried);
        if let Some(r) = &plan.request {
            let json = r.to_json();
            let back: eci_bridge_core::eci::update::UpdateContainerGroupRequest =
                serde_json::from_value(json.clone()).expect("request JSON round-trips");
            assert_eq!(back.to_json(), json);
            // The plural/singular trap: postStart headers are plural, never singular, in an update.
            assert!(!json.to_string().contains("LifecyclePostStartHandlerHttpGetHttpHeader\""));
        }
    });
}

#[test]
fn delete_fixtures() {
    insta::glob!("../../fixtures", "delete/*.yaml", |path| {
        let bundle = Bundle::from_documents(&documents(path)).expect("fixture has a pod");
        let cluster = bundle.cluster.clone().unwrap_or_else(ClusterSettings::example);
        let (request, diagnostics) = delete_request(&bundle.pod, &cluster, None);
        insta::assert_json_snapshot!("delete-request", request.to_json());
        insta::assert_yaml_snapshot!("delete-diagnostics", diagnostics);
        let forced = bundle.pod.metadata.deletion_grace_period_seconds == Some(0);
        assert_eq!(request.force, forced.then_some(true));
    });
}
