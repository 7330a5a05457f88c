//! Pod → `CreateContainerGroup`.
//!
//! [`translate`] is a pure function of its [`TranslateInput`]: the same input
//! gives the same request, diagnostics and explanations, byte for byte. It
//! never stops at the first problem: it builds the best request it can and
//! reports every problem, so a user fixes them all in one pass. The pod is
//! *rejected* when any diagnostic is an error.
//!
//! Precedence for every setting that several inputs can give: the pod's own
//! annotation, then an annotation added by a matching eci-profile selector
//! (earlier selectors first), then the eci-profile data, then the cluster
//! settings (docs/annotations.md, docs/eci-profile.md#selectors). Which
//! selectors add what is decided by [`crate::profile::effects`], the rule the
//! webhook uses, so a pod translates the same before and after admission.

mod container;
mod env;
mod identity;
mod network;
mod options;
mod pod;
mod probe;
mod pull_secret;
mod security;
mod volume;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use serde::Serialize;

use crate::annotations::PodAnnotations;
use crate::cluster::ClusterSettings;
use crate::diagnostics::{Diagnostic, Severity, has_errors};
use crate::eci::{CreateContainerGroupRequest, WireParams};
use crate::explain::{Effect, ExplainRow, Explanation, InputRef, explain_rows};
use crate::objects::ObjectStore;
use crate::profile::EciProfile;
use crate::profile::effects::ProfileEffects;
use crate::sizing::Sizing;

pub use crate::profile::effects::effective_annotations;
pub use identity::{client_token, container_group_name};
pub use pod::{MAX_CONTAINERS, MAX_REGISTRY_CREDENTIALS, MAX_VOLUMES};

/// Everything translation reads.
#[derive(Debug, Clone, Copy)]
pub struct TranslateInput<'a> {
    /// The pod (after admission, or as written).
    pub pod: &'a Pod,
    /// Labels of the pod's namespace (matched by profile selectors).
    pub namespace_labels: &'a BTreeMap<String, String>,
    /// The provider's settings.
    pub cluster: &'a ClusterSettings,
    /// The eci-profile, when there is one.
    pub profile: Option<&'a EciProfile>,
    /// The ConfigMaps, Secrets, claims and tokens the pod refers to.
    pub objects: &'a ObjectStore,
    /// What a ConfigMap or Secret the pod needs and `objects` lacks becomes.
    pub missing_objects: MissingObjects,
}

/// What translation makes of a ConfigMap or Secret that the pod needs (not
/// optionally) and the caller did not supply.
///
/// A preview is not provisioning: `eci-bridge translate` and `check` show
/// the request with a visible placeholder and a warning. Whoever creates the
/// instance (a provider, `eci create`, a library caller by default) must not
/// send a placeholder: for them it is an error that rejects the pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MissingObjects {
    /// An error: the pod is rejected.
    #[default]
    Reject,
    /// A warning; each value the object would give reads
    /// `<missing: configmap/NAME key KEY>` and a volume of it is an empty
    /// directory, so the request is shown, marked incomplete.
    Placeholder,
}

impl MissingObjects {
    /// The value that stands in for `key` of the missing `kind` `name`.
    pub fn placeholder(kind: crate::objects::ObjectKind, name: &str, key: &str) -> String {
        format!("<missing: {}/{name} key {key}>", kind.as_str().to_ascii_lowercase())
    }
}

/// Whether renderings show secret values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reveal {
    /// Secret values read `<redacted>` (the default everywhere humans look).
    #[default]
    Redacted,
    /// Secret values are shown (`--show-secrets`).
    Secrets,
}

/// The result of translating one pod.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Translation {
    /// The request (built as far as possible even when the pod is rejected).
    pub request: CreateContainerGroupRequest,
    /// Every problem found, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// Why each field has its value.
    pub explanations: Vec<Explanation>,
    /// Inputs that set no request parameter, and what becomes of them.
    pub effects: Vec<Effect>,
    /// How the size was derived.
    pub sizing: Sizing,
}

impl Translation {
    /// True when the pod cannot run on ECI as written.
    pub fn is_rejected(&self) -> bool {
        has_errors(&self.diagnostics)
    }

    /// The request to show: redacted unless `reveal` says otherwise.
    pub fn request_for(&self, reveal: Reveal) -> CreateContainerGroupRequest {
        match reveal {
            Reveal::Redacted => self.request.redacted(),
            Reveal::Secrets => self.request.clone(),
        }
    }

    /// The request as JSON text: pretty, two-space indent, a final newline —
    /// what `eci-bridge translate -o json` prints and the playground shows.
    pub fn request_json(&self, reveal: Reveal) -> String {
        let mut text = serde_json::to_string_pretty(&self.request_for(reveal).to_json()).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The flattened wire parameters.
    pub fn wire(&self, reveal: Reveal) -> WireParams {
        WireParams::from_json(&self.request_for(reveal).to_json())
    }

    /// One explain row per wire parameter, then one per input that sets no
    /// parameter ([`Effect`], `sent: false`).
    pub fn explain(&self, reveal: Reveal) -> Vec<ExplainRow> {
        let mut rows = explain_rows(&self.wire(reveal), &self.explanations);
        rows.extend(self.effects.iter().map(ExplainRow::from));
        rows
    }

    /// Diagnostics of one severity.
    pub fn diagnostics_of(&self, severity: Severity) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(move |d| d.severity == severity)
    }
}

