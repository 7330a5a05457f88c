//! The objects a pod refers to, supplied by the caller.
//!
//! The core cannot read the API server, so ConfigMaps, Secrets, claims and
//! service-account tokens come in as values. [`required_objects`] tells the
//! caller exactly which ones a pod needs; a missing one becomes a
//! `missing-object` diagnostic during translation, never a panic.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, Secret};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};

/// Kinds of referenced objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ObjectKind {
    /// A ConfigMap.
    ConfigMap,
    /// A Secret.
    Secret,
    /// A PersistentVolumeClaim.
    PersistentVolumeClaim,
    /// A PersistentVolume (cluster-scoped; found through its claim).
    PersistentVolume,
    /// A service-account token (`authentication.k8s.io/v1` TokenRequest,
    /// named after the service account).
    TokenRequest,
}

impl ObjectKind {
    /// The Kubernetes kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::ConfigMap => "ConfigMap",
            ObjectKind::Secret => "Secret",
            ObjectKind::PersistentVolumeClaim => "PersistentVolumeClaim",
            ObjectKind::PersistentVolume => "PersistentVolume",
            ObjectKind::TokenRequest => "TokenRequest",
        }
    }
}

/// One object the pod refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    /// Its kind.
    pub kind: ObjectKind,
    /// Its namespace (empty for cluster-scoped kinds).
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// True when every reference is `optional: true`.
    pub optional: bool,
    /// Where the pod refers to it.
    pub referenced_at: Vec<String>,
}

impl ObjectRef {
    /// `Kind/namespace/name`, the name used in diagnostics.
    pub fn display_name(&self) -> String {
        object_name(self.kind, &self.namespace, &self.name)
    }
}

/// `Kind/namespace/name` (or `Kind/name` when cluster-scoped).
pub fn object_name(kind: ObjectKind, namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        format!("{}/{name}", kind.as_str())
    } else {
        format!("{}/{namespace}/{name}", kind.as_str())
    }
}

/// A minted service-account token, as a TokenRequest's `status.token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccountToken {
    /// The audiences it was requested for (empty = the API server's).
    pub audiences: Vec<String>,
    /// The token.
    pub token: String,
}

type Key = (String, String);

/// The supplied objects.
#[derive(Debug, Clone, Default)]
pub struct ObjectStore {
    config_maps: BTreeMap<Key, ConfigMap>,
    secrets: BTreeMap<Key, Secret>,
    claims: BTreeMap<Key, PersistentVolumeClaim>,
    volumes: BTreeMap<String, PersistentVolume>,
    tokens: BTreeMap<Key, Vec<ServiceAccountToken>>,
}

fn key(namespace: &str, name: &str) -> Key {
    (namespace.to_string(), name.to_string())
}

