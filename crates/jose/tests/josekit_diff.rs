//! Differential tests against josekit (OpenSSL), a dev-dependency used only as an oracle:
//! every JWS algorithm and every JWE alg × enc pair, in both directions, plus a tamper check
//! on josekit's output for every JWE pair.
//!
//! josekit 0.10 predates RFC 9864 and knows Ed25519 signatures only as `EdDSA`. For the
//! fully-specified `Ed25519` the oracle therefore signs and verifies the signing input itself
//! (the same Ed25519 of RFC 8032 §5.1) and the compact serialization is ours.
#![allow(clippy::unwrap_used, clippy::expect_used, deprecated)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use josekit::jwe::{JweDecrypter, JweEncrypter, JweHeader as KitJweHeader};
use josekit::jwk::Jwk as KitJwk;
use josekit::jws::{JwsHeader as KitJwsHeader, JwsSigner, JwsVerifier};
use serde_json::{Map, Value};
use writ_jose::{
    DecryptionKey, EcCurve, EncryptedJwe, EncryptionKey, JweAlg, JweEnc, JwsAlg, SigningKey,
    UnverifiedJws, VerifyingKey, encrypt_compact, sign_compact,
};

const MAX: usize = 256 * 1024;
const PAYLOAD: &[u8] = br#"{"iss":"client-1","aud":"https://as.example","nonce":"n-0S6_WzA2Mj"}"#;

fn kit_jwk(jwk: &writ_jose::Jwk) -> KitJwk {
    KitJwk::from_bytes(serde_json::to_vec(jwk).unwrap()).unwrap()
}

struct JwsCase {
    ours: SigningKey,
    secret: Option<Vec<u8>>,
}

fn jws_case(alg: JwsAlg) -> JwsCase {
    let secret = vec![0x5a; 64];
    match alg {
        JwsAlg::HS256 | JwsAlg::HS384 | JwsAlg::HS512 => JwsCase {
            ours: SigningKey::from_shared_secret(&secret).unwrap(),
            secret: Some(secret),
        },
        JwsAlg::ES256 => generated(SigningKey::generate_ec(EcCurve::P256)),
        JwsAlg::ES384 => generated(SigningKey::generate_ec(EcCurve::P384)),
        JwsAlg::ES512 => generated(SigningKey::generate_ec(EcCurve::P521)),
        JwsAlg::EdDSA | JwsAlg::Ed25519 => generated(SigningKey::generate_ed25519()),
        _ => JwsCase {
            ours: SigningKey::from_pkcs8(
                writ_jose::SigningKeyKind::Rsa,
                include_bytes!("data/rsa2048.pk8.der"),
            )
            .unwrap(),
            secret: None,
        },
    }
}

fn generated(key: writ_jose::Result<SigningKey>) -> JwsCase {
    JwsCase {
        ours: key.unwrap(),
        secret: None,
    }
}

fn kit_signer(alg: JwsAlg, case: &JwsCase) -> Box<dyn JwsSigner> {
    use josekit::jws::*;
    let der = || case.ours.to_pkcs8().unwrap();
    let secret = || case.secret.clone().unwrap();
    match alg {
        JwsAlg::HS256 => Box::new(HS256.signer_from_bytes(secret()).unwrap()),
        JwsAlg::HS384 => Box::new(HS384.signer_from_bytes(secret()).unwrap()),
        JwsAlg::HS512 => Box::new(HS512.signer_from_bytes(secret()).unwrap()),
        JwsAlg::RS256 => Box::new(RS256.signer_from_der(der()).unwrap()),
        JwsAlg::RS384 => Box::new(RS384.signer_from_der(der()).unwrap()),
        JwsAlg::RS512 => Box::new(RS512.signer_from_der(der()).unwrap()),
        JwsAlg::PS256 => Box::new(PS256.signer_from_der(der()).unwrap()),
        JwsAlg::PS384 => Box::new(PS384.signer_from_der(der()).unwrap()),
        JwsAlg::PS512 => Box::new(PS512.signer_from_der(der()).unwrap()),
        JwsAlg::ES256 => Box::new(ES256.signer_from_der(der()).unwrap()),
        JwsAlg::ES384 => Box::new(ES384.signer_from_der(der()).unwrap()),
        JwsAlg::ES512 => Box::new(ES512.signer_from_der(der()).unwrap()),
        // RFC 9864 §2.2: the same signature under another name (see the module comment).
        JwsAlg::EdDSA | JwsAlg::Ed25519 => Box::new(EdDSA.signer_from_der(der()).unwrap()),
    }
}

