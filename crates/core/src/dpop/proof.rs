//! Checking one DPoP proof (RFC 9449 §4.3), in the order of the table in [`super`], and the
//! one constructor of [`CheckedProof`].

use super::{DpopCheck, DpopPolicy, MAX_PROOF_BYTES, htu, nonce, refused};
use crate::error::OAuthError;
use crate::ports::{Store, UnixTime};
use crate::replay::{self, PendingJti};
use crate::secret::{constant_time_eq, hash_token};
use serde::Deserialize as _;
use serde_json::{Map, Value};
use writ_jose::{AlgFamily, JoseError, Jwk, JwsAlg, UnverifiedJws, VerifyingKey};

/// `typ` of a proof (RFC 9449 §4.2).
pub const DPOP_TYP: &str = "dpop+jwt";
/// Longest `jti` accepted (RFC 9449 §4.2 suggests 96 bits of randomness: 16 characters do).
pub const MAX_JTI_CHARS: usize = 256;
/// Replay cache namespace of proof `jti`s.
const REPLAY_NAMESPACE: &str = "dpop";

/// A proof that passed every check: its key's thumbprint (RFC 7638), what tokens are bound
/// to (`cnf.jkt`, RFC 9449 §6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedProof {
    jkt: String,
    alg: JwsAlg,
}

impl CheckedProof {
    /// The algorithm the proof was signed with.
    pub fn alg(&self) -> JwsAlg {
        self.alg
    }

    /// The JWK SHA-256 thumbprint of the proof's key, base64url.
    pub fn jkt(&self) -> &str {
        &self.jkt
    }
}

/// A proof that passed checks 1 to 11 of [`super`]; check 12, its `jti` seen once, is still
/// to come: [`Self::record`] writes it alone, or the token endpoint writes it together with a
/// client assertion's ([`Self::into_parts`]).
#[derive(Debug)]
pub struct UnrecordedProof {
    proof: CheckedProof,
    jti: PendingJti,
}

impl UnrecordedProof {
    /// The proof, as it will be once its `jti` is remembered.
    pub fn proof(&self) -> &CheckedProof {
        &self.proof
    }

    /// Check 12: remember the `jti`; the proof, or `invalid_dpop_proof` if it was seen before.
    pub async fn record(
        self,
        store: &dyn Store,
        now: UnixTime,
    ) -> Result<CheckedProof, OAuthError> {
        if replay::remember_one(store, &self.jti, now).await? {
            Ok(self.proof)
        } else {
            Err(replayed())
        }
    }

    /// The proof and its `jti` still to be remembered; whoever takes them must write the `jti`
    /// and refuse the request with [`replayed`] if it was not new.
    pub(crate) fn into_parts(self) -> (CheckedProof, PendingJti) {
        (self.proof, self.jti)
    }
}

/// Check 12's refusal: the proof's `jti` was seen before (RFC 9449 §11.1).
pub fn replayed() -> OAuthError {
    refused(
        DpopCheck::Jti,
        "the DPoP proof was used before (its jti was seen); make a new proof for each request",
    )
}

/// What the request the proof came with was.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The HTTP method (`htm`), as received.
    pub method: &'a str,
    /// The server's own absolute URL of the endpoint (`htu`), without query and fragment.
    pub endpoint: &'a str,
    /// The access token presented with the proof, if any (`ath`).
    pub access_token: Option<&'a str>,
}

/// Where a proof is checked.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// `[dpop]`.
    pub policy: &'a DpopPolicy,
    /// The replay cache.
    pub store: &'a dyn Store,
    /// The keys nonces are checked with.
    pub nonce_keys: &'a [nonce::NonceKey],
    /// The time of the request.
    pub now: UnixTime,
}

/// RFC 9449 §4.3: check `headers` (every `DPoP` header value of the request) against
/// `expected`. The `jti` is remembered only when every other check passed, so a refused
/// proof never uses up its `jti`.
pub async fn check(
    ctx: Context<'_>,
    headers: &[&str],
    expected: &Expected<'_>,
) -> Result<CheckedProof, OAuthError> {
    check_unrecorded(ctx, headers, expected)?
        .record(ctx.store, ctx.now)
        .await
}

