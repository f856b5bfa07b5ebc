//! The names of the FAPI presets (SPEC §17), `[jar] profile` and a client's `profile`. What
//! each imposes is [`crate::profile::ProfileRules`].

use serde::{Deserialize, Serialize};
use std::fmt;

/// A preset of SPEC §17.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// FAPI 1.0 Advanced §5.2.2: signed request objects (PS256/ES256) with `exp`, `nbf`,
    /// `aud`, at most 60 minutes.
    Fapi1Advanced,
    /// FAPI 2.0 Security Profile (final) §5.
    Fapi2Security,
    /// FAPI 2.0 Message Signing: the Security Profile, and signed request objects at PAR.
    Fapi2MessageSigning,
}

impl Profile {
    /// The name as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Fapi1Advanced => "fapi1-advanced",
            Profile::Fapi2Security => "fapi2-security",
            Profile::Fapi2MessageSigning => "fapi2-message-signing",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
