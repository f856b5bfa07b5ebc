//! Verify per JWS algorithm and decrypt per JWE alg × enc, writ-jose against josekit
//! (OpenSSL) on the same tokens in the same run.
//!
//! `cargo bench -p writ-jose --bench jose` (add a filter such as `verify/ES256` to narrow).
//!
//! The `primitive` group times the signature check alone on the same signing input: aws-lc-rs
//! with a pre-parsed key (what writ-jose calls) against josekit's verifier (OpenSSL). It is
//! the floor under the `verify` rows, which add compact parsing, base64 and header JSON.
//! The `decrypt` group runs ECDH-ES on P-256 and again on X25519.
//!
//! `docs/PERFORMANCE.md` has the recorded figures; `benches/perf_table.py` prints its tables
//! from criterion's results.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{
    self as aws_sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, ParsedPublicKey, RsaKeyPair,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use josekit::jwe::JweDecrypter;
use josekit::jwk::Jwk as KitJwk;
use josekit::jws::JwsVerifier;
use serde_json::Map;
use writ_jose::{
    DecryptionKey, DecryptionKeyKind, EcCurve, EncryptedJwe, JweAlg, JweEnc, JwsAlg, SigningKey,
    SigningKeyKind, UnverifiedJws, VerifyingKey, encrypt_compact, sign_compact,
};

const PAYLOAD: &[u8] = br#"{"iss":"client-1","aud":"https://as.example","response_type":"code","client_id":"client-1","redirect_uri":"https://client.example/cb","scope":"openid profile","state":"af0ifjsldkj","nonce":"n-0S6_WzA2Mj","exp":1900000000,"iat":1800000000}"#;
const MAX: usize = 64 * 1024;

fn kit_jwk(jwk: &writ_jose::Jwk) -> KitJwk {
    KitJwk::from_bytes(serde_json::to_vec(jwk).unwrap()).unwrap()
}

/// Every algorithm but `Ed25519` (RFC 9864 §2.2): the same computation as `EdDSA`, which is
/// measured, and josekit 0.10 does not know the name.
fn benched_algs() -> impl Iterator<Item = JwsAlg> {
    JwsAlg::ALL.into_iter().filter(|a| *a != JwsAlg::Ed25519)
}

fn signing_key(alg: JwsAlg) -> SigningKey {
    match alg.family() {
        writ_jose::AlgFamily::Hmac => SigningKey::from_shared_secret(&[0x5a; 64]).unwrap(),
        writ_jose::AlgFamily::Rsa => SigningKey::from_pkcs8(
            SigningKeyKind::Rsa,
            include_bytes!("../tests/data/rsa2048.pk8.der"),
        )
        .unwrap(),
        writ_jose::AlgFamily::Ecdsa(c) => SigningKey::generate_ec(c).unwrap(),
        writ_jose::AlgFamily::Ed25519 => SigningKey::generate_ed25519().unwrap(),
    }
}

fn kit_verifier(alg: JwsAlg, key: &SigningKey) -> Box<dyn JwsVerifier> {
    use josekit::jws::*;
    if matches!(alg.family(), writ_jose::AlgFamily::Hmac) {
        let s = [0x5a; 64];
        return match alg {
            JwsAlg::HS256 => Box::new(HS256.verifier_from_bytes(s).unwrap()),
            JwsAlg::HS384 => Box::new(HS384.verifier_from_bytes(s).unwrap()),
            _ => Box::new(HS512.verifier_from_bytes(s).unwrap()),
        };
    }
    let jwk = kit_jwk(&key.public_jwk_for_alg("k", alg).unwrap());
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
        _ => Box::new(EdDSA.verifier_from_jwk(&jwk).unwrap()),
    }
}

fn bench_verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    for alg in benched_algs() {
        let key = signing_key(alg);
        let mut header = Map::new();
        header.insert("kid".into(), serde_json::Value::String("k".into()));
        let token = sign_compact(&header, PAYLOAD, alg, &key).unwrap();
        let ours = key.verifying_key();
        let kit = kit_verifier(alg, &key);
        group.bench_with_input(BenchmarkId::new("writ-jose", alg), &token, |b, t| {
            b.iter(|| UnverifiedJws::parse(t, MAX).unwrap().verify(&ours).unwrap());
        });
        // The same, with the key parsed from its JWK every time (no key cache).
        if let Ok(jwk) = key.public_jwk_for_alg("k", alg) {
            group.bench_with_input(
                BenchmarkId::new("writ-jose+jwk-parse", alg),
                &token,
                |b, t| {
                    b.iter(|| {
                        let k = VerifyingKey::from_jwk(&jwk).unwrap();
                        UnverifiedJws::parse(t, MAX).unwrap().verify(&k).unwrap()
                    });
                },
            );
        }
        group.bench_with_input(BenchmarkId::new("josekit", alg), &token, |b, t| {
            b.iter(|| josekit::jws::deserialize_compact(t, &*kit).unwrap());
        });
    }
    group.finish();
}

