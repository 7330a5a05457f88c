//! Describe throughput of an ECI endpoint (`cargo xtask bench-emulator` runs
//! it against `eci-bridge emulate` on 127.0.0.1):
//! `describe_load URL AK SECRET GROUPS CONCURRENCY REQUESTS`.
//!
//! Creates GROUPS instances, then sends REQUESTS signed
//! `DescribeContainerGroups` calls (20 ids each, what a provider's poll
//! sends), CONCURRENCY at a time; prints one JSON line: requests per second
//! and the p50/p99 latency in ms.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eci_bridge_client::{ClientConfig, Credentials, DescribeFilter, EciClient, Endpoint, RetryPolicy};
use eci_bridge_core::eci::request::{Container, CreateContainerGroupRequest};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, ak, secret, groups, concurrency, requests] = args.as_slice() else {
        return Err("usage: describe_load URL AK SECRET GROUPS CONCURRENCY REQUESTS".into());
    };
    let number = |s: &str| s.parse::<usize>().map_err(|e| format!("{s}: {e}"));
    let (groups, concurrency, requests) = (number(groups)?.max(1), number(concurrency)?.max(1), number(requests)?);
    let mut config = ClientConfig::new("cn-hangzhou", Credentials::access_key(ak.as_str(), secret.as_str()))
        .map_err(|e| e.to_string())?
        .with_endpoint(Endpoint::parse(url).map_err(|e| e.to_string())?);
    config.retry = RetryPolicy::none();
    config.timeout = Duration::from_secs(10);
    let client = Arc::new(EciClient::new(config));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(load(client, groups, concurrency, requests))
}

async fn load(client: Arc<EciClient>, groups: usize, concurrency: usize, requests: usize) -> Result<(), String> {
    let mut ids = Vec::new();
    for i in 0..groups {
        let request = CreateContainerGroupRequest {
            region_id: Some("cn-hangzhou".into()),
            container_group_name: Some(format!("load-{i}")),
            container: vec![Container {
                name: Some("app".into()),
                image: Some("nginx".into()),
                ..Container::default()
            }],
            ..CreateContainerGroupRequest::default()
        };
        ids.push(
            client.create_container_group(&request, &format!("load-{i}"), false).await.map_err(|e| e.to_string())?,
        );
    }
    let pages: Vec<Vec<String>> = ids.chunks(20).map(<[String]>::to_vec).collect();
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(requests);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..requests {
        if tasks.len() >= concurrency
            && let Some(done) = tasks.join_next().await
        {
            latencies.push(done.map_err(|e| e.to_string())??);
        }
        let (client, page) = (Arc::clone(&client), pages[n % pages.len()].clone());
        tasks.spawn(async move {
            let at = Instant::now();
            let filter = DescribeFilter { ids: page, ..DescribeFilter::default() };
            client.describe_container_groups(&filter).await.map_err(|e| e.to_string())?;
            Ok::<Duration, String>(at.elapsed())
        });
    }
    while let Some(done) = tasks.join_next().await {
        latencies.push(done.map_err(|e| e.to_string())??);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort();
    let quantile = |q: f64| {
        let i = ((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let report = serde_json::json!({"groups": groups, "concurrency": concurrency, "requests": requests,
        "perSecond": requests as f64 / seconds, "p50Ms": quantile(0.5), "p99Ms": quantile(0.99)});
    println!("{report}");
    Ok(())
}
