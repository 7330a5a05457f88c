//! The ECI emulator's model in-process (what a provider simulation runs):
//! one signed DescribeContainerGroups page of 20 (out of 1000 running
//! groups) answered end to end (signature check, nonce, model, JSON), beside
//! the model's answer alone and the signature check alone, the floors it is
//! made of.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eci_bridge_core::eci::secret::SecretString;
use eci_bridge_core::eci::sign::{Credentials, HttpMethod, SigningContext, Timestamp, sign_acs3};
use eci_bridge_core::eci::wire::WireParams;
use eci_bridge_emulator::auth::{AccessKey, HttpRequest};
use eci_bridge_emulator::scenario::Scenario;
use eci_bridge_emulator::{Clock, Config, Emulator};

const NOW: i64 = 1_800_000_000_000;
const GROUPS: usize = 1000;

fn emulator() -> Emulator {
    let config = Config {
        region: "cn-hangzhou".into(),
        zones: vec!["cn-hangzhou-a".into()],
        keys: vec![AccessKey { id: "bench".into(), secret: "secret".into(), security_token: None }],
        scenario: Scenario::default(),
        seed: 1,
    };
    let mut e = Emulator::new(config, Clock { wall_ms: NOW, virtual_ms: NOW });
    for i in 0..GROUPS {
        let name = format!("web-{i}");
        let params = WireParams::from_pairs([
            ("RegionId", "cn-hangzhou"),
            ("ContainerGroupName", name.as_str()),
            ("Container.1.Name", "web"),
            ("Container.1.Image", "nginx"),
            ("Container.2.Name", "sidecar"),
            ("Container.2.Image", "envoy"),
        ]);
        e.cloud_mut().call("CreateContainerGroup", &params, NOW).expect("created");
    }
    e.cloud_mut().advance(NOW + 60_000);
    e
}

fn describe_params() -> WireParams {
    WireParams::from_pairs([("RegionId", "cn-hangzhou"), ("Limit", "20"), ("WithEvent", "true")])
}

fn signed(nonce: u64) -> HttpRequest {
    let credentials = Credentials {
        access_key_id: "bench".into(),
        access_key_secret: SecretString::new("secret"),
        security_token: None,
    };
    let ctx = SigningContext {
        action: "DescribeContainerGroups".into(),
        version: "2018-08-08".into(),
        timestamp: Timestamp::parse("2027-01-15T08:00:00Z").expect("timestamp"),
        nonce: format!("nonce-{nonce}"),
        method: HttpMethod::Post,
    };
    let s = sign_acs3(&describe_params(), "127.0.0.1:18080", &credentials, &ctx);
    HttpRequest { method: "POST".into(), path: "/".into(), query: s.query_string(), headers: s.headers, body: vec![] }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("emulator");
    group.throughput(Throughput::Elements(1));
    let clock = Clock { wall_ms: wall_of_signature(), virtual_ms: NOW + 60_000 };
    let mut e = emulator();
    let mut nonce = 0;
    group.bench_function("describe page of 20, signed", |b| {
        b.iter(|| {
            nonce += 1;
            black_box(e.handle(&signed(nonce), clock))
        })
    });
    let mut model = emulator();
    group.bench_function("describe page of 20, model only", |b| {
        b.iter(|| black_box(model.cloud_mut().call("DescribeContainerGroups", &describe_params(), NOW + 60_000)))
    });
    group.bench_function("sign a request (the client's share)", |b| b.iter(|| black_box(signed(7))));
    group.finish();
}

/// The wall time of the signed requests' timestamp.
fn wall_of_signature() -> i64 {
    eci_bridge_emulator::auth::timestamp_ms("2027-01-15T08:00:00Z").expect("timestamp")
}

criterion_group!(benches, bench);
criterion_main!(benches);
