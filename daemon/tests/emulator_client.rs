//! Our ECI client against our emulator on 127.0.0.1, faults on: each half
//! checks the other. A lost create answer retried with its ClientToken makes
//! one instance (and, to show the fault is real, a tokenless retry makes
//! two); throttling and 5xx answers are retried with backoff (and fail
//! without retries); pagination returns every instance exactly once across
//! page boundaries, by listing and by more than 20 ids.

use std::collections::BTreeSet;
use std::time::Duration;

use eci_bridge_client::{ClientConfig, Credentials, DescribeFilter, EciClient, Endpoint, RetryPolicy};
use eci_bridge_core::eci::request::{Container, CreateContainerGroupRequest};
use eci_bridge_core::eci::wire::WireParams;
use eci_bridge_daemon::emulate::{EmulateConfig, run};
use eci_bridge_emulator::Config;
use eci_bridge_emulator::auth::AccessKey;
use eci_bridge_emulator::scenario::{Fault, Scenario};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const REGION: &str = "cn-hangzhou";

/// The emulator on a free loopback port, stopped when dropped.
struct Emulator {
    url: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn emulator(faults: Vec<Fault>) -> Emulator {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let address = listener.local_addr().expect("address");
    let config = EmulateConfig {
        listen: address,
        tls: None,
        emulator: Config {
            region: REGION.into(),
            zones: vec![format!("{REGION}-a")],
            keys: vec![AccessKey { id: "test".into(), secret: "secret".into(), security_token: None }],
            scenario: Scenario { faults, ..Scenario::default() },
            seed: 1,
        },
        time_scale: 1000.0,
    };
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(async move {
        let _ = run(config, listener, async {
            let _ = stopped.await;
        })
        .await;
    });
    Emulator { url: format!("http://{address}"), stop: Some(stop) }
}

fn client(emulator: &Emulator, retry: RetryPolicy) -> EciClient {
    let endpoint = Endpoint::parse(&emulator.url).expect("endpoint");
    let mut config =
        ClientConfig::new(REGION, Credentials::access_key("test", "secret")).expect("config").with_endpoint(endpoint);
    config.retry = retry;
    config.timeout = Duration::from_secs(5);
    EciClient::new(config)
}

fn quick() -> RetryPolicy {
    RetryPolicy { base: Duration::from_millis(5), cap: Duration::from_millis(50), max_attempts: 5 }
}

fn fault(action: &str, calls: &[u64]) -> Fault {
    Fault { action: Some(action.into()), calls: calls.to_vec(), ..Fault::default() }
}

fn request(name: &str) -> CreateContainerGroupRequest {
    CreateContainerGroupRequest {
        region_id: Some(REGION.into()),
        container_group_name: Some(name.into()),
        container: vec![Container { name: Some("app".into()), image: Some("nginx".into()), ..Container::default() }],
        ..CreateContainerGroupRequest::default()
    }
}

async fn all_ids(client: &EciClient) -> Vec<String> {
    let groups = client.describe_container_groups(&DescribeFilter::default()).await.expect("described");
    groups.into_iter().filter_map(|g| g.container_group_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_create_answer_retried_with_its_client_token_makes_one_instance() {
    let e = emulator(vec![Fault { lose: true, ..fault("CreateContainerGroup", &[1]) }]).await;
    let c = client(&e, quick());
    let id = c.create_container_group(&request("once"), "token-of-once", false).await.expect("created after a retry");
    assert_eq!(all_ids(&c).await, [id]);

    // The same fault without a token: the retry makes a second instance.
    let e = emulator(vec![Fault { lose: true, ..fault("CreateContainerGroup", &[1]) }]).await;
    let c = client(&e, quick());
    let params = WireParams::from_json(&request("twice").to_json());
    c.call("CreateContainerGroup", params).await.expect("created after a retry");
    assert_eq!(all_ids(&c).await.len(), 2, "without a ClientToken the lost create was applied twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_server_errors_are_retried_with_backoff() {
    let faults = vec![
        Fault { throttle: true, ..fault("DescribeContainerGroups", &[1, 2]) },
        Fault { status: Some(503), ..fault("DescribeContainerGroups", &[3]) },
    ];
    let e = emulator(faults.clone()).await;
    assert!(all_ids(&client(&e, quick())).await.is_empty(), "answered on the fourth attempt");

    let e = emulator(faults).await;
    let once = client(&e, RetryPolicy::none());
    let refused = once.describe_container_groups(&DescribeFilter::default()).await.expect_err("throttled");
    assert!(refused.is_throttled(), "{refused}");
    let too_few = client(&e, RetryPolicy { max_attempts: 2, ..quick() });
    let refused = too_few.describe_container_groups(&DescribeFilter::default()).await.expect_err("503");
    assert_eq!(refused.code(), "ServiceUnavailable", "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_returns_every_instance_exactly_once() {
    let e = emulator(Vec::new()).await;
    let c = client(&e, quick());
    let mut created = Vec::new();
    for i in 0..47 {
        let id = c.create_container_group(&request(&format!("page-{i}")), &format!("t-{i}"), false).await;
        created.push(id.expect("created"));
    }
    let listed = all_ids(&c).await;
    assert_eq!(listed.len(), 47, "three pages of at most 20");
    assert_eq!(listed.iter().collect::<BTreeSet<_>>(), created.iter().collect::<BTreeSet<_>>());
    let by_id = DescribeFilter { ids: created.clone(), ..DescribeFilter::default() };
    let found: Vec<String> = c
        .describe_container_groups(&by_id)
        .await
        .expect("described")
        .into_iter()
        .filter_map(|g| g.container_group_id)
        .collect();
    assert_eq!(found.len(), 47, "47 ids asked 20 at a time");
    assert_eq!(found.iter().collect::<BTreeSet<_>>(), created.iter().collect::<BTreeSet<_>>());
}
