//! The provider engine's actions in the documented scenarios, as insta
//! snapshots: a fake ECI answers each call from a script, and every action
//! is written as one line with the virtual time.

use std::collections::BTreeMap;

use eci_bridge_core::eci::request::{Container, CreateContainerGroupRequest};
use eci_bridge_core::eci::wire::WireParams;
use eci_bridge_core::provider::{
    Action, CLUSTER_TAG, CallError, Deletion, Engine, EngineConfig, Input, Millis, POD_TAG, PodSpec,
};
use serde_json::{Value, json};

const T0: Millis = 1_800_000_000_000;

/// A fake ECI: instances by id, with the pod tag; the script can refuse.
#[derive(Default)]
struct FakeEci {
    instances: BTreeMap<String, (String, String, String)>,
    next: u32,
    tokens: BTreeMap<String, String>,
}

/// What the script does with one call.
enum Reply {
    Normal,
    Fail(CallError),
    /// Applied, then no answer.
    Lose,
}

impl FakeEci {
    fn with_instance(mut self, id: &str, cluster: &str, uid: &str, status: &str) -> FakeEci {
        self.instances.insert(id.into(), (cluster.into(), uid.into(), status.into()));
        self
    }

    fn apply(&mut self, action: &str, params: &WireParams) -> Value {
        let tag = |k: &str| {
            (1..=8).find_map(|i| {
                (params.get(&format!("Tag.{i}.Key")) == Some(k)).then(|| params.get(&format!("Tag.{i}.Value")))?
            })
        };
        match action {
            "CreateContainerGroup" => {
                let token = params.get("ClientToken").unwrap_or_default().to_string();
                if let Some(id) = self.tokens.get(&token) {
                    return json!({"ContainerGroupId": id});
                }
                self.next += 1;
                let id = format!("eci-{}", self.next);
                let (cluster, uid) = (tag(CLUSTER_TAG).unwrap_or_default(), tag(POD_TAG).unwrap_or_default());
                self.instances.insert(id.clone(), (cluster.into(), uid.into(), "Pending".into()));
                self.tokens.insert(token, id.clone());
                json!({"ContainerGroupId": id})
            }
            "DeleteContainerGroup" => {
                self.instances.remove(params.get("ContainerGroupId").unwrap_or_default());
                json!({})
            }
            "DescribeContainerGroups" => {
                let (cluster, uid) = (tag(CLUSTER_TAG), tag(POD_TAG));
                let groups: Vec<Value> = self
                    .instances
                    .iter()
                    .filter(|(_, (c, u, _))| cluster.is_none_or(|x| x == c) && uid.is_none_or(|x| x == u))
                    .map(|(id, (c, u, s))| {
                        json!({"ContainerGroupId": id, "Status": s,
                            "Tags": [{"Key": CLUSTER_TAG, "Value": c}, {"Key": POD_TAG, "Value": u}]})
                    })
                    .collect();
                json!({"ContainerGroups": groups, "NextToken": ""})
            }
            "DescribeContainerGroupStatus" => {
                // "Releasing": a Running spot instance with its release notice.
                let data: Vec<Value> = self
                    .instances
                    .iter()
                    .map(|(id, (_, _, s))| {
                        let conditions = if s == "Releasing" {
                            json!([{"type": "ContainerInstanceExpired", "status": "True", "Reason": "SpotToBeReleased",
                                "Message": "Spot ECI will be released in 3 minutes"}])
                        } else {
                            json!([])
                        };
                        let status = if s == "Releasing" { "Running" } else { s.as_str() };
                        json!({"ContainerGroupId": id, "Status": status, "PodStatus": {"Conditions": conditions}})
                    })
                    .collect();
                json!({"Data": data, "NextToken": ""})
            }
            _ => json!({}),
        }
    }
}

