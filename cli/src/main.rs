//! `eci-bridge`: the command line over eci-bridge-core.
//!
//! This crate reads files and standard input, calls the core and prints.
//! It makes no decision about ECI or Kubernetes.
//!
//! Exit codes: 0 success (warnings allowed), 2 the pod is rejected,
//! 1 usage or IO errors (unreadable or unparsable input).

mod capacity;
mod check;
mod eci;
mod emulate;
mod inputs;
mod render;
mod resources;
mod serve;
mod simulate;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use eci_bridge_core::admission::endpoint::{Endpoint, Outcome};
use eci_bridge_core::admission::{WebhookConfigOptions, webhook_configuration};
use eci_bridge_core::eci::sign::{self, Credentials, HttpMethod, SigningContext, Timestamp};
use eci_bridge_core::eci::{SecretString, WireParams};
use eci_bridge_core::node::NodesCase;
use eci_bridge_core::profile::diff::diff_profiles;
use eci_bridge_core::status::case::StatusCase;
use eci_bridge_core::update::UpdateCase;
use eci_bridge_core::{ClusterSettings, Reveal};

/// Preview and produce the Alibaba Cloud ECI requests a Kubernetes pod becomes.
#[derive(Debug, Parser)]
#[command(name = "eci-bridge", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    /// The request object, as the vendor SDK's to_map() shapes it.
    Json,
    /// The same object as YAML.
    Yaml,
    /// Flattened wire parameters, one Key=Value per line, canonical order.
    Query,
    /// Every wire parameter with the rule and input that produced it.
    Explain,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AdmitOutput {
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

#[derive(Debug, Subcommand)]
enum Command {
    /// Translate a pod (or a workload's pod template) into a CreateContainerGroup request.
    Translate {
        /// Pod YAML or JSON (or a workload); `-` reads standard input. Further
        /// documents in the stream are used too: ConfigMaps, Secrets, the
        /// kube-system/eci-profile ConfigMap, the pod's Namespace and a
        /// ClusterSettings document.
        #[arg(short = 'f', long = "filename")]
        file: String,
        /// The eci-profile ConfigMap.
        #[arg(long)]
        profile: Option<String>,
        /// Cluster settings (camelCase keys, VK env names, or an env list).
        /// Without it a built-in example cluster in cn-hangzhou is used.
        #[arg(long)]
        cluster: Option<String>,
        /// ConfigMaps, Secrets, claims, volumes and TokenRequests the pod
        /// refers to (multi-document YAML or a List); may be repeated.
        #[arg(long)]
        objects: Vec<String>,
        /// Labels of the pod's namespace, `k=v,k2=v2`.
        #[arg(long, default_value = "")]
        namespace_labels: String,
        /// What to print.
        #[arg(short = 'o', long, value_enum, default_value = "json")]
        output: Output,
        /// Print secret values instead of `<redacted>`.
        #[arg(long)]
        show_secrets: bool,
        /// Print the request even when an error rejects the pod (the exit status stays 2).
        #[arg(long)]
        print_rejected: bool,
    },
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
    Admit {
        /// AdmissionReview JSON/YAML, or a Pod; `-` reads standard input. The
        /// stream may also hold the eci-profile, the Namespace and settings.
        #[arg(short = 'f', long = "filename")]
        file: String,
        /// The eci-profile ConfigMap.
        #[arg(long)]
        profile: Option<String>,
        /// Labels of the pod's namespace, `k=v,k2=v2`.
        #[arg(long, default_value = "")]
        namespace_labels: String,
        #[command(flatten)]
        flags: serve::AdmissionFlags,
        /// Cluster settings (for the translation check).
        #[arg(long)]
        cluster: Option<String>,
        /// What to print.
        #[arg(short = 'o', long, value_enum, default_value = "review")]
        output: AdmitOutput,
    },
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
    Status {
        /// The item, a whole DescribeContainerGroups response, or a stream
        /// holding the item and the pod. An empty response means the
        /// instance is gone.
        #[arg(short = 'f', long = "filename")]
        file: String,
        /// The pod (when the file does not hold it).
        #[arg(long)]
        pod: Option<String>,
        /// The current time (RFC 3339); the clock when omitted.
        #[arg(long)]
        now: Option<String>,
        /// Print the Kubernetes Events instead of the status.
        #[arg(long)]
        events: bool,
        /// Print the whole pod with the new status.
        #[arg(long, conflicts_with = "events")]
        with_pod: bool,
        /// Cluster settings (decide hostIP in IDC clusters).
        #[arg(long)]
        cluster: Option<String>,
    },
    /// Print the virtual Node objects (one per vSwitch zone).
    Nodes {
        /// A stream with cluster settings and/or the eci-profile.
        #[arg(short = 'f', long = "filename")]
        file: Option<String>,
        /// Cluster settings; the built-in example cluster when omitted.
        #[arg(long)]
        cluster: Option<String>,
        /// The eci-profile (its vSwitches and ARM setting).
        #[arg(long)]
        profile: Option<String>,
        /// The current time (RFC 3339); the clock when omitted.
        #[arg(long)]
        now: Option<String>,
        /// Also print the node leases.
        #[arg(long)]
        leases: bool,
    },
    /// Plan the UpdateContainerGroup request for a pod change.
    Update {
        /// The pod before (or, with no --new, a stream: old pod, its objects, new pod, changed objects).
        #[arg(long)]
        old: String,
        /// The pod after.
        #[arg(long)]
        new: Option<String>,
        /// Cluster settings; the built-in example cluster when omitted.
        #[arg(long)]
        cluster: Option<String>,
        /// The eci-profile.
        #[arg(long)]
        profile: Option<String>,
        /// ConfigMaps and Secrets (seen by both pods).
        #[arg(long)]
        objects: Vec<String>,
        /// The instance ID, when the pod lacks k8s.aliyun.com/eci-instance-id.
        #[arg(long)]
        container_group_id: Option<String>,
        /// Print secret values instead of `<redacted>`.
        #[arg(long)]
        show_secrets: bool,
    },
    /// Build the DeleteContainerGroup request for a pod.
    Delete {
        /// The pod.
        #[arg(short = 'f', long = "filename")]
        file: String,
        /// Cluster settings; the built-in example cluster when omitted.
        #[arg(long)]
        cluster: Option<String>,
        /// The instance ID, when the pod lacks k8s.aliyun.com/eci-instance-id.
        #[arg(long)]
        container_group_id: Option<String>,
    },
    /// Split an ElasticWorkload's replicas: the source and unit Deployments, status, events.
    Elastic {
        /// The ElasticWorkload (or a stream with its source and existing unit Deployments).
        #[arg(short = 'f', long = "filename", required_unless_present = "crd")]
        file: Option<String>,
        /// The source Deployment, when the file does not hold it.
        #[arg(long)]
        source: Option<String>,
        /// Scale to this many replicas (as an HPA or `kubectl scale` would).
        #[arg(long)]
        replicas: Option<i32>,
        /// The current time (RFC 3339); the clock when omitted.
        #[arg(long)]
        now: Option<String>,
        /// What to print.
        #[arg(short = 'o', long, value_enum, default_value = "list")]
        output: capacity::ElasticOutput,
        /// Print the ElasticWorkload CustomResourceDefinition (with the /scale subresource).
        #[arg(long)]
        crd: bool,
    },
    /// Decide whether an unschedulable pod moves to ECI, and print the decision (and patch).
    Overflow {
        /// The pod with its status (or a stream with the eci-profile, settings, Namespace, objects).
        #[arg(short = 'f', long = "filename")]
        file: String,
        /// The eci-profile ConfigMap.
        #[arg(long)]
        profile: Option<String>,
        /// Cluster settings; the built-in example cluster when omitted.
        #[arg(long)]
        cluster: Option<String>,
        /// ConfigMaps and Secrets the pod uses.
        #[arg(long)]
        objects: Vec<String>,
        /// What to print.
        #[arg(short = 'o', long, value_enum, default_value = "decision")]
        output: capacity::OverflowOutput,
    },
    /// Pick a ResourcePolicy unit (ECS first, then ECI) for a new pod and print the patch.
    Units {
        /// The ResourcePolicy and the new pod (files or one stream; the last Pod is the new one).
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<String>,
        /// Pods already placed (a stream or a List, as `kubectl get pods -o yaml` prints).
        #[arg(long)]
        pods: Option<String>,
        /// Units that lack resources now, by index (e.g. 0,1).
        #[arg(long, value_delimiter = ',')]
        lacking_resources: Vec<usize>,
        /// Cluster settings (the virtual-node taint); the built-in example when omitted.
        #[arg(long)]
        cluster: Option<String>,
        /// What to print.
        #[arg(short = 'o', long, value_enum, default_value = "decision")]
        output: capacity::UnitsOutput,
    },
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
    /// Print the annotation registry (key, format, target, default).
    Annotations,
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
            let text = e.render().to_string();
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
    let code = match run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            message.lines().for_each(|line| render::err(&eci_bridge_core::text::escape_text(line)));
            ExitCode::from(1)
        }
    };
    resources::report();
    render::exit_code(code)
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Translate {
            file,
            profile,
            cluster,
            objects,
            namespace_labels,
            output,
            show_secrets,
            print_rejected,
        } => {
            let translation =
                inputs::translate_pod(&file, profile.as_deref(), cluster.as_deref(), &objects, &namespace_labels)?;
            if translation.is_rejected() && !print_rejected {
                return Ok(ExitCode::from(2));
            }
            let reveal = if show_secrets { Reveal::Secrets } else { Reveal::Redacted };
            let text = match output {
                Output::Json => translation.request_json(reveal),
                Output::Yaml => render::yaml(&translation.request_for(reveal).to_json())?,
                Output::Query => translation.wire(reveal).to_lines(),
                Output::Explain => translation.explain(reveal).iter().map(|r| format!("{r}\n")).collect(),
            };
            render::out(&text);
            Ok(if translation.is_rejected() { ExitCode::from(2) } else { ExitCode::SUCCESS })
        }
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
            let budget = eci_bridge_core::limits::wire_budget(request.to_string().len());
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
        Command::Check(args) => check::run(args),
        Command::Admit { file, profile, namespace_labels, flags, cluster, output } => {
            let (mut case, stream) = inputs::read_admission_case(&file)?;
            let mut diags = std::mem::take(&mut case.diagnostics);
            if profile.is_some() {
                let (p, d) = inputs::read_profile(profile.as_deref())?;
                case.profile = p;
                diags.extend(d);
            }
            if let Some(path) = cluster.as_deref() {
                let (c, d) = inputs::read_cluster(path)?;
                case.options.cluster = c;
                diags.extend(d);
            }
            case.namespace_labels.extend(inputs::parse_labels(&namespace_labels)?);
            let node_name_given = flags.node_name.is_some();
            flags.apply(&mut case.options);
            if node_name_given {
                diags.extend(case.options.check());
            }
            // The same endpoint `eci-bridge serve` answers `/mutate` with.
            let no_labels = |_: &str| std::collections::BTreeMap::new();
            let endpoint = Endpoint { profile: None, options: &case.options, namespace_labels: &no_labels };
            let answer = endpoint.admit(&case);
            let admission = answer.admission.as_ref().ok_or("error: the review was not answered")?;
            let mut found = admission.diagnostics.clone();
            stream.place_admission(&mut found);
            diags.extend(found);
            render::diagnostics(&diags);
            let value = match output {
                AdmitOutput::Review => None,
                AdmitOutput::Request => Some(serde_json::to_value(&case.review).map_err(|e| e.to_string())?),
                AdmitOutput::Patch => Some(serde_json::to_value(&admission.patch).map_err(|e| e.to_string())?),
                AdmitOutput::Patched => Some(admission.patched.clone().unwrap_or(serde_json::Value::Null)),
                AdmitOutput::Object => {
                    Some(case.review.request.as_ref().and_then(|r| r.object.clone()).unwrap_or_default())
                }
            };
            render::out(&value.map_or(answer.body.clone(), |v| render::json(&v)));
            Ok(if answer.outcome == Outcome::Denied { ExitCode::from(2) } else { ExitCode::SUCCESS })
        }
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
        Command::Status { file, pod, now, events, with_pod, cluster } => {
            let paths: Vec<&str> = std::iter::once(file.as_str()).chain(pod.as_deref()).collect();
            let stream = inputs::Stream::read(&paths)?;
            let mut case = StatusCase::from_documents(&stream.docs).map_err(|d| stream.fail(d))?;
            let now = match now {
                Some(t) => {
                    case.now = None;
                    parse_time(&t)?
                }
                None => jiff::Timestamp::now(),
            };
            if let Some(path) = cluster {
                case.cluster = Some(inputs::read_cluster(&path)?.0);
            }
            let mut view = case.map(now, &ClusterSettings::example());
            stream.place(&mut view.diagnostics);
            render::diagnostics(&view.diagnostics);
            if eci_bridge_core::diagnostics::has_errors(&view.diagnostics) {
                return Ok(ExitCode::from(2));
            }
            let value = if events {
                serde_json::to_value(&view.events)
            } else if with_pod {
                serde_json::to_value(&view.pod)
            } else {
                serde_json::to_value(&view.status)
            }
            .map_err(|e| e.to_string())?;
            render::out(&render::yaml(&value)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Nodes { file, cluster, profile, now, leases } => {
            let stream = file.as_deref().map(inputs::read_documents).transpose()?;
            let mut case = stream.as_ref().map(|s| NodesCase::from_documents(&s.docs)).unwrap_or_default();
            let mut diags = Vec::new();
            if let Some(path) = cluster {
                let (c, d) = inputs::read_cluster(&path)?;
                case.cluster = Some(c);
                diags.extend(d);
            }
            if profile.is_some() {
                let (p, d) = inputs::read_profile(profile.as_deref())?;
                case.profile = p;
                diags.extend(d);
            }
            let now = match now {
                Some(t) => parse_time(&t)?,
                None => jiff::Timestamp::now(),
            };
            let nodes = case.nodes(&ClusterSettings::example(), now);
            diags.extend(match &stream {
                Some(stream) => stream.placed(&nodes.diagnostics),
                None => nodes.diagnostics.clone(),
            });
            render::diagnostics(&diags);
            if eci_bridge_core::diagnostics::has_errors(&diags) {
                // An error in the settings or the profile: no nodes built on a guess.
                return Ok(ExitCode::from(2));
            }
            let mut items: Vec<serde_json::Value> =
                nodes.nodes.iter().map(|n| serde_json::to_value(n).unwrap_or_default()).collect();
            if leases {
                items.extend(nodes.leases.iter().map(|l| serde_json::to_value(l).unwrap_or_default()));
            }
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
            render::out(&render::yaml(&list)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Update { old, new, cluster, profile, objects, container_group_id, show_secrets } => {
            let paths: Vec<&str> = std::iter::once(old.as_str()).chain(new.as_deref()).collect();
            let stream = inputs::Stream::read(&paths)?;
            let mut case = UpdateCase::from_documents(&stream.docs).map_err(|d| stream.fail(d))?;
            let mut diags = Vec::new();
            if profile.is_some() {
                let (p, d) = inputs::read_profile(profile.as_deref())?;
                case.profile = p;
                diags.extend(d);
            }
            if let Some(path) = cluster.as_deref() {
                let (c, d) = inputs::read_cluster(path)?;
                case.cluster = Some(c);
                diags.extend(d);
            }
            let (store, d) = inputs::read_objects(&objects)?;
            case.old_objects.merge(store.clone());
            case.new_objects.merge(store);
            diags.extend(d);
            let plan = case.plan(&ClusterSettings::example(), container_group_id.as_deref());
            diags.extend(stream.placed(&plan.diagnostics));
            render::diagnostics(&diags);
            for change in &plan.changes {
                render::note("change", &format!("{} ({})", change.field, change.applied));
            }
            for action in &plan.provider_actions {
                render::note("provider", action);
            }
            if plan.is_rejected() {
                return Ok(ExitCode::from(2));
            }
            let value = match &plan.request {
                Some(r) if show_secrets => r.to_json(),
                Some(r) => r.redacted().to_json(),
                None => serde_json::Value::Null,
            };
            render::out(&render::json(&value));
            Ok(ExitCode::SUCCESS)
        }
        Command::Delete { file, cluster, container_group_id } => {
            let stream = inputs::read_documents(&file)?;
            let bundle = eci_bridge_core::Bundle::from_documents(&stream.docs).map_err(|d| stream.fail(d))?;
            let cluster = match cluster {
                Some(path) => inputs::read_cluster(&path)?.0,
                None => bundle.cluster.clone().unwrap_or_else(ClusterSettings::example),
            };
            let (request, mut diags) =
                eci_bridge_core::update::delete_request(&bundle.pod, &cluster, container_group_id.as_deref());
            stream.place(&mut diags);
            render::diagnostics(&diags);
            if eci_bridge_core::diagnostics::has_errors(&diags) {
                return Ok(ExitCode::from(2));
            }
            render::out(&render::json(&request.to_json()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Elastic { file, source, replicas, now, output, crd } => {
            capacity::elastic(file, source, replicas, now, output, crd)
        }
        Command::Overflow { file, profile, cluster, objects, output } => {
            capacity::overflow(&file, profile.as_deref(), cluster.as_deref(), &objects, output)
        }
        Command::Units { files, pods, lacking_resources, cluster, output } => {
            capacity::units(&files, pods.as_deref(), &lacking_resources, cluster.as_deref(), output)
        }
        Command::Annotations => {
            let value = serde_json::to_value(eci_bridge_core::annotations::REGISTRY).map_err(|e| e.to_string())?;
            render::out(&render::yaml(&value)?);
            Ok(ExitCode::SUCCESS)
        }
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
