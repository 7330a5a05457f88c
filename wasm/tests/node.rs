//! The bindings on wasm32 under node (`wasm-bindgen-test-runner`): for every
//! pod fixture the request JSON is byte-identical to the reviewed native
//! snapshot (which `eci-bridge translate -o json` also prints), the preview
//! carries placed diagnostics, and failures are JS errors with a diagnostic.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

/// The snapshot's content: everything after its header (the second `---`).
fn snapshot_body(snapshot: &str) -> &str {
    let after_first = snapshot.split_once("---\n").map_or(snapshot, |(_, rest)| rest);
    after_first.split_once("---\n").map_or(after_first, |(_, rest)| rest)
}

#[wasm_bindgen_test]
fn every_fixture_gives_the_native_request_json() {
    assert!(FIXTURES.len() >= 60, "only {} fixtures", FIXTURES.len());
    for (name, text, snapshot) in FIXTURES {
        // Strict, as the snapshots are: a missing ConfigMap or Secret is left
        // out rather than shown as a `<missing: …>` placeholder.
        let sources = serde_json::json!({"files": [{"name": "pod", "role": "stream", "text": text}]}).to_string();
        let out = eci_bridge_wasm::run("translate", &sources, r#"{"strict": true}"#, "")
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let ran: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(ran["outcome"]["requestJson"].as_str(), Some(snapshot_body(snapshot)), "{name}");
    }
}

#[wasm_bindgen_test]
fn preview_places_diagnostics_and_agrees_with_translate() {
    let (_, text, snapshot) = FIXTURES.iter().find(|(n, ..)| *n == "hostpath-rejected.yaml").expect("fixture");
    let sources = serde_json::json!({"files": [{"name": "pod", "role": "stream", "text": text}]}).to_string();
    let out = eci_bridge_wasm::preview(&sources, "").expect("previews");
    let preview: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(preview["requestJson"].as_str(), Some(snapshot_body(snapshot)));
    assert_eq!(preview["rejected"], true);
    let hostpath = preview["diagnostics"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["code"] == "hostpath-volume"))
        .expect("hostPath diagnostic");
    assert_eq!(hostpath["span"]["file"], "pod");
    assert!(hostpath["span"]["start"]["line"].as_u64().is_some_and(|l| l > 1));
}

#[wasm_bindgen_test]
fn failures_are_errors_with_the_diagnostic() {
    let sources =
        serde_json::json!({"files": [{"name": "pod", "role": "stream", "text": "kind: Pod\nspec: [\n"}]}).to_string();
    let err = eci_bridge_wasm::preview(&sources, "{}").expect_err("a syntax error");
    let diagnostic = js_sys::Reflect::get(&err, &JsValue::from_str("diagnostic")).expect("a diagnostic property");
    let code = js_sys::Reflect::get(&diagnostic, &JsValue::from_str("code")).expect("code");
    assert_eq!(code.as_string().as_deref(), Some("syntax"));
    let message = js_sys::Reflect::get(&err, &JsValue::from_str("message")).expect("message");
    assert!(message.as_string().is_some_and(|m| m.contains("error[syntax]")));
}

#[wasm_bindgen_test]
fn the_other_exports_answer() {
    let registry: serde_json::Value = serde_json::from_str(&eci_bridge_wasm::annotations()).expect("JSON");
    assert!(registry.as_array().is_some_and(|a| a.len() > 50));
    let specs: serde_json::Value = serde_json::from_str(&eci_bridge_wasm::specs()).expect("JSON");
    assert!(specs.as_array().is_some_and(|a| a.iter().any(|s| s == "2-4Gi")));
    let nodes: serde_json::Value =
        serde_json::from_str(&eci_bridge_wasm::nodes("", "2026-11-23T10:00:00Z").expect("nodes")).expect("JSON");
    assert_eq!(nodes["nodes"].as_array().map(Vec::len), Some(2));
    let config = eci_bridge_wasm::webhook_config("", "").expect("config");
    assert!(config.contains("MutatingWebhookConfiguration"));
    assert!(eci_bridge_wasm::status("kind: Pod", "2026-11-23T10:00:00Z").is_err());
    let version: serde_json::Value = serde_json::from_str(&eci_bridge_wasm::version()).expect("JSON");
    assert_eq!(version["eciApi"], "2018-08-08");
}
