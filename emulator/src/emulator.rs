//! One HTTP request in, one answer out: authentication, the scenario's
//! faults and rate limits, then the cloud. The HTTP server around it
//! (`eci-bridge emulate`) only moves bytes and sleeps for `delay_ms`.

use std::collections::HashMap;

use crate::auth::{AccessKey, Authenticator, HttpRequest};
use crate::cloud::{Answer, Cloud};
use crate::error::ApiError;
use crate::scenario::{Fault, Rng, Scenario};

/// The API version served.
pub const API_VERSION: &str = "2018-08-08";

/// The two clocks of a call: the wall clock signatures are checked against,
/// and the virtual clock the lifecycle runs on (`--time-scale`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Wall time, ms since the epoch.
    pub wall_ms: i64,
    /// Virtual time, ms since the epoch.
    pub virtual_ms: i64,
}

/// How the emulator is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// The region served, e.g. `cn-hangzhou`.
    pub region: String,
    /// Its zones, in scheduling preference.
    pub zones: Vec<String>,
    /// AccessKeys accepted.
    pub keys: Vec<AccessKey>,
    /// Stock, quotas, timings and faults.
    pub scenario: Scenario,
    /// The seed of every random choice.
    pub seed: u64,
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
    /// Wait this long before answering.
    pub delay_ms: u64,
    /// Close the connection instead of answering (the call was applied).
    pub lose: bool,
}

/// The emulator.
#[derive(Debug, Clone)]
pub struct Emulator {
    auth: Authenticator,
    cloud: Cloud,
    faults: Vec<Fault>,
    rate_limits: HashMap<String, u32>,
    rng: Rng,
    calls: HashMap<String, u64>,
    windows: HashMap<String, (i64, u32)>,
    requests: u64,
}

impl Emulator {
    /// A fresh region at `clock`.
    pub fn new(config: Config, clock: Clock) -> Emulator {
        let rate_limits = config.scenario.rate_limits.clone().into_iter().collect();
        let faults = config.scenario.faults.clone();
        Emulator {
            auth: Authenticator::new(config.keys),
            cloud: Cloud::new(&config.region, config.zones, config.scenario, config.seed, clock.virtual_ms),
            faults,
            rate_limits,
            rng: Rng::new(config.seed),
            calls: HashMap::new(),
            windows: HashMap::new(),
            requests: 0,
        }
    }

    /// The cloud, for in-process use (a simulation calls it directly).
    pub fn cloud_mut(&mut self) -> &mut Cloud {
        &mut self.cloud
    }

    /// Answers one HTTP request.
    pub fn handle(&mut self, request: &HttpRequest, clock: Clock) -> Reply {
        self.requests += 1;
        let request_id =
            format!("EC1E{:04X}-0000-4000-8000-{:012X}", self.requests >> 48, self.requests & 0xFFFF_FFFF_FFFF);
        let mut delay_ms = 0;
        let mut lose = false;
        let result = self.answer(request, clock, &mut delay_ms, &mut lose);
        let (status, body) = match result {
            Ok(answer) => (200, answer.with_request_id(&request_id)),
            Err(e) => (e.status, e.body(&request_id).to_string()),
        };
        Reply { status, body, delay_ms, lose }
    }

    fn answer(
        &mut self,
        request: &HttpRequest,
        clock: Clock,
        delay_ms: &mut u64,
        lose: &mut bool,
    ) -> Result<Answer, ApiError> {
        let call = self.auth.authenticate(request, clock.wall_ms)?;
        if call.version != API_VERSION {
            return Err(ApiError::unknown_version(&call.version));
        }
        let count = {
            let n = self.calls.entry(call.action.clone()).or_insert(0);
            *n += 1;
            *n
        };
        for fault in self.faults.clone() {
            if !self.strikes(&fault, &call.action, count) {
                continue;
            }
            if let Some(ms) = fault.latency_ms {
                *delay_ms += ms;
            }
            if let Some(status) = fault.status {
                return Err(ApiError::unavailable(status));
            }
            if fault.throttle {
                return Err(ApiError::throttled());
            }
            *lose |= fault.lose;
        }
        self.within_rate(&call.action, clock.wall_ms)?;
        self.cloud.call(&call.action, &call.params, clock.virtual_ms)
    }

    /// Whether a fault rule hits this call (a draw only when it matches).
    fn strikes(&mut self, fault: &Fault, action: &str, count: u64) -> bool {
        let matches = fault.action.as_deref().is_none_or(|a| a == action)
            && (fault.calls.is_empty() || fault.calls.contains(&count));
        matches && fault.probability.is_none_or(|p| self.rng.unit() < p)
    }

    /// Per-action calls per wall-clock second.
    fn within_rate(&mut self, action: &str, wall_ms: i64) -> Result<(), ApiError> {
        let Some(limit) = self.rate_limits.get(action).copied() else { return Ok(()) };
        let second = wall_ms.div_euclid(1000);
        let window = self.windows.entry(action.to_string()).or_insert((second, 0));
        if window.0 != second {
            *window = (second, 0);
        }
        window.1 += 1;
        if window.1 > limit { Err(ApiError::throttled()) } else { Ok(()) }
    }
}
