//! `check`: every workload of a repository of manifests, judged at once.
//!
//! The input is a set of named texts (files of a repository, `helm template`
//! output), each a YAML or JSON stream; the output is a [`CheckReport`]: for
//! every Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
//! … in every document (and every item of a `kind: List`), whether ECI
//! accepts it, the instance it gets, what it asked for and what the rounding
//! wastes, and its diagnostics placed by file, line and column; then a
//! summary. Nothing here reads a file: the caller passes the texts.
//!
//! ## Choices where the issue is silent
//! - **Objects are shared by namespace across all the texts.** ConfigMaps,
//!   Secrets, claims and volumes found in any text (and `--objects`) are
//!   available to the workloads of their namespace, wherever they are: a
//!   chart's ConfigMap often lives in its own file. A `Namespace` document
//!   gives its labels to the workloads in it.
//! - **"Asked for"** is what Kubernetes would reserve for the pod: its
//!   pod-level requests if any; else the sum over app containers (and
//!   restartable init containers, i.e. sidecars) of each container's request
//!   (its limit when the request is absent, as the API server defaults it),
//!   or the largest ordinary init container if that is more. **Waste** is
//!   the instance's vCPU and memory less that, never below zero, per pod
//!   (replicas are not multiplied).
//! - **A file that cannot be parsed** is reported (its syntax error placed)
//!   and the others are still checked; the outcome is then
//!   [`Outcome::Unreadable`], which outranks a rejection.
//! - **Silenced codes** ([`IgnoreRule`]) are removed from the output and
//!   counted; a workload rejected only by silenced errors is
//!   [`Verdict::Excused`]: it still does not run on ECI, but the user said
//!   they know, so it does not fail the check.
//! - Documents without `kind`, and kinds that hold no pod, are counted but
//!   not checked (a repository holds values files and patches too).
//! - **A ConfigMap or Secret no text supplies** is a warning and a
//!   placeholder (`<missing: configmap/NAME key KEY>`), as in `translate`:
//!   a check previews; `--strict` fails on it like on any warning.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cluster::ClusterSettings;
use crate::diagnostics::{Code, Diagnostic, Input, Severity, Span, compact};
use crate::input::{WORKLOAD_TEMPLATES, parse_documents, pod_from_document, unknown_pod_fields};
use crate::limits::Limits;
use crate::objects::ObjectStore;
use crate::profile::EciProfile;
use crate::quantity::Quantity;
use crate::sizing::InstanceSize;
use crate::sources::Placement;
use crate::translate::{TranslateInput, translate};

/// One named text to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckFile {
    /// Its name as shown (a path relative to where the user ran the check).
    pub name: String,
    /// The YAML or JSON text.
    pub text: String,
}

/// Silences `codes` in the files whose name matches `path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRule {
    /// A glob over file names: `*` and `?` within one path segment, `**`
    /// across segments. Absent: every file.
    #[serde(default)]
    pub path: Option<String>,
    /// The diagnostic codes to silence (kebab-case, e.g. `unknown-field`).
    pub codes: Vec<Code>,
}

impl IgnoreRule {
    /// True when this rule silences `code` in `file`.
    pub fn silences(&self, file: &str, code: Code) -> bool {
        self.codes.contains(&code) && self.path.as_deref().is_none_or(|p| glob_match(p, file))
    }
}

/// The `.eci-bridge.yaml` configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    /// The eci-profile ConfigMap file, relative to the configuration file.
    #[serde(default)]
    pub profile: Option<String>,
    /// The cluster settings file, relative to the configuration file.
    #[serde(default)]
    pub cluster: Option<String>,
    /// Object files (ConfigMaps, Secrets, …), relative to the configuration file.
    #[serde(default)]
    pub objects: Vec<String>,
    /// Codes silenced per path.
    #[serde(default)]
    pub ignore: Vec<IgnoreRule>,
}

