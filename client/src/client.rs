//! The client: one signed attempt after another until an answer, a
//! non-retryable error or the retry budget; typed operations on top.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use eci_bridge_core::eci::describe::{ContainerGroup, DescribeContainerGroupsResponse};
use eci_bridge_core::eci::sign::{ECI_API_VERSION, HttpMethod};
use eci_bridge_core::eci::update::UpdateContainerGroupRequest;
use eci_bridge_core::eci::{CreateContainerGroupRequest, REDACTED, WireParams};
use serde_json::Value;

use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{EciError, decode_response};
use crate::pager::{DescribeFilter, Pager, StatusFilter};
use crate::random;
use crate::request::{SignatureVersion, build_request, fresh_context};
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::transport::{HyperTransport, Transport};

/// Time allowed for one attempt (connect, send, read the whole answer).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Operations the API accepts by `POST` only (docs/eci-api.md#transport).
const POST_ONLY: &[&str] = &["DescribeContainerGroupStatus", "DescribeContainerGroupEvents"];
/// `ClientToken`: ASCII, at most 64 characters (docs/eci-api.md#client-token).
const MAX_CLIENT_TOKEN: usize = 64;

/// Everything a client needs besides its transport.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Where requests go.
    pub endpoint: Endpoint,
    /// `RegionId` of calls that do not name one.
    pub region: String,
    /// Who signs.
    pub credentials: Credentials,
    /// ACS3 (default) or V2.
    pub signature: SignatureVersion,
    /// `POST` (default, what the SDKs send) or `GET`.
    pub method: HttpMethod,
    /// Retry schedule.
    pub retry: RetryPolicy,
    /// Time allowed for one attempt.
    pub timeout: Duration,
    /// `2018-08-08`.
    pub api_version: String,
}

impl ClientConfig {
    /// Defaults for `region`: `https://eci.<region>.aliyuncs.com`, ACS3,
    /// `POST`, 5 attempts, 30 s per attempt.
    pub fn new(region: &str, credentials: Credentials) -> Result<Self, EciError> {
        let endpoint = Endpoint::for_region(region).map_err(|e| EciError::Invalid(e.to_string()))?;
        Ok(ClientConfig {
            endpoint,
            region: region.to_string(),
            credentials,
            signature: SignatureVersion::default(),
            method: HttpMethod::Post,
            retry: RetryPolicy::default(),
            timeout: DEFAULT_TIMEOUT,
            api_version: ECI_API_VERSION.to_string(),
        })
    }

    /// The same, sent to `endpoint` (e.g. `http://127.0.0.1:PORT`).
    pub fn with_endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }
}

/// The answer to `ExecContainerCommand` (run with `Sync=true`).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ExecResponse {
    /// The command's output.
    pub sync_response: Option<String>,
    /// A WebSocket URL into the container (grants access: never shown by `Debug`).
    pub web_socket_uri: Option<String>,
    /// A console URL into the container (same).
    pub http_url: Option<String>,
    /// `RequestId`.
    pub request_id: Option<String>,
}

impl fmt::Debug for ExecResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hide = |v: &Option<String>| v.as_ref().map(|_| REDACTED);
        f.debug_struct("ExecResponse")
            .field("sync_response", &self.sync_response)
            .field("web_socket_uri", &hide(&self.web_socket_uri))
            .field("http_url", &hide(&self.http_url))
            .field("request_id", &self.request_id)
            .finish()
    }
}

/// Which failures another attempt may follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retries {
    /// Every retryable one: the operation is a read or carries a `ClientToken`.
    Any,
    /// Only refusals (throttling): the operation may not run twice.
    ThrottledOnly,
}

impl Retries {
    fn allow(self, e: &EciError) -> bool {
        match self {
            Retries::Any => e.is_retryable(),
            Retries::ThrottledOnly => e.is_throttled(),
        }
    }
}

/// An ECI API client.
#[derive(Debug, Clone)]
pub struct EciClient {
    config: ClientConfig,
    transport: Arc<dyn Transport>,
}

impl EciClient {
    /// A client over HTTP(S) with its own connection pool. Call it inside a
    /// tokio runtime (with time enabled).
    pub fn new(config: ClientConfig) -> Self {
        EciClient::with_transport(config, Arc::new(HyperTransport::new()))
    }

