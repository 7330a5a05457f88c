//! Snapshot tests over `fixtures/units/*.yaml` (ResourcePolicy placement),
//! the invariants of every placement, and a property test that fills units
//! pod by pod.

use eci_bridge_core::parse_documents;
use eci_bridge_core::resource_policy::case::PlacementCase;
use eci_bridge_core::resource_policy::{PlacementInput, ResourcePolicy, UnitDecision, place, scale_in_order, unit_of};
use eci_bridge_core::{ClusterSettings, Input};
use k8s_openapi::api::core::v1::Pod;

fn case(path: &std::path::Path) -> PlacementCase {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let docs = parse_documents(&text, Input::ResourcePolicy).expect("fixture is valid YAML");
    PlacementCase::from_documents(&docs).expect("fixture is a placement case")
}

#[test]
fn unit_fixtures() {
    insta::glob!("../../fixtures", "units/*.yaml", |path| {
        let case = case(path);
        let cluster = ClusterSettings::example();
        let placement = case.place(&cluster);
        insta::assert_yaml_snapshot!(
            "units-decision",
            serde_json::json!({"decision": placement.decision, "counts": placement.counts, "patch": placement.patch})
        );
        insta::assert_yaml_snapshot!("units-diagnostics", placement.diagnostics);
        insta::assert_yaml_snapshot!("units-scale-in", scale_in_order(&case.policy, &case.placed));

        match &placement.decision {
            UnitDecision::Unit { index, .. } => {
                let count = &placement.counts[*index];
                assert!(count.max.is_none_or(|m| i64::from(count.pods) < i64::from(m)), "the chosen unit has room");
                let patched = placement.patched.clone().expect("a patched pod");
                let mut doc = case.pod.clone();
                json_patch::patch(&mut doc, &placement.patch).expect("the patch applies");
                assert_eq!(doc, patched);
                // Placing the patched pod again changes nothing.
                let again = place(&PlacementInput {
                    policy: &case.policy,
                    placed: &case.placed,
                    pod: &patched,
                    lacking: &case.lacking,
                    cluster: case.cluster.as_ref().unwrap_or(&cluster),
                });
                assert_eq!(again.decision, placement.decision);
                assert!(again.patch.0.is_empty(), "{:?}", again.patch);
                // The placed pod is counted in its unit.
                let pod: Pod = serde_json::from_value(patched).expect("a pod");
                assert_eq!(unit_of(&case.policy, &pod), Some(*index));
            }
            _ => assert!(placement.patch.0.is_empty()),
        }
    });
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn policy(maxes: &[Option<i32>]) -> ResourcePolicy {
        let units: Vec<_> = maxes
            .iter()
            .enumerate()
            .map(|(i, max)| {
                let resource = if i + 1 == maxes.len() { "eci" } else { "ecs" };
                serde_json::json!({"resource": resource, "max": max, "podLabels": {"unit": format!("u{i}")}})
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "apiVersion": "scheduling.alibabacloud.com/v1alpha1", "kind": "ResourcePolicy",
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"selector": {"app": "web"}, "units": units}
        }))
        .expect("a policy")
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Pods placed one by one fill the units in order and never exceed a max;
        /// scale-in lists the last unit's pods first.
        #[test]
        fn units_fill_in_order(maxes in prop::collection::vec(prop::option::of(0i32..4), 1..4), n in 0usize..14) {
            let policy = policy(&maxes);
            let cluster = ClusterSettings::example();
            let mut placed: Vec<Pod> = Vec::new();
            for i in 0..n {
                let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("web-{i:02}"), "namespace": "default", "labels": {"app": "web"},
                                 "creationTimestamp": format!("2026-11-23T09:{i:02}:00Z")},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
                let p = place(&PlacementInput { policy: &policy, placed: &placed, pod: &pod, lacking: &[], cluster: &cluster });
                match p.decision {
                    UnitDecision::Unit { index, .. } => {
                        for earlier in &p.counts[..index] {
                            prop_assert!(earlier.max.is_some_and(|m| i64::from(earlier.pods) >= i64::from(m)), "unit {} skipped with room", earlier.index);
                        }
                        let mut patched = p.patched.expect("patched");
                        patched["metadata"]["creationTimestamp"] = pod["metadata"]["creationTimestamp"].clone();
                        placed.push(serde_json::from_value(patched).expect("a pod"));
                    }
                    UnitDecision::AllUnitsFull { .. } => {
                        prop_assert!(p.counts.iter().all(|c| c.max.is_some_and(|m| i64::from(c.pods) >= i64::from(m))));
                    }
                    other => prop_assert!(false, "unexpected {other:?}"),
                }
            }
            for (i, max) in maxes.iter().enumerate() {
                let members = placed.iter().filter(|p| unit_of(&policy, p) == Some(i)).count();
                prop_assert!(max.is_none_or(|m| members as i64 <= i64::from(m)));
            }
            let order = scale_in_order(&policy, &placed);
            let units: Vec<usize> = order
                .iter()
                .filter_map(|name| placed.iter().find(|p| p.metadata.name.as_deref() == Some(name.as_str())))
                .filter_map(|p| unit_of(&policy, p))
                .collect();
            prop_assert!(units.windows(2).all(|w| w[0] >= w[1]), "scale-in goes from the last unit back: {units:?}");
        }
    }
}
