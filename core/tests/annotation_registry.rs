//! Every annotation of the registry has an effect that can be seen: no
//! annotation is read, validated and then silently dropped.
//!
//! For each entry the pod below is translated with the entry's example value
//! (plus the annotations it documents as its prerequisites) and checked by
//! the entry's target:
//!
//! - `Param(p)`: an explain row for `p` (or a field under it) is sent and
//!   cites the annotation;
//! - `Params(_)`: some sent explain row cites the annotation, and the request
//!   differs from the one without it;
//! - `Provider(_)`: an explain row that is not sent names the annotation,
//!   and the provider engine's own reading of it is checked here;
//! - `Admission(_)`: an explain row that is not sent names it, and the
//!   admission webhook answers differently with it;
//! - `NotSent(_)`: an explain row that is not sent names it, and an info
//!   diagnostic at the annotation says so;
//! - `Output(_)`: an info diagnostic says it is ignored on input.

use std::collections::BTreeMap;

use eci_bridge_core::admission::{AdmissionOptions, admit, review_for_pod};
use eci_bridge_core::annotations::{REGISTRY, Target};
use eci_bridge_core::diagnostics::Severity;
use eci_bridge_core::{ClusterSettings, ObjectStore, Reveal, TranslateInput, Translation, translate};
use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};

/// Annotations an entry needs before it can do anything (documented
/// pairings: the price limit needs SpotWithPriceLimit, ARNs name the ACR
/// instances' roles, the EIP settings apply to an EIP ECI creates, the
/// fallback and release strategy to spot pods).
fn prerequisites(key: &str) -> &'static [(&'static str, &'static str)] {
    match key {
        "k8s.aliyun.com/eci-spot-price-limit" => &[("k8s.aliyun.com/eci-spot-strategy", "SpotWithPriceLimit")],
        "k8s.aliyun.com/acr-service-arns" | "k8s.aliyun.com/acr-user-arns" => {
            &[("k8s.aliyun.com/acr-instance-ids", "cri-abc")]
        }
        "k8s.aliyun.com/eip-internet-charge-type"
        | "k8s.aliyun.com/eip-public-ip-address-pool-id"
        | "k8s.aliyun.com/eip-bandwidth"
        | "k8s.aliyun.com/eip-isp"
        | "k8s.aliyun.com/eip-common-bandwidth-package-id" => &[("k8s.aliyun.com/eci-with-eip", "true")],
        "k8s.aliyun.com/eci-spot-fallback" | "k8s.aliyun.com/eci-spot-release-strategy" => {
            &[("k8s.aliyun.com/eci-spot-strategy", "SpotAsPriceGo")]
        }
        "k8s.aliyun.com/eci-privatepool-matchcriteria" => {
            &[("k8s.aliyun.com/eci-privatepool-id", "eap-2ze0000000000000")]
        }
        "k8s.aliyun.com/eci-privatepool-id" => &[("k8s.aliyun.com/eci-privatepool-matchcriteria", "Target")],
        _ => &[],
    }
}

fn pod(annotations: &[(&str, &str)]) -> Value {
    let annotations: BTreeMap<&str, &str> = annotations.iter().copied().collect();
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default", "annotations": annotations},
        "spec": {
            "containers": [{"name": "web", "image": "nginx:1.27",
                "volumeMounts": [{"name": "cache-volume", "mountPath": "/cache"}]}],
            "volumes": [{"name": "cache-volume", "emptyDir": {}}]
        }
    })
}

fn run(annotations: &[(&str, &str)]) -> Translation {
    let pod: Pod = serde_json::from_value(pod(annotations)).expect("a valid pod");
    translate(&TranslateInput {
        pod: &pod,
        namespace_labels: &BTreeMap::new(),
        cluster: &ClusterSettings::example(),
        profile: None,
        objects: &ObjectStore::new(),
        missing_objects: eci_bridge_core::MissingObjects::Reject,
    })
}

fn pointer(key: &str) -> String {
    format!("/metadata/annotations/{}", key.replace('~', "~0").replace('/', "~1"))
}

