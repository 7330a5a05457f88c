//! The CLI's one output layer: every byte for standard output or standard
//! error goes through [`out`] and [`err`].
//!
//! A write can fail: `>/dev/full`, `2>/dev/full`, a reader that closed the
//! pipe (`eci-bridge specs | head -1`). The first failure is remembered,
//! later writes to that stream are skipped (one error, not a hundred), and
//! the process exits 1 ([`exit_code`]); nothing panics (`println!` does).
//! Human-facing text is escaped where it carries input ([`escape_text`]).

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use eci_bridge_core::escape_text;
use eci_bridge_core::{Diagnostic, Severity};
use serde_json::Value;

static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);
static STDERR_FAILED: AtomicBool = AtomicBool::new(false);

/// One diagnostic, rustc-like (control characters escaped by its Display).
pub fn diagnostic(d: &Diagnostic) -> String {
    d.to_string()
}

/// Every diagnostic to standard error, errors first, then a summary line.
pub fn diagnostics(diags: &[Diagnostic]) {
    let per_code = eci_bridge_core::Limits::DEFAULT.max_diagnostics_per_code;
    let shown = eci_bridge_core::diagnostics::compact(diags.to_vec(), per_code);
    let mut sorted: Vec<&Diagnostic> = shown.iter().collect();
    sorted.sort_by_key(|d| d.severity);
    for d in &sorted {
        err(&diagnostic(d));
    }
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let (e, w) = (count(Severity::Error), count(Severity::Warning));
    if e > 0 {
        err(&format!("rejected: {e} error(s), {w} warning(s)"));
    } else if w > 0 {
        err(&format!("{w} warning(s)"));
    }
}

/// Pretty JSON with a trailing newline.
pub fn json(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// YAML.
pub fn yaml(value: &Value) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| format!("error: cannot render YAML: {e}"))
}

/// Writes `text` to standard output, as is (it is data: JSON, YAML, a query).
pub fn out(text: &str) {
    if STDOUT_FAILED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        STDOUT_FAILED.store(true, Ordering::Relaxed);
        // A closed pipe is the reader's choice: say nothing. Anything else is worth one line.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            err(&format!("error: cannot write the output: {e}"));
        }
    }
}

/// Writes one line of human-facing text to standard error. The caller
/// escapes input it interpolates; diagnostics escape themselves.
pub fn err(line: &str) {
    if STDERR_FAILED.load(Ordering::Relaxed) {
        return;
    }
    let mut stderr = std::io::stderr().lock();
    if stderr.write_all(line.as_bytes()).and_then(|()| stderr.write_all(b"\n")).and_then(|()| stderr.flush()).is_err() {
        STDERR_FAILED.store(true, Ordering::Relaxed);
    }
}

/// A line of the form `label: text`, the text escaped.
pub fn note(label: &str, text: &str) {
    err(&format!("{label}: {}", escape_text(text)));
}

/// The exit code: `code`, or 1 when any output could not be written.
pub fn exit_code(code: ExitCode) -> ExitCode {
    if STDOUT_FAILED.load(Ordering::Relaxed) || STDERR_FAILED.load(Ordering::Relaxed) {
        ExitCode::from(1)
    } else {
        code
    }
}
