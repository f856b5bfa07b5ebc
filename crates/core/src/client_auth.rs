//! Client authentication at the token endpoint (RFC 6749 §2.3, OpenID Connect Core §9,
//! RFC 7523 §3): `client_secret_basic`, `client_secret_post`, `private_key_jwt`, `none`.
//!
//! The method used must be the registered one. Every failure is `invalid_client` with a
//! public reason that never says which secret or key was tried.

use crate::authorize::params::RawParams;
use crate::clients::{Client, ClientRegistry};
use crate::error::OAuthError;
use crate::ports::{Clock, Store, UnixTime};
use crate::replay::{self, PendingJti};
use crate::secret::constant_time_eq;
use base64::Engine;
use std::sync::Arc;
use writ_jose::{AlgFamily, JwsAlg, UnverifiedJws, select_verifying_keys};
use writ_protocol::ErrorCode;
use writ_protocol::client::TokenEndpointAuthMethod;
use writ_protocol::config::{AssertionAudience, Profile, ProfileRules};

/// RFC 7523 §2.2.
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Largest client assertion accepted.
pub const MAX_ASSERTION_BYTES: usize = 16 * 1024;

/// Algorithms a `private_key_jwt` assertion may be signed with (RFC 7523 §3, OpenID Connect
/// Core §9): every asymmetric one, `Ed25519` (RFC 9864 §2.2) beside `EdDSA`. Discovery
/// advertises exactly these (`token_endpoint_auth_signing_alg_values_supported`). HMAC would
/// be `client_secret_jwt`, which Writ does not offer.
pub const ASSERTION_SIGNING_ALGS: &[JwsAlg] = &[
    JwsAlg::RS256,
    JwsAlg::RS384,
    JwsAlg::RS512,
    JwsAlg::PS256,
    JwsAlg::PS384,
    JwsAlg::PS512,
    JwsAlg::ES256,
    JwsAlg::ES384,
    JwsAlg::ES512,
    JwsAlg::EdDSA,
    JwsAlg::Ed25519,
];

/// FAPI 1.0 Advanced §8.6: client assertions are signed with PS256 or ES256 only.
pub const FAPI1_ASSERTION_SIGNING_ALGS: &[JwsAlg] = &[JwsAlg::PS256, JwsAlg::ES256];

/// FAPI 2.0 Security Profile §5.4.1: PS256, ES256, or EdDSA with Ed25519 (either name).
pub const FAPI2_ASSERTION_SIGNING_ALGS: &[JwsAlg] =
    &[JwsAlg::PS256, JwsAlg::ES256, JwsAlg::EdDSA, JwsAlg::Ed25519];

fn invalid_client(detail: impl Into<String>) -> OAuthError {
    invalid_client_because("client authentication failed", detail)
}

/// `invalid_client` that says why (SPEC §9): for what names no secret and no closeness to one
/// (an assertion's claims, its `kid` or alg, the shape of the request).
fn refused_saying(reason: impl Into<String>) -> OAuthError {
    let reason = reason.into();
    OAuthError::new(ErrorCode::InvalidClient, reason.clone()).with_detail(reason)
}

/// `invalid_client` whose public text says what to fix (it names no secret or key).
fn invalid_client_because(public: &'static str, detail: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, public).with_detail(detail)
}

/// What the request presented.
enum Presented<'a> {
    Basic(BasicCredentials),
    Post {
        id: &'a str,
        secret: &'a str,
    },
    Assertion {
        id: Option<&'a str>,
        jws: UnverifiedJws,
    },
    None {
        id: &'a str,
    },
}

