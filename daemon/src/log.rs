//! Structured logs: one JSON object per line on standard error, with a UTC
//! timestamp, a level and a message. Callers pass identities and counts
//! only: no value of a pod's env, a Secret or a patch reaches a log line
//! (reviews are logged through the core's `ReviewSummary`).

use std::io::Write as _;

use serde_json::{Map, Value};

/// Writes one line: `{"ts":…,"level":…,"msg":…, …fields}`.
pub fn event(level: &str, msg: &str, fields: Value) {
    let mut line = Map::new();
    line.insert("ts".into(), Value::String(jiff::Timestamp::now().to_string()));
    line.insert("level".into(), Value::String(level.into()));
    line.insert("msg".into(), Value::String(msg.into()));
    if let Value::Object(fields) = fields {
        line.extend(fields);
    }
    let mut text = Value::Object(line).to_string();
    text.push('\n');
    // A log line that cannot be written (stderr closed) is dropped: the
    // webhook keeps answering.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Writes one line from a serializable record (which carries its own
/// `ts`, `level` and `msg`): the hot path of one line per review, without
/// an intermediate JSON value.
pub fn record(record: &impl serde::Serialize) {
    let Ok(mut text) = serde_json::to_vec(record) else { return };
    text.push(b'\n');
    let _ = std::io::stderr().lock().write_all(&text);
}

/// `info` line.
pub fn info(msg: &str, fields: Value) {
    event("info", msg, fields);
}

/// `warn` line.
pub fn warn(msg: &str, fields: Value) {
    event("warn", msg, fields);
}

/// `error` line.
pub fn error(msg: &str, fields: Value) {
    event("error", msg, fields);
}
