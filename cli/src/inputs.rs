//! Reading the command line's inputs: files, standard input, the environment.

use std::collections::BTreeMap;
use std::io::Read;

use eci_bridge_core::admission::AdmissionCase;
use eci_bridge_core::cluster::{ClusterSettings, parse_cluster_document};
use eci_bridge_core::input::{parse_document, parse_documents};
use eci_bridge_core::limits::Limits;
use eci_bridge_core::sources::{Loaded, Role, Sources};
use eci_bridge_core::{Bundle, Diagnostic, EciProfile, Input, ObjectStore, parse_profile};
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
    let docs = parse_documents(&read_text(path)?, Input::Pod).map_err(|d| fail(d, path))?;
    Bundle::from_documents(&docs).map_err(|d| fail(d, path))
}

/// The command line's texts as [`Sources`]: `-f` is the stream, `--profile`,
/// `--cluster` and `--objects` override or extend it. Diagnostics are then
/// placed by file, line and column.
pub fn read_sources(
    path: &str,
    profile: Option<&str>,
    cluster: Option<&str>,
    objects: &[String],
) -> Result<Loaded, String> {
    let name = |p: &str| if p == "-" { "<stdin>".to_string() } else { p.to_string() };
    let mut sources = Sources::stream(&name(path), &read_text(path)?);
    if let Some(p) = profile {
        sources = sources.with(&name(p), Role::Profile, &read_text(p)?);
    }
    if let Some(p) = cluster {
        sources = sources.with(&name(p), Role::Cluster, &read_text(p)?);
    }
    for p in objects {
        sources = sources.with(&name(p), Role::Objects, &read_text(p)?);
    }
    sources.load().map_err(|d| render::diagnostic(&d))
}

/// Every document of a file.
pub fn read_documents(path: &str) -> Result<Vec<serde_json::Value>, String> {
    parse_documents(&read_text(path)?, Input::Pod).map_err(|d| fail(d, path))
}

/// An admission case: a review or pod, with the documents that travel with it.
pub fn read_admission_case(path: &str) -> Result<AdmissionCase, String> {
    let docs = parse_documents(&read_text(path)?, Input::Request).map_err(|d| fail(d, path))?;
    AdmissionCase::from_documents(&docs).map_err(|d| fail(d, path))
}

/// The eci-profile, when given.
pub fn read_profile(path: Option<&str>) -> Result<(Option<EciProfile>, Vec<Diagnostic>), String> {
    let Some(path) = path else { return Ok((None, Vec::new())) };
    let doc = parse_document(&read_text(path)?, Input::Profile).map_err(|d| fail(d, path))?;
    let (profile, diags) = parse_profile(&doc);
    Ok((Some(profile), diags))
}

/// Cluster settings.
pub fn read_cluster(path: &str) -> Result<(ClusterSettings, Vec<Diagnostic>), String> {
    let doc = parse_document(&read_text(path)?, Input::Cluster).map_err(|d| fail(d, path))?;
    match parse_cluster_document(&doc) {
        (Some(settings), diags) => Ok((settings, diags)),
        (None, diags) => Err(diags.iter().map(render::diagnostic).collect::<Vec<_>>().join("\n")),
    }
}

/// Every object file, in order.
pub fn read_objects(paths: &[String]) -> Result<(ObjectStore, Vec<Diagnostic>), String> {
    let mut docs = Vec::new();
    for path in paths {
        let input = Input::Object(path.clone());
        docs.extend(parse_documents(&read_text(path)?, input).map_err(|d| fail(d, path))?);
    }
    Ok(ObjectStore::from_documents(&docs))
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