fn kit_verifier(alg: JwsAlg, case: &JwsCase) -> Box<dyn JwsVerifier> {
    use josekit::jws::*;
    if let Some(secret) = &case.secret {
        return match alg {
            JwsAlg::HS256 => Box::new(HS256.verifier_from_bytes(secret).unwrap()),
            JwsAlg::HS384 => Box::new(HS384.verifier_from_bytes(secret).unwrap()),
            _ => Box::new(HS512.verifier_from_bytes(secret).unwrap()),
        };
    }
    // josekit refuses a JWK whose `alg` is not its own name, so Ed25519 gets the EdDSA JWK.
    let kit_alg = if alg == JwsAlg::Ed25519 {
        JwsAlg::EdDSA
    } else {
        alg
    };
    let jwk = kit_jwk(&case.ours.public_jwk_for_alg("k1", kit_alg).unwrap());
    match alg {
        JwsAlg::RS256 => Box::new(RS256.verifier_from_jwk(&jwk).unwrap()),
        JwsAlg::RS384 => Box::new(RS384.verifier_from_jwk(&jwk).unwrap()),
        JwsAlg::RS512 => Box::new(RS512.verifier_from_jwk(&jwk).unwrap()),
        JwsAlg::PS256 => Box::new(PS256.verifier_from_jwk(&jwk).unwrap()),
        JwsAlg::PS384 => Box::new(PS384.verifier_from_jwk(&jwk).unwrap()),
        JwsAlg::PS512 => Box::new(PS512.verifier_from_jwk(&jwk).unwrap()),
        JwsAlg::ES256 => Box::new(ES256.verifier_from_jwk(&jwk).unwrap()),
        JwsAlg::ES384 => Box::new(ES384.verifier_from_jwk(&jwk).unwrap()),
        JwsAlg::ES512 => Box::new(ES512.verifier_from_jwk(&jwk).unwrap()),
        JwsAlg::EdDSA | JwsAlg::Ed25519 => Box::new(EdDSA.verifier_from_jwk(&jwk).unwrap()),
        _ => unreachable!(),
    }
}

fn our_verifier(alg: JwsAlg, case: &JwsCase) -> VerifyingKey {
    match &case.secret {
        Some(s) => VerifyingKey::from_shared_secret(s).unwrap(),
        None => VerifyingKey::from_jwk(&case.ours.public_jwk_for_alg("k1", alg).unwrap()).unwrap(),
    }
}

#[test]
fn jws_ours_to_josekit_every_alg() {
    for alg in JwsAlg::ALL {
        let case = jws_case(alg);
        let mut header = Map::new();
        header.insert("kid".into(), Value::String("k1".into()));
        let token = sign_compact(&header, PAYLOAD, alg, &case.ours).unwrap();
        if alg == JwsAlg::Ed25519 {
            let (input, signature) = token.rsplit_once('.').unwrap();
            let signature = B64.decode(signature).unwrap();
            kit_verifier(alg, &case)
                .verify(input.as_bytes(), &signature)
                .unwrap_or_else(|e| panic!("{alg}: {e}"));
            let jws = UnverifiedJws::parse(&token, MAX).unwrap();
            assert_eq!(jws.header().raw["alg"], "Ed25519");
            continue;
        }
        let (payload, kit_header) =
            josekit::jws::deserialize_compact(&token, &*kit_verifier(alg, &case))
                .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(payload, PAYLOAD, "{alg}");
        assert_eq!(kit_header.algorithm(), Some(alg.as_str()));
        assert_eq!(kit_header.key_id(), Some("k1"));
    }
}