/// Where the call comes from: the endpoint URL a client assertion's `aud` may name.
pub struct AuthContext<'a> {
    /// The issuer.
    pub issuer: &'a str,
    /// The full URL of the endpoint being called.
    pub endpoint_url: &'a str,
    /// Other URLs an assertion's `aud` may name (RFC 9126 §2: at `/par`, the token endpoint).
    pub other_audiences: &'a [&'a str],
    /// Longest accepted assertion lifetime, `exp − iat` (seconds).
    pub max_assertion_lifetime: i64,
    /// What the assertion's `aud` may be (`[client_auth] assertion_audience`), before a
    /// client's profile narrows it.
    pub audience: AssertionAudience,
    /// The server-wide profile (`[jar] profile`); a client's own adds to it (SPEC §17).
    pub server_profile: Option<Profile>,
    /// Algorithms a `private_key_jwt` assertion may use (narrower under a FAPI profile).
    pub assertion_algs: &'a [JwsAlg],
    /// Clock skew allowed (seconds).
    pub skew: i64,
    /// Keys from clients' `jwks_uri` (`None`: registered keys only).
    pub remote_keys: Option<&'a crate::client_keys::RemoteKeys>,
}

/// Replay-cache namespace of client assertion `jti`s.
const REPLAY_NAMESPACE: &str = "client_assertion";

/// A client whose credentials checked out. With `private_key_jwt`, the assertion's `jti` is
/// not yet remembered (RFC 7523 §3: "only be used once"): [`Self::record`] writes it, or the
/// token endpoint writes it together with a DPoP proof's ([`Self::into_parts`]).
#[derive(Debug)]
pub struct Authenticated {
    client: Arc<Client>,
    jti: Option<PendingJti>,
}

impl Authenticated {
    /// The authenticated client.
    pub fn client(&self) -> &Arc<Client> {
        &self.client
    }

    /// Remember the assertion's `jti`, alone: the client, or `invalid_client` if the `jti`
    /// was used before.
    pub async fn record(self, store: &dyn Store, now: UnixTime) -> Result<Arc<Client>, OAuthError> {
        if let Some(jti) = &self.jti
            && !replay::remember_one(store, jti, now).await?
        {
            return Err(assertion_replayed());
        }
        Ok(self.client)
    }

    /// The client, and the assertion's `jti` still to be remembered; whoever takes it must
    /// write it and refuse the request with [`assertion_replayed`] if it was not new.
    pub(crate) fn into_parts(self) -> (Arc<Client>, Option<PendingJti>) {
        (self.client, self.jti)
    }
}

/// The refusal of an assertion whose `jti` was seen before (RFC 7523 §3).
pub(crate) fn assertion_replayed() -> OAuthError {
    refused_saying("client assertion jti was used before")
}

/// Authenticate the client of a token (or PAR) request, an assertion's `jti` remembered.
pub async fn authenticate(
    clients: &ClientRegistry,
    store: &dyn Store,
    clock: &dyn Clock,
    ctx: &AuthContext<'_>,
    form: &RawParams,
    authorization: Option<&str>,
) -> Result<Arc<Client>, OAuthError> {
    authenticate_unrecorded(clients, clock, ctx, form, authorization)
        .await?
        .record(store, clock.now())
        .await
}

/// Authenticate the client of a token (or PAR) request; an assertion's `jti` is checked but
/// not yet remembered ([`Authenticated`]).
pub async fn authenticate_unrecorded(
    clients: &ClientRegistry,
    clock: &dyn Clock,
    ctx: &AuthContext<'_>,
    form: &RawParams,
    authorization: Option<&str>,
) -> Result<Authenticated, OAuthError> {
    let presented = presented(form, authorization)?;
    let claimed_id = match &presented {
        Presented::Basic(basic) => basic.id.clone(),
        Presented::Post { id, .. } | Presented::None { id } => id.to_string(),
        Presented::Assertion { id, jws } => match id {
            Some(id) => id.to_string(),
            None => assertion_subject(jws)?,
        },
    };
    let mut client = clients.get(&claimed_id).await?;
    if let (None, Presented::Basic(basic)) = (&client, &presented) {
        // SPEC §9: a client that skipped RFC 6749 §2.3.1's encoding sent its id as it is.
        if basic.raw_id != basic.id {
            client = clients.get(&basic.raw_id).await?;
        }
    }
    let client = client.ok_or_else(|| invalid_client(format!("unknown client {claimed_id:?}")))?;
    let registered = client.config.token_endpoint_auth_method;
    let rules = ProfileRules::for_client(ctx.server_profile, &client.config);
    // FAPI 2.0 Security Profile §5.3.2: private_key_jwt only (registrations that say
    // otherwise are refused when loaded; this holds for older stored ones too).
    if rules.private_key_jwt_only && registered != TokenEndpointAuthMethod::PrivateKeyJwt {
        return Err(OAuthError::new(
            ErrorCode::InvalidClient,
            format!(
                "the {} profile allows only private_key_jwt client authentication",
                rules.label()
            ),
        ));
    }
    let now = clock.now();
    let without_jti = |client| Authenticated { client, jti: None };
    match (&presented, registered) {
        (Presented::Basic(basic), TokenEndpointAuthMethod::ClientSecretBasic) => {
            check_secret(client, now, &[&basic.secret, &basic.raw_secret]).map(without_jti)
        }
        (Presented::Post { secret, .. }, TokenEndpointAuthMethod::ClientSecretPost) => {
            check_secret(client, now, &[secret]).map(without_jti)
        }
        (Presented::Assertion { jws, .. }, TokenEndpointAuthMethod::PrivateKeyJwt) => {
            let jti = verify_assertion(&client, &rules, now, ctx, jws).await?;
            Ok(Authenticated {
                client,
                jti: Some(jti),
            })
        }
        (Presented::None { .. }, TokenEndpointAuthMethod::None) => Ok(without_jti(client)),
        _ => Err(invalid_client_because(
            "the client used an authentication method it is not registered for",
            format!(
                "client {claimed_id:?} is registered for {}",
                registered.as_str()
            ),
        )),
    }
}

