//! Stage 5: the request object's claims (SPEC §4.5; RFC 9101 §4, §6.3, §10.8; RFC 7519 §4.1;
//! FAPI 1.0 Advanced §5.2.2-13..17).
//!
//! Every check is evaluated by [`evaluate`]; the pipeline stops at the first failure
//! ([`check`]) and `writ request inspect` prints them all. The `jti` replay check needs the
//! store, so this stage returns the [`ReplayKey`] and the pipeline records it.

use super::policy::JarPolicy;
use super::refusal::{Check, Refusal};
use super::types::RequestObjectInfo;
use super::verify::VerifiedRequestObject;
use crate::clients::Client;
use crate::ports::UnixTime;
use serde_json::{Map, Value};
use std::borrow::Cow;
use writ_protocol::config::ReplayPolicy;

/// Longest accepted `jti`.
pub const MAX_JTI_BYTES: usize = 256;

/// What stage 5 needs besides the object.
pub struct ClaimsContext<'a> {
    /// The effective policy.
    pub policy: &'a JarPolicy,
    /// The client.
    pub client: &'a Client,
    /// The `client_id` of the query.
    pub query_client_id: &'a str,
    /// This server's issuer identifier (the audience).
    pub issuer: &'a str,
    /// Now.
    pub now: UnixTime,
}

/// A `jti` to record in the replay cache until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayKey {
    /// `client_id` ␟ `jti`.
    pub key: String,
    /// Until when the `jti` is remembered.
    pub expires_at: UnixTime,
}

/// Stage 5's output: a verified request object whose claims passed every check. Made only by
/// [`check`]; only its claims become request parameters
/// ([`merge::effective`](super::merge::effective)).
#[derive(Debug, Clone)]
pub struct ValidatedRequestObject(VerifiedRequestObject);

impl ValidatedRequestObject {
    /// What is known about the object.
    pub fn info(&self) -> &RequestObjectInfo {
        self.0.info()
    }
    /// The checked claims.
    pub fn claims(&self) -> &Map<String, Value> {
        self.0.claims()
    }
    /// Whether it was signed.
    pub fn is_signed(&self) -> bool {
        self.0.is_signed()
    }
    /// The verified object it is (to deliver an error with its `state`, SPEC §4.7).
    pub fn verified(&self) -> &VerifiedRequestObject {
        &self.0
    }
    /// Back to the verified object: a later check refused it.
    pub fn into_verified(self) -> VerifiedRequestObject {
        self.0
    }
    /// Split into its parts.
    pub fn into_parts(self) -> (RequestObjectInfo, Map<String, Value>) {
        self.0.into_parts()
    }
}

/// The claims stage 5 evaluates, and whether they are authentic: a verified object's, or
/// (for `writ request inspect` only) the payload of an object whose signature failed, so
/// that the integrator sees every problem at once. Only an authentic view comes from a
/// [`VerifiedRequestObject`]; [`check`] only takes one of those.
#[derive(Debug, Clone, Copy)]
pub struct ClaimsView<'a> {
    claims: &'a Map<String, Value>,
    signed: bool,
    authentic: bool,
}

impl<'a> ClaimsView<'a> {
    /// Claims read from a payload whose signature did not verify.
    pub fn unverified(claims: &'a Map<String, Value>) -> Self {
        ClaimsView {
            claims,
            signed: false,
            authentic: false,
        }
    }
    /// Whether the claims are authentic (their signature verified).
    pub fn is_authentic(&self) -> bool {
        self.authentic
    }
}

impl<'a> From<&'a VerifiedRequestObject> for ClaimsView<'a> {
    fn from(ro: &'a VerifiedRequestObject) -> Self {
        ClaimsView {
            claims: ro.claims(),
            signed: ro.is_signed(),
            authentic: true,
        }
    }
}

/// A claims refusal with the (authentic) object it refused.
pub type ClaimsRefusal = (Refusal, VerifiedRequestObject);

/// One evaluated check: passed (with a note when asked for) or refused.
pub type Outcome = Result<Cow<'static, str>, Refusal>;

