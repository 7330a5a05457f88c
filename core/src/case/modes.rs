//! Each mode as a [`Case`]: how its case is read, where other texts'
//! settings go, and what it answers.

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Case, Context, Locator, Mode, Outcome, Slots};
use crate::admission::endpoint::{Endpoint, Outcome as Answered};
use crate::admission::{AdmissionCase, AdmissionReview, Decision, OnUnsupported, RoutingStrategy};
use crate::bundle::Bundle;
use crate::cluster::ClusterSettings;
use crate::diagnostics::{Diagnostic, Input, has_errors};
use crate::eci::update::DeleteContainerGroupRequest;
use crate::elastic::{ElasticCase, Reconciled};
use crate::node::{NodesCase, VirtualNodes};
use crate::overflow::{Overflow, decide_bundle};
use crate::preview::{Preview, preview_bundle};
use crate::resource_policy::case::PlacementCase;
use crate::resource_policy::{Placement, UnitDecision, scale_in_order};
use crate::status::case::{StatusCase, StatusView};
use crate::translate::{MissingObjects, Reveal};
use crate::update::{UpdateCase, UpdatePlan, delete_request};

/// Outcomes refused exactly when one of their diagnostics is an error.
macro_rules! rejected_on_errors {
    ($($ty:ty => $($field:ident).+;)+) => {$(
        impl Outcome for $ty {
            fn diagnostics_mut(&mut self) -> &mut Vec<Diagnostic> {
                &mut self.$($field).+
            }
            fn diagnostics(&self) -> &[Diagnostic] {
                &self.$($field).+
            }
            fn is_rejected(&self) -> bool {
                has_errors(&self.$($field).+)
            }
        }
    )+};
}

rejected_on_errors! {
    StatusView => diagnostics;
    // An error in the settings or the profile: no nodes built on a guess.
    VirtualNodes => diagnostics;
    UpdatePlan => diagnostics;
    Deletion => diagnostics;
    ElasticOutcome => reconciled.diagnostics;
    // An error in any input decides nothing.
    Overflow => diagnostics;
}

fn reveal(show_secrets: bool) -> Reveal {
    if show_secrets { Reveal::Secrets } else { Reveal::Redacted }
}

// --- translate ---------------------------------------------------------------

/// A pod (or workload) with what travels with it: the translate mode.
#[derive(Debug, Clone)]
pub struct TranslateCase(pub Bundle);

/// The translate mode's choices.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct TranslateParams {
    /// Show secret values instead of `<redacted>`.
    pub show_secrets: bool,
    /// Labels of the pod's namespace, added to those a Namespace document gives.
    pub namespace_labels: BTreeMap<String, String>,
    /// A ConfigMap or Secret the pod needs and the input lacks is an error
    /// (as for a provider), not a warning with a placeholder in the request.
    pub strict: bool,
}

impl TranslateParams {
    /// The given labels, secrets redacted.
    pub fn with_labels(namespace_labels: BTreeMap<String, String>) -> TranslateParams {
        TranslateParams { namespace_labels, ..TranslateParams::default() }
    }
}

fn bundle_slots(bundle: &mut Bundle) -> Slots<'_> {
    Slots { profile: Some(&mut bundle.profile), cluster: Some(&mut bundle.cluster), objects: vec![&mut bundle.objects] }
}

/// What every case made of one [`Bundle`] (`struct XCase(pub Bundle)`)
/// shares: it is read from the stream as a bundle, keeps the bundle's reading
/// diagnostics and settings, and places findings by the bundle's document
/// numbers (a pod from a workload's template, a Secret after the pod).
macro_rules! bundle_case {
    ($case:ident) => {
        fn read(docs: &[Value]) -> Result<Self, Diagnostic> {
            Bundle::from_documents(docs).map($case)
        }
        fn reading_diagnostics(&mut self) -> &mut Vec<Diagnostic> {
            &mut self.0.diagnostics
        }
        fn own_cluster(&self) -> Option<&ClusterSettings> {
            self.0.cluster.as_ref()
        }
        fn locate(&self, docs: &[Value], input: &Input, pointer: &str) -> Option<(usize, String)> {
            self.0.documents.place(input, pointer).or_else(|| crate::sources::document_of(docs, input, pointer))
        }
    };
}

