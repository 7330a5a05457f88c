//! The elastic-capacity commands: `elastic`, `overflow`, `units`.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use eci_bridge_core::case::{ElasticParams, OverflowCase, UnitsParams};
use eci_bridge_core::elastic::{ElasticCase, crd::elastic_workload_crd};
use eci_bridge_core::resource_policy::case::PlacementCase;
use serde_json::{Value, json};

use crate::cases::{self, ClusterArg, NowArg, ObjectsArg, ProfileArg, value};
use crate::render;

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
    /// Everything the case gives, as JSON.
    Outcome,
}

/// `eci-bridge elastic`.
#[derive(Debug, Args)]
pub struct ElasticArgs {
    /// The ElasticWorkload (or a stream with its source and existing unit Deployments).
    #[arg(short = 'f', long = "filename", required_unless_present = "crd")]
    pub file: Option<String>,
    /// The source Deployment, when the file does not hold it.
    #[arg(long)]
    pub source: Option<String>,
    /// Scale to this many replicas (as an HPA or `kubectl scale` would).
    #[arg(long)]
    pub replicas: Option<i32>,
    #[command(flatten)]
    pub now: NowArg,
    /// What to print.
    #[arg(short = 'o', long, value_enum, default_value = "list")]
    pub output: ElasticOutput,
    /// Print the ElasticWorkload CustomResourceDefinition (with the /scale subresource).
    #[arg(long)]
    pub crd: bool,
}

/// `eci-bridge elastic`.
pub fn elastic(args: ElasticArgs) -> Result<ExitCode, String> {
    if args.crd {
        render::out(&render::yaml(&elastic_workload_crd())?);
        return Ok(ExitCode::SUCCESS);
    }
    let file = args.file.ok_or("error: give the ElasticWorkload with -f (or --crd for the CRD)")?;
    let stream: Vec<&str> = std::iter::once(file.as_str()).chain(args.source.as_deref()).collect();
    let sources = cases::sources(&stream, &ProfileArg::default(), &ClusterArg::default(), &ObjectsArg::default())?;
    let mut params = ElasticParams::default();
    params.replicas = args.replicas;
    params.play = matches!(args.output, ElasticOutput::Steps);
    let ran = cases::run::<ElasticCase>(&sources, &params, &args.now)?;
    let result = &ran.outcome.reconciled;
    if !ran.rejected {
        for name in &result.deleted_units {
            render::note("delete", &format!("Deployment {name} (its unit was removed from the ElasticWorkload)"));
        }
    }
    let part = match args.output {
        ElasticOutput::List => {
            let mut items = vec![value(&result.source)];
            items.extend(result.units.iter().map(value));
            items.push(value(&result.workload));
            json!({"apiVersion": "v1", "kind": "List", "items": items})
        }
        ElasticOutput::Status => value(&result.workload.status),
        ElasticOutput::Scale => value(&result.scale),
        ElasticOutput::Events => value(&result.events),
        ElasticOutput::Split => value(&result.split),
        ElasticOutput::Steps => value(&ran.outcome.steps),
        ElasticOutput::Outcome => Value::Null,
    };
    cases::print(&ran, render::yaml(&part), matches!(args.output, ElasticOutput::Outcome))
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
    /// Everything the case gives, as JSON.
    Outcome,
}

/// `eci-bridge overflow`.
#[derive(Debug, Args)]
pub struct OverflowArgs {
    /// The pod with its status (or a stream with the eci-profile, settings, Namespace, objects).
    #[arg(short = 'f', long = "filename")]
    pub file: String,
    #[command(flatten)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub cluster: ClusterArg,
    #[command(flatten)]
    pub objects: ObjectsArg,
    /// What to print.
    #[arg(short = 'o', long, value_enum, default_value = "decision")]
    pub output: OverflowOutput,
}

/// `eci-bridge overflow`. Exit 0 with a decision either way (`action: move`
/// or `action: leave`); 2 when an input has errors (nothing is printed on
/// standard output then); 1 for unreadable input.
pub fn overflow(args: OverflowArgs) -> Result<ExitCode, String> {
    use eci_bridge_core::overflow::Decision;
    let sources = cases::sources(&[&args.file], &args.profile, &args.cluster, &args.objects)?;
    let ran = cases::run::<OverflowCase>(&sources, &(), &NowArg::default())?;
    let text = match (&ran.outcome.decision, args.output) {
        (_, OverflowOutput::Outcome) => Ok(String::new()),
        (d, OverflowOutput::Decision) => render::yaml(&value(d)),
        (Decision::Move { patch, .. }, OverflowOutput::Patch) => Ok(render::json(&value(patch))),
        (Decision::Move { patched, .. }, OverflowOutput::Patched) => render::yaml(patched),
        (Decision::Leave { .. }, OverflowOutput::Patch) => Ok(render::json(&json!([]))),
        (Decision::Leave { .. }, OverflowOutput::Patched) => render::yaml(&Value::Null),
    };
    cases::print(&ran, text, matches!(args.output, OverflowOutput::Outcome))
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
    /// Everything the case gives, as JSON.
    Outcome,
}

/// `eci-bridge units`.
#[derive(Debug, Args)]
pub struct UnitsArgs {
    /// The ResourcePolicy and the new pod (files or one stream; the last Pod is the new one).
    #[arg(short = 'f', long = "filename", required = true)]
    pub files: Vec<String>,
    /// Pods already placed (a stream or a List, as `kubectl get pods -o yaml` prints).
    #[arg(long)]
    pub pods: Option<String>,
    /// Units that lack resources now, by index (e.g. 0,1).
    #[arg(long, value_delimiter = ',')]
    pub lacking_resources: Vec<usize>,
    #[command(flatten)]
    pub cluster: ClusterArg,
    /// What to print.
    #[arg(short = 'o', long, value_enum, default_value = "decision")]
    pub output: UnitsOutput,
}

/// `eci-bridge units`. Exit 0 with a decision; 2 when the policy is invalid
/// or the pod cannot be placed by it (a missing matchLabelKeys label).
pub fn units(args: UnitsArgs) -> Result<ExitCode, String> {
    let stream: Vec<&str> = args.pods.as_deref().into_iter().chain(args.files.iter().map(String::as_str)).collect();
    let sources = cases::sources(&stream, &ProfileArg::default(), &args.cluster, &ObjectsArg::default())?;
    let mut params = UnitsParams::default();
    params.lacking = args.lacking_resources;
    let ran = cases::run::<PlacementCase>(&sources, &params, &NowArg::default())?;
    let units = &ran.outcome;
    let text = match args.output {
        UnitsOutput::Outcome => Ok(String::new()),
        UnitsOutput::Decision => render::yaml(&value(&units.placement)),
        UnitsOutput::Patch => Ok(render::json(&value(&units.placement.patch))),
        UnitsOutput::Patched => render::yaml(&units.placement.patched.clone().unwrap_or(Value::Null)),
        UnitsOutput::ScaleIn => render::yaml(&value(&units.scale_in)),
    };
    cases::print(&ran, text, matches!(args.output, UnitsOutput::Outcome))
}
