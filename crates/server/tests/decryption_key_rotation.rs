//! SPEC §7: decryption keys rotate like signing keys — `writ keys rotate --use enc` makes a
//! new active key, the previous one keeps decrypting (and stays published) until the next
//! rotation retires it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Map, Value, json};
use writ_core::ports::KeyUse;
use writ_jose::{EcCurve, EncryptionKey, JweAlg, JweEnc, Jwk, JwsAlg, SigningKey, sign_compact};

const ISSUER: &str = "https://as.example";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The published RSA decryption key whose kid is not `except`.
fn published_rsa_enc_key(jwks: &str, except: &str) -> (String, EncryptionKey) {
    let v: Value = serde_json::from_str(jwks).unwrap();
    let k = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["use"] == "enc" && k["kty"] == "RSA" && k["kid"] != except)
        .unwrap()
        .clone();
    let jwk = Jwk::from_json(k.to_string().as_bytes()).unwrap();
    (
        k["kid"].as_str().unwrap().to_string(),
        EncryptionKey::from_jwk(&jwk).unwrap(),
    )
}

fn published_kids(jwks: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(jwks).unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["use"] == "enc")
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn rotated_decryption_keys_keep_decrypting_until_retired() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate_ec(EcCurve::P256).unwrap();
    let jwks = json!({ "keys": [key.public_jwk("k1").unwrap()] }).to_string();
    let file = dir.path().join("writ.toml");
    std::fs::write(
        &file,
        format!(
            r#"
            issuer = "{ISSUER}"
            [[clients]]
            client_id = "rp"
            redirect_uris = ["https://rp.example/cb"]
            token_endpoint_auth_method = "none"
            secrets = [{{ type = "jwks", value = '{jwks}' }}]
            "#
        ),
    )
    .unwrap();
    let o = writ_server::config::Overrides {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let config = writ_server::config::load(Some(&file), &o).unwrap();
    let store = writ_store::open(&writ_server::config::store_url(&config).unwrap())
        .await
        .unwrap();
    let provider = writ_server::build_provider(&config, store.clone())
        .await
        .unwrap();

    let ro = |enc_key: &EncryptionKey, kid: &str| {
        let t = now();
        let c = json!({
            "iss": "rp", "aud": ISSUER, "iat": t, "exp": t + 300, "client_id": "rp",
            "response_type": "code", "scope": "openid", "redirect_uri": "https://rp.example/cb",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256"
        });
        let mut h = Map::new();
        h.insert("kid".into(), json!("k1"));
        let jws = sign_compact(&h, c.to_string().as_bytes(), JwsAlg::ES256, &key).unwrap();
        let mut eh = Map::new();
        eh.insert("kid".into(), json!(kid));
        eh.insert("cty".into(), json!("JWT"));
        let jwe = encrypt_compact_helper(&eh, &jws, enc_key);
        format!(
            "client_id=rp&request={}",
            url::form_urlencoded::byte_serialize(jwe.as_bytes()).collect::<String>()
        )
    };

    let (old_kid, old_key) = published_rsa_enc_key(provider.keys.current().jwks_json(), "");
    let before = ro(&old_key, &old_kid);
    assert!(provider.authorize(before.as_bytes(), None).await.is_ok());

    // First rotation: the old key is retiring — still published, still decrypting.
    writ_core::keys::rotate(
        store.as_ref(),
        KeyUse::Enc,
        &writ_core::key_encryption::KeyEncryption::none(),
        &writ_core::ports::SystemRng,
        now(),
    )
    .await
    .unwrap();
    provider.keys.reload().await.unwrap();
    let jwks = provider.keys.current().jwks_json().to_string();
    assert!(published_kids(&jwks).contains(&old_kid));
    assert_eq!(published_kids(&jwks).len(), 4, "two active, two retiring");
    assert!(provider.authorize(before.as_bytes(), None).await.is_ok());
    let (new_kid, new_key) = published_rsa_enc_key(&jwks, &old_kid);
    assert_ne!(new_kid, old_kid);
    assert!(
        provider
            .authorize(ro(&new_key, &new_kid).as_bytes(), None)
            .await
            .is_ok()
    );

    // Second rotation: the old key is retired — gone from /jwks, no longer decrypting.
    writ_core::keys::rotate(
        store.as_ref(),
        KeyUse::Enc,
        &writ_core::key_encryption::KeyEncryption::none(),
        &writ_core::ports::SystemRng,
        now(),
    )
    .await
    .unwrap();
    provider.keys.reload().await.unwrap();
    assert!(!published_kids(provider.keys.current().jwks_json()).contains(&old_kid));
    let e = provider
        .authorize(before.as_bytes(), None)
        .await
        .unwrap_err()
        .into_error();
    assert_eq!(e.code.as_str(), "invalid_request_object");
    assert!(
        e.description.contains("no decryption key"),
        "{}",
        e.description
    );
}

fn encrypt_compact_helper(h: &Map<String, Value>, jws: &str, key: &EncryptionKey) -> String {
    writ_jose::encrypt_compact(h, jws.as_bytes(), JweAlg::RsaOaep256, JweEnc::A256Gcm, key).unwrap()
}
