//! What goes into the engine and what comes out of it.

use crate::eci::request::CreateContainerGroupRequest;
use crate::eci::wire::WireParams;

/// Milliseconds since the Unix epoch: the engine's only notion of time.
pub type Millis = i64;

/// Identifies one ECI call the engine asked for; its answer names it.
pub type CallId = u64;

/// The tag every instance of this engine carries: its cluster's id.
pub const CLUSTER_TAG: &str = "eci-bridge.io/cluster";
/// The tag that names the pod an instance runs (its UID).
pub const POD_TAG: &str = "eci-bridge.io/pod-uid";

/// How the engine paces itself.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// This cluster's id: instances tagged with another are never touched.
    pub cluster_id: String,
    /// The region every call names.
    pub region: String,
    /// Status polling: DescribeContainerGroupStatus with `SinceSecond`.
    pub poll_every: Millis,
    /// A full listing of this cluster's instances (adoption, instances gone
    /// out of band, orphans).
    pub resync_every: Millis,
    /// An instance whose pod is unknown is deleted after this long.
    pub orphan_grace: Millis,
    /// The first retry delay; doubles per attempt.
    pub backoff_base: Millis,
    /// No retry waits longer.
    pub backoff_cap: Millis,
    /// ECI calls in flight at most.
    pub max_in_flight: usize,
    /// The zone of each vSwitch (the cluster settings' `vswitchZones`): a
    /// pod bound to a per-zone virtual node is sent only its zone's.
    pub vswitch_zones: std::collections::BTreeMap<String, String>,
    /// Calls per second at most, per ECI action (e.g. what the account's
    /// flow control allows). Applies to the calls the engine starts on its
    /// own (creates, deletes, lookups, the first page of a poll or a
    /// listing); an action not listed is bounded only by `max_in_flight`.
    pub rate_limits: std::collections::BTreeMap<String, u32>,
    /// The virtual nodes this engine serves (`crate::node` builds them).
    pub nodes: Vec<String>,
    /// Each node's Lease is renewed this often (the kubelet's 10 s; the
    /// lease lasts 40 s).
    pub lease_every: Millis,
    /// Each node's status is written this often.
    pub node_status_every: Millis,
}

impl EngineConfig {
    /// Defaults for a cluster and region: poll every 10 s, resync every
    /// 30 min, orphans deleted after 2 min, backoff 1 s doubling to 60 s, 16
    /// calls in flight.
    pub fn new(cluster_id: &str, region: &str) -> EngineConfig {
        EngineConfig {
            cluster_id: cluster_id.to_string(),
            region: region.to_string(),
            poll_every: 10_000,
            resync_every: 1_800_000,
            orphan_grace: 120_000,
            backoff_base: 1_000,
            backoff_cap: 60_000,
            max_in_flight: 16,
            vswitch_zones: std::collections::BTreeMap::new(),
            rate_limits: std::collections::BTreeMap::new(),
            nodes: Vec::new(),
            lease_every: 10_000,
            node_status_every: 60_000,
        }
    }
}

/// A pod deletion the API server asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deletion {
    /// `deletionGracePeriodSeconds`.
    pub grace_seconds: i64,
}

/// What the engine needs of one pod bound to a virtual node.
#[derive(Debug, Clone, PartialEq)]
pub struct PodSpec {
    /// `metadata.uid`.
    pub uid: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// The translated request (`crate::translate`), without ClientToken and
    /// the engine's tags: the engine adds them.
    pub request: CreateContainerGroupRequest,
    /// `k8s.aliyun.com/pod-fail-on-create-err: "true"` or
    /// `k8s.aliyun.com/eci-fail-strategy: fail-fast`: a refused create fails
    /// the pod instead of retrying (docs/annotations.md#eci-fail-strategy, #legacy-annotations).
    pub fail_fast: bool,
    /// Set once the API server asked for deletion.
    pub deletion: Option<Deletion>,
    /// The zone of the per-zone virtual node the pod is bound to; `None`
    /// on the region-wide node.
    pub zone: Option<String>,
}

