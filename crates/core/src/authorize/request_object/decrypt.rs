//! Stage 3: decrypt an encrypted request object (SPEC §4.3, §7; RFC 9101 §6.1; OpenID
//! Connect Core §6.1 "Encrypted Request Object").
//!
//! A five-part compact JWE is decrypted with one of the server's decryption keys (chosen by
//! `kid`; without a `kid`, each key that fits is tried — there are at most a few during a
//! rotation), or, for `A*KW` and `dir`, with a key derived from one of the client's shared
//! secrets (OpenID Connect Core §10.2). The plaintext must be a signed JWS (a nested JWT):
//! raw JSON or an unsigned JWS inside a JWE is refused, because encryption alone does not
//! say who wrote the request.

use super::policy::JarPolicy;
use super::refusal::{Check, Refusal};
use super::resolve::ResolvedRequestObject;
use super::types::Encryption;
use crate::authorize::transport::Transport;
use crate::clients::Client;
use crate::ports::UnixTime;
use writ_jose::{DecryptionKey, EncryptedJwe, JweAlg};

/// Stage 3's output: the compact JWS a request object carries, with how it was protected
/// and how it arrived. Made only by [`decrypt`]: when it says `encryption`, the JWE
/// decrypted with an allowed `alg`/`enc` and the inside is a compact JWS.
#[derive(Debug)]
pub struct DecryptedRequestObject {
    jws: String,
    encryption: Option<Encryption>,
    transport: Transport,
}

impl DecryptedRequestObject {
    /// The compact JWS (its signature not checked yet).
    pub fn jws(&self) -> &str {
        &self.jws
    }
    /// The JWE parameters, when it was encrypted.
    pub fn encryption(&self) -> Option<&Encryption> {
        self.encryption.as_ref()
    }
    /// How the object arrived (by value or by reference).
    pub fn transport(&self) -> Transport {
        self.transport
    }
}

/// Stage 3. A three-part object passes through unchanged (unless the client must encrypt).
pub fn decrypt(
    ro: ResolvedRequestObject,
    policy: &JarPolicy,
    client: &Client,
    server_keys: &[DecryptionKey],
    now: UnixTime,
) -> Result<DecryptedRequestObject, Refusal> {
    let transport = ro.transport();
    // This runs over every request object: `split` finds each dot with `memchr`, where a
    // byte-by-byte count cost ~5 instructions per byte (~3.5 k per request, issue 18). Past
    // five parts the count no longer matters.
    let dots = ro.token().split('.').take(6).count() - 1;
    match dots {
        2 => {
            if policy.requires_encryption(client) {
                return Err(Refusal::new(
                    Check::Encryption,
                    "this client must encrypt its request objects",
                ));
            }
            Ok(DecryptedRequestObject {
                jws: ro.into_token(),
                encryption: None,
                transport,
            })
        }
        4 => decrypt_jwe(ro.token(), transport, policy, client, server_keys, now),
        _ => Err(Refusal::new(
            Check::Format,
            "the request object is neither a compact JWS nor a compact JWE",
        )),
    }
}

