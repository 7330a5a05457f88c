//! The sync engine: pods in, ECI calls and pod updates out, time an input.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::types::{Action, CLUSTER_TAG, CallError, CallId, EngineConfig, Input, Millis, POD_TAG, PodSpec};
use crate::eci::request::Tag;
use crate::eci::wire::WireParams;
use crate::status::phase_of;

/// Where one pod stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Create its instance (after the first listing: adoption comes first).
    Create,
    /// Its instance exists; statuses come from the polls.
    Live,
    /// Creation was refused for good (fail-fast): nothing more to do.
    Failed,
    /// Nothing can be sent until the pod or the settings change (no
    /// vSwitch in the pod's zone).
    Blocked,
    /// Delete the failed instance, then create anew.
    Recreate,
    /// The pod is being deleted: delete its instance.
    Delete,
    /// Make sure no instance of the pod is left, then forget it.
    Confirm,
}

#[derive(Debug, Clone)]
struct Tracked {
    spec: PodSpec,
    stage: Stage,
    instance: Option<String>,
    /// When the instance became known (a listing started earlier cannot
    /// vouch for its absence).
    known_since: Millis,
    eci_status: Option<String>,
    /// Creation generation: part of the ClientToken.
    attempt: u32,
    /// Consecutive failures (the backoff's exponent).
    failures: u32,
    due: Millis,
    busy: bool,
    reported: Option<(&'static str, Option<String>)>,
    /// The API object is gone (no status to write; forget once confirmed).
    gone: bool,
    /// Where the pod sits in the engine's indexes (see `Engine::refresh`).
    indexed: (Option<Millis>, Option<String>),
    /// The spot release notice of the current instance was passed on.
    spot_noticed: bool,
    /// Instances this process deleted for the pod (the last few): a stale
    /// listing must not hand one back.
    deleted: Vec<String>,
}

impl Tracked {
    /// Holds another instance (or none): what was seen of the previous one
    /// no longer applies.
    fn hold(&mut self, instance: Option<String>, now: Millis) {
        self.instance = instance;
        self.known_since = now;
        self.eci_status = None;
        self.spot_noticed = false;
    }
}

/// What an in-flight call was for.
#[derive(Debug, Clone)]
enum Purpose {
    Create(String),
    Delete { uid: Option<String>, instance: String },
    Find(String),
    List { started: Millis },
    Poll,
}

/// The engine. See the module documentation of [`crate::provider`].
#[derive(Debug, Clone)]
pub struct Engine {
    config: EngineConfig,
    incarnation: u64,
    pods: BTreeMap<String, Tracked>,
    calls: BTreeMap<CallId, Purpose>,
    next_call: CallId,
    out: VecDeque<Action>,
    /// The first full listing is done: creating is safe.
    synced: bool,
    /// A listing in progress: the instances seen so far.
    listing: Option<Vec<Value>>,
    next_resync: Millis,
    next_poll: Millis,
    /// Instances of this cluster whose pod is unknown: when first seen.
    orphans: BTreeMap<String, Millis>,
    /// Pod UID → the instance the last listing found for it (not on its way
    /// out, no delete sent) while the pod was unknown: a pod the informer
    /// delivers after that listing looks its instance up before creating.
    unclaimed: BTreeMap<String, String>,
    rng: u64,
    /// Pods with a step of their own, by when it is due: a cycle touches
    /// the pods that act, never all of them.
    timers: BTreeSet<(Millis, String)>,
    /// Instance id → pod UID, for the status answers.
    by_instance: HashMap<String, String>,
    /// Pods changed since the indexes were last brought up to date.
    dirty: BTreeSet<String>,
    /// Calls started per action in the current second (rate limits).
    windows: HashMap<&'static str, (Millis, u32)>,
    /// A step was held back by a rate limit until then.
    rate_wait: Option<Millis>,
    next_lease: Millis,
    next_node_status: Millis,
}

impl Engine {
    /// A new engine (a fresh process: it knows nothing). `incarnation` must
    /// differ between processes (a random number, or a seed in simulation):
    /// it is part of every ClientToken, so a token of a previous process,
    /// whose instance may since have been deleted, is never reused.
    pub fn new(config: EngineConfig, incarnation: u64, now: Millis) -> Engine {
        Engine {
            config,
            incarnation,
            pods: BTreeMap::new(),
            calls: BTreeMap::new(),
            next_call: 1,
            out: VecDeque::new(),
            synced: false,
            listing: None,
            next_resync: now,
            next_poll: now,
            orphans: BTreeMap::new(),
            unclaimed: BTreeMap::new(),
            timers: BTreeSet::new(),
            by_instance: HashMap::new(),
            dirty: BTreeSet::new(),
            windows: HashMap::new(),
            rate_wait: None,
            next_lease: now,
            next_node_status: now,
            rng: (incarnation ^ 0x005E_ED0F_E0C1) | 1,
        }
    }

