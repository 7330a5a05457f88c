//! Building the signed HTTP request of one attempt — pure: the time and the
//! nonce are arguments ([`fresh_context`] takes them from the clock and the
//! random source).
//!
//! RPC style (docs/eci-api.md#transport, docs/signing.md): every operation parameter in
//! the query string, an empty body. With ACS3 the action, version, time and
//! nonce travel in `x-acs-*` headers and `Authorization` carries the
//! signature; with V2 they are common query parameters beside `Signature`.

use std::fmt;

use eci_bridge_core::eci::sign::{self, HttpMethod, SigningContext, Timestamp};
use eci_bridge_core::eci::{REDACTED, WireParams};

use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::random;

/// The `User-Agent` sent (not signed).
pub const USER_AGENT: &str = concat!("eci-bridge-client/", env!("CARGO_PKG_VERSION"));

/// Which signature scheme to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureVersion {
    /// ACS3-HMAC-SHA256, what current SDKs send.
    #[default]
    Acs3,
    /// RPC V2, HMAC-SHA1 (`SignatureMethod`, `Signature` in the query).
    V2,
}

/// One HTTP request, ready to send (the body is always empty).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: HttpMethod,
    /// `scheme://authority/?query`.
    pub url: String,
    /// Lower-case names, sorted.
    pub headers: Vec<(String, String)>,
}

/// Query parameters whose values are secret.
const SECRET_PARAMS: &[&str] = &["Signature", "SecurityToken"];
/// Headers whose values are secret.
const SECRET_HEADERS: &[&str] = &["authorization", "x-acs-security-token"];

impl HttpRequest {
    /// One header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The URL with the values of `Signature` and `SecurityToken` replaced.
    pub fn redacted_url(&self) -> String {
        let Some((base, query)) = self.url.split_once('?') else { return self.url.clone() };
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if SECRET_PARAMS.contains(&k) => format!("{k}={REDACTED}"),
                _ => pair.to_string(),
            })
            .collect();
        format!("{base}?{}", pairs.join("&"))
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), if SECRET_HEADERS.contains(&n.as_str()) { REDACTED } else { v.as_str() }))
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method.as_str())
            .field("url", &self.redacted_url())
            .field("headers", &headers)
            .finish()
    }
}

/// The current UTC time in the signers' form (`YYYY-MM-DDThh:mm:ssZ`).
pub fn now_timestamp() -> Timestamp {
    let text = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    // jiff prints exactly that shape for any time after 1970, which the clock is.
    Timestamp::parse(&text).unwrap_or_else(|_| unreachable!("jiff printed `{text}`"))
}

/// The signing context of a new attempt: the clock's time, a random nonce.
pub fn fresh_context(action: &str, version: &str, method: HttpMethod) -> SigningContext {
    SigningContext {
        action: action.to_string(),
        version: version.to_string(),
        timestamp: now_timestamp(),
        nonce: random::nonce(),
        method,
    }
}

/// Signs `params` for `endpoint` and lays the request out.
pub fn build_request(
    endpoint: &Endpoint,
    params: &WireParams,
    credentials: &Credentials,
    signature: SignatureVersion,
    ctx: &SigningContext,
) -> HttpRequest {
    let signing = credentials.for_signing();
    let (query, mut headers) = match signature {
        SignatureVersion::Acs3 => {
            let signed = sign::sign_acs3(params, endpoint.authority(), &signing, ctx);
            (signed.query_string(), signed.headers)
        }
        SignatureVersion::V2 => {
            let signed = sign::sign_rpc(params, &signing, ctx);
            let headers = vec![
                ("accept".to_string(), "application/json".to_string()),
                ("host".to_string(), endpoint.authority().to_string()),
            ];
            (signed.query_string(), headers)
        }
    };
    headers.push(("user-agent".into(), USER_AGENT.into()));
    headers.sort();
    HttpRequest { method: ctx.method, url: endpoint.url(&query), headers }
}

#[cfg(test)]
mod tests {
    use eci_bridge_core::eci::sign::{ECI_API_VERSION, EMPTY_BODY_SHA256};

    use super::*;

    fn ctx(action: &str, version: &str, ts: &str, nonce: &str, method: HttpMethod) -> SigningContext {
        SigningContext {
            action: action.into(),
            version: version.into(),
            timestamp: Timestamp::parse(ts).unwrap(),
            nonce: nonce.into(),
            method,
        }
    }

