//! Snapshot tests over `fixtures/pods/*.yaml`.
//!
//! Each fixture is a bundle (a pod plus the documents it needs). For each
//! one the request, the flattened query, the diagnostics and the explain
//! table are snapshots (redacted, as every human-facing rendering is), and
//! invariants that must hold for every pod are checked.

use eci_bridge_core::parse_documents;
use eci_bridge_core::{Bundle, ClusterSettings, CreateContainerGroupRequest, Input, Reveal, Translation, WireParams};

fn translate_fixture(path: &std::path::Path) -> Translation {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let docs = parse_documents(&text, Input::Pod).expect("fixture is valid YAML");
    let bundle = Bundle::from_documents(&docs).expect("fixture has a pod");
    bundle.translate(&ClusterSettings::example())
}

fn explain_text(t: &Translation) -> String {
    t.explain(Reveal::Redacted).iter().map(|r| format!("{r}\n")).collect()
}

#[test]
fn fixtures() {
    insta::glob!("../../fixtures", "pods/*.yaml", |path| {
        let t = translate_fixture(path);

        insta::assert_json_snapshot!("request", t.request_for(Reveal::Redacted).to_json());
        insta::assert_snapshot!("query", t.wire(Reveal::Redacted).to_lines());
        insta::assert_yaml_snapshot!("diagnostics", t.diagnostics);
        insta::assert_snapshot!("explain", explain_text(&t));

        // Deterministic: the same input gives the same bytes.
        let again = translate_fixture(path);
        assert_eq!(t.request.to_json().to_string(), again.request.to_json().to_string());
        assert_eq!(t.diagnostics, again.diagnostics);
        assert_eq!(explain_text(&t), explain_text(&again));

        // Every wire parameter is explained.
        for row in t.explain(Reveal::Redacted) {
            assert!(!row.rule.is_empty(), "{}: {} has no explanation", path.display(), row.field);
        }

        // The JSON form parses back into the same typed request, and the
        // flattened form rebuilds its own nesting.
        let json = t.request.to_json();
        let back: CreateContainerGroupRequest = serde_json::from_value(json.clone()).expect("request JSON round-trips");
        assert_eq!(back.to_json(), json);
        let wire = t.wire(Reveal::Secrets);
        assert_eq!(WireParams::from_json(&wire.to_json()), wire);

        // Nothing secret leaks into the redacted renderings.
        let secret_wire = t.wire(Reveal::Secrets);
        let redacted_query = t.wire(Reveal::Redacted).to_lines();
        for (key, value) in secret_wire.iter() {
            if t.wire(Reveal::Redacted).get(key) == Some("<redacted>") && value.len() > 3 {
                assert!(!redacted_query.contains(value), "{key} leaks");
                assert!(!explain_text(&t).contains(value), "{key} leaks into explain");
            }
        }
    });
}
