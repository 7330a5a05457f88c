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
            missing_objects: eci_bridge_core::MissingObjects::Reject,
        };
        group.bench_function("translate", |bench| bench.iter(|| translate(black_box(&input))));
        group.bench_function("translate + wire query", |bench| {
            bench.iter(|| translate(black_box(&input)).wire(Reveal::Secrets))
        });
        group.finish();
    }
}

/// What the playground computes per keystroke (YAML text → request JSON,
/// wire query, explain with spans, admission, placed diagnostics → JSON
/// text), for the largest fixture: the native side of the playground's
/// "translate time in Chromium vs native" measurement, beside parsing the
/// same YAML as its floor.
fn preview_benches(c: &mut Criterion) {
    use eci_bridge_core::Sources;
    use eci_bridge_core::{PreviewOptions, preview};
    let name = "pvc-nas-disk-oss.yaml";
    let text = eci_bridge_benches::fixture_text(name);
    let sources = Sources::stream("pod", &text);
    let mut group = c.benchmark_group("preview-pvc-nas-disk-oss");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("floor: parse the YAML", |bench| {
        bench.iter(|| eci_bridge_core::parse_documents(black_box(&text), eci_bridge_core::Input::Pod).expect("yaml"))
    });
    group.bench_function("preview -> JSON text", |bench| {
        bench.iter(|| {
            let p = preview(black_box(&sources), &PreviewOptions::default()).expect("preview");
            serde_json::to_value(&p).expect("json").to_string()
        })
    });
    group.finish();
}

criterion_group!(translate_benches, benches, preview_benches);
criterion_main!(translate_benches);
