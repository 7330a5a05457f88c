//! Building the browser playground: the wasm module (with the exact
//! wasm-bindgen-cli its crate pins), the examples menu generated from
//! `fixtures/pods`, the npm packages, the Vite build, and Chromium for the
//! end-to-end tests.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Runner, cargo, output, root};

/// Where wasm-bindgen writes the module for the playground's sources.
fn pkg_dir() -> PathBuf {
    root().join("playground/src/pkg")
}

/// The wasm-bindgen version Cargo.lock pins (the CLI must match it exactly).
fn locked_wasm_bindgen() -> Option<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).ok()?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            return lines.next()?.strip_prefix("version = \"")?.strip_suffix('"').map(String::from);
        }
    }
    None
}

/// Installs wasm-bindgen-cli unless the installed one has the locked version.
pub fn ensure_wasm_bindgen(r: &mut Runner) -> bool {
    let Some(version) = locked_wasm_bindgen() else {
        r.failures.push("find wasm-bindgen in Cargo.lock".into());
        return false;
    };
    let installed = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if installed.split_whitespace().nth(1) == Some(version.as_str()) {
        println!("\n==> wasm-bindgen-cli {version} is installed");
        return true;
    }
    r.step(
        &format!("install wasm-bindgen-cli {version} (a few minutes, once)"),
        cargo().args(["install", "wasm-bindgen-cli", "--version", &version]),
    )
}

fn gzipped(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(bytes);
    encoder.finish().map(|v| v.len()).unwrap_or(usize::MAX)
}

/// Builds the module for size and binds it for the browser; runs
/// binaryen's wasm-opt and keeps its output when that compresses smaller.
pub fn build_wasm(r: &mut Runner) -> bool {
    let built = r.step(
        "build the wasm module (profile wasm-release: opt-level z, LTO, one codegen unit, panic=abort)",
        cargo().args([
            "build",
            "-p",
            "eci-bridge-wasm",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
        ]),
    );
    let module = crate::target_dir().join("wasm32-unknown-unknown/wasm-release/eci_bridge_wasm.wasm");
    let bound = built
        && r.step(
            "wasm-bindgen --target web",
            Command::new("wasm-bindgen")
                .args(["--target", "web", "--remove-name-section", "--remove-producers-section", "--out-dir"])
                .arg(pkg_dir())
                .arg(&module),
        );
    if !bound {
        return false;
    }
    let bg = pkg_dir().join("eci_bridge_wasm_bg.wasm");
    let before = std::fs::read(&bg).unwrap_or_default();
    let wasm_opt = root().join("playground/node_modules/.bin/wasm-opt");
    let optimized = pkg_dir().join("optimized.wasm");
    let features = [
        "--enable-bulk-memory",
        "--enable-nontrapping-float-to-int",
        "--enable-sign-ext",
        "--enable-mutable-globals",
        "--enable-reference-types",
    ];
    let mut size = (before.len(), gzipped(&before), "wasm-bindgen");
    if wasm_opt.exists()
        && r.step(
            "wasm-opt -O1 (npm binaryen)",
            Command::new(&wasm_opt).arg("-O1").args(features).arg(&bg).arg("-o").arg(&optimized),
        )
    {
        let after = std::fs::read(&optimized).unwrap_or_default();
        let gz = gzipped(&after);
        println!("    wasm-opt: {} -> {} bytes, gzipped {} -> {}", before.len(), after.len(), size.1, gz);
        if gz < size.1 {
            let _ = std::fs::write(&bg, &after);
            size = (after.len(), gz, "wasm-opt -O1");
        }
        let _ = std::fs::remove_file(&optimized);
    }
    println!("    the module: {} bytes, {} bytes gzipped ({})", size.0, size.1, size.2);
    let _ = std::fs::write(
        root().join("target/wasm-size.json"),
        serde_json::json!({"bytes": size.0, "gzipBytes": size.1, "from": size.2}).to_string(),
    );
    true
}