impl CheckConfig {
    /// Reads a configuration text. An unknown key or code is an error with its pointer.
    pub fn parse(text: &str) -> Result<CheckConfig, Diagnostic> {
        let docs = parse_documents(text, Input::Options)?;
        match docs.as_slice() {
            [] => Ok(CheckConfig::default()),
            [doc] => crate::input::from_value(doc, Input::Options),
            _ => Err(Diagnostic::pod(Severity::Error, Code::Schema, "", "the configuration must be one document")
                .on(Input::Options)),
        }
    }
}

/// Matches `path` against a glob: `*` any characters but `/`, `?` one
/// character but `/`, `**` as a whole segment any number of segments. A
/// leading `./` is ignored on both sides.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    let clean = |s: &str| s.trim_start_matches("./").to_string();
    let (pattern, path) = (clean(pattern), clean(path));
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match_segments(&pat, &segs)
}

fn match_segments(pat: &[&str], segs: &[&str]) -> bool {
    match pat.split_first() {
        None => segs.is_empty(),
        Some((&"**", rest)) => (0..=segs.len()).any(|skip| match_segments(rest, &segs[skip..])),
        Some((p, rest)) => {
            segs.split_first().is_some_and(|(s, more)| match_segment(p, s) && match_segments(rest, more))
        }
    }
}

fn match_segment(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Classic wildcard matching with one backtrack point for the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// What the check is run with besides the texts.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions<'a> {
    /// The provider's settings.
    pub cluster: &'a ClusterSettings,
    /// The eci-profile, when given.
    pub profile: Option<&'a EciProfile>,
    /// Objects given apart from the texts (`--objects`).
    pub objects: &'a ObjectStore,
    /// Codes silenced per path.
    pub ignore: &'a [IgnoreRule],
}

/// vCPU and memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    /// vCPU in thousandths.
    pub cpu_millis: i128,
    /// Memory in bytes.
    pub memory_bytes: i128,
}

impl Resources {
    fn add(&mut self, other: Resources) {
        self.cpu_millis += other.cpu_millis;
        self.memory_bytes += other.memory_bytes;
    }

    fn max(self, other: Resources) -> Resources {
        Resources {
            cpu_millis: self.cpu_millis.max(other.cpu_millis),
            memory_bytes: self.memory_bytes.max(other.memory_bytes),
        }
    }

    fn saturating_sub(self, other: Resources) -> Resources {
        Resources {
            cpu_millis: (self.cpu_millis - other.cpu_millis).max(0),
            memory_bytes: (self.memory_bytes - other.memory_bytes).max(0),
        }
    }
}

/// The instance a workload's pods get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    /// `2-4Gi`, an ECS type such as `ecs.c6.xlarge`, or the entries of `eci-use-specs`.
    pub spec: String,
    /// Its vCPU and memory, when known (a `<cpu>-<memory>Gi` spec).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// How it was chosen: `derived` (rounded up from the containers),
    /// `useSpecs` (the `eci-use-specs` annotation), `armDefault`.
    pub from: String,
}

/// Whether a workload runs on ECI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// ECI accepts it.
    Runs,
    /// ECI rejects it.
    Rejected,
    /// ECI rejects it, but only for codes the configuration silences.
    Excused,
}

impl Verdict {
    /// The word used in renderings.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Runs => "runs",
            Verdict::Rejected => "rejected",
            Verdict::Excused => "excused",
        }
    }
}

/// One workload, judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadReport {
    /// The file it is in.
    pub file: String,
    /// Where its document (or List item) starts.
    pub line: u64,
    /// See `line`.
    pub column: u64,
    /// The pointer of the object inside its document (`""`, or `/items/3` in a List).
    pub pointer: String,
    /// `Deployment`, `StatefulSet`, …
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, else `default`.
    pub namespace: String,
    /// Whether it runs on ECI.
    pub verdict: Verdict,
    /// The instance its pods get (absent when nothing fits or the pod could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<Instance>,
    /// What the pod asks Kubernetes for.
    pub requested: Resources,
    /// The instance less what was asked for (when the instance's size is known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waste: Option<Resources>,
    /// Its diagnostics, placed; silenced ones left out.
    pub diagnostics: Vec<Diagnostic>,
    /// How many diagnostics the configuration silenced.
    pub silenced: usize,
}

