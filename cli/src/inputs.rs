//! Reading the command line's inputs: files, standard input, the environment.

use std::collections::BTreeMap;
use std::io::Read;

use eci_bridge_core::Limits;
use eci_bridge_core::admission::AdmissionOptions;
use eci_bridge_core::admission::case::settings_from_document;
use eci_bridge_core::cluster::{ClusterSettings, parse_cluster_document};
use eci_bridge_core::{Bundle, Diagnostic, EciProfile, Input, ObjectStore, parse_profile};
use eci_bridge_core::{Placement, document_of};
use eci_bridge_core::{parse_document, parse_documents};
use serde_json::Value;

use crate::render;

/// Reads a file, or standard input for `-`: at most the core's text limit
/// (one byte more is read to tell a breach), and UTF-8 only, with the place
/// of the first invalid byte.
pub fn read_text(path: &str) -> Result<String, String> {
    let limit = Limits::DEFAULT.max_text_bytes;
    let mut bytes = Vec::new();
    let name = if path == "-" { "standard input".to_string() } else { path.to_string() };
    let read = if path == "-" {
        std::io::stdin().lock().take(limit as u64 + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit as u64 + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| format!("error: cannot read {name}: {e}"))?;
    if bytes.len() > limit {
        return Err(format!(
            "error[limit-exceeded]: {name} is larger than {limit} bytes; eci-bridge reads at most {limit} bytes of one input"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[line_start..]).chars().count() + 1;
        format!(
            "error[syntax]: {name} is not UTF-8: invalid byte 0x{:02x} at byte offset {} ({name}:{line}:{column})",
            e.as_bytes()[valid.len()],
            valid.len()
        )
    })
}

fn fail(d: Diagnostic, path: &str) -> String {
    format!("{}\n  (in {path})", render::diagnostic(&d))
}

/// A pod (or workload) with the documents that travel with it.
pub fn read_bundle(path: &str) -> Result<Bundle, String> {
    let stream = Stream::read(&[path])?;
    Bundle::from_documents(&stream.docs).map_err(|d| stream.fail(d))
}

/// Documents read from one or more files, with what it takes to place a
/// diagnostic in them: file, line and column for every command, not only
/// for those that read through [`Sources`].
pub struct Stream {
    /// The documents of every file, in order.
    pub docs: Vec<Value>,
    texts: Placement,
}

fn display_name(path: &str) -> String {
    if path == "-" { "<stdin>".to_string() } else { path.to_string() }
}

impl Stream {
    /// Reads every file; a syntax error or a breached limit is placed in its file.
    pub fn read(paths: &[&str]) -> Result<Stream, String> {
        let mut stream = Stream { docs: Vec::new(), texts: Placement::default() };
        for path in paths {
            let name = display_name(path);
            let text = read_text(path)?;
            let docs = parse_documents(&text, Input::Stream).map_err(|mut d| {
                match d.span.as_mut() {
                    Some(span) => span.file = Some(name.clone()),
                    None => d.message = format!("{}: {}", name, d.message),
                }
                render::diagnostic(&d)
            })?;
            stream.texts.add(&name, &text, docs.len());
            stream.docs.extend(docs);
        }
        Ok(stream)
    }

    /// Places every diagnostic that has no span yet, by the document its input names.
    pub fn place(&self, diagnostics: &mut [Diagnostic]) {
        let at: Vec<Option<(usize, String)>> =
            diagnostics.iter().map(|d| document_of(&self.docs, &d.input, &d.pointer)).collect();
        self.texts.place(diagnostics, &at);
    }

    /// Places diagnostics about document `doc` (pointers prefixed with `prefix`).
    pub fn place_in(&self, doc: usize, prefix: &str, diagnostics: &mut [Diagnostic]) {
        let at: Vec<Option<(usize, String)>> =
            diagnostics.iter().map(|d| Some((doc, format!("{prefix}{}", d.pointer)))).collect();
        self.texts.place(diagnostics, &at);
    }

    /// A reading error, placed and rendered.
    pub fn fail(&self, mut d: Diagnostic) -> String {
        self.place(std::slice::from_mut(&mut d));
        render::diagnostic(&d)
    }

    /// The index of the only document, or of the first that `pick` accepts.
    fn pick(&self, pick: impl Fn(&Value) -> bool, what: &str) -> Result<usize, String> {
        match self.docs.iter().position(pick) {
            Some(i) => Ok(i),
            None if self.docs.len() == 1 => Ok(0),
            None => Err(format!(
                "error: no {what} among the {} documents of {}",
                self.docs.len(),
                self.texts.names().join(", ")
            )),
        }
    }
}

/// The eci-profile, when given: the eci-profile ConfigMap of the file's
/// stream (or its only document), diagnostics placed.
pub fn read_profile(path: Option<&str>) -> Result<(Option<EciProfile>, Vec<Diagnostic>), String> {
    let Some(path) = path else { return Ok((None, Vec::new())) };
    let stream = Stream::read(&[path])?;
    let at = stream
        .pick(eci_bridge_core::profile::is_profile_document, "eci-profile ConfigMap (kube-system/eci-profile)")?;
    let (profile, mut diags) = parse_profile(&stream.docs[at]);
    stream.place_in(at, "", &mut diags);
    Ok((Some(profile), diags))
}

/// Cluster settings: the ClusterSettings document of the file's stream (or
/// its only document, bare settings or an env list), diagnostics placed.
pub fn read_cluster(path: &str) -> Result<(ClusterSettings, Vec<Diagnostic>), String> {
    let stream = Stream::read(&[path])?;
    let kind = eci_bridge_core::cluster::CLUSTER_SETTINGS_KIND;
    let at = stream.pick(|d| d.get("kind").and_then(Value::as_str) == Some(kind), "ClusterSettings document")?;
    let doc = &stream.docs[at];
    let prefix = if doc.get("kind").is_some() { "/settings" } else { "" };
    let (settings, mut diags) = parse_cluster_document(doc);
    stream.place_in(at, prefix, &mut diags);
    match settings {
        Some(settings) => Ok((settings, diags)),
        None => Err(diags.iter().map(render::diagnostic).collect::<Vec<_>>().join("\n")),
    }
}

/// Webhook settings: the AdmissionSettings document of the file's stream
/// (or its only document), diagnostics placed.
pub fn read_admission_settings(path: &str) -> Result<(AdmissionOptions, Vec<Diagnostic>), String> {
    let stream = Stream::read(&[path])?;
    let kind = eci_bridge_core::admission::case::ADMISSION_SETTINGS_KIND;
    let at = stream.pick(|d| d.get("kind").and_then(Value::as_str) == Some(kind), "AdmissionSettings document")?;
    let label = eci_bridge_core::diagnostics::Input::Object(format!("document {}", at + 1));
    let (options, mut diags) = settings_from_document(&stream.docs[at], label).map_err(|d| stream.fail(d))?;
    stream.place_in(at, "", &mut diags);
    Ok((options, diags))
}

/// Every object file, in order.
pub fn read_objects(paths: &[String]) -> Result<(ObjectStore, Vec<Diagnostic>), String> {
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let stream = Stream::read(&refs)?;
    let (store, mut diags) = ObjectStore::from_documents(&stream.docs);
    stream.place(&mut diags);
    Ok((store, diags))
}

/// `k=v,k2=v2`.
pub fn parse_labels(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut labels = BTreeMap::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (k, v) =
            item.split_once('=').ok_or_else(|| format!("error: --namespace-labels item `{item}` is not key=value"))?;
        labels.insert(k.trim().to_string(), v.trim().to_string());
    }
    Ok(labels)
}

