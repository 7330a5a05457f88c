//! What `eci-bridge serve` is told on its command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use eci_bridge_core::admission::AdmissionOptions;

/// Where namespace labels come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceSource {
    /// A YAML stream of Namespace objects, reloaded when it changes.
    File(PathBuf),
    /// A reflector over the cluster's Namespaces (`None`: the in-cluster
    /// config, or `KUBECONFIG`/`~/.kube/config` as kube-rs finds them).
    Cluster(Option<PathBuf>),
    /// No source: namespace labels are empty (a warning at start).
    None,
}

/// The daemon's settings.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The HTTPS address.
    pub listen: SocketAddr,
    /// PEM certificate chain.
    pub tls_cert_file: PathBuf,
    /// PEM private key.
    pub tls_key_file: PathBuf,
    /// The eci-profile: a ConfigMap YAML file, or a mounted ConfigMap
    /// directory (one file per key).
    pub profile_file: Option<PathBuf>,
    /// Namespace labels.
    pub namespaces: NamespaceSource,
    /// Webhook settings (strategy, on-unsupported, cluster settings, …).
    pub options: AdmissionOptions,
    /// A plain-HTTP address for `/metrics`, `/healthz` and `/readyz`.
    pub metrics_listen: Option<SocketAddr>,
    /// Largest request body; larger ones get 413.
    pub max_body_bytes: usize,
    /// Requests answered at once; more get 503.
    pub max_in_flight: usize,
    /// Connections held at once; more are closed at accept.
    pub max_connections: usize,
    /// Time for the TLS handshake, the request headers and the body each.
    pub read_timeout: Duration,
    /// A connection without an open request is closed after this long.
    pub idle_timeout: Duration,
    /// How often files are checked for changes.
    pub poll_interval: Duration,
    /// After SIGTERM: how long `/readyz` says 503 while still serving (so
    /// that endpoints drop the pod first), then how long in-flight requests
    /// may take to finish.
    pub shutdown_delay: Duration,
    /// See `shutdown_delay`.
    pub shutdown_grace: Duration,
    /// Answers remembered for repeated reviews (0: none); see `memo`.
    pub memo_entries: usize,
    /// Serve `POST /bench/fixed`, a fixed answer after reading the body: the
    /// floor `cargo xtask bench-webhook` measures `/mutate` against.
    pub bench_fixed_route: bool,
}

/// The documented request-body limit: the core's limit on one text (4 MiB).
/// The API server stores objects of at most 3 MiB and the webhook is called
/// for CREATE only, so a review is below it; larger bodies get 413.
pub const MAX_BODY_BYTES: usize = eci_bridge_core::Limits::DEFAULT.max_text_bytes;

impl ServeConfig {
    /// Settings with the documented defaults.
    pub fn new(listen: SocketAddr, tls_cert_file: PathBuf, tls_key_file: PathBuf) -> ServeConfig {
        ServeConfig {
            listen,
            tls_cert_file,
            tls_key_file,
            profile_file: None,
            namespaces: NamespaceSource::None,
            options: AdmissionOptions::default(),
            metrics_listen: None,
            max_body_bytes: MAX_BODY_BYTES,
            max_in_flight: 64,
            max_connections: 4096,
            read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(90),
            poll_interval: Duration::from_millis(500),
            shutdown_delay: Duration::ZERO,
            shutdown_grace: Duration::from_secs(10),
            memo_entries: crate::memo::MAX_ENTRIES,
            bench_fixed_route: false,
        }
    }
}
