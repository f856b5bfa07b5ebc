use super::*;
use base64::Engine as _;

fn std_b64(der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(der)
}

struct Fixture {
    kind: SigningKeyKind,
    pk8: &'static [u8],
    cert_der: &'static [u8],
    cert_pem: &'static str,
}

fn fixtures() -> Vec<Fixture> {
    vec![
        Fixture {
            kind: SigningKeyKind::Rsa,
            pk8: include_bytes!("../../tests/data/rsa2048.pk8.der"),
            cert_der: include_bytes!("../../tests/data/rsa2048.cert.der"),
            cert_pem: include_str!("../../tests/data/rsa2048.cert.pem"),
        },
        Fixture {
            kind: SigningKeyKind::Ec(EcCurve::P256),
            pk8: include_bytes!("../../tests/data/p256.pk8.der"),
            cert_der: include_bytes!("../../tests/data/p256.cert.der"),
            cert_pem: include_str!("../../tests/data/p256.cert.pem"),
        },
        Fixture {
            kind: SigningKeyKind::Ec(EcCurve::P384),
            pk8: include_bytes!("../../tests/data/p384.pk8.der"),
            cert_der: include_bytes!("../../tests/data/p384.cert.der"),
            cert_pem: include_str!("../../tests/data/p384.cert.pem"),
        },
        Fixture {
            kind: SigningKeyKind::Ec(EcCurve::P521),
            pk8: include_bytes!("../../tests/data/p521.pk8.der"),
            cert_der: include_bytes!("../../tests/data/p521.cert.der"),
            cert_pem: include_str!("../../tests/data/p521.cert.pem"),
        },
        Fixture {
            kind: SigningKeyKind::Ed25519,
            pk8: include_bytes!("../../tests/data/ed25519.pk8.der"),
            cert_der: include_bytes!("../../tests/data/ed25519.cert.der"),
            cert_pem: include_str!("../../tests/data/ed25519.cert.pem"),
        },
    ]
}

#[test]
fn x509_base64_der_and_pem_give_the_signing_keys_public_key() {
    for f in fixtures() {
        let signing = SigningKey::from_pkcs8(f.kind, f.pk8).unwrap();
        let expected = signing.public_jwk("k").unwrap().thumbprint_sha256();
        let alg = signing.default_alg();
        let msg = b"message";
        let sig = signing.sign(alg, msg).unwrap();
        let with_newlines = std_b64(f.cert_der)
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n");
        for text in [std_b64(f.cert_der), with_newlines, f.cert_pem.to_owned()] {
            let vk = VerifyingKey::from_x509(&text).unwrap();
            assert_eq!(vk.kid(), None);
            assert_eq!(
                vk.to_public_jwk().unwrap().thumbprint_sha256(),
                expected,
                "{:?}",
                f.kind
            );
            vk.verify_signature(alg, msg, &sig).unwrap();
        }
    }
}

#[test]
fn x509_garbage_is_an_error() {
    assert!(VerifyingKey::from_x509("").is_err());
    assert!(VerifyingKey::from_x509("AAAA").is_err());
    assert!(
        VerifyingKey::from_x509("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
            .is_err()
    );
    let mut der = fixtures()[0].cert_der.to_vec();
    der.push(0);
    assert!(VerifyingKey::from_x509_der(&der).is_err(), "trailing data");
    der.truncate(der.len() - 10);
    assert!(VerifyingKey::from_x509_der(&der).is_err(), "truncated");
}

#[test]
fn x5c_must_match_the_jwk() {
    let f = fixtures();
    let signing = SigningKey::from_pkcs8(f[1].kind, f[1].pk8).unwrap();
    let mut jwk = signing.public_jwk("k").unwrap();
    jwk.x5c = Some(vec![std_b64(f[1].cert_der)]);
    VerifyingKey::from_jwk(&jwk).unwrap();

    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, f[1].cert_der);
    jwk.x5t_s256 = Some(b64::encode(digest.as_ref()));
    VerifyingKey::from_jwk(&jwk).unwrap();
    jwk.x5t_s256 = Some(b64::encode(&[0; 32]));
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk),
        Err(JoseError::X5cMismatch(_))
    ));
    jwk.x5t_s256 = None;

    // Another key's certificate.
    jwk.x5c = Some(vec![std_b64(f[2].cert_der)]);
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk),
        Err(JoseError::X5cMismatch(_))
    ));
    jwk.x5c = Some(vec![]);
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk),
        Err(JoseError::X5cMismatch(_))
    ));
    jwk.x5c = Some(vec!["not base64!".into()]);
    assert!(VerifyingKey::from_jwk(&jwk).is_err());
}

