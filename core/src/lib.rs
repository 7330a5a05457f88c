//! # eci-bridge-core
//!
//! A pure, deterministic model of how Alibaba Cloud's virtual node turns
//! Kubernetes pods into ECI (Elastic Container Instance) container groups.
//!
//! Everything comes in as a value and goes out as a value: no sockets,
//! files, clocks, environment variables or random numbers. The same code
//! runs in `cargo test`, in the browser playground (WASM) and in a daemon.
//!
//! ## In scope
//! - [`fn@translate`]: Pod (+ namespace labels, cluster settings, eci-profile,
//!   referenced ConfigMaps/Secrets/claims/tokens) → `CreateContainerGroup`
//!   request, with [`Diagnostic`]s for everything it cannot or will not carry
//!   and an [`Explanation`] of which rule and input produced each field.
//! - [`eci`]: the request model (wire names of the ECI 2018-08-08 API), its
//!   flattened wire form, and request signing (RPC HMAC-SHA1 and
//!   ACS3-HMAC-SHA256) with time and nonce as inputs.
//! - [`sizing`]: ECI's documented pod sizing and spec rounding (table as data).
//! - [`annotations`]: the registry of every documented pod annotation.
//! - [`profile`]: the `eci-profile` ConfigMap: parsing, validation, selectors,
//!   diff. [`cluster`]: the provider's settings.
//! - [`admission`]: the mutating webhook (`AdmissionReview` → response with a
//!   JSON patch) and its `MutatingWebhookConfiguration`.
//! - [`status`]: a `DescribeContainerGroups` item → the Pod's status and
//!   Kubernetes Events. [`node`]: the virtual Node objects and their leases.
//!   [`update`]: (old pod, new pod) → `UpdateContainerGroup`; deletion →
//!   `DeleteContainerGroup`.
//! - [`elastic`]: ElasticWorkload → the source's and units' Deployments,
//!   status, `/scale` and events. [`overflow`]: should a pending pod move to
//!   ECI, and the patch that moves it. [`resource_policy`]: which ordered unit
//!   (ECS first, then ECI) a new pod goes to.
//! - [`objects::required_objects`]: which objects a caller must supply.
//! - [`labels`]: label and name syntax, label-selector matching and selector
//!   strings; [`placement`]: whether a pod's nodeSelector, affinity and
//!   tolerations admit a node.
//! - [`input`]: reading YAML/JSON documents, pods and workload templates;
//!   [`Bundle`]: one stream holding a pod and everything it needs.
//!
//! ## Out of scope
//! - Talking to Kubernetes or to Alibaba Cloud: requests are built as data;
//!   callers send them.
//! - Reading clocks, files or the environment: callers pass timestamps,
//!   nonces, settings and objects.
//! - Service environment variables (`enableServiceLinks`): they need the
//!   cluster's Service list, which is not an input.
//!
//! ## Choices where the documents are silent
//! Each module's docs list the choices it makes (e.g. how init containers
//! count in sizing, what happens to startup and gRPC probes, how names and
//! client tokens are derived). Documented behaviour is implemented as
//! documented and cited in comments.

pub mod admission;
pub mod annotations;
pub mod bundle;
pub mod case;
pub mod check;
pub mod cluster;
pub mod diagnostics;
pub mod eci;
pub mod elastic;
pub mod explain;
pub mod input;
pub mod json;
pub mod labels;
pub mod limits;
pub mod node;
pub mod objects;
pub mod overflow;
pub mod placement;
pub mod preview;
pub mod profile;
pub mod provider;
pub mod quantity;
pub mod resource_policy;
pub mod sizing;
pub mod source_map;
pub mod sources;
pub mod status;
pub mod text;
pub mod translate;
pub mod update;

pub use bundle::Bundle;
pub use cluster::ClusterSettings;
pub use diagnostics::{Code, Diagnostic, Input, Severity};
pub use eci::{CreateContainerGroupRequest, WireParams};
pub use explain::{Effect, ExplainRow, Explanation, InputRef};
pub use objects::{ObjectRef, ObjectStore, required_objects, required_objects_with};
pub use profile::{EciProfile, parse_profile};
pub use translate::{Reveal, TranslateInput, Translation, translate};

/// The version of this crate.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