impl Case for TranslateCase {
    const MODE: Mode = Mode::Translate;
    type Params = TranslateParams;
    type Outcome = Preview;

    bundle_case!(TranslateCase);
    fn slots(&mut self) -> Slots<'_> {
        bundle_slots(&mut self.0)
    }
    fn run(&self, params: &TranslateParams, context: &Context<'_>) -> Preview {
        let mut bundle = self.0.clone();
        bundle.namespace_labels.extend(params.namespace_labels.clone());
        let missing = if params.strict { MissingObjects::Reject } else { MissingObjects::Placeholder };
        preview_bundle(&bundle, context.cluster, reveal(params.show_secrets), missing)
    }
}

impl Outcome for Preview {
    fn diagnostics_mut(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.diagnostics
    }
    fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
    fn is_rejected(&self) -> bool {
        self.rejected || has_errors(&self.diagnostics)
    }
    fn place(&mut self, locator: &Locator<'_>) {
        let asked = self.explain.iter().flat_map(|row| row.row.inputs.iter().map(|i| (&i.input, i.pointer.as_str())));
        let mut spans = locator.spans(asked).into_iter();
        for row in &mut self.explain {
            row.spans = spans.by_ref().take(row.row.inputs.len()).flatten().collect();
        }
        locator.place(&mut self.admission.diagnostics);
    }
}

// --- admit -------------------------------------------------------------------

/// An AdmissionReview (or a bare pod) with the profile, the Namespace and
/// the webhook's settings: the admit mode.
#[derive(Debug, Clone)]
pub struct AdmitCase {
    /// The case as the webhook reads it.
    pub case: AdmissionCase,
    /// Cluster settings the stream or a text gives.
    pub cluster: Option<ClusterSettings>,
    /// The review's document in the stream, when it is a review.
    review_document: Option<usize>,
}

/// The admit mode's choices (the CLI's webhook flags).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct AdmitParams {
    /// How routed pods are sent to the virtual node.
    pub strategy: Option<RoutingStrategy>,
    /// The node name for the node-name strategy.
    pub node_name: Option<String>,
    /// Warn about or deny pods the translation would reject.
    pub on_unsupported: Option<OnUnsupported>,
    /// Labels of the pod's namespace, added to those a Namespace document gives.
    pub namespace_labels: BTreeMap<String, String>,
}

/// What the webhook answers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Admitted {
    /// The review as the webhook read it (for a bare pod, the CREATE review built around it).
    pub request: AdmissionReview,
    /// The response body the API server receives.
    pub response: Value,
    /// The decision.
    pub decision: Decision,
    /// The RFC 6902 patch, decoded.
    pub patch: json_patch::Patch,
    /// The pod after the patch.
    pub patched: Option<Value>,
    /// True when the webhook denies the pod.
    pub denied: bool,
    /// Everything worth knowing.
    pub diagnostics: Vec<Diagnostic>,
}

impl Case for AdmitCase {
    const MODE: Mode = Mode::Admit;
    type Params = AdmitParams;
    type Outcome = Admitted;

