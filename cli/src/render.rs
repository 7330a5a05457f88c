//! Text renderings for the terminal.

use std::io::Write;

use eci_bridge_core::{Diagnostic, Severity};
use serde_json::Value;

/// One diagnostic, rustc-like.
pub fn diagnostic(d: &Diagnostic) -> String {
    d.to_string()
}

/// Every diagnostic to standard error, errors first, then a summary line.
pub fn diagnostics(diags: &[Diagnostic]) {
    let mut sorted: Vec<&Diagnostic> = diags.iter().collect();
    sorted.sort_by_key(|d| d.severity);
    for d in &sorted {
        eprintln!("{}", diagnostic(d));
    }
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let (e, w) = (count(Severity::Error), count(Severity::Warning));
    if e > 0 {
        eprintln!("rejected: {e} error(s), {w} warning(s)");
    } else if w > 0 {
        eprintln!("{w} warning(s)");
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

/// Writes `text` to standard output. A closed pipe (`eci-bridge specs | head`)
/// ends the output quietly instead of panicking as `print!` does.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write the output: {e}");
    }
}
