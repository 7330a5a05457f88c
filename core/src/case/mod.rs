//! One way to run a case, for every mode.
//!
//! Each mode — translate, admit, status, nodes, update, delete, elastic,
//! overflow, units — is a [`Case`]: it is read from the documents of one or
//! more texts, takes the settings that other texts carry (the eci-profile,
//! cluster settings, ConfigMaps and Secrets), runs in an [`Env`] that says
//! what time it is and what stands in for missing settings, and answers
//! with an [`Outcome`] that knows whether it is rejected.
//!
//! [`run`] does, once, what every mode shares:
//! - reading the texts ([`Sources`]): the `stream` texts in order, then the
//!   texts of the other roles, which override what the stream says; a
//!   `kind: List` (as `kubectl get -o yaml` prints it) is read as its items,
//!   each placed at `/items/N` of the List;
//! - the time rule: the time the caller names ([`Env::now`], the CLI's
//!   `--now`) wins over the case's own `now`, which wins over the caller's
//!   clock ([`Env::clock`]); replacing a case's own time is said in an info
//!   diagnostic;
//! - the fallback cluster: a case without settings runs with
//!   [`Env::cluster`], else with [`ClusterSettings::example`] — announced
//!   once, as an info diagnostic, so a preview never passes off the example
//!   region and vSwitches as the user's;
//! - diagnostics: those found while reading come first, then the notices,
//!   then the run's own; every one is placed at file:line:col;
//! - the exit policy ([`Exit`]).
//!
//! The CLI and the wasm bindings are adapters over [`run`] (or
//! [`run_json`], which picks the mode by name and reads parameters as
//! JSON): they read files or editor tabs, call it, and print or return
//! what it gives.

mod modes;

use std::str::FromStr;

use k8s_openapi::jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cluster::{CLUSTER_SETTINGS_KIND, ClusterSettings, parse_cluster_document};
use crate::diagnostics::{Code, Diagnostic, Input, Severity, Span};
use crate::input::parse_documents;
use crate::objects::ObjectStore;
use crate::profile::{EciProfile, is_profile_document, parse_profile};
use crate::sources::{Placement, Role, Sources, document_of};

pub use modes::{
    AdmitParams, Admitted, Deletion, ElasticOutcome, ElasticParams, ElasticStep, IdParams, RevealParams,
    TranslateParams, UnitsOutcome, UnitsParams,
};

/// The kinds of case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Mode {
    /// A pod or workload → `CreateContainerGroup` ([`crate::preview::Preview`]).
    Translate,
    /// An AdmissionReview (or a bare pod) → the webhook's answer.
    Admit,
    /// A `DescribeContainerGroups` item and its pod → the pod's status and events.
    Status,
    /// Cluster settings and the eci-profile → the virtual Nodes and Leases.
    Nodes,
    /// An old and a new pod → `UpdateContainerGroup`.
    Update,
    /// A pod → `DeleteContainerGroup`.
    Delete,
    /// An ElasticWorkload and its source → the unit Deployments, status, events.
    Elastic,
    /// An unschedulable pod → whether it moves to ECI.
    Overflow,
    /// A ResourcePolicy and a new pod → the unit it goes to.
    Units,
}

impl Mode {
    /// Every mode.
    pub const ALL: &'static [Mode] = &[
        Mode::Translate,
        Mode::Admit,
        Mode::Status,
        Mode::Nodes,
        Mode::Update,
        Mode::Delete,
        Mode::Elastic,
        Mode::Overflow,
        Mode::Units,
    ];

    /// The mode's name, as the CLI command and the fixture folder say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Translate => "translate",
            Mode::Admit => "admit",
            Mode::Status => "status",
            Mode::Nodes => "nodes",
            Mode::Update => "update",
            Mode::Delete => "delete",
            Mode::Elastic => "elastic",
            Mode::Overflow => "overflow",
            Mode::Units => "units",
        }
    }
}

impl FromStr for Mode {
    type Err = Diagnostic;

