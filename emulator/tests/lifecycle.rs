//! The emulator's state machine, driven in-process with time as an input:
//! example lifecycles, then properties over random operation sequences (no
//! transition the documentation forbids, event counts monotone, deletion
//! final, stock conserved, pagination exact).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use eci_bridge_core::eci::wire::WireParams;
use eci_bridge_emulator::cloud::{Cloud, Transition};
use eci_bridge_emulator::scenario::{Exit, Scenario, Spot};
use proptest::prelude::*;
use serde_json::Value;

const T0: i64 = 1_800_000_000_000;
const REGION: &str = "cn-hangzhou";

fn cloud(scenario: Scenario) -> Cloud {
    let mut c = Cloud::new(REGION, vec!["cn-hangzhou-a".into(), "cn-hangzhou-b".into()], scenario, 7, T0);
    c.record_transitions(true);
    c
}

fn params(pairs: &[(&str, &str)]) -> WireParams {
    let mut all = vec![("RegionId", REGION)];
    all.extend_from_slice(pairs);
    WireParams::from_pairs(all.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

fn create(c: &mut Cloud, name: &str, extra: &[(&str, &str)], now: i64) -> String {
    let mut p = vec![("ContainerGroupName", name), ("Container.1.Name", "app"), ("Container.1.Image", "busybox")];
    p.extend_from_slice(extra);
    let answer = c.call("CreateContainerGroup", &params(&p), now).expect("created").json();
    answer["ContainerGroupId"].as_str().expect("id").to_string()
}

fn describe_all(c: &mut Cloud, now: i64, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let limit = limit.to_string();
        let mut p = vec![("Limit", limit.as_str()), ("WithEvent", "true")];
        if !token.is_empty() {
            p.push(("NextToken", token.as_str()));
        }
        let page = c.call("DescribeContainerGroups", &params(&p), now).expect("described").json();
        out.extend(page["ContainerGroups"].as_array().cloned().unwrap_or_default());
        token = page["NextToken"].as_str().unwrap_or("").to_string();
        if token.is_empty() {
            return out;
        }
    }
}

fn status(c: &mut Cloud, id: &str, now: i64) -> Option<String> {
    let ids = serde_json::to_string(&[id]).expect("json");
    let page =
        c.call("DescribeContainerGroups", &params(&[("ContainerGroupIds", &ids)]), now).expect("described").json();
    page["ContainerGroups"][0]["Status"].as_str().map(str::to_string)
}

fn statuses(transitions: &[Transition], id: &str) -> Vec<&'static str> {
    transitions.iter().filter(|t| t.id == id).map(|t| t.to.map_or("deleted", |s| s.as_str())).collect()
}

#[test]
fn a_group_schedules_starts_and_is_deleted_through_terminating() {
    let mut c = cloud(Scenario::default());
    let id = create(&mut c, "web", &[], T0);
    assert_eq!(status(&mut c, &id, T0).as_deref(), Some("Scheduling"));
    assert_eq!(status(&mut c, &id, T0 + 2_000).as_deref(), Some("Pending"));
    assert_eq!(status(&mut c, &id, T0 + 5_000).as_deref(), Some("Running"));
    c.call("DeleteContainerGroup", &params(&[("ContainerGroupId", &id)]), T0 + 6_000).expect("deleted");
    assert_eq!(status(&mut c, &id, T0 + 6_000).as_deref(), Some("Terminating"));
    assert_eq!(status(&mut c, &id, T0 + 9_000), None);
    let t = c.take_transitions();
    assert_eq!(statuses(&t, &id), ["Scheduling", "Pending", "Running", "Terminating", "deleted"]);
}

#[test]
fn exits_follow_the_restart_policy() {
    let scenario = Scenario {
        exits: vec![Exit { container: "app".into(), exit_code: 1, after_seconds: 10.0 }],
        ..Scenario::default()
    };
    let mut c = cloud(scenario);
    let always = create(&mut c, "always", &[], T0);
    let never = create(&mut c, "never", &[("RestartPolicy", "Never")], T0);
    let groups = describe_all(&mut c, T0 + 5_000 + 35_000, 20);
    let by_name = |name: &str| groups.iter().find(|g| g["ContainerGroupName"] == name).expect(name).clone();
    let (a, n) = (by_name("always"), by_name("never"));
    assert_eq!(a["Status"], "Running");
    assert_eq!(a["Containers"][0]["RestartCount"], 3, "started at 5 s, exits at 15, 25, 35 s");
    assert_eq!(a["Containers"][0]["PreviousState"]["ExitCode"], 1);
    let backoff = a["Events"].as_array().expect("events").iter().find(|e| e["Reason"] == "BackOff").expect("BackOff");
    assert_eq!((backoff["Type"].as_str(), backoff["Count"].as_i64()), (Some("Warning"), Some(3)));
    assert_eq!(n["Status"], "Failed");
    assert!(n["FailedTime"].is_string());
    assert_eq!((always.len(), never.len()), (24, 24));
}

