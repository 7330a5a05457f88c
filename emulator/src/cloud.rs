//! The emulated region: container groups, zones and their stock, the quota,
//! ClientToken idempotency, and the operations of docs/eci-api.md as a
//! state machine whose only clock is the `now` it is given.

use std::collections::{BTreeMap, HashMap};

use eci_bridge_core::eci::describe::DescribeContainerGroupsResponse;
use eci_bridge_core::eci::wire::WireParams;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::group::{Container, Due, Group, RestartPolicy, State, Status, StepMs, rfc3339};
use crate::scenario::{Rng, Scenario};
use crate::validate;

/// The emulated region.
#[derive(Debug, Clone)]
pub struct Cloud {
    region: String,
    zones: Vec<String>,
    scenario: Scenario,
    steps: StepMs,
    stock: BTreeMap<String, usize>,
    /// Live groups by creation order (pagination walks this).
    groups: BTreeMap<u64, Group>,
    ids: HashMap<String, u64>,
    next_seq: u64,
    /// (action, ClientToken) → the parameters and the answer of the first call.
    tokens: HashMap<(String, String), (WireParams, Answer)>,
    started: i64,
    /// No group has a step due before this (virtual ms): `advance` is free
    /// until then. Any change to a group resets it.
    next_wake: i64,
    ids_rng: Rng,
    transitions: Option<Vec<Transition>>,
}

/// A successful answer: a JSON object's text, without `RequestId` (the
/// envelope's, added by [`crate::Emulator`]). Serialized once, from the
/// typed response where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer(String);

impl Answer {
    fn of(value: &impl serde::Serialize) -> Result<Answer, ApiError> {
        serde_json::to_string(value).map(Answer).map_err(|e| ApiError::invalid("response", e))
    }

    /// The answer as a JSON value (tests, in-process simulations).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    /// The body sent: the answer with `RequestId` first.
    pub fn with_request_id(&self, request_id: &str) -> String {
        let id = Value::from(request_id);
        match self.0.strip_prefix('{') {
            Some(rest) if rest.trim_start().starts_with('}') => format!("{{\"RequestId\":{id}}}"),
            Some(rest) => format!("{{\"RequestId\":{id},{rest}"),
            None => self.0.clone(),
        }
    }
}

/// A status change, for observers (the property tests).
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The group.
    pub id: String,
    /// From; `None` when created.
    pub from: Option<Status>,
    /// To; `None` when removed.
    pub to: Option<Status>,
    /// When (virtual ms).
    pub at: i64,
}

fn ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

impl Cloud {
    /// A region with these zones, starting at virtual time `now`.
    pub fn new(region: &str, zones: Vec<String>, scenario: Scenario, seed: u64, now: i64) -> Cloud {
        let t = scenario.timings;
        let steps = StepMs {
            schedule: ms(t.schedule_seconds),
            start: ms(t.start_seconds),
            update: ms(t.update_seconds),
            restart: ms(t.restart_seconds),
            terminate: ms(t.terminate_seconds),
        };
        Cloud {
            region: region.to_string(),
            zones,
            stock: scenario.stock.clone(),
            scenario,
            steps,
            groups: BTreeMap::new(),
            ids: HashMap::new(),
            next_seq: 1,
            tokens: HashMap::new(),
            started: now,
            next_wake: i64::MIN,
            ids_rng: Rng::new(seed ^ 0x00EC_1D00),
            transitions: None,
        }
    }

    /// Starts (or stops) recording status changes for [`Cloud::take_transitions`].
    pub fn record_transitions(&mut self, on: bool) {
        self.transitions = on.then(Vec::new);
    }

    /// The status changes since the last call.
    pub fn take_transitions(&mut self) -> Vec<Transition> {
        self.transitions.as_mut().map(std::mem::take).unwrap_or_default()
    }

    fn note(&mut self, id: &str, from: Option<Status>, to: Option<Status>, at: i64) {
        if let Some(t) = &mut self.transitions {
            t.push(Transition { id: id.to_string(), from, to, at });
        }
    }

    /// Live groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// The live groups, in creation order (observers: the simulation's
    /// invariants).
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// No live group.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Moves every group's lifecycle forward to `now`.
    pub fn advance(&mut self, now: i64) {
        if now < self.next_wake {
            return;
        }
        let seqs: Vec<u64> = self.groups.keys().copied().collect();
        let mut wake = i64::MAX;
        for seq in seqs {
            while let Some((at, due)) = self.groups.get(&seq).and_then(|g| g.next_due(&self.steps)) {
                if at > now {
                    wake = wake.min(at);
                    break;
                }
                self.step(seq, at, due);
            }
        }
        self.next_wake = wake;
    }