    /// Pods tracked.
    pub fn len(&self) -> usize {
        self.pods.len()
    }

    /// No pod tracked.
    pub fn is_empty(&self) -> bool {
        self.pods.is_empty()
    }

    /// The instance the engine holds for a pod.
    pub fn instance_of(&self, uid: &str) -> Option<&str> {
        self.pods.get(uid).and_then(|t| t.instance.as_deref())
    }

    /// Takes one input.
    pub fn handle(&mut self, now: Millis, input: Input) {
        match input {
            Input::PodUpserted(spec) => self.upsert(now, *spec),
            Input::PodGone { uid } => self.gone(now, &uid),
            Input::Answer { call, result } => {
                if let Some(purpose) = self.calls.remove(&call) {
                    self.answer(now, purpose, result);
                }
            }
        }
        self.refresh();
    }

    /// The next action due at `now`, if any.
    pub fn poll(&mut self, now: Millis) -> Option<Action> {
        if self.out.is_empty() {
            self.schedule(now);
            self.refresh();
        }
        self.out.pop_front()
    }

    /// When the engine next has something to do without new input; `None`
    /// while every call slot is taken (an answer is the next event).
    pub fn next_deadline(&self) -> Option<Millis> {
        if !self.out.is_empty() {
            return Some(Millis::MIN);
        }
        let nodes = (!self.config.nodes.is_empty()).then(|| self.next_lease.min(self.next_node_status));
        if !self.has_slot() {
            return nodes;
        }
        let pod = self.timers.first().map(|(at, _)| *at);
        // The status poll waits for the first listing.
        let poll = self.synced.then_some(self.next_poll);
        let due = pod.into_iter().chain([Some(self.next_resync), poll].into_iter().flatten()).min()?;
        // Held back by a rate limit: not before its next second.
        let due = self.rate_wait.map_or(due, |wait| due.max(wait));
        Some(nodes.map_or(due, |n| n.min(due)))
    }

    /// The virtual nodes' Leases and statuses, on their own clocks (they
    /// need no ECI call, so no slot or rate limit holds them back).
    fn node_upkeep(&mut self, now: Millis) {
        if self.config.nodes.is_empty() {
            return;
        }
        if now >= self.next_lease {
            self.next_lease = now + self.config.lease_every;
            for node in &self.config.nodes {
                self.out.push_back(Action::RenewLease { node: node.clone() });
            }
        }
        if now >= self.next_node_status {
            self.next_node_status = now + self.config.node_status_every;
            for node in &self.config.nodes {
                self.out.push_back(Action::NodeStatus { node: node.clone() });
            }
        }
    }

    /// Whether `action` may start another call this second.
    fn within_rate(&mut self, action: &'static str, now: Millis) -> bool {
        let Some(&limit) = self.config.rate_limits.get(action) else { return true };
        let second = now.div_euclid(1000);
        let window = self.windows.entry(action).or_insert((second, 0));
        if window.0 != second {
            *window = (second, 0);
        }
        if window.1 < limit {
            window.1 += 1;
            return true;
        }
        let next = (second + 1) * 1000;
        self.rate_wait = Some(self.rate_wait.map_or(next, |w| w.min(next)));
        false
    }

    /// A pod to change: it is brought up to date in the indexes afterwards.
    fn pod_mut(&mut self, uid: &str) -> Option<&mut Tracked> {
        let t = self.pods.get_mut(uid)?;
        self.dirty.insert(uid.to_string());
        Some(t)
    }

