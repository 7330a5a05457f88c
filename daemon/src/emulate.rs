//! `eci-bridge emulate`: the emulator's model ([`eci_bridge_emulator`]) on a
//! socket. Plain HTTP/1.1 on 127.0.0.1 unless given a certificate (then
//! HTTPS, HTTP/1.1 and HTTP/2 by ALPN); every decision is the model's, this
//! module reads bodies, reads the clocks, sleeps for injected latency and
//! drops the connection of a lost response.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use eci_bridge_emulator::auth::HttpRequest;
use eci_bridge_emulator::{Clock, Config, Emulator, Reply};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use serde_json::json;
use tokio::net::TcpListener;

use crate::{log, tls};

/// Largest request body read (ECI requests carry their parameters in the
/// query; a form body of the V2 scheme stays far below this).
const MAX_BODY_BYTES: usize = 1 << 20;

/// The emulator daemon's settings.
#[derive(Debug, Clone)]
pub struct EmulateConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// HTTPS with this certificate and key.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The model's settings.
    pub emulator: Config,
    /// Virtual seconds per wall second.
    pub time_scale: f64,
}

/// The wall clock and the virtual clock that runs `scale` times as fast
/// from the moment the emulator started.
#[derive(Debug, Clone, Copy)]
pub struct Clocks {
    started: Instant,
    started_ms: i64,
    scale: f64,
}

impl Clocks {
    /// Starts both clocks now.
    pub fn start(scale: f64) -> Clocks {
        let started_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
        Clocks { started: Instant::now(), started_ms, scale }
    }

    /// Both clocks' readings.
    pub fn now(&self) -> Clock {
        let elapsed = self.started.elapsed().as_secs_f64() * 1000.0;
        Clock { wall_ms: self.started_ms + elapsed as i64, virtual_ms: self.started_ms + (elapsed * self.scale) as i64 }
    }
}

struct Shared {
    emulator: Mutex<Emulator>,
    clocks: Clocks,
}

/// Runs the emulator until SIGTERM or SIGINT.
pub fn emulate(config: EmulateConfig) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    log::start_flusher();
    let result = runtime.block_on(async {
        let listener =
            TcpListener::bind(config.listen).await.map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        run(config, listener, crate::server::shutdown_signal()).await
    });
    log::flush();
    result
}

/// Serves on `listener` until `shutdown` resolves.
pub async fn run(
    config: EmulateConfig,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let acceptor = match &config.tls {
        Some((cert, key)) => {
            let current = Arc::new(tls::CurrentCert::new(tls::load(cert, key)?));
            Some(tokio_rustls::TlsAcceptor::from(tls::server_config(current)?))
        }
        None => None,
    };
    let clocks = Clocks::start(config.time_scale);
    let shared =
        Arc::new(Shared { emulator: Mutex::new(Emulator::new(config.emulator.clone(), clocks.now())), clocks });
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    log::info(
        "emulating ECI",
        json!({"listen": address.to_string(), "region": config.emulator.region, "zones": config.emulator.zones,
            "https": acceptor.is_some(), "timeScale": config.time_scale, "seed": config.emulator.seed}),
    );
    log::flush();
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => { tokio::time::sleep(Duration::from_millis(50)).await; continue; }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (shared, acceptor) = (Arc::clone(&shared), acceptor.clone());
        tokio::spawn(async move {
            match acceptor {
                None => serve_connection(TokioIo::new(stream), false, shared).await,
                Some(acceptor) => {
                    if let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
                        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
                        serve_connection(TokioIo::new(tls), h2, shared).await;
                    }
                }
            }
        });
    }
    log::info("stopped", json!({}));
    Ok(())
}

/// A lost response: the service fails, so hyper closes the connection
/// without answering.
#[derive(Debug)]
struct Lost;

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("response lost (injected fault)")
    }
}

impl std::error::Error for Lost {}

async fn serve_connection<I>(io: I, h2: bool, shared: Arc<Shared>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| {
        let shared = Arc::clone(&shared);
        async move { answer(&shared, request).await }
    });
    if h2 {
        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .serve_connection(io, service)
            .await;
    } else {
        let _ = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(30))
            .serve_connection(io, service)
            .await;
    }
}

async fn answer(shared: &Shared, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Lost> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => {
            return Ok(respond(&Reply {
                status: 413,
                body: "{\"Code\":\"RequestTooLarge\"}".into(),
                delay_ms: 0,
                lose: false,
            }));
        }
    };
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    // HTTP/2 carries the host as the :authority pseudo-header.
    if !headers.iter().any(|(n, _)| n == "host")
        && let Some(authority) = parts.uri.authority()
    {
        headers.push(("host".into(), authority.to_string()));
    }
    let http = HttpRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers,
        body,
    };
    let started = Instant::now();
    let reply = {
        let mut emulator = shared.emulator.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        emulator.handle(&http, shared.clocks.now())
    };
    log::record(&json!({
        "level": "info", "msg": "call", "action": action_of(&http), "status": reply.status,
        "lost": reply.lose, "delayMs": reply.delay_ms, "micros": started.elapsed().as_micros() as u64,
    }));
    if reply.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(reply.delay_ms)).await;
    }
    if reply.lose {
        return Err(Lost);
    }
    Ok(respond(&reply))
}

/// The action a request names (for the log only; never a parameter value).
fn action_of(request: &HttpRequest) -> String {
    request
        .header("x-acs-action")
        .map(str::to_string)
        .or_else(|| {
            eci_bridge_emulator::auth::decode_form(&request.query)
                .into_iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v)
        })
        .unwrap_or_default()
}

fn respond(reply: &Reply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(reply.body.clone())));
    *response.status_mut() =
        hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json;charset=utf-8"));
    response
}
