//! Deterministic simulation of the provider engine
//! ([`eci_bridge_core::provider::Engine`]) against the ECI emulator's state
//! machine ([`eci_bridge_emulator::cloud::Cloud`]), in-process and in
//! virtual time, with random pod churn and faults, checking invariants at
//! every step. One seed gives one run, exactly: a failing seed replays.
//!
//! Faults (per [`FaultProfile`]): answers lost after the call was applied,
//! calls refused before they apply (throttling, 5xx, timeouts), latency,
//! zones out of stock for a while (instances end ScheduleFailed), spot
//! instances reclaimed, engine restarts that lose all memory (the new
//! process's informer lists the pods over the next [`RELIST_SPREAD`], so
//! many reach it only after its first listing of ECI), forward clock
//! jumps, pods removed from the API server without a graceful deletion. The
//! faults stop at 60 % of the run; the rest is quiet, so convergence can be
//! checked.
//!
//! Invariants: never two container groups for one pod; no call for an
//! instance of another cluster; after the quiet period no instance left for a
//! pod that is gone, every live pod's reported phase equal to its instance's,
//! and the ECI calls per pod bounded.

use std::collections::BTreeMap;

use eci_bridge_core::eci::request::{Container, CreateContainerGroupRequest};
use eci_bridge_core::eci::wire::WireParams;
use eci_bridge_core::provider::{
    Action, CLUSTER_TAG, CallError, CallId, Deletion, Engine, EngineConfig, Input, Millis, POD_TAG, PodSpec,
};
use eci_bridge_core::status::phase_of;
use eci_bridge_emulator::cloud::Cloud;
use eci_bridge_emulator::scenario::{Rng, Scenario, Spot, ZoneOutage};
use serde::Serialize;

const T0: Millis = 1_800_000_000_000;
const REGION: &str = "cn-hangzhou";
const CLUSTER: &str = "sim-cluster";
/// Time allowed for an answer before the engine hears `Timeout`.
const TIMEOUT: Millis = 5_000;
/// After a restart the informer delivers each pod within this long: a pod
/// may reach the new engine before, during or after its first listing.
pub const RELIST_SPREAD: Millis = 20_000;
/// ECI calls per pod at most over a run besides retries (creates, deletes,
/// lookups, and its share of the polls).
const MAX_CALLS_PER_POD: f64 = 150.0;

/// How hostile the simulated world is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultProfile {
    /// Nothing goes wrong.
    None,
    /// A few lost and refused calls, one restart at most.
    Mild,
    /// Many of everything, outages, spot reclaims, restarts, clock jumps.
    Harsh,
}

impl FaultProfile {
    /// From `none`, `mild`, `harsh`.
    pub fn parse(text: &str) -> Option<FaultProfile> {
        match text {
            "none" => Some(FaultProfile::None),
            "mild" => Some(FaultProfile::Mild),
            "harsh" => Some(FaultProfile::Harsh),
            _ => None,
        }
    }

    /// (lost after apply, refused before apply, restart per second, clock jump per second).
    fn rates(self) -> (f64, f64, f64, f64) {
        match self {
            FaultProfile::None => (0.0, 0.0, 0.0, 0.0),
            FaultProfile::Mild => (0.02, 0.03, 0.0005, 0.0),
            FaultProfile::Harsh => (0.08, 0.12, 0.003, 0.002),
        }
    }
}

/// One run's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SimConfig {
    /// The seed.
    pub seed: u64,
    /// Pods created over the run.
    pub pods: usize,
    /// Virtual duration in seconds.
    pub duration_seconds: i64,
    /// The faults.
    pub profile: FaultProfile,
}

/// What a run did and found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// ECI calls the engine made.
    pub calls: u64,
    /// Answers lost after the call applied.
    pub lost: u64,
    /// Calls refused before applying.
    pub refused: u64,
    /// Engine restarts.
    pub restarts: u64,
    /// Pods a restarted engine heard of only after the call timeout (so after its
    /// first listing was answered or given up).
    pub late_pods: u64,
    /// Forward clock jumps.
    pub clock_jumps: u64,
    /// Instances that ended ScheduleFailed.
    pub schedule_failed: u64,
    /// Pods created / deleted in the API server.
    pub pods_created: u64,
    /// Pods deleted.
    pub pods_deleted: u64,
    /// The first invariant broken, if any.
    pub violation: Option<String>,
}

