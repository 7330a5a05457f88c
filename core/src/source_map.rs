//! Where a JSON pointer sits in YAML text: diagnostics point into documents
//! by RFC 6901 pointer (`/spec/volumes/1/hostPath`); people read line and
//! column. [`SourceMap`] turns pointers into the span of their key (or
//! value), so an editor can underline it and a terminal can print it.
//!
//! The map is lazy: it keeps the text and, when asked, walks the parser's
//! events once for a whole batch of pointers ([`SourceMap::locate_all`]),
//! following only the branches of a trie built from the pointers it was
//! asked for. Cost is linear in the text plus the pointers, whatever the
//! shape of the document (a long key above a long list used to make one
//! pointer string per node: quadratic memory). Callers parse the text with
//! [`crate::input::parse_documents`] first, so the reader's input limits
//! ([`crate::limits`]) apply before the map is walked.
//!
//! Documents are numbered as [`crate::input::parse_documents`] numbers them:
//! empty documents are skipped.

use std::collections::BTreeMap;

use granit_parser::{Event, Parser, ScalarStyle, Span};
use serde::{Deserialize, Serialize};

use crate::diagnostics::TextLocation;

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

impl Node {
    /// The range to show: the key of a mapping entry, else the value's first line.
    fn shown(&self) -> TextRange {
        self.key.unwrap_or(TextRange {
            start: self.value.start,
            end: if self.value.end.line == self.value.start.line {
                self.value.end
            } else {
                TextLocation { line: self.value.start.line, column: self.value.start.column + 1 }
            },
        })
    }
}

fn location(marker: granit_parser::Marker) -> TextLocation {
    TextLocation { line: marker.line() as u64, column: marker.col() as u64 + 1 }
}

fn range(span: &Span) -> TextRange {
    TextRange { start: location(span.start), end: location(span.end) }
}

/// The unescaped reference tokens of an RFC 6901 pointer (`""` has none).
fn tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~"))
}

/// The pointers asked for, as a trie per document; each trie node records
/// where its node was found.
#[derive(Debug, Default)]
struct Trie {
    children: Vec<BTreeMap<String, usize>>,
    found: Vec<Option<Node>>,
}

impl Trie {
    fn new_node(&mut self) -> usize {
        self.children.push(BTreeMap::new());
        self.found.push(None);
        self.children.len() - 1
    }

    fn insert(&mut self, root: usize, pointer: &str) {
        let mut at = root;
        for token in tokens(pointer) {
            at = match self.children[at].get(&token) {
                Some(&next) => next,
                None => {
                    let next = self.new_node();
                    self.children[at].insert(token, next);
                    next
                }
            };
        }
    }

    fn child(&self, at: Option<usize>, token: &str) -> Option<usize> {
        at.and_then(|t| self.children[t].get(token).copied())
    }

    /// The deepest node on `pointer`'s path that was found.
    fn nearest(&self, root: usize, pointer: &str) -> Option<TextRange> {
        let mut at = root;
        let mut best = self.found[at];
        for token in tokens(pointer) {
            let Some(&next) = self.children[at].get(&token) else { break };
            at = next;
            best = self.found[at].or(best);
        }
        best.map(|n| n.shown())
    }
}

enum Frame {
    Map { trie: Option<usize>, key: Option<(String, TextRange)> },
    Seq { trie: Option<usize>, next: usize },
}

/// Where the nodes of a YAML (or JSON) stream are written.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    text: String,
}

impl SourceMap {
    /// A map of `text`. Nothing is computed until a pointer is located.
    pub fn parse(text: &str) -> SourceMap {
        SourceMap { text: text.to_string() }
    }

