//! AccessKey credentials: from the SDK environment variables or an Alibaba
//! credentials INI file.
//!
//! The parsers are pure ([`from_env`] takes a lookup function, [`from_ini`]
//! the file's text); [`resolve`] is the one place that reads the process
//! environment or a file. No error message quotes a value read: a secret
//! pasted in the wrong place must not end up on a terminal.

use std::fmt;
use std::path::Path;

use eci_bridge_core::eci::SecretString;
use eci_bridge_core::eci::sign;

/// The AccessKey ID variable the Alibaba Cloud SDKs read.
pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// The AccessKey secret variable.
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// The STS token variable (temporary credentials).
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
/// The profile read from a credentials file unless another is named.
pub const DEFAULT_PROFILE: &str = "default";

/// An AccessKey pair, with an STS token when the key is temporary. Neither
/// the secret nor the token appears in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The AccessKey ID (public).
    pub access_key_id: String,
    /// The AccessKey secret.
    pub access_key_secret: SecretString,
    /// The STS token (`SecurityToken` in V2, `x-acs-security-token` in V3).
    pub security_token: Option<SecretString>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &self.access_key_secret)
            .field("security_token", &self.security_token)
            .finish()
    }
}

impl Credentials {
    /// A long-lived AccessKey pair.
    pub fn access_key(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Credentials { access_key_id: id.into(), access_key_secret: SecretString::new(secret), security_token: None }
    }

    /// The same key with an STS token.
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(SecretString::new(token));
        self
    }

    /// The core signer's form (short-lived: built for one signature).
    pub(crate) fn for_signing(&self) -> sign::Credentials {
        sign::Credentials {
            access_key_id: self.access_key_id.clone(),
            access_key_secret: self.access_key_secret.clone(),
            security_token: self.security_token.as_ref().map(|t| t.expose().to_string()),
        }
    }
}

/// Why no credentials could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// Neither the environment nor a file gave any.
    #[error(
        "no credentials: set {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET} (and {ENV_SECURITY_TOKEN} for STS), or give a credentials file"
    )]
    NotFound,
    /// A required value is missing or empty.
    #[error("{source_name}: `{key}` is missing or empty")]
    Missing {
        /// Where it was looked for.
        source_name: String,
        /// The variable or key.
        key: String,
    },
    /// The file has no such `[profile]`.
    #[error("{source_name}: no [{profile}] section")]
    NoProfile {
        /// The file.
        source_name: String,
        /// The profile asked for.
        profile: String,
    },
    /// A credential type this client cannot use.
    #[error("{source_name}: [{profile}] has type `{kind}`; only access_key and sts are supported")]
    UnsupportedType {
        /// The file.
        source_name: String,
        /// The profile.
        profile: String,
        /// The type found.
        kind: String,
    },
    /// A line that is neither a section, a `key = value` nor a comment.
    #[error("{source_name}:{line}: not `key = value`, `[section]` or a comment")]
    Syntax {
        /// The file.
        source_name: String,
        /// 1-based line number.
        line: usize,
    },
    /// The file could not be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The path.
        path: String,
        /// The IO error.
        message: String,
    },
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Credentials from the SDK variables, looked up through `lookup`.
/// `Ok(None)` when neither the ID nor the secret is set; an error when only
/// one of them is.
pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Credentials>, CredentialsError> {
    let id = non_empty(lookup(ENV_ACCESS_KEY_ID));
    let secret = non_empty(lookup(ENV_ACCESS_KEY_SECRET));
    let missing = |key: &str| CredentialsError::Missing { source_name: "environment".into(), key: key.into() };
    let (id, secret) = match (id, secret) {
        (None, None) => return Ok(None),
        (Some(id), Some(secret)) => (id, secret),
        (None, Some(_)) => return Err(missing(ENV_ACCESS_KEY_ID)),
        (Some(_), None) => return Err(missing(ENV_ACCESS_KEY_SECRET)),
    };
    let credentials = Credentials::access_key(id, secret);
    Ok(Some(match non_empty(lookup(ENV_SECURITY_TOKEN)) {
        Some(token) => credentials.with_security_token(token),
        None => credentials,
    }))
}

/// The `key = value` pairs of one `[profile]` of an INI text.
fn ini_section(text: &str, profile: &str, source_name: &str) -> Result<Vec<(String, String)>, CredentialsError> {
    let mut current: Option<String> = None;
    let mut found = false;
    let mut pairs = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.trim().to_string());
            found |= name.trim() == profile;
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(CredentialsError::Syntax { source_name: source_name.into(), line: index + 1 });
        };
        if current.as_deref() == Some(profile) {
            pairs.push((key.trim().to_ascii_lowercase(), unquote(value.trim()).to_string()));
        }
    }
    if found {
        Ok(pairs)
    } else {
        Err(CredentialsError::NoProfile { source_name: source_name.into(), profile: profile.into() })
    }
}

/// `"v"` or `'v'` → `v`.
fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    value
}