impl ObjectStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a ConfigMap.
    pub fn insert_config_map(&mut self, cm: ConfigMap) {
        let k =
            key(cm.metadata.namespace.as_deref().unwrap_or("default"), cm.metadata.name.as_deref().unwrap_or_default());
        self.config_maps.insert(k, cm);
    }

    /// Adds a Secret (its `stringData` is folded into `data`, as the API server does).
    pub fn insert_secret(&mut self, mut secret: Secret) {
        if let Some(string_data) = secret.string_data.take() {
            let data = secret.data.get_or_insert_with(BTreeMap::new);
            for (k, v) in string_data {
                data.insert(k, k8s_openapi::ByteString(v.into_bytes()));
            }
        }
        let k = key(
            secret.metadata.namespace.as_deref().unwrap_or("default"),
            secret.metadata.name.as_deref().unwrap_or_default(),
        );
        self.secrets.insert(k, secret);
    }

    /// Adds a PersistentVolumeClaim.
    pub fn insert_claim(&mut self, claim: PersistentVolumeClaim) {
        let k = key(
            claim.metadata.namespace.as_deref().unwrap_or("default"),
            claim.metadata.name.as_deref().unwrap_or_default(),
        );
        self.claims.insert(k, claim);
    }

    /// Adds a PersistentVolume.
    pub fn insert_volume(&mut self, pv: PersistentVolume) {
        self.volumes.insert(pv.metadata.name.clone().unwrap_or_default(), pv);
    }

    /// Adds a token for `namespace/service_account`.
    pub fn insert_token(&mut self, namespace: &str, service_account: &str, token: ServiceAccountToken) {
        self.tokens.entry(key(namespace, service_account)).or_default().push(token);
    }

    /// Adds every object of `other` (later objects replace earlier ones).
    pub fn merge(&mut self, other: ObjectStore) {
        self.config_maps.extend(other.config_maps);
        self.secrets.extend(other.secrets);
        self.claims.extend(other.claims);
        self.volumes.extend(other.volumes);
        for (k, tokens) in other.tokens {
            self.tokens.entry(k).or_default().extend(tokens);
        }
    }

    /// A ConfigMap.
    pub fn config_map(&self, namespace: &str, name: &str) -> Option<&ConfigMap> {
        self.config_maps.get(&key(namespace, name))
    }

    /// A Secret.
    pub fn secret(&self, namespace: &str, name: &str) -> Option<&Secret> {
        self.secrets.get(&key(namespace, name))
    }

    /// A claim.
    pub fn claim(&self, namespace: &str, name: &str) -> Option<&PersistentVolumeClaim> {
        self.claims.get(&key(namespace, name))
    }

    /// A PersistentVolume.
    pub fn volume(&self, name: &str) -> Option<&PersistentVolume> {
        self.volumes.get(name)
    }

    /// A token for the service account, preferring one minted for `audience`.
    pub fn token(
        &self,
        namespace: &str,
        service_account: &str,
        audience: Option<&str>,
    ) -> Option<&ServiceAccountToken> {
        let tokens = self.tokens.get(&key(namespace, service_account))?;
        match audience {
            Some(aud) => tokens.iter().find(|t| t.audiences.iter().any(|a| a == aud)),
            None => tokens.iter().find(|t| t.audiences.is_empty()).or(tokens.first()),
        }
    }

    /// Builds a store from decoded documents: ConfigMap, Secret,
    /// PersistentVolumeClaim, PersistentVolume, TokenRequest, or a `List` of
    /// them. Other kinds are warnings.
    pub fn from_documents(docs: &[Value]) -> (ObjectStore, Vec<Diagnostic>) {
        Self::from_numbered(docs.iter().enumerate())
    }

    /// Like [`Self::from_documents`], for documents picked out of a longer
    /// stream: each comes with its index in that stream, so diagnostics name
    /// `document N` of the stream the user wrote.
    pub fn from_numbered<'a>(docs: impl IntoIterator<Item = (usize, &'a Value)>) -> (ObjectStore, Vec<Diagnostic>) {
        let mut store = ObjectStore::new();
        let mut diags = Vec::new();
        for (i, doc) in docs {
            store.add_document(doc, &format!("document {}", i + 1), &mut diags);
        }
        (store, diags)
    }

    /// Like [`Self::from_documents`], each document with the label its
    /// diagnostics name it by (`document 2 item 3`).
    pub fn from_labelled<'a>(docs: impl IntoIterator<Item = (String, &'a Value)>) -> (ObjectStore, Vec<Diagnostic>) {
        let mut store = ObjectStore::new();
        let mut diags = Vec::new();
        for (label, doc) in docs {
            store.add_document(doc, &label, &mut diags);
        }
        (store, diags)
    }

    fn add_document(&mut self, doc: &Value, label: &str, diags: &mut Vec<Diagnostic>) {
        let input = Input::Object(label.to_string());
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
        let bad = |d: Diagnostic| Diagnostic { message: format!("{kind} is malformed: {}", d.message), ..d };
        match kind {
            "List" | "ConfigMapList" | "SecretList" => {
                for (i, item) in doc.get("items").and_then(Value::as_array).into_iter().flatten().enumerate() {
                    self.add_document(item, &format!("{label} item {}", i + 1), diags);
                }
            }
            "ConfigMap" => match crate::input::from_value(doc, input.clone()) {
                Ok(cm) => self.insert_config_map(cm),
                Err(e) => diags.push(bad(e)),
            },
            "Secret" => match crate::input::from_value(doc, input.clone()) {
                Ok(s) => self.insert_secret(s),
                Err(e) => diags.push(bad(e)),
            },
            "PersistentVolumeClaim" => match crate::input::from_value(doc, input.clone()) {
                Ok(c) => self.insert_claim(c),
                Err(e) => diags.push(bad(e)),
            },
            "PersistentVolume" => match crate::input::from_value(doc, input.clone()) {
                Ok(v) => self.insert_volume(v),
                Err(e) => diags.push(bad(e)),
            },
            "TokenRequest" => {
                let meta = doc.get("metadata");
                let ns = meta.and_then(|m| m.get("namespace")).and_then(Value::as_str).unwrap_or("default");
                let sa = meta.and_then(|m| m.get("name")).and_then(Value::as_str).unwrap_or("default");
                let token = doc.pointer("/status/token").and_then(Value::as_str);
                let audiences = doc
                    .pointer("/spec/audiences")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                    .unwrap_or_default();
                match token {
                    Some(t) => self.insert_token(ns, sa, ServiceAccountToken { audiences, token: t.to_string() }),
                    None => diags.push(
                        Diagnostic::pod(
                            Severity::Error,
                            Code::MissingField,
                            "/status/token",
                            "TokenRequest has no status.token",
                        )
                        .on(input),
                    ),
                }
            }
            "" => diags.push(crate::input::missing_kind(input).help(
                "add the object's `kind` (ConfigMap, Secret, PersistentVolumeClaim, PersistentVolume, TokenRequest)",
            )),
            other => diags.push(
                Diagnostic::pod(
                    Severity::Warning,
                    Code::Schema,
                    "/kind",
                    format!("`{other}` objects are not used by translation; ignored"),
                )
                .on(input)
                .help("supply ConfigMap, Secret, PersistentVolumeClaim, PersistentVolume or TokenRequest objects"),
            ),
        }
    }
}

