//! ElasticWorkload: split a Deployment's replicas between the source and
//! cloned "units" such as the virtual node, as the ACK elastic-workload
//! controller does (docs/elastic.md#elasticworkload).
//!
//! [`reconcile`] takes the ElasticWorkload, its source Deployment, the unit
//! Deployments that exist already and the time, and returns what the
//! controller would write: the source with its replicas rewritten, one
//! Deployment per unit ([`mod@unit`]), the units to delete, the ElasticWorkload's
//! `status` and its `/scale` view (so an HPA can target it), and the
//! documented events (`SourceUpdate`, `UnitCreation`, `UnitUpdate`,
//! `ElasticWorkloadUpdate`; `UnitDeletion` is ours, for units removed from the
//! spec). The split itself is [`mod@split`]; validation is [`mod@validate`].
//!
//! Choices where the documents are silent are listed in [`mod@split`] (R below
//! the source min, unit min/max, replicas beyond every max) and [`mod@unit`]
//! (scheduling policy, non-overlapping selectors). `spec.replicas` defaults
//! to the source's current replicas; a `/scale` request (`--replicas`)
//! overrides it. `status.replicas` counts placed replicas, so replicas
//! beyond every max show up as a gap between spec and status.

pub mod case;
pub mod crd;
pub mod model;
pub mod split;
pub mod unit;
pub mod validate;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v1::{Scale, ScaleSpec, ScaleStatus};
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use crate::diagnostics::{Code, Diagnostic, Input, Severity};
pub use case::ElasticCase;
pub use model::{ElasticUnit, ElasticWorkload, ElasticWorkloadSpec, ElasticWorkloadStatus, SourceTarget};
pub use split::{Bounds, Split, split};
pub use unit::{UNIT_LABEL, unit_deployment, unit_deployment_name};

/// The event source the ACK controller reports as.
pub const EVENT_COMPONENT: &str = "ElasticWorkload";

/// What [`reconcile`] needs.
#[derive(Debug, Clone, Copy)]
pub struct ElasticInput<'a> {
    /// The ElasticWorkload.
    pub workload: &'a ElasticWorkload,
    /// Its source Deployment, as it is now.
    pub source: &'a Deployment,
    /// Unit Deployments that exist now (any may be stale or orphaned).
    pub existing_units: &'a [Deployment],
    /// A `/scale` request overriding `spec.replicas`.
    pub replicas: Option<i32>,
    /// The time, for status and event timestamps.
    pub now: Timestamp,
}

/// What the controller writes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Reconciled {
    /// The source Deployment with its share of the replicas.
    pub source: Deployment,
    /// One Deployment per unit, in unit order.
    pub units: Vec<Deployment>,
    /// Names of existing unit Deployments no unit claims any more.
    pub deleted_units: Vec<String>,
    /// The ElasticWorkload with its new status (and the replicas it was scaled to).
    pub workload: ElasticWorkload,
    /// The `/scale` subresource view.
    pub scale: Scale,
    /// The numbers.
    pub split: Split,
    /// Events about the ElasticWorkload.
    pub events: Vec<Event>,
    /// Problems.
    pub diagnostics: Vec<Diagnostic>,
}

fn to_u32(v: Option<i32>) -> Option<u32> {
    v.map(|v| u32::try_from(v).unwrap_or(0))
}

fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// The bounds as [`fn@split`] takes them (negative values count as 0; a min
/// above its max is reported by [`validate`] and capped here).
fn bounds(min: Option<i32>, max: Option<i32>) -> Bounds {
    let max = to_u32(max);
    let min = to_u32(min).unwrap_or(0);
    Bounds::new(max.map_or(min, |m| min.min(m)), max)
}

/// The time a share last changed: kept while the share is the same.
fn stamp(previous: Option<(i32, Option<Time>)>, desired: i32, now: Timestamp) -> Option<Time> {
    match previous {
        Some((replicas, Some(at))) if replicas == desired => Some(at),
        _ => Some(Time(now)),
    }
}

