//! The ElasticWorkload CustomResourceDefinition, for clusters without the
//! ACK add-on: the documented shape (docs/elastic.md#elasticworkload) with
//! the `/scale` subresource wired to `spec.replicas`, `status.replicas` and
//! `status.selector`, so `kubectl scale ew` and an HPA work.

use serde_json::{Value, json};

use super::model::API_VERSION;

fn bounds() -> Value {
    json!({"type": "integer", "format": "int32", "minimum": 0})
}

fn string_map() -> Value {
    json!({"type": "object", "additionalProperties": {"type": "string"}})
}

fn status_share() -> Value {
    json!({"type": "object", "required": ["name", "desiredReplicas"], "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "name": {"type": "string"},
        "desiredReplicas": {"type": "integer", "format": "int32"},
        "updateTimestamp": {"type": "string", "format": "date-time"}
    }})
}

/// The CRD as a JSON value.
pub fn elastic_workload_crd() -> Value {
    let (group, version) = API_VERSION.split_once('/').unwrap_or((API_VERSION, ""));
    let schema = json!({
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
            "spec": {"type": "object", "required": ["sourceTarget", "elasticUnit"], "properties": {
                "replicas": bounds(),
                "sourceTarget": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string"}, "kind": {"type": "string"}, "apiVersion": {"type": "string"},
                    "min": bounds(), "max": bounds()
                }},
                "elasticUnit": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string", "maxLength": 63},
                    "labels": string_map(), "annotations": string_map(), "nodeSelector": string_map(),
                    "tolerations": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                    "affinity": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                    "min": bounds(), "max": bounds()
                }}}
            }},
            "status": {"type": "object", "properties": {
                "replicas": {"type": "integer", "format": "int32"},
                "selector": {"type": "string"},
                "sourceTarget": status_share(),
                "elasticUnitsStatus": {"type": "array", "items": status_share()}
            }}
        }
    });
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("elasticworkloads.{group}")},
        "spec": {
            "group": group,
            "names": {"kind": "ElasticWorkload", "listKind": "ElasticWorkloadList", "plural": "elasticworkloads",
                      "singular": "elasticworkload", "shortNames": ["ew"]},
            "scope": "Namespaced",
            "versions": [{
                "name": version, "served": true, "storage": true,
                "schema": {"openAPIV3Schema": schema},
                "subresources": {"status": {}, "scale": {
                    "specReplicasPath": ".spec.replicas",
                    "statusReplicasPath": ".status.replicas",
                    "labelSelectorPath": ".status.selector"
                }},
                "additionalPrinterColumns": [
                    {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                    {"name": "Placed", "type": "integer", "jsonPath": ".status.replicas"},
                    {"name": "Source", "type": "string", "jsonPath": ".spec.sourceTarget.name"},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
                ]
            }]
        }
    })
}
