//! Answers remembered by everything they depend on except the request uid.
//!
//! The core is a pure function: the same review, profile, namespace labels
//! and settings give the same answer, and the request uid only appears as the
//! response's uid. The pods of one ReplicaSet reach admission as the same
//! object (at admission time they have no name and no uid yet: only
//! `generateName`), so a Deployment scaling out sends the webhook one review
//! many times over with new uids. The memo answers those repeats by swapping
//! the uid into the remembered body.
//!
//! The key is the SHA-256 of the exact bytes of the review without the
//! uid's value (every other field of the request, verbatim), the labels of
//! the request's namespace and the loaded profile's SHA-256 (the settings are
//! fixed for the life of the process): no crafted review can collide into
//! another pod's answer.
//! Memory is bounded: bodies above [`MAX_KEY_BYTES`] are not remembered, and
//! the memo is emptied when it holds `--memo-entries` answers (default
//! [`MAX_ENTRIES`]) or [`MAX_BYTES`] bytes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use eci_bridge_core::admission::endpoint::{Answer, Outcome, ReviewSummary};
use serde_json::value::RawValue;
use sha2::{Digest as _, Sha256};

/// Largest key remembered.
pub const MAX_KEY_BYTES: usize = 64 * 1024;
/// Answers remembered at most, by default (`--memo-entries`).
pub const MAX_ENTRIES: usize = 4096;
/// Bytes of keys and answers remembered at most.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone)]
struct Remembered {
    /// The body before and after the uid's JSON string.
    before: String,
    after: String,
    outcome: Outcome,
    summary: ReviewSummary,
}

/// The memo.
#[derive(Debug)]
pub struct Memo {
    capacity: usize,
    entries: Mutex<(HashMap<[u8; 32], Remembered>, usize)>,
}

impl Default for Memo {
    fn default() -> Self {
        Memo::new(MAX_ENTRIES)
    }
}

/// A review split into its uid and the key of everything else.
#[derive(Debug)]
pub struct Keyed {
    uid: String,
    key: [u8; 32],
    labels: BTreeMap<String, String>,
}

impl Keyed {
    /// The namespace labels in the key: the core must answer with these.
    pub fn namespace_labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }
}

/// The top level of a review, read in one pass: the request's fields and
/// every other field, as raw JSON slices of the body, in their order.
struct Fields<'a> {
    request: Option<Vec<(&'a str, &'a RawValue)>>,
    rest: Vec<(&'a str, &'a RawValue)>,
    /// A field name appeared twice (at the top or in the request).
    duplicate: bool,
}

impl<'de> serde::Deserialize<'de> for Fields<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Top;
        impl<'de> serde::de::Visitor<'de> for Top {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a review")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Fields<'de>, A::Error> {
                let mut fields = Fields { request: None, rest: Vec::new(), duplicate: false };
                while let Some(name) = map.next_key::<&'de str>()? {
                    if name == "request" {
                        let request: Vec<(&str, &RawValue)> = map.next_value::<Pairs<'de>>()?.0;
                        fields.duplicate |= fields.request.is_some() || has_duplicates(&request);
                        fields.request = Some(request);
                    } else {
                        fields.rest.push((name, map.next_value()?));
                    }
                }
                fields.duplicate |= has_duplicates(&fields.rest);
                Ok(fields)
            }
        }
        d.deserialize_map(Top)
    }
}

/// A JSON object's fields in order, as raw slices.
struct Pairs<'a>(Vec<(&'a str, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Pairs<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Object;
        impl<'de> serde::de::Visitor<'de> for Object {
            type Value = Pairs<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Pairs<'de>, A::Error> {
                let mut pairs = Vec::new();
                while let Some(name) = map.next_key::<&'de str>()? {
                    pairs.push((name, map.next_value()?));
                }
                Ok(Pairs(pairs))
            }
        }
        d.deserialize_map(Object)
    }
}

fn has_duplicates(pairs: &[(&str, &RawValue)]) -> bool {
    let mut names: Vec<&str> = pairs.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names.windows(2).any(|w| w[0] == w[1])
}

/// The key of a body, when it is a review the memo can key: JSON with
/// string `request.uid` and `request.namespace` (the namespace whose labels
/// the answer depends on) and no field name twice (the core refuses those).
/// `namespace_labels` and `profile_sha256` are the other inputs. The key is
/// the SHA-256 of them all, length-prefixed field by field.
pub fn key(
    body: &[u8],
    namespace_labels: impl FnOnce(&str) -> BTreeMap<String, String>,
    profile_sha256: &str,
) -> Option<Keyed> {
    if body.len() > MAX_KEY_BYTES {
        return None;
    }
    let fields: Fields<'_> = serde_json::from_slice(body).ok()?;
    let request = fields.request.filter(|_| !fields.duplicate)?;
    let raw = |name: &str| request.iter().find(|(n, _)| *n == name).map(|(_, raw)| raw.get());
    let uid: String = serde_json::from_str(raw("uid")?).ok()?;
    let namespace: String = serde_json::from_str(raw("namespace")?).ok()?;
    let mut hasher = Sha256::new();
    let mut field = |name: &str, raw: &str| {
        // Length-prefixed: no two different reviews give the same bytes.
        for part in [name, raw] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
    };
    for (name, raw) in &fields.rest {
        field(name, raw.get());
    }
    field("\u{0}request", "");
    for (name, raw) in request.iter().filter(|(name, _)| *name != "uid") {
        field(name, raw.get());
    }
    let labels = namespace_labels(&namespace);
    field("\u{0}namespace labels", &serde_json::to_string(&labels).ok()?);
    field("\u{0}profile", profile_sha256);
    Some(Keyed { uid, key: hasher.finalize().into(), labels })
}