/// The aws-lc-rs verifier for `alg`, built once from the signing key's PKCS#8.
enum AwsVerifier {
    Parsed(ParsedPublicKey),
    Hmac(Box<hmac::Key>),
}

impl AwsVerifier {
    fn new(alg: JwsAlg, key: &SigningKey) -> Self {
        let hmac_alg = match alg {
            JwsAlg::HS256 => Some(hmac::HMAC_SHA256),
            JwsAlg::HS384 => Some(hmac::HMAC_SHA384),
            JwsAlg::HS512 => Some(hmac::HMAC_SHA512),
            _ => None,
        };
        if let Some(h) = hmac_alg {
            return AwsVerifier::Hmac(Box::new(hmac::Key::new(h, &[0x5a; 64])));
        }
        let der = key.to_pkcs8().unwrap();
        let (params, public): (&'static dyn aws_sig::VerificationAlgorithm, Vec<u8>) = match alg {
            JwsAlg::ES256 | JwsAlg::ES384 | JwsAlg::ES512 => {
                let (v, s) = match alg {
                    JwsAlg::ES256 => (
                        &aws_sig::ECDSA_P256_SHA256_FIXED,
                        &aws_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                    ),
                    JwsAlg::ES384 => (
                        &aws_sig::ECDSA_P384_SHA384_FIXED,
                        &aws_sig::ECDSA_P384_SHA384_FIXED_SIGNING,
                    ),
                    _ => (
                        &aws_sig::ECDSA_P521_SHA512_FIXED,
                        &aws_sig::ECDSA_P521_SHA512_FIXED_SIGNING,
                    ),
                };
                let pair = EcdsaKeyPair::from_pkcs8(s, &der).unwrap();
                (v, pair.public_key().as_ref().to_vec())
            }
            JwsAlg::EdDSA => {
                let pair = Ed25519KeyPair::from_pkcs8(&der).unwrap();
                (&aws_sig::ED25519, pair.public_key().as_ref().to_vec())
            }
            _ => {
                let v = match alg {
                    JwsAlg::RS256 => &aws_sig::RSA_PKCS1_2048_8192_SHA256,
                    JwsAlg::RS384 => &aws_sig::RSA_PKCS1_2048_8192_SHA384,
                    JwsAlg::RS512 => &aws_sig::RSA_PKCS1_2048_8192_SHA512,
                    JwsAlg::PS256 => &aws_sig::RSA_PSS_2048_8192_SHA256,
                    JwsAlg::PS384 => &aws_sig::RSA_PSS_2048_8192_SHA384,
                    _ => &aws_sig::RSA_PSS_2048_8192_SHA512,
                };
                let pair = RsaKeyPair::from_pkcs8(&der).unwrap();
                (v, pair.public_key().as_ref().to_vec())
            }
        };
        AwsVerifier::Parsed(ParsedPublicKey::new(params, public).unwrap())
    }

    fn verify(&self, input: &[u8], sig: &[u8]) {
        match self {
            AwsVerifier::Parsed(k) => k.verify_sig(input, sig).unwrap(),
            AwsVerifier::Hmac(k) => hmac::verify(k, input, sig).unwrap(),
        }
    }
}

fn bench_primitive(c: &mut Criterion) {
    let mut group = c.benchmark_group("primitive");
    for alg in benched_algs() {
        let key = signing_key(alg);
        let mut header = Map::new();
        header.insert("kid".into(), serde_json::Value::String("k".into()));
        let token = sign_compact(&header, PAYLOAD, alg, &key).unwrap();
        let (input, sig_b64) = token.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig_b64).unwrap();
        let aws = AwsVerifier::new(alg, &key);
        let kit = kit_verifier(alg, &key);
        group.bench_function(BenchmarkId::new("aws-lc-rs", alg), |b| {
            b.iter(|| aws.verify(input.as_bytes(), &sig));
        });
        group.bench_function(BenchmarkId::new("openssl-via-josekit", alg), |b| {
            b.iter(|| kit.verify(input.as_bytes(), &sig).unwrap());
        });
    }
    group.finish();
}