/// Checks 1 to 11 of [`super`] on `headers` against `expected`; the `jti` is not yet
/// remembered ([`UnrecordedProof`]).
pub fn check_unrecorded(
    ctx: Context<'_>,
    headers: &[&str],
    expected: &Expected<'_>,
) -> Result<UnrecordedProof, OAuthError> {
    let proof = match headers {
        [one] => *one,
        [] => return Err(refused(DpopCheck::Missing, "a DPoP proof is required")),
        _ => {
            return Err(refused(
                DpopCheck::Header,
                "more than one DPoP header (RFC 9449 §4.3)",
            ));
        }
    };
    let jws = UnverifiedJws::parse(proof.trim(), MAX_PROOF_BYTES).map_err(|e| match e {
        JoseError::AlgNone => refused(
            DpopCheck::Alg,
            "the DPoP proof is unsigned (alg none); it must be signed with an asymmetric key",
        ),
        JoseError::TooLarge { .. } => refused(
            DpopCheck::Format,
            format!("the DPoP proof is larger than {MAX_PROOF_BYTES} bytes"),
        ),
        JoseError::UnsupportedAlg(_) => refused(
            DpopCheck::Alg,
            "the DPoP proof's alg is not one this server knows",
        ),
        _ => refused(DpopCheck::Format, "the DPoP proof is not a compact JWS"),
    })?;
    let header = jws.header();
    if !header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(DPOP_TYP))
    {
        return Err(refused(
            DpopCheck::Typ,
            "the DPoP proof's typ must be dpop+jwt (RFC 9449 §4.2)",
        ));
    }
    let alg = header.alg;
    if alg.family() == AlgFamily::Hmac || !ctx.policy.algs().contains(&alg) {
        return Err(refused(
            DpopCheck::Alg,
            format!(
                "the DPoP proof's alg {alg} is not allowed (allowed: {})",
                ctx.policy.algs_parameter()
            ),
        ));
    }
    let key = header_key(header.get("jwk"))?;
    let verifying = VerifyingKey::from_jwk(&key)
        .and_then(|k| k.check_alg(alg).map(|()| k))
        .map_err(|e| {
            refused(
                DpopCheck::Jwk,
                format!("the DPoP proof's jwk cannot verify {alg}")
                    + if matches!(e, JoseError::WeakKey(_)) {
                        " (the key is too weak)"
                    } else {
                        ""
                    },
            )
        })?;
    let verified = jws.verify(&verifying).map_err(|_| {
        refused(
            DpopCheck::Signature,
            "the DPoP proof's signature does not verify with the key in its header",
        )
    })?;
    let claims = verified.payload_json().map_err(|_| {
        refused(
            DpopCheck::Claims,
            "the DPoP proof's payload is not a JSON object without duplicate members",
        )
    })?;
    let c = Claims::read(&claims)?;
    if c.htm != expected.method {
        return Err(refused(
            DpopCheck::Htm,
            format!(
                "the DPoP proof's htm is not {} (RFC 9449 §4.3)",
                expected.method
            ),
        ));
    }
    htu::matches(c.htu, expected.endpoint).map_err(|m| refused(DpopCheck::Htu, m.description()))?;
    if ctx.policy.nonce_required() {
        match c.nonce {
            None => {
                return Err(refused(
                    DpopCheck::Nonce,
                    "this server requires a nonce in DPoP proofs: use the DPoP-Nonce header's value",
                ));
            }
            Some(n) if !nonce::accept(ctx.nonce_keys, n, ctx.now) => {
                return Err(refused(
                    DpopCheck::Nonce,
                    "the DPoP proof's nonce is stale or not this server's: use the DPoP-Nonce header's value",
                ));
            }
            Some(_) => {}
        }
    }
    check_iat(ctx.policy, c.iat, ctx.now)?;
    check_ath(c.ath, expected.access_token)?;
    let jkt = key.thumbprint_sha256();
    // The window in which this proof could be accepted again ends `max_age` after its `iat`.
    let until = c.iat.saturating_add(ctx.policy.max_age).saturating_add(1);
    let jti = PendingJti::new(
        REPLAY_NAMESPACE,
        hash_token(&format!("{jkt}.{}", c.jti)),
        until,
    );
    Ok(UnrecordedProof {
        proof: CheckedProof { jkt, alg },
        jti,
    })
}

/// The header's `jwk`: present, a JWK object, public (RFC 9449 §4.3 step 7: "does not
/// contain a private key"), not symmetric.
fn header_key(value: Option<&Value>) -> Result<Jwk, OAuthError> {
    let Some(v @ Value::Object(_)) = value else {
        return Err(refused(
            DpopCheck::Jwk,
            "the DPoP proof's header has no jwk object (RFC 9449 §4.2)",
        ));
    };
    let key = Jwk::deserialize(v).map_err(|_| {
        refused(
            DpopCheck::Jwk,
            "the DPoP proof's jwk is not a JWK this server supports",
        )
    })?;
    if key.is_private() {
        return Err(refused(
            DpopCheck::Jwk,
            "the DPoP proof's jwk holds a private or symmetric key; it must be the public key",
        ));
    }
    Ok(key)
}

/// The claims RFC 9449 §4.2 requires, typed.
struct Claims<'a> {
    jti: &'a str,
    htm: &'a str,
    htu: &'a str,
    iat: i64,
    nonce: Option<&'a str>,
    ath: Option<&'a str>,
}

