//! The real transport against a tiny HTTP/1.1 server on 127.0.0.1: plain
//! `http://` endpoints work, the request is the signed RPC request, answers
//! and error envelopes come back decoded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use eci_bridge_client::{ClientConfig, Credentials, DescribeFilter, EciClient, EciError, Endpoint, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `answers` in order, one per connection, and records each request head.
async fn serve(answers: Vec<(u16, String)>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let log = heads.clone();
    tokio::spawn(async move {
        for (status, body) in answers {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut chunk).await.expect("read");
                assert!(n > 0, "the client closed before the end of the head");
                buf.extend_from_slice(&chunk[..n]);
            }
            log.lock().expect("lock").push(String::from_utf8(buf).expect("ASCII head"));
            let response = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(response.as_bytes()).await.expect("write");
            socket.shutdown().await.expect("shutdown");
        }
    });
    (url, heads)
}

fn client(url: &str) -> EciClient {
    let config = ClientConfig::new("cn-hangzhou", Credentials::access_key("LTAIloop", "loop-secret"))
        .expect("a region id")
        .with_endpoint(Endpoint::parse(url).expect("a loopback URL"));
    EciClient::new(ClientConfig {
        retry: RetryPolicy { base: Duration::from_millis(1), cap: Duration::from_millis(5), max_attempts: 3 },
        timeout: Duration::from_secs(5),
        ..config
    })
}

#[tokio::test]
async fn plain_http_round_trip() {
    let groups = r#"{"RequestId":"r1","TotalCount":1,"NextToken":"","ContainerGroups":[{"ContainerGroupId":"eci-1","Status":"Running","IntranetIp":"10.0.0.7"}]}"#;
    let (url, heads) = serve(vec![(200, groups.into())]).await;
    let found = client(&url).describe_container_groups(&DescribeFilter::default()).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].intranet_ip.as_deref(), Some("10.0.0.7"));

    let head = heads.lock().unwrap()[0].to_ascii_lowercase();
    assert!(head.starts_with("post /?limit=20&regionid=cn-hangzhou http/1.1\r\n"), "{head}");
    let authority = url.trim_start_matches("http://");
    assert!(head.contains(&format!("\r\nhost: {authority}\r\n")), "the signed host is the one sent: {head}");
    for name in ["x-acs-action: describecontainergroups", "x-acs-version: 2018-08-08", "x-acs-signature-nonce: "] {
        assert!(head.contains(name), "{name}: {head}");
    }
    assert!(head.contains("authorization: acs3-hmac-sha256 credential=ltailoop,"), "{head}");
}

#[tokio::test]
async fn error_envelopes_and_retries_over_the_wire() {
    let throttled =
        r#"{"Code":"Throttling.User","Message":"Request was denied due to user flow control.","RequestId":"r2"}"#;
    let invalid = r#"{"Code":"InvalidParameter","Message":"bad tag","RequestId":"r3"}"#;
    let (url, heads) = serve(vec![(400, throttled.into()), (400, invalid.into())]).await;
    let e = client(&url).delete_container_group("eci-1").await.unwrap_err();
    assert_eq!(
        e,
        EciError::Api {
            status: 400,
            code: "InvalidParameter".into(),
            message: "bad tag".into(),
            request_id: Some("r3".into()),
            recommend: None,
        }
    );
    assert_eq!(heads.lock().unwrap().len(), 2, "throttled once, then refused");
}

#[tokio::test]
async fn connection_refused_is_a_retryable_transport_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = client(&url).restart_container_group("eci-1").await.unwrap_err();
    assert!(matches!(e, EciError::Transport(_)), "{e:?}");
    assert!(e.is_retryable());
    assert!(!e.to_string().contains("loop-secret"));
}