#[test]
fn jws_josekit_to_ours_every_alg() {
    for alg in JwsAlg::ALL {
        let case = jws_case(alg);
        let mut header = KitJwsHeader::new();
        header.set_key_id("k1");
        header.set_token_type("JWT");
        let token = if alg == JwsAlg::Ed25519 {
            let input = format!(
                "{}.{}",
                B64.encode(br#"{"alg":"Ed25519","kid":"k1","typ":"JWT"}"#),
                B64.encode(PAYLOAD)
            );
            let signature = kit_signer(alg, &case).sign(input.as_bytes()).unwrap();
            format!("{input}.{}", B64.encode(&signature))
        } else {
            josekit::jws::serialize_compact(PAYLOAD, &header, &*kit_signer(alg, &case)).unwrap()
        };
        let jws = UnverifiedJws::parse(&token, MAX).unwrap();
        assert_eq!(jws.header().alg, alg);
        assert_eq!(jws.header().typ.as_deref(), Some("JWT"));
        let verified = jws
            .verify(&our_verifier(alg, &case))
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(verified.payload(), PAYLOAD);
        // A signature of another key does not verify.
        let other = jws_case(alg);
        if other.secret.is_none() && !matches!(alg.family(), writ_jose::AlgFamily::Rsa) {
            assert!(jws.verify(&our_verifier(alg, &other)).is_err(), "{alg}");
        }
    }
}

struct JweCase {
    ours: DecryptionKey,
    symmetric: Option<Vec<u8>>,
}

fn jwe_case(alg: JweAlg, enc: JweEnc, curve: EcCurve) -> JweCase {
    match alg {
        JweAlg::RsaOaep | JweAlg::RsaOaep256 => JweCase {
            ours: DecryptionKey::from_pkcs8(
                writ_jose::DecryptionKeyKind::Rsa,
                include_bytes!("data/rsa2048.pk8.der"),
            )
            .unwrap(),
            symmetric: None,
        },
        JweAlg::EcdhEs | JweAlg::EcdhEsA128Kw | JweAlg::EcdhEsA256Kw => JweCase {
            ours: DecryptionKey::generate_ec(curve).unwrap(),
            symmetric: None,
        },
        _ => {
            let len = match alg {
                JweAlg::A128Kw => 16,
                JweAlg::A256Kw => 32,
                _ => enc.cek_len(),
            };
            let k: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            JweCase {
                ours: DecryptionKey::from_symmetric(&k).unwrap(),
                symmetric: Some(k),
            }
        }
    }
}

fn kit_encrypter(alg: JweAlg, case: &JweCase) -> Box<dyn JweEncrypter> {
    use josekit::jwe::*;
    if let Some(k) = &case.symmetric {
        return match alg {
            JweAlg::A128Kw => Box::new(A128KW.encrypter_from_bytes(k).unwrap()),
            JweAlg::A256Kw => Box::new(A256KW.encrypter_from_bytes(k).unwrap()),
            _ => Box::new(Dir.encrypter_from_bytes(k).unwrap()),
        };
    }
    let jwk = kit_jwk(&case.ours.public_jwk("e1").unwrap());
    match alg {
        JweAlg::RsaOaep => Box::new(RSA_OAEP.encrypter_from_jwk(&jwk).unwrap()),
        JweAlg::RsaOaep256 => Box::new(RSA_OAEP_256.encrypter_from_jwk(&jwk).unwrap()),
        JweAlg::EcdhEs => Box::new(ECDH_ES.encrypter_from_jwk(&jwk).unwrap()),
        JweAlg::EcdhEsA128Kw => Box::new(ECDH_ES_A128KW.encrypter_from_jwk(&jwk).unwrap()),
        JweAlg::EcdhEsA256Kw => Box::new(ECDH_ES_A256KW.encrypter_from_jwk(&jwk).unwrap()),
        _ => unreachable!(),
    }
}

fn kit_decrypter(alg: JweAlg, case: &JweCase) -> Box<dyn JweDecrypter> {
    use josekit::jwe::*;
    if let Some(k) = &case.symmetric {
        return match alg {
            JweAlg::A128Kw => Box::new(A128KW.decrypter_from_bytes(k).unwrap()),
            JweAlg::A256Kw => Box::new(A256KW.decrypter_from_bytes(k).unwrap()),
            _ => Box::new(Dir.decrypter_from_bytes(k).unwrap()),
        };
    }
    let der = case.ours.to_pkcs8().unwrap();
    match alg {
        JweAlg::RsaOaep => Box::new(RSA_OAEP.decrypter_from_der(&der).unwrap()),
        JweAlg::RsaOaep256 => Box::new(RSA_OAEP_256.decrypter_from_der(&der).unwrap()),
        JweAlg::EcdhEs => Box::new(ECDH_ES.decrypter_from_der(&der).unwrap()),
        JweAlg::EcdhEsA128Kw => Box::new(ECDH_ES_A128KW.decrypter_from_der(&der).unwrap()),
        JweAlg::EcdhEsA256Kw => Box::new(ECDH_ES_A256KW.decrypter_from_der(&der).unwrap()),
        _ => unreachable!(),
    }
}

fn jwe_pairs() -> Vec<(JweAlg, JweEnc, EcCurve)> {
    let mut out = Vec::new();
    for alg in JweAlg::ALL {
        for enc in JweEnc::ALL {
            let curves: &[EcCurve] = if alg.is_ecdh() {
                &[EcCurve::P256, EcCurve::P384, EcCurve::P521]
            } else {
                &[EcCurve::P256]
            };
            for curve in curves {
                out.push((alg, enc, *curve));
            }
        }
    }
    out
}

#[test]
fn jwe_ours_to_josekit_every_pair() {
    for (alg, enc, curve) in jwe_pairs() {
        let case = jwe_case(alg, enc, curve);
        let key: EncryptionKey = case.ours.encryption_key().unwrap();
        let mut header = Map::new();
        header.insert("cty".into(), Value::String("JWT".into()));
        let token = encrypt_compact(&header, PAYLOAD, alg, enc, &key).unwrap();
        let (plaintext, kit_header) =
            josekit::jwe::deserialize_compact(&token, &*kit_decrypter(alg, &case))
                .unwrap_or_else(|e| panic!("{alg} {enc} {curve}: {e}"));
        assert_eq!(plaintext, PAYLOAD, "{alg} {enc} {curve}");
        assert_eq!(kit_header.content_encryption(), Some(enc.as_str()));
    }
}

#[test]
fn jwe_josekit_to_ours_every_pair_and_tampering_fails() {
    for (alg, enc, curve) in jwe_pairs() {
        let case = jwe_case(alg, enc, curve);
        let mut header = KitJweHeader::new();
        header.set_content_encryption(enc.as_str());
        header.set_content_type("JWT");
        let token =
            josekit::jwe::serialize_compact(PAYLOAD, &header, &*kit_encrypter(alg, &case)).unwrap();
        let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
        assert_eq!((jwe.header().alg, jwe.header().enc), (alg, enc));
        let out = jwe
            .decrypt(&case.ours)
            .unwrap_or_else(|e| panic!("{alg} {enc} {curve}: {e}"));
        assert_eq!(out.plaintext(), PAYLOAD, "{alg} {enc} {curve}");

        // Any changed byte fails (one curve per ECDH alg keeps this quick).
        if alg.is_ecdh() && curve != EcCurve::P256 {
            continue;
        }
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            let mut t = bytes.to_vec();
            t[i] = if t[i] == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(t).unwrap();
            let result = EncryptedJwe::parse(&t, MAX).and_then(|j| j.decrypt(&case.ours));
            assert!(
                result.is_err(),
                "{alg} {enc}: byte {i} changed and still decrypted"
            );
        }
    }
}

