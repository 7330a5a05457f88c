//! Answers one review body N times (profiling aid): `answer_loop REVIEW PROFILE NAMESPACES N`.
use std::collections::BTreeMap;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let body = std::fs::read_to_string(&args[1]).expect("review");
    let (profile, _) =
        eci_bridge_core::profile::profile_from_text(&std::fs::read_to_string(&args[2]).expect("profile"))
            .expect("profile");
    let namespaces = eci_bridge_daemon::namespaces::parse(&std::fs::read_to_string(&args[3]).expect("ns")).expect("ns");
    let n: usize = args[4].parse().expect("n");
    let options = eci_bridge_core::admission::AdmissionOptions::default();
    let lookup = |name: &str| namespaces.get(name).cloned().unwrap_or_else(BTreeMap::new);
    let endpoint = eci_bridge_core::admission::endpoint::Endpoint {
        profile: Some(&profile),
        options: &options,
        namespace_labels: &lookup,
    };
    let started = std::time::Instant::now();
    let mut bytes = 0;
    for _ in 0..n {
        bytes += endpoint.answer(&body).body.len();
    }
    let each = started.elapsed() / n as u32;
    println!("{n} answers, {each:?} each ({bytes} bytes)");
    let memo = eci_bridge_daemon::memo::Memo::default();
    let keyed = eci_bridge_daemon::memo::key(body.as_bytes(), "sha").expect("keyed");
    memo.put(keyed, Vec::new(), &endpoint.answer(&body));
    let started = std::time::Instant::now();
    for _ in 0..n {
        let keyed = eci_bridge_daemon::memo::key(body.as_bytes(), "sha").expect("keyed");
        bytes += memo.get(&keyed, lookup).expect("hit").body.len();
    }
    println!("{n} memo hits, {:?} each", started.elapsed() / n as u32);
    let started = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(eci_bridge_daemon::memo::key(body.as_bytes(), "sha").expect("keyed"));
    }
    println!("{n} keys, {:?} each ({bytes})", started.elapsed() / n as u32);
}
