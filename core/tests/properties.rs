//! Property tests: totality, determinism, sizing bounds and monotonicity,
//! and the wire form round trip.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use eci_bridge_core::annotations::REGISTRY;
use eci_bridge_core::sizing::{InstanceSize, round_up};
use eci_bridge_core::{ClusterSettings, ObjectStore, Reveal, TranslateInput, WireParams, translate};
use k8s_openapi::api::core::v1::Pod;
use proptest::prelude::*;
use serde_json::{Value, json};

fn quantity() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..70_000).prop_map(|m| format!("{m}m")),
        (0u32..70).prop_map(|c| c.to_string()),
        (0u32..600_000).prop_map(|m| format!("{m}Mi")),
        (0u32..600).prop_map(|g| format!("{g}Gi")),
        (0u64..1u64 << 40).prop_map(|b| b.to_string()),
        "[0-9.]{0,6}[a-zA-Z]{0,3}",
        Just("-1".to_string()),
        Just("1e100".to_string()),
        Just("99999999999999999999999999999999999Ei".to_string()),
    ]
}

fn resources() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(quantity()),
        proptest::option::of(quantity()),
        proptest::option::of(quantity()),
        proptest::option::of(quantity()),
        proptest::option::of(0u8..4),
    )
        .prop_map(|(lc, lm, rc, rm, gpu)| {
            let mut limits = serde_json::Map::new();
            let mut requests = serde_json::Map::new();
            if let Some(v) = lc {
                limits.insert("cpu".into(), json!(v));
            }
            if let Some(v) = lm {
                limits.insert("memory".into(), json!(v));
            }
            if let Some(g) = gpu {
                limits.insert("nvidia.com/gpu".into(), json!(g.to_string()));
            }
            if let Some(v) = rc {
                requests.insert("cpu".into(), json!(v));
            }
            if let Some(v) = rm {
                requests.insert("memory".into(), json!(v));
            }
            json!({"limits": limits, "requests": requests})
        })
}

fn env_var() -> impl Strategy<Value = Value> {
    let name = "[A-Za-z_.\\-]{1,12}";
    prop_oneof![
        (name, ".{0,300}").prop_map(|(n, v)| json!({"name": n, "value": v})),
        (name, "\\$\\([A-Z_]{0,5}\\)?\\$?.{0,10}").prop_map(|(n, v)| json!({"name": n, "value": v})),
        (name, "[a-z]{1,5}", "[a-z]{1,5}", any::<bool>()).prop_map(|(n, cm, k, opt)| json!({"name": n, "valueFrom": {"configMapKeyRef": {"name": cm, "key": k, "optional": opt}}})),
        (name, "[a-z]{1,5}", "[a-z]{1,5}").prop_map(|(n, s, k)| json!({"name": n, "valueFrom": {"secretKeyRef": {"name": s, "key": k}}})),
        (name, prop_oneof![Just("metadata.name"), Just("status.podIP"), Just("status.hostIP"), Just("spec.nodeName"), Just("metadata.labels['a']"), Just("bogus.path")])
            .prop_map(|(n, p)| json!({"name": n, "valueFrom": {"fieldRef": {"fieldPath": p}}})),
        (name, prop_oneof![Just("limits.cpu"), Just("requests.memory"), Just("limits.nvidia.com/gpu")], proptest::option::of(quantity()))
            .prop_map(|(n, r, d)| json!({"name": n, "valueFrom": {"resourceFieldRef": {"resource": r, "divisor": d}}})),
    ]
}

fn port() -> impl Strategy<Value = IntOrName> {
    prop_oneof![(-5i32..70_000).prop_map(IntOrName::Int), "[a-z]{1,4}".prop_map(IntOrName::Name)]
}

#[derive(Debug, Clone)]
enum IntOrName {
    Int(i32),
    Name(String),
}

impl IntOrName {
    fn json(&self) -> Value {
        match self {
            IntOrName::Int(i) => json!(i),
            IntOrName::Name(n) => json!(n),
        }
    }
}

fn probe() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"exec": {"command": ["true"]}})),
        port().prop_map(
            |p| json!({"httpGet": {"port": p.json(), "path": "/", "httpHeaders": [{"name": "a", "value": "b"}]}})
        ),
        port().prop_map(|p| json!({"tcpSocket": {"port": p.json()}})),
        (0i32..70_000).prop_map(|p| json!({"grpc": {"port": p}})),
        Just(json!({})),
    ]
}

