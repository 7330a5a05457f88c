//! Files the daemon reloads when they change: polled, compared by content.
//!
//! Polling by content is what survives every way a file changes under a
//! pod: an in-place write, an editor's rename, and the kubelet's update of
//! a mounted ConfigMap or Secret, which writes a new timestamped directory
//! and swaps the `..data` symlink to it (inotify on the file itself misses
//! that, since the file's inode never changes). A source is a file, or a
//! directory read as a mounted ConfigMap: one file per key, dot-entries
//! (`..data`, `..2026_12_02_…`) skipped.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A source's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A file's text.
    File(String),
    /// A mounted ConfigMap: key → text.
    Keys(BTreeMap<String, String>),
}

impl Content {
    /// SHA-256 of the content, hex.
    pub fn sha256(&self) -> String {
        let mut hasher = Sha256::new();
        match self {
            Content::File(text) => hasher.update(text.as_bytes()),
            Content::Keys(keys) => {
                for (k, v) in keys {
                    // Length-prefixed, so that no two maps hash alike.
                    hasher.update((k.len() as u64).to_le_bytes());
                    hasher.update(k.as_bytes());
                    hasher.update((v.len() as u64).to_le_bytes());
                    hasher.update(v.as_bytes());
                }
            }
        }
        hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Reads one file as UTF-8 text of at most `limit` bytes.
pub fn read_text(path: &Path, limit: usize) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() > limit {
        return Err(format!("{} is larger than {limit} bytes", path.display()));
    }
    String::from_utf8(bytes)
        .map_err(|e| format!("{} is not UTF-8 (byte {})", path.display(), e.utf8_error().valid_up_to()))
}

/// Reads a source: a file, or a directory of keys.
pub fn read(path: &Path, limit: usize) -> Result<Content, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_dir() {
        return read_text(path, limit).map(Content::File);
    }
    // A kubelet volume: every key from the one version `..data` names now,
    // so a swap during the read cannot mix two versions.
    let snapshot = std::fs::canonicalize(path.join("..data")).ok().filter(|p| p.is_dir());
    let path = snapshot.as_deref().unwrap_or(path);
    let mut keys = BTreeMap::new();
    let mut total = 0;
    let entries = std::fs::read_dir(path).map_err(|e| format!("cannot list {}: {e}", path.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", path.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let file = entry.path();
        if name.starts_with('.') || std::fs::metadata(&file).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let text = read_text(&file, limit.saturating_sub(total))?;
        total += text.len();
        keys.insert(name, text);
    }
    Ok(Content::Keys(keys))
}

/// One watched source and the fingerprint of what was last read.
#[derive(Debug)]
pub struct Watched {
    path: PathBuf,
    limit: usize,
    last: Option<String>,
}

impl Watched {
    /// Watches `path`; the first [`Watched::poll`] reports its content.
    pub fn new(path: PathBuf, limit: usize) -> Watched {
        Watched { path, limit, last: None }
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The content when it differs from the last poll (`Ok(None)`: same).
    /// A read error is reported once per distinct error, then again only
    /// after a good read.
    pub fn poll(&mut self) -> Result<Option<(Content, String)>, String> {
        match read(&self.path, self.limit) {
            Ok(content) => {
                let sha = content.sha256();
                if self.last.as_deref() == Some(sha.as_str()) {
                    return Ok(None);
                }
                self.last = Some(sha.clone());
                Ok(Some((content, sha)))
            }
            Err(e) => {
                let marker = format!("error: {e}");
                if self.last.as_deref() == Some(marker.as_str()) {
                    return Ok(None);
                }
                self.last = Some(marker);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kubelet_symlink_swap_is_a_change_and_dot_entries_are_not_keys() {
        let dir = std::env::temp_dir().join(format!("eci-bridge-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let write_version = |name: &str, selectors: &str| {
            let v = dir.join(name);
            std::fs::create_dir_all(&v).expect("version dir");
            std::fs::write(v.join("selectors"), selectors).expect("write");
        };
        std::fs::create_dir_all(&dir).expect("dir");
        write_version("..2026_01", "[]");
        std::os::unix::fs::symlink("..2026_01", dir.join("..data")).expect("..data");
        std::os::unix::fs::symlink("..data/selectors", dir.join("selectors")).expect("key link");
        let mut watched = Watched::new(dir.clone(), 1 << 20);
        let (first, _) = watched.poll().expect("read").expect("first poll reports");
        assert_eq!(first, Content::Keys([("selectors".to_string(), "[]".to_string())].into()));
        assert_eq!(watched.poll(), Ok(None));
        // The kubelet's swap: a new version directory, a new link renamed over `..data`.
        write_version("..2026_02", "[{\"name\":\"a\"}]");
        std::os::unix::fs::symlink("..2026_02", dir.join("..data_tmp")).expect("tmp link");
        std::fs::rename(dir.join("..data_tmp"), dir.join("..data")).expect("swap");
        let (second, _) = watched.poll().expect("read").expect("the swap is a change");
        assert_eq!(second, Content::Keys([("selectors".to_string(), "[{\"name\":\"a\"}]".to_string())].into()));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn too_large_files_and_missing_files_are_errors_reported_once() {
        let path = std::env::temp_dir().join(format!("eci-bridge-watch-big-{}", std::process::id()));
        std::fs::write(&path, "x".repeat(100)).expect("write");
        let mut watched = Watched::new(path.clone(), 10);
        assert!(watched.poll().expect_err("too large").contains("larger than 10 bytes"));
        assert_eq!(watched.poll(), Ok(None), "the same error is not reported twice");
        std::fs::remove_file(&path).expect("remove");
        assert!(watched.poll().expect_err("missing").contains("cannot read"));
    }
}
