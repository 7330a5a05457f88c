//! Snapshot tests over `fixtures/overflow/*.yaml`, with the invariants every
//! decision keeps.

use eci_bridge_core::overflow::{Decision, LeaveReason, OverflowInput, decide, decide_bundle};
use eci_bridge_core::parse_documents;
use eci_bridge_core::{Bundle, ClusterSettings, Input};

fn bundle(path: &std::path::Path) -> Bundle {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let docs = parse_documents(&text, Input::Pod).expect("fixture is valid YAML");
    Bundle::from_documents(&docs).expect("fixture has a pod")
}

#[test]
fn overflow_fixtures() {
    insta::glob!("../../fixtures", "overflow/*.yaml", |path| {
        let bundle = bundle(path);
        let cluster = ClusterSettings::example();
        let result = decide_bundle(&bundle, &cluster);
        insta::assert_yaml_snapshot!("overflow-decision", result.decision);
        insta::assert_yaml_snapshot!("overflow-diagnostics", result.diagnostics);

        let pod = serde_json::to_value(&bundle.pod).expect("pod JSON");
        let mut without_status = pod.clone();
        if let Some(map) = without_status.as_object_mut() {
            map.remove("status");
        }
        match &result.decision {
            Decision::Move { patch, patched, candidates, shortage } => {
                assert!(!candidates.is_empty() && !shortage.is_empty());
                // The patch turns the pod into the patched pod, and only adds.
                let mut doc = without_status.clone();
                json_patch::patch(&mut doc, patch).expect("the patch applies");
                assert_eq!(&doc, patched);
                let text = serde_json::to_string(patch).expect("patch JSON");
                assert!(
                    !text.contains("\"remove\"")
                        && !text.contains("/spec/nodeSelector")
                        && !text.contains("/spec/affinity")
                );
                // Deciding again on the moved pod (still unschedulable) leaves it: it can use a virtual node now.
                let mut again = patched.clone();
                again["status"] = pod["status"].clone();
                let second = decide(&OverflowInput {
                    pod: &again,
                    profile: bundle.profile.as_ref(),
                    cluster: bundle.cluster.as_ref().unwrap_or(&cluster),
                    namespace_labels: &bundle.namespace_labels,
                    objects: &bundle.objects,
                });
                assert!(
                    matches!(second.decision, Decision::Leave { reason: LeaveReason::AlreadyOnEci, .. }),
                    "{:?}",
                    second.decision
                );
            }
            Decision::Leave { detail, .. } => assert!(!detail.is_empty()),
        }
    });
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    const MESSAGES: &[&str] = &[
        "0/3 nodes are available: 3 Insufficient cpu.",
        "0/4 nodes are available: 1 node(s) had untolerated taint {a: b}, 3 Too many pods. preemption: x",
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
        "no nodes available to schedule pods",
        "0/3 nodes are available: , , 3",
        "nodes are available:",
        "",
    ];

    fn pod() -> impl Strategy<Value = serde_json::Value> {
        (
            prop::sample::select(MESSAGES),
            prop::sample::select(&["Unschedulable", "SchedulingGated", ""][..]),
            prop::sample::select(&["Pending", "Running", ""][..]),
            prop::option::of(prop::sample::select(&["disktype", "kubernetes.io/arch", "topology.kubernetes.io/zone"][..])),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(message, reason, phase, selector, tolerate, host_path)| {
                let mut spec = serde_json::json!({"containers": [{"name": "c", "image": "nginx"}]});
                if let Some(key) = selector {
                    spec["nodeSelector"] = serde_json::json!({key: "arm64"});
                }
                if tolerate {
                    spec["tolerations"] = serde_json::json!([{"key": "virtual-kubelet.io/provider", "operator": "Exists"}]);
                }
                if host_path {
                    spec["volumes"] = serde_json::json!([{"name": "h", "hostPath": {"path": "/"}}]);
                }
                serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": spec,
                    "status": {"phase": phase, "conditions": [{"type": "PodScheduled", "status": "False", "reason": reason, "message": message}]}})
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Any pod gets a decision; a moved pod is patched by additions only and is deterministic.
        #[test]
        fn any_pod_gets_a_decision(pod in pod()) {
            let cluster = ClusterSettings::example();
            let labels = BTreeMap::new();
            let objects = eci_bridge_core::ObjectStore::new();
            let input = OverflowInput { pod: &pod, profile: None, cluster: &cluster, namespace_labels: &labels, objects: &objects };
            let a = decide(&input);
            let b = decide(&input);
            prop_assert_eq!(serde_json::to_value(&a.decision).ok(), serde_json::to_value(&b.decision).ok());
            if let Decision::Move { patch, .. } = &a.decision {
                prop_assert!(patch.0.iter().all(|op| matches!(op, json_patch::PatchOperation::Add(_))));
            }
        }
    }
}
