//! Snapshot tests over `fixtures/admission/*.yaml`: the response (with the
//! patch decoded) and the patched pod, plus the invariants every admission
//! keeps.

use eci_bridge_core::Input;
use eci_bridge_core::admission::{AdmissionCase, Decision, review_for_pod};
use eci_bridge_core::parse_documents;
use serde_json::{Value, json};

fn case(path: &std::path::Path) -> AdmissionCase {
    let text = std::fs::read_to_string(path).expect("readable");
    let docs = parse_documents(&text, Input::Request).expect("valid YAML");
    AdmissionCase::from_documents(&docs).expect("a review or pod")
}

#[test]
fn admission_fixtures() {
    insta::glob!("../../fixtures", "admission/*.yaml", |path| {
        let c = case(path);
        let a = c.admit();
        let original = c.review.request.as_ref().and_then(|r| r.object.clone()).unwrap_or(Value::Null);

        insta::assert_json_snapshot!(
            "response",
            json!({"decision": a.decision, "review": a.review, "patch": a.patch, "diagnostics": a.diagnostics})
        );
        insta::assert_json_snapshot!("patched", a.patched.clone().unwrap_or(Value::Null));

        // The patch turns the original into the patched pod.
        if let Some(patched) = &a.patched {
            let mut doc = original.clone();
            json_patch::patch(&mut doc, &a.patch).expect("the patch applies");
            assert_eq!(&doc, patched, "{}", path.display());
        }
        // The response carries exactly that patch, base64-encoded.
        let response = a.review.response.clone().expect("a response");
        assert_eq!(response.uid, c.review.request.as_ref().map(|r| r.uid.clone()).unwrap_or_default());
        if a.patch.0.is_empty() {
            assert!(response.patch.is_none());
        } else {
            use base64::Engine as _;
            let bytes =
                base64::engine::general_purpose::STANDARD.decode(response.patch.unwrap_or_default()).expect("base64");
            let decoded: json_patch::Patch = serde_json::from_slice(&bytes).expect("a JSON patch");
            assert_eq!(decoded, a.patch);
        }
        // Idempotent, and nothing the pod already had changes value.
        if let (Some(patched), Decision::Routed { .. } | Decision::Overflow) = (&a.patched, &a.decision) {
            let again = eci_bridge_core::admission::admit(
                &review_for_pod(patched),
                c.profile.as_ref(),
                &c.namespace_labels,
                &c.options,
            );
            assert!(again.patch.0.is_empty(), "{}: second admission patches {:?}", path.display(), again.patch);
            for field in ["labels", "annotations"] {
                for (k, v) in
                    original.pointer(&format!("/metadata/{field}")).and_then(Value::as_object).into_iter().flatten()
                {
                    assert_eq!(
                        patched.pointer(&format!("/metadata/{field}")).and_then(|m| m.get(k)),
                        Some(v),
                        "{k} changed"
                    );
                }
            }
        }
    });
}
