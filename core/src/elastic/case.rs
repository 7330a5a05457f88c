//! An elastic case: one YAML stream with the ElasticWorkload, its source
//! Deployment, the unit Deployments that exist already, and optionally an
//! `ElasticSettings` document (`now`, a `/scale` `replicas`, or a `sequence`
//! of replica counts to play one after another).

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use super::model::{ElasticWorkload, KIND};
use super::{ElasticInput, Reconciled, reconcile};
use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};
use crate::input::{from_value, unknown_field, unknown_fields};

/// The kind of the settings document.
pub const ELASTIC_SETTINGS_KIND: &str = "ElasticSettings";

/// Everything a reconcile needs.
#[derive(Debug, Clone)]
pub struct ElasticCase {
    /// The ElasticWorkload.
    pub workload: ElasticWorkload,
    /// Its source.
    pub source: Deployment,
    /// Unit Deployments that exist already.
    pub existing_units: Vec<Deployment>,
    /// The time.
    pub now: Option<Timestamp>,
    /// A `/scale` request.
    pub replicas: Option<i32>,
    /// Replica counts to play in order (scale-out/scale-in sequences).
    pub sequence: Vec<i32>,
    /// Problems found while reading.
    pub diagnostics: Vec<Diagnostic>,
}

fn kind(doc: &Value) -> &str {
    doc.get("kind").and_then(Value::as_str).unwrap_or_default()
}

fn unknown_field_warnings(doc: &Value, typed: &impl serde::Serialize, input: Input) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    unknown_fields(doc, &crate::json::to_value(typed), &Pointer::root(), &mut found);
    found.into_iter().map(|p| unknown_field(p).on(input.clone())).collect()
}

impl ElasticCase {
    /// Reads a case.
    pub fn from_documents(docs: &[Value]) -> Result<ElasticCase, Diagnostic> {
        let Some(doc) = docs.iter().find(|d| kind(d) == KIND) else {
            return Err(Diagnostic::pod(Severity::Error, Code::MissingField, "", "no ElasticWorkload in the input")
                .on(Input::ElasticWorkload)
                .help("give an autoscaling.alibabacloud.com/v1beta1 ElasticWorkload"));
        };
        let workload: ElasticWorkload = from_value(doc, Input::ElasticWorkload)?;
        let mut diagnostics = unknown_field_warnings(doc, &workload, Input::ElasticWorkload);
        let source_name = workload.spec.source_target.name.clone();
        let unit_prefix = format!("{source_name}-unit-");
        let mut source = None;
        let mut existing_units = Vec::new();
        let mut case_settings = None;
        for (i, d) in docs.iter().enumerate() {
            let name = d.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
            match kind(d) {
                KIND => {}
                "Deployment" if name == source_name => source = Some(from_value::<Deployment>(d, Input::Workload)?),
                "Deployment" if name.starts_with(&unit_prefix) => {
                    existing_units.push(from_value::<Deployment>(d, Input::Object(format!("Deployment/{name}")))?)
                }
                ELASTIC_SETTINGS_KIND => case_settings = Some(d),
                other => diagnostics.push(
                    Diagnostic::pod(
                        Severity::Warning,
                        Code::Schema,
                        "/kind",
                        format!(
                            "`{other} {name}` is neither the source, a unit Deployment nor ElasticSettings; ignored"
                        ),
                    )
                    .on(Input::Object(format!("document {}", i + 1))),
                ),
            }
        }
        let Some(source) = source else {
            return Err(Diagnostic::pod(
                Severity::Error,
                Code::MissingObject,
                "/spec/sourceTarget/name",
                format!("the source Deployment `{source_name}` is not in the input"),
            )
            .on(Input::ElasticWorkload)
            .help("add the Deployment the ElasticWorkload names (eci-bridge elastic --source FILE)"));
        };
        let setting = |key: &str| case_settings.and_then(|s| s.get(key));
        Ok(ElasticCase {
            workload,
            source,
            existing_units,
            now: setting("now").and_then(Value::as_str).and_then(|t| t.parse().ok()),
            replicas: setting("replicas").and_then(Value::as_i64).and_then(|r| i32::try_from(r).ok()),
            sequence: setting("sequence")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_i64().and_then(|r| i32::try_from(r).ok())).collect())
                .unwrap_or_default(),
            diagnostics,
        })
    }

    /// Reconciles once, at `replicas` (else the case's own) and `now`.
    pub fn reconcile(&self, replicas: Option<i32>, now: Timestamp) -> Reconciled {
        let mut result = reconcile(&ElasticInput {
            workload: &self.workload,
            source: &self.source,
            existing_units: &self.existing_units,
            replicas: replicas.or(self.replicas),
            now,
        });
        let mut diagnostics = self.diagnostics.clone();
        diagnostics.append(&mut result.diagnostics);
        result.diagnostics = diagnostics;
        result
    }

    /// Plays `replicas` one after another, each step starting from what the
    /// previous one wrote (source replicas, unit Deployments, status).
    pub fn play(&self, replicas: &[i32], now: Timestamp) -> Vec<Reconciled> {
        let mut case = self.clone();
        let mut steps = Vec::new();
        for r in replicas {
            let step = case.reconcile(Some(*r), now);
            case.source = step.source.clone();
            case.existing_units = step.units.clone();
            case.workload = step.workload.clone();
            steps.push(step);
        }
        steps
    }
}
