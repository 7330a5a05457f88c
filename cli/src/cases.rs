//! The case commands (`translate`, `admit`, `status`, `nodes`, `update`,
//! `delete`, `elastic`, `overflow`, `units`) as adapters over the core's
//! case runner: read the files named by the flags into [`Sources`], call
//! [`case::run`], print the diagnostics it placed and the part of the
//! outcome asked for, and exit as [`case::Exit`] says. Time, fallbacks,
//! what counts as rejected and where a diagnostic points are the core's.

use std::process::ExitCode;

use clap::Args;
use eci_bridge_core::case::{self, Case, Env, Outcome, Ran};
use eci_bridge_core::{Role, Sources};
use serde::Serialize;
use serde_json::Value;

use eci_bridge_core::Preview;

use crate::{inputs, render, table};

/// `--profile`, for the commands that read an eci-profile.
#[derive(Debug, Clone, Default, Args)]
pub struct ProfileArg {
    /// The eci-profile ConfigMap (kube-system/eci-profile); overrides one in the input stream.
    #[arg(long)]
    pub profile: Option<String>,
}

/// `--cluster`, for the commands that read cluster settings.
#[derive(Debug, Clone, Default, Args)]
pub struct ClusterArg {
    /// Cluster settings (camelCase keys, the provider's env names, an env list,
    /// or a ClusterSettings document); overrides settings in the input stream.
    /// Without any, the built-in example cluster (cn-hangzhou) stands in, and
    /// an info diagnostic says so.
    #[arg(long)]
    pub cluster: Option<String>,
}

/// `--objects`, for the commands that read ConfigMaps and Secrets.
#[derive(Debug, Clone, Default, Args)]
pub struct ObjectsArg {
    /// ConfigMaps, Secrets, claims, volumes and TokenRequests the pod refers
    /// to (multi-document YAML or a List); may be repeated.
    #[arg(long)]
    pub objects: Vec<String>,
}

/// `--now`, for the commands that read the time.
#[derive(Debug, Clone, Default, Args)]
pub struct NowArg {
    /// The current time (RFC 3339). It wins over a `now` in the case; without
    /// either, the system clock.
    #[arg(long)]
    pub now: Option<String>,
}

/// The texts of a case: the stream files first, then the overriding ones.
pub fn sources(
    stream: &[&str],
    profile: &ProfileArg,
    cluster: &ClusterArg,
    objects: &ObjectsArg,
) -> Result<Sources, String> {
    let name = |p: &str| if p == "-" { "<stdin>".to_string() } else { p.to_string() };
    let mut sources = Sources::default();
    for path in stream {
        sources = sources.with(&name(path), Role::Stream, &inputs::read_text(path)?);
    }
    let others =
        profile.profile.iter().map(|p| (p, Role::Profile)).chain(cluster.cluster.iter().map(|p| (p, Role::Cluster)));
    for (path, role) in others.chain(objects.objects.iter().map(|p| (p, Role::Objects))) {
        sources = sources.with(&name(path), role, &inputs::read_text(path)?);
    }
    Ok(sources)
}

/// Runs a case: diagnostics to standard error, the outcome back.
pub fn run<C: Case>(sources: &Sources, params: &C::Params, now: &NowArg) -> Result<Ran<C::Outcome>, String> {
    run_with_notes::<C>(sources, params, now, |_| Vec::new())
}

/// [`run`], with `info:` lines of the CLI's own about the outcome said
/// after the diagnostics.
pub fn run_with_notes<C: Case>(
    sources: &Sources,
    params: &C::Params,
    now: &NowArg,
    notes: impl Fn(&C::Outcome) -> Vec<String>,
) -> Result<Ran<C::Outcome>, String> {
    let given = now.now.as_deref().map(crate::parse_time).transpose()?;
    let env = Env::with_clock(jiff::Timestamp::now()).at(given);
    let ran = case::run::<C>(sources, params, &env).map_err(|d| render::diagnostic(&d))?;
    render::diagnostics_with_notes(ran.outcome.diagnostics(), &notes(&ran.outcome));
    Ok(ran)
}

/// The exit status of a run.
pub fn exit<O>(ran: &Ran<O>) -> ExitCode {
    ExitCode::from(ran.exit().code())
}