#[test]
fn josekit_refused_algorithms_are_refused_here() {
    // josekit produces these; Writ refuses them by name.
    use josekit::jwe::*;
    let k16 = [1u8; 16];
    let mut header = KitJweHeader::new();
    header.set_content_encryption("A128GCM");
    let gcmkw = serialize_compact(
        PAYLOAD,
        &header,
        &A128GCMKW.encrypter_from_bytes(k16).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        EncryptedJwe::parse(&gcmkw, MAX),
        Err(writ_jose::JoseError::UnsupportedAlg(_))
    ));
    let rsa = DecryptionKey::from_pkcs8(
        writ_jose::DecryptionKeyKind::Rsa,
        include_bytes!("data/rsa2048.pk8.der"),
    )
    .unwrap();
    let jwk = kit_jwk(&rsa.public_jwk("k").unwrap());
    let rsa1_5 =
        serialize_compact(PAYLOAD, &header, &RSA1_5.encrypter_from_jwk(&jwk).unwrap()).unwrap();
    assert!(matches!(
        EncryptedJwe::parse(&rsa1_5, MAX),
        Err(writ_jose::JoseError::UnsupportedAlg(_))
    ));
    header.set_compression("DEF");
    let zipped =
        serialize_compact(PAYLOAD, &header, &A128KW.encrypter_from_bytes(k16).unwrap()).unwrap();
    assert!(matches!(
        EncryptedJwe::parse(&zipped, MAX),
        Err(writ_jose::JoseError::UnsupportedHeaderParameter("zip"))
    ));
}

