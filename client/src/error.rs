//! Errors as values: the API's error envelope (docs/eci-api.md#errors),
//! transport failures, timeouts and undecodable answers — each saying
//! whether another attempt may succeed.

use std::time::Duration;

use eci_bridge_core::eci::REDACTED;
use eci_bridge_core::eci::sign::percent_encode;
use serde_json::Value;

/// How much of a non-JSON error body is kept.
const EXCERPT_CHARS: usize = 200;

/// What went wrong with a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EciError {
    /// The service answered with its error envelope.
    #[error("{code}: {message} (HTTP {status}, RequestId {})", request_id.as_deref().unwrap_or("none"))]
    Api {
        /// The HTTP status.
        status: u16,
        /// `Code`, e.g. `Throttling.User`, `InvalidParameter`.
        code: String,
        /// `Message`.
        message: String,
        /// `RequestId`, for support.
        request_id: Option<String>,
        /// `Recommend`: a diagnosis URL, when given.
        recommend: Option<String>,
    },
    /// An error status without the envelope (a proxy's page, an empty body).
    #[error("HTTP {status} without an ECI error body: {excerpt}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        excerpt: String,
    },
    /// The request did not complete: connection refused or reset, DNS, TLS.
    #[error("transport: {0}")]
    Transport(String),
    /// No answer within the timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// A success status whose body is not what the operation returns.
    #[error("cannot decode the answer: {message} (RequestId {})", request_id.as_deref().unwrap_or("none"))]
    Decode {
        /// What is wrong.
        message: String,
        /// `RequestId`, when it could be read.
        request_id: Option<String>,
    },
    /// The call was refused before anything was sent.
    #[error("invalid call: {0}")]
    Invalid(String),
}

/// Throttling codes, beside every code that starts with `Throttling`.
const THROTTLING_CODES: &[&str] = &["ServiceUnavailable"];

/// True for the codes that mean "too many requests now".
pub fn is_throttling_code(code: &str) -> bool {
    code.starts_with("Throttling") || THROTTLING_CODES.contains(&code)
}

impl EciError {
    /// True when another attempt may succeed: throttling, 429 and 5xx,
    /// timeouts and transport failures.
    pub fn is_retryable(&self) -> bool {
        match self {
            EciError::Api { status, code, .. } => is_throttling_code(code) || *status == 429 || *status >= 500,
            EciError::Http { status, .. } => *status == 429 || *status >= 500,
            EciError::Transport(_) | EciError::Timeout(_) => true,
            EciError::Decode { .. } | EciError::Invalid(_) => false,
        }
    }

    /// True when the server refused the request without running it
    /// (throttling): safe to retry even an operation that is not idempotent.
    pub fn is_throttled(&self) -> bool {
        match self {
            EciError::Api { status, code, .. } => is_throttling_code(code) || *status == 429,
            EciError::Http { status, .. } => *status == 429,
            _ => false,
        }
    }

    /// True for the answer to a dry-run create that passed (`DryRunOperation`).
    pub fn is_dry_run_passed(&self) -> bool {
        matches!(self, EciError::Api { code, .. } if code == "DryRunOperation")
    }

    /// The API's code, or a short name of the kind of failure
    /// (`http-502`, `transport`, `timeout`, `decode`, `invalid`).
    pub fn code(&self) -> String {
        match self {
            EciError::Api { code, .. } => code.clone(),
            EciError::Http { status, .. } => format!("http-{status}"),
            EciError::Transport(_) => "transport".into(),
            EciError::Timeout(_) => "timeout".into(),
            EciError::Decode { .. } => "decode".into(),
            EciError::Invalid(_) => "invalid".into(),
        }
    }

    /// The `RequestId`, when the server gave one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            EciError::Api { request_id, .. } | EciError::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// What the user can do about it, when something useful can be said.
    pub fn hint(&self) -> Option<String> {
        let code = match self {
            EciError::Api { code, .. } => code.as_str(),
            EciError::Transport(_) => return Some("check the endpoint (--endpoint) and the network".into()),
            EciError::Timeout(_) => return Some("the service did not answer in time; try again later".into()),
            _ => return None,
        };
        let known = code_hint(code).map(str::to_string);
        let recommend = match self {
            EciError::Api { recommend: Some(r), .. } if !r.is_empty() => Some(format!("see {r}")),
            _ => None,
        };
        known.or(recommend)
    }

