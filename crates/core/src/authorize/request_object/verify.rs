//! Stage 4: verify the request object's JWS (SPEC §4.4; RFC 9101 §6.2; RFC 8725 §3.1, §3.10,
//! §3.11).
//!
//! - `alg` must be in the server's list and equal to the client's
//!   `request_object_signing_alg` when it registered one; `none` only by value, unencrypted,
//!   from a client with `allow_unsigned_by_value` that is not required to sign.
//! - Keys come only from the client's registration (`jwk`, `jwks`, `x509`, `jwks_uri`; HMAC
//!   keys only from its shared secrets). `jwk`, `jku`, `x5c` and `x5u` in the header are never
//!   used: the jose crate does not read them.
//! - With a `kid`, that key and only that key; the key type must fit the algorithm, so an
//!   HMAC "signature" keyed with the client's public key finds no key.
//! - Unknown `crit` is refused (by the jose parser); `typ` must not name another kind of JWT.

use super::decrypt::DecryptedRequestObject;
use super::policy::{FOREIGN_TYPS, JarPolicy, REQUEST_OBJECT_TYP};
use super::refusal::{Check, Refusal};
use super::types::{RequestObjectHeader, RequestObjectInfo, Signer};
use crate::authorize::params::printable_value;
use crate::authorize::transport::Transport;
use crate::clients::{Client, ClientKey, KeySource};
use crate::ports::UnixTime;
use serde_json::{Map, Value};
use writ_jose::{AlgFamily, JoseError, UnsecuredJws, UnverifiedJws, VerifyingKey};

/// Stage 4's output: the signature verified with a key of the client's registration (or an
/// `alg: none` object this client may send by value), claims not yet checked. Made only by
/// [`verify`]: its claims are authentic.
#[derive(Debug, Clone)]
pub struct VerifiedRequestObject {
    info: RequestObjectInfo,
    claims: Map<String, Value>,
}

impl VerifiedRequestObject {
    /// What is known about the object: header, signer, encryption.
    pub fn info(&self) -> &RequestObjectInfo {
        &self.info
    }
    /// The claims (authentic, not yet checked).
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }
    /// Whether it was signed (as opposed to an allowed `alg: none`).
    pub fn is_signed(&self) -> bool {
        self.info.signer.is_some()
    }
    /// A string claim.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
    /// Split into its parts.
    pub fn into_parts(self) -> (RequestObjectInfo, Map<String, Value>) {
        (self.info, self.claims)
    }
}

/// Stage 4. `key_sets` are the client's registered public keys (its registration, and the
/// keys fetched from its `jwks_uri`).
pub fn verify(
    ro: &DecryptedRequestObject,
    policy: &JarPolicy,
    client: &Client,
    key_sets: &[&[ClientKey]],
    now: UnixTime,
) -> Result<VerifiedRequestObject, Refusal> {
    let jws = match UnverifiedJws::parse(ro.jws(), policy.max_bytes) {
        Ok(j) => j,
        Err(JoseError::AlgNone) => return unsigned(ro, policy, client),
        Err(e) => return Err(parse_refusal(e)),
    };
    let header = jws.header();
    let alg = header.alg;
    let kid = header.kid.as_deref();
    let about = |r: Refusal| r.about(kid, alg.as_str());

    if !policy.signing_alg_allowed(client, alg) {
        return Err(about(Refusal::new(
            Check::SigningAlg,
            format!("request objects signed with {alg} are not accepted for this client"),
        )));
    }
    check_typ(header.typ.as_deref(), policy.strict_typ).map_err(about)?;

    let shared: Vec<ClientKey>;
    let candidates: Vec<&ClientKey> = if matches!(alg.family(), AlgFamily::Hmac) {
        // RFC 7518 §3.2; OpenID Connect Core §10.1: the client secret's octets are the key.
        shared = client
            .live_shared_secrets(now)
            .filter_map(|s| VerifyingKey::from_shared_secret(s.as_bytes()).ok())
            .filter(|k| k.check_alg(alg).is_ok())
            .map(|k| ClientKey::new(k, KeySource::Shared, None))
            .collect();
        shared.iter().collect()
    } else {
        key_sets
            .iter()
            .flat_map(|set| set.iter())
            .filter(|k| k.live(now))
            .filter(|k| kid.is_none_or(|want| k.key.kid() == Some(want)))
            .filter(|k| k.key.check_alg(alg).is_ok())
            .collect()
    };
    if candidates.is_empty() {
        let why = match (kid, alg.family()) {
            (_, AlgFamily::Hmac) => {
                format!("the client has no shared secret that can verify {alg}")
            }
            (Some(k), _) => format!(
                "no registered key of this client has kid \"{}\" and fits {alg}",
                printable_value(k)
            ),
            (None, _) => format!("no registered key of this client fits {alg}"),
        };
        return Err(about(Refusal::new(Check::Key, why)));
    }
    let mut verified = None;
    for k in candidates {
        if let Ok(v) = jws.verify(&k.key) {
            verified = Some((v, k));
            break;
        }
    }
    let Some((verified, key)) = verified else {
        return Err(about(Refusal::new(
            Check::Signature,
            "the request object signature does not verify with the client's registered key",
        )));
    };
    let claims = verified.payload_json().map_err(|e| {
        about(Refusal::new(
            Check::Claims,
            "the request object payload is not a JSON object without duplicate members",
        ))
        .detail(e)
    })?;
    let signer = Signer {
        kid: key.key.kid().map(str::to_string),
        kty: key.key.kty().as_str().to_string(),
        source: key.source,
        thumbprint: key.thumbprint.clone(),
    };
    let h = verified.header();
    Ok(VerifiedRequestObject {
        info: RequestObjectInfo {
            header: RequestObjectHeader {
                alg: alg.as_str().to_string(),
                kid: h.kid.clone(),
                typ: h.typ.clone(),
            },
            signer: Some(signer),
            encryption: ro.encryption().cloned(),
        },
        claims,
    })
}