/// Collects references while walking a pod.
#[derive(Default)]
struct Refs(Vec<ObjectRef>);

impl Refs {
    fn add(&mut self, kind: ObjectKind, namespace: &str, name: &str, optional: bool, at: Pointer) {
        if let Some(existing) = self.0.iter_mut().find(|r| r.kind == kind && r.namespace == namespace && r.name == name)
        {
            existing.optional &= optional;
            existing.referenced_at.push(at.into());
        } else {
            self.0.push(ObjectRef {
                kind,
                namespace: namespace.to_string(),
                name: name.to_string(),
                optional,
                referenced_at: vec![at.into()],
            });
        }
    }
}

/// The objects a pod needs, in the order it refers to them.
///
/// ConfigMaps and Secrets from env, envFrom, volumes and projected sources;
/// image pull Secrets (always optional: the kubelet pulls without them when
/// missing); claims; and one TokenRequest per projected service-account
/// token source (named after the pod's service account). A claim's bound
/// PersistentVolume is added by [`required_objects_with`] once the claim is
/// known.
pub fn required_objects(pod: &Pod) -> Vec<ObjectRef> {
    let mut refs = Refs::default();
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let Some(spec) = &pod.spec else { return refs.0 };
    let sa = spec.service_account_name.as_deref().unwrap_or("default");
    let groups =
        [("initContainers", spec.init_containers.as_deref().unwrap_or_default()), ("containers", &spec.containers[..])];
    for (field, containers) in groups {
        for (ci, c) in containers.iter().enumerate() {
            let base = Pointer::root().key("spec").key(field).index(ci);
            for (ei, e) in c.env.iter().flatten().enumerate() {
                let Some(from) = &e.value_from else { continue };
                let at = base.key("env").index(ei).key("valueFrom");
                if let Some(r) = &from.config_map_key_ref {
                    refs.add(ObjectKind::ConfigMap, ns, &r.name, r.optional == Some(true), at.key("configMapKeyRef"));
                }
                if let Some(r) = &from.secret_key_ref {
                    refs.add(ObjectKind::Secret, ns, &r.name, r.optional == Some(true), at.key("secretKeyRef"));
                }
            }
            for (ei, e) in c.env_from.iter().flatten().enumerate() {
                let at = base.key("envFrom").index(ei);
                if let Some(r) = &e.config_map_ref {
                    refs.add(ObjectKind::ConfigMap, ns, &r.name, r.optional == Some(true), at.key("configMapRef"));
                }
                if let Some(r) = &e.secret_ref {
                    refs.add(ObjectKind::Secret, ns, &r.name, r.optional == Some(true), at.key("secretRef"));
                }
            }
        }
    }
    for (vi, v) in spec.volumes.iter().flatten().enumerate() {
        let at = Pointer::root().key("spec").key("volumes").index(vi);
        if let Some(cm) = &v.config_map {
            refs.add(ObjectKind::ConfigMap, ns, &cm.name, cm.optional == Some(true), at.key("configMap"));
        }
        if let Some(s) = &v.secret {
            refs.add(
                ObjectKind::Secret,
                ns,
                s.secret_name.as_deref().unwrap_or_default(),
                s.optional == Some(true),
                at.key("secret"),
            );
        }
        if let Some(c) = &v.persistent_volume_claim {
            refs.add(ObjectKind::PersistentVolumeClaim, ns, &c.claim_name, false, at.key("persistentVolumeClaim"));
        }
        for (si, source) in v.projected.iter().flat_map(|p| p.sources.iter().flatten()).enumerate() {
            let at = at.key("projected").key("sources").index(si);
            if let Some(cm) = &source.config_map {
                refs.add(ObjectKind::ConfigMap, ns, &cm.name, cm.optional == Some(true), at.key("configMap"));
            }
            if let Some(s) = &source.secret {
                refs.add(ObjectKind::Secret, ns, &s.name, s.optional == Some(true), at.key("secret"));
            }
            if source.service_account_token.is_some() {
                refs.add(ObjectKind::TokenRequest, ns, sa, false, at.key("serviceAccountToken"));
            }
        }
    }
    for (i, s) in spec.image_pull_secrets.iter().flatten().enumerate() {
        refs.add(ObjectKind::Secret, ns, &s.name, true, Pointer::root().key("spec").key("imagePullSecrets").index(i));
    }
    refs.0
}

