//! # eci-bridge-wasm
//!
//! The browser face of `eci-bridge-core`: each export reads YAML/JSON text
//! (and JSON for structured arguments), calls the core, and returns JSON
//! text, which the playground's `engine.ts` parses into plain objects.
//! Nothing here decides anything about ECI or Kubernetes; a failure is a JS
//! `Error` whose message is the diagnostic's text and whose `diagnostic`
//! property is the diagnostic itself (code, input, pointer, span, help).
//!
//! Why JSON text rather than `serde-wasm-bindgen` objects: every output
//! type is then serialized by one serializer (`serde_json`'s, which the core
//! instantiates anyway), instead of a second copy of every `Serialize` impl
//! for the wasm-bindgen serializer — a large part of the module's size —
//! and `JSON.parse` is fast.
//!
//! Time is an argument (RFC 3339 text), never the browser's clock, so a
//! shared link reproduces the same output.

use eci_bridge_core::Input;
use eci_bridge_core::diagnostics::{Code, Diagnostic};
use serde::Serialize;
use wasm_bindgen::prelude::*;

pub mod adapter;

/// JSON text of any serializable value (through `serde_json::Value`, so
/// each type's `Serialize` is compiled once).
fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, JsValue> {
    serde_json::to_value(value).map(|v| v.to_string()).map_err(|e| error(&e.to_string(), None))
}

/// A JS `Error` carrying the diagnostic.
fn error(message: &str, diagnostic: Option<&Diagnostic>) -> JsValue {
    let e = js_sys::Error::new(message);
    if let Some(d) = diagnostic
        && let Ok(text) = to_json(d)
        && let Ok(value) = js_sys::JSON::parse(&text)
    {
        let _ = js_sys::Reflect::set(&e, &JsValue::from_str("diagnostic"), &value);
    }
    e.into()
}

fn fail(d: Diagnostic) -> JsValue {
    error(&d.to_string(), Some(&d))
}

/// The crate and core versions, and the Kubernetes API version of the types.
#[wasm_bindgen]
pub fn version() -> String {
    let v = serde_json::json!({
        "eciBridge": env!("CARGO_PKG_VERSION"),
        "kubernetes": "1.37",
        "eciApi": "2018-08-08",
    });
    v.to_string()
}

/// Runs a case of any mode — the one entry every other case export uses.
///
/// `mode`: `translate` (or `pod`), `admit` (or `admission`), `status`,
/// `nodes`, `update`, `delete`, `elastic`, `overflow`, `units`;
/// `sources`: JSON `{files: [{name, role: "stream"|"profile"|"cluster"|"objects", text}]}`;
/// `params`: the mode's options as JSON (empty: the defaults);
/// `env`: JSON `{now?, clock?, cluster?}` — `now` wins over a case's own
/// time, `clock` is used when neither names one. Returns JSON
/// `{outcome, rejected}`, the same outcome `eci-bridge <mode> -o outcome`
/// prints.
#[wasm_bindgen]
pub fn run(mode: &str, sources: &str, params: &str, env: &str) -> Result<String, JsValue> {
    adapter::run(mode, sources, params, env).map_err(fail)
}

/// Everything the playground shows for a set of texts: the translate
/// mode's outcome (`requestJson` byte-identical to `eci-bridge translate -o
/// json`, `request`, `query`, `explain`, `diagnostics` with spans,
/// `rejected`, `requiredObjects`, `admission`).
///
/// `sources`: as [`run`]; `options`: JSON `{showSecrets?: boolean}`.
#[wasm_bindgen]
pub fn preview(sources: &str, options: &str) -> Result<String, JsValue> {
    adapter::outcome("translate", sources, options, "").map_err(fail)
}

/// The request JSON only, as `eci-bridge translate -o json` prints it
/// (redacted), for one stream of text.
#[wasm_bindgen(js_name = translateJson)]
pub fn translate_json(text: &str) -> Result<String, JsValue> {
    adapter::translate_json(text).map_err(fail)
}

/// The admission webhook's answer to an AdmissionReview (or a bare Pod) in
/// a stream that may hold the eci-profile, the Namespace and settings.
#[wasm_bindgen]
pub fn admit(text: &str) -> Result<String, JsValue> {
    adapter::stream_outcome("admit", text, "", "").map_err(fail)
}

/// The MutatingWebhookConfiguration for an eci-profile (empty text: routing labels only).
#[wasm_bindgen(js_name = webhookConfig)]
pub fn webhook_config(profile: &str, options: &str) -> Result<String, JsValue> {
    use eci_bridge_core::admission::{WebhookConfigOptions, webhook_configuration};
    let profile = if profile.trim().is_empty() {
        None
    } else {
        let doc = eci_bridge_core::parse_document(profile, Input::Profile).map_err(fail)?;
        Some(eci_bridge_core::parse_profile(&doc).0)
    };
    let options: WebhookConfigOptions = adapter::from_json(options, "options").map_err(fail)?;
    let (config, diagnostics) = webhook_configuration(profile.as_ref(), &options);
    to_json(&serde_json::json!({"configuration": config, "diagnostics": diagnostics}))
}

/// A DescribeContainerGroups item (or response) and its pod → the pod's
/// status, its Events and the pod with the status merged. `now` is the
/// clock: a case's own time wins over it.
#[wasm_bindgen]
pub fn status(text: &str, now: &str) -> Result<String, JsValue> {
    adapter::stream_outcome("status", text, "", &adapter::clock(now)).map_err(fail)
}

/// Cluster settings and/or the eci-profile → the virtual Nodes and Leases.
#[wasm_bindgen]
pub fn nodes(text: &str, now: &str) -> Result<String, JsValue> {
    adapter::stream_outcome("nodes", text, "", &adapter::clock(now)).map_err(fail)
}

/// An ElasticWorkload with its source (and existing units) → the Deployments,
/// status, `/scale` and events. `replicas` < 0 means "as the spec says";
/// `now` is the clock: a case's own time wins over it.
#[wasm_bindgen]
pub fn elastic(text: &str, replicas: i32, now: &str) -> Result<String, JsValue> {
    let params = if replicas >= 0 { serde_json::json!({"replicas": replicas}).to_string() } else { String::new() };
    adapter::stream_outcome("elastic", text, &params, &adapter::clock(now)).map_err(fail)
}

/// Should an unschedulable pod move to ECI?
#[wasm_bindgen]
pub fn overflow(text: &str) -> Result<String, JsValue> {
    adapter::stream_outcome("overflow", text, "", "").map_err(fail)
}

/// Which ResourcePolicy unit a new pod (the last Pod of the stream) goes to.
#[wasm_bindgen]
pub fn units(text: &str) -> Result<String, JsValue> {
    adapter::stream_outcome("units", text, "", "").map_err(fail)
}

/// Every documented pod annotation: key, format, target, default, example.
#[wasm_bindgen]
pub fn annotations() -> String {
    to_json(eci_bridge_core::annotations::REGISTRY).unwrap_or_default()
}

/// The supported vCPU/memory specs.
#[wasm_bindgen]
pub fn specs() -> String {
    to_json(&eci_bridge_core::sizing::specs().map(|s| s.name()).collect::<Vec<_>>()).unwrap_or_default()
}

/// Every diagnostic code with its one-line meaning.
#[wasm_bindgen]
pub fn codes() -> String {
    let list: Vec<serde_json::Value> =
        Code::ALL.iter().map(|c| serde_json::json!({"code": c.as_str(), "summary": c.summary()})).collect();
    serde_json::Value::Array(list).to_string()
}