/// Prints `value` unless the case is refused (the outcome itself is always printed).
pub fn print<O: Serialize>(ran: &Ran<O>, value: Result<String, String>, outcome: bool) -> Result<ExitCode, String> {
    if outcome {
        render::out(&render::json(&serde_json::to_value(&ran.outcome).map_err(|e| e.to_string())?));
    } else if !ran.rejected {
        render::out(&value?);
    }
    Ok(exit(ran))
}

/// JSON of a part of an outcome.
pub fn value(v: &impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

// --- the commands --------------------------------------------------------------

use clap::ValueEnum;
use eci_bridge_core::case::{AdmitCase, DeleteCase, IdParams, RevealParams, TranslateCase, TranslateParams};
use eci_bridge_core::node::NodesCase;
use eci_bridge_core::status::case::StatusCase;
use eci_bridge_core::update::UpdateCase;

/// What `translate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TranslateOutput {
    /// The request object, as the vendor SDK's to_map() shapes it.
    Json,
    /// The same object as YAML.
    Yaml,
    /// Flattened wire parameters, one Key=Value per line, canonical order.
    Query,
    /// Every wire parameter with the rule and input that produced it.
    Explain,
    /// Everything the case gives, as JSON (what the playground receives).
    Outcome,
}

/// `eci-bridge translate`.
#[derive(Debug, Args)]
pub struct TranslateArgs {
    /// Pod YAML or JSON (or a workload); `-` reads standard input. Further
    /// documents in the stream are used too: ConfigMaps, Secrets, the
    /// kube-system/eci-profile ConfigMap, the pod's Namespace and a
    /// ClusterSettings document.
    #[arg(short = 'f', long = "filename")]
    pub file: String,
    #[command(flatten)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub cluster: ClusterArg,
    #[command(flatten)]
    pub objects: ObjectsArg,
    /// Labels of the pod's namespace, `k=v,k2=v2`.
    #[arg(long, default_value = "")]
    pub namespace_labels: String,
    /// What to print.
    #[arg(short = 'o', long, value_enum, default_value = "json")]
    pub output: TranslateOutput,
    /// Print secret values instead of `<redacted>`.
    #[arg(long)]
    pub show_secrets: bool,
    /// Print the request even when an error rejects the pod (the exit status stays 2).
    #[arg(long)]
    pub print_rejected: bool,
    /// A ConfigMap or Secret the pod needs and the input lacks is an error
    /// (exit status 2), as for a provider; without it, a warning and a
    /// `<missing: …>` placeholder in the request.
    #[arg(long)]
    pub strict: bool,
}

/// Reads `translate`'s inputs and runs the case (shared with `eci create`).
pub fn translation(args: &TranslateArgs) -> Result<Ran<eci_bridge_core::Preview>, String> {
    let sources = sources(&[&args.file], &args.profile, &args.cluster, &args.objects)?;
    let mut params = TranslateParams::with_labels(inputs::parse_labels(&args.namespace_labels)?);
    params.show_secrets = args.show_secrets;
    params.strict = args.strict;
    run_with_notes::<TranslateCase>(&sources, &params, &NowArg::default(), |p| {
        p.derived_name_note().into_iter().collect()
    })
}

/// `eci-bridge translate`.
pub fn translate(args: TranslateArgs) -> Result<ExitCode, String> {
    let ran = translation(&args)?;
    let p = &ran.outcome;
    let text = match args.output {
        TranslateOutput::Outcome => return print(&ran, Ok(String::new()), true),
        TranslateOutput::Json => p.request_json.clone(),
        TranslateOutput::Yaml => render::yaml(&p.request)?,
        TranslateOutput::Query => p.query.clone(),
        TranslateOutput::Explain => explain_table(p),
    };
    if !ran.rejected || args.print_rejected {
        render::out(&text);
    }
    Ok(exit(&ran))
}

