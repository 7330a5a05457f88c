//! The flattened wire form of ECI parameters (docs/eci-api.md#wire-names).
//!
//! Lists become `Name.1`, `Name.2` (1-based, contiguous), structs become
//! `Parent.Field`, and they compose: `Container.1.EnvironmentVar.2.Key`.
//! Scalars: strings as-is, integers in decimal, floats as their JSON number
//! text (`2.0`, `0.25`, the same text the vendor's Python SDK sends), and
//! booleans as `true`/`false` — the form the Go and Java SDKs and the legacy
//! VK provider send (docs/eci-api.md#scalar-encoding). The Python helper renders booleans with
//! `str()` as `True`/`False`; the service parses both, the documented form is
//! lowercase, so lowercase is what we send.
//!
//! Parameters are kept in byte-wise key order, the order the RPC signature
//! canonicalises them in, so `-o query` lists them the way they are signed.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Flattened parameters, sorted byte-wise by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireParams(BTreeMap<String, String>);

impl WireParams {
    /// Flattens a JSON object (a request's `to_map()` form).
    pub fn from_json(value: &Value) -> Self {
        let mut out = BTreeMap::new();
        let mut unbounded = usize::MAX;
        flatten_into("", value, &mut out, &mut unbounded);
        WireParams(out)
    }

    /// [`WireParams::from_json`] producing at most `max_bytes` of names and
    /// values; `None` beyond. Flattening repeats each name's path for every
    /// value below it, so a long key above a long list multiplies: a 26 KB
    /// document became 16 MB of parameters.
    pub fn from_json_within(value: &Value, max_bytes: usize) -> Option<Self> {
        let mut out = BTreeMap::new();
        let mut budget = max_bytes;
        flatten_into("", value, &mut out, &mut budget);
        (budget > 0).then_some(WireParams(out))
    }

    /// Wraps already-flat parameters.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        WireParams(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }

    /// Adds or replaces one parameter.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), value.into());
    }

    /// Looks up one parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The parameters in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// One `Key=Value` per line, values not percent-encoded (`-o query`).
    pub fn to_lines(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.0 {
            s.push_str(k);
            s.push('=');
            s.push_str(v);
            s.push('\n');
        }
        s
    }

    /// Rebuilds the nested JSON shape. Every leaf comes back as a string, so
    /// `from_json(&p.to_json()) == p` for any flat parameters `p`.
    pub fn to_json(&self) -> Value {
        let mut root = Value::Object(Map::new());
        for (key, value) in &self.0 {
            insert_path(&mut root, key.split('.'), value);
        }
        root
    }

    /// Consumes into the sorted map.
    pub fn into_inner(self) -> BTreeMap<String, String> {
        self.0
    }
}

/// Flattens `value` under `prefix`, spending `budget` bytes (names and
/// values); stops at 0.
fn flatten_into(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>, budget: &mut usize) {
    if *budget == 0 {
        return;
    }
    let join = |k: &str| {
        if prefix.is_empty() { k.to_string() } else { format!("{prefix}.{k}") }
    };
    let mut leaf = |text: String| {
        *budget = budget.saturating_sub(prefix.len() + text.len());
        out.insert(prefix.to_string(), text);
    };
    match value {
        Value::Null => {}
        Value::Object(map) => {
            for (k, v) in map {
                flatten_into(&join(k), v, out, budget);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten_into(&join(&(i + 1).to_string()), v, out, budget);
            }
        }
        Value::Bool(b) => leaf(b.to_string()),
        Value::Number(n) => leaf(n.to_string()),
        Value::String(s) => leaf(s.clone()),
    }
}

/// A list index segment (`1`, `2`, …) as opposed to a struct field name.
fn list_index(segment: &str) -> Option<usize> {
    if segment.starts_with('0') {
        return None;
    }
    segment.parse::<usize>().ok().filter(|n| *n >= 1)
}

fn insert_path<'a>(node: &mut Value, mut segments: impl Iterator<Item = &'a str>, leaf: &str) {
    let Some(segment) = segments.next() else {
        *node = Value::String(leaf.to_string());
        return;
    };
    let child = match list_index(segment) {
        Some(index) => {
            if !node.is_array() {
                *node = Value::Array(Vec::new());
            }
            let Value::Array(items) = node else { return };
            if items.len() < index {
                items.resize(index, Value::Null);
            }
            &mut items[index - 1]
        }
        None => {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            let Value::Object(map) = node else { return };
            map.entry(segment.to_string()).or_insert(Value::Null)
        }
    };
    insert_path(child, segments, leaf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_like_the_sdk() {
        let v = json!({
            "RegionId": "cn-hangzhou",
            "Cpu": 2.0,
            "Memory": 0.5,
            "Container": [{"Name": "a", "Command": ["sh", "-c"], "Tty": true,
                           "EnvironmentVar": [{"Key": "K", "Value": "V"}]}],
            "DnsConfig": {"NameServer": ["1.1.1.1"]},
            "ActiveDeadlineSeconds": 60,
            "Skipped": null,
            "Empty": []
        });
        let p = WireParams::from_json(&v);
        assert_eq!(
            p.to_lines(),
            "ActiveDeadlineSeconds=60\nContainer.1.Command.1=sh\nContainer.1.Command.2=-c\n\
             Container.1.EnvironmentVar.1.Key=K\nContainer.1.EnvironmentVar.1.Value=V\n\
             Container.1.Name=a\nContainer.1.Tty=true\nCpu=2.0\nDnsConfig.NameServer.1=1.1.1.1\n\
             Memory=0.5\nRegionId=cn-hangzhou\n"
        );
    }

    #[test]
    fn canonical_order_is_bytewise() {
        let items: Vec<_> = (0..11).map(|i| json!({ "Name": format!("c{i}") })).collect();
        let p = WireParams::from_json(&json!({ "Container": items }));
        let keys: Vec<_> = p.iter().map(|(k, _)| k).collect();
        assert_eq!(keys[0], "Container.1.Name");
        assert_eq!(keys[1], "Container.10.Name", "byte-wise, like the signature");
    }

    #[test]
    fn unflatten_round_trips() {
        let v = json!({"A": [{"B": ["x", "y"]}, {"C": "z"}], "D": {"E": "f"}});
        let p = WireParams::from_json(&v);
        assert_eq!(p.to_json(), v);
        assert_eq!(WireParams::from_json(&p.to_json()), p);
    }
}