fn decrypt_jwe(
    token: &str,
    transport: Transport,
    policy: &JarPolicy,
    client: &Client,
    server_keys: &[DecryptionKey],
    now: UnixTime,
) -> Result<DecryptedRequestObject, Refusal> {
    if !policy.encryption_enabled {
        return Err(Refusal::new(
            Check::Encryption,
            "encrypted request objects are not accepted by this server",
        ));
    }
    let jwe = EncryptedJwe::parse(token, policy.max_bytes).map_err(|e| {
        let check = match e {
            writ_jose::JoseError::UnsupportedAlg(_) | writ_jose::JoseError::UnsupportedEnc(_) => {
                Check::EncryptionAlg
            }
            writ_jose::JoseError::UnsupportedCritical(_) => Check::Crit,
            _ => Check::Format,
        };
        Refusal::new(
            check,
            format!("the encrypted request object is malformed: {e}"),
        )
        .detail(&e)
    })?;
    let header = jwe.header();
    let (alg, enc) = (header.alg, header.enc);
    if !policy.encryption_algs.contains(&alg) || !policy.encryption_encs.contains(&enc) {
        return Err(Refusal::new(
            Check::EncryptionAlg,
            format!("request object encryption {alg} / {enc} is not accepted"),
        ));
    }
    if !policy.registered_encryption_fits(client, alg, enc) {
        return Err(Refusal::new(
            Check::EncryptionAlg,
            format!(
                "request object encryption {alg} / {enc} is not the one this client registered"
            ),
        ));
    }
    let symmetric = matches!(alg, JweAlg::Dir | JweAlg::A128Kw | JweAlg::A256Kw);
    let derived: Vec<DecryptionKey>;
    let candidates: Vec<&DecryptionKey> = if symmetric {
        derived = client
            .live_shared_secrets(now)
            .filter_map(|s| DecryptionKey::from_client_secret(s.as_bytes(), alg, enc).ok())
            .collect();
        derived.iter().collect()
    } else {
        writ_jose::select_decryption_keys(server_keys, header)
    };
    if candidates.is_empty() {
        let why = if symmetric {
            "the client has no shared secret to derive the key encryption key from".to_string()
        } else {
            match &header.kid {
                Some(kid) => format!(
                    "no decryption key of this server has kid \"{}\" and fits {alg}",
                    crate::authorize::params::printable_value(kid)
                ),
                None => format!("no decryption key of this server fits {alg}"),
            }
        };
        return Err(Refusal::new(Check::DecryptionKey, why));
    }
    let mut last = None;
    for key in candidates {
        match jwe.decrypt(key) {
            Ok(plain) => {
                let encryption = Encryption {
                    alg: alg.as_str().to_string(),
                    enc: enc.as_str().to_string(),
                    kid: header.kid.clone(),
                };
                let jws = String::from_utf8(plain.into_plaintext()).map_err(|_| {
                    Refusal::new(
                        Check::NestedJws,
                        "the encrypted request object must contain a signed JWT",
                    )
                })?;
                return nested_jws(jws, encryption, transport);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(
        Refusal::new(Check::Decrypt, "the request object could not be decrypted")
            .detail(last.map(|e| e.to_string()).unwrap_or_default()),
    )
}

/// SPEC §4.3: the plaintext MUST be a signed JWS — not JSON, not `alg: none`.
fn nested_jws(
    jws: String,
    encryption: Encryption,
    transport: Transport,
) -> Result<DecryptedRequestObject, Refusal> {
    let refuse = |why: &'static str| Err(Refusal::new(Check::NestedJws, why));
    if jws.trim_start().starts_with('{') {
        return refuse("the encrypted request object must contain a signed JWT, not bare JSON");
    }
    if jws.bytes().filter(|b| *b == b'.').count() != 2 {
        return refuse("the encrypted request object must contain a signed JWT (a compact JWS)");
    }
    // `alg: none` inside is refused by stage 4, which knows the object was encrypted.
    Ok(DecryptedRequestObject {
        jws,
        encryption: Some(encryption),
        transport,
    })
}

#[cfg(test)]
mod tests {
    //! Stage 3 (SPEC §4.3; RFC 9101 §6.1) on real JWEs made with the jose crate.
    use super::*;
    use serde_json::{Map, Value};
    use writ_jose::{EcCurve, JweEnc, encrypt_compact};
    use writ_protocol::config::JarConfig;

    const NOW: UnixTime = 1_764_676_800;
    const JWS: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJjIn0.c2ln";

    fn client(extra: Value) -> Client {
        let mut config = serde_json::json!({
            "client_id": "c",
            "redirect_uris": ["https://c.example/cb"],
            "token_endpoint_auth_method": "none",
        });
        if let (Some(c), Some(e)) = (config.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        Client::from_config(serde_json::from_value(config).unwrap()).unwrap()
    }

    fn server_key(kid: &str) -> DecryptionKey {
        DecryptionKey::generate_ec(EcCurve::P256)
            .unwrap()
            .with_kid(Some(kid))
    }

    fn jwe(key: &DecryptionKey, kid: &str, alg: JweAlg, enc: JweEnc, plain: &str) -> String {
        let mut h = Map::new();
        h.insert("kid".into(), Value::String(kid.into()));
        encrypt_compact(
            &h,
            plain.as_bytes(),
            alg,
            enc,
            &key.encryption_key().unwrap(),
        )
        .unwrap()
    }

    fn run(
        token: String,
        c: &Client,
        keys: &[DecryptionKey],
    ) -> Result<DecryptedRequestObject, Check> {
        let policy = JarPolicy::from_config(&JarConfig::default(), true);
        let ro = ResolvedRequestObject::new(token, Transport::ByValue, policy.max_bytes).unwrap();
        decrypt(ro, &policy, c, keys, NOW).map_err(|r| r.check)
    }

    #[test]
    fn a_jws_passes_through_unless_the_client_must_encrypt() {
        let d = run(JWS.into(), &client(Value::Null), &[]).unwrap();
        assert_eq!((d.jws(), d.encryption()), (JWS, None));
        let must = client(serde_json::json!({"request_object_encryption_alg": "ECDH-ES"}));
        assert_eq!(run(JWS.into(), &must, &[]).unwrap_err(), Check::Encryption);
    }

    #[test]
    fn neither_three_nor_five_parts_is_a_format_error() {
        let c = client(Value::Null);
        for t in ["a.b", "a.b.c.d", "a.b.c.d.e.f", "nodots"] {
            assert_eq!(run(t.into(), &c, &[]).unwrap_err(), Check::Format, "{t}");
        }
    }

    #[test]
    fn a_jwe_to_the_server_key_named_by_kid_decrypts_to_its_jws() {
        let k = server_key("enc-1");
        let token = jwe(&k, "enc-1", JweAlg::EcdhEs, JweEnc::A256Gcm, JWS);
        let d = run(token, &client(Value::Null), &[server_key("enc-0"), k]).unwrap();
        assert_eq!(d.jws(), JWS);
        let e = d.encryption().unwrap();
        assert_eq!(
            (e.alg.as_str(), e.enc.as_str(), e.kid.as_deref()),
            ("ECDH-ES", "A256GCM", Some("enc-1"))
        );
    }

    #[test]
    fn a_jwe_naming_an_unknown_kid_finds_no_key() {
        let k = server_key("enc-1");
        let token = jwe(&k, "enc-9", JweAlg::EcdhEs, JweEnc::A256Gcm, JWS);
        assert_eq!(
            run(token, &client(Value::Null), &[k]).unwrap_err(),
            Check::DecryptionKey
        );
    }

    #[test]
    fn a_jwe_under_another_key_with_the_same_kid_does_not_decrypt() {
        let sender = server_key("enc-1");
        let token = jwe(&sender, "enc-1", JweAlg::EcdhEs, JweEnc::A256Gcm, JWS);
        let err = run(token, &client(Value::Null), &[server_key("enc-1")]).unwrap_err();
        assert_eq!(err, Check::Decrypt);
    }

    #[test]
    fn the_inside_of_a_jwe_must_be_a_compact_jws() {
        let k = server_key("enc-1");
        for plain in [r#"{"iss":"c"}"#, "a.b", "not a jwt"] {
            let token = jwe(&k, "enc-1", JweAlg::EcdhEs, JweEnc::A256Gcm, plain);
            let err = run(token, &client(Value::Null), std::slice::from_ref(&k)).unwrap_err();
            assert_eq!(err, Check::NestedJws, "{plain}");
        }
    }

    #[test]
    fn a_jwe_with_another_alg_than_the_client_registered_is_refused() {
        let k = server_key("enc-1");
        let token = jwe(&k, "enc-1", JweAlg::EcdhEs, JweEnc::A128Gcm, JWS);
        let c = client(serde_json::json!({"request_object_encryption_enc": "A256GCM"}));
        assert_eq!(run(token, &c, &[k]).unwrap_err(), Check::EncryptionAlg);
    }

    #[test]
    fn encrypted_objects_are_refused_when_encryption_is_off() {
        let k = server_key("enc-1");
        let token = jwe(&k, "enc-1", JweAlg::EcdhEs, JweEnc::A256Gcm, JWS);
        let mut policy = JarPolicy::from_config(&JarConfig::default(), true);
        policy.encryption_enabled = false;
        let ro = ResolvedRequestObject::new(token, Transport::ByValue, policy.max_bytes).unwrap();
        let r = decrypt(ro, &policy, &client(Value::Null), &[k], NOW).unwrap_err();
        assert_eq!(r.check, Check::Encryption);
    }
}
