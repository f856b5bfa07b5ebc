//! `writ request inspect` (SPEC §1): every check of SPEC §4 on one request object, with
//! pass/fail and the reason, for the integrator whose request was refused.
//!
//! The same stage functions as the server run here, in the same order; where the server
//! stops at the first failure, the report goes on where it still means something (the
//! claims of an object whose signature failed are evaluated and marked *unverified*). The
//! `jti` replay check needs the running server's cache and is reported as not checked.

use super::Context;
use super::claims::{self, ClaimsContext, ClaimsView};
use super::decrypt::{self, DecryptedRequestObject};
use super::merge;
use super::policy::JarPolicy;
use super::refusal::Check;
use super::resolve::ResolvedRequestObject;
use super::verify::{self, VerifiedRequestObject};
use crate::authorize::params::RawParams;
use crate::authorize::transport::{Endpoint, Transport};
use crate::authorize::validated;
use crate::clients::{Client, ClientKey};
use crate::settings::Settings;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The check passed.
    Pass,
    /// The check failed: the server would refuse the object.
    Fail,
    /// The check did not apply or could not be made.
    Skip,
}

impl Status {
    /// `PASS`, `FAIL` or `SKIP`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Line {
    /// The check's stable name.
    pub check: &'static str,
    /// Its outcome.
    pub status: Status,
    /// Why, in one line.
    pub note: String,
}

/// The whole report.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The checks in pipeline order.
    pub lines: Vec<Line>,
    /// The JWS header, once read.
    pub header: Option<Map<String, Value>>,
    /// The claims (verified or not; see `verified`).
    pub claims: Option<Map<String, Value>>,
    /// Whether `claims` are authentic.
    pub verified: bool,
    /// The effective parameters and trusted names, when every check passed.
    pub effective: Option<merge::Effective>,
}

impl Report {
    /// Whether any check failed.
    pub fn failed(&self) -> bool {
        self.lines.iter().any(|l| l.status == Status::Fail)
    }
    fn push(&mut self, check: Check, status: Status, note: impl Into<String>) {
        self.lines.push(Line {
            check: check.name(),
            status,
            note: note.into(),
        });
    }
}

/// The checks of stage 4 in the order [`verify::verify`] makes them.
const VERIFY_ORDER: &[Check] = &[
    Check::Unsigned,
    Check::SigningAlg,
    Check::Typ,
    Check::Key,
    Check::Signature,
    Check::Claims,
];

