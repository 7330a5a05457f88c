//! Structured logs: one JSON object per line on standard error, with a UTC
//! timestamp, a level and a message. Callers pass identities and counts
//! only: no value of a pod's env, a Secret or a patch reaches a log line
//! (reviews are logged through the core's `ReviewSummary`).
//!
//! Review lines, one per request, are buffered and written at least every
//! [`FLUSH_EVERY`] (or when [`FLUSH_BYTES`] are waiting), so that the hot path
//! makes no system call for its log line; every other line is written at
//! once, after what is buffered, so the order holds.

use std::io::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Longest a buffered line waits.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// Bytes buffered before a line is written at once.
pub const FLUSH_BYTES: usize = 32 * 1024;

static BUFFER: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Writes what is buffered, then `more`. A log line that cannot be written
/// (stderr closed) is dropped: the webhook keeps answering.
fn write(more: &[u8]) {
    // The stderr lock orders writers; the buffer's lock is held only to take
    // what waits, never during the write (reviews append meanwhile).
    let mut err = std::io::stderr().lock();
    let waiting = std::mem::take(&mut *BUFFER.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    if !waiting.is_empty() {
        let _ = err.write_all(&waiting);
    }
    if !more.is_empty() {
        let _ = err.write_all(more);
    }
}

/// Writes buffered lines now (at shutdown, and every [`FLUSH_EVERY`] from
/// the thread [`start_flusher`] starts).
pub fn flush() {
    write(&[]);
}

/// Starts the thread that writes buffered lines every [`FLUSH_EVERY`].
pub fn start_flusher() {
    let _ = std::thread::Builder::new().name("log-flush".into()).spawn(|| {
        loop {
            std::thread::sleep(FLUSH_EVERY);
            flush();
        }
    });
}

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
    write(text.as_bytes());
}

/// Writes one line from a serializable record (which carries its own
/// `ts`, `level` and `msg`): the hot path of one line per review, without
/// an intermediate JSON value.
pub fn record(record: &impl serde::Serialize) {
    let mut buffer = BUFFER.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if serde_json::to_writer(&mut *buffer, record).is_ok() {
        buffer.push(b'\n');
    }
    if buffer.len() >= FLUSH_BYTES {
        drop(buffer);
        flush();
    }
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
