//! Discovery metadata (OpenID Connect Discovery §3, RFC 8414 §2), true to the running
//! configuration: only what this build actually does is advertised.

use crate::keys::SERVER_SIGNING_ALGS;
use crate::settings::Settings;
use serde_json::{Value, json};

/// OpenID Connect Discovery §3 `claims_supported`.
fn claims_supported() -> Vec<&'static str> {
    let token = [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "azp",
        "at_hash",
        "preferred_username",
    ];
    token
        .into_iter()
        .chain(writ_protocol::claims::standard_names())
        .collect()
}

/// The metadata document, served at both well-known paths.
pub fn metadata(settings: &Settings) -> Value {
    let e = |p: &str| settings.endpoint(p);
    // SPEC §17: exactly what the running profile allows.
    let rules = settings.server_rules();
    let id_algs: Vec<&str> = SERVER_SIGNING_ALGS
        .iter()
        .filter(|a| rules.allows(**a))
        .map(|a| a.as_str())
        .collect();
    let auth_methods: &[&str] = if rules.private_key_jwt_only {
        &["private_key_jwt"]
    } else {
        &[
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ]
    };
    let assertion_algs: Vec<&str> = settings
        .assertion_signing_algs()
        .iter()
        .map(|a| a.as_str())
        .collect();
    let jar = &settings.jar_policy;
    let signing: Vec<&str> = jar.signing_algs.iter().map(|a| a.as_str()).collect();
    let (enc_algs, enc_encs): (Vec<&str>, Vec<&str>) = if jar.encryption_enabled {
        (
            jar.encryption_algs.iter().map(|a| a.as_str()).collect(),
            jar.encryption_encs.iter().map(|a| a.as_str()).collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    // JARM §3 and RFC 9701 §6: what a client may have its responses encrypted with.
    let response_encryption_algs: Vec<&str> =
        writ_jose::JweAlg::ALL.iter().map(|a| a.as_str()).collect();
    let response_encryption_encs: Vec<&str> =
        writ_jose::JweEnc::ALL.iter().map(|e| e.as_str()).collect();
    let mut doc = json!({
        "issuer": settings.issuer,
        "authorization_endpoint": e("/authorize"),
        "token_endpoint": e("/token"),
        "userinfo_endpoint": e("/userinfo"),
        // OpenID Connect RP-Initiated Logout 1.0 §2.1.
        "end_session_endpoint": e("/logout"),
        "jwks_uri": e("/jwks"),
        "scopes_supported": writ_protocol::client::DEFAULT_SCOPES,
        "response_types_supported": ["code"],
        // SPEC §14: OAuth 2.0 Multiple Response Types, Form Post, and JARM.
        "response_modes_supported": crate::response::RESPONSE_MODES,
        "authorization_signing_alg_values_supported": id_algs,
        // JARM §3: what a client may register to have its responses encrypted with.
        "authorization_encryption_alg_values_supported": response_encryption_algs,
        "authorization_encryption_enc_values_supported": response_encryption_encs,
        "grant_types_supported": writ_protocol::client::GRANT_TYPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": id_algs,
        "userinfo_signing_alg_values_supported": [],
        "token_endpoint_auth_methods_supported": auth_methods,
        // RFC 7662, RFC 8414 §2: every method but `none` (a public client proves nothing).
        "introspection_endpoint": e("/introspect"),
        "introspection_endpoint_auth_methods_supported": auth_methods
            .iter()
            .filter(|m| **m != "none")
            .collect::<Vec<_>>(),
        "introspection_endpoint_auth_signing_alg_values_supported": assertion_algs,
        // RFC 9701 §7: the algorithms a signed introspection response can use, and those it
        // can be encrypted with.
        "introspection_signing_alg_values_supported": id_algs,
        "introspection_encryption_alg_values_supported": response_encryption_algs,
        "introspection_encryption_enc_values_supported": response_encryption_encs,
        // RFC 7009, RFC 8414 §2: a public client may revoke its own tokens (RFC 7009 §5).
        "revocation_endpoint": e("/revoke"),
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_signing_alg_values_supported": assertion_algs,
        // What private_key_jwt accepts, `Ed25519` (RFC 9864 §2.2) included.
        "token_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent"],
        // What the ID token and /userinfo can carry: the token's own claims, then the
        // profile attributes the user store keeps (OpenID Connect Core §5.1).
        "claims_supported": claims_supported(),
        "claims_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        // RFC 9101 §9, OpenID Connect Discovery §3: true to the running configuration.
        "request_parameter_supported": jar.request_parameter,
        "request_uri_parameter_supported": jar.request_uri_parameter,
        "require_request_uri_registration": true,
        "request_object_signing_alg_values_supported": signing,
        "request_object_encryption_alg_values_supported": enc_algs,
        "request_object_encryption_enc_values_supported": enc_encs,
        "require_signed_request_object": jar.require_signed,
        "require_pushed_authorization_requests": settings.par_required_server_wide(),
        // RFC 9396 §10: the accepted types (none: `authorization_details` is refused).
        "authorization_details_types_supported": settings.rar.types(),
    });
    // RFC 9449 §5.1: advertised only when proofs are accepted.
    if settings.dpop.enabled()
        && let Some(m) = doc.as_object_mut()
    {
        let algs: Vec<&str> = settings.dpop.algs().iter().map(|a| a.as_str()).collect();
        m.insert("dpop_signing_alg_values_supported".into(), json!(algs));
    }
    // RFC 9126 §5: advertised only when the endpoint is served.
    if settings.par.enabled
        && let Some(m) = doc.as_object_mut()
    {
        m.insert(
            "pushed_authorization_request_endpoint".into(),
            serde_json::Value::String(settings.endpoint("/par")),
        );
    }
    // An empty list says "none supported" to some clients and nothing to others: a list with
    // no entries is left out (issue 17), as RFC 8414 §2 lets every such field be omitted.
    if let Some(m) = doc.as_object_mut() {
        m.retain(|_, v| v.as_array().is_none_or(|a| !a.is_empty()));
    }
    doc
}