/// `-o explain`: the rows as a table wrapped to the width ([`table::width`]).
pub fn explain_table(p: &Preview) -> String {
    let rows: Vec<table::ExplainLine<'_>> = p
        .explain
        .iter()
        .map(|v| table::ExplainLine {
            field: &v.row.field,
            value: &v.row.value,
            sent: v.row.sent,
            rule: &v.row.rule,
            inputs: v.row.inputs.iter().map(ToString::to_string).collect(),
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    table::explain(&rows, table::width())
}

/// What `admit` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AdmitOutput {
    /// The AdmissionReview response (patch base64-encoded, as the API server expects).
    Review,
    /// The AdmissionReview request as the webhook reads it (for a bare pod,
    /// the CREATE review built around it): what `serve` would be sent.
    Request,
    /// The JSON patch, decoded.
    Patch,
    /// The pod after the patch.
    Patched,
    /// The object as admitted, before the patch.
    Object,
    /// Everything the case gives, as JSON.
    Outcome,
}

/// `eci-bridge admit`.
#[derive(Debug, Args)]
pub struct AdmitArgs {
    /// AdmissionReview JSON/YAML, or a Pod; `-` reads standard input. The
    /// stream may also hold the eci-profile, the Namespace and settings.
    #[arg(short = 'f', long = "filename")]
    pub file: String,
    #[command(flatten)]
    pub profile: ProfileArg,
    /// Labels of the pod's namespace, `k=v,k2=v2`.
    #[arg(long, default_value = "")]
    pub namespace_labels: String,
    #[command(flatten)]
    pub flags: crate::serve::AdmissionFlags,
    #[command(flatten)]
    pub cluster: ClusterArg,
    /// What to print.
    #[arg(short = 'o', long, value_enum, default_value = "review")]
    pub output: AdmitOutput,
}

/// `eci-bridge admit`: exit 2 when the webhook denies the pod.
pub fn admit(args: AdmitArgs) -> Result<ExitCode, String> {
    let sources = sources(&[&args.file], &args.profile, &args.cluster, &ObjectsArg::default())?;
    let mut params = args.flags.params();
    params.namespace_labels = inputs::parse_labels(&args.namespace_labels)?;
    let ran = run::<AdmitCase>(&sources, &params, &NowArg::default())?;
    let a = &ran.outcome;
    // A denial is an answer too: it is printed, with exit status 2.
    let text = match args.output {
        AdmitOutput::Outcome => return print(&ran, Ok(String::new()), true),
        AdmitOutput::Review => render::json(&a.response),
        AdmitOutput::Request => render::json(&value(&a.request)),
        AdmitOutput::Patch => render::json(&value(&a.patch)),
        AdmitOutput::Patched => render::json(&a.patched.clone().unwrap_or(Value::Null)),
        AdmitOutput::Object => {
            render::json(&a.request.request.as_ref().and_then(|r| r.object.clone()).unwrap_or_default())
        }
    };
    render::out(&text);
    Ok(exit(&ran))
}

/// What `status` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusOutput {
    /// The pod's new status.
    Status,
    /// The instance's events as Kubernetes Events.
    Events,
    /// The whole pod with the new status.
    Pod,
    /// Everything the case gives, as JSON.
    Outcome,
}

/// `eci-bridge status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The item, a whole DescribeContainerGroups response, or a stream
    /// holding the item and the pod. An empty response means the
    /// instance is gone.
    #[arg(short = 'f', long = "filename")]
    pub file: String,
    /// The pod (when the file does not hold it).
    #[arg(long)]
    pub pod: Option<String>,
    #[command(flatten)]
    pub now: NowArg,
    /// What to print.
    #[arg(short = 'o', long, value_enum, default_value = "status")]
    pub output: StatusOutput,
    /// Print the Kubernetes Events (same as `-o events`).
    #[arg(long)]
    pub events: bool,
    /// Print the whole pod with the new status (same as `-o pod`).
    #[arg(long, conflicts_with = "events")]
    pub with_pod: bool,
    #[command(flatten)]
    pub cluster: ClusterArg,
}

/// `eci-bridge status`.
pub fn status(args: StatusArgs) -> Result<ExitCode, String> {
    let stream: Vec<&str> = std::iter::once(args.file.as_str()).chain(args.pod.as_deref()).collect();
    let sources = sources(&stream, &ProfileArg::default(), &args.cluster, &ObjectsArg::default())?;
    let ran = run::<StatusCase>(&sources, &(), &args.now)?;
    let output = match (args.events, args.with_pod) {
        (true, _) => StatusOutput::Events,
        (_, true) => StatusOutput::Pod,
        _ => args.output,
    };
    let view = &ran.outcome;
    let part = match output {
        StatusOutput::Status => value(&view.status),
        StatusOutput::Events => value(&view.events),
        StatusOutput::Pod => value(&view.pod),
        StatusOutput::Outcome => Value::Null,
    };
    print(&ran, render::yaml(&part), output == StatusOutput::Outcome)
}

