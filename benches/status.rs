//! Status mapping, measured next to its floor: the bytes of one
//! DescribeContainerGroups item for a 5-container instance → the Pod status
//! bytes, beside parsing the same item bytes.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eci_bridge_core::ClusterSettings;
use eci_bridge_core::eci::describe::ContainerGroup;
use eci_bridge_core::status::{pod_events, pod_status};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use serde_json::json;

const NAMES: [&str; 5] = ["web", "sidecar", "log-agent", "metrics", "cache"];

fn pod() -> Pod {
    let containers: Vec<_> = NAMES
        .iter()
        .map(|n| json!({"name": n, "image": format!("registry.example.com/{n}:1"), "resources": {"limits": {"cpu": "500m", "memory": "512Mi"}}}))
        .collect();
    serde_json::from_value(json!({
        "metadata": {"name": "web-1", "namespace": "shop", "uid": "u-1"},
        "spec": {"nodeName": "virtual-kubelet-cn-hangzhou-h", "containers": containers}
    }))
    .expect("pod")
}

fn item_bytes() -> Vec<u8> {
    let containers: Vec<_> = NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({"Name": n, "Image": format!("registry.example.com/{n}:1"), "Ready": i != 3, "RestartCount": i,
                   "Cpu": 0.5, "Memory": 0.5,
                   "CurrentState": {"State": "Running", "StartTime": "2026-11-23T09:58:40Z"},
                   "PreviousState": {"State": "Terminated", "ExitCode": 1, "Reason": "Error",
                                     "StartTime": "2026-11-23T09:58:10Z", "FinishTime": "2026-11-23T09:58:30Z"}})
        })
        .collect();
    let events: Vec<_> = (0..6)
        .map(|i| {
            json!({"Count": 1, "Type": "Normal", "Name": "eci", "Reason": if i % 2 == 0 { "Pulled" } else { "Started" },
                   "Message": format!("container {} step {i}", NAMES[i % 5]),
                   "FirstTimestamp": "2026-11-23T09:58:20Z", "LastTimestamp": "2026-11-23T09:58:40Z"})
        })
        .collect();
    serde_json::to_vec(&json!({
        "ContainerGroupId": "eci-bp1bench", "ContainerGroupName": "shop-web-1", "Status": "Running",
        "RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-h", "CreationTime": "2026-11-23T09:58:00Z",
        "IntranetIp": "192.168.10.20", "Ipv6Address": "2408:4005:39c:aa00::20", "Cpu": 4.0, "Memory": 4.0,
        "Containers": containers, "Events": events,
        "Tags": [{"Key": "NameSpace", "Value": "shop"}, {"Key": "PodName", "Value": "web-1"}]
    }))
    .expect("item")
}

fn benches(c: &mut Criterion) {
    let pod = pod();
    let cluster = ClusterSettings::example();
    let now: Timestamp = "2026-11-23T10:00:00Z".parse().expect("time");
    let bytes = item_bytes();
    let mut group = c.benchmark_group("status-5-containers");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("floor: parse item", |b| {
        b.iter(|| serde_json::from_slice::<ContainerGroup>(black_box(&bytes)).expect("item"))
    });
    group.bench_function("status: item bytes -> status bytes", |b| {
        b.iter(|| {
            let item: ContainerGroup = serde_json::from_slice(black_box(&bytes)).expect("item");
            let result = pod_status(&item, &pod, now, &cluster);
            serde_json::to_vec(&result.status).expect("status")
        })
    });
    group.bench_function("events: item bytes -> event bytes", |b| {
        b.iter(|| {
            let item: ContainerGroup = serde_json::from_slice(black_box(&bytes)).expect("item");
            serde_json::to_vec(&pod_events(&item, &pod, now)).expect("events")
        })
    });
    group.finish();
}

criterion_group!(status_benches, benches);
criterion_main!(status_benches);
