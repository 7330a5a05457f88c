//! `eci-bridge check`: every workload of a repository of manifests, judged
//! by the core ([`eci_bridge_core::check`]). This file reads the files and
//! the configuration, renders the report (text, JSON, SARIF, GitHub
//! annotations) and turns its outcome into the exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use eci_bridge_core::check::{CheckConfig, CheckFile, CheckOptions, CheckReport, Outcome, Resources, check};
use eci_bridge_core::escape_text;
use eci_bridge_core::format_vcpu;
use eci_bridge_core::{ClusterSettings, Code, Diagnostic, ObjectStore, Severity};
use serde_json::{Value, json};

use crate::{inputs, render};

/// The configuration file looked up in the current directory.
pub const CONFIG_FILE: &str = ".eci-bridge.yaml";

/// What to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One block per workload, then a summary table.
    Text,
    /// The report as JSON.
    Json,
    /// SARIF 2.1.0: one result per diagnostic.
    Sarif,
    /// GitHub workflow annotations (`::error file=…,line=…::…`).
    Github,
}

/// Flags of `eci-bridge check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A manifest file, a directory (its *.yaml, *.yml and *.json files) or
    /// `-` for standard input; may be repeated.
    #[arg(short = 'f', long = "filename", required = true)]
    files: Vec<String>,
    /// Read directories recursively.
    #[arg(short = 'R', long)]
    recursive: bool,
    /// The eci-profile ConfigMap (overrides the configuration file's).
    #[arg(long)]
    profile: Option<String>,
    /// Cluster settings (overrides the configuration file's); without any,
    /// the built-in example cluster in cn-hangzhou.
    #[arg(long)]
    cluster: Option<String>,
    /// More ConfigMaps, Secrets, claims and volumes; may be repeated.
    #[arg(long)]
    objects: Vec<String>,
    /// What to print.
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    output: Format,
    /// Fail (exit 2) on warnings too.
    #[arg(long)]
    strict: bool,
    /// The configuration file (default: ./.eci-bridge.yaml when it exists).
    #[arg(long)]
    config: Option<String>,
}

/// Runs the check.
pub fn run(args: CheckArgs) -> Result<ExitCode, String> {
    let (config, base) = read_config(args.config.as_deref())?;
    let relative = |p: &String| base.join(p).to_string_lossy().into_owned();
    let profile_path = args.profile.clone().or_else(|| config.profile.as_ref().map(relative));
    let cluster_path = args.cluster.clone().or_else(|| config.cluster.as_ref().map(relative));
    let mut object_paths: Vec<String> = config.objects.iter().map(relative).collect();
    object_paths.extend(args.objects.iter().cloned());

    let (profile, profile_diags) = inputs::read_profile(profile_path.as_deref())?;
    let (cluster, cluster_diags) = match &cluster_path {
        Some(p) => inputs::read_cluster(p)?,
        None => (ClusterSettings::example(), Vec::new()),
    };
    let (objects, object_diags) =
        if object_paths.is_empty() { (ObjectStore::new(), Vec::new()) } else { inputs::read_objects(&object_paths)? };
    for d in profile_diags.iter().chain(&cluster_diags).chain(&object_diags) {
        render::err(&render::paint(&render::diagnostic(d)));
    }

    let mut files = Vec::new();
    for path in &args.files {
        collect(path, args.recursive, &mut files)?;
    }
    let files: Vec<CheckFile> = files
        .into_iter()
        .map(|(name, path)| Ok(CheckFile { name, text: inputs::read_text(&path)? }))
        .collect::<Result<_, String>>()?;
    let report = check(
        &files,
        &CheckOptions { cluster: &cluster, profile: profile.as_ref(), objects: &objects, ignore: &config.ignore },
    );
    render::out(&match args.output {
        Format::Text => text(&report),
        Format::Json => render::json(&serde_json::to_value(&report).unwrap_or(Value::Null)),
        Format::Sarif => render::json(&sarif(&report)),
        Format::Github => github(&report),
    });
    Ok(match report.outcome(args.strict) {
        Outcome::Clean => ExitCode::SUCCESS,
        Outcome::Rejected => ExitCode::from(2),
        Outcome::Unreadable => ExitCode::from(1),
    })
}