fn uid_field(uid: &str) -> Option<String> {
    Some(format!("\"uid\": {}", serde_json::to_string(uid).ok()?))
}

impl Memo {
    /// A memo of at most `capacity` answers (0: remembers nothing).
    pub fn new(capacity: usize) -> Memo {
        Memo { capacity, entries: Mutex::default() }
    }

    /// The remembered answer for `keyed`, with its uid.
    pub fn get(&self, keyed: &Keyed) -> Option<Answer> {
        let entries = self.entries.lock().ok()?;
        let r = entries.0.get(&keyed.key)?;
        let body = format!("{}{}{}", r.before, uid_field(&keyed.uid)?, r.after);
        let summary = ReviewSummary { uid: keyed.uid.clone(), ..r.summary.clone() };
        Some(Answer { outcome: r.outcome, body, summary, admission: None })
    }

    /// Remembers an answer (reviews only, not 400s).
    pub fn put(&self, keyed: Keyed, answer: &Answer) {
        if answer.outcome == Outcome::Invalid || self.capacity == 0 {
            return;
        }
        let Some(field) = uid_field(&keyed.uid) else { return };
        // The response's uid is the only `"uid": "…"` pair with bare quotes:
        // warnings are JSON strings, so quotes inside them are escaped.
        let mut found = answer.body.match_indices(&field);
        let (Some((at, _)), None) = (found.next(), found.next()) else { return };
        let remembered = Remembered {
            before: answer.body[..at].to_string(),
            after: answer.body[at + field.len()..].to_string(),
            outcome: answer.outcome,
            summary: ReviewSummary { uid: String::new(), ..answer.summary.clone() },
        };
        let size = keyed.key.len() + answer.body.len() + 128;
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.0.len() >= self.capacity || entries.1 + size > MAX_BYTES {
            *entries = (HashMap::new(), 0);
        }
        entries.1 += size;
        entries.0.insert(keyed.key, remembered);
    }

    /// Forgets everything (the profile or the namespaces changed).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            *entries = (HashMap::new(), 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eci_bridge_core::admission::AdmissionOptions;
    use eci_bridge_core::admission::endpoint::Endpoint;

    fn review(uid: &str, namespace: &str, app: &str) -> String {
        serde_json::json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": uid, "namespace": namespace, "operation": "CREATE",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "resource": {"group": "", "version": "v1", "resource": "pods"},
                "object": {"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"generateName": "web-", "namespace": namespace, "labels": {"app": app, "eci": "true"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx", "env": [{"name": "uid", "value": "\"uid\": \"u-\\\"quoted\\\"\""}]}]}}}
        })
        .to_string()
    }

    #[test]
    fn a_remembered_answer_equals_the_core_answer_for_another_uid() {
        let options = AdmissionOptions::default();
        let labels = |ns: &str| BTreeMap::from([("team".to_string(), ns.to_string())]);
        let endpoint = Endpoint { profile: None, options: &options, namespace_labels: &labels };
        let memo = Memo::default();
        for (i, (ns, app)) in [("a", "web"), ("b", "web"), ("a", "db")].iter().enumerate() {
            let first = review(&format!("first-{i}"), ns, app);
            let keyed = key(first.as_bytes(), labels, "").expect("keyed");
            assert!(memo.get(&keyed).is_none(), "nothing remembered yet for {ns}/{app}");
            memo.put(keyed, &endpoint.answer(&first));
            for uid in ["u-\"quoted\"\n", "另一个"] {
                let again = review(uid, ns, app);
                let keyed = key(again.as_bytes(), labels, "").expect("keyed");
                let remembered = memo.get(&keyed).expect("remembered");
                let fresh = endpoint.answer(&again);
                assert_eq!(remembered.body, fresh.body, "{ns}/{app} uid {uid:?}");
                assert_eq!(remembered.summary, fresh.summary);
                assert_eq!(remembered.outcome, fresh.outcome);
            }
        }
    }

    #[test]
    fn other_labels_another_profile_or_a_changed_field_miss() {
        let labels = |_: &str| BTreeMap::new();
        let base = key(review("u", "a", "web").as_bytes(), labels, "p1").expect("keyed");
        let other_labels =
            key(review("u", "a", "web").as_bytes(), |_| BTreeMap::from([("x".into(), "y".into())]), "p1");
        let other_profile = key(review("u", "a", "web").as_bytes(), labels, "p2");
        let other_field = key(review("u", "a", "web2").as_bytes(), labels, "p1");
        for other in [other_labels, other_profile, other_field] {
            assert_ne!(other.expect("keyed").key, base.key);
        }
        assert!(key(b"{\"request\": {\"uid\": \"u\"}}", labels, "").is_none(), "no namespace: not keyed");
        assert!(key(b"not json", labels, "").is_none());
        let twice = br#"{"request": {"uid": "u", "namespace": "a", "namespace": "b"}}"#;
        assert!(key(twice, labels, "").is_none(), "a field twice: not keyed (the core refuses it)");
    }
}