/// One file, read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileReport {
    /// Its name.
    pub name: String,
    /// How many documents it holds (List items not counted).
    pub documents: usize,
    /// How many workloads it holds.
    pub workloads: usize,
    /// False when it could not be parsed.
    pub readable: bool,
    /// Problems with the file itself: a syntax error, a malformed object.
    pub diagnostics: Vec<Diagnostic>,
}

/// Workloads of one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindRow {
    /// The kind.
    pub kind: String,
    /// How many.
    pub workloads: usize,
    /// How many run on ECI.
    pub runs: usize,
    /// How many are rejected.
    pub rejected: usize,
    /// How many are rejected for silenced codes only.
    pub excused: usize,
}

/// Diagnostics of one code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeRow {
    /// The code.
    pub code: Code,
    /// Its severity.
    pub severity: Severity,
    /// How many diagnostics.
    pub diagnostics: usize,
    /// In how many workloads.
    pub workloads: usize,
}

/// The whole run in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Files read.
    pub files: usize,
    /// Files that could not be parsed.
    pub unreadable: usize,
    /// Documents read.
    pub documents: usize,
    /// Workloads found.
    pub workloads: usize,
    /// Workloads that run on ECI.
    pub runs: usize,
    /// Workloads ECI rejects.
    pub rejected: usize,
    /// Workloads rejected for silenced codes only.
    pub excused: usize,
    /// Diagnostics shown, by severity.
    pub errors: usize,
    /// See `errors`.
    pub warnings: usize,
    /// See `errors`.
    pub infos: usize,
    /// Diagnostics silenced by the configuration.
    pub silenced: usize,
    /// Per kind, by name.
    pub kinds: Vec<KindRow>,
    /// Per code and severity, most frequent first.
    pub codes: Vec<CodeRow>,
    /// The instances of the workloads that run, one pod each.
    pub instances: Resources,
    /// What those workloads ask for.
    pub requested: Resources,
    /// What the rounding wastes in those workloads.
    pub waste: Resources,
}

/// How the check ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Every workload runs on ECI (and, when strict, without warnings).
    Clean,
    /// A workload is rejected (or, when strict, has a warning).
    Rejected,
    /// A file could not be parsed.
    Unreadable,
}

/// The report of one check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    /// Every file, in the order given.
    pub files: Vec<FileReport>,
    /// Every workload, in file and document order.
    pub workloads: Vec<WorkloadReport>,
    /// The numbers.
    pub summary: Summary,
}

impl CheckReport {
    /// The outcome; `strict` counts warnings as failures.
    pub fn outcome(&self, strict: bool) -> Outcome {
        if self.summary.unreadable > 0 {
            Outcome::Unreadable
        } else if self.summary.rejected > 0
            || (strict && self.workloads.iter().flat_map(|w| &w.diagnostics).any(|d| d.severity == Severity::Warning))
        {
            Outcome::Rejected
        } else {
            Outcome::Clean
        }
    }

    /// Every shown diagnostic, file-level first, then per workload.
    pub fn diagnostics(&self) -> impl Iterator<Item = (&str, &Diagnostic)> {
        let files = self.files.iter().flat_map(|f| f.diagnostics.iter().map(move |d| (f.name.as_str(), d)));
        files.chain(self.workloads.iter().flat_map(|w| w.diagnostics.iter().map(move |d| (w.file.as_str(), d))))
    }
}

fn is_pod_kind(kind: &str) -> bool {
    kind == "Pod" || WORKLOAD_TEMPLATES.iter().any(|(k, _)| *k == kind)
}

/// The kinds [`ObjectStore`] reads: what pods reference, and Lists of them.
const STORED_KINDS: &[&str] = &[
    "ConfigMap",
    "Secret",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "TokenRequest",
    "List",
    "ConfigMapList",
    "SecretList",
];

