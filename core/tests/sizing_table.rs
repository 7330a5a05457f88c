//! Table tests: every row of the sizing table of docs/sizing.md#pod-size
//! ("the pod sets → instance size"), the documented rounding examples, and
//! every row of the supported-spec table.

use std::collections::BTreeMap;

use eci_bridge_core::sizing::{Availability, InstanceSize, round_up, specs};
use eci_bridge_core::{ClusterSettings, ObjectStore, TranslateInput, Translation, translate};
use k8s_openapi::api::core::v1::Pod;
use serde_json::json;

fn pod(containers: serde_json::Value, annotations: serde_json::Value) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", "annotations": annotations},
        "spec": {"containers": containers}
    }))
    .expect("test pod")
}

fn run(pod: &Pod, region: &str) -> Translation {
    let mut cluster = ClusterSettings::example();
    cluster.region_id = region.into();
    translate(&TranslateInput {
        pod,
        namespace_labels: &BTreeMap::new(),
        cluster: &cluster,
        profile: None,
        objects: &ObjectStore::new(),
        missing_objects: eci_bridge_core::MissingObjects::Reject,
    })
}

fn size(t: &Translation) -> (Option<f64>, Option<f64>, Option<String>) {
    (t.request.cpu, t.request.memory, t.request.instance_type.clone())
}

fn c(name: &str, resources: serde_json::Value) -> serde_json::Value {
    json!({"name": name, "image": "busybox:1.36", "resources": resources})
}

#[test]
fn row_nothing_set_gives_the_default_2_vcpu_4_gib() {
    let t = run(&pod(json!([c("a", json!({})), c("b", json!({}))]), json!({})), "cn-hangzhou");
    assert_eq!(size(&t), (Some(2.0), Some(4.0), None));
}

#[test]
fn row_only_limits_gives_the_sum_of_limits() {
    let containers = json!([
        c("a", json!({"limits": {"cpu": "1", "memory": "2Gi"}})),
        c("b", json!({"limits": {"cpu": "1", "memory": "2Gi"}}))
    ]);
    let t = run(&pod(containers, json!({})), "cn-hangzhou");
    assert_eq!(size(&t), (Some(2.0), Some(4.0), None));
}

#[test]
fn row_only_requests_gives_the_sum_of_requests() {
    let containers = json!([
        c("a", json!({"requests": {"cpu": "2", "memory": "4Gi"}})),
        c("b", json!({"requests": {"cpu": "2", "memory": "4Gi"}}))
    ]);
    let t = run(&pod(containers, json!({})), "cn-hangzhou");
    assert_eq!(size(&t), (Some(4.0), Some(8.0), None));
}

#[test]
fn row_limits_and_requests_gives_the_sum_of_limits() {
    let containers = json!([
        c("a", json!({"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}})),
        c("b", json!({"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}))
    ]);
    let t = run(&pod(containers, json!({})), "cn-hangzhou");
    assert_eq!(size(&t), (Some(4.0), Some(8.0), None));
}

#[test]
fn row_only_use_specs_gives_the_annotation() {
    let t = run(
        &pod(json!([c("a", json!({}))]), json!({"k8s.aliyun.com/eci-use-specs": "2-4Gi,ecs.c6.large"})),
        "cn-hangzhou",
    );
    assert_eq!(size(&t), (None, None, Some("2-4Gi,ecs.c6.large".into())));
    assert!(matches!(t.sizing.instance, InstanceSize::UseSpecs { .. }));
}

#[test]
fn row_resources_and_use_specs_gives_the_annotation() {
    let containers = json!([c("a", json!({"limits": {"cpu": "1", "memory": "1Gi"}}))]);
    let t = run(&pod(containers, json!({"k8s.aliyun.com/eci-use-specs": "4-8Gi"})), "cn-hangzhou");
    assert_eq!(size(&t), (None, None, Some("4-8Gi".into())));
    // The container still carries its own limit.
    assert_eq!(t.request.container[0].cpu, Some(1.0));
}

#[test]
fn documented_rounding_example_7_13_in_hangzhou() {
    let containers = json!([c("a", json!({"limits": {"cpu": "7", "memory": "13Gi"}}))]);
    let t = run(&pod(containers.clone(), json!({})), "cn-hangzhou");
    assert_eq!(size(&t), (Some(8.0), Some(14.0), None));
    assert!(t.diagnostics.iter().any(|d| d.code == eci_bridge_core::Code::SpecRounded));
    // Without region-only specs (another region, or a spot instance): 8/16.
    let t = run(&pod(containers.clone(), json!({})), "cn-hongkong");
    assert_eq!(size(&t), (Some(8.0), Some(16.0), None));
    let t = run(&pod(containers, json!({"k8s.aliyun.com/eci-spot-strategy": "SpotAsPriceGo"})), "cn-hangzhou");
    assert_eq!(size(&t), (Some(8.0), Some(16.0), None));
}

#[test]
fn every_spec_row_is_kept_exactly_and_a_little_less_rounds_up_to_it() {
    for s in specs() {
        let regional = s.availability == Availability::SomeRegions;
        let region = if regional { "cn-hangzhou" } else { "cn-hongkong" };
        let cpu = format!("{}m", s.cpu_millis);
        let mem = format!("{}Mi", s.memory_mib);
        let t = run(&pod(json!([c("a", json!({"limits": {"cpu": cpu, "memory": mem}}))]), json!({})), region);
        let name = s.name();
        assert_eq!(t.request.cpu, Some(s.cpu_millis as f64 / 1000.0), "{name}");
        assert_eq!(t.request.memory, Some(s.memory_mib as f64 / 1024.0), "{name}");
        assert!(
            !t.diagnostics.iter().any(|d| d.code == eci_bridge_core::Code::SpecRounded),
            "{name} must not be rounded"
        );
        // One MiB less memory rounds up to the same row whenever no smaller
        // row with the same vCPU holds it.
        let smaller_same_cpu = specs()
            .filter(|o| regional || o.availability == Availability::AllRegions)
            .any(|o| o.cpu_millis == s.cpu_millis && o.memory_mib < s.memory_mib && o.memory_mib >= s.memory_mib - 1);
        if !smaller_same_cpu {
            assert_eq!(round_up(s.cpu_millis, s.memory_bytes() - (1 << 20), regional), Some(s), "{name} minus 1Mi");
        }
    }
}

#[test]
fn region_only_specs_exist_only_in_their_regions() {
    let containers = json!([c("a", json!({"limits": {"cpu": "6", "memory": "12Gi"}}))]);
    assert_eq!(size(&run(&pod(containers.clone(), json!({})), "cn-shanghai")), (Some(6.0), Some(12.0), None));
    assert_eq!(size(&run(&pod(containers, json!({})), "eu-central-1")), (Some(8.0), Some(16.0), None));
}

#[test]
fn resource_ignore_and_init_containers() {
    let p: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {
            "initContainers": [c("init", json!({"limits": {"cpu": "1", "memory": "1Gi"}}))],
            "containers": [
                c("app", json!({"limits": {"cpu": "1500m", "memory": "3Gi"}})),
                {"name": "sidecar", "image": "x", "env": [{"name": "__ECI_RESOURCE_IGNORE__", "value": "TRUE"}],
                 "resources": {"limits": {"cpu": "2", "memory": "4Gi"}}}
            ]
        }
    }))
    .expect("pod");
    let t = run(&p, "cn-hangzhou");
    // 1.5 vCPU / 3 GiB (the sidecar is ignored; the init container is smaller) → 2-4Gi.
    assert_eq!(size(&t), (Some(2.0), Some(4.0), None));
}
