//! The provider engine at steady state, beside its floor: one status cycle
//! (DescribeContainerGroupStatus answered with `changed` instances, every
//! action drained) over 1,000 and 10,000 running pods. The cost must follow
//! the changed pods, not the tracked ones: the ratio of the two sizes at the
//! same `changed` is printed and should stay near 1. Also printed: memory
//! per tracked pod (a counting allocator) and ECI calls per minute at
//! steady state over ten virtual minutes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use eci_bridge_core::eci::request::{Container, CreateContainerGroupRequest};
use eci_bridge_core::provider::{Action, Engine, EngineConfig, Input, Millis, PodSpec};
use serde_json::json;

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is forwarded unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const T0: Millis = 1_800_000_000_000;

fn pod(i: usize) -> PodSpec {
    PodSpec {
        uid: format!("uid-{i:08}"),
        namespace: "default".into(),
        name: format!("web-{i}"),
        request: CreateContainerGroupRequest {
            container_group_name: Some(format!("default-web-{i}")),
            container: vec![Container {
                name: Some("web".into()),
                image: Some("nginx:1.27".into()),
                ..Container::default()
            }],
            ..CreateContainerGroupRequest::default()
        },
        fail_fast: false,
        deletion: None,
        zone: None,
    }
}

/// Answers every call at once, as ECI would: creates get ids, listings
/// page the instances 20 at a time, status polls report no change.
fn drain(engine: &mut Engine, now: Millis, instances: &mut Vec<String>, calls: &mut u64) {
    while let Some(action) = engine.poll(now) {
        if let Action::Call { id, action, params } = action {
            *calls += 1;
            let body = match action {
                "CreateContainerGroup" => {
                    let uid = params.get("Tag.2.Value").unwrap_or("").to_string();
                    instances.push(uid.clone());
                    json!({"ContainerGroupId": format!("eci-{uid}")})
                }
                "DescribeContainerGroupStatus" => json!({"Data": [], "NextToken": ""}),
                _ => {
                    let from: usize = params.get("NextToken").and_then(|t| t.parse().ok()).unwrap_or(0);
                    let page: Vec<_> = instances.iter().skip(from).take(20).map(|uid| json!({
                        "ContainerGroupId": format!("eci-{uid}"), "Status": "Running",
                        "Tags": [{"Key": "eci-bridge.io/cluster", "Value": "bench"}, {"Key": "eci-bridge.io/pod-uid", "Value": uid}]})).collect();
                    let next = if from + 20 < instances.len() { (from + 20).to_string() } else { String::new() };
                    json!({"ContainerGroups": page, "NextToken": next})
                }
            };
            engine.handle(now, Input::Answer { call: id, result: Ok(body) });
        }
    }
}

/// An engine with `n` running pods (the first listing done, every create
/// answered), with `config`.
fn steady(n: usize, config: EngineConfig) -> (Engine, Millis, Vec<String>) {
    let config = EngineConfig { max_in_flight: 1 << 20, ..config };
    let mut e = Engine::new(config, 1, T0);
    for i in 0..n {
        e.handle(T0, Input::PodUpserted(Box::new(pod(i))));
    }
    let (mut instances, mut calls) = (Vec::new(), 0);
    drain(&mut e, T0, &mut instances, &mut calls);
    drain(&mut e, T0 + 1, &mut instances, &mut calls);
    (e, T0 + 1, instances)
}

/// One status cycle: the poll is sent and answered with `changed` instances.
fn cycle(e: &mut Engine, now: Millis, changed: usize, flip: bool) {
    let Some(Action::Call { id, .. }) = e.poll(now) else { return };
    let status = if flip { "Running" } else { "Pending" };
    let data: Vec<_> =
        (0..changed).map(|i| json!({"ContainerGroupId": format!("eci-uid-{i:08}"), "Status": status})).collect();
    e.handle(now, Input::Answer { call: id, result: Ok(json!({"Data": data, "NextToken": ""})) });
    while e.poll(now).is_some() {}
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("provider");
    let mut per_size = Vec::new();
    for n in [1_000, 10_000] {
        for changed in [0, 100] {
            // The status cycle alone: the periodic full listing is measured below.
            let quiet = EngineConfig { resync_every: Millis::MAX / 4, ..EngineConfig::new("bench", "cn-hangzhou") };
            let (mut e, mut now, _) = steady(n, quiet);
            let config_poll = EngineConfig::new("bench", "cn-hangzhou").poll_every;
            let mut flip = false;
            let started = Instant::now();
            let mut rounds = 0u32;
            group.bench_function(format!("status cycle, {changed} changed of {n} pods"), |b| {
                b.iter(|| {
                    now += config_poll;
                    flip = !flip;
                    rounds += 1;
                    cycle(black_box(&mut e), now, changed, flip);
                })
            });
            per_size.push((n, changed, started.elapsed().as_secs_f64() / f64::from(rounds.max(1))));
        }
    }
    group.finish();
    // The floors: ten times the pods may not cost ten times as much. A cycle
    // with nothing changed stays within 2x, one with 100 changes within 4x
    // (the indexes are logarithmic; the rest is cache misses).
    for (changed, floor) in [(0, 2.0), (100, 4.0)] {
        let at = |n| per_size.iter().find(|(size, c, _)| *size == n && *c == changed).map_or(0.0, |x| x.2);
        let ratio = at(10_000) / at(1_000);
        println!(
            "ratio 10,000 pods / 1,000 pods at {changed} changed: {ratio:.2} (floor {floor}: the cost follows the changes)"
        );
        assert!(ratio <= floor, "the status cycle grows with the tracked pods: {ratio:.2} > {floor}");
    }
    let before = LIVE.load(Ordering::Relaxed);
    let (e, _, instances) = steady(10_000, EngineConfig::new("bench", "cn-hangzhou"));
    let listing = instances.len() * 64;
    let bytes = LIVE.load(Ordering::Relaxed).saturating_sub(before + listing);
    println!("memory: {:.0} bytes per tracked pod (10,000 pods)", bytes as f64 / 10_000.0);
    let (mut e, mut instances) = (e, instances);
    let (mut calls, minutes) = (0, 60);
    let mut now = T0 + 1;
    let end = now + minutes * 60_000;
    let started = Instant::now();
    while now < end {
        now = e.next_deadline().unwrap_or(end).max(now + 1);
        drain(&mut e, now, &mut instances, &mut calls);
    }
    println!(
        "steady state, 10,000 running pods over {minutes} virtual minutes: {:.1} ECI calls per minute \
         (status polls and the full listings), {:.1} ms of engine time per virtual minute",
        calls as f64 / minutes as f64,
        started.elapsed().as_secs_f64() * 1000.0 / minutes as f64
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
