//! The client's side, for integrators (SPEC §1): `writ client keygen` makes a key pair,
//! `writ client assertion` a `private_key_jwt` client assertion (RFC 7523 §2.2), `writ request
//! sign` a request object the way a careful client makes one (RFC 9101 §4: `iss`, `aud`,
//! `exp`, `nbf`, `iat`, `jti`, `typ: oauth-authz-req+jwt`; PKCE S256; optionally encrypted to
//! the server's `use=enc` key, RFC 9101 §6.1).

use serde_json::{Map, Value, json};
use std::path::Path;
use writ_core::Provider;
use writ_core::ports::{Rng, UnixTime};
use writ_core::secret::{random_token, s256};
use writ_jose::{EcCurve, EncryptionKey, JweAlg, JweEnc, Jwk, JwsAlg, SigningKey};

/// Largest private JWK file read.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// How long a client assertion lives (RFC 7523 §3: short).
pub const ASSERTION_LIFETIME: UnixTime = 60;

/// `writ client keygen --alg ALG --out FILE`: a new key for `alg`, its private JWK written to
/// `out` (created, never overwritten; mode 0600), its public JWK set returned for the
/// registration. The `kid` is the key's RFC 7638 thumbprint.
pub fn keygen(alg: &str, out: &Path) -> Result<String, String> {
    let alg: JwsAlg = alg
        .parse()
        .map_err(|_| format!("--alg: {alg:?} is not a JWS algorithm"))?;
    let key = match alg {
        JwsAlg::RS256
        | JwsAlg::RS384
        | JwsAlg::RS512
        | JwsAlg::PS256
        | JwsAlg::PS384
        | JwsAlg::PS512 => SigningKey::generate_rsa(2048),
        JwsAlg::ES256 => SigningKey::generate_ec(EcCurve::P256),
        JwsAlg::ES384 => SigningKey::generate_ec(EcCurve::P384),
        JwsAlg::ES512 => SigningKey::generate_ec(EcCurve::P521),
        JwsAlg::EdDSA | JwsAlg::Ed25519 => SigningKey::generate_ed25519(),
        _ => {
            return Err(format!(
                "--alg: {alg} is not an asymmetric algorithm; a client secret is registered as a secret of type shared"
            ));
        }
    }
    .map_err(|e| format!("generating the key: {e}"))?;
    let kid = key
        .public_jwk_for_alg("k", alg)
        .map_err(|e| e.to_string())?
        .thumbprint_sha256();
    let private = key.private_jwk(&kid, alg).map_err(|e| e.to_string())?;
    let public = key
        .public_jwk_for_alg(&kid, alg)
        .map_err(|e| e.to_string())?;
    let text = serde_json::to_string_pretty(&private).map_err(|e| e.to_string())? + "\n";
    write_private(out, text.as_bytes())?;
    serde_json::to_string_pretty(&json!({ "keys": [public] })).map_err(|e| e.to_string())
}

