//! The source map agrees with the YAML reader on every fixture: the same
//! documents, and every node the reader sees is found where its key (or
//! value) is written.

use eci_bridge_core::Input;
use eci_bridge_core::SourceMap;
use eci_bridge_core::diagnostics::Pointer;
use eci_bridge_core::parse_documents;
use serde_json::Value;

fn pointers(v: &Value, at: Pointer, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| {
            out.push(at.key(k).into());
            pointers(v, at.key(k), out);
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| {
            out.push(at.index(i).into());
            pointers(v, at.index(i), out);
        }),
        _ => {}
    }
}

#[test]
fn every_node_of_every_fixture_is_located() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut checked = 0;
    // fixtures/hostile holds inputs that are not valid on purpose (alias bombs, invalid UTF-8).
    for dir in std::fs::read_dir(&root).expect("fixtures").flatten().filter(|d| d.file_name() != "hostile") {
        for file in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            let path = file.path();
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            let docs = parse_documents(&text, Input::Pod).expect("valid YAML");
            let map = SourceMap::parse(&text);
            assert_eq!(map.documents(), docs.len(), "{}", path.display());
            let lines: Vec<&str> = text.lines().collect();
            for (d, doc) in docs.iter().enumerate() {
                let mut all = Vec::new();
                pointers(doc, Pointer::root(), &mut all);
                let asked: Vec<(usize, &str)> = all.iter().map(|p| (d, p.as_str())).collect();
                let ranges = map.locate_all(&asked);
                for (p, r) in all.iter().zip(ranges) {
                    let r = r.unwrap_or_else(|| panic!("{} doc {d}: {p} not located", path.display()));
                    let line = lines[usize::try_from(r.start.line).expect("line") - 1];
                    // A key is written at its place: the text there starts with the key's last token.
                    let last = p.rsplit('/').next().unwrap_or_default().replace("~1", "/").replace("~0", "~");
                    // (Nodes below an alias are shown at the alias.)
                    if last.parse::<usize>().is_err() && !line.contains(": *") {
                        let col = usize::try_from(r.start.column).expect("column") - 1;
                        let rest: String = line.chars().skip(col).collect();
                        let rest = rest.trim_start_matches(['"', '\'']);
                        assert!(rest.starts_with(last.as_str()), "{} doc {d}: {p} located at `{line}`", path.display());
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10_000, "only {checked} nodes checked");
}
