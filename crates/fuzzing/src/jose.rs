//! The JOSE parsers (RFC 7515, RFC 7516, RFC 7517): never a panic, and random input never
//! verifies or decrypts.

use std::sync::LazyLock;
use writ_jose::{
    DecryptionKey, EcCurve, EncryptedJwe, EncryptionKey, JwkSet, SigningKey, UnsecuredJws,
    UnverifiedJws, VerifyingKey, select_decryption_keys,
};

static HMAC: LazyLock<VerifyingKey> = LazyLock::new(|| {
    VerifyingKey::from_shared_secret(
        b"fuzzing-secret-fuzzing-secret-fuzzing-secret-0123456789abcdef",
    )
    .unwrap_or_else(|e| panic!("{e}"))
});
static EC: LazyLock<VerifyingKey> = LazyLock::new(|| {
    SigningKey::generate_ec(EcCurve::P256)
        .unwrap_or_else(|e| panic!("{e}"))
        .verifying_key()
});
static ED: LazyLock<VerifyingKey> = LazyLock::new(|| {
    SigningKey::generate_ed25519()
        .unwrap_or_else(|e| panic!("{e}"))
        .verifying_key()
});

/// JWS compact parsing and verification never panic, and never verify a token that was not
/// made with the key (RFC 7515 §5.2).
pub fn jws_compact(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = UnsecuredJws::parse(text, 64 * 1024);
    if let Ok(jws) = UnverifiedJws::parse(text, 64 * 1024) {
        let _ = jws.header().kid.as_deref();
        let _ = jws.payload_bytes();
        for key in [&*HMAC, &*EC, &*ED] {
            // Random input cannot carry a valid MAC or signature for these keys.
            assert!(jws.verify(key).is_err(), "a JWS verified without the key");
        }
    }
}

static DECRYPTION_KEYS: LazyLock<Vec<DecryptionKey>> = LazyLock::new(|| {
    let mut keys = vec![
        DecryptionKey::from_symmetric(&[1; 16]),
        DecryptionKey::from_symmetric(&[2; 32]),
        DecryptionKey::from_symmetric(&[3; 64]),
        DecryptionKey::generate_ec(EcCurve::P256),
        DecryptionKey::generate_ec(EcCurve::P384),
        DecryptionKey::generate_ec(EcCurve::P521),
        DecryptionKey::generate_x25519(),
    ]
    .into_iter()
    .map(|k| k.unwrap_or_else(|e| panic!("{e}")))
    .collect::<Vec<_>>();
    keys.push(
        DecryptionKey::generate_rsa(2048)
            .unwrap_or_else(|e| panic!("{e}"))
            .with_kid(Some("rsa")),
    );
    keys
});

/// JWE compact parsing and decryption never panic, and random input never decrypts
/// (RFC 7516 §5.2).
pub fn jwe_compact(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(jwe) = EncryptedJwe::parse(text, 64 * 1024) {
        let _ = jwe.header().is_nested_jwt();
        let _ = select_decryption_keys(&DECRYPTION_KEYS, jwe.header());
        for key in DECRYPTION_KEYS.iter() {
            // Random input cannot carry a valid tag for these keys.
            assert!(jwe.decrypt(key).is_err(), "a JWE decrypted without the key");
        }
    }
}

/// JWK Set, JWK and certificate parsing, and building keys from what parses, never panic
/// (RFC 7517 §4, §5).
pub fn jwk_set(data: &[u8]) {
    if let Ok(set) = JwkSet::from_json(data, 256 * 1024) {
        for jwk in &set.keys {
            let _ = jwk.thumbprint_sha256();
            let _ = jwk.to_public();
            let _ = VerifyingKey::from_jwk(jwk);
            let _ = EncryptionKey::from_jwk(jwk);
            let _ = SigningKey::from_jwk(jwk);
            let _ = DecryptionKey::from_jwk(jwk);
        }
    }
    let _ = writ_jose::Jwk::from_json(data);
    let _ = VerifyingKey::from_x509_der(data);
    let _ = VerifyingKey::from_spki_der(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = VerifyingKey::from_x509(text);
    }
}
