//! `[keys]`: the key-encryption key (KEK) under which the server's private keys are stored
//! (issue 16, finding 5). With none, private keys are stored as plaintext PKCS#8, as before.
//!
//! The KEK is 32 random bytes (AES-256), written in base64 (standard or URL-safe alphabet,
//! padding optional, surrounding whitespace ignored): `openssl rand -base64 32`. It is given
//! either inline (`kek`, best through the environment: `WRIT_KEYS__KEK`) or as a file that
//! holds it (`kek_file`). `previous_kek` / `previous_kek_file` name the KEK being replaced
//! during a rotation.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// A secret configuration value: compared and serialized as written, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    /// The value itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        SecretString(s.to_owned())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(..)")
    }
}

/// `[keys]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// The KEK, in base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kek: Option<SecretString>,
    /// A file holding the KEK, in base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kek_file: Option<PathBuf>,
    /// The KEK being replaced: keys still sealed under it are opened and re-sealed under
    /// `kek` at start-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_kek: Option<SecretString>,
    /// A file holding the previous KEK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_kek_file: Option<PathBuf>,
}

impl KeysConfig {
    pub(crate) fn validate(&self, errs: &mut Vec<String>) {
        if self.kek.is_some() && self.kek_file.is_some() {
            errs.push("keys: set kek or kek_file, not both".to_owned());
        }
        if self.previous_kek.is_some() && self.previous_kek_file.is_some() {
            errs.push("keys: set previous_kek or previous_kek_file, not both".to_owned());
        }
        let has_current = self.kek.is_some() || self.kek_file.is_some();
        let has_previous = self.previous_kek.is_some() || self.previous_kek_file.is_some();
        if has_previous && !has_current {
            errs.push(
                "keys.previous_kek: needs the new key as keys.kek or keys.kek_file (a rotation replaces the previous key by a new one)"
                    .to_owned(),
            );
        }
        for (name, value) in [
            ("keys.kek", &self.kek),
            ("keys.previous_kek", &self.previous_kek),
        ] {
            if let Some(v) = value
                && let Err(e) = decode_kek(v.expose())
            {
                errs.push(format!("{name}: {e}"));
            }
        }
    }
}

/// Length of a KEK: AES-256.
pub const KEK_BYTES: usize = 32;

/// A KEK's 32 bytes from its base64 text (standard or URL-safe alphabet, padding optional,
/// whitespace around it ignored). The error never contains the text.
pub fn decode_kek(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let t = text.trim().trim_end_matches('=');
    let bytes = STANDARD_NO_PAD
        .decode(t)
        .or_else(|_| URL_SAFE_NO_PAD.decode(t))
        .map_err(|_| {
            "not base64: a key-encryption key is 32 random bytes in base64 (openssl rand -base64 32)"
                .to_owned()
        })?;
    if bytes.len() != KEK_BYTES {
        return Err(format!(
            "a key-encryption key is {KEK_BYTES} bytes (AES-256), this one decodes to {}",
            bytes.len()
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEK: &str = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";

    #[test]
    fn a_kek_decodes_from_either_base64_alphabet_with_or_without_padding() {
        let want = decode_kek(KEK).unwrap();
        assert_eq!(want.len(), 32);
        for text in [
            KEK.trim_end_matches('='),
            &format!("  {KEK}\n"),
            &KEK.replace('+', "-").replace('/', "_"),
        ] {
            assert_eq!(decode_kek(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn a_short_or_garbled_kek_is_refused_without_echoing_it() {
        let short = decode_kek("c2hvcnQ=").unwrap_err();
        assert!(short.contains("decodes to 5"), "{short}");
        let bad = decode_kek("not*base64!").unwrap_err();
        assert!(!bad.contains("not*base64"), "{bad}");
    }

    #[test]
    fn a_previous_kek_needs_a_current_one_and_each_is_set_once() {
        let mut errs = Vec::new();
        KeysConfig {
            previous_kek: Some(KEK.into()),
            ..KeysConfig::default()
        }
        .validate(&mut errs);
        assert!(
            errs.iter().any(|e| e.contains("needs the new key")),
            "{errs:?}"
        );
        let mut errs = Vec::new();
        KeysConfig {
            kek: Some(KEK.into()),
            kek_file: Some("/k".into()),
            ..KeysConfig::default()
        }
        .validate(&mut errs);
        assert_eq!(errs, vec!["keys: set kek or kek_file, not both".to_owned()]);
    }

    #[test]
    fn a_secret_is_not_shown_by_debug() {
        let c = KeysConfig {
            kek: Some(KEK.into()),
            ..KeysConfig::default()
        };
        assert!(!format!("{c:?}").contains(KEK));
    }
}
