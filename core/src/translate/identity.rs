//! Who the instance is: region, name, idempotence token and tags.
//!
//! Choices (no ECI document says what ack-virtual-node sends):
//! - `ContainerGroupName` is `<namespace>-<name>` (the old open-source
//!   provider's form), with `.` turned into `-` to meet ECI's charset; a name
//!   longer than 128 characters keeps 119 and adds `-` and 8 hex digits of a
//!   SHA-256 of the full name, so distinct pods keep distinct names.
//! - `ClientToken` is the pod UID: unique per pod object, stable across
//!   retries of the same creation, ASCII and 36 characters.
//! - Tags identify the instance the way the open-source provider did, so
//!   a provider can find the instance of a pod: `ClusterName` (the cluster
//!   ID), `NameSpace`, `PodName`, `UID` and, once bound, `NodeName`; then the
//!   user's `eci-custom-tags`.

use sha2::{Digest, Sha256};

use super::Ctx;
use crate::annotations::Parsed;
use crate::annotations::registry::CUSTOM_TAGS;
use crate::diagnostics::{Code, Diagnostic, Input, Severity};
use crate::eci::{CreateContainerGroupRequest, Tag};
use crate::explain::InputRef;

/// Tag keys the translation owns.
pub const SYSTEM_TAG_KEYS: &[&str] = &["ClusterName", "NameSpace", "PodName", "UID", "NodeName"];

const MAX_NAME: usize = 128;
const MAX_TAGS: usize = 20;

fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().take(4).map(|b| format!("{b:02x}")).collect()
}

/// `<namespace>-<name>` in ECI's charset and length (2–128, `[a-z0-9-]`,
/// no leading or trailing `-`).
pub fn container_group_name(namespace: &str, name: &str) -> String {
    let raw = format!("{namespace}-{name}");
    let mut s: String =
        raw.chars().map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' }).collect();
    if s.len() > MAX_NAME {
        s.truncate(MAX_NAME - 9);
        s = format!("{}-{}", s.trim_end_matches('-'), short_hash(&raw));
    }
    let s = s.trim_matches('-').to_string();
    if s.len() < 2 { format!("pod-{}", short_hash(&raw)) } else { s }
}

/// The pod UID, or a hash of it when it does not fit ECI's 64 ASCII characters.
pub fn client_token(uid: &str) -> String {
    if uid.is_ascii() && uid.len() <= 64 { uid.to_string() } else { short_hash(uid) }
}

pub(super) fn apply(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    let cluster = ctx.input.cluster;
    req.region_id = Some(cluster.region_id.clone());
    ctx.note("RegionId", "the cluster's region (ECI_REGION)", vec![InputRef::of(Input::Cluster, "/regionId")]);

    let name = ctx.pod.metadata.name.clone().unwrap_or_default();
    if name.is_empty() {
        ctx.push(
            Diagnostic::pod(Severity::Error, Code::MissingField, "/metadata/name", "the pod has no name")
                .help("set metadata.name (the API server fills it from generateName before the provider sees the pod)"),
        );
    }
    req.container_group_name = Some(container_group_name(&ctx.namespace, &name));
    ctx.note(
        "ContainerGroupName",
        "<namespace>-<name> in ECI's name charset",
        vec![InputRef::pod("/metadata/namespace"), InputRef::pod("/metadata/name")],
    );

    match ctx.pod.metadata.uid.as_deref().filter(|u| !u.is_empty()) {
        Some(uid) => {
            req.client_token = Some(client_token(uid));
            ctx.note(
                "ClientToken",
                "the pod UID, so retried creations are idempotent",
                vec![InputRef::pod("/metadata/uid")],
            );
        }
        // Said in explain only: a manifest has no UID until the API server stores it.
        None => ctx.effect(
            "metadata.uid",
            "(none)",
            "no UID yet, so ClientToken and the UID tag are omitted (the API server sets both)",
            vec![InputRef::pod("/metadata/uid")],
        ),
    }
    apply_tags(ctx, req, &name);
}

