//! Admin commands of SPEC §1 (`writ client`, `writ user`, `writ keys`), working on the same
//! store as the server.

use serde_json::{Map, Value};
use std::sync::Arc;
use writ_core::ports::{KeyUse, Store, StoredUser, UnixTime};
use writ_protocol::client::ClientConfig;

/// Insert or update a user by username with a ready PHC hash. `claims` (checked against
/// OpenID Connect Core §5.1) replace the stored ones when given; `None` keeps them. Returns
/// the user's id.
pub async fn upsert_user(
    store: &dyn Store,
    username: &str,
    password_hash: &str,
    claims: Option<&Map<String, Value>>,
    now: UnixTime,
) -> Result<String, String> {
    if username.is_empty() || username.len() > 255 || username.chars().any(char::is_control) {
        return Err("a username must be 1 to 255 printable characters".into());
    }
    if !password_hash.starts_with("$argon2id$") {
        return Err("password_hash must be an Argon2id PHC string".into());
    }
    if let Some(c) = claims {
        writ_protocol::claims::check(c).map_err(|e| format!("claims: {e}"))?;
    }
    let existing = store
        .user_by_username(username)
        .await
        .map_err(|e| e.to_string())?;
    let id = existing
        .as_ref()
        .map(|u| u.id.clone())
        .unwrap_or_else(|| writ_core::secret::random_token(&writ_core::ports::SystemRng, 16));
    let claims = match (claims, existing) {
        (Some(c), _) => serde_json::to_string(c).map_err(|e| e.to_string())?,
        (None, Some(u)) => u.claims,
        (None, None) => "{}".into(),
    };
    let u = store
        .user_upsert(&StoredUser {
            id,
            username: username.to_string(),
            password_hash: password_hash.to_string(),
            claims,
            created_at: now,
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(u.id)
}

/// The stored user with this username, or an error naming it.
async fn user_named(store: &dyn Store, username: &str) -> Result<StoredUser, String> {
    store
        .user_by_username(username)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no user {username:?}"))
}

/// A stored user's claims (a user written by hand with unreadable claims has none).
fn stored_claims(user: &StoredUser) -> Map<String, Value> {
    serde_json::from_str(&user.claims).unwrap_or_default()
}

/// `writ user set USERNAME --claim NAME=VALUE ... --unset NAME ...`: change profile
/// attributes, keeping the password. Returns the claims now stored.
pub async fn user_set_claims(
    store: &dyn Store,
    username: &str,
    set: &[String],
    unset: &[String],
) -> Result<Map<String, Value>, String> {
    let mut user = user_named(store, username).await?;
    let mut claims = stored_claims(&user);
    for name in unset {
        if claims.remove(name).is_none() {
            return Err(format!("{username:?} has no claim {name:?} to unset"));
        }
    }
    assign_claims(&mut claims, set)?;
    user.claims = serde_json::to_string(&claims).map_err(|e| e.to_string())?;
    store.user_upsert(&user).await.map_err(|e| e.to_string())?;
    Ok(claims)
}

/// `--claim NAME=VALUE` assignments applied to `claims`.
fn assign_claims(claims: &mut Map<String, Value>, set: &[String]) -> Result<(), String> {
    for a in set {
        let (name, value) = writ_protocol::claims::parse_assignment(a)?;
        claims.insert(name, value);
    }
    Ok(())
}

/// The claims of `writ user add USERNAME --claim ...`: the user's own, if it exists, with the
/// given ones added.
pub async fn claims_for_add(
    store: &dyn Store,
    username: &str,
    set: &[String],
) -> Result<Map<String, Value>, String> {
    let mut claims = match store
        .user_by_username(username)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(u) => stored_claims(&u),
        None => Map::new(),
    };
    assign_claims(&mut claims, set)?;
    Ok(claims)
}

/// `writ user list`: one line per user, `username  sub  created`.
pub async fn user_list(store: &dyn Store) -> Result<Vec<String>, String> {
    let users = store.user_list().await.map_err(|e| e.to_string())?;
    let width = users
        .iter()
        .map(|u| u.username.len())
        .max()
        .unwrap_or(0)
        .max(8);
    let mut out = vec![format!("{:width$}  {:22}  created", "username", "sub")];
    out.extend(users.iter().map(|u| {
        format!(
            "{:width$}  {:22}  {}",
            u.username,
            u.id,
            rfc3339(u.created_at)
        )
    }));
    Ok(out)
}

/// `writ user show USERNAME`: the account and its claims as JSON. The password hash is never
/// shown.
pub async fn user_show(store: &dyn Store, username: &str) -> Result<Value, String> {
    let u = user_named(store, username).await?;
    Ok(serde_json::json!({
        "username": u.username,
        "sub": u.id,
        "created": rfc3339(u.created_at),
        "claims": stored_claims(&u),
    }))
}

/// `writ user remove USERNAME`: the user, its grants (so its tokens stop working) and its
/// sessions. Returns its id.
pub async fn user_remove(
    store: &dyn Store,
    username: &str,
    now: UnixTime,
) -> Result<String, String> {
    let u = user_named(store, username).await?;
    if !store
        .user_remove(&u.id, now)
        .await
        .map_err(|e| e.to_string())?
    {
        return Err(format!("no user {username:?}"));
    }
    Ok(u.id)
}

/// `writ client add --json FILE` (or `-` for standard input).
pub async fn client_add(provider: &writ_core::Provider, file: &str) -> Result<String, String> {
    let text = crate::input::read_input(file, 1024 * 1024)?;
    let config = parse_client_json(&text).map_err(|e| format!("{file}: {e}"))?;
    let id = config.client_id.clone();
    // SPEC §17: a registration that contradicts the profile in force is refused, by key.
    let problems = writ_protocol::profile::check_client(provider.settings.jar.profile, &config);
    if !problems.is_empty() {
        return Err(format!("client {id:?}: {}", problems.join("; ")));
    }
    provider
        .clients
        .put(config, provider.clock.now())
        .await
        .map_err(|e| e.to_string())?;
    Ok(id)
}

/// A registration in JSON (the keys of `[[clients]]`). An error names the field's path
/// (`secrets[0].value: ...`) as well as the line and column.
pub fn parse_client_json(text: &str) -> Result<ClientConfig, String> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.into_inner().to_string()
        } else {
            format!("{path}: {}", e.into_inner())
        }
    })
}