/// The configuration and the directory its paths are relative to.
fn read_config(path: Option<&str>) -> Result<(CheckConfig, PathBuf), String> {
    let path = match path {
        Some(p) => PathBuf::from(p),
        None if Path::new(CONFIG_FILE).is_file() => PathBuf::from(CONFIG_FILE),
        None => return Ok((CheckConfig::default(), PathBuf::new())),
    };
    let name = path.to_string_lossy().into_owned();
    let config = CheckConfig::parse(&inputs::read_text(&name)?).map_err(|mut d| {
        match d.span.as_mut() {
            Some(span) => span.file = Some(name.clone()),
            None => d.message = format!("{name}: {}", d.message),
        }
        render::diagnostic(&d)
    })?;
    Ok((config, path.parent().map(Path::to_path_buf).unwrap_or_default()))
}

/// Adds `path` (a file, `-`, or a directory) to `out` as (shown name, path to read).
fn collect(path: &str, recursive: bool, out: &mut Vec<(String, String)>) -> Result<(), String> {
    if path == "-" {
        out.push(("<stdin>".into(), "-".into()));
        return Ok(());
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("error: cannot read {path}: {e}"))?;
    if !meta.is_dir() {
        out.push((path.trim_start_matches("./").to_string(), path.to_string()));
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("error: cannot read the directory {path}: {e}"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("error: cannot read the directory {path}: {e}"))?;
    entries.sort();
    for entry in entries {
        let shown = entry.to_string_lossy().into_owned();
        // Symbolic links to directories are not followed (no loops); links to files are read.
        let link = std::fs::symlink_metadata(&entry).map(|m| m.file_type().is_symlink()).unwrap_or(false);
        if entry.is_dir() {
            if recursive && !link {
                collect(&shown, recursive, out)?;
            }
        } else if matches!(entry.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
            out.push((shown.trim_start_matches("./").to_string(), shown));
        }
    }
    Ok(())
}

fn resources(r: &Resources) -> String {
    format!("{} vCPU / {}", format_vcpu(r.cpu_millis), memory(r.memory_bytes))
}

/// Memory for people: whole MiB below 1 GiB, else GiB with at most two decimals.
fn memory(bytes: i128) -> String {
    const MIB: i128 = 1 << 20;
    if bytes < 1 << 30 {
        return format!("{} MiB", (bytes + MIB / 2) / MIB);
    }
    let hundredths = (bytes * 100 + (1 << 29)) >> 30;
    let text = format!("{}.{:02}", hundredths / 100, hundredths % 100);
    format!("{} GiB", text.trim_end_matches('0').trim_end_matches('.'))
}

fn percent(part: i128, whole: i128) -> String {
    if whole <= 0 { "0%".into() } else { format!("{}%", (part * 100 + whole / 2) / whole) }
}

fn place(d: &Diagnostic, fallback: &str, line: u64, column: u64) -> (String, u64, u64) {
    match &d.span {
        Some(s) => (s.file.clone().unwrap_or_else(|| fallback.to_string()), s.start.line, s.start.column),
        None => (fallback.to_string(), line, column),
    }
}

fn diagnostic_line(d: &Diagnostic, file: &str, line: u64, column: u64) -> String {
    let (file, line, column) = place(d, file, line, column);
    let mut s = format!(
        "  {}[{}] {}:{line}:{column}: {}",
        d.severity.as_str(),
        d.code.as_str(),
        escape_text(&file),
        escape_text(&d.message)
    );
    if let Some(help) = &d.help {
        s.push_str(&format!("\n      help: {}", escape_text(help)));
    }
    s
}

/// The text report.
pub fn text(report: &CheckReport) -> String {
    let mut out = String::new();
    for f in report.files.iter().filter(|f| !f.diagnostics.is_empty()) {
        out.push_str(&format!("{}: {}\n", escape_text(&f.name), if f.readable { "file" } else { "unreadable" }));
        for d in &f.diagnostics {
            out.push_str(&diagnostic_line(d, &f.name, 1, 1));
            out.push('\n');
        }
    }
    for w in &report.workloads {
        let size = match &w.instance {
            Some(i) => format!("  {}", escape_text(&i.spec)),
            None => String::new(),
        };
        out.push_str(&format!(
            "{}:{}:{}: {} {}/{}: {}{size}\n",
            escape_text(&w.file),
            w.line,
            w.column,
            escape_text(&w.kind),
            escape_text(&w.namespace),
            escape_text(&w.name),
            w.verdict.as_str(),
        ));
        if let Some(waste) = &w.waste {
            out.push_str(&format!("  asked {}; waste {}\n", resources(&w.requested), resources(waste)));
        }
        let mut sorted: Vec<&Diagnostic> = w.diagnostics.iter().collect();
        sorted.sort_by_key(|d| d.severity);
        for d in sorted {
            out.push_str(&diagnostic_line(d, &w.file, w.line, w.column));
            out.push('\n');
        }
        if w.silenced > 0 {
            out.push_str(&format!("  ({} silenced)\n", w.silenced));
        }
    }
    let s = &report.summary;
    out.push_str(&format!(
        "\n{} files ({} unreadable), {} documents, {} workloads: {} run on ECI, {} rejected, {} excused\n",
        s.files, s.unreadable, s.documents, s.workloads, s.runs, s.rejected, s.excused
    ));
    out.push_str(&format!(
        "{} errors, {} warnings, {} infos, {} silenced\n\n",
        s.errors, s.warnings, s.infos, s.silenced
    ));
    let width = s.kinds.iter().map(|k| k.kind.len()).max().unwrap_or(4).max(4);
    out.push_str(&format!(
        "{:<width$}  {:>9}  {:>4}  {:>8}  {:>7}\n",
        "kind", "workloads", "runs", "rejected", "excused"
    ));
    for k in &s.kinds {
        out.push_str(&format!(
            "{:<width$}  {:>9}  {:>4}  {:>8}  {:>7}\n",
            escape_text(&k.kind),
            k.workloads,
            k.runs,
            k.rejected,
            k.excused
        ));
    }
    if !s.codes.is_empty() {
        let width = s.codes.iter().map(|c| c.code.as_str().len()).max().unwrap_or(4).max(4);
        out.push_str(&format!("\n{:<width$}  {:<8}  {:>11}  {:>9}\n", "code", "severity", "diagnostics", "workloads"));
        for c in &s.codes {
            out.push_str(&format!(
                "{:<width$}  {:<8}  {:>11}  {:>9}\n",
                c.code.as_str(),
                c.severity.as_str(),
                c.diagnostics,
                c.workloads
            ));
        }
    }
    out.push_str(&format!(
        "\nworkloads that run, one pod each: instances {}, asked {}, waste {} ({} of vCPU, {} of memory)\n",
        resources(&s.instances),
        resources(&s.requested),
        resources(&s.waste),
        percent(s.waste.cpu_millis, s.instances.cpu_millis),
        percent(s.waste.memory_bytes, s.instances.memory_bytes),
    ));
    out
}

/// A file name as a SARIF `uri` (a relative reference): `<stdin>` is
/// `stdin`; characters outside the unreserved set and `/` are escaped.
fn uri(name: &str) -> String {
    let name = if name == "<stdin>" { "stdin" } else { name };
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Every shown diagnostic with the place to report it at.
fn located(report: &CheckReport) -> Vec<(&Diagnostic, String, u64, u64)> {
    let mut all = Vec::new();
    for f in &report.files {
        for d in &f.diagnostics {
            let (file, line, column) = place(d, &f.name, 1, 1);
            all.push((d, file, line, column));
        }
    }
    for w in &report.workloads {
        for d in &w.diagnostics {
            let (file, line, column) = place(d, &w.file, w.line, w.column);
            all.push((d, file, line, column));
        }
    }
    all
}

fn message(d: &Diagnostic) -> String {
    match &d.help {
        Some(help) => format!("{} (help: {help})", d.message),
        None => d.message.clone(),
    }
}

/// The SARIF 2.1.0 log.
pub fn sarif(report: &CheckReport) -> Value {
    let all = located(report);
    let mut codes: Vec<Code> = all.iter().map(|(d, ..)| d.code).collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| json!({"id": c.as_str(), "name": c.as_str(), "shortDescription": {"text": c.summary()}}))
        .collect();
    let results: Vec<Value> = all
        .iter()
        .map(|(d, file, line, column)| {
            let index = codes.iter().position(|c| *c == d.code).unwrap_or_default();
            json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": index,
                "level": level(d.severity),
                "message": {"text": message(d)},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri(file)},
                    "region": {"startLine": line, "startColumn": column},
                }}],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "eci-bridge",
                "version": eci_bridge_core::VERSION,
                "informationUri": "https://example.invalid/eci-bridge",
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// GitHub's workflow-command escaping: data escapes `%`, CR and LF; properties also `:` and `,`.
fn gh_escape(s: &str, property: bool) -> String {
    let mut out = s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

/// GitHub workflow annotations, one line per diagnostic.
pub fn github(report: &CheckReport) -> String {
    let mut out = String::new();
    for (d, file, line, column) in located(report) {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        out.push_str(&format!(
            "::{command} file={},line={line},col={column},title={}::{}\n",
            gh_escape(&escape_text(&file), true),
            gh_escape(d.code.as_str(), true),
            gh_escape(&escape_text(&message(d)), false),
        ));
    }
    out
}
