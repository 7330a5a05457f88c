//! `eci-bridge eci ...`: calls of the ECI API through `eci_bridge_client`.
//!
//! `create` sends what `translate` prints (the same inputs, the same code
//! path); the other verbs name an instance. Output is JSON on standard
//! output (`logs` prints the log text); an API error is one line
//! `error[<Code>]: <message> (RequestId …)` with a hint, exit status 1.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use eci_bridge_client::credentials::{DEFAULT_PROFILE, resolve};
use eci_bridge_client::{ClientConfig, DescribeFilter, EciClient, EciError, Endpoint, SignatureVersion};
use eci_bridge_core::eci::describe::ContainerGroup;
use eci_bridge_core::eci::sign::HttpMethod;
use serde_json::json;

use crate::{Method, inputs, render};

/// The region when neither `--region` nor cluster settings give one.
const DEFAULT_REGION: &str = "cn-hangzhou";

/// Signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Signature {
    /// ACS3-HMAC-SHA256 (V3).
    Acs3,
    /// RPC signature V2 (HMAC-SHA1).
    V2,
}

/// Flags every verb takes.
#[derive(Debug, Args)]
pub struct Common {
    /// API endpoint, e.g. http://127.0.0.1:8080 for a local emulator
    /// [default: https://eci.<region>.aliyuncs.com].
    #[arg(long)]
    endpoint: Option<String>,
    /// Region (the RegionId of every call, `create` included)
    /// [default: the cluster settings' region, else cn-hangzhou].
    #[arg(long)]
    region: Option<String>,
    /// Cluster settings: their region is the default; `create` translates with them.
    #[arg(long)]
    cluster: Option<String>,
    /// An Alibaba credentials INI file [default: the environment variables
    /// ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and
    /// ALIBABA_CLOUD_SECURITY_TOKEN].
    #[arg(long)]
    credentials_file: Option<PathBuf>,
    /// The section of the credentials file.
    #[arg(long, default_value = DEFAULT_PROFILE)]
    credentials_profile: String,
    /// Signature scheme.
    #[arg(long, value_enum, default_value = "acs3")]
    signature: Signature,
    /// HTTP method (DescribeContainerGroupStatus is always POST).
    #[arg(long, value_enum, default_value = "post", ignore_case = true)]
    method: Method,
    /// Seconds allowed for one attempt.
    #[arg(long, default_value_t = 30)]
    timeout_seconds: u64,
    /// Attempts in all, with backoff between them (1: no retry).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    max_attempts: u32,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Translate a pod as `translate` does and create its container group.
    Create {
        /// Pod YAML or JSON (or a workload), as `translate -f` reads it.
        #[arg(short = 'f', long = "filename")]
        file: String,
        /// The eci-profile ConfigMap.
        #[arg(long)]
        profile: Option<String>,
        /// ConfigMaps, Secrets, claims, volumes and TokenRequests the pod refers to.
        #[arg(long)]
        objects: Vec<String>,
        /// Labels of the pod's namespace, `k=v,k2=v2`.
        #[arg(long, default_value = "")]
        namespace_labels: String,
        /// Ask ECI to validate only (DryRun=true); nothing is created.
        #[arg(long)]
        dry_run: bool,
        /// The ClientToken [default: the one derived from the pod's uid, else random].
        #[arg(long)]
        client_token: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// List container groups (all pages) as JSON.
    Describe {
        /// An instance id (repeatable).
        #[arg(long = "id")]
        ids: Vec<String>,
        /// A tag `key=value` every instance carries (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Only instances in this status (e.g. Running).
        #[arg(long)]
        status: Option<String>,
        /// Only the instance with this name.
        #[arg(long)]
        name: Option<String>,
        /// Include each instance's Events.
        #[arg(long)]
        with_events: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Delete a container group.
    Delete {
        /// The instance id.
        #[arg(long)]
        id: String,
        #[command(flatten)]
        common: Common,
    },
    /// Print a container's log.
    Logs {
        /// The instance id.
        #[arg(long)]
        id: String,
        /// The container.
        #[arg(long)]
        container: String,
        /// The last N lines (the API's default: 500).
        #[arg(long)]
        tail: Option<u32>,
        /// Only lines of the last N seconds.
        #[arg(long)]
        since_seconds: Option<u32>,
        #[command(flatten)]
        common: Common,
    },
    /// Print the Events of a container group as JSON.
    Events {
        /// The instance id.
        #[arg(long)]
        id: String,
        #[command(flatten)]
        common: Common,
    },
}

/// Runs one verb.
pub fn run(verb: Verb) -> Result<ExitCode, String> {
    match verb {
        Verb::Create { file, profile, objects, namespace_labels, dry_run, client_token, common } => {
            let args = crate::cases::TranslateArgs {
                file,
                profile: crate::cases::ProfileArg { profile },
                cluster: crate::cases::ClusterArg { cluster: common.cluster.clone() },
                objects: crate::cases::ObjectsArg { objects },
                namespace_labels,
                output: crate::cases::TranslateOutput::Json,
                show_secrets: true,
                print_rejected: false,
                // Creating an instance is provisioning: a missing object is never a placeholder.
                strict: true,
            };
            let ran = crate::cases::translation(&args)?;
            if ran.rejected {
                return Ok(ExitCode::from(2));
            }
            let mut request: eci_bridge_core::CreateContainerGroupRequest =
                serde_json::from_value(ran.outcome.request.clone()).map_err(|e| format!("error: {e}"))?;
            if let Some(region) = &common.region {
                request.region_id = Some(region.clone());
            }
            let region = request.region_id.clone().unwrap_or_else(|| DEFAULT_REGION.into());
            let token = client_token
                .or_else(|| request.client_token.clone())
                .unwrap_or_else(eci_bridge_client::random::client_token);
            let client = client(&common, &region)?;
            let outcome = block_on(client.create_container_group(&request, &token, dry_run))?;
            let value = match outcome {
                Ok(id) if !id.is_empty() => json!({"ContainerGroupId": id, "ClientToken": token}),
                Ok(_) => json!({"DryRun": "passed", "ClientToken": token}),
                Err(e) if dry_run && e.is_dry_run_passed() => {
                    json!({"DryRun": "passed", "ClientToken": token, "RequestId": e.request_id()})
                }
                Err(e) => return Err(failure(&e)),
            };
            print_json(&value)
        }
        Verb::Describe { ids, tags, status, name, with_events, common } => {
            let tags = tags.iter().map(|t| parse_tag(t)).collect::<Result<Vec<_>, _>>()?;
            let filter = DescribeFilter { ids, tags, status, name, region: None, with_event: with_events };
            let client = client(&common, &region(&common)?)?;
            let groups = block_on(client.describe_container_groups(&filter))?.map_err(|e| failure(&e))?;
            print_json(&serde_json::to_value(groups).map_err(|e| e.to_string())?)
        }
        Verb::Delete { id, common } => {
            let client = client(&common, &region(&common)?)?;
            block_on(client.delete_container_group(&id))?.map_err(|e| failure(&e))?;
            print_json(&json!({"ContainerGroupId": id, "Deleted": true}))
        }
        Verb::Logs { id, container, tail, since_seconds, common } => {
            let client = client(&common, &region(&common)?)?;
            let content = block_on(client.describe_container_log(&id, &container, tail, since_seconds))?
                .map_err(|e| failure(&e))?;
            let newline = if content.is_empty() || content.ends_with('\n') { "" } else { "\n" };
            render::out(&format!("{content}{newline}"));
            Ok(ExitCode::SUCCESS)
        }
        Verb::Events { id, common } => {
            let region = region(&common)?;
            let client = client(&common, &region)?;
            let filter = DescribeFilter { ids: vec![id.clone()], with_event: true, ..Default::default() };
            let groups = block_on(client.describe_container_groups(&filter))?.map_err(|e| failure(&e))?;
            let group = find(groups, &id).ok_or_else(|| {
                format!("error[not-found]: no container group `{id}` in {region}\n  hint: check --id and --region")
            })?;
            print_json(&serde_json::to_value(group.events).map_err(|e| e.to_string())?)
        }
    }
}

/// `--region`, else the region of `--cluster`, else cn-hangzhou.
fn region(common: &Common) -> Result<String, String> {
    if let Some(region) = &common.region {
        return Ok(region.clone());
    }
    match common.cluster.as_deref() {
        Some(path) => {
            let (settings, diags) = inputs::read_cluster(path)?;
            render::diagnostics(&diags);
            Ok(settings.region_id)
        }
        None => Ok(DEFAULT_REGION.into()),
    }
}

/// A client for `region` with the common flags' endpoint, credentials and policy.
fn client(common: &Common, region: &str) -> Result<EciClient, String> {
    let credentials = resolve(common.credentials_file.as_deref(), &common.credentials_profile)
        .map_err(|e| format!("error[credentials]: {e}"))?;
    let mut config = ClientConfig::new(region, credentials).map_err(|e| failure(&e))?;
    if let Some(url) = &common.endpoint {
        config.endpoint = Endpoint::parse(url).map_err(|e| format!("error: --endpoint {e}"))?;
    }
    config.signature = match common.signature {
        Signature::Acs3 => SignatureVersion::Acs3,
        Signature::V2 => SignatureVersion::V2,
    };
    config.method = if common.method == Method::Get { HttpMethod::Get } else { HttpMethod::Post };
    config.timeout = Duration::from_secs(common.timeout_seconds.max(1));
    config.retry.max_attempts = common.max_attempts;
    Ok(EciClient::new(config))
}

/// Runs `future` to completion on a single-threaded runtime.
fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("error: cannot start the async runtime: {e}"))?;
    Ok(runtime.block_on(future))
}

/// `error[<Code>]: <message> (RequestId …)`, and a hint line when there is one.
fn failure(e: &EciError) -> String {
    let mut text = match e {
        EciError::Api { code, message, request_id, .. } => {
            format!("error[{code}]: {message} (RequestId {})", request_id.as_deref().unwrap_or("none"))
        }
        EciError::Transport(detail) | EciError::Invalid(detail) => format!("error[{}]: {detail}", e.code()),
        other => format!("error[{}]: {other}", other.code()),
    };
    if let Some(hint) = e.hint() {
        text.push_str(&format!("\n  hint: {hint}"));
    }
    text
}

/// `key=value` (the value may be empty).
fn parse_tag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("error: --tag `{text}` is not key=value")),
    }
}

/// The group with this id (the API may ignore an unknown id filter).
fn find(groups: Vec<ContainerGroup>, id: &str) -> Option<ContainerGroup> {
    groups.into_iter().find(|g| g.container_group_id.as_deref() == Some(id))
}

fn print_json(value: &serde_json::Value) -> Result<ExitCode, String> {
    render::out(&render::json(value));
    Ok(ExitCode::SUCCESS)
}
