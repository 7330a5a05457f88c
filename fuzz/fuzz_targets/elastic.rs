//! ElasticWorkload reconcile (what `eci-bridge elastic` and the controller
//! run): `ElasticCase::from_documents`, then `reconcile` at the case's own
//! replicas and at replica counts taken from the input bytes (negative,
//! small, `i32::MAX`), then the case's sequence played step by step.
//!
//! Invariants (core/src/elastic/split.rs):
//! - source + units + unplaced = R, where R is the requested count (negative
//!   counts as 0);
//! - the source never exceeds its max, nor a unit its max; units hold
//!   replicas only while the source is at its max; replicas go unplaced only
//!   when the source and every unit are at their max;
//! - below the source's min every replica stays in the source;
//! - the source's share and the placed total never shrink as R grows;
//! - one unit Deployment per unit; the source Deployment, the status and
//!   `/scale` carry the split's numbers;
//! - deterministic, and the outputs stay linear in the input.
#![no_main]

use eci_bridge_core::Input;
use eci_bridge_core::elastic::{Bounds, ElasticCase, Reconciled, split};
use eci_bridge_core::parse_documents;
use eci_bridge_fuzz::{assert_same, check_output_bound, render_diagnostics, text, to_yaml};
use libfuzzer_sys::fuzz_target;

/// Steps of a case's sequence played per input.
const MAX_STEPS: usize = 16;

fn to_u32(v: Option<i32>) -> Option<u32> {
    v.map(|v| u32::try_from(v).unwrap_or(0))
}

/// The bounds as the split documents them: negative values count as 0, a
/// min above its max is capped at the max.
fn bounds(min: Option<i32>, max: Option<i32>) -> Bounds {
    let max = to_u32(max);
    let min = to_u32(min).unwrap_or(0);
    Bounds::new(max.map_or(min, |m| min.min(m)), max)
}

fn render(r: &Reconciled) -> Vec<(&'static str, String)> {
    vec![
        ("source", to_yaml(&r.source)),
        ("units", to_yaml(&r.units)),
        ("workload", to_yaml(&r.workload)),
        ("scale", to_yaml(&r.scale)),
        ("split", to_yaml(&r.split)),
        ("events", to_yaml(&r.events)),
        ("deleted", r.deleted_units.join("\n")),
        ("diagnostics", render_diagnostics(&r.diagnostics)),
    ]
}

fn check(case: &ElasticCase, requested: Option<i32>, r: &Reconciled) {
    let spec = &case.workload.spec;
    let current = case.source.spec.replicas.unwrap_or(1);
    let replicas = requested.or(case.replicas).or(spec.replicas).unwrap_or(current).max(0);
    let total = u64::try_from(replicas).unwrap_or(0);
    let s = &r.split;
    let sum = u64::from(s.source) + s.units.iter().map(|u| u64::from(*u)).sum::<u64>() + u64::from(s.unplaced);
    assert_eq!(sum, total, "elastic: source + units + unplaced != replicas ({replicas}): {s:?}");
    assert_eq!(s.units.len(), spec.elastic_unit.len(), "elastic: one share per unit");
    assert_eq!(r.units.len(), spec.elastic_unit.len(), "elastic: one Deployment per unit");

    let source = bounds(spec.source_target.min, spec.source_target.max);
    let units: Vec<Bounds> = spec.elastic_unit.iter().map(|u| bounds(u.min, u.max)).collect();
    assert_eq!(*s, split(u32::try_from(replicas).unwrap_or(0), source, &units), "elastic: reconcile's split");
    if let Some(max) = source.max {
        assert!(s.source <= max, "elastic: the source has {} replicas over its max {max}", s.source);
    }
    for (i, (given, b)) in s.units.iter().zip(&units).enumerate() {
        if let Some(max) = b.max {
            assert!(*given <= max, "elastic: unit {i} has {given} replicas over its max {max}");
        }
    }
    let source_full = source.max.is_none_or(|m| s.source == m);
    if s.units.iter().any(|u| *u > 0) || s.unplaced > 0 {
        assert!(source_full, "elastic: units or unplaced replicas while the source is below its max: {s:?}");
    }
    if s.unplaced > 0 {
        let all_full = s.units.iter().zip(&units).all(|(given, b)| b.max == Some(*given));
        assert!(all_full, "elastic: unplaced replicas while a unit has room: {s:?} {units:?}");
    }
    if u64::from(source.min) >= total {
        assert_eq!(u64::from(s.source), total, "elastic: below the source's min every replica stays in the source");
    }
    if replicas < i32::MAX {
        let next = split(u32::try_from(replicas).unwrap_or(0) + 1, source, &units);
        assert!(next.source >= s.source && next.placed() >= s.placed(), "elastic: one more replica shrank a share");
    }
    let as_i32 = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    assert_eq!(r.source.spec.replicas, Some(as_i32(s.source)), "elastic: the source Deployment's replicas");
    for (d, n) in r.units.iter().zip(&s.units) {
        assert_eq!(d.spec.replicas, Some(as_i32(*n)), "elastic: a unit Deployment's replicas");
    }
    let status = r.workload.status.as_ref().expect("elastic: the workload has a status");
    assert_eq!(status.replicas, as_i32(s.placed()), "elastic: status.replicas counts placed replicas");
    assert_eq!(r.scale.spec.as_ref().and_then(|s| s.replicas), Some(replicas), "elastic: /scale spec.replicas");
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else { return };
    let Ok(docs) = parse_documents(&text, Input::ElasticWorkload) else { return };
    let case = match ElasticCase::from_documents(&docs) {
        Ok(c) => c,
        Err(d) => {
            check_output_bound("elastic", data.len(), &[("error", render_diagnostics(&[d]))]);
            return;
        }
    };
    let now = "2025-01-02T03:04:05Z".parse().expect("a valid time");
    let seed = data.iter().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(*b)));
    let small = i32::try_from(seed % 64).unwrap_or(0);
    let mut shown = Vec::new();
    for requested in [None, Some(small), Some(-1 - small), Some(i32::MAX)] {
        let r = case.reconcile(requested, now);
        let out = render(&r);
        assert_same("elastic", "determinism", &out, &render(&case.reconcile(requested, now)));
        check(&case, requested, &r);
        shown.extend(out);
    }
    let sequence: Vec<i32> = case.sequence.iter().copied().take(MAX_STEPS).collect();
    let mut stepped = case.clone();
    for (step, r) in case.play(&sequence, now).iter().enumerate() {
        check(&stepped, Some(sequence[step]), r);
        stepped.source = r.source.clone();
        stepped.existing_units = r.units.clone();
        stepped.workload = r.workload.clone();
    }
    check_output_bound("elastic", data.len(), &shown);
});
