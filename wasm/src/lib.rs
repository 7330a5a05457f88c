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

use eci_bridge_core::diagnostics::{Code, Diagnostic, Severity};
use eci_bridge_core::input::parse_documents;
use eci_bridge_core::preview::{PreviewOptions, preview as core_preview};
use eci_bridge_core::sources::Sources;
use eci_bridge_core::{ClusterSettings, Input};
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

/// JSON text of any serializable value (through `serde_json::Value`, so
/// each type's `Serialize` is compiled once).
fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, JsValue> {
    serde_json::to_value(value).map(|v| v.to_string()).map_err(|e| error(&e.to_string(), None))
}

fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, JsValue> {
    if text.trim().is_empty() {
        return serde_json::from_value(serde_json::json!({})).map_err(|e| error(&format!("{what}: {e}"), None));
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| error(&format!("{what}: {e}"), None))?;
    serde_json::from_value(value).map_err(|e| error(&format!("{what}: {e}"), None))
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

fn time(now: &str) -> Result<Timestamp, JsValue> {
    now.parse().map_err(|e| {
        fail(Diagnostic::pod(Severity::Error, Code::InvalidValue, "", format!("`{now}` is not an RFC 3339 time: {e}")))
    })
}

fn documents(text: &str, input: Input) -> Result<Vec<serde_json::Value>, JsValue> {
    parse_documents(text, input).map_err(fail)
}

/// Options of [`preview`].
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct PreviewArgs {
    show_secrets: bool,
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

/// Everything the playground shows for a set of texts.
///
/// `sources`: JSON `{files: [{name, role: "stream"|"profile"|"cluster"|"objects", text}]}`;
/// `options`: JSON `{showSecrets?: boolean}`. Returns the core's `Preview` as JSON:
/// `requestJson` (byte-identical to `eci-bridge translate -o json`),
/// `request`, `query`, `explain`, `diagnostics` (with spans), `rejected`,
/// `requiredObjects`, `admission`.
#[wasm_bindgen]
pub fn preview(sources: &str, options: &str) -> Result<String, JsValue> {
    let sources: Sources = from_json(sources, "sources")?;
    let args: PreviewArgs = from_json(options, "options")?;
    let p = core_preview(&sources, &PreviewOptions { show_secrets: args.show_secrets, cluster: None }).map_err(fail)?;
    to_json(&p)
}

/// The request JSON only, as `eci-bridge translate -o json` prints it
/// (redacted), for one stream of text.
#[wasm_bindgen(js_name = translateJson)]
pub fn translate_json(text: &str) -> Result<String, JsValue> {
    let loaded = Sources::stream("pod", text).load().map_err(fail)?;
    let t = loaded.translate(&ClusterSettings::example());
    Ok(t.request_json(eci_bridge_core::Reveal::Redacted))
}

/// The admission webhook's answer to an AdmissionReview (or a bare Pod) in
/// a stream that may hold the eci-profile, the Namespace and settings.
#[wasm_bindgen]
pub fn admit(text: &str) -> Result<String, JsValue> {
    let case =
        eci_bridge_core::admission::AdmissionCase::from_documents(&documents(text, Input::Request)?).map_err(fail)?;
    to_json(&case.admit())
}

/// The MutatingWebhookConfiguration for an eci-profile (empty text: routing labels only).
#[wasm_bindgen(js_name = webhookConfig)]
pub fn webhook_config(profile: &str, options: &str) -> Result<String, JsValue> {
    use eci_bridge_core::admission::{WebhookConfigOptions, webhook_configuration};
    let profile = if profile.trim().is_empty() {
        None
    } else {
        let doc = eci_bridge_core::input::parse_document(profile, Input::Profile).map_err(fail)?;
        Some(eci_bridge_core::parse_profile(&doc).0)
    };
    let options: WebhookConfigOptions = from_json(options, "options")?;
    let (config, diagnostics) = webhook_configuration(profile.as_ref(), &options);
    to_json(&serde_json::json!({"configuration": config, "diagnostics": diagnostics}))
}

/// A DescribeContainerGroups item (or response) and its pod → the pod's
/// status, its Events and the pod with the status merged.
#[wasm_bindgen]
pub fn status(text: &str, now: &str) -> Result<String, JsValue> {
    let case =
        eci_bridge_core::status::case::StatusCase::from_documents(&documents(text, Input::Instance)?).map_err(fail)?;
    // The case's own time wins; `now` is read only when the case has none.
    let now = case.now.map_or_else(|| time(now), Ok)?;
    to_json(&case.map(now, &ClusterSettings::example()))
}

/// Cluster settings and/or the eci-profile → the virtual Nodes and Leases.
#[wasm_bindgen]
pub fn nodes(text: &str, now: &str) -> Result<String, JsValue> {
    let case = eci_bridge_core::node::NodesCase::from_documents(&documents(text, Input::Cluster)?);
    to_json(&case.nodes(&ClusterSettings::example(), time(now)?))
}

/// An ElasticWorkload with its source (and existing units) → the Deployments,
/// status, `/scale` and events. `replicas` < 0 means "as the spec says".
#[wasm_bindgen]
pub fn elastic(text: &str, replicas: i32, now: &str) -> Result<String, JsValue> {
    let case = eci_bridge_core::elastic::ElasticCase::from_documents(&documents(text, Input::ElasticWorkload)?)
        .map_err(fail)?;
    let now = case.now.map_or_else(|| time(now), Ok)?;
    to_json(&case.reconcile((replicas >= 0).then_some(replicas), now))
}

/// Should an unschedulable pod move to ECI?
#[wasm_bindgen]
pub fn overflow(text: &str) -> Result<String, JsValue> {
    let bundle = eci_bridge_core::Bundle::from_documents(&documents(text, Input::Pod)?).map_err(fail)?;
    to_json(&eci_bridge_core::overflow::decide_bundle(&bundle, &ClusterSettings::example()))
}

/// Which ResourcePolicy unit a new pod (the last Pod of the stream) goes to.
#[wasm_bindgen]
pub fn units(text: &str) -> Result<String, JsValue> {
    use eci_bridge_core::resource_policy::case::PlacementCase;
    let case = PlacementCase::from_documents(&documents(text, Input::ResourcePolicy)?).map_err(fail)?;
    to_json(&case.place(&ClusterSettings::example()))
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
