//! The one conversion to a JSON value that cannot fail.

use serde::Serialize;
use serde_json::Value;

/// `value` as a JSON value.
///
/// `serde_json::to_value` fails only when a map key is not a string (or a
/// number or boolean it can turn into one) or when a `Serialize` impl
/// returns an error. Every type this crate serializes has string keys
/// (`BTreeMap<String, _>`, `IndexMap<String, _>`, structs) and derived or
/// infallible `Serialize` impls, so the error arm cannot be reached; it is
/// `Value::Null` rather than a panic, and a debug build asserts it.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Value {
    let converted = serde_json::to_value(value);
    debug_assert!(converted.is_ok(), "a crate type failed to serialize: {converted:?}");
    converted.unwrap_or(Value::Null)
}