fn decryption_key(alg: JweAlg, enc: JweEnc) -> (DecryptionKey, Option<Vec<u8>>) {
    match alg {
        JweAlg::RsaOaep | JweAlg::RsaOaep256 => (
            DecryptionKey::from_pkcs8(
                DecryptionKeyKind::Rsa,
                include_bytes!("../tests/data/rsa2048.pk8.der"),
            )
            .unwrap(),
            None,
        ),
        a if a.is_ecdh() => (DecryptionKey::generate_ec(EcCurve::P256).unwrap(), None),
        _ => {
            let len = alg.key_wrap_len().unwrap_or(enc.cek_len());
            let k = vec![0x11; len];
            (DecryptionKey::from_symmetric(&k).unwrap(), Some(k))
        }
    }
}

fn kit_decrypter(alg: JweAlg, key: &DecryptionKey, sym: &Option<Vec<u8>>) -> Box<dyn JweDecrypter> {
    use josekit::jwe::*;
    if let Some(k) = sym {
        return match alg {
            JweAlg::A128Kw => Box::new(A128KW.decrypter_from_bytes(k).unwrap()),
            JweAlg::A256Kw => Box::new(A256KW.decrypter_from_bytes(k).unwrap()),
            _ => Box::new(Dir.decrypter_from_bytes(k).unwrap()),
        };
    }
    let der = key.to_pkcs8().unwrap();
    match alg {
        JweAlg::RsaOaep => Box::new(RSA_OAEP.decrypter_from_der(&der).unwrap()),
        JweAlg::RsaOaep256 => Box::new(RSA_OAEP_256.decrypter_from_der(&der).unwrap()),
        JweAlg::EcdhEs => Box::new(ECDH_ES.decrypter_from_der(&der).unwrap()),
        JweAlg::EcdhEsA128Kw => Box::new(ECDH_ES_A128KW.decrypter_from_der(&der).unwrap()),
        _ => Box::new(ECDH_ES_A256KW.decrypter_from_der(&der).unwrap()),
    }
}

fn bench_decrypt(c: &mut Criterion) {
    let mut group = c.benchmark_group("decrypt");
    for alg in JweAlg::ALL {
        for enc in JweEnc::ALL {
            let (key, sym) = decryption_key(alg, enc);
            let token = encrypt_compact(
                &Map::new(),
                PAYLOAD,
                alg,
                enc,
                &key.encryption_key().unwrap(),
            )
            .unwrap();
            let kit = kit_decrypter(alg, &key, &sym);
            let id = format!("{alg}+{enc}");
            group.bench_with_input(BenchmarkId::new("writ-jose", &id), &token, |b, t| {
                b.iter(|| EncryptedJwe::parse(t, MAX).unwrap().decrypt(&key).unwrap());
            });
            group.bench_with_input(BenchmarkId::new("josekit", &id), &token, |b, t| {
                b.iter(|| josekit::jwe::deserialize_compact(t, &*kit).unwrap());
            });
        }
    }
    // ECDH-ES with X25519 (RFC 8037 §3.2); the rows above use P-256.
    let key = DecryptionKey::generate_x25519().unwrap();
    let der = key.to_pkcs8().unwrap();
    for alg in [JweAlg::EcdhEs, JweAlg::EcdhEsA128Kw, JweAlg::EcdhEsA256Kw] {
        let kit: Box<dyn JweDecrypter> = match alg {
            JweAlg::EcdhEs => Box::new(josekit::jwe::ECDH_ES.decrypter_from_der(&der).unwrap()),
            JweAlg::EcdhEsA128Kw => Box::new(
                josekit::jwe::ECDH_ES_A128KW
                    .decrypter_from_der(&der)
                    .unwrap(),
            ),
            _ => Box::new(
                josekit::jwe::ECDH_ES_A256KW
                    .decrypter_from_der(&der)
                    .unwrap(),
            ),
        };
        for enc in JweEnc::ALL {
            let token = encrypt_compact(
                &Map::new(),
                PAYLOAD,
                alg,
                enc,
                &key.encryption_key().unwrap(),
            )
            .unwrap();
            let id = format!("{alg}(X25519)+{enc}");
            group.bench_with_input(BenchmarkId::new("writ-jose", &id), &token, |b, t| {
                b.iter(|| EncryptedJwe::parse(t, MAX).unwrap().decrypt(&key).unwrap());
            });
            group.bench_with_input(BenchmarkId::new("josekit", &id), &token, |b, t| {
                b.iter(|| josekit::jwe::deserialize_compact(t, &*kit).unwrap());
            });
        }
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(900))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_verify, bench_primitive, bench_decrypt
}
criterion_main!(benches);