/// JWK members that hold private key material (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_JWK_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// `writ client show`: the registration as stored, with every secret hidden. A shared
/// secret's value becomes `"(hidden)"`; private members of a key (`d`, `k`, ...) are removed,
/// whether the key is written as an object or as a string holding JSON.
pub fn client_show(metadata: &str) -> Result<Value, serde_json::Error> {
    let mut v: Value = serde_json::from_str(metadata)?;
    let secrets = v
        .get_mut("secrets")
        .and_then(Value::as_array_mut)
        .map(|a| a.iter_mut())
        .into_iter()
        .flatten();
    for s in secrets {
        let shared = s.get("type").and_then(Value::as_str) == Some("shared");
        let Some(value) = s.get_mut("value") else {
            continue;
        };
        if shared {
            *value = Value::String("(hidden)".into());
            continue;
        }
        // A key: public members stay, private ones go.
        let mut key: Value = match &*value {
            Value::String(text) => match serde_json::from_str(text) {
                Ok(k) => k,
                // A PEM bundle pasted with its private key: not shown at all.
                Err(_) if text.contains("PRIVATE KEY") => {
                    *value = Value::String("(hidden: it holds a private key)".into());
                    continue;
                }
                // A certificate: public.
                Err(_) => continue,
            },
            other => other.clone(),
        };
        strip_private(&mut key);
        *value = key;
    }
    Ok(v)
}

/// Remove private members from a JWK, or from every key of a JWK set.
fn strip_private(key: &mut Value) {
    if let Some(keys) = key.get_mut("keys").and_then(Value::as_array_mut) {
        keys.iter_mut().for_each(strip_private);
    } else if let Some(obj) = key.as_object_mut() {
        for m in PRIVATE_JWK_MEMBERS {
            obj.remove(*m);
        }
    }
}

