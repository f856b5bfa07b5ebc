//! The built-in user store's passwords: Argon2id PHC strings (RFC 9106), hashed and checked
//! off the async runtime, at most a few at a time.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Argon2id with the OWASP baseline (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Longest accepted password (bytes): bounds the hashing work an attacker can ask for.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Hash a password into an Argon2id PHC string. `salt` is 16 random bytes.
pub fn hash_password(password: &str, salt: &[u8; 16]) -> Result<String, String> {
    if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "a password must be 1 to {MAX_PASSWORD_BYTES} bytes"
        ));
    }
    let salt = SaltString::encode_b64(salt).map_err(|e| e.to_string())?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Check a password against a PHC string. Malformed hashes never match.
pub fn verify_password(phc: &str, password: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(h) if h.algorithm.as_str() == "argon2id" => {
            argon2().verify_password(password.as_bytes(), &h).is_ok()
        }
        _ => false,
    }
}

/// A real Argon2id hash, checked when the username is unknown, so that response time does
/// not tell whether an account exists. It only has to cost what a real check costs: no
/// password is ever accepted through it (the caller also requires a user), so its salt needs
/// no randomness.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password("writ-unknown-user", b"writ-dummy-salt.").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let h = hash_password("correct horse", &[7u8; 16]).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "wrong horse"));
        assert!(!verify_password("not a hash", "x"));
        assert!(!verify_password(dummy_hash(), "anything"));
        assert!(dummy_hash().starts_with("$argon2id$"));
    }
}