    fn from_str(s: &str) -> Result<Mode, Diagnostic> {
        // The playground's names for two modes are accepted too.
        let alias = match s {
            "pod" => "translate",
            "admission" => "admit",
            other => other,
        };
        Mode::ALL.iter().copied().find(|m| m.as_str() == alias).ok_or_else(|| {
            let names: Vec<&str> = Mode::ALL.iter().map(|m| m.as_str()).collect();
            Diagnostic::pod(Severity::Error, Code::InvalidValue, "", format!("`{s}` is not a mode"))
                .on(Input::Options)
                .help(format!("one of {}", names.join(", ")))
        })
    }
}

/// What a run needs besides the texts: time and the stand-in settings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Env {
    /// The time the caller names (the CLI's `--now`): wins over the case's own.
    pub now: Option<Timestamp>,
    /// The caller's clock: the time when neither the caller nor the case names one.
    pub clock: Option<Timestamp>,
    /// Settings for a case without its own; `None`: the built-in example cluster.
    pub cluster: Option<ClusterSettings>,
}

impl Env {
    /// An environment with only a clock.
    pub fn with_clock(clock: Timestamp) -> Env {
        Env { clock: Some(clock), ..Env::default() }
    }

    /// The same, with the time the caller names.
    pub fn at(mut self, now: Option<Timestamp>) -> Env {
        self.now = now;
        self
    }
}

/// What [`run`] hands a case: the time and the cluster settings it runs with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Context<'a> {
    /// The time (the Unix epoch for modes that read no time).
    pub now: Timestamp,
    /// The case's own settings, else the environment's, else the example.
    pub cluster: &'a ClusterSettings,
    /// True when reading the inputs found an error (a mode may then decide nothing).
    pub input_errors: bool,
}

/// The places a case takes settings that other texts carry.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Slots<'a> {
    /// The eci-profile, when the mode reads one.
    pub profile: Option<&'a mut Option<EciProfile>>,
    /// Cluster settings, when the mode reads them.
    pub cluster: Option<&'a mut Option<ClusterSettings>>,
    /// Object stores that supplied ConfigMaps, Secrets, claims and tokens join.
    pub objects: Vec<&'a mut ObjectStore>,
}

/// What a case answers.
pub trait Outcome: Serialize {
    /// Its diagnostics.
    fn diagnostics(&self) -> &[Diagnostic];
    /// Its diagnostics, which [`run`] completes and places.
    fn diagnostics_mut(&mut self) -> &mut Vec<Diagnostic>;
    /// True when the case is refused: the pod does not run on ECI, the
    /// webhook denies it, or an input error leaves nothing to act on.
    fn is_rejected(&self) -> bool;
    /// Places what else points into the texts (explain rows); diagnostics
    /// are placed by [`run`].
    fn place(&mut self, _locator: &Locator<'_>) {}
}

/// One mode: how it is read and run.
pub trait Case: Sized {
    /// Which mode this is.
    const MODE: Mode;
    /// True when it reads the time.
    const NEEDS_TIME: bool = false;
    /// True when it reads cluster settings.
    const USES_CLUSTER: bool = true;
    /// The caller's choices (flags on the CLI, options in the playground).
    type Params: Default + DeserializeOwned;
    /// What it answers.
    type Outcome: Outcome;

    /// Reads the case from the documents of its stream.
    fn read(docs: &[Value]) -> Result<Self, Diagnostic>;
    /// The diagnostics found while reading, which [`run`] takes and puts first.
    fn reading_diagnostics(&mut self) -> &mut Vec<Diagnostic>;
    /// Where settings from other texts go.
    fn slots(&mut self) -> Slots<'_> {
        Slots::default()
    }
    /// The case's own time, when it names one.
    fn own_time(&self) -> Option<Timestamp> {
        None
    }
    /// The case's own cluster settings, when it has them.
    fn own_cluster(&self) -> Option<&ClusterSettings>;
    /// Runs the case.
    fn run(&self, params: &Self::Params, context: &Context<'_>) -> Self::Outcome;
    /// The document of the stream (and the pointer in it) a diagnostic is about.
    fn locate(&self, docs: &[Value], input: &Input, pointer: &str) -> Option<(usize, String)> {
        document_of(docs, input, pointer)
    }
}

/// How a run ends, for a process's exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Exit {
    /// Done (warnings allowed): exit status 0.
    Done,
    /// An input cannot be read or used (syntax, types, usage): exit status 1.
    Unreadable,
    /// The case is refused: exit status 2.
    Rejected,
}