fn kind_of(doc: &Value) -> Option<&str> {
    doc.get("kind").and_then(Value::as_str)
}

fn meta<'a>(doc: &'a Value, field: &str) -> Option<&'a str> {
    doc.get("metadata").and_then(|m| m.get(field)).and_then(Value::as_str)
}

/// The objects of each file (a List's items in its place, as every mode
/// reads them), each with its pointer in its document (`/items/N` in a
/// List), and where they are.
struct Parsed {
    objects: Vec<Vec<(Value, String)>>,
    placements: Vec<Placement>,
}

/// Checks every workload of every text.
pub fn check(files: &[CheckFile], options: &CheckOptions<'_>) -> CheckReport {
    let mut reports: Vec<FileReport> = Vec::new();
    let mut parsed = Parsed { objects: Vec::new(), placements: Vec::new() };
    for file in files {
        let mut placement = Placement::default();
        let mut report =
            FileReport { name: file.name.clone(), documents: 0, workloads: 0, readable: true, diagnostics: Vec::new() };
        let docs = match parse_documents(&file.text, Input::Stream) {
            Ok(docs) => docs,
            Err(mut d) => {
                match d.span.as_mut() {
                    Some(span) => span.file = Some(file.name.clone()),
                    None => d.span = Some(file_start(&file.name)),
                }
                report.readable = false;
                report.diagnostics.push(d);
                Vec::new()
            }
        };
        report.documents = docs.len();
        let flat = crate::input::flatten_lists(docs);
        placement.add_flattened(&file.name, &file.text, flat.iter().map(|(_, j, prefix)| (*j, prefix.clone())));
        reports.push(report);
        parsed.objects.push(flat.into_iter().map(|(object, _, prefix)| (object, prefix)).collect());
        parsed.placements.push(placement);
    }

    // Objects and namespace labels, from every text (and --objects).
    let mut objects = options.objects.clone();
    let mut namespaces: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (f, file_objects) in parsed.objects.iter().enumerate() {
        // Diagnostics name their object's place in the file as written
        // (`document 2`, `document 1 item 3`); spans come from its index.
        let labelled: Vec<(String, usize)> = parsed.placements[f]
            .origins()
            .enumerate()
            .map(|(i, (doc, prefix))| {
                let item = prefix.rsplit('/').next().and_then(|m| m.parse::<usize>().ok());
                let label = match item {
                    Some(m) => format!("document {} item {}", doc + 1, m + 1),
                    None => format!("document {}", doc + 1),
                };
                (label, i)
            })
            .collect();
        let labels: BTreeMap<&str, usize> = labelled.iter().map(|(label, i)| (label.as_str(), *i)).collect();
        // What the object store reads (a List's item without a kind too, so
        // it is reported); workloads and other kinds are not its business.
        let stored =
            labelled.iter().map(|(label, i)| (label.clone(), &file_objects[*i])).filter_map(|(label, (o, prefix))| {
                let read = match kind_of(o) {
                    Some(kind) => STORED_KINDS.contains(&kind),
                    None => !prefix.is_empty(),
                };
                read.then_some((label, o))
            });
        let (store, mut diags) = ObjectStore::from_labelled(stored);
        objects.merge(store);
        let at: Vec<Option<(usize, String)>> = diags
            .iter()
            .map(|d| match &d.input {
                Input::Object(label) => labels.get(label.as_str()).map(|&i| (i, d.pointer.clone())),
                _ => None,
            })
            .collect();
        parsed.placements[f].place(&mut diags, &at);
        reports[f].diagnostics.extend(diags);
        for (o, _) in file_objects {
            if kind_of(o) == Some("Namespace")
                && let Some(name) = meta(o, "name")
            {
                let labels = o
                    .pointer("/metadata/labels")
                    .and_then(Value::as_object)
                    .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
                    .unwrap_or_default();
                namespaces.insert(name.to_string(), labels);
            }
        }
    }

    let no_labels = BTreeMap::new();
    let mut workloads = Vec::new();
    for (f, file_objects) in parsed.objects.iter().enumerate() {
        let placement = &parsed.placements[f];
        let name = &files[f].name;
        for (i, (object, prefix)) in file_objects.iter().enumerate() {
            let Some(kind) = kind_of(object).filter(|k| is_pod_kind(k)) else { continue };
            let mut w = judge(object, kind, options, &objects, &namespaces, &no_labels);
            w.file = name.clone();
            w.pointer = prefix.clone();
            if let Some(span) = placement.span(i, "") {
                (w.line, w.column) = (span.start.line, span.start.column);
            }
            let at: Vec<Option<(usize, String)>> =
                w.diagnostics.iter().map(|d| (d.input == Input::Pod).then(|| (i, d.pointer.clone()))).collect();
            placement.place(&mut w.diagnostics, &at);
            silence(&mut w, options.ignore);
            reports[f].workloads += 1;
            workloads.push(w);
        }
    }
    for report in &mut reports {
        let name = report.name.clone();
        // A syntax error is never silenced: nothing in its file was checked.
        report.diagnostics.retain(|d| {
            d.code == Code::Syntax || !options.ignore.iter().any(|r| r.silences(file_of(d, &name), d.code))
        });
    }
    let summary = summarize(&reports, &workloads);
    CheckReport { files: reports, workloads, summary }
}

