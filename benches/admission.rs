//! Admission, measured next to its floor: review bytes → response bytes with
//! a 100-selector profile, beside parsing the same review bytes.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eci_bridge_core::admission::{AdmissionOptions, AdmissionReview, admit};
use eci_bridge_core::parse_profile;
use serde_json::json;

fn profile_with_selectors(n: usize) -> eci_bridge_core::EciProfile {
    let selectors: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            json!({
                "name": format!("selector-{i}"),
                "namespaceSelector": {"matchLabels": {"team": format!("team-{}", i % 10)}},
                "objectSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": [format!("app-{i}"), "web"]}]},
                "effect": {"annotations": {format!("example.com/note-{}", i % 7): "x"}, "labels": {"routed-by": format!("s{i}")}}
            })
        })
        .collect();
    let (profile, _) = parse_profile(
        &json!({"kind": "ConfigMap", "data": {"selectors": serde_json::to_string(&selectors).unwrap_or_default()}}),
    );
    profile
}

fn review_bytes() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "b1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"}, "namespace": "shop", "operation": "CREATE",
            "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "resources": {"limits": {"cpu": "1", "memory": "2Gi"}}}]}}}
    }))
    .unwrap_or_default()
}

fn benches(c: &mut Criterion) {
    let profile = profile_with_selectors(100);
    let ns: BTreeMap<String, String> = [("team".to_string(), "team-3".to_string())].into();
    let options = AdmissionOptions::default();
    let bytes = review_bytes();
    let mut group = c.benchmark_group("admission-100-selectors");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("floor: parse review", |b| {
        b.iter(|| serde_json::from_slice::<AdmissionReview>(black_box(&bytes)).expect("review"))
    });
    group.bench_function("admit: review bytes -> response bytes", |b| {
        b.iter(|| {
            let review: AdmissionReview = serde_json::from_slice(black_box(&bytes)).expect("review");
            let a = admit(&review, Some(&profile), &ns, &options);
            serde_json::to_vec(&a.review).expect("response")
        })
    });
    group.finish();
}

criterion_group!(admission_benches, benches);
criterion_main!(admission_benches);