/// Reconciles an ElasticWorkload.
pub fn reconcile(input: &ElasticInput<'_>) -> Reconciled {
    let ElasticInput { workload, source, existing_units, now, .. } = *input;
    let mut diagnostics = validate::validate(workload, source);
    let source_name = source.metadata.name.clone().unwrap_or_default();
    let current_source = source.spec.replicas.unwrap_or(1);
    let asked = input.replicas.or(workload.spec.replicas).unwrap_or(current_source);
    if asked < 0 {
        // The API server refuses negative replicas (scale subresource and spec alike); so do we, rather than read 0.
        let help =
            if input.replicas.is_some() { "scale to 0 or more replicas" } else { "set spec.replicas to 0 or more" };
        diagnostics.push(
            Diagnostic::pod(
                Severity::Error,
                Code::InvalidValue,
                "/spec/replicas",
                format!("replicas {asked} is negative"),
            )
            .on(Input::ElasticWorkload)
            .help(help),
        );
    }
    let replicas = asked.max(0);
    if input.replicas.is_none() && workload.spec.replicas.is_none() {
        diagnostics.push(
            Diagnostic::pod(
                Severity::Info,
                Code::Defaulted,
                "/spec/replicas",
                format!("spec.replicas is not set; the source's current {current_source} replicas are split"),
            )
            .on(Input::ElasticWorkload),
        );
    }

    let target = &workload.spec.source_target;
    let unit_bounds: Vec<Bounds> = workload.spec.elastic_unit.iter().map(|u| bounds(u.min, u.max)).collect();
    let split = split(u32::try_from(replicas).unwrap_or(0), bounds(target.min, target.max), &unit_bounds);
    if split.unplaced > 0 && !workload.spec.elastic_unit.is_empty() {
        diagnostics.push(
            Diagnostic::pod(
                Severity::Warning,
                Code::ReplicasUnplaced,
                "/spec/replicas",
                format!(
                    "{} of {replicas} replicas exceed the source's and every unit's max; they are not created",
                    split.unplaced
                ),
            )
            .on(Input::ElasticWorkload)
            .help("raise a max, add a unit without a max, or lower the HPA's maxReplicas"),
        );
    }

    let mut new_source = source.clone();
    new_source.metadata = unit::user_metadata(&source.metadata);
    new_source.status = None;
    new_source.spec.replicas = Some(to_i32(split.source));
    let units: Vec<Deployment> = workload
        .spec
        .elastic_unit
        .iter()
        .zip(&split.units)
        .map(|(u, n)| unit_deployment(source, workload, u, to_i32(*n)))
        .collect();
    let claimed: Vec<String> = units.iter().filter_map(|d| d.metadata.name.clone()).collect();
    let orphan_prefix = format!("{source_name}-unit-");
    let deleted_units: Vec<String> = existing_units
        .iter()
        .filter_map(|d| d.metadata.name.clone())
        .filter(|n| n.starts_with(&orphan_prefix) && !claimed.contains(n))
        .collect();

    let status = new_status(workload, source, &split, &units, now);
    let events = events(input, current_source, &split, &units, &deleted_units, &status);
    let mut scaled = workload.clone();
    scaled.spec.replicas = Some(replicas);
    let scale = Scale {
        metadata: ObjectMeta {
            name: workload.metadata.name.clone(),
            namespace: workload.metadata.namespace.clone(),
            ..Default::default()
        },
        spec: Some(ScaleSpec { replicas: Some(replicas) }),
        status: Some(ScaleStatus { replicas: status.replicas, selector: Some(status.selector.clone()) }),
    };
    scaled.status = Some(status);
    Reconciled { source: new_source, units, deleted_units, workload: scaled, scale, split, events, diagnostics }
}