    /// Brings the changed pods' timers and instance index up to date.
    fn refresh(&mut self) {
        for uid in std::mem::take(&mut self.dirty) {
            let Some(t) = self.pods.get_mut(&uid) else { continue };
            let (old_timer, old_instance) = std::mem::take(&mut t.indexed);
            let timer = (!t.busy && acts(t.stage, self.synced)).then_some(t.due);
            t.indexed = (timer, t.instance.clone());
            if let Some(at) = old_timer {
                self.timers.remove(&(at, uid.clone()));
            }
            if let Some(at) = timer {
                self.timers.insert((at, uid.clone()));
            }
            if old_instance != t.instance {
                if let Some(id) = old_instance {
                    self.by_instance.remove(&id);
                }
                if let Some(id) = &t.instance {
                    self.by_instance.insert(id.clone(), uid.clone());
                }
            }
        }
    }

    /// Forgets a pod and its index entries.
    fn forget(&mut self, uid: &str) {
        if let Some(t) = self.pods.remove(uid) {
            if let Some(at) = t.indexed.0 {
                self.timers.remove(&(at, uid.to_string()));
            }
            if let Some(id) = t.indexed.1 {
                self.by_instance.remove(&id);
            }
        }
        self.dirty.remove(uid);
        self.out.push_back(Action::ForgetPod { uid: uid.to_string() });
    }

    fn upsert(&mut self, now: Millis, spec: PodSpec) {
        let uid = spec.uid.clone();
        match self.pod_mut(&uid) {
            // Gone from the API server: a late informer event does not bring it back.
            Some(t) if t.gone => {}
            Some(t) => {
                let deleting = spec.deletion.is_some() && t.spec.deletion.is_none();
                t.spec = spec;
                if deleting {
                    begin_delete(t, now);
                } else if t.stage == Stage::Blocked {
                    t.stage = Stage::Create;
                    t.due = now;
                }
            }
            None => {
                let mut t = Tracked {
                    stage: Stage::Create,
                    instance: None,
                    known_since: now,
                    eci_status: None,
                    attempt: 0,
                    failures: 0,
                    due: now,
                    busy: false,
                    reported: None,
                    gone: false,
                    indexed: (None, None),
                    spot_noticed: false,
                    deleted: Vec::new(),
                    spec,
                };
                if t.spec.deletion.is_some() {
                    t.stage = Stage::Confirm;
                }
                self.dirty.insert(uid.clone());
                if self.unclaimed.remove(&uid).is_some() {
                    // A listing found an instance for the pod before the
                    // informer delivered it (a restart): look it up afresh
                    // (the listing may be a resync old) and adopt what is
                    // there, instead of creating a second one.
                    t.stage = Stage::Confirm;
                }
                self.pods.insert(uid, t);
            }
        }
    }

    fn gone(&mut self, now: Millis, uid: &str) {
        if let Some(t) = self.pod_mut(uid) {
            t.gone = true;
            if t.spec.deletion.is_none() {
                t.spec.deletion = Some(super::types::Deletion { grace_seconds: 0 });
                begin_delete(t, now);
            }
        }
    }

    /// Queues what is due: the listing, the poll, and each pod's step.
    fn schedule(&mut self, now: Millis) {
        self.rate_wait = None;
        self.node_upkeep(now);
        let list = self.listing.is_none() && now >= self.next_resync && self.has_slot();
        if list && self.within_rate("DescribeContainerGroups", now) {
            self.listing = Some(Vec::new());
            self.next_resync = now + self.config.resync_every;
            self.list_page(now, None);
        }
        let poll = self.synced && now >= self.next_poll && self.has_slot();
        if poll && self.within_rate("DescribeContainerGroupStatus", now) {
            self.next_poll = now + self.config.poll_every;
            self.status_poll(None);
        }
        let slots = self.config.max_in_flight.saturating_sub(self.calls.len());
        let due: Vec<String> =
            self.timers.iter().take_while(|(at, _)| *at <= now).take(slots).map(|(_, uid)| uid.clone()).collect();
        for uid in due {
            if !self.has_slot() {
                break;
            }
            let Some(action) = self.pods.get(&uid).map(|t| step_action(t.stage, t.instance.is_some())) else {
                continue;
            };
            if self.within_rate(action, now) {
                self.step(now, &uid);
            }
        }
    }

    fn has_slot(&self) -> bool {
        self.calls.len() < self.config.max_in_flight
    }

    fn call(&mut self, action: &'static str, mut params: WireParams, purpose: Purpose) {
        let id = self.next_call;
        self.next_call += 1;
        params.insert("RegionId", self.config.region.clone());
        self.calls.insert(id, purpose);
        self.out.push_back(Action::Call { id, action, params });
    }