    /// A client over any transport (tests inject canned answers).
    pub fn with_transport(config: ClientConfig, transport: Arc<dyn Transport>) -> Self {
        EciClient { config, transport }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Calls `action` with `params` (flattened operation parameters; add
    /// `RegionId` and, for a write, a `ClientToken` yourself) and returns the
    /// answer's JSON. Retryable failures are retried: give writes a
    /// `ClientToken` so that a retry cannot apply them twice.
    pub async fn call(&self, action: &str, params: WireParams) -> Result<Value, EciError> {
        self.call_with(action, &params, Retries::Any).await
    }

    async fn call_with(&self, action: &str, params: &WireParams, retries: Retries) -> Result<Value, EciError> {
        let mut attempt = 0;
        loop {
            let (result, hint) = self.attempt(action, params).await;
            match result {
                Err(e) if retries.allow(&e) && self.config.retry.allows_retry_after(attempt) => {
                    let delay = self.config.retry.delay_with_hint(attempt, random::unit_random(), hint);
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// One signed request (fresh time and nonce) and its decoded answer, with
    /// the server's `Retry-After`, if any.
    async fn attempt(&self, action: &str, params: &WireParams) -> (Result<Value, EciError>, Option<Duration>) {
        let method = if POST_ONLY.contains(&action) { HttpMethod::Post } else { self.config.method };
        let ctx = fresh_context(action, &self.config.api_version, method);
        let c = &self.config;
        let request = build_request(&c.endpoint, params, &c.credentials, c.signature, &ctx);
        match tokio::time::timeout(c.timeout, self.transport.send(request)).await {
            Err(_) => (Err(EciError::Timeout(c.timeout)), None),
            Ok(Err(e)) => (Err(self.scrub(EciError::Transport(e.0))), None),
            Ok(Ok(response)) => {
                let hint = response.header("retry-after").and_then(parse_retry_after);
                (decode_response(response.status, &response.body).map_err(|e| self.scrub(e)), hint)
            }
        }
    }

    /// `e` without any trace of this client's secret or token.
    fn scrub(&self, e: EciError) -> EciError {
        let creds = &self.config.credentials;
        let token = creds.security_token.as_ref().map(|t| t.expose());
        let secrets: Vec<&str> = std::iter::once(creds.access_key_secret.expose()).chain(token).collect();
        e.scrub(&secrets)
    }

    /// `CreateContainerGroup`; the new instance's id. `client_token` is sent
    /// with every attempt, so a retry after a lost answer returns the same
    /// instance instead of making a second one. With `dry_run`, ECI only
    /// validates: a request that passes comes back as the `DryRunOperation`
    /// error ([`EciError::is_dry_run_passed`]).
    pub async fn create_container_group(
        &self,
        request: &CreateContainerGroupRequest,
        client_token: &str,
        dry_run: bool,
    ) -> Result<String, EciError> {
        check_client_token(client_token)?;
        let mut request = request.clone();
        request.client_token = Some(client_token.to_string());
        request.dry_run = dry_run.then_some(true);
        request.region_id.get_or_insert_with(|| self.config.region.clone());
        let params = WireParams::from_json(&request.to_json());
        let answer = self.call_with("CreateContainerGroup", &params, Retries::Any).await?;
        match answer.get("ContainerGroupId").and_then(Value::as_str) {
            Some(id) => Ok(id.to_string()),
            None if dry_run => Ok(String::new()),
            None => Err(missing(&answer, "ContainerGroupId")),
        }
    }

    /// `DescribeContainerGroups`, every page: the instances the filter selects.
    pub async fn describe_container_groups(&self, filter: &DescribeFilter) -> Result<Vec<ContainerGroup>, EciError> {
        let mut pager = Pager::new(filter.base_params(&self.config.region), &filter.ids);
        let mut groups = Vec::new();
        while let Some(params) = pager.next_params() {
            let answer = self.call_with("DescribeContainerGroups", &params, Retries::Any).await?;
            let request_id = request_id(&answer);
            let page: DescribeContainerGroupsResponse = serde_json::from_value(answer).map_err(|e| {
                EciError::Decode { message: format!("DescribeContainerGroups: {e}"), request_id: request_id.clone() }
            })?;
            groups.extend(page.container_groups);
            pager
                .advance(page.next_token.as_deref())
                .map_err(|e| EciError::Decode { message: e.to_string(), request_id })?;
        }
        Ok(groups)
    }

    /// `DescribeContainerGroupStatus`, every page: the `Data[]` items.
    pub async fn describe_container_group_status(&self, filter: &StatusFilter) -> Result<Vec<Value>, EciError> {
        let mut pager = Pager::new(filter.base_params(&self.config.region), &filter.ids);
        let mut items = Vec::new();
        while let Some(params) = pager.next_params() {
            let mut answer = self.call_with("DescribeContainerGroupStatus", &params, Retries::Any).await?;
            match answer.get_mut("Data").map(Value::take) {
                Some(Value::Array(data)) => items.extend(data),
                None | Some(Value::Null) => {}
                Some(_) => return Err(missing(&answer, "Data (an array)")),
            }
            let token = answer.get("NextToken").and_then(Value::as_str);
            pager
                .advance(token)
                .map_err(|e| EciError::Decode { message: e.to_string(), request_id: request_id(&answer) })?;
        }
        Ok(items)
    }

    /// `UpdateContainerGroup`, `client_token` on every attempt.
    pub async fn update_container_group(
        &self,
        request: &UpdateContainerGroupRequest,
        client_token: &str,
    ) -> Result<(), EciError> {
        check_client_token(client_token)?;
        if request.container_group_id.as_deref().is_none_or(str::is_empty) {
            return Err(EciError::Invalid("UpdateContainerGroup needs ContainerGroupId".into()));
        }
        let mut request = request.clone();
        request.client_token = Some(client_token.to_string());
        request.region_id.get_or_insert_with(|| self.config.region.clone());
        self.call_with("UpdateContainerGroup", &WireParams::from_json(&request.to_json()), Retries::Any).await?;
        Ok(())
    }

    /// `DeleteContainerGroup`, with a fresh `ClientToken` kept over its retries.
    pub async fn delete_container_group(&self, id: &str) -> Result<(), EciError> {
        let params = self.instance_params(id, Some(&random::client_token()))?;
        self.call_with("DeleteContainerGroup", &params, Retries::Any).await?;
        Ok(())
    }

    /// `RestartContainerGroup`, with a fresh `ClientToken` kept over its retries.
    pub async fn restart_container_group(&self, id: &str) -> Result<(), EciError> {
        let params = self.instance_params(id, Some(&random::client_token()))?;
        self.call_with("RestartContainerGroup", &params, Retries::Any).await?;
        Ok(())
    }

    /// `DescribeContainerLog`: the last `tail` lines (the API's default 500)
    /// of the last `since_seconds` seconds.
    pub async fn describe_container_log(
        &self,
        id: &str,
        container: &str,
        tail: Option<u32>,
        since_seconds: Option<u32>,
    ) -> Result<String, EciError> {
        let mut params = self.instance_params(id, None)?;
        params.insert("ContainerName", container);
        if let Some(tail) = tail {
            params.insert("Tail", tail.to_string());
        }
        if let Some(since) = since_seconds {
            params.insert("SinceSeconds", since.to_string());
        }
        let answer = self.call_with("DescribeContainerLog", &params, Retries::Any).await?;
        Ok(answer.get("Content").and_then(Value::as_str).unwrap_or_default().to_string())
    }

    /// `ExecContainerCommand` with `Sync=true`: runs `command` (no shell
    /// unless it names one) and returns its output. Retried only when
    /// throttled: a command must not run twice.
    pub async fn exec_container_command(
        &self,
        id: &str,
        container: &str,
        command: &[String],
    ) -> Result<ExecResponse, EciError> {
        if command.is_empty() {
            return Err(EciError::Invalid("ExecContainerCommand needs a command".into()));
        }
        let mut params = self.instance_params(id, None)?;
        params.insert("ContainerName", container);
        // A list of strings always serializes.
        params.insert("Command", serde_json::to_string(command).unwrap_or_default());
        params.insert("Sync", "true");
        params.insert("TTY", "false");
        let answer = self.call_with("ExecContainerCommand", &params, Retries::ThrottledOnly).await?;
        let text = |key: &str| answer.get(key).and_then(Value::as_str).map(str::to_string);
        Ok(ExecResponse {
            sync_response: text("SyncResponse"),
            web_socket_uri: text("WebSocketUri"),
            http_url: text("HttpUrl"),
            request_id: text("RequestId"),
        })
    }

    /// `RegionId`, `ContainerGroupId` and, when given, `ClientToken`.
    fn instance_params(&self, id: &str, client_token: Option<&str>) -> Result<WireParams, EciError> {
        if id.is_empty() {
            return Err(EciError::Invalid("a ContainerGroupId is needed".into()));
        }
        let mut params = WireParams::from_pairs([("RegionId", self.config.region.as_str()), ("ContainerGroupId", id)]);
        if let Some(token) = client_token {
            params.insert("ClientToken", token);
        }
        Ok(params)
    }
}

/// Refuses a token the API would: empty, non-ASCII, control characters, over 64.
fn check_client_token(token: &str) -> Result<(), EciError> {
    let ok = !token.is_empty() && token.len() <= MAX_CLIENT_TOKEN && token.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(EciError::Invalid(format!(
            "a ClientToken must be 1 to {MAX_CLIENT_TOKEN} printable ASCII characters (got {} bytes)",
            token.len()
        )))
    }
}

fn request_id(answer: &Value) -> Option<String> {
    answer.get("RequestId").and_then(Value::as_str).map(str::to_string)
}

fn missing(answer: &Value, field: &str) -> EciError {
    EciError::Decode { message: format!("the answer has no {field}"), request_id: request_id(answer) }
}

#[cfg(test)]
mod tests;
