//! Who may call, and is this call the one they signed: both signature
//! versions of docs/signing.md, the timestamp's skew and the nonce's reuse.
//!
//! The signatures are recomputed with the core's signer
//! (`eci_bridge_core::eci::sign`), the one our client signs with, so the
//! vendor's SDK accepted here is also a check of the core's signer.
//!
//! Checks run in the order a gateway meets them: a signature at all, a known
//! AccessKey, the timestamp within [`MAX_SKEW_MS`] of the emulator's wall
//! clock, the signature itself, then the nonce unused within the replay
//! window (a nonce is only remembered once its request is authentic, so a
//! forged request cannot burn a client's nonce).

use std::collections::HashMap;

use eci_bridge_core::eci::sign::{Timestamp, acs3_signature_over, rpc_signature, rpc_string_to_sign, sha256_hex};
use eci_bridge_core::eci::wire::WireParams;

use crate::error::ApiError;

/// How far a request's timestamp may be from the emulator's clock: the V3
/// document's 15 minutes (docs/signing.md#v3-signature).
pub const MAX_SKEW_MS: i64 = 15 * 60 * 1000;

/// Nonces remembered at most (oldest forgotten first once past the window).
const MAX_NONCES: usize = 1 << 20;

/// An HTTP request as the emulator sees it: no sockets, just the parts.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The path (`/` for RPC APIs).
    pub path: String,
    /// The raw query string (no `?`).
    pub query: String,
    /// Headers, names in any case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The first value of a header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The query's parameters, and a form body's when there is one.
    fn parameters(&self) -> Vec<(String, String)> {
        let mut pairs = decode_form(&self.query);
        let form = self
            .header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        if form {
            pairs.extend(decode_form(&String::from_utf8_lossy(&self.body)));
        }
        pairs
    }
}

/// `a=b&c=d` with `%XY` and `+` decoded.
pub fn decode_form(text: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
    };
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(pair), String::new()),
        })
        .collect()
}

/// An authenticated call: the operation, and its parameters without the
/// signature's common ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The operation, e.g. `CreateContainerGroup`.
    pub action: String,
    /// The API version the caller named.
    pub version: String,
    /// The operation's parameters.
    pub params: WireParams,
    /// `ACS3-HMAC-SHA256` or `HMAC-SHA1`.
    pub signature_method: &'static str,
}

/// The V2 common parameters (docs/eci-api.md#common-parameters): not the operation's.
const COMMON: &[&str] = &[
    "AccessKeyId",
    "Action",
    "Format",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureType",
    "SignatureVersion",
    "Timestamp",
    "Version",
    "SecurityToken",
];

/// One AccessKey the emulator accepts.
#[derive(Debug, Clone)]
pub struct AccessKey {
    /// The AccessKey ID.
    pub id: String,
    /// Its secret.
    pub secret: String,
    /// When set, calls must carry this STS token.
    pub security_token: Option<String>,
}

/// The keys and the nonces seen.
#[derive(Debug, Clone)]
pub struct Authenticator {
    keys: Vec<AccessKey>,
    /// Nonce → the wall time it may be forgotten.
    nonces: HashMap<String, i64>,
}

impl Authenticator {
    /// Accepts these keys.
    pub fn new(keys: Vec<AccessKey>) -> Authenticator {
        Authenticator { keys, nonces: HashMap::new() }
    }

    /// The call `request` makes, if it is authentic at wall time `now_ms`.
    pub fn authenticate(&mut self, request: &HttpRequest, now_ms: i64) -> Result<Call, ApiError> {
        let (call, nonce) = match request.header("authorization") {
            Some(authorization) => self.acs3(request, authorization, now_ms)?,
            None => self.rpc(request, now_ms)?,
        };
        self.remember_nonce(nonce, now_ms)?;
        Ok(call)
    }

    fn key(&self, id: &str) -> Result<&AccessKey, ApiError> {
        self.keys.iter().find(|k| k.id == id).ok_or_else(ApiError::unknown_access_key)
    }

