//! Could the scheduler place a pod on a node? The pod-side filters that
//! decide it for a virtual node: `nodeSelector`, required node affinity and
//! taints vs tolerations, with the Kubernetes semantics
//! (NodeSelectorRequirement operators `In`, `NotIn`, `Exists`,
//! `DoesNotExist`, `Gt`, `Lt`; `matchFields` on `metadata.name`; terms ORed,
//! expressions ANDed; `NoSchedule` and `NoExecute` taints must be tolerated).
//! Resources, ports, volumes and inter-pod rules are not judged here: a
//! virtual node's capacity is ECI's.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, NodeSelectorRequirement, PodSpec, Taint, Toleration};
use serde::Serialize;

/// Why a pod cannot be placed on a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Misfit {
    /// A `nodeSelector` pair the node's labels lack.
    NodeSelector {
        /// The key.
        key: String,
        /// The value the pod wants.
        wanted: String,
    },
    /// No term of the required node affinity matches.
    NodeAffinity,
    /// A taint the pod does not tolerate.
    Taint {
        /// The taint as `key=value:Effect`.
        taint: String,
    },
}

impl std::fmt::Display for Misfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Misfit::NodeSelector { key, wanted } => write!(f, "nodeSelector {key}={wanted} does not match"),
            Misfit::NodeAffinity => f.write_str("no required node affinity term matches"),
            Misfit::Taint { taint } => write!(f, "taint {taint} is not tolerated"),
        }
    }
}

fn requirement_holds(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or_default();
    let number = |s: &str| s.parse::<i64>().ok();
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" => matches!((value.and_then(number), values.first().and_then(|x| number(x))), (Some(v), Some(x)) if v > x),
        "Lt" => matches!((value.and_then(number), values.first().and_then(|x| number(x))), (Some(v), Some(x)) if v < x),
        _ => false,
    }
}

/// True when the required node affinity (if any) admits a node with these
/// labels and name.
pub fn node_affinity_admits(spec: &PodSpec, labels: &BTreeMap<String, String>, name: &str) -> bool {
    let Some(required) = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| n.required_during_scheduling_ignored_during_execution.as_ref())
    else {
        return true;
    };
    required.node_selector_terms.iter().any(|term| {
        let expressions = term.match_expressions.iter().flatten();
        let fields = term.match_fields.iter().flatten();
        let any = term.match_expressions.as_ref().is_some_and(|e| !e.is_empty())
            || term.match_fields.as_ref().is_some_and(|f| !f.is_empty());
        // An empty term matches nothing.
        any && expressions.clone().all(|r| requirement_holds(r, labels.get(&r.key).map(String::as_str)))
            && fields.clone().all(|r| requirement_holds(r, (r.key == "metadata.name").then_some(name)))
    })
}

/// True when a toleration tolerates the taint.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect_ok = toleration.effect.as_deref().is_none_or(|e| e.is_empty() || e == taint.effect);
    let key_ok = match toleration.key.as_deref() {
        None | Some("") => toleration.operator.as_deref() == Some("Exists"),
        Some(k) => k == taint.key,
    };
    let value_ok = match toleration.operator.as_deref() {
        Some("Exists") => true,
        _ => toleration.value.as_deref().unwrap_or_default() == taint.value.as_deref().unwrap_or_default(),
    };
    effect_ok && key_ok && value_ok
}

/// The first reason the pod cannot go to `node`, or `None` when it can.
pub fn misfit(spec: &PodSpec, node: &Node) -> Option<Misfit> {
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let name = node.metadata.name.clone().unwrap_or_default();
    for (key, wanted) in spec.node_selector.iter().flatten() {
        if labels.get(key) != Some(wanted) {
            return Some(Misfit::NodeSelector { key: key.clone(), wanted: wanted.clone() });
        }
    }
    if !node_affinity_admits(spec, &labels, &name) {
        return Some(Misfit::NodeAffinity);
    }
    let tolerations = spec.tolerations.as_deref().unwrap_or_default();
    node.spec.iter().flat_map(|s| s.taints.iter().flatten()).find_map(|taint| {
        let blocking = taint.effect == "NoSchedule" || taint.effect == "NoExecute";
        (blocking && !tolerations.iter().any(|t| tolerates(t, taint))).then(|| Misfit::Taint {
            taint: format!("{}={}:{}", taint.key, taint.value.as_deref().unwrap_or_default(), taint.effect),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node() -> Node {
        serde_json::from_value(json!({
            "metadata": {"name": "virtual-kubelet-cn-hangzhou-h",
                         "labels": {"type": "virtual-kubelet", "topology.kubernetes.io/zone": "cn-hangzhou-h", "cpu-gen": "8"}},
            "spec": {"taints": [{"key": "virtual-kubelet.io/provider", "value": "alibabacloud", "effect": "NoSchedule"}]}
        }))
        .unwrap()
    }

    fn spec(v: serde_json::Value) -> PodSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn selectors_affinity_and_taints() {
        let toleration = json!([{"key": "virtual-kubelet.io/provider", "operator": "Exists"}]);
        assert_eq!(
            misfit(&spec(json!({"containers": []})), &node()),
            Some(Misfit::Taint { taint: "virtual-kubelet.io/provider=alibabacloud:NoSchedule".into() })
        );
        assert_eq!(misfit(&spec(json!({"containers": [], "tolerations": toleration})), &node()), None);
        let ssd = spec(json!({"containers": [], "tolerations": toleration, "nodeSelector": {"disktype": "ssd"}}));
        assert_eq!(misfit(&ssd, &node()), Some(Misfit::NodeSelector { key: "disktype".into(), wanted: "ssd".into() }));
        let affinity = |op: &str, values: serde_json::Value| {
            spec(json!({"containers": [], "tolerations": toleration, "affinity": {"nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "cpu-gen", "operator": op, "values": values}]}]}}}}))
        };
        assert_eq!(misfit(&affinity("Gt", json!(["7"])), &node()), None);
        assert_eq!(misfit(&affinity("Lt", json!(["7"])), &node()), Some(Misfit::NodeAffinity));
        assert_eq!(misfit(&affinity("NotIn", json!(["8"])), &node()), Some(Misfit::NodeAffinity));
    }
}
