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
//! An answer is remembered under the exact bytes of its review without the
//! uid's JSON string, and the loaded profile's SHA-256 (the settings are fixed
//! for the life of the process); a hit compares those bytes in full, so no
//! crafted review can collide into another pod's answer. It also records the
//! namespace labels the core looked up, and a hit is only taken when the
//! namespace source still gives the same labels.
//!
//! Finding the uid reads the review only up to `request.uid` (the API server
//! writes it first): the rest need not be parsed, because a hit equals a
//! review the core accepted in every byte but one JSON string's, so it is the
//! same valid document with another uid. Answers the core refuses are never
//! remembered.
//!
//! Memory is bounded: bodies above [`MAX_KEY_BYTES`] are not remembered, and
//! the memo is emptied when it holds `--memo-entries` answers (default
//! [`MAX_ENTRIES`]) or [`MAX_BYTES`] bytes.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use eci_bridge_core::admission::endpoint::{Answer, Outcome, ReviewSummary};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

/// Largest key remembered.
pub const MAX_KEY_BYTES: usize = 64 * 1024;
/// Answers remembered at most, by default (`--memo-entries`).
pub const MAX_ENTRIES: usize = 4096;
/// Bytes of keys and answers remembered at most.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// Namespace labels as the core looked them up: name, labels.
pub type Lookups = Vec<(String, BTreeMap<String, String>)>;

#[derive(Debug, Clone)]
struct Remembered {
    /// The body before and after the uid's JSON string.
    before: String,
    after: String,
    outcome: Outcome,
    summary: ReviewSummary,
    lookups: Lookups,
}

type Entries = HashMap<Box<[u8]>, Remembered, foldhash::fast::RandomState>;

/// The memo.
#[derive(Debug)]
pub struct Memo {
    capacity: usize,
    entries: Mutex<(Entries, usize)>,
}

impl Default for Memo {
    fn default() -> Self {
        Memo::new(MAX_ENTRIES)
    }
}

/// A review split into its uid and the bytes of everything else.
#[derive(Debug)]
pub struct Keyed {
    uid: String,
    key: Vec<u8>,
}

/// Separates the parts of a key: 0xFF is in no UTF-8 text, so the uid's
/// place and the profile's hash are unambiguous.
const SEPARATOR: u8 = 0xFF;

/// The key of a body, when it is a review the memo can key: a JSON object
/// whose `request.uid` is a string (read up to there). The key is the body
/// with the uid's JSON string cut out, then `profile_sha256`.
pub fn key(body: &[u8], profile_sha256: &str) -> Option<Keyed> {
    if body.len() > MAX_KEY_BYTES {
        return None;
    }
    let raw = uid_of(body)?;
    let uid: String = serde_json::from_str(raw.get()).ok()?;
    let at = (raw.get().as_ptr() as usize).checked_sub(body.as_ptr() as usize)?;
    let (before, rest) = body.split_at_checked(at)?;
    let after = rest.get(raw.get().len()..)?;
    let mut key = Vec::with_capacity(body.len() + profile_sha256.len() + 2);
    for (i, part) in [before, after, profile_sha256.as_bytes()].into_iter().enumerate() {
        if i > 0 {
            key.push(SEPARATOR);
        }
        key.extend_from_slice(part);
    }
    Some(Keyed { uid, key })
}

/// `request.uid`'s raw JSON in `body`, reading the body only up to it.
fn uid_of(body: &[u8]) -> Option<&RawValue> {
    let found = Cell::new(None);
    // Stopping early is an error to serde_json; what was found is the answer.
    let _ =
        Find { path: &["request", "uid"], found: &found }.deserialize(&mut serde_json::Deserializer::from_slice(body));
    found.get()
}

/// Walks down `path` through JSON objects and keeps the raw value there.
struct Find<'a, 'de> {
    path: &'a [&'a str],
    found: &'a Cell<Option<&'de RawValue>>,
}

impl<'de> DeserializeSeed<'de> for Find<'_, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Find<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((name, deeper)) = self.path.split_first() else { return Ok(()) };
        while let Some(field) = map.next_key::<&'de str>()? {
            if field != *name {
                map.next_value::<IgnoredAny>()?;
            } else if deeper.is_empty() {
                self.found.set(Some(map.next_value::<&'de RawValue>()?));
                return Err(serde::de::Error::custom("found"));
            } else {
                return map.next_value_seed(Find { path: deeper, found: self.found });
            }
        }
        Ok(())
    }
}

fn uid_field(uid: &str) -> Option<String> {
    Some(format!("\"uid\": {}", serde_json::to_string(uid).ok()?))
}

impl Memo {
    /// A memo of at most `capacity` answers (0: remembers nothing).
    pub fn new(capacity: usize) -> Memo {
        Memo { capacity, entries: Mutex::default() }
    }

