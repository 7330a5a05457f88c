//! Drives the provider engine with a fake ECI, the way a provider binary
//! drives it with a real client: feed pod events and answers, carry out
//! actions, sleep until the next deadline. `cargo run -p eci-bridge-core
//! --example provider_loop`.

use std::collections::BTreeMap;

use eci_bridge_core::eci::request::{Container, CreateContainerGroupRequest};
use eci_bridge_core::eci::wire::WireParams;
use eci_bridge_core::provider::{Action, Deletion, Engine, EngineConfig, Input, Millis, PodSpec};
use serde_json::{Value, json};

/// The transport: a real binary signs and sends `params` with the ECI
/// client; this one keeps instances in a map, all Running at once.
#[derive(Default)]
struct FakeEci(BTreeMap<String, String>);

impl FakeEci {
    fn send(&mut self, action: &str, params: &WireParams) -> Value {
        match action {
            "CreateContainerGroup" => {
                let id = format!("eci-{}", self.0.len() + 1);
                self.0.insert(id.clone(), params.get("Tag.2.Value").unwrap_or_default().to_string());
                json!({"ContainerGroupId": id})
            }
            "DeleteContainerGroup" => {
                self.0.remove(params.get("ContainerGroupId").unwrap_or_default());
                json!({})
            }
            "DescribeContainerGroupStatus" => {
                let data: Vec<Value> =
                    self.0.keys().map(|id| json!({"ContainerGroupId": id, "Status": "Running"})).collect();
                json!({"Data": data})
            }
            // Listings (adoption at start, confirmation of a deletion).
            _ => {
                let uid = params.get("Tag.2.Value");
                let groups: Vec<Value> = (self.0.iter())
                    .filter(|(_, pod)| uid.is_none_or(|u| u == pod.as_str()))
                    .map(|(id, _)| json!({"ContainerGroupId": id, "Status": "Running"}))
                    .collect();
                json!({"ContainerGroups": groups})
            }
        }
    }
}

fn main() {
    let mut eci = FakeEci::default();
    let mut now: Millis = 1_800_000_000_000;
    let mut engine = Engine::new(EngineConfig::new("my-cluster", "cn-hangzhou"), 42, now);
    // What the provider's pod informer reports (the request comes from
    // eci_bridge_core::translate).
    let request = CreateContainerGroupRequest {
        container_group_name: Some("default-web".into()),
        container: vec![Container { name: Some("web".into()), image: Some("nginx".into()), ..Container::default() }],
        ..CreateContainerGroupRequest::default()
    };
    let mut pod = PodSpec {
        uid: "7d1c".into(),
        namespace: "default".into(),
        name: "web".into(),
        request,
        fail_fast: false,
        deletion: None,
        zone: None,
    };
    engine.handle(now, Input::PodUpserted(Box::new(pod.clone())));
    for second in 0..40 {
        if second == 25 {
            pod.deletion = Some(Deletion { grace_seconds: 30 });
            engine.handle(now, Input::PodUpserted(Box::new(pod.clone())));
        }
        while let Some(action) = engine.poll(now) {
            match action {
                Action::Call { id, action, params } => {
                    let answer = eci.send(action, &params);
                    println!("{second:>3}s {action} -> {answer}");
                    engine.handle(now, Input::Answer { call: id, result: Ok(answer) });
                }
                other => println!("{second:>3}s {other:?}"),
            }
        }
        // A binary sleeps until engine.next_deadline() or the next event.
        now += 1_000;
    }
}