    /// Replaces every occurrence of each secret (and its once- and
    /// twice-percent-encoded forms, as a V2 string-to-sign echoed in a
    /// `SignatureDoesNotMatch` message carries it) with `<redacted>`.
    pub(crate) fn scrub(mut self, secrets: &[&str]) -> Self {
        let texts: Vec<&mut String> = match &mut self {
            EciError::Api { message, recommend, .. } => std::iter::once(message).chain(recommend.as_mut()).collect(),
            EciError::Http { excerpt, .. } => vec![excerpt],
            EciError::Decode { message, .. } | EciError::Transport(message) | EciError::Invalid(message) => {
                vec![message]
            }
            EciError::Timeout(_) => Vec::new(),
        };
        for text in texts {
            for secret in secrets.iter().filter(|s| s.len() >= 4) {
                let once = percent_encode(secret);
                for form in [percent_encode(&once), once, secret.to_string()] {
                    if text.contains(&form) {
                        *text = text.replace(&form, REDACTED);
                    }
                }
            }
        }
        self
    }
}

/// Advice for the codes a user of this client meets first.
fn code_hint(code: &str) -> Option<&'static str> {
    let hint = match code {
        c if is_throttling_code(c) => "the service is throttling or briefly unavailable; try again later",
        "DryRunOperation" => "the dry run passed: the request would be accepted",
        "InvalidAccessKeyId.NotFound" | "InvalidAccessKeyId.Inactive" | "InvalidAccessKeyId" => {
            "check the AccessKey ID (ALIBABA_CLOUD_ACCESS_KEY_ID or the credentials file)"
        }
        "SignatureDoesNotMatch" | "IncompleteSignature" => {
            "check the AccessKey secret; with --endpoint, the server must see the host:port that was signed"
        }
        "InvalidTimeStamp.Expired" | "InvalidTimeStamp.Format" => "the system clock must be within 15 minutes of UTC",
        "SignatureNonceUsed" => "a signature nonce was reused; try again",
        c if c.starts_with("InvalidSecurityToken") => "the STS token is invalid or expired: get a new one",
        c if c.starts_with("Forbidden") => "the credentials are not allowed to call this operation (RAM policy)",
        _ => return None,
    };
    Some(hint)
}

/// A string field read under either spelling the SDKs accept.
fn field(doc: &Value, upper: &str, lower: &str) -> Option<String> {
    doc.get(upper).or_else(|| doc.get(lower)).and_then(Value::as_str).map(str::to_string)
}

/// The start of a body, as text.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let cut: String = text.chars().take(EXCERPT_CHARS).collect();
    if cut.len() < text.len() { format!("{cut}…") } else { cut }
}

