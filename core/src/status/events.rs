//! ECI `Events[]` → Kubernetes `Event` objects.
//!
//! Repeated ECI events must not flood the pod's events (peers: UnknownError
//! re-emitted as many FailedScheduling events, alibabacloud-eci#8). Events
//! are grouped by reason and message template (the documented message with
//! its `%s` parts), so one Event per kind of problem carries the summed
//! count, the earliest first and the latest last timestamp, and the latest
//! message. Event names are derived from the pod and the group, so the same
//! ECI events give the same Event names on every poll, and a provider
//! updates the count of one Event instead of creating another.

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::tables::{event_row, event_rows};
use crate::eci::describe::{ContainerGroup, GroupEvent};

/// The component Kubernetes shows as the source.
pub const EVENT_SOURCE: &str = "EciService";

/// True when `message` fits the documented `template` (`%s` = anything).
pub fn matches_template(template: &str, message: &str) -> bool {
    let parts: Vec<&str> = template.split("%s").collect();
    if parts.len() == 1 {
        return template == message;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !message.starts_with(first) || !message.ends_with(last) || message.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &message[first.len()..message.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

fn parse(t: Option<&str>) -> Option<Timestamp> {
    t.and_then(|t| t.parse::<Timestamp>().ok())
}

/// What groups one ECI event with another.
fn group_key(e: &GroupEvent) -> (String, String) {
    let reason = e.reason.clone().unwrap_or_default();
    let message = e.message.clone().unwrap_or_default();
    match event_rows(&reason).find(|row| matches_template(row.message, &message)) {
        Some(row) => (reason, row.message.to_string()),
        None => (reason, message),
    }
}

/// The Kubernetes type of an ECI event: the `Type` ECI sent with it when it
/// is one of Kubernetes' two (ECI reports `Normal` and `Warning` itself; the
/// "ECI自定义事件" tables document the type of each reason), else the
/// documented type of the reason, else `Warning` (a reason nobody documents
/// and that comes without a type is worth a look).
pub fn event_type(sent: Option<&str>, reason: &str) -> &'static str {
    match sent {
        Some("Normal") => "Normal",
        Some("Warning") => "Warning",
        _ => event_row(reason).map_or("Warning", |r| r.event_type),
    }
}

/// The first 8 bytes of SHA-256 as hex: stable, short object-name suffixes.
pub(crate) fn short_hash(text: &str) -> String {
    use std::fmt::Write;
    Sha256::digest(text.as_bytes()).iter().take(8).fold(String::with_capacity(16), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// An ECI event with its times parsed once.
struct Timed<'a> {
    event: &'a GroupEvent,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

/// The pod's Kubernetes Events for an instance's ECI events.
pub fn pod_events(group: &ContainerGroup, pod: &Pod, now: Timestamp) -> Vec<Event> {
    let mut groups: Vec<((String, String), Vec<Timed<'_>>)> = Vec::new();
    for e in &group.events {
        let key = group_key(e);
        let (first, last) = (parse(e.first_timestamp.as_deref()), parse(e.last_timestamp.as_deref()));
        let timed = Timed { event: e, first: first.or(last), last: last.or(first) };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(timed),
            None => groups.push((key, vec![timed])),
        }
    }
    let name = pod.metadata.name.clone().unwrap_or_default();
    let namespace = pod.metadata.namespace.clone().unwrap_or_else(|| "default".into());
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
    groups
        .into_iter()
        .map(|((reason, template), events)| {
            let count: i64 = events.iter().map(|e| e.event.count.unwrap_or(1).max(1)).fold(0, i64::saturating_add);
            let first = events.iter().filter_map(|e| e.first).min();
            let last = events.iter().filter_map(|e| e.last).max();
            let newest = events.iter().max_by_key(|e| e.last);
            let latest = newest.and_then(|e| e.event.message.clone()).unwrap_or_default();
            let event_type = event_type(newest.and_then(|e| e.event.r#type.as_deref()), &reason);
            Event {
                metadata: ObjectMeta {
                    name: Some(format!(
                        "{name}.{}",
                        short_hash(&format!("{uid}/{namespace}/{name}/{reason}/{template}"))
                    )),
                    namespace: Some(namespace.clone()),
                    ..Default::default()
                },
                involved_object: ObjectReference {
                    api_version: Some("v1".into()),
                    kind: Some("Pod".into()),
                    name: Some(name.clone()),
                    namespace: Some(namespace.clone()),
                    uid: (!uid.is_empty()).then(|| uid.clone()),
                    ..Default::default()
                },
                reason: Some(reason),
                message: Some(latest),
                type_: Some(event_type.into()),
                count: Some(i32::try_from(count).unwrap_or(i32::MAX)),
                first_timestamp: Some(Time(first.unwrap_or(now))),
                last_timestamp: Some(Time(last.unwrap_or(now))),
                source: Some(EventSource { component: Some(EVENT_SOURCE.into()), host: node.clone() }),
                reporting_component: Some(EVENT_SOURCE.into()),
                reporting_instance: node.clone(),
                ..Default::default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert!(matches_template("Spot ECI will be released in %s minutes", "Spot ECI will be released in 3 minutes"));
        assert!(!matches_template("Spot ECI will be released in %s minutes", "Spot ECI released"));
        assert!(matches_template(
            "The maximum number of IP address in the VSwitch %s is exceeded",
            "The maximum number of IP address in the VSwitch vsw-1 is exceeded"
        ));
        assert!(matches_template("Started container %s", "Started container nginx"));
    }

    #[test]
    fn repeated_events_become_one_with_a_count() {
        let pod: Pod =
            serde_json::from_value(serde_json::json!({"metadata": {"name": "p", "namespace": "ns", "uid": "u"}}))
                .unwrap();
        let group: ContainerGroup = serde_json::from_value(serde_json::json!({"Events": [
            {"Reason": "UnknownError", "Message": "An unknown error occurred for req-1", "Count": 1, "Type": "Warning",
             "FirstTimestamp": "2026-11-23T09:00:00Z", "LastTimestamp": "2026-11-23T09:00:00Z"},
            {"Reason": "UnknownError", "Message": "An unknown error occurred for req-2", "Count": 2, "Type": "Warning",
             "FirstTimestamp": "2026-11-23T09:01:00Z", "LastTimestamp": "2026-11-23T09:05:00Z"},
            {"Reason": "Pulled", "Message": "Successfully pulled image nginx", "Count": 1, "Type": "Normal",
             "FirstTimestamp": "2026-11-23T09:00:30Z", "LastTimestamp": "2026-11-23T09:00:30Z"},
            {"Reason": "MysteryReason", "Message": "?", "Type": "Normal"},
            {"Reason": "OtherMystery", "Message": "?"}
        ]}))
        .unwrap();
        let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let events = pod_events(&group, &pod, now);
        assert_eq!(events.len(), 4, "the two UnknownError events share the documented template");
        let unknown: Vec<_> = events.iter().filter(|e| e.reason.as_deref() == Some("UnknownError")).collect();
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0].count, Some(3));
        assert_eq!(unknown[0].message.as_deref(), Some("An unknown error occurred for req-2"));
        assert_eq!(
            unknown[0].first_timestamp.as_ref().map(|t| t.0.to_string()).as_deref(),
            Some("2026-11-23T09:00:00Z")
        );
        assert_eq!(
            events
                .iter()
                .find(|e| e.reason.as_deref() == Some("MysteryReason"))
                .and_then(|e| e.type_.clone())
                .as_deref(),
            Some("Normal"),
            "an undocumented reason keeps the type ECI sent"
        );
        let other = events.iter().find(|e| e.reason.as_deref() == Some("OtherMystery"));
        assert_eq!(other.and_then(|e| e.type_.clone()).as_deref(), Some("Warning"), "no type sent, none documented");
        assert_eq!(pod_events(&group, &pod, now), events, "stable names and content");
    }

    #[test]
    fn the_sent_type_wins_then_the_documented_one() {
        assert_eq!(event_type(None, "ImageCacheAutoCreated"), "Normal");
        assert_eq!(event_type(Some(""), "ContainerGroup.NoStock"), "Warning");
        assert_eq!(event_type(Some("Normal"), "NoStock"), "Normal");
        assert_eq!(event_type(None, "AliyunSlsError"), "Warning");
        assert_eq!(event_type(None, "Unheard"), "Warning");
    }
}