#[test]
fn pkcs8_round_trip_and_generation() {
    let generated = [
        SigningKey::generate_rsa(2048).unwrap(),
        SigningKey::generate_ec(EcCurve::P256).unwrap(),
        SigningKey::generate_ec(EcCurve::P384).unwrap(),
        SigningKey::generate_ec(EcCurve::P521).unwrap(),
        SigningKey::generate_ed25519().unwrap(),
    ];
    for key in generated {
        let kind = key.kind().unwrap();
        let der = key.to_pkcs8().unwrap();
        let back = SigningKey::from_pkcs8(kind, &der).unwrap();
        assert_eq!(back.public_jwk("a").unwrap(), key.public_jwk("a").unwrap());
        let alg = key.default_alg();
        let sig = back.sign(alg, b"m").unwrap();
        key.verifying_key()
            .verify_signature(alg, b"m", &sig)
            .unwrap();
    }
    let hmac = SigningKey::from_shared_secret(b"s").unwrap();
    assert!(hmac.to_pkcs8().is_err());
    assert!(hmac.public_jwk("k").is_err());
    assert!(hmac.kind().is_none());
}

#[test]
fn pkcs8_of_the_wrong_kind_is_refused() {
    let f = fixtures();
    assert!(SigningKey::from_pkcs8(SigningKeyKind::Ec(EcCurve::P384), f[1].pk8).is_err());
    assert!(SigningKey::from_pkcs8(SigningKeyKind::Rsa, f[1].pk8).is_err());
    assert!(SigningKey::from_pkcs8(SigningKeyKind::Ed25519, f[0].pk8).is_err());
    assert!(SigningKey::from_pkcs8(SigningKeyKind::Rsa, b"").is_err());
}

#[test]
fn public_jwk_members() {
    let key = SigningKey::generate_ec(EcCurve::P384).unwrap();
    let jwk = key.public_jwk("kid-1").unwrap();
    assert_eq!(jwk.kid.as_deref(), Some("kid-1"));
    assert_eq!(jwk.key_use.as_deref(), Some("sig"));
    assert_eq!(jwk.alg.as_deref(), Some("ES384"));
    assert!(!jwk.is_private());
    assert!(key.public_jwk_for_alg("k", JwsAlg::ES256).is_err());
    let rsa = SigningKey::from_pkcs8(SigningKeyKind::Rsa, fixtures()[0].pk8).unwrap();
    assert_eq!(
        rsa.public_jwk_for_alg("k", JwsAlg::PS256)
            .unwrap()
            .alg
            .as_deref(),
        Some("PS256")
    );
    let vk = VerifyingKey::from_jwk(&jwk).unwrap();
    assert_eq!(vk.kid(), Some("kid-1"));
    assert_eq!(vk.kty(), KeyType::Ec);
    assert_eq!(vk.ec_curve(), Some(EcCurve::P384));
    assert!(!vk.is_symmetric());
    assert!(format!("{key:?}").contains("SigningKey"));
}

#[test]
fn invalid_public_keys_are_refused() {
    let key = SigningKey::generate_ec(EcCurve::P256).unwrap();
    let mut jwk = key.public_jwk("k").unwrap();
    if let JwkParams::Ec(p) = &mut jwk.params {
        // (x, y+1) is not on the curve.
        let mut y = b64::decode(&p.y, "y").unwrap();
        let last = y.len() - 1;
        y[last] ^= 1;
        p.y = b64::encode(&y);
    }
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk),
        Err(JoseError::InvalidKey(_))
    ));
    let x25519 = Jwk::from_json(
        br#"{"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}"#,
    )
    .unwrap();
    assert!(matches!(
        VerifyingKey::from_jwk(&x25519),
        Err(JoseError::InvalidKey(_))
    ));
    let empty = Jwk::from_json(br#"{"kty":"oct","k":""}"#).unwrap();
    assert!(VerifyingKey::from_jwk(&empty).is_err());
}

#[test]
fn debug_output_has_no_secrets() {
    let vk = VerifyingKey::from_shared_secret(b"super-secret-value-0123456789abc").unwrap();
    assert!(!format!("{vk:?}").contains("super-secret"));
    let sk = SigningKey::from_shared_secret(b"super-secret-value-0123456789abc").unwrap();
    assert!(!format!("{sk:?}").contains("super-secret"));
    assert!(!format!("{:?}", SecretBytes::new(b"abc")).contains("abc"));
}