struct SimPod {
    spec: PodSpec,
    deleted_at: Option<Millis>,
    phase: Option<&'static str>,
    reason: Option<String>,
}

struct Delivery {
    at: Millis,
    call: CallId,
    result: Result<serde_json::Value, CallError>,
}

enum Churn {
    Create(usize),
    Delete(usize),
    Vanish(usize),
}

/// The world: pods, the cloud, the engine and the calls in flight.
struct World {
    config: SimConfig,
    rng: Rng,
    now: Millis,
    cloud: Cloud,
    engine: Engine,
    pods: BTreeMap<String, SimPod>,
    deliveries: Vec<Delivery>,
    /// Pods (by uid) the restarted engine's informer has yet to deliver, and when.
    relists: Vec<(Millis, String)>,
    churn: Vec<(Millis, Churn)>,
    foreign: Vec<String>,
    report: Report,
    faults_until: Millis,
    /// `ECI_BRIDGE_SIM_WATCH`: print the actions whose text contains it.
    watch: Option<String>,
    /// Instances seen ScheduleFailed.
    schedule_failed: std::collections::BTreeSet<String>,
}

fn engine_config() -> EngineConfig {
    EngineConfig {
        poll_every: 5_000,
        resync_every: 60_000,
        orphan_grace: 30_000,
        backoff_base: 500,
        backoff_cap: 20_000,
        ..EngineConfig::new(CLUSTER, REGION)
    }
}

fn scenario(profile: FaultProfile, duration: Millis) -> Scenario {
    let mut s = Scenario::default();
    if profile == FaultProfile::Harsh {
        let window = (duration / 1000) as f64 * 0.6;
        s.zone_outages = vec![
            ZoneOutage { zone: format!("{REGION}-a"), from_seconds: window * 0.2, to_seconds: window * 0.5 },
            ZoneOutage { zone: format!("{REGION}-b"), from_seconds: window * 0.3, to_seconds: window * 0.45 },
        ];
        s.spot = Some(Spot { reclaim_after_seconds: window * 0.3 });
    }
    s
}

fn pod(i: usize, seed: u64, spot: bool) -> PodSpec {
    let uid = format!("uid-{seed}-{i}");
    let mut request = CreateContainerGroupRequest {
        region_id: Some(REGION.into()),
        container_group_name: Some(format!("default-pod-{i}")),
        container: vec![Container { name: Some("app".into()), image: Some("nginx".into()), ..Container::default() }],
        ..CreateContainerGroupRequest::default()
    };
    if spot {
        request.spot_strategy = Some("SpotAsPriceGo".into());
    }
    PodSpec {
        uid,
        namespace: "default".into(),
        name: format!("pod-{i}"),
        request,
        fail_fast: false,
        deletion: None,
        zone: None,
    }
}

