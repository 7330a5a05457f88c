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
//! - [`case`]: one way to run any of these as a case read from texts — the
//!   time rule, the stand-in cluster, diagnostics placed at file:line:col,
//!   rejection and exit status — which the CLI and the playground adapt.
//!   [`check`]: every workload of a repository of manifests, at once.
//! - [`provider`]: the provider's sync engine as a state machine (inputs in,
//!   ECI calls and pod updates out); the caller does the IO.
//! - Reading: [`parse_documents`] (YAML/JSON streams), [`Bundle`] (one
//!   stream holding a pod and everything it needs), [`Sources`] (named
//!   texts, placed), [`required_objects`] (which objects a caller must
//!   supply); label syntax and selectors ([`label_selector_matches`]).
//!
//! ## Out of scope
//! - Talking to Kubernetes or to Alibaba Cloud: requests are built as data;
//!   callers send them.
//! - Reading clocks, files or the environment: callers pass timestamps,
//!   nonces, settings and objects.
//! - Service environment variables (`enableServiceLinks`): they need the
//!   cluster's Service list, which is not an input.
//!
//! ## Examples
//!
//! Translate a pod (the built-in example cluster stands in for real
//! settings here; a provider passes its own [`ClusterSettings`]):
//!
//! ```
//! use eci_bridge_core::{Bundle, ClusterSettings, Reveal, parse_documents, Input};
//!
//! let pod = r#"
//! apiVersion: v1
//! kind: Pod
//! metadata: {name: web, namespace: shop, uid: 6f1c}
//! spec:
//!   containers:
//!   - name: web
//!     image: nginx:1.27
//!     resources: {limits: {cpu: "3", memory: 5Gi}}
//! "#;
//! let bundle = Bundle::from_documents(&parse_documents(pod, Input::Pod)?)?;
//! let translation = bundle.translate(&ClusterSettings::example());
//! assert!(!translation.is_rejected());
//! // 3 vCPU / 5 GiB is rounded up to the 4 vCPU / 6 GiB spec.
//! assert_eq!(translation.request.cpu, Some(4.0));
//! assert_eq!(translation.request.memory, Some(6.0));
//! assert!(translation.request_json(Reveal::Redacted).contains("\"ContainerGroupName\": \"shop-web\""));
//! # Ok::<(), eci_bridge_core::Diagnostic>(())
//! ```
//!
//! Run any mode the way the CLI and the playground do, with every
//! diagnostic placed at file:line:col ([`case::run`]):
//!
//! ```
//! use eci_bridge_core::case::{self, Env, TranslateCase};
//! use eci_bridge_core::Sources;
//!
//! let text = "kind: Pod\nmetadata: {name: web}\nspec:\n  hostNetwork: true\n  containers: [{name: web, image: nginx}]\n";
//! let ran = case::run::<TranslateCase>(&Sources::stream("pod.yaml", text), &Default::default(), &Env::default())?;
//! assert!(ran.rejected);
//! let host_network = ran.outcome.diagnostics.iter().find(|d| d.code.as_str() == "host-network").unwrap();
//! let span = host_network.span.as_ref().unwrap();
//! assert_eq!((span.file.as_deref(), span.start.line), (Some("pod.yaml"), 4));
//! # Ok::<(), eci_bridge_core::Diagnostic>(())
//! ```
//!
//! Answer an admission review as the mutating webhook does:
//!
//! ```
//! use std::collections::BTreeMap;
//! use eci_bridge_core::admission::{AdmissionOptions, Decision, admit, review_for_pod};
//!
//! let pod = serde_json::json!({
//!     "apiVersion": "v1", "kind": "Pod",
//!     "metadata": {"name": "job", "namespace": "batch", "labels": {"alibabacloud.com/eci": "true"}},
//!     "spec": {"containers": [{"name": "job", "image": "busybox"}]}
//! });
//! let admission = admit(&review_for_pod(&pod), None, &BTreeMap::new(), &AdmissionOptions::default());
//! assert!(matches!(admission.decision, Decision::Routed { .. }));
//! assert!(!admission.patch.0.is_empty());
//! ```
//!
//! Map an ECI instance onto the pod's status:
//!
//! ```
//! use eci_bridge_core::case::{self, Env};
//! use eci_bridge_core::status::case::StatusCase;
//! use eci_bridge_core::Sources;
//!
//! let text = r#"
//! ContainerGroupId: eci-1
//! Status: Running
//! Containers: [{Name: web, Ready: true, CurrentState: {State: Running, StartTime: "2026-11-23T09:59:00Z"}}]
//! ---
//! kind: Pod
//! metadata: {name: web, namespace: shop}
//! spec: {containers: [{name: web, image: nginx}]}
//! "#;
//! let env = Env::with_clock("2026-11-23T10:00:00Z".parse().unwrap());
//! let ran = case::run::<StatusCase>(&Sources::stream("status.yaml", text), &(), &env)?;
//! assert_eq!(ran.outcome.status.phase.as_deref(), Some("Running"));
//! # Ok::<(), eci_bridge_core::Diagnostic>(())
//! ```
//!
//! Sign a request (time and nonce are inputs, so the signature is
//! reproducible):
//!
//! ```
//! use eci_bridge_core::WireParams;
//! use eci_bridge_core::eci::SecretString;
//! use eci_bridge_core::eci::sign::{Credentials, HttpMethod, SigningContext, Timestamp, sign_rpc, ECI_API_VERSION};
//!
//! let params = WireParams::from_json(&serde_json::json!({"RegionId": "cn-hangzhou", "ContainerGroupIds": "[\"eci-1\"]"}));
//! let credentials = Credentials {
//!     access_key_id: "LTAI-example".into(),
//!     access_key_secret: SecretString::new("not-a-secret"),
//!     security_token: None,
//! };
//! let context = SigningContext {
//!     action: "DescribeContainerGroups".into(),
//!     version: ECI_API_VERSION.into(),
//!     timestamp: Timestamp::parse("2026-11-23T10:00:00Z").unwrap(),
//!     nonce: "5f1c0e4e".into(),
//!     method: HttpMethod::Post,
//! };
//! let signed = sign_rpc(&params, &credentials, &context);
//! assert_eq!(signed, sign_rpc(&params, &credentials, &context));
//! assert!(signed.query_string().contains("SignatureMethod=HMAC-SHA1"));
//! ```
//!
//! ## Choices where the documents are silent
//! Each module's docs list the choices it makes (e.g. how init containers
//! count in sizing, what happens to startup and gRPC probes, how names and
//! client tokens are derived). Documented behaviour is implemented as
//! documented and cited in comments.

