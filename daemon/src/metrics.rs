//! Prometheus metrics, kept in atomics and rendered in the text exposition
//! format (version 0.0.4) by [`Metrics::render`].

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use eci_bridge_core::admission::endpoint::Outcome;

/// Upper bounds of the admission latency histogram, in seconds.
pub const LATENCY_BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// HTTP status codes the daemon answers with, counted one by one.
pub const STATUS_CODES: [u16; 9] = [200, 400, 404, 405, 408, 413, 415, 500, 503];

/// What the daemon reloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reloaded {
    /// The eci-profile.
    Profile,
    /// The namespaces file.
    Namespaces,
    /// The TLS certificate and key.
    Tls,
}

impl Reloaded {
    /// Every source.
    pub const ALL: [Reloaded; 3] = [Reloaded::Profile, Reloaded::Namespaces, Reloaded::Tls];

    /// Position in [`Reloaded::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Reloaded::Profile => "profile",
            Reloaded::Namespaces => "namespaces",
            Reloaded::Tls => "tls",
        }
    }
}

/// Every counter and gauge.
#[derive(Debug, Default)]
pub struct Metrics {
    reviews: [AtomicU64; 4],
    responses: [AtomicU64; STATUS_CODES.len()],
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    in_flight: AtomicU64,
    connections: AtomicU64,
    connections_refused: AtomicU64,
    tls_handshake_failures: AtomicU64,
    memo: [AtomicU64; 2],
    reloads: [AtomicU64; 3],
    reload_failures: [AtomicU64; 3],
}

/// What the metrics show besides the counters.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// SHA-256 (hex) of the loaded profile's source, or empty.
    pub profile_sha256: String,
    /// `/readyz` would answer 200.
    pub ready: bool,
    /// Namespaces whose labels are known.
    pub namespaces: usize,
}

/// Decrements a gauge when dropped.
#[derive(Debug)]
pub struct GaugeGuard<'a>(&'a AtomicU64);

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// One review answered.
    pub fn review(&self, outcome: Outcome, took: Duration) {
        let index = Outcome::ALL.iter().position(|o| *o == outcome).unwrap_or(0);
        self.reviews[index].fetch_add(1, Ordering::Relaxed);
        let seconds = took.as_secs_f64();
        if let Some(b) = LATENCY_BUCKETS.iter().position(|le| seconds <= *le) {
            self.latency_buckets[b].fetch_add(1, Ordering::Relaxed);
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros.fetch_add(u64::try_from(took.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// One HTTP response sent.
    pub fn response(&self, status: u16) {
        if let Some(i) = STATUS_CODES.iter().position(|c| *c == status) {
            self.responses[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A request started; the guard ends it.
    pub fn in_flight(&self) -> GaugeGuard<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        GaugeGuard(&self.in_flight)
    }

    /// A connection opened; the guard closes it.
    pub fn connection(&self) -> GaugeGuard<'_> {
        self.connections.fetch_add(1, Ordering::Relaxed);
        GaugeGuard(&self.connections)
    }

    /// A review answered from the memo (`hit`) or by the core.
    pub fn memo(&self, hit: bool) {
        self.memo[usize::from(hit)].fetch_add(1, Ordering::Relaxed);
    }

    /// A connection closed at accept (over `--max-connections`).
    pub fn connection_refused(&self) {
        self.connections_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// A TLS handshake failed or timed out.
    pub fn tls_handshake_failed(&self) {
        self.tls_handshake_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A reload, good or failed.
    pub fn reload(&self, what: Reloaded, ok: bool) {
        let counters = if ok { &self.reloads } else { &self.reload_failures };
        counters[what.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Reloads of `what` so far: (good, failed).
    pub fn reloads(&self, what: Reloaded) -> (u64, u64) {
        (self.reloads[what.index()].load(Ordering::Relaxed), self.reload_failures[what.index()].load(Ordering::Relaxed))
    }

    /// The text exposition.
    pub fn render(&self, snapshot: &Snapshot) -> String {
        let mut out = String::new();
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut family = |name: &str, kind: &str, help: &str, samples: Vec<(String, String)>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        family(
            "eci_bridge_admission_reviews_total",
            "counter",
            "Admission reviews answered, by outcome.",
            Outcome::ALL
                .iter()
                .zip(&self.reviews)
                .map(|(o, n)| (format!("{{outcome=\"{}\"}}", o.as_str()), load(n).to_string()))
                .collect(),
        );
        family(
            "eci_bridge_http_responses_total",
            "counter",
            "HTTP responses sent, by status code.",
            STATUS_CODES
                .iter()
                .zip(&self.responses)
                .map(|(c, n)| (format!("{{code=\"{c}\"}}"), load(n).to_string()))
                .collect(),
        );
        let mut cumulative = 0;
        let mut buckets: Vec<(String, String)> = LATENCY_BUCKETS
            .iter()
            .zip(&self.latency_buckets)
            .map(|(le, n)| {
                cumulative += load(n);
                (format!("_bucket{{le=\"{le}\"}}"), cumulative.to_string())
            })
            .collect();
        let count = load(&self.latency_count);
        buckets.push(("_bucket{le=\"+Inf\"}".into(), count.to_string()));
        buckets.push(("_sum".into(), format!("{}", load(&self.latency_sum_micros) as f64 / 1e6)));
        buckets.push(("_count".into(), count.to_string()));
        family(
            "eci_bridge_admission_duration_seconds",
            "histogram",
            "Time from the whole request body to the response body, per review.",
            buckets,
        );
        family(
            "eci_bridge_memo_total",
            "counter",
            "Reviews answered from the memo of repeated reviews (hit) or by the core (miss).",
            vec![
                ("{result=\"miss\"}".into(), load(&self.memo[0]).to_string()),
                ("{result=\"hit\"}".into(), load(&self.memo[1]).to_string()),
            ],
        );
        let gauge = |v: u64| vec![(String::new(), v.to_string())];
        family("eci_bridge_in_flight_requests", "gauge", "Requests being answered.", gauge(load(&self.in_flight)));
        family("eci_bridge_open_connections", "gauge", "Client connections open.", gauge(load(&self.connections)));
        family(
            "eci_bridge_connections_refused_total",
            "counter",
            "Connections closed at accept because --max-connections were open.",
            gauge(load(&self.connections_refused)),
        );
        family(
            "eci_bridge_tls_handshake_failures_total",
            "counter",
            "TLS handshakes that failed or timed out.",
            gauge(load(&self.tls_handshake_failures)),
        );
        let reloads = |counters: &[AtomicU64; 3]| {
            Reloaded::ALL
                .iter()
                .map(|r| (format!("{{source=\"{}\"}}", r.as_str()), load(&counters[r.index()]).to_string()))
                .collect()
        };
        family("eci_bridge_reloads_total", "counter", "Sources reloaded after a change.", reloads(&self.reloads));
        family(
            "eci_bridge_reload_failures_total",
            "counter",
            "Changed sources that could not be loaded (the last good one stays).",
            reloads(&self.reload_failures),
        );
        family(
            "eci_bridge_profile_info",
            "gauge",
            "The loaded eci-profile, by the SHA-256 of its source.",
            vec![(format!("{{sha256=\"{}\"}}", snapshot.profile_sha256), "1".into())],
        );
        family(
            "eci_bridge_namespaces",
            "gauge",
            "Namespaces whose labels are known.",
            gauge(snapshot.namespaces as u64),
        );
        family("eci_bridge_ready", "gauge", "1 when /readyz answers 200.", gauge(u64::from(snapshot.ready)));
        out
    }
}