/// `writ client list`.
pub async fn client_list(store: &Arc<dyn Store>) -> Result<Vec<(String, String)>, String> {
    let rows = store.client_list().await.map_err(|e| e.to_string())?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let name = serde_json::from_str::<ClientConfig>(&r.metadata)
                .map(|c| {
                    format!(
                        "{} ({})",
                        c.display_name(),
                        c.token_endpoint_auth_method.as_str()
                    )
                })
                .unwrap_or_else(|e| format!("<unreadable: {e}>"));
            (r.client_id, name)
        })
        .collect())
}

/// `writ keys list`: (kid, use, alg, state, created_at).
pub async fn keys_list(
    store: &Arc<dyn Store>,
) -> Result<Vec<(String, &'static str, String, &'static str, String)>, String> {
    let keys = store.key_list().await.map_err(|e| e.to_string())?;
    Ok(keys
        .into_iter()
        .map(|k| {
            (
                k.kid,
                k.key_use.as_str(),
                k.alg,
                k.state.as_str(),
                rfc3339(k.created_at),
            )
        })
        .collect())
}

/// A time as RFC 3339 in UTC (`2026-12-04T18:46:05Z`), for people reading admin output.
pub fn rfc3339(t: UnixTime) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

/// Parse `--use`.
pub fn parse_use(s: &str) -> Result<KeyUse, String> {
    KeyUse::parse(s).ok_or_else(|| format!("--use must be sig or enc, not {s:?}"))
}

/// The demo client of `--dev`.
pub const DEV_CLIENT_ID: &str = "demo";
/// Its secret (dev only).
pub const DEV_CLIENT_SECRET: &str = "demo-secret-for-local-development-only";
/// Its redirect URI.
pub const DEV_REDIRECT_URI: &str = "http://127.0.0.1:9999/callback";

/// The `--dev` client that must sign its requests (RFC 9101 §10.5) and authenticates with
/// `private_key_jwt`.
pub const DEV_JAR_CLIENT_ID: &str = "demo-jar";

/// Where `--dev` keeps the private JWK of [`DEV_JAR_CLIENT_ID`]: beside the store.
pub fn dev_jar_key_path(config: &writ_protocol::config::Config) -> std::path::PathBuf {
    config
        .data_dir
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("."))
        .join("demo-jar.private.jwk")
}

/// `--dev`: declare user `alice`/`alice`, the demo client, and the JAR demo client with a key
/// of its own (made on first start, kept beside the store) — unless the file declares them.
pub fn dev_seed(config: &mut writ_protocol::config::Config) -> anyhow::Result<()> {
    if !config.users.iter().any(|u| u.username == "alice") {
        let mut salt = [0u8; 16];
        writ_core::ports::Rng::fill(&writ_core::ports::SystemRng, &mut salt);
        let hash = writ_core::users::hash_password("alice", &salt).map_err(anyhow::Error::msg)?;
        let claims = serde_json::json!({
            "name": "Alice Example",
            "given_name": "Alice",
            "email": "alice@example.com",
            "email_verified": true,
        });
        config.users.push(writ_protocol::config::UserConfig {
            username: "alice".into(),
            password_hash: hash,
            claims: claims.as_object().cloned().unwrap_or_default(),
        });
    }
    if !config.clients.iter().any(|c| c.client_id == DEV_CLIENT_ID) {
        let c: ClientConfig = serde_json::from_value(serde_json::json!({
            "client_id": DEV_CLIENT_ID,
            "client_name": "Writ demo client",
            "redirect_uris": [DEV_REDIRECT_URI],
            "token_endpoint_auth_method": "client_secret_basic",
            "secrets": [{ "type": "shared", "value": DEV_CLIENT_SECRET }],
            "require_pkce": true,
        }))?;
        config.clients.push(c);
    }
    if !config
        .clients
        .iter()
        .any(|c| c.client_id == DEV_JAR_CLIENT_ID)
    {
        let path = dev_jar_key_path(config);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        if !path.exists() {
            crate::client_tools::keygen("ES256", &path).map_err(anyhow::Error::msg)?;
        }
        let (key, kid, alg) =
            crate::client_tools::load_key(&path, None).map_err(anyhow::Error::msg)?;
        let public = key.public_jwk_for_alg(kid.as_deref().unwrap_or("demo-jar"), alg)?;
        let c: ClientConfig = serde_json::from_value(serde_json::json!({
            "client_id": DEV_JAR_CLIENT_ID,
            "client_name": "Writ demo client (signed requests)",
            "redirect_uris": [DEV_REDIRECT_URI],
            "token_endpoint_auth_method": "private_key_jwt",
            "secrets": [{ "type": "jwks", "value": { "keys": [public] } }],
            "require_signed_request_object": true,
            "require_pkce": true,
        }))?;
        config.clients.push(c);
    }
    Ok(())
}

