//! The one rule for profile effects ("ECI Effect"): which selectors apply to
//! a pod, in which order, and what they add together. The webhook writes
//! the result onto the pod ([`crate::admission`]); the translation reads a
//! pod as if it had been written ([`crate::translate`]). Both call
//! [`ProfileEffects::of`], so translating a pod and translating the pod the
//! webhook returned give the same request (property test
//! `translate_agrees_with_admission` in core/tests/admission_properties.rs).
//!
//! Documented rules (seed kubernetes-eci-integration.md §2.3 "配置ECI
//! Profile", "配置ECI Effect示例", 注意; docs/eci-profile.md#selector-order,
//! #effect-merge):
//!
//! - "如果两者均未配置，则effect对所有调度到ECI的Pod均生效": a selector with
//!   neither namespaceSelector nor objectSelector matches every pod.
//! - "如果配置了多个selector，将按照顺序匹配selector。匹配成功后，将自动把
//!   effect中声明的Annotation和Label追加到Pod中（只追加，不覆盖）。对于重复的
//!   Annotation和Label，Pod原有声明的值优先级最高，其次是顺序匹配上的第一个
//!   selector中的effect，以此类推": every matching selector contributes; per
//!   key the pod's own value wins, then the first matching selector, then
//!   the next.
//!
//! Not documented, chosen here: effects add labels, and a label one effect
//! adds can make another selector match. Matching therefore runs to a fixed
//! point: each round takes, in profile order, every selector not yet taken
//! that matches the labels as they are at that moment (including labels
//! taken earlier in the same round); it stops when a round takes none.
//! Labels are only added, never changed, so this ends after at most one
//! round per selector, and applying the result to the pod and evaluating
//! again takes nothing new. "The first matching selector" is the first in
//! this order of discovery: the selectors matching the submitted pod in
//! profile order, then those that matched only after an effect.

use std::collections::BTreeMap;

use super::{EciProfile, Selector};
use crate::diagnostics::{Input, Pointer};
use crate::explain::InputRef;

/// What the profile's selectors add to one pod.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileEffects {
    /// Indices (into the profile's `selectors`) of every selector that
    /// applies, in priority order.
    pub order: Vec<usize>,
    /// Labels the pod does not have, with the index of the selector that
    /// adds each, in the order they are added.
    pub labels: Vec<(String, String, usize)>,
    /// Annotations the pod does not have, likewise.
    pub annotations: Vec<(String, String, usize)>,
}

impl ProfileEffects {
    /// Evaluates `selectors` for a pod with these labels and annotations in
    /// a namespace with these labels.
    pub fn of(
        selectors: &[Selector],
        pod_labels: &BTreeMap<String, String>,
        pod_annotations: &BTreeMap<String, String>,
        namespace_labels: &BTreeMap<String, String>,
    ) -> ProfileEffects {
        let mut out = ProfileEffects::default();
        if selectors.is_empty() {
            return out;
        }
        let mut labels = pod_labels.clone();
        let mut taken = vec![false; selectors.len()];
        loop {
            let before = out.order.len();
            for (i, s) in selectors.iter().enumerate() {
                if taken[i] || !s.matches(&labels, namespace_labels) {
                    continue;
                }
                taken[i] = true;
                out.order.push(i);
                let Some(effect) = &s.effect else { continue };
                for (k, v) in &effect.labels {
                    if !labels.contains_key(k) {
                        labels.insert(k.clone(), v.clone());
                        out.labels.push((k.clone(), v.clone(), i));
                    }
                }
                for (k, v) in &effect.annotations {
                    if !pod_annotations.contains_key(k) && !out.annotations.iter().any(|(key, _, _)| key == k) {
                        out.annotations.push((k.clone(), v.clone(), i));
                    }
                }
            }
            if out.order.len() == before {
                return out;
            }
        }
    }

    /// [`ProfileEffects::of`] for a typed pod and an optional profile.
    pub fn for_pod(
        pod: &k8s_openapi::api::core::v1::Pod,
        namespace_labels: &BTreeMap<String, String>,
        profile: Option<&EciProfile>,
    ) -> ProfileEffects {
        let empty = BTreeMap::new();
        ProfileEffects::of(
            profile.map(|p| p.selectors.as_slice()).unwrap_or_default(),
            pod.metadata.labels.as_ref().unwrap_or(&empty),
            pod.metadata.annotations.as_ref().unwrap_or(&empty),
            namespace_labels,
        )
    }

