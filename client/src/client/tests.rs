//! The client over a fake transport: retries, tokens, paging, timeouts.

use std::collections::BTreeMap;
use std::sync::Mutex;

use percent_encoding::percent_decode_str;
use serde_json::json;

use super::*;
use crate::transport::{HttpResponse, TransportError, TransportFuture};

type Answer = Box<dyn Fn(&BTreeMap<String, String>, usize) -> Result<HttpResponse, TransportError> + Send + Sync>;

/// Answers by a function of (query parameters, attempt index) and records
/// every request.
struct Fake {
    sent: Mutex<Vec<HttpRequest>>,
    answer: Answer,
    delay: Duration,
}

impl fmt::Debug for Fake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fake")
    }
}

impl Transport for Fake {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(async move {
            let index = {
                let mut sent = self.sent.lock().unwrap();
                sent.push(request.clone());
                sent.len() - 1
            };
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            (self.answer)(&query(&request), index)
        })
    }
}

use crate::request::HttpRequest;

fn query(request: &HttpRequest) -> BTreeMap<String, String> {
    let q = request.url.split_once('?').map_or("", |(_, q)| q);
    q.split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            let d = |s: &str| percent_decode_str(s).decode_utf8().unwrap().into_owned();
            (d(k), d(v))
        })
        .collect()
}

fn fake(
    answer: impl Fn(&BTreeMap<String, String>, usize) -> Result<HttpResponse, TransportError> + Send + Sync + 'static,
) -> Arc<Fake> {
    Arc::new(Fake { sent: Mutex::new(Vec::new()), answer: Box::new(answer), delay: Duration::ZERO })
}

fn config() -> ClientConfig {
    let creds = Credentials::access_key("LTAItest", "s3cret-value").with_security_token("tok3n-value");
    let mut c = ClientConfig::new("cn-hangzhou", creds).unwrap();
    c.endpoint = Endpoint::parse("http://127.0.0.1:9").unwrap();
    c.retry = RetryPolicy { base: Duration::from_millis(1), cap: Duration::from_millis(2), max_attempts: 4 };
    c
}

fn client(transport: &Arc<Fake>) -> EciClient {
    EciClient::with_transport(config(), transport.clone())
}

fn sent(f: &Fake) -> Vec<HttpRequest> {
    f.sent.lock().unwrap().clone()
}

fn api_error(status: u16, code: &str, message: &str) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse::json(status, &json!({"Code": code, "Message": message, "RequestId": "req-err"})))
}

fn ok(body: Value) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse::json(200, &body))
}

fn request() -> CreateContainerGroupRequest {
    CreateContainerGroupRequest { container_group_name: Some("web".into()), ..Default::default() }
}

#[tokio::test]
async fn a_create_keeps_its_client_token_over_retries() {
    let f = fake(|_, i| match i {
        0 => api_error(503, "ServiceUnavailable", "busy"),
        1 => Err(TransportError("connection reset".into())),
        _ => ok(json!({"RequestId": "r", "ContainerGroupId": "eci-1"})),
    });
    let id = client(&f).create_container_group(&request(), "tok-1", false).await.unwrap();
    assert_eq!(id, "eci-1");
    let sent = sent(&f);
    assert_eq!(sent.len(), 3);
    let queries: Vec<_> = sent.iter().map(query).collect();
    assert!(queries.iter().all(|q| q.get("ClientToken").map(String::as_str) == Some("tok-1")));
    assert!(queries.iter().all(|q| q.get("RegionId").map(String::as_str) == Some("cn-hangzhou")));
    assert!(queries.iter().all(|q| q.get("ContainerGroupName").map(String::as_str) == Some("web")));
    assert!(queries.iter().all(|q| !q.contains_key("DryRun")));
    let nonces: std::collections::BTreeSet<_> = sent.iter().map(|r| r.header("x-acs-signature-nonce")).collect();
    assert_eq!(nonces.len(), 3, "a fresh nonce per attempt");
    assert!(sent.iter().all(|r| r.header("x-acs-action") == Some("CreateContainerGroup")));
    assert!(sent.iter().all(|r| r.method == HttpMethod::Post));
}

#[tokio::test]
async fn a_refusal_is_not_retried() {
    let f = fake(|_, _| api_error(400, "InvalidParameter", "bad"));
    let e = client(&f).create_container_group(&request(), "tok", false).await.unwrap_err();
    assert_eq!(e.code(), "InvalidParameter");
    assert_eq!(e.request_id(), Some("req-err"));
    assert_eq!(sent(&f).len(), 1);
}