    fn read(docs: &[Value]) -> Result<Self, Diagnostic> {
        let case = AdmissionCase::from_documents(docs)?;
        let kind = |d: &Value| d.get("kind").and_then(Value::as_str).map(str::to_string);
        let has_settings = docs.iter().any(|d| kind(d).as_deref() == Some(crate::cluster::CLUSTER_SETTINGS_KIND));
        let cluster = has_settings.then(|| case.options.cluster.clone());
        let review_document = docs.iter().position(|d| kind(d).as_deref() == Some("AdmissionReview"));
        Ok(AdmitCase { case, cluster, review_document })
    }
    fn reading_diagnostics(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.case.diagnostics
    }
    fn slots(&mut self) -> Slots<'_> {
        Slots { profile: Some(&mut self.case.profile), cluster: Some(&mut self.cluster), objects: Vec::new() }
    }
    fn own_cluster(&self) -> Option<&ClusterSettings> {
        self.cluster.as_ref()
    }
    fn run(&self, params: &AdmitParams, context: &Context<'_>) -> Admitted {
        let mut case = self.case.clone();
        case.namespace_labels.extend(params.namespace_labels.clone());
        case.options.cluster = context.cluster.clone();
        if let Some(strategy) = params.strategy {
            case.options.strategy = strategy;
        }
        if let Some(name) = &params.node_name {
            case.options.virtual_node_name = Some(name.clone());
        }
        if let Some(on) = params.on_unsupported {
            case.options.on_unsupported = on;
        }
        let mut diagnostics = if params.node_name.is_some() { case.options.check() } else { Vec::new() };
        // The same endpoint `eci-bridge serve` answers `/mutate` with.
        let no_labels = |_: &str| BTreeMap::new();
        let endpoint = Endpoint { profile: None, options: &case.options, namespace_labels: &no_labels };
        let answer = endpoint.admit(&case);
        let response = serde_json::from_str(&answer.body).unwrap_or(Value::String(answer.body.clone()));
        let denied = answer.outcome == Answered::Denied;
        let (decision, patch, patched) = match answer.admission {
            Some(a) => {
                diagnostics.extend(a.diagnostics);
                (a.decision, a.patch, a.patched)
            }
            None => (Decision::NotRouted, json_patch::Patch(Vec::new()), None),
        };
        Admitted { request: case.review, response, decision, patch, patched, denied, diagnostics }
    }
    fn locate(&self, docs: &[Value], input: &Input, pointer: &str) -> Option<(usize, String)> {
        match (input, self.review_document) {
            // Findings about the pod point into the review's object.
            (Input::Pod, Some(review)) => Some((review, format!("/request/object{pointer}"))),
            _ => crate::sources::document_of(docs, input, pointer),
        }
    }
}

impl Outcome for Admitted {
    fn diagnostics_mut(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.diagnostics
    }
    fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
    fn is_rejected(&self) -> bool {
        self.denied
    }
}

// --- status and nodes --------------------------------------------------------

impl Case for StatusCase {
    const MODE: Mode = Mode::Status;
    const NEEDS_TIME: bool = true;
    type Params = ();
    type Outcome = StatusView;

    fn read(docs: &[Value]) -> Result<Self, Diagnostic> {
        StatusCase::from_documents(docs)
    }
    fn reading_diagnostics(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.diagnostics
    }
    fn slots(&mut self) -> Slots<'_> {
        Slots { cluster: Some(&mut self.cluster), ..Slots::default() }
    }
    fn own_time(&self) -> Option<Timestamp> {
        self.now
    }
    fn own_cluster(&self) -> Option<&ClusterSettings> {
        self.cluster.as_ref()
    }
    fn run(&self, _: &(), context: &Context<'_>) -> StatusView {
        self.map(context.now, context.cluster)
    }
}

impl Case for NodesCase {
    const MODE: Mode = Mode::Nodes;
    const NEEDS_TIME: bool = true;
    type Params = ();
    type Outcome = VirtualNodes;

    fn read(docs: &[Value]) -> Result<Self, Diagnostic> {
        Ok(NodesCase::from_documents(docs))
    }
    fn reading_diagnostics(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.diagnostics
    }
    fn slots(&mut self) -> Slots<'_> {
        Slots { profile: Some(&mut self.profile), cluster: Some(&mut self.cluster), objects: Vec::new() }
    }
    fn own_cluster(&self) -> Option<&ClusterSettings> {
        self.cluster.as_ref()
    }
    fn run(&self, _: &(), context: &Context<'_>) -> VirtualNodes {
        self.nodes(context.cluster, context.now)
    }
}