    /// ACS3-HMAC-SHA256 (docs/signing.md#v3-signature).
    fn acs3(&self, request: &HttpRequest, authorization: &str, now_ms: i64) -> Result<(Call, String), ApiError> {
        let fields = authorization
            .strip_prefix("ACS3-HMAC-SHA256 ")
            .ok_or_else(|| ApiError::incomplete_signature("the Authorization scheme is not ACS3-HMAC-SHA256"))?;
        let field = |name: &str| {
            fields
                .split(',')
                .find_map(|f| f.trim().strip_prefix(name)?.strip_prefix('='))
                .ok_or_else(|| ApiError::incomplete_signature(&format!("the Authorization header has no {name}")))
        };
        let (id, signed, signature) = (field("Credential")?, field("SignedHeaders")?, field("Signature")?);
        let header = |name: &str| {
            request.header(name).ok_or_else(|| ApiError::incomplete_signature(&format!("the {name} header is missing")))
        };
        let key = self.key(id)?;
        check_timestamp(header("x-acs-date")?, now_ms)?;
        let signed_names: Vec<&str> = signed.split(';').collect();
        for required in ["host", "x-acs-action", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"] {
            if !signed_names.contains(&required) {
                return Err(ApiError::incomplete_signature(&format!("SignedHeaders does not name {required}")));
            }
        }
        let headers: Vec<(String, String)> = request
            .headers
            .iter()
            .filter(|(n, _)| signed_names.iter().any(|s| n.eq_ignore_ascii_case(s)))
            .cloned()
            .collect();
        let body_hash = sha256_hex(&request.body);
        if request.header("x-acs-content-sha256").is_some_and(|h| h != body_hash) {
            return Err(ApiError::signature_mismatch());
        }
        let query = WireParams::from_pairs(decode_form(&request.query));
        let path = if request.path.is_empty() { "/" } else { request.path.as_str() };
        let expected = acs3_signature_over(&request.method, path, &query, &headers, &body_hash, id, &key.secret);
        if !constant_time_eq(expected.signature.as_bytes(), signature.as_bytes()) {
            return Err(ApiError::signature_mismatch());
        }
        check_token(key, request.header("x-acs-security-token"))?;
        let mut params = request.parameters();
        params.retain(|(name, _)| !COMMON.contains(&name.as_str()));
        let call = Call {
            action: header("x-acs-action")?.to_string(),
            version: header("x-acs-version")?.to_string(),
            params: WireParams::from_pairs(params),
            signature_method: "ACS3-HMAC-SHA256",
        };
        Ok((call, header("x-acs-signature-nonce")?.to_string()))
    }

    /// RPC V2, HMAC-SHA1 (docs/signing.md#v2-signature).
    fn rpc(&self, request: &HttpRequest, now_ms: i64) -> Result<(Call, String), ApiError> {
        let mut all = WireParams::from_pairs(request.parameters());
        let param = |name: &str| {
            all.get(name)
                .map(str::to_string)
                .ok_or_else(|| ApiError::incomplete_signature(&format!("{name} is missing")))
        };
        let signature = param("Signature")?;
        let key = self.key(&param("AccessKeyId")?)?.clone();
        if param("SignatureMethod")? != "HMAC-SHA1" || param("SignatureVersion")? != "1.0" {
            return Err(ApiError::incomplete_signature("SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0"));
        }
        check_timestamp(&param("Timestamp")?, now_ms)?;
        let nonce = param("SignatureNonce")?;
        let (action, version) = (param("Action")?, param("Version")?);
        let token = all.get("SecurityToken").map(str::to_string);
        let mut unsigned = all.clone().into_inner();
        unsigned.remove("Signature");
        let expected =
            rpc_signature(&rpc_string_to_sign(&request.method, &WireParams::from_pairs(unsigned)), &key.secret);
        if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
            return Err(ApiError::signature_mismatch());
        }
        check_token(&key, token.as_deref())?;
        let mut params = std::mem::take(&mut all).into_inner();
        params.retain(|name, _| !COMMON.contains(&name.as_str()));
        let call = Call { action, version, params: WireParams::from_pairs(params), signature_method: "HMAC-SHA1" };
        Ok((call, nonce))
    }

    fn remember_nonce(&mut self, nonce: String, now_ms: i64) -> Result<(), ApiError> {
        if nonce.is_empty() {
            return Err(ApiError::incomplete_signature("the signature nonce is empty"));
        }
        if self.nonces.get(&nonce).is_some_and(|until| *until > now_ms) {
            return Err(ApiError::nonce_used());
        }
        if self.nonces.len() >= MAX_NONCES {
            self.nonces.retain(|_, until| *until > now_ms);
        }
        // A nonce older than twice the skew can no longer come with a valid timestamp.
        self.nonces.insert(nonce, now_ms + 2 * MAX_SKEW_MS);
        Ok(())
    }
}

fn check_token(key: &AccessKey, sent: Option<&str>) -> Result<(), ApiError> {
    match (&key.security_token, sent) {
        (None, _) => Ok(()),
        (Some(expected), Some(sent)) if constant_time_eq(expected.as_bytes(), sent.as_bytes()) => Ok(()),
        (Some(_), _) => Err(ApiError {
            status: 400,
            code: "InvalidSecurityToken.Mismatch".into(),
            message: "Specified SecurityToken does not match the AccessKey.".into(),
        }),
    }
}