#[test]
fn unsecured_josekit_token_is_refused() {
    let token =
        josekit::jwt::encode_unsecured(&josekit::jwt::JwtPayload::new(), &KitJwsHeader::new())
            .unwrap();
    assert_eq!(
        UnverifiedJws::parse(&token, MAX).unwrap_err(),
        writ_jose::JoseError::AlgNone
    );
}

/// X25519 (RFC 8037 §3.2) for ECDH-ES, ECDH-ES+A128KW and ECDH-ES+A256KW with every `enc`,
/// both directions, with a key pair made by josekit (OpenSSL) and read here from its private
/// JWK and from its PKCS#8 DER.
#[test]
fn x25519_ecdh_both_directions_every_alg_and_enc() {
    use josekit::jwe::{ECDH_ES, ECDH_ES_A128KW, ECDH_ES_A256KW};
    use josekit::jwk::KeyPair as _;
    use josekit::jwk::alg::ecx::{EcxCurve, EcxKeyPair};

    let pair = EcxKeyPair::generate(EcxCurve::X25519).unwrap();
    let kit_private = pair.to_jwk_key_pair();
    let kit_public = pair.to_jwk_public_key();
    let ours = DecryptionKey::from_jwk(
        &writ_jose::Jwk::from_json(kit_private.to_string().as_bytes()).unwrap(),
    )
    .unwrap();
    let from_der = DecryptionKey::from_pkcs8(
        writ_jose::DecryptionKeyKind::X25519,
        &pair.to_der_private_key(),
    )
    .unwrap();
    assert_eq!(
        from_der.public_jwk("k").unwrap(),
        ours.public_jwk("k").unwrap()
    );
    let ours_public = ours.public_jwk("k").unwrap();
    assert_eq!(
        serde_json::to_value(&ours_public).unwrap()["x"],
        kit_public.as_ref()["x"]
    );

    for alg in [JweAlg::EcdhEs, JweAlg::EcdhEsA128Kw, JweAlg::EcdhEsA256Kw] {
        let (encrypter, decrypter): (Box<dyn JweEncrypter>, Box<dyn JweDecrypter>) = match alg {
            JweAlg::EcdhEs => (
                Box::new(ECDH_ES.encrypter_from_jwk(&kit_public).unwrap()),
                Box::new(ECDH_ES.decrypter_from_jwk(&kit_private).unwrap()),
            ),
            JweAlg::EcdhEsA128Kw => (
                Box::new(ECDH_ES_A128KW.encrypter_from_jwk(&kit_public).unwrap()),
                Box::new(ECDH_ES_A128KW.decrypter_from_jwk(&kit_private).unwrap()),
            ),
            _ => (
                Box::new(ECDH_ES_A256KW.encrypter_from_jwk(&kit_public).unwrap()),
                Box::new(ECDH_ES_A256KW.decrypter_from_jwk(&kit_private).unwrap()),
            ),
        };
        for enc in JweEnc::ALL {
            // josekit encrypts, writ-jose decrypts (with both imports of the key).
            let mut header = KitJweHeader::new();
            header.set_content_encryption(enc.as_str());
            let token = josekit::jwe::serialize_compact(PAYLOAD, &header, &*encrypter).unwrap();
            let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
            for key in [&ours, &from_der] {
                let out = jwe
                    .decrypt(key)
                    .unwrap_or_else(|e| panic!("{alg} {enc}: {e}"));
                assert_eq!(out.plaintext(), PAYLOAD, "{alg} {enc}");
            }
            // writ-jose encrypts to the public JWK, josekit decrypts.
            let key = EncryptionKey::from_jwk(&ours_public).unwrap();
            let token = encrypt_compact(&Map::new(), PAYLOAD, alg, enc, &key).unwrap();
            let (plaintext, _) = josekit::jwe::deserialize_compact(&token, &*decrypter)
                .unwrap_or_else(|e| panic!("{alg} {enc}: {e}"));
            assert_eq!(plaintext, PAYLOAD, "{alg} {enc}");
        }
    }
}