    fn step(&mut self, seq: u64, at: i64, due: Due) {
        let Some(group) = self.groups.get(&seq) else { return };
        let (id, before) = (group.id.clone(), group.status);
        match due {
            Due::Schedule => self.schedule(seq, at),
            Due::Remove => {
                self.remove(seq);
                self.note(&id, Some(before), None, at);
                return;
            }
            Due::SpotExpire => {
                if let Some(g) = self.groups.get_mut(&seq) {
                    g.stop_containers(at);
                    g.event(at, "Warning", "SpotExpired", "The spot instance has been released".into());
                    g.enter(Status::Expired, at);
                }
                self.release_stock(seq);
            }
            _ => {
                let Some(g) = self.groups.get_mut(&seq) else { return };
                match due {
                    Due::Start => g.start(at),
                    Due::Resume => {
                        if g.status == Status::Restarting {
                            g.restart_containers(at);
                        }
                        g.enter(Status::Running, at);
                    }
                    Due::Exit(i) => g.exit(i, at),
                    Due::SpotWarning => {
                        g.spot_warned = true;
                        g.changed = at;
                        let when = g.spot_reclaim.map(rfc3339).unwrap_or_default();
                        g.event(at, "Warning", "SpotToBeReleased", format!("Spot ECI will be released at {when}"));
                    }
                    _ => {}
                }
                if g.status.is_final() {
                    self.release_stock(seq);
                }
            }
        }
        let after = self.groups.get(&seq).map(|g| g.status);
        if after != Some(before) {
            self.note(&id, Some(before), after, at);
        }
    }

    fn in_outage(&self, zone: &str, at: i64) -> bool {
        let since = at - self.started;
        self.scenario
            .zone_outages
            .iter()
            .any(|o| o.zone == zone && ms(o.from_seconds) <= since && since < ms(o.to_seconds))
    }

    /// Scheduling ends: the first zone (the requested one, if any) with stock
    /// and no outage takes the group; none → ScheduleFailed with `NoStock`.
    fn schedule(&mut self, seq: u64, at: i64) {
        let Some(requested) = self.groups.get(&seq).map(|g| g.requested_zone.clone()) else { return };
        let candidates: Vec<String> = match requested {
            Some(zone) => vec![zone],
            None => self.zones.clone(),
        };
        let zone =
            candidates.into_iter().find(|z| !self.in_outage(z, at) && self.stock.get(z).is_none_or(|left| *left > 0));
        let Some(g) = self.groups.get_mut(&seq) else { return };
        match zone {
            Some(zone) => {
                if let Some(left) = self.stock.get_mut(&zone) {
                    *left -= 1;
                }
                g.zone = Some(zone);
                g.holds_stock = true;
                g.enter(Status::Pending, at);
            }
            None => {
                g.event(
                    at,
                    "Warning",
                    "NoStock",
                    "Create ECI failed because the specified instance is out of stock.".into(),
                );
                g.enter(Status::ScheduleFailed, at);
            }
        }
    }

    /// A group that took a zone's stock gives it back, once.
    fn release_stock(&mut self, seq: u64) {
        let Some(g) = self.groups.get_mut(&seq) else { return };
        if std::mem::take(&mut g.holds_stock)
            && let Some(left) = g.zone.as_ref().and_then(|z| self.stock.get_mut(z))
        {
            *left += 1;
        }
    }

    fn remove(&mut self, seq: u64) {
        self.release_stock(seq);
        if let Some(g) = self.groups.remove(&seq) {
            self.ids.remove(&g.id);
        }
    }