// --- update and delete -------------------------------------------------------

/// The choices of the update mode.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct RevealParams {
    /// The instance ID, when the pod lacks `k8s.aliyun.com/eci-instance-id`.
    pub container_group_id: Option<String>,
    /// Show secret values instead of `<redacted>`.
    pub show_secrets: bool,
}

impl Case for UpdateCase {
    const MODE: Mode = Mode::Update;
    type Params = RevealParams;
    type Outcome = UpdatePlan;

    fn read(docs: &[Value]) -> Result<Self, Diagnostic> {
        UpdateCase::from_documents(docs)
    }
    fn reading_diagnostics(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.diagnostics
    }
    fn slots(&mut self) -> Slots<'_> {
        Slots {
            profile: Some(&mut self.profile),
            cluster: Some(&mut self.cluster),
            objects: vec![&mut self.old_objects, &mut self.new_objects],
        }
    }
    fn own_cluster(&self) -> Option<&ClusterSettings> {
        self.cluster.as_ref()
    }
    fn run(&self, params: &RevealParams, context: &Context<'_>) -> UpdatePlan {
        let mut plan = self.plan(context.cluster, params.container_group_id.as_deref());
        if !params.show_secrets {
            plan.request = plan.request.map(|r| r.redacted());
        }
        plan
    }
}

/// A pod whose instance is to be deleted: the delete mode.
#[derive(Debug, Clone)]
pub struct DeleteCase(pub Bundle);

/// The choices of the delete mode.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct IdParams {
    /// The instance ID, when the pod lacks `k8s.aliyun.com/eci-instance-id`.
    pub container_group_id: Option<String>,
}

/// The `DeleteContainerGroup` request for a pod.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Deletion {
    /// The request.
    pub request: DeleteContainerGroupRequest,
    /// Problems.
    pub diagnostics: Vec<Diagnostic>,
}

impl Case for DeleteCase {
    const MODE: Mode = Mode::Delete;
    type Params = IdParams;
    type Outcome = Deletion;

    bundle_case!(DeleteCase);
    fn slots(&mut self) -> Slots<'_> {
        Slots { cluster: Some(&mut self.0.cluster), ..Slots::default() }
    }
    fn run(&self, params: &IdParams, context: &Context<'_>) -> Deletion {
        let (request, diagnostics) = delete_request(&self.0.pod, context.cluster, params.container_group_id.as_deref());
        Deletion { request, diagnostics }
    }
}

// --- elastic capacity --------------------------------------------------------

/// The choices of the elastic mode.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ElasticParams {
    /// Scale to this many replicas (as an HPA or `kubectl scale` would).
    pub replicas: Option<i32>,
    /// Play the case's replica sequence step by step.
    pub play: bool,
}

/// One step of a played sequence.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ElasticStep {
    /// The replicas scaled to.
    pub replicas: i32,
    /// Replicas of the source.
    pub source: u32,
    /// Replicas of each unit.
    pub units: Vec<u32>,
    /// Replicas placed nowhere.
    pub unplaced: u32,
    /// The reasons of the step's events.
    pub events: Vec<String>,
}

/// What a reconcile (or a played sequence) gives.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ElasticOutcome {
    /// The reconcile (for a played sequence: its last step, or the first with errors).
    #[serde(flatten)]
    pub reconciled: Reconciled,
    /// The steps played, when asked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<ElasticStep>,
}

impl Case for ElasticCase {
    const MODE: Mode = Mode::Elastic;
    const NEEDS_TIME: bool = true;
    const USES_CLUSTER: bool = false;
    type Params = ElasticParams;
    type Outcome = ElasticOutcome;