/// Compare the presented secret (in each of its readings) with every live shared secret, in
/// constant time: every pair is compared, whichever matches.
fn check_secret(
    client: Arc<Client>,
    now: i64,
    presented: &[&str],
) -> Result<Arc<Client>, OAuthError> {
    let ok = client.live_shared_secrets(now).fold(false, |acc, s| {
        presented.iter().fold(acc, |acc, p| {
            acc | constant_time_eq(s.as_bytes(), p.as_bytes())
        })
    });
    if ok {
        Ok(client)
    } else {
        Err(invalid_client("client secret does not match"))
    }
}

fn presented<'a>(
    form: &'a RawParams,
    authorization: Option<&str>,
) -> Result<Presented<'a>, OAuthError> {
    let basic = authorization
        .map(|h| {
            parse_basic(h).ok_or_else(|| {
                refused_saying(
                    "the Authorization header is not Basic credentials (RFC 6749 §2.3.1: base64 of id:secret)",
                )
            })
        })
        .transpose()?;
    let secret = form.get("client_secret");
    let assertion = form.get("client_assertion");
    let assertion_type = form.get("client_assertion_type");
    let methods = usize::from(basic.is_some())
        + usize::from(secret.is_some())
        + usize::from(assertion.is_some());
    if methods > 1 {
        return Err(OAuthError::invalid_request(
            "more than one client authentication method was used (RFC 6749 §2.3)",
        ));
    }
    if let Some(basic) = basic {
        if form
            .get("client_id")
            .is_some_and(|f| f != basic.id && f != basic.raw_id)
        {
            return Err(refused_saying(
                "client_id in the body differs from the one in the Authorization header",
            ));
        }
        return Ok(Presented::Basic(basic));
    }
    if let Some(jwt) = assertion {
        if assertion_type != Some(JWT_BEARER_ASSERTION) {
            return Err(invalid_client_because(
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "unsupported client_assertion_type",
            ));
        }
        let jws = UnverifiedJws::parse(jwt, MAX_ASSERTION_BYTES).map_err(|e| {
            invalid_client_because(
                "client_assertion is not a compact JWS (RFC 7523 §3)",
                format!("client assertion does not parse: {e}"),
            )
        })?;
        return Ok(Presented::Assertion {
            id: form.get("client_id"),
            jws,
        });
    }
    let id = form
        .get("client_id")
        .ok_or_else(|| refused_saying("no client authentication and no client_id"))?;
    Ok(match secret {
        Some(secret) => Presented::Post { id, secret },
        None => Presented::None { id },
    })
}

