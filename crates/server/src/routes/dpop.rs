//! The DPoP headers of the endpoints that take proofs (`/token`, `/par`, `/userinfo`): every
//! `DPoP` value of a request (RFC 9449 §4.1), and the `DPoP-Nonce` of every answer when nonces
//! are required (RFC 9449 §8.1).

use crate::AppState;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;

/// `DPoP` (RFC 9449 §4.1).
static DPOP: HeaderName = HeaderName::from_static("dpop");
/// `DPoP-Nonce` (RFC 9449 §8.1).
static DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// Every `DPoP` header value; one that is not visible ASCII stays in the list as text that
/// no proof is, so that it is refused rather than skipped.
pub(crate) fn dpop_headers(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(&DPOP)
        .iter()
        .map(|v| v.to_str().unwrap_or("\u{0}"))
        .collect()
}

/// RFC 9449 §8.1: with `[dpop] nonce = "required"`, every answer of a DPoP endpoint carries
/// the current nonce, so a client learns it from any response.
pub(crate) fn with_dpop_nonce(s: &AppState, mut r: Response) -> Response {
    if let Some(n) = s.provider.dpop_nonce()
        && let Ok(v) = HeaderValue::from_str(&n)
    {
        r.headers_mut().insert(DPOP_NONCE.clone(), v);
    }
    r
}