fn line(at: Millis, action: &Action) -> String {
    let t = format!("{:>7.1}s", (at - T0) as f64 / 1000.0);
    match action {
        Action::Call { id, action, params } => {
            let shown: Vec<String> = [
                "ContainerGroupId",
                "Force",
                "Tag.2.Value",
                "SinceSecond",
                "NextToken",
                "VSwitchId",
                "ScheduleStrategy",
            ]
            .iter()
            .filter_map(|k| Some(format!("{k}={}", params.get(k)?)))
            .collect();
            let token = params.get("ClientToken").map(|t| format!(" token={}", &t[..8])).unwrap_or_default();
            format!("{t} call #{id} {action} {}{token}", shown.join(" "))
        }
        Action::PodStatus { uid, phase, reason, message, instance } => {
            format!("{t} status {uid}: {phase} reason={reason:?} message={message:?} instance={instance:?}")
        }
        Action::Event { uid, kind, reason, message } => format!("{t} event {uid}: {kind} {reason}: {message}"),
        Action::ForgetPod { uid } => format!("{t} forget {uid}"),
        Action::RenewLease { node } => format!("{t} lease {node}"),
        Action::NodeStatus { node } => format!("{t} node status {node}"),
        Action::PodCondition { uid, kind, status, reason, message } => {
            format!("{t} condition {uid}: {kind}={status} {reason}: {message}")
        }
    }
}

/// Runs the engine to `until`, answering calls through the script.
fn run(
    engine: &mut Engine,
    eci: &mut FakeEci,
    from: Millis,
    until: Millis,
    script: &mut dyn FnMut(&str, &WireParams) -> Reply,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut now = from;
    while now <= until {
        while let Some(action) = engine.poll(now) {
            out.push(line(now, &action));
            if let Action::Call { id, action, params } = action {
                let result = match script(action, &params) {
                    Reply::Normal => Ok(eci.apply(action, &params)),
                    Reply::Fail(e) => Err(e),
                    Reply::Lose => {
                        eci.apply(action, &params);
                        Err(CallError::no_answer("Timeout"))
                    }
                };
                engine.handle(now, Input::Answer { call: id, result });
            }
        }
        now = engine.next_deadline().unwrap_or(until + 1).clamp(now + 1, until + 1);
    }
    out
}

fn config() -> EngineConfig {
    EngineConfig {
        poll_every: 10_000,
        resync_every: 60_000,
        orphan_grace: 30_000,
        ..EngineConfig::new("c1", "cn-hangzhou")
    }
}

fn pod(uid: &str, fail_fast: bool) -> PodSpec {
    PodSpec {
        uid: uid.into(),
        namespace: "default".into(),
        name: uid.into(),
        request: CreateContainerGroupRequest {
            container_group_name: Some(format!("default-{uid}")),
            container: vec![Container {
                name: Some("app".into()),
                image: Some("nginx".into()),
                ..Container::default()
            }],
            ..CreateContainerGroupRequest::default()
        },
        fail_fast,
        deletion: None,
        zone: None,
    }
}

fn refused() -> CallError {
    CallError {
        status: 400,
        code: "InvalidParameter".into(),
        message: "The specified parameter \"Cpu\" is not valid".into(),
    }
}

fn normal(_: &str, _: &WireParams) -> Reply {
    Reply::Normal
}

#[test]
fn create_failure_retries_by_default_and_fails_fast_on_request() {
    for fail_fast in [false, true] {
        let mut e = Engine::new(config(), 7, T0);
        let mut eci = FakeEci::default();
        e.handle(T0, Input::PodUpserted(Box::new(pod("p1", fail_fast))));
        let mut creates = 0;
        let trace = run(&mut e, &mut eci, T0, T0 + 8_000, &mut |action, _| match action {
            "CreateContainerGroup" if creates < 2 => {
                creates += 1;
                Reply::Fail(refused())
            }
            _ => Reply::Normal,
        });
        let name = if fail_fast { "create_failure_fail_fast" } else { "create_failure_default" };
        insta::assert_snapshot!(name, trace.join("\n"));
    }
}

#[test]
fn a_lost_create_answer_is_retried_with_the_same_token() {
    let mut e = Engine::new(config(), 7, T0);
    let mut eci = FakeEci::default();
    e.handle(T0, Input::PodUpserted(Box::new(pod("p1", false))));
    let mut first = true;
    let trace = run(&mut e, &mut eci, T0, T0 + 5_000, &mut |action, _| {
        if action == "CreateContainerGroup" && std::mem::take(&mut first) { Reply::Lose } else { Reply::Normal }
    });
    assert_eq!(eci.instances.len(), 1, "one instance:\n{}", trace.join("\n"));
    insta::assert_snapshot!(trace.join("\n"));
}