fn new_status(
    workload: &ElasticWorkload,
    source: &Deployment,
    split: &Split,
    units: &[Deployment],
    now: Timestamp,
) -> ElasticWorkloadStatus {
    let previous = workload.status.as_ref();
    let target = &workload.spec.source_target;
    let source_desired = to_i32(split.source);
    let selector = crate::labels::selector_string(&source.spec.selector);
    let previous_source =
        previous.map(|p| (p.source_target.desired_replicas, p.source_target.update_timestamp.clone()));
    ElasticWorkloadStatus {
        replicas: to_i32(split.placed()),
        selector,
        source_target: model::SourceTargetStatus {
            api_version: if target.api_version.is_empty() { "apps/v1".into() } else { target.api_version.clone() },
            kind: if target.kind.is_empty() { "Deployment".into() } else { target.kind.clone() },
            name: target.name.clone(),
            desired_replicas: source_desired,
            update_timestamp: stamp(previous_source, source_desired, now),
        },
        elastic_units_status: units
            .iter()
            .zip(&split.units)
            .map(|(d, n)| {
                let name = d.metadata.name.clone().unwrap_or_default();
                let desired = to_i32(*n);
                let before = previous
                    .and_then(|p| p.elastic_units_status.iter().find(|u| u.name == name))
                    .map(|u| (u.desired_replicas, u.update_timestamp.clone()));
                model::UnitStatus { name, desired_replicas: desired, update_timestamp: stamp(before, desired, now) }
            })
            .collect(),
    }
}

/// The documented events, with the ACK controller's messages.
fn events(
    input: &ElasticInput<'_>,
    current_source: i32,
    split: &Split,
    units: &[Deployment],
    deleted: &[String],
    status: &ElasticWorkloadStatus,
) -> Vec<Event> {
    let workload = input.workload;
    let mut found: Vec<(&str, String)> = Vec::new();
    let new_source = to_i32(split.source);
    if new_source != current_source {
        found.push(("SourceUpdate", format!("Source Target scale from {current_source} to {new_source}")));
    }
    for (unit, deployment) in workload.spec.elastic_unit.iter().zip(units) {
        let name = deployment.metadata.name.clone().unwrap_or_default();
        match input.existing_units.iter().find(|d| d.metadata.name.as_deref() == Some(name.as_str())) {
            None => found.push(("UnitCreation", format!("ElasticWorkloadUnit {name} created"))),
            Some(existing) if existing.spec != deployment.spec => {
                found.push(("UnitUpdate", format!("ElasticWorkloadUnit {} has been updated", unit.name)))
            }
            Some(_) => {}
        }
    }
    for name in deleted {
        found.push(("UnitDeletion", format!("ElasticWorkloadUnit {name} deleted")));
    }
    let changed = workload.status.as_ref().is_none_or(|previous| {
        previous.replicas != status.replicas
            || previous.source_target.desired_replicas != status.source_target.desired_replicas
            || previous
                .elastic_units_status
                .iter()
                .map(|u| (&u.name, u.desired_replicas))
                .ne(status.elastic_units_status.iter().map(|u| (&u.name, u.desired_replicas)))
    });
    if changed || !found.is_empty() {
        found.push(("ElasticWorkloadUpdate", "ElasticWorkload update".into()));
    }
    found.into_iter().map(|(reason, message)| event(workload, reason, message, input.now)).collect()
}

fn event(workload: &ElasticWorkload, reason: &str, message: String, now: Timestamp) -> Event {
    let name = workload.metadata.name.clone().unwrap_or_default();
    let namespace = workload.metadata.namespace.clone().unwrap_or_else(|| "default".into());
    Event {
        metadata: ObjectMeta {
            name: Some(format!("{name}.{}", crate::status::events::short_hash(&format!("{reason}/{message}")))),
            namespace: Some(namespace.clone()),
            ..Default::default()
        },
        involved_object: ObjectReference {
            api_version: Some(model::API_VERSION.into()),
            kind: Some(model::KIND.into()),
            name: Some(name),
            namespace: Some(namespace),
            uid: workload.metadata.uid.clone(),
            ..Default::default()
        },
        reason: Some(reason.into()),
        message: Some(message),
        type_: Some("Normal".into()),
        count: Some(1),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        source: Some(EventSource { component: Some(EVENT_COMPONENT.into()), host: None }),
        reporting_component: Some(EVENT_COMPONENT.into()),
        ..Default::default()
    }
}
