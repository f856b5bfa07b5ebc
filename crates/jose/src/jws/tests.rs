use super::*;
use crate::alg::{EcCurve, KeyType};
use crate::compact::{MAX_HEADER_BYTES, split_parts};
use crate::jwk::Jwk;
use crate::jws_keys::SigningKeyKind;
use serde_json::json;

const MAX: usize = 64 * 1024;

fn fixture_key(kind: SigningKeyKind) -> SigningKey {
    let der: &[u8] = match kind {
        SigningKeyKind::Rsa => include_bytes!("../../tests/data/rsa2048.pk8.der"),
        SigningKeyKind::Ec(EcCurve::P256) => include_bytes!("../../tests/data/p256.pk8.der"),
        SigningKeyKind::Ec(EcCurve::P384) => include_bytes!("../../tests/data/p384.pk8.der"),
        SigningKeyKind::Ec(EcCurve::P521) => include_bytes!("../../tests/data/p521.pk8.der"),
        SigningKeyKind::Ed25519 => include_bytes!("../../tests/data/ed25519.pk8.der"),
    };
    SigningKey::from_pkcs8(kind, der).unwrap()
}

fn hmac_key() -> SigningKey {
    SigningKey::from_shared_secret(&[7u8; 64]).unwrap()
}

fn key_for(alg: JwsAlg) -> SigningKey {
    match alg.family() {
        crate::AlgFamily::Hmac => hmac_key(),
        crate::AlgFamily::Rsa => fixture_key(SigningKeyKind::Rsa),
        crate::AlgFamily::Ecdsa(c) => fixture_key(SigningKeyKind::Ec(c)),
        crate::AlgFamily::Ed25519 => fixture_key(SigningKeyKind::Ed25519),
    }
}

fn all_keys() -> Vec<SigningKey> {
    vec![
        hmac_key(),
        fixture_key(SigningKeyKind::Rsa),
        fixture_key(SigningKeyKind::Ec(EcCurve::P256)),
        fixture_key(SigningKeyKind::Ec(EcCurve::P384)),
        fixture_key(SigningKeyKind::Ec(EcCurve::P521)),
        fixture_key(SigningKeyKind::Ed25519),
    ]
}

fn header(v: serde_json::Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// A token with this exact header JSON and a dummy signature.
fn raw_token(header_json: &str) -> String {
    format!(
        "{}.{}.{}",
        b64::encode(header_json.as_bytes()),
        b64::encode(b"{}"),
        b64::encode(b"sig")
    )
}

#[test]
fn round_trip_every_alg() {
    for alg in JwsAlg::ALL {
        let key = key_for(alg);
        let token = sign_compact(
            &header(json!({"kid": "k1", "typ": "JWT"})),
            b"{\"iss\":\"c1\"}",
            alg,
            &key,
        )
        .unwrap();
        let jws = UnverifiedJws::parse(&token, MAX).unwrap();
        assert_eq!(jws.header().alg, alg);
        assert_eq!(jws.header().kid.as_deref(), Some("k1"));
        assert_eq!(jws.header().typ.as_deref(), Some("JWT"));
        let verified = jws.verify(&key.verifying_key()).unwrap();
        assert_eq!(verified.payload(), b"{\"iss\":\"c1\"}");
        assert_eq!(verified.payload_json().unwrap()["iss"], "c1");
        // And with the key as published in a JWKS.
        if let Ok(jwk) = key.public_jwk_for_alg("k1", alg) {
            let vk = VerifyingKey::from_jwk(&jwk).unwrap();
            assert_eq!(vk.kid(), Some("k1"));
            jws.verify(&vk).unwrap();
        }
    }
}

#[test]
fn verified_payload_is_shared_then_taken_or_copied() {
    let key = hmac_key();
    let token = sign_compact(&Map::new(), b"payload", JwsAlg::HS256, &key).unwrap();
    let jws = UnverifiedJws::parse(&token, MAX).unwrap();
    // Verified twice (e.g. two candidate keys): each result owns its view.
    let first = jws.verify(&key.verifying_key()).unwrap();
    let second = jws.verify(&key.verifying_key()).unwrap();
    assert_eq!(first.into_payload(), b"payload");
    drop(jws);
    assert_eq!(second.header().alg, JwsAlg::HS256);
    assert_eq!(second.into_payload(), b"payload");
    // Every HS algorithm keeps its own cached key.
    let vk = SigningKey::from_shared_secret(&[9u8; 64])
        .unwrap()
        .verifying_key();
    for alg in [JwsAlg::HS512, JwsAlg::HS256, JwsAlg::HS384, JwsAlg::HS256] {
        let other = SigningKey::from_shared_secret(&[9u8; 64]).unwrap();
        let t = sign_compact(&Map::new(), b"p", alg, &other).unwrap();
        UnverifiedJws::parse(&t, MAX).unwrap().verify(&vk).unwrap();
    }
}

#[test]
fn keys_and_tokens_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<VerifyingKey>();
    check::<SigningKey>();
    check::<UnverifiedJws>();
    check::<VerifiedJws>();
}