    /// Answers one authenticated call at virtual time `now`.
    pub fn call(&mut self, action: &str, params: &WireParams, now: i64) -> Result<Answer, ApiError> {
        self.advance(now);
        // Every action's typed scalars (Float, Integer, Boolean) by name, once.
        validate::types(params)?;
        let token = validate::client_token(params)?;
        if let Some(token) = &token
            && let Some((first, answer)) = self.tokens.get(&(action.to_string(), token.clone()))
        {
            // docs/eci-api.md#client-token "ensure the idempotence of the request": the
            // same token answers the first call's result; other parameters
            // under the same token are a conflict.
            return if first == params { Ok(answer.clone()) } else { Err(ApiError::conflict()) };
        }
        let answer = match action {
            "CreateContainerGroup" => self.create(params, now)?,
            "DescribeContainerGroups" => self.describe(params)?,
            "DescribeContainerGroupStatus" => self.describe_status(params, now)?,
            "UpdateContainerGroup" => self.update(params, now)?,
            "RestartContainerGroup" => self.restart(params, now)?,
            "DeleteContainerGroup" => self.delete(params, now)?,
            "DescribeContainerLog" => self.log(params)?,
            "ExecContainerCommand" => self.exec(params)?,
            other => return Err(ApiError::unknown_action(other)),
        };
        if !action.starts_with("Describe") {
            self.next_wake = i64::MIN;
        }
        if let Some(token) = token {
            self.tokens.insert((action.to_string(), token), (params.clone(), answer.clone()));
        }
        Ok(answer)
    }

    fn group_id(&self, params: &WireParams) -> Result<(u64, String), ApiError> {
        let id = validate::required(params, "ContainerGroupId")?;
        self.ids.get(id).map(|seq| (*seq, id.to_string())).ok_or_else(|| ApiError::no_group(id))
    }

    fn region_of(&self, params: &WireParams) -> Result<(), ApiError> {
        let region = validate::required(params, "RegionId")?;
        if region != self.region {
            return Err(ApiError::invalid(
                "RegionId",
                format!("this endpoint serves `{}`, not `{region}`", self.region),
            ));
        }
        Ok(())
    }

