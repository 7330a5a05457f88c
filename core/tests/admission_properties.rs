//! Property tests of the webhook: totality, idempotence, append-not-override,
//! selector order, untouched non-matching pods, and the equivalence of the
//! generated webhook configuration with evaluating the profile directly.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use eci_bridge_core::admission::{
    AdmissionOptions, Decision, RoutingStrategy, WebhookConfigOptions, admit, api_server_calls, review_for_pod,
    webhook_configuration,
};
use eci_bridge_core::profile::{EciProfile, Effect, Selector};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use proptest::prelude::*;
use serde_json::{Value, json};

const KEYS: &[&str] = &["app", "team", "tier", "eci", "alibabacloud.com/eci", "env", "virtual-node-affinity-injection"];
const VALUES: &[&str] = &["true", "false", "a", "b", "enabled", "prod"];

fn labels() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map(
        proptest::sample::select(KEYS).prop_map(String::from),
        proptest::sample::select(VALUES).prop_map(String::from),
        0..4,
    )
}

fn label_selector() -> impl Strategy<Value = LabelSelector> {
    let expr = (
        proptest::sample::select(KEYS),
        proptest::sample::select(&["In", "NotIn", "Exists", "DoesNotExist"][..]),
        proptest::collection::vec(proptest::sample::select(VALUES), 1..3),
    )
        .prop_map(|(k, op, vals)| LabelSelectorRequirement {
            key: k.into(),
            operator: op.into(),
            values: if op == "In" || op == "NotIn" { Some(vals.into_iter().map(String::from).collect()) } else { None },
        });
    (proptest::option::of(labels()), proptest::option::of(proptest::collection::vec(expr, 0..2)))
        .prop_map(|(match_labels, match_expressions)| LabelSelector { match_labels, match_expressions })
}

fn effect() -> impl Strategy<Value = Effect> {
    let keys = proptest::sample::select(&["k8s.aliyun.com/eci-use-specs", "k8s.aliyun.com/eci-auto-imc", "note"][..]);
    (
        proptest::collection::btree_map(keys.prop_map(String::from), "[a-z0-9-]{1,6}", 0..3),
        proptest::collection::btree_map(proptest::sample::select(KEYS).prop_map(String::from), "[a-z]{1,4}", 0..3),
    )
        .prop_map(|(annotations, labels)| Effect { annotations, labels })
}

fn profile() -> impl Strategy<Value = EciProfile> {
    proptest::collection::vec(
        (
            proptest::option::of(label_selector()),
            proptest::option::of(label_selector()),
            proptest::option::of(effect()),
        ),
        0..5,
    )
    .prop_map(|parts| EciProfile {
        selectors: parts
            .into_iter()
            .enumerate()
            .map(|(i, (ns, obj, effect))| Selector {
                name: format!("s{i}"),
                namespace_selector: ns,
                object_selector: obj,
                effect,
            })
            .collect(),
        ..Default::default()
    })
}

fn pod() -> impl Strategy<Value = Value> {
    (
        labels(),
        proptest::collection::btree_map(
            proptest::sample::select(&["k8s.aliyun.com/eci-use-specs", "note", "alibabacloud.com/burst-resource"][..])
                .prop_map(String::from),
            proptest::sample::select(&["eci", "eci_only", "ecs", "", "x", "2-4Gi"][..]).prop_map(String::from),
            0..3,
        ),
        proptest::option::of(proptest::sample::select(&["virtual-kubelet", "gpu", "x"][..])),
        any::<bool>(),
        proptest::option::of(proptest::sample::select(&["virtual-kubelet-cn-hangzhou-h", "node-1"][..])),
    )
        .prop_map(|(labels, annotations, node_type, tolerate_all, node_name)| {
            let mut spec = json!({"containers": [{"name": "c", "image": "nginx:1.27"}]});
            if let Some(t) = node_type {
                spec["nodeSelector"] = json!({"type": t});
            }
            if tolerate_all {
                spec["tolerations"] = json!([{"operator": "Exists"}]);
            }
            if let Some(n) = node_name {
                spec["nodeName"] = json!(n);
            }
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "p", "namespace": "ns", "labels": labels, "annotations": annotations},
                   "spec": spec})
        })
}

fn strategy() -> impl Strategy<Value = RoutingStrategy> {
    prop_oneof![Just(RoutingStrategy::NodeSelector), Just(RoutingStrategy::Affinity), Just(RoutingStrategy::NodeName)]
}