#[test]
fn any_changed_byte_fails() {
    for alg in JwsAlg::ALL {
        let key = key_for(alg);
        let token = sign_compact(&Map::new(), b"payload!", alg, &key).unwrap();
        let vk = key.verifying_key();
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            let mut t = bytes.to_vec();
            t[i] = if t[i] == b'A' { b'B' } else { b'A' };
            let Ok(t) = String::from_utf8(t) else {
                continue;
            };
            if t == token {
                continue;
            }
            let result = UnverifiedJws::parse(&t, MAX).and_then(|j| j.verify(&vk));
            assert!(result.is_err(), "{alg} byte {i}");
        }
    }
}

#[test]
fn refuses_oversize_input_before_decoding() {
    let junk = "!".repeat(100);
    assert_eq!(
        UnverifiedJws::parse(&junk, 99).unwrap_err(),
        JoseError::TooLarge {
            len: 100,
            limit: 99
        }
    );
}

#[test]
fn refuses_wrong_number_of_parts() {
    for t in ["", "a", "a.b", "a.b.c.d", "a.b.c.d.e", "...."] {
        assert!(
            matches!(UnverifiedJws::parse(t, MAX), Err(JoseError::Malformed(_))),
            "{t:?}"
        );
    }
}

#[test]
fn refuses_header_over_8_kib() {
    let big = format!(
        r#"{{"alg":"HS256","x":"{}"}}"#,
        "a".repeat(MAX_HEADER_BYTES)
    );
    assert_eq!(
        UnverifiedJws::parse(&raw_token(&big), 1 << 20).unwrap_err(),
        JoseError::HeaderTooLarge {
            limit: MAX_HEADER_BYTES
        }
    );
    // Just under the limit parses.
    let pad = MAX_HEADER_BYTES - r#"{"alg":"HS256","x":""}"#.len();
    let ok = format!(r#"{{"alg":"HS256","x":"{}"}}"#, "a".repeat(pad));
    UnverifiedJws::parse(&raw_token(&ok), 1 << 20).unwrap();
}

#[test]
fn refuses_non_strict_base64url() {
    let key = hmac_key();
    let token = sign_compact(&Map::new(), b"x", JwsAlg::HS256, &key).unwrap();
    let [h, p, s] = split_parts::<3>(&token).unwrap();
    for bad in [
        format!("{h}=.{p}.{s}"),
        format!("{h}.{p}=.{s}"),
        format!("{h}.{p}.{s}="),
        format!("{h}.{p}.{s} "),
        format!(" {h}.{p}.{s}"),
        format!("{h}.{p}.{}", s.replace('-', "+").replace('_', "/") + "+"),
    ] {
        assert!(
            matches!(UnverifiedJws::parse(&bad, MAX), Err(JoseError::Base64(_))),
            "{bad}"
        );
    }
}

#[test]
fn refuses_headers_that_are_not_json_objects() {
    for h in ["[]", "\"HS256\"", "{", "{\"alg\":\"HS256\"} x", "null"] {
        assert!(
            matches!(
                UnverifiedJws::parse(&raw_token(h), MAX),
                Err(JoseError::Json { .. })
            ),
            "{h}"
        );
    }
}

#[test]
fn refuses_duplicate_header_names() {
    assert_eq!(
        UnverifiedJws::parse(&raw_token(r#"{"alg":"HS256","alg":"RS256"}"#), MAX).unwrap_err(),
        JoseError::DuplicateMember("alg".into())
    );
    assert_eq!(
        UnverifiedJws::parse(&raw_token(r#"{"alg":"HS256","kid":"a","kid":"b"}"#), MAX)
            .unwrap_err(),
        JoseError::DuplicateMember("kid".into())
    );
}

#[test]
fn unsecured_jws_is_a_separate_explicit_path() {
    // RFC 7515 Appendix A.5.
    let token = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";
    let u = UnsecuredJws::parse(token, MAX).unwrap();
    assert_eq!(u.payload_json().unwrap()["iss"], "joe");
    assert_eq!(
        UnverifiedJws::parse(token, MAX).unwrap_err(),
        JoseError::AlgNone
    );
    // A signed token is not unsecured, and an unsecured one has no signature.
    let signed = sign_compact(&Map::new(), b"{}", JwsAlg::HS256, &hmac_key()).unwrap();
    assert!(matches!(
        UnsecuredJws::parse(&signed, MAX),
        Err(JoseError::UnsupportedAlg(_))
    ));
    assert!(matches!(
        UnsecuredJws::parse(&format!("{token}c2ln"), MAX),
        Err(JoseError::Malformed(_))
    ));
    assert!(UnsecuredJws::parse(&raw_token(r#"{"alg":"none","alg":"none"}"#), MAX).is_err());
    assert!(UnsecuredJws::parse(&raw_token(r#"{"alg":"none","crit":["x"]}"#), MAX).is_err());
    assert!(matches!(
        UnsecuredJws::parse(token, 10),
        Err(JoseError::TooLarge { .. })
    ));
}

#[test]
fn refuses_missing_none_and_unknown_alg() {
    let p = |h: &str| UnverifiedJws::parse(&raw_token(h), MAX).unwrap_err();
    assert_eq!(p(r#"{"kid":"a"}"#), JoseError::MissingAlg);
    assert_eq!(p(r#"{"alg":"none"}"#), JoseError::AlgNone);
    assert_eq!(
        p(r#"{"alg":"HS1024"}"#),
        JoseError::UnsupportedAlg("HS1024".into())
    );
    assert_eq!(
        p(r#"{"alg":"RSA-OAEP"}"#),
        JoseError::UnsupportedAlg("RSA-OAEP".into())
    );
    assert_eq!(p(r#"{"alg":7}"#), JoseError::InvalidHeaderParameter("alg"));
    // A real unsecured JWS (RFC 7515 Appendix A.5) with its empty signature.
    let unsecured = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UifQ.";
    assert_eq!(
        UnverifiedJws::parse(unsecured, MAX).unwrap_err(),
        JoseError::AlgNone
    );
}

#[test]
fn refuses_crit_and_b64() {
    let p = |h: &str| UnverifiedJws::parse(&raw_token(h), MAX).unwrap_err();
    assert_eq!(
        p(r#"{"alg":"HS256","crit":["exp"],"exp":1}"#),
        JoseError::UnsupportedCritical("exp".into())
    );
    assert_eq!(
        p(r#"{"alg":"HS256","crit":[]}"#),
        JoseError::InvalidHeaderParameter("crit")
    );
    assert_eq!(
        p(r#"{"alg":"HS256","crit":"b64"}"#),
        JoseError::InvalidHeaderParameter("crit")
    );
    assert_eq!(
        p(r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#),
        JoseError::UnsupportedCritical("b64".into())
    );
    assert_eq!(
        p(r#"{"alg":"HS256","b64":false}"#),
        JoseError::UnsupportedCritical("b64".into())
    );
}

#[test]
fn refuses_wrongly_typed_parameters_and_empty_signature() {
    let p = |h: &str| UnverifiedJws::parse(&raw_token(h), MAX).unwrap_err();
    assert_eq!(
        p(r#"{"alg":"HS256","kid":1}"#),
        JoseError::InvalidHeaderParameter("kid")
    );
    assert_eq!(
        p(r#"{"alg":"HS256","typ":[]}"#),
        JoseError::InvalidHeaderParameter("typ")
    );
    assert_eq!(
        p(r#"{"alg":"HS256","cty":null}"#),
        JoseError::InvalidHeaderParameter("cty")
    );
    let h = b64::encode(br#"{"alg":"HS256"}"#);
    assert_eq!(
        UnverifiedJws::parse(&format!("{h}.e30."), MAX).unwrap_err(),
        JoseError::Malformed("empty JWS signature")
    );
}

#[test]
fn header_key_material_is_visible_but_never_used() {
    // A token carrying its own key in the header, signed by that key: verifying with the
    // registered key fails; the header key is only reported.
    let attacker = fixture_key(SigningKeyKind::Ec(EcCurve::P256));
    let registered = SigningKey::generate_ec(EcCurve::P256).unwrap();
    let jwk = serde_json::to_value(attacker.public_jwk("x").unwrap()).unwrap();
    let token = sign_compact(
        &header(json!({ "jwk": jwk })),
        b"{}",
        JwsAlg::ES256,
        &attacker,
    )
    .unwrap();
    let jws = UnverifiedJws::parse(&token, MAX).unwrap();
    assert!(jws.header().get("jwk").is_some());
    assert_eq!(
        jws.verify(&registered.verifying_key()).unwrap_err(),
        JoseError::InvalidSignature
    );
}

#[test]
fn hmac_with_a_public_key_is_refused() {
    // The classic confusion: HS256 keyed with the RSA public key's bytes.
    let rsa = fixture_key(SigningKeyKind::Rsa);
    let public_der = include_bytes!("../../tests/data/rsa2048.cert.der");
    let forger = SigningKey::from_shared_secret(public_der).unwrap();
    let token = sign_compact(&Map::new(), b"{}", JwsAlg::HS256, &forger).unwrap();
    let jws = UnverifiedJws::parse(&token, MAX).unwrap();
    assert!(matches!(
        jws.verify(&rsa.verifying_key()),
        Err(JoseError::AlgKeyMismatch { .. })
    ));
    let from_cert = VerifyingKey::from_x509_der(public_der).unwrap();
    assert!(matches!(
        jws.verify(&from_cert),
        Err(JoseError::AlgKeyMismatch { .. })
    ));
}

#[test]
fn family_matrix() {
    // Every key against every algorithm: allowed exactly when the family (and curve) fits.
    for key in all_keys() {
        let vk = key.verifying_key();
        for alg in JwsAlg::ALL {
            let fits = match (alg.family(), vk.kty()) {
                (crate::AlgFamily::Hmac, KeyType::Oct)
                | (crate::AlgFamily::Rsa, KeyType::Rsa)
                | (crate::AlgFamily::Ed25519, KeyType::Okp) => true,
                (crate::AlgFamily::Ecdsa(c), KeyType::Ec) => vk.ec_curve() == Some(c),
                _ => false,
            };
            assert_eq!(vk.check_alg(alg).is_ok(), fits, "{:?} {alg}", vk.kty());
            assert_eq!(key.check_alg(alg).is_ok(), fits, "{:?} {alg}", vk.kty());
            if !fits {
                assert!(matches!(
                    vk.check_alg(alg),
                    Err(JoseError::AlgKeyMismatch { .. })
                ));
                assert!(sign_compact(&Map::new(), b"", alg, &key).is_err());
            }
        }
    }
}

#[test]
fn es384_token_does_not_verify_with_p256_key() {
    let p384 = fixture_key(SigningKeyKind::Ec(EcCurve::P384));
    let p256 = fixture_key(SigningKeyKind::Ec(EcCurve::P256));
    let token = sign_compact(&Map::new(), b"{}", JwsAlg::ES384, &p384).unwrap();
    let jws = UnverifiedJws::parse(&token, MAX).unwrap();
    assert!(matches!(
        jws.verify(&p256.verifying_key()),
        Err(JoseError::AlgKeyMismatch { .. })
    ));
}

fn restricted(members: serde_json::Value) -> VerifyingKey {
    let key = fixture_key(SigningKeyKind::Ec(EcCurve::P256));
    let mut v = serde_json::to_value(key.public_jwk("r").unwrap()).unwrap();
    let obj = v.as_object_mut().unwrap();
    obj.remove("use");
    obj.remove("alg");
    for (k, val) in members.as_object().unwrap() {
        obj.insert(k.clone(), val.clone());
    }
    VerifyingKey::from_jwk(&serde_json::from_value::<Jwk>(v).unwrap()).unwrap()
}

#[test]
fn jwk_alg_use_and_key_ops_are_enforced() {
    let token = sign_compact(
        &Map::new(),
        b"{}",
        JwsAlg::ES256,
        &fixture_key(SigningKeyKind::Ec(EcCurve::P256)),
    )
    .unwrap();
    let jws = UnverifiedJws::parse(&token, MAX).unwrap();
    for ok in [
        json!({}),
        json!({"use": "sig"}),
        json!({"alg": "ES256"}),
        json!({"key_ops": ["verify"]}),
        json!({"key_ops": ["sign", "verify"], "use": "sig", "alg": "ES256"}),
    ] {
        jws.verify(&restricted(ok.clone()))
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for bad in [
        json!({"use": "enc"}),
        json!({"alg": "ECDH-ES"}),
        json!({"key_ops": ["encrypt"]}),
        json!({"key_ops": []}),
    ] {
        assert!(
            matches!(
                jws.verify(&restricted(bad.clone())),
                Err(JoseError::KeyRestricted(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn weak_rsa_keys_are_refused() {
    let weak =
        VerifyingKey::from_x509_der(include_bytes!("../../tests/data/rsa1024.cert.der")).unwrap();
    assert_eq!(weak.rsa_bits(), Some(1024));
    for alg in [JwsAlg::RS256, JwsAlg::PS512] {
        assert!(matches!(weak.check_alg(alg), Err(JoseError::WeakKey(_))));
    }
    assert!(matches!(
        SigningKey::from_pkcs8(
            SigningKeyKind::Rsa,
            include_bytes!("../../tests/data/rsa1024.pk8.der")
        ),
        Err(JoseError::WeakKey(_) | JoseError::InvalidKey(_))
    ));
    assert!(SigningKey::generate_rsa(1024).is_err());
    let strong = fixture_key(SigningKeyKind::Rsa).verifying_key();
    assert_eq!(strong.rsa_bits(), Some(2048));
    assert!(strong.check_alg(JwsAlg::RS256).is_ok());
}

#[test]
fn short_hmac_keys_are_refused_per_alg() {
    let k32 = VerifyingKey::from_shared_secret(&[1; 32]).unwrap();
    assert!(k32.check_alg(JwsAlg::HS256).is_ok());
    assert!(matches!(
        k32.check_alg(JwsAlg::HS384),
        Err(JoseError::WeakKey(_))
    ));
    assert!(matches!(
        k32.check_alg(JwsAlg::HS512),
        Err(JoseError::WeakKey(_))
    ));
    let k31 = VerifyingKey::from_shared_secret(&[1; 31]).unwrap();
    assert!(matches!(
        k31.check_alg(JwsAlg::HS256),
        Err(JoseError::WeakKey(_))
    ));
    let s31 = SigningKey::from_shared_secret(&[1; 31]).unwrap();
    assert!(matches!(
        sign_compact(&Map::new(), b"", JwsAlg::HS256, &s31),
        Err(JoseError::WeakKey(_))
    ));
    assert!(VerifyingKey::from_shared_secret(&[]).is_err());
    assert!(SigningKey::from_shared_secret(&[]).is_err());
}

#[test]
fn wrong_key_of_right_type_fails_signature() {
    let a = SigningKey::from_shared_secret(&[1; 32]).unwrap();
    let b = VerifyingKey::from_shared_secret(&[2; 32]).unwrap();
    let token = sign_compact(&Map::new(), b"{}", JwsAlg::HS256, &a).unwrap();
    assert_eq!(
        UnverifiedJws::parse(&token, MAX)
            .unwrap()
            .verify(&b)
            .unwrap_err(),
        JoseError::InvalidSignature
    );
}

#[test]
fn select_by_kid_and_alg() {
    let rsa = fixture_key(SigningKeyKind::Rsa).verifying_key();
    let keys = vec![
        rsa.clone().with_kid(Some("r1")),
        rsa.clone().with_kid(Some("r2")),
        fixture_key(SigningKeyKind::Ec(EcCurve::P256))
            .verifying_key()
            .with_kid(Some("e1")),
        VerifyingKey::from_shared_secret(&[1; 32]).unwrap(),
        rsa.with_kid(None),
    ];
    fn kids(v: Vec<&VerifyingKey>) -> Vec<Option<&str>> {
        v.into_iter().map(VerifyingKey::kid).collect()
    }
    assert_eq!(
        kids(select_verifying_keys(&keys, Some("r2"), JwsAlg::RS256)),
        [Some("r2")]
    );
    assert!(select_verifying_keys(&keys, Some("r2"), JwsAlg::ES256).is_empty());
    assert!(select_verifying_keys(&keys, Some("zz"), JwsAlg::RS256).is_empty());
    assert_eq!(
        kids(select_verifying_keys(&keys, None, JwsAlg::RS256)),
        [Some("r1"), Some("r2"), None]
    );
    assert_eq!(
        kids(select_verifying_keys(&keys, None, JwsAlg::HS256)),
        [None]
    );
    assert!(select_verifying_keys(&keys, None, JwsAlg::HS512).is_empty());
    assert_eq!(
        kids(select_verifying_keys(&keys, None, JwsAlg::ES256)),
        [Some("e1")]
    );
}

#[test]
fn sign_compact_sets_alg_and_keeps_other_parameters() {
    let key = hmac_key();
    let token = sign_compact(
        &header(json!({"alg": "none", "typ": "oauth-authz-req+jwt", "x": [1]})),
        b"{}",
        JwsAlg::HS512,
        &key,
    )
    .unwrap();
    let jws = UnverifiedJws::parse(&token, MAX).unwrap();
    assert_eq!(jws.header().alg, JwsAlg::HS512);
    assert_eq!(jws.header().typ.as_deref(), Some("oauth-authz-req+jwt"));
    assert_eq!(jws.header().get("x"), Some(&json!([1])));
    assert!(sign_compact(&header(json!({"crit": ["x"]})), b"", JwsAlg::HS256, &key).is_err());
}

#[test]
fn payload_json_refuses_duplicate_claims() {
    let key = hmac_key();
    let token = sign_compact(
        &Map::new(),
        br#"{"iss":"a","iss":"b"}"#,
        JwsAlg::HS256,
        &key,
    )
    .unwrap();
    let v = UnverifiedJws::parse(&token, MAX)
        .unwrap()
        .verify(&key.verifying_key())
        .unwrap();
    assert_eq!(
        v.payload_json().unwrap_err(),
        JoseError::DuplicateMember("iss".into())
    );
}

#[test]
fn ecdsa_signatures_must_be_fixed_size() {
    let key = fixture_key(SigningKeyKind::Ec(EcCurve::P256));
    let token = sign_compact(&Map::new(), b"{}", JwsAlg::ES256, &key).unwrap();
    let [h, p, s] = split_parts::<3>(&token).unwrap();
    let mut sig = b64::decode(s, "t").unwrap();
    assert_eq!(sig.len(), 64);
    sig.push(0);
    let longer = format!("{h}.{p}.{}", b64::encode(&sig));
    assert_eq!(
        UnverifiedJws::parse(&longer, MAX)
            .unwrap()
            .verify(&key.verifying_key())
            .unwrap_err(),
        JoseError::InvalidSignature
    );
}

// RFC 8037 Appendix A.1: the Ed25519 key of the examples.
const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
/// RFC 8037 Appendix A.4: "Example of Ed25519 signing" under `"alg":"EdDSA"`.
const RFC8037_A4: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
/// The same payload and key under `{"alg":"Ed25519"}` (RFC 9864 §2.2), signed by Node.js
/// (OpenSSL) `crypto.sign(null, input, key)`: Ed25519 is deterministic (RFC 8032 §5.1.6).
const ED25519_VECTOR: &str = "eyJhbGciOiJFZDI1NTE5In0.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.UxhIYLHGg39NVCLpQAVD_UcfOmnGSCzLFZoXYkLiIbFccmOb_qObsgjzLKsfJw-4NlccUgvYrEHrRbNV0HcZAQ";

fn rfc8037_jwk(alg: Option<&str>, private: bool) -> Jwk {
    let mut v = json!({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X});
    if private {
        v["d"] = json!(RFC8037_D);
    }
    if let Some(a) = alg {
        v["alg"] = json!(a);
    }
    Jwk::from_json(v.to_string().as_bytes()).unwrap()
}

#[test]
fn ed25519_alg_signs_like_eddsa_under_its_own_name_rfc9864_2_2() {
    let signer = SigningKey::from_jwk(&rfc8037_jwk(None, true)).unwrap();
    // Deterministic signatures: ours are the known ones, byte for byte.
    for (alg, expected) in [
        (JwsAlg::EdDSA, RFC8037_A4),
        (JwsAlg::Ed25519, ED25519_VECTOR),
    ] {
        let token = sign_compact(&Map::new(), b"Example of Ed25519 signing", alg, &signer).unwrap();
        assert_eq!(token, expected, "{alg}");
    }
    let public = VerifyingKey::from_jwk(&rfc8037_jwk(None, false)).unwrap();
    let jws = UnverifiedJws::parse(ED25519_VECTOR, MAX).unwrap();
    assert_eq!(jws.header().alg, JwsAlg::Ed25519);
    assert_eq!(
        jws.verify(&public).unwrap().payload(),
        b"Example of Ed25519 signing"
    );
    // The signature binds the header: the same signature under "EdDSA" fails.
    let [_, p, sig] = split_parts::<3>(ED25519_VECTOR).unwrap();
    let renamed = format!("{}.{p}.{sig}", b64::encode(br#"{"alg":"EdDSA"}"#));
    assert_eq!(
        UnverifiedJws::parse(&renamed, MAX)
            .unwrap()
            .verify(&public)
            .unwrap_err(),
        JoseError::InvalidSignature
    );
    // A JWK published for Ed25519 says so.
    let jwk = signer.public_jwk_for_alg("k", JwsAlg::Ed25519).unwrap();
    assert_eq!(jwk.alg.as_deref(), Some("Ed25519"));
    jws.verify(&VerifyingKey::from_jwk(&jwk).unwrap()).unwrap();
}

#[test]
fn ed25519_alg_needs_an_okp_ed25519_key() {
    let jws = UnverifiedJws::parse(ED25519_VECTOR, MAX).unwrap();
    for other in [
        fixture_key(SigningKeyKind::Ec(EcCurve::P256)),
        fixture_key(SigningKeyKind::Rsa),
    ] {
        let err = jws.verify(&other.verifying_key()).unwrap_err();
        assert!(
            matches!(&err, JoseError::AlgKeyMismatch { alg, .. } if alg == "Ed25519"),
            "{err}"
        );
        assert!(matches!(
            sign_compact(&Map::new(), b"{}", JwsAlg::Ed25519, &other),
            Err(JoseError::AlgKeyMismatch { .. })
        ));
        assert!(other.public_jwk_for_alg("k", JwsAlg::Ed25519).is_err());
    }
    // An HMAC key made of the public key's bytes is not an Ed25519 key either.
    let x = b64::decode(RFC8037_X, "x").unwrap();
    let forged = VerifyingKey::from_shared_secret(&x).unwrap();
    assert!(matches!(
        jws.verify(&forged),
        Err(JoseError::AlgKeyMismatch { .. })
    ));
    // X25519 is an OKP key too, but for key agreement.
    let x25519 = Jwk::from_json(
        br#"{"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}"#,
    )
    .unwrap();
    assert!(VerifyingKey::from_jwk(&x25519).is_err());
}

#[test]
fn ed448_keys_and_the_ed448_alg_are_refused_and_say_so() {
    // An Ed448 public key (57 bytes): not a key this crate builds, alone or in a set.
    let ed448 = format!(
        r#"{{"kty":"OKP","crv":"Ed448","x":"{}","alg":"Ed25519"}}"#,
        b64::encode(&[7u8; 57])
    );
    let err = Jwk::from_json(ed448.as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains("Ed448 keys are not supported"),
        "{err}"
    );
    let set = crate::JwkSet::from_json(format!(r#"{{"keys":[{ed448}]}}"#).as_bytes(), MAX).unwrap();
    assert!(set.keys.is_empty());
    // The alg name Ed448 (RFC 9864 §2.2) is not accepted either.
    let p = |h: &str| UnverifiedJws::parse(&raw_token(h), MAX).unwrap_err();
    let err = p(r#"{"alg":"Ed448"}"#);
    assert!(matches!(&err, JoseError::UnsupportedAlg(_)), "{err}");
    assert!(err.to_string().contains("not supported"), "{err}");
}

#[test]
fn jwk_alg_eddsa_and_ed25519_are_distinct_names_rfc9864_7() {
    let eddsa = UnverifiedJws::parse(RFC8037_A4, MAX).unwrap();
    let ed25519 = UnverifiedJws::parse(ED25519_VECTOR, MAX).unwrap();
    // No `alg` on the JWK: the key serves both names.
    let any = VerifyingKey::from_jwk(&rfc8037_jwk(None, false)).unwrap();
    eddsa.verify(&any).unwrap();
    ed25519.verify(&any).unwrap();
    // A JWK marked for one name is not used under the other (RFC 7517 §4.4).
    let only_eddsa = VerifyingKey::from_jwk(&rfc8037_jwk(Some("EdDSA"), false)).unwrap();
    eddsa.verify(&only_eddsa).unwrap();
    assert!(matches!(
        ed25519.verify(&only_eddsa),
        Err(JoseError::KeyRestricted(_))
    ));
    let only_ed25519 = VerifyingKey::from_jwk(&rfc8037_jwk(Some("Ed25519"), false)).unwrap();
    ed25519.verify(&only_ed25519).unwrap();
    assert!(matches!(
        eddsa.verify(&only_ed25519),
        Err(JoseError::KeyRestricted(_))
    ));
    // And key selection in a JWKS follows the same rule.
    let keys = [
        only_eddsa.with_kid(Some("e")),
        only_ed25519.with_kid(Some("f")),
        any.with_kid(Some("g")),
    ];
    let kids = |alg| {
        select_verifying_keys(&keys, None, alg)
            .into_iter()
            .map(|k| k.kid())
            .collect::<Vec<_>>()
    };
    assert_eq!(kids(JwsAlg::EdDSA), [Some("e"), Some("g")]);
    assert_eq!(kids(JwsAlg::Ed25519), [Some("f"), Some("g")]);
}
