//! Diagnostics: every problem the core finds in its inputs, as a value.
//!
//! A diagnostic names *which* input it is about ([`Input`]), *where* in that
//! input (an RFC 6901 JSON pointer such as `/spec/volumes/2/hostPath`), *what*
//! is wrong (a stable [`Code`] plus a one-line message) and *what to do* (an
//! optional hint). Codes are part of the public contract: tools match on them,
//! so a code is never renamed, only added.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::text::escape_text;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input cannot be carried to ECI as written; the pod is rejected.
    Error,
    /// Something is dropped, changed or guessed; the request is still sent.
    Warning,
    /// Worth knowing (e.g. a spec was rounded up and is billed as such).
    Info,
}

impl Severity {
    /// The lowercase name used in renderings.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Which input document a diagnostic points into.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "name")]
pub enum Input {
    /// The Pod (or the pod template of a workload).
    Pod,
    /// The `eci-profile` ConfigMap.
    Profile,
    /// The cluster settings (the virtual-kubelet environment).
    Cluster,
    /// A supplied ConfigMap, Secret or other object, named `Kind/namespace/name`.
    Object(String),
    /// A request document (e.g. the JSON given to `sign`).
    Request,
    /// An ECI instance as `DescribeContainerGroups` returned it.
    Instance,
    /// The ElasticWorkload.
    ElasticWorkload,
    /// The workload an ElasticWorkload or policy acts on (its source Deployment).
    Workload,
    /// The ResourcePolicy.
    ResourcePolicy,
    /// The options of the call (command-line flags, webhook settings).
    Options,
    /// A text not yet known to hold any of the above (a syntax error, a limit).
    Stream,
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Pod => f.write_str("pod"),
            Input::Profile => f.write_str("eci-profile"),
            Input::Cluster => f.write_str("cluster settings"),
            Input::Object(name) => write!(f, "object {name}"),
            Input::Request => f.write_str("request"),
            Input::Instance => f.write_str("instance"),
            Input::ElasticWorkload => f.write_str("elasticworkload"),
            Input::Workload => f.write_str("workload"),
            Input::ResourcePolicy => f.write_str("resourcepolicy"),
            Input::Options => f.write_str("options"),
            Input::Stream => f.write_str("input"),
        }
    }
}

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $text:literal, )*) => {
        /// Stable diagnostic codes. The kebab-case text is the contract.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Code {
            $( $(#[doc = $doc])* #[serde(rename = $text)] $variant, )*
        }

        impl Code {
            /// Every code, in declaration order (for docs and the playground).
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable kebab-case name.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text,)* }
            }

            /// One line saying what the code means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => concat!($($doc),*).trim_ascii(),)* }
            }
        }
    };
}

codes! {
    /// The document could not be parsed as YAML or JSON.
    Syntax = "syntax",
    /// The document parsed but does not have the expected shape.
    Schema = "schema",
    /// A field the tool does not know; it is ignored.
    UnknownField = "unknown-field",
    /// A required field is missing.
    MissingField = "missing-field",
    /// A hostPath volume; ECI only allows it for allow-listed accounts.
    HostPathVolume = "hostpath-volume",
    /// A volume type ECI cannot mount.
    UnsupportedVolume = "unsupported-volume",
    /// `hostNetwork: true`; an ECI instance has its own network namespace.
    HostNetwork = "host-network",
    /// `hostPID: true`.
    HostPid = "host-pid",
    /// `hostIPC: true`.
    HostIpc = "host-ipc",
    /// The pod belongs to a DaemonSet; DaemonSets cannot run on virtual nodes.
    DaemonSetPod = "daemonset-pod",
    /// A port ECI reserves for its own agents (111, 10250, 10255).
    ReservedPort = "reserved-port",
    /// A value above a documented ECI limit.
    OverLimit = "over-limit",
    /// A sysctl outside ECI's documented allow-list.
    SysctlNotAllowed = "sysctl-not-allowed",
    /// A privileged container on a target without `SecurityContextPrivileged`.
    Privileged = "privileged",
    /// An annotation value that does not match its documented format.
    InvalidAnnotation = "invalid-annotation",
    /// An annotation ECI documents as retired or superseded.
    DeprecatedAnnotation = "deprecated-annotation",
    /// Two inputs ask for things ECI cannot combine.
    Conflict = "conflict",
    /// A referenced ConfigMap, Secret or other object was not supplied.
    MissingObject = "missing-object",
    /// A key referenced in a supplied ConfigMap or Secret does not exist.
    MissingKey = "missing-key",
    /// A field with no ECI equivalent; it is dropped.
    Dropped = "dropped",
    /// A field ECI cannot express directly; it is carried in another form.
    Converted = "converted",
    /// A value the tool filled in because the input left it out.
    Defaulted = "defaulted",
    /// The resources were rounded up to a supported ECI specification.
    SpecRounded = "spec-rounded",
    /// No supported ECI specification is large enough.
    SpecTooLarge = "spec-too-large",
    /// An invalid quantity, name, port or other value.
    InvalidValue = "invalid-value",
    /// A `fieldRef`/`resourceFieldRef` ECI cannot provide.
    UnsupportedFieldPath = "unsupported-field-path",
    /// A pull secret of a type or shape that cannot be used.
    InvalidPullSecret = "invalid-pull-secret",
    /// A setting ECI does not support (SCTP, block devices, …).
    Unsupported = "unsupported",
    /// Replicas beyond every max of an ElasticWorkload; they are not created.
    ReplicasUnplaced = "replicas-unplaced",
    /// Every unit of a ResourcePolicy is at its max; the pod waits.
    UnitsFull = "units-full",
    /// An input beyond eci-bridge's own safety limits; it is not processed further.
    LimitExceeded = "limit-exceeded",
}

