//! Where a JSON pointer sits in YAML text: diagnostics point into documents
//! by RFC 6901 pointer (`/spec/volumes/1/hostPath`); people read line and
//! column. [`SourceMap`] records, for every node of every document of a
//! YAML (or JSON) stream, the span of its key and of its value, so a
//! pointer becomes a range an editor can underline or a terminal can print.
//!
//! Documents are numbered as [`crate::input::parse_documents`] numbers them:
//! empty documents are skipped.

use std::collections::BTreeMap;

use granit_parser::{Event, Parser, Span};
use serde::{Deserialize, Serialize};

use crate::diagnostics::{Pointer, TextLocation};

/// A range of text: start inclusive, end exclusive; lines and columns from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextRange {
    /// Where it starts.
    pub start: TextLocation,
    /// Where it ends.
    pub end: TextLocation,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    /// The key of a mapping entry.
    key: Option<TextRange>,
    /// The value.
    value: TextRange,
}

fn location(marker: granit_parser::Marker) -> TextLocation {
    TextLocation { line: marker.line() as u64, column: marker.col() as u64 + 1 }
}

fn range(span: &Span) -> TextRange {
    TextRange { start: location(span.start), end: location(span.end) }
}

enum Frame {
    Map { at: Pointer, key: Option<(String, TextRange)> },
    Seq { at: Pointer, next: usize },
}

/// The spans of every node of a stream.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    documents: Vec<BTreeMap<String, Node>>,
}

impl SourceMap {
    /// Maps `text`. Never fails: a syntax error ends the map where it occurs.
    pub fn parse(text: &str) -> SourceMap {
        let mut documents = Vec::new();
        let mut doc: BTreeMap<String, Node> = BTreeMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        // Open containers: (pointer, key range, start of the value).
        let mut open: Vec<(String, Option<TextRange>, TextLocation)> = Vec::new();
        let mut empty = true;
        for item in Parser::new_from_str(text) {
            let Ok((event, span)) = item else { break };
            match event {
                Event::DocumentStart(..) => {
                    doc = BTreeMap::new();
                    stack.clear();
                    empty = true;
                }
                Event::DocumentEnd if !empty => documents.push(std::mem::take(&mut doc)),
                Event::Alias(..) => {
                    // `*name`: a value whose nodes live at the anchor; pointers below it show the alias.
                    if let Some((at, key)) = Self::place(&mut stack) {
                        doc.insert(at, Node { key, value: range(&span) });
                    }
                }
                Event::Scalar(value, ..) => {
                    // A key of a mapping, or a value.
                    if let Some(Frame::Map { key: key @ None, .. }) = stack.last_mut() {
                        *key = Some((value.into_owned(), range(&span)));
                        continue;
                    }
                    let Some((at, key)) = Self::place(&mut stack) else {
                        // The root: a document that is only a scalar (or empty).
                        empty = value.is_empty() || value == "~" || value == "null";
                        continue;
                    };
                    doc.insert(at, Node { key, value: range(&span) });
                }
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    let is_map = matches!(event, Event::MappingStart(..));
                    let (at, key) = match Self::place(&mut stack) {
                        Some((at, key)) => (at, key),
                        None => {
                            empty = false;
                            (String::new(), None)
                        }
                    };
                    open.push((at.clone(), key, location(span.start)));
                    let at = Pointer(at);
                    stack.push(if is_map { Frame::Map { at, key: None } } else { Frame::Seq { at, next: 0 } });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                    if let Some((at, key, start)) = open.pop() {
                        doc.insert(at, Node { key, value: TextRange { start, end: location(span.end) } });
                    }
                }
                _ => {}
            }
        }
        SourceMap { documents }
    }

    /// The pointer and key range of the node that comes next in the
    /// innermost container; `None` at the root.
    fn place(stack: &mut [Frame]) -> Option<(String, Option<TextRange>)> {
        match stack.last_mut()? {
            Frame::Map { at, key } => {
                let (name, range) = key.take()?;
                Some((at.key(&name).into(), Some(range)))
            }
            Frame::Seq { at, next } => {
                *next += 1;
                Some((at.index(*next - 1).into(), None))
            }
        }
    }

    /// How many documents the stream has.
    pub fn documents(&self) -> usize {
        self.documents.len()
    }

    /// The range to show for `pointer` in document `doc`: the key of a
    /// mapping entry, else the value's first line. A pointer to something
    /// absent (a field the tool reports missing) shows its nearest present
    /// ancestor. `None` only for an unknown document.
    pub fn locate(&self, doc: usize, pointer: &str) -> Option<TextRange> {
        let nodes = self.documents.get(doc)?;
        let mut at = pointer.to_string();
        loop {
            if let Some(node) = nodes.get(&at) {
                return Some(node.key.unwrap_or(TextRange {
                    start: node.value.start,
                    end: if node.value.end.line == node.value.start.line {
                        node.value.end
                    } else {
                        TextLocation { line: node.value.start.line, column: node.value.start.column + 1 }
                    },
                }));
            }
            let cut = at.rfind('/')?;
            at.truncate(cut);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: &str = "\
# a comment
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: web
    image: nginx
  volumes:
  - name: logs
    hostPath:
      path: /var/log
---
---
kind: ConfigMap
data:
  a.txt: hello
";

    fn at(line: u64, column: u64) -> TextLocation {
        TextLocation { line, column }
    }

    #[test]
    fn pointers_become_ranges() {
        let map = SourceMap::parse(POD);
        assert_eq!(map.documents(), 2, "the empty document is skipped, as parse_documents does");
        // A mapping entry shows its key.
        assert_eq!(map.locate(0, "/spec/volumes/0/hostPath"), Some(TextRange { start: at(11, 5), end: at(11, 13) }));
        assert_eq!(map.locate(0, "/kind"), Some(TextRange { start: at(3, 1), end: at(3, 5) }));
        // Flow mappings too.
        assert_eq!(map.locate(0, "/metadata/labels/app"), Some(TextRange { start: at(4, 32), end: at(4, 35) }));
        // A sequence item shows the first line of its value.
        assert_eq!(map.locate(0, "/spec/containers/0").map(|r| r.start), Some(at(7, 5)));
        // Something absent shows its nearest ancestor.
        assert_eq!(map.locate(0, "/spec/volumes/0/hostPath/type"), map.locate(0, "/spec/volumes/0/hostPath"));
        assert_eq!(map.locate(1, "/data/a.txt").map(|r| r.start), Some(at(17, 3)));
        assert_eq!(map.locate(2, "/kind"), None);
        // The root of a document is its first line.
        assert_eq!(map.locate(0, "").map(|r| r.start.line), Some(2));
    }

    #[test]
    fn keys_with_slashes_and_json_input() {
        let map = SourceMap::parse(r#"{"metadata": {"annotations": {"k8s.aliyun.com/eci-use-specs": "x"}}}"#);
        let r = map.locate(0, "/metadata/annotations/k8s.aliyun.com~1eci-use-specs").expect("found");
        assert_eq!((r.start.line, r.start.column), (1, 31));
    }
}
