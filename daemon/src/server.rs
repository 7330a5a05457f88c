//! The HTTPS server: connections, routes, limits, reloads and shutdown.
//!
//! Routes (HTTP/1.1 and HTTP/2, by ALPN):
//!
//! | route | answer |
//! |---|---|
//! | `POST /mutate` | the core's answer to an AdmissionReview (200), a `Status` (400) for a body that is not one |
//! | `GET /healthz` | 200 while the process serves |
//! | `GET /readyz` | 200 once the profile and the namespaces are loaded, 503 before and after SIGTERM; the body says why and names a refused reload |
//! | `GET /metrics` | Prometheus text |
//!
//! Protection, in the order a request meets it: at most `max_connections`
//! connections (more are closed at accept; the plain-HTTP listener of probes
//! has [`PROBE_CONNECTIONS`] of its own); the TLS handshake and the request
//! headers within `read_timeout` each (else the connection is closed), and
//! an idle connection closed after `idle_timeout`; a JSON content type
//! (415); a body of at most `max_body_bytes` (413, decided from
//! `Content-Length` before reading when it is given), counted against
//! [`BODY_BUDGET_KIB`] (503) and read within `read_timeout` (408); then a
//! slot among `max_in_flight` (503), so a slow client holds body bytes, never
//! a slot; then the memo of repeated reviews, or the core on the blocking
//! pool (at most [`LARGE_AT_ONCE`] reviews above [`LARGE_BODY_BYTES`] at
//! once), whose own input limits bound the rest.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use eci_bridge_core::admission::endpoint::{Answer, Endpoint, Outcome};
use eci_bridge_core::diagnostics::{Code, Diagnostic, Input, Severity};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::config::{NamespaceSource, ServeConfig};
use crate::memo::{self, Memo};
use crate::metrics::{Metrics, Reloaded, Snapshot};
use crate::namespaces::NamespaceLabels;
use crate::profile::LoadedProfile;
use crate::tls::CurrentCert;
use crate::watch::Watched;
use crate::{log, namespaces, profile, tls};

/// Reviews above this size count as large: at most [`LARGE_AT_ONCE`] of
/// them are answered at once (their parsed trees are the daemon's largest
/// allocations).
pub const LARGE_BODY_BYTES: usize = 64 * 1024;

/// Large reviews answered at once.
pub const LARGE_AT_ONCE: usize = 4;

/// Connections of the plain-HTTP listener (probes, scrapers) held at once.
pub const PROBE_CONNECTIONS: usize = 64;

/// KiB of request bodies held in memory at once (64 MiB); more get 503.
pub const BODY_BUDGET_KIB: usize = 64 * 1024;

/// Everything a request handler reads.
#[derive(Debug)]
pub struct State {
    config: ServeConfig,
    profile: RwLock<Option<Arc<LoadedProfile>>>,
    namespaces: NamespaceLabels,
    namespaces_loaded: AtomicBool,
    /// Why the last change of each source was refused (cleared by a good
    /// one), by [`Reloaded::index`].
    refused: [RwLock<Option<String>>; 3],
    shutting_down: AtomicBool,
    in_flight: Semaphore,
    /// KiB of request bodies held at once ([`BODY_BUDGET_KIB`]).
    body_budget: Semaphore,
    /// Reviews above [`LARGE_BODY_BYTES`] answered at once ([`LARGE_AT_ONCE`]).
    large: Semaphore,
    metrics: Metrics,
    memo: Memo,
}

type Body = Full<Bytes>;