/// The documented model of effect priority: passes over the profile in
/// order, each selector taken when it matches the labels so far, until a
/// pass takes none.
fn discovery_order<'a>(
    profile: &'a EciProfile,
    labels: &BTreeMap<String, String>,
    ns_labels: &BTreeMap<String, String>,
) -> Vec<&'a Selector> {
    let mut labels = labels.clone();
    let mut order: Vec<&Selector> = Vec::new();
    loop {
        let taken = order.len();
        for s in &profile.selectors {
            if !order.iter().any(|o| std::ptr::eq(*o, s)) && s.matches(&labels, ns_labels) {
                for (k, v) in s.effect.iter().flat_map(|e| &e.labels) {
                    labels.entry(k.clone()).or_insert_with(|| v.clone());
                }
                order.push(s);
            }
        }
        if order.len() == taken {
            return order;
        }
    }
}

fn map_at(v: &Value, path: &str) -> BTreeMap<String, String> {
    v.pointer(path)
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn admission_properties(pod in pod(), profile in profile(), ns_labels in labels(), strategy in strategy()) {
        let options = AdmissionOptions { strategy, ..AdmissionOptions::default() };
        let a = admit(&review_for_pod(&pod), Some(&profile), &ns_labels, &options);
        let pod_labels = map_at(&pod, "/metadata/labels");

        match &a.decision {
            Decision::Routed { .. } | Decision::Overflow => {
                let patched = a.patched.clone().expect("a mutated pod");
                // Applying the patch gives the mutated pod.
                let mut doc = pod.clone();
                json_patch::patch(&mut doc, &a.patch).expect("applies");
                prop_assert_eq!(&doc, &patched);
                // Idempotent.
                let again = admit(&review_for_pod(&patched), Some(&profile), &ns_labels, &options);
                prop_assert!(again.patch.0.is_empty(), "second patch {:?}", again.patch);
                // Append, never override; earlier selectors win.
                for field in ["labels", "annotations"] {
                    let before = map_at(&pod, &format!("/metadata/{field}"));
                    let after = map_at(&patched, &format!("/metadata/{field}"));
                    for (k, v) in &before {
                        prop_assert_eq!(after.get(k), Some(v), "{} {} changed", field, k);
                    }
                    let order = discovery_order(&profile, &pod_labels, &ns_labels);
                    for (k, v) in after.iter().filter(|(k, _)| !before.contains_key(*k)) {
                        let first = order.iter()
                            .filter_map(|s| s.effect.as_ref())
                            .find_map(|e| if field == "labels" { e.labels.get(k) } else { e.annotations.get(k) });
                        prop_assert_eq!(first, Some(v), "{} {} does not come from the first matching selector", field, k);
                    }
                }
            }
            _ => prop_assert!(a.patch.0.is_empty()),
        }

        // A pod that matches nothing is never changed.
        let routing_label = [("alibabacloud.com/eci", "true"), ("eci", "true")].iter().any(|(k, v)| pod_labels.get(*k).map(String::as_str) == Some(*v));
        let ns_route = [("alibabacloud.com/eci", "true"), ("eci", "true"), ("virtual-node-affinity-injection", "enabled")]
            .iter().any(|(k, v)| ns_labels.get(*k).map(String::as_str) == Some(*v));
        let selector_route = profile.selectors.iter().any(|s| s.routes() && s.matches(&pod_labels, &ns_labels));
        let burst = pod.pointer("/metadata/annotations/alibabacloud.com~1burst-resource").and_then(Value::as_str);
        let virtual_node = pod.pointer("/spec/nodeName").and_then(Value::as_str).is_some_and(|n| n.starts_with("virtual-kubelet"));
        let selects_virtual = pod.pointer("/spec/nodeSelector/type").and_then(Value::as_str) == Some("virtual-kubelet")
            && pod.pointer("/spec/tolerations").is_some();
        if !routing_label && !ns_route && !selector_route && !virtual_node && !selects_virtual && !matches!(burst, Some("eci" | "eci_only")) {
            prop_assert!(a.patch.0.is_empty(), "a non-matching pod was changed: {:?}", a.patch);
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Our LabelSelector matching agrees with kube-core's.
    #[test]
    fn label_selector_matching_agrees_with_kube_core(selector in label_selector(), labels in labels()) {
        use kube_core::SelectorExt;
        let ours = eci_bridge_core::profile::selector::label_selector_matches(&selector, &labels);
        let theirs = kube_core::Selector::try_from(selector.clone()).is_ok_and(|m| m.matches(&labels));
        prop_assert_eq!(ours, theirs, "{:?} on {:?}", selector, labels);
    }
}

proptest! {
    // Each case checks 300 label sets on two Kubernetes versions.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The API server's filtering with the generated configuration, followed
    /// by the webhook's own decision, routes exactly the pods that evaluating
    /// the profile directly routes — for current and pre-1.16 clusters.
    #[test]
    fn webhook_configuration_routes_like_the_profile(profile in profile(), label_sets in proptest::collection::vec((labels(), labels()), 300)) {
        let options = AdmissionOptions::default();
        for version in ["1.30", "1.15"] {
            let (config, _) = webhook_configuration(Some(&profile), &WebhookConfigOptions { kubernetes_version: version.into(), ..Default::default() });
            for (pod_labels, ns_labels) in &label_sets {
                let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns", "labels": pod_labels},
                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
                let direct = matches!(admit(&review_for_pod(&pod), Some(&profile), ns_labels, &options).decision, Decision::Routed { .. });
                let called = api_server_calls(&config, pod_labels, ns_labels);
                let via_api_server = called && direct;
                prop_assert_eq!(via_api_server, direct, "k8s {}: pod {:?} ns {:?}", version, pod_labels, ns_labels);
            }
        }
    }
}

/// Effects whose labels can make other selectors match (values drawn from
/// the ones selectors test) and whose annotations change the request.
fn chaining_profile() -> impl Strategy<Value = EciProfile> {
    let annotation = (
        proptest::sample::select(
            &[
                "k8s.aliyun.com/eci-use-specs",
                "k8s.aliyun.com/eci-auto-imc",
                "k8s.aliyun.com/eci-spot-strategy",
                "k8s.aliyun.com/eci-vswitch",
                "note",
            ][..],
        ),
        proptest::sample::select(&["ecs.c6.large", "2-4Gi", "true", "SpotAsPriceGo", "vsw-example-i", "x"][..]),
    );
    let effect = (
        proptest::collection::btree_map(annotation.prop_map(|(k, v)| (k.to_string(), v.to_string())), Just(()), 0..3),
        proptest::collection::btree_map(
            proptest::sample::select(KEYS).prop_map(String::from),
            proptest::sample::select(VALUES).prop_map(String::from),
            0..3,
        ),
    )
        .prop_map(|(annotations, labels)| Effect { annotations: annotations.into_keys().collect(), labels });
    proptest::collection::vec(
        (proptest::option::of(label_selector()), proptest::option::of(label_selector()), proptest::option::of(effect)),
        0..5,
    )
    .prop_map(|parts| EciProfile {
        selectors: parts
            .into_iter()
            .enumerate()
            .map(|(i, (ns, obj, effect))| Selector {
                name: format!("s{i}"),
                namespace_selector: ns,
                object_selector: obj,
                effect,
            })
            .collect(),
        ..Default::default()
    })
}

/// A pod that reads its own labels, annotations and node name (env
/// fieldRefs and a downward API volume), so effects show in the request.
fn reading_pod() -> impl Strategy<Value = Value> {
    pod().prop_map(|mut pod| {
        let env = json!([
            {"name": "TEAM", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['team']"}}},
            {"name": "SPECS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['k8s.aliyun.com/eci-use-specs']"}}},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        ]);
        pod["spec"]["containers"][0]["env"] = env;
        pod["spec"]["containers"][0]["volumeMounts"] = json!([{"name": "info", "mountPath": "/etc/info"}]);
        pod["spec"]["volumes"] = json!([{"name": "info", "downwardAPI": {"items": [
            {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
            {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}},
        ]}}]);
        pod
    })
}

fn translate_value(pod: &Value, profile: &EciProfile, ns_labels: &BTreeMap<String, String>) -> Value {
    use eci_bridge_core::{ClusterSettings, ObjectStore, TranslateInput, translate};
    let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(pod.clone()).expect("a pod");
    let t = translate(&TranslateInput {
        pod: &pod,
        namespace_labels: ns_labels,
        cluster: &ClusterSettings::example(),
        profile: Some(profile),
        objects: &ObjectStore::new(),
        missing_objects: eci_bridge_core::MissingObjects::Reject,
    });
    t.request.to_json()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// One rule for profile effects: translating a pod gives the request
    /// that translating the pod the webhook returns gives. The webhook's
    /// node-name strategy binds the pod (`spec.nodeName`, which the request
    /// carries as the NodeName tag): the raw pod is compared bound to the
    /// same node, as the provider only ever translates bound pods.
    #[test]
    fn translate_agrees_with_admission(pod in reading_pod(), profile in chaining_profile(), ns_labels in labels(), strategy in strategy()) {
        let options = AdmissionOptions { strategy, ..AdmissionOptions::default() };
        let a = admit(&review_for_pod(&pod), Some(&profile), &ns_labels, &options);
        let admitted = a.patched.clone().unwrap_or_else(|| pod.clone());
        let mut raw = pod.clone();
        if let (None, Some(node)) = (raw.pointer("/spec/nodeName"), admitted.pointer("/spec/nodeName")) {
            raw["spec"]["nodeName"] = node.clone();
        }
        let before = translate_value(&raw, &profile, &ns_labels);
        let after = translate_value(&admitted, &profile, &ns_labels);
        prop_assert_eq!(before, after, "decision {:?}, patch {:?}", a.decision, a.patch);
    }
}
