//! The scenario's faults through [`Emulator::handle`], with signed requests:
//! deterministic from the seed, rate limits per wall-clock second, lost
//! answers applied, zone outages, injected latency.

use eci_bridge_core::eci::secret::SecretString;
use eci_bridge_core::eci::sign::{Credentials, HttpMethod, SigningContext, Timestamp, sign_acs3};
use eci_bridge_core::eci::wire::WireParams;
use eci_bridge_emulator::auth::{AccessKey, HttpRequest, timestamp_ms};
use eci_bridge_emulator::scenario::{Fault, Scenario, ZoneOutage};
use eci_bridge_emulator::{Clock, Config, Emulator, Reply};

const SIGNED_AT: &str = "2027-01-15T08:00:00Z";

fn wall() -> i64 {
    timestamp_ms(SIGNED_AT).expect("timestamp")
}

fn emulator(scenario: Scenario, seed: u64) -> Emulator {
    let config = Config {
        region: "cn-hangzhou".into(),
        zones: vec!["cn-hangzhou-a".into(), "cn-hangzhou-b".into()],
        keys: vec![AccessKey { id: "id".into(), secret: "secret".into(), security_token: None }],
        scenario,
        seed,
    };
    Emulator::new(config, Clock { wall_ms: wall(), virtual_ms: wall() })
}

fn signed(action: &str, params: &[(&str, &str)], nonce: usize) -> HttpRequest {
    let mut all = vec![("RegionId", "cn-hangzhou")];
    all.extend_from_slice(params);
    let credentials = Credentials {
        access_key_id: "id".into(),
        access_key_secret: SecretString::new("secret"),
        security_token: None,
    };
    let ctx = SigningContext {
        action: action.into(),
        version: "2018-08-08".into(),
        timestamp: Timestamp::parse(SIGNED_AT).expect("timestamp"),
        nonce: format!("n-{nonce}"),
        method: HttpMethod::Post,
    };
    let s = sign_acs3(&WireParams::from_pairs(all), "127.0.0.1:1", &credentials, &ctx);
    HttpRequest { method: "POST".into(), path: "/".into(), query: s.query_string(), headers: s.headers, body: vec![] }
}

fn describe(e: &mut Emulator, nonce: usize, at: Clock) -> Reply {
    e.handle(&signed("DescribeContainerGroups", &[], nonce), at)
}

fn code(reply: &Reply) -> String {
    let body: serde_json::Value = serde_json::from_str(&reply.body).expect("json");
    body["Code"].as_str().unwrap_or("").to_string()
}

#[test]
fn random_faults_repeat_with_the_seed_and_change_with_another() {
    let scenario = || Scenario {
        faults: vec![Fault { probability: Some(0.5), status: Some(503), ..Fault::default() }],
        ..Scenario::default()
    };
    let at = Clock { wall_ms: wall(), virtual_ms: wall() };
    let run = |seed: u64| {
        let mut e = emulator(scenario(), seed);
        (0..64).map(|n| describe(&mut e, n, at).status).collect::<Vec<u16>>()
    };
    let first = run(1);
    assert_eq!(first, run(1), "the same seed, the same faults");
    assert_ne!(first, run(2), "another seed, other faults");
    let failed = first.iter().filter(|s| **s == 503).count();
    assert!((16..=48).contains(&failed), "about half of 64 failed: {failed}");
}

#[test]
fn a_rate_limit_counts_calls_per_wall_clock_second() {
    let scenario = Scenario { rate_limits: [("DescribeContainerGroups".to_string(), 2)].into(), ..Scenario::default() };
    let mut e = emulator(scenario, 0);
    let at = |ms: i64| Clock { wall_ms: wall() + ms, virtual_ms: wall() + ms };
    let statuses: Vec<u16> = (0..3).map(|n| describe(&mut e, n, at(100)).status).collect();
    assert_eq!(statuses, [200, 200, 400]);
    assert_eq!(code(&describe(&mut e, 3, at(200))), "Throttling.User");
    assert_eq!(describe(&mut e, 4, at(1000)).status, 200, "a new second");
}

#[test]
fn a_lost_answer_is_applied_and_latency_is_added() {
    let scenario = Scenario {
        faults: vec![
            Fault { action: Some("CreateContainerGroup".into()), calls: vec![1], lose: true, ..Fault::default() },
            Fault { action: Some("DescribeContainerGroups".into()), latency_ms: Some(150), ..Fault::default() },
        ],
        ..Scenario::default()
    };
    let mut e = emulator(scenario, 0);
    let at = Clock { wall_ms: wall(), virtual_ms: wall() };
    let create = [("ContainerGroupName", "lost"), ("Container.1.Name", "a"), ("Container.1.Image", "b")];
    let reply = e.handle(&signed("CreateContainerGroup", &create, 1), at);
    assert!(reply.lose && reply.status == 200, "{reply:?}");
    let listed = describe(&mut e, 2, at);
    assert_eq!(listed.delay_ms, 150);
    assert!(listed.body.contains("\"ContainerGroupName\":\"lost\""), "the lost create was applied: {}", listed.body);
}

#[test]
fn a_zone_outage_fails_schedules_until_it_ends() {
    let outage = |zone: &str| ZoneOutage { zone: zone.into(), from_seconds: 0.0, to_seconds: 60.0 };
    let scenario =
        Scenario { zone_outages: vec![outage("cn-hangzhou-a"), outage("cn-hangzhou-b")], ..Scenario::default() };
    let mut e = emulator(scenario, 0);
    let at = |s: i64| Clock { wall_ms: wall(), virtual_ms: wall() + s * 1000 };
    let create =
        |name: &'static str| [("ContainerGroupName", name), ("Container.1.Name", "a"), ("Container.1.Image", "b")];
    assert_eq!(e.handle(&signed("CreateContainerGroup", &create("during"), 1), at(0)).status, 200);
    assert_eq!(e.handle(&signed("CreateContainerGroup", &create("after"), 2), at(59)).status, 200);
    let body = describe(&mut e, 3, at(65)).body;
    let groups: serde_json::Value = serde_json::from_str(&body).expect("json");
    let status = |name: &str| {
        groups["ContainerGroups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["ContainerGroupName"] == name)
            .expect(name)["Status"]
            .clone()
    };
    assert_eq!(status("during"), "ScheduleFailed");
    assert_eq!(status("after"), "Running", "scheduled at 61 s, after the outage; running from 64 s");
}