/// The credentials of an `Authorization: Basic` header, as RFC 6749 §2.3.1 reads them
/// (form-decoded) and as they were sent: many clients skip the encoding (SPEC §9), so a secret
/// holding `+` or `%` only matches undecoded.
struct BasicCredentials {
    id: String,
    secret: String,
    raw_id: String,
    raw_secret: String,
}

/// RFC 6749 §2.3.1: `Basic base64(urlencode(id) ":" urlencode(secret))`.
fn parse_basic(header: &str) -> Option<BasicCredentials> {
    let (scheme, value) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") || value.len() > 4096 {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (raw_id, raw_secret) = text.split_once(':')?;
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    let id = dec(raw_id)?;
    let secret = dec(raw_secret)?;
    if id.is_empty() {
        return None;
    }
    Some(BasicCredentials {
        id,
        secret,
        raw_id: raw_id.to_owned(),
        raw_secret: raw_secret.to_owned(),
    })
}

/// The unverified `sub` of an assertion: only used to find which client's keys to verify with.
fn assertion_subject(jws: &UnverifiedJws) -> Result<String, OAuthError> {
    let claims: serde_json::Value = serde_json::from_slice(jws.payload_bytes())
        .map_err(|_| refused_saying("client assertion payload is not JSON"))?;
    claims
        .get("sub")
        .and_then(|s| s.as_str())
        .map(str::to_string)
        .ok_or_else(|| refused_saying("client assertion has no sub (RFC 7523 §3: the client_id)"))
}

/// RFC 7523 §3 checks of a `private_key_jwt` assertion; its `jti`, to be remembered once.
async fn verify_assertion(
    client: &Client,
    rules: &ProfileRules,
    now: i64,
    ctx: &AuthContext<'_>,
    parsed: &UnverifiedJws,
) -> Result<PendingJti, OAuthError> {
    let header = parsed.header();
    let alg: JwsAlg = header.alg;
    if matches!(alg.family(), AlgFamily::Hmac) {
        return Err(refused_saying(format!(
            "private_key_jwt assertions are signed with an asymmetric key, not {alg}"
        )));
    }
    if !ctx.assertion_algs.contains(&alg) || !rules.allows(alg) {
        return Err(refused_saying(format!(
            "client assertion alg {alg} is not accepted here"
        )));
    }
    let mut keys = client.live_public_keys(now);
    if let (Some(remote), Some(_)) = (ctx.remote_keys, &client.config.jwks_uri) {
        let mut fetched = remote.get(client, now).await.map_err(|f| {
            invalid_client_because(
                "the keys at the client's jwks_uri could not be fetched",
                format!("{}: {}", f.public, f.detail),
            )
        })?;
        let kid_unknown = header
            .kid
            .as_deref()
            .is_some_and(|kid| !fetched.iter().any(|k| k.key.kid() == Some(kid)));
        if kid_unknown
            && let Some(fresh) = remote
                .refetch_for_unknown_kid(client, now)
                .await
                .map_err(|f| {
                    invalid_client_because(
                        "the keys at the client's jwks_uri could not be fetched",
                        format!("{}: {}", f.public, f.detail),
                    )
                })?
        {
            fetched = fresh;
        }
        keys.extend(fetched.iter().map(|k| k.key.clone()));
    }
    let candidates = select_verifying_keys(&keys, header.kid.as_deref(), alg);
    if candidates.is_empty() {
        // SPEC §9: an unknown kid is said; the kid is the caller's own, shown printable.
        let kid = header
            .kid
            .as_deref()
            .map(crate::authorize::params::printable_value);
        return Err(refused_saying(match kid {
            Some(k) => format!("no key registered for this client has kid '{k}' and fits {alg}"),
            None => format!("no key registered for this client fits {alg}"),
        }));
    }
    let verified = candidates
        .iter()
        .find_map(|k| parsed.verify(k).ok())
        .ok_or_else(|| refused_saying("client assertion signature does not verify"))?;
    let claims = verified
        .payload_json()
        .map_err(|e| refused_saying(format!("client assertion payload: {e}")))?;
    let s = |name: &str| claims.get(name).and_then(|v| v.as_str());
    let id = client.id();
    if s("iss") != Some(id) || s("sub") != Some(id) {
        return Err(refused_saying(
            "client assertion iss and sub must be the client_id",
        ));
    }
    let audience = if rules.assertion_aud_issuer_only {
        AssertionAudience::Issuer
    } else {
        ctx.audience
    };
    check_audience(ctx, audience, claims.get("aud"))?;
    let int = |name: &str| claims.get(name).and_then(|v| v.as_i64());
    let exp = int("exp").ok_or_else(|| refused_saying("client assertion has no numeric exp"))?;
    if exp + ctx.skew <= now {
        return Err(refused_saying("client assertion has expired"));
    }
    // SPEC §9: the lifetime is `exp − iat` (from now when there is no `iat`).
    let lifetime = exp - int("iat").unwrap_or(now);
    if lifetime > ctx.max_assertion_lifetime + ctx.skew {
        return Err(refused_saying(format!(
            "client assertion lives {lifetime} s (exp - iat); at most {} s are accepted ([client_auth] assertion_max_lifetime)",
            ctx.max_assertion_lifetime
        )));
    }
    if let Some(nbf) = int("nbf")
        && nbf > now + ctx.skew
    {
        return Err(refused_saying("client assertion is not yet valid"));
    }
    if let Some(iat) = int("iat")
        && iat > now + ctx.skew
    {
        return Err(refused_saying("client assertion is issued in the future"));
    }
    let jti = s("jti").ok_or_else(|| refused_saying("client assertion has no jti"))?;
    if jti.is_empty() || jti.len() > 256 {
        return Err(refused_saying(
            "client assertion jti must be 1 to 256 characters",
        ));
    }
    Ok(PendingJti::new(
        REPLAY_NAMESPACE,
        crate::secret::replay_key(id, jti),
        exp + ctx.skew,
    ))
}