/// One finding about the inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    /// How bad it is.
    pub severity: Severity,
    /// The stable code.
    pub code: Code,
    /// The input document it is about.
    pub input: Input,
    /// RFC 6901 pointer into that input (`""` for the whole document).
    pub pointer: String,
    /// One line: what is wrong.
    pub message: String,
    /// What to do about it, when there is something to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where it is in the source text: set for syntax errors, and by
    /// [`crate::case::run`] for everything whose pointer it can place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

/// A range in a source text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// The file (or editor tab) it is in, when there are several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Where it starts.
    pub start: TextLocation,
    /// Where it ends (exclusive).
    pub end: TextLocation,
}

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextLocation {
    /// Line, from 1.
    pub line: u64,
    /// Column, from 1.
    pub column: u64,
}

impl Diagnostic {
    /// A diagnostic about the pod.
    pub fn pod(severity: Severity, code: Code, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            input: Input::Pod,
            pointer: pointer.into(),
            message: message.into(),
            help: None,
            span: None,
        }
    }

    /// The same diagnostic about another input.
    pub fn on(mut self, input: Input) -> Self {
        self.input = input;
        self
    }

    /// Adds a hint.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A diagnostic is an error value: `?` turns it into `Box<dyn Error>`,
/// and `Display` renders it as the CLI prints it.
impl std::error::Error for Diagnostic {}

impl fmt::Display for Diagnostic {
    /// Compact, rustc-like: `error[hostpath-volume]: message` then the
    /// location and the hint on indented lines. Input text inside them is
    /// shown with control characters escaped ([`escape_text`]), so a value
    /// can neither drive the terminal nor forge a line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}", self.severity.as_str(), self.code.as_str(), shorten(&escape_text(&self.message)))?;
        let pointer = escape_text(if self.pointer.is_empty() { "/" } else { &self.pointer });
        let pointer = shorten(&pointer);
        let input = self.input.to_string();
        let input = escape_text(&input);
        let location = self.span.as_ref().map(|s| {
            let file = s.file.as_deref().map(|f| format!("{}:", escape_text(f))).unwrap_or_default();
            format!(" ({file}{}:{})", s.start.line, s.start.column)
        });
        match location {
            // The whole document: its place says more than `/`.
            Some(location) if self.pointer.is_empty() => write!(f, "\n  --> {input}{location}")?,
            None if self.pointer.is_empty() => write!(f, "\n  --> {input}")?,
            location => write!(f, "\n  --> {input} {pointer}{}", location.unwrap_or_default())?,
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {}", shorten(&escape_text(help)))?;
        }
        Ok(())
    }
}

/// Text shown to a person: at most [`SHOWN_CHARS`] characters, the rest
/// counted (a 300 KB key is named by its start, not printed whole).
fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(SHOWN_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}… ({} more bytes)", &text[..cut], text.len() - cut)),
    }
}

/// How much of one message, pointer or hint a rendering shows.
pub const SHOWN_CHARS: usize = 400;

/// Builds RFC 6901 pointers: `ptr(&["spec", "volumes"]).index(2)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pointer(pub(crate) String);