#[test]
fn no_stock_replaces_the_instance() {
    let mut e = Engine::new(config(), 7, T0);
    let mut eci = FakeEci::default();
    e.handle(T0, Input::PodUpserted(Box::new(pod("p1", false))));
    let mut trace = run(&mut e, &mut eci, T0, T0 + 1_000, &mut normal);
    for v in eci.instances.values_mut() {
        v.2 = "ScheduleFailed".into();
    }
    trace.extend(run(&mut e, &mut eci, T0 + 1_001, T0 + 25_000, &mut normal));
    assert_eq!(eci.instances.len(), 1, "{}", trace.join("\n"));
    insta::assert_snapshot!(trace.join("\n"));
}

#[test]
fn a_pod_deleted_while_its_create_is_in_flight_leaves_no_instance() {
    let mut e = Engine::new(config(), 7, T0);
    let mut eci = FakeEci::default();
    e.handle(T0, Input::PodUpserted(Box::new(pod("p1", false))));
    // The first listing, then the create goes out; the pod is deleted before its answer.
    let mut trace = Vec::new();
    let mut pending = Vec::new();
    for _ in 0..4 {
        while let Some(action) = e.poll(T0) {
            trace.push(line(T0, &action));
            if let Action::Call { id, action, params } = action {
                let answer = eci.apply(action, &params);
                if action == "CreateContainerGroup" {
                    pending.push((id, answer));
                } else {
                    e.handle(T0, Input::Answer { call: id, result: Ok(answer) });
                }
            }
        }
    }
    let mut deleted = pod("p1", false);
    deleted.deletion = Some(Deletion { grace_seconds: 30 });
    e.handle(T0 + 100, Input::PodUpserted(Box::new(deleted)));
    for (id, answer) in pending {
        e.handle(T0 + 200, Input::Answer { call: id, result: Ok(answer) });
    }
    trace.extend(run(&mut e, &mut eci, T0 + 200, T0 + 5_000, &mut normal));
    assert!(eci.instances.is_empty(), "{}", trace.join("\n"));
    insta::assert_snapshot!(trace.join("\n"));
}

#[test]
fn a_restarted_engine_adopts_and_collects_orphans_but_not_another_clusters() {
    let mut e = Engine::new(config(), 8, T0);
    let mut eci = FakeEci::default()
        .with_instance("eci-mine", "c1", "p1", "Running")
        .with_instance("eci-orphan", "c1", "p-gone", "Running")
        .with_instance("eci-theirs", "c2", "p9", "Running");
    e.handle(T0, Input::PodUpserted(Box::new(pod("p1", false))));
    let trace = run(&mut e, &mut eci, T0, T0 + 70_000, &mut normal);
    assert_eq!(e.instance_of("p1"), Some("eci-mine"));
    assert!(!eci.instances.contains_key("eci-orphan"), "{}", trace.join("\n"));
    assert!(eci.instances.contains_key("eci-theirs"));
    assert!(!trace.iter().any(|l| l.contains("CreateContainerGroup")), "adopted, not created");
    insta::assert_snapshot!(trace.join("\n"));
}

#[test]
fn a_spot_release_notice_then_expiry_fail_the_pod_with_bid_failed() {
    let mut e = Engine::new(config(), 7, T0);
    let mut eci = FakeEci::default();
    e.handle(T0, Input::PodUpserted(Box::new(pod("p1", false))));
    let mut trace = run(&mut e, &mut eci, T0, T0 + 12_000, &mut normal);
    for v in eci.instances.values_mut() {
        v.2 = "Releasing".into();
    }
    trace.extend(run(&mut e, &mut eci, T0 + 12_001, T0 + 35_000, &mut normal));
    for v in eci.instances.values_mut() {
        v.2 = "Expired".into();
    }
    trace.extend(run(&mut e, &mut eci, T0 + 35_001, T0 + 45_000, &mut normal));
    insta::assert_snapshot!(trace.join("\n"));
}

#[test]
fn a_zone_bound_pod_gets_only_its_zones_vswitches() {
    let mut config = config();
    config.vswitch_zones = [("vsw-a", "cn-hangzhou-h"), ("vsw-b", "cn-hangzhou-i")]
        .into_iter()
        .map(|(v, z)| (v.to_string(), z.to_string()))
        .collect();
    let mut e = Engine::new(config, 7, T0);
    let mut eci = FakeEci::default();
    for (uid, zone) in [("region-wide", None), ("zone-i", Some("cn-hangzhou-i")), ("zone-k", Some("cn-hangzhou-k"))] {
        let mut p = pod(uid, false);
        p.request.v_switch_id = Some("vsw-a,vsw-b".into());
        p.request.schedule_strategy = Some("VSwitchRandom".into());
        p.zone = zone.map(str::to_string);
        e.handle(T0, Input::PodUpserted(Box::new(p)));
    }
    let trace = run(&mut e, &mut eci, T0, T0 + 1_000, &mut normal);
    insta::assert_snapshot!(trace.join("\n"));
}