/// Stage 5: the first failing check, else the validated object and the replay key to record.
/// A refusal keeps the verified object: its `state` and `redirect_uri` are authentic, so the
/// error can be delivered with them (SPEC §4.7).
pub fn check(
    ro: VerifiedRequestObject,
    ctx: &ClaimsContext<'_>,
) -> Result<(ValidatedRequestObject, Option<ReplayKey>), Box<ClaimsRefusal>> {
    let (outcomes, replay) = evaluate(ClaimsView::from(&ro), ctx, false);
    if let Some((_, Err(r))) = outcomes.into_iter().find(|(_, o)| o.is_err()) {
        let h = &ro.info().header;
        let r = r.about(h.kid.as_deref(), &h.alg);
        return Err(Box::new((r, ro)));
    }
    Ok((ValidatedRequestObject(ro), replay))
}

fn numeric(v: Option<&Value>, name: &'static str, check: Check) -> Result<Option<i64>, Refusal> {
    match v {
        None => Ok(None),
        // RFC 7519 §2 NumericDate: may be non-integer; whole seconds are enough here.
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| Refusal::new(check, format!("{name} is not a NumericDate"))),
        Some(_) => Err(Refusal::new(check, format!("{name} is not a NumericDate"))),
    }
}

/// Evaluate every claim check, in order. `verbose` fills in the notes of passed checks
/// (for `writ request inspect`); the server passes `false` and allocates nothing on success.
pub fn evaluate(
    ro: ClaimsView<'_>,
    ctx: &ClaimsContext<'_>,
    verbose: bool,
) -> (Vec<(Check, Outcome)>, Option<ReplayKey>) {
    let c = ro.claims;
    let p = ctx.policy;
    let now = ctx.now;
    let skew = p.clock_skew;
    // The note is made only when asked for: the server's path formats nothing on success.
    let note = |s: &dyn Fn() -> String| -> Cow<'static, str> {
        if verbose {
            Cow::Owned(s())
        } else {
            Cow::Borrowed("")
        }
    };
    let mut out: Vec<(Check, Outcome)> = Vec::with_capacity(11);

    // iss (RFC 9101 §4: SHOULD be present when signed; Writ requires it of signed objects).
    let want_iss = p.expected_issuer(ctx.client);
    out.push((
        Check::Iss,
        match c.get("iss") {
            Some(Value::String(s)) if s == want_iss => Ok(note(&|| format!("iss is {want_iss}"))),
            None if !ro.signed => Ok(note(&|| "no iss (unsigned object)".into())),
            None => Err(Refusal::new(
                Check::Iss,
                "the request object has no iss claim",
            )),
            Some(_) => Err(Refusal::new(
                Check::Iss,
                "the request object iss is not this client",
            )),
        },
    ));

    // aud (RFC 9101 §4: the issuer identifier; RFC 7519 §4.1.3).
    out.push((
        Check::Aud,
        match c.get("aud") {
            None if p.require_aud => Err(Refusal::new(
                Check::Aud,
                "the request object has no aud claim",
            )),
            None => Ok(note(&|| "no aud (not required)".into())),
            Some(Value::String(a)) if a == ctx.issuer => Ok(note(&|| format!("aud is {a}"))),
            Some(Value::Array(list)) if list.iter().any(|a| a.as_str() == Some(ctx.issuer)) => {
                Ok(note(&|| format!("aud contains {}", ctx.issuer)))
            }
            Some(_) => Err(Refusal::new(
                Check::Aud,
                format!("the request object aud must be {}", ctx.issuer),
            )),
        },
    ));

    let exp = numeric(c.get("exp"), "exp", Check::Exp);
    let nbf = numeric(c.get("nbf"), "nbf", Check::Nbf);
    let iat = numeric(c.get("iat"), "iat", Check::Iat);

    out.push((
        Check::Exp,
        match &exp {
            Err(r) => Err(r.clone()),
            Ok(None) if p.require_exp => Err(Refusal::new(
                Check::Exp,
                "the request object has no exp claim",
            )),
            Ok(None) => Ok(note(&|| "no exp (not required)".into())),
            Ok(Some(e)) if e.saturating_add(skew) <= now => {
                Err(Refusal::new(Check::Exp, "the request object has expired")
                    .detail(format!("exp {e}, now {now}, skew {skew}")))
            }
            Ok(Some(e)) => Ok(note(&|| {
                format!(
                    "exp {e} is {}s after now {now} (clock_skew {skew}s)",
                    e - now
                )
            })),
        },
    ));

    out.push((
        Check::Nbf,
        match &nbf {
            Err(r) => Err(r.clone()),
            Ok(None) if p.require_nbf => Err(Refusal::new(
                Check::Nbf,
                "the request object has no nbf claim",
            )),
            Ok(None) => Ok(note(&|| "no nbf (not required)".into())),
            Ok(Some(n)) if n.saturating_sub(skew) > now => Err(Refusal::new(
                Check::Nbf,
                "the request object is not valid yet (nbf is in the future)",
            )
            .detail(format!("nbf {n}, now {now}, skew {skew}"))),
            Ok(Some(n)) if *n < now.saturating_sub(p.max_lifetime).saturating_sub(skew) => {
                Err(Refusal::new(
                    Check::Nbf,
                    format!(
                        "the request object nbf is more than {}s in the past",
                        p.max_lifetime
                    ),
                )
                .detail(format!("nbf {n}, now {now}, skew {skew}")))
            }
            Ok(Some(n)) => Ok(note(&|| {
                format!(
                    "nbf {n} is {}s before now {now} (clock_skew {skew}s; at most {}s old)",
                    now - n,
                    p.max_lifetime
                )
            })),
        },
    ));

    out.push((
        Check::Iat,
        match &iat {
            Err(r) => Err(r.clone()),
            Ok(None) => Ok(note(&|| "no iat".into())),
            Ok(Some(i)) if i.saturating_sub(skew) > now => Err(Refusal::new(
                Check::Iat,
                "the request object iat is in the future",
            )
            .detail(format!("iat {i}, now {now}, skew {skew}"))),
            Ok(Some(i)) => Ok(note(&|| {
                format!(
                    "iat {i} is {}s before now {now} (clock_skew {skew}s)",
                    now - i
                )
            })),
        },
    ));

    // Lifetime: exp − (nbf, else iat, else now) ≤ max_lifetime.
    out.push((
        Check::Lifetime,
        match exp {
            Ok(Some(e)) => {
                let (from, start) = match (nbf.ok().flatten(), iat.ok().flatten()) {
                    (Some(n), _) => ("nbf", n),
                    (None, Some(i)) => ("iat", i),
                    (None, None) => ("now", now),
                };
                let life = e.saturating_sub(start);
                if life > p.max_lifetime {
                    Err(Refusal::new(
                        Check::Lifetime,
                        format!(
                            "the request object lives {life}s, longer than the allowed {}s",
                            p.max_lifetime
                        ),
                    ))
                } else {
                    Ok(note(&|| {
                        format!("exp − {from} = {life}s ≤ max_lifetime {}s", p.max_lifetime)
                    }))
                }
            }
            _ => Ok(note(&|| "no exp, no lifetime to check".into())),
        },
    ));

    // client_id inside equals the query's (RFC 9101 §5, §6.3).
    out.push((
        Check::ClientId,
        match c.get("client_id") {
            None => Ok(note(&|| "no client_id inside".into())),
            Some(Value::String(s)) if s == ctx.query_client_id => {
                Ok(note(&|| format!("client_id is {s}")))
            }
            Some(_) => Err(Refusal::new(
                Check::ClientId,
                "the request object client_id differs from the client_id parameter",
            )),
        },
    ));

    // No request or request_uri inside (RFC 9101 §4).
    out.push((
        Check::Nested,
        if c.contains_key("request") || c.contains_key("request_uri") {
            Err(Refusal::new(
                Check::Nested,
                "the request object must not contain request or request_uri",
            ))
        } else {
            Ok(note(&|| "no request or request_uri inside".into()))
        },
    ));

    out.push((
        Check::RequiredClaims,
        match p
            .required_claims
            .iter()
            .find(|n| !c.contains_key(n.as_str()))
        {
            Some(missing) => Err(Refusal::new(
                Check::RequiredClaims,
                format!(
                    "the request object must contain {}",
                    crate::authorize::params::printable_value(missing)
                ),
            )),
            None => Ok(note(&|| {
                format!("{} required claim(s) present", p.required_claims.len())
            })),
        },
    ));

    // jti (RFC 7519 §4.1.7), for the replay cache.
    let mut replay = None;
    out.push((
        Check::Replay,
        match (p.replay, c.get("jti")) {
            (ReplayPolicy::Off, _) => Ok(note(&|| "replay protection is off".into())),
            (ReplayPolicy::RequireJti, None) => Err(Refusal::new(
                Check::Replay,
                "the request object must carry a jti",
            )),
            (ReplayPolicy::JtiIfPresent, None) => Ok(note(&|| "no jti".into())),
            (_, Some(Value::String(j))) if !j.is_empty() && j.len() <= MAX_JTI_BYTES => {
                let until = exp
                    .ok()
                    .flatten()
                    .unwrap_or(now.saturating_add(p.max_lifetime));
                replay = Some(ReplayKey {
                    key: crate::secret::replay_key(ctx.client.id(), j),
                    expires_at: until.saturating_add(skew),
                });
                Ok(note(&|| {
                    "jti present (checked against the replay cache)".into()
                }))
            }
            (_, Some(_)) => Err(Refusal::new(
                Check::Replay,
                format!("the request object jti must be a string of 1 to {MAX_JTI_BYTES} bytes"),
            )),
        },
    ));
    (out, replay)
}