impl Pointer {
    /// The whole document.
    pub fn root() -> Self {
        Pointer(String::new())
    }

    /// A pointer from plain (unescaped) tokens.
    pub fn from_tokens<I, S>(tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        tokens.into_iter().fold(Pointer::root(), |p, t| p.key(t.as_ref()))
    }

    /// Appends an object key, escaping `~` and `/` as RFC 6901 requires.
    pub fn key(&self, key: &str) -> Self {
        let mut s = self.0.clone();
        s.push('/');
        for c in key.chars() {
            match c {
                '~' => s.push_str("~0"),
                '/' => s.push_str("~1"),
                c => s.push(c),
            }
        }
        Pointer(s)
    }

    /// Appends an array index.
    pub fn index(&self, index: usize) -> Self {
        Pointer(format!("{}/{}", self.0, index))
    }

    /// The pointer text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Pointer> for String {
    fn from(p: Pointer) -> String {
        p.0
    }
}

impl From<&Pointer> for String {
    fn from(p: &Pointer) -> String {
        p.0.clone()
    }
}

/// At most `per_code` diagnostics of each code and severity, in order;
/// the rest of each group become one summary that says how many were left
/// out. Sixty thousand unknown fields are one problem, said a hundred times
/// at most, not a 13 MB report (the summary keeps the group's severity, so
/// a rejection stays a rejection).
pub fn compact(diagnostics: Vec<Diagnostic>, per_code: usize) -> Vec<Diagnostic> {
    use std::collections::BTreeMap;
    let mut seen: BTreeMap<(Code, Severity), usize> = BTreeMap::new();
    let mut kept = Vec::with_capacity(diagnostics.len().min(per_code * 4));
    let mut dropped: BTreeMap<(Code, Severity), (usize, Input)> = BTreeMap::new();
    for d in diagnostics {
        let n = seen.entry((d.code, d.severity)).or_default();
        *n += 1;
        if *n <= per_code {
            kept.push(d);
        } else {
            dropped.entry((d.code, d.severity)).or_insert((0, d.input.clone())).0 += 1;
        }
    }
    for ((code, severity), (count, input)) in dropped {
        let mut d = Diagnostic::pod(
            severity,
            code,
            "",
            format!("… and {count} more `{}` {}s like the {per_code} above", code.as_str(), severity.as_str()),
        )
        .on(input);
        d.help = Some("only the first of each kind are listed".into());
        kept.push(d);
    }
    kept
}

/// True when any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_escapes_rfc6901() {
        let p = Pointer::from_tokens(["metadata", "annotations", "k8s.aliyun.com/eci~x"]);
        assert_eq!(p.as_str(), "/metadata/annotations/k8s.aliyun.com~1eci~0x");
        assert_eq!(Pointer::root().key("spec").index(3).as_str(), "/spec/3");
    }

    #[test]
    fn display_is_rustc_like() {
        let d = Diagnostic::pod(Severity::Error, Code::HostPathVolume, "/spec/volumes/0/hostPath", "no hostPath")
            .help("use emptyDir");
        assert_eq!(
            d.to_string(),
            "error[hostpath-volume]: no hostPath\n  --> pod /spec/volumes/0/hostPath\n  = help: use emptyDir"
        );
    }

    #[test]
    fn compact_keeps_the_first_of_each_kind_and_counts_the_rest() {
        let many: Vec<Diagnostic> = (0..250)
            .map(|i| Diagnostic::pod(Severity::Warning, Code::UnknownField, format!("/x{i}"), "unknown"))
            .chain([Diagnostic::pod(Severity::Error, Code::HostPathVolume, "/v", "no")])
            .collect();
        let out = compact(many, 100);
        assert_eq!(out.len(), 102);
        assert_eq!(out[99].pointer, "/x99");
        assert!(out.iter().any(|d| d.code == Code::HostPathVolume && d.is_error()));
        let summary = out.last().map(|d| d.message.as_str()).unwrap_or_default();
        assert_eq!(summary, "… and 150 more `unknown-field` warnings like the 100 above");
    }

    #[test]
    fn codes_have_unique_names_and_summaries() {
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
        assert!(Code::ALL.iter().all(|c| !c.summary().is_empty()));
        let json = serde_json::to_string(&Code::HostPathVolume).unwrap_or_default();
        assert_eq!(json, "\"hostpath-volume\"");
    }
}
