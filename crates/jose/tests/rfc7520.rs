//! The RFC 7520 examples that use the compact serializations and the algorithms Writ supports,
//! plus the ones whose algorithms Writ refuses. Data: tests/data/rfc7520.json (copied from the
//! RFC's figures).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use serde_json::{Map, Value};
use writ_jose::{
    DecryptionKey, EncryptedJwe, JoseError, Jwk, JwsAlg, SigningKey, UnverifiedJws, VerifyingKey,
    sign_compact,
};

const MAX: usize = 64 * 1024;

fn data() -> Value {
    serde_json::from_str(include_str!("data/rfc7520.json")).unwrap()
}

fn key(name: &str) -> Jwk {
    serde_json::from_value(data()["keys"][name].clone()).unwrap()
}

fn text(path: &[&str]) -> String {
    let mut v = data();
    for p in path {
        v = v[*p].clone();
    }
    v.as_str().unwrap().to_owned()
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn payload_4() -> Vec<u8> {
    b64(&text(&["payload_4_b64"]))
}

fn plaintext_5() -> Vec<u8> {
    b64(&text(&["plaintext_5_b64"]))
}

fn verify_4(section: &str, key_name: &str, alg: JwsAlg) {
    let token = text(&["jws", section]);
    let jws = UnverifiedJws::parse(&token, MAX).unwrap();
    assert_eq!(jws.header().alg, alg);
    let vk = VerifyingKey::from_jwk(&key(key_name)).unwrap();
    let verified = jws.verify(&vk).unwrap();
    assert_eq!(verified.payload(), payload_4().as_slice());
    // One changed signature byte fails.
    let mut bad = token.clone().into_bytes();
    let last = bad.len() - 2;
    bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).unwrap();
    assert!(
        UnverifiedJws::parse(&bad, MAX)
            .and_then(|j| j.verify(&vk))
            .is_err()
    );
}

#[test]
fn rfc7520_4_1_rs256_verifies() {
    verify_4("4.1_rs256", "3.3_rsa_public", JwsAlg::RS256);
}

#[test]
fn rfc7520_4_1_rs256_signing_is_reproduced_byte_for_byte() {
    // RSASSA-PKCS1-v1_5 is deterministic: signing Figure 8's payload with Figure 4's key and
    // the same header gives exactly Figure 13.
    let signing = SigningKey::from_jwk(&key("3.4_rsa_private")).unwrap();
    let mut header = Map::new();
    header.insert(
        "kid".into(),
        Value::String("bilbo.baggins@hobbiton.example".into()),
    );
    let token = sign_compact(&header, &payload_4(), JwsAlg::RS256, &signing).unwrap();
    assert_eq!(token, text(&["jws", "4.1_rs256"]));
}

#[test]
fn rfc7520_4_2_ps384_verifies() {
    verify_4("4.2_ps384", "3.3_rsa_public", JwsAlg::PS384);
}

#[test]
fn rfc7520_4_3_es512_verifies() {
    verify_4("4.3_es512", "3.1_ec_public_p521", JwsAlg::ES512);
}

#[test]
fn rfc7520_4_3_private_key_signs_what_the_public_key_verifies() {
    let signing = SigningKey::from_jwk(&key("3.2_ec_private_p521")).unwrap();
    let token = sign_compact(&Map::new(), b"x", JwsAlg::ES512, &signing).unwrap();
    let vk = VerifyingKey::from_jwk(&key("3.1_ec_public_p521")).unwrap();
    UnverifiedJws::parse(&token, MAX)
        .unwrap()
        .verify(&vk)
        .unwrap();
}

#[test]
fn rfc7520_4_4_hs256_verifies_and_is_reproduced() {
    verify_4("4.4_hs256", "3.5_symmetric_mac", JwsAlg::HS256);
    let signing = SigningKey::from_jwk(&key("3.5_symmetric_mac")).unwrap();
    let mut header = Map::new();
    header.insert(
        "kid".into(),
        Value::String("018c0ae5-4d9b-471b-bfd6-eef314bc7037".into()),
    );
    let token = sign_compact(&header, &payload_4(), JwsAlg::HS256, &signing).unwrap();
    assert_eq!(token, text(&["jws", "4.4_hs256"]));
}

fn decrypt_5(section: &str, key_name: &str) {
    let token = text(&["jwe", section]);
    let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
    let key = DecryptionKey::from_jwk(&key(key_name)).unwrap();
    assert_eq!(
        writ_jose::select_decryption_keys(std::slice::from_ref(&key), jwe.header()).len(),
        1
    );
    let decrypted = jwe.decrypt(&key).unwrap();
    assert_eq!(decrypted.plaintext(), plaintext_5().as_slice());
}

#[test]
fn rfc7520_5_2_rsa_oaep_a256gcm_decrypts() {
    decrypt_5("5.2_rsa_oaep_a256gcm", "5.2_rsa");
}

#[test]
fn rfc7520_5_4_ecdh_es_a128kw_a128gcm_decrypts() {
    decrypt_5("5.4_ecdh_es_a128kw_a128gcm", "5.4_ec_p384");
}

#[test]
fn rfc7520_5_5_ecdh_es_a128cbc_hs256_decrypts() {
    decrypt_5("5.5_ecdh_es_a128cbc_hs256", "5.5_ec_p256");
}

#[test]
fn rfc7520_5_6_dir_a128gcm_decrypts() {
    decrypt_5("5.6_dir_a128gcm", "5.6_aes");
}

#[test]
fn rfc7520_5_8_a128kw_a128gcm_decrypts() {
    decrypt_5("5.8_a128kw_a128gcm", "5.8_aes");
}

#[test]
fn rfc7520_5_1_rsa1_5_is_refused() {
    assert_eq!(
        EncryptedJwe::parse(&text(&["jwe", "5.1_rsa1_5"]), MAX).unwrap_err(),
        JoseError::UnsupportedAlg("RSA1_5".into())
    );
}

#[test]
fn rfc7520_5_3_pbes2_is_refused() {
    assert_eq!(
        EncryptedJwe::parse(&text(&["jwe", "5.3_pbes2"]), MAX).unwrap_err(),
        JoseError::UnsupportedAlg("PBES2-HS512+A256KW".into())
    );
}

#[test]
fn rfc7520_5_7_aes_gcm_key_wrap_is_refused() {
    assert_eq!(
        EncryptedJwe::parse(&text(&["jwe", "5.7_a256gcmkw"]), MAX).unwrap_err(),
        JoseError::UnsupportedAlg("A256GCMKW".into())
    );
}

#[test]
fn rfc7520_5_9_compressed_content_is_refused() {
    assert_eq!(
        EncryptedJwe::parse(&text(&["jwe", "5.9_zip"]), MAX).unwrap_err(),
        JoseError::UnsupportedHeaderParameter("zip")
    );
}

#[test]
fn rfc7520_5_2_wrong_key_fails_uniformly() {
    // Another RSA key: the unwrap fails, a random CEK is used, and the error is the same one
    // a bad tag gives.
    let jwe = EncryptedJwe::parse(&text(&["jwe", "5.2_rsa_oaep_a256gcm"]), MAX).unwrap();
    let other = DecryptionKey::from_jwk(&key("5.1_rsa")).unwrap();
    assert_eq!(
        jwe.decrypt(&other).unwrap_err(),
        JoseError::DecryptionFailed
    );
}