impl World {
    fn new(config: SimConfig, world: Option<Scenario>) -> World {
        let duration = config.duration_seconds * 1000;
        let mut rng = Rng::new(config.seed);
        let zones = vec![format!("{REGION}-a"), format!("{REGION}-b")];
        let world = world.unwrap_or_else(|| scenario(config.profile, duration));
        let mut cloud = Cloud::new(REGION, zones, world, config.seed, T0);
        let foreign = (0..2)
            .filter_map(|i| {
                let params = WireParams::from_pairs([
                    ("RegionId", REGION.to_string()),
                    ("ContainerGroupName", format!("other-cluster-{i}")),
                    ("Container.1.Name", "app".into()),
                    ("Container.1.Image", "nginx".into()),
                    ("Tag.1.Key", CLUSTER_TAG.into()),
                    ("Tag.1.Value", "another-cluster".into()),
                    ("Tag.2.Key", POD_TAG.into()),
                    ("Tag.2.Value", format!("foreign-{i}")),
                ]);
                cloud.call("CreateContainerGroup", &params, T0).ok()?.json()["ContainerGroupId"]
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        let mut churn = Vec::new();
        for i in 0..config.pods {
            let born = T0 + (rng.unit() * duration as f64 * 0.5) as Millis;
            churn.push((born, Churn::Create(i)));
            if rng.unit() < 0.5 {
                let life = (rng.unit() * duration as f64 * 0.4) as Millis;
                let vanish = config.profile == FaultProfile::Harsh && rng.unit() < 0.2;
                churn.push((born + life, if vanish { Churn::Vanish(i) } else { Churn::Delete(i) }));
            }
        }
        churn.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        World {
            engine: Engine::new(engine_config(), config.seed.wrapping_mul(1_000_003), T0),
            config,
            rng,
            now: T0,
            cloud,
            pods: BTreeMap::new(),
            deliveries: Vec::new(),
            relists: Vec::new(),
            churn,
            foreign,
            report: Report::default(),
            faults_until: T0 + duration * 6 / 10,
            watch: None,
            schedule_failed: std::collections::BTreeSet::new(),
        }
    }

    fn faulty(&self) -> bool {
        self.now < self.faults_until
    }

    fn run(mut self) -> Report {
        let end = T0 + self.config.duration_seconds * 1000;
        while self.now < end && self.report.violation.is_none() {
            self.apply_churn();
            self.relist();
            self.deliver();
            self.drain_engine();
            self.maybe_restart_or_jump();
            self.check_always();
            let next = [
                self.engine.next_deadline().unwrap_or(Millis::MAX),
                self.deliveries.iter().map(|d| d.at).min().unwrap_or(Millis::MAX),
                self.relists.iter().map(|(at, _)| *at).min().unwrap_or(Millis::MAX),
                self.churn.last().map_or(Millis::MAX, |(at, _)| *at),
            ]
            .into_iter()
            .min()
            .unwrap_or(Millis::MAX);
            // At most a second at a time: the cloud's lifecycle and the
            // fault draws move on their own clock.
            self.now = next.clamp(self.now + 1, self.now + 1_000);
            self.cloud.advance(self.now);
        }
        if self.report.violation.is_none() {
            self.check_at_end();
        }
        self.report.schedule_failed = self.schedule_failed.len() as u64;
        self.report
    }

    fn apply_churn(&mut self) {
        while self.churn.last().is_some_and(|(at, _)| *at <= self.now) {
            let Some((_, event)) = self.churn.pop() else { break };
            match event {
                Churn::Create(i) => {
                    let spec = pod(i, self.config.seed, i % 4 == 0);
                    self.report.pods_created += 1;
                    self.engine.handle(self.now, Input::PodUpserted(Box::new(spec.clone())));
                    self.pods.insert(spec.uid.clone(), SimPod { spec, deleted_at: None, phase: None, reason: None });
                }
                Churn::Delete(i) | Churn::Vanish(i) => {
                    let uid = format!("uid-{}-{i}", self.config.seed);
                    let vanish = matches!(event, Churn::Vanish(_));
                    let Some(p) = self.pods.get_mut(&uid) else { continue };
                    if p.deleted_at.is_some() {
                        continue;
                    }
                    self.report.pods_deleted += 1;
                    p.deleted_at = Some(self.now);
                    p.spec.deletion = Some(Deletion { grace_seconds: if vanish { 0 } else { 30 } });
                    if vanish {
                        self.pods.remove(&uid);
                        self.engine.handle(self.now, Input::PodGone { uid });
                    } else {
                        let spec = p.spec.clone();
                        self.engine.handle(self.now, Input::PodUpserted(Box::new(spec)));
                    }
                }
            }
        }
    }

    /// The restarted engine's informer: each pod due is delivered as it is
    /// now (a pod removed meanwhile never is; its instance is an orphan).
    fn relist(&mut self) {
        let now = self.now;
        let (due, later): (Vec<_>, Vec<_>) = self.relists.drain(..).partition(|(at, _)| *at <= now);
        self.relists = later;
        for (_, uid) in due {
            if let Some(p) = self.pods.get(&uid) {
                self.engine.handle(now, Input::PodUpserted(Box::new(p.spec.clone())));
            }
        }
    }

    fn deliver(&mut self) {
        let now = self.now;
        let (due, later): (Vec<Delivery>, Vec<Delivery>) = self.deliveries.drain(..).partition(|d| d.at <= now);
        self.deliveries = later;
        for d in due {
            self.engine.handle(now, Input::Answer { call: d.call, result: d.result });
        }
    }

    fn drain_engine(&mut self) {
        for _ in 0..100_000 {
            let Some(action) = self.engine.poll(self.now) else { return };
            if let Some(watched) = &self.watch
                && format!("{action:?}").contains(watched.as_str())
            {
                eprintln!("{:>9.3}s {action:?}", (self.now - T0) as f64 / 1000.0);
            }
            match action {
                Action::Call { id, action, params } => self.send(id, action, &params),
                Action::PodStatus { uid, phase, reason, .. } => {
                    if let Some(p) = self.pods.get_mut(&uid) {
                        p.phase = Some(phase);
                        p.reason = reason;
                    }
                }
                Action::Event { .. }
                | Action::PodCondition { .. }
                | Action::RenewLease { .. }
                | Action::NodeStatus { .. } => {}
                Action::ForgetPod { uid } => {
                    if self.pods.get(&uid).is_some_and(|p| p.deleted_at.is_none()) {
                        self.violate(format!("the engine forgot pod {uid}, which was not deleted"));
                    }
                    self.pods.remove(&uid);
                }
            }
        }
        self.violate("the engine produced more than 100000 actions at one instant".into());
    }

    fn send(&mut self, id: CallId, action: &'static str, params: &WireParams) {
        self.report.calls += 1;
        if let Some(target) = params.get("ContainerGroupId")
            && self.foreign.iter().any(|f| f == target)
            && action != "DescribeContainerGroups"
        {
            self.violate(format!("{action} on {target}, an instance of another cluster"));
        }
        let (lose, refuse, _, _) = self.config.profile.rates();
        let faulty = self.faulty();
        let latency = 20 + (self.rng.unit() * 300.0) as Millis;
        let draw = self.rng.unit();
        if faulty && draw < refuse {
            self.report.refused += 1;
            let kind = self.rng.unit();
            let error = if kind < 0.4 {
                CallError { status: 400, code: "Throttling.User".into(), message: "flow control".into() }
            } else if kind < 0.7 {
                CallError { status: 503, code: "ServiceUnavailable".into(), message: "unavailable".into() }
            } else {
                CallError::no_answer("Timeout")
            };
            let at = self.now + if error.status == 0 { TIMEOUT } else { latency };
            self.deliveries.push(Delivery { at, call: id, result: Err(error) });
            return;
        }
        let result = self.cloud.call(action, params, self.now).map(|a| a.json()).map_err(|e| CallError {
            status: e.status,
            code: e.code,
            message: e.message,
        });
        if faulty && draw < refuse + lose {
            self.report.lost += 1;
            self.deliveries.push(Delivery {
                at: self.now + TIMEOUT,
                call: id,
                result: Err(CallError::no_answer("Timeout")),
            });
            return;
        }
        self.deliveries.push(Delivery { at: self.now + latency, call: id, result });
    }

    fn maybe_restart_or_jump(&mut self) {
        if !self.faulty() {
            return;
        }
        let (_, _, restart, jump) = self.config.profile.rates();
        if self.rng.unit() < restart {
            // A new process: no memory, answers to the old one's calls lost.
            self.report.restarts += 1;
            self.deliveries.clear();
            let incarnation = self.config.seed.wrapping_mul(1_000_003).wrapping_add(self.report.restarts);
            self.engine = Engine::new(engine_config(), incarnation, self.now);
            self.relists.clear();
            let uids: Vec<String> = self.pods.keys().cloned().collect();
            for uid in uids {
                let delay = (self.rng.unit() * RELIST_SPREAD as f64) as Millis;
                self.report.late_pods += u64::from(delay > TIMEOUT);
                self.relists.push((self.now + delay, uid));
            }
        }
        if self.rng.unit() < jump {
            self.report.clock_jumps += 1;
            self.now += 30_000 + (self.rng.unit() * 90_000.0) as Millis;
            self.cloud.advance(self.now);
        }
    }

    fn violate(&mut self, what: String) {
        if self.report.violation.is_none() {
            let at = (self.now - T0) as f64 / 1000.0;
            self.report.violation = Some(format!("at {at:.3} s: {what}"));
        }
    }

    /// Instances per pod (this cluster's).
    fn instances_by_pod(&self) -> BTreeMap<String, Vec<(String, &'static str)>> {
        let mut by_pod: BTreeMap<String, Vec<(String, &'static str)>> = BTreeMap::new();
        for g in self.cloud.groups() {
            let tag = |k: &str| g.tags.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
            if tag(CLUSTER_TAG).as_deref() == Some(CLUSTER)
                && let Some(uid) = tag(POD_TAG)
            {
                by_pod.entry(uid).or_default().push((g.id.clone(), g.status.as_str()));
            }
        }
        by_pod
    }

    fn check_always(&mut self) {
        let failed = self.cloud.groups().filter(|g| g.status.as_str() == "ScheduleFailed").map(|g| g.id.clone());
        self.schedule_failed.extend(failed.collect::<Vec<_>>());
        let twice = self.instances_by_pod().into_iter().find(|(_, groups)| groups.len() > 1);
        if let Some((uid, groups)) = twice {
            self.violate(format!("pod {uid} has {} container groups: {groups:?}", groups.len()));
        }
    }

    fn check_at_end(&mut self) {
        let by_pod = self.instances_by_pod();
        for (uid, groups) in &by_pod {
            if !self.pods.contains_key(uid) && groups.iter().any(|(_, s)| *s != "Terminating") {
                self.violate(format!("pod {uid} is gone but its instance is left: {groups:?}"));
                return;
            }
        }
        for (uid, p) in &self.pods {
            if p.deleted_at.is_some() {
                let what = format!("pod {uid} was deleted but never forgotten (instances {:?})", by_pod.get(uid));
                self.violate(what);
                return;
            }
            let Some((id, status)) = by_pod.get(uid).and_then(|g| g.first()) else {
                // Between a ScheduleFailed instance's deletion and its
                // replacement (a world short of stock) a pod has none.
                if p.phase == Some("Pending") && p.reason.as_deref() == Some("ContainerInstanceScheduleFailed") {
                    continue;
                }
                let what = format!("pod {uid} has no instance after the quiet period (reported {:?})", p.phase);
                self.violate(what);
                return;
            };
            // Converged means: within two status polls and a timeout of the
            // instance's last change (a change in the last seconds of the run
            // may not have been seen yet).
            let changed = self.cloud.groups().find(|g| g.id == *id).map_or(T0, |g| g.changed);
            if self.now - changed < 2 * engine_config().poll_every + TIMEOUT {
                continue;
            }
            let expected = match *status {
                "Expired" => "Failed",
                // Fail-back (the default): a ScheduleFailed instance is being
                // replaced, the pod stays Pending (a world without stock
                // keeps it there).
                "ScheduleFailed" => "Pending",
                other => phase_of(other),
            };
            if p.phase != Some(expected) {
                let what = format!("pod {uid} reports {:?}, its instance is {status} ({expected})", p.phase);
                self.violate(what);
                return;
            }
        }
        // Retries are bounded by the backoff's cap: a pod that can never be
        // placed (a world without stock) costs a create and a delete per cap.
        let retries = 4.0 * self.config.duration_seconds as f64 * 1000.0 / engine_config().backoff_cap as f64;
        let bound = MAX_CALLS_PER_POD + retries;
        let per_pod = self.report.calls as f64 / self.report.pods_created.max(1) as f64;
        if per_pod > bound {
            self.violate(format!("{per_pod:.1} ECI calls per pod (bound {bound:.0})"));
        }
    }
}

/// Runs one simulation.
pub fn simulate(config: SimConfig) -> Report {
    World::new(config, None).run()
}

/// [`simulate`] in a world read from an emulator scenario file
/// (`eci-bridge simulate --faults F.yaml`: stock, quota, zone outages, spot
/// reclaims, exits, timings) instead of the profile's; the profile still
/// decides the faults of the engine's calls. The zones are
/// `cn-hangzhou-a` and `cn-hangzhou-b`.
pub fn simulate_in(config: SimConfig, world: Scenario) -> Report {
    World::new(config, Some(world)).run()
}

/// [`simulate`], printing to standard error every action whose text
/// contains `watch` (a pod UID, an instance id): the replay of a failure.
pub fn simulate_watching(config: SimConfig, watch: &str) -> Report {
    let mut world = World::new(config, None);
    world.watch = Some(watch.to_string());
    world.run()
}

/// [`simulate_in`], watching as [`simulate_watching`] does.
pub fn simulate_watching_in(config: SimConfig, scenario: Scenario, watch: &str) -> Report {
    let mut world = World::new(config, Some(scenario));
    world.watch = Some(watch.to_string());
    world.run()
}

/// The command that replays a run.
pub fn replay_command(config: &SimConfig) -> String {
    let profile = match config.profile {
        FaultProfile::None => "none",
        FaultProfile::Mild => "mild",
        FaultProfile::Harsh => "harsh",
    };
    format!(
        "eci-bridge simulate --seed {} --pods {} --duration {} --fault-profile {profile}",
        config.seed, config.pods, config.duration_seconds
    )
}