fn file_start(name: &str) -> Span {
    let at = crate::diagnostics::TextLocation { line: 1, column: 1 };
    Span { file: Some(name.to_string()), start: at, end: at }
}

fn file_of<'a>(d: &'a Diagnostic, fallback: &'a str) -> &'a str {
    d.span.as_ref().and_then(|s| s.file.as_deref()).unwrap_or(fallback)
}

fn silence(w: &mut WorkloadReport, ignore: &[IgnoreRule]) {
    let rejected = w.diagnostics.iter().any(Diagnostic::is_error);
    let before = w.diagnostics.len();
    let file = w.file.clone();
    w.diagnostics.retain(|d| !ignore.iter().any(|r| r.silences(file_of(d, &file), d.code)));
    w.silenced = before - w.diagnostics.len();
    if rejected && !w.diagnostics.iter().any(Diagnostic::is_error) {
        w.verdict = Verdict::Excused;
    }
}

/// Translates one workload and sizes it.
fn judge(
    doc: &Value,
    kind: &str,
    options: &CheckOptions<'_>,
    objects: &ObjectStore,
    namespaces: &BTreeMap<String, BTreeMap<String, String>>,
    no_labels: &BTreeMap<String, String>,
) -> WorkloadReport {
    let mut w = WorkloadReport {
        file: String::new(),
        line: 1,
        column: 1,
        pointer: String::new(),
        kind: kind.to_string(),
        name: meta(doc, "name").unwrap_or_default().to_string(),
        namespace: meta(doc, "namespace").unwrap_or("default").to_string(),
        verdict: Verdict::Rejected,
        instance: None,
        requested: Resources::default(),
        waste: None,
        diagnostics: Vec::new(),
        silenced: 0,
    };
    let (pod, source) = match pod_from_document(doc) {
        Ok(read) => read,
        Err(d) => {
            w.diagnostics.push(d);
            return w;
        }
    };
    let mut diagnostics = unknown_pod_fields(doc, &pod, &source);
    let labels = namespaces.get(&w.namespace).unwrap_or(no_labels);
    let mut t = translate(&TranslateInput {
        pod: &pod,
        namespace_labels: labels,
        cluster: options.cluster,
        profile: options.profile,
        objects,
        // A check previews: a missing ConfigMap or Secret is a warning (an error under --strict's rule).
        missing_objects: crate::translate::MissingObjects::Placeholder,
    });
    t.relocate(&source);
    diagnostics.append(&mut t.diagnostics);
    w.verdict = if crate::diagnostics::has_errors(&diagnostics) { Verdict::Rejected } else { Verdict::Runs };
    w.diagnostics = compact(diagnostics, Limits::DEFAULT.max_diagnostics_per_code);
    w.requested = requested(&pod);
    w.instance = instance_of(&t.sizing.instance);
    w.waste = w.instance.as_ref().and_then(|i| i.resources).map(|size| size.saturating_sub(w.requested));
    w
}