fn push_tag(
    ctx: &mut Ctx<'_>,
    req: &mut CreateContainerGroupRequest,
    key: &str,
    value: &str,
    rule: &str,
    from: InputRef,
) {
    let mut value = value.to_string();
    if value.len() > 128 {
        ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::OverLimit,
            from.pointer.clone(),
            format!("the value of tag {key} is longer than ECI's 128 characters and is cut"),
        ));
        value = crate::text::prefix_within(&value, 128).to_string();
    }
    req.tag.push(Tag { key: Some(key.into()), value: Some(value) });
    ctx.note(format!("Tag.{}", req.tag.len()), rule, vec![from]);
}

fn apply_tags(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest, name: &str) {
    let cluster_id = ctx.input.cluster.cluster_id.clone();
    if !cluster_id.is_empty() {
        push_tag(
            ctx,
            req,
            "ClusterName",
            &cluster_id,
            "identifies the cluster (ALIYUN_CLUSTERID)",
            InputRef::of(Input::Cluster, "/clusterId"),
        );
    }
    let ns = ctx.namespace.clone();
    push_tag(ctx, req, "NameSpace", &ns, "identifies the pod's namespace", InputRef::pod("/metadata/namespace"));
    push_tag(ctx, req, "PodName", name, "identifies the pod", InputRef::pod("/metadata/name"));
    if let Some(uid) = ctx.pod.metadata.uid.clone().filter(|u| !u.is_empty()) {
        push_tag(ctx, req, "UID", &uid, "identifies this pod object", InputRef::pod("/metadata/uid"));
    }
    if let Some(node) = ctx.spec().and_then(|s| s.node_name.clone()).filter(|n| !n.is_empty()) {
        push_tag(ctx, req, "NodeName", &node, "the virtual node the pod is bound to", InputRef::pod("/spec/nodeName"));
    }

    let Some(Parsed::Pairs(pairs)) = ctx.annotations.get(CUSTOM_TAGS).cloned() else {
        return;
    };
    let origin = ctx.annotation_ref(CUSTOM_TAGS);
    for (key, value) in pairs {
        let problem = if SYSTEM_TAG_KEYS.contains(&key.as_str()) {
            Some(format!("tag key `{key}` is set by the translation to identify the pod"))
        } else if key.starts_with("acs:") || key.starts_with("aliyun") {
            Some(format!("tag key `{key}` must not start with `acs:` or `aliyun`"))
        } else if key.len() > 64 || value.len() > 128 {
            Some(format!("tag `{key}` is too long (key ≤ 64, value ≤ 128 characters)"))
        } else if [&key, &value].iter().any(|s| s.contains("http://") || s.contains("https://"))
            || value.starts_with("acs:")
        {
            Some(format!("tag `{key}` must not contain http:// or https:// nor have a value starting with `acs:`"))
        } else {
            None
        };
        match problem {
            Some(message) => ctx.push(
                Diagnostic::pod(Severity::Error, Code::InvalidAnnotation, origin.pointer.clone(), message)
                    .help("ECI tag rules: docs/eci-api.md#tags")
                    .on(origin.input.clone()),
            ),
            None => {
                let rule = ctx.annotation_rule(CUSTOM_TAGS);
                push_tag(ctx, req, &key, &value, &rule, origin.clone());
            }
        }
    }
    if req.tag.len() > MAX_TAGS {
        ctx.push(Diagnostic::pod(
            Severity::Error,
            Code::OverLimit,
            origin.pointer,
            format!("{} tags, ECI allows at most {MAX_TAGS}", req.tag.len()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_eci() {
        assert_eq!(container_group_name("default", "web-7d4b9c-abcde"), "default-web-7d4b9c-abcde");
        assert_eq!(container_group_name("kube-system", "coredns.v1"), "kube-system-coredns-v1");
        let long = container_group_name("ns", &"a".repeat(200));
        assert_eq!(long.len(), 128);
        assert_ne!(long, container_group_name("ns", &format!("{}b", "a".repeat(199))));
        assert!(!container_group_name("-", "-").starts_with('-'));
        assert_eq!(client_token("0b2f6a6e-2d6c-4b8f-9e46-3d5a4cf1f2a1"), "0b2f6a6e-2d6c-4b8f-9e46-3d5a4cf1f2a1");
        assert_eq!(client_token(&"x".repeat(80)).len(), 8);
    }
}