/// An `alg: none` object (RFC 9101 §6.1 permits them; SPEC §2 `allow_unsigned_by_value`
/// limits them to one client at a time, by value, never encrypted, never when JAR is required).
fn unsigned(
    ro: &DecryptedRequestObject,
    policy: &JarPolicy,
    client: &Client,
) -> Result<VerifiedRequestObject, Refusal> {
    let about = |r: Refusal| r.about(None, "none");
    if ro.encryption().is_some() {
        return Err(about(Refusal::new(
            Check::NestedJws,
            "the JWT inside an encrypted request object must be signed, not alg none",
        )));
    }
    if ro.transport() != Transport::ByValue || !policy.unsigned_allowed(client, false) {
        return Err(about(Refusal::new(
            Check::Unsigned,
            "unsigned (alg none) request objects are not accepted for this client",
        )));
    }
    let jws =
        UnsecuredJws::parse(ro.jws(), policy.max_bytes).map_err(|e| about(parse_refusal(e)))?;
    let typ = jws
        .header()
        .get("typ")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    check_typ(typ.as_deref(), policy.strict_typ).map_err(about)?;
    let claims = jws.payload_json().map_err(|e| {
        about(Refusal::new(
            Check::Claims,
            "the request object payload is not a JSON object without duplicate members",
        ))
        .detail(e)
    })?;
    Ok(VerifiedRequestObject {
        info: RequestObjectInfo {
            header: RequestObjectHeader {
                alg: "none".into(),
                kid: None,
                typ,
            },
            signer: None,
            encryption: None,
        },
        claims,
    })
}

/// The JWS `typ` rule of SPEC §4.4 (RFC 9101 §4, RFC 8725 §3.11). Media types compare
/// case-insensitively, with or without the `application/` prefix (RFC 7515 §4.1.9).
pub fn check_typ(typ: Option<&str>, strict: bool) -> Result<(), Refusal> {
    let normalized = typ.map(|t| {
        let t = t.to_ascii_lowercase();
        t.strip_prefix("application/")
            .map(str::to_string)
            .unwrap_or(t)
    });
    match normalized.as_deref() {
        Some(REQUEST_OBJECT_TYP) => Ok(()),
        None | Some(_) if strict => Err(Refusal::new(
            Check::Typ,
            format!("the request object header typ must be {REQUEST_OBJECT_TYP}"),
        )),
        Some(t) if FOREIGN_TYPS.contains(&t) || (t.ends_with("+jwt")) => Err(Refusal::new(
            Check::Typ,
            format!(
                "the request object header typ \"{}\" names another kind of JWT",
                printable_value(t)
            ),
        )),
        _ => Ok(()),
    }
}

/// Parse failures of the JWS, by the check they fail.
fn parse_refusal(e: JoseError) -> Refusal {
    let (check, public): (Check, String) = match &e {
        JoseError::TooLarge { limit, .. } => (
            Check::Size,
            format!("the request object is larger than {limit} bytes"),
        ),
        JoseError::UnsupportedCritical(_) => (
            Check::Crit,
            "the request object header has a crit parameter this server does not understand".into(),
        ),
        JoseError::UnsupportedAlg(_) | JoseError::MissingAlg => (
            Check::SigningAlg,
            "the request object header alg is missing or not supported".into(),
        ),
        _ => (
            Check::Format,
            format!("the request object is not a valid JWS: {e}"),
        ),
    };
    Refusal::new(check, public).detail(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typ_of_another_jwt_kind_is_refused() {
        for t in [
            "at+jwt",
            "application/dpop+jwt",
            "LOGOUT+JWT",
            "secevent+jwt",
            "foo+jwt",
        ] {
            assert_eq!(
                check_typ(Some(t), false).unwrap_err().check,
                Check::Typ,
                "{t}"
            );
        }
        for t in [
            "JWT",
            "jwt",
            "oauth-authz-req+jwt",
            "application/oauth-authz-req+jwt",
        ] {
            assert!(check_typ(Some(t), false).is_ok(), "{t}");
        }
        assert!(check_typ(None, false).is_ok());
    }

    #[test]
    fn strict_typ_requires_oauth_authz_req_jwt() {
        assert!(check_typ(None, true).is_err());
        assert!(check_typ(Some("JWT"), true).is_err());
        assert!(check_typ(Some("oauth-authz-req+jwt"), true).is_ok());
    }
}