    /// How many (non-empty) documents the stream has, up to a syntax error.
    pub fn documents(&self) -> usize {
        let mut count = 0;
        let mut at_root = false;
        for item in Parser::new_from_str(&self.text) {
            let Ok((event, _)) = item else { break };
            match event {
                Event::DocumentStart(..) => at_root = true,
                Event::MappingStart(..) | Event::SequenceStart(..) | Event::Alias(..) if at_root => {
                    count += 1;
                    at_root = false;
                }
                Event::Scalar(value, style, _, tag) if at_root => {
                    count += usize::from(!is_null_scalar(&value, style, tag.as_deref()));
                    at_root = false;
                }
                _ => {}
            }
        }
        count
    }

    /// The range to show for `pointer` in document `doc`: the key of a
    /// mapping entry, else the value's first line. A pointer to something
    /// absent (a field the tool reports missing) shows its nearest present
    /// ancestor. `None` only for an unknown document.
    pub fn locate(&self, doc: usize, pointer: &str) -> Option<TextRange> {
        self.locate_all(&[(doc, pointer)]).pop().flatten()
    }

    /// [`SourceMap::locate`] for many `(document, pointer)` pairs in one
    /// pass over the text; the answers come in the order asked.
    pub fn locate_all(&self, wanted: &[(usize, &str)]) -> Vec<Option<TextRange>> {
        let mut trie = Trie::default();
        let mut roots: BTreeMap<usize, usize> = BTreeMap::new();
        for &(doc, pointer) in wanted {
            let root = *roots.entry(doc).or_insert_with(|| trie.new_node());
            trie.insert(root, pointer);
        }
        let Some(&last_doc) = roots.keys().next_back() else { return Vec::new() };
        self.walk(&mut trie, &roots, last_doc);
        wanted.iter().map(|&(doc, pointer)| roots.get(&doc).and_then(|&root| trie.nearest(root, pointer))).collect()
    }

