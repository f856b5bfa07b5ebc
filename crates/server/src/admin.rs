//! Admin commands of SPEC §1 (`writ client`, `writ user`, `writ keys`), working on the same
//! store as the server.

use std::io::Read;
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
    let text = read_input(file, 1024 * 1024)?;
    let config: ClientConfig = serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
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

/// Read a file or standard input (`-`), bounded.
pub fn read_input(file: &str, max: u64) -> Result<String, String> {
    let mut buf = String::new();
    if file == "-" {
        std::io::stdin()
            .take(max + 1)
            .read_to_string(&mut buf)
            .map_err(|e| format!("standard input: {e}"))?;
    } else {
        std::fs::File::open(file)
            .and_then(|f| f.take(max + 1).read_to_string(&mut buf))
            .map_err(|e| format!("{file}: {e}"))?;
    }
    if buf.len() as u64 > max {
        return Err(format!("{file}: larger than {max} bytes"));
    }
    Ok(buf)
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
) -> Result<Vec<(String, &'static str, String, &'static str, UnixTime)>, String> {
    let keys = store.key_list().await.map_err(|e| e.to_string())?;
    Ok(keys
        .into_iter()
        .map(|k| {
            (
                k.kid,
                k.key_use.as_str(),
                k.alg,
                k.state.as_str(),
                k.created_at,
            )
        })
        .collect())
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

/// `--dev`: declare user `alice`/`alice` and the demo client (unless the file declares them).
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
    Ok(())
}

/// What a newcomer needs to try the server (`--dev`).
pub fn print_dev_banner(issuer: &str, listen: &std::net::SocketAddr) {
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
================================================================
"#
    );
}
