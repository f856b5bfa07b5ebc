//! `[rar]`: rich authorization requests (RFC 9396; SPEC §16). The `authorization_details`
//! types the server accepts, and optionally a JSON Schema file per type that each object of
//! that type must satisfy. A client's `authorization_details_types` narrows the list.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Longest accepted type name (bytes).
pub const MAX_TYPE_LEN: usize = 128;

/// `[rar]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RarConfig {
    /// The accepted `type` values (RFC 9396 §2). Empty: `authorization_details` is refused.
    #[serde(default)]
    pub types: Vec<String>,
    /// A JSON Schema file per type (draft 2020-12 unless the schema says otherwise), read at
    /// start-up; paths relative to the working directory.
    #[serde(default)]
    pub schemas: BTreeMap<String, PathBuf>,
}

/// Whether `name` can be an `authorization_details` type: 1 to [`MAX_TYPE_LEN`] printable
/// ASCII characters without space, `"` or `\`.
pub fn is_type_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_TYPE_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
}

impl RarConfig {
    pub(crate) fn validate(&self, errs: &mut Vec<String>) {
        for (i, t) in self.types.iter().enumerate() {
            if !is_type_name(t) {
                errs.push(format!(
                    "rar.types[{i}]: {t:?} is not a type name (1 to {MAX_TYPE_LEN} printable ASCII characters, no space)"
                ));
            }
        }
        for t in self.schemas.keys() {
            if !self.types.contains(t) {
                errs.push(format!("rar.schemas.{t}: {t:?} is not one of rar.types"));
            }
        }
    }
}
