//! `eci-bridge`: the command line over eci-bridge-core.
//!
//! This crate reads files and standard input, calls the core and prints.
//! It makes no decision about ECI or Kubernetes.
//!
//! Exit codes: 0 success (warnings allowed), 2 the pod is rejected,
//! 1 usage or IO errors (unreadable or unparsable input).

mod capacity;
mod cases;
mod check;
mod eci;
mod emulate;
mod inputs;
mod render;
mod resources;
mod serve;
mod simulate;
mod table;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use eci_bridge_core::admission::{WebhookConfigOptions, webhook_configuration};
use eci_bridge_core::annotations::registry::{AnnotationSpec, Status, Target};
use eci_bridge_core::eci::sign::{self, Credentials, HttpMethod, SigningContext, Timestamp};
use eci_bridge_core::eci::{SecretString, WireParams};
use eci_bridge_core::profile::diff::diff_profiles;

/// Preview and produce the Alibaba Cloud ECI requests a Kubernetes pod becomes.
#[derive(Debug, Parser)]
#[command(name = "eci-bridge", version, about)]
struct Cli {
    /// Colour diagnostics on standard error: auto (a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, default_value = "auto", value_name = "WHEN")]
    color: render::ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Method {
    Get,
    Post,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Algorithm {
    /// RPC signature V2 (HMAC-SHA1).
    HmacSha1,
    /// ACS3-HMAC-SHA256 (V3).
    Acs3HmacSha256,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Strategy {
    NodeSelector,
    Affinity,
    NodeName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Unsupported {
    Warn,
    Deny,
}

#[derive(Debug, Subcommand)]
enum ProfileCommand {
    /// Validate a profile; prints it parsed, diagnostics on stderr.
    Check {
        /// The eci-profile ConfigMap.
        #[arg(short = 'f', long = "filename")]
        file: String,
    },
    /// List what changes between two profiles and what each change affects.
    Diff {
        /// The current profile.
        old: String,
        /// The new profile.
        new: String,
    },
}

/// What `annotations` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AnnotationsOutput {
    /// KEY, FORMAT, TARGET, DEFAULT, wrapped to the width (COLUMNS, else 100).
    Table,
    /// Every field of each entry, as YAML.
    Yaml,
    /// Every field of each entry, as JSON.
    Json,
}

/// `eci-bridge annotations`.
#[derive(Debug, clap::Args)]
struct AnnotationsArgs {
    /// Show only the entries whose key, target, summary or documentation
    /// section (instance, spot, image, network, storage, …) contains this word, in any case.
    filter: Option<String>,
    /// What to print.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    output: AnnotationsOutput,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Translate a pod (or a workload's pod template) into a CreateContainerGroup request.
    Translate(cases::TranslateArgs),
    /// List the ConfigMaps, Secrets, claims and tokens a pod needs.
    RequiredObjects {
        /// Pod YAML or JSON (or a workload); `-` reads standard input. Claims in
        /// the stream add the PersistentVolumes they are bound to.
        #[arg(short = 'f', long = "filename")]
        file: String,
    },
    /// Sign a request and print the query string to send.
    Sign {
        /// The request parameters as JSON (nested, as `translate -o json` prints them).
        #[arg(short = 'f', long = "filename")]
        file: String,
        /// The operation, e.g. CreateContainerGroup.
        #[arg(long)]
        action: String,
        /// The AccessKey ID.
        #[arg(long)]
        access_key_id: String,
        /// Read the AccessKey secret from this file.
        #[arg(long, conflicts_with = "access_key_secret_env")]
        access_key_secret_file: Option<String>,
        /// Read the AccessKey secret from this environment variable.
        #[arg(long)]
        access_key_secret_env: Option<String>,
        /// Read an STS token from this environment variable.
        #[arg(long)]
        security_token_env: Option<String>,
        /// UTC time of the request (RFC 3339, e.g. 2026-11-23T10:00:00Z).
        #[arg(long)]
        timestamp: String,
        /// A value unique to this request.
        #[arg(long)]
        nonce: String,
        /// HTTP method the request will be sent with.
        #[arg(long, value_enum, default_value = "post", ignore_case = true)]
        method: Method,
        /// Signature algorithm.
        #[arg(long, value_enum, default_value = "hmac-sha1")]
        algorithm: Algorithm,
        /// Endpoint host (signed by ACS3).
        #[arg(long, default_value = "eci.aliyuncs.com")]
        host: String,
        /// API version.
        #[arg(long, default_value = sign::ECI_API_VERSION)]
        api_version: String,
    },
    /// Answer an AdmissionReview (or a bare Pod) as the mutating webhook would.
    Admit(cases::AdmitArgs),
    /// Generate the MutatingWebhookConfiguration for a profile.
    WebhookConfig {
        /// The eci-profile ConfigMap (without it, only the routing labels are covered).
        #[arg(long)]
        profile: Option<String>,
        /// Namespace of the webhook Service.
        #[arg(long, default_value = "kube-system")]
        service_namespace: String,
        /// Name of the webhook Service.
        #[arg(long, default_value = "eci-bridge-webhook")]
        service_name: String,
        /// Path the webhook serves.
        #[arg(long, default_value = "/mutate")]
        service_path: String,
        /// PEM file of the CA that signs the webhook's certificate.
        #[arg(long)]
        ca_bundle_file: Option<String>,
        /// Target Kubernetes version (objectSelector needs 1.16+).
        #[arg(long, default_value = "1.30")]
        kubernetes_version: String,
        /// Ignore or Fail when the webhook is unreachable.
        #[arg(long, default_value = "Ignore")]
        failure_policy: String,
        /// Seconds the API server waits for the webhook.
        #[arg(long, default_value_t = 5)]
        timeout_seconds: i32,
        /// Add a catch-all entry (pods routed by burst-resource or pinned to a virtual node).
        #[arg(long)]
        match_all_pods: bool,
    },
    /// Map an ECI instance (a DescribeContainerGroups item) onto the pod's status.
    Status(cases::StatusArgs),
    /// Print the virtual Node objects (one per vSwitch zone).
    Nodes(cases::NodesArgs),
    /// Plan the UpdateContainerGroup request for a pod change.
    Update(cases::UpdateArgs),
    /// Build the DeleteContainerGroup request for a pod.
    Delete(cases::DeleteArgs),
    /// Split an ElasticWorkload's replicas: the source and unit Deployments, status, events.
    Elastic(capacity::ElasticArgs),
    /// Decide whether an unschedulable pod moves to ECI, and print the decision (and patch).
    Overflow(capacity::OverflowArgs),
    /// Pick a ResourcePolicy unit (ECS first, then ECI) for a new pod and print the patch.
    Units(capacity::UnitsArgs),
    /// Run the admission webhook: HTTPS, `POST /mutate`, hot reload (see README, "The webhook daemon").
    Serve(serve::ServeArgs),
    /// Write a CA and a serving certificate for the webhook; print the caBundle.
    Certs(serve::CertsArgs),
    /// Run a local ECI 2018-08-08 endpoint (see README, "Try ECI offline").
    Emulate(emulate::EmulateArgs),
    /// Run the provider engine against the ECI emulator in virtual time, with faults; exit 2 on a broken invariant.
    Simulate(simulate::SimulateArgs),
    /// Check every workload of a repository of manifests (files, directories, `helm template` output):
    /// runs on ECI or not, its instance, the waste, diagnostics; exit 2 when one is rejected.
    Check(check::CheckArgs),
    /// Check or compare eci-profile ConfigMaps.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// List the pod annotations eci-bridge knows (key, format, target, default), as a table, YAML or JSON.
    Annotations(AnnotationsArgs),
    /// Print the supported vCPU/memory specs.
    Specs,
    /// Call the ECI API: create, describe, delete, logs, events.
    Eci {
        #[command(subcommand)]
        verb: eci::Verb,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to standard output with exit 0; usage errors
            // to standard error with exit 1 (README: 1 is usage or IO).
            render::set_color(color_from_args());
            let text =
                if e.use_stderr() && render::color() { e.render().ansi().to_string() } else { e.render().to_string() };
            let code = if e.use_stderr() {
                render::err(text.trim_end());
                ExitCode::from(1)
            } else {
                render::out(&text);
                ExitCode::SUCCESS
            };
            return render::exit_code(code);
        }
    };
    render::set_color(cli.color);
    let code = match run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            message.lines().for_each(|line| render::err(&render::paint(&eci_bridge_core::escape_text(line))));
            ExitCode::from(1)
        }
    };
    resources::report();
    render::exit_code(code)
}

