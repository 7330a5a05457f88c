//! `imagePullSecrets` → `ImageRegistryCredential`.
//!
//! Both secret types the kubelet reads: `kubernetes.io/dockerconfigjson`
//! (`{"auths": {server: entry}}` under `.dockerconfigjson`) and
//! `kubernetes.io/dockercfg` (`{server: entry}` under `.dockercfg`). An entry
//! with only `auth` is decoded as base64 `user:password` (peers'
//! virtual-kubelet#411, azure-aci#568 lost exactly these). ECI wants the
//! registry address without scheme or path. As with the kubelet, a missing
//! pull secret is not fatal: the image is pulled without it (warning).

use base64::Engine as _;
use serde_json::Value;

use super::Ctx;
use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};
use crate::eci::{CreateContainerGroupRequest, ImageRegistryCredential, SecretString};
use crate::explain::InputRef;
use crate::objects::{ObjectKind, object_name};

/// `https://index.docker.io/v1/` → `index.docker.io`.
pub fn registry_server(key: &str) -> String {
    let s = key.trim();
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    s.split('/').next().unwrap_or(s).to_string()
}

/// A user name and password from one auth entry.
pub fn credentials_of(entry: &Value) -> Option<(String, String)> {
    let text = |k: &str| entry.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from);
    if let (Some(u), Some(p)) = (text("username"), text("password")) {
        return Some((u, p));
    }
    let auth = text("auth")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(auth.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (u, p) = decoded.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

pub(super) fn apply(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    let names: Vec<String> =
        ctx.spec().and_then(|s| s.image_pull_secrets.clone()).unwrap_or_default().into_iter().map(|r| r.name).collect();
    let ns = ctx.namespace.clone();
    for (i, name) in names.iter().enumerate() {
        let at = Pointer::from_tokens(["spec", "imagePullSecrets"]).index(i);
        let display = object_name(ObjectKind::Secret, &ns, name);
        let Some(secret) = ctx.input.objects.secret(&ns, name).cloned() else {
            ctx.push(
                Diagnostic::pod(
                    Severity::Warning,
                    Code::MissingObject,
                    at,
                    format!("pull secret {display} was not supplied; images are pulled without it"),
                )
                .help("supply it with --objects (kubectl get secret -o yaml)"),
            );
            continue;
        };
        let kind = secret.type_.clone().unwrap_or_default();
        let (data_key, nested) = match kind.as_str() {
            "kubernetes.io/dockerconfigjson" => (".dockerconfigjson", true),
            "kubernetes.io/dockercfg" => (".dockercfg", false),
            other => {
                ctx.push(
                    Diagnostic::pod(
                        Severity::Warning,
                        Code::InvalidPullSecret,
                        at,
                        format!(
                            "{display} has type `{other}`, not a docker config; it is ignored (as the kubelet does)"
                        ),
                    )
                    .help("create it with `kubectl create secret docker-registry`"),
                );
                continue;
            }
        };
        let source = InputRef::of(Input::Object(display.clone()), Pointer::from_tokens(["data", data_key]));
        let parsed: Option<Value> =
            secret.data.as_ref().and_then(|d| d.get(data_key)).and_then(|b| serde_json::from_slice(&b.0).ok());
        let Some(parsed) = parsed else {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::InvalidPullSecret,
                at,
                format!("{display} has no valid JSON under `{data_key}`"),
            ));
            continue;
        };
        let auths = if nested { parsed.get("auths").cloned().unwrap_or(Value::Null) } else { parsed };
        let Some(auths) = auths.as_object() else {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::InvalidPullSecret,
                at,
                format!("{display} has no registry entries"),
            ));
            continue;
        };
        for (server_key, entry) in auths {
            let server = registry_server(server_key);
            if server.is_empty() {
                continue;
            }
            let Some((user, password)) = credentials_of(entry) else {
                ctx.push(Diagnostic::pod(
                    Severity::Warning,
                    Code::InvalidPullSecret,
                    at.clone(),
                    format!(
                        "the entry for `{server_key}` in {display} has no username/password or decodable auth; skipped"
                    ),
                ));
                continue;
            };
            if req.image_registry_credential.iter().any(|c| c.server.as_deref() == Some(server.as_str())) {
                ctx.push(Diagnostic::pod(
                    Severity::Info,
                    Code::Dropped,
                    at.clone(),
                    format!("`{server}` already has credentials from an earlier pull secret; the first one is used"),
                ));
                continue;
            }
            let decoded_auth = entry.get("username").is_none();
            req.image_registry_credential.push(ImageRegistryCredential {
                password: Some(SecretString::new(password)),
                server: Some(server),
                user_name: Some(user),
            });
            let rule = if decoded_auth {
                format!("pull secret {display}: user and password decoded from `auth`")
            } else {
                format!("pull secret {display}")
            };
            ctx.note(
                format!("ImageRegistryCredential.{}", req.image_registry_credential.len()),
                rule,
                vec![InputRef::pod(at.clone()), source.clone()],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn servers_and_auth() {
        assert_eq!(registry_server("https://index.docker.io/v1/"), "index.docker.io");
        assert_eq!(registry_server("registry.cn-hangzhou.aliyuncs.com"), "registry.cn-hangzhou.aliyuncs.com");
        assert_eq!(registry_server("http://10.0.0.1:5000/path"), "10.0.0.1:5000");
        assert_eq!(credentials_of(&json!({"auth": "dXNlcjpwYTpzcw=="})), Some(("user".into(), "pa:ss".into())));
        assert_eq!(credentials_of(&json!({"username": "u", "password": "p"})), Some(("u".into(), "p".into())));
        assert_eq!(credentials_of(&json!({"auth": "!!"})), None);
    }
}