    fn read(docs: &[Value]) -> Result<Self, Diagnostic> {
        ElasticCase::from_documents(docs)
    }
    fn reading_diagnostics(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.diagnostics
    }
    fn own_time(&self) -> Option<Timestamp> {
        self.now
    }
    fn own_cluster(&self) -> Option<&ClusterSettings> {
        None
    }
    fn run(&self, params: &ElasticParams, context: &Context<'_>) -> ElasticOutcome {
        if !params.play {
            return ElasticOutcome { reconciled: self.reconcile(params.replicas, context.now), steps: Vec::new() };
        }
        let sequence = if self.sequence.is_empty() {
            vec![params.replicas.or(self.replicas).unwrap_or(0)]
        } else {
            self.sequence.clone()
        };
        let mut played = self.play(&sequence, context.now);
        // Every step is validated like a single reconcile: the first step with errors stops the play.
        let stop = played.iter().position(|step| has_errors(&step.diagnostics)).unwrap_or(played.len() - 1);
        played.truncate(stop + 1);
        let steps = played
            .iter()
            .zip(&sequence)
            .map(|(step, &replicas)| ElasticStep {
                replicas,
                source: step.split.source,
                units: step.split.units.clone(),
                unplaced: step.split.unplaced,
                events: step.events.iter().filter_map(|e| e.reason.clone()).collect(),
            })
            .collect();
        let reconciled = played.pop().unwrap_or_else(|| self.reconcile(params.replicas, context.now));
        ElasticOutcome { reconciled, steps }
    }
}

/// An unschedulable pod with what travels with it: the overflow mode.
#[derive(Debug, Clone)]
pub struct OverflowCase(pub Bundle);

impl Case for OverflowCase {
    const MODE: Mode = Mode::Overflow;
    type Params = ();
    type Outcome = Overflow;

    bundle_case!(OverflowCase);
    fn slots(&mut self) -> Slots<'_> {
        bundle_slots(&mut self.0)
    }
    fn run(&self, _: &(), context: &Context<'_>) -> Overflow {
        if context.input_errors {
            // An error in any input decides nothing: the pod stays where it is.
            return crate::overflow::leave_for_errors();
        }
        decide_bundle(&self.0, context.cluster)
    }
}

/// The choices of the units mode.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct UnitsParams {
    /// Units that lack resources now, by index (replaces the case's own list when not empty).
    pub lacking: Vec<usize>,
}

/// Where a new pod goes, and the order a scale-in deletes the placed pods in.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UnitsOutcome {
    /// The placement.
    #[serde(flatten)]
    pub placement: Placement,
    /// The placed pods' names in the order a scale-in deletes them (last unit first).
    pub scale_in: Vec<String>,
}

impl Case for PlacementCase {
    const MODE: Mode = Mode::Units;
    type Params = UnitsParams;
    type Outcome = UnitsOutcome;

    fn read(docs: &[Value]) -> Result<Self, Diagnostic> {
        PlacementCase::from_documents(docs)
    }
    fn reading_diagnostics(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.diagnostics
    }
    fn slots(&mut self) -> Slots<'_> {
        Slots { cluster: Some(&mut self.cluster), ..Slots::default() }
    }
    fn own_cluster(&self) -> Option<&ClusterSettings> {
        self.cluster.as_ref()
    }
    fn run(&self, params: &UnitsParams, context: &Context<'_>) -> UnitsOutcome {
        let mut case = self.clone();
        if !params.lacking.is_empty() {
            case.lacking = params.lacking.clone();
        }
        UnitsOutcome { placement: case.place(context.cluster), scale_in: scale_in_order(&case.policy, &case.placed) }
    }
}

impl Outcome for UnitsOutcome {
    fn diagnostics_mut(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.placement.diagnostics
    }
    fn diagnostics(&self) -> &[Diagnostic] {
        &self.placement.diagnostics
    }
    fn is_rejected(&self) -> bool {
        matches!(self.placement.decision, UnitDecision::Rejected { .. }) || has_errors(&self.placement.diagnostics)
    }
}
