//! The CLI's one output layer: every byte for standard output or standard
//! error goes through [`out`] and [`err`].
//!
//! A write can fail: `>/dev/full`, `2>/dev/full`, a reader that closed the
//! pipe (`eci-bridge specs | head -1`). The first failure is remembered,
//! later writes to that stream are skipped (one error, not a hundred), and
//! the process exits 1 ([`exit_code`]); nothing panics (`println!` does).
//! Human-facing text is escaped where it carries input ([`escape_text`]).
//!
//! Standard error is coloured ([`paint`]) when it is a terminal and
//! `NO_COLOR` is not set, or when `--color always` asks for it
//! ([`set_color`]); only the severity words, codes, `-->`, `= help:` and the
//! summary line are coloured, never input text.

use std::ffi::OsStr;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use eci_bridge_core::escape_text;
use eci_bridge_core::{Diagnostic, Severity};
use serde_json::Value;

static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);
static STDERR_FAILED: AtomicBool = AtomicBool::new(false);
static COLOR: AtomicBool = AtomicBool::new(false);

/// `--color`: when standard error is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// When standard error is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`.
    #[default]
    Auto,
    /// Always (also when `NO_COLOR` is set: the flag is the user's latest word).
    Always,
    /// Never.
    Never,
}

/// Whether to colour: `auto` follows no-color.org (any non-empty `NO_COLOR`
/// turns colour off), a `dumb` terminal and whether standard error is a terminal.
pub fn wants_color(choice: ColorChoice, is_terminal: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && no_color.is_none_or(OsStr::is_empty) && term != Some(OsStr::new("dumb")),
    }
}

/// Decides once, from the flag, the environment and standard error, whether [`paint`] colours.
pub fn set_color(choice: ColorChoice) {
    let on = wants_color(
        choice,
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
    );
    COLOR.store(on, Ordering::Relaxed);
}

/// True when standard error is coloured.
pub fn color() -> bool {
    COLOR.load(Ordering::Relaxed)
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const CYAN: &str = "\x1b[1;36m";
const BLUE: &str = "\x1b[1;34m";

fn severity_style(word: &str) -> Option<&'static str> {
    match word {
        "error" => Some(RED),
        "warning" => Some(YELLOW),
        "info" => Some(CYAN),
        _ => None,
    }
}

/// Colours the structure of human-facing lines when colour is on: a leading
/// `error`/`warning`/`info` (with its `[code]`), `-->`, `= help:`, and the
/// summary lines `rejected: …` and `N warning(s)`. Text that is already
/// escaped stays as it is; nothing else is touched.
pub fn paint(text: &str) -> String {
    if !color() {
        return text.to_string();
    }
    text.split('\n').map(paint_line).collect::<Vec<_>>().join("\n")
}

fn paint_line(line: &str) -> String {
    let indent = line.len() - line.trim_start().len();
    let (lead, rest) = line.split_at(indent);
    for marker in ["-->", "= help:"] {
        if let Some(tail) = rest.strip_prefix(marker) {
            return format!("{lead}{BLUE}{marker}{RESET}{tail}");
        }
    }
    if let Some(tail) = rest.strip_prefix("rejected:") {
        return format!("{lead}{RED}rejected:{tail}{RESET}");
    }
    if rest.ends_with(" warning(s)") && rest.split(' ').next().is_some_and(|n| n.parse::<usize>().is_ok()) {
        return format!("{lead}{YELLOW}{rest}{RESET}");
    }
    let word_end = rest.find(|c: char| !c.is_ascii_lowercase()).unwrap_or(rest.len());
    let (word, after) = rest.split_at(word_end);
    let Some(style) = severity_style(word) else { return line.to_string() };
    if let Some(code_end) = after.strip_prefix('[').and_then(|a| a.find("]:")) {
        let code = &after[1..=code_end];
        let tail = &after[code_end + 3..];
        return format!("{lead}{style}{word}{RESET}{BOLD}[{code}]{RESET}:{tail}");
    }
    match after.strip_prefix(':') {
        Some(tail) => format!("{lead}{style}{word}{RESET}:{tail}"),
        None => line.to_string(),
    }
}

/// One diagnostic, rustc-like (control characters escaped by its Display).
pub fn diagnostic(d: &Diagnostic) -> String {
    d.to_string()
}

/// Every diagnostic to standard error, errors first, then a summary line.
pub fn diagnostics(diags: &[Diagnostic]) {
    diagnostics_with_notes(diags, &[]);
}

/// [`diagnostics`], with `notes` as `info:` lines after the diagnostics and
/// before the summary line (said by the CLI, not by the core: no code).
pub fn diagnostics_with_notes(diags: &[Diagnostic], notes: &[String]) {
    let per_code = eci_bridge_core::Limits::DEFAULT.max_diagnostics_per_code;
    let shown = eci_bridge_core::diagnostics::compact(diags.to_vec(), per_code);
    let mut sorted: Vec<&Diagnostic> = shown.iter().collect();
    sorted.sort_by_key(|d| d.severity);
    for d in &sorted {
        err(&paint(&diagnostic(d)));
    }
    for line in notes {
        err(&paint(&format!("info: {}", escape_text(line))));
    }
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let (e, w) = (count(Severity::Error), count(Severity::Warning));
    if e > 0 {
        err(&paint(&format!("rejected: {e} error(s), {w} warning(s)")));
    } else if w > 0 {
        err(&paint(&format!("{w} warning(s)")));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_flag_the_terminal_and_no_color() {
        let (some, empty, dumb) = (Some(OsStr::new("1")), Some(OsStr::new("")), Some(OsStr::new("dumb")));
        assert!(wants_color(ColorChoice::Auto, true, None, None));
        assert!(wants_color(ColorChoice::Auto, true, empty, None), "an empty NO_COLOR does not count");
        assert!(!wants_color(ColorChoice::Auto, true, some, None), "NO_COLOR set: no colour");
        assert!(!wants_color(ColorChoice::Auto, false, None, None), "not a terminal: no colour");
        assert!(!wants_color(ColorChoice::Auto, true, None, dumb));
        assert!(wants_color(ColorChoice::Always, false, some, None));
        assert!(!wants_color(ColorChoice::Never, true, None, None));
    }

    #[test]
    fn paints_structure_never_text() {
        COLOR.store(true, Ordering::Relaxed);
        let d = "error[hostpath-volume]: error: x\n  --> pod /spec\n  = help: y";
        assert_eq!(
            paint(d),
            "\x1b[1;31merror\x1b[0m\x1b[1m[hostpath-volume]\x1b[0m: error: x\n  \x1b[1;34m-->\x1b[0m pod /spec\n  \x1b[1;34m= help:\x1b[0m y"
        );
        assert_eq!(paint("2 warning(s)"), "\x1b[1;33m2 warning(s)\x1b[0m");
        assert_eq!(paint("change: errors"), "change: errors");
        assert_eq!(paint("information: x"), "information: x");
        COLOR.store(false, Ordering::Relaxed);
        assert_eq!(paint(d), d);
    }
}