#![warn(missing_docs)]
#![warn(rustdoc::private_intra_doc_links)]

// The domains a provider binary works with: each module's docs say what it
// decides.
pub mod admission;
pub mod annotations;
pub mod case;
pub mod check;
pub mod cluster;
pub mod diagnostics;
pub mod eci;
pub mod elastic;
pub mod node;
pub mod overflow;
pub mod profile;
pub mod provider;
pub mod resource_policy;
pub mod sizing;
pub mod status;
pub mod update;

// The machinery behind them: private, with what callers need re-exported
// below.
mod bundle;
mod explain;
mod input;
mod json;
mod labels;
mod limits;
mod objects;
mod placement;
mod preview;
mod quantity;
mod source_map;
mod sources;
mod text;
mod translate;

pub use bundle::{Bundle, Documents};
pub use cluster::ClusterSettings;
pub use diagnostics::{Code, Diagnostic, Input, Severity, Span};
pub use eci::{CreateContainerGroupRequest, WireParams};
pub use explain::{Effect, ExplainRow, Explanation, InputRef};
pub use input::{PodSource, WORKLOAD_TEMPLATES, parse_document, parse_documents};
pub use labels::{is_dns_label, is_dns_subdomain, label_selector_matches};
pub use limits::{Limits, wire_budget};
pub use objects::{ObjectRef, ObjectStore, required_objects, required_objects_with};
pub use preview::{AdmissionView, ExplainView, Preview, PreviewOptions, preview};
pub use profile::{EciProfile, parse_profile};
pub use quantity::format_vcpu;
pub use source_map::SourceMap;
pub use sources::{Placement, Role, SourceFile, Sources, document_of};
pub use text::{escape_text, is_unsafe_char};
pub use translate::{
    MAX_CONTAINERS, MAX_REGISTRY_CREDENTIALS, MAX_VOLUMES, MissingObjects, Reveal, TranslateInput, Translation,
    client_token, container_group_name, effective_annotations, translate,
};

/// The version of this crate.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
