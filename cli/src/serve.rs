//! `eci-bridge serve` and `eci-bridge certs`: flags in, the daemon crate's
//! settings out. The server itself is `eci_bridge_daemon`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use eci_bridge_core::admission::{AdmissionOptions, OnUnsupported, RoutingStrategy};
use eci_bridge_daemon::certs::CertRequest;
use eci_bridge_daemon::config::{NamespaceSource, ServeConfig};

use crate::{Strategy, Unsupported, inputs, render};

/// Flags of `eci-bridge serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// HTTPS address (`0.0.0.0:8443` in a pod).
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// PEM certificate chain (reloaded when it changes).
    #[arg(long)]
    tls_cert_file: PathBuf,
    /// PEM private key (reloaded with the certificate).
    #[arg(long)]
    tls_key_file: PathBuf,
    /// The eci-profile: a file holding the ConfigMap, or the ConfigMap
    /// mounted as a directory (reloaded when it changes).
    #[arg(long)]
    profile_file: Option<PathBuf>,
    /// Namespace labels from a YAML stream of Namespace objects (reloaded).
    #[arg(long, conflicts_with_all = ["namespaces_from_cluster", "kubeconfig"])]
    namespaces_file: Option<PathBuf>,
    /// Namespace labels from the cluster (in-cluster config, or KUBECONFIG).
    #[arg(long)]
    namespaces_from_cluster: bool,
    /// Namespace labels from the cluster this kubeconfig names.
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// Webhook settings: an AdmissionSettings document (flags below win).
    #[arg(long)]
    settings: Option<String>,
    /// Cluster settings (for the translation check).
    #[arg(long)]
    cluster: Option<String>,
    #[command(flatten)]
    flags: AdmissionFlags,
    /// Plain-HTTP address for /metrics, /healthz and /readyz.
    #[arg(long)]
    metrics_listen: Option<SocketAddr>,
    /// Largest request body in bytes (413 above; at most the default, 4 MiB).
    #[arg(long, default_value_t = eci_bridge_daemon::config::MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Requests read and answered at once (503 above); bodies in memory
    /// stay below this times --max-body-bytes.
    #[arg(long, default_value_t = 64)]
    max_in_flight: usize,
    /// Connections held at once (more are closed at accept).
    #[arg(long, default_value_t = 4096)]
    max_connections: usize,
    /// Seconds for the TLS handshake, the headers and the body, each.
    #[arg(long, default_value_t = 10)]
    read_timeout_seconds: u64,
    /// Seconds a connection without an open request is kept.
    #[arg(long, default_value_t = 90)]
    idle_timeout_seconds: u64,
    /// Milliseconds between checks of the watched files.
    #[arg(long, default_value_t = 500)]
    poll_interval_ms: u64,
    /// Seconds /readyz says 503 after SIGTERM before the server stops accepting.
    #[arg(long, default_value_t = 0)]
    shutdown_delay_seconds: u64,
    /// Seconds in-flight requests get to finish after that.
    #[arg(long, default_value_t = 10)]
    shutdown_grace_seconds: u64,
    /// Answers remembered for repeated reviews (a ReplicaSet's pods reach
    /// admission as one object with new uids); 0 turns the memo off.
    #[arg(long, default_value_t = eci_bridge_daemon::memo::MAX_ENTRIES)]
    memo_entries: usize,
    /// Serve POST /bench/fixed (a fixed answer): the floor of `cargo xtask bench-webhook`.
    #[arg(long, hide = true)]
    bench_fixed_route: bool,
}

/// The webhook flags `admit` and `serve` share.
#[derive(Debug, Args)]
pub struct AdmissionFlags {
    /// How routed pods are sent to the virtual node.
    #[arg(long, value_enum)]
    strategy: Option<Strategy>,
    /// Node name for `--strategy node-name` (default: chosen among the
    /// provider's per-zone virtual nodes, see the crate docs).
    #[arg(long)]
    pub node_name: Option<String>,
    /// Warn about or deny pods the translation would reject.
    #[arg(long, value_enum)]
    on_unsupported: Option<Unsupported>,
}

impl AdmissionFlags {
    /// The flags as the admit mode's parameters.
    pub fn params(&self) -> eci_bridge_core::case::AdmitParams {
        let mut params = eci_bridge_core::case::AdmitParams::default();
        params.strategy = self.strategy.map(|s| match s {
            Strategy::NodeSelector => RoutingStrategy::NodeSelector,
            Strategy::Affinity => RoutingStrategy::Affinity,
            Strategy::NodeName => RoutingStrategy::NodeName,
        });
        params.node_name = self.node_name.clone();
        params.on_unsupported =
            self.on_unsupported.map(|u| if u == Unsupported::Deny { OnUnsupported::Deny } else { OnUnsupported::Warn });
        params
    }

    /// Sets what the flags say; the rest of `options` stays.
    pub fn apply(self, options: &mut AdmissionOptions) {
        let params = self.params();
        if let Some(s) = params.strategy {
            options.strategy = s;
        }
        if let Some(n) = params.node_name {
            options.virtual_node_name = Some(n);
        }
        if let Some(u) = params.on_unsupported {
            options.on_unsupported = u;
        }
    }
}