/// Whether a refused create fails the pod at once ([`PodSpec::fail_fast`]):
/// `k8s.aliyun.com/eci-fail-strategy: fail-fast`, or the older
/// `k8s.aliyun.com/pod-fail-on-create-err: "true"` (docs/annotations.md#eci-fail-strategy,
/// #legacy-annotations). `fail-back` (the default) and `fail-over` (documented as the same)
/// keep retrying.
pub fn fails_fast(annotations: &std::collections::BTreeMap<String, String>) -> bool {
    let value = |key: &str| annotations.get(key).map(|v| v.trim().to_ascii_lowercase());
    value("k8s.aliyun.com/eci-fail-strategy").as_deref() == Some("fail-fast")
        || value("k8s.aliyun.com/pod-fail-on-create-err").as_deref() == Some("true")
}

/// An ECI call that failed: the documented `Code` (docs/eci-api.md#errors), or
/// `Transport` / `Timeout` when no answer came (the call may have been
/// applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// HTTP status (0 without an answer).
    pub status: u16,
    /// ECI's `Code`.
    pub code: String,
    /// ECI's `Message`.
    pub message: String,
}

impl CallError {
    /// No answer: the call may or may not have been applied.
    pub fn no_answer(code: &str) -> CallError {
        CallError { status: 0, code: code.to_string(), message: format!("{code}: no answer") }
    }

    /// Worth trying again unchanged: flow control, 5xx, no answer.
    pub fn is_retryable(&self) -> bool {
        self.status == 0 || self.status >= 500 || self.code.starts_with("Throttling")
    }

    /// The instance does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status == 404 || self.code.ends_with("NotFound")
    }
}

/// One input.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A pod was added or changed (an informer's add/update).
    PodUpserted(Box<PodSpec>),
    /// A pod is gone from the API server.
    PodGone {
        /// Its UID.
        uid: String,
    },
    /// The answer to a call: the JSON body, or the error.
    Answer {
        /// The call.
        call: CallId,
        /// What came back.
        result: Result<serde_json::Value, CallError>,
    },
}

/// One action for the daemon to carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send an ECI call; hand its answer back as [`Input::Answer`].
    Call {
        /// The id to answer with.
        id: CallId,
        /// The operation.
        action: &'static str,
        /// Its parameters (`RegionId` included).
        params: WireParams,
    },
    /// Write the pod's status.
    PodStatus {
        /// The pod.
        uid: String,
        /// `Pending`, `Running`, `Succeeded`, `Failed`.
        phase: &'static str,
        /// `status.reason`, e.g. `ProviderFailed`.
        reason: Option<String>,
        /// `status.message`.
        message: Option<String>,
        /// The instance, once known.
        instance: Option<String>,
    },
    /// Set one of the pod's conditions (docs/status.md#pod-conditions).
    PodCondition {
        /// The pod.
        uid: String,
        /// The condition type, e.g. `ContainerInstanceExpired`.
        kind: &'static str,
        /// `True` or `False`.
        status: &'static str,
        /// The reason, e.g. `SpotToBeReleased`.
        reason: String,
        /// The message.
        message: String,
    },
    /// Record a Kubernetes Event on the pod.
    Event {
        /// The pod.
        uid: String,
        /// `Normal` or `Warning`.
        kind: &'static str,
        /// The reason.
        reason: String,
        /// The message.
        message: String,
    },
    /// Renew the virtual node's Lease (`coordination.k8s.io`), so the node
    /// stays Ready.
    RenewLease {
        /// The node.
        node: String,
    },
    /// Write the virtual node's status (`crate::node` computes it).
    NodeStatus {
        /// The node.
        node: String,
    },
    /// The pod's instance is gone: the pod object may be removed.
    ForgetPod {
        /// The pod.
        uid: String,
    },
}

#[cfg(test)]
mod tests {
    use super::fails_fast;

    #[test]
    fn fail_fast_by_either_annotation_and_not_by_default() {
        let of =
            |pairs: &[(&str, &str)]| fails_fast(&pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        assert!(!of(&[]));
        assert!(of(&[("k8s.aliyun.com/eci-fail-strategy", "fail-fast")]));
        assert!(!of(&[("k8s.aliyun.com/eci-fail-strategy", "fail-back")]));
        assert!(!of(&[("k8s.aliyun.com/eci-fail-strategy", "fail-over")]));
        assert!(of(&[("k8s.aliyun.com/pod-fail-on-create-err", "true")]));
        assert!(!of(&[("k8s.aliyun.com/pod-fail-on-create-err", "false")]));
    }
}
