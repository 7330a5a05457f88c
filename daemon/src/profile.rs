//! The eci-profile as the daemon loads it: from a file holding the
//! ConfigMap, or from the ConfigMap mounted as a directory.

use eci_bridge_core::diagnostics::{Diagnostic, Severity};
use eci_bridge_core::profile::{EciProfile, parse_profile, profile_from_mounted_keys, profile_from_text};

use crate::watch::Content;

/// A profile that loaded, with the warnings it had.
#[derive(Debug, Clone)]
pub struct LoadedProfile {
    /// The profile.
    pub profile: EciProfile,
    /// SHA-256 of its source.
    pub sha256: String,
    /// Warnings (kept; the profile is used).
    pub warnings: Vec<Diagnostic>,
}

/// Loads a profile. A profile with any error is refused as a whole: the
/// daemon keeps the last good one rather than route pods by half a profile.
pub fn load(content: &Content, sha256: String) -> Result<LoadedProfile, Vec<Diagnostic>> {
    let (profile, diagnostics) = match content {
        Content::File(text) => profile_from_text(text).map_err(|d| vec![d])?,
        Content::Keys(keys) => parse_profile(&profile_from_mounted_keys(keys.clone())),
    };
    let (errors, warnings): (Vec<_>, Vec<_>) = diagnostics.into_iter().partition(|d| d.severity == Severity::Error);
    if errors.is_empty() { Ok(LoadedProfile { profile, sha256, warnings }) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mounted_configmap_and_its_file_form_load_the_same_profile() {
        let selectors = r#"[{"name":"s","objectSelector":{"matchLabels":{"app":"web"}}}]"#;
        let keys = Content::Keys([("selectors".to_string(), selectors.to_string())].into());
        let file = Content::File(format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: eci-profile, namespace: kube-system}}\ndata:\n  selectors: '{selectors}'\n"
        ));
        let a = load(&keys, String::new()).expect("keys load");
        let b = load(&file, String::new()).expect("file loads");
        assert_eq!(a.profile, b.profile);
        assert_eq!(a.profile.selectors.len(), 1);
    }

    #[test]
    fn a_profile_with_an_error_is_refused() {
        let keys = Content::Keys([("selectors".to_string(), "[{".to_string())].into());
        let errors = load(&keys, String::new()).expect_err("invalid selectors");
        assert!(!errors.is_empty());
        assert!(load(&Content::File("a: [".into()), String::new()).is_err(), "a YAML error is refused too");
    }
}