/// What `nodes` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NodesOutput {
    /// A List of the Node objects (and the Leases with `--leases`).
    List,
    /// Everything the case gives, as JSON.
    Outcome,
}

/// `eci-bridge nodes`.
#[derive(Debug, Args)]
pub struct NodesArgs {
    /// A stream with cluster settings and/or the eci-profile.
    #[arg(short = 'f', long = "filename")]
    pub file: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArg,
    #[command(flatten)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub now: NowArg,
    /// Also print the node leases.
    #[arg(long)]
    pub leases: bool,
    /// What to print.
    #[arg(short = 'o', long, value_enum, default_value = "list")]
    pub output: NodesOutput,
}

/// `eci-bridge nodes`: exit 2 when the settings or the profile have errors (no nodes built on a guess).
pub fn nodes(args: NodesArgs) -> Result<ExitCode, String> {
    let stream: Vec<&str> = args.file.as_deref().into_iter().collect();
    let sources = sources(&stream, &args.profile, &args.cluster, &ObjectsArg::default())?;
    let ran = run::<NodesCase>(&sources, &(), &args.now)?;
    let nodes = &ran.outcome;
    let mut items: Vec<Value> = nodes.nodes.iter().map(value).collect();
    if args.leases {
        items.extend(nodes.leases.iter().map(value));
    }
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    print(&ran, render::yaml(&list), args.output == NodesOutput::Outcome)
}

/// What `update` and `delete` print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequestOutput {
    /// The request, as JSON.
    Json,
    /// Everything the case gives, as JSON.
    Outcome,
}

/// `eci-bridge update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The pod before (or, with no --new, a stream: old pod, its objects, new pod, changed objects).
    #[arg(long)]
    pub old: String,
    /// The pod after.
    #[arg(long)]
    pub new: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArg,
    #[command(flatten)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub objects: ObjectsArg,
    /// The instance ID, when the pod lacks k8s.aliyun.com/eci-instance-id.
    #[arg(long)]
    pub container_group_id: Option<String>,
    /// Print secret values instead of `<redacted>`.
    #[arg(long)]
    pub show_secrets: bool,
    /// What to print.
    #[arg(short = 'o', long, value_enum, default_value = "json")]
    pub output: RequestOutput,
}

/// `eci-bridge update`: the changes and provider actions as notes, the request on standard output.
pub fn update(args: UpdateArgs) -> Result<ExitCode, String> {
    let stream: Vec<&str> = std::iter::once(args.old.as_str()).chain(args.new.as_deref()).collect();
    let sources = sources(&stream, &args.profile, &args.cluster, &args.objects)?;
    let mut params = RevealParams::default();
    params.container_group_id = args.container_group_id;
    params.show_secrets = args.show_secrets;
    let ran = run::<UpdateCase>(&sources, &params, &NowArg::default())?;
    let plan = &ran.outcome;
    for change in &plan.changes {
        render::note("change", &format!("{} ({})", change.field, change.applied));
    }
    for action in &plan.provider_actions {
        render::note("provider", action);
    }
    let request = plan.request.as_ref().map_or(Value::Null, |r| r.to_json());
    print(&ran, Ok(render::json(&request)), args.output == RequestOutput::Outcome)
}

/// `eci-bridge delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The pod.
    #[arg(short = 'f', long = "filename")]
    pub file: String,
    #[command(flatten)]
    pub cluster: ClusterArg,
    /// The instance ID, when the pod lacks k8s.aliyun.com/eci-instance-id.
    #[arg(long)]
    pub container_group_id: Option<String>,
    /// What to print.
    #[arg(short = 'o', long, value_enum, default_value = "json")]
    pub output: RequestOutput,
}

/// `eci-bridge delete`.
pub fn delete(args: DeleteArgs) -> Result<ExitCode, String> {
    let sources = sources(&[&args.file], &ProfileArg::default(), &args.cluster, &ObjectsArg::default())?;
    let mut params = IdParams::default();
    params.container_group_id = args.container_group_id;
    let ran = run::<DeleteCase>(&sources, &params, &NowArg::default())?;
    print(&ran, Ok(render::json(&value(&ran.outcome.request))), args.output == RequestOutput::Outcome)
}
