//! What the fuzz targets share: the input bound, the output bound, and one
//! rendering of every human-facing output, so each target checks the same
//! texts the CLI, the playground and the daemons print.
//!
//! Invariants that fail are `panic!`s with a message naming the invariant:
//! libFuzzer records the input as a crash and `cargo xtask fuzz` reports it.

use std::borrow::Cow;

use eci_bridge_core::{Diagnostic, ExplainRow, Preview};
use serde_json::Value;

/// The largest input a target reads (issue 9: "no input of 1 MB or less …").
/// Longer inputs are skipped, so `-max_len` above this only wastes time.
pub const MAX_INPUT: usize = 1 << 20;

/// Bytes of output allowed for an input of `len` bytes: linear in the input.
/// An input that makes the core print more has blown up (e.g. `$(VAR)`
/// doubling); `-rss_limit_mb` catches those that blow up before printing.
pub fn output_bound(len: usize) -> usize {
    8 * 1024 * 1024 + 64 * len
}

/// The input as text, lossily (the CLI refuses invalid UTF-8 before the core
/// sees it; replacing bytes keeps the fuzzer's mutations useful), or `None`
/// above [`MAX_INPUT`].
pub fn text(data: &[u8]) -> Option<Cow<'_, str>> {
    (data.len() <= MAX_INPUT).then(|| String::from_utf8_lossy(data))
}

/// Asserts that `outputs` together stay within [`output_bound`].
pub fn check_output_bound(target: &str, input_len: usize, outputs: &[(&str, String)]) {
    let total: usize = outputs.iter().map(|(_, s)| s.len()).sum();
    let bound = output_bound(input_len);
    assert!(
        total <= bound,
        "{target}: output of {total} bytes for an input of {input_len} bytes exceeds the linear bound {bound}: {:?}",
        outputs.iter().map(|(n, s)| (*n, s.len())).collect::<Vec<_>>()
    );
}

/// Every diagnostic as the CLI prints it (Display) and as the playground and
/// the daemons serialize it (JSON).
pub fn render_diagnostics(diags: &[Diagnostic]) -> String {
    let mut s = String::new();
    for d in diags {
        s.push_str(&d.to_string());
        s.push('\n');
        s.push_str(&serde_json::to_string(d).unwrap_or_default());
        s.push('\n');
    }
    s
}

/// Explain rows as `translate -o explain` prints them.
pub fn render_explain(rows: &[ExplainRow]) -> String {
    rows.iter().map(|r| format!("{r}\n")).collect()
}

/// YAML as the CLI renders it (`-o yaml`).
pub fn yaml(value: &Value) -> String {
    serde_saphyr::to_string(value).unwrap_or_else(|e| format!("<yaml error: {e}>"))
}

/// Every rendering of a translate case a human can see: the request as JSON
/// and YAML, the wire parameters (`-o query`), the explain rows, the
/// diagnostics, and the admission webhook's view of the same pod.
pub fn render_preview(p: &Preview) -> Vec<(&'static str, String)> {
    let rows: Vec<ExplainRow> = p.explain.iter().map(|v| v.row.clone()).collect();
    vec![
        ("json", p.request_json.clone()),
        ("yaml", yaml(&p.request)),
        ("query", p.query.clone()),
        ("explain", render_explain(&rows)),
        ("diagnostics", render_diagnostics(&p.diagnostics)),
        ("admission", serde_json::to_string(&p.admission).unwrap_or_default()),
    ]
}

/// Asserts two renderings of the same input are byte-identical.
pub fn assert_same(target: &str, what: &str, a: &[(&str, String)], b: &[(&str, String)]) {
    assert_eq!(a.len(), b.len(), "{target}: {what}: different numbers of outputs");
    for ((name, x), (_, y)) in a.iter().zip(b) {
        assert!(x == y, "{target}: {what}: output `{name}` differs:\n--- first\n{x}\n--- second\n{y}");
    }
}

/// RFC 6901 escaping of one key.
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Pointers of the nodes of `value` (the root included), at most `limit`,
/// and at most 64 bytes per allowed pointer in all: a long key above a long
/// list must not make the target's own list quadratic.
pub fn pointers(value: &Value, limit: usize) -> Vec<String> {
    struct Walk {
        out: Vec<String>,
        limit: usize,
        bytes_left: usize,
    }
    fn walk(v: &Value, at: &mut String, w: &mut Walk) {
        if w.out.len() >= w.limit || at.len() > w.bytes_left {
            return;
        }
        w.bytes_left -= at.len();
        w.out.push(at.clone());
        let len = at.len();
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    at.push('/');
                    at.push_str(&escape(k));
                    walk(child, at, w);
                    at.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    at.push('/');
                    at.push_str(&i.to_string());
                    walk(child, at, w);
                    at.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut w = Walk { out: Vec::new(), limit, bytes_left: limit.saturating_mul(64) };
    walk(value, &mut String::new(), &mut w);
    w.out
}

/// Any serializable value as YAML (what the CLI prints for objects).
pub fn to_yaml(value: &impl serde::Serialize) -> String {
    yaml(&serde_json::to_value(value).unwrap_or_default())
}