/// Runs the server until SIGTERM.
pub fn serve(args: ServeArgs) -> Result<ExitCode, String> {
    let mut diags = Vec::new();
    let mut options = AdmissionOptions::default();
    if let Some(path) = args.settings.as_deref() {
        let (o, d) = inputs::read_admission_settings(path)?;
        options = o;
        diags.extend(d);
    }
    if let Some(path) = args.cluster.as_deref() {
        let (c, d) = inputs::read_cluster(path)?;
        options.cluster = c;
        diags.extend(d);
    }
    args.flags.apply(&mut options);
    diags.extend(options.check());
    render::diagnostics(&diags);
    if eci_bridge_core::diagnostics::has_errors(&diags) {
        return Err("error: the webhook settings have errors (above); not serving".into());
    }
    let limit = eci_bridge_daemon::config::MAX_BODY_BYTES;
    if args.max_body_bytes == 0 || args.max_body_bytes > limit {
        return Err(format!("error: --max-body-bytes must be between 1 and {limit}"));
    }
    for (flag, value, max) in [
        ("--max-in-flight", args.max_in_flight as u64, 4096),
        ("--max-connections", args.max_connections as u64, 65_536),
        ("--read-timeout-seconds", args.read_timeout_seconds, 300),
        ("--idle-timeout-seconds", args.idle_timeout_seconds, 3600),
    ] {
        if value == 0 || value > max {
            return Err(format!("error: {flag} must be between 1 and {max}"));
        }
    }
    let mut config = ServeConfig::new(args.listen, args.tls_cert_file, args.tls_key_file);
    config.profile_file = args.profile_file;
    config.namespaces = match (args.namespaces_file, args.kubeconfig, args.namespaces_from_cluster) {
        (Some(f), _, _) => NamespaceSource::File(f),
        (None, Some(k), _) => NamespaceSource::Cluster(Some(k)),
        (None, None, true) => NamespaceSource::Cluster(None),
        (None, None, false) => NamespaceSource::None,
    };
    config.options = options;
    config.metrics_listen = args.metrics_listen;
    config.max_body_bytes = args.max_body_bytes;
    config.max_in_flight = args.max_in_flight;
    config.max_connections = args.max_connections;
    config.read_timeout = Duration::from_secs(args.read_timeout_seconds);
    config.idle_timeout = Duration::from_secs(args.idle_timeout_seconds);
    config.poll_interval = Duration::from_millis(args.poll_interval_ms.clamp(10, 60_000));
    config.shutdown_delay = Duration::from_secs(args.shutdown_delay_seconds);
    config.shutdown_grace = Duration::from_secs(args.shutdown_grace_seconds);
    config.memo_entries = args.memo_entries;
    config.bench_fixed_route = args.bench_fixed_route;
    eci_bridge_daemon::serve(config).map_err(|e| format!("error: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// Flags of `eci-bridge certs`.
#[derive(Debug, Args)]
pub struct CertsArgs {
    /// Name of the webhook Service.
    #[arg(long, default_value = "eci-bridge-webhook")]
    service_name: String,
    /// Namespace of the webhook Service.
    #[arg(long, default_value = "kube-system")]
    service_namespace: String,
    /// Folder to write ca.crt, tls.crt and tls.key to (created when missing).
    #[arg(long)]
    out_dir: PathBuf,
    /// Another DNS name of the serving certificate (repeatable).
    #[arg(long)]
    dns: Vec<String>,
    /// An IP address of the serving certificate (repeatable), e.g. 127.0.0.1.
    #[arg(long)]
    ip: Vec<IpAddr>,
    /// Replace files that exist.
    #[arg(long)]
    force: bool,
}

/// Writes the CA and the serving certificate; prints the caBundle.
pub fn certs(args: CertsArgs) -> Result<ExitCode, String> {
    let request = CertRequest {
        service_name: args.service_name,
        service_namespace: args.service_namespace,
        dns: args.dns,
        ips: args.ip,
        now: jiff::Timestamp::now(),
    };
    let bundle = request.generate().map_err(|e| format!("error: {e}"))?;
    let files =
        [("ca.crt", &bundle.ca_crt, 0o644), ("tls.crt", &bundle.tls_crt, 0o644), ("tls.key", &bundle.tls_key, 0o600)];
    if !args.force
        && let Some((name, _, _)) = files.iter().find(|(name, _, _)| args.out_dir.join(name).exists())
    {
        return Err(format!("error: {} exists; --force replaces it", args.out_dir.join(name).display()));
    }
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| format!("error: cannot create {}: {e}", args.out_dir.display()))?;
    for (name, text, mode) in files {
        write_file(&args.out_dir.join(name), text, mode)?;
    }
    render::err(&format!(
        "wrote ca.crt, tls.crt and tls.key to {} (serving {}); the caBundle follows on standard output",
        args.out_dir.display(),
        request.dns_names().into_iter().chain(request.ips.iter().map(IpAddr::to_string)).collect::<Vec<_>>().join(", ")
    ));
    render::out(&format!("{}\n", bundle.ca_bundle()));
    Ok(ExitCode::SUCCESS)
}

fn write_file(path: &std::path::Path, text: &str, mode: u32) -> Result<(), String> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    // The key is created 0600: never readable by others, not even briefly.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .map_err(|e| format!("error: cannot write {}: {e}", path.display()))?;
    // `mode` applies only to a new file: a replaced one gets it here.
    use std::os::unix::fs::PermissionsExt as _;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .and_then(|()| file.write_all(text.as_bytes()))
        .map_err(|e| format!("error: cannot write {}: {e}", path.display()))
}
