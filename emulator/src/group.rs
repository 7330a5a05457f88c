//! One container group and its lifecycle: statuses, container states,
//! restart counts and events, stepped on the emulator's virtual clock.
//!
//! Statuses and what may follow them (docs/status.md#instance-status,
//! #phase-table): Scheduling → Pending or ScheduleFailed; Pending → Running; Running
//! → Succeeded or Failed by the restart policy once every container has
//! terminated for good; Pending/Running → Updating or Restarting (the API
//! allows both only from those two) and back to Running; a spot instance →
//! Expired when reclaimed; Running → Terminating on delete, then gone. A
//! deleted group never comes back.

use eci_bridge_core::eci::describe::{ContainerGroup, ContainerState, GroupContainer, GroupEvent, GroupTag};

/// An instance's status (docs/status.md#instance-status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Being created.
    Scheduling,
    /// Containers starting.
    Pending,
    /// Containers running.
    Running,
    /// Every container ended with 0 and none restarts.
    Succeeded,
    /// Every container ended, one with a failure, and none restarts.
    Failed,
    /// No zone could take it.
    ScheduleFailed,
    /// RestartContainerGroup in progress.
    Restarting,
    /// UpdateContainerGroup in progress.
    Updating,
    /// Being deleted.
    Terminating,
    /// A spot instance reclaimed.
    Expired,
}

impl Status {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduling => "Scheduling",
            Status::Pending => "Pending",
            Status::Running => "Running",
            Status::Succeeded => "Succeeded",
            Status::Failed => "Failed",
            Status::ScheduleFailed => "ScheduleFailed",
            Status::Restarting => "Restarting",
            Status::Updating => "Updating",
            Status::Terminating => "Terminating",
            Status::Expired => "Expired",
        }
    }

    /// Succeeded, Failed, ScheduleFailed, Expired: nothing follows but deletion.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed | Status::ScheduleFailed | Status::Expired)
    }

    /// Whether the documentation lets `next` follow `self`.
    pub fn may_become(self, next: Status) -> bool {
        use Status::*;
        match self {
            Scheduling => matches!(next, Pending | ScheduleFailed),
            Pending => matches!(next, Running | Restarting | Updating | Terminating | Expired),
            Running => matches!(next, Succeeded | Failed | Restarting | Updating | Terminating | Expired),
            Restarting | Updating => matches!(next, Running | Terminating | Expired),
            Terminating | Succeeded | Failed | ScheduleFailed | Expired => false,
        }
    }
}

/// `RestartPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    /// Restart every exit.
    Always,
    /// Restart non-zero exits.
    OnFailure,
    /// Never restart.
    Never,
}

impl RestartPolicy {
    /// From the wire value (Always when absent, as ECI defaults).
    pub fn parse(text: Option<&str>) -> RestartPolicy {
        match text {
            Some("OnFailure") => RestartPolicy::OnFailure,
            Some("Never") => RestartPolicy::Never,
            _ => RestartPolicy::Always,
        }
    }

    fn restarts(self, exit_code: i64) -> bool {
        match self {
            RestartPolicy::Always => true,
            RestartPolicy::OnFailure => exit_code != 0,
            RestartPolicy::Never => false,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::Always => "Always",
            RestartPolicy::OnFailure => "OnFailure",
            RestartPolicy::Never => "Never",
        }
    }
}

/// A container's state.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Not started.
    Waiting(&'static str),
    /// Running since.
    Running(i64),
    /// Ended.
    Terminated {
        /// Exit code.
        code: i64,
        /// Started at.
        started: i64,
        /// Ended at.
        finished: i64,
    },
}

/// One container.
#[derive(Debug, Clone)]
pub struct Container {
    /// Name.
    pub name: String,
    /// Image.
    pub image: String,
    /// vCPUs.
    pub cpu: Option<f64>,
    /// GiB.
    pub memory: Option<f64>,
    /// Now.
    pub state: State,
    /// Before the last restart.
    pub previous: Option<State>,
    /// Restarts so far.
    pub restarts: i64,
    /// Exits on its own this long after each start (virtual ms), with this code.
    pub exit: Option<(i64, i64)>,
    /// Log lines (bounded).
    pub log: Vec<String>,
}

