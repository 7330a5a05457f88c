//! Shared helpers for the criterion benchmarks: load a fixture bundle and
//! render its pod as JSON (the floor every translation starts from).

use eci_bridge_core::parse_documents;
use eci_bridge_core::{Bundle, Input};

/// The text of `fixtures/pods/<name>`.
pub fn fixture_text(name: &str) -> String {
    let path = format!("{}/../fixtures/pods/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Reads `fixtures/pods/<name>` into a bundle.
pub fn bundle(name: &str) -> Bundle {
    let path = format!("fixtures/pods/{name}");
    let text = fixture_text(name);
    let docs = parse_documents(&text, Input::Pod).unwrap_or_else(|d| panic!("{path}: {d}"));
    Bundle::from_documents(&docs).unwrap_or_else(|d| panic!("{path}: {d}"))
}

/// The bundle's pod as JSON text.
pub fn pod_json(bundle: &Bundle) -> String {
    serde_json::to_string(&bundle.pod).unwrap_or_default()
}