    fn create(&mut self, params: &WireParams, now: i64) -> Result<Answer, ApiError> {
        validate::create(params, &self.region)?;
        let requested_zone = params.get("ZoneId").filter(|z| !z.is_empty()).map(str::to_string);
        if let Some(zone) = &requested_zone
            && !self.zones.contains(zone)
        {
            return Err(ApiError::invalid("ZoneId", format!("`{zone}` is not a zone of {}", self.region)));
        }
        if validate::flag(params, "DryRun") {
            return Err(ApiError::dry_run_passed());
        }
        if let Some(quota) = self.scenario.quota
            && self.groups.len() >= quota
        {
            return Err(ApiError::quota_exceeded(quota));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let id = format!("eci-{:016x}{:04x}", self.ids_rng.next_u64(), self.ids_rng.next_u64() & 0xFFFF);
        let group = self.new_group(params, seq, id.clone(), requested_zone, now);
        self.ids.insert(id.clone(), seq);
        self.groups.insert(seq, group);
        self.note(&id, None, Some(Status::Scheduling), now);
        Answer::of(&json!({ "ContainerGroupId": id }))
    }

    fn new_group(&self, params: &WireParams, seq: u64, id: String, requested_zone: Option<String>, now: i64) -> Group {
        let float = |name: String| params.get(&name).and_then(|v| v.parse::<f64>().ok());
        let containers = |list: &str| -> Vec<Container> {
            validate::indices(params, list)
                .unwrap_or_default()
                .into_iter()
                .map(|i| {
                    let name = params.get(&format!("{list}.{i}.Name")).unwrap_or_default().to_string();
                    let exit = self
                        .scenario
                        .exits
                        .iter()
                        .find(|e| e.container == name && list == "Container")
                        .map(|e| (ms(e.after_seconds), e.exit_code));
                    Container {
                        image: params.get(&format!("{list}.{i}.Image")).unwrap_or_default().to_string(),
                        cpu: float(format!("{list}.{i}.Cpu")),
                        memory: float(format!("{list}.{i}.Memory")),
                        state: State::Waiting("ContainerCreating"),
                        previous: None,
                        restarts: 0,
                        exit,
                        log: Vec::new(),
                        name,
                    }
                })
                .collect()
        };
        let containers_list = containers("Container");
        let sum = |f: fn(&Container) -> Option<f64>| containers_list.iter().filter_map(f).sum::<f64>();
        // docs/eci-api.md#instance-limits: unset instance sizes are the containers' sums, or 2 vCPU / 4 GiB.
        let cpu = float("Cpu".into()).unwrap_or_else(|| Some(sum(|c| c.cpu)).filter(|s| *s > 0.0).unwrap_or(2.0));
        let memory =
            float("Memory".into()).unwrap_or_else(|| Some(sum(|c| c.memory)).filter(|s| *s > 0.0).unwrap_or(4.0));
        let spot = params.get("SpotStrategy").is_some_and(|s| s == "SpotAsPriceGo" || s == "SpotWithPriceLimit");
        let echo = ["VSwitchId", "SecurityGroupId", "InstanceType", "SpotStrategy", "VpcId"]
            .into_iter()
            .filter_map(|n| Some((n, params.get(n)?.to_string())))
            .collect();
        Group {
            name: params.get("ContainerGroupName").unwrap_or_default().to_string(),
            seq,
            status: Status::Scheduling,
            since: now,
            created: now,
            changed: now,
            zone: None,
            holds_stock: false,
            requested_zone,
            init_containers: containers("InitContainer"),
            containers: containers_list,
            restart_policy: RestartPolicy::parse(params.get("RestartPolicy")),
            spot_reclaim: self.scenario.spot.filter(|_| spot).map(|s| now + ms(s.reclaim_after_seconds)),
            spot_warned: false,
            events: Vec::new(),
            tags: validate::tags(params).unwrap_or_default(),
            cpu,
            memory,
            ip: format!("192.168.{}.{}", (seq / 250) % 256, seq % 250 + 2),
            echo,
            ended: None,
            id,
        }
    }

    /// The live groups a describe's filters select, in creation order.
    fn select(&self, params: &WireParams) -> Result<Vec<&Group>, ApiError> {
        self.region_of(params)?;
        let ids = validate::id_list(params)?;
        let tags = validate::tags(params)?;
        let field = |name: &str| params.get(name).filter(|v| !v.is_empty());
        let (name, status, zone) = (field("ContainerGroupName"), field("Status"), field("ZoneId"));
        let (vswitch, sg) = (field("VSwitchId"), field("SecurityGroupId"));
        // Asked by id (a provider's poll): look the ids up, in creation order.
        let candidates: Box<dyn Iterator<Item = &Group>> = match &ids {
            Some(ids) => {
                let mut seqs: Vec<u64> = ids.iter().filter_map(|id| self.ids.get(id).copied()).collect();
                seqs.sort_unstable();
                seqs.dedup();
                Box::new(seqs.into_iter().filter_map(|seq| self.groups.get(&seq)))
            }
            None => Box::new(self.groups.values()),
        };
        Ok(candidates
            .filter(|g| name.is_none_or(|n| g.name == n))
            .filter(|g| status.is_none_or(|s| g.status.as_str() == s))
            .filter(|g| zone.is_none_or(|z| g.zone.as_deref() == Some(z)))
            .filter(|g| vswitch.is_none_or(|v| g.echoed("VSwitchId").is_some_and(|e| e.split(',').any(|x| x == v))))
            .filter(|g| sg.is_none_or(|s| g.echoed("SecurityGroupId") == Some(s)))
            .filter(|g| tags.iter().all(|t| g.tags.contains(t)))
            .collect())
    }

    /// One page after `NextToken` (the creation number of the next group, so
    /// a group created or deleted between pages neither repeats nor shifts
    /// another out of the walk).
    fn page<'a>(
        groups: Vec<&'a Group>,
        params: &WireParams,
        limit: usize,
    ) -> Result<(Vec<&'a Group>, Option<String>), ApiError> {
        let after = match params.get("NextToken").filter(|t| !t.is_empty()) {
            None => 0,
            Some(token) => u64::from_str_radix(token.strip_prefix("nt-").unwrap_or("x"), 16)
                .map_err(|_| ApiError::invalid("NextToken", "not a token this endpoint returned"))?,
        };
        let mut rest = groups.into_iter().filter(|g| g.seq >= after);
        let page: Vec<&Group> = rest.by_ref().take(limit).collect();
        let next = rest.next().map(|g| format!("nt-{:x}", g.seq));
        Ok((page, next))
    }

    fn describe(&self, params: &WireParams) -> Result<Answer, ApiError> {
        let limit = validate::limit(params, 20, 20)?;
        let selected = self.select(params)?;
        let total = selected.len();
        let (page, next) = Cloud::page(selected, params, limit)?;
        let with_events = validate::flag(params, "WithEvent");
        let response = DescribeContainerGroupsResponse {
            container_groups: page.iter().map(|g| g.describe(&self.region, with_events)).collect(),
            next_token: Some(next.unwrap_or_default()),
            request_id: None,
            total_count: Some(total as i64),
        };
        Answer::of(&response)
    }

