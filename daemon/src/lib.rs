//! The native shell around `eci-bridge-core`: the admission webhook as a
//! server (`eci-bridge serve`) and the certificates it serves with
//! (`eci-bridge certs`).
//!
//! In scope: HTTPS (rustls; HTTP/1.1 and HTTP/2 by ALPN), the routes the API
//! server and the kubelet call (`/mutate`, `/healthz`, `/readyz`,
//! `/metrics`), reloading the eci-profile, the namespaces and the TLS
//! certificate without a restart, protection against slow, large, garbage
//! and too many requests, JSON logs and Prometheus metrics, graceful
//! shutdown. Every decision about a review is the core's
//! ([`eci_bridge_core::admission::endpoint`]): this crate reads files,
//! sockets and the Kubernetes API, and never decides what a pod becomes.
//!
//! It also serves the ECI emulator ([`emulate`]: `eci-bridge emulate`), whose
//! model is the IO-free `eci-bridge-emulator` crate.
//!
//! Not in scope: the provider (creating ECI instances) and the ECI client.

pub mod certs;
pub mod config;
pub mod emulate;
pub mod log;
pub mod memo;
pub mod metrics;
pub mod namespaces;
pub mod profile;
pub mod server;
pub mod tls;
pub mod watch;

pub use config::ServeConfig;
pub use server::serve;
