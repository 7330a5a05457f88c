//! What each export does, without JS types, so native tests can call it:
//! read the JSON arguments, call the core's case runner, return JSON text.
//! A failure is the core's diagnostic; the export turns it into a JS `Error`.

use eci_bridge_core::Input;
use eci_bridge_core::Sources;
use eci_bridge_core::case::{self, Env, Mode, Ran};
use eci_bridge_core::diagnostics::{Code, Diagnostic, Severity};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The name a single stream of text goes by: the playground's input tab.
pub const STREAM_NAME: &str = "pod";

fn not_understood(what: &str, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::pod(Severity::Error, Code::Schema, "", format!("{what}: {e}")).on(Input::Options)
}

/// Reads JSON text; blank text is `{}`.
pub fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, Diagnostic> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    serde_json::from_str(text).map_err(|e| not_understood(what, e))
}

/// Runs a case: `{outcome, rejected}` as JSON text.
pub fn run(mode: &str, sources: &str, params: &str, env: &str) -> Result<String, Diagnostic> {
    Ok(json(&ran(mode, sources, params, env)?))
}

/// Runs a case: the outcome only, as JSON text.
pub fn outcome(mode: &str, sources: &str, params: &str, env: &str) -> Result<String, Diagnostic> {
    Ok(ran(mode, sources, params, env)?.outcome.to_string())
}

/// [`outcome`] for one stream of text (named [`STREAM_NAME`]).
pub fn stream_outcome(mode: &str, text: &str, params: &str, env: &str) -> Result<String, Diagnostic> {
    outcome(mode, &stream(text), params, env)
}

/// The translate mode's request JSON, as `eci-bridge translate -o json` prints it.
pub fn translate_json(text: &str) -> Result<String, Diagnostic> {
    let ran = ran("translate", &stream(text), "", "")?;
    Ok(ran.outcome["requestJson"].as_str().unwrap_or_default().to_string())
}

/// The environment of an export that takes the page's time: its clock
/// (a case's own time wins over it); blank: none.
pub fn clock(now: &str) -> String {
    if now.trim().is_empty() { String::new() } else { serde_json::json!({ "clock": now }).to_string() }
}

fn stream(text: &str) -> String {
    serde_json::json!({"files": [{"name": STREAM_NAME, "role": "stream", "text": text}]}).to_string()
}

fn json(ran: &Ran<Value>) -> String {
    serde_json::json!({"outcome": ran.outcome, "rejected": ran.rejected}).to_string()
}

fn ran(mode: &str, sources: &str, params: &str, env: &str) -> Result<Ran<Value>, Diagnostic> {
    let mode: Mode = mode.parse()?;
    let sources: Sources = from_json(sources, "sources")?;
    let params: Value = if params.trim().is_empty() { Value::Null } else { from_json(params, "options")? };
    let env: Env = from_json(env, "the time and settings (env)")?;
    case::run_json(mode, &sources, &params, &env)
}