    fn describe_status(&self, params: &WireParams, now: i64) -> Result<Answer, ApiError> {
        let limit = validate::limit(params, 200, 200)?;
        let since = params.get("SinceSecond").and_then(|s| s.parse::<i64>().ok());
        let selected: Vec<&Group> =
            self.select(params)?.into_iter().filter(|g| since.is_none_or(|s| g.changed >= now - s * 1000)).collect();
        let total = selected.len();
        let (page, next) = Cloud::page(selected, params, limit)?;
        let data: Vec<Value> = page.iter().map(|g| pod_status(g)).collect();
        Answer::of(&json!({"Data": data, "NextToken": next.unwrap_or_default(), "TotalCount": total}))
    }

    fn update(&mut self, params: &WireParams, now: i64) -> Result<Answer, ApiError> {
        self.region_of(params)?;
        let (seq, _) = self.group_id(params)?;
        let tags = validate::tags(params)?;
        let g = self.groups.get_mut(&seq).ok_or_else(|| ApiError::no_group(""))?;
        if !matches!(g.status, Status::Pending | Status::Running) {
            return Err(ApiError::incorrect_status(g.status.as_str(), "UpdateContainerGroup"));
        }
        for i in validate::indices(params, "Container")? {
            let name = validate::required(params, &format!("Container.{i}.Name"))?;
            let c =
                g.containers.iter_mut().find(|c| c.name == name).ok_or_else(|| {
                    ApiError::invalid(&format!("Container.{i}.Name"), format!("no container `{name}`"))
                })?;
            if let Some(image) = params.get(&format!("Container.{i}.Image")) {
                c.image = image.to_string();
            }
        }
        if !tags.is_empty() {
            g.tags = tags;
        }
        let before = g.status;
        g.enter(Status::Updating, now);
        let id = g.id.clone();
        self.note(&id, Some(before), Some(Status::Updating), now);
        Answer::of(&json!({}))
    }

    fn restart(&mut self, params: &WireParams, now: i64) -> Result<Answer, ApiError> {
        self.region_of(params)?;
        let (seq, id) = self.group_id(params)?;
        let g = self.groups.get_mut(&seq).ok_or_else(|| ApiError::no_group(&id))?;
        // docs/eci-api.md#restartcontainergroup: only Pending or Running instances restart.
        if !matches!(g.status, Status::Pending | Status::Running) {
            return Err(ApiError::incorrect_status(g.status.as_str(), "RestartContainerGroup"));
        }
        let before = g.status;
        g.event(now, "Normal", "Killing", "Stopping containers to restart the instance".into());
        g.enter(Status::Restarting, now);
        self.note(&id, Some(before), Some(Status::Restarting), now);
        Answer::of(&json!({}))
    }

    fn delete(&mut self, params: &WireParams, now: i64) -> Result<Answer, ApiError> {
        self.region_of(params)?;
        let (seq, id) = self.group_id(params)?;
        let force = validate::flag(params, "Force");
        let g = self.groups.get_mut(&seq).ok_or_else(|| ApiError::no_group(&id))?;
        let before = g.status;
        match g.status {
            Status::Terminating if !force => {}
            Status::Running | Status::Updating | Status::Restarting if !force => {
                // docs/status.md#instance-status: a running instance passes through
                // Terminating (preStop) before it is gone.
                g.stop_containers(now);
                g.event(now, "Normal", "Killing", "Stopping containers to delete the instance".into());
                g.enter(Status::Terminating, now);
                self.note(&id, Some(before), Some(Status::Terminating), now);
            }
            _ => {
                self.remove(seq);
                self.note(&id, Some(before), None, now);
            }
        }
        Answer::of(&json!({}))
    }

