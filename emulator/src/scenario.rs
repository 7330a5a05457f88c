//! What the emulated cloud is like and what goes wrong in it: the file given
//! to `eci-bridge emulate --faults F.yaml`.
//!
//! ```yaml
//! quota: 100                      # live instances at most (QuotaExceed.ContainerGroup)
//! stock: {cn-hangzhou-a: 2}       # instances a zone can still start (absent: unlimited)
//! rateLimits: {CreateContainerGroup: 5}   # calls per second per action (Throttling.User)
//! timings: {scheduleSeconds: 2, startSeconds: 3, updateSeconds: 3, restartSeconds: 3, terminateSeconds: 2}
//! exits:                          # containers that exit on their own
//!   - {container: job, exitCode: 1, afterSeconds: 10}
//! spot: {reclaimAfterSeconds: 600}   # spot instances expire (SpotToBeReleased, then Expired)
//! zoneOutages:
//!   - {zone: cn-hangzhou-a, fromSeconds: 0, toSeconds: 60}
//! faults:                         # drawn per call, deterministically from --seed
//!   - {action: CreateContainerGroup, calls: [1], lose: true}    # applied, response lost
//!   - {action: DescribeContainerGroups, probability: 0.1, status: 503}
//!   - {probability: 0.05, throttle: true}
//!   - {probability: 0.2, latencyMs: 150}
//! ```
//!
//! Seconds are the emulator's virtual seconds (`--time-scale`), counted from
//! its start for outages and from the event for the rest.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The scenario file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Scenario {
    /// Live (not deleted) instances at most; `None`: unlimited.
    pub quota: Option<usize>,
    /// Instances each zone can still start; a zone not listed is unlimited.
    pub stock: BTreeMap<String, usize>,
    /// Calls per second per action.
    pub rate_limits: BTreeMap<String, u32>,
    /// How long the lifecycle's steps take.
    pub timings: Timings,
    /// Containers that exit on their own.
    pub exits: Vec<Exit>,
    /// Spot instances' reclamation.
    pub spot: Option<Spot>,
    /// Zones that schedule nothing for a while.
    pub zone_outages: Vec<ZoneOutage>,
    /// Faults injected into calls.
    pub faults: Vec<Fault>,
}

/// Durations of the lifecycle's steps, in virtual seconds.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Timings {
    /// Scheduling → Pending (or ScheduleFailed).
    pub schedule_seconds: f64,
    /// Pending → Running (image pulls, init containers).
    pub start_seconds: f64,
    /// Updating → Running.
    pub update_seconds: f64,
    /// Restarting → Running.
    pub restart_seconds: f64,
    /// Terminating → deleted.
    pub terminate_seconds: f64,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            schedule_seconds: 2.0,
            start_seconds: 3.0,
            update_seconds: 3.0,
            restart_seconds: 3.0,
            terminate_seconds: 2.0,
        }
    }
}

/// A container that exits `after_seconds` after each start.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Exit {
    /// The container's name.
    pub container: String,
    /// Its exit code.
    #[serde(default)]
    pub exit_code: i64,
    /// Seconds after each start (at least 1).
    pub after_seconds: f64,
}

/// Spot reclamation.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spot {
    /// Seconds after creation when a spot instance expires; the
    /// `SpotToBeReleased` event comes 3 minutes before (or at once).
    pub reclaim_after_seconds: f64,
}

/// A zone that schedules nothing between two times.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ZoneOutage {
    /// The zone.
    pub zone: String,
    /// From (virtual seconds since the emulator started).
    pub from_seconds: f64,
    /// To.
    pub to_seconds: f64,
}

/// One fault rule: which calls, how likely, and what happens.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Fault {
    /// Only this action (any when absent).
    pub action: Option<String>,
    /// Only these calls of the action, counted from 1.
    pub calls: Vec<u64>,
    /// The chance for each matching call (1 when absent).
    pub probability: Option<f64>,
    /// Delay the answer.
    pub latency_ms: Option<u64>,
    /// Answer this 5xx status without doing anything.
    pub status: Option<u16>,
    /// Answer `Throttling.User` without doing anything.
    pub throttle: bool,
    /// Do the action, then lose the response (the connection closes).
    pub lose: bool,
}

/// Why a scenario file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError(pub String);

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Scenario {
    /// Reads and checks a scenario file (YAML or JSON).
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        if text.trim().is_empty() {
            return Ok(Scenario::default());
        }
        let scenario: Scenario = serde_saphyr::from_str(text).map_err(|e| ScenarioError(e.to_string()))?;
        scenario.check()?;
        Ok(scenario)
    }

    fn check(&self) -> Result<(), ScenarioError> {
        let fail = |what: String| Err(ScenarioError(what));
        for (i, exit) in self.exits.iter().enumerate() {
            if !(exit.after_seconds >= 1.0 && exit.after_seconds.is_finite()) {
                return fail(format!("exits[{i}].afterSeconds must be at least 1"));
            }
        }
        for (i, fault) in self.faults.iter().enumerate() {
            if fault.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
                return fail(format!("faults[{i}].probability must be between 0 and 1"));
            }
            if fault.status.is_some_and(|s| !(500..=599).contains(&s)) {
                return fail(format!("faults[{i}].status must be a 5xx status"));
            }
            let effects = [fault.latency_ms.is_some(), fault.status.is_some(), fault.throttle, fault.lose];
            if effects.iter().filter(|e| **e).count() != 1 {
                return fail(format!("faults[{i}] needs exactly one of latencyMs, status, throttle, lose"));
            }
        }
        let t = self.timings;
        let steps = [t.schedule_seconds, t.start_seconds, t.update_seconds, t.restart_seconds, t.terminate_seconds];
        if steps.iter().any(|s| !(*s >= 0.0 && s.is_finite())) {
            return fail("timings must be non-negative seconds".into());
        }
        Ok(())
    }
}

/// A small deterministic generator (SplitMix64): the same seed and the same
/// calls give the same faults.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("scenario.rs")
            .lines()
            .skip_while(|l| !l.starts_with("//! ```yaml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").strip_prefix(' ').unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let s = Scenario::parse(&doc).expect("the module doc's example");
        assert_eq!(s.stock.get("cn-hangzhou-a"), Some(&2));
        assert_eq!(s.faults.len(), 4);
        assert!(s.faults[0].lose);
    }

    #[test]
    fn mistakes_are_named() {
        for (text, says) in [
            ("faults: [{probability: 2, throttle: true}]", "probability"),
            ("faults: [{status: 404}]", "5xx"),
            ("faults: [{throttle: true, lose: true}]", "exactly one"),
            ("exits: [{container: c, afterSeconds: 0}]", "at least 1"),
            ("quota: 1\nqouta: 2", "qouta"),
        ] {
            let e = Scenario::parse(text).unwrap_err();
            assert!(e.0.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn the_generator_is_deterministic_and_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            let x = a.unit();
            assert_eq!(x, b.unit());
            assert!((0.0..1.0).contains(&x));
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }
}
