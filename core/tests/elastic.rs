//! Snapshot tests over `fixtures/elastic/*.yaml`, the invariants every
//! reconcile keeps, and the replica sequence 0 → 10 → 3 → 8.

use std::collections::BTreeMap;

use eci_bridge_core::Input;
use eci_bridge_core::diagnostics::has_errors;
use eci_bridge_core::elastic::{ElasticCase, UNIT_LABEL, split::Split};
use eci_bridge_core::label_selector_matches;
use eci_bridge_core::parse_documents;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::jiff::Timestamp;

fn case(path: &std::path::Path) -> ElasticCase {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let docs = parse_documents(&text, Input::ElasticWorkload).expect("fixture is valid YAML");
    ElasticCase::from_documents(&docs).expect("fixture is an elastic case")
}

fn now() -> Timestamp {
    "2026-11-23T10:00:00Z".parse().expect("a time")
}

fn template_labels(d: &Deployment) -> BTreeMap<String, String> {
    d.spec.template.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default()
}

/// One step as numbers and event reasons, for sequence snapshots.
fn step_view(replicas: i32, split: &Split, events: &[k8s_openapi::api::core::v1::Event]) -> serde_json::Value {
    let reasons: Vec<String> = events.iter().filter_map(|e| e.reason.clone()).collect();
    serde_json::json!({"replicas": replicas, "source": split.source, "units": split.units, "unplaced": split.unplaced, "events": reasons})
}

#[test]
fn elastic_fixtures() {
    insta::glob!("../../fixtures", "elastic/*.yaml", |path| {
        let case = case(path);
        let now = case.now.unwrap_or_else(now);
        let result = case.reconcile(None, now);
        insta::assert_yaml_snapshot!("elastic-diagnostics", result.diagnostics);
        if has_errors(&result.diagnostics) {
            return;
        }
        let mut deployments = vec![result.source.clone()];
        deployments.extend(result.units.iter().cloned());
        insta::assert_yaml_snapshot!("elastic-deployments", deployments);
        insta::assert_yaml_snapshot!(
            "elastic-status",
            serde_json::json!({"status": result.workload.status, "scale": result.scale, "deletedUnits": result.deleted_units})
        );
        insta::assert_yaml_snapshot!("elastic-events", result.events);
        if !case.sequence.is_empty() {
            let steps: Vec<_> = case
                .play(&case.sequence, now)
                .iter()
                .zip(&case.sequence)
                .map(|(s, r)| step_view(*r, &s.split, &s.events))
                .collect();
            insta::assert_yaml_snapshot!("elastic-steps", steps);
        }

        // The numbers add up and respect every max.
        let wanted = u32::try_from(result.workload.spec.replicas.unwrap_or(0)).unwrap_or(0);
        assert_eq!(result.split.placed() + result.split.unplaced, wanted);
        let status = result.workload.status.as_ref().expect("status");
        assert_eq!(i64::from(status.replicas), i64::from(result.split.placed()));
        for (unit, n) in result.workload.spec.elastic_unit.iter().zip(&result.split.units) {
            assert!(unit.max.is_none_or(|m| i64::from(*n) <= i64::from(m)), "unit {} over its max", unit.name);
        }
        // Every Deployment selects its own pods, and no selector takes another's pods.
        for d in &deployments {
            assert!(
                label_selector_matches(&d.spec.selector, &template_labels(d)),
                "{:?} does not select its pods",
                d.metadata.name
            );
        }
        for unit in &result.units {
            assert!(template_labels(unit).contains_key(UNIT_LABEL));
            for other in &deployments {
                if other.metadata.name != unit.metadata.name {
                    assert!(
                        !label_selector_matches(&unit.spec.selector, &template_labels(other)),
                        "{:?} selects the pods of {:?}",
                        unit.metadata.name,
                        other.metadata.name
                    );
                }
            }
        }
        // Deterministic.
        let again = case.reconcile(None, now);
        assert_eq!(serde_json::to_value(&again).ok(), serde_json::to_value(&result).ok());
    });
}

/// The documented rule, step by step: the source takes replicas up to its
/// max, the rest goes to the unit; scaling in empties the unit before the
/// source shrinks.
#[test]
fn replica_sequence_0_10_3_8() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/elastic/sequence-0-10-3-8.yaml");
    let case = case(&path);
    let (min, max) = (case.workload.spec.source_target.min, case.workload.spec.source_target.max);
    assert_eq!((min, max), (Some(2), Some(4)), "the fixture is source 2..4 with one unbounded unit");
    let steps = case.play(&[0, 10, 3, 8], now());
    let counts: Vec<(u32, u32)> = steps.iter().map(|s| (s.split.source, s.split.units[0])).collect();
    assert_eq!(counts, [(0, 0), (4, 6), (3, 0), (4, 4)]);
    for (r, (source, unit)) in [0u32, 10, 3, 8].iter().zip(&counts) {
        assert_eq!(*source, (*r).min(4), "the source takes up to its max");
        assert_eq!(*unit, r - source, "the rest goes to the unit");
    }
    // 10 → 3 is a scale-in: the unit gives up all 6 replicas, the source only 1 (it is below its max then).
    let reasons = |i: usize| steps[i].events.iter().filter_map(|e| e.reason.clone()).collect::<Vec<_>>();
    assert_eq!(reasons(0), ["SourceUpdate", "UnitCreation", "ElasticWorkloadUpdate"]);
    assert_eq!(reasons(1), ["SourceUpdate", "UnitUpdate", "ElasticWorkloadUpdate"]);
    assert_eq!(reasons(2), ["SourceUpdate", "UnitUpdate", "ElasticWorkloadUpdate"]);
    // Each step's Deployments are what the next step starts from.
    assert_eq!(steps[3].source.spec.replicas, Some(4));
    assert_eq!(steps[3].units[0].spec.replicas, Some(4));
    assert_eq!(steps[3].workload.status.as_ref().map(|s| s.replicas), Some(8));
}