    /// The published V3 vector (docs/signing.md#v3-test-vectors, V3-a), sent as a request.
    #[test]
    fn acs3_request_matches_the_published_vector() {
        let endpoint = Endpoint::parse("https://ecs.cn-shanghai.aliyuncs.com").unwrap();
        let params = WireParams::from_pairs([
            ("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"),
            ("RegionId", "cn-shanghai"),
        ]);
        let creds = Credentials::access_key("YourAccessKeyId", "YourAccessKeySecret");
        let c = ctx(
            "RunInstances",
            "2014-05-26",
            "2023-10-26T10:22:32Z",
            "3156853299f313e23d1673dc12e1703d",
            HttpMethod::Post,
        );
        let req = build_request(&endpoint, &params, &creds, SignatureVersion::Acs3, &c);
        assert_eq!(req.method, HttpMethod::Post);
        assert_eq!(
            req.url,
            "https://ecs.cn-shanghai.aliyuncs.com/?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai"
        );
        assert_eq!(
            req.header("authorization"),
            Some(
                "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
            )
        );
        let names: Vec<&str> = req.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "accept",
                "authorization",
                "host",
                "user-agent",
                "x-acs-action",
                "x-acs-content-sha256",
                "x-acs-date",
                "x-acs-signature-nonce",
                "x-acs-version"
            ]
        );
        assert_eq!(req.header("x-acs-content-sha256"), Some(EMPTY_BODY_SHA256));
        assert_eq!(req.header("host"), Some("ecs.cn-shanghai.aliyuncs.com"));
    }

    /// The V2-b vector (docs/signing.md#v2-test-vectors): the common parameters the
    /// signer adds are exactly the vector's.
    #[test]
    fn v2_request_matches_the_published_vector() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        let params = WireParams::from_pairs([("RegionId", "cn-beijing")]);
        let creds = Credentials::access_key("testid", "testsecret");
        let c = ctx(
            "DescribeDedicatedHosts",
            "2014-05-26",
            "2023-03-13T08:34:30Z",
            "edb2b34af0af9a6d14deaf7c1a5315eb",
            HttpMethod::Get,
        );
        let req = build_request(&endpoint, &params, &creds, SignatureVersion::V2, &c);
        assert_eq!(req.method, HttpMethod::Get);
        assert_eq!(
            req.url,
            "http://127.0.0.1:8080/?AccessKeyId=testid&Action=DescribeDedicatedHosts&Format=JSON&RegionId=cn-beijing\
             &Signature=9NaGiOspFP5UPcwX8Iwt2YJXXuk%3D&SignatureMethod=HMAC-SHA1\
             &SignatureNonce=edb2b34af0af9a6d14deaf7c1a5315eb&SignatureVersion=1.0\
             &Timestamp=2023-03-13T08%3A34%3A30Z&Version=2014-05-26"
        );
        assert_eq!(req.header("host"), Some("127.0.0.1:8080"));
        assert_eq!(req.header("authorization"), None);
    }

    #[test]
    fn security_tokens_travel_and_stay_hidden() {
        let endpoint = Endpoint::parse("http://127.0.0.1:1").unwrap();
        let creds = Credentials::access_key("STS.id", "s3cret-value").with_security_token("tok3n-value");
        let params = WireParams::from_pairs([("RegionId", "cn-hangzhou")]);
        let c = fresh_context("DescribeContainerGroups", ECI_API_VERSION, HttpMethod::Post);

        let v3 = build_request(&endpoint, &params, &creds, SignatureVersion::Acs3, &c);
        assert_eq!(v3.header("x-acs-security-token"), Some("tok3n-value"));
        assert!(v3.header("authorization").is_some_and(|a| a.contains("x-acs-security-token")), "signed");
        let v2 = build_request(&endpoint, &params, &creds, SignatureVersion::V2, &c);
        assert!(v2.url.contains("SecurityToken=tok3n-value"));

        for req in [&v3, &v2] {
            let shown = format!("{req:?}");
            assert!(!shown.contains("tok3n-value") && !shown.contains("s3cret"), "{shown}");
        }
        let v2_signature = query_value(&v2.url, "Signature");
        assert!(!format!("{v2:?}").contains(&v2_signature) && format!("{v2:?}").contains("Signature=<redacted>"));
        let sig = v3.header("authorization").and_then(|a| a.rsplit("Signature=").next()).unwrap();
        assert!(!format!("{v3:?}").contains(sig));
    }

    fn query_value(url: &str, key: &str) -> String {
        let prefix = format!("{key}=");
        url.split(['?', '&']).find_map(|p| p.strip_prefix(&prefix)).unwrap().to_string()
    }

    #[test]
    fn fresh_contexts_differ() {
        let a = fresh_context("A", ECI_API_VERSION, HttpMethod::Post);
        let b = fresh_context("A", ECI_API_VERSION, HttpMethod::Post);
        assert_ne!(a.nonce, b.nonce);
        assert_eq!(a.timestamp.as_str().len(), 20);
    }
}