/// RFC 7523 §3 and SPEC §9: `aud` names this server. With `assertion_audience =
/// "issuer-or-endpoint"`, the issuer or the endpoint's URL (or, at `/par`, the token
/// endpoint's, RFC 9126 §2), alone or in an array. With `"issuer"`, exactly the issuer as a
/// single string (draft-ietf-oauth-rfc7523bis §4: an array or an endpoint URL is what the
/// audience-injection attacks of CVE-2025-27370/27371 rely on).
fn check_audience(
    ctx: &AuthContext<'_>,
    audience: AssertionAudience,
    aud: Option<&serde_json::Value>,
) -> Result<(), OAuthError> {
    use serde_json::Value;
    match audience {
        AssertionAudience::Issuer => match aud {
            Some(Value::String(a)) if a == ctx.issuer => Ok(()),
            _ => Err(refused_saying(
                "client assertion aud must be the issuer, as a single string ([client_auth] assertion_audience = \"issuer\")",
            )),
        },
        AssertionAudience::IssuerOrEndpoint => {
            let names_us = |a: &str| {
                a == ctx.endpoint_url || a == ctx.issuer || ctx.other_audiences.contains(&a)
            };
            let ok = match aud {
                Some(Value::String(a)) => names_us(a),
                Some(Value::Array(list)) => list.iter().any(|a| a.as_str().is_some_and(names_us)),
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                Err(refused_saying("client assertion aud must name this server"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_is_form_decoded_rfc6749_2_3_1() {
        let v = base64::engine::general_purpose::STANDARD.encode("my%3Aclient:p%40ss+word");
        let b = parse_basic(&format!("Basic {v}")).unwrap();
        assert_eq!(b.id, "my:client");
        assert_eq!(b.secret, "p@ss word");
        assert_eq!(b.raw_id, "my%3Aclient");
        assert_eq!(b.raw_secret, "p%40ss+word");
        assert!(parse_basic("Bearer abc").is_none());
        assert!(parse_basic("Basic !!!").is_none());
    }

    #[test]
    fn assertion_algs_are_every_asymmetric_alg_ed25519_included() {
        for alg in JwsAlg::ALL {
            let asymmetric = !matches!(alg.family(), AlgFamily::Hmac);
            assert_eq!(ASSERTION_SIGNING_ALGS.contains(&alg), asymmetric, "{alg}");
        }
        assert!(ASSERTION_SIGNING_ALGS.contains(&JwsAlg::Ed25519));
    }
}