#[test]
fn no_stock_fails_the_schedule_and_a_spot_instance_expires() {
    let scenario = Scenario {
        stock: BTreeMap::from([("cn-hangzhou-a".into(), 1), ("cn-hangzhou-b".into(), 0)]),
        spot: Some(Spot { reclaim_after_seconds: 600.0 }),
        ..Scenario::default()
    };
    let mut c = cloud(scenario);
    let spot = create(&mut c, "spot", &[("SpotStrategy", "SpotAsPriceGo")], T0);
    let late = create(&mut c, "late", &[], T0);
    assert_eq!(status(&mut c, &late, T0 + 2_000).as_deref(), Some("ScheduleFailed"));
    let groups = describe_all(&mut c, T0 + 500_000, 20);
    let events: Vec<&str> =
        groups[0]["Events"].as_array().expect("events").iter().filter_map(|e| e["Reason"].as_str()).collect();
    assert!(events.contains(&"SpotToBeReleased"), "{events:?}");
    assert_eq!(groups[1]["Events"][0]["Reason"], "NoStock");
    assert_eq!(status(&mut c, &spot, T0 + 600_000).as_deref(), Some("Expired"));
    // The expired instance gave its stock back: a new group schedules.
    let next = create(&mut c, "next", &[], T0 + 600_000);
    assert_eq!(status(&mut c, &next, T0 + 602_000).as_deref(), Some("Pending"));
}

#[test]
fn a_client_token_creates_once_and_the_quota_holds() {
    let mut c = cloud(Scenario { quota: Some(2), ..Scenario::default() });
    let a = create(&mut c, "aa", &[("ClientToken", "t-1")], T0);
    let again = create(&mut c, "aa", &[("ClientToken", "t-1")], T0 + 1);
    assert_eq!(a, again);
    assert_eq!(c.len(), 1);
    create(&mut c, "bb", &[], T0);
    let over = c.call(
        "CreateContainerGroup",
        &params(&[("ContainerGroupName", "cc"), ("Container.1.Name", "x"), ("Container.1.Image", "y")]),
        T0,
    );
    assert_eq!(over.unwrap_err().code, "QuotaExceed.ContainerGroup");
}

#[derive(Debug, Clone)]
enum Op {
    Create { policy: u8, exit: bool, spot: bool, token: Option<u8> },
    Advance(u32),
    Update(usize),
    Restart(usize),
    Delete(usize, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..3, any::<bool>(), any::<bool>(), proptest::option::of(0u8..4))
            .prop_map(|(policy, exit, spot, token)| Op::Create { policy, exit, spot, token }),
        4 => (1u32..20_000).prop_map(Op::Advance),
        1 => (0usize..16).prop_map(Op::Update),
        1 => (0usize..16).prop_map(Op::Restart),
        2 => ((0usize..16), any::<bool>()).prop_map(|(i, force)| Op::Delete(i, force)),
    ]
}

