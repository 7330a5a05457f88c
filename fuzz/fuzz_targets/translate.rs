//! Translation of a stream (what `eci-bridge translate -f` reads): load with
//! `sources::Sources`, translate, render every output format.
//!
//! Invariants:
//! - deterministic: loading and translating twice gives byte-identical
//!   outputs in every format;
//! - redaction changes values only: the redacted wire parameters have the
//!   same names as the revealed ones, and every value that differs reads
//!   `<redacted>`;
//! - the outputs together stay linear in the input (`output_bound`).
#![no_main]

use eci_bridge_core::ClusterSettings;
use eci_bridge_core::eci::secret::REDACTED;
use eci_bridge_core::Sources;
use eci_bridge_core::Reveal;
use eci_bridge_fuzz::{assert_same, check_output_bound, render_diagnostics, render_translation, text};
use libfuzzer_sys::fuzz_target;

fn run(text: &str) -> Vec<(&'static str, String)> {
    let loaded = match Sources::stream("fuzz.yaml", text).load() {
        Ok(l) => l,
        Err(d) => return vec![("error", render_diagnostics(&[d]))],
    };
    let t = loaded.translate(&ClusterSettings::example());
    let revealed = t.wire(Reveal::Secrets);
    let redacted = t.wire(Reveal::Redacted);
    assert_eq!(
        revealed.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        redacted.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        "translate: redaction changed the set of wire parameters"
    );
    for ((k, shown), (_, real)) in redacted.iter().zip(revealed.iter()) {
        assert!(shown == real || shown == REDACTED, "translate: redacted `{k}` reads `{shown}`, not `{REDACTED}`");
    }
    render_translation(&t, Reveal::Redacted)
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else { return };
    let first = run(&text);
    let second = run(&text);
    assert_same("translate", "determinism", &first, &second);
    check_output_bound("translate", data.len(), &first);
});