/// One event, counted like Kubernetes counts repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `Normal` or `Warning`.
    pub kind: &'static str,
    /// The reason, e.g. `Started`.
    pub reason: &'static str,
    /// The message.
    pub message: String,
    /// Times seen.
    pub count: i64,
    /// First seen.
    pub first: i64,
    /// Last seen.
    pub last: i64,
}

/// Events kept per instance (docs/status.md#instance-events: at most 50 are returned).
pub const MAX_EVENTS: usize = 50;
/// Log lines kept per container.
const MAX_LOG_LINES: usize = 2000;

/// One container group.
#[derive(Debug, Clone)]
pub struct Group {
    /// `eci-…`.
    pub id: String,
    /// `ContainerGroupName`.
    pub name: String,
    /// Creation order.
    pub seq: u64,
    /// Status.
    pub status: Status,
    /// When the status was entered.
    pub since: i64,
    /// Created at.
    pub created: i64,
    /// Its status or a condition last changed (DescribeContainerGroupStatus
    /// `SinceSecond` selects by this).
    pub changed: i64,
    /// The zone, once scheduled; requested zone before.
    pub zone: Option<String>,
    /// Took one of its zone's stock (given back when it ends).
    pub holds_stock: bool,
    /// The zone the create asked for.
    pub requested_zone: Option<String>,
    /// App containers.
    pub containers: Vec<Container>,
    /// Init containers.
    pub init_containers: Vec<Container>,
    /// Restart policy.
    pub restart_policy: RestartPolicy,
    /// A spot instance, with its reclaim time.
    pub spot_reclaim: Option<i64>,
    /// `SpotToBeReleased` sent.
    pub spot_warned: bool,
    /// Events.
    pub events: Vec<Event>,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// Instance vCPUs and GiB.
    pub cpu: f64,
    /// GiB.
    pub memory: f64,
    /// Private IP.
    pub ip: String,
    /// Echoed fields: VSwitchId, SecurityGroupId, InstanceType, SpotStrategy…
    pub echo: Vec<(&'static str, String)>,
    /// Status times: Succeeded/Failed/Expired.
    pub ended: Option<i64>,
}

/// What comes next for a group, and when.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Due {
    /// Scheduling ends.
    Schedule,
    /// Pending ends.
    Start,
    /// Updating or Restarting ends.
    Resume,
    /// Terminating ends: the group is removed.
    Remove,
    /// Container `i` exits.
    Exit(usize),
    /// The spot warning.
    SpotWarning,
    /// The spot reclaim.
    SpotExpire,
}

/// The `SpotToBeReleased` warning comes this long before the reclaim.
const SPOT_NOTICE_MS: i64 = 3 * 60 * 1000;

