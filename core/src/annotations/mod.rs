//! Pod annotations: the registry and the validated per-pod options.
//!
//! Rules (docs/annotations.md#general-rules): annotations are
//! read from the pod's own metadata, only at creation, and "have a higher
//! priority than the settings that correspond to the same feature in the ECI
//! Profile". Annotations outside the registry are left alone, except unknown
//! keys under `k8s.aliyun.com/`, which are almost always typos and get a
//! warning with the closest known key.

pub mod format;
pub mod registry;

use std::collections::BTreeMap;

pub use format::{Format, Item, Parsed};
pub use registry::{AnnotationSpec, REGISTRY, Section, Status, Target, lookup};

use crate::diagnostics::{Code, Diagnostic, Pointer, Severity};
use crate::explain::InputRef;

/// The pointer of an annotation in the pod.
pub fn pointer(key: &str) -> String {
    Pointer::from_tokens(["metadata", "annotations", key]).into()
}

/// The valid registry annotations of one pod.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodAnnotations {
    values: BTreeMap<&'static str, Parsed>,
}

impl PodAnnotations {
    /// Validates every annotation of the pod against the registry.
    pub fn parse(annotations: &BTreeMap<String, String>, diags: &mut Vec<Diagnostic>) -> Self {
        let entries: Vec<(String, String, InputRef)> =
            annotations.iter().map(|(k, v)| (k.clone(), v.clone(), InputRef::pod(pointer(k)))).collect();
        Self::parse_entries(&entries, diags)
    }

    /// Validates annotations that may come from several inputs (the pod, or
    /// an eci-profile selector effect); diagnostics point at the origin.
    pub fn parse_entries(entries: &[(String, String, InputRef)], diags: &mut Vec<Diagnostic>) -> Self {
        let mut values = BTreeMap::new();
        let mut system_written = Vec::new();
        let mut suggested = 0;
        for (key, raw, origin) in entries {
            let at = |d: Diagnostic| Diagnostic { input: origin.input.clone(), pointer: origin.pointer.clone(), ..d };
            let Some(spec) = lookup(key) else {
                if registry::is_eci_namespace(key) {
                    let mut d = Diagnostic::pod(
                        Severity::Warning,
                        Code::InvalidAnnotation,
                        pointer(key),
                        format!("unknown ECI annotation `{key}`; it has no effect"),
                    );
                    suggested += 1;
                    // Suggestions for the first few unknown keys; the rest are plainly reported.
                    if let Some(near) = (suggested <= MAX_SUGGESTIONS).then(|| closest_key(key)).flatten() {
                        d = d.help(format!("did you mean `{near}`?"));
                    }
                    diags.push(at(d));
                }
                continue;
            };
            if let Target::Output(_) = spec.target {
                system_written.push(key.clone());
                continue;
            }
            match spec.format.parse(raw) {
                Ok(parsed) => {
                    if let Status::Legacy(replacement) = spec.status {
                        diags.push(at(Diagnostic::pod(
                            Severity::Warning,
                            Code::DeprecatedAnnotation,
                            pointer(key),
                            format!("`{key}` is an older annotation; it still works here"),
                        )
                        .help(format!("use {replacement} instead"))));
                    }
                    values.insert(spec.key, parsed);
                }
                Err(why) => diags.push(at(Diagnostic::pod(
                    Severity::Error,
                    Code::InvalidAnnotation,
                    pointer(key),
                    format!("`{key}`: {why}"),
                )
                .help(format!("expected {} (e.g. `{}`)", spec.format.describe(), spec.example)))),
            }
        }
        if !system_written.is_empty() {
            diags.push(Diagnostic::pod(
                Severity::Info,
                Code::Dropped,
                "/metadata/annotations",
                format!(
                    "{} annotation(s) written by the provider after creation are ignored on input: {}",
                    system_written.len(),
                    system_written.join(", ")
                ),
            ));
        }
        PodAnnotations { values }
    }

    /// The validated value of `key`.
    pub fn get(&self, key: &str) -> Option<&Parsed> {
        self.values.get(key)
    }

    /// True when `key` was given and valid.
    pub fn has(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// Every valid annotation with its registry entry, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static AnnotationSpec, &Parsed)> {
        self.values.iter().filter_map(|(k, v)| lookup(k).map(|s| (s, v)))
    }
}

/// How many unknown keys get a did-you-mean.
const MAX_SUGGESTIONS: usize = 20;

/// The registry key nearest to `key` by edit distance, when within three
/// edits or a sixth of the key's length.
fn closest_key(key: &str) -> Option<&'static str> {
    crate::text::closest(key, REGISTRY.iter().map(|s| s.key), |k| 3.max(k.len() / 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> (PodAnnotations, Vec<Diagnostic>) {
        let map = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut diags = Vec::new();
        (PodAnnotations::parse(&map, &mut diags), diags)
    }

    #[test]
    fn valid_invalid_unknown_and_legacy() {
        let (a, d) = parse(&[
            ("k8s.aliyun.com/eci-max-pending-minute", "30"),
            ("k8s.aliyun.com/eci-spot-strategy", "SpotAsPriceGoo"),
            ("k8s.aliyun.com/eci-use-spec", "2-4Gi"),
            ("k8s.aliyun.com/eci-image-cache", "true"),
            ("k8s.aliyun.com/eci-instance-id", "eci-123"),
            ("app.kubernetes.io/name", "web"),
        ]);
        assert_eq!(a.get("k8s.aliyun.com/eci-max-pending-minute"), Some(&Parsed::Int(30)));
        assert!(a.has("k8s.aliyun.com/eci-image-cache"));
        let codes: Vec<_> = d.iter().map(|d| (d.severity, d.code)).collect();
        assert!(codes.contains(&(Severity::Error, Code::InvalidAnnotation)));
        assert!(codes.contains(&(Severity::Warning, Code::DeprecatedAnnotation)));
        let typo = d.iter().find(|d| d.message.contains("eci-use-spec`")).unwrap();
        assert_eq!(typo.help.as_deref(), Some("did you mean `k8s.aliyun.com/eci-use-specs`?"));
        assert_eq!(typo.pointer, "/metadata/annotations/k8s.aliyun.com~1eci-use-spec");
        assert!(d.iter().any(|d| d.severity == Severity::Info && d.message.contains("eci-instance-id")));
        assert_eq!(d.len(), 4);
    }
}