/// Inspect `token` as a request object by value from `client`.
pub async fn inspect(
    settings: &Settings,
    ctx: &Context<'_>,
    client: &Arc<Client>,
    token: &str,
) -> Report {
    let policy: &JarPolicy = ctx.policy;
    let mut r = Report::default();
    let token = token.trim();

    // Stage 2: size before anything else.
    if token.len() > policy.max_bytes {
        r.push(
            Check::Size,
            Status::Fail,
            format!(
                "{} bytes, over max_request_object_bytes = {}",
                token.len(),
                policy.max_bytes
            ),
        );
        return r;
    }
    r.push(
        Check::Size,
        Status::Pass,
        format!("{} bytes ≤ {}", token.len(), policy.max_bytes),
    );

    // Stage 3.
    let parts = token.split('.').count();
    let resolved =
        match ResolvedRequestObject::new(token.to_string(), Transport::ByValue, policy.max_bytes) {
            Ok(r) => r,
            Err(e) => {
                r.push(e.check, Status::Fail, e.public.to_string());
                return r;
            }
        };
    let decrypted = match decrypt::decrypt(resolved, policy, client, ctx.decryption_keys, ctx.now) {
        Ok(d) => {
            let how = if parts == 5 {
                "compact JWE"
            } else {
                "compact JWS"
            };
            r.push(
                Check::Format,
                Status::Pass,
                format!("{how} ({parts} parts)"),
            );
            match d.encryption() {
                Some(e) => {
                    r.push(
                        Check::Encryption,
                        Status::Pass,
                        format!(
                            "encrypted with {} / {}{}",
                            e.alg,
                            e.enc,
                            e.kid
                                .as_deref()
                                .map(|k| format!(", kid {k}"))
                                .unwrap_or_default()
                        ),
                    );
                    r.push(
                        Check::Decrypt,
                        Status::Pass,
                        "decrypted; the inside is a compact JWS",
                    );
                }
                None => r.push(
                    Check::Encryption,
                    Status::Skip,
                    "not encrypted (this client is not required to encrypt)",
                ),
            }
            d
        }
        Err(e) => {
            r.push(e.check, Status::Fail, e.public.to_string());
            return r;
        }
    };

    // Stage 4, with the client's jwks_uri keys when it has one.
    let remote: Arc<[ClientKey]> = match ctx.remote_keys.get(client, ctx.now).await {
        Ok(k) => k,
        Err(f) => {
            r.push(
                Check::Key,
                Status::Skip,
                format!("jwks_uri keys not available: {}", f.public),
            );
            Arc::from(Vec::new())
        }
    };
    r.header = header_of(&decrypted);
    let verified = verify::verify(
        &decrypted,
        policy,
        client,
        &[&client.public_keys, &remote],
        ctx.now,
    );
    let claimed = match verified {
        Ok(v) => {
            let signer = match &v.info().signer {
                Some(s) => format!(
                    "verified with the {} key{}{}",
                    serde_json::to_value(s.source)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    s.kid
                        .as_deref()
                        .map(|k| format!(" kid {k}"))
                        .unwrap_or_default(),
                    s.thumbprint
                        .as_deref()
                        .map(|t| format!(" (thumbprint {t})"))
                        .unwrap_or_default()
                ),
                None => "unsigned (alg none), allowed for this client by value".into(),
            };
            r.push(
                Check::SigningAlg,
                Status::Pass,
                format!("{} is allowed", v.info().header.alg),
            );
            r.push(
                Check::Typ,
                Status::Pass,
                typ_note(v.info().header.typ.as_deref()),
            );
            r.push(Check::Key, Status::Pass, key_note(v.info()));
            r.push(Check::Signature, Status::Pass, signer);
            Claimed::Verified(Box::new(v))
        }
        Err(e) => {
            let at = VERIFY_ORDER.iter().position(|c| *c == e.check).unwrap_or(0);
            for c in &VERIFY_ORDER[1..at.max(1)] {
                r.push(*c, Status::Pass, "");
            }
            r.push(e.check, Status::Fail, e.public.to_string());
            // Go on with the claims, unverified, so the integrator sees every problem.
            match unverified_claims(&decrypted) {
                Some(claims) => Claimed::Unverified(claims),
                None => return r,
            }
        }
    };
    let view = match &claimed {
        Claimed::Verified(v) => ClaimsView::from(v.as_ref()),
        Claimed::Unverified(c) => ClaimsView::unverified(c),
    };
    r.verified = view.is_authentic();

    // Stage 5.
    let query_client_id = client.id();
    let cctx = ClaimsContext {
        policy,
        client,
        query_client_id,
        issuer: ctx.issuer,
        now: ctx.now,
    };
    let (outcomes, replay) = claims::evaluate(view, &cctx, true);
    let tag = if r.verified { "" } else { " (unverified)" };
    for (check, outcome) in outcomes {
        match outcome {
            Ok(note) if check == Check::Replay && replay.is_some() => r.push(
                check,
                Status::Skip,
                format!("{note}; the replay cache is the running server's, not checked offline"),
            ),
            Ok(note) => r.push(check, Status::Pass, format!("{note}{tag}")),
            // Offline, the numbers behind a time check are the integrator's to see.
            Err(e) => {
                let numbers = e.detail.map(|d| format!(" ({d})")).unwrap_or_default();
                r.push(check, Status::Fail, format!("{}{numbers}{tag}", e.public));
            }
        }
    }
    let verified = match claimed {
        Claimed::Verified(v) => {
            r.claims = Some(v.claims().clone());
            v
        }
        Claimed::Unverified(c) => {
            r.claims = Some(c);
            return r;
        }
    };
    if r.failed() {
        return r;
    }
    let Ok((object, _)) = claims::check(*verified, &cctx) else {
        return r;
    };

    // Stage 6.
    let query = RawParams::from_map(
        [("client_id".to_string(), client.id().to_string())]
            .into_iter()
            .collect(),
    );
    match merge::effective(policy.parameter_policy, &query, Some(&object)) {
        Ok(eff) => {
            let checked = validated::check(
                settings,
                Endpoint::Authorize,
                client,
                eff.clone(),
                Some(object),
                Transport::ByValue,
            );
            match checked {
                Ok(_) => r.push(
                    Check::Parameters,
                    Status::Pass,
                    "redirect_uri, response_type, scope, PKCE and prompt are valid",
                ),
                Err(e) => r.push(Check::Parameters, Status::Fail, e.error().to_string()),
            }
            r.effective = Some(eff);
        }
        Err(e) => r.push(e.check, Status::Fail, e.to_string()),
    }
    r
}

/// The claims inspect evaluates: a verified object's, or a payload whose signature failed.
enum Claimed {
    Verified(Box<VerifiedRequestObject>),
    Unverified(Map<String, Value>),
}

/// Which key verified the object, and why that one (SPEC §4.4: with a `kid`, that key only;
/// without, every registered key that fits the alg is tried).
fn key_note(info: &super::types::RequestObjectInfo) -> String {
    use crate::clients::KeySource;
    let Some(s) = &info.signer else {
        return "no key: an unsigned object".into();
    };
    let alg = &info.header.alg;
    let what = match s.source {
        KeySource::Jwk | KeySource::Jwks => format!("the registered {} key", s.kty),
        KeySource::X509 => "the key of the registered certificate".into(),
        KeySource::JwksUri => format!("the {} key published at the client's jwks_uri", s.kty),
        KeySource::Shared => "the client secret".into(),
    };
    let thumb = s
        .thumbprint
        .as_deref()
        .map(|t| format!(", thumbprint {t}"))
        .unwrap_or_default();
    match (&info.header.kid, s.source) {
        (_, KeySource::Shared) => {
            format!("{what}: {alg} is keyed with the client's shared secret (OIDC Core §10.1)")
        }
        (Some(kid), _) => {
            format!("{what} with kid {kid}{thumb}: chosen because the header names kid {kid}")
        }
        (None, _) => format!(
            "{what}{thumb}: the header has no kid, so every registered key that fits {alg} was \
             tried and this one verified"
        ),
    }
}

fn typ_note(typ: Option<&str>) -> String {
    match typ {
        Some(t) => format!("typ is {t}"),
        None => "no typ (allowed unless strict_typ)".into(),
    }
}

fn header_of(d: &DecryptedRequestObject) -> Option<Map<String, Value>> {
    let h = d.jws().split('.').next()?;
    let bytes = base64_url_decode(h)?;
    writ_jose::parse_object_strict(&bytes, "JWS header").ok()
}

fn unverified_claims(d: &DecryptedRequestObject) -> Option<Map<String, Value>> {
    let p = d.jws().split('.').nth(1)?;
    let bytes = base64_url_decode(p)?;
    writ_jose::parse_object_strict(&bytes, "JWS payload").ok()
}

fn base64_url_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}
