//! Several named texts read as one case, with every diagnostic placed back
//! in the text it is about.
//!
//! The playground has an editor for the pod and tabs for the eci-profile,
//! the cluster settings and the ConfigMaps/Secrets; the CLI has `-f`,
//! `--profile`, `--cluster` and `--objects`. [`Sources`] holds such texts
//! with their [`Role`]; the case runner ([`crate::case::run`]) reads them
//! into one case (a tab overrides what the pod's own stream says), and
//! [`Placement`], through a [`SourceMap`] per text, turns a diagnostic's
//! input and JSON pointer into a [`Span`] — file, line and column — so an
//! editor can underline it and a terminal can print it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnostics::{Diagnostic, Input, Span};
use crate::source_map::SourceMap;

/// What a text holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    /// The pod or workload, and possibly anything a bundle holds.
    Stream,
    /// The eci-profile ConfigMap.
    Profile,
    /// Cluster settings (bare, an `env:` list, or the `ClusterSettings` wrapper).
    Cluster,
    /// ConfigMaps, Secrets, claims, tokens.
    Objects,
}

/// One named text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Its name (a file path or an editor tab).
    pub name: String,
    /// What it holds.
    pub role: Role,
    /// The YAML or JSON text. Blank texts are ignored.
    pub text: String,
}

/// Texts that make one case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sources {
    /// The texts; the stream comes first.
    pub files: Vec<SourceFile>,
}

/// Named texts, and which text (and which document in it) each document of
/// their combined stream came from: turns a document and a pointer into a
/// [`Span`], one pass over each text for a whole batch of diagnostics.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    names: Vec<String>,
    maps: Vec<SourceMap>,
    /// For each document of the combined stream: (text, document in that
    /// text, pointer of the object in that document: `/items/N` for a List's item).
    origins: Vec<(usize, usize, String)>,
}

impl Placement {
    /// Adds a text from which `documents` documents were read (appended to the stream).
    pub fn add(&mut self, name: &str, text: &str, documents: usize) {
        let file = self.names.len();
        self.origins.extend((0..documents).map(|j| (file, j, String::new())));
        self.names.push(name.to_string());
        self.maps.push(SourceMap::parse(text));
    }

    /// Adds a text whose Lists (`kind: List`, `kubectl get -o yaml`) were flattened:
    /// for each document of the stream, its document in the text and the
    /// pointer of the object in that document.
    pub fn add_flattened(&mut self, name: &str, text: &str, origins: impl IntoIterator<Item = (usize, String)>) {
        let file = self.names.len();
        self.origins.extend(origins.into_iter().map(|(j, prefix)| (file, j, prefix)));
        self.names.push(name.to_string());
        self.maps.push(SourceMap::parse(text));
    }

    /// Gives each diagnostic that has no span yet the span of `at[i]`: a
    /// document of the combined stream and a pointer into it.
    pub fn place(&self, diagnostics: &mut [Diagnostic], at: &[Option<(usize, String)>]) {
        let asked: Vec<Option<(usize, String)>> = at
            .iter()
            .enumerate()
            .map(|(i, a)| a.clone().filter(|_| diagnostics.get(i).is_some_and(|d| d.span.is_none())))
            .collect();
        for (d, span) in diagnostics.iter_mut().zip(self.spans(&asked)) {
            if span.is_some() {
                d.span = span;
            }
        }
    }

    /// The span of each `(document, pointer)`: one pass over each text for
    /// the whole batch.
    pub fn spans(&self, at: &[Option<(usize, String)>]) -> Vec<Option<Span>> {
        let mut spans = vec![None; at.len()];
        for (file, map) in self.maps.iter().enumerate() {
            // (position in `at`, document in this text, pointer)
            let mine: Vec<(usize, usize, String)> = at
                .iter()
                .enumerate()
                .filter_map(|(i, a)| {
                    let (doc, pointer) = a.as_ref()?;
                    let (f, in_file, prefix) = self.origins.get(*doc)?;
                    (*f == file).then(|| (i, *in_file, format!("{prefix}{pointer}")))
                })
                .collect();
            if mine.is_empty() {
                continue;
            }
            let asked: Vec<(usize, &str)> = mine.iter().map(|(_, d, p)| (*d, p.as_str())).collect();
            for (&(i, _, _), range) in mine.iter().zip(map.locate_all(&asked)) {
                spans[i] = range.map(|r| Span { file: Some(self.names[file].clone()), start: r.start, end: r.end });
            }
        }
        spans
    }

    /// For each document of the combined stream, its document in its text
    /// and the pointer of the object there (`/items/N` for a List's item).
    pub fn origins(&self) -> impl Iterator<Item = (usize, &str)> {
        self.origins.iter().map(|(_, doc, prefix)| (*doc, prefix.as_str()))
    }

    /// The names of the texts, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Where `pointer` into document `doc` of the stream is.
    pub fn span(&self, doc: usize, pointer: &str) -> Option<Span> {
        let (file, doc_in_file, prefix) = self.origins.get(doc)?;
        let (file, doc_in_file) = (*file, *doc_in_file);
        let range = self.maps.get(file)?.locate(doc_in_file, &format!("{prefix}{pointer}"))?;
        Some(Span { file: self.names.get(file).cloned(), start: range.start, end: range.end })
    }
}

impl Sources {
    /// One stream, as the CLI's `-f` or a fixture.
    pub fn stream(name: &str, text: &str) -> Sources {
        Sources { files: vec![SourceFile { name: name.into(), role: Role::Stream, text: text.into() }] }
    }