#[cfg(test)]
mod tests {
    //! SPEC §4.5 time rules at their boundaries, to the second, with a fixed `now`.
    use super::*;
    use crate::testing::FixedClock;
    use serde_json::json;
    use writ_protocol::config::JarConfig;

    const NOW: UnixTime = 1_764_676_800;
    /// `[jar]` defaults: `clock_skew` 30 s, `max_lifetime` 3600 s, `require_exp`.
    const SKEW: i64 = 30;
    const LIFE: i64 = 3600;

    fn client() -> Client {
        let config = serde_json::from_value(json!({
            "client_id": "c",
            "redirect_uris": ["https://c.example/cb"],
            "token_endpoint_auth_method": "none",
        }))
        .unwrap();
        Client::from_config(config).unwrap()
    }

    /// The outcome of `check` for authentic, signed claims `c` at `now`.
    fn outcome(c: serde_json::Value, check: Check, now: UnixTime) -> Result<(), String> {
        let policy = JarPolicy::from_config(&JarConfig::default(), true);
        assert_eq!((policy.clock_skew, policy.max_lifetime), (SKEW, LIFE));
        let client = client();
        let ctx = ClaimsContext {
            policy: &policy,
            client: &client,
            query_client_id: "c",
            issuer: "https://as.example",
            now,
        };
        let claims = c.as_object().unwrap().clone();
        let view = ClaimsView {
            claims: &claims,
            signed: true,
            authentic: true,
        };
        let (outcomes, _) = evaluate(view, &ctx, true);
        let (_, o) = outcomes.into_iter().find(|(k, _)| *k == check).unwrap();
        o.map(|_| ()).map_err(|r| r.public.into_owned())
    }

