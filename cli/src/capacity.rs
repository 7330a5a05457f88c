//! The elastic-capacity commands: `elastic`, `overflow`, `units`.

use std::process::ExitCode;

use clap::ValueEnum;
use eci_bridge_core::diagnostics::has_errors;
use eci_bridge_core::elastic::{ElasticCase, crd::elastic_workload_crd};
use serde_json::{Value, json};

use crate::{inputs, parse_time, render};

/// What `elastic` prints.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ElasticOutput {
    /// A List: the source Deployment, the unit Deployments, the ElasticWorkload with its status.
    List,
    /// The ElasticWorkload's status.
    Status,
    /// The `/scale` subresource (autoscaling/v1 Scale).
    Scale,
    /// The events.
    Events,
    /// The split as numbers.
    Split,
    /// The case's replica sequence played step by step (split and event reasons per step).
    Steps,
}

/// `eci-bridge elastic`.
pub fn elastic(
    file: Option<String>,
    source: Option<String>,
    replicas: Option<i32>,
    now: Option<String>,
    output: ElasticOutput,
    crd: bool,
) -> Result<ExitCode, String> {
    if crd {
        render::out(&render::yaml(&elastic_workload_crd())?);
        return Ok(ExitCode::SUCCESS);
    }
    let file = file.ok_or("error: give the ElasticWorkload with -f (or --crd for the CRD)")?;
    let paths: Vec<&str> = std::iter::once(file.as_str()).chain(source.as_deref()).collect();
    let stream = inputs::Stream::read(&paths)?;
    let case = ElasticCase::from_documents(&stream.docs).map_err(|d| stream.fail(d))?;
    let now = match now {
        Some(t) => parse_time(&t)?,
        None => case.now.unwrap_or_else(jiff::Timestamp::now),
    };
    if let ElasticOutput::Steps = output {
        let sequence = if case.sequence.is_empty() {
            vec![replicas.or(case.replicas).unwrap_or(0)]
        } else {
            case.sequence.clone()
        };
        let mut played = case.play(&sequence, now);
        played.iter_mut().for_each(|step| stream.place(&mut step.diagnostics));
        // Every step is validated like a single reconcile: the first step with errors stops the play.
        if let Some(bad) = played.iter().find(|step| has_errors(&step.diagnostics)) {
            render::diagnostics(&bad.diagnostics);
            return Ok(ExitCode::from(2));
        }
        let warnings: Vec<_> = played.first().map(|s| s.diagnostics.clone()).unwrap_or_default();
        render::diagnostics(&warnings);
        let steps: Vec<Value> = played
            .iter()
            .zip(&sequence)
            .map(|(step, r)| {
                let reasons: Vec<&str> = step.events.iter().filter_map(|e| e.reason.as_deref()).collect();
                json!({"replicas": r, "source": step.split.source, "units": step.split.units,
                       "unplaced": step.split.unplaced, "events": reasons})
            })
            .collect();
        render::out(&render::yaml(&Value::Array(steps))?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut result = case.reconcile(replicas, now);
    stream.place(&mut result.diagnostics);
    render::diagnostics(&result.diagnostics);
    if has_errors(&result.diagnostics) {
        return Ok(ExitCode::from(2));
    }
    for name in &result.deleted_units {
        render::note("delete", &format!("Deployment {name} (its unit was removed from the ElasticWorkload)"));
    }
    let value = match output {
        ElasticOutput::List => {
            let mut items = vec![to_value(&result.source)];
            items.extend(result.units.iter().map(to_value));
            items.push(to_value(&result.workload));
            json!({"apiVersion": "v1", "kind": "List", "items": items})
        }
        ElasticOutput::Status => to_value(&result.workload.status),
        ElasticOutput::Scale => to_value(&result.scale),
        ElasticOutput::Events => to_value(&result.events),
        ElasticOutput::Split => to_value(&result.split),
        ElasticOutput::Steps => unreachable!("steps are printed above"),
    };
    render::out(&render::yaml(&value)?);
    Ok(ExitCode::SUCCESS)
}

/// What `overflow` prints.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OverflowOutput {
    /// The decision (action, reason or patch, candidate nodes).
    Decision,
    /// Only the RFC 6902 patch, for `kubectl patch --type json -p "$(…)"` (empty when the pod stays).
    Patch,
    /// The pod after the patch.
    Patched,
}

/// `eci-bridge overflow`. Exit 0 with a decision either way (`action: move`
/// or `action: leave`); 2 when an input has errors (nothing is printed on
/// standard output then); 1 for unreadable input.
pub fn overflow(
    file: &str,
    profile: Option<&str>,
    cluster: Option<&str>,
    objects: &[String],
    output: OverflowOutput,
) -> Result<ExitCode, String> {
    use eci_bridge_core::overflow::{Decision, decide_loaded};
    let loaded = inputs::read_sources(file, profile, cluster, objects)?;
    let result = decide_loaded(&loaded, &eci_bridge_core::ClusterSettings::example());
    render::diagnostics(&result.diagnostics);
    if has_errors(&result.diagnostics) {
        // An error in the inputs decides nothing: no decision, no patch.
        return Ok(ExitCode::from(2));
    }
    let value = match (&result.decision, output) {
        (_, OverflowOutput::Decision) => to_value(&result.decision),
        (Decision::Move { patch, .. }, OverflowOutput::Patch) => to_value(patch),
        (Decision::Move { patched, .. }, OverflowOutput::Patched) => patched.clone(),
        (Decision::Leave { .. }, OverflowOutput::Patch) => json!([]),
        (Decision::Leave { .. }, OverflowOutput::Patched) => Value::Null,
    };
    match output {
        OverflowOutput::Patch => render::out(&render::json(&value)),
        _ => render::out(&render::yaml(&value)?),
    }
    Ok(ExitCode::SUCCESS)
}

/// What `units` prints.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum UnitsOutput {
    /// The chosen unit, the counts per unit and the patch.
    Decision,
    /// Only the RFC 6902 patch.
    Patch,
    /// The pod after the patch.
    Patched,
    /// The order a scale-in deletes the placed pods in (last unit first).
    ScaleIn,
}

