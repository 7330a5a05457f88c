//! Environment variables, resolved the way the kubelet (and the
//! virtual-kubelet core, docs/peers.md#env-resolution) resolves them:
//! `envFrom` first, then `env` in order, later definitions winning;
//! `$(VAR)` references expanded against the variables defined so far;
//! `valueFrom` read from the supplied ConfigMaps and Secrets.
//!
//! `fieldRef` follows ECI's "Obtain the metadata of a container" page:
//! `metadata.name|namespace|uid|labels['k']|annotations['k']`,
//! `spec.serviceAccountName` and `spec.nodeName` are known before creation
//! and are sent as values; `status.podIP` is only known at run time and is
//! sent as `FieldRef.FieldPath`, the one path the raw API accepts.
//! `status.hostIP`/`hostIPs`/`podIPs` become `status.podIP` too (an ECI
//! instance is its own host), with a warning.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use k8s_openapi::api::core::v1::{Container, EnvVar, ObjectFieldSelector, ResourceFieldSelector};

use super::Ctx;
use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};
use crate::eci::{EnvironmentVar, FieldRef, Sensitive};
use crate::explain::InputRef;
use crate::limits::Limits;
use crate::objects::{ObjectKind, object_name};
use crate::quantity::{Quantity, format_bytes, format_millis};
use crate::sizing::ContainerResources;

/// One resolved variable.
#[derive(Debug, Clone)]
pub(super) struct ResolvedVar {
    pub var: EnvironmentVar,
    pub rule: String,
    pub inputs: Vec<InputRef>,
}

/// A variable's value for `$(VAR)` expansion: known text, or run time only.
#[derive(Debug, Clone)]
enum Known {
    Text { text: String, secret: bool },
    Runtime,
}

/// The resolved environment of one container.
#[derive(Debug, Default)]
pub(super) struct Environment {
    vars: IndexMap<String, (ResolvedVar, Known)>,
}

impl Environment {
    pub fn into_vars(self) -> Vec<ResolvedVar> {
        self.vars.into_values().map(|(v, _)| v).collect()
    }

    /// Expands `$(VAR)` in `input` (Kubernetes `expansion.Expand`) within
    /// what is left of the pod's `budget`: the text, whether it now carries
    /// a secret, the run-time variables that stay unexpanded, and where the
    /// text was cut by a limit.
    pub fn expand(&self, input: &str, budget: &mut ExpansionBudget) -> Expansion {
        let mut secret = false;
        let mut runtime: Vec<String> = Vec::new();
        let cap = budget.value_cap();
        let (text, complete) = expand(input, cap, |name| match self.vars.get(name).map(|(_, k)| k) {
            Some(Known::Text { text, secret: s }) => {
                secret |= *s;
                Some(text.as_str())
            }
            Some(Known::Runtime) => {
                if !runtime.iter().any(|r| r == name) {
                    runtime.push(name.to_string());
                }
                None
            }
            None => None,
        });
        let cut = (!complete).then(|| budget.cut_reason());
        budget.spend(text.len());
        Expansion { text, secret, runtime, cut }
    }

    fn set(&mut self, name: String, var: ResolvedVar, known: Known) {
        match self.vars.get_mut(&name) {
            // A redefinition keeps the position of the first definition.
            Some(slot) => *slot = (var, known),
            None => {
                self.vars.insert(name, (var, known));
            }
        }
    }
}

/// What expanding one value produced.
#[derive(Debug, Clone)]
pub(super) struct Expansion {
    pub text: String,
    /// A Secret's value was substituted: the text is secret too.
    pub secret: bool,
    /// Run-time variables left as `$(NAME)`, each once.
    pub runtime: Vec<String>,
    /// Set when a limit cut the text short.
    pub cut: Option<Cut>,
}

/// Which limit cut an expansion short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cut {
    /// [`Limits::max_expanded_value_bytes`].
    Value,
    /// [`Limits::max_expanded_pod_bytes`].
    Pod,
}