/// Shared state of one translation.
pub(crate) struct Ctx<'a> {
    pub input: TranslateInput<'a>,
    pub pod: &'a Pod,
    pub namespace: String,
    pub annotations: PodAnnotations,
    /// Where each effective annotation came from.
    pub annotation_origin: BTreeMap<String, InputRef>,
    pub diags: Vec<Diagnostic>,
    pub explain: Vec<Explanation>,
    pub effects: Vec<Effect>,
    /// What `$(VAR)` expansion may still produce in this pod.
    pub expansion: env::ExpansionBudget,
}

impl<'a> Ctx<'a> {
    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Records why `field` (or everything under it) has its value.
    pub fn note(&mut self, field: impl Into<String>, rule: impl Into<String>, inputs: Vec<InputRef>) {
        self.explain.push(Explanation { field: field.into(), rule: rule.into(), inputs });
    }

    /// Records an input that sets no request parameter, and what it does.
    pub fn effect(
        &mut self,
        input: impl Into<String>,
        value: impl Into<String>,
        rule: impl Into<String>,
        inputs: Vec<InputRef>,
    ) {
        self.effects.push(Effect { input: input.into(), value: value.into(), rule: rule.into(), inputs });
    }

    /// Where the annotation `key` came from (the pod, or a profile selector).
    pub fn annotation_ref(&self, key: &str) -> InputRef {
        self.annotation_origin.get(key).cloned().unwrap_or_else(|| InputRef::pod(crate::annotations::pointer(key)))
    }

    /// The words for an annotation's origin, for explain rules.
    pub fn annotation_rule(&self, key: &str) -> String {
        match self.annotation_origin.get(key).map(|r| &r.input) {
            Some(crate::diagnostics::Input::Profile) => {
                format!("annotation {key} (added by an eci-profile selector)")
            }
            _ => format!("annotation {key}"),
        }
    }

    /// The pod spec, borrowed from the input (not from the context), so it
    /// can be read while the context records diagnostics.
    pub fn spec(&self) -> Option<&'a k8s_openapi::api::core::v1::PodSpec> {
        self.pod.spec.as_ref()
    }
}

/// Translates one pod.
pub fn translate(input: &TranslateInput<'_>) -> Translation {
    if let Some(breach) = crate::limits::check_pod(input.pod) {
        return Translation {
            request: CreateContainerGroupRequest::default(),
            diagnostics: vec![breach],
            explanations: Vec::new(),
            effects: Vec::new(),
            sizing: Sizing {
                instance: crate::sizing::InstanceSize::TooLarge,
                containers: Vec::new(),
                init_containers: Vec::new(),
            },
        };
    }
    let mut diags = Vec::new();
    // Annotations with their origin (the pod, or the selector that adds them).
    let (annotations, annotation_origin) = options::parse_annotations(input, &mut diags);
    // Everything else reads the pod as the webhook returns it: with the
    // labels and annotations the profile's selectors add (one rule for both,
    // crate::profile::effects), so a pod's downward API and `metadata.labels`
    // references see the same values whether or not it went through admission.
    let with_effects = ProfileEffects::for_pod(input.pod, input.namespace_labels, input.profile).applied_to(input.pod);
    let input = &TranslateInput { pod: with_effects.as_ref().unwrap_or(input.pod), ..*input };
    let mut ctx = Ctx {
        input: *input,
        pod: input.pod,
        namespace: input.pod.metadata.namespace.clone().unwrap_or_else(|| "default".into()),
        annotations,
        annotation_origin,
        diags,
        explain: Vec::new(),
        effects: Vec::new(),
        expansion: env::ExpansionBudget::default(),
    };
    let mut req = CreateContainerGroupRequest::default();

    pod::check_pod(&mut ctx);
    identity::apply(&mut ctx, &mut req);
    network::apply_placement(&mut ctx, &mut req);
    options::apply(&mut ctx, &mut req);
    let sizing = options::apply_sizing(&mut ctx, &mut req);
    container::apply(&mut ctx, &mut req, &sizing);
    volume::apply(&mut ctx, &mut req);
    pull_secret::apply(&mut ctx, &mut req);
    network::apply_dns(&mut ctx, &mut req);
    network::note_cluster_switches(&mut ctx, &req);
    network::apply_hosts(&mut ctx, &mut req);
    security::apply_pod(&mut ctx, &mut req);
    pod::apply_lifecycle(&mut ctx, &mut req);
    pod::check_limits(&mut ctx, &req);

    Translation { request: req, diagnostics: ctx.diags, explanations: ctx.explain, effects: ctx.effects, sizing }
}

impl Translation {
    /// Rewrites pod pointers so they point into the document the pod came
    /// from (e.g. `/spec/template/spec/…` of a Deployment).
    pub fn relocate(&mut self, source: &crate::input::PodSource) {
        if source.template_pointer.is_empty() {
            return;
        }
        for d in &mut self.diagnostics {
            if d.input == crate::diagnostics::Input::Pod {
                d.pointer = source.document_pointer(&d.pointer);
            }
        }
        let inputs = self.explanations.iter_mut().flat_map(|e| &mut e.inputs);
        for i in inputs.chain(self.effects.iter_mut().flat_map(|e| &mut e.inputs)) {
            if i.input == crate::diagnostics::Input::Pod {
                i.pointer = source.document_pointer(&i.pointer);
            }
        }
    }
}
