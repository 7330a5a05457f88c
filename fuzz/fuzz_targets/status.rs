//! Instance status (what `eci-bridge status` and the provider's status loop
//! run): a pod plus a `DescribeContainerGroups` item or response →
//! `StatusCase::from_documents` → `map`.
//!
//! Invariants:
//! - deterministic (status, events, pod, diagnostics byte-identical);
//! - the phase is a Kubernetes pod phase;
//! - at most one status per container name;
//! - the outputs stay linear in the input.
#![no_main]

use std::collections::BTreeSet;

use eci_bridge_core::ClusterSettings;
use eci_bridge_core::Input;
use eci_bridge_core::parse_documents;
use eci_bridge_core::status::case::{StatusCase, StatusView};
use eci_bridge_fuzz::{assert_same, check_output_bound, render_diagnostics, text, to_yaml};
use libfuzzer_sys::fuzz_target;

const PHASES: &[&str] = &["Pending", "Running", "Succeeded", "Failed", "Unknown"];

fn render(v: &StatusView) -> Vec<(&'static str, String)> {
    vec![
        ("status", to_yaml(&v.status)),
        ("events", to_yaml(&v.events)),
        ("pod", to_yaml(&v.pod)),
        ("diagnostics", render_diagnostics(&v.diagnostics)),
    ]
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else { return };
    let Ok(docs) = parse_documents(&text, Input::Pod) else { return };
    let case = match StatusCase::from_documents(&docs) {
        Ok(c) => c,
        Err(d) => {
            check_output_bound("status", data.len(), &[("error", render_diagnostics(&[d]))]);
            return;
        }
    };
    let now = case.now.unwrap_or_else(|| "2025-01-02T03:04:05Z".parse().expect("a valid time"));
    let cluster = ClusterSettings::example();
    let view = case.map(now, &cluster);
    let shown = render(&view);
    assert_same("status", "determinism", &shown, &render(&case.map(now, &cluster)));
    check_output_bound("status", data.len(), &shown);
    if let Some(phase) = view.status.phase.as_deref() {
        assert!(PHASES.contains(&phase), "status: `{phase}` is not a pod phase");
    }
    // Containers with distinct names (the API server's rule) get one status each.
    let spec = case.pod.spec.as_ref();
    let declared: Vec<&str> = spec
        .into_iter()
        .flat_map(|s| s.containers.iter().chain(s.init_containers.iter().flatten()))
        .map(|c| c.name.as_str())
        .collect();
    if declared.iter().collect::<BTreeSet<_>>().len() == declared.len() {
        for statuses in [&view.status.container_statuses, &view.status.init_container_statuses] {
            let names: Vec<&str> = statuses.iter().flatten().map(|s| s.name.as_str()).collect();
            let unique: BTreeSet<&str> = names.iter().copied().collect();
            assert_eq!(unique.len(), names.len(), "status: several statuses for one container: {names:?}");
        }
    }
});