/// Bytes `$(VAR)` expansion may still produce in this pod. Values that
/// refer to earlier values twice double at each step (`V1=$(V0)$(V0)`,
/// `V2=$(V1)$(V1)`, …): without a bound, 1.4 KB of pod becomes gigabytes.
#[derive(Debug, Clone)]
pub(crate) struct ExpansionBudget {
    left: usize,
}

impl Default for ExpansionBudget {
    fn default() -> Self {
        ExpansionBudget { left: Limits::DEFAULT.max_expanded_pod_bytes }
    }
}

impl ExpansionBudget {
    fn value_cap(&self) -> usize {
        self.left.min(Limits::DEFAULT.max_expanded_value_bytes)
    }

    fn cut_reason(&self) -> Cut {
        if self.left < Limits::DEFAULT.max_expanded_value_bytes { Cut::Pod } else { Cut::Value }
    }

    fn spend(&mut self, bytes: usize) {
        self.left = self.left.saturating_sub(bytes);
    }
}

/// Expands `input`, the value at `at`, within the pod's budget; a cut is
/// reported there.
pub(super) fn expand_at(ctx: &mut Ctx<'_>, env: &Environment, input: &str, at: Pointer) -> Expansion {
    let expansion = env.expand(input, &mut ctx.expansion);
    if let Some(cut) = expansion.cut {
        ctx.push(cut_diagnostic(at, cut));
    }
    expansion
}

/// The error for an expansion cut short at `pointer`.
fn cut_diagnostic(pointer: impl Into<String>, cut: Cut) -> Diagnostic {
    let l = Limits::DEFAULT;
    let (what, limit) = match cut {
        Cut::Value => ("bytes in one value after $(VAR) expansion", l.max_expanded_value_bytes),
        Cut::Pod => ("bytes of $(VAR) expansion in the pod", l.max_expanded_pod_bytes),
    };
    crate::limits::exceeded(Input::Pod, pointer, what, 0, limit)
        .help("the value refers to variables whose values grow with each reference; ECI accepts at most 256 characters per value")
}

