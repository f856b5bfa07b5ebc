//! JWK Set, JWK and certificate parsing, and building keys from what parses, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use writ_jose::{EncryptionKey, JwkSet, SigningKey, VerifyingKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(set) = JwkSet::from_json(data, 256 * 1024) {
        for jwk in &set.keys {
            let _ = jwk.thumbprint_sha256();
            let _ = jwk.to_public();
            let _ = VerifyingKey::from_jwk(jwk);
            let _ = EncryptionKey::from_jwk(jwk);
            let _ = SigningKey::from_jwk(jwk);
            let _ = writ_jose::DecryptionKey::from_jwk(jwk);
        }
    }
    let _ = writ_jose::Jwk::from_json(data);
    let _ = VerifyingKey::from_x509_der(data);
    let _ = VerifyingKey::from_spki_der(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = VerifyingKey::from_x509(text);
    }
});