/// `--color` read from the raw arguments, for a command line clap refused
/// (the last one given wins, as clap would have it; anything else is auto).
fn color_from_args() -> render::ColorChoice {
    let args: Vec<String> =
        std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).take_while(|a| a != "--").collect();
    let mut choice = render::ColorChoice::Auto;
    for (i, arg) in args.iter().enumerate() {
        let value = match arg.strip_prefix("--color") {
            Some("") => args.get(i + 1).map(String::as_str),
            Some(v) => v.strip_prefix('='),
            None => None,
        };
        match value {
            Some("always") => choice = render::ColorChoice::Always,
            Some("never") => choice = render::ColorChoice::Never,
            Some("auto") => choice = render::ColorChoice::Auto,
            _ => {}
        }
    }
    choice
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Translate(args) => cases::translate(args),
        Command::RequiredObjects { file } => {
            let bundle = inputs::read_bundle(&file)?;
            let refs = eci_bridge_core::required_objects_with(&bundle.pod, &bundle.objects);
            let value = serde_json::to_value(&refs).map_err(|e| e.to_string())?;
            render::out(&render::yaml(&value)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Sign {
            file,
            action,
            access_key_id,
            access_key_secret_file,
            access_key_secret_env,
            security_token_env,
            timestamp,
            nonce,
            method,
            algorithm,
            host,
            api_version,
        } => {
            let request = inputs::read_request(&file)?;
            let secret = inputs::read_secret(access_key_secret_file.as_deref(), access_key_secret_env.as_deref())?;
            let security_token =
                security_token_env.map(|var| inputs::read_env(&var, "--security-token-env")).transpose()?;
            let timestamp = normalize_timestamp(&timestamp)?;
            let credentials =
                Credentials { access_key_id, access_key_secret: SecretString::new(secret), security_token };
            let ctx = SigningContext {
                action,
                version: api_version,
                timestamp,
                nonce,
                method: if method == Method::Get { HttpMethod::Get } else { HttpMethod::Post },
            };
            let budget = eci_bridge_core::wire_budget(request.to_string().len());
            let params = WireParams::from_json_within(&request, budget).ok_or_else(|| {
                format!("error[limit-exceeded]: the request flattens to more than {budget} bytes of parameters; eci-bridge signs at most 4 times its input")
            })?;
            match algorithm {
                Algorithm::HmacSha1 => {
                    render::out(&format!("{}\n", sign::sign_rpc(&params, &credentials, &ctx).query_string()))
                }
                Algorithm::Acs3HmacSha256 => {
                    let signed = sign::sign_acs3(&params, &host, &credentials, &ctx);
                    render::out(&format!("{}\n", signed.query_string()));
                    for (name, value) in &signed.headers {
                        render::out(&format!("{name}: {value}\n"));
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => serve::serve(args),
        Command::Eci { verb } => eci::run(verb),
        Command::Certs(args) => serve::certs(args),
        Command::Emulate(args) => emulate::emulate(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Admit(args) => cases::admit(args),
        Command::Check(args) => check::run(args),
        Command::WebhookConfig {
            profile,
            service_namespace,
            service_name,
            service_path,
            ca_bundle_file,
            kubernetes_version,
            failure_policy,
            timeout_seconds,
            match_all_pods,
        } => {
            let (profile, mut diags) = inputs::read_profile(profile.as_deref())?;
            let ca_bundle = ca_bundle_file.as_deref().map(inputs::read_text).transpose()?;
            let options = WebhookConfigOptions {
                service_namespace,
                service_name,
                service_path,
                ca_bundle,
                kubernetes_version,
                failure_policy,
                timeout_seconds,
                match_all_pods,
                ..Default::default()
            };
            let (config, d) = webhook_configuration(profile.as_ref(), &options);
            diags.extend(d);
            render::diagnostics(&diags);
            if eci_bridge_core::diagnostics::has_errors(&diags) {
                return Ok(ExitCode::from(2));
            }
            render::out(&render::yaml(&config)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Profile(ProfileCommand::Check { file }) => {
            let (profile, diags) = inputs::read_profile(Some(&file))?;
            render::diagnostics(&diags);
            let value = serde_json::to_value(&profile).map_err(|e| e.to_string())?;
            render::out(&render::yaml(&value)?);
            Ok(if eci_bridge_core::diagnostics::has_errors(&diags) { ExitCode::from(2) } else { ExitCode::SUCCESS })
        }
        Command::Profile(ProfileCommand::Diff { old, new }) => {
            let (old, mut diags) = inputs::read_profile(Some(&old))?;
            let (new, d) = inputs::read_profile(Some(&new))?;
            diags.extend(d);
            render::diagnostics(&diags);
            let changes = diff_profiles(&old.unwrap_or_default(), &new.unwrap_or_default());
            let value = serde_json::to_value(&changes).map_err(|e| e.to_string())?;
            render::out(&render::yaml(&value)?);
            Ok(if eci_bridge_core::diagnostics::has_errors(&diags) { ExitCode::from(2) } else { ExitCode::SUCCESS })
        }
        Command::Status(args) => cases::status(args),
        Command::Nodes(args) => cases::nodes(args),
        Command::Update(args) => cases::update(args),
        Command::Delete(args) => cases::delete(args),
        Command::Elastic(args) => capacity::elastic(args),
        Command::Overflow(args) => capacity::overflow(args),
        Command::Units(args) => capacity::units(args),
        Command::Annotations(args) => annotations(&args),
        Command::Specs => {
            for spec in eci_bridge_core::sizing::specs() {
                let region = match spec.availability {
                    eci_bridge_core::sizing::Availability::AllRegions => "all regions",
                    eci_bridge_core::sizing::Availability::SomeRegions => "some regions, not spot",
                };
                render::out(&format!("{:<12} {region}\n", spec.name()));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Where an annotation goes, in words (what the filter searches).
fn target_text(target: Target) -> String {
    match target {
        Target::Param(p) | Target::Params(p) => p.to_string(),
        Target::Provider(d) => format!("provider: {d}"),
        Target::Admission(d) => format!("admission: {d}"),
        Target::NotSent(d) => format!("not sent: {d}"),
        Target::Output(d) => format!("written back: {d}"),
    }
}

/// The TARGET column: the parameters (without a remark in parentheses), or
/// who acts on the annotation; YAML and JSON say the whole of it.
fn target_cell(target: Target) -> String {
    match target {
        Target::Param(p) | Target::Params(p) => p.split(" (").next().unwrap_or(p).to_string(),
        Target::Provider(_) => "(provider)".into(),
        Target::Admission(_) => "(admission)".into(),
        Target::NotSent(_) => "(not sent)".into(),
        Target::Output(_) => "(written back)".into(),
    }
}

/// One row of the annotations table: the key (without the registry's own
/// domain, which the header says), what it sets, and one text with the
/// value's format, its default and what replaces a legacy key, so the text
/// that wraps has the width the short columns leave.
fn annotation_row(a: &AnnotationSpec) -> Vec<String> {
    let key = a.key.strip_prefix(ANNOTATION_DOMAIN).unwrap_or(a.key);
    let mut value = a.format.describe();
    if let Some(default) = a.default {
        value.push_str(&format!("; default {default}"));
    }
    if let Status::Legacy(replacement) = a.status {
        value
            .push_str(&format!("; legacy, use {}", replacement.strip_prefix(ANNOTATION_DOMAIN).unwrap_or(replacement)));
    }
    vec![key.to_string(), target_cell(a.target), value]
}

/// `eci-bridge annotations [WORD] [-o table|yaml|json]`.
fn annotations(args: &AnnotationsArgs) -> Result<ExitCode, String> {
    let word = args.filter.as_deref().map(str::to_lowercase);
    let entries: Vec<&AnnotationSpec> = eci_bridge_core::annotations::REGISTRY
        .iter()
        .filter(|a| {
            word.as_deref().is_none_or(|w| {
                [a.key.to_string(), target_text(a.target), a.summary.to_string(), cases::value(&a.section).to_string()]
                    .iter()
                    .any(|text| text.to_lowercase().contains(w))
            })
        })
        .collect();
    if let Some(word) = args.filter.as_ref().filter(|_| entries.is_empty()) {
        render::note("info", &format!("no annotation's key, target, summary or section contains `{word}`"));
    }
    match args.output {
        AnnotationsOutput::Yaml => render::out(&render::yaml(&cases::value(&entries))?),
        AnnotationsOutput::Json => render::out(&render::json(&cases::value(&entries))),
        AnnotationsOutput::Table if entries.is_empty() => {}
        AnnotationsOutput::Table => {
            let rows: Vec<Vec<String>> = entries.iter().map(|a| annotation_row(a)).collect();
            render::out(&table::render(
                &[&format!("KEY ({ANNOTATION_DOMAIN}…)"), "TARGET", "VALUE"],
                &rows,
                &[usize::MAX, 26, 0],
                table::width(),
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The domain of almost every ECI annotation, said once in the table's header.
const ANNOTATION_DOMAIN: &str = "k8s.aliyun.com/";

pub(crate) fn parse_time(text: &str) -> Result<jiff::Timestamp, String> {
    text.parse().map_err(|e| format!("error: `{text}` is not an RFC 3339 time: {e}"))
}

/// Accepts RFC 3339 with any offset and converts it to the UTC form signers use.
fn normalize_timestamp(text: &str) -> Result<Timestamp, String> {
    let ts: jiff::Timestamp =
        text.parse().map_err(|e| format!("error: --timestamp `{text}` is not an RFC 3339 time: {e}"))?;
    let utc = ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    Timestamp::parse(&utc).map_err(|e| format!("error: {e}"))
}