/// Reads an answer: the JSON object of a 2xx, or the error it carries.
pub fn decode_response(status: u16, body: &[u8]) -> Result<Value, EciError> {
    let doc: Option<Value> = serde_json::from_slice(body).ok();
    if (200..300).contains(&status) {
        return match doc {
            Some(doc) if doc.is_object() => Ok(doc),
            _ => Err(EciError::Decode { message: format!("not a JSON object: {}", excerpt(body)), request_id: None }),
        };
    }
    let Some(doc) = doc.filter(Value::is_object) else {
        return Err(EciError::Http { status, excerpt: excerpt(body) });
    };
    match field(&doc, "Code", "code") {
        Some(code) => Err(EciError::Api {
            status,
            code,
            message: field(&doc, "Message", "message").unwrap_or_default(),
            request_id: field(&doc, "RequestId", "requestId"),
            recommend: field(&doc, "Recommend", "recommend"),
        }),
        None => Err(EciError::Http { status, excerpt: excerpt(body) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_envelope() {
        let body = br#"{"RequestId":"89945DD3-9072-47D0-A318-353284CFC7B3","HostId":"eci.aliyuncs.com",
            "Code":"InvalidParameter","Message":"The specified parameter is not valid.",
            "Recommend":"https://api.aliyun.com/troubleshoot?q=InvalidParameter"}"#;
        let e = decode_response(400, body).unwrap_err();
        assert_eq!(
            e,
            EciError::Api {
                status: 400,
                code: "InvalidParameter".into(),
                message: "The specified parameter is not valid.".into(),
                request_id: Some("89945DD3-9072-47D0-A318-353284CFC7B3".into()),
                recommend: Some("https://api.aliyun.com/troubleshoot?q=InvalidParameter".into()),
            }
        );
        assert_eq!(
            e.to_string(),
            "InvalidParameter: The specified parameter is not valid. (HTTP 400, RequestId 89945DD3-9072-47D0-A318-353284CFC7B3)"
        );
        assert!(!e.is_retryable());
        assert_eq!(e.hint().as_deref(), Some("see https://api.aliyun.com/troubleshoot?q=InvalidParameter"));
    }

    #[test]
    fn lower_case_envelope_and_odd_bodies() {
        let e = decode_response(503, br#"{"code":"ServiceUnavailable","message":"busy","requestId":"r1"}"#);
        let e = e.unwrap_err();
        assert_eq!((e.code(), e.request_id()), ("ServiceUnavailable".to_string(), Some("r1")));
        assert!(e.is_retryable() && e.is_throttled());
        let proxy = decode_response(502, b"<html>Bad Gateway</html>").unwrap_err();
        assert_eq!(proxy, EciError::Http { status: 502, excerpt: "<html>Bad Gateway</html>".into() });
        assert!(proxy.is_retryable());
        assert!(!decode_response(404, b"").unwrap_err().is_retryable());
        let long = decode_response(400, "x".repeat(500).as_bytes()).unwrap_err();
        assert!(matches!(long, EciError::Http { excerpt, .. } if excerpt.chars().count() == EXCERPT_CHARS + 1));
    }

    #[test]
    fn successes_and_decode_errors() {
        let ok = decode_response(200, br#"{"RequestId":"r","ContainerGroupId":"eci-1"}"#).unwrap();
        assert_eq!(ok["ContainerGroupId"], "eci-1");
        assert!(matches!(decode_response(200, b"[1]"), Err(EciError::Decode { .. })));
        assert!(matches!(decode_response(200, b"{trunc"), Err(EciError::Decode { .. })));
        assert!(!decode_response(200, b"").unwrap_err().is_retryable());
    }

    #[test]
    fn retryable_classification() {
        let api = |status: u16, code: &str| EciError::Api {
            status,
            code: code.into(),
            message: String::new(),
            request_id: None,
            recommend: None,
        };
        for (status, code) in [
            (400, "Throttling"),
            (400, "Throttling.User"),
            (400, "Throttling.Api"),
            (400, "Throttling.Concurrent"),
            (503, "ServiceUnavailable"),
            (500, "InternalError"),
            (429, "TooManyRequests"),
        ] {
            assert!(api(status, code).is_retryable(), "{status} {code}");
        }
        for (status, code) in
            [(400, "InvalidParameter"), (403, "Forbidden.RAM"), (404, "InvalidContainerGroup.NotFound")]
        {
            assert!(!api(status, code).is_retryable(), "{status} {code}");
        }
        assert!(!api(500, "InternalError").is_throttled(), "a 5xx may have run the operation");
        assert!(EciError::Transport("reset".into()).is_retryable());
        assert!(EciError::Timeout(Duration::from_secs(1)).is_retryable());
        assert!(!EciError::Invalid("x".into()).is_retryable());
        assert!(api(400, "DryRunOperation").is_dry_run_passed());
        assert!(api(400, "Throttling.User").hint().is_some_and(|h| h.contains("try again later")));
        assert!(api(400, "SignatureDoesNotMatch").hint().is_some_and(|h| h.contains("secret")));
    }

    #[test]
    fn scrub_removes_echoed_tokens() {
        let e = EciError::Api {
            status: 400,
            code: "SignatureDoesNotMatch".into(),
            message: "server string to sign is:POST&%2F&SecurityToken%3Dtok%252Fen%26x and tok/en".into(),
            request_id: None,
            recommend: None,
        };
        let shown = e.scrub(&["tok/en"]).to_string();
        assert!(!shown.contains("tok"), "{shown}");
        assert_eq!(shown.matches(REDACTED).count(), 2);
    }
}