impl Exit {
    /// The process exit status README documents.
    pub fn code(self) -> u8 {
        match self {
            Exit::Done => 0,
            Exit::Unreadable => 1,
            Exit::Rejected => 2,
        }
    }
}

/// A case run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Ran<O> {
    /// What the case answered, its diagnostics placed.
    pub outcome: O,
    /// True when the case is refused.
    pub rejected: bool,
}

impl<O> Ran<O> {
    /// How the run ends.
    pub fn exit(&self) -> Exit {
        if self.rejected { Exit::Rejected } else { Exit::Done }
    }
}

/// Where an input and a pointer into it are: a document of the texts and a pointer into that document.
type At<'a> = dyn Fn(&Input, &str) -> Option<(usize, String)> + 'a;

/// Turns a diagnostic's input and pointer into a place in the texts.
#[allow(missing_debug_implementations)] // holds a closure
pub struct Locator<'a> {
    placement: &'a Placement,
    at: &'a At<'a>,
}

impl Locator<'_> {
    /// Gives each diagnostic without a span the span of what it points at.
    pub fn place(&self, diagnostics: &mut [Diagnostic]) {
        let at: Vec<Option<(usize, String)>> = diagnostics.iter().map(|d| (self.at)(&d.input, &d.pointer)).collect();
        self.placement.place(diagnostics, &at);
    }

    /// Where `pointer` into `input` is, for each `(input, pointer)`: one
    /// pass over each text for the whole batch.
    pub fn spans<'p>(&self, asked: impl IntoIterator<Item = (&'p Input, &'p str)>) -> Vec<Option<Span>> {
        let at: Vec<Option<(usize, String)>> =
            asked.into_iter().map(|(input, pointer)| (self.at)(input, pointer)).collect();
        self.placement.spans(&at)
    }
}

/// The texts read: the stream's documents first, then the other roles'.
struct Read {
    docs: Vec<Value>,
    roles: Vec<Role>,
    placement: Placement,
    stream_len: usize,
}

fn read_texts(sources: &Sources) -> Result<Read, Diagnostic> {
    let mut read = Read { docs: Vec::new(), roles: Vec::new(), placement: Placement::default(), stream_len: 0 };
    let stream_first = sources.files.iter().filter(|f| f.role == Role::Stream);
    let others = sources.files.iter().filter(|f| f.role != Role::Stream);
    for file in stream_first.chain(others) {
        if file.text.trim().is_empty() {
            read.placement.add(&file.name, "", 0);
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
            match d.span.as_mut() {
                Some(span) => span.file = Some(file.name.clone()),
                None => d.message = format!("{}: {}", file.name, d.message),
            }
            d
        })?;
        // A List (`kubectl get -o yaml`) is its items, in every mode and role.
        let docs = crate::input::flatten_lists(docs);
        read.placement.add_flattened(&file.name, &file.text, docs.iter().map(|(_, j, prefix)| (*j, prefix.clone())));
        read.roles.extend(std::iter::repeat_n(file.role, docs.len()));
        read.docs.extend(docs.into_iter().map(|(doc, _, _)| doc));
    }
    read.stream_len = read.roles.iter().take_while(|r| **r == Role::Stream).count();
    Ok(read)
}

/// Where the documents of the other roles went, for placing their diagnostics.
#[derive(Default)]
struct Overrides {
    profile: Option<usize>,
    /// The document and whether its settings sit under `settings:`.
    cluster: Option<(usize, bool)>,
}

fn refused(mode: Mode, what: &str, input: Input) -> Diagnostic {
    Diagnostic::pod(Severity::Error, Code::Schema, "", format!("the {} mode does not read {what}", mode.as_str()))
        .on(input)
        .help("leave it out, or put it in the input stream if the mode reads it there")
}

/// The document of `role` that `pick` accepts, or its only one.
fn pick(read: &Read, role: Role, accept: impl Fn(&Value) -> bool) -> Option<usize> {
    let of_role: Vec<usize> = (0..read.docs.len()).filter(|&i| read.roles[i] == role).collect();
    of_role.iter().copied().find(|&i| accept(&read.docs[i])).or(match of_role[..] {
        [only] => Some(only),
        _ => None,
    })
}

