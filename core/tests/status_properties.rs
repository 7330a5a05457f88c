//! Property tests of the status mapping: any instance the API could send
//! (including malformed times, unknown states and containers the pod does
//! not have) gives a status without panicking, with a Kubernetes phase and
//! one container status per declared container.
#![cfg(not(target_arch = "wasm32"))]

use eci_bridge_core::ClusterSettings;
use eci_bridge_core::eci::describe::{ContainerGroup, ContainerState, GroupContainer, GroupEvent};
use eci_bridge_core::status::{pod_events, pod_status, pod_status_gone, pod_with_status};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use proptest::prelude::*;

const NAMES: &[&str] = &["web", "sidecar", "init-db", "log-agent", "", "WEB"];
const STATUSES: &[&str] = &[
    "Scheduling",
    "Pending",
    "Running",
    "Restarting",
    "Updating",
    "Terminating",
    "Succeeded",
    "Failed",
    "Expired",
    "ScheduleFailed",
    "StartingFailed",
    "",
];
const STATES: &[&str] = &["Waiting", "Running", "Terminated", "Unknown", ""];
const REASONS: &[&str] =
    &["NoStock", "SpotToBeReleased", "UnknownError", "ContainerGroup.Created", "BackOff", "Pulling", "", "Made-Up"];

fn text(pool: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::sample::select(pool).prop_map(String::from))
}

/// Valid RFC 3339 times around "now", and some garbage.
fn time() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        (0u32..3600).prop_map(|s| Some(format!("2026-11-23T{:02}:{:02}:{:02}Z", 9 + s / 3600, (s / 60) % 60, s % 60))),
        Just(Some("yesterday".to_string())),
        Just(Some(String::new())),
        Just(None),
    ]
}

fn state() -> impl Strategy<Value = ContainerState> {
    (text(STATES), text(REASONS), prop::option::of(-300i64..300), prop::option::of(-2i64..40), time(), time()).prop_map(
        |(state, reason, exit_code, signal, start_time, finish_time)| ContainerState {
            state,
            reason,
            message: Some("m".into()),
            exit_code,
            signal,
            start_time,
            finish_time,
            ..Default::default()
        },
    )
}

fn container() -> impl Strategy<Value = GroupContainer> {
    (text(NAMES), prop::option::of(state()), prop::option::of(state()), any::<Option<bool>>(), any::<Option<i64>>())
        .prop_map(|(name, current_state, previous_state, ready, restart_count)| GroupContainer {
            name,
            image: Some("nginx".into()),
            current_state,
            previous_state,
            ready,
            restart_count,
            ..Default::default()
        })
}

fn event() -> impl Strategy<Value = GroupEvent> {
    (text(REASONS), any::<Option<i64>>(), time(), time(), prop::option::of("[a-z %0-9]{0,12}")).prop_map(
        |(reason, count, first_timestamp, last_timestamp, message)| GroupEvent {
            reason,
            count,
            first_timestamp,
            last_timestamp,
            message,
            r#type: Some("Warning".into()),
            ..Default::default()
        },
    )
}

fn group() -> impl Strategy<Value = ContainerGroup> {
    (
        text(STATUSES),
        prop::collection::vec(container(), 0..6),
        prop::collection::vec(container(), 0..3),
        prop::collection::vec(event(), 0..8),
        time(),
        prop::option::of(prop::sample::select(&["10.0.0.5", "not-an-ip", "", "fd00::5"][..]).prop_map(String::from)),
    )
        .prop_map(|(status, containers, init_containers, events, creation_time, intranet_ip)| ContainerGroup {
            container_group_id: Some("eci-prop".into()),
            status,
            containers,
            init_containers,
            events,
            creation_time,
            intranet_ip,
            ..Default::default()
        })
}

/// A pod with 1–4 distinct app containers and 0–2 init containers.
fn pod() -> impl Strategy<Value = Pod> {
    (prop::sample::subsequence(&["web", "sidecar", "log-agent", "metrics"][..], 1..=4), 0usize..=2, any::<bool>())
        .prop_map(|(apps, inits, never)| {
            let containers: Vec<_> = apps.iter().map(|n| serde_json::json!({"name": n, "image": "nginx"})).collect();
            let init: Vec<_> =
                (0..inits).map(|i| serde_json::json!({"name": format!("init-{i}"), "image": "busybox"})).collect();
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "p", "namespace": "ns", "uid": "u"},
                "spec": {"containers": containers, "initContainers": init,
                         "restartPolicy": if never { "Never" } else { "Always" }}
            }))
            .expect("a pod")
        })
}

fn count(list: &Option<Vec<k8s_openapi::api::core::v1::ContainerStatus>>) -> usize {
    list.as_ref().map_or(0, Vec::len)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_instance_gives_a_valid_status(group in group(), pod in pod()) {
        let now: Timestamp = "2026-11-23T10:00:00Z".parse().expect("a time");
        let spec = pod.spec.clone().unwrap_or_default();
        for result in [pod_status(&group, &pod, now, &ClusterSettings::example()), pod_status_gone(&pod, now)] {
            let phase = result.status.phase.clone().unwrap_or_default();
            prop_assert!(["Pending", "Running", "Succeeded", "Failed", "Unknown"].contains(&phase.as_str()), "{phase}");
            prop_assert_eq!(count(&result.status.container_statuses), spec.containers.len());
            prop_assert_eq!(
                count(&result.status.init_container_statuses),
                spec.init_containers.as_ref().map_or(0, Vec::len)
            );
            // Merging never touches the spec.
            prop_assert_eq!(pod_with_status(&pod, &result.status).spec, pod.spec.clone());
        }
        // Events: at most one per distinct (reason, message) pair, counts positive.
        let events = pod_events(&group, &pod, now);
        prop_assert!(events.len() <= group.events.len());
        for e in &events {
            prop_assert!(e.count.unwrap_or(0) >= 1);
        }
    }
}