/// A request document for `sign`: a JSON (or YAML) object.
pub fn read_request(path: &str) -> Result<Value, String> {
    let doc = parse_document(&read_text(path)?, Input::Request).map_err(|d| fail(d, path))?;
    if doc.is_object() {
        Ok(doc)
    } else {
        Err(format!("error: {path} must hold one JSON object of request parameters"))
    }
}

/// The AccessKey secret, from a file or an environment variable (never
/// argv). An empty secret is refused: signing with it succeeds silently and
/// fails only at the server. Errors never echo the variable's name: a user
/// who typed `--access-key-secret-env "$SECRET"` would see the secret.
pub fn read_secret(file: Option<&str>, env: Option<&str>) -> Result<String, String> {
    let secret = match (file, env) {
        (Some(f), _) => read_text(f)?.trim_end_matches(['\r', '\n']).to_string(),
        (None, Some(var)) => read_env(var, "--access-key-secret-env")?,
        (None, None) => return Err("error: give --access-key-secret-file or --access-key-secret-env".into()),
    };
    if secret.trim().is_empty() {
        let from = if file.is_some() {
            "the file given by --access-key-secret-file"
        } else {
            "the environment variable given by --access-key-secret-env"
        };
        return Err(format!("error: the AccessKey secret is empty ({from}); refusing to sign with an empty secret"));
    }
    Ok(secret)
}

/// An environment variable named by `flag`; the error does not repeat the name.
pub fn read_env(var: &str, flag: &str) -> Result<String, String> {
    std::env::var(var).map_err(|_| format!("error: the environment variable given by {flag} is not set (or not UTF-8)"))
}