/// RFC 3339 UTC, seconds.
pub fn rfc3339(ms: i64) -> String {
    // Civil date from days since 1970-01-01 (H. Hinnant's `civil_from_days`):
    // every describe formats several timestamps per instance, and this is a
    // few times cheaper than a general formatter.
    let (days, in_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000) / 1000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = *b"0000-00-00T00:00:00Z";
    for (at, value, width) in [
        (0, year.clamp(0, 9999), 4),
        (5, month, 2),
        (8, day, 2),
        (11, in_day / 3600, 2),
        (14, in_day / 60 % 60, 2),
        (17, in_day % 60, 2),
    ] {
        let mut v = value;
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    out.iter().map(|b| char::from(*b)).collect()
}

impl Container {
    fn start(&mut self, at: i64) {
        self.state = State::Running(at);
        self.push_log(at, format!("container {} started (image {})", self.name, self.image));
    }

    fn push_log(&mut self, at: i64, line: String) {
        if self.log.len() >= MAX_LOG_LINES {
            self.log.remove(0);
        }
        self.log.push(format!("{} {line}", rfc3339(at)));
    }

    fn exit_due(&self) -> Option<i64> {
        match (&self.state, self.exit) {
            (State::Running(since), Some((after, _))) => Some(since + after),
            _ => None,
        }
    }

    fn describe(&self) -> GroupContainer {
        GroupContainer {
            name: Some(self.name.clone()),
            image: Some(self.image.clone()),
            current_state: Some(state_json(&self.state)),
            previous_state: self.previous.as_ref().map(state_json),
            ready: Some(matches!(self.state, State::Running(_))),
            restart_count: Some(self.restarts),
            cpu: self.cpu,
            memory: self.memory,
            ..GroupContainer::default()
        }
    }
}

fn state_json(state: &State) -> ContainerState {
    match state {
        State::Waiting(reason) => ContainerState {
            state: Some("Waiting".into()),
            reason: Some((*reason).into()),
            detail_status: Some((*reason).into()),
            ..ContainerState::default()
        },
        State::Running(since) => ContainerState {
            state: Some("Running".into()),
            reason: Some("Started".into()),
            detail_status: Some("working".into()),
            start_time: Some(rfc3339(*since)),
            ..ContainerState::default()
        },
        State::Terminated { code, started, finished } => ContainerState {
            state: Some("Terminated".into()),
            reason: Some(if *code == 0 { "Completed" } else { "Error" }.into()),
            exit_code: Some(*code),
            start_time: Some(rfc3339(*started)),
            finish_time: Some(rfc3339(*finished)),
            ..ContainerState::default()
        },
    }
}

impl Group {
    /// Records an event, counting a repeat of the same reason and message.
    pub fn event(&mut self, at: i64, kind: &'static str, reason: &'static str, message: String) {
        if let Some(e) = self.events.iter_mut().find(|e| e.reason == reason && e.message == message) {
            e.count += 1;
            e.last = at;
            return;
        }
        if self.events.len() >= MAX_EVENTS {
            self.events.remove(0);
        }
        self.events.push(Event { kind, reason, message, count: 1, first: at, last: at });
    }

    /// An echoed create parameter.
    pub fn echoed(&self, name: &str) -> Option<&str> {
        self.echo.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// Enters a status.
    pub fn enter(&mut self, status: Status, at: i64) {
        debug_assert!(self.status.may_become(status), "{:?} -> {status:?}", self.status);
        self.status = status;
        self.since = at;
        self.changed = at;
        if status.is_final() {
            self.ended = Some(at);
        }
    }

    /// The next step and its time, given the step durations (ms).
    pub fn next_due(&self, timings: &StepMs) -> Option<(i64, Due)> {
        let mut due: Vec<(i64, Due)> = Vec::new();
        match self.status {
            Status::Scheduling => due.push((self.since + timings.schedule, Due::Schedule)),
            Status::Pending => due.push((self.since + timings.start, Due::Start)),
            Status::Updating => due.push((self.since + timings.update, Due::Resume)),
            Status::Restarting => due.push((self.since + timings.restart, Due::Resume)),
            Status::Terminating => due.push((self.since + timings.terminate, Due::Remove)),
            Status::Running => {
                due.extend(self.containers.iter().enumerate().filter_map(|(i, c)| Some((c.exit_due()?, Due::Exit(i)))));
            }
            _ => {}
        }
        let live = matches!(self.status, Status::Pending | Status::Running | Status::Updating | Status::Restarting);
        if let (Some(reclaim), true) = (self.spot_reclaim, live) {
            if !self.spot_warned {
                due.push(((reclaim - SPOT_NOTICE_MS).max(self.created), Due::SpotWarning));
            }
            due.push((reclaim, Due::SpotExpire));
        }
        due.into_iter().min_by_key(|(at, _)| *at)
    }

    /// Pending → Running: init containers complete, app containers start.
    pub fn start(&mut self, at: i64) {
        for c in &mut self.init_containers {
            c.state = State::Terminated { code: 0, started: self.since, finished: at };
        }
        let names: Vec<(String, String)> = self.containers.iter().map(|c| (c.name.clone(), c.image.clone())).collect();
        for (name, image) in names {
            self.event(at, "Normal", "Pulling", format!("pulling image \"{image}\""));
            self.event(at, "Normal", "Pulled", format!("Successfully pulled image \"{image}\""));
            self.event(at, "Normal", "Created", format!("Created container {name}"));
            self.event(at, "Normal", "Started", format!("Started container {name}"));
        }
        for c in &mut self.containers {
            c.start(at);
        }
        self.enter(Status::Running, at);
    }

    /// Container `i` exits; the restart policy decides what follows.
    pub fn exit(&mut self, i: usize, at: i64) {
        let policy = self.restart_policy;
        let Some(c) = self.containers.get_mut(i) else { return };
        let (State::Running(started), Some((_, code))) = (c.state.clone(), c.exit) else { return };
        let ended = State::Terminated { code, started, finished: at };
        c.push_log(at, format!("container {} exited with code {code}", c.name));
        let name = c.name.clone();
        if policy.restarts(code) {
            c.previous = Some(ended);
            c.restarts += 1;
            c.start(at);
            if code != 0 {
                self.event(at, "Warning", "BackOff", format!("Back-off restarting failed container {name}"));
            }
            self.event(at, "Normal", "Started", format!("Started container {name}"));
            return;
        }
        c.state = ended;
        let terminated = |c: &Container| matches!(c.state, State::Terminated { .. });
        if self.containers.iter().all(terminated) {
            let failed = self.containers.iter().any(|c| matches!(c.state, State::Terminated { code, .. } if code != 0));
            self.enter(if failed { Status::Failed } else { Status::Succeeded }, at);
        }
    }

    /// Restarting ends: every container starts again.
    pub fn restart_containers(&mut self, at: i64) {
        for c in &mut self.containers {
            if let State::Running(started) = c.state {
                c.previous = Some(State::Terminated { code: 0, started, finished: at });
            }
            c.restarts += 1;
            c.start(at);
        }
        let names: Vec<String> = self.containers.iter().map(|c| c.name.clone()).collect();
        for name in names {
            self.event(at, "Normal", "Started", format!("Started container {name}"));
        }
    }

    /// Every container stops (deletion, spot reclaim).
    pub fn stop_containers(&mut self, at: i64) {
        for c in &mut self.containers {
            if let State::Running(started) = c.state {
                c.state = State::Terminated { code: 137, started, finished: at };
            }
        }
    }

    /// The group as DescribeContainerGroups shows it.
    pub fn describe(&self, region: &str, with_events: bool) -> ContainerGroup {
        let echo = |name: &str| self.echoed(name).map(str::to_string);
        let at = |status: Status| (self.status == status).then(|| self.ended.map(rfc3339)).flatten();
        ContainerGroup {
            container_group_id: Some(self.id.clone()),
            container_group_name: Some(self.name.clone()),
            status: Some(self.status.as_str().into()),
            containers: self.containers.iter().map(Container::describe).collect(),
            init_containers: self.init_containers.iter().map(Container::describe).collect(),
            events: if with_events { self.events.iter().map(event_json).collect() } else { Vec::new() },
            tags: self.tags.iter().map(|(k, v)| GroupTag { key: Some(k.clone()), value: Some(v.clone()) }).collect(),
            intranet_ip: (self.status != Status::Scheduling && self.status != Status::ScheduleFailed)
                .then(|| self.ip.clone()),
            creation_time: Some(rfc3339(self.created)),
            succeeded_time: at(Status::Succeeded),
            failed_time: at(Status::Failed).or_else(|| at(Status::ScheduleFailed)),
            expired_time: at(Status::Expired),
            region_id: Some(region.to_string()),
            zone_id: self.zone.clone(),
            v_switch_id: echo("VSwitchId"),
            vpc_id: echo("VpcId"),
            security_group_id: echo("SecurityGroupId"),
            instance_type: echo("InstanceType"),
            cpu: Some(self.cpu),
            memory: Some(self.memory),
            restart_policy: Some(self.restart_policy.as_str().into()),
            spot_strategy: echo("SpotStrategy"),
            ..ContainerGroup::default()
        }
    }
}

fn event_json(e: &Event) -> GroupEvent {
    GroupEvent {
        count: Some(e.count),
        r#type: Some(e.kind.into()),
        name: Some(e.reason.into()),
        reason: Some(e.reason.into()),
        message: Some(e.message.clone()),
        first_timestamp: Some(rfc3339(e.first)),
        last_timestamp: Some(rfc3339(e.last)),
    }
}

/// The lifecycle's step durations in virtual milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepMs {
    /// Scheduling.
    pub schedule: i64,
    /// Pending.
    pub start: i64,
    /// Updating.
    pub update: i64,
    /// Restarting.
    pub restart: i64,
    /// Terminating.
    pub terminate: i64,
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn timestamps_agree_with_jiff() {
        let mut ms = -62_135_596_800_000i64 / 1000 * 1000 + 86_400_000 * 366; // year 1
        while ms < 253_402_300_799_000 {
            let jiff =
                jiff::Timestamp::from_millisecond(ms).expect("in range").strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
            assert_eq!(rfc3339(ms), jiff, "{ms}");
            ms += 7_777_777_777;
        }
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
