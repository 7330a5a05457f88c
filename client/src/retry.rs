//! The retry schedule: capped exponential backoff with full jitter, as a
//! pure function of the attempt number and a uniform random value.
//!
//! After failed attempt `n` (0-based) the client waits a uniform time in
//! `[0, min(cap, base · 2ⁿ)]` ("full jitter": retries of many clients spread
//! out instead of arriving together), then tries again, at most
//! `max_attempts` times in all.

use std::time::Duration;

/// How often and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The ceiling of the first wait.
    pub base: Duration,
    /// No wait is longer.
    pub cap: Duration,
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 200 ms, doubling, capped at 10 s, 5 attempts.
    fn default() -> Self {
        RetryPolicy { base: Duration::from_millis(200), cap: Duration::from_secs(10), max_attempts: 5 }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// The longest wait after failed attempt `attempt` (0-based):
    /// `min(cap, base · 2^attempt)`, without overflow.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        2u32.checked_pow(attempt).and_then(|factor| self.base.checked_mul(factor)).map_or(self.cap, |d| d.min(self.cap))
    }

    /// The wait after failed attempt `attempt`: `ceiling(attempt) · unit_random`,
    /// `unit_random` taken in `[0, 1]` (out-of-range and NaN values are clamped).
    pub fn delay(&self, attempt: u32, unit_random: f64) -> Duration {
        let u = if unit_random.is_nan() { 0.0 } else { unit_random.clamp(0.0, 1.0) };
        let ceiling = self.ceiling(attempt);
        // `as` saturates; the min guards against rounding up past the ceiling.
        Duration::from_nanos((ceiling.as_nanos() as f64 * u) as u64).min(ceiling)
    }

    /// [`RetryPolicy::delay`], but at least the server's `Retry-After` hint
    /// (itself capped).
    pub fn delay_with_hint(&self, attempt: u32, unit_random: f64, hint: Option<Duration>) -> Duration {
        let delay = self.delay(attempt, unit_random);
        hint.map_or(delay, |h| delay.max(h.min(self.cap)))
    }

    /// True when failed attempt `attempt` (0-based) may be followed by another.
    pub fn allows_retry_after(&self, attempt: u32) -> bool {
        attempt.saturating_add(1) < self.max_attempts
    }

    /// The most a call can spend waiting: the sum of the ceilings of every
    /// wait it may make.
    pub fn max_total_delay(&self) -> Duration {
        (0..self.max_attempts.saturating_sub(1)).map(|a| self.ceiling(a)).fold(Duration::ZERO, Duration::saturating_add)
    }
}

/// The delay of an HTTP `Retry-After` header in its delta-seconds form
/// (the HTTP-date form is ignored).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn default_schedule() {
        let p = RetryPolicy::default();
        let ceilings: Vec<u128> = (0..8).map(|a| p.ceiling(a).as_millis()).collect();
        assert_eq!(ceilings, [200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
        assert_eq!(p.delay(2, 0.5), Duration::from_millis(400));
        assert_eq!(p.delay(2, 0.0), Duration::ZERO);
        assert_eq!(p.delay(2, 1.0), Duration::from_millis(800));
        assert_eq!(p.delay(2, f64::NAN), Duration::ZERO);
        assert_eq!(p.delay(2, 7.0), Duration::from_millis(800));
        assert_eq!(p.max_total_delay(), Duration::from_millis(200 + 400 + 800 + 1600));
        assert!(p.allows_retry_after(3) && !p.allows_retry_after(4));
        assert!(!RetryPolicy::none().allows_retry_after(0));
        assert_eq!(RetryPolicy::none().max_total_delay(), Duration::ZERO);
    }

    #[test]
    fn hints() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_with_hint(0, 0.0, Some(Duration::from_secs(3))), Duration::from_secs(3));
        assert_eq!(p.delay_with_hint(0, 0.0, Some(Duration::from_secs(3600))), p.cap);
        assert_eq!(p.delay_with_hint(0, 1.0, None), Duration::from_millis(200));
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    fn policies() -> impl Strategy<Value = RetryPolicy> {
        (0u64..=5_000, 0u64..=120_000, 1u32..=64).prop_map(|(base, cap, max_attempts)| RetryPolicy {
            base: Duration::from_millis(base),
            cap: Duration::from_millis(cap),
            max_attempts,
        })
    }

    proptest! {
        #[test]
        fn delay_within_the_ceiling(p in policies(), attempt in 0u32..200, u in -1.0f64..2.0) {
            let ceiling = p.ceiling(attempt);
            prop_assert!(ceiling <= p.cap);
            if let Some(exact) = 2u32.checked_pow(attempt).and_then(|f| p.base.checked_mul(f)) {
                prop_assert_eq!(ceiling, exact.min(p.cap));
            }
            prop_assert!(p.delay(attempt, u) <= ceiling);
        }

        #[test]
        fn ceiling_never_shrinks(p in policies(), attempt in 0u32..200) {
            prop_assert!(p.ceiling(attempt) <= p.ceiling(attempt + 1));
        }

        #[test]
        fn delay_grows_with_the_random_value(p in policies(), attempt in 0u32..64, a in 0.0f64..=1.0, b in 0.0f64..=1.0) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(p.delay(attempt, lo) <= p.delay(attempt, hi));
        }

        #[test]
        fn total_wait_is_bounded(p in policies(), randoms in proptest::collection::vec(0.0f64..=1.0, 64)) {
            let waited = (0..p.max_attempts)
                .take_while(|&a| p.allows_retry_after(a))
                .map(|a| p.delay(a, randoms[a as usize % randoms.len()]))
                .fold(Duration::ZERO, Duration::saturating_add);
            prop_assert!(waited <= p.max_total_delay());
            prop_assert!(p.max_total_delay() <= p.cap.saturating_mul(p.max_attempts.saturating_sub(1)));
        }
    }
}
