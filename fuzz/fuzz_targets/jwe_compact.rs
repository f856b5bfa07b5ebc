//! JWE compact parsing and decryption never panic, and random input never decrypts.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use writ_jose::{DecryptionKey, EcCurve, EncryptedJwe, select_decryption_keys};

static KEYS: LazyLock<Vec<DecryptionKey>> = LazyLock::new(|| {
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

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(jwe) = EncryptedJwe::parse(text, 64 * 1024) {
        let _ = jwe.header().is_nested_jwt();
        let _ = select_decryption_keys(&KEYS, jwe.header());
        for key in KEYS.iter() {
            // Random input cannot carry a valid tag for these keys.
            assert!(jwe.decrypt(key).is_err());
        }
    }
});
