//! `SigningKey::private_jwk`: a private key written as a JWK reads back as the same key, for
//! every kind `writ client keygen` makes, and a public key's verifier accepts what the key read
//! back signs. The RSA members also agree with josekit's reading of the same JWK.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Map, Value};
use writ_jose::{EcCurve, Jwk, JwsAlg, SigningKey, UnverifiedJws, sign_compact};

fn round_trip(key: &SigningKey, alg: JwsAlg) {
    let jwk = key.private_jwk("k1", alg).unwrap();
    let text = serde_json::to_string(&jwk).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["kid"], "k1");
    assert_eq!(v["alg"], alg.as_str());
    assert!(v["d"].is_string(), "{v}");
    let read = SigningKey::from_jwk(&Jwk::from_json(text.as_bytes()).unwrap()).unwrap();
    let jws = sign_compact(&Map::new(), b"payload", alg, &read).unwrap();
    UnverifiedJws::parse(&jws, 1 << 16)
        .unwrap()
        .verify(&key.verifying_key())
        .expect("the key read back is the same key");
    // The public JWK has no private member.
    let public = serde_json::to_value(key.public_jwk_for_alg("k1", alg).unwrap()).unwrap();
    assert!(public.get("d").is_none());
}

#[test]
fn a_private_jwk_reads_back_as_the_same_key() {
    round_trip(
        &SigningKey::generate_ec(EcCurve::P256).unwrap(),
        JwsAlg::ES256,
    );
    round_trip(
        &SigningKey::generate_ec(EcCurve::P384).unwrap(),
        JwsAlg::ES384,
    );
    round_trip(
        &SigningKey::generate_ec(EcCurve::P521).unwrap(),
        JwsAlg::ES512,
    );
    round_trip(&SigningKey::generate_ed25519().unwrap(), JwsAlg::EdDSA);
    let rsa = SigningKey::generate_rsa(2048).unwrap();
    round_trip(&rsa, JwsAlg::PS256);
    round_trip(&rsa, JwsAlg::RS256);
}

#[test]
fn the_rsa_members_are_those_josekit_reads() {
    let rsa = SigningKey::generate_rsa(2048).unwrap();
    let text = serde_json::to_string(&rsa.private_jwk("k1", JwsAlg::RS256).unwrap()).unwrap();
    let map: Map<String, Value> = serde_json::from_str(&text).unwrap();
    let jwk = josekit::jwk::Jwk::from_map(map).unwrap();
    let signer = josekit::jws::RS256.signer_from_jwk(&jwk).unwrap();
    let mut header = josekit::jws::JwsHeader::new();
    header.set_algorithm("RS256");
    let jws = josekit::jws::serialize_compact(b"payload", &header, &signer).unwrap();
    UnverifiedJws::parse(&jws, 1 << 16)
        .unwrap()
        .verify(&rsa.verifying_key())
        .expect("josekit signed with the same key");
}

#[test]
fn a_shared_secret_has_no_private_jwk() {
    let k = SigningKey::from_shared_secret(&[7u8; 32]).unwrap();
    assert!(k.private_jwk("k", JwsAlg::HS256).is_err());
}
