//! Admin commands of SPEC §1 (`writ client`, `writ user`, `writ keys`), working on the same
//! store as the server.

use std::sync::Arc;
use writ_core::ports::{KeyUse, Store, StoredUser, UnixTime};
use writ_protocol::client::ClientConfig;

/// Insert or update a user by username with a ready PHC hash. Returns the user's id.
pub async fn upsert_user(
    store: &dyn Store,
    username: &str,
    password_hash: &str,
    now: UnixTime,
) -> Result<String, String> {
    if username.is_empty() || username.len() > 255 || username.chars().any(char::is_control) {
        return Err("a username must be 1 to 255 printable characters".into());
    }
    if !password_hash.starts_with("$argon2id$") {
        return Err("password_hash must be an Argon2id PHC string".into());
    }
    let existing = store
        .user_by_username(username)
        .await
        .map_err(|e| e.to_string())?;
    let id = existing
        .as_ref()
        .map(|u| u.id.clone())
        .unwrap_or_else(|| writ_core::secret::random_token(&writ_core::ports::SystemRng, 16));
    let claims = existing.map(|u| u.claims).unwrap_or_else(|| "{}".into());
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
        config.users.push(writ_protocol::config::UserConfig {
            username: "alice".into(),
            password_hash: hash,
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
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn key_dates_are_rfc3339_utc() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_796_409_965), "2026-12-04T18:46:05Z");
    }
}