/// Create `path` readable by its owner only and write `bytes`; an existing file is an error.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => format!(
            "{} exists: choose another --out, or remove it first",
            path.display()
        ),
        _ => format!("{}: {e}", path.display()),
    })?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A private JWK from `path`: the key, its `kid`, and the algorithm it names (else `alg`,
/// else the key's default).
pub fn load_key(
    path: &Path,
    alg: Option<&str>,
) -> Result<(SigningKey, Option<String>, JwsAlg), String> {
    let text = crate::input::read_input(&path.to_string_lossy(), MAX_KEY_FILE_BYTES)?;
    let jwk = Jwk::from_json(text.as_bytes())
        .map_err(|e| format!("{}: not a JWK: {e}", path.display()))?;
    if !jwk.is_private() {
        return Err(format!(
            "{}: a public key: the private JWK written by `writ client keygen` is needed",
            path.display()
        ));
    }
    let key = SigningKey::from_jwk(&jwk).map_err(|e| format!("{}: {e}", path.display()))?;
    let alg = match alg.or(jwk.alg.as_deref()) {
        Some(a) => a
            .parse()
            .map_err(|_| format!("{a:?} is not a JWS algorithm"))?,
        None => key.default_alg(),
    };
    key.check_alg(alg)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((key, jwk.kid.clone(), alg))
}

fn signed(
    key: &SigningKey,
    kid: Option<&str>,
    alg: JwsAlg,
    typ: Option<&str>,
    claims: &Map<String, Value>,
) -> Result<String, String> {
    let mut header = Map::new();
    if let Some(kid) = kid {
        header.insert("kid".into(), kid.into());
    }
    if let Some(typ) = typ {
        header.insert("typ".into(), typ.into());
    }
    let payload = serde_json::to_vec(claims).map_err(|e| e.to_string())?;
    writ_jose::sign_compact(&header, &payload, alg, key).map_err(|e| e.to_string())
}

/// `writ client assertion --client ID --key FILE [--aud URL]`: a `private_key_jwt` client
/// assertion (RFC 7523 §2.2, §3) for `aud` (default: the issuer alone, as
/// draft-ietf-oauth-rfc7523bis and the FAPI profiles want), living
/// [`ASSERTION_LIFETIME`] seconds.
pub fn assertion(
    client_id: &str,
    key_file: &Path,
    aud: &str,
    now: UnixTime,
    rng: &dyn Rng,
) -> Result<String, String> {
    let (key, kid, alg) = load_key(key_file, None)?;
    let claims = json!({
        "iss": client_id, "sub": client_id, "aud": aud, "jti": random_token(rng, 16),
        "iat": now, "exp": now + ASSERTION_LIFETIME,
    });
    signed(
        &key,
        kid.as_deref(),
        alg,
        None,
        claims.as_object().ok_or("claims")?,
    )
}

/// What `writ request sign` is asked for.
#[derive(Debug, Clone)]
pub struct SignRequest {
    /// The client.
    pub client_id: String,
    /// Its private JWK file.
    pub key_file: std::path::PathBuf,
    /// The algorithm, instead of the JWK's.
    pub alg: Option<String>,
    /// Encrypt to the server's `use=enc` key.
    pub encrypt: bool,
    /// `exp` − `iat`, seconds.
    pub lifetime: UnixTime,
    /// Claims to add or replace (`NAME=VALUE`; a value that is a JSON array or object is
    /// put in as JSON).
    pub params: Vec<String>,
}

/// A request object made for `req`, and the PKCE verifier when this command made the
/// challenge (to redeem the code with).
pub async fn request_sign(
    provider: &Provider,
    req: &SignRequest,
) -> Result<(String, Option<String>), String> {
    let client = provider
        .clients
        .get(&req.client_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no client {:?} in the store", req.client_id))?;
    let (key, kid, alg) = load_key(&req.key_file, req.alg.as_deref())?;
    let now = provider.clock.now();
    let rng = provider.rng.as_ref();
    let issuer = &provider.settings.issuer;
    let mut claims = Map::new();
    let iss = client
        .config
        .request_object_issuer
        .clone()
        .unwrap_or_else(|| client.id().to_string());
    for (k, v) in [
        ("iss", json!(iss)),
        ("aud", json!(issuer)),
        ("client_id", json!(client.id())),
        ("iat", json!(now)),
        ("nbf", json!(now)),
        ("exp", json!(now + req.lifetime)),
        ("jti", json!(random_token(rng, 16))),
        ("response_type", json!("code")),
        ("scope", json!("openid")),
        ("state", json!(random_token(rng, 12))),
        ("nonce", json!(random_token(rng, 12))),
    ] {
        claims.insert(k.into(), v);
    }
    if let [only] = client.config.redirect_uris.as_slice() {
        claims.insert("redirect_uri".into(), json!(only));
    }
    for p in &req.params {
        let (name, value) = p
            .split_once('=')
            .ok_or_else(|| format!("--param {p:?}: write NAME=VALUE"))?;
        let value = if value.starts_with(['[', '{']) {
            serde_json::from_str(value).map_err(|e| format!("--param {name}: not JSON: {e}"))?
        } else {
            json!(value)
        };
        claims.insert(name.to_string(), value);
    }
    if !claims.contains_key("redirect_uri") {
        return Err(format!(
            "client {:?} has several redirect URIs: name one with --param redirect_uri=...",
            client.id()
        ));
    }
    // RFC 7636 §4.1-4.2: a challenge, unless one was given.
    let verifier = if claims.contains_key("code_challenge") {
        None
    } else {
        let verifier = random_token(rng, 32);
        claims.insert("code_challenge".into(), json!(s256(&verifier)));
        claims.insert("code_challenge_method".into(), json!("S256"));
        Some(verifier)
    };
    let jws = signed(
        &key,
        kid.as_deref(),
        alg,
        Some("oauth-authz-req+jwt"),
        &claims,
    )?;
    let object = if req.encrypt {
        encrypt_to_server(provider, &client.config, &jws)?
    } else {
        jws
    };
    Ok((object, verifier))
}

/// RFC 9101 §6.1: the signed object encrypted (a nested JWT) to the server's published
/// `use=enc` key that fits the client's registered `request_object_encryption_alg`/`_enc`
/// (default RSA-OAEP-256 with A256GCM).
fn encrypt_to_server(
    provider: &Provider,
    client: &writ_protocol::client::ClientConfig,
    jws: &str,
) -> Result<String, String> {
    use writ_protocol::alg::Configured;
    let alg = match client.request_object_encryption_alg {
        Some(Configured::Known(a)) => a,
        _ => JweAlg::RsaOaep256,
    };
    let enc = match client.request_object_encryption_enc {
        Some(Configured::Known(e)) => e,
        _ => JweEnc::A256Gcm,
    };
    if alg.is_symmetric() {
        // The server keys it from its last live shared secret (`Client::encryption_key`).
        let now = provider.clock.now();
        let secret = client
            .secrets
            .iter()
            .rfind(|s| {
                s.kind == writ_protocol::client::SecretType::Shared
                    && s.expires
                        .as_ref()
                        .and_then(|e| e.unix().ok())
                        .is_none_or(|e| e > now)
            })
            .ok_or("the client's encryption is keyed from a live shared secret it does not have")?;
        let key = EncryptionKey::from_client_secret(secret.value.as_bytes(), alg, enc)
            .map_err(|e| e.to_string())?;
        return nested(jws, alg, enc, &key, None);
    }
    let jwks: Value = serde_json::from_str(provider.keys.current().jwks_json())
        .map_err(|e| format!("the server's /jwks: {e}"))?;
    for jwk in jwks["keys"].as_array().into_iter().flatten() {
        if jwk["use"] != "enc" {
            continue;
        }
        let Ok(parsed) = Jwk::from_json(jwk.to_string().as_bytes()) else {
            continue;
        };
        let Ok(key) = EncryptionKey::from_jwk(&parsed) else {
            continue;
        };
        if key.check_alg(alg, enc).is_ok() {
            return nested(jws, alg, enc, &key, jwk["kid"].as_str());
        }
    }
    Err(format!("the server publishes no use=enc key for {alg}"))
}

fn nested(
    jws: &str,
    alg: JweAlg,
    enc: JweEnc,
    key: &EncryptionKey,
    kid: Option<&str>,
) -> Result<String, String> {
    let mut header = Map::new();
    header.insert("cty".into(), "JWT".into());
    if let Some(kid) = kid {
        header.insert("kid".into(), kid.into());
    }
    writ_jose::encrypt_compact(&header, jws.as_bytes(), alg, enc, key).map_err(|e| e.to_string())
}

/// `{issuer}/authorize?client_id=...&request=...`: the request object by value.
pub fn authorize_url(issuer: &str, client_id: &str, object: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "{issuer}/authorize?client_id={}&request={}",
        enc(client_id),
        enc(object)
    )
}
