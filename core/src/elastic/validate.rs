//! What can be wrong with an ElasticWorkload and its source, pointing into
//! the ElasticWorkload (`/spec/elasticUnit/1/max`) or the source Deployment.

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::Deployment;

use super::model::{API_VERSION, ElasticWorkload, KIND};
use super::unit::{UNIT_LABEL, unit_deployment_name};
use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::labels::{check_labels, is_dns_label, label_selector_matches};

/// The longest Deployment name whose ReplicaSets (`<name>-<10-char hash>`)
/// are still valid object names (253 characters).
pub const MAX_DEPLOYMENT_NAME: usize = 253 - 11;

fn diag(severity: Severity, code: Code, pointer: &Pointer, message: impl Into<String>) -> Diagnostic {
    Diagnostic::pod(severity, code, pointer, message).on(Input::ElasticWorkload)
}

fn check_bounds(min: Option<i32>, max: Option<i32>, at: &Pointer, diags: &mut Vec<Diagnostic>) {
    for (field, value) in [("min", min), ("max", max)] {
        if value.is_some_and(|v| v < 0) {
            diags.push(diag(
                Severity::Error,
                Code::InvalidValue,
                &at.key(field),
                format!("{field} must not be negative"),
            ));
        }
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        diags.push(
            diag(Severity::Error, Code::InvalidValue, &at.key("min"), format!("min {lo} is greater than max {hi}"))
                .help("min is the share kept first, max the share never exceeded; min must not exceed max"),
        );
    }
}

/// Every problem with `workload` and its `source`.
pub fn validate(workload: &ElasticWorkload, source: &Deployment) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let root = Pointer::root();
    if !workload.api_version.is_empty() && workload.api_version != API_VERSION {
        diags.push(diag(
            Severity::Warning,
            Code::InvalidValue,
            &root.key("apiVersion"),
            format!("apiVersion `{}` is not {API_VERSION}; read as {API_VERSION}", workload.api_version),
        ));
    }
    if !workload.kind.is_empty() && workload.kind != KIND {
        diags.push(diag(
            Severity::Error,
            Code::Schema,
            &root.key("kind"),
            format!("kind `{}` is not {KIND}", workload.kind),
        ));
    }
    if workload.metadata.name.as_deref().unwrap_or_default().is_empty() {
        diags.push(diag(
            Severity::Error,
            Code::MissingField,
            &root.key("metadata").key("name"),
            "the ElasticWorkload has no name",
        ));
    }

    let target = &workload.spec.source_target;
    let at = root.key("spec").key("sourceTarget");
    if !target.kind.is_empty() && target.kind != "Deployment" {
        diags.push(
            diag(Severity::Error, Code::Unsupported, &at.key("kind"), format!("source kind `{}` is not supported", target.kind))
                .help("ElasticWorkload splits a Deployment (apps/v1); it does not support StatefulSets or OpenKruise workloads — consider UnitedDeployment"),
        );
    }
    if !target.api_version.is_empty() && target.api_version != "apps/v1" {
        diags.push(diag(
            Severity::Error,
            Code::Unsupported,
            &at.key("apiVersion"),
            format!("source apiVersion `{}` is not apps/v1", target.api_version),
        ));
    }
    let source_name = source.metadata.name.clone().unwrap_or_default();
    if target.name != source_name {
        diags.push(
            diag(
                Severity::Error,
                Code::Conflict,
                &at.key("name"),
                format!("sourceTarget names `{}`, but the source given is `{source_name}`", target.name),
            )
            .help("give the Deployment the ElasticWorkload names"),
        );
    }
    let ns = |m: &Option<String>| m.clone().unwrap_or_else(|| "default".into());
    if ns(&workload.metadata.namespace) != ns(&source.metadata.namespace) {
        diags.push(diag(
            Severity::Error,
            Code::Conflict,
            &root.key("metadata").key("namespace"),
            format!(
                "the ElasticWorkload is in namespace `{}` but its source in `{}`; both must share a namespace",
                ns(&workload.metadata.namespace),
                ns(&source.metadata.namespace)
            ),
        ));
    }
    check_bounds(target.min, target.max, &at, &mut diags);
    if target.max.is_none() {
        diags.push(diag(
            Severity::Info,
            Code::Defaulted,
            &at.key("max"),
            "the source has no max: every replica stays in the source and the units get none",
        ));
    }
    if workload.spec.replicas.is_some_and(|r| r < 0) {
        diags.push(diag(
            Severity::Error,
            Code::InvalidValue,
            &root.key("spec").key("replicas"),
            "replicas must not be negative",
        ));
    }

    validate_units(workload, source, &source_name, &mut diags);
    validate_source(source, &mut diags);
    diags
}