/// Credentials from the Alibaba credentials INI form
/// (`~/.alibabacloud/credentials`):
///
/// ```ini
/// [default]
/// type = access_key
/// access_key_id = LTAI...
/// access_key_secret = ...
/// security_token = ...   ; optional, with type = sts
/// ```
///
/// `source_name` names the file in errors.
pub fn from_ini(text: &str, profile: &str, source_name: &str) -> Result<Credentials, CredentialsError> {
    let pairs = ini_section(text, profile, source_name)?;
    let get = |key: &str| non_empty(pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone()));
    let kind = get("type").unwrap_or_else(|| "access_key".into());
    if kind != "access_key" && kind != "sts" {
        return Err(CredentialsError::UnsupportedType {
            source_name: source_name.into(),
            profile: profile.into(),
            kind,
        });
    }
    let missing = |key: &str| CredentialsError::Missing { source_name: source_name.into(), key: key.into() };
    let id = get("access_key_id").ok_or_else(|| missing("access_key_id"))?;
    let secret = get("access_key_secret").ok_or_else(|| missing("access_key_secret"))?;
    let credentials = Credentials::access_key(id, secret);
    match get("security_token") {
        Some(token) => Ok(credentials.with_security_token(token)),
        None if kind == "sts" => Err(missing("security_token")),
        None => Ok(credentials),
    }
}

/// The credentials to use: the file when one is given (its `profile`), else
/// the process environment.
pub fn resolve(file: Option<&Path>, profile: &str) -> Result<Credentials, CredentialsError> {
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CredentialsError::Read { path: path.display().to_string(), message: e.to_string() })?;
            from_ini(&text, profile, &path.display().to_string())
        }
        None => from_env(|key| std::env::var(key).ok())?.ok_or(CredentialsError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn environment_variables() {
        let c = from_env(env(&[(ENV_ACCESS_KEY_ID, "LTAIid"), (ENV_ACCESS_KEY_SECRET, "s3cret")])).unwrap().unwrap();
        assert_eq!(c.access_key_id, "LTAIid");
        assert_eq!(c.access_key_secret.expose(), "s3cret");
        assert_eq!(c.security_token, None);
        let sts = from_env(env(&[
            (ENV_ACCESS_KEY_ID, "STS.id"),
            (ENV_ACCESS_KEY_SECRET, "s"),
            (ENV_SECURITY_TOKEN, "tok3n"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(sts.security_token.as_ref().map(SecretString::expose), Some("tok3n"));
        assert_eq!(sts.for_signing().security_token.as_deref(), Some("tok3n"));
    }

    #[test]
    fn environment_gaps() {
        assert_eq!(from_env(env(&[])).unwrap(), None);
        assert_eq!(from_env(env(&[(ENV_SECURITY_TOKEN, "t")])).unwrap(), None);
        let only_id = from_env(env(&[(ENV_ACCESS_KEY_ID, "id"), (ENV_ACCESS_KEY_SECRET, "  ")])).unwrap_err();
        assert_eq!(only_id.to_string(), "environment: `ALIBABA_CLOUD_ACCESS_KEY_SECRET` is missing or empty");
        let only_secret = from_env(env(&[(ENV_ACCESS_KEY_SECRET, "hunter2")])).unwrap_err();
        assert!(!only_secret.to_string().contains("hunter2"));
    }

    const FILE: &str = "\
# Alibaba Cloud credentials
[default]
type = access_key
access_key_id = LTAIdefault
access_key_secret = \"quoted secret\"

[temp]
type = sts
access_key_id = STS.temp
access_key_secret = s
security_token = tok

[role]
type = ecs_ram_role
role_name = r
";

    #[test]
    fn ini_profiles() {
        let c = from_ini(FILE, "default", "creds").unwrap();
        assert_eq!((c.access_key_id.as_str(), c.access_key_secret.expose()), ("LTAIdefault", "quoted secret"));
        assert_eq!(c.security_token, None);
        let t = from_ini(FILE, "temp", "creds").unwrap();
        assert_eq!(t.security_token.as_ref().map(SecretString::expose), Some("tok"));
        let untyped = from_ini("[default]\naccess_key_id=a\naccess_key_secret=b\nsecurity_token=c\n", "default", "f");
        assert_eq!(untyped.unwrap().security_token.map(|t| t.expose().to_string()), Some("c".into()));
    }

    #[test]
    fn ini_errors() {
        assert_eq!(
            from_ini(FILE, "prod", "creds").unwrap_err(),
            CredentialsError::NoProfile { source_name: "creds".into(), profile: "prod".into() }
        );
        assert!(matches!(from_ini(FILE, "role", "creds"), Err(CredentialsError::UnsupportedType { .. })));
        let no_secret = from_ini("[default]\naccess_key_id = a\n", "default", "creds").unwrap_err();
        assert_eq!(no_secret.to_string(), "creds: `access_key_secret` is missing or empty");
        let sts = from_ini("[default]\ntype=sts\naccess_key_id=a\naccess_key_secret=b\n", "default", "c");
        assert!(matches!(sts, Err(CredentialsError::Missing { key, .. }) if key == "security_token"));
        let garbage = from_ini("[default]\nLTAIsecretpasted\n", "default", "creds").unwrap_err();
        assert_eq!(garbage.to_string(), "creds:2: not `key = value`, `[section]` or a comment");
    }

    #[test]
    fn debug_hides_secret_and_token() {
        let c = Credentials::access_key("LTAIid", "s3cret").with_security_token("tok3n");
        let shown = format!("{c:?}");
        assert!(shown.contains("LTAIid"));
        assert!(!shown.contains("s3cret") && !shown.contains("tok3n"), "{shown}");
    }

    #[test]
    fn resolve_reads_the_named_file() {
        let dir = std::env::temp_dir().join(format!("eci-client-creds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials");
        std::fs::write(&path, FILE).unwrap();
        assert_eq!(resolve(Some(&path), "temp").unwrap().access_key_id, "STS.temp");
        assert!(matches!(resolve(Some(&dir.join("absent")), "default"), Err(CredentialsError::Read { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