#[test]
fn rate_limits_spread_creates_over_seconds() {
    let mut config = config();
    config.rate_limits = [("CreateContainerGroup".to_string(), 10)].into();
    config.max_in_flight = 1000;
    let mut e = Engine::new(config, 7, T0);
    let mut eci = FakeEci::default();
    for i in 0..35 {
        e.handle(T0, Input::PodUpserted(Box::new(pod(&format!("p{i:02}"), false))));
    }
    let trace = run(&mut e, &mut eci, T0, T0 + 5_000, &mut normal);
    let mut per_second = [0; 6];
    for l in trace.iter().filter(|l| l.contains("CreateContainerGroup")) {
        let seconds: f64 = l.trim_start().split('s').next().and_then(|t| t.parse().ok()).expect("time");
        per_second[seconds as usize] += 1;
    }
    assert_eq!(per_second, [10, 10, 10, 5, 0, 0], "{}", trace.join("\n"));
}

#[test]
fn virtual_nodes_renew_their_leases_and_statuses_on_their_own_clocks() {
    let mut config = config();
    config.nodes = vec!["virtual-kubelet-cn-hangzhou-h".into(), "virtual-kubelet-cn-hangzhou-i".into()];
    let mut e = Engine::new(config, 7, T0);
    let trace = run(&mut e, &mut FakeEci::default(), T0, T0 + 60_000, &mut normal);
    let count = |what: &str| trace.iter().filter(|l| l.contains(what)).count();
    assert_eq!((count(" lease "), count("node status")), (14, 4), "{}", trace.join("\n"));
}

// Found by an independent review (each failed before its fix).

#[test]
fn next_deadline_is_not_in_the_past_while_the_first_listing_is_out() {
    let mut e = Engine::new(config(), 7, T0);
    let mut calls = 0;
    while let Some(a) = e.poll(T0) {
        calls += usize::from(matches!(a, Action::Call { .. }));
    }
    assert_eq!(calls, 1, "only the listing goes out before it is answered");
    let now = T0 + 5_000;
    assert!(e.poll(now).is_none());
    let next = e.next_deadline().expect("the next listing");
    assert!(next > now, "next_deadline {} ms is in the past with nothing to do", next - T0);
}

#[test]
fn a_pod_known_after_the_first_listing_adopts_the_listed_instance() {
    // A previous process made eci-old for p1; the new process's first listing
    // answers before the informer delivers p1 (found by the simulation's late
    // informer: p1 got a second instance until the next resync).
    let mut eci = FakeEci::default().with_instance("eci-old", "c1", "p1", "Running");
    let mut e = Engine::new(config(), 7, T0);
    let mut trace = run(&mut e, &mut eci, T0, T0 + 500, &mut normal);
    e.handle(T0 + 600, Input::PodUpserted(Box::new(pod("p1", false))));
    trace.extend(run(&mut e, &mut eci, T0 + 600, T0 + 1_000, &mut normal));
    assert_eq!(e.instance_of("p1"), Some("eci-old"), "adopted once a lookup confirms it:\n{}", trace.join("\n"));
    trace.extend(run(&mut e, &mut eci, T0 + 1_001, T0 + 400_000, &mut normal));
    assert!(!trace.iter().any(|l| l.contains("CreateContainerGroup")), "no second instance:\n{}", trace.join("\n"));
    let mine: Vec<_> = eci.instances.iter().filter(|(_, (_, u, _))| u == "p1").map(|(id, _)| id.clone()).collect();
    assert_eq!(mine, ["eci-old"], "{}", trace.join("\n"));
}

