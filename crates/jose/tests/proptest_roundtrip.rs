//! Property tests: round trips with arbitrary payloads and header values, changed tokens never
//! verify, and the parsers never panic on arbitrary input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use proptest::prelude::*;
use serde_json::{Map, Value};
use writ_jose::{
    DecryptionKey, EcCurve, EncryptedJwe, JweAlg, JweEnc, JwkSet, JwsAlg, SigningKey,
    UnverifiedJws, encrypt_compact, sign_compact,
};

const MAX: usize = 1 << 20;

static EC: LazyLock<SigningKey> = LazyLock::new(|| SigningKey::generate_ec(EcCurve::P256).unwrap());
static ED: LazyLock<SigningKey> = LazyLock::new(|| SigningKey::generate_ed25519().unwrap());
static HMAC: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::from_shared_secret(&[0x42; 64]).unwrap());
static ECDH: LazyLock<DecryptionKey> =
    LazyLock::new(|| DecryptionKey::generate_ec(EcCurve::P256).unwrap());

fn header_strategy() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("[a-z]{1,8}", ".{0,20}", 0..4).prop_map(|m| {
        m.into_iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "alg"
                        | "enc"
                        | "crit"
                        | "b64"
                        | "zip"
                        | "kid"
                        | "typ"
                        | "cty"
                        | "epk"
                        | "apu"
                        | "apv"
                )
            })
            .map(|(k, v)| (k, Value::String(v)))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn jws_round_trip(payload in prop::collection::vec(any::<u8>(), 0..2048),
                      header in header_strategy(),
                      which in 0usize..5) {
        let (key, alg) = match which {
            0 => (&*EC, JwsAlg::ES256),
            1 => (&*ED, JwsAlg::EdDSA),
            2 => (&*HMAC, JwsAlg::HS256),
            3 => (&*HMAC, JwsAlg::HS384),
            _ => (&*HMAC, JwsAlg::HS512),
        };
        let token = sign_compact(&header, &payload, alg, key).unwrap();
        let jws = UnverifiedJws::parse(&token, MAX).unwrap();
        for (k, v) in &header {
            prop_assert_eq!(jws.header().get(k), Some(v));
        }
        let verified = jws.verify(&key.verifying_key()).unwrap();
        prop_assert_eq!(verified.payload(), &payload[..]);
    }

    #[test]
    fn jws_changed_byte_never_verifies(payload in prop::collection::vec(any::<u8>(), 0..256),
                                       pos in any::<prop::sample::Index>(),
                                       replacement in prop::sample::select(b"ABab01-_.=+/ \x00".to_vec())) {
        let token = sign_compact(&Map::new(), &payload, JwsAlg::HS256, &HMAC).unwrap();
        let mut bytes = token.clone().into_bytes();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        let changed = String::from_utf8(bytes).unwrap();
        let result = UnverifiedJws::parse(&changed, MAX).and_then(|j| j.verify(&HMAC.verifying_key()));
        prop_assert!(result.is_err());
    }

    #[test]
    fn jwe_round_trip(plaintext in prop::collection::vec(any::<u8>(), 0..2048),
                      header in header_strategy(),
                      alg_i in 0usize..6, enc_i in 0usize..4) {
        let enc = JweEnc::ALL[enc_i];
        let (alg, key) = match alg_i {
            0 => (JweAlg::EcdhEs, ECDH.clone()),
            1 => (JweAlg::EcdhEsA128Kw, ECDH.clone()),
            2 => (JweAlg::EcdhEsA256Kw, ECDH.clone()),
            3 => (JweAlg::A128Kw, DecryptionKey::from_symmetric(&[1; 16]).unwrap()),
            4 => (JweAlg::A256Kw, DecryptionKey::from_symmetric(&[2; 32]).unwrap()),
            _ => (JweAlg::Dir, DecryptionKey::from_symmetric(&vec![3; enc.cek_len()]).unwrap()),
        };
        let token = encrypt_compact(&header, &plaintext, alg, enc, &key.encryption_key().unwrap()).unwrap();
        let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
        for (k, v) in &header {
            prop_assert_eq!(jwe.header().get(k), Some(v));
        }
        let out = jwe.decrypt(&key).unwrap();
        prop_assert_eq!(out.plaintext(), &plaintext[..]);
    }

    #[test]
    fn jwe_changed_byte_never_decrypts(pos in any::<prop::sample::Index>(),
                                       replacement in prop::sample::select(b"ABab01-_.=+/ \x00".to_vec())) {
        let key = DecryptionKey::from_symmetric(&[7; 32]).unwrap();
        let token = encrypt_compact(&Map::new(), b"{\"iss\":\"x\"}", JweAlg::A256Kw, JweEnc::A128CbcHs256,
                                    &key.encryption_key().unwrap()).unwrap();
        let mut bytes = token.into_bytes();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(EncryptedJwe::parse(&changed, MAX).and_then(|j| j.decrypt(&key)).is_err());
    }

    #[test]
    fn parsers_never_panic(input in ".{0,400}") {
        let _ = UnverifiedJws::parse(&input, MAX);
        let _ = EncryptedJwe::parse(&input, MAX);
        let _ = JwkSet::from_json(input.as_bytes(), MAX);
        let _ = writ_jose::Jwk::from_json(input.as_bytes());
        let _ = writ_jose::VerifyingKey::from_x509(&input);
    }

    #[test]
    fn parsers_never_panic_on_dotted_base64(parts in prop::collection::vec("[A-Za-z0-9_-]{0,40}", 0..7)) {
        let input = parts.join(".");
        let _ = UnverifiedJws::parse(&input, MAX);
        let _ = EncryptedJwe::parse(&input, MAX);
    }

    #[test]
    fn json_headers_never_panic(json in "\\{(\"[a-z]{1,4}\":(\"[A-Za-z0-9+-]{0,12}\"|[0-9]{1,3}|null|\\[\\]|\\{\\}),?){0,6}\\}") {
        let b = base64_url(json.as_bytes());
        let _ = UnverifiedJws::parse(&format!("{b}.e30.c2ln"), MAX);
        let _ = EncryptedJwe::parse(&format!("{b}.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA"), MAX);
        let _ = JwkSet::from_json(format!("{{\"keys\":[{json}]}}").as_bytes(), MAX);
    }
}

fn base64_url(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}
