//! Provenance: which rule and which inputs produced each request field.
//!
//! Translation records an [`Explanation`] whenever it sets a field (or a
//! whole sub-object such as `Container.1.Port.2`). [`explain_rows`] then
//! walks the flattened request and gives *every* wire parameter the most
//! specific explanation that covers it, so the table cannot silently miss a
//! field: a parameter without one shows up with an empty rule, and a test
//! over all fixtures forbids that.

use serde::{Deserialize, Serialize};

use crate::diagnostics::Input;
use crate::eci::WireParams;

/// A place in one of the inputs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputRef {
    /// The input document.
    pub input: Input,
    /// JSON pointer into it (may use `*` for "every item").
    pub pointer: String,
}

impl InputRef {
    /// A place in the pod.
    pub fn pod(pointer: impl Into<String>) -> Self {
        InputRef { input: Input::Pod, pointer: pointer.into() }
    }

    /// A place in another input.
    pub fn of(input: Input, pointer: impl Into<String>) -> Self {
        InputRef { input, pointer: pointer.into() }
    }
}

impl std::fmt::Display for InputRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.input {
            Input::Pod => f.write_str(&self.pointer),
            Input::Cluster => write!(f, "cluster:{}", self.pointer),
            Input::Object(name) => write!(f, "{name}:{}", self.pointer),
            other => write!(f, "{other}:{}", self.pointer),
        }
    }
}

/// Why a field (or every field under a prefix) has its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// Wire name or prefix: `Cpu`, `Container.1.Port.2`.
    pub field: String,
    /// The rule, in words.
    pub rule: String,
    /// The inputs the value was read from.
    pub inputs: Vec<InputRef>,
}

/// An input that sets no request parameter: an annotation or a cluster
/// switch whose documented effect is carried out by someone else (the
/// provider engine, the admission webhook) or by no one here. Translation
/// records one so that the explain table says what became of the input
/// instead of leaving it out silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Effect {
    /// The input's name: an annotation key, an eci-profile key, an env var.
    pub input: String,
    /// Its value.
    pub value: String,
    /// What it does, and who does it.
    pub rule: String,
    /// Where it was read.
    pub inputs: Vec<InputRef>,
}

fn sent() -> bool {
    true
}

fn is_sent(sent: &bool) -> bool {
    *sent
}

/// One row of the explain table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainRow {
    /// Wire name; for a row that is not sent, the input's name.
    pub field: String,
    /// Value as sent (redacted unless asked otherwise).
    pub value: String,
    /// The rule.
    pub rule: String,
    /// The inputs.
    pub inputs: Vec<InputRef>,
    /// False for an input that sets no request parameter ([`Effect`]);
    /// serialized only then (`"sent": false`).
    #[serde(default = "sent", skip_serializing_if = "is_sent")]
    pub sent: bool,
}

impl From<&Effect> for ExplainRow {
    fn from(e: &Effect) -> Self {
        ExplainRow {
            field: e.input.clone(),
            value: e.value.clone(),
            rule: e.rule.clone(),
            inputs: e.inputs.clone(),
            sent: false,
        }
    }
}

impl std::fmt::Display for ExplainRow {
    /// `Cpu = 2.0 <- rule (input, input)`; a row that is not sent reads
    /// `key = value (not sent) <- rule (input)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let not_sent = if self.sent { "" } else { " (not sent)" };
        write!(f, "{} = {}{not_sent} <- {}", self.field, self.value, self.rule)?;
        if !self.inputs.is_empty() {
            let inputs: Vec<String> = self.inputs.iter().map(ToString::to_string).collect();
            write!(f, " ({})", inputs.join(", "))?;
        }
        Ok(())
    }
}

/// True when `field` is `prefix` or lies under it (`Container.1` covers
/// `Container.1.Name` but not `Container.10.Name`). A prefix ending in `*`
/// covers every name that starts with the text before the `*`
/// (`Container.1.LifecyclePreStopHandler*` covers the flat hook fields).
fn covers(prefix: &str, field: &str) -> bool {
    if let Some(text) = prefix.strip_suffix('*') {
        return field.starts_with(text);
    }
    field == prefix || (field.starts_with(prefix) && field.as_bytes().get(prefix.len()) == Some(&b'.'))
}

/// Pairs every wire parameter with its most specific explanation.
pub fn explain_rows(params: &WireParams, explanations: &[Explanation]) -> Vec<ExplainRow> {
    params
        .iter()
        .map(|(field, value)| {
            let best = explanations.iter().filter(|e| covers(&e.field, field)).max_by_key(|e| e.field.len());
            ExplainRow {
                field: field.to_string(),
                value: value.to_string(),
                rule: best.map(|e| e.rule.clone()).unwrap_or_default(),
                inputs: best.map(|e| e.inputs.clone()).unwrap_or_default(),
                sent: true,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_specific_prefix_wins_on_segment_boundaries() {
        let params =
            WireParams::from_pairs([("Container.1.Name", "a"), ("Container.1.Cpu", "1.0"), ("Container.10.Name", "j")]);
        let ex = vec![
            Explanation {
                field: "Container.1".into(),
                rule: "container".into(),
                inputs: vec![InputRef::pod("/spec/containers/0")],
            },
            Explanation { field: "Container.1.Cpu".into(), rule: "limit".into(), inputs: vec![] },
        ];
        let rows = explain_rows(&params, &ex);
        let rule = |f: &str| rows.iter().find(|r| r.field == f).map(|r| r.rule.clone()).unwrap_or_default();
        assert_eq!(rule("Container.1.Name"), "container");
        assert_eq!(rule("Container.1.Cpu"), "limit");
        assert_eq!(rule("Container.10.Name"), "", "Container.1 must not cover Container.10");
        assert_eq!(rows[0].to_string(), "Container.1.Cpu = 1.0 <- limit");
        assert!(covers("Container.1.LifecyclePreStopHandler*", "Container.1.LifecyclePreStopHandlerExec.1"));
    }
}