fn respond(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn text(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    let mut body = body.into();
    if !body.ends_with('\n') {
        body.push('\n');
    }
    respond(status, "text/plain; charset=utf-8", body)
}

impl State {
    fn new(config: ServeConfig, namespaces: NamespaceLabels) -> State {
        let in_flight = Semaphore::new(config.max_in_flight);
        let memo = Memo::new(config.memo_entries);
        State {
            config,
            profile: RwLock::new(None),
            namespaces,
            namespaces_loaded: AtomicBool::new(false),
            refused: Default::default(),
            shutting_down: AtomicBool::new(false),
            in_flight,
            body_budget: Semaphore::new(BODY_BUDGET_KIB),
            large: Semaphore::new(LARGE_AT_ONCE),
            metrics: Metrics::default(),
            memo,
        }
    }

    fn loaded_profile(&self) -> Option<Arc<LoadedProfile>> {
        self.profile.read().ok().and_then(|p| p.clone())
    }

    /// Why the daemon is not ready (empty: ready), and notes for the body.
    fn readiness(&self) -> (Vec<String>, Vec<String>) {
        let mut missing = Vec::new();
        let mut notes = Vec::new();
        if self.shutting_down.load(Ordering::Relaxed) {
            missing.push("shutting down".to_string());
        }
        let refused = |what: Reloaded| self.refused[what.index()].read().ok().and_then(|r| r.clone());
        let because = |what: Reloaded| refused(what).map(|e| format!(": {e}")).unwrap_or_default();
        match (&self.config.profile_file, self.loaded_profile()) {
            (Some(path), None) => {
                missing.push(format!("no eci-profile loaded from {}{}", path.display(), because(Reloaded::Profile)))
            }
            (Some(_), Some(p)) => notes.push(format!("profile sha256 {}", p.sha256)),
            (None, _) => notes.push("no --profile-file: pods are routed by labels only".into()),
        }
        if !self.namespaces_loaded.load(Ordering::Relaxed) {
            missing.push(format!("namespace labels not loaded{}", because(Reloaded::Namespaces)));
        }
        for what in Reloaded::ALL {
            let loaded = match what {
                Reloaded::Profile => self.loaded_profile().is_some(),
                Reloaded::Namespaces => self.namespaces_loaded.load(Ordering::Relaxed),
                Reloaded::Tls => true,
            };
            if let (true, Some(e)) = (loaded, refused(what)) {
                notes.push(format!(
                    "the last change of the {} was refused (the loaded one is kept): {e}",
                    what.as_str()
                ));
            }
        }
        (missing, notes)
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            profile_sha256: self.loaded_profile().map(|p| p.sha256.clone()).unwrap_or_default(),
            ready: self.readiness().0.is_empty(),
            namespaces: self.namespaces.len(),
        }
    }

    /// Routes one request.
    async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<Body> {
        let path = request.uri().path().to_string();
        let method = request.method().clone();
        let response = match (path.as_str(), &method) {
            ("/mutate", &Method::POST) => Arc::clone(&self).mutate(request, false).await,
            ("/bench/fixed", &Method::POST) if self.config.bench_fixed_route => {
                Arc::clone(&self).mutate(request, true).await
            }
            ("/healthz", &Method::GET | &Method::HEAD) => text(StatusCode::OK, "ok"),
            ("/readyz", &Method::GET | &Method::HEAD) => self.readyz(),
            ("/metrics", &Method::GET | &Method::HEAD) => respond(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                self.metrics.render(&self.snapshot()),
            ),
            ("/mutate", _) => not_allowed("POST"),
            ("/healthz" | "/readyz" | "/metrics", _) => not_allowed("GET, HEAD"),
            _ => text(StatusCode::NOT_FOUND, format!("no route {path}; the webhook serves POST /mutate")),
        };
        self.metrics.response(response.status().as_u16());
        response
    }

    fn readyz(&self) -> Response<Body> {
        let (missing, notes) = self.readiness();
        let mut body =
            if missing.is_empty() { "ok\n".to_string() } else { format!("not ready: {}\n", missing.join("; ")) };
        for n in notes {
            body.push_str(&n);
            body.push('\n');
        }
        text(if missing.is_empty() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, body)
    }

    async fn mutate(self: Arc<Self>, request: Request<Incoming>, fixed: bool) -> Response<Body> {
        // The body first (bounded in bytes held and in time), then a slot:
        // a slow client holds body bytes, never a slot others need.
        let (body, _held) = match self.read_body(request).await {
            Ok(read) => read,
            Err(response) => return response,
        };
        let Ok(_permit) = self.in_flight.try_acquire() else {
            return retry_later(format!("{} reviews are being answered; retry", self.config.max_in_flight));
        };
        let _gauge = self.metrics.in_flight();
        let started = Instant::now();
        if fixed {
            return respond(StatusCode::OK, "application/json", FIXED_ANSWER);
        }
        // One profile for the whole review: the memo's key names the profile
        // the core then answers with, even if a reload lands in between.
        let profile = self.loaded_profile();
        let answer = match self.remembered(&body, profile.as_deref()) {
            Ok(answer) => answer,
            Err(keyed) => {
                // The core on the blocking pool: its cost is bounded by the
                // input limits, but not proportional to the body's size.
                let _large = if body.len() > LARGE_BODY_BYTES { self.large.acquire().await.ok() } else { None };
                let state = Arc::clone(&self);
                match tokio::task::spawn_blocking(move || state.answer(&body, profile.as_deref(), keyed)).await {
                    Ok(answer) => answer,
                    Err(_) => return text(StatusCode::INTERNAL_SERVER_ERROR, "the review could not be answered"),
                }
            }
        };
        let took = started.elapsed();
        self.metrics.review(answer.outcome, took);
        log::record(&ReviewLine {
            ts: jiff::Timestamp::now().to_string(),
            level: "info",
            msg: "review",
            outcome: answer.outcome.as_str(),
            duration_ms: took.as_secs_f64() * 1000.0,
            summary: &answer.summary,
        });
        let status = if answer.outcome == Outcome::Invalid { StatusCode::BAD_REQUEST } else { StatusCode::OK };
        respond(status, "application/json", answer.body)
    }

    /// The memo's answer, or the key to remember the core's answer under.
    fn remembered(&self, body: &[u8], profile: Option<&LoadedProfile>) -> Result<Answer, Option<memo::Keyed>> {
        let keyed = memo::key(body, profile.map_or("", |p| p.sha256.as_str()));
        match keyed.as_ref().and_then(|k| self.memo.get(k, |name| self.namespaces.labels(name))) {
            Some(answer) => {
                self.metrics.memo(true);
                Ok(answer)
            }
            None => {
                self.metrics.memo(false);
                Err(keyed)
            }
        }
    }

    /// The core's answer, with the review's profile; the namespace labels it
    /// looks up are remembered with the answer.
    fn answer(&self, body: &[u8], profile: Option<&LoadedProfile>, keyed: Option<memo::Keyed>) -> Answer {
        let body = match std::str::from_utf8(body) {
            Ok(body) => body,
            Err(e) => return invalid_utf8(e),
        };
        let lookups = std::cell::RefCell::new(memo::Lookups::new());
        let lookup = |name: &str| {
            let labels = self.namespaces.labels(name);
            lookups.borrow_mut().push((name.to_string(), labels.clone()));
            labels
        };
        let endpoint =
            Endpoint { profile: profile.map(|p| &p.profile), options: &self.config.options, namespace_labels: &lookup };
        let answer = endpoint.answer(body);
        if let Some(keyed) = keyed {
            self.memo.put(keyed, lookups.into_inner(), &answer);
        }
        answer
    }

    /// The body and the budget it holds, or the response that refuses it.
    async fn read_body(
        &self,
        request: Request<Incoming>,
    ) -> Result<(Bytes, tokio::sync::SemaphorePermit<'_>), Response<Body>> {
        let limit = self.config.max_body_bytes;
        let json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(text(StatusCode::UNSUPPORTED_MEDIA_TYPE, "the webhook takes Content-Type: application/json"));
        }
        let too_large = || text(StatusCode::PAYLOAD_TOO_LARGE, format!("the body is larger than {limit} bytes"));
        let declared = request.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        // Bodies in memory are bounded in KiB: the declared length, or the
        // largest body when none is declared (the API server declares it).
        let kib = declared.map_or(limit, |n| n as usize).div_ceil(1024).max(1);
        let Ok(held) = self.body_budget.try_acquire_many(u32::try_from(kib).unwrap_or(u32::MAX)) else {
            return Err(retry_later("too many request bodies are being read; retry".into()));
        };
        let read = Limited::new(request.into_body(), limit).collect();
        match tokio::time::timeout(self.config.read_timeout, read).await {
            Err(_) => Err(text(
                StatusCode::REQUEST_TIMEOUT,
                format!("the body did not arrive within {} s", self.config.read_timeout.as_secs()),
            )),
            Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(too_large()),
            Ok(Err(e)) => Err(text(StatusCode::BAD_REQUEST, format!("the body could not be read: {e}"))),
            Ok(Ok(collected)) => Ok((collected.to_bytes(), held)),
        }
    }
}