    /// One pod's step.
    fn step(&mut self, now: Millis, uid: &str) {
        let Some(t) = self.pods.get(uid) else { return };
        let (stage, instance, grace) = (t.stage, t.instance.clone(), t.spec.deletion.map(|d| d.grace_seconds));
        match (stage, instance) {
            (Stage::Create, _) => {
                let Some(params) = self.create_params(uid) else {
                    self.set_stage(uid, Stage::Blocked, now);
                    let zone = self.pods.get(uid).and_then(|t| t.spec.zone.clone()).unwrap_or_default();
                    let message = format!("no vSwitch of the settings is in zone {zone}, the pod's virtual node's");
                    self.report(uid, "Pending", Some("NoVSwitchInZone".into()), Some(message.clone()));
                    self.event(uid, "Warning", "NoVSwitchInZone", message);
                    return;
                };
                self.mark_busy(uid);
                self.call("CreateContainerGroup", params, Purpose::Create(uid.to_string()));
            }
            (Stage::Recreate, Some(id)) => self.delete(uid, id, true),
            (Stage::Delete, Some(id)) => self.delete(uid, id, grace.unwrap_or(0) == 0),
            (Stage::Recreate, None) => self.set_stage(uid, Stage::Create, now),
            (Stage::Delete, None) | (Stage::Confirm, _) => {
                let mut params = self.cluster_tag();
                params.insert("Tag.2.Key", POD_TAG);
                params.insert("Tag.2.Value", uid);
                self.mark_busy(uid);
                self.call("DescribeContainerGroups", params, Purpose::Find(uid.to_string()));
            }
            (Stage::Live | Stage::Failed | Stage::Blocked, _) => {}
        }
    }

    fn delete(&mut self, uid: &str, instance: String, force: bool) {
        let mut params = WireParams::from_pairs([("ContainerGroupId", instance.as_str())]);
        if force {
            // Force only when the grace period is zero (or the instance is
            // being replaced): otherwise ECI runs preStop and the grace.
            params.insert("Force", "true");
        }
        self.mark_busy(uid);
        self.call("DeleteContainerGroup", params, Purpose::Delete { uid: Some(uid.to_string()), instance });
    }

    /// Deletes, at once, an instance no pod of this process owns (an orphan,
    /// or a previous process's extra instance of a pod).
    fn delete_unowned(&mut self, id: &str) {
        let params = WireParams::from_pairs([("ContainerGroupId", id), ("Force", "true")]);
        self.call("DeleteContainerGroup", params, Purpose::Delete { uid: None, instance: id.to_string() });
    }

    fn mark_busy(&mut self, uid: &str) {
        if let Some(t) = self.pod_mut(uid) {
            t.busy = true;
        }
    }

    fn set_stage(&mut self, uid: &str, stage: Stage, due: Millis) {
        if let Some(t) = self.pod_mut(uid) {
            t.stage = stage;
            t.due = due;
        }
    }

    fn cluster_tag(&self) -> WireParams {
        WireParams::from_pairs([("Tag.1.Key", CLUSTER_TAG), ("Tag.1.Value", self.config.cluster_id.as_str())])
    }

    /// The create request with the engine's ClientToken and tags; `None`
    /// when the pod's zone has none of the request's vSwitches.
    fn create_params(&self, uid: &str) -> Option<WireParams> {
        let t = self.pods.get(uid)?;
        let mut request = t.spec.request.clone();
        if let Some(zone) = &t.spec.zone {
            // A pod on a per-zone virtual node gets only that zone's
            // vSwitches: an instance must not land outside its node's zone.
            let ids = request.v_switch_id.as_deref().unwrap_or_default();
            let kept: Vec<&str> =
                ids.split(',').filter(|id| self.config.vswitch_zones.get(id.trim()) == Some(zone)).collect();
            if kept.is_empty() {
                return None;
            }
            if kept.len() == 1 {
                request.schedule_strategy = None;
            }
            request.v_switch_id = Some(kept.join(","));
        }
        request.client_token = Some(self.client_token(uid, t.attempt));
        request.tag.retain(|tag| !matches!(tag.key.as_deref(), Some(CLUSTER_TAG | POD_TAG)));
        request.tag.push(Tag { key: Some(CLUSTER_TAG.into()), value: Some(self.config.cluster_id.clone()) });
        request.tag.push(Tag { key: Some(POD_TAG.into()), value: Some(uid.to_string()) });
        Some(WireParams::from_json(&request.to_json()))
    }