/// [`required_objects`] plus the PersistentVolume of every supplied, bound claim.
pub fn required_objects_with(pod: &Pod, store: &ObjectStore) -> Vec<ObjectRef> {
    let mut refs = required_objects(pod);
    let claims: Vec<ObjectRef> = refs.iter().filter(|r| r.kind == ObjectKind::PersistentVolumeClaim).cloned().collect();
    for claim in claims {
        let volume = store
            .claim(&claim.namespace, &claim.name)
            .and_then(|c| c.spec.as_ref())
            .and_then(|s| s.volume_name.clone());
        if let Some(volume) = volume {
            refs.push(ObjectRef {
                kind: ObjectKind::PersistentVolume,
                namespace: String::new(),
                name: volume,
                optional: false,
                referenced_at: claim.referenced_at.clone(),
            });
        }
    }
    refs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn lists_every_reference_once_with_its_places() {
        let p = pod(json!({
            "metadata": {"name": "p", "namespace": "web"},
            "spec": {
                "serviceAccountName": "builder",
                "containers": [{"name": "a", "image": "nginx",
                    "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "x"}}},
                            {"name": "Y", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "y", "optional": true}}}],
                    "envFrom": [{"configMapRef": {"name": "cfg"}}]}],
                "volumes": [{"name": "v", "secret": {"secretName": "creds"}},
                            {"name": "kube-api-access-x", "projected": {"sources": [
                                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
                                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
                "imagePullSecrets": [{"name": "regcred"}]
            }
        }));
        let refs = required_objects(&p);
        let names: Vec<_> = refs.iter().map(ObjectRef::display_name).collect();
        assert_eq!(
            names,
            vec![
                "ConfigMap/web/cfg",
                "Secret/web/creds",
                "TokenRequest/web/builder",
                "ConfigMap/web/kube-root-ca.crt",
                "Secret/web/regcred"
            ]
        );
        assert_eq!(refs[0].referenced_at.len(), 2);
        assert!(!refs[1].optional, "optional only when every reference is optional");
        assert!(refs[4].optional);
    }

    #[test]
    fn store_reads_lists_string_data_and_tokens() {
        let docs = vec![
            json!({"kind": "List", "items": [
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "web"}, "data": {"x": "1"}},
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "web"}, "stringData": {"k": "v"}}]}),
            json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": {"name": "default", "namespace": "web"},
                   "spec": {"audiences": []}, "status": {"token": "eyJ"}}),
            json!({"kind": "Deployment"}),
        ];
        let (store, diags) = ObjectStore::from_documents(&docs);
        assert_eq!(diags.len(), 1);
        assert!(store.config_map("web", "cfg").is_some());
        let secret = store.secret("web", "s").unwrap();
        assert_eq!(secret.data.as_ref().unwrap()["k"].0, b"v");
        assert_eq!(store.token("web", "default", None).unwrap().token, "eyJ");
    }
}