/// What a newcomer needs to try the server (`--dev`). `admin_flags` are the store flags the
/// admin commands need to reach the same store (`--data-dir ...`).
pub fn print_dev_banner(
    issuer: &str,
    listen: &std::net::SocketAddr,
    jar_key: &std::path::Path,
    admin_flags: &str,
) {
    let key = jar_key.display();
    println!(
        r#"
==================== WRIT DEVELOPMENT MODE ====================
 Not for production: a demo user and a demo client are seeded.
 Listening on {listen}, issuer {issuer}
 User:    alice / alice
 Client:  {DEV_CLIENT_ID}  (secret {DEV_CLIENT_SECRET}, client_secret_basic)
 Redirect URI: {DEV_REDIRECT_URI}

 Try it: open this URL in a browser, sign in, allow, and copy the
 `code` from the address bar of the (unreachable) redirect page:
   {issuer}/authorize?client_id={DEV_CLIENT_ID}&response_type=code&scope=openid%20profile&redirect_uri=http%3A%2F%2F127.0.0.1%3A9999%2Fcallback&state=xyz&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256
 Then redeem it:
   curl -s -u {DEV_CLIENT_ID}:{DEV_CLIENT_SECRET} {issuer}/token \
     -d grant_type=authorization_code -d code=THE_CODE \
     -d redirect_uri={DEV_REDIRECT_URI} \
     -d code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk

 Signed requests (RFC 9101): client {DEV_JAR_CLIENT_ID} requires them; its private key is
 {key}
 Make a signed request and open the URL it prints (the PKCE code_verifier goes to stderr):
   writ request sign --client {DEV_JAR_CLIENT_ID} --key {key} --url --issuer {issuer}{admin_flags}
 Then redeem the code with a private_key_jwt assertion:
   curl -s {issuer}/token -d grant_type=authorization_code -d code=THE_CODE \
     -d redirect_uri={DEV_REDIRECT_URI} -d code_verifier=THE_VERIFIER \
     -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
     -d client_assertion=$(writ client assertion --client {DEV_JAR_CLIENT_ID} --key {key} --aud {issuer})
================================================================
"#
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 17: a parse error says which field, not only where in the text.
    #[test]
    fn a_registration_parse_error_names_the_fields_path() {
        let e = parse_client_json(
            r#"{"client_id":"c","secrets":[{"type":"shared","value":"s"},{"type":"jwk","value":42}]}"#,
        )
        .unwrap_err();
        assert!(e.starts_with("secrets[1].value: "), "{e}");
        let e = parse_client_json(r#"{"client_id":"c","grant_typez":[]}"#).unwrap_err();
        assert!(e.contains("grant_typez"), "{e}");
        assert!(parse_client_json(r#"{"client_id":"c"}"#).is_ok());
    }

    #[test]
    fn key_dates_are_rfc3339_utc() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_796_409_965), "2026-12-04T18:46:05Z");
    }

    #[test]
    fn client_show_never_prints_a_secret() {
        let stored = serde_json::json!({
            "client_id": "c",
            "secrets": [
                {"type": "shared", "value": "s3cret-s3cret-s3cret-s3cret-s3cret"},
                {"type": "jwk", "value": "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}"},
                {"type": "jwks", "value": {"keys": [
                    {"kty": "EC", "crv": "P-256", "x": "xx", "y": "yy", "d": "private-d"}
                ]}},
                {"type": "x509", "value": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nsecret-pem\n-----END PRIVATE KEY-----"}
            ]
        })
        .to_string();
        let shown = client_show(&stored).unwrap().to_string();
        for secret in ["s3cret", "c2VjcmV0", "private-d", "secret-pem"] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
        assert!(shown.contains("(hidden)"));
        // Public members stay, so the registration can still be read.
        assert!(shown.contains("\"x\":\"xx\""));
    }
}