#[test]
fn a_listed_instance_whose_pod_arrives_deleted_is_deleted() {
    let mut eci = FakeEci::default().with_instance("eci-old", "c1", "p1", "Running");
    let mut e = Engine::new(config(), 7, T0);
    let mut trace = run(&mut e, &mut eci, T0, T0 + 500, &mut normal);
    let mut deleting = pod("p1", false);
    deleting.deletion = Some(eci_bridge_core::provider::Deletion { grace_seconds: 30 });
    e.handle(T0 + 600, Input::PodUpserted(Box::new(deleting)));
    trace.extend(run(&mut e, &mut eci, T0 + 600, T0 + 5_000, &mut normal));
    assert!(!trace.iter().any(|l| l.contains("CreateContainerGroup")), "{}", trace.join("\n"));
    assert!(eci.instances.is_empty(), "{}", trace.join("\n"));
}

#[test]
fn a_restart_never_adopts_a_terminating_instance() {
    // The old process was replacing p1's instance: eci-0a Terminating, eci-0b Running.
    let mut eci = FakeEci::default()
        .with_instance("eci-0a", "c1", "p1", "Terminating")
        .with_instance("eci-0b", "c1", "p1", "Running");
    let mut e = Engine::new(config(), 7, T0);
    e.handle(T0, Input::PodUpserted(Box::new(pod("p1", false))));
    let mut trace = run(&mut e, &mut eci, T0, T0 + 1_000, &mut normal);
    assert_eq!(e.instance_of("p1"), Some("eci-0b"));
    eci.instances.remove("eci-0a");
    trace.extend(run(&mut e, &mut eci, T0 + 1_001, T0 + 400_000, &mut normal));
    let mine: Vec<_> = eci.instances.iter().filter(|(_, (_, u, _))| u == "p1").map(|(id, _)| id.clone()).collect();
    assert_eq!(mine, ["eci-0b"], "{}", trace.join("\n"));
}

/// An engine whose first listing saw eci-old for p1 (not yet delivered),
/// then eci-old deleted out of band, run until `until`.
fn listed_then_deleted_out_of_band(until: Millis) -> (Engine, FakeEci, Vec<String>) {
    let mut eci = FakeEci::default().with_instance("eci-old", "c1", "p1", "Running");
    let mut e = Engine::new(config(), 7, T0);
    let mut trace = run(&mut e, &mut eci, T0, T0 + 500, &mut normal);
    eci.instances.remove("eci-old");
    trace.extend(run(&mut e, &mut eci, T0 + 501, until, &mut normal));
    (e, eci, trace)
}

#[test]
fn a_late_pod_does_not_adopt_an_instance_deleted_since_the_listing() {
    // The listing saw eci-old for p1 (not yet delivered); eci-old is deleted
    // out of band; p1 arrives 30 s later: a fresh lookup finds nothing, so p1
    // gets a new instance at once, never reported Running on eci-old
    // (found by an independent review).
    let (mut e, mut eci, mut trace) = listed_then_deleted_out_of_band(T0 + 29_999);
    e.handle(T0 + 30_000, Input::PodUpserted(Box::new(pod("p1", false))));
    trace.extend(run(&mut e, &mut eci, T0 + 30_000, T0 + 31_000, &mut normal));
    assert!(!trace.iter().any(|l| l.contains("eci-old") && l.contains("status p1")), "{}", trace.join("\n"));
    assert!(trace.iter().any(|l| l.contains("CreateContainerGroup")), "created at once:\n{}", trace.join("\n"));
}

#[test]
fn a_late_pod_arriving_while_a_listing_is_out_is_created_when_its_instance_is_gone() {
    let (mut e, mut eci, mut trace) = listed_then_deleted_out_of_band(T0 + 59_999);
    // The resync listing starts at 60 s; its answer is held back.
    let now = T0 + 60_000;
    let mut held = None;
    while let Some(action) = e.poll(now) {
        trace.push(line(now, &action));
        if let Action::Call { id, action, params } = action {
            if action == "DescribeContainerGroups" && params.get("Tag.2.Value").is_none() {
                held = Some((id, eci.apply(action, &params)));
            } else {
                let r = eci.apply(action, &params);
                e.handle(now, Input::Answer { call: id, result: Ok(r) });
            }
        }
    }
    let (id, body) = held.expect("the resync listing is out");
    e.handle(now + 100, Input::PodUpserted(Box::new(pod("p1", false))));
    e.handle(now + 200, Input::Answer { call: id, result: Ok(body) });
    trace.extend(run(&mut e, &mut eci, now + 200, T0 + 119_999, &mut normal));
    assert!(trace.iter().any(|l| l.contains("CreateContainerGroup")), "{}", trace.join("\n"));
}
