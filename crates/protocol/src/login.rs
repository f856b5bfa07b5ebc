//! `[login]`: how many wrong passwords an account takes before it is locked for a while
//! (issue 16, finding 3; OWASP ASVS V2.2.1, NIST SP 800-63B §5.2.2 "rate limiting"). Failures
//! are counted per username in the store, so every node shares them, and for names that do
//! not exist exactly as for those that do, so a lock says nothing about whether an account
//! exists.

use crate::tokens::check_lifetime;
use crate::units::Seconds;
use serde::{Deserialize, Serialize};

/// `[login]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginConfig {
    /// Wrong passwords for one username, within `failure_window`, that lock it; 0 turns the
    /// account lock off (the per-interaction limit of 5 attempts always holds).
    #[serde(default = "default_max_failures")]
    pub max_failures: u32,
    /// How long failures are counted, from the first of them.
    #[serde(default = "fifteen_minutes")]
    pub failure_window: Seconds,
    /// How long a locked username stays locked (from the failure that locked it); `writ user
    /// unlock` ends it early.
    #[serde(default = "fifteen_minutes")]
    pub lockout: Seconds,
    /// The shortest password `writ user add` accepts, in characters (NIST SP 800-63B §3.1.1.2
    /// asks for at least 8). Hashes declared in `[[users]]` are taken as they are.
    #[serde(default = "default_min_password_length")]
    pub min_password_length: usize,
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            max_failures: default_max_failures(),
            failure_window: fifteen_minutes(),
            lockout: fifteen_minutes(),
            min_password_length: default_min_password_length(),
        }
    }
}

fn default_max_failures() -> u32 {
    10
}
fn default_min_password_length() -> usize {
    8
}
fn fifteen_minutes() -> Seconds {
    Seconds::secs(15 * 60)
}

impl LoginConfig {
    pub(crate) fn validate(&self, errs: &mut Vec<String>) {
        if self.max_failures > 1000 {
            errs.push("login.max_failures: must be between 0 (off) and 1000".to_owned());
        }
        errs.extend(check_lifetime(
            "login.failure_window",
            self.failure_window,
            24 * 3600,
        ));
        errs.extend(check_lifetime("login.lockout", self.lockout, 24 * 3600));
        if !(1..=256).contains(&self.min_password_length) {
            errs.push("login.min_password_length: must be between 1 and 256".to_owned());
        }
    }

    /// Check a new password against `min_password_length` (counted in characters, as a person
    /// counts them) and the hashing bound.
    pub fn check_new_password(&self, password: &str) -> Result<(), String> {
        let n = password.chars().count();
        if n < self.min_password_length {
            return Err(format!(
                "the password has {n} characters; [login] min_password_length asks for at least {}",
                self.min_password_length
            ));
        }
        Ok(())
    }
}
