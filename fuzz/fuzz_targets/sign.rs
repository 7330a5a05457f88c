//! Request signing (`eci-bridge sign` and the provider's client):
//! `eci::sign::sign_rpc` and `sign_acs3` over arbitrary parameters,
//! identities, nonces, hosts and timestamps.
//!
//! Invariants:
//! - deterministic;
//! - the AccessKey secret never appears in what is sent or printed (query
//!   string, string to sign, headers, `Debug` of every value), plainly or
//!   percent-encoded;
//! - signatures verify: recomputing them from what is sent gives the same
//!   value, and another secret gives another signature;
//! - the query string decodes back to exactly the parameters;
//! - ACS3 signs every `host`/`x-acs-*` header it sends, and sends every
//!   header it signs;
//! - `Timestamp::parse` accepts only what it prints back, and
//!   `WireParams::from_json(&p.to_json()) == p` for parameters flattened
//!   from JSON (the documented round trip).
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use eci_bridge_core::WireParams;
use eci_bridge_core::eci::secret::SecretString;
use eci_bridge_core::eci::sign::{
    Credentials, HttpMethod, SigningContext, Timestamp, acs3_signature, canonical_query, percent_encode, rpc_signature,
    rpc_string_to_sign, sign_acs3, sign_rpc,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

/// Parameters per input.
const MAX_PARAMS: usize = 64;

#[derive(Debug, Arbitrary)]
struct Case {
    params: Vec<(String, String)>,
    action: String,
    version: String,
    nonce: String,
    access_key_id: String,
    security_token: Option<String>,
    host: String,
    post: bool,
    secret_tail: String,
    time: (u16, u8, u8, u8, u8, u8),
    raw_time: String,
}

/// A JSON value whose object keys are ASCII letters (the shape of request
/// parameters: no `.`, no digits, never empty).
fn json(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Value> {
    Ok(match u.int_in_range(0..=if depth == 0 { 3 } else { 5 })? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(u.arbitrary::<i64>()?),
        3 => Value::String(u.arbitrary()?),
        4 => {
            let n = u.int_in_range(0..=4)?;
            Value::Array((0..n).map(|_| json(u, depth - 1)).collect::<arbitrary::Result<_>>()?)
        }
        _ => {
            let mut m = Map::new();
            for _ in 0..u.int_in_range(0..=4)? {
                let len = u.int_in_range(1..=6)?;
                let key: String =
                    (0..len).map(|_| u.choose(b"abcXYZ").map(|b| char::from(*b))).collect::<arbitrary::Result<_>>()?;
                m.insert(key, json(u, depth - 1)?);
            }
            Value::Object(m)
        }
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).expect("sign: a percent escape is ASCII");
            out.push(u8::from_str_radix(hex, 16).expect("sign: a percent escape is hex"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("sign: the query string decodes to UTF-8")
}

/// Asserts the canonical query decodes to exactly `params`.
fn check_query(query: &str, params: &WireParams) {
    let decoded: Vec<(String, String)> = if query.is_empty() {
        Vec::new()
    } else {
        query
            .split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').expect("sign: a query pair without `=`");
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    };
    let expected: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut sorted = expected.clone();
    sorted.sort_by(|a, b| {
        (percent_encode(&a.0), percent_encode(&a.1)).cmp(&(percent_encode(&b.0), percent_encode(&b.1)))
    });
    assert_eq!(decoded, sorted, "sign: the query string does not decode to the parameters, in canonical order");
}

fuzz_target!(|data: &[u8]| {
    if data.len() > eci_bridge_fuzz::MAX_INPUT {
        return;
    }
    let mut u = Unstructured::new(data);
    let Ok(case) = Case::arbitrary(&mut u) else { return };
    let Ok(tree) = json(&mut u, 4) else { return };

    // Timestamps: only the exact UTC form is accepted, and printed back as given.
    if let Ok(t) = Timestamp::parse(&case.raw_time) {
        assert_eq!(t.as_str(), case.raw_time, "sign: a parsed timestamp prints differently");
    }
    let (y, mo, d, h, mi, s) = case.time;
    let text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        1970 + y % 200,
        1 + mo % 12,
        1 + d % 28,
        h % 24,
        mi % 60,
        s % 60
    );
    let timestamp = Timestamp::parse(&text).unwrap_or_else(|e| panic!("sign: a valid timestamp is refused: {e}"));

    // The documented round trip of flattened parameters.
    let flat = WireParams::from_json(&tree);
    assert_eq!(WireParams::from_json(&flat.to_json()), flat, "sign: from_json(to_json(p)) != p for {tree}");

    let mut params = WireParams::from_pairs(case.params.iter().take(MAX_PARAMS).cloned());
    for (k, v) in flat.iter().take(MAX_PARAMS) {
        params.insert(k, v);
    }
    let secret = format!("S3CR3T-{}", case.secret_tail);
    let other_secret = format!("{secret}x");
    let credentials = |secret: &str| Credentials {
        access_key_id: case.access_key_id.clone(),
        access_key_secret: SecretString::new(secret),
        security_token: case.security_token.clone(),
    };
    let ctx = SigningContext {
        action: case.action.clone(),
        version: case.version.clone(),
        timestamp,
        nonce: case.nonce.clone(),
        method: if case.post { HttpMethod::Post } else { HttpMethod::Get },
    };
    let creds = credentials(&secret);

    // RPC (HMAC-SHA1).
    let rpc = sign_rpc(&params, &creds, &ctx);
    assert_eq!(rpc, sign_rpc(&params, &creds, &ctx), "sign: sign_rpc is not deterministic");
    assert_eq!(rpc_signature(&rpc.string_to_sign, &secret), rpc.signature, "sign: the RPC signature does not verify");
    assert_eq!(rpc.params.get("Signature"), Some(rpc.signature.as_str()), "sign: the signature is not sent");
    if params.get("Signature").is_none() {
        let mut unsigned = rpc.params.clone().into_inner();
        unsigned.remove("Signature");
        let unsigned = WireParams::from_pairs(unsigned);
        assert_eq!(
            rpc_string_to_sign(ctx.method.as_str(), &unsigned),
            rpc.string_to_sign,
            "sign: the string to sign is not over the parameters sent"
        );
    }
    assert_ne!(
        sign_rpc(&params, &credentials(&other_secret), &ctx).signature,
        rpc.signature,
        "sign: two secrets, one RPC signature"
    );
    let query = rpc.query_string();
    assert_eq!(query, canonical_query(&rpc.params));
    check_query(&query, &rpc.params);

    // ACS3 (HMAC-SHA256).
    let acs3 = sign_acs3(&params, &case.host, &creds, &ctx);
    assert_eq!(acs3, sign_acs3(&params, &case.host, &creds, &ctx), "sign: sign_acs3 is not deterministic");
    assert!(acs3.headers.windows(2).all(|w| w[0] <= w[1]), "sign: ACS3 headers are not sorted");
    let authorization: Vec<&str> =
        acs3.headers.iter().filter(|(n, _)| n == "authorization").map(|(_, v)| v.as_str()).collect();
    assert_eq!(
        authorization,
        [acs3.signature.authorization.as_str()],
        "sign: one Authorization header, the signature's"
    );
    let sent: Vec<(String, String)> =
        acs3.headers.iter().filter(|(n, _)| n != "authorization" && n != "accept").cloned().collect();
    let again = acs3_signature(
        ctx.method.as_str(),
        "/",
        &acs3.query,
        &sent,
        eci_bridge_core::eci::sign::EMPTY_BODY_SHA256,
        &case.access_key_id,
        &secret,
    );
    assert_eq!(again, acs3.signature, "sign: the ACS3 signature does not verify over the headers sent");
    let signed: Vec<&str> = acs3.signature.signed_headers.split(';').collect();
    for (name, _) in &acs3.headers {
        let must = name == "host" || name == "content-type" || name.starts_with("x-acs-");
        assert_eq!(must, signed.contains(&name.as_str()), "sign: header `{name}` signed or not as documented");
    }
    assert_ne!(
        sign_acs3(&params, &case.host, &credentials(&other_secret), &ctx).signature.signature,
        acs3.signature.signature,
        "sign: two secrets, one ACS3 signature"
    );
    check_query(&acs3.query_string(), &acs3.query);

    // The secret is in nothing sent or printed (unless the input itself holds it).
    let public = [&case.action, &case.version, &case.nonce, &case.access_key_id, &case.host]
        .into_iter()
        .chain(case.security_token.iter())
        .any(|s| s.contains("S3CR3T"))
        || params.iter().any(|(k, v)| k.contains("S3CR3T") || v.contains("S3CR3T"));
    if !public {
        let encoded = percent_encode(&secret);
        let shown = [
            query.clone(),
            rpc.string_to_sign.clone(),
            format!("{rpc:?}"),
            format!("{creds:?}"),
            acs3.query_string(),
            format!("{acs3:?}"),
            format!("{:?}", acs3.headers),
        ];
        for text in &shown {
            assert!(
                !text.contains(&secret) && !text.contains(&encoded) && !text.contains("S3CR3T"),
                "sign: the secret appears in {text}"
            );
        }
    }
});