    /// Records, in `trie`, the spans of the nodes it names.
    fn walk(&self, trie: &mut Trie, roots: &BTreeMap<usize, usize>, last_doc: usize) {
        let mut stack: Vec<Frame> = Vec::new();
        // Open containers: (trie node, key range, start of the value).
        let mut open: Vec<(Option<usize>, Option<TextRange>, TextLocation)> = Vec::new();
        // The number of the current document, once its root shows it is not empty.
        let mut doc: Option<usize> = None;
        let mut next_doc = 0;
        let mut at_root = false;
        for item in Parser::new_from_str(&self.text) {
            let Ok((event, span)) = item else { break };
            let root_of = |d: Option<usize>| d.and_then(|d| roots.get(&d).copied());
            match event {
                Event::DocumentStart(..) => {
                    if doc.is_some_and(|d| d >= last_doc) {
                        break;
                    }
                    stack.clear();
                    open.clear();
                    doc = None;
                    at_root = true;
                }
                Event::Alias(..) => {
                    // `*name`: a value whose nodes live at the anchor; pointers below it show the alias.
                    let at =
                        if at_root { Self::enter_root(&mut doc, &mut next_doc, &mut at_root, root_of) } else { None };
                    let (node, key) = if stack.is_empty() { (at, None) } else { Self::place(trie, &mut stack) };
                    if let Some(t) = node {
                        trie.found[t] = Some(Node { key, value: range(&span) });
                    }
                }
                Event::Scalar(value, style, _, tag) => {
                    if let Some(Frame::Map { key: key @ None, .. }) = stack.last_mut() {
                        *key = Some((value.into_owned(), range(&span)));
                        continue;
                    }
                    if stack.is_empty() {
                        // A document that is only a scalar (or empty).
                        if at_root && !is_null_scalar(&value, style, tag.as_deref()) {
                            let root = Self::enter_root(&mut doc, &mut next_doc, &mut at_root, root_of);
                            if let Some(t) = root {
                                trie.found[t] = Some(Node { key: None, value: range(&span) });
                            }
                        }
                        at_root = false;
                        continue;
                    }
                    let (node, key) = Self::place(trie, &mut stack);
                    if let Some(t) = node {
                        trie.found[t] = Some(Node { key, value: range(&span) });
                    }
                }
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    let (node, key) = if stack.is_empty() {
                        (Self::enter_root(&mut doc, &mut next_doc, &mut at_root, root_of), None)
                    } else {
                        Self::place(trie, &mut stack)
                    };
                    open.push((node, key, location(span.start)));
                    stack.push(if matches!(event, Event::MappingStart(..)) {
                        Frame::Map { trie: node, key: None }
                    } else {
                        Frame::Seq { trie: node, next: 0 }
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                    if let Some((Some(t), key, start)) = open.pop() {
                        trie.found[t] = Some(Node { key, value: TextRange { start, end: location(span.end) } });
                    }
                }
                _ => {}
            }
        }
    }

    /// The root of a non-empty document: numbers it and returns its trie node.
    fn enter_root(
        doc: &mut Option<usize>,
        next_doc: &mut usize,
        at_root: &mut bool,
        root_of: impl Fn(Option<usize>) -> Option<usize>,
    ) -> Option<usize> {
        *doc = Some(*next_doc);
        *next_doc += 1;
        *at_root = false;
        root_of(*doc)
    }

    /// The trie node and key range of the node that comes next in the
    /// innermost container (`None` when no pointer asked goes there).
    fn place(trie: &Trie, stack: &mut [Frame]) -> (Option<usize>, Option<TextRange>) {
        match stack.last_mut() {
            Some(Frame::Map { trie: at, key }) => match key.take() {
                Some((name, range)) => (trie.child(*at, &name), Some(range)),
                None => (None, None),
            },
            Some(Frame::Seq { trie: at, next }) => {
                *next += 1;
                let node = at.and_then(|_| trie.child(*at, &(*next - 1).to_string()));
                (node, None)
            }
            None => (None, None),
        }
    }
}

/// A root scalar that reads as null: the document is empty. The
/// non-specific tag `!`, and `str` or `binary` named by the schema handle
/// (`!!str`), the primary handle (`!str`) or verbatim (`!<!str>`), make even
/// an empty scalar a string, as the YAML reader does (and `int`, `bool`, …
/// make it an error); every other tag (`!!null`, `!!set`, `!foo`, `!<str>`)
/// changes nothing. Found by fuzzing: documents that are only `!`, then
/// `!!binary`, then `!!*str`, then `!binary`.
fn is_null_scalar(value: &str, style: ScalarStyle, tag: Option<&granit_parser::Tag>) -> bool {
    const TYPED: &[&str] = &["str", "binary", "int", "float", "bool", "map", "seq", "timestamp"];
    let typed = tag.is_some_and(|t| {
        // The parser gives the non-specific `!` as an empty handle with suffix `!`.
        let name = match (t.handle(), t.suffix()) {
            ("", "!") => return true,
            ("tag:yaml.org,2002:" | "!", name) => name,
            ("", verbatim) => verbatim.strip_prefix('!').unwrap_or(""),
            _ => "",
        };
        TYPED.contains(&name)
    });
    !typed && style == ScalarStyle::Plain && matches!(value, "" | "~" | "null" | "Null" | "NULL")
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
    fn documents_are_counted_as_the_reader_counts_them() {
        for text in [
            "!\n",
            "--- |\n---\na: 1\n",
            "''\n",
            "Null\n---\n~\n",
            "!!str\n",
            "!foo ~\n",
            "!!null\n",
            "# c\n!!binary \n",
        ] {
            let read = crate::input::parse_documents(text, crate::diagnostics::Input::Stream).expect("valid YAML");
            assert_eq!(SourceMap::parse(text).documents(), read.len(), "{text:?}");
        }
    }

    #[test]
    fn keys_with_slashes_and_json_input() {
        let map = SourceMap::parse(r#"{"metadata": {"annotations": {"k8s.aliyun.com/eci-use-specs": "x"}}}"#);
        let r = map.locate(0, "/metadata/annotations/k8s.aliyun.com~1eci-use-specs").expect("found");
        assert_eq!((r.start.line, r.start.column), (1, 31));
    }
}