#[tokio::test]
async fn retries_are_bounded() {
    let f = fake(|_, _| api_error(400, "Throttling.User", "slow down"));
    let e = client(&f).describe_container_groups(&DescribeFilter::default()).await.unwrap_err();
    assert!(e.is_throttled());
    assert_eq!(sent(&f).len(), 4, "max_attempts");
}

#[tokio::test]
async fn an_attempt_times_out() {
    let mut slow = Fake { sent: Mutex::new(Vec::new()), answer: Box::new(|_, _| ok(json!({}))), delay: Duration::ZERO };
    slow.delay = Duration::from_secs(5);
    let slow = Arc::new(slow);
    let mut c = config();
    c.timeout = Duration::from_millis(20);
    c.retry.max_attempts = 2;
    let e = EciClient::with_transport(c, slow.clone()).delete_container_group("eci-1").await.unwrap_err();
    assert_eq!(e, EciError::Timeout(Duration::from_millis(20)));
    let sent = sent(&slow);
    assert_eq!(sent.len(), 2);
    let tokens: Vec<_> = sent.iter().map(|r| query(r).get("ClientToken").cloned()).collect();
    assert!(tokens[0].is_some() && tokens[0] == tokens[1], "one delete token over its retries: {tokens:?}");
}

#[tokio::test]
async fn dry_runs_report_the_servers_verdict() {
    let f = fake(|q, _| {
        assert_eq!(q.get("DryRun").map(String::as_str), Some("true"));
        api_error(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
    });
    let e = client(&f).create_container_group(&request(), "tok", true).await.unwrap_err();
    assert!(e.is_dry_run_passed());
    assert_eq!(sent(&f).len(), 1);
}

#[tokio::test]
async fn client_tokens_are_checked_before_sending() {
    let f = fake(|_, _| ok(json!({})));
    let c = client(&f);
    for bad in ["", "ü", "a b", &"x".repeat(65)] {
        assert!(matches!(c.create_container_group(&request(), bad, false).await, Err(EciError::Invalid(_))), "{bad}");
    }
    assert!(sent(&f).is_empty());
}

#[tokio::test]
async fn describe_follows_tokens_and_id_groups() {
    let ids: Vec<String> = (0..25).map(|i| format!("eci-{i:02}")).collect();
    let f = fake(|q, _| {
        let ids: Vec<String> = serde_json::from_str(&q["ContainerGroupIds"]).unwrap();
        assert_eq!(q["Limit"], "20");
        assert_eq!(q["WithEvent"], "true");
        let (page, next): (&[String], Option<&str>) = match (ids.len(), q.get("NextToken").map(String::as_str)) {
            (20, None) => (&ids[..10], Some("p2")),
            (20, Some("p2")) => (&ids[10..], Some("")),
            (5, None) => (&ids[..], None),
            other => panic!("unexpected call {other:?}"),
        };
        let groups: Vec<Value> = page.iter().map(|id| json!({"ContainerGroupId": id, "Status": "Running"})).collect();
        ok(json!({"RequestId": "r", "ContainerGroups": groups, "NextToken": next, "TotalCount": 25}))
    });
    let filter = DescribeFilter { ids: ids.clone(), with_event: true, ..Default::default() };
    let groups = client(&f).describe_container_groups(&filter).await.unwrap();
    let got: Vec<String> = groups.iter().filter_map(|g| g.container_group_id.clone()).collect();
    assert_eq!(got, ids);
    assert_eq!(sent(&f).len(), 3);
}

#[tokio::test]
async fn a_looping_server_is_reported() {
    let f = fake(|_, _| ok(json!({"RequestId": "r", "ContainerGroups": [], "NextToken": "same"})));
    let e = client(&f).describe_container_groups(&DescribeFilter::default()).await.unwrap_err();
    assert!(matches!(e, EciError::Decode { ref message, .. } if message.contains("repeated")), "{e}");
    assert_eq!(sent(&f).len(), 2);
}

#[tokio::test]
async fn status_pages_and_is_always_posted() {
    let f = fake(|q, _| match q.get("NextToken") {
        None => ok(json!({"RequestId": "r", "Data": [{"ContainerGroupId": "eci-1"}], "NextToken": "n"})),
        Some(_) => ok(json!({"RequestId": "r", "Data": [{"ContainerGroupId": "eci-2"}]})),
    });
    let mut c = config();
    c.method = HttpMethod::Get;
    let c = EciClient::with_transport(c, f.clone());
    let items = c.describe_container_group_status(&StatusFilter::default()).await.unwrap();
    assert_eq!(items.len(), 2);
    assert!(sent(&f).iter().all(|r| r.method == HttpMethod::Post));
    c.delete_container_group("eci-1").await.unwrap();
    assert_eq!(sent(&f).last().unwrap().method, HttpMethod::Get, "GET where the API allows it");
}

#[tokio::test]
async fn exec_is_retried_only_when_throttled() {
    let f = fake(|_, _| api_error(500, "InternalError", "oops"));
    let cmd = vec!["/bin/sh".to_string(), "-c".to_string(), "ls".to_string()];
    assert!(client(&f).exec_container_command("eci-1", "app", &cmd).await.is_err());
    assert_eq!(sent(&f).len(), 1, "a 5xx may have run the command");

    let f = fake(|q, i| {
        assert_eq!(q["Command"], r#"["/bin/sh","-c","ls"]"#);
        assert_eq!((q["Sync"].as_str(), q["TTY"].as_str()), ("true", "false"));
        if i == 0 {
            api_error(400, "Throttling", "later")
        } else {
            ok(json!({"SyncResponse": "a\nb\n", "RequestId": "r"}))
        }
    });
    let out = client(&f).exec_container_command("eci-1", "app", &cmd).await.unwrap();
    assert_eq!(out.sync_response.as_deref(), Some("a\nb\n"));
    assert_eq!(sent(&f).len(), 2);
}

#[tokio::test]
async fn logs_and_restart() {
    let f = fake(|q, _| match q.get("ContainerName") {
        Some(_) => {
            assert_eq!((q["Tail"].as_str(), q["SinceSeconds"].as_str()), ("10", "60"));
            ok(json!({"RequestId": "r", "ContainerName": "app", "Content": "line\n"}))
        }
        None => ok(json!({"RequestId": "r"})),
    });
    let c = client(&f);
    assert_eq!(c.describe_container_log("eci-1", "app", Some(10), Some(60)).await.unwrap(), "line\n");
    c.restart_container_group("eci-1").await.unwrap();
    let last = query(sent(&f).last().unwrap());
    assert_eq!(last["ContainerGroupId"], "eci-1");
    assert!(last.contains_key("ClientToken"));
    assert!(matches!(c.restart_container_group("").await, Err(EciError::Invalid(_))));
}

#[tokio::test]
async fn updates_need_an_id() {
    let f = fake(|q, _| {
        assert_eq!(q["ClientToken"], "u-1");
        ok(json!({"RequestId": "r"}))
    });
    let c = client(&f);
    let mut update = UpdateContainerGroupRequest::default();
    assert!(matches!(c.update_container_group(&update, "u-1").await, Err(EciError::Invalid(_))));
    update.container_group_id = Some("eci-1".into());
    c.update_container_group(&update, "u-1").await.unwrap();
    assert_eq!(query(&sent(&f)[0])["RegionId"], "cn-hangzhou");
}

#[tokio::test]
async fn no_secret_in_errors_or_debug() {
    let f = fake(|_, _| {
        api_error(
            400,
            "SignatureDoesNotMatch",
            "string to sign: POST&%2F&SecurityToken%3Dtok3n-value%26 and s3cret-value",
        )
    });
    let c = client(&f);
    let e = c.call("DescribeContainerGroups", WireParams::from_pairs([("RegionId", "cn-hangzhou")])).await.unwrap_err();
    for shown in [e.to_string(), format!("{e:?}"), format!("{c:?}"), format!("{:?}", sent(&f))] {
        assert!(!shown.contains("tok3n-value") && !shown.contains("s3cret-value"), "{shown}");
    }
    assert_eq!(sent(&f)[0].header("x-acs-security-token"), Some("tok3n-value"), "the token is still sent");
}

#[tokio::test]
async fn v2_signing_puts_common_parameters_in_the_query() {
    let f = fake(|q, _| {
        for key in ["AccessKeyId", "Action", "Version", "Signature", "SignatureNonce", "Timestamp", "SecurityToken"] {
            assert!(q.contains_key(key), "{key}");
        }
        ok(json!({"RequestId": "r"}))
    });
    let mut c = config();
    c.signature = SignatureVersion::V2;
    EciClient::with_transport(c, f.clone()).call("RestartContainerGroup", WireParams::default()).await.unwrap();
    assert_eq!(sent(&f)[0].header("authorization"), None);
}