    /// Adds a text.
    pub fn with(mut self, name: &str, role: Role, text: &str) -> Sources {
        self.files.push(SourceFile { name: name.into(), role, text: text.into() });
        self
    }
}

/// The document a diagnostic is about, for readers that keep no document
/// numbers (status, nodes, elastic, units, admission, update cases): the
/// first document of the kind its [`Input`] names, and the pointer inside
/// that document. `None` when no document is of that kind.
pub fn document_of(docs: &[Value], input: &Input, pointer: &str) -> Option<(usize, String)> {
    let kind = |d: &Value| d.get("kind").and_then(Value::as_str).map(str::to_string);
    let first = |pred: &dyn Fn(&Value) -> bool| docs.iter().position(pred);
    let of_kind = |k: &str| first(&|d: &Value| kind(d).as_deref() == Some(k));
    let doc = match input {
        Input::Pod => first(&|d: &Value| {
            kind(d).is_none_or(|k| k == "Pod" || crate::input::WORKLOAD_TEMPLATES.iter().any(|(w, _)| *w == k))
                && !crate::status::case::is_item(d)
                && !crate::status::case::is_response(d)
        }),
        Input::Profile => first(&|d: &Value| crate::profile::is_profile_document(d)),
        Input::Cluster => {
            let at = of_kind(crate::cluster::CLUSTER_SETTINGS_KIND)?;
            return Some((at, format!("/settings{pointer}")));
        }
        Input::Object(label) => return crate::bundle::place_object(label, pointer),
        Input::Request => of_kind("AdmissionReview"),
        Input::Instance => first(&|d: &Value| crate::status::case::is_item(d) || crate::status::case::is_response(d)),
        Input::ElasticWorkload => of_kind("ElasticWorkload"),
        Input::Workload => of_kind("Deployment"),
        Input::ResourcePolicy => of_kind("ResourcePolicy"),
        Input::Options | Input::Stream => None,
    }?;
    Some((doc, pointer.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClusterSettings;
    use crate::case::{self, Env, TranslateCase};
    use crate::diagnostics::Code;
    use crate::preview::Preview;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: web\n    image: nginx\n    volumeMounts: [{name: logs, mountPath: /logs}]\n  volumes:\n  - name: logs\n    hostPath: {path: /var/log}\n";

    fn translate(sources: &Sources) -> Result<Preview, Diagnostic> {
        case::run::<TranslateCase>(sources, &Default::default(), &Env::default()).map(|ran| ran.outcome)
    }

    #[test]
    fn diagnostics_land_on_their_line() {
        let p = translate(&Sources::stream("pod.yaml", POD)).expect("reads");
        let d = p.diagnostics.iter().find(|d| d.code == Code::HostPathVolume).expect("hostPath is reported");
        let span = d.span.as_ref().expect("placed");
        assert_eq!((span.file.as_deref(), span.start.line, span.start.column), (Some("pod.yaml"), 11, 5));
    }

    #[test]
    fn reading_and_translation_diagnostics_are_both_kept() {
        let pod = POD.replace("metadata: {name: web}", "metadata: {name: web}\nbogus: 1");
        let p = translate(&Sources::stream("pod", &pod)).expect("reads");
        let codes: Vec<Code> = p.diagnostics.iter().map(|d| d.code).collect();
        assert!(codes.contains(&Code::UnknownField) && codes.contains(&Code::HostPathVolume), "{codes:?}");
        let direct =
            crate::bundle::Bundle::from_documents(&crate::input::parse_documents(&pod, Input::Pod).expect("yaml"))
                .expect("bundle")
                .translate(&ClusterSettings::example());
        // The runner adds one notice: the example cluster stands in for real settings.
        assert_eq!(p.diagnostics.len(), direct.diagnostics.len() + 1);
        assert!(p.diagnostics.iter().all(|d| d.span.is_some() || d.input == Input::Cluster), "{:?}", p.diagnostics);
    }

    #[test]
    fn tabs_override_and_are_placed() {
        let profile =
            "kind: ConfigMap\nmetadata: {name: eci-profile, namespace: kube-system}\ndata:\n  enableClusterIp: maybe\n";
        let cluster = "regionId: cn-shanghai\nbogusKey: 1\n";
        let sources =
            Sources::stream("pod", POD).with("profile", Role::Profile, profile).with("cluster", Role::Cluster, cluster);
        let p = translate(&sources).expect("reads");
        assert_eq!(p.request["RegionId"], "cn-shanghai");
        let bad_bool = p.diagnostics.iter().find(|d| d.input == Input::Profile).expect("profile diagnostic");
        let span = bad_bool.span.as_ref().expect("placed");
        assert_eq!((span.file.as_deref(), span.start.line), (Some("profile"), 4));
        let unknown = p.diagnostics.iter().find(|d| d.input == Input::Cluster).expect("cluster diagnostic");
        assert_eq!(unknown.span.as_ref().map(|s| (s.file.as_deref(), s.start.line)), Some((Some("cluster"), 2)));
    }

    #[test]
    fn syntax_errors_name_their_file() {
        let e = translate(&Sources::stream("pod", POD).with("objects", Role::Objects, "kind: [")).expect_err("fails");
        assert_eq!(e.span.and_then(|s| s.file).as_deref(), Some("objects"));
    }
}