/// The fixture directories the playground offers as examples, by mode.
const EXAMPLE_DIRS: &[&str] = &["pods", "admission", "status", "nodes", "elastic", "overflow", "units"];

fn examples_in(dir: &Path) -> Vec<serde_json::Value> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "yaml")).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            let title =
                text.lines().next().and_then(|l| l.strip_prefix('#')).map(str::trim).unwrap_or_default().to_string();
            let name = p.file_stem()?.to_string_lossy().into_owned();
            Some(serde_json::json!({"name": name, "title": title, "text": text}))
        })
        .collect()
}

/// `playground/src/generated/examples.json`: for each mode, every fixture of
/// its directory (name, the first comment line as a title, the text).
pub fn write_examples(r: &mut Runner) -> bool {
    println!("\n==> generate the examples menus from fixtures/");
    let mut all = serde_json::Map::new();
    for dir in EXAMPLE_DIRS {
        all.insert((*dir).to_string(), serde_json::Value::Array(examples_in(&root().join("fixtures").join(dir))));
    }
    let count: usize = all.values().filter_map(serde_json::Value::as_array).map(Vec::len).sum();
    let out = root().join("playground/src/generated");
    let written = std::fs::create_dir_all(&out)
        .and_then(|()| std::fs::write(out.join("examples.json"), serde_json::Value::Object(all).to_string()));
    match written {
        Ok(()) => {
            println!("<== {count} examples in {} menus", EXAMPLE_DIRS.len());
            true
        }
        Err(e) => {
            println!("<== FAILED: {e}");
            r.failures.push("generate the examples".into());
            false
        }
    }
}

/// `npm ci` when node_modules does not match package-lock.json.
pub fn ensure_npm(r: &mut Runner) -> bool {
    let dir = root().join("playground");
    let lock = std::fs::read(dir.join("package-lock.json")).unwrap_or_default();
    let marker = dir.join("node_modules/.eci-bridge-lock");
    let stamp = format!(
        "{:x}",
        lock.iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3))
    );
    if std::fs::read_to_string(&marker).is_ok_and(|s| s == stamp) {
        println!("\n==> npm packages are installed");
        return true;
    }
    let ok =
        r.step("npm ci (playground)", Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir));
    ok && std::fs::write(marker, stamp).is_ok()
}

/// Type-checks and builds the static site into playground/dist.
pub fn build_site(r: &mut Runner) -> bool {
    r.step(
        "type-check and build the playground (tsc, vite)",
        Command::new("npm").args(["run", "build"]).current_dir(root().join("playground")),
    )
}

/// Debian's Chromium for the browser tests (installed without its
/// recommended packages: `apt-get install --no-install-recommends`).
pub fn ensure_chromium(r: &mut Runner) -> bool {
    crate::ensure_debian_package(r, "/usr/bin/chromium", "chromium")
}

/// Runs the end-to-end suite against playground/dist.
pub fn e2e(r: &mut Runner) -> bool {
    r.step(
        "playground end-to-end tests (playwright-core, Chromium)",
        Command::new("node")
            .arg("e2e/run.mjs")
            .current_dir(root().join("playground"))
            .env("ECI_BRIDGE_BIN", crate::target_dir().join("debug/eci-bridge")),
    )
}

/// Everything the site needs, built.
pub fn build_all(r: &mut Runner) -> bool {
    ensure_wasm_bindgen(r) && build(r)
}

/// The site, built, once wasm-bindgen-cli is there.
pub fn build(r: &mut Runner) -> bool {
    ensure_npm(r) && build_wasm(r) && write_examples(r) && build_site(r)
}

/// `cargo xtask playground`: build, then serve on 127.0.0.1.
pub fn serve(r: &mut Runner, port: u16) -> bool {
    if !build_all(r) {
        return false;
    }
    println!("\nThe playground: http://127.0.0.1:{port}/  (Ctrl-C stops it)");
    r.step(
        "serve playground/dist",
        Command::new("npm")
            .args(["run", "preview", "--", "--port", &port.to_string()])
            .current_dir(root().join("playground")),
    )
}