/// Puts the settings of the other roles' texts into the case's slots.
fn apply_overrides<C: Case>(
    case: &mut C,
    read: &Read,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Overrides, Diagnostic> {
    let mut overrides = Overrides::default();
    let has = |role: Role| read.roles.contains(&role);
    let mut slots = case.slots();
    if let Some(at) = pick(read, Role::Profile, is_profile_document) {
        let slot = slots.profile.as_mut().ok_or_else(|| refused(C::MODE, "an eci-profile", Input::Profile))?;
        let (profile, found) = parse_profile(&read.docs[at]);
        **slot = Some(profile);
        diagnostics.extend(found);
        overrides.profile = Some(at);
    } else if has(Role::Profile) {
        return Err(missing_document(read, Role::Profile, "eci-profile ConfigMap (kube-system/eci-profile)"));
    }
    let is_settings = |d: &Value| d.get("kind").and_then(Value::as_str) == Some(CLUSTER_SETTINGS_KIND);
    if let Some(at) = pick(read, Role::Cluster, is_settings) {
        let slot = slots.cluster.as_mut().ok_or_else(|| refused(C::MODE, "cluster settings", Input::Cluster))?;
        let doc = &read.docs[at];
        let (settings, found) = parse_cluster_document(doc);
        diagnostics.extend(found);
        if let Some(settings) = settings {
            **slot = Some(settings);
        }
        overrides.cluster = Some((at, doc.get("kind").is_some()));
    } else if has(Role::Cluster) {
        return Err(missing_document(read, Role::Cluster, "ClusterSettings document"));
    }
    let objects: Vec<(usize, &Value)> =
        (0..read.docs.len()).filter(|&i| read.roles[i] == Role::Objects).map(|i| (i, &read.docs[i])).collect();
    if !objects.is_empty() {
        if slots.objects.is_empty() {
            return Err(refused(C::MODE, "ConfigMaps or Secrets", Input::Object(String::new())));
        }
        let (store, found) = ObjectStore::from_numbered(objects);
        diagnostics.extend(found);
        for slot in &mut slots.objects {
            slot.merge(store.clone());
        }
    }
    Ok(overrides)
}

fn missing_document(read: &Read, role: Role, what: &str) -> Diagnostic {
    let count = read.roles.iter().filter(|r| **r == role).count();
    let input = if role == Role::Profile { Input::Profile } else { Input::Cluster };
    Diagnostic::pod(Severity::Error, Code::MissingField, "", format!("no {what} among the {count} documents given"))
        .on(input)
        .help("give a file with one such document, or a stream that holds it")
}

/// The time a case runs at, and a notice when the caller's replaces the case's own.
fn resolve_time<C: Case>(case: &C, env: &Env) -> Result<(Timestamp, Option<Diagnostic>), Diagnostic> {
    if !C::NEEDS_TIME {
        return Ok((Timestamp::UNIX_EPOCH, None));
    }
    match (env.now, case.own_time(), env.clock) {
        (Some(now), own, _) => {
            let notice = own.filter(|own| *own != now).map(|own| {
                Diagnostic::pod(
                    Severity::Info,
                    Code::Conflict,
                    "",
                    format!("the case's own time {own} is replaced by the given time {now}"),
                )
                .on(Input::Options)
            });
            Ok((now, notice))
        }
        (None, Some(own), _) => Ok((own, None)),
        (None, None, Some(clock)) => Ok((clock, None)),
        (None, None, None) => {
            Err(Diagnostic::pod(Severity::Error, Code::MissingField, "", "no time to run the case at")
                .on(Input::Options)
                .help("give the time (RFC 3339, e.g. 2026-11-23T10:00:00Z), or a `now` in the case"))
        }
    }
}

/// The notice that the built-in example cluster stands in for real settings.
pub fn example_cluster_notice() -> Diagnostic {
    let example = ClusterSettings::example();
    Diagnostic::pod(
        Severity::Info,
        Code::Defaulted,
        "",
        format!(
            "no cluster settings given: the built-in example cluster stands in (region {}, its vSwitches and security group)",
            example.region_id
        ),
    )
    .on(Input::Cluster)
    .help("give your cluster's settings (the CLI's --cluster, the playground's Cluster tab, or a ClusterSettings document)")
}

/// Runs a case of mode `C` over `sources`.
///
/// Fails, with a placed diagnostic, only when the texts cannot be read:
/// a syntax error, no document the mode needs, a text of a role the mode
/// does not read, or no time for a mode that needs one.
pub fn run<C: Case>(sources: &Sources, params: &C::Params, env: &Env) -> Result<Ran<C::Outcome>, Diagnostic> {
    let read = read_texts(sources)?;
    let stream = &read.docs[..read.stream_len];
    let at_stream = |input: &Input, pointer: &str| document_of(stream, input, pointer);
    let place_one = |mut d: Diagnostic, at: &At<'_>| {
        Locator { placement: &read.placement, at }.place(std::slice::from_mut(&mut d));
        d
    };
    let mut case = C::read(stream).map_err(|d| place_one(d, &at_stream))?;
    let mut diagnostics = std::mem::take(case.reading_diagnostics());
    let overrides = apply_overrides(&mut case, &read, &mut diagnostics).map_err(|d| place_one(d, &at_stream))?;
    let (now, time_notice) = resolve_time(&case, env).map_err(|d| place_one(d, &at_stream))?;
    diagnostics.extend(time_notice);
    let example;
    let cluster = match (case.own_cluster(), &env.cluster) {
        (Some(own), _) => own,
        (None, Some(given)) => given,
        (None, None) => {
            if C::USES_CLUSTER {
                diagnostics.push(example_cluster_notice());
            }
            example = ClusterSettings::example();
            &example
        }
    };
    let input_errors = crate::diagnostics::has_errors(&diagnostics);
    let mut outcome = case.run(params, &Context { now, cluster, input_errors });
    diagnostics.append(outcome.diagnostics_mut());
    let at = |input: &Input, pointer: &str| -> Option<(usize, String)> {
        match (input, &overrides) {
            (Input::Profile, Overrides { profile: Some(doc), .. }) => Some((*doc, pointer.to_string())),
            (Input::Cluster, Overrides { cluster: Some((doc, wrapped)), .. }) => {
                Some((*doc, if *wrapped { format!("/settings{pointer}") } else { pointer.to_string() }))
            }
            // Object labels name their document in the whole read (`document N`).
            (Input::Object(label), _) if label.starts_with("document ") => crate::bundle::place_object(label, pointer),
            _ => case.locate(stream, input, pointer),
        }
    };
    let locator = Locator { placement: &read.placement, at: &at };
    locator.place(&mut diagnostics);
    *outcome.diagnostics_mut() = diagnostics;
    outcome.place(&locator);
    let rejected = outcome.is_rejected();
    Ok(Ran { outcome, rejected })
}