    fn base() -> serde_json::Map<String, Value> {
        json!({"iss": "c", "aud": "https://as.example"})
            .as_object()
            .unwrap()
            .clone()
    }

    fn with(pairs: &[(&str, i64)]) -> serde_json::Value {
        let mut m = base();
        for (k, v) in pairs {
            m.insert((*k).into(), json!(v));
        }
        Value::Object(m)
    }

    #[test]
    fn exp_is_refused_from_exp_plus_skew_on() {
        // RFC 7519 §4.1.4: not accepted on or after exp (plus the allowed skew).
        let table = [
            (NOW - SKEW - 1, false),
            (NOW - SKEW, false),
            (NOW - SKEW + 1, true),
            (NOW, true),
            (NOW + LIFE, true),
        ];
        for (exp, ok) in table {
            let r = outcome(with(&[("exp", exp)]), Check::Exp, NOW);
            assert_eq!(r.is_ok(), ok, "exp = now {:+}: {r:?}", exp - NOW);
        }
    }

    #[test]
    fn exp_is_required_by_default() {
        let r = outcome(with(&[]), Check::Exp, NOW);
        assert_eq!(r.unwrap_err(), "the request object has no exp claim");
    }

    #[test]
    fn nbf_may_be_at_most_skew_in_the_future() {
        // RFC 7519 §4.1.5.
        for (nbf, ok) in [
            (NOW + SKEW - 1, true),
            (NOW + SKEW, true),
            (NOW + SKEW + 1, false),
        ] {
            let r = outcome(with(&[("nbf", nbf), ("exp", NOW + 60)]), Check::Nbf, NOW);
            assert_eq!(r.is_ok(), ok, "nbf = now {:+}: {r:?}", nbf - NOW);
        }
    }