/// Milliseconds since the epoch of a `YYYY-MM-DDThh:mm:ssZ` timestamp.
pub fn timestamp_ms(text: &str) -> Option<i64> {
    Timestamp::parse(text).ok()?;
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond())
}

fn check_timestamp(text: &str, now_ms: i64) -> Result<(), ApiError> {
    let at = timestamp_ms(text)
        .ok_or_else(|| ApiError::timestamp_expired(&format!("`{text}` is not YYYY-MM-DDThh:mm:ssZ")))?;
    if (at - now_ms).abs() > MAX_SKEW_MS {
        return Err(ApiError::timestamp_expired(&format!("`{text}` is more than 15 minutes from the server's time")));
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use eci_bridge_core::eci::secret::SecretString;
    use eci_bridge_core::eci::sign::{Credentials, HttpMethod, SigningContext, sign_acs3, sign_rpc};

    const NOW: i64 = 1_700_000_000_000;

    fn credentials(secret: &str) -> Credentials {
        Credentials { access_key_id: "id".into(), access_key_secret: SecretString::new(secret), security_token: None }
    }

    fn context(nonce: &str, at_ms: i64) -> SigningContext {
        let text = jiff::Timestamp::from_millisecond(at_ms).expect("time").strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        SigningContext {
            action: "DescribeContainerGroups".into(),
            version: "2018-08-08".into(),
            timestamp: Timestamp::parse(&text).expect("timestamp"),
            nonce: nonce.into(),
            method: HttpMethod::Post,
        }
    }

    fn operation() -> WireParams {
        WireParams::from_pairs([("RegionId", "cn-hangzhou"), ("Tag.1.Key", "a b/ü")])
    }

    fn acs3(secret: &str, nonce: &str, at_ms: i64) -> HttpRequest {
        let signed = sign_acs3(&operation(), "127.0.0.1:1", &credentials(secret), &context(nonce, at_ms));
        HttpRequest {
            method: "POST".into(),
            path: "/".into(),
            query: signed.query_string(),
            headers: signed.headers,
            body: vec![],
        }
    }

    fn rpc(secret: &str, nonce: &str, at_ms: i64) -> HttpRequest {
        let signed = sign_rpc(&operation(), &credentials(secret), &context(nonce, at_ms));
        HttpRequest { method: "POST".into(), path: "/".into(), query: signed.query_string(), ..HttpRequest::default() }
    }

    fn authenticator() -> Authenticator {
        Authenticator::new(vec![AccessKey { id: "id".into(), secret: "secret".into(), security_token: None }])
    }

    #[test]
    fn both_versions_accept_a_signed_call_and_strip_the_common_parameters() {
        for request in [acs3("secret", "n1", NOW), rpc("secret", "n2", NOW)] {
            let call = authenticator().authenticate(&request, NOW).expect("authentic");
            assert_eq!(call.action, "DescribeContainerGroups");
            assert_eq!(call.params, operation());
        }
    }

    #[test]
    fn a_wrong_secret_an_old_timestamp_and_a_reused_nonce_are_refused() {
        for sign in [acs3, rpc] {
            let mut auth = authenticator();
            assert_eq!(auth.authenticate(&sign("wrong", "a", NOW), NOW).unwrap_err().code, "SignatureDoesNotMatch");
            let old = sign("secret", "b", NOW - MAX_SKEW_MS - 1000);
            assert_eq!(auth.authenticate(&old, NOW).unwrap_err().code, "InvalidTimeStamp.Expired");
            auth.authenticate(&sign("secret", "c", NOW), NOW).expect("first use");
            assert_eq!(
                auth.authenticate(&sign("secret", "c", NOW), NOW + 1000).unwrap_err().code,
                "SignatureNonceUsed"
            );
            // The forged call did not burn nonce `a`.
            auth.authenticate(&sign("secret", "a", NOW), NOW).expect("a is unused");
        }
    }

    #[test]
    fn a_changed_parameter_breaks_the_signature() {
        for mut request in [acs3("secret", "n", NOW), rpc("secret", "n", NOW)] {
            request.query = request.query.replace("cn-hangzhou", "cn-beijing");
            assert_eq!(authenticator().authenticate(&request, NOW).unwrap_err().code, "SignatureDoesNotMatch");
        }
    }

    #[test]
    fn an_unknown_key_is_not_found() {
        let mut auth = Authenticator::new(vec![]);
        assert_eq!(auth.authenticate(&acs3("secret", "n", NOW), NOW).unwrap_err().code, "InvalidAccessKeyId.NotFound");
        let bare = HttpRequest { method: "POST".into(), path: "/".into(), ..HttpRequest::default() };
        assert_eq!(auth.authenticate(&bare, NOW).unwrap_err().code, "IncompleteSignature");
    }
}