    fn log(&self, params: &WireParams) -> Result<Answer, ApiError> {
        let (seq, id) = self.group_id(params)?;
        let name = validate::required(params, "ContainerName")?;
        let g = self.groups.get(&seq).ok_or_else(|| ApiError::no_group(&id))?;
        let c = g
            .containers
            .iter()
            .chain(&g.init_containers)
            .find(|c| c.name == name)
            .ok_or_else(|| ApiError::invalid("ContainerName", format!("no container `{name}` in {id}")))?;
        // docs/eci-api.md#describecontainerlog: Tail defaults to 500, at most 2000; LimitBytes ≤ 1 MiB.
        let tail = params.get("Tail").and_then(|t| t.parse::<usize>().ok()).unwrap_or(500).min(2000);
        let limit = params.get("LimitBytes").and_then(|t| t.parse::<usize>().ok()).unwrap_or(1 << 20).min(1 << 20);
        let lines = &c.log[c.log.len().saturating_sub(tail)..];
        let mut content = lines.join("\n");
        if content.len() > limit {
            let cut = content.len() - limit;
            let start = (cut..=content.len()).find(|i| content.is_char_boundary(*i)).unwrap_or(content.len());
            content = content[start..].to_string();
        }
        Answer::of(&json!({"ContainerName": name, "Content": content}))
    }

    fn exec(&self, params: &WireParams) -> Result<Answer, ApiError> {
        self.region_of(params)?;
        let (seq, id) = self.group_id(params)?;
        let name = validate::required(params, "ContainerName")?;
        let command: Vec<String> = serde_json::from_str(validate::required(params, "Command")?)
            .map_err(|_| ApiError::invalid("Command", "a JSON array of strings, e.g. [\"/bin/sh\", \"-c\", \"ls\"]"))?;
        // docs/eci-api.md#execcontainercommand: at most 20 commands of at most 256 characters.
        if command.is_empty() || command.len() > 20 || command.iter().any(|c| c.chars().count() > 256) {
            return Err(ApiError::invalid("Command", "1 to 20 commands of at most 256 characters"));
        }
        let g = self.groups.get(&seq).ok_or_else(|| ApiError::no_group(&id))?;
        if !g.containers.iter().any(|c| c.name == name && matches!(c.state, State::Running(_))) {
            return Err(ApiError::incorrect_status(g.status.as_str(), &format!("ExecContainerCommand in `{name}`")));
        }
        if validate::flag(params, "Sync") {
            // No real shell: the documented response, with the command echoed.
            return Answer::of(&json!({"SyncResponse": format!("emulated: {}", command.join(" "))}));
        }
        Answer::of(&json!({
            "WebSocketUri": format!("wss://eci.emulator.invalid/exec/{id}/{name}"),
            "HttpUrl": format!("https://eci.emulator.invalid/terminal?instance={id}&container={name}"),
        }))
    }
}

/// DescribeContainerGroupStatus's `Data[]` item (docs/eci-api.md#describecontainergroupstatus).
fn pod_status(g: &Group) -> Value {
    let phase = match g.status {
        Status::Scheduling | Status::Pending | Status::Restarting | Status::Updating => "Pending",
        Status::Running | Status::Terminating => "Running",
        Status::Succeeded => "Succeeded",
        Status::Failed | Status::ScheduleFailed | Status::Expired => "Failed",
    };
    let statuses: Vec<Value> = g
        .containers
        .iter()
        .map(|c| {
            let state = match &c.state {
                State::Waiting(reason) => json!({"Waiting": {"Reason": reason}}),
                State::Running(since) => json!({"Running": {"StartedAtstartedAt": rfc3339(*since)}}),
                State::Terminated { code, started, finished } => json!({"Terminated": {
                    "ExitCode": code, "StartedAt": rfc3339(*started), "FinishedAt": rfc3339(*finished),
                    "Reason": if *code == 0 { "Completed" } else { "Error" }}}),
            };
            json!({"Name": c.name, "Image": c.image, "Ready": matches!(c.state, State::Running(_)),
                "Started": matches!(c.state, State::Running(_)), "RestartCount": c.restarts, "State": state})
        })
        .collect();
    // docs/status.md#spot-release: ContainerInstanceExpired turns true about 3
    // minutes before a spot instance is released (reason SpotToBeReleased).
    let conditions: Vec<Value> = g
        .spot_reclaim
        .filter(|_| g.spot_warned)
        .map(|at| {
            json!({"type": "ContainerInstanceExpired", "status": "True", "Reason": "SpotToBeReleased",
                "Message": format!("Spot ECI will be released at {}", rfc3339(at)), "lastTransitionTime": rfc3339(g.changed)})
        })
        .into_iter()
        .collect();
    json!({
        "ContainerGroupId": g.id, "Name": g.name, "Status": g.status.as_str(),
        "PodStatus": {"Phase": phase, "PodIp": g.ip, "ContainerStatuses": statuses, "StartTime": rfc3339(g.created),
            "Conditions": conditions},
    })
}