fn instance_of(size: &InstanceSize) -> Option<Instance> {
    match size {
        InstanceSize::Derived { spec, .. } => Some(Instance {
            spec: spec.name(),
            resources: Some(Resources { cpu_millis: spec.cpu_millis, memory_bytes: spec.memory_bytes() }),
            from: "derived".into(),
        }),
        InstanceSize::UseSpecs { specs } => {
            // ECI takes the first entry it has stock for; the first is what the pod is sized as.
            let resources = specs.0.first().and_then(|s| match s {
                crate::sizing::UseSpec::CpuMemory { cpu_millis, memory_bytes, .. } => {
                    Some(Resources { cpu_millis: *cpu_millis, memory_bytes: *memory_bytes })
                }
                _ => None,
            });
            Some(Instance { spec: specs.entries().join(","), resources, from: "useSpecs".into() })
        }
        InstanceSize::ArmDefault => Some(Instance {
            spec: crate::sizing::ARM_DEFAULT_INSTANCE_TYPE.into(),
            resources: None,
            from: "armDefault".into(),
        }),
        InstanceSize::TooLarge => None,
    }
}

fn quantity(
    map: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
    name: &str,
    millis: bool,
) -> Option<i128> {
    let q = Quantity::parse(&map?.get(name)?.0).ok().filter(|q| !q.is_negative())?;
    if millis { q.millis_ceil() } else { q.units_ceil() }
}

/// What one set of requirements asks for: each request, else its limit.
fn asked(r: Option<&k8s_openapi::api::core::v1::ResourceRequirements>) -> Resources {
    let Some(r) = r else { return Resources::default() };
    let one = |name: &str, millis: bool| {
        quantity(r.requests.as_ref(), name, millis).or_else(|| quantity(r.limits.as_ref(), name, millis)).unwrap_or(0)
    };
    Resources { cpu_millis: one("cpu", true), memory_bytes: one("memory", false) }
}

/// What Kubernetes reserves for the pod (see the module docs).
fn requested(pod: &k8s_openapi::api::core::v1::Pod) -> Resources {
    let Some(spec) = pod.spec.as_ref() else { return Resources::default() };
    let pod_level = asked(spec.resources.as_ref());
    if pod_level != Resources::default() {
        return pod_level;
    }
    let mut sum = Resources::default();
    for c in &spec.containers {
        sum.add(asked(c.resources.as_ref()));
    }
    let mut largest_init = Resources::default();
    for c in spec.init_containers.iter().flatten() {
        if c.restart_policy.as_deref() == Some("Always") {
            sum.add(asked(c.resources.as_ref()));
        } else {
            largest_init = largest_init.max(asked(c.resources.as_ref()));
        }
    }
    sum.max(largest_init)
}