    /// ≤ 64 ASCII characters (docs/eci-api.md#client-token), the same for every retry of
    /// one creation of one pod in one process.
    fn client_token(&self, uid: &str, attempt: u32) -> String {
        let mut h = Sha256::new();
        for part in [self.config.cluster_id.as_bytes(), uid.as_bytes()] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        h.update(self.incarnation.to_le_bytes());
        h.update(attempt.to_le_bytes());
        h.finalize().iter().take(24).map(|b| format!("{b:02x}")).collect()
    }

    /// The wait before a pod's next try, by its consecutive failures.
    fn retry_wait(&mut self, uid: &str) -> Millis {
        let failures = self.pods.get(uid).map_or(0, |t| t.failures);
        self.backoff(failures)
    }

    /// The wait after `failures` consecutive failures: capped doubling,
    /// with jitter in [50 %, 100 %] so retries of many pods spread out.
    fn backoff(&mut self, failures: u32) -> Millis {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let ceiling = self.config.backoff_base.saturating_mul(1i64 << failures.min(20)).min(self.config.backoff_cap);
        ceiling / 2 + (self.rng % (ceiling as u64 / 2 + 1)) as Millis
    }

    fn list_page(&mut self, now: Millis, token: Option<&str>) {
        let mut params = self.cluster_tag();
        params.insert("Limit", "20");
        if let Some(token) = token {
            params.insert("NextToken", token);
        }
        self.call("DescribeContainerGroups", params, Purpose::List { started: now });
    }

    fn status_poll(&mut self, token: Option<&str>) {
        let mut params = self.cluster_tag();
        // Statuses changed within two poll periods: a poll that is late or
        // lost is covered by the next (docs/eci-api.md#describecontainergroupstatus).
        let window = ((2 * self.config.poll_every + 999) / 1000).max(1);
        params.insert("SinceSecond", window.to_string());
        params.insert("Limit", "200");
        if let Some(token) = token {
            params.insert("NextToken", token);
        }
        self.call("DescribeContainerGroupStatus", params, Purpose::Poll);
    }

    fn answer(&mut self, now: Millis, purpose: Purpose, result: Result<Value, CallError>) {
        match purpose {
            Purpose::Create(uid) => self.created(now, &uid, result),
            Purpose::Delete { uid, instance } => self.deleted(now, uid.as_deref(), &instance, result),
            Purpose::Find(uid) => self.found(now, &uid, result),
            Purpose::List { started } => self.listed(now, started, result),
            Purpose::Poll => self.polled(now, result),
        }
    }

    fn created(&mut self, now: Millis, uid: &str, result: Result<Value, CallError>) {
        let wait = self.retry_wait(uid);
        let Some(t) = self.pod_mut(uid) else { return };
        t.busy = false;
        match result {
            Ok(body) => {
                let id = body["ContainerGroupId"].as_str().unwrap_or_default().to_string();
                t.hold(Some(id.clone()), now);
                t.failures = 0;
                t.eci_status = Some("Scheduling".into());
                if t.spec.deletion.is_some() {
                    // Deleted while its create was in flight: the instance goes too.
                    t.stage = Stage::Delete;
                    t.due = now;
                } else {
                    t.stage = Stage::Live;
                    self.report(uid, "Pending", Some("Creating".into()), Some("Creating".into()));
                    self.event(uid, "Normal", "ContainerInstanceCreated", format!("Created container group {id}"));
                }
            }
            Err(e) => {
                t.failures += 1;
                t.due = now + wait;
                if t.spec.deletion.is_some() {
                    // A lost create may still have made an instance: look for it.
                    t.stage = Stage::Confirm;
                    t.due = now;
                } else if !e.is_retryable() && t.spec.fail_fast {
                    t.stage = Stage::Failed;
                    self.report(
                        uid,
                        "Failed",
                        Some("ProviderFailed".into()),
                        Some(format!("{}: {}", e.code, e.message)),
                    );
                    self.event(uid, "Warning", "ProviderCreateFailed", format!("{}: {}", e.code, e.message));
                } else {
                    // docs/annotations.md#eci-fail-strategy fail-back (the default): keep
                    // retrying, the pod Pending with ECI's reason and message.
                    self.report(uid, "Pending", Some(e.code.clone()), Some(e.message.clone()));
                }
            }
        }
    }