impl<'a> Claims<'a> {
    fn read(claims: &'a Map<String, Value>) -> Result<Self, OAuthError> {
        let string = |name: &'static str| match claims.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(refused(
                DpopCheck::Claims,
                format!("the DPoP proof's {name} is not a string"),
            )),
        };
        let required = |name: &'static str| {
            string(name)?.ok_or_else(|| {
                refused(
                    DpopCheck::Claims,
                    format!("the DPoP proof has no {name} claim (RFC 9449 §4.2)"),
                )
            })
        };
        let jti = required("jti")?;
        if jti.is_empty() || jti.chars().count() > MAX_JTI_CHARS {
            return Err(refused(
                DpopCheck::Claims,
                format!("the DPoP proof's jti must be 1 to {MAX_JTI_CHARS} characters"),
            ));
        }
        let iat = match claims.get("iat") {
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
                refused(
                    DpopCheck::Claims,
                    "the DPoP proof's iat is not a whole number of seconds",
                )
            })?,
            Some(_) => {
                return Err(refused(
                    DpopCheck::Claims,
                    "the DPoP proof's iat is not a number",
                ));
            }
            None => {
                return Err(refused(
                    DpopCheck::Claims,
                    "the DPoP proof has no iat claim (RFC 9449 §4.2)",
                ));
            }
        };
        Ok(Claims {
            jti,
            htm: required("htm")?,
            htu: required("htu")?,
            iat,
            nonce: string("nonce")?,
            ath: string("ath")?,
        })
    }
}

/// RFC 9449 §4.3 step 11 and §11.1: `iat` at most `proof_max_age` old and at most 10 s ahead
/// (SPEC §13).
fn check_iat(policy: &DpopPolicy, iat: i64, now: UnixTime) -> Result<(), OAuthError> {
    if iat > now.saturating_add(policy.max_future) {
        return Err(refused(
            DpopCheck::Iat,
            format!(
                "the DPoP proof's iat is more than {} s in the future",
                policy.max_future
            ),
        ));
    }
    if iat < now.saturating_sub(policy.max_age) {
        return Err(refused(
            DpopCheck::Iat,
            format!(
                "the DPoP proof is older than {} s (its iat); make a new proof for each request",
                policy.max_age
            ),
        ));
    }
    Ok(())
}

/// RFC 9449 §4.3 step 12, §7.1: with an access token, `ath` is base64url(SHA-256(token)).
/// Without one, an `ath` is not looked at.
fn check_ath(ath: Option<&str>, token: Option<&str>) -> Result<(), OAuthError> {
    let Some(token) = token else {
        return Ok(());
    };
    match ath {
        None => Err(refused(
            DpopCheck::Ath,
            "the DPoP proof has no ath claim; with an access token it is required (RFC 9449 §4.2)",
        )),
        Some(a) if constant_time_eq(a.as_bytes(), hash_token(token).as_bytes()) => Ok(()),
        Some(_) => Err(refused(
            DpopCheck::Ath,
            "the DPoP proof's ath is not the hash of the access token presented with it",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> DpopPolicy {
        DpopPolicy::default()
    }

    #[test]
    fn iat_exactly_proof_max_age_old_passes_one_more_second_fails() {
        let now = 1_000_000;
        assert!(check_iat(&policy(), now - 60, now).is_ok());
        assert_eq!(
            check_iat(&policy(), now - 61, now).unwrap_err().dpop_check,
            Some(DpopCheck::Iat)
        );
    }

    #[test]
    fn iat_ten_seconds_ahead_passes_eleven_fails() {
        let now = 1_000_000;
        assert!(check_iat(&policy(), now + 10, now).is_ok());
        assert_eq!(
            check_iat(&policy(), now + 11, now).unwrap_err().dpop_check,
            Some(DpopCheck::Iat)
        );
    }

    #[test]
    fn ath_is_required_with_a_token_and_must_hash_it() {
        let token = "an-access-token";
        assert!(check_ath(Some(&hash_token(token)), Some(token)).is_ok());
        assert!(check_ath(None, Some(token)).is_err());
        assert!(check_ath(Some(&hash_token("another")), Some(token)).is_err());
        // Without a token (at /token), ath is not looked at.
        assert!(check_ath(Some("anything"), None).is_ok());
    }

    #[test]
    fn a_nonce_refusal_is_use_dpop_nonce_every_other_is_invalid_dpop_proof() {
        use writ_protocol::ErrorCode;
        assert_eq!(refused(DpopCheck::Nonce, "x").code, ErrorCode::UseDpopNonce);
        assert_eq!(
            refused(DpopCheck::Jti, "x").code,
            ErrorCode::InvalidDpopProof
        );
    }
}
