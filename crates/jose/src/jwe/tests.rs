use super::*;
use crate::alg::{EcCurve, OkpCurve};
use crate::compact::MAX_HEADER_BYTES;
use crate::jwe_keys::{DecryptionKeyKind, DecryptionMaterial, EncryptionMaterial};
use crate::jwk::{Jwk, JwkParams};
use crate::key_management::cek::accept_or_random;
use crate::key_management::rsa_oaep::oaep;
use aws_lc_rs::agreement::{self, UnparsedPublicKey};
use serde_json::json;

const MAX: usize = 256 * 1024;

fn header(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// A decryption key for `alg`/`enc` (RSA from a fixture, EC generated, symmetric fixed).
fn key_for(alg: JweAlg, enc: JweEnc, curve: EcCurve) -> DecryptionKey {
    match alg {
        JweAlg::RsaOaep | JweAlg::RsaOaep256 => DecryptionKey::from_pkcs8(
            DecryptionKeyKind::Rsa,
            include_bytes!("../../tests/data/rsa2048.pk8.der"),
        )
        .unwrap(),
        JweAlg::EcdhEs | JweAlg::EcdhEsA128Kw | JweAlg::EcdhEsA256Kw => {
            DecryptionKey::generate_ec(curve).unwrap()
        }
        JweAlg::A128Kw => DecryptionKey::from_symmetric(&[1; 16]).unwrap(),
        JweAlg::A256Kw => DecryptionKey::from_symmetric(&[2; 32]).unwrap(),
        JweAlg::Dir => DecryptionKey::from_symmetric(&vec![3; enc.cek_len()]).unwrap(),
    }
}

fn pairs() -> Vec<(JweAlg, JweEnc, EcCurve)> {
    let mut out = Vec::new();
    for alg in JweAlg::ALL {
        for enc in JweEnc::ALL {
            if alg.is_ecdh() {
                for curve in [EcCurve::P256, EcCurve::P384, EcCurve::P521] {
                    out.push((alg, enc, curve));
                }
            } else {
                out.push((alg, enc, EcCurve::P256));
            }
        }
    }
    out
}

fn encrypt_for(key: &DecryptionKey, alg: JweAlg, enc: JweEnc, plaintext: &[u8]) -> String {
    encrypt_compact(
        &header(json!({"kid": "k", "cty": "JWT"})),
        plaintext,
        alg,
        enc,
        &key.encryption_key().unwrap(),
    )
    .unwrap()
}

#[test]
fn round_trip_every_alg_enc_and_curve() {
    for (alg, enc, curve) in pairs() {
        let key = key_for(alg, enc, curve);
        for plaintext in [&b""[..], b"x", &[7u8; 1000]] {
            let token = encrypt_for(&key, alg, enc, plaintext);
            let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
            assert_eq!(jwe.header().alg, alg);
            assert_eq!(jwe.header().enc, enc);
            assert_eq!(jwe.header().kid.as_deref(), Some("k"));
            assert!(jwe.header().is_nested_jwt());
            let out = jwe.decrypt(&key).unwrap();
            assert_eq!(out.plaintext(), plaintext, "{alg} {enc} {curve}");
        }
    }
}

/// Changing any one byte of `token` makes parsing or decryption with `key` fail.
fn assert_every_changed_byte_fails(token: &str, key: &DecryptionKey, label: &str) {
    let bytes = token.as_bytes();
    for i in 0..bytes.len() {
        let mut t = bytes.to_vec();
        t[i] = if t[i] == b'A' { b'B' } else { b'A' };
        let t = String::from_utf8(t).unwrap();
        let result = EncryptedJwe::parse(&t, MAX).and_then(|j| j.decrypt(key));
        assert!(
            result.is_err(),
            "{label}: byte {i} changed and still decrypted"
        );
    }
}

#[test]
fn any_changed_byte_fails_for_every_pair() {
    for (alg, enc, curve) in pairs() {
        if alg.is_ecdh() && curve != EcCurve::P256 {
            continue; // the curves are covered by the round trip; keep this test quick
        }
        let key = key_for(alg, enc, curve);
        let token = encrypt_for(&key, alg, enc, b"{\"iss\":\"c\"}");
        assert_every_changed_byte_fails(&token, &key, &format!("{alg} {enc}"));
    }
}

#[test]
fn failed_key_unwrap_looks_like_a_bad_tag() {
    // Decrypting with another key of the right kind: the unwrap fails (RSA-OAEP, A*KW,
    // ECDH-ES+A*KW) or derives another key, and the error is always DecryptionFailed.
    for (alg, enc, curve) in pairs() {
        if alg.is_ecdh() && curve != EcCurve::P256 {
            continue;
        }
        let key = key_for(alg, enc, curve);
        let other = match alg {
            JweAlg::RsaOaep | JweAlg::RsaOaep256 => DecryptionKey::generate_rsa(2048).unwrap(),
            JweAlg::A128Kw => DecryptionKey::from_symmetric(&[9; 16]).unwrap(),
            JweAlg::A256Kw => DecryptionKey::from_symmetric(&[9; 32]).unwrap(),
            JweAlg::Dir => DecryptionKey::from_symmetric(&vec![9; enc.cek_len()]).unwrap(),
            _ => DecryptionKey::generate_ec(curve).unwrap(),
        };
        let token = encrypt_for(&key, alg, enc, b"secret");
        let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
        assert_eq!(
            jwe.decrypt(&other).unwrap_err(),
            JoseError::DecryptionFailed,
            "{alg} {enc}"
        );
    }
}

/// The token with its JWE Encrypted Key replaced.
fn with_encrypted_key(token: &str, key: &[u8]) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = b64::encode(key);
    parts.join(".")
}