    fn deleted(&mut self, now: Millis, uid: Option<&str>, instance: &str, result: Result<Value, CallError>) {
        self.orphans.remove(instance);
        self.unclaimed.retain(|_, id| id != instance);
        let Some(uid) = uid else { return };
        let wait = self.retry_wait(uid);
        let Some(t) = self.pod_mut(uid) else { return };
        t.busy = false;
        if result.as_ref().is_ok() || result.as_ref().is_err_and(CallError::is_not_found) {
            if t.deleted.len() >= 4 {
                t.deleted.remove(0);
            }
            t.deleted.push(instance.to_string());
        }
        match result {
            Ok(_) => {
                t.failures = 0;
                t.hold(None, now);
                if t.stage == Stage::Recreate {
                    t.attempt += 1;
                    t.stage = Stage::Create;
                    t.due = now + wait;
                } else {
                    t.stage = Stage::Confirm;
                    t.due = now;
                }
            }
            Err(e) if e.is_not_found() => {
                t.hold(None, now);
                t.stage = if t.stage == Stage::Recreate { Stage::Create } else { Stage::Confirm };
                t.attempt += u32::from(t.stage == Stage::Create);
                t.due = now;
            }
            Err(_) => {
                t.failures += 1;
                t.due = now + wait;
            }
        }
    }

    /// The answer to "instances of this pod?" before forgetting it.
    fn found(&mut self, now: Millis, uid: &str, result: Result<Value, CallError>) {
        let wait = self.retry_wait(uid);
        let poll_every = self.config.poll_every;
        let Some(t) = self.pod_mut(uid) else { return };
        t.busy = false;
        let Ok(body) = result else {
            t.failures += 1;
            t.due = now + wait;
            return;
        };
        let groups = body["ContainerGroups"].as_array().cloned().unwrap_or_default();
        let left = groups.iter().find(|g| g["Status"] != "Terminating");
        let adoptable = groups.iter().find(|g| {
            g["Status"] != "Terminating"
                && !t.deleted.iter().any(|d| Some(d.as_str()) == g["ContainerGroupId"].as_str())
        });
        if let (Some(g), false) = (adoptable, t.spec.deletion.is_some()) {
            // A live pod whose instance a listing saw before the pod arrived:
            // the previous process's, confirmed to exist, now its own.
            let id = g["ContainerGroupId"].as_str().unwrap_or_default().to_string();
            let status = g["Status"].as_str().unwrap_or_default().to_string();
            self.orphans.remove(&id);
            self.adopt(now, uid, id, &status);
            return;
        }
        match (left, groups.is_empty(), t.spec.deletion.is_some()) {
            (_, true, true) => self.forget(uid),
            (Some(g), _, true) => {
                t.hold(g["ContainerGroupId"].as_str().map(str::to_string), now);
                t.stage = Stage::Delete;
                t.due = now;
            }
            // Only instances terminating: look again a poll later.
            (None, false, true) => t.due = now + poll_every,
            // Not deleting, and nothing to adopt: create.
            (_, _, false) => {
                t.stage = Stage::Create;
                t.due = now;
            }
        }
    }

    fn listed(&mut self, now: Millis, started: Millis, result: Result<Value, CallError>) {
        let body = match result {
            Ok(body) => body,
            Err(_) => {
                // Start over soon; a partial listing proves nothing.
                self.listing = None;
                self.next_resync = now + self.config.backoff_base;
                return;
            }
        };
        if let Some(seen) = &mut self.listing {
            seen.extend(body["ContainerGroups"].as_array().cloned().unwrap_or_default());
        }
        match body["NextToken"].as_str().filter(|t| !t.is_empty()) {
            Some(token) => {
                let token = token.to_string();
                self.list_page(started, Some(&token));
            }
            None => {
                let seen = self.listing.take().unwrap_or_default();
                self.reconcile(now, started, &seen);
                if !self.synced {
                    // Creating is safe from now on: every waiting pod acts.
                    self.synced = true;
                    self.dirty.extend(self.pods.keys().cloned());
                }
            }
        }
    }

    /// Makes `id`, an instance a previous process made for pod `uid`, the
    /// pod's own: it lives on (or goes, when the pod is being deleted).
    fn adopt(&mut self, now: Millis, uid: &str, id: String, status: &str) {
        let Some(t) = self.pod_mut(uid) else { return };
        t.hold(Some(id), now);
        t.stage = if t.spec.deletion.is_some() { Stage::Delete } else { Stage::Live };
        t.due = now;
        self.observe(now, uid.to_string(), status);
    }