/// [`run`] with the mode named and the parameters as JSON (`null` or `{}`
/// for the defaults): what an adapter that speaks JSON calls. The outcome
/// comes back as JSON.
pub fn run_json(mode: Mode, sources: &Sources, params: &Value, env: &Env) -> Result<Ran<Value>, Diagnostic> {
    fn go<C: Case>(sources: &Sources, params: &Value, env: &Env) -> Result<Ran<Value>, Diagnostic> {
        let params: C::Params = if params.is_null() {
            C::Params::default()
        } else {
            serde_json::from_value(params.clone()).map_err(|e| {
                Diagnostic::pod(Severity::Error, Code::Schema, "", format!("the options are not understood: {e}"))
                    .on(Input::Options)
            })?
        };
        let ran = run::<C>(sources, &params, env)?;
        Ok(Ran { outcome: crate::json::to_value(&ran.outcome), rejected: ran.rejected })
    }
    use modes::*;
    match mode {
        Mode::Translate => go::<TranslateCase>(sources, params, env),
        Mode::Admit => go::<AdmitCase>(sources, params, env),
        Mode::Status => go::<crate::status::case::StatusCase>(sources, params, env),
        Mode::Nodes => go::<crate::node::NodesCase>(sources, params, env),
        Mode::Update => go::<crate::update::UpdateCase>(sources, params, env),
        Mode::Delete => go::<DeleteCase>(sources, params, env),
        Mode::Elastic => go::<crate::elastic::ElasticCase>(sources, params, env),
        Mode::Overflow => go::<OverflowCase>(sources, params, env),
        Mode::Units => go::<crate::resource_policy::case::PlacementCase>(sources, params, env),
    }
}

pub use modes::{AdmitCase, DeleteCase, OverflowCase, TranslateCase};
