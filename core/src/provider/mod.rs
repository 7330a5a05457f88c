//! The provider's sync engine: for every pod bound to a virtual node, create
//! its container group, follow its status, delete it, and survive what ECI
//! and the network do in between. Sans-IO, in the style of quinn-proto:
//! [`Engine::handle`] takes an input (a pod event, the answer to a call),
//! [`Engine::poll`] gives the next action (an ECI call, a pod status, an
//! Event, a pod to forget), [`Engine::next_deadline`] says when to poll
//! again. Time is an input; the only randomness is the incarnation number
//! the caller gives (jitter, ClientTokens).
//!
//! The rules it keeps:
//! - **One instance per pod.** Every create carries a ClientToken derived
//!   from the cluster, the pod UID, the process's incarnation and the
//!   creation's generation: retries after a lost answer return the same
//!   instance (docs/eci-api.md#client-token). Instances are tagged with the
//!   cluster ([`CLUSTER_TAG`]) and the pod ([`POD_TAG`]); a new process lists
//!   its cluster's instances before creating anything and adopts them, so a
//!   restart never creates twice. A failed instance is deleted before its
//!   replacement is created.
//! - **Creation failure** (docs/annotations.md#eci-fail-strategy, #legacy-annotations
//!   `pod-fail-on-create-err`): by default the create is retried with capped
//!   exponential backoff and jitter, the pod Pending with ECI's code as
//!   reason and its message; with `fail_fast` a refused create fails the pod
//!   (`ProviderFailed`). An instance that ends ScheduleFailed (NoStock) is
//!   replaced, not left.
//! - **Status** (docs/status.md#phase-table): the phase follows ECI's table
//!   ([`crate::status::phase_of`]); Expired (spot) is Failed with reason
//!   `BidFailed`. Statuses come from DescribeContainerGroupStatus with
//!   `SinceSecond` (only the instances that changed) every
//!   [`EngineConfig::poll_every`], and a full listing of the cluster's
//!   instances every [`EngineConfig::resync_every`]: the steady-state cost
//!   follows the changes, not the number of pods.
//! - **Deletion**: the instance is deleted (Force only for a zero grace
//!   period), then the pod's instances are looked up by tag until none is
//!   left, then the pod is forgotten ([`Action::ForgetPod`]). A pod deleted
//!   while its create is in flight has the instance deleted when the answer
//!   comes, or looked up by tag when no answer comes.
//! - **Garbage collection**: an instance of this cluster whose pod is unknown
//!   is deleted after [`EngineConfig::orphan_grace`]; instances tagged by
//!   another cluster (or untagged) are never touched.
//!
//! Not in scope: translation (the caller translates pods with
//! [`crate::translate`] and passes the request in [`PodSpec`]), the status
//! details of containers ([`crate::status::pod_status`] maps a describe item
//! when the caller wants them), sockets, clocks and the Kubernetes API.

mod engine;
mod types;

pub use engine::Engine;
pub use types::{
    Action, CLUSTER_TAG, CallError, CallId, Deletion, EngineConfig, Input, Millis, POD_TAG, PodSpec, fails_fast,
};