#[test]
fn every_registry_annotation_has_a_visible_effect() {
    let mut failures = Vec::new();
    for spec in REGISTRY {
        let key = spec.key;
        let mut with: Vec<(&str, &str)> = prerequisites(key).to_vec();
        let without = run(&with);
        with.push((key, spec.example));
        let t = run(&with);
        let at = pointer(key);
        let rows = t.explain(Reveal::Redacted);
        let cites = |sent: bool| {
            rows.iter().filter(|r| r.sent == sent && r.inputs.iter().any(|i| i.pointer == at)).collect::<Vec<_>>()
        };
        let info_here = t.diagnostics.iter().any(|d| d.severity == Severity::Info && d.pointer == pointer(key));
        let not_sent_row = rows.iter().any(|r| !r.sent && r.field == key && !r.rule.is_empty());
        let ok = match spec.target {
            Target::Param(param) => cites(true)
                .iter()
                .any(|r| r.field == param || r.field.starts_with(&format!("{param}.")) || param.starts_with(&r.field)),
            Target::Params(_) => !cites(true).is_empty() && t.request.to_json() != without.request.to_json(),
            Target::Provider(_) => not_sent_row && provider_reads(key, spec.example),
            Target::Admission(_) => not_sent_row && admission_reads(key, spec.example),
            Target::NotSent(_) => not_sent_row && info_here,
            Target::Output(_) => t.diagnostics.iter().any(|d| d.severity == Severity::Info && d.message.contains(key)),
        };
        if !ok {
            failures.push(format!("{key} ({:?}): rows citing it {:?}", spec.target, cites(true)));
        }
        // An annotation that is not sent never reaches the request.
        if matches!(spec.target, Target::Provider(_) | Target::Admission(_) | Target::NotSent(_)) {
            assert_eq!(t.request.to_json(), without.request.to_json(), "{key} changed the request");
        }
    }
    assert!(failures.is_empty(), "annotations without a visible effect:\n{}", failures.join("\n"));
}

/// The provider engine's reading of its annotations (`provider::fails_fast`).
fn provider_reads(key: &str, example: &str) -> bool {
    use eci_bridge_core::provider::fails_fast;
    let of = |k: &str, v: &str| fails_fast(&[(k.to_string(), v.to_string())].into());
    match key {
        // fail-fast fails at once; fail-back and fail-over retry.
        "k8s.aliyun.com/eci-fail-strategy" => {
            of(key, "fail-fast") && !of(key, "fail-back") && !of(key, "fail-over") && of(key, example)
        }
        "k8s.aliyun.com/pod-fail-on-create-err" => of(key, example) && !of(key, "false"),
        // Retrying is the engine's default, which the annotation asks for.
        "k8s.aliyun.com/eci-reschedule-enable" => !of(key, example) && example == "true",
        _ => false,
    }
}

/// The admission webhook answers differently with the annotation.
fn admission_reads(key: &str, example: &str) -> bool {
    let answer = |annotations: &[(&str, &str)]| {
        let a = admit(&review_for_pod(&pod(annotations)), None, &BTreeMap::new(), &AdmissionOptions::default());
        format!("{:?} {:?} {:?}", a.decision, a.patch, a.diagnostics)
    };
    answer(&[(key, example)]) != answer(&[]) && answer(&[(key, "not-a-value")]) != answer(&[(key, example)])
}

#[test]
fn a_not_sent_annotation_says_why_it_does_nothing() {
    let t = run(&[("k8s.aliyun.com/eip-internet-charge-type", "PayByTraffic")]);
    let row = t.explain(Reveal::Redacted).into_iter().find(|r| r.field == "k8s.aliyun.com/eip-internet-charge-type");
    let row = row.expect("an explain row");
    assert!(!row.sent);
    assert!(row.rule.contains("no EIP is created"), "{}", row.rule);
    assert_eq!(
        row.to_string().split(" <- ").next(),
        Some("k8s.aliyun.com/eip-internet-charge-type = PayByTraffic (not sent)")
    );
}

#[test]
fn set_diskvolume_turns_the_named_emptydir_into_a_dynamic_disk() {
    let t = run(&[("k8s.aliyun.com/eci-set-diskvolume", "cache-volume:ext4:500Gi")]);
    let volume = &t.request.to_json()["Volume"][0];
    assert_eq!(volume["Type"], "DiskVolume");
    assert_eq!(volume["DiskVolume"], json!({"DiskSize": 500, "FsType": "ext4"}));
    assert!(volume.get("EmptyDirVolume").is_none());
    for bad in ["other:ext4:500Gi", "cache-volume:ext4", "cache-volume:ext4:lots"] {
        let t = run(&[("k8s.aliyun.com/eci-set-diskvolume", bad)]);
        assert!(t.is_rejected(), "{bad} should be an error");
        assert_eq!(t.request.to_json()["Volume"][0]["Type"], "EmptyDirVolume");
    }
}
