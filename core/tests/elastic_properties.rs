//! Property tests of the ElasticWorkload split and reconcile.
#![cfg(not(target_arch = "wasm32"))]

use eci_bridge_core::elastic::{Bounds, ElasticInput, ElasticWorkload, reconcile, split};
use k8s_openapi::api::apps::v1::Deployment;
use proptest::prelude::*;

fn bounds() -> impl Strategy<Value = Bounds> {
    (0u32..8, prop::option::of(0u32..12)).prop_map(|(min, max)| Bounds::new(max.map_or(min, |m| min.min(m)), max))
}

fn capacity(source: Bounds, units: &[Bounds]) -> Option<u32> {
    units.iter().try_fold(source.max?, |sum, u| Some(sum + u.max?))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Placed replicas are the request, or the capacity when that is smaller;
    /// no max is ever exceeded.
    #[test]
    fn the_split_sums_and_respects_every_max(r in 0u32..60, source in bounds(), units in prop::collection::vec(bounds(), 0..5)) {
        let s = split(r, source, &units);
        prop_assert_eq!(s.placed() + s.unplaced, r);
        prop_assert_eq!(s.placed(), capacity(source, &units).map_or(r, |c| r.min(c)));
        prop_assert!(source.max.is_none_or(|m| s.source <= m));
        for (n, b) in s.units.iter().zip(&units) {
            prop_assert!(b.max.is_none_or(|m| *n <= m));
        }
        // Deterministic.
        prop_assert_eq!(split(r, source, &units), s);
    }

    /// Scaling in never takes a replica from the source while a unit still has one.
    #[test]
    fn scale_in_empties_units_before_the_source(
        r in 0u32..60, less in 0u32..60, source in bounds(), units in prop::collection::vec(bounds(), 1..5)
    ) {
        let r2 = r.saturating_sub(less);
        let (before, after) = (split(r, source, &units), split(r2, source, &units));
        if after.source < before.source {
            prop_assert!(after.units.iter().all(|n| *n == 0), "{before:?} -> {after:?}");
        }
        prop_assert!(after.source <= before.source);
    }

    /// Unit minimums are served in order before any unit grows past its min.
    #[test]
    fn unit_minimums_come_first(r in 0u32..60, source in bounds(), units in prop::collection::vec(bounds(), 1..5)) {
        let s = split(r, source, &units);
        let over_min = s.units.iter().zip(&units).any(|(n, b)| *n > b.min);
        if over_min {
            for (n, b) in s.units.iter().zip(&units) {
                prop_assert!(*n >= b.min);
            }
        }
    }
}

/// Arbitrary ElasticWorkload documents (any numbers, names, kinds) and sources.
fn workload() -> impl Strategy<Value = (serde_json::Value, serde_json::Value)> {
    let unit = ("[a-zA-Z_-]{0,12}", prop::option::of(-3i32..10), prop::option::of(-3i32..10), any::<bool>());
    (
        prop::option::of(-5i32..40),
        prop::option::of(-3i32..10),
        prop::option::of(-3i32..10),
        prop::sample::select(&["Deployment", "StatefulSet", ""][..]),
        prop::collection::vec(unit, 0..4),
        prop::option::of(0i32..10),
    )
        .prop_map(|(replicas, min, max, kind, units, source_replicas)| {
            let units: Vec<_> = units
                .into_iter()
                .map(|(name, min, max, eci)| {
                    serde_json::json!({"name": name, "min": min, "max": max,
                        "labels": if eci { serde_json::json!({"alibabacloud.com/eci": "true"}) } else { serde_json::json!({}) }})
                })
                .collect();
            let ew = serde_json::json!({"apiVersion": "autoscaling.alibabacloud.com/v1beta1", "kind": "ElasticWorkload",
                "metadata": {"name": "ew", "namespace": "default"},
                "spec": {"replicas": replicas, "sourceTarget": {"name": "web", "kind": kind, "apiVersion": "apps/v1", "min": min, "max": max},
                         "elasticUnit": units}});
            let source = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"replicas": source_replicas, "selector": {"matchLabels": {"app": "web"}},
                         "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
            (ew, source)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn reconcile_never_panics_and_is_deterministic((ew, source) in workload(), scale in prop::option::of(-2i32..30)) {
        let ew: ElasticWorkload = serde_json::from_value(ew).expect("an ElasticWorkload");
        let source: Deployment = serde_json::from_value(source).expect("a Deployment");
        let now = "2026-11-23T10:00:00Z".parse().expect("a time");
        let input = ElasticInput { workload: &ew, source: &source, existing_units: &[], replicas: scale, now };
        let a = reconcile(&input);
        let b = reconcile(&input);
        prop_assert_eq!(serde_json::to_value(&a).ok(), serde_json::to_value(&b).ok());
        prop_assert_eq!(a.units.len(), ew.spec.elastic_unit.len());
        let status = a.workload.status.expect("a status");
        prop_assert_eq!(i64::from(status.replicas), i64::from(a.split.placed()));
    }
}
