//! Namespace labels by name: from a file of Namespace objects (reloaded when
//! it changes), or from a reflector over the cluster's Namespaces.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use eci_bridge_core::admission::case::namespaces_from_documents;
use eci_bridge_core::diagnostics::{Diagnostic, Input};
use k8s_openapi::api::core::v1::Namespace;
use kube::runtime::reflector::{self, ObjectRef, Store};

/// Labels of one namespace.
pub type Labels = BTreeMap<String, String>;

/// Where labels are looked up.
#[derive(Debug, Default)]
pub enum NamespaceLabels {
    /// No source: every namespace has no labels.
    #[default]
    None,
    /// Loaded from a file (replaced whole on reload).
    File(RwLock<Arc<BTreeMap<String, Labels>>>),
    /// A reflector's store.
    Cluster(Store<Namespace>),
}

impl NamespaceLabels {
    /// The labels of `name` (empty when unknown).
    pub fn labels(&self, name: &str) -> Labels {
        match self {
            NamespaceLabels::None => Labels::new(),
            NamespaceLabels::File(map) => {
                map.read().map(|m| m.get(name).cloned().unwrap_or_default()).unwrap_or_default()
            }
            NamespaceLabels::Cluster(store) => {
                store.get(&ObjectRef::new(name)).and_then(|ns| ns.metadata.labels.clone()).unwrap_or_default()
            }
        }
    }

    /// Namespaces known.
    pub fn len(&self) -> usize {
        match self {
            NamespaceLabels::None => 0,
            NamespaceLabels::File(map) => map.read().map(|m| m.len()).unwrap_or(0),
            NamespaceLabels::Cluster(store) => store.len(),
        }
    }

    /// True when no namespace is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces the file's map.
    pub fn replace(&self, map: BTreeMap<String, Labels>) {
        if let NamespaceLabels::File(current) = self
            && let Ok(mut current) = current.write()
        {
            *current = Arc::new(map);
        }
    }
}

/// Reads a namespaces file's text.
pub fn parse(text: &str) -> Result<BTreeMap<String, Labels>, Diagnostic> {
    let docs = eci_bridge_core::parse_documents(text, Input::Object("namespaces file".into()))?;
    namespaces_from_documents(&docs)
}

/// Starts a reflector over Namespaces; the store fills as the watch lists.
/// Errors of the watch are logged and retried with backoff.
pub async fn reflect(kubeconfig: Option<PathBuf>) -> Result<Store<Namespace>, String> {
    use futures_util::StreamExt as _;
    use kube::runtime::{WatchStreamExt as _, watcher};

    let client = match kubeconfig {
        Some(path) => {
            let config = kube::config::Kubeconfig::read_from(&path)
                .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()))?;
            let config = kube::Config::from_custom_kubeconfig(config, &kube::config::KubeConfigOptions::default())
                .await
                .map_err(|e| format!("kubeconfig {}: {e}", path.display()))?;
            kube::Client::try_from(config).map_err(|e| format!("cannot build a Kubernetes client: {e}"))?
        }
        None => kube::Client::try_default().await.map_err(|e| format!("no Kubernetes configuration: {e}"))?,
    };
    let api: kube::Api<Namespace> = kube::Api::all(client);
    let (reader, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher(api, watcher::Config::default())).default_backoff();
    tokio::spawn(async move {
        stream
            .for_each(|event| async move {
                if let Err(e) = event {
                    crate::log::warn("namespace watch failed; retrying", serde_json::json!({"error": e.to_string()}));
                }
            })
            .await;
    });
    Ok(reader)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_stream_and_a_list_give_labels_by_name() {
        let map = parse(
            "kind: Namespace\nmetadata: {name: shop, labels: {eci: 'true'}}\n---\n\
             kind: List\nitems:\n- kind: Namespace\n  metadata: {name: bare}\n",
        )
        .expect("namespaces");
        let names: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(names, ["bare", "shop"]);
        assert_eq!(map["shop"].get("eci").map(String::as_str), Some("true"));
        assert!(map["bare"].is_empty());
    }

    #[test]
    fn other_kinds_and_nameless_namespaces_are_refused() {
        assert!(parse("kind: ConfigMap\nmetadata: {name: x}\n").is_err());
        let e = parse("kind: List\nitems:\n- kind: Namespace\n  metadata: {labels: {a: b}}\n").expect_err("no name");
        assert_eq!(e.pointer, "/items/0/metadata/name");
    }
}
