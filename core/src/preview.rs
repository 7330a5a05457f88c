//! Everything one look at a pod shows: the ECI request (as JSON text, the
//! wire query and the explain table), what the admission webhook would
//! patch, which objects to supply, and every diagnostic placed in the text
//! it is about. The playground renders a [`Preview`]; the CLI's `translate`
//! prints parts of the same values, so both agree byte for byte.

use serde::Serialize;
use serde_json::Value;

use crate::admission::{AdmissionOptions, Decision, admit, review_for_pod};
use crate::bundle::Bundle;
use crate::cluster::ClusterSettings;
use crate::diagnostics::{Diagnostic, Input, Span};
use crate::explain::ExplainRow;
use crate::objects::{ObjectRef, required_objects_with};
use crate::sources::Sources;
use crate::translate::Reveal;

/// Choices for a preview.
#[derive(Debug, Clone, Default)]
pub struct PreviewOptions {
    /// Show secret values instead of `<redacted>`.
    pub show_secrets: bool,
    /// Cluster settings used when no text gives any.
    pub cluster: Option<ClusterSettings>,
}

/// An explain row with the places of its inputs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ExplainView {
    /// The row.
    #[serde(flatten)]
    pub row: ExplainRow,
    /// Where each input is, when it is in a text.
    pub spans: Vec<Span>,
}

/// What admission would do to the pod.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AdmissionView {
    /// The decision.
    pub decision: Decision,
    /// The RFC 6902 patch.
    pub patch: json_patch::Patch,
    /// The pod after the patch.
    pub patched: Option<Value>,
    /// Admission's own findings, placed.
    pub diagnostics: Vec<Diagnostic>,
}

/// Everything for one look.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Preview {
    /// The kind the pod came from (`Pod`, `Deployment`, …).
    pub source_kind: String,
    /// The request as the SDK's `to_map()` shapes it.
    pub request: Value,
    /// The same, as `eci-bridge translate -o json` prints it.
    pub request_json: String,
    /// The flattened wire parameters, one per line, in signing order.
    pub query: String,
    /// Every wire parameter with its rule and inputs.
    pub explain: Vec<ExplainView>,
    /// The translation's diagnostics, placed.
    pub diagnostics: Vec<Diagnostic>,
    /// True when an error stops the pod from running on ECI.
    pub rejected: bool,
    /// ConfigMaps, Secrets, claims and tokens the pod needs.
    pub required_objects: Vec<ObjectRef>,
    /// The admission webhook's view.
    pub admission: AdmissionView,
}

impl Preview {
    /// When the pod comes from a workload's template, its name (and with it
    /// ContainerGroupName, HostName and the PodName tag) is a stand-in: the
    /// core names it `<workload>-template`, the workload's controller and the
    /// API server name the real pods. Said once, as an info line.
    pub fn derived_name_note(&self) -> Option<String> {
        let p = self;
        if p.source_kind == "Pod" {
            return None;
        }
        let tags = p.request.get("Tag").and_then(Value::as_array);
        let pod_name = tags?
            .iter()
            .find(|t| t.get("Key").and_then(Value::as_str) == Some("PodName"))
            .and_then(|t| t.get("Value").and_then(Value::as_str))?;
        let kind = &p.source_kind;
        let Some(workload) = pod_name.strip_suffix("-template").filter(|w| !w.is_empty()) else {
            return Some(format!(
                "the pod name `{pod_name}` comes from the {kind}'s pod template; the real pods are named by \
                 their controller, so their ContainerGroupName, HostName and PodName tag differ from this request's"
            ));
        };
        let real = match kind.as_str() {
            "Deployment" => format!("`{workload}-<hash>-<suffix>`"),
            "StatefulSet" => format!("`{workload}-0`, `{workload}-1`, …"),
            "CronJob" => format!("`{workload}-<time>-<suffix>`"),
            "PodTemplate" => "by whoever creates pods from it".to_string(),
            _ => format!("`{workload}-<suffix>`"),
        };
        Some(format!(
            "the pod name `{pod_name}` is derived from {kind}/{workload}; the API server names the real pods \
             ({real}), so their ContainerGroupName, HostName and PodName tag differ from this request's"
        ))
    }
}

/// Previews the case the texts hold: [`crate::case::run`] in the translate
/// mode. Fails only when they cannot be read (a syntax error, no pod),
/// with a placed diagnostic.
pub fn preview(sources: &Sources, options: &PreviewOptions) -> Result<Preview, Diagnostic> {
    let env = crate::case::Env { cluster: options.cluster.clone(), ..crate::case::Env::default() };
    let params = crate::case::TranslateParams { show_secrets: options.show_secrets, ..Default::default() };
    crate::case::run::<crate::case::TranslateCase>(sources, &params, &env).map(|ran| ran.outcome)
}

/// Everything one look at a bundle shows, with `cluster` where the bundle
/// has no settings; nothing placed yet ([`crate::case::run`] places it).
pub fn preview_bundle(
    bundle: &Bundle,
    cluster: &ClusterSettings,
    reveal: Reveal,
    missing_objects: crate::translate::MissingObjects,
) -> Preview {
    let translation = bundle.translate_with(cluster, missing_objects);
    let explain = translation.explain(reveal).into_iter().map(|row| ExplainView { row, spans: Vec::new() }).collect();
    let pod = crate::json::to_value(&bundle.pod);
    let admission_options = AdmissionOptions {
        cluster: bundle.cluster.clone().unwrap_or_else(|| cluster.clone()),
        ..AdmissionOptions::default()
    };
    let admission = admit(&review_for_pod(&pod), bundle.profile.as_ref(), &bundle.namespace_labels, &admission_options);
    let mut admission_diagnostics = admission.diagnostics;
    for d in admission_diagnostics.iter_mut().filter(|d| d.input == Input::Pod) {
        d.pointer = bundle.source.document_pointer(&d.pointer);
    }
    Preview {
        source_kind: bundle.source.kind.clone(),
        request: translation.request_for(reveal).to_json(),
        request_json: translation.request_json(reveal),
        query: translation.wire(reveal).to_lines(),
        explain,
        rejected: translation.is_rejected(),
        required_objects: required_objects_with(&bundle.pod, &bundle.objects),
        diagnostics: translation.diagnostics,
        admission: AdmissionView {
            decision: admission.decision,
            patch: admission.patch,
            patched: admission.patched,
            diagnostics: admission_diagnostics,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::Role;

    #[test]
    fn a_deployment_with_a_profile_tab() {
        let pod = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n        resources: {limits: {cpu: '3', memory: 3Gi}}\n";
        let profile = "kind: ConfigMap\nmetadata: {name: eci-profile, namespace: kube-system}\ndata:\n  selectors: '[{\"name\": \"web\", \"objectSelector\": {\"matchLabels\": {\"app\": \"web\"}}}]'\n";
        let sources = Sources::stream("pod", pod).with("profile", Role::Profile, profile);
        let p = preview(&sources, &PreviewOptions::default()).expect("previews");
        assert_eq!(p.source_kind, "Deployment");
        assert_eq!(p.request["Cpu"], 4.0);
        assert!(p.request_json.ends_with("}\n"));
        assert!(matches!(p.admission.decision, Decision::Routed { .. }));
        let cpu = p.explain.iter().find(|r| r.row.field == "Cpu").expect("Cpu explained");
        assert!(cpu.spans.iter().any(|s| s.start.line == 12), "{:?}", cpu.spans);
    }
}
