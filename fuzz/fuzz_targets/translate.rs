//! Translation of a stream as `eci-bridge translate -f` and the playground
//! run it: the core's case runner in the translate mode.
//!
//! Invariants:
//! - deterministic: running twice gives byte-identical outputs in every
//!   format;
//! - redaction changes values only: the redacted wire parameters have the
//!   same names as the revealed ones, and every value that differs reads
//!   `<redacted>`;
//! - the outputs together stay linear in the input (`output_bound`).
#![no_main]

use eci_bridge_core::Sources;
use eci_bridge_core::case::{self, Env, TranslateCase, TranslateParams};
use eci_bridge_core::eci::secret::REDACTED;
use eci_bridge_fuzz::{assert_same, check_output_bound, render_diagnostics, render_preview, text};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The outputs of a translate run; with `check_redaction`, also translated
/// with secrets shown and compared (once per input: a second revealed run
/// would only cost time).
fn run(text: &str, check_redaction: bool) -> Vec<(&'static str, String)> {
    let sources = Sources::stream("fuzz.yaml", text);
    let translate = |show_secrets| {
        let mut params = TranslateParams::default();
        params.show_secrets = show_secrets;
        case::run::<TranslateCase>(&sources, &params, &Env::default()).map(|ran| ran.outcome)
    };
    let redacted = match translate(false) {
        Ok(p) => p,
        Err(d) => return vec![("error", render_diagnostics(&[d]))],
    };
    if check_redaction {
        let revealed = translate(true).expect("translate: read once, refused the second time");
        same_but_redacted("", &redacted.request, &revealed.request);
    }
    render_preview(&redacted)
}

/// Asserts `shown` is `real` with some values replaced by `<redacted>`: the
/// same keys and list lengths everywhere.
fn same_but_redacted(at: &str, shown: &Value, real: &Value) {
    match (shown, real) {
        (Value::Object(s), Value::Object(r)) => {
            assert!(
                s.keys().eq(r.keys()),
                "translate: redaction changed the parameters at `{at}`: {:?} vs {:?}",
                s.keys().collect::<Vec<_>>(),
                r.keys().collect::<Vec<_>>()
            );
            for (k, v) in s {
                same_but_redacted(&format!("{at}/{k}"), v, &r[k]);
            }
        }
        (Value::Array(s), Value::Array(r)) => {
            assert_eq!(s.len(), r.len(), "translate: redaction changed the length of `{at}`");
            for (i, (x, y)) in s.iter().zip(r).enumerate() {
                same_but_redacted(&format!("{at}/{i}"), x, y);
            }
        }
        _ => assert!(
            shown == real || shown.as_str() == Some(REDACTED),
            "translate: redacted `{at}` reads {shown}, neither {real} nor `{REDACTED}`"
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else { return };
    let first = run(&text, true);
    let second = run(&text, false);
    assert_same("translate", "determinism", &first, &second);
    check_output_bound("translate", data.len(), &first);
});