/// The token with the last byte of its tag changed.
fn with_bad_tag(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut tag = b64::decode(&parts[4], "tag").unwrap();
    let last = tag.len() - 1;
    tag[last] ^= 1;
    parts[4] = b64::encode(&tag);
    parts.join(".")
}

#[test]
fn bad_oaep_padding_bad_key_wrap_and_bad_tag_are_one_error_with_a_random_cek() {
    // RFC 7516 §11.5: an unwrap failure must not be distinguishable from a bad tag, so it
    // goes on with a random CEK; the public error is the same in every case.
    let rsa = key_for(JweAlg::RsaOaep, JweEnc::A128Gcm, EcCurve::P256);
    let rsa_encryption = rsa.encryption_key().unwrap();
    let EncryptionMaterial::Rsa {
        key: rsa_public, ..
    } = rsa_encryption.material()
    else {
        panic!("not RSA");
    };
    for (alg, enc, curve) in pairs() {
        if alg == JweAlg::Dir || alg == JweAlg::EcdhEs || curve != EcCurve::P256 {
            continue; // no Encrypted Key to unwrap
        }
        let key = key_for(alg, enc, curve);
        let token = encrypt_for(&key, alg, enc, b"secret");
        let real_cek = EncryptedJwe::parse(&token, MAX)
            .unwrap()
            .content_key(&key)
            .unwrap();

        let mut forged: Vec<(&str, String)> = Vec::new();
        match alg {
            JweAlg::RsaOaep | JweAlg::RsaOaep256 => {
                // 256 bytes below the modulus that are not an OAEP encoding.
                let mut garbage = vec![0x5au8; 256];
                garbage[0] = 0;
                forged.push(("bad OAEP padding", with_encrypted_key(&token, &garbage)));
                // A valid OAEP encoding of a CEK of the wrong length.
                let mut out = vec![0u8; rsa_public.ciphertext_size()];
                let short = rsa_public
                    .encrypt(oaep(alg), &[7u8; 5], &mut out, None)
                    .unwrap()
                    .to_vec();
                forged.push(("OAEP of a 5-byte CEK", with_encrypted_key(&token, &short)));
            }
            _ => {
                let len = 8 + enc.cek_len();
                forged.push((
                    "bad AES-KW integrity",
                    with_encrypted_key(&token, &vec![0x33; len]),
                ));
            }
        }
        forged.push(("bad tag", with_bad_tag(&token)));

        for (what, t) in forged {
            let jwe = EncryptedJwe::parse(&t, MAX).unwrap();
            let err = jwe.decrypt(&key).unwrap_err();
            assert_eq!(err, JoseError::DecryptionFailed, "{alg} {enc}: {what}");
            assert_eq!(err.to_string(), JoseError::DecryptionFailed.to_string());
            if what != "bad tag" {
                // The unwrap failed silently: a fresh random CEK each time, of the length
                // `enc` needs, and never the real one.
                let a = jwe.content_key(&key).unwrap();
                let b = jwe.content_key(&key).unwrap();
                assert_eq!(a.len(), enc.cek_len(), "{alg} {enc}: {what}");
                assert_ne!(a, b, "{alg} {enc}: {what}");
                assert_ne!(a, real_cek, "{alg} {enc}: {what}");
            }
        }
    }
}

#[test]
fn accept_or_random_takes_only_a_key_of_the_right_length() {
    assert_eq!(&accept_or_random(Some(&[1; 16]), 16)[..], &[1; 16]);
    for candidate in [None, Some(&[1u8; 15][..]), Some(&[1u8; 17][..])] {
        let a = accept_or_random(candidate, 16);
        let b = accept_or_random(candidate, 16);
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
    }
}