/// Kubernetes' `$(VAR)` expansion: `$$` escapes, undefined references stay.
/// Produces at most `max_len` bytes; the flag is false when the text was
/// cut there. Linear in the input: the next `)` is searched once per
/// stretch of text, not once per `$(`.
pub fn expand<'v>(input: &str, max_len: usize, mut mapping: impl FnMut(&str) -> Option<&'v str>) -> (String, bool) {
    let bytes = input.as_bytes();
    let mut out = String::new();
    // The last search for `)`: where it started and what it found.
    let mut close: Option<(usize, Option<usize>)> = None;
    let mut find_close = |from: usize| -> Option<usize> {
        if let Some((searched, found)) = close
            && from >= searched
            && found.is_none_or(|f| f >= from)
        {
            return found;
        }
        let found = input[from..].find(')').map(|i| i + from);
        close = Some((from, found));
        found
    };
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if out.len() > max_len {
            break;
        }
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let advance = match bytes[cursor + 1] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match find_close(cursor + 2) {
                    Some(end) => {
                        let name = &input[cursor + 2..end];
                        match mapping(name) {
                            Some(v) => push_capped(&mut out, v, max_len),
                            None => {
                                out.push_str("$(");
                                push_capped(&mut out, name, max_len);
                                out.push(')');
                            }
                        }
                        end - cursor
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // `$` followed by any other character is kept as written.
                    let ch = input[cursor + 1..].chars().next().map_or(0, char::len_utf8);
                    out.push('$');
                    out.push_str(&input[cursor + 1..cursor + 1 + ch]);
                    ch
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint < input.len() && out.len() <= max_len {
        push_capped(&mut out, &input[checkpoint..], max_len);
    }
    if out.len() > max_len {
        out.truncate(crate::text::prefix_within(&out, max_len).len());
        return (out, false);
    }
    (out, true)
}

/// Appends at most one byte past `max_len` (enough to tell it was cut).
fn push_capped(out: &mut String, text: &str, max_len: usize) {
    let room = (max_len + 1).saturating_sub(out.len());
    if text.len() <= room {
        out.push_str(text);
    } else {
        let mut end = room;
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push_str(&text[..end]);
    }
}

/// ECI's rule for keys: 1–128 characters of letters, digits and `_`, not
/// starting with a digit (CreateContainerGroup `EnvironmentVar.N.Key`).
pub fn is_eci_env_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 128
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !key.as_bytes()[0].is_ascii_digit()
}

/// Documented maximum value length.
pub const MAX_ENV_VALUE: usize = 256;

fn object_ref(kind: ObjectKind, ns: &str, name: &str, pointer: String) -> InputRef {
    InputRef::of(Input::Object(object_name(kind, ns, name)), pointer)
}

/// Looks up `key` in a ConfigMap or Secret.
fn lookup_key(ctx: &Ctx<'_>, kind: ObjectKind, name: &str, key: &str) -> Result<(String, InputRef), &'static str> {
    let ns = ctx.namespace.as_str();
    match kind {
        ObjectKind::ConfigMap => {
            let cm = ctx.input.objects.config_map(ns, name).ok_or("object")?;
            if let Some(v) = cm.data.as_ref().and_then(|d| d.get(key)) {
                return Ok((v.clone(), object_ref(kind, ns, name, Pointer::from_tokens(["data", key]).into())));
            }
            let bin = cm.binary_data.as_ref().and_then(|d| d.get(key)).ok_or("key")?;
            let text = String::from_utf8(bin.0.clone()).map_err(|_| "binary")?;
            Ok((text, object_ref(kind, ns, name, Pointer::from_tokens(["binaryData", key]).into())))
        }
        _ => {
            let s = ctx.input.objects.secret(ns, name).ok_or("object")?;
            let bin = s.data.as_ref().and_then(|d| d.get(key)).ok_or("key")?;
            let text = String::from_utf8(bin.0.clone()).map_err(|_| "binary")?;
            Ok((text, object_ref(kind, ns, name, Pointer::from_tokens(["data", key]).into())))
        }
    }
}

/// Reports a missing object or key; returns true when the reference was optional.
fn report_missing(ctx: &mut Ctx<'_>, why: &str, kind: ObjectKind, name: &str, key: &str, optional: bool, at: &Pointer) {
    let what = object_name(kind, &ctx.namespace, name);
    let (code, message) = match why {
        "object" => (Code::MissingObject, format!("{what} was not supplied")),
        "binary" => (Code::InvalidValue, format!("key `{key}` of {what} is not UTF-8 text and cannot be an env value")),
        _ => (Code::MissingKey, format!("{what} has no key `{key}`")),
    };
    if optional && why != "binary" {
        ctx.push(Diagnostic::pod(
            Severity::Info,
            code,
            at,
            format!("{message}; the reference is optional, so the variable is not set"),
        ));
    } else if why == "object" && ctx.input.missing_objects == super::MissingObjects::Placeholder {
        let effect = if key.is_empty() {
            "its variables are unknown, so none is set in this preview".to_string()
        } else {
            format!("the variable reads `{}` in this preview", super::MissingObjects::placeholder(kind, name, key))
        };
        ctx.push(
            Diagnostic::pod(Severity::Warning, code, at, format!("{message}: {effect}; the request is incomplete"))
                .help(
                    "supply it with --objects (kubectl get -o yaml); --strict makes this an error, as a provider does",
                ),
        );
    } else {
        ctx.push(
            Diagnostic::pod(Severity::Error, code, at, message)
                .help("supply the object with --objects (kubectl get -o yaml), or mark the reference optional"),
        );
    }
}

/// The pod-level value of a downward-API field known before creation.
pub(super) enum FieldValue {
    Static(String, InputRef),
    Runtime { path: &'static str, converted_from: Option<String> },
}

/// Resolves a `fieldRef` (env and downwardAPI volumes share it).
pub(super) fn field_value(ctx: &Ctx<'_>, sel: &ObjectFieldSelector) -> Result<FieldValue, String> {
    let meta = &ctx.pod.metadata;
    let path = sel.field_path.as_str();
    let static_value =
        |v: Option<String>, pointer: &str| Ok(FieldValue::Static(v.unwrap_or_default(), InputRef::pod(pointer)));
    let subscript = |prefix: &str| -> Option<String> {
        let inner = path.strip_prefix(prefix)?.strip_suffix("']")?;
        Some(inner.to_string())
    };
    match path {
        "metadata.name" => static_value(meta.name.clone(), "/metadata/name"),
        "metadata.namespace" => static_value(Some(ctx.namespace.clone()), "/metadata/namespace"),
        "metadata.uid" => static_value(meta.uid.clone(), "/metadata/uid"),
        "spec.serviceAccountName" => static_value(
            Some(ctx.spec().and_then(|s| s.service_account_name.clone()).unwrap_or_else(|| "default".into())),
            "/spec/serviceAccountName",
        ),
        "spec.nodeName" => static_value(ctx.spec().and_then(|s| s.node_name.clone()), "/spec/nodeName"),
        "status.podIP" => Ok(FieldValue::Runtime { path: "status.podIP", converted_from: None }),
        "status.hostIP" | "status.hostIPs" | "status.podIPs" => {
            Ok(FieldValue::Runtime { path: "status.podIP", converted_from: Some(path.to_string()) })
        }
        _ => {
            if let Some(k) = subscript("metadata.labels['") {
                let v = meta.labels.as_ref().and_then(|l| l.get(&k)).cloned();
                return static_value(v, &String::from(Pointer::from_tokens(["metadata", "labels", &k])));
            }
            if let Some(k) = subscript("metadata.annotations['") {
                let v = meta.annotations.as_ref().and_then(|l| l.get(&k)).cloned();
                return static_value(v, &String::from(Pointer::from_tokens(["metadata", "annotations", &k])));
            }
            Err(format!("fieldPath `{path}` is not available on ECI"))
        }
    }
}

/// Resolves a `resourceFieldRef` against the container's sizing basis; a
/// limit that is not set falls back to the instance size, as the kubelet
/// falls back to the node's allocatable.
pub(super) fn resource_value(
    sel: &ResourceFieldSelector,
    own: &ContainerResources,
    instance: (i128, i128),
) -> Result<String, String> {
    let divisor = match &sel.divisor {
        Some(q) => Quantity::parse(&q.0).map_err(|e| e.to_string())?,
        None => Quantity::parse("1").map_err(|e| e.to_string())?,
    };
    let (value, millis) = match sel.resource.as_str() {
        "limits.cpu" | "requests.cpu" => (own.cpu_millis.unwrap_or(instance.0), true),
        "limits.memory" | "requests.memory" => (own.memory_bytes.unwrap_or(instance.1), false),
        "limits.ephemeral-storage" | "requests.ephemeral-storage" => (30 << 30, false),
        other => {
            return Err(format!("resource `{other}` cannot be exposed through the downward API on ECI"));
        }
    };
    let divisor_units = if millis { divisor.millis_ceil() } else { divisor.units_ceil() };
    match divisor_units {
        Some(d) if d > 0 => Ok(((value + d - 1) / d).to_string()),
        _ => Err("the divisor must be a positive quantity".into()),
    }
}

fn describe_resource(own: &ContainerResources) -> String {
    format!(
        "{} vCPU / {}",
        own.cpu_millis.map_or("instance".into(), format_millis),
        own.memory_bytes.map_or("instance memory".into(), format_bytes)
    )
}

/// Resolves the environment of one container.
pub(super) fn resolve(
    ctx: &mut Ctx<'_>,
    container: &Container,
    base: &Pointer,
    resources: &BTreeMap<String, ContainerResources>,
    instance: (i128, i128),
) -> Environment {
    let mut env = Environment::default();
    let mut invalid = Vec::new();
    for (i, from) in container.env_from.iter().flatten().enumerate() {
        let at = base.key("envFrom").index(i);
        let prefix = from.prefix.clone().unwrap_or_default();
        let (kind, name, optional) = match (&from.config_map_ref, &from.secret_ref) {
            (Some(r), _) => (ObjectKind::ConfigMap, r.name.clone(), r.optional == Some(true)),
            (_, Some(r)) => (ObjectKind::Secret, r.name.clone(), r.optional == Some(true)),
            _ => continue,
        };
        let ns = ctx.namespace.clone();
        let entries: Option<Vec<(String, Vec<u8>, String)>> = match kind {
            ObjectKind::ConfigMap => ctx.input.objects.config_map(&ns, &name).map(|cm| {
                let text =
                    cm.data.iter().flatten().map(|(k, v)| (k.clone(), v.clone().into_bytes(), "data".to_string()));
                let bin =
                    cm.binary_data.iter().flatten().map(|(k, v)| (k.clone(), v.0.clone(), "binaryData".to_string()));
                text.chain(bin).collect()
            }),
            _ => {
                ctx.input.objects.secret(&ns, &name).map(|s| {
                    s.data.iter().flatten().map(|(k, v)| (k.clone(), v.0.clone(), "data".to_string())).collect()
                })
            }
        };
        let Some(entries) = entries else {
            report_missing(ctx, "object", kind, &name, "", optional, &at);
            continue;
        };
        for (key, bytes, section) in entries {
            let var_name = format!("{prefix}{key}");
            let Ok(text) = String::from_utf8(bytes) else {
                invalid.push(var_name);
                continue;
            };
            if !is_eci_env_key(&var_name) {
                invalid.push(var_name);
                continue;
            }
            let secret = kind == ObjectKind::Secret;
            let source = object_ref(kind, &ns, &name, Pointer::from_tokens([section.as_str(), key.as_str()]).into());
            let var = ResolvedVar {
                var: EnvironmentVar {
                    key: Some(var_name.clone()),
                    value: Some(Sensitive::new(&text, secret)),
                    field_ref: None,
                },
                rule: format!("envFrom {} `{name}` key `{key}`", kind.as_str()),
                inputs: vec![InputRef::pod(at.clone()), source],
            };
            env.set(var_name, var, Known::Text { text, secret });
        }
    }
    if !invalid.is_empty() {
        ctx.push(
            Diagnostic::pod(
                Severity::Warning,
                Code::Dropped,
                base.key("envFrom"),
                format!("keys that are not valid ECI variable names are skipped: {}", invalid.join(", ")),
            )
            .help("ECI variable names use letters, digits and `_` and do not start with a digit"),
        );
    }
    for (i, var) in container.env.iter().flatten().enumerate() {
        resolve_var(ctx, &mut env, var, &base.key("env").index(i), resources, container, instance);
    }
    env
}

fn resolve_var(
    ctx: &mut Ctx<'_>,
    env: &mut Environment,
    var: &EnvVar,
    at: &Pointer,
    resources: &BTreeMap<String, ContainerResources>,
    container: &Container,
    instance: (i128, i128),
) {
    if !is_eci_env_key(&var.name) {
        ctx.push(
            Diagnostic::pod(
                Severity::Error,
                Code::InvalidValue,
                at.key("name"),
                format!("`{}` is not a valid ECI variable name", var.name),
            )
            .help("ECI accepts 1–128 letters, digits and `_`, not starting with a digit"),
        );
    }
    let make = |value: Option<Sensitive>, field_ref: Option<FieldRef>, rule: String, inputs: Vec<InputRef>| {
        ResolvedVar { var: EnvironmentVar { key: Some(var.name.clone()), value, field_ref }, rule, inputs }
    };
    let Some(from) = &var.value_from else {
        let raw = var.value.clone().unwrap_or_default();
        let Expansion { text, secret, runtime, .. } = expand_at(ctx, env, &raw, at.key("value"));
        for name in runtime {
            ctx.push(Diagnostic::pod(
                Severity::Warning,
                Code::Converted,
                at.key("value"),
                format!("$({name}) refers to a value known only at run time; ECI receives the text `$({name})`"),
            ));
        }
        let rule = if text == raw { "env value".to_string() } else { "env value with $(VAR) expanded".to_string() };
        let value = Sensitive::new(&text, secret);
        env.set(
            var.name.clone(),
            make(Some(value), None, rule, vec![InputRef::pod(at.clone())]),
            Known::Text { text, secret },
        );
        return;
    };
    let from_at = at.key("valueFrom");
    if let Some(sel) = &from.field_ref {
        match field_value(ctx, sel) {
            Ok(FieldValue::Static(text, source)) => {
                let rule = format!("fieldRef {} resolved before creation", sel.field_path);
                env.set(
                    var.name.clone(),
                    make(Some(Sensitive::public(&text)), None, rule, vec![InputRef::pod(from_at.key("fieldRef")), source]),
                    Known::Text { text, secret: false },
                );
            }
            Ok(FieldValue::Runtime { path, converted_from }) => {
                if let Some(original) = &converted_from {
                    ctx.push(Diagnostic::pod(
                        Severity::Warning,
                        Code::Converted,
                        from_at.key("fieldRef").key("fieldPath"),
                        format!("{original} is sent as status.podIP: an ECI instance is its own host and has one pod IP"),
                    ));
                }
                let field_ref = FieldRef { field_path: Some(path.to_string()) };
                env.set(
                    var.name.clone(),
                    make(None, Some(field_ref), format!("fieldRef {path}, filled in by ECI at run time"), vec![InputRef::pod(from_at.key("fieldRef"))]),
                    Known::Runtime,
                );
            }
            Err(why) => ctx.push(
                Diagnostic::pod(Severity::Error, Code::UnsupportedFieldPath, from_at.key("fieldRef").key("fieldPath"), why)
                    .help("supported: metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'], metadata.annotations['k'], spec.serviceAccountName, spec.nodeName, status.podIP"),
            ),
        }
        return;
    }
    if let Some(sel) = &from.resource_field_ref {
        let target = sel.container_name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| container.name.clone());
        let Some(own) = resources.get(&target) else {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::InvalidValue,
                from_at.key("resourceFieldRef").key("containerName"),
                format!("no container named `{target}`"),
            ));
            return;
        };
        match resource_value(sel, own, instance) {
            Ok(text) => {
                let rule = format!(
                    "resourceFieldRef {} of `{target}` ({}) resolved before creation",
                    sel.resource,
                    describe_resource(own)
                );
                env.set(
                    var.name.clone(),
                    make(
                        Some(Sensitive::public(&text)),
                        None,
                        rule,
                        vec![InputRef::pod(from_at.key("resourceFieldRef"))],
                    ),
                    Known::Text { text, secret: false },
                );
            }
            Err(why) => ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::UnsupportedFieldPath,
                from_at.key("resourceFieldRef"),
                why,
            )),
        }
        return;
    }
    let (kind, name, key, optional, ref_at) = match (&from.config_map_key_ref, &from.secret_key_ref) {
        (Some(r), _) => (
            ObjectKind::ConfigMap,
            r.name.clone(),
            r.key.clone(),
            r.optional == Some(true),
            from_at.key("configMapKeyRef"),
        ),
        (_, Some(r)) => {
            (ObjectKind::Secret, r.name.clone(), r.key.clone(), r.optional == Some(true), from_at.key("secretKeyRef"))
        }
        _ => {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::Unsupported,
                from_at,
                "this valueFrom source has no ECI equivalent",
            ));
            return;
        }
    };
    match lookup_key(ctx, kind, &name, &key) {
        Ok((text, source)) => {
            let secret = kind == ObjectKind::Secret;
            let value = Sensitive::new(&text, secret);
            let rule = format!("{} `{name}` key `{key}`", kind.as_str());
            env.set(
                var.name.clone(),
                make(Some(value), None, rule, vec![InputRef::pod(ref_at), source]),
                Known::Text { text, secret },
            );
        }
        Err("object") if !optional && ctx.input.missing_objects == super::MissingObjects::Placeholder => {
            // A preview shows where the value would go, marked as missing.
            let text = super::MissingObjects::placeholder(kind, &name, &key);
            report_missing(ctx, "object", kind, &name, &key, optional, &ref_at);
            let rule = format!("{} `{name}` key `{key}` (not supplied: a placeholder)", kind.as_str());
            env.set(
                var.name.clone(),
                make(Some(Sensitive::new(&text, false)), None, rule, vec![InputRef::pod(ref_at)]),
                Known::Text { text, secret: false },
            );
        }
        Err(why) => report_missing(ctx, why, kind, &name, &key, optional, &ref_at),
    }
}