    /// A complete listing of this cluster's instances: adopt, notice
    /// instances gone out of band, collect orphans.
    fn reconcile(&mut self, now: Millis, started: Millis, seen: &[Value]) {
        let mut present = BTreeSet::new();
        let mut unclaimed = BTreeMap::new();
        for g in seen {
            let (Some(id), Some(uid)) = (g["ContainerGroupId"].as_str(), tag(g, POD_TAG)) else { continue };
            if tag(g, CLUSTER_TAG) != Some(self.config.cluster_id.as_str()) {
                continue;
            }
            present.insert(id.to_string());
            let status = g["Status"].as_str().unwrap_or_default().to_string();
            let terminating = status == "Terminating";
            match self.pod_mut(uid) {
                Some(t) if t.instance.as_deref() == Some(id) => self.observe(now, uid.to_string(), &status),
                Some(t)
                    if t.instance.is_none()
                        && !t.busy
                        && matches!(t.stage, Stage::Create | Stage::Confirm)
                        && !terminating
                        && !t.deleted.iter().any(|d| d == id) =>
                {
                    // Adoption: the instance of a previous process (never one
                    // on its way out, nor one this process deleted).
                    self.adopt(now, uid, id.to_string(), &status);
                }
                Some(t) => {
                    // Another instance of a pod that holds one (or is busy
                    // making one): an extra from a previous process. It goes
                    // once it has been seen for the orphan grace and the pod
                    // holds its own, so a create in flight is never undone.
                    let settled = !t.busy && t.instance.is_some() && !t.deleted.iter().any(|d| d == id);
                    let first = *self.orphans.entry(id.to_string()).or_insert(now);
                    if settled && !terminating && now - first >= self.config.orphan_grace && self.has_slot() {
                        self.delete_unowned(id);
                    }
                }
                None => {
                    let first = *self.orphans.entry(id.to_string()).or_insert(now);
                    if terminating {
                        continue;
                    }
                    if now - first >= self.config.orphan_grace && self.has_slot() {
                        self.delete_unowned(id);
                    } else {
                        unclaimed.insert(uid.to_string(), id.to_string());
                    }
                }
            }
        }
        self.orphans.retain(|id, _| present.contains(id));
        self.unclaimed = unclaimed;
        // Known before the listing began, yet absent: gone out of band.
        let lost: Vec<String> = self
            .pods
            .iter()
            .filter(|(_, t)| t.stage == Stage::Live && !t.busy && t.known_since < started)
            .filter(|(_, t)| t.instance.as_ref().is_some_and(|id| !present.contains(id)))
            .map(|(uid, _)| uid.clone())
            .collect();
        for uid in lost {
            if let Some(t) = self.pod_mut(&uid) {
                t.hold(None, now);
                t.attempt += 1;
                t.stage = Stage::Create;
                t.due = now;
            }
            self.event(
                &uid,
                "Warning",
                "ContainerInstanceGone",
                "the instance no longer exists; creating it again".into(),
            );
        }
    }

    fn polled(&mut self, now: Millis, result: Result<Value, CallError>) {
        let Ok(body) = result else { return };
        for item in body["Data"].as_array().into_iter().flatten() {
            let (Some(id), Some(status)) = (item["ContainerGroupId"].as_str(), item["Status"].as_str()) else {
                continue;
            };
            if let Some(uid) = self.by_instance.get(id).cloned() {
                self.observe(now, uid.clone(), status);
                self.spot_notice(&uid, item);
            }
        }
        if let Some(token) = body["NextToken"].as_str().filter(|t| !t.is_empty()) {
            let token = token.to_string();
            self.status_poll(Some(&token));
        }
    }

