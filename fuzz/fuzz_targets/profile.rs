//! The eci-profile (`eci-bridge profile check`, `webhook-config`, `profile
//! diff`): `profile::parse_profile` on every document of the input, then the
//! `MutatingWebhookConfiguration` for it.
//!
//! Invariants:
//! - parsing and the webhook configuration are deterministic;
//! - a profile diffed with itself has no changes (when its selector names
//!   are unique, as they must be);
//! - the configuration has at most one webhook per route (plus the
//!   catch-all), and every webhook of a pre-1.16 configuration has no
//!   objectSelector;
//! - the outputs stay linear in the input.
#![no_main]

use std::collections::BTreeSet;

use eci_bridge_core::Input;
use eci_bridge_core::admission::webhook::{WebhookConfigOptions, routes, webhook_configuration};
use eci_bridge_core::parse_documents;
use eci_bridge_core::profile::diff::diff_profiles;
use eci_bridge_core::profile::parse_profile;
use eci_bridge_fuzz::{assert_same, check_output_bound, render_diagnostics, text, yaml};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Documents looked at per input.
const MAX_DOCUMENTS: usize = 8;

fn run(doc: &Value) -> Vec<(&'static str, String)> {
    let (profile, diags) = parse_profile(doc);
    // Selector names are required to be unique; `profile diff` pairs
    // selectors by name, so with duplicates it reports the second one as
    // changed and moved (fuzz/seeds/profile/duplicate-selector-names.yaml).
    let names: BTreeSet<&str> = profile.selectors.iter().map(|s| s.name.as_str()).collect();
    if names.len() == profile.selectors.len() {
        let changes = diff_profiles(&profile, &profile);
        assert!(
            changes.is_empty(),
            "profile: a profile differs from itself: {}",
            serde_json::to_string(&changes).unwrap_or_default()
        );
    }
    let mut out = vec![
        ("profile", yaml(&serde_json::to_value(&profile).unwrap_or_default())),
        ("diagnostics", render_diagnostics(&diags)),
    ];
    let route_count = routes(Some(&profile)).len();
    for (version, match_all) in [("1.30", false), ("1.15", true)] {
        let options = WebhookConfigOptions {
            kubernetes_version: version.into(),
            match_all_pods: match_all,
            ..Default::default()
        };
        let (config, diags) = webhook_configuration(Some(&profile), &options);
        let webhooks = config.get("webhooks").and_then(Value::as_array).map(Vec::len).unwrap_or_default();
        assert!(
            webhooks <= route_count + usize::from(match_all),
            "profile: {webhooks} webhooks for {route_count} routes"
        );
        if version == "1.15" {
            let with_object =
                config["webhooks"].as_array().into_iter().flatten().any(|w| w.get("objectSelector").is_some());
            assert!(!with_object, "profile: a v1beta1 (Kubernetes 1.15) webhook has an objectSelector");
        }
        out.push(("webhook-config", yaml(&config)));
        out.push(("webhook-diagnostics", render_diagnostics(&diags)));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else { return };
    let Ok(docs) = parse_documents(&text, Input::Profile) else { return };
    let mut all = Vec::new();
    for doc in docs.iter().take(MAX_DOCUMENTS) {
        let first = run(doc);
        assert_same("profile", "determinism", &first, &run(doc));
        all.extend(first);
    }
    check_output_bound("profile", data.len(), &all);
});