fn raw(header_json: &str, parts: [&[u8]; 4]) -> String {
    format!(
        "{}.{}.{}.{}.{}",
        b64::encode(header_json.as_bytes()),
        b64::encode(parts[0]),
        b64::encode(parts[1]),
        b64::encode(parts[2]),
        b64::encode(parts[3])
    )
}

fn parse_err(header_json: &str, parts: [&[u8]; 4]) -> JoseError {
    EncryptedJwe::parse(&raw(header_json, parts), MAX).unwrap_err()
}

const GCM: [&[u8]; 4] = [b"wrapped-key-bytes-24byte", &[0; 12], b"ct", &[0; 16]];

#[test]
fn refuses_size_shape_and_encoding() {
    assert!(matches!(
        EncryptedJwe::parse(&"a".repeat(101), 100),
        Err(JoseError::TooLarge { .. })
    ));
    for t in ["", "a.b.c", "a.b.c.d", "a.b.c.d.e.f"] {
        assert!(matches!(
            EncryptedJwe::parse(t, MAX),
            Err(JoseError::Malformed(_))
        ));
    }
    let ok = raw(r#"{"alg":"A128KW","enc":"A128GCM"}"#, GCM);
    EncryptedJwe::parse(&ok, MAX).unwrap();
    assert!(matches!(
        EncryptedJwe::parse(&format!("{ok}="), MAX),
        Err(JoseError::Base64(_))
    ));
    let big = format!(
        r#"{{"alg":"A128KW","enc":"A128GCM","x":"{}"}}"#,
        "a".repeat(MAX_HEADER_BYTES)
    );
    assert!(matches!(
        parse_err(&big, GCM),
        JoseError::HeaderTooLarge { .. }
    ));
}

#[test]
fn refuses_bad_headers() {
    let p = |h: &str| parse_err(h, GCM);
    assert_eq!(
        p(r#"{"alg":"A128KW","alg":"dir","enc":"A128GCM"}"#),
        JoseError::DuplicateMember("alg".into())
    );
    assert_eq!(p(r#"{"enc":"A128GCM"}"#), JoseError::MissingAlg);
    assert_eq!(
        p(r#"{"alg":"A128KW"}"#),
        JoseError::InvalidHeaderParameter("enc")
    );
    assert_eq!(
        p(r#"{"alg":"A128KW","enc":"A192GCM"}"#),
        JoseError::UnsupportedEnc("A192GCM".into())
    );
    for refused in [
        "RSA1_5",
        "PBES2-HS256+A128KW",
        "A128GCMKW",
        "A192KW",
        "ECDH-ES+A192KW",
        "none",
        "RSA-OAEP-512",
    ] {
        assert_eq!(
            p(&format!(r#"{{"alg":"{refused}","enc":"A128GCM"}}"#)),
            JoseError::UnsupportedAlg(refused.into())
        );
    }
    assert_eq!(
        p(r#"{"alg":"A128KW","enc":"A128GCM","zip":"DEF"}"#),
        JoseError::UnsupportedHeaderParameter("zip")
    );
    assert_eq!(
        p(r#"{"alg":"A128KW","enc":"A128GCM","crit":["exp"],"exp":1}"#),
        JoseError::UnsupportedCritical("exp".into())
    );
    assert_eq!(
        p(r#"{"alg":"A128KW","enc":"A128GCM","kid":7}"#),
        JoseError::InvalidHeaderParameter("kid")
    );
    assert_eq!(
        p(r#"{"alg":"A128KW","enc":"A128GCM","apu":"!!"}"#),
        JoseError::Base64("apu")
    );
    assert!(matches!(p("[]"), JoseError::Json { .. }));
}

#[test]
fn refuses_wrong_part_lengths() {
    let h = r#"{"alg":"A128KW","enc":"A128GCM"}"#;
    assert!(matches!(
        parse_err(h, [b"", &[0; 12], b"ct", &[0; 16]]),
        JoseError::Malformed(_)
    ));
    assert!(matches!(
        parse_err(h, [b"k", &[0; 16], b"ct", &[0; 16]]),
        JoseError::Malformed(_)
    ));
    assert!(matches!(
        parse_err(h, [b"k", &[0; 12], b"ct", &[0; 12]]),
        JoseError::Malformed(_)
    ));
    let dir = r#"{"alg":"dir","enc":"A128GCM"}"#;
    assert!(matches!(parse_err(dir, GCM), JoseError::Malformed(_)));
    EncryptedJwe::parse(&raw(dir, [b"", &[0; 12], b"", &[0; 16]]), MAX).unwrap();
    let cbc = r#"{"alg":"dir","enc":"A128CBC-HS256"}"#;
    assert!(matches!(
        parse_err(cbc, [b"", &[0; 16], &[0; 15], &[0; 16]]),
        JoseError::Malformed(_)
    ));
    assert!(matches!(
        parse_err(cbc, [b"", &[0; 16], b"", &[0; 16]]),
        JoseError::Malformed(_)
    ));
    assert!(matches!(
        parse_err(cbc, [b"", &[0; 16], &[0; 16], &[0; 8]]),
        JoseError::Malformed(_)
    ));
}

fn ecdh_token_with_epk(epk: Value) -> String {
    let h = json!({"alg": "ECDH-ES", "enc": "A128GCM", "epk": epk}).to_string();
    raw(&h, [b"", &[0; 12], b"ct", &[0; 16]])
}

#[test]
fn ecdh_epk_must_be_a_public_point_on_the_curve() {
    let key = DecryptionKey::generate_ec(EcCurve::P256).unwrap();
    let good = serde_json::to_value(key.public_jwk("x").unwrap()).unwrap();
    // Structurally fine: fails only at the tag.
    let jwe = EncryptedJwe::parse(&ecdh_token_with_epk(good.clone()), MAX).unwrap();
    assert_eq!(jwe.decrypt(&key).unwrap_err(), JoseError::DecryptionFailed);

    let missing = raw(
        r#"{"alg":"ECDH-ES","enc":"A128GCM"}"#,
        [b"", &[0; 12], b"ct", &[0; 16]],
    );
    assert_eq!(
        EncryptedJwe::parse(&missing, MAX).unwrap_err(),
        JoseError::InvalidHeaderParameter("epk")
    );
    let mut private = good.clone();
    private["d"] = json!("AAAA");
    assert_eq!(
        EncryptedJwe::parse(&ecdh_token_with_epk(private), MAX).unwrap_err(),
        JoseError::InvalidHeaderParameter("epk")
    );
    // An X25519 epk parses (RFC 8037 §3.2) but does not fit a P-256 key.
    let okp = json!({"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"});
    let jwe = EncryptedJwe::parse(&ecdh_token_with_epk(okp), MAX).unwrap();
    assert!(matches!(
        jwe.decrypt(&key),
        Err(JoseError::AlgKeyMismatch { .. })
    ));
    assert!(select_decryption_keys(std::slice::from_ref(&key), jwe.header()).is_empty());
    let ed25519 =
        json!({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
    assert_eq!(
        EncryptedJwe::parse(&ecdh_token_with_epk(ed25519), MAX).unwrap_err(),
        JoseError::InvalidHeaderParameter("epk")
    );

    // Off the curve: y + 1.
    let mut off = good.clone();
    let mut y = b64::decode(off["y"].as_str().unwrap(), "y").unwrap();
    let last = y.len() - 1;
    y[last] ^= 1;
    off["y"] = json!(b64::encode(&y));
    let jwe = EncryptedJwe::parse(&ecdh_token_with_epk(off), MAX).unwrap();
    assert!(matches!(jwe.decrypt(&key), Err(JoseError::InvalidKey(_))));

    // A point of another curve.
    let p384 = DecryptionKey::generate_ec(EcCurve::P384).unwrap();
    let other = serde_json::to_value(p384.public_jwk("x").unwrap()).unwrap();
    let jwe = EncryptedJwe::parse(&ecdh_token_with_epk(other), MAX).unwrap();
    assert!(matches!(
        jwe.decrypt(&key),
        Err(JoseError::AlgKeyMismatch { .. })
    ));
    assert!(select_decryption_keys(std::slice::from_ref(&key), jwe.header()).is_empty());
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// RFC 7748 §6.1 (the keys of RFC 8037 Appendix A.6): Bob's private key as a JWK, Alice's
/// public key as the `epk`, and the shared secret Z they agree on.
const X25519_BOB_D: &str = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
const X25519_BOB_X: &str = "3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08";
const X25519_ALICE_X: &str = "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo";
const X25519_Z: &str = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

fn x25519_jwk(d: &str, x: &str) -> Jwk {
    Jwk::from_json(
        json!({"kty": "OKP", "crv": "X25519", "kid": "Bob", "d": d, "x": x})
            .to_string()
            .as_bytes(),
    )
    .unwrap()
}

#[test]
fn x25519_rfc7748_vector_through_a_private_jwk() {
    let bob = DecryptionKey::from_jwk(&x25519_jwk(&b64::encode(&hex(X25519_BOB_D)), X25519_BOB_X))
        .unwrap();
    assert_eq!(bob.kid(), Some("Bob"));
    assert_eq!(bob.kty(), crate::KeyType::Okp);
    assert_eq!(bob.kind(), Some(DecryptionKeyKind::X25519));
    assert_eq!(bob.ec_curve(), None);
    let public = bob.public_jwk("Bob").unwrap();
    assert!(!public.is_private());
    match &public.params {
        JwkParams::Okp(p) => assert_eq!(p.x, X25519_BOB_X),
        other => panic!("{other:?}"),
    }
    let DecryptionMaterial::Agreement { key, .. } = bob.material() else {
        panic!("not an agreement key");
    };
    let z = agreement::agree(
        key,
        UnparsedPublicKey::new(
            &agreement::X25519,
            b64::decode(X25519_ALICE_X, "x").unwrap(),
        ),
        (),
        |z| Ok(z.to_vec()),
    )
    .unwrap();
    assert_eq!(z, hex(X25519_Z));

    // `d` must match `x`, be present and be 32 bytes.
    let d = b64::encode(&hex(X25519_BOB_D));
    for bad in [
        x25519_jwk(&d, X25519_ALICE_X),
        x25519_jwk(&b64::encode(&[7; 31]), X25519_BOB_X),
        Jwk::from_json(
            json!({"kty": "OKP", "crv": "X25519", "x": X25519_BOB_X})
                .to_string()
                .as_bytes(),
        )
        .unwrap(),
    ] {
        assert!(
            matches!(DecryptionKey::from_jwk(&bad), Err(JoseError::InvalidKey(_))),
            "{bad:?}"
        );
    }
    // An Ed25519 key neither decrypts nor encrypts.
    let ed = Jwk::from_json(
            br#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}"#,
        )
        .unwrap();
    assert!(DecryptionKey::from_jwk(&ed).is_err());
    assert!(EncryptionKey::from_jwk(&ed.to_public().unwrap()).is_err());
}

#[test]
fn x25519_every_ecdh_alg_and_enc_round_trips_and_any_changed_byte_fails() {
    let key = DecryptionKey::generate_x25519().unwrap();
    let other = DecryptionKey::generate_x25519().unwrap();
    let p256 = DecryptionKey::generate_ec(EcCurve::P256).unwrap();
    for alg in [JweAlg::EcdhEs, JweAlg::EcdhEsA128Kw, JweAlg::EcdhEsA256Kw] {
        for enc in JweEnc::ALL {
            let token = encrypt_for(&key, alg, enc, b"{\"iss\":\"c\"}");
            let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
            let epk = jwe.header().epk.as_ref().unwrap();
            assert!(!epk.is_private());
            assert!(matches!(&epk.params, JwkParams::Okp(p) if p.crv == OkpCurve::X25519));
            assert_eq!(jwe.decrypt(&key).unwrap().plaintext(), b"{\"iss\":\"c\"}");
            // Another X25519 key derives another key: the same error as a bad tag.
            assert_eq!(
                jwe.decrypt(&other).unwrap_err(),
                JoseError::DecryptionFailed,
                "{alg} {enc}"
            );
            assert!(matches!(
                jwe.decrypt(&p256),
                Err(JoseError::AlgKeyMismatch { .. })
            ));
            // (encrypt_for sets "kid":"k")
            let keys = [
                p256.clone().with_kid(Some("k")),
                key.clone().with_kid(Some("k")),
            ];
            let selected = select_decryption_keys(&keys, jwe.header());
            assert_eq!(selected.len(), 1);
            assert_eq!(selected[0].kind(), Some(DecryptionKeyKind::X25519));
            assert_every_changed_byte_fails(&token, &key, &format!("X25519 {alg} {enc}"));
        }
    }
    // A P-256 epk does not fit an X25519 key.
    let token = encrypt_for(&p256, JweAlg::EcdhEs, JweEnc::A128Gcm, b"x");
    let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
    assert!(matches!(
        jwe.decrypt(&key),
        Err(JoseError::AlgKeyMismatch { .. })
    ));
}

#[test]
fn x25519_epk_of_small_order_or_wrong_length_is_refused() {
    let key = DecryptionKey::generate_x25519().unwrap();
    // u = 0 and u = 1 are of small order: the shared secret would be all zeros
    // (RFC 7748 §6.1).
    let mut one = [0u8; 32];
    one[0] = 1;
    for u in [[0u8; 32], one] {
        let epk = json!({"kty": "OKP", "crv": "X25519", "x": b64::encode(&u)});
        let jwe = EncryptedJwe::parse(&ecdh_token_with_epk(epk), MAX).unwrap();
        assert!(
            matches!(jwe.decrypt(&key), Err(JoseError::InvalidKey(_))),
            "{u:?}"
        );
        // And such a key is refused as a recipient.
        let jwk = Jwk::from_json(
            json!({"kty": "OKP", "crv": "X25519", "x": b64::encode(&u)})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        assert!(matches!(
            EncryptionKey::from_jwk(&jwk),
            Err(JoseError::InvalidKey(_))
        ));
    }
    let short = json!({"kty": "OKP", "crv": "X25519", "x": b64::encode(&[9; 31])});
    let jwe = EncryptedJwe::parse(&ecdh_token_with_epk(short), MAX).unwrap();
    assert!(matches!(jwe.decrypt(&key), Err(JoseError::InvalidKey(_))));
    let private = json!({"kty": "OKP", "crv": "X25519", "x": X25519_ALICE_X, "d": X25519_ALICE_X});
    assert_eq!(
        EncryptedJwe::parse(&ecdh_token_with_epk(private), MAX).unwrap_err(),
        JoseError::InvalidHeaderParameter("epk")
    );
}

#[test]
fn x25519_pkcs8_round_trip_and_family() {
    let key = DecryptionKey::generate_x25519().unwrap();
    let der = key.to_pkcs8().unwrap();
    assert_eq!(der.len(), 48);
    let back = DecryptionKey::from_pkcs8(DecryptionKeyKind::X25519, &der).unwrap();
    assert_eq!(back.public_jwk("k").unwrap(), key.public_jwk("k").unwrap());
    let token = encrypt_compact(
        &Map::new(),
        b"persisted",
        JweAlg::EcdhEsA256Kw,
        JweEnc::A256Gcm,
        &EncryptionKey::from_jwk(&key.public_jwk("k").unwrap()).unwrap(),
    )
    .unwrap();
    let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
    assert_eq!(jwe.decrypt(&back).unwrap().plaintext(), b"persisted");
    assert!(DecryptionKey::from_pkcs8(DecryptionKeyKind::X25519, &der[..47]).is_err());
    assert!(
        DecryptionKey::from_pkcs8(
            DecryptionKeyKind::X25519,
            include_bytes!("../../tests/data/p256.pk8.der")
        )
        .is_err()
    );
    assert!(DecryptionKey::from_pkcs8(DecryptionKeyKind::Ec(EcCurve::P256), &der).is_err());

    for (alg, ok) in [
        (JweAlg::EcdhEs, true),
        (JweAlg::EcdhEsA128Kw, true),
        (JweAlg::EcdhEsA256Kw, true),
        (JweAlg::RsaOaep, false),
        (JweAlg::A128Kw, false),
        (JweAlg::Dir, false),
    ] {
        assert_eq!(key.check_alg(alg, JweEnc::A128Gcm).is_ok(), ok, "{alg}");
        let enc_key = key.encryption_key().unwrap();
        assert_eq!(enc_key.kty(), crate::KeyType::Okp);
        assert_eq!(enc_key.check_alg(alg, JweEnc::A128Gcm).is_ok(), ok, "{alg}");
    }
    assert_eq!(
        key.public_jwk_for_alg("k", JweAlg::EcdhEs)
            .unwrap()
            .alg
            .as_deref(),
        Some("ECDH-ES")
    );
    assert!(key.public_jwk_for_alg("k", JweAlg::RsaOaep).is_err());
}

#[test]
fn key_family_must_fit() {
    let rsa = key_for(JweAlg::RsaOaep, JweEnc::A128Gcm, EcCurve::P256);
    let ec = DecryptionKey::generate_ec(EcCurve::P256).unwrap();
    let k16 = DecryptionKey::from_symmetric(&[1; 16]).unwrap();
    let k32 = DecryptionKey::from_symmetric(&[1; 32]).unwrap();
    for (key, alg, enc, ok) in [
        (&rsa, JweAlg::RsaOaep, JweEnc::A128Gcm, true),
        (&rsa, JweAlg::EcdhEs, JweEnc::A128Gcm, false),
        (&rsa, JweAlg::Dir, JweEnc::A128Gcm, false),
        (&ec, JweAlg::EcdhEsA256Kw, JweEnc::A256Gcm, true),
        (&ec, JweAlg::RsaOaep256, JweEnc::A256Gcm, false),
        (&ec, JweAlg::A128Kw, JweEnc::A256Gcm, false),
        (&k16, JweAlg::A128Kw, JweEnc::A256CbcHs512, true),
        (&k16, JweAlg::A256Kw, JweEnc::A128Gcm, false),
        (&k16, JweAlg::Dir, JweEnc::A128Gcm, true),
        (&k16, JweAlg::Dir, JweEnc::A256Gcm, false),
        (&k32, JweAlg::Dir, JweEnc::A128CbcHs256, true),
        (&k32, JweAlg::Dir, JweEnc::A256Gcm, true),
        (&k32, JweAlg::A256Kw, JweEnc::A128Gcm, true),
        (&k32, JweAlg::RsaOaep, JweEnc::A128Gcm, false),
        (&k32, JweAlg::EcdhEs, JweEnc::A128Gcm, false),
    ] {
        assert_eq!(
            key.check_alg(alg, enc).is_ok(),
            ok,
            "{:?} {alg} {enc}",
            key.kty()
        );
        let enc_key = key.encryption_key().unwrap();
        assert_eq!(
            enc_key.check_alg(alg, enc).is_ok(),
            ok,
            "{:?} {alg} {enc}",
            key.kty()
        );
    }
}

#[test]
fn select_by_kid_alg_and_curve() {
    let keys = vec![
        DecryptionKey::generate_ec(EcCurve::P256)
            .unwrap()
            .with_kid(Some("e1")),
        DecryptionKey::generate_ec(EcCurve::P384)
            .unwrap()
            .with_kid(Some("e2")),
        key_for(JweAlg::RsaOaep, JweEnc::A128Gcm, EcCurve::P256).with_kid(Some("r1")),
    ];
    let token = encrypt_for(&keys[1], JweAlg::EcdhEs, JweEnc::A128Gcm, b"x");
    let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
    // The header's kid is "k", which no key has.
    assert!(select_decryption_keys(&keys, jwe.header()).is_empty());
    let no_kid = encrypt_compact(
        &Map::new(),
        b"x",
        JweAlg::EcdhEs,
        JweEnc::A128Gcm,
        &keys[1].encryption_key().unwrap(),
    )
    .unwrap();
    let jwe = EncryptedJwe::parse(&no_kid, MAX).unwrap();
    let selected = select_decryption_keys(&keys, jwe.header());
    assert_eq!(selected.len(), 1);
    assert_eq!(selected[0].kid(), Some("e2"));
    let with_kid = encrypt_compact(
        &header(json!({"kid": "r1"})),
        b"x",
        JweAlg::RsaOaep256,
        JweEnc::A128Gcm,
        &keys[2].encryption_key().unwrap(),
    )
    .unwrap();
    let jwe = EncryptedJwe::parse(&with_kid, MAX).unwrap();
    let selected = select_decryption_keys(&keys, jwe.header());
    assert_eq!(selected.len(), 1);
    assert_eq!(selected[0].decrypt_check(&jwe), b"x");
}

impl DecryptionKey {
    fn decrypt_check(&self, jwe: &EncryptedJwe) -> Vec<u8> {
        jwe.decrypt(self).unwrap().into_plaintext()
    }
}

#[test]
fn client_secret_keys_follow_oidc_core_10_2() {
    use crate::jwe_keys::derive_key_from_client_secret;
    let secret = b"a client secret";
    let sha256 = digest_of(&aws_lc_rs::digest::SHA256, secret);
    let sha512 = digest_of(&aws_lc_rs::digest::SHA512, secret);
    assert_eq!(
        &derive_key_from_client_secret(secret, JweAlg::A128Kw, JweEnc::A256Gcm).unwrap()[..],
        &sha256[..16]
    );
    assert_eq!(
        &derive_key_from_client_secret(secret, JweAlg::A256Kw, JweEnc::A128Gcm).unwrap()[..],
        &sha256[..]
    );
    assert_eq!(
        &derive_key_from_client_secret(secret, JweAlg::Dir, JweEnc::A128Gcm).unwrap()[..],
        &sha256[..16]
    );
    assert_eq!(
        &derive_key_from_client_secret(secret, JweAlg::Dir, JweEnc::A256CbcHs512).unwrap()[..],
        &sha512[..]
    );
    assert!(derive_key_from_client_secret(secret, JweAlg::RsaOaep, JweEnc::A128Gcm).is_err());
    assert!(derive_key_from_client_secret(b"", JweAlg::Dir, JweEnc::A128Gcm).is_err());
    // And the derived keys round-trip.
    for alg in [JweAlg::A128Kw, JweAlg::A256Kw, JweAlg::Dir] {
        for enc in JweEnc::ALL {
            let d = DecryptionKey::from_client_secret(secret, alg, enc).unwrap();
            let e = EncryptionKey::from_client_secret(secret, alg, enc).unwrap();
            let token = encrypt_compact(&Map::new(), b"hi", alg, enc, &e).unwrap();
            let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
            assert_eq!(jwe.decrypt(&d).unwrap().plaintext(), b"hi");
        }
    }
}

fn digest_of(alg: &'static aws_lc_rs::digest::Algorithm, data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(alg, data).as_ref().to_vec()
}

#[test]
fn apu_and_apv_enter_the_kdf() {
    let key = DecryptionKey::generate_ec(EcCurve::P256).unwrap();
    let token = encrypt_compact(
        &header(json!({"apu": b64::encode(b"Alice"), "apv": b64::encode(b"Bob")})),
        b"x",
        JweAlg::EcdhEs,
        JweEnc::A128Gcm,
        &key.encryption_key().unwrap(),
    )
    .unwrap();
    let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
    assert_eq!(jwe.header().apu.as_deref(), Some(&b"Alice"[..]));
    assert_eq!(jwe.decrypt(&key).unwrap().plaintext(), b"x");
}

#[test]
fn encrypt_refuses_zip_crit_and_mismatched_keys() {
    let key = DecryptionKey::from_symmetric(&[1; 16]).unwrap();
    let ek = key.encryption_key().unwrap();
    assert_eq!(
        encrypt_compact(
            &header(json!({"zip": "DEF"})),
            b"",
            JweAlg::A128Kw,
            JweEnc::A128Gcm,
            &ek
        )
        .unwrap_err(),
        JoseError::UnsupportedHeaderParameter("zip")
    );
    assert!(
        encrypt_compact(
            &header(json!({"crit": ["x"]})),
            b"",
            JweAlg::A128Kw,
            JweEnc::A128Gcm,
            &ek
        )
        .is_err()
    );
    assert!(encrypt_compact(&Map::new(), b"", JweAlg::RsaOaep, JweEnc::A128Gcm, &ek).is_err());
}

#[test]
fn encryption_key_jwk_restrictions() {
    let key = DecryptionKey::generate_ec(EcCurve::P256).unwrap();
    let mut jwk = key.public_jwk("k").unwrap();
    EncryptionKey::from_jwk(&jwk)
        .unwrap()
        .check_alg(JweAlg::EcdhEs, JweEnc::A128Gcm)
        .unwrap();
    jwk.key_use = Some("sig".into());
    assert!(matches!(
        EncryptionKey::from_jwk(&jwk)
            .unwrap()
            .check_alg(JweAlg::EcdhEs, JweEnc::A128Gcm),
        Err(JoseError::KeyRestricted(_))
    ));
    jwk.key_use = None;
    jwk.alg = Some("ECDH-ES+A128KW".into());
    assert!(matches!(
        EncryptionKey::from_jwk(&jwk)
            .unwrap()
            .check_alg(JweAlg::EcdhEs, JweEnc::A128Gcm),
        Err(JoseError::KeyRestricted(_))
    ));
    jwk.alg = None;
    jwk.key_ops = Some(vec!["verify".into()]);
    assert!(matches!(
        EncryptionKey::from_jwk(&jwk)
            .unwrap()
            .check_alg(JweAlg::EcdhEs, JweEnc::A128Gcm),
        Err(JoseError::KeyRestricted(_))
    ));
}

#[test]
fn decryption_key_persistence_and_jwk() {
    for key in [
        DecryptionKey::generate_rsa(2048).unwrap(),
        DecryptionKey::generate_ec(EcCurve::P256).unwrap(),
        DecryptionKey::generate_ec(EcCurve::P521).unwrap(),
    ] {
        let kind = key.kind().unwrap();
        let back = DecryptionKey::from_pkcs8(kind, &key.to_pkcs8().unwrap()).unwrap();
        let jwk = key.public_jwk("enc-1").unwrap();
        assert_eq!(jwk.key_use.as_deref(), Some("enc"));
        assert!(!jwk.is_private());
        assert_eq!(back.public_jwk("enc-1").unwrap(), jwk);
        let alg = if kind == DecryptionKeyKind::Rsa {
            JweAlg::RsaOaep256
        } else {
            JweAlg::EcdhEsA128Kw
        };
        assert_eq!(
            key.public_jwk_for_alg("k", alg).unwrap().alg.as_deref(),
            Some(alg.as_str())
        );
        let token = encrypt_compact(
            &Map::new(),
            b"persisted",
            alg,
            JweEnc::A256Gcm,
            &EncryptionKey::from_jwk(&jwk).unwrap(),
        )
        .unwrap();
        let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
        assert_eq!(jwe.decrypt(&back).unwrap().plaintext(), b"persisted");
    }
    assert!(DecryptionKey::generate_rsa(1024).is_err());
    assert!(
        DecryptionKey::from_symmetric(&[1; 16])
            .unwrap()
            .to_pkcs8()
            .is_err()
    );
    assert!(
        DecryptionKey::from_symmetric(&[1; 16])
            .unwrap()
            .public_jwk("k")
            .is_err()
    );
    assert!(DecryptionKey::from_symmetric(&[]).is_err());
    assert!(
        DecryptionKey::from_pkcs8(
            DecryptionKeyKind::Rsa,
            include_bytes!("../../tests/data/rsa1024.pk8.der")
        )
        .is_err()
    );
    assert!(
        DecryptionKey::from_pkcs8(
            DecryptionKeyKind::Ec(EcCurve::P384),
            include_bytes!("../../tests/data/p256.pk8.der")
        )
        .is_err()
    );
}