/// `eci-bridge units`. Exit 0 with a decision; 2 when the policy is invalid
/// or the pod cannot be placed by it (a missing matchLabelKeys label).
pub fn units(
    files: &[String],
    pods: Option<&str>,
    lacking: &[usize],
    cluster: Option<&str>,
    output: UnitsOutput,
) -> Result<ExitCode, String> {
    use eci_bridge_core::resource_policy::{UnitDecision, case::PlacementCase, scale_in_order};
    let paths: Vec<&str> = pods.into_iter().chain(files.iter().map(String::as_str)).collect();
    let stream = inputs::Stream::read(&paths)?;
    let mut case = PlacementCase::from_documents(&stream.docs).map_err(|d| stream.fail(d))?;
    let mut diags = Vec::new();
    if let Some(path) = cluster {
        let (c, d) = inputs::read_cluster(path)?;
        case.cluster = Some(c);
        diags.extend(d);
    }
    if !lacking.is_empty() {
        case.lacking = lacking.to_vec();
    }
    let placement = case.place(&eci_bridge_core::ClusterSettings::example());
    diags.extend(stream.placed(&placement.diagnostics));
    render::diagnostics(&diags);
    if matches!(placement.decision, UnitDecision::Rejected { .. }) {
        return Ok(ExitCode::from(2));
    }
    match output {
        UnitsOutput::Decision => render::out(&render::yaml(&to_value(&placement))?),
        UnitsOutput::Patch => render::out(&render::json(&to_value(&placement.patch))),
        UnitsOutput::Patched => render::out(&render::yaml(&placement.patched.clone().unwrap_or(Value::Null))?),
        UnitsOutput::ScaleIn => render::out(&render::yaml(&to_value(&scale_in_order(&case.policy, &case.placed)))?),
    }
    Ok(ExitCode::SUCCESS)
}

fn to_value(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