fn summarize(files: &[FileReport], workloads: &[WorkloadReport]) -> Summary {
    let mut s = Summary {
        files: files.len(),
        unreadable: files.iter().filter(|f| !f.readable).count(),
        documents: files.iter().map(|f| f.documents).sum(),
        workloads: workloads.len(),
        ..Summary::default()
    };
    let mut kinds: BTreeMap<&str, KindRow> = BTreeMap::new();
    let mut codes: BTreeMap<(Code, Severity), (usize, usize)> = BTreeMap::new();
    for w in workloads {
        let row = kinds.entry(&w.kind).or_insert_with(|| KindRow { kind: w.kind.clone(), ..KindRow::default() });
        row.workloads += 1;
        match w.verdict {
            Verdict::Runs => {
                row.runs += 1;
                s.runs += 1;
                if let (Some(size), Some(waste)) = (w.instance.as_ref().and_then(|i| i.resources), w.waste) {
                    s.instances.add(size);
                    s.requested.add(w.requested);
                    s.waste.add(waste);
                }
            }
            Verdict::Rejected => {
                row.rejected += 1;
                s.rejected += 1;
            }
            Verdict::Excused => {
                row.excused += 1;
                s.excused += 1;
            }
        }
        s.silenced += w.silenced;
        let mut seen: Vec<(Code, Severity)> = Vec::new();
        for d in &w.diagnostics {
            let entry = codes.entry((d.code, d.severity)).or_default();
            entry.0 += 1;
            if !seen.contains(&(d.code, d.severity)) {
                seen.push((d.code, d.severity));
                entry.1 += 1;
            }
        }
    }
    for d in files.iter().flat_map(|f| &f.diagnostics) {
        codes.entry((d.code, d.severity)).or_default().0 += 1;
    }
    for ((_, severity), (n, _)) in &codes {
        match severity {
            Severity::Error => s.errors += n,
            Severity::Warning => s.warnings += n,
            Severity::Info => s.infos += n,
        }
    }
    s.kinds = kinds.into_values().collect();
    let mut rows: Vec<CodeRow> = codes
        .into_iter()
        .map(|((code, severity), (diagnostics, workloads))| CodeRow { code, severity, diagnostics, workloads })
        .collect();
    rows.sort_by(|a, b| a.severity.cmp(&b.severity).then(b.workloads.cmp(&a.workloads)).then(a.code.cmp(&b.code)));
    s.codes = rows;
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(files: &[(&str, &str)], ignore: &[IgnoreRule]) -> CheckReport {
        let files: Vec<CheckFile> =
            files.iter().map(|(n, t)| CheckFile { name: n.to_string(), text: t.to_string() }).collect();
        let cluster = ClusterSettings::example();
        let objects = ObjectStore::new();
        check(&files, &CheckOptions { cluster: &cluster, profile: None, objects: &objects, ignore })
    }

    const LIST: &str = "\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cfg, namespace: shop}
  data: {MODE: prod}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop}
  spec:
    template:
      spec:
        containers:
        - name: web
          image: nginx
          envFrom: [{configMapRef: {name: cfg}}]
          resources: {requests: {cpu: 500m, memory: 512Mi}}
";

    const DAEMONSET: &str = "\
# a comment
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: a, image: busybox, env: [{name: X, valueFrom: {configMapKeyRef: {name: cfg, key: MODE}}}]}]
      volumes:
      - name: logs
        hostPath: {path: /var/log}