/// The log line of one review: identities and counts (the core's summary).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ReviewLine<'a> {
    ts: String,
    level: &'static str,
    msg: &'static str,
    outcome: &'static str,
    duration_ms: f64,
    #[serde(flatten)]
    summary: &'a eci_bridge_core::admission::endpoint::ReviewSummary,
}

fn invalid_utf8(e: std::str::Utf8Error) -> Answer {
    Answer::invalid(
        &Diagnostic::pod(
            Severity::Error,
            Code::Syntax,
            "",
            format!("the body is not UTF-8 (from byte {})", e.valid_up_to()),
        )
        .on(Input::Request),
    )
}

/// The fixed answer of `/bench/fixed`: a minimal allowed review.
const FIXED_ANSWER: &str = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"bench\",\"allowed\":true}}\n";

/// 503 with `Retry-After: 1`: a limit of the moment, not of the request.
fn retry_later(message: String) -> Response<Body> {
    let mut r = text(StatusCode::SERVICE_UNAVAILABLE, message);
    r.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

fn not_allowed(allow: &'static str) -> Response<Body> {
    let mut r = text(StatusCode::METHOD_NOT_ALLOWED, format!("allowed methods: {allow}"));
    r.headers_mut().insert(ALLOW, HeaderValue::from_static(allow));
    r
}

impl State {
    /// Logs and counts a reload, and remembers a refusal for `/readyz`.
    fn record_reload(&self, what: Reloaded, path: &std::path::Path, outcome: Result<serde_json::Value, String>) {
        let path = path.display().to_string();
        let refusal = outcome.as_ref().err().cloned();
        match outcome {
            Ok(mut fields) => {
                if let Some(f) = fields.as_object_mut() {
                    f.insert("path".into(), json!(path));
                }
                log::info(&format!("{} loaded", what.as_str()), fields);
            }
            Err(e) => log::error(
                &format!("{} refused; the last good one stays", what.as_str()),
                json!({"path": path, "error": e}),
            ),
        }
        self.metrics.reload(what, refusal.is_none());
        if refusal.is_none() {
            // Keys name the profile and the labels; what they no longer match only takes room.
            self.memo.clear();
        }
        if let Ok(mut slot) = self.refused[what.index()].write() {
            *slot = refusal;
        }
    }
}

/// Loads the profile when it changed.
fn reload_profile(state: &State, watched: &mut Watched) {
    let loaded = match watched.poll() {
        Ok(None) => return,
        Ok(Some((content, sha))) => profile::load(&content, sha)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
        Err(e) => Err(e),
    };
    let outcome = loaded.map(|p| {
        let fields = json!({
            "sha256": p.sha256,
            "selectors": p.profile.selectors.len(),
            "warnings": p.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        });
        if let Ok(mut current) = state.profile.write() {
            *current = Some(Arc::new(p));
        }
        fields
    });
    state.record_reload(Reloaded::Profile, watched.path(), outcome);
}

/// Loads the namespaces file when it changed.
fn reload_namespaces(state: &State, watched: &mut Watched) {
    let loaded = match watched.poll() {
        Ok(None) => return,
        Ok(Some((crate::watch::Content::File(text), _))) => namespaces::parse(&text).map_err(|d| d.to_string()),
        Ok(Some(_)) => Err("the namespaces source is a directory; give a file".into()),
        Err(e) => Err(e),
    };
    let outcome = loaded.map(|map| {
        let fields = json!({"namespaces": map.len()});
        state.namespaces.replace(map);
        state.namespaces_loaded.store(true, Ordering::Relaxed);
        fields
    });
    state.record_reload(Reloaded::Namespaces, watched.path(), outcome);
}

/// Polls the certificate and key; a pair that loads is served from the
/// next handshake on.
struct CertWatch {
    cert: Watched,
    key: Watched,
}

fn reload_tls(state: &State, watch: &mut CertWatch, current: &CurrentCert) {
    // Both files are polled every time: a change of either reloads the pair.
    let (cert, key) = (watch.cert.poll(), watch.key.poll());
    if matches!((&cert, &key), (Ok(None), Ok(None))) {
        return;
    }
    // A rotation that writes the two files one after the other may be seen
    // half done (refused); the second write is a change too, and heals it.
    let outcome = tls::load(watch.cert.path(), watch.key.path()).map(|key| {
        current.replace(key);
        json!({})
    });
    state.record_reload(Reloaded::Tls, watch.cert.path(), outcome);
}

/// Runs the daemon until SIGTERM or SIGINT; `Ok` after a graceful stop.
pub fn serve(config: ServeConfig) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    log::start_flusher();
    let result = runtime.block_on(run(config, shutdown_signal()));
    log::flush();
    result
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

/// Runs the daemon until `shutdown` resolves.
pub async fn run(config: ServeConfig, shutdown: impl std::future::Future<Output = ()>) -> Result<(), String> {
    let current = Arc::new(CurrentCert::new(tls::load(&config.tls_cert_file, &config.tls_key_file)?));
    let acceptor = tokio_rustls::TlsAcceptor::from(tls::server_config(Arc::clone(&current))?);
    let namespaces = match &config.namespaces {
        NamespaceSource::File(_) => NamespaceLabels::File(RwLock::default()),
        NamespaceSource::Cluster(kubeconfig) => {
            NamespaceLabels::Cluster(namespaces::reflect(kubeconfig.clone()).await?)
        }
        NamespaceSource::None => NamespaceLabels::None,
    };
    let listener =
        TcpListener::bind(config.listen).await.map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let metrics_listener = match config.metrics_listen {
        Some(addr) => {
            Some(TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr} for metrics: {e}"))?)
        }
        None => None,
    };
    let state = Arc::new(State::new(config.clone(), namespaces));
    let (stop_tx, stop_rx) = watch::channel(false);
    start_reloads(&state, &current, stop_rx.clone());
    log::info(
        "serving",
        json!({
            "listen": listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            "metricsListen": metrics_listener.as_ref().and_then(|l| l.local_addr().ok()).map(|a| a.to_string()),
            "maxBodyBytes": config.max_body_bytes,
            "maxInFlight": config.max_in_flight,
            "maxConnections": config.max_connections,
        }),
    );
    let graceful = Arc::new(GracefulShutdown::new());
    let connections = Arc::new(Semaphore::new(config.max_connections));
    let tls_server = tokio::spawn(accept_loop(
        listener,
        Some(acceptor),
        Arc::clone(&state),
        Arc::clone(&graceful),
        connections,
        stop_rx.clone(),
    ));
    // Probes and scrapers have connection slots of their own: a flood of
    // webhook connections never fails the kubelet's probes.
    let probe_connections = Arc::new(Semaphore::new(PROBE_CONNECTIONS));
    let metrics_server = metrics_listener.map(|l| {
        tokio::spawn(accept_loop(l, None, Arc::clone(&state), Arc::clone(&graceful), probe_connections, stop_rx))
    });
    shutdown.await;
    state.shutting_down.store(true, Ordering::Relaxed);
    log::info("shutting down: not ready", json!({"delaySeconds": config.shutdown_delay.as_secs_f64()}));
    tokio::time::sleep(config.shutdown_delay).await;
    let _ = stop_tx.send(true);
    let _ = tls_server.await;
    if let Some(m) = metrics_server {
        let _ = m.await;
    }
    let graceful = Arc::try_unwrap(graceful).unwrap_or_else(|_| GracefulShutdown::new());
    match tokio::time::timeout(config.shutdown_grace, graceful.shutdown()).await {
        Ok(()) => log::info("stopped: every connection finished", json!({})),
        Err(_) => log::warn(
            "stopped: connections still open after the grace period were cut",
            json!({"graceSeconds": config.shutdown_grace.as_secs_f64()}),
        ),
    }
    Ok(())
}

fn start_reloads(state: &Arc<State>, current: &Arc<CurrentCert>, mut stop: watch::Receiver<bool>) {
    let limit = eci_bridge_core::Limits::DEFAULT.max_text_bytes;
    let config = &state.config;
    let mut profile = config.profile_file.clone().map(|p| Watched::new(p, limit));
    let mut namespaces = match &config.namespaces {
        NamespaceSource::File(p) => Some(Watched::new(p.clone(), limit)),
        NamespaceSource::None => {
            log::warn("no namespace source: namespace labels are empty", json!({}));
            state.namespaces_loaded.store(true, Ordering::Relaxed);
            None
        }
        NamespaceSource::Cluster(_) => None,
    };
    if let NamespaceLabels::Cluster(store) = &state.namespaces {
        let (store, state) = (store.clone(), Arc::clone(state));
        tokio::spawn(async move {
            if store.wait_until_ready().await.is_ok() {
                log::info("namespaces listed from the cluster", json!({"namespaces": store.len()}));
                state.namespaces_loaded.store(true, Ordering::Relaxed);
            }
        });
    }
    let mut certs = CertWatch {
        cert: Watched::new(config.tls_cert_file.clone(), 1 << 20),
        key: Watched::new(config.tls_key_file.clone(), 1 << 20),
    };
    // The files were read at start; the first poll only records them.
    let _ = (certs.cert.poll(), certs.key.poll());
    let (state, current) = (Arc::clone(state), Arc::clone(current));
    let interval = config.poll_interval;
    tokio::spawn(async move {
        loop {
            if let Some(w) = profile.as_mut() {
                reload_profile(&state, w);
            }
            if let Some(w) = namespaces.as_mut() {
                reload_namespaces(&state, w);
            }
            reload_tls(&state, &mut certs, &current);
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => return,
            }
        }
    });
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    state: Arc<State>,
    graceful: Arc<GracefulShutdown>,
    connections: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => return,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                log::warn("accept failed", json!({"error": e.to_string()}));
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            state.metrics.connection_refused();
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (state, acceptor) = (Arc::clone(&state), acceptor.clone());
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            let _open = state.metrics.connection();
            let timeout = state.config.read_timeout;
            let Some(acceptor) = acceptor else {
                // The plain-HTTP listener of probes and scrapers: HTTP/1.1.
                return serve_connection(TokioIo::new(stream), false, &state, watcher).await;
            };
            match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
                    serve_connection(TokioIo::new(tls), h2, &state, watcher).await
                }
                _ => state.metrics.tls_handshake_failed(),
            }
        });
    }
}

