//! The mutating webhook (what `eci-bridge admit -f` and the webhook daemon
//! run): an AdmissionReview (or a bare pod) stream → `AdmissionCase` →
//! `admit`.
//!
//! Invariants:
//! - deterministic: the review, patch, patched pod and diagnostics are
//!   byte-identical over two runs;
//! - the response answers the request (same uid); a denial carries no patch;
//! - the patch applied to the request's object gives the patched pod;
//! - idempotent (documented): admitting the patched pod again gives an
//!   empty patch and the same decision kind;
//! - the outputs stay linear in the input.
#![no_main]

use eci_bridge_core::Input;
use eci_bridge_core::admission::{Admission, AdmissionCase, Decision};
use eci_bridge_core::parse_documents;
use eci_bridge_fuzz::{assert_same, check_output_bound, render_diagnostics, text};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn render(a: &Admission) -> Vec<(&'static str, String)> {
    vec![
        ("review", serde_json::to_string_pretty(&a.review).unwrap_or_default()),
        ("patch", serde_json::to_string(&a.patch).unwrap_or_default()),
        ("patched", serde_json::to_string(&a.patched).unwrap_or_default()),
        ("decision", serde_json::to_string(&a.decision).unwrap_or_default()),
        ("diagnostics", render_diagnostics(&a.diagnostics)),
    ]
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else { return };
    let Ok(docs) = parse_documents(&text, Input::Request) else { return };
    let case = match AdmissionCase::from_documents(&docs) {
        Ok(c) => c,
        Err(d) => {
            check_output_bound("admit", data.len(), &[("error", render_diagnostics(&[d]))]);
            return;
        }
    };
    let first = case.admit();
    let shown = render(&first);
    assert_same("admit", "determinism", &shown, &render(&case.admit()));
    check_output_bound("admit", data.len(), &shown);

    let request = case.review.request.as_ref();
    let response = first.review.response.as_ref().expect("admit: the review has no response");
    assert_eq!(
        response.uid,
        request.map(|r| r.uid.clone()).unwrap_or_default(),
        "admit: the response does not answer the request's uid"
    );
    if !response.allowed {
        assert!(first.patch.0.is_empty() && response.patch.is_none(), "admit: a denied pod has a patch");
    }
    let routed = matches!(first.decision, Decision::Routed { .. } | Decision::Overflow);
    if !first.patch.0.is_empty() {
        let mut object = request.and_then(|r| r.object.clone()).unwrap_or(Value::Null);
        if let Err(e) = json_patch::patch(&mut object, &first.patch.0) {
            panic!("admit: the patch does not apply to the request's object: {e}");
        }
        assert!(
            Some(&object) == first.patched.as_ref(),
            "admit: the patch applied to the object is not the patched pod"
        );
    }
    // Idempotence: the patched pod, admitted again, needs no change.
    if let (true, Some(patched)) = (routed, first.patched.clone()) {
        let mut again = case.clone();
        if let Some(r) = again.review.request.as_mut() {
            r.object = Some(patched);
        }
        let second = again.admit();
        assert!(
            second.patch.0.is_empty(),
            "admit: not idempotent: admitting the patched pod patches it again: {}\nfirst decision: {:?}",
            serde_json::to_string(&second.patch).unwrap_or_default(),
            first.decision
        );
        assert_eq!(
            std::mem::discriminant(&first.decision),
            std::mem::discriminant(&second.decision),
            "admit: the patched pod, admitted again, gets another decision: {:?} then {:?}",
            first.decision,
            second.decision
        );
    }
});