    /// An instance's status, seen: the pod follows (docs/status.md#phase-table).
    fn observe(&mut self, now: Millis, uid: String, status: &str) {
        let wait = self.backoff(0);
        let Some(t) = self.pod_mut(&uid) else { return };
        if t.eci_status.as_deref() == Some(status) || t.stage != Stage::Live {
            t.eci_status = Some(status.to_string());
            return;
        }
        t.eci_status = Some(status.to_string());
        match status {
            "ScheduleFailed" if !t.spec.fail_fast => {
                // Retried, not left (docs/status.md#pod-conditions NoStock: "use
                // multi-zone/multi-spec"): replace the instance.
                t.stage = Stage::Recreate;
                t.due = now + wait;
                self.report(
                    &uid,
                    "Pending",
                    Some("ContainerInstanceScheduleFailed".into()),
                    Some("no zone had stock; creating the instance again".into()),
                );
                self.event(
                    &uid,
                    "Warning",
                    "ContainerInstanceScheduleFailed",
                    "the instance failed to schedule; recreating it".into(),
                );
            }
            "Expired" => {
                self.report(
                    &uid,
                    "Failed",
                    Some("BidFailed".into()),
                    Some("The pod is spot instance, and have been released".into()),
                );
            }
            "ScheduleFailed" => {
                self.report(
                    &uid,
                    "Failed",
                    Some("ProviderFailed".into()),
                    Some("the instance failed to schedule".into()),
                );
            }
            other => {
                let id = t.instance.clone();
                let phase = phase_of(other);
                self.report_with(&uid, phase, None, None, id);
            }
        }
    }

    /// docs/status.md#spot-release: a spot instance about to be released
    /// sets `ContainerInstanceExpired` (reason `SpotToBeReleased`) and the
    /// Warning Event of that name, once per instance.
    fn spot_notice(&mut self, uid: &str, item: &Value) {
        let conditions = item["PodStatus"]["Conditions"].as_array().into_iter().flatten();
        let Some(c) = conditions.into_iter().find(|c| c["type"] == "ContainerInstanceExpired" && c["status"] == "True")
        else {
            return;
        };
        let message = c["Message"].as_str().unwrap_or("Spot ECI will be released soon").to_string();
        let Some(t) = self.pod_mut(uid) else { return };
        if std::mem::replace(&mut t.spot_noticed, true) || t.gone {
            return;
        }
        self.out.push_back(Action::PodCondition {
            uid: uid.to_string(),
            kind: "ContainerInstanceExpired",
            status: "True",
            reason: "SpotToBeReleased".into(),
            message: message.clone(),
        });
        self.event(uid, "Warning", "SpotToBeReleased", message);
    }

    fn report(&mut self, uid: &str, phase: &'static str, reason: Option<String>, message: Option<String>) {
        let instance = self.pods.get(uid).and_then(|t| t.instance.clone());
        self.report_with(uid, phase, reason, message, instance);
    }

    fn report_with(
        &mut self,
        uid: &str,
        phase: &'static str,
        reason: Option<String>,
        message: Option<String>,
        instance: Option<String>,
    ) {
        let Some(t) = self.pod_mut(uid) else { return };
        if t.gone || t.reported.as_ref() == Some(&(phase, reason.clone())) {
            return;
        }
        t.reported = Some((phase, reason.clone()));
        self.out.push_back(Action::PodStatus { uid: uid.to_string(), phase, reason, message, instance });
    }

    fn event(&mut self, uid: &str, kind: &'static str, reason: &str, message: String) {
        if self.pods.get(uid).is_some_and(|t| !t.gone) {
            self.out.push_back(Action::Event { uid: uid.to_string(), kind, reason: reason.to_string(), message });
        }
    }
}

/// The ECI action a pod's step starts.
fn step_action(stage: Stage, has_instance: bool) -> &'static str {
    match (stage, has_instance) {
        (Stage::Create | Stage::Recreate, false) => "CreateContainerGroup",
        (Stage::Recreate | Stage::Delete, true) => "DeleteContainerGroup",
        _ => "DescribeContainerGroups",
    }
}

/// Whether a pod in `stage` has a step of its own to take.
fn acts(stage: Stage, synced: bool) -> bool {
    match stage {
        Stage::Create => synced,
        Stage::Recreate | Stage::Delete | Stage::Confirm => true,
        Stage::Live | Stage::Failed | Stage::Blocked => false,
    }
}

fn begin_delete(t: &mut Tracked, now: Millis) {
    if t.stage == Stage::Failed && t.instance.is_none() {
        t.stage = Stage::Confirm;
    } else if !t.busy || t.stage != Stage::Create {
        t.stage = if t.instance.is_some() { Stage::Delete } else { Stage::Confirm };
    }
    t.due = now;
}

/// A tag's value in a describe item.
fn tag<'a>(group: &'a Value, key: &str) -> Option<&'a str> {
    group["Tags"].as_array()?.iter().find(|t| t["Key"] == key)?["Value"].as_str()
}
