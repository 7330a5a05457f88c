//! Reading documents: `input::parse_documents` and `source_map::SourceMap`.
//!
//! Invariants:
//! - both never panic, and reading is deterministic;
//! - when the stream parses, the source map numbers the same documents
//!   (diagnostics of document N are placed in document N);
//! - every node of a parsed container document is located (itself or an
//!   ancestor), inside the text, with its start before its end; an unknown
//!   document locates nothing.
#![no_main]

use eci_bridge_core::Input;
use eci_bridge_core::SourceMap;
use eci_bridge_core::parse_documents;
use eci_bridge_fuzz::{pointers, text};
use libfuzzer_sys::fuzz_target;

/// Pointers located per input (bounds the target's own work).
const MAX_POINTERS: usize = 20_000;

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else { return };
    let parsed = parse_documents(&text, Input::Pod);
    let map = SourceMap::parse(&text);
    assert_eq!(parsed, parse_documents(&text, Input::Pod), "read: parse_documents is not deterministic");
    // YAML's line breaks: `\r\n`, `\r` and `\n`.
    let lines = text.replace("\r\n", "\n").bytes().filter(|b| *b == b'\n' || *b == b'\r').count() as u64 + 1;
    // An unknown document locates nothing, whatever the pointer.
    assert_eq!(map.locate(map.documents(), ""), None, "read: located a pointer in a document that does not exist");
    assert_eq!(map.locate(usize::MAX, "/a/0/~1"), None);
    let Ok(docs) = parsed else { return };
    assert_eq!(
        map.documents(),
        docs.len(),
        "read: parse_documents found {} documents, the source map {}",
        docs.len(),
        map.documents()
    );
    let mut budget = MAX_POINTERS;
    for (i, doc) in docs.iter().enumerate() {
        if budget == 0 {
            break;
        }
        let found = pointers(doc, budget);
        budget -= found.len();
        let container = doc.is_object() || doc.is_array();
        let asked: Vec<String> =
            found.iter().cloned().chain([format!("{}/absent/0", found.last().cloned().unwrap_or_default())]).collect();
        // One pass over the text for the whole batch, as every caller does.
        let batch: Vec<(usize, &str)> = asked.iter().map(|p| (i, p.as_str())).collect();
        for (p, at) in asked.iter().zip(map.locate_all(&batch)) {
            if container {
                assert!(at.is_some(), "read: document {i}: pointer `{p}` is not located");
            }
            if let Some(r) = at {
                let (s, e) = ((r.start.line, r.start.column), (r.end.line, r.end.column));
                assert!(s <= e, "read: document {i}: `{p}` starts after it ends: {r:?}");
                assert!(r.start.line >= 1 && r.start.column >= 1, "read: `{p}`: lines and columns count from 1: {r:?}");
                assert!(r.start.line <= lines, "read: `{p}` is located past the end of the text: {r:?}");
            }
        }
    }
});
