//! Lists the pod fixtures and their reviewed request snapshots for the
//! wasm tests, which cannot read files at run time (`include_str!` instead).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let pods = root.join("fixtures/pods");
    let snapshots = root.join("core/tests/snapshots");
    println!("cargo:rerun-if-changed={}", pods.display());
    println!("cargo:rerun-if-changed={}", snapshots.display());
    let mut names: Vec<String> = std::fs::read_dir(&pods)
        .map(|dir| {
            dir.flatten().filter_map(|e| e.file_name().into_string().ok()).filter(|n| n.ends_with(".yaml")).collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = String::from(
        "/// (fixture name, its text, the reviewed `request` snapshot).\npub const FIXTURES: &[(&str, &str, &str)] = &[\n",
    );
    for name in names {
        let snapshot = snapshots.join(format!("fixtures__request@{name}.snap"));
        if !snapshot.exists() {
            continue;
        }
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?}), include_str!({:?})),",
            pods.join(&name).display().to_string(),
            snapshot.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("fixtures.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("cannot write {}: {e}", dest.display());
    }
}
