//! JWS compact parsing and verification never panic, and never verify a token that was not
//! made with the key.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use writ_jose::{EcCurve, SigningKey, UnsecuredJws, UnverifiedJws, VerifyingKey};

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

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = UnsecuredJws::parse(text, 64 * 1024);
    if let Ok(jws) = UnverifiedJws::parse(text, 64 * 1024) {
        let _ = jws.header().kid.as_deref();
        let _ = jws.payload_bytes();
        for key in [&*HMAC, &*EC, &*ED] {
            // Random input cannot carry a valid MAC or signature for these keys.
            assert!(jws.verify(key).is_err());
        }
    }
});
