//! String values that may carry secret material.
//!
//! The request sent to ECI needs the real value (a registry password, the
//! content of a Secret volume, an env var read from a Secret), but no
//! human-facing rendering may show it unless asked (DESIGN.md, "Secrets stay
//! secret"). The request model therefore keeps the real text, remembers
//! whether it is secret, hides it from `Debug`, and offers `redacted()` copies
//! for every rendering.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What every redacted value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// A string that is secret when it came from a Secret.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive {
    text: String,
    secret: bool,
}

impl Sensitive {
    /// A value that is secret when `secret` says so (it came from a Secret,
    /// directly or through `$(VAR)`).
    pub fn new(text: impl Into<String>, secret: bool) -> Self {
        Sensitive { text: text.into(), secret }
    }

    /// A value that may be shown.
    pub fn public(text: impl Into<String>) -> Self {
        Sensitive { text: text.into(), secret: false }
    }

    /// A value that must be hidden from humans.
    pub fn secret(text: impl Into<String>) -> Self {
        Sensitive { text: text.into(), secret: true }
    }

    /// The real value (for the wire and the signature).
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// True when the value must be hidden.
    pub fn is_secret(&self) -> bool {
        self.secret
    }

    /// A copy safe to show: secret values become [`REDACTED`].
    pub fn redacted(&self) -> Self {
        if self.secret { Sensitive::secret(REDACTED) } else { self.clone() }
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secret { f.write_str(REDACTED) } else { fmt::Debug::fmt(&self.text, f) }
    }
}

impl Serialize for Sensitive {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Sensitive {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Sensitive::public)
    }
}

/// A string that is always secret (registry passwords, AccessKey secrets).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(text: impl Into<String>) -> Self {
        SecretString(text.into())
    }

    /// The real value.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A copy safe to show.
    pub fn redacted(&self) -> Self {
        SecretString(REDACTED.to_string())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SecretString)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets_and_serialize_keeps_them() {
        let s = Sensitive::secret("hunter2");
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(serde_json::to_string(&s).unwrap_or_default(), "\"hunter2\"");
        assert_eq!(s.redacted().expose(), REDACTED);
        let p = Sensitive::public("hello");
        assert_eq!(format!("{p:?}"), "\"hello\"");
        assert_eq!(p.redacted().expose(), "hello");
        let pw = SecretString::new("pw");
        assert_eq!(format!("{pw:?}"), REDACTED);
        assert_eq!(pw.expose(), "pw");
    }
}