    /// The remembered answer for `keyed`, with its uid, when `labels` still
    /// gives the namespace labels the core was answered with.
    pub fn get(&self, keyed: &Keyed, labels: impl Fn(&str) -> BTreeMap<String, String>) -> Option<Answer> {
        let entries = self.entries.lock().ok()?;
        let r = entries.0.get(keyed.key.as_slice())?;
        if r.lookups.iter().any(|(name, seen)| labels(name) != *seen) {
            return None;
        }
        let body = format!("{}{}{}", r.before, uid_field(&keyed.uid)?, r.after);
        let summary = ReviewSummary { uid: keyed.uid.clone(), ..r.summary.clone() };
        Some(Answer::new(r.outcome, body, summary, None))
    }

    /// Remembers an answer (reviews only, not 400s) and the namespace labels
    /// the core looked up for it.
    pub fn put(&self, keyed: Keyed, lookups: Lookups, answer: &Answer) {
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
            lookups,
        };
        let size = keyed.key.len() + answer.body.len() + 128;
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.0.len() >= self.capacity || entries.1 + size > MAX_BYTES {
            *entries = Default::default();
        }
        entries.1 += size;
        entries.0.insert(keyed.key.into_boxed_slice(), remembered);
    }

    /// Forgets everything (the profile or the namespaces changed).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            *entries = Default::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eci_bridge_core::admission::AdmissionOptions;
    use eci_bridge_core::admission::endpoint::Endpoint;
    use std::cell::RefCell;

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

    /// What the server does: the core's answer, remembered with its lookups.
    fn answer_and_put(memo: &Memo, body: &str, labels: &dyn Fn(&str) -> BTreeMap<String, String>) -> Answer {
        let options = AdmissionOptions::default();
        let lookups = RefCell::new(Lookups::new());
        let lookup = |name: &str| {
            let found = labels(name);
            lookups.borrow_mut().push((name.to_string(), found.clone()));
            found
        };
        let answer = Endpoint { profile: None, options: &options, namespace_labels: &lookup }.answer(body);
        memo.put(key(body.as_bytes(), "").expect("keyed"), lookups.into_inner(), &answer);
        answer
    }

    fn team(ns: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("team".to_string(), ns.to_string())])
    }

    #[test]
    fn a_remembered_answer_equals_the_core_answer_for_another_uid() {
        let memo = Memo::default();
        for (i, (ns, app)) in [("a", "web"), ("b", "web"), ("a", "db")].iter().enumerate() {
            let first = review(&format!("first-{i}"), ns, app);
            assert!(memo.get(&key(first.as_bytes(), "").expect("keyed"), team).is_none(), "nothing yet for {ns}/{app}");
            answer_and_put(&memo, &first, &team);
            for uid in ["u-\"quoted\"\n", "另一个"] {
                let again = review(uid, ns, app);
                let remembered = memo.get(&key(again.as_bytes(), "").expect("keyed"), team).expect("remembered");
                let fresh = answer_and_put(&Memo::new(0), &again, &team);
                assert_eq!(remembered.body, fresh.body, "{ns}/{app} uid {uid:?}");
                assert_eq!(remembered.summary, fresh.summary);
                assert_eq!(remembered.outcome, fresh.outcome);
            }
        }
    }

    #[test]
    fn the_uid_is_found_wherever_the_request_puts_it() {
        // The API server writes the uid first; sorted keys put it after the object.
        let first = r#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"a","namespace":"n","object":{"uid":"x"}}}"#;
        let last = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"namespace":"n","object":{"uid":"x"},"uid":"a"}}"#;
        for body in [first, last] {
            let keyed = key(body.as_bytes(), "p").expect("keyed");
            assert_eq!(keyed.uid, "a");
            let at = body.find(r#""uid":"a""#).expect("uid") + r#""uid":"#.len();
            let (before, after) = (&body.as_bytes()[..at], &body.as_bytes()[at + r#""a""#.len()..]);
            assert_eq!(keyed.key, [before, &[SEPARATOR], after, &[SEPARATOR], b"p"].concat());
        }
    }

    #[test]
    fn other_labels_another_profile_or_a_changed_field_miss() {
        let memo = Memo::default();
        answer_and_put(&memo, &review("u", "a", "web"), &team);
        let again = key(review("v", "a", "web").as_bytes(), "").expect("keyed");
        assert!(memo.get(&again, team).is_some());
        assert!(memo.get(&again, |_| BTreeMap::new()).is_none(), "the namespace's labels changed");
        let other_profile = key(review("v", "a", "web").as_bytes(), "p2").expect("keyed");
        let other_field = key(review("v", "a", "web2").as_bytes(), "").expect("keyed");
        for other in [other_profile, other_field] {
            assert!(memo.get(&other, team).is_none());
        }
        assert!(key(b"{\"request\": {\"namespace\": \"a\"}}", "").is_none(), "no uid: not keyed");
        assert!(key(b"{\"request\": {\"uid\": 7}}", "").is_none(), "a uid that is no string: not keyed");
        assert!(key(b"not json", "").is_none());
    }

    #[test]
    fn reviews_the_core_refuses_are_not_remembered() {
        let memo = Memo::default();
        let twice = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","namespace":"a","namespace":"b"}}"#;
        let answer = answer_and_put(&memo, twice, &team);
        assert_eq!(answer.outcome, Outcome::Invalid, "{}", answer.body);
        assert!(memo.get(&key(twice.as_bytes(), "").expect("keyed"), team).is_none());
    }
}
