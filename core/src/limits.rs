//! Input limits: one policy for every reader of untrusted text.
//!
//! eci-bridge reads what any namespace owner writes (the admission webhook
//! sits on every pod creation), so every input is bounded *before* any work
//! that grows faster than the input: the text's size, the YAML reader's
//! documents, nodes, depth, aliases and scalar bytes, `$(VAR)` expansion,
//! the profile's selectors and a pod's containers and volumes. A breach is a
//! [`Code::LimitExceeded`] error with the limit, the amount found and a
//! hint; the input is not processed further. The CLI, the playground and
//! the daemons share [`Limits::DEFAULT`].
//!
//! The numbers sit well above anything a valid Kubernetes object can hold
//! (the API server refuses objects over about 1.5 MiB, ECI accepts 20
//! containers, 20 volumes and 256-character environment values), so they
//! only ever stop hostile or broken input.

use crate::diagnostics::{Code, Diagnostic, Input, Severity};

/// Bounds on what the core reads and computes from one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one text (a file, a request body, an editor tab).
    pub max_text_bytes: usize,
    /// Documents in one YAML stream.
    pub max_documents: usize,
    /// YAML nodes (mappings, sequences, scalars, after aliases) in one stream.
    pub max_nodes: usize,
    /// Nesting depth of mappings and sequences.
    pub max_depth: usize,
    /// Alias (`*name`) uses in one stream.
    pub max_aliases: usize,
    /// Bytes of all scalars of one stream, aliases replayed.
    pub max_scalar_bytes: usize,
    /// Bytes of one value after `$(VAR)` expansion.
    pub max_expanded_value_bytes: usize,
    /// Bytes produced by `$(VAR)` expansion in one pod, all values together.
    pub max_expanded_pod_bytes: usize,
    /// Selectors in one eci-profile.
    pub max_selectors: usize,
    /// Containers plus init containers in one pod.
    pub max_containers: usize,
    /// Volumes in one pod.
    pub max_volumes: usize,
    /// Diagnostics of one code and severity listed; the rest are counted.
    pub max_diagnostics_per_code: usize,
    /// vSwitches (and vSwitch zones) in cluster settings or a profile; each
    /// zone becomes a virtual node.
    pub max_vswitches: usize,
}

impl Limits {
    /// The limits every reader uses.
    pub const DEFAULT: Limits = Limits {
        max_text_bytes: 4 * 1024 * 1024,
        max_documents: 1_000,
        max_nodes: 250_000,
        max_depth: 64,
        max_aliases: 1_000,
        max_scalar_bytes: 8 * 1024 * 1024,
        max_expanded_value_bytes: 32 * 1024,
        max_expanded_pod_bytes: 1024 * 1024,
        max_selectors: 1_000,
        max_containers: 200,
        max_volumes: 1_000,
        max_diagnostics_per_code: 100,
        max_vswitches: 100,
    };
}

/// Bytes of flattened wire parameters a request document of `input_bytes`
/// may produce: linear in the input (4 × plus 64 KiB of room).
pub fn wire_budget(input_bytes: usize) -> usize {
    input_bytes.saturating_mul(4).saturating_add(64 * 1024)
}

/// The diagnostic for a breached limit: `what` was `found`, at most `limit`
/// are read.
pub fn exceeded(input: Input, pointer: impl Into<String>, what: &str, found: usize, limit: usize) -> Diagnostic {
    let found = if found > limit { format!("{found}") } else { format!("more than {limit}") };
    Diagnostic::pod(
        Severity::Error,
        Code::LimitExceeded,
        pointer,
        format!("the input has {found} {what}; eci-bridge reads at most {limit}"),
    )
    .on(input)
    .help("this limit protects the webhook and the tools from hostile input; no valid Kubernetes object comes near it")
}

/// [`check_pod`] on a pod document before it is deserialized: a typed
/// container is about a kilobyte whatever its text, so counts are checked on
/// the document (`spec` of a pod or of a pod template at `pod_pointer`).
pub fn check_pod_document(doc: &serde_json::Value, pod_pointer: &str) -> Option<Diagnostic> {
    let spec = doc.pointer(&format!("{pod_pointer}/spec"))?;
    let count = |field: &str| spec.get(field).and_then(serde_json::Value::as_array).map_or(0, Vec::len);
    check_counts(count("containers") + count("initContainers"), count("volumes"), pod_pointer)
}

/// The pod's containers and volumes within [`Limits::DEFAULT`]; the
/// diagnostic of the first breach otherwise. Checked before translation
/// does any per-container or per-volume work (mounts look volumes up by
/// name, ports are compared across containers).
pub fn check_pod(pod: &k8s_openapi::api::core::v1::Pod) -> Option<Diagnostic> {
    let spec = pod.spec.as_ref()?;
    let containers = spec.containers.len() + spec.init_containers.as_ref().map_or(0, Vec::len);
    check_counts(containers, spec.volumes.as_ref().map_or(0, Vec::len), "")
}

fn check_counts(containers: usize, volumes: usize, pod_pointer: &str) -> Option<Diagnostic> {
    let l = Limits::DEFAULT;
    if containers > l.max_containers {
        let at = format!("{pod_pointer}/spec/containers");
        return Some(exceeded(Input::Pod, at, "containers and init containers", containers, l.max_containers));
    }
    if volumes > l.max_volumes {
        return Some(exceeded(Input::Pod, format!("{pod_pointer}/spec/volumes"), "volumes", volumes, l.max_volumes));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_messages_read_as_sentences() {
        let d = exceeded(Input::Pod, "", "YAML nodes", 250_001, 250_000);
        assert_eq!(d.code, Code::LimitExceeded);
        assert_eq!(d.message, "the input has 250001 YAML nodes; eci-bridge reads at most 250000");
        let d = exceeded(Input::Pod, "/spec", "containers", 0, 200);
        assert_eq!(d.message, "the input has more than 200 containers; eci-bridge reads at most 200");
    }

    #[test]
    fn limits_are_above_what_kubernetes_and_eci_accept() {
        let l = Limits::DEFAULT;
        // The API server's object limit is about 1.5 MiB; ECI: 20 containers/volumes, 256-char values.
        assert!(l.max_text_bytes > 3 * 1024 * 1024 / 2);
        assert!(l.max_containers > 20 && l.max_volumes > 20 && l.max_expanded_value_bytes > 256);
    }
}