/// Requests a connection has open, and when its last one ended.
#[derive(Debug)]
struct Activity {
    open: std::sync::atomic::AtomicUsize,
    last: std::sync::Mutex<(Instant, bool)>,
}

/// Ends a request's part in a connection's [`Activity`].
struct Served(Arc<Activity>);

impl Drop for Served {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
        if let Ok(mut last) = self.0.last.lock() {
            *last = (Instant::now(), true);
        }
    }
}

impl Activity {
    fn start(self: &Arc<Self>) -> Served {
        self.open.fetch_add(1, Ordering::Relaxed);
        Served(Arc::clone(self))
    }

    /// When an idle connection is closed: `read_timeout` after it opened
    /// without a request, `idle_timeout` after its last request; never
    /// while a request is open.
    fn deadline(&self, config: &ServeConfig) -> Option<tokio::time::Instant> {
        if self.open.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let (at, served) = self.last.lock().map(|l| *l).ok()?;
        let limit = if served { config.idle_timeout } else { config.read_timeout };
        Some(tokio::time::Instant::from_std(at + limit))
    }
}

/// Serves one connection with HTTP/2 (when ALPN chose it) or HTTP/1.1, and
/// closes it when idle: a client that sends nothing, or keeps a connection
/// without requests, never holds a connection slot for long.
async fn serve_connection<I>(io: I, h2: bool, state: &Arc<State>, watcher: hyper_util::server::graceful::Watcher)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity {
        open: std::sync::atomic::AtomicUsize::new(0),
        last: std::sync::Mutex::new((Instant::now(), false)),
    });
    let service = {
        let (state, activity) = (Arc::clone(state), Arc::clone(&activity));
        hyper::service::service_fn(move |request| {
            let (state, served) = (Arc::clone(&state), activity.start());
            async move {
                let response = state.handle(request).await;
                drop(served);
                Ok::<_, Infallible>(response)
            }
        })
    };
    let config = &state.config;
    if h2 {
        let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .max_concurrent_streams(u32::try_from(config.max_in_flight).unwrap_or(u32::MAX))
            .max_header_list_size(64 * 1024)
            .keep_alive_interval(Duration::from_secs(30));
        supervise(watcher.watch(builder.serve_connection(io, service)), &activity, config).await;
    } else {
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(config.read_timeout).max_buf_size(64 * 1024);
        supervise(watcher.watch(builder.serve_connection(io, service)), &activity, config).await;
    }
}

/// Drives a connection until it ends or stays idle past its deadline.
/// Protocol errors (garbage, resets, timeouts) end only this connection.
async fn supervise<F: std::future::Future>(connection: F, activity: &Activity, config: &ServeConfig) {
    tokio::pin!(connection);
    loop {
        let deadline = activity.deadline(config);
        let check = deadline.unwrap_or_else(|| tokio::time::Instant::now() + config.read_timeout);
        tokio::select! {
            _ = &mut connection => return,
            _ = tokio::time::sleep_until(check) => {
                if activity.deadline(config).is_some_and(|d| d <= tokio::time::Instant::now()) {
                    return;
                }
            }
        }
    }
}