";

    #[test]
    fn lists_are_expanded_and_objects_shared_by_namespace() {
        let r = run(&[("a/list.yaml", LIST), ("b/ds.yaml", DAEMONSET)], &[]);
        assert_eq!(r.workloads.len(), 2);
        let web = &r.workloads[0];
        assert_eq!((web.kind.as_str(), web.pointer.as_str(), web.line), ("Deployment", "/items/1", 8));
        assert_eq!(web.verdict, Verdict::Runs, "{:?}", web.diagnostics);
        assert!(!web.diagnostics.iter().any(|d| d.code == Code::MissingObject), "the List's ConfigMap is found");
        assert_eq!(web.requested, Resources { cpu_millis: 500, memory_bytes: 512 << 20 });
        assert_eq!(web.instance.as_ref().map(|i| i.spec.as_str()), Some("0.5-1Gi"));
        assert_eq!(web.waste, Some(Resources { cpu_millis: 0, memory_bytes: 512 << 20 }));
        let ds = &r.workloads[1];
        assert_eq!(ds.verdict, Verdict::Rejected);
        assert!(!ds.diagnostics.iter().any(|d| d.code == Code::MissingObject), "objects of another file are found");
        let host = ds.diagnostics.iter().find(|d| d.code == Code::HostPathVolume).expect("hostPath reported");
        let span = host.span.as_ref().expect("placed");
        assert_eq!((span.file.as_deref(), span.start.line, span.start.column), (Some("b/ds.yaml"), 11, 9));
        assert_eq!(r.outcome(false), Outcome::Rejected);
        assert_eq!(r.summary.kinds.len(), 2);
    }

    #[test]
    fn a_lists_objects_are_read_as_the_object_store_reads_them() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data: {k: v}\n- apiVersion: v1\n  metadata: {name: nokind}\n- apiVersion: v1\n  kind: ConfigMapList\n  items:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: nested}\n    data: {k: v}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: app\n    image: nginx\n    envFrom:\n    - configMapRef: {name: nested}\n";
        let r = run(&[("x.yaml", text)], &[]);
        let kindless = r.files[0].diagnostics.iter().find(|d| d.code == Code::MissingField).expect("reported");
        assert_eq!(kindless.input, Input::Object("document 1 item 2".into()));
        assert_eq!(kindless.span.as_ref().map(|s| s.start.line), Some(8), "{kindless:?}");
        let pod = &r.workloads[0];
        assert!(
            !pod.diagnostics.iter().any(|d| d.code == Code::MissingObject),
            "nested ConfigMap read: {:?}",
            pod.diagnostics
        );
    }

    #[test]
    fn silenced_errors_excuse_a_workload() {
        let ignore =
            vec![IgnoreRule { path: Some("b/**".into()), codes: vec![Code::HostPathVolume, Code::DaemonSetPod] }];
        let r = run(&[("a/list.yaml", LIST), ("b/ds.yaml", DAEMONSET)], &ignore);
        assert_eq!(r.workloads[1].verdict, Verdict::Excused, "{:?}", r.workloads[1].diagnostics);
        assert!(r.workloads[1].silenced >= 2);
        assert_eq!(r.outcome(false), Outcome::Clean);
    }

    #[test]
    fn unreadable_files_are_reported_and_outrank_rejections() {
        let r = run(&[("bad.yaml", "kind: [\n"), ("b/ds.yaml", DAEMONSET)], &[]);
        assert!(!r.files[0].readable);
        assert_eq!(r.files[0].diagnostics[0].span.as_ref().and_then(|s| s.file.as_deref()), Some("bad.yaml"));
        assert_eq!(r.workloads.len(), 1);
        assert_eq!(r.outcome(false), Outcome::Unreadable);
    }

    #[test]
    fn globs() {
        assert!(glob_match("charts/**", "charts/a/b.yaml"));
        assert!(glob_match("./charts/**", "charts/x.yaml"));
        assert!(glob_match("**/*.yaml", "a/b/c.yaml"));
        assert!(glob_match("**", "x"));
        assert!(glob_match("plain/*-ds.yaml", "plain/kube-proxy-ds.yaml"));
        assert!(!glob_match("plain/*.yaml", "plain/a/b.yaml"));
        assert!(!glob_match("charts/**", "plain/charts/x.yaml"));
        assert!(glob_match("a?c", "abc") && !glob_match("a?c", "a/c"));
    }

    #[test]
    fn config_is_strict() {
        let c = CheckConfig::parse("profile: p.yaml\nignore:\n- path: 'charts/**'\n  codes: [unknown-field]\n")
            .expect("valid");
        assert_eq!(c.ignore[0].codes, vec![Code::UnknownField]);
        assert!(CheckConfig::parse("ignore: [{codes: [no-such-code]}]\n").is_err());
        assert!(CheckConfig::parse("ignores: []\n").is_err());
    }

    #[test]
    fn requested_counts_sidecars_and_the_largest_init() {
        let doc = crate::input::parse_document(
            "kind: Pod\nmetadata: {name: p}\nspec:\n  initContainers:\n  - {name: i, image: x, resources: {requests: {cpu: '3'}}}\n  - {name: s, image: x, restartPolicy: Always, resources: {limits: {memory: 1Gi}}}\n  containers:\n  - {name: a, image: x, resources: {requests: {cpu: '1', memory: 1Gi}}}\n",
            Input::Pod,
        )
        .expect("yaml");
        let (pod, _) = pod_from_document(&doc).expect("pod");
        assert_eq!(requested(&pod), Resources { cpu_millis: 3000, memory_bytes: 2 << 30 });
    }
}
