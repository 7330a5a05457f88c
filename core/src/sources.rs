//! Several named texts read as one case, with every diagnostic placed back
//! in the text it is about.
//!
//! The playground has an editor for the pod and tabs for the eci-profile,
//! the cluster settings and the ConfigMaps/Secrets; the CLI has `-f`,
//! `--profile`, `--cluster` and `--objects`. [`Sources`] takes such texts
//! with their [`Role`], reads them into one [`Bundle`] (a tab overrides what
//! the pod's own stream says) and, through a [`SourceMap`] per text, turns a
//! diagnostic's input and JSON pointer into a [`Span`] — file, line and
//! column — so an editor can underline it and a terminal can print it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bundle::Bundle;
use crate::cluster::{ClusterSettings, parse_cluster_document};
use crate::diagnostics::{Diagnostic, Input, Span};
use crate::input::parse_documents;
use crate::profile::parse_profile;
use crate::source_map::SourceMap;
use crate::translate::Translation;

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

/// The texts, read.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The case.
    pub bundle: Bundle,
    /// Problems found while reading (placed).
    pub diagnostics: Vec<Diagnostic>,
    texts: Placement,
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

    /// Adds a text whose Lists were flattened ([`crate::input::flatten_lists`]):
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

    /// Reads every text. Fails on a syntax error (placed in its file) or
    /// when there is no pod (placed where the pod should be).
    pub fn load(&self) -> Result<Loaded, Diagnostic> {
        let mut texts = Placement::default();
        let mut all: Vec<(Role, Value)> = Vec::new();
        for file in &self.files {
            if file.text.trim().is_empty() {
                texts.add(&file.name, "", 0);
                continue;
            }
            // Before it is read, a stream is just input: its syntax errors are not "about the pod".
            let input = match file.role {
                Role::Stream => Input::Stream,
                Role::Profile => Input::Profile,
                Role::Cluster => Input::Cluster,
                Role::Objects => Input::Object(file.name.clone()),
            };
            let docs = parse_documents(&file.text, input).map_err(|mut d| {
                if let Some(span) = d.span.as_mut() {
                    span.file = Some(file.name.clone());
                }
                d
            })?;
            let docs = crate::input::flatten_lists(docs);
            texts.add_flattened(&file.name, &file.text, docs.iter().map(|(_, j, prefix)| (*j, prefix.clone())));
            all.extend(docs.into_iter().map(|(doc, _, _)| (file.role, doc)));
        }
        let numbered: Vec<(usize, &Value)> = all
            .iter()
            .enumerate()
            .filter(|(_, (role, _))| matches!(role, Role::Stream | Role::Objects))
            .map(|(i, (_, doc))| (i, doc))
            .collect();
        let mut loaded = Loaded { bundle: Bundle::from_numbered(&numbered)?, diagnostics: Vec::new(), texts };
        for (i, (role, doc)) in all.iter().enumerate() {
            match role {
                Role::Profile => {
                    let (profile, diags) = parse_profile(doc);
                    loaded.bundle.profile = Some(profile);
                    loaded.bundle.documents.profile = Some(i);
                    loaded.bundle.diagnostics.extend(diags);
                }
                Role::Cluster => {
                    let (settings, diags) = parse_cluster_document(doc);
                    loaded.bundle.cluster = settings;
                    loaded.bundle.documents.cluster = Some(i);
                    loaded.bundle.documents.cluster_wrapped = doc.get("kind").is_some();
                    loaded.bundle.diagnostics.extend(diags);
                }
                Role::Stream | Role::Objects => {}
            }
        }
        let mut diagnostics = std::mem::take(&mut loaded.bundle.diagnostics);
        loaded.locate(&mut diagnostics);
        loaded.diagnostics = diagnostics;
        Ok(loaded)
    }
}