fn container() -> impl Strategy<Value = Value> {
    (
        "[a-z]{1,3}",
        proptest::option::of("[a-z:0-9./@]{0,20}"),
        resources(),
        proptest::collection::vec(env_var(), 0..5),
        proptest::collection::vec((-5i32..70_000, prop_oneof![Just("TCP"), Just("UDP"), Just("SCTP")], proptest::option::of(-1i32..70_000)), 0..3),
        proptest::option::of(probe()),
        proptest::option::of(probe()),
        proptest::collection::vec("[a-z]{1,3}", 0..3),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(name, image, resources, env, ports, live, startup, mounts, privileged)| {
            let ports: Vec<Value> = ports
                .into_iter()
                .map(|(p, proto, host)| json!({"containerPort": p, "protocol": proto, "hostPort": host}))
                .collect();
            let mounts: Vec<Value> = mounts.into_iter().map(|m| json!({"name": m, "mountPath": format!("/m/{m}"), "subPathExpr": "$(X)"})).collect();
            json!({
                "name": name, "image": image, "resources": resources, "env": env, "ports": ports,
                "livenessProbe": live, "startupProbe": startup, "volumeMounts": mounts,
                "args": ["$(A)", "b"], "securityContext": {"privileged": privileged, "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}},
                "lifecycle": {"preStop": {"sleep": {"seconds": 3}}}
            })
        })
}

fn volume() -> impl Strategy<Value = Value> {
    let name = "[a-z]{1,3}";
    prop_oneof![
        (name, proptest::option::of(prop_oneof![Just("Memory"), Just("HugePages"), Just("")]), proptest::option::of(quantity()))
            .prop_map(|(n, m, s)| json!({"name": n, "emptyDir": {"medium": m, "sizeLimit": s}})),
        (name, "[a-z]{1,4}", any::<bool>(), proptest::option::of(0i32..1000)).prop_map(|(n, c, o, mode)| json!({"name": n, "configMap": {"name": c, "optional": o, "defaultMode": mode, "items": [{"key": "k", "path": "p", "mode": mode}]}})),
        (name, "[a-z]{1,4}").prop_map(|(n, s)| json!({"name": n, "secret": {"secretName": s}})),
        name.prop_map(|n| json!({"name": n, "hostPath": {"path": "/x"}})),
        name.prop_map(|n| json!({"name": n, "nfs": {"server": "s", "path": "/p"}})),
        name.prop_map(|n| json!({"name": n, "persistentVolumeClaim": {"claimName": "c"}})),
        name.prop_map(|n| json!({"name": n, "csi": {"driver": "d"}})),
        name.prop_map(|n| json!({"name": n, "projected": {"sources": [
            {"serviceAccountToken": {"path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "l", "fieldRef": {"fieldPath": "metadata.labels"}}, {"path": "ip", "fieldRef": {"fieldPath": "status.podIP"}}]}}]}})),
    ]
}

fn annotations() -> impl Strategy<Value = BTreeMap<String, String>> {
    let key = prop_oneof![
        (0..REGISTRY.len()).prop_map(|i| REGISTRY[i].key.to_string()),
        "k8s\\.aliyun\\.com/[a-z\\-]{1,12}",
        "[a-z]{1,5}/[a-z]{1,5}",
    ];
    let value = prop_oneof![
        (0..REGISTRY.len()).prop_map(|i| REGISTRY[i].example.to_string()),
        ".{0,40}",
        "[0-9]{1,4}",
        Just("true".to_string()),
    ];
    proptest::collection::btree_map(key, value, 0..8)
}

fn pod_value() -> impl Strategy<Value = Value> {
    (
        proptest::collection::vec(container(), 0..4),
        proptest::collection::vec(container(), 0..2),
        proptest::collection::vec(volume(), 0..4),
        annotations(),
        proptest::option::of(prop_oneof![Just("ClusterFirst"), Just("Default"), Just("None"), Just("Bogus")]),
        proptest::option::of(any::<bool>()),
        proptest::collection::vec(("[a-z.]{1,20}", "[0-9]{1,3}"), 0..3),
        proptest::option::of("[a-z.\\-]{0,300}"),
    )
        .prop_map(|(containers, inits, volumes, annotations, dns, host_network, sysctls, name)| {
            let sysctls: Vec<Value> = sysctls.into_iter().map(|(n, v)| json!({"name": n, "value": v})).collect();
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": "ns", "annotations": annotations, "labels": {"a": "b"}},
                "spec": {
                    "containers": containers, "initContainers": inits, "volumes": volumes,
                    "dnsPolicy": dns, "hostNetwork": host_network,
                    "securityContext": {"sysctls": sysctls, "fsGroup": 1},
                    "imagePullSecrets": [{"name": "reg"}]
                }
            })
        })
}

fn run(pod: &Pod) -> eci_bridge_core::Translation {
    translate(&TranslateInput {
        pod,
        namespace_labels: &BTreeMap::new(),
        cluster: &ClusterSettings::example(),
        profile: None,
        objects: &ObjectStore::new(),
        missing_objects: eci_bridge_core::MissingObjects::Reject,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// No pod makes translation panic, and the result is deterministic.
    #[test]
    fn total_and_deterministic(value in pod_value()) {
        // The generator only builds pods the Kubernetes schema accepts.
        let pod: Pod = serde_json::from_value(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let a = run(&pod);
        let b = run(&pod);
        prop_assert_eq!(a.request.to_json().to_string(), b.request.to_json().to_string());
        prop_assert_eq!(&a.diagnostics, &b.diagnostics);
        prop_assert_eq!(a.explain(Reveal::Redacted), b.explain(Reveal::Redacted));
        // Every parameter of every request (even a rejected pod's) is explained.
        for row in a.explain(Reveal::Redacted) {
            prop_assert!(!row.rule.is_empty(), "{} unexplained", row.field);
        }
    }

    /// The instance is never smaller than what the containers ask for.
    #[test]
    fn sizing_never_below_the_request(cpus in proptest::collection::vec(1u32..20_000, 1..5), mems in proptest::collection::vec(1u32..60_000, 1..5)) {
        let containers: Vec<Value> = cpus.iter().zip(mems.iter()).enumerate().map(|(i, (c, m))| json!({
            "name": format!("c{i}"), "image": "x", "resources": {"limits": {"cpu": format!("{c}m"), "memory": format!("{m}Mi")}}
        })).collect();
        let pod: Pod = serde_json::from_value(json!({"metadata": {"name": "p"}, "spec": {"containers": containers}})).unwrap();
        let t = run(&pod);
        let cpu: u32 = cpus.iter().zip(&mems).map(|(c, _)| *c).sum();
        let mem: u32 = cpus.iter().zip(&mems).map(|(_, m)| *m).sum();
        match &t.sizing.instance {
            InstanceSize::Derived { spec, .. } => {
                prop_assert!(spec.cpu_millis >= i128::from(cpu));
                prop_assert!(spec.memory_mib >= i128::from(mem));
                prop_assert_eq!(t.request.cpu, Some(spec.cpu_millis as f64 / 1000.0));
            }
            InstanceSize::TooLarge => prop_assert!(cpu > 64_000 || mem > 512 * 1024),
            other => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    /// Asking for more never yields a smaller spec (fewest vCPU first, then
    /// memory: the order the rounding minimises).
    #[test]
    fn rounding_is_monotone(c in 0i128..70_000, m in 0i128..(600i128 << 30), dc in 0i128..8_000, dm in 0i128..(16i128 << 30), regional in any::<bool>()) {
        let a = round_up(c, m, regional);
        let b = round_up(c + dc, m + dm, regional);
        if let (Some(a), Some(b)) = (a, b) {
            prop_assert!((b.cpu_millis, b.memory_mib) >= (a.cpu_millis, a.memory_mib));
            prop_assert!(b.cpu_millis >= c + dc && b.memory_bytes() >= m + dm);
        }
        if a.is_none() {
            prop_assert!(b.is_none(), "a bigger demand cannot fit where a smaller one did not");
        }
    }

    /// Flattening and rebuilding the wire form round-trips.
    #[test]
    fn wire_flattening_round_trips(value in wire_value()) {
        let flat = WireParams::from_json(&value);
        prop_assert_eq!(WireParams::from_json(&flat.to_json()), flat.clone());
        // Every leaf of the value appears once.
        prop_assert_eq!(flat.len(), leaves(&value));
    }
}

fn wire_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        ".{0,8}".prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..4).prop_map(Value::from),
            proptest::collection::btree_map("[A-Z][A-Za-z]{0,6}", inner, 1..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .prop_map(|v| json!({"Root": v}))
}

fn leaves(v: &Value) -> usize {
    match v {
        Value::Null => 0,
        Value::Array(a) => a.iter().map(leaves).sum(),
        Value::Object(m) => m.values().map(leaves).sum(),
        _ => 1,
    }
}