    #[test]
    fn nbf_may_be_at_most_max_lifetime_plus_skew_old() {
        // FAPI 1.0 Advanced §5.2.2-17 / SPEC §2 max_lifetime: nbf no older than the lifetime.
        let oldest = NOW - LIFE - SKEW;
        for (nbf, ok) in [(oldest - 1, false), (oldest, true), (oldest + 1, true)] {
            let r = outcome(with(&[("nbf", nbf), ("exp", NOW + 60)]), Check::Nbf, NOW);
            assert_eq!(r.is_ok(), ok, "nbf = now {:+}: {r:?}", nbf - NOW);
        }
    }

    #[test]
    fn iat_may_be_at_most_skew_in_the_future() {
        for (iat, ok) in [
            (NOW + SKEW - 1, true),
            (NOW + SKEW, true),
            (NOW + SKEW + 1, false),
        ] {
            let r = outcome(with(&[("iat", iat), ("exp", NOW + 60)]), Check::Iat, NOW);
            assert_eq!(r.is_ok(), ok, "iat = now {:+}: {r:?}", iat - NOW);
        }
    }

    #[test]
    fn lifetime_counts_from_nbf_else_iat_else_now() {
        // SPEC §2: exp − (nbf or iat) ≤ max_lifetime; without either, exp − now.
        let cases: [(&[(&str, i64)], bool); 9] = [
            (&[("nbf", NOW), ("exp", NOW + LIFE)], true),
            (&[("nbf", NOW), ("exp", NOW + LIFE + 1)], false),
            (&[("nbf", NOW - 10), ("exp", NOW + LIFE - 10)], true),
            (&[("iat", NOW), ("exp", NOW + LIFE)], true),
            (&[("iat", NOW), ("exp", NOW + LIFE + 1)], false),
            // nbf wins over iat.
            (
                &[("nbf", NOW), ("iat", NOW - 100), ("exp", NOW + LIFE)],
                true,
            ),
            (
                &[("nbf", NOW - 100), ("iat", NOW), ("exp", NOW + LIFE)],
                false,
            ),
            (&[("exp", NOW + LIFE)], true),
            (&[("exp", NOW + LIFE + 1)], false),
        ];
        for (claims, ok) in cases {
            let r = outcome(with(claims), Check::Lifetime, NOW);
            assert_eq!(r.is_ok(), ok, "{claims:?}: {r:?}");
        }
    }

    #[test]
    fn the_same_object_expires_as_the_clock_moves() {
        let clock = FixedClock::at(NOW);
        let c = with(&[("iat", NOW), ("exp", NOW + 60)]);
        assert!(outcome(c.clone(), Check::Exp, crate::ports::Clock::now(&clock)).is_ok());
        clock.advance(60 + SKEW - 1);
        assert!(outcome(c.clone(), Check::Exp, crate::ports::Clock::now(&clock)).is_ok());
        clock.advance(1);
        assert!(outcome(c, Check::Exp, crate::ports::Clock::now(&clock)).is_err());
    }

    #[test]
    fn a_time_claim_that_is_not_a_numeric_date_is_refused() {
        let mut m = base();
        m.insert("exp".into(), json!("tomorrow"));
        let r = outcome(Value::Object(m), Check::Exp, NOW);
        assert_eq!(r.unwrap_err(), "exp is not a NumericDate");
        // RFC 7519 §2: a NumericDate may have a fraction.
        let mut m = base();
        m.insert("exp".into(), json!((NOW + 60) as f64 + 0.5));
        assert!(outcome(Value::Object(m), Check::Exp, NOW).is_ok());
    }

    #[test]
    fn an_unverified_view_is_not_authentic_and_vouches_for_no_signature() {
        let claims = base();
        let view = ClaimsView::unverified(&claims);
        assert!(!view.is_authentic());
        assert!(!view.signed);
    }
}