    /// True when the effects add nothing.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.annotations.is_empty()
    }

    /// The pod with the effects written into its metadata (what the webhook
    /// returns), or `None` when they add nothing.
    pub fn applied_to(&self, pod: &k8s_openapi::api::core::v1::Pod) -> Option<k8s_openapi::api::core::v1::Pod> {
        if self.is_empty() {
            return None;
        }
        let mut pod = pod.clone();
        if !self.labels.is_empty() {
            let labels = pod.metadata.labels.get_or_insert_with(BTreeMap::new);
            for (k, v, _) in &self.labels {
                labels.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        if !self.annotations.is_empty() {
            let annotations = pod.metadata.annotations.get_or_insert_with(BTreeMap::new);
            for (k, v, _) in &self.annotations {
                annotations.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        Some(pod)
    }
}

/// The pod's annotations followed by those that the profile's selectors
/// append ("append, never override": the pod's own value wins, then the
/// first matching selector; see the module docs), each with where it came
/// from.
pub fn effective_annotations(
    pod: &k8s_openapi::api::core::v1::Pod,
    namespace_labels: &BTreeMap<String, String>,
    profile: Option<&EciProfile>,
) -> Vec<(String, String, InputRef)> {
    let mut entries: Vec<(String, String, InputRef)> = pod
        .metadata
        .annotations
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone(), InputRef::pod(crate::annotations::pointer(k))))
        .collect();
    for (k, v, i) in ProfileEffects::for_pod(pod, namespace_labels, profile).annotations {
        let pointer = Pointer::from_tokens(["data", "selectors"]).index(i).key("effect").key("annotations").key(&k);
        entries.push((k, v, InputRef::of(Input::Profile, pointer)));
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Effect;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn selector(
        name: &str,
        object: &[(&str, &str)],
        labels: &[(&str, &str)],
        annotations: &[(&str, &str)],
    ) -> Selector {
        Selector {
            name: name.into(),
            object_selector: (!object.is_empty()).then(|| {
                k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector {
                    match_labels: Some(map(object)),
                    match_expressions: None,
                }
            }),
            effect: Some(Effect { labels: map(labels), annotations: map(annotations) }),
            ..Default::default()
        }
    }

    #[test]
    fn own_values_win_then_discovery_order() {
        let selectors = vec![
            // Matches only once `b` adds class=batch: found in the second round.
            selector("a", &[("class", "batch")], &[], &[("x", "from-a"), ("y", "from-a")]),
            selector("b", &[("app", "spark")], &[("class", "batch")], &[("x", "from-b")]),
            // Matches every pod; taken in the first round, after `b`.
            selector("c", &[], &[("class", "other")], &[("x", "from-c"), ("z", "from-c")]),
        ];
        let e = ProfileEffects::of(&selectors, &map(&[("app", "spark")]), &map(&[("z", "own")]), &BTreeMap::new());
        assert_eq!(e.order, vec![1, 2, 0]);
        assert_eq!(e.labels, vec![("class".into(), "batch".into(), 1)]);
        assert_eq!(
            e.annotations,
            vec![("x".into(), "from-b".into(), 1), ("y".into(), "from-a".into(), 0)],
            "z is the pod's own; x comes from the first selector found"
        );
    }

    #[test]
    fn evaluating_the_result_again_adds_nothing() {
        let selectors = vec![
            selector("a", &[("class", "batch")], &[("tier", "2")], &[("x", "1")]),
            selector("b", &[("app", "spark")], &[("class", "batch")], &[]),
        ];
        let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(
            serde_json::json!({"metadata": {"name": "p", "labels": {"app": "spark"}}, "spec": {"containers": []}}),
        )
        .unwrap();
        let profile = EciProfile { selectors, ..Default::default() };
        let e = ProfileEffects::for_pod(&pod, &BTreeMap::new(), Some(&profile));
        let applied = e.applied_to(&pod).expect("adds labels");
        assert_eq!(applied.metadata.labels, Some(map(&[("app", "spark"), ("class", "batch"), ("tier", "2")])));
        assert!(ProfileEffects::for_pod(&applied, &BTreeMap::new(), Some(&profile)).is_empty());
    }
}