fn validate_units(workload: &ElasticWorkload, source: &Deployment, source_name: &str, diags: &mut Vec<Diagnostic>) {
    let units_at = Pointer::root().key("spec").key("elasticUnit");
    if workload.spec.elastic_unit.is_empty() {
        diags.push(
            diag(Severity::Error, Code::MissingField, &units_at, "the ElasticWorkload has no elasticUnit")
                .help("add a unit, e.g. {name: virtual-kubelet, labels: {alibabacloud.com/eci: \"true\"}}"),
        );
    }
    let selector = source.spec.selector.match_labels.clone().unwrap_or_default();
    let template_labels = source.spec.template.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default();
    let mut seen = BTreeSet::new();
    for (i, unit) in workload.spec.elastic_unit.iter().enumerate() {
        let at = units_at.index(i);
        if !is_dns_label(&unit.name) {
            diags.push(
                diag(
                    Severity::Error,
                    Code::InvalidValue,
                    &at.key("name"),
                    format!("unit name `{}` is not a DNS label", unit.name),
                )
                .help("1–63 lowercase letters, digits and `-`; it names the unit's Deployment and labels its pods"),
            );
        } else if !seen.insert(unit.name.as_str()) {
            diags.push(diag(
                Severity::Error,
                Code::Conflict,
                &at.key("name"),
                format!("unit `{}` is defined twice", unit.name),
            ));
        }
        let deployment = unit_deployment_name(source_name, &unit.name);
        if deployment.len() > MAX_DEPLOYMENT_NAME {
            diags.push(
                diag(
                    Severity::Error,
                    Code::InvalidValue,
                    &at.key("name"),
                    format!("the unit's Deployment name is {} characters, too long for a Deployment", deployment.len()),
                )
                .help(format!(
                    "`<source>-unit-<unit>` must be at most {MAX_DEPLOYMENT_NAME} characters so its ReplicaSets' names fit in 253; shorten the unit name"
                )),
            );
        }
        check_bounds(unit.min, unit.max, &at, diags);
        check_labels(&unit.labels, &at.key("labels"), Input::ElasticWorkload, diags);
        if unit.labels.contains_key(UNIT_LABEL) {
            diags.push(diag(
                Severity::Error,
                Code::Conflict,
                &at.key("labels").key(UNIT_LABEL),
                format!("{UNIT_LABEL} is set by eci-bridge to keep unit selectors apart"),
            ));
        }
        for (k, v) in &unit.labels {
            if selector.get(k).is_some_and(|s| s != v) {
                diags.push(
                    diag(
                        Severity::Warning,
                        Code::Conflict,
                        &at.key("labels").key(k),
                        format!("the unit changes `{k}`, which the source's selector uses; its pods leave the ElasticWorkload's selector"),
                    )
                    .help("Services and the HPA selecting the source's pods will not see this unit's pods"),
                );
            }
        }
        let mut pod_labels = template_labels.clone();
        pod_labels.extend(unit.labels.clone());
        for (j, e) in source.spec.selector.match_expressions.iter().flatten().enumerate() {
            let alone = LabelSelector { match_labels: None, match_expressions: Some(vec![e.clone()]) };
            if unit.labels.contains_key(&e.key) && !label_selector_matches(&alone, &pod_labels) {
                diags.push(
                    diag(
                        Severity::Error,
                        Code::Conflict,
                        &at.key("labels").key(&e.key),
                        format!(
                            "the unit's `{}` contradicts the source's selector expression {}; its Deployment could not select its own pods",
                            e.key,
                            crate::labels::selector_string(&alone)
                        ),
                    )
                    .help(format!("the source selector is /spec/selector/matchExpressions/{j} of the Deployment; drop the unit label or change the expression")),
                );
            }
        }
        let routes = unit.node_selector.is_some()
            || unit.tolerations.is_some()
            || unit.affinity.is_some()
            || !unit.labels.is_empty()
            || !unit.annotations.is_empty();
        if !routes {
            diags.push(diag(
                Severity::Warning,
                Code::MissingField,
                &at,
                "the unit sets no labels, annotations or scheduling policy: its pods schedule like the source's",
            ));
        }
    }
}

fn validate_source(source: &Deployment, diags: &mut Vec<Diagnostic>) {
    let on_source = |d: Diagnostic| d.on(Input::Workload);
    let spec = &source.spec;
    let selected = spec.selector.match_labels.as_ref().is_some_and(|m| !m.is_empty())
        || spec.selector.match_expressions.as_ref().is_some_and(|e| !e.is_empty());
    if !selected {
        diags.push(on_source(diag(
            Severity::Error,
            Code::MissingField,
            &Pointer::root().key("spec").key("selector"),
            "the source Deployment has no selector",
        )));
    }
    let template_labels = spec.template.metadata.as_ref().and_then(|m| m.labels.as_ref());
    if template_labels.is_some_and(|l| l.contains_key(UNIT_LABEL)) {
        diags.push(on_source(diag(
            Severity::Error,
            Code::Conflict,
            &Pointer::root().key("spec").key("template").key("metadata").key("labels").key(UNIT_LABEL),
            format!("the source's pods already carry {UNIT_LABEL}; unit selectors could not exclude them"),
        )));
    }
}