fn run(ops: &[Op]) -> (Cloud, Vec<Transition>, Vec<String>, i64) {
    let scenario = Scenario {
        stock: BTreeMap::from([("cn-hangzhou-a".into(), 3)]),
        exits: vec![Exit { container: "exits".into(), exit_code: 2, after_seconds: 4.0 }],
        spot: Some(Spot { reclaim_after_seconds: 30.0 }),
        ..Scenario::default()
    };
    let mut c = cloud(scenario);
    let (mut now, mut ids, mut transitions) = (T0, Vec::<String>::new(), Vec::new());
    let mut counts: HashMap<(String, String, String), i64> = HashMap::new();
    for (n, op) in ops.iter().enumerate() {
        match op {
            Op::Create { policy, exit, spot, token } => {
                let policy = ["Always", "OnFailure", "Never"][*policy as usize];
                let name = format!("g-{n}");
                let container = if *exit { "exits" } else { "app" };
                let token = token.map(|t| format!("token-{t}"));
                let mut p = vec![("ContainerGroupName", name.as_str()), ("Container.1.Name", container)];
                p.extend([("Container.1.Image", "busybox"), ("RestartPolicy", policy)]);
                if *spot {
                    p.push(("SpotStrategy", "SpotAsPriceGo"));
                }
                if let Some(token) = &token {
                    p.push(("ClientToken", token.as_str()));
                }
                if let Ok(answer) = c.call("CreateContainerGroup", &params(&p), now) {
                    ids.push(answer.json()["ContainerGroupId"].as_str().expect("id").to_string());
                }
            }
            Op::Advance(ms) => now += i64::from(*ms),
            Op::Update(i) | Op::Restart(i) | Op::Delete(i, _) => {
                let Some(id) = ids.get(*i % ids.len().max(1)) else { continue };
                let (action, mut p) = match op {
                    Op::Update(_) => {
                        ("UpdateContainerGroup", vec![("Container.1.Name", "app"), ("Container.1.Image", "v2")])
                    }
                    Op::Restart(_) => ("RestartContainerGroup", vec![]),
                    _ => ("DeleteContainerGroup", vec![]),
                };
                p.push(("ContainerGroupId", id));
                if let Op::Delete(_, true) = op {
                    p.push(("Force", "true"));
                }
                // Refusals (IncorrectStatus, not found) are fine; a panic is not.
                let _ = c.call(action, &params(&p), now);
            }
        }
        let groups = describe_all(&mut c, now, 3);
        for g in &groups {
            for e in g["Events"].as_array().into_iter().flatten() {
                let key = (g["ContainerGroupId"].to_string(), e["Reason"].to_string(), e["Message"].to_string());
                let count = e["Count"].as_i64().expect("count");
                let before = counts.insert(key.clone(), count).unwrap_or(0);
                assert!(count >= before, "event count went down: {key:?} {before} -> {count}");
                assert!(e["LastTimestamp"].as_str() >= e["FirstTimestamp"].as_str());
            }
        }
        transitions.extend(c.take_transitions());
    }
    (c, transitions, ids, now)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn the_lifecycle_keeps_the_documented_rules(ops in proptest::collection::vec(op(), 1..60)) {
        let (mut c, transitions, ids, now) = run(&ops);
        let mut gone = BTreeSet::new();
        let mut last: HashMap<&str, Option<eci_bridge_emulator::group::Status>> = HashMap::new();
        for t in &transitions {
            prop_assert!(!gone.contains(&t.id), "{} changed after its deletion: {t:?}", t.id);
            match (t.from, t.to) {
                (None, Some(to)) => prop_assert_eq!(to.as_str(), "Scheduling"),
                (Some(from), Some(to)) => prop_assert!(from.may_become(to), "forbidden {:?} -> {:?}", from, to),
                (Some(_), None) => { gone.insert(t.id.clone()); }
                (None, None) => prop_assert!(false, "empty transition"),
            }
            // Transitions chain: each starts where the last one ended.
            if let Some(previous) = last.get(t.id.as_str()) {
                prop_assert_eq!(*previous, t.from, "{} jumped", t.id);
            }
            last.insert(&t.id, t.to);
        }
        let listed: Vec<String> = describe_all(&mut c, now, 3)
            .iter()
            .map(|g| g["ContainerGroupId"].as_str().expect("id").to_string())
            .collect();
        let unique: BTreeSet<&String> = listed.iter().collect();
        prop_assert_eq!(unique.len(), listed.len(), "a group listed twice across pages");
        for id in &gone {
            prop_assert!(!listed.contains(id), "{} listed after deletion", id);
        }
        let live: BTreeSet<&String> = ids.iter().filter(|id| !gone.contains(*id)).collect();
        prop_assert_eq!(unique, live, "every live group exactly once");
        // Zone a has stock 3: never more than 3 groups hold it at once.
        let holding = describe_all(&mut c, now, 20).iter().filter(|g| {
            g["ZoneId"] == "cn-hangzhou-a"
                && matches!(g["Status"].as_str(), Some("Pending" | "Running" | "Updating" | "Restarting" | "Terminating"))
        }).count();
        prop_assert!(holding <= 3, "{holding} groups hold zone a's stock of 3");
    }
}