impl Loaded {
    /// Places every diagnostic that has no span yet: one pass over each
    /// file's text for all of its diagnostics.
    pub fn locate(&self, diagnostics: &mut [Diagnostic]) {
        let at: Vec<Option<(usize, String)>> =
            diagnostics.iter().map(|d| self.bundle.documents.place(&d.input, &d.pointer)).collect();
        self.texts.place(diagnostics, &at);
    }

    /// Where `pointer` into `input` is.
    pub fn span(&self, input: &Input, pointer: &str) -> Option<Span> {
        let (doc, pointer) = self.bundle.documents.place(input, pointer)?;
        self.texts.span(doc, &pointer)
    }

    /// Translates the case, every diagnostic placed; `cluster` is used when
    /// no text gives settings.
    pub fn translate(&self, cluster: &ClusterSettings) -> Translation {
        let mut t = self.bundle.translate(cluster);
        // Reading diagnostics first (already placed), as `Bundle::translate` orders them.
        let mut diagnostics = self.diagnostics.clone();
        diagnostics.append(&mut t.diagnostics);
        self.locate(&mut diagnostics);
        t.diagnostics = diagnostics;
        t
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
    use crate::diagnostics::Code;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: web\n    image: nginx\n    volumeMounts: [{name: logs, mountPath: /logs}]\n  volumes:\n  - name: logs\n    hostPath: {path: /var/log}\n";

    #[test]
    fn diagnostics_land_on_their_line() {
        let loaded = Sources::stream("pod.yaml", POD).load().expect("loads");
        let t = loaded.translate(&ClusterSettings::example());
        let d = t.diagnostics.iter().find(|d| d.code == Code::HostPathVolume).expect("hostPath is reported");
        let span = d.span.as_ref().expect("placed");
        assert_eq!((span.file.as_deref(), span.start.line, span.start.column), (Some("pod.yaml"), 11, 5));
    }

    #[test]
    fn reading_and_translation_diagnostics_are_both_kept() {
        let pod = POD.replace("metadata: {name: web}", "metadata: {name: web}\nbogus: 1");
        let loaded = Sources::stream("pod", &pod).load().expect("loads");
        let t = loaded.translate(&ClusterSettings::example());
        let codes: Vec<Code> = t.diagnostics.iter().map(|d| d.code).collect();
        assert!(codes.contains(&Code::UnknownField) && codes.contains(&Code::HostPathVolume), "{codes:?}");
        let direct = Bundle::from_documents(&crate::input::parse_documents(&pod, Input::Pod).expect("yaml"))
            .expect("bundle")
            .translate(&ClusterSettings::example());
        assert_eq!(t.diagnostics.len(), direct.diagnostics.len());
    }

    #[test]
    fn tabs_override_and_are_placed() {
        let profile =
            "kind: ConfigMap\nmetadata: {name: eci-profile, namespace: kube-system}\ndata:\n  enableClusterIp: maybe\n";
        let cluster = "regionId: cn-shanghai\nbogusKey: 1\n";
        let sources =
            Sources::stream("pod", POD).with("profile", Role::Profile, profile).with("cluster", Role::Cluster, cluster);
        let loaded = sources.load().expect("loads");
        assert_eq!(loaded.bundle.cluster.as_ref().map(|c| c.region_id.as_str()), Some("cn-shanghai"));
        let bad_bool = loaded.diagnostics.iter().find(|d| d.input == Input::Profile).expect("profile diagnostic");
        let span = bad_bool.span.as_ref().expect("placed");
        assert_eq!((span.file.as_deref(), span.start.line), (Some("profile"), 4));
        let unknown = loaded.diagnostics.iter().find(|d| d.input == Input::Cluster).expect("cluster diagnostic");
        assert_eq!(unknown.span.as_ref().map(|s| (s.file.as_deref(), s.start.line)), Some((Some("cluster"), 2)));
    }

    #[test]
    fn syntax_errors_name_their_file() {
        let e = Sources::stream("pod", POD).with("objects", Role::Objects, "kind: [").load().expect_err("fails");
        assert_eq!(e.span.and_then(|s| s.file).as_deref(), Some("objects"));
    }
}
