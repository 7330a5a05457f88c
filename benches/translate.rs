//! Translate, measured next to its floor.
//!
//! The floor is deserializing the same pod from JSON into k8s-openapi types,
//! which any provider must do before it can translate; the ratio
//! translate / floor says what the translation itself costs on top.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eci_bridge_benches::{bundle, pod_json};
use eci_bridge_core::{ClusterSettings, Reveal, TranslateInput, translate};
use k8s_openapi::api::core::v1::Pod;

const FIXTURES: &[&str] = &["deployment-nginx.yaml", "env-valuefrom.yaml", "annotations-network-image.yaml"];

fn benches(c: &mut Criterion) {
    let cluster = ClusterSettings::example();
    for name in FIXTURES {
        let b = bundle(name);
        let json = pod_json(&b);
        let mut group = c.benchmark_group(name.trim_end_matches(".yaml"));
        group.throughput(Throughput::Bytes(json.len() as u64));
        group.bench_function("floor: deserialize pod JSON", |bench| {
            bench.iter(|| serde_json::from_str::<Pod>(black_box(&json)).expect("pod"))
        });
        let input = TranslateInput {
            pod: &b.pod,
            namespace_labels: &b.namespace_labels,
            cluster: &cluster,
            profile: b.profile.as_ref(),
            objects: &b.objects,
        };
        group.bench_function("translate", |bench| bench.iter(|| translate(black_box(&input))));
        group.bench_function("translate + wire query", |bench| {
            bench.iter(|| translate(black_box(&input)).wire(Reveal::Secrets))
        });
        group.finish();
    }
}

criterion_group!(translate_benches, benches);
criterion_main!(translate_benches);
