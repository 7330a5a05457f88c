//! Moving one request and its answer: the [`Transport`] trait (so tests
//! inject canned answers) and its hyper implementation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use eci_bridge_core::eci::sign::HttpMethod;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::{ConfigBuilderExt, HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::request::HttpRequest;

/// The largest answer read (a log page is at most 1 MiB).
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Time allowed to open a TCP connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with a JSON body.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        HttpResponse { status, headers: Vec::new(), body: body.to_string().into_bytes() }
    }

    /// One header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why a request got no answer. The message never holds the URL or a header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

/// What [`Transport::send`] returns.
pub type TransportFuture<'a> = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

/// Sends one request and reads its whole answer.
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request`; any status is an answer, only a failure to get one is an error.
    fn send(&self, request: HttpRequest) -> TransportFuture<'_>;
}

/// HTTP/1.1 over hyper, HTTPS by rustls (ring) with the system's roots;
/// plain `http://` endpoints too. Connections are pooled.
pub struct HyperTransport {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    /// Why the system's roots could not be loaded, if so: HTTPS then fails.
    roots_error: Option<String>,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport").field("roots_error", &self.roots_error).finish_non_exhaustive()
    }
}

/// A rustls configuration trusting the system's roots; with none available,
/// an empty store and the reason.
fn tls_config() -> (rustls::ClientConfig, Option<String>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder =
        || rustls::ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions();
    match builder().and_then(|b| b.with_native_roots().map_err(|e| rustls::Error::General(e.to_string()))) {
        Ok(b) => (b.with_no_client_auth(), None),
        Err(e) => {
            let empty = rustls::RootCertStore::empty();
            let config = match builder() {
                Ok(b) => b.with_root_certificates(empty).with_no_client_auth(),
                // The ring provider supports the default versions: cannot fail.
                Err(_) => unreachable!("ring supports TLS 1.2 and 1.3"),
            };
            (config, Some(format!("no system root certificates: {e}")))
        }
    }
}

impl HyperTransport {
    /// A transport with its own connection pool.
    pub fn new() -> Self {
        let (config, roots_error) = tls_config();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let connector =
            HttpsConnectorBuilder::new().with_tls_config(config).https_or_http().enable_http1().wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        HyperTransport { client, roots_error }
    }

    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let https = request.url.starts_with("https:");
        let method = match request.method {
            HttpMethod::Get => hyper::Method::GET,
            HttpMethod::Post => hyper::Method::POST,
        };
        let mut builder = hyper::Request::builder().method(method).uri(request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let built = builder.body(Empty::new()).map_err(|e| TransportError(format!("cannot build the request: {e}")))?;
        let response = self.client.request(built).await.map_err(|e| {
            let mut message = error_chain(&e);
            if let (true, Some(roots)) = (https, &self.roots_error) {
                message = format!("{message} ({roots})");
            }
            TransportError(message)
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| TransportError(format!("reading the answer: {}", error_chain(e.as_ref()))))?
            .to_bytes()
            .to_vec();
        Ok(HttpResponse { status, headers, body })
    }
}

impl Default for HyperTransport {
    fn default() -> Self {
        HyperTransport::new()
    }
}

impl Transport for HyperTransport {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(self.exchange(request))
    }
}

/// An error and its sources, `: `-joined.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