/// Checks the documented per-container limits on variables.
pub(super) fn check_limits(ctx: &mut Ctx<'_>, vars: &[ResolvedVar], base: &Pointer) {
    for v in vars {
        let len = v.var.value.as_ref().map_or(0, |s| s.expose().chars().count());
        if len > MAX_ENV_VALUE {
            let key = v.var.key.clone().unwrap_or_default();
            let at = v.inputs.first().map_or_else(|| base.key("env").into(), |i| i.pointer.clone());
            ctx.push(
                Diagnostic::pod(
                    Severity::Error,
                    Code::OverLimit,
                    at,
                    format!("the value of `{key}` has {len} characters; ECI accepts at most {MAX_ENV_VALUE} (CreateContainerGroup EnvironmentVar.N.Value)"),
                )
                .help("mount long values as a file from a ConfigMap or Secret volume"),
            );
        }
    }
    if vars.len() > 100 {
        ctx.push(Diagnostic::pod(
            Severity::Warning,
            Code::OverLimit,
            base.key("env"),
            format!("{} variables; ECI documents at most 100 per container (ROS schema)", vars.len()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(input: &str) -> String {
        let (text, complete) = expand(input, 1000, |n| match n {
            "A" => Some("1"),
            "B" => Some("two"),
            _ => None,
        });
        assert!(complete);
        text
    }

    #[test]
    fn expansion_is_capped() {
        let (text, complete) = expand("$(A)$(A)$(A)", 5, |_| Some("abcd"));
        assert_eq!((text.as_str(), complete), ("abcda", false));
        let (text, complete) = expand("x".repeat(10).as_str(), 10, |_| None);
        assert_eq!((text.len(), complete), (10, true));
        let (text, complete) = expand("ééé", 3, |_| None);
        assert_eq!((text.as_str(), complete), ("é", false));
    }

    #[test]
    fn unterminated_references_scan_once() {
        // A megabyte of `$(` without `)`: each used to rescan the rest (quadratic).
        let input = "$(".repeat(500_000);
        let (text, complete) = expand(&input, usize::MAX, |_| Some("never"));
        assert!(complete);
        assert_eq!(text, input);
        let (text, _) = expand("$(A$(B)", 100, |n| (n == "A$(B").then_some("x"));
        assert_eq!(text, "x");
    }

    #[test]
    fn expansion_matches_kubernetes() {
        assert_eq!(exp("$(A)"), "1");
        assert_eq!(exp("x-$(A)-$(B)-y"), "x-1-two-y");
        assert_eq!(exp("$$(A)"), "$(A)");
        assert_eq!(exp("$(C)"), "$(C)");
        assert_eq!(exp("$(A"), "$(A");
        assert_eq!(exp("$A"), "$A");
        assert_eq!(exp("cost: 5$"), "cost: 5$");
        assert_eq!(exp("$$$$"), "$$");
        assert_eq!(exp("€$(B)€"), "€two€");
        assert_eq!(exp("$é"), "$é");
    }

    #[test]
    fn eci_keys() {
        assert!(is_eci_env_key("JAVA_OPTS") && is_eci_env_key("_x1"));
        assert!(!is_eci_env_key("1X") && !is_eci_env_key("my.var") && !is_eci_env_key("A-B") && !is_eci_env_key(""));
    }
}
